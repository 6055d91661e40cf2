//! Running the daemon: set up the process (detach, logging, signals caught), read the
//! configuration once, enter its network namespace, write the pid files, prepare the LVS side
//! (stopping when virtual servers cannot be programmed), then run the VRRP side and the LVS side
//! (checkers -> IPVS, `lvsd`) until SIGTERM/SIGINT, clean up and exit 0.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::KeepalivedArgs;
use crate::config_cmd::{self, EXIT_CANNOT_RUN};
use crate::control;
use crate::core_dump;
use crate::dump;
use crate::flags::{self, Checked};
use crate::logging;
use crate::lvsd;
use crate::metrics;
use crate::netns;
use crate::pidfile::{self, PidError, PidFiles, PidPaths};
use crate::process;
use crate::process_scripts;
use crate::promote_secondaries;
use crate::reload;
use crate::sd_notify::Notifier;
use crate::signals::{Request, Signals};
use crate::start_rule;
use crate::syncd;
use crate::systemd;
use crate::version;
use crate::vrrpd::{self, Runtime};

/// No transparent huge pages for the daemon: with THP on (`always`, Debian's default, or
/// `madvise`, which mimalloc asks for), each 2 MiB of heap that holds anything counts whole in
/// RSS and is not given back while any of it is used, which about doubled the resident memory
/// of a daemon running 10,000 checkers (docs/benchmarks.md). The price: parsing a
/// 10,000-real-server configuration takes about 80 ms instead of 50 (more page faults). The
/// setting is inherited by the scripts the daemon runs.
pub(crate) fn no_huge_pages() {
    if let Err(e) = nix::sys::prctl::set_thp_disable(true) {
        tracing::debug!("cannot turn transparent huge pages off: {e}");
    }
}

/// mimalloc (v3) gives memory back to the system ("purges" it) only memory freed more than its
/// purge delay (1 s by default) before, and, as measured with `rss_scale`, only once the thread
/// that freed it next takes a slow path of the allocator (a fresh page). The daemon runs with a
/// purge delay of 0 (`allocator`): what it frees is given back at once, and none of what
/// follows is needed. With any other delay (an operator's own `MIMALLOC_PURGE_DELAY`, or the
/// re-execution that sets ours failed), the main thread, which parses the configuration and
/// drops the model (about 27 MB at 10,000 real servers) and then mostly sleeps, would keep that
/// memory resident (host: 44 MiB anonymous memory before the first prod, 12 after), so
/// [`release_freed_memory`] prods the allocator on a long-lived thread, just after the purge
/// delay and then every [`RELEASE_PERIOD`]: it allocates and frees one block larger than
/// mimalloc's largest size class, which always takes the slow path; the block is never
/// touched, so a prod costs microseconds. This leans on how mimalloc works inside: should that
/// change, the prod is harmless but may give nothing back, which `rss_scale` would show. The
/// main thread needs only the first few (the model is freed during start-up; a reload parses
/// on a blocking thread): [`START_PRODS`], then it stops, since an idle daemon's every wake-up
/// counts (they were 2 a second of the 32 of an idle VRRP master at advert_int 0.1,
/// docs/benchmarks.md).
const PURGE_DELAY: std::time::Duration = std::time::Duration::from_millis(1100);
const RELEASE_PERIOD: std::time::Duration = std::time::Duration::from_millis(500);
/// How many prods the main thread makes: up to 3.1 s after start, what start-up freed in its
/// first 2 s is given back.
pub(crate) const START_PRODS: Option<u32> = Some(5);

fn prod_allocator() {
    drop(std::hint::black_box(Vec::<u8>::with_capacity(1 << 20)));
}

/// See [`PURGE_DELAY`]: `prods` prods (None: for as long as the runtime runs), none when the
/// allocator gives freed memory back at once.
pub(crate) async fn release_freed_memory(prods: Option<u32>) {
    if crate::allocator::freed_memory_given_back_at_once() {
        return;
    }
    tokio::time::sleep(PURGE_DELAY).await;
    prod_allocator();
    for _ in 1..prods.unwrap_or(u32::MAX) {
        tokio::time::sleep(RELEASE_PERIOD).await;
        prod_allocator();
    }
}

