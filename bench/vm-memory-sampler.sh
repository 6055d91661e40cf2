#!/bin/sh
# Memory of both daemons while a benchmark runs: every 5 s, for each process named
# keepalived-rs or keepalived, its /proc status, smaps, the mimalloc variables of its environment
# and its threads, into $KARS_VM_OUT/rss2/NAME-PID-tSECONDS.*; it ends when
# $KARS_VM_OUT/rss2/stop exists. Run it in the VM beside vm_bench_checker_scale:
#
#   tests/vm/run --timeout 1500 --env KARS_BENCH_N=10000 ... -- sh -c \
#     'bench/vm-memory-sampler.sh & target/debug/deps/vm_e2e-HASH --ignored --nocapture scale;
#      touch $KARS_VM_OUT/rss2/stop; wait'
#
# Then, e.g., the resident memory by mapping of one sample:
#   awk '/^[0-9a-f]+-[0-9a-f]+ /{m=$6} /^Rss:/{r[m]+=$2} END{for(k in r) print r[k], k}' FILE.smaps
out=$KARS_VM_OUT/rss2
mkdir -p "$out"
t=0
while [ ! -e "$out/stop" ]; do
    sleep 5
    t=$((t + 5))
    for name in keepalived-rs keepalived; do
        for p in $(pidof $name); do
            f=$out/$name-$p-t$t
            cat /proc/$p/status >"$f.status" 2>/dev/null
            cat /proc/$p/smaps >"$f.smaps" 2>/dev/null
            tr '\0' '\n' </proc/$p/environ 2>/dev/null | grep -e MIMALLOC -e KEEPALIVED_RS >"$f.env"
            for task in /proc/$p/task/*; do
                echo "${task##*/} $(cat $task/comm) $(cut -d' ' -f14,15 $task/stat)"
            done >"$f.tasks" 2>/dev/null
        done
    done
done
