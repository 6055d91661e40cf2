//! `track_file`: a file holding a number; the number times the weight adjusts the priority of
//! the instances tracking it. keepalived watches the file with inotify; this reads it once a
//! second (docs/compat.md).

use std::path::Path;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::plan::FilePlan;

/// The value keepalived reads from a track file: the leading integer (optional sign), 0 when
/// the file is missing, empty or does not start with a number.
pub fn parse_value(text: &str) -> i64 {
    let t = text.trim_start();
    let end = t
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && (c == '-' || c == '+'))))
        .map_or(t.len(), |(i, _)| i);
    t[..end].parse().unwrap_or(0)
}

pub fn read_value(path: &Path) -> i64 {
    std::fs::read_to_string(path).map_or(0, |t| parse_value(&t))
}

/// `init_file`: writes the value when the file is missing, or always with `overwrite`.
pub fn init(plan: &FilePlan) -> std::io::Result<()> {
    if let Some((value, overwrite)) = plan.init {
        if overwrite || !plan.path.exists() {
            std::fs::write(&plan.path, format!("{value}\n"))?;
        }
    }
    Ok(())
}

/// Polls the file once a second and reports value changes as `(name, value)`.
pub fn spawn(plan: FilePlan, mut last: i64, tx: mpsc::UnboundedSender<(String, i64)>) -> AbortHandle {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let v = read_value(&plan.path);
            if v != last {
                last = v;
                if tx.send((plan.name.clone(), v)).is_err() {
                    break;
                }
            }
        }
    })
    .abort_handle()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_as_keepalived_reads_them() {
        assert_eq!(parse_value("42\n"), 42);
        assert_eq!(parse_value("  -7 apples"), -7);
        assert_eq!(parse_value("+3"), 3);
        assert_eq!(parse_value(""), 0);
        assert_eq!(parse_value("x1"), 0);
        assert_eq!(read_value(Path::new("/nonexistent/krs/track")), 0);
    }

    #[test]
    fn init_file_writes_when_missing_or_overwrite() {
        let dir = std::env::temp_dir().join(format!("krs-tf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f");
        let mut plan = FilePlan {
            name: "f".into(),
            path: path.clone(),
            init: Some((5, false)),
        };
        init(&plan).unwrap();
        assert_eq!(read_value(&path), 5);
        std::fs::write(&path, "9").unwrap();
        init(&plan).unwrap();
        assert_eq!(read_value(&path), 9, "kept without overwrite");
        plan.init = Some((1, true));
        init(&plan).unwrap();
        assert_eq!(read_value(&path), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
