#!/usr/bin/env bash
# Fuzzes the configuration parser with libFuzzer through cargo-fuzz for SECONDS (default 600), on
# the stable toolchain, then lists what it found. See fuzz/README.md.
#
#   fuzz/run.sh [SECONDS]
#
# Environment: KEEPALIVED_SAMPLES (seed configurations; default /work/shared/keepalived-samples),
# FUZZ_JOBS (parallel fuzzing processes; default 1), FUZZ_TIMEOUT (seconds one input may take before
# it counts as a hang; default 10), FUZZ_RSS_MB (memory limit per process; default 2048).
set -euo pipefail

seconds=${1:-600}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
samples=${KEEPALIVED_SAMPLES:-/work/shared/keepalived-samples}
jobs=${FUZZ_JOBS:-1}
timeout=${FUZZ_TIMEOUT:-10}
rss_mb=${FUZZ_RSS_MB:-2048}
target=parse
triple=$(rustc -vV | sed -n 's/^host: //p')

# cargo-fuzz passes -Z flags to rustc (libFuzzer's coverage instrumentation); on a stable toolchain
# RUSTC_BOOTSTRAP=1 lets it. Without a sanitizer (-s none): the parser is safe Rust, so ASan would
# only cost speed; panics, overflows (debug assertions are on), hangs and OOMs are what we look for.
export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz from crates.io" >&2
    cargo install cargo-fuzz --locked
fi

cd "$here"
echo "== building fuzz target '$target'" >&2
cargo fuzz build -s none "$target"
bin="$here/target/$triple/release/$target"

# The seed corpus is made at run time and never committed: the samples are keepalived's (GPL).
corpus="$here/corpus/$target"
artifacts="$here/artifacts/$target"
mkdir -p "$corpus" "$artifacts"
if [[ -d "$samples" ]]; then
    n=0
    while IFS= read -r -d '' f; do
        cp "$f" "$corpus/seed-$(sha1sum <"$f" | cut -c1-16)"
        n=$((n + 1))
    done < <(find "$samples" -type f ! -name 'SOURCE.txt' -print0)
    echo "== seeded $n files from $samples" >&2
else
    echo "== no samples at $samples; seeding from the bench generator only" >&2
fi
if [[ -x "$repo/bench/gen-config.py" ]] || [[ -f "$repo/bench/gen-config.py" ]]; then
    python3 "$repo/bench/gen-config.py" --virtual-servers 2 --vrrp-instances 2 >"$corpus/seed-generated-small"
fi
# Syntax the samples lack, one feature a file, so the fuzzer starts from each.
printf '$X=10.0.0.1\nvirtual_ipaddress {\n  ${X}/24\n}\n' >"$corpus/seed-param"
printf '$M=a \\\n b \\\n c\nvrrp_instance V {\n$M\n}\n' >"$corpus/seed-multiline"
printf '~SEQ(i, 1, 2, 9) real_server 10.0.0.$i 80 { weight $i }\n' >"$corpus/seed-seq"
printf '~LST({n, p}, {a, 1}, {b, 2}) vrrp_instance $n { priority $p }\n' >"$corpus/seed-lst"
printf '@fuzz router_id a\n@^fuzz router_id b\nrouter_id "q \\x41 \\101"\n' >"$corpus/seed-cond"

dict="$here/target/$target.dict"
cp "$here/$target.dict" "$dict"
keywords=$(dirname "$samples")/notes/keepalived-keywords.txt
if [[ -f "$keywords" ]]; then
    grep -v '^#' "$keywords" | grep -v '^$' | sed 's/.*/"&"/' >>"$dict"
fi

# The target parses arbitrary text, includes and all. It runs in an empty directory with stdin
# closed, so a relative `include` the fuzzer invents finds nothing and `include /dev/stdin` ends.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
log="$here/artifacts/$target.log"
echo "== fuzzing for ${seconds}s (jobs=$jobs, timeout=${timeout}s, rss=${rss_mb}MB); log: $log" >&2
start=$(date +%s)
set +e
(cd "$scratch" && "$bin" "$corpus" \
    -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb="$rss_mb" -malloc_limit_mb="$rss_mb" \
    -max_len=8192 -dict="$dict" -artifact_prefix="$artifacts/" -print_final_stats=1 \
    </dev/null >"$log" 2>&1)
status=$?
set -e
elapsed=$(($(date +%s) - start))

# In fork mode each status line reads "#EXECS: cov: .. ft: .. corp: .. exec/s: .. oom/timeout/crash: O/T/C time: Ns ...".
last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1 || true)
echo
echo "fuzz target:  $target"
echo "exit status:  $status"
echo "wall time:    ${elapsed}s"
echo "last status:  ${last:-none (see $log)}"
echo "corpus:       $(find "$corpus" -type f | wc -l) inputs"
echo "artifacts:    $artifacts"
found=0
for a in "$artifacts"/*; do
    [[ -f "$a" ]] || continue
    found=$((found + 1))
    # Replays each one once to show why it failed (a panic message, or the timeout).
    why=$( (cd "$scratch" && timeout $((timeout * 3)) "$bin" -runs=1 -timeout="$timeout" -rss_limit_mb="$rss_mb" "$a" </dev/null 2>&1) \
        | grep -E -A1 "panicked at|ERROR: libFuzzer: (timeout|out-of-memory)" | head -2 | tr '\n' ' ' || true)
    printf '  %s (%s bytes): %s\n' "$(basename "$a")" "$(wc -c <"$a")" "${why:-replay did not fail within $((timeout * 3))s}"
done
echo "findings:     $found"
[[ $found -eq 0 ]]
