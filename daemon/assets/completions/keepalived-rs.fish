# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_keepalived_rs_global_optspecs
    string join \n f/use-file= t/config-test= i/config-id= strict lenient all-diagnostics v/version signum= P/vrrp C/check B/no_bfd all l/log-console D/log-detail S/log-facility= g/log-file= flush-log-file syslog-ident= G/no-syslog u/umask= X/release-vips V/dont-release-vrrp I/dont-release-ipvs R/dont-respawn n/dont-fork d/dump-conf p/pid= r/vrrp_pid= c/checkers_pid= b/bfd_pid= T/genhash a/address-monitoring x/snmp A/snmp-agent-socket= s/namespace= m/core-dump M/core-dump-pattern= e/all-config perf= debug= no-mem-check ignore-sigint control-socket= metrics-listen= h/help
end

function __fish_keepalived_rs_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_keepalived_rs_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_keepalived_rs_using_subcommand
    set -l cmd (__fish_keepalived_rs_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s f -l use-file -d 'Use the specified configuration file' -r -F
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s t -l config-test -d 'Check the configuration and exit with keepalived\'s verdict: 0 clean, 5 errors, 6 scripts without enable_script_security, 3 cannot run. Diagnostics go to stderr, or to LOG_FILE when given (`-t=LOG_FILE`)' -r
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s i -l config-id -d 'Skip configuration lines beginning \'@\' that don\'t match id, or \'@^\' lines that do' -r
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -l signum -d 'Print the signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON' -r
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s S -l log-facility -d 'Set syslog facility to LOG_LOCAL[0-7], user or daemon (default)' -r
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s g -l log-file -d 'Also log to FILE (the VRRP side\'s lines to FILE with _vrrp, the checkers\' with _healthcheckers inserted before the last \'.\')' -r -F
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -l syslog-ident -d 'The syslog ident: keepalived\'s (Keepalived, Keepalived_vrrp, Keepalived_healthcheckers), or keepalived-rs for every line (keepalived-rs only)' -r -f -a "keepalived\t''
keepalived-rs\t''"
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s u -l umask -d 'umask for file creation (in numeric form)' -r
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s p -l pid -d 'Use specified pidfile for the main process' -r -F
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s r -l vrrp_pid -d 'Use specified pidfile for the VRRP part' -r -F
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s c -l checkers_pid -d 'Use specified pidfile for the checkers part' -r -F
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s b -l bfd_pid -d 'Use specified pidfile for the BFD part' -r -F
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s A -l snmp-agent-socket -d 'Use the specified socket for master agent (VRRP-MIB\'s, with enable_snmp_rfcv2)' -r -F
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s s -l namespace -d 'Run in network namespace NAME (overrides config)' -r
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s M -l core-dump-pattern -d 'Also set /proc/sys/kernel/core_pattern to PATN (default \'core\')' -r
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -l perf -d 'Collect performance data (keepalived debug builds; refused)' -r
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -l debug -d 'Debug options (keepalived debug builds; refused)' -r
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -l control-socket -d 'The control socket `keepalived-rs status` reads (keepalived-rs only; default: beside the main pid file, /run/keepalived-rs.sock)' -r -F
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -l metrics-listen -d 'Serve Prometheus metrics at http://ADDR:PORT/metrics ([ADDR]:PORT for IPv6; keepalived-rs only; global_defs\' metrics_listen says the same, this wins)' -r
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -l strict -d 'Treat every warning as an error; the daemon does not start on any finding (keepalived-rs only)'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -l lenient -d 'In a configuration test, fail on errors only, not on the warnings keepalived\'s own test fails on too (unknown keywords, missing interfaces, scripts without script security, ...) (keepalived-rs only; the daemon starts where keepalived 2.2.7\'s daemon starts)'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -l all-diagnostics -d 'Show every diagnostic in full; a repeated warning is otherwise shown once, with its count and next locations (keepalived-rs only)'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s v -l version -d 'Display the version number (keepalived\'s first line, then ours; on stderr, as keepalived)'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s P -l vrrp -d 'Only run with VRRP subsystem'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s C -l check -d 'Only run with Health-checker subsystem'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s B -l no_bfd -d 'Don\'t run BFD subsystem'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -l all -d 'Force all subsystems to run, even if they have no configuration'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s l -l log-console -d 'Log messages to local console'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s D -l log-detail -d 'Detailed log messages'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -l flush-log-file -d 'Flush the log file after each write (keepalived-rs always writes each line at once)'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s G -l no-syslog -d 'Don\'t log via syslog'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s X -l release-vips -d 'Drop VIP on transition from signal'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s V -l dont-release-vrrp -d 'Don\'t remove VRRP VIPs and VROUTEs on daemon stop'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s I -l dont-release-ipvs -d 'Don\'t remove IPVS topology on daemon stop'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s R -l dont-respawn -d 'Don\'t respawn child processes (keepalived-rs is one process; accepted for compatibility)'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s n -l dont-fork -d 'Don\'t fork the daemon process'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s d -l dump-conf -d 'Dump the configuration data'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s T -l genhash -d 'Enter genhash mode: print the MD5 digest of a web page as HTTP_GET/SSL_GET compute it. Everything after -T is genhash\'s own options, not keepalived\'s (-T -h lists them); options before it are ignored. Handled before the rest of this command line is read, so this flag is never seen set here'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s a -l address-monitoring -d 'Report all address additions/deletions notified via netlink'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s x -l snmp -d 'Enable SNMP subsystem (refused: it turns on every MIB; write enable_snmp_rfcv2 for VRRP-MIB)'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s m -l core-dump -d 'Produce core dump if terminate abnormally'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s e -l all-config -d 'Error if any configuration file is missing'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -l no-mem-check -d 'Disable memory checks (keepalived debug builds; refused)'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -l ignore-sigint -d 'Ignore SIGINT (keepalived-rs only: Debian\'s keepalived 2.2.7 rejects it)'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -s h -l help -d 'Print help'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -f -a "config" -d 'Work with a configuration file without running the daemon'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -f -a "ipvs" -d 'Program and inspect the kernel\'s IPVS tables'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -f -a "status" -d 'The running daemon\'s state: VRRP instances, sync groups, virtual and real servers, checkers, the IPVS reconciler, the last reload (exit 3 when no daemon runs)'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -f -a "realserver" -d 'On an LVS-DR real server: hold the VIPs on lo without answering ARP for them'
complete -c keepalived-rs -n "__fish_keepalived_rs_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand config; and not __fish_seen_subcommand_from dump test diff help" -s h -l help -d 'Print help'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand config; and not __fish_seen_subcommand_from dump test diff help" -f -a "dump" -d 'Print the resolved configuration model as JSON (keys are keepalived\'s canonical keywords)'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand config; and not __fish_seen_subcommand_from dump test diff help" -f -a "test" -d 'Check the configuration, like `keepalived-rs -t`'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand config; and not __fish_seen_subcommand_from dump test diff help" -f -a "diff" -d 'What a reload from OLD to NEW would change, in the words the daemon logs: exit 0 when nothing, 1 when something, 4 when NEW has errors (3: it cannot be run, or OLD cannot)'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand config; and not __fish_seen_subcommand_from dump test diff help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand config; and __fish_seen_subcommand_from dump" -s f -l use-file -d 'Configuration file' -r -F
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand config; and __fish_seen_subcommand_from dump" -s i -l config-id -d 'Config id for `@ID` lines (default: the short host name)' -r
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand config; and __fish_seen_subcommand_from dump" -l strict -d 'Treat warnings (unknown keywords, legacy spellings) as errors'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand config; and __fish_seen_subcommand_from dump" -l all-diagnostics -d 'Show every diagnostic in full (a repeated warning is otherwise shown once, with its count)'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand config; and __fish_seen_subcommand_from dump" -s h -l help -d 'Print help'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand config; and __fish_seen_subcommand_from test" -s f -l use-file -d 'Configuration file' -r -F
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand config; and __fish_seen_subcommand_from test" -s i -l config-id -d 'Config id for `@ID` lines (default: the short host name)' -r
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand config; and __fish_seen_subcommand_from test" -l strict -d 'Treat warnings (unknown keywords, legacy spellings) as errors'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand config; and __fish_seen_subcommand_from test" -l all-diagnostics -d 'Show every diagnostic in full (a repeated warning is otherwise shown once, with its count)'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand config; and __fish_seen_subcommand_from test" -l lenient -d 'Fail on errors only, not on the warnings keepalived\'s own -t fails on too (unknown keywords, missing interfaces, scripts without script security, ...)'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand config; and __fish_seen_subcommand_from test" -s h -l help -d 'Print help'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand config; and __fish_seen_subcommand_from diff" -s i -l config-id -d 'Config id for `@ID` lines (default: the short host name), for both files' -r
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand config; and __fish_seen_subcommand_from diff" -l json -d 'Print the difference as JSON'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand config; and __fish_seen_subcommand_from diff" -s h -l help -d 'Print help'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "dump" -d 'Print the resolved configuration model as JSON (keys are keepalived\'s canonical keywords)'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "test" -d 'Check the configuration, like `keepalived-rs -t`'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "diff" -d 'What a reload from OLD to NEW would change, in the words the daemon logs: exit 0 when nothing, 1 when something, 4 when NEW has errors (3: it cannot be run, or OLD cannot)'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and not __fish_seen_subcommand_from sync list help" -s h -l help -d 'Print help'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and not __fish_seen_subcommand_from sync list help" -f -a "sync" -d 'Program the configuration\'s virtual servers once (every real server healthy) and exit. Only the differences from what the kernel holds are applied; other services are left alone'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and not __fish_seen_subcommand_from sync list help" -f -a "list" -d 'List the IPVS table exactly as `ipvsadm -L` does, with its options'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and not __fish_seen_subcommand_from sync list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and __fish_seen_subcommand_from sync" -s f -l use-file -d 'Configuration file' -r -F
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and __fish_seen_subcommand_from sync" -s i -l config-id -d 'Config id for `@ID` lines (default: the short host name)' -r
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and __fish_seen_subcommand_from sync" -l dry-run -d 'Print what would be done, change nothing'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and __fish_seen_subcommand_from sync" -l no-flush -d 'Ignore global_defs\' lvs_flush (do not flush foreign services)'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and __fish_seen_subcommand_from sync" -l timings -d 'Print how long each step took (parse, read the kernel, plan, apply) on stderr'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and __fish_seen_subcommand_from sync" -s h -l help -d 'Print help'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and __fish_seen_subcommand_from list" -s t -l tcp-service -d 'Only this TCP service (ADDR[:PORT])' -r
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and __fish_seen_subcommand_from list" -s u -l udp-service -d 'Only this UDP service' -r
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and __fish_seen_subcommand_from list" -l sctp-service -d 'Only this SCTP service' -r
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and __fish_seen_subcommand_from list" -s f -l fwmark-service -d 'Only this firewall-mark service' -r
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and __fish_seen_subcommand_from list" -s n -l numeric -d 'Numeric addresses and ports'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and __fish_seen_subcommand_from list" -s c -l connection -d 'Connection entries (/proc/net/ip_vs_conn)'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and __fish_seen_subcommand_from list" -l stats -d 'Statistics'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and __fish_seen_subcommand_from list" -l rate -d 'Rates'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and __fish_seen_subcommand_from list" -s X -l exact -d 'Exact numbers (no K/M/G/T)'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and __fish_seen_subcommand_from list" -l thresholds -d 'Connection thresholds'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and __fish_seen_subcommand_from list" -l persistent-conn -d 'Persistent connections'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and __fish_seen_subcommand_from list" -l tun-info -d 'Tunnel information'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and __fish_seen_subcommand_from list" -l timeout -d 'Connection timeouts'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and __fish_seen_subcommand_from list" -l daemon -d 'Sync daemons'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and __fish_seen_subcommand_from list" -l nosort -d 'Kernel order instead of sorted'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and __fish_seen_subcommand_from list" -l sort -d 'Sorted (the default)'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and __fish_seen_subcommand_from list" -s 6 -l ipv6 -d 'The firewall-mark service is IPv6'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and __fish_seen_subcommand_from help" -f -a "sync" -d 'Program the configuration\'s virtual servers once (every real server healthy) and exit. Only the differences from what the kernel holds are applied; other services are left alone'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the IPVS table exactly as `ipvsadm -L` does, with its options'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand ipvs; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand status" -l socket -d 'The daemon\'s control socket (default: beside its main pid file, /run/keepalived-rs.sock)' -r -F
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand status" -s s -l namespace -d 'The daemon runs in network namespace NAME (its socket is in /run/keepalived/NAME/)' -r
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand status" -l json -d 'Print the daemon\'s status document as JSON (docs/status.md)'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand status" -s h -l help -d 'Print help'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand realserver; and not __fish_seen_subcommand_from up down status help" -s h -l help -d 'Print help'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand realserver; and not __fish_seen_subcommand_from up down status help" -f -a "up" -d 'Put the VIPs on lo (IPv4 /32, IPv6 /128 nodad) and, with an IPv4 VIP, set arp_ignore=1 and arp_announce=2 for all, default and lo (their earlier values recorded). Only what is missing is changed'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand realserver; and not __fish_seen_subcommand_from up down status help" -f -a "down" -d 'Take the VIPs off lo; with the last IPv4 VIP gone, put the recorded ARP settings back'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand realserver; and not __fish_seen_subcommand_from up down status help" -f -a "status" -d 'Check that the VIPs are on lo and the ARP settings right; exit 1 naming what is missing'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand realserver; and not __fish_seen_subcommand_from up down status help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand realserver; and __fish_seen_subcommand_from up" -l state-file -d 'Where the ARP settings\' earlier values are recorded' -r -F
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand realserver; and __fish_seen_subcommand_from up" -l dry-run -d 'Print what would change, change nothing'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand realserver; and __fish_seen_subcommand_from up" -s h -l help -d 'Print help'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand realserver; and __fish_seen_subcommand_from down" -l state-file -d 'Where the ARP settings\' earlier values are recorded' -r -F
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand realserver; and __fish_seen_subcommand_from down" -l dry-run -d 'Print what would change, change nothing'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand realserver; and __fish_seen_subcommand_from down" -s h -l help -d 'Print help'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand realserver; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand realserver; and __fish_seen_subcommand_from help" -f -a "up" -d 'Put the VIPs on lo (IPv4 /32, IPv6 /128 nodad) and, with an IPv4 VIP, set arp_ignore=1 and arp_announce=2 for all, default and lo (their earlier values recorded). Only what is missing is changed'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand realserver; and __fish_seen_subcommand_from help" -f -a "down" -d 'Take the VIPs off lo; with the last IPv4 VIP gone, put the recorded ARP settings back'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand realserver; and __fish_seen_subcommand_from help" -f -a "status" -d 'Check that the VIPs are on lo and the ARP settings right; exit 1 naming what is missing'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand realserver; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand help; and not __fish_seen_subcommand_from config ipvs status realserver help" -f -a "config" -d 'Work with a configuration file without running the daemon'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand help; and not __fish_seen_subcommand_from config ipvs status realserver help" -f -a "ipvs" -d 'Program and inspect the kernel\'s IPVS tables'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand help; and not __fish_seen_subcommand_from config ipvs status realserver help" -f -a "status" -d 'The running daemon\'s state: VRRP instances, sync groups, virtual and real servers, checkers, the IPVS reconciler, the last reload (exit 3 when no daemon runs)'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand help; and not __fish_seen_subcommand_from config ipvs status realserver help" -f -a "realserver" -d 'On an LVS-DR real server: hold the VIPs on lo without answering ARP for them'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand help; and not __fish_seen_subcommand_from config ipvs status realserver help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "dump" -d 'Print the resolved configuration model as JSON (keys are keepalived\'s canonical keywords)'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "test" -d 'Check the configuration, like `keepalived-rs -t`'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "diff" -d 'What a reload from OLD to NEW would change, in the words the daemon logs: exit 0 when nothing, 1 when something, 4 when NEW has errors (3: it cannot be run, or OLD cannot)'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand help; and __fish_seen_subcommand_from ipvs" -f -a "sync" -d 'Program the configuration\'s virtual servers once (every real server healthy) and exit. Only the differences from what the kernel holds are applied; other services are left alone'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand help; and __fish_seen_subcommand_from ipvs" -f -a "list" -d 'List the IPVS table exactly as `ipvsadm -L` does, with its options'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand help; and __fish_seen_subcommand_from realserver" -f -a "up" -d 'Put the VIPs on lo (IPv4 /32, IPv6 /128 nodad) and, with an IPv4 VIP, set arp_ignore=1 and arp_announce=2 for all, default and lo (their earlier values recorded). Only what is missing is changed'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand help; and __fish_seen_subcommand_from realserver" -f -a "down" -d 'Take the VIPs off lo; with the last IPv4 VIP gone, put the recorded ARP settings back'
complete -c keepalived-rs -n "__fish_keepalived_rs_using_subcommand help; and __fish_seen_subcommand_from realserver" -f -a "status" -d 'Check that the VIPs are on lo and the ARP settings right; exit 1 naming what is missing'
