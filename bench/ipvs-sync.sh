#!/usr/bin/env bash
# IPVS programming benchmark (issue 5), run inside the VM harness:
#
#   tests/vm/run --timeout 1800 -- bench/ipvs-sync.sh [N] [BIN]
#
# N virtual servers (default 10000) x 4 real servers (NAT), programmed from empty by
#   1. keepalived-rs ipvs sync -f FILE   (netlink, pipelined)
#   2. ipvsadm -R < the same table      (ipvsadm's restore)
#   3. keepalived -f FILE (Debian's)     (time until the last real server is in the table)
# then a 1% change (N/100 real servers get a new weight) reconciled by keepalived-rs. Each step
# starts from a flushed table. Results on stdout (and in $KARS_VM_OUT/ipvs-bench.txt when set).
set -euo pipefail
N=${1:-10000}
BIN=${2:-target/release/keepalived-rs}
[[ -x $BIN ]] || BIN=target/debug/keepalived-rs
W=$(mktemp -d)
ip link set lo up
now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
python3 - "$N" "$W" <<'PY'
import sys, ipaddress
n, w = int(sys.argv[1]), sys.argv[2]
vip0, rip0 = int(ipaddress.IPv4Address("10.0.0.0")), int(ipaddress.IPv4Address("172.16.0.0"))
def conf(path, changed):
    with open(path, "w") as f:
        for i in range(n):
            vip = ipaddress.IPv4Address(vip0 + i)
            f.write(f"virtual_server {vip} 80 {{\n lvs_sched wrr\n lvs_method NAT\n protocol TCP\n")
            for r in range(4):
                rip = ipaddress.IPv4Address(rip0 + 4 * i + r)
                wt = 2 if (changed and r == 0 and i % 100 == 0) else 1
                f.write(f" real_server {rip} 8080 {{\n  weight {wt}\n }}\n")
            f.write("}\n")
conf(f"{w}/k.conf", False)
conf(f"{w}/k1.conf", True)
with open(f"{w}/restore", "w") as f:
    for i in range(n):
        vip = ipaddress.IPv4Address(vip0 + i)
        f.write(f"-A -t {vip}:80 -s wrr\n")
        for r in range(4):
            f.write(f"-a -t {vip}:80 -r {ipaddress.IPv4Address(rip0 + 4 * i + r)}:8080 -m -w 1\n")
PY
out=${KARS_VM_OUT:-$W}/ipvs-bench.txt
: >"$out"
say() { echo "$*" | tee -a "$out"; }
count() { ipvsadm -Ln | grep -c -- '->' || true; }
say "N=$N services x 4 real servers; binary $BIN"

ipvsadm -C
t0=$(now); "$BIN" ipvs sync --timings -f "$W/k.conf" >/dev/null 2>"$W/t1"; t1=$(now)
say "keepalived-rs ipvs sync from empty: $(ms "$t0" "$t1") ms ($(cat "$W/t1"))"
say "  entries: $(count) (expect $((4 * N + 1)): the title line counts)"
t0=$(now); "$BIN" ipvs sync --timings -f "$W/k.conf" >/dev/null 2>"$W/t2"; t1=$(now)
say "keepalived-rs ipvs sync, nothing to do: $(ms "$t0" "$t1") ms ($(cat "$W/t2"))"
t0=$(now); "$BIN" ipvs sync --timings -f "$W/k1.conf" >"$W/o3" 2>"$W/t3"; t1=$(now)
say "keepalived-rs ipvs sync, 1% change: $(ms "$t0" "$t1") ms ($(cat "$W/t3")); $(tail -1 "$W/o3")"

ipvsadm -C
t0=$(now); ipvsadm -R <"$W/restore"; t1=$(now)
say "ipvsadm -R from empty: $(ms "$t0" "$t1") ms"
say "  entries: $(count)"

if [[ -x /usr/sbin/keepalived ]]; then
    ipvsadm -C
    t0=$(now)
    /usr/sbin/keepalived -n -C -G -f "$W/k.conf" -p "$W/k.pid" -c "$W/c.pid" >/dev/null 2>&1 &
    kpid=$!
    want=$((4 * N))
    while true; do
        c=$(ipvsadm -Ln | grep -c -- '->' || true)
        [[ $c -ge $((want + 1)) ]] && break
        (( $(now) - t0 > 900000000000 )) && { say "keepalived: timed out at $c entries"; break; }
        sleep 0.2
    done
    t1=$(now)
    say "keepalived from start to $c entries: $(ms "$t0" "$t1") ms (polled every 0.2 s + one ipvsadm -Ln)"
    kill -9 "$kpid" 2>/dev/null || true; pkill -9 -P "$kpid" 2>/dev/null || true
    wait "$kpid" 2>/dev/null || true
fi
