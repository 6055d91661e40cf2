//! `-v`: keepalived's first line, which tools parse for the version they talk to (the
//! keepalived version whose configuration, options and signals keepalived-rs takes), then ours.
//! On stderr, as keepalived 2.2.7 prints it.

/// The keepalived release keepalived-rs stands in for.
pub const KEEPALIVED_VERSION: &str = "2.2.7";

/// `Keepalived v2.2.7 (keepalived-rs 0.1.0)`: keepalived's `Keepalived v2.2.7 (01/16,2022)` with
/// our version where keepalived puts its release date.
pub fn keepalived_line() -> String {
    format!(
        "Keepalived v{KEEPALIVED_VERSION} (keepalived-rs {})",
        env!("CARGO_PKG_VERSION")
    )
}

/// The kernel, as keepalived's `Running on Linux 6.1.0-57-amd64 #1 SMP ...`.
pub fn running_on() -> String {
    let read = |f: &str| {
        std::fs::read_to_string(format!("/proc/sys/kernel/{f}"))
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    format!(
        "Running on {} {} {}",
        read("ostype"),
        read("osrelease"),
        read("version")
    )
}

/// The whole of `-v`'s text.
pub fn text() -> String {
    format!(
        "{}\n\nkeepalived-rs {}: a drop-in replacement for keepalived {KEEPALIVED_VERSION} \
         (its keepalived.conf, options and signals); one process\n{}\n",
        keepalived_line(),
        env!("CARGO_PKG_VERSION"),
        running_on()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_line_parses_as_keepalived_s() {
        let t = text();
        let first = t.lines().next().unwrap();
        // The way tools read it: the second word, without its 'v'.
        let v = first.split_whitespace().nth(1).unwrap();
        assert_eq!(v.strip_prefix('v'), Some(KEEPALIVED_VERSION));
        assert!(first.starts_with("Keepalived v2.2.7 ("), "{first}");
        assert!(t.contains("keepalived-rs "), "{t}");
        assert!(t.contains("Running on Linux "), "{t}");
    }
}
