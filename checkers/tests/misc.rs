//! MISC_CHECK with real scripts: exit statuses, misc_dynamic weights, misc_timeout killing the
//! script's whole process group, and running as another user.

use checkers::misc::{MiscCheck, RunAs};
use checkers::{DynamicWeight, Probe, Success};
use std::time::Duration;

fn sh(script: &str) -> Vec<String> {
    vec!["/bin/sh".into(), "-c".into(), script.into()]
}

fn misc(script: &str, dynamic: bool) -> MiscCheck {
    MiscCheck::new(sh(script), Duration::from_secs(10), dynamic, RunAs::ROOT).unwrap()
}

#[tokio::test]
async fn exit_status_zero_is_up_anything_else_down() {
    assert_eq!(misc("exit 0", false).probe().await, Ok(Success::default()));
    let err = misc("exit 1", false).probe().await.unwrap_err().to_string();
    assert!(err.contains("status 1"), "{err}");
    assert!(misc("exit 7", false)
        .probe()
        .await
        .unwrap_err().to_string()
        .contains("status 7"));
}

#[tokio::test]
async fn misc_dynamic_maps_exit_status_to_weight() {
    assert_eq!(
        misc("exit 0", true).probe().await,
        Ok(Success { weight: None })
    );
    assert!(misc("exit 1", true)
        .probe()
        .await
        .unwrap_err().to_string()
        .contains("status 1"));
    assert_eq!(
        misc("exit 2", true).probe().await,
        Ok(Success {
            weight: Some(DynamicWeight::Set(0))
        })
    );
    assert_eq!(
        misc("exit 12", true).probe().await,
        Ok(Success {
            weight: Some(DynamicWeight::Set(10))
        })
    );
    assert_eq!(
        misc("exit 255", true).probe().await,
        Ok(Success {
            weight: Some(DynamicWeight::Set(253))
        })
    );
}

#[tokio::test]
async fn a_script_file_with_arguments() {
    let dir = std::env::temp_dir().join(format!("checkers-misc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("check.sh");
    std::fs::write(
        &path,
        "#!/bin/sh\n[ \"$1\" = \"a b\" ] && [ \"$2\" = up ]\n",
    )
    .unwrap();
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&path, perms).unwrap();
    let p = path.to_string_lossy().into_owned();
    let ok = MiscCheck::new(
        vec![p.clone(), "a b".into(), "up".into()],
        Duration::from_secs(10),
        false,
        RunAs::ROOT,
    )
    .unwrap();
    assert_eq!(ok.probe().await, Ok(Success::default()));
    let bad = MiscCheck::new(
        vec![p, "a b".into(), "down".into()],
        Duration::from_secs(10),
        false,
        RunAs::ROOT,
    )
    .unwrap();
    assert!(bad.probe().await.is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn misc_timeout_kills_the_script_and_its_children() {
    let dir = std::env::temp_dir().join(format!("checkers-misc-timeout-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pidfile = dir.join("child.pid");
    let script = format!("sleep 60 & echo $! > {}; wait", pidfile.display());
    let check =
        MiscCheck::new(sh(&script), Duration::from_millis(500), false, RunAs::ROOT).unwrap();
    let started = std::time::Instant::now();
    let err = check.probe().await.unwrap_err().to_string();
    assert!(err.contains("timed out"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the timeout did not stop the wait"
    );
    let child: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // The background sleep was in the script's process group: it is gone (or a zombie about to
    // be reaped by init) shortly after.
    let mut gone = false;
    for _ in 0..100 {
        let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
        if stat.is_empty() || stat.split_whitespace().nth(2) == Some("Z") {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone, "the script's child {child} survived the timeout");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_killed_script_is_a_failure() {
    let err = misc("kill -9 $$", false).probe().await.unwrap_err().to_string();
    assert!(err.contains("signal 9"), "{err}");
}

#[tokio::test]
async fn a_missing_program_is_a_failure_not_a_panic() {
    let check = MiscCheck::new(
        vec!["/nonexistent/check".into()],
        Duration::from_secs(1),
        false,
        RunAs::ROOT,
    )
    .unwrap();
    assert!(check.probe().await.unwrap_err().to_string().contains("cannot run"));
}

#[tokio::test]
async fn user_and_group_are_applied() {
    if !nix::unistd::Uid::effective().is_root() {
        return eprintln!("SKIP: user_and_group_are_applied: needs root to change user");
    }
    let Ok(Some(nobody)) = nix::unistd::User::from_name("nobody") else {
        return eprintln!("SKIP: user_and_group_are_applied: no user nobody");
    };
    let Ok(Some(group)) = nix::unistd::Group::from_name("daemon") else {
        return eprintln!("SKIP: user_and_group_are_applied: no group daemon");
    };
    // No supplementary group is left from the daemon (root's would be group 0).
    let script = format!(
        "[ \"$(id -u)\" = {} ] && [ \"$(id -g)\" = {} ] && [ \"$(id -G)\" = {} ]",
        nobody.uid, group.gid, group.gid
    );
    let run_as = RunAs {
        uid: nobody.uid.as_raw(),
        gid: group.gid.as_raw(),
    };
    let check = MiscCheck::new(sh(&script), Duration::from_secs(10), false, run_as).unwrap();
    assert_eq!(check.probe().await, Ok(Success::default()));
}

#[test]
fn bad_configurations_are_errors() {
    assert!(MiscCheck::new(vec![], Duration::from_secs(1), false, RunAs::ROOT)
        .unwrap_err().to_string()
        .contains("empty"));
    assert!(MiscCheck::new(vec![String::new()], Duration::from_secs(1), false, RunAs::ROOT).is_err());
    assert!(MiscCheck::new(sh("true"), Duration::ZERO, false, RunAs::ROOT)
        .unwrap_err().to_string()
        .contains("misc_timeout"));
}
