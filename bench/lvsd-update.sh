#!/usr/bin/env bash
# The daemon's IPVS updates on a big table (issue 5), run inside the VM harness:
#
#   flock /work/vm-bench.lock tests/vm/run --timeout 1800 -- bench/lvsd-update.sh [N] [BIN] [ROUNDS]
#
# N virtual servers (default 10000) x 4 NAT real servers; in every 100th virtual server, real
# server 0 has a FILE_CHECK on one track file (weight 0: the file's 0 means up, anything else
# down); the others have no checker. The daemon (`-C -D`, checkers and IPVS only) programs the
# table, then the file flips ROUNDS times (default 10): each flip takes N/100 real servers out
# (or back in), and the daemon's debug lines show each reconcile pass (services read, read /
# plan / apply time, operations). Prints those lines; a benchmark, not a test.
set -euo pipefail
N=${1:-10000}
BIN=${2:-target/release/keepalived-rs}
ROUNDS=${3:-10}
W=$(mktemp -d)
ip link set lo up
echo 0 >"$W/f1"
python3 - "$N" "$W" <<'PY'
import sys, ipaddress
n, w = int(sys.argv[1]), sys.argv[2]
vip0, rip0 = int(ipaddress.IPv4Address("10.0.0.0")), int(ipaddress.IPv4Address("172.16.0.0"))
with open(f"{w}/k.conf", "w") as f:
    f.write(f"track_file f1 {{\n file {w}/f1\n}}\n")
    for i in range(n):
        vip = ipaddress.IPv4Address(vip0 + i)
        f.write(f"virtual_server {vip} 80 {{\n lvs_sched wrr\n lvs_method NAT\n protocol TCP\n")
        for r in range(4):
            rip = ipaddress.IPv4Address(rip0 + 4 * i + r)
            check = " FILE_CHECK {\n  track_file f1\n  weight 0\n }\n" if (r == 0 and i % 100 == 0) else ""
            f.write(f" real_server {rip} 8080 {{\n{check} }}\n")
        f.write("}\n")
PY
"$BIN" -n -l -D -C -f "$W/k.conf" -p "$W/k.pid" -c "$W/c.pid" >"$W/log" 2>&1 &
pid=$!
passes() { grep -c 'IPVS full pass\|IPVS update' "$W/log" || true; }
wait_pass() { # wait until more than $1 passes are logged, at most 60 s
    for _ in $(seq 600); do
        [[ $(passes) -gt $1 ]] && return 0
        sleep 0.1
    done
    echo "timed out waiting for a pass" >&2
    return 1
}
wait_pass 0
for k in $(seq "$ROUNDS"); do
    n=$(passes)
    echo $((k % 2)) >"$W/f1"
    wait_pass "$n"
    sleep 1.5 # the checkers read the file every second: let every one of them report
done
kill "$pid"
wait "$pid" || true
echo "N=$N virtual servers x 4; binary $BIN; $ROUNDS flips of N/100 real servers"
grep -E 'IPVS (full pass|update)|LVS:' "$W/log" | sed 's/\x1b\[[0-9;]*m//g' | tee "$W/passes"
# Sum of the update passes: count, services read, ops, and read + plan + apply (total, max).
awk '/IPVS update:/ {
    for (i = 1; i <= NF; i++) {
        if ($i == "update:") s += $(i + 1)
        if ($i == "in" || $i == "plan" || $i == "apply") { t += $(i + 1); x += $(i + 1) }
        if ($i == "op(s)" || $i == "op(s),") o += $(i - 1)
    }
    n++; if (x > m) m = x; x = 0
} END {
    printf "updates: %d passes, %d services read, %d ops, read+plan+apply %.1f ms in all, %.1f ms the longest pass\n", n, s, o, t, m
}' "$W/passes"
