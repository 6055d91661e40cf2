//! Link options for the `keepalived-rs` binary.

fn main() {
    // Relative relocations packed (DT_RELR, glibc 2.36+: Debian 12 and later): the loader
    // reads a few kilobytes at start instead of the ~350 KiB of `.rela.dyn` a
    // position-independent binary of this size has, and those pages no longer count in the
    // daemon's resident memory (docs/benchmarks.md, "Idle cost").
    println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
}
