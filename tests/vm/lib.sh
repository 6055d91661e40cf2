# Shared by the tests/vm scripts (sourced, not run).

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_REPO=$(cd "$VM_DIR/../.." && pwd -P)
# Everything the harness downloads or builds lives here (kernel, initramfs, run directories).
VM_CACHE=${KARS_VM_CACHE:-$VM_REPO/target/vm}

vm_log() { printf 'vm: %s\n' "$*" >&2; }
vm_die() { printf 'vm: error: %s\n' "$*" >&2; exit 1; }

# vm_lock FILE: hold an exclusive lock on FILE for the rest of the calling (sub)shell, so two
# harness runs (two helpers, two suites) never fill the cache at the same time.
vm_lock() {
    mkdir -p "$(dirname "$1")"
    exec 9>"$1"
    flock 9
}