/// Starts the LVS side (checkers, IPVS reconciler) on a thread and runtime of its own, so that
/// thousands of health checks can never delay a VRRP timer or advert. Returns the sender that
/// stops it and the thread to join, or None (logged) when the thread cannot start.
///
/// It starts at once: the parsed model's memory is given back as it is freed (the purge delay
/// of 0, `allocator`). It waited for the main thread's first [`release_freed_memory`] prod
/// (1.1 s) before, so as not to place its state on the model's pages while they were still
/// resident; with the purge delay at 0 that wait made no difference (`rss_scale`: 20.4-20.7 MiB
/// with it, 20.4 without, docs/benchmarks.md).
pub(crate) fn start_lvs<K: ipvs::Kernel + Send + 'static>(
    prepared: lvsd::Prepared<K>,
    snapshots: tokio::sync::watch::Sender<std::sync::Arc<crate::snapshot::LvsSnapshot>>,
    latency: std::sync::Arc<crate::lvs::checkers::CheckLatencies>,
    events: crate::notifier::Notifier,
) -> Option<(
    tokio::sync::mpsc::UnboundedSender<lvsd::Command>,
    std::thread::JoinHandle<()>,
)> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let spawned = std::thread::Builder::new()
        .name("lvs".into())
        .spawn(move || {
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => {
                    rt.spawn(release_freed_memory(None));
                    rt.block_on(async move {
                        lvsd::run(
                            prepared,
                            rx,
                            lvsd::RECONCILE_PERIOD,
                            std::future::ready(()),
                            snapshots,
                            latency,
                            events,
                        )
                        .await
                    })
                }
                Err(e) => tracing::error!(
                    "cannot start the LVS side's runtime: {e}; checkers and IPVS do not run"
                ),
            }
        });
    match spawned {
        Ok(t) => Some((tx, t)),
        Err(e) => {
            tracing::error!(
                "cannot start the LVS side's thread: {e}; checkers and IPVS do not run"
            );
            None
        }
    }
}

/// keepalived 2.2.7 exits 1 when a part it must run cannot start (no IPVS in the kernel for
/// the configured virtual servers): measured in the namespace lab.
pub const EXIT_FATAL: u8 = 1;

/// The network namespace to run in: `-s` over the configuration's `net_namespace`.
fn namespace<'a>(k: &'a KeepalivedArgs, config: &'a conf_parser::Config) -> Option<&'a str> {
    k.namespace
        .as_deref()
        .or(config.global.net_namespace.as_deref())
}

/// The pid files: `-p`/`-r`/`-c`/`-b`, or keepalived's defaults for the namespace, `instance` and
/// `use_pid_dir`.
fn pid_paths(k: &KeepalivedArgs, config: &conf_parser::Config) -> PidPaths {
    let g = &config.global;
    let ns = namespace(k, config);
    let d = pidfile::default_paths(ns, g.instance.as_deref(), g.use_pid_dir);
    PidPaths {
        main: k.pid.clone().unwrap_or(d.main),
        vrrp: k.vrrp_pid.clone().unwrap_or(d.vrrp),
        checkers: k.checkers_pid.clone().unwrap_or(d.checkers),
        bfd: k.bfd_pid.clone().unwrap_or(d.bfd),
    }
}

/// Where to log, from `-l`, `-g`, `-G`, `-D`, `-S` and `--syslog-ident`: the console and the
/// log files in addition to syslog, as keepalived does.
fn log_options(k: &KeepalivedArgs, checked: &Checked) -> logging::Options {
    logging::Options {
        console: k.log_console,
        file: k.log_file.clone(),
        syslog: (!k.no_syslog).then(|| logging::syslog::DEV_LOG.into()),
        facility: checked.facility,
        detail: k.log_detail,
        style: checked.ident,
    }
}

/// What the daemon reads, and which parts it runs.
fn source(k: &KeepalivedArgs) -> reload::Source {
    reload::Source {
        file: k.use_file.clone(),
        config_id: k.config_id.clone(),
        strict: k.strict,
        all_config: k.all_config,
        // A reload checks the file against the host, as the start does.
        check_host: true,
        dont_release_ipvs: k.dont_release_ipvs,
        // -P: VRRP only; -C: only the checkers and IPVS. Neither or both: both parts.
        vrrp_only: k.vrrp && !k.check,
        checkers_only: k.check && !k.vrrp,
        no_bfd: k.no_bfd,
    }
}

