//! Scraping a daemon's metrics from inside a namespace of the lab and parsing them with the
//! Prometheus project's Python client (`tests/data/prom_parse.py`; Debian's
//! python3-prometheus-client, which scripts/test-all installs).

use std::process::Command;

use serde_json::Value;

/// Debian's python (a pyenv shim would not see Debian's packages, and is slow in the VM).
pub const PYTHON: &str = "/usr/bin/python3";

/// Every sample: name, labels (a JSON object), value.
pub type Samples = Vec<(String, Value, f64)>;

/// Whether the parser is there; says `SKIP:` once when it is not.
pub fn have_parser(test: &str) -> bool {
    let ok = Command::new(PYTHON)
        .args(["-c", "import prometheus_client.openmetrics.parser"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!(
            "SKIP: {test}: {PYTHON} with prometheus_client (Debian's python3-prometheus-client) \
             not found; scripts/test-all installs it"
        );
    }
    ok
}

/// Scrapes `url` from inside namespace `ns` (asking for OpenMetrics as Prometheus does, when
/// `openmetrics`) and parses it with the parser its content type calls for: the content type
/// and the samples, or why not (the parser's error included).
pub fn scrape(ns: &str, url: &str, openmetrics: bool) -> Result<(String, Samples), String> {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/prom_parse.py");
    let mut c = Command::new("ip");
    c.args(["netns", "exec", ns, PYTHON])
        .arg(script)
        .args(["--url", url]);
    if openmetrics {
        c.arg("--openmetrics");
    }
    let o = c.output().map_err(|e| e.to_string())?;
    if !o.status.success() {
        return Err(String::from_utf8_lossy(&o.stderr).into_owned());
    }
    let doc: Value = serde_json::from_slice(&o.stdout).map_err(|e| e.to_string())?;
    let samples = doc["families"]
        .as_array()
        .ok_or("no families")?
        .iter()
        .flat_map(|f| f["samples"].as_array().cloned().unwrap_or_default())
        .map(|s| {
            let v = match &s[2] {
                Value::String(x) if x == "inf" => f64::INFINITY,
                v => v.as_f64().unwrap_or(f64::NAN),
            };
            (s[0].as_str().unwrap_or("").to_string(), s[1].clone(), v)
        })
        .collect();
    Ok((
        doc["content_type"].as_str().unwrap_or("").to_string(),
        samples,
    ))
}

/// The value of sample `name` with (at least) `labels`, or None.
pub fn value(s: &Samples, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    s.iter()
        .find(|(n, l, _)| n == name && labels.iter().all(|(k, v)| l[*k] == *v))
        .map(|x| x.2)
}
