#!/bin/sh
# Resident memory of `keepalived-rs -C` over time with N TCP_CHECKs (delay_loop 1, nothing
# listening: every check is refused), sampled every 10 s for a minute, then the mappings holding
# more than 400 kB and the threads. Run inside the VM harness (it needs IPVS):
#
#   tests/vm/run --timeout 300 -- bench/checker-rss.sh [N] [BIN]
#
# BIN defaults to target/release/keepalived-rs. The configuration is written to /tmp (tmpfs in
# the guest).
set -eu
N=${1:-10000}
BIN=${2:-target/release/keepalived-rs}
CONF=/tmp/checker-rss.conf
{
    printf 'virtual_server 10.255.0.1 80 {\n    delay_loop 1\n    lvs_sched rr\n    lvs_method NAT\n    protocol TCP\n'
    i=0
    while [ "$i" -lt "$N" ]; do
        printf '    real_server 127.1.0.%d %d {\n        TCP_CHECK {\n            connect_timeout 1\n        }\n    }\n' \
            $((1 + i % 50)) $((20000 + i / 50))
        i=$((i + 1))
    done
    printf '}\n'
} > "$CONF"
ip netns add krs-rss
ip -n krs-rss link set lo up
ip netns exec krs-rss "$BIN" -n -C -l -f "$CONF" -p /run/krs-rss.pid -r /run/krs-rss-v.pid \
    -c /run/krs-rss-c.pid > /tmp/krs-rss.log 2>&1 &
sleep 2
P=$(cat /run/krs-rss.pid)
for t in 5 15 25 35 45 55; do
    sleep 10
    echo "== $t s: $(grep -E 'VmRSS|VmHWM|RssAnon|RssFile' /proc/"$P"/status | tr -s '\t\n' '  ')"
done
grep -E 'AnonHuge' /proc/"$P"/smaps_rollup
awk '/^[0-9a-f]+-/{r=$1" "$6} /^Rss:/{if ($2>400) print $2" kB "r}' /proc/"$P"/smaps
for t in /proc/"$P"/task/*; do cat "$t"/comm; done | sort | uniq -c
kill "$P"
sleep 3
ip netns del krs-rss