pub fn run(k: &KeepalivedArgs, checked: &Checked) -> ExitCode {
    let detached = std::env::var_os(process::DETACHED_ENV).is_some();
    // The process that runs the daemon (not the one that only checks the configuration and
    // starts the detached copy): mimalloc's purge delay at 0, by executing itself once more.
    if k.dont_fork || detached {
        crate::allocator::set_purge_delay();
    }
    // Before anything is allocated that could land in a huge page.
    no_huge_pages();
    if !k.dont_fork && !detached {
        // Check the configuration in the foreground, so that errors reach the terminal. The
        // host is checked here too unless the daemon runs in another network namespace (then
        // the daemon checks it there).
        let mut parsed =
            config_cmd::load(&k.use_file, k.config_id.as_deref(), k.strict, k.all_config);
        if namespace(k, &parsed.config).is_none() {
            start_rule::check_for_daemon(&mut parsed);
        }
        let decision = start_rule::decide(&parsed, &k.use_file, k.strict);
        if parsed.diags.worst() >= Some(conf_parser::Level::Error) {
            eprint!("{}", parsed.render_report(k.all_diagnostics));
        }
        match &decision {
            Err(line) => {
                eprintln!("keepalived-rs: {line}");
                return ExitCode::from(EXIT_CANNOT_RUN);
            }
            Ok(Some(line)) => eprintln!("keepalived-rs: {line}"),
            Ok(None) => {}
        }
        let refused = flags::refused_keywords(&parsed.config);
        if !refused.is_empty() {
            for line in refused {
                eprintln!("keepalived-rs: {line}");
            }
            return ExitCode::from(flags::EXIT_REFUSED);
        }
        // What keepalived-rs cannot run (use_vmac, BFD, ...) is told here too, not only in
        // the log of the daemon that would stop on it.
        if let Err(why) = reload::plans(&parsed.config, &source(k)) {
            for line in why {
                eprintln!("keepalived-rs: {line}");
            }
            eprintln!("keepalived-rs: cannot run this configuration; not starting");
            return ExitCode::from(EXIT_CANNOT_RUN);
        }
        if let Some(ns) = namespace(k, &parsed.config) {
            if let Err(e) = netns::check(ns) {
                eprintln!("keepalived-rs: {e}");
                return ExitCode::from(EXIT_CANNOT_RUN);
            }
        }
        return match process::respawn_detached() {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("keepalived-rs: cannot start in the background: {e}");
                ExitCode::from(EXIT_CANNOT_RUN)
            }
        };
    }
    if detached {
        process::become_session_leader();
    }
    // While this is the only thread: the variables leave the environment scripts inherit.
    let (notifier, watchdog) = Notifier::take_from_env();
    // `-u` before anything is created (the `-g` files too).
    if let Some(mask) = checked.umask {
        set_umask(mask);
    }
    let log = match logging::init(&log_options(k, checked)) {
        Ok(handle) => handle,
        Err(e) => {
            eprintln!("keepalived-rs: {e}");
            return ExitCode::from(EXIT_CANNOT_RUN);
        }
    };
    tracing::info!("Starting {}", version::keepalived_line());
    tracing::info!("{}", version::running_on());
    // Kept until the end of run(): the original core_pattern is put back then.
    let _core_pattern = (k.core_dump || k.core_dump_pattern.is_some())
        .then(|| core_dump::enable(k.core_dump_pattern.as_deref()))
        .flatten();
    // The runtime comes first so that every signal keepalived handles is caught from here on:
    // a HUP or a dump signal sent while a big configuration is read must not kill the daemon.
    // Building it opens no network socket, so entering a namespace afterwards is still in time.
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("cannot start the runtime: {e}");
            return ExitCode::from(EXIT_CANNOT_RUN);
        }
    };
    let signals = {
        let _entered = rt.enter();
        Signals::install(k.ignore_sigint)
    };
    let mut signals = match signals {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::from(EXIT_CANNOT_RUN);
        }
    };

    tracing::debug!("Opening file '{}'.", k.use_file.display());
    let mut parsed = config_cmd::load(&k.use_file, k.config_id.as_deref(), k.strict, k.all_config);
    if parsed.diags.worst() == Some(conf_parser::Level::Fatal) {
        log_findings(&parsed, k.all_diagnostics);
        tracing::error!(
            "configuration {} cannot be run, not starting",
            k.use_file.display()
        );
        return ExitCode::from(EXIT_CANNOT_RUN);
    }
    let refused = flags::refused_keywords(&parsed.config);
    if !refused.is_empty() {
        for line in refused {
            tracing::error!("{line}");
        }
        return ExitCode::from(flags::EXIT_REFUSED);
    }
    log.set_suffix(
        namespace(k, &parsed.config),
        parsed.config.global.instance.as_deref(),
    );
    // `-u` wins over the configuration's `umask` (keepalived's rule).
    if checked.umask.is_none() {
        set_umask(parsed.config.global.global_defs.umask.0);
    }
    // Into the namespace before any thread is started or socket opened: both follow the main
    // thread's namespace from here on.
    let running_namespace = namespace(k, &parsed.config).map(str::to_string);
    if let Some(ns) = namespace(k, &parsed.config) {
        if let Err(e) = netns::enter(ns) {
            log_findings(&parsed, k.all_diagnostics);
            tracing::error!("{e}; not starting");
            return ExitCode::from(EXIT_CANNOT_RUN);
        }
        tracing::info!("running in network namespace {ns}");
    }
    // The host as keepalived's daemon sees it, in the namespace the daemon runs in; then the
    // findings through the logger like every line (with -l on the console in keepalived's
    // layout, and to syslog; a warning repeated over a large file once, with its count), and
    // whether to start: where keepalived starts, with its fallbacks (`start_rule`).
    start_rule::check_for_daemon(&mut parsed);
    log_findings(&parsed, k.all_diagnostics);
    match start_rule::decide(&parsed, &k.use_file, k.strict) {
        Err(line) => {
            tracing::error!("{line}");
            return ExitCode::from(EXIT_CANNOT_RUN);
        }
        Ok(Some(line)) => tracing::warn!("{line}"),
        Ok(None) => {}
    }
    if k.dump_conf {
        dump_configuration(&parsed.config);
    }
    let source = source(k);
    let (plans, tls) = match reload::plans(&parsed.config, &source) {
        Ok(p) => p,
        Err(why) => {
            for line in &why {
                tracing::error!("{line}");
            }
            tracing::error!("keepalived-rs cannot run this configuration; not starting");
            return ExitCode::from(EXIT_CANNOT_RUN);
        }
    };
    for line in plans.scripts_left_out() {
        tracing::warn!("{line}");
    }
    let checkers_only = source.checkers_only;
    if checkers_only {
        tracing::info!("-C: the VRRP instances are not run (health checkers only)");
    }
    let pid_paths = pid_paths(k, &parsed.config);
    let control_path = k
        .control_socket
        .clone()
        .unwrap_or_else(|| control::default_path(&pid_paths.main));
    let mut paths: Vec<&Path> = vec![&pid_paths.main];
    // -C: keepalived starts no VRRP child, so it neither writes the VRRP pid file nor takes
    // one naming a live process (a -P daemon beside it, measured: vm_flags.rs) for itself.
    if !checkers_only {
        paths.push(&pid_paths.vrrp);
    }
    // --all: keepalived starts its checker child (and writes its pid file) without virtual
    // servers too.
    if plans.lvs.is_some() || (k.all && !source.vrrp_only) {
        paths.push(&pid_paths.checkers);
    }
    // keepalived writes its BFD child's when BFD runs: configured (bfd_instance), or --all;
    // never under -B. (Under -C keepalived still runs BFD; keepalived-rs runs it with the VRRP
    // side only: docs/compat.md.)
    if !plans.vrrp.bfd.is_empty() || (k.all && !k.no_bfd && !checkers_only) {
        paths.push(&pid_paths.bfd);
    }
    let _pids = match PidFiles::create(&paths) {
        Ok(p) => p,
        Err(PidError::Running { path, pid }) => {
            // keepalived's answer to a second start: exit 0, the running daemon untouched.
            tracing::info!("daemon is already running ({path} names process {pid})");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            tracing::error!("pid file: {e}");
            return ExitCode::from(EXIT_CANNOT_RUN);
        }
    };
    // keepalived's parent runs it here: after its pid file, before its children start (the
    // LVS side's IPVS opened, FIFOs, VRRP), waiting for it whatever it exits with.
    if let Some(script) = &plans.process.startup {
        rt.block_on(process_scripts::run(process_scripts::Kind::Startup, script));
    }
    let lvs = match &plans.lvs {
        Some(plan) => match lvsd::open(plan.clone(), tls) {
            Ok(p) => Some(p),
            Err(e) => {
                tracing::error!(
                    "{e}; stopping: a director that cannot program its virtual servers must \
                     not hold the VIP (keepalived stops too; -P runs VRRP alone)"
                );
                return ExitCode::from(EXIT_FATAL);
            }
        },
        None => None,
    };
    // The command line's address wins over the configuration's.
    let metrics_listen = k
        .metrics_listen
        .or(parsed.config.global.global_defs.metrics_listen);
    // RFC 2787's VRRP-MIB over AgentX (`enable_snmp_rfcv2`): the VRRP side's, as keepalived's
    // VRRP process serves it; none under -C. The socket was checked with the flags.
    let snmp_target = {
        let d = &parsed.config.global.global_defs;
        (d.enable_snmp_rfcv2 && !checkers_only)
            .then(|| crate::snmp::target(k.snmp_agent_socket.as_deref(), d.snmp_socket.as_deref()))
            .and_then(Result::ok)
    };
    // The plans are all that is kept for the run: not the model (origins, every block).
    drop(parsed);
    // Scripts, FIFOs and mails, on a thread of their own, before anything can happen.
    let (events, events_thread) = match crate::notifier::Notifier::start(plans.notify.clone()) {
        Ok(n) => n,
        Err(e) => {
            tracing::error!("cannot start the notifier thread: {e}");
            return ExitCode::from(EXIT_CANNOT_RUN);
        }
    };

    // The LVS side's snapshots: one channel for the daemon's life, its sender given to the LVS
    // side when it starts (now, or with a reload's first virtual servers).
    let (lvs_snapshots, lvs_snapshots_rx) = tokio::sync::watch::channel(Default::default());
    let mut lvs_snapshots = Some(lvs_snapshots);
    // How long checks take, for the daemon's life (an LVS side a reload starts records there too).
    let check_latency = std::sync::Arc::new(crate::lvs::checkers::CheckLatencies::default());
    let (lvs_commands, lvs_thread) = match (lvs, lvs_snapshots.take()) {
        (Some(prepared), Some(snapshots)) => {
            match start_lvs(prepared, snapshots, check_latency.clone(), events.clone()) {
                Some((tx, t)) => (Some(tx), Some(t)),
                None => (None, None),
            }
        }
        (_, snapshots) => {
            lvs_snapshots = snapshots;
            (None, None)
        }
    };
    // A reload that brings the first virtual servers starts the LVS side then; its thread is
    // joined at stop with the others.
    let lvs_running = lvs_thread.is_some();
    let lvs_threads = std::sync::Arc::new(std::sync::Mutex::new(Vec::from_iter(lvs_thread)));
    // lvs_sync_daemon's thread, where VRRP runs and IPVS is there (started below, once the VRRP
    // loop exists: it follows the loop's snapshots and holds its preemptions).
    let sync_client = if plans.vrrp.instances.is_empty() {
        None
    } else {
        syncd::open(plans.sync.as_ref())
    };
    let sync_thread = std::sync::Arc::new(std::sync::Mutex::new(None));
    let sync_threads = sync_thread.clone();
    let options = vrrpd::Options {
        dont_release_vips: k.dont_release_vrrp,
        address_monitoring: k.address_monitoring,
    };
    let threads = lvs_threads.clone();
    let latency = check_latency.clone();
    let for_loops = events.clone();
    let result = rt.block_on(async move {
        // This thread parsed the configuration and freed the model.
        tokio::spawn(release_freed_memory(START_PRODS));
        // Before the instances' first state, as keepalived (crate::promote_secondaries).
        let mut promoted = promote_secondaries::Promoted::default();
        promoted.follow(&promote_secondaries::wanted(&plans.vrrp));
        let runtime = Runtime::new(plans.vrrp.clone(), options, for_loops.clone()).await?;
        let for_lvs = for_loops.clone();
        let (info, daemon_info) =
            tokio::sync::watch::channel(control::DaemonInfo::new(source.file.clone()));
        let dumps = dump::Dumper {
            vrrp: runtime.handle(),
            lvs: lvs_snapshots_rx.clone(),
            namespace: running_namespace,
            tmp_dir: dump::default_tmp_dir(),
            hostname: dump::hostname(),
        }
        .spawn();
        let vrrp = runtime.handle();
        let sync = sync_client.and_then(|client| {
            let (tx, rx) = std::sync::mpsc::channel();
            let holder = vrrp.clone();
            let holds: syncd::Holds =
                Box::new(move |instance, hold| holder.hold_preemption(instance, hold));
            let thread = syncd::start(plans.sync.clone(), client, rx, holds)?;
            if let Ok(mut t) = sync_threads.lock() {
                *t = Some(thread);
            }
            tokio::spawn(syncd::follow(vrrp.snapshots(), tx.clone()));
            Some(tx)
        });
        // READY=1, STATUS= and the watchdog (sd_notify), from the loops' snapshots.
        systemd::start(
            &notifier,
            watchdog,
            vrrp.clone(),
            lvs_snapshots_rx.clone(),
            lvs_running,
        );
        let status_sources = control::Sources {
            vrrp: vrrp.snapshots(),
            lvs: lvs_snapshots_rx,
            daemon: daemon_info,
        };
        // The SNMP subagent, on a thread of its own; it only reads the VRRP snapshots.
        if let Some(target) = snmp_target.clone() {
            if let Err(e) = crate::snmp::start(target, vrrp.snapshots()) {
                tracing::error!("SNMP: cannot start the subagent's thread: {e}");
            }
        }
        // Prometheus metrics when asked for, on a thread of their own. A daemon that cannot
        // serve them still runs: VRRP matters more than its metrics (a scraper sees it down).
        if let Some(addr) = metrics_listen {
            let sources = metrics::Sources {
                status: status_sources.clone(),
                latency: check_latency,
            };
            match metrics::serve(addr, sources) {
                Ok(bound) => tracing::info!("metrics served at http://{bound}/metrics"),
                Err(e) => {
                    tracing::error!("metrics: cannot listen on {addr}: {e}; no metrics are served")
                }
            }
        }
        // The control socket (`keepalived-rs status`), on a thread of its own.
        let _control = match control::serve(&control_path, status_sources) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!("control socket: {e}; `keepalived-rs status` will not answer");
                None
            }
        };
        let mut reloader = reload::Reloader {
            source,
            running: std::sync::Arc::new(plans),
            vrrp,
            notifier: for_loops,
            lvs: lvs_commands,
            sync,
            info,
            promoted,
            start_lvs: Box::new(move |prepared| {
                let (tx, thread) = start_lvs(
                    prepared,
                    lvs_snapshots.take()?,
                    latency.clone(),
                    for_lvs.clone(),
                )?;
                if let Ok(mut t) = threads.lock() {
                    t.push(thread);
                }
                Some(tx)
            }),
        };
        let signals_task = tokio::spawn(async move {
            loop {
                match signals.next().await {
                    Request::Stop => break,
                    Request::Reload => {
                        // systemd shows the unit reloading until READY=1 comes back, applied
                        // or refused (a refused reload keeps the running configuration).
                        let _ = notifier.reloading("reloading the configuration");
                        reloader.reload().await;
                        let _ = notifier.reloaded();
                    }
                    // Done by the dump task, in order, with the configuration in force now.
                    request @ (Request::Data
                    | Request::Stats
                    | Request::StatsClear
                    | Request::Json) => {
                        let _ = dumps.send(dump::Job {
                            request,
                            global: reloader.running.global.clone(),
                            // -C empties the VRRP plan.
                            vrrp_runs: !reloader.running.vrrp.instances.is_empty(),
                            lvs_runs: reloader.lvs.is_some(),
                            bfd_runs: !reloader.running.vrrp.bfd.is_empty(),
                        });
                    }
                }
            }
            // keepalived's word.
            tracing::info!("Stopping");
            let _ = notifier.stopping();
            reloader.vrrp.stop();
            // The LVS side is stopped once the VRRP side has released the VIPs (below).
            reloader
        });
        if !checkers_only {
            tracing::info!(
                "Starting VRRP child process (keepalived-rs {}, one process)",
                env!("CARGO_PKG_VERSION")
            );
        }
        runtime.run().await;
        // Only now, with the VIPs released (priority-0 adverts sent, addresses removed), does
        // the LVS side remove the virtual servers. Removed while this director still holds a
        // VIP, the kernel no longer takes the connections' packets (no virtual service left)
        // and this host's own TCP stack resets them: 7 and 15 of 20 long-lived connections in
        // two runs in the VM (vm_conn_sync); without the VIP they are dropped, retransmitted,
        // and reach the new master. (The loop stops only on the signal task's request, so the
        // task has ended; should it not have, dropping it stops the LVS side too.)
        let mut shutdown_script = None;
        if let Ok(Ok(mut reloader)) =
            tokio::time::timeout(std::time::Duration::from_secs(1), signals_task).await
        {
            // The VIPs are gone: each interface's flag back to what it was (keepalived).
            reloader.promoted.restore_all();
            if let Some(tx) = &reloader.lvs {
                let _ = tx.send(lvsd::Command::Stop);
            }
            // The configuration in force at the stop says which (a reload's, if any).
            shutdown_script = reloader.running.process.shutdown.clone();
        }
        Ok::<_, std::io::Error>(shutdown_script)
    });
    // Every task of the main runtime goes with it (the snapshots' follower among them), so the
    // sync thread sees its inputs end: it stops the sync daemons it runs, and ends.
    drop(rt);
    let sync_thread = sync_thread.lock().ok().and_then(|mut t| t.take());
    if let Some(thread) = sync_thread {
        if thread.join().is_err() {
            tracing::error!("the lvs_sync_daemon thread ended abnormally");
        }
    }
    // The LVS side stops after the VRRP side (or when its sender is dropped, if the VRRP side
    // failed to start); wait for its omega, scripts and stop policy.
    let threads = std::mem::take(&mut *lvs_threads.lock().unwrap_or_else(|e| e.into_inner()));
    for thread in threads {
        if thread.join().is_err() {
            tracing::error!("the LVS side ended abnormally");
        }
    }
    // Last: the FIFOs closed (their readers get every line, STOP ones too), the alert mails
    // still queued given a few seconds.
    events.stop(events_thread);
    match result {
        Ok(shutdown_script) => {
            tracing::info!("Stopped");
            // keepalived's parent runs it once its children have stopped, and waits for it.
            if let Some(script) = shutdown_script {
                run_shutdown_script(&script);
            }
            tracing::info!("Stopped {}", version::keepalived_line());
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::from(EXIT_CANNOT_RUN)
        }
    }
}

