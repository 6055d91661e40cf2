#!/usr/bin/env bash
# Times `keepalived-rs -t -f FILE` against keepalived's own `keepalived -t -f FILE` on the same large
# generated configurations (bench/gen-config.py at 1x, 2x and 4x), with hyperfine, and prints a
# markdown table on stdout. Progress goes to stderr. A benchmark, not a test: CI does not run it.
#
#   bench/config-test.sh
#
# Environment:
#   KEEPALIVED_RS   the binary to time (default: builds and uses target/release/keepalived-rs)
#   KEEPALIVED      keepalived to compare with (default: keepalived on PATH, Debian's package)
#   SCALES          sizes to run (default "1 2 4"); N and M are gen-config.py's defaults times these
#   GEN_ARGS        more gen-config.py arguments (e.g. "-n 500 -m 100")
#   IFACE           interface for the VRRP instances (default: the default route's, else eth0)
#   RUNS            hyperfine runs per command (default: hyperfine's own choice, at least 10)
#   KEEP            set to keep the generated files and hyperfine's JSON (their folder is printed)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$(pwd)

log() { printf '== bench: %s\n' "$*" >&2; }

need_package() { # command package
    command -v "$1" >/dev/null 2>&1 && return 0
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "installing $2 (Debian package)"
        DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$2" >&2
    fi
    command -v "$1" >/dev/null 2>&1 || { log "$1 not found: install the Debian package $2"; exit 3; }
}

need_package hyperfine hyperfine
keepalived=${KEEPALIVED:-$(command -v keepalived || true)}
if [[ -z $keepalived ]]; then
    need_package keepalived keepalived
    keepalived=$(command -v keepalived)
fi

if [[ -n ${KEEPALIVED_RS:-} ]]; then
    rs=$KEEPALIVED_RS
    log "timing $rs (KEEPALIVED_RS)"
else
    log "building target/release/keepalived-rs"
    cargo build --release -p keepalived-rs >&2
    rs=$repo/target/release/keepalived-rs
fi
[[ -x $rs ]] || { log "$rs is not an executable"; exit 3; }

# keepalived -t refuses VRRP on an interface that does not exist or is a loopback.
iface=${IFACE:-$(ip -o route show default 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit }}')}
iface=${iface:-eth0}

work=$(mktemp -d)
if [[ -n ${KEEP:-} ]]; then
    log "files kept in $work"
else
    trap 'rm -rf "$work"' EXIT
fi

read -r -a scales <<<"${SCALES:-1 2 4}"
read -r -a gen_args <<<"${GEN_ARGS:-}"
hf_runs=()
[[ -n ${RUNS:-} ]] && hf_runs=(--runs "$RUNS")

for s in "${scales[@]}"; do
    conf=$work/keepalived-${s}x.conf
    python3 "$repo/bench/gen-config.py" "${gen_args[@]}" --scale "$s" --interface "$iface" -o "$conf"
    # Exit codes first: hyperfine is told to ignore them (-i) so a run that finds errors is still
    # timed, and the table shows them so such a run is not mistaken for a clean one.
    set +e
    "$keepalived" -t -f "$conf" >/dev/null 2>&1
    echo $? >"$work/ka-${s}x.rc"
    "$rs" -t -f "$conf" >/dev/null 2>&1
    echo $? >"$work/rs-${s}x.rc"
    set -e
    log "${s}x: $(wc -l <"$conf") lines; timing"
    hyperfine -N -i --warmup 2 "${hf_runs[@]}" --style basic \
        --export-json "$work/hf-${s}x.json" \
        -n keepalived "$keepalived -t -f $conf" \
        -n keepalived-rs "$rs -t -f $conf" >&2
done

python3 - "$work" "$keepalived" "$rs" "${scales[@]}" <<'PY'
import json, os, subprocess, sys

work, keepalived, rs, scales = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]

def ms(r):
    return f"{r['mean'] * 1000:.1f} ± {r['stddev'] * 1000:.1f}"

def med_min(r):
    return f"{r['median'] * 1000:.1f} / {r['min'] * 1000:.1f}"

def rc(name):
    with open(os.path.join(work, name)) as f:
        return f.read().strip()

version = subprocess.run([keepalived, "--version"], capture_output=True, text=True)
version = (version.stderr or version.stdout).splitlines()[0] if (version.stderr or version.stdout) else "keepalived"
load = os.getloadavg()[0]
print(f"`-t -f FILE` on generated configurations (bench/gen-config.py), hyperfine runs: mean ± σ, "
      f"then median / min, and the mean CPU time of a run (on a loaded machine the median, the minimum "
      f"and the CPU time are the steadier: a run waiting for a CPU does not count there); "
      f"{os.cpu_count()} CPUs, load average {load:.2f} at the end; {version}.")
print()
print("| size | lines | bytes | keepalived (ms) | keepalived-rs (ms) | keepalived-rs / keepalived "
      "| keepalived median / min | keepalived-rs median / min | ratio of medians / minima "
      "| CPU time, user + system (ka / rs) | exit codes (ka / rs) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for s in scales:
    conf = os.path.join(work, f"keepalived-{s}x.conf")
    with open(conf, "rb") as f:
        data = f.read()
    with open(os.path.join(work, f"hf-{s}x.json")) as f:
        results = {r["command"]: r for r in json.load(f)["results"]}
    ka, r = results["keepalived"], results["keepalived-rs"]
    ratio = r["mean"] / ka["mean"] if ka["mean"] else float("nan")
    speedup = lambda k: f"{ka[k] / r[k]:.1f}×" if r[k] else "-"
    cpu = lambda x: (x["user"] + x["system"]) * 1000
    lines = data.count(b"\n")
    print(f"| {s}x | {lines} | {len(data)} | {ms(ka)} | {ms(r)} | {ratio:.2f} | "
          f"{med_min(ka)} | {med_min(r)} | {speedup('median')} / {speedup('min')} | "
          f"{cpu(ka):.1f} / {cpu(r):.1f} ({cpu(ka) / cpu(r):.1f}×) | "
          f"{rc(f'ka-{s}x.rc')} / {rc(f'rs-{s}x.rc')} |")
PY