/// Runs the shutdown script on a runtime of its own: the daemon's is gone with its tasks.
fn run_shutdown_script(script: &process_scripts::ProcessScript) {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => {
            rt.block_on(process_scripts::run(
                process_scripts::Kind::Shutdown,
                script,
            ));
        }
        Err(e) => tracing::error!("cannot run the shutdown script: {e}"),
    }
}

/// The configuration's findings in the log, each at its level: an error (one keepalived runs on
/// names the fallback it uses) as an error line, a warning as a warning.
fn log_findings(parsed: &conf_parser::Parsed, all: bool) {
    for (level, block) in parsed.report_blocks(all) {
        for line in block.lines() {
            match level {
                conf_parser::Level::Warning => tracing::warn!("{line}"),
                _ => tracing::error!("{line}"),
            }
        }
    }
}

/// The process's file creation mask: `-u`, else the configuration's `umask` (0177 unless
/// configured, as keepalived 2.2.7 runs); scripts inherit it. Pid files are 0644 whatever it is.
fn set_umask(mask: u32) {
    use nix::sys::stat::{umask, Mode};
    umask(Mode::from_bits_truncate(mask));
}

/// `-d`: the configuration as read, in the log, under keepalived's heading; the model as
/// `keepalived-rs config dump` prints it (keepalived prints its own layout of its own structs).
fn dump_configuration(config: &conf_parser::Config) {
    match serde_json::to_string_pretty(config) {
        Ok(json) => {
            tracing::info!(
                "------< Configuration (as `keepalived-rs config dump` prints it) >------"
            );
            for line in json.lines() {
                tracing::info!("{line}");
            }
        }
        Err(e) => tracing::error!("-d: cannot write the configuration out: {e}"),
    }
}
