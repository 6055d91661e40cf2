//! global_defs' FIFO and mail settings as the notifier runs them, keepalived's run-time
//! defaults resolved: the router id and the HELO name default to the host's name (its canonical
//! name, as the resolver gives it, as keepalived takes it), the sender to USER@HOST.

use std::path::PathBuf;

use crate::script_user::{RunAs, ScriptUsers};
use conf_parser::model::global::Fifo as FifoKeyword;
use conf_parser::Config;
use nix::unistd::{Gid, Group, Uid, User};

use super::fifo::{Carries, FifoPlan};
use super::smtp::MailSettings;

/// Everything the notifier needs from the configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub fifos: Vec<FifoPlan>,
    /// `None` without `notification_email` or `smtp_server`: keepalived sends nothing then.
    pub mail: Option<MailSettings>,
    /// FIFO scripts left out because their user cannot be had, one line each (keepalived
    /// leaves them out too).
    pub skipped: Vec<String>,
}

/// The host's name as keepalived takes it: the canonical name the resolver gives for the node
/// name (so `lb1.example.org` where /etc/hosts says `127.0.1.1 lb1.example.org lb1`), else
/// `[unknown]` (keepalived's word for a name it cannot get).
pub fn local_name() -> String {
    let node = nix::sys::utsname::uname()
        .ok()
        .map(|u| u.nodename().to_string_lossy().into_owned());
    let Some(node) = node.filter(|n| !n.is_empty()) else {
        return "[unknown]".into();
    };
    let hints = dns_lookup::AddrInfoHints {
        flags: libc_ai_canonname(),
        ..Default::default()
    };
    match dns_lookup::getaddrinfo(Some(&node), None, Some(hints)) {
        Ok(mut it) => it
            .find_map(|a| a.ok().and_then(|a| a.canonname))
            .unwrap_or_else(|| "[unknown]".into()),
        Err(_) => "[unknown]".into(),
    }
}

/// getaddrinfo's AI_CANONNAME (2 in glibc and musl).
fn libc_ai_canonname() -> i32 {
    2
}

/// The user running the daemon, as keepalived names the default sender.
fn user_name() -> Option<String> {
    User::from_uid(Uid::current())
        .ok()
        .flatten()
        .map(|u| u.name)
}

impl Settings {
    /// The settings of a configuration; `local_name` is [`local_name`]'s answer (passed in so
    /// that it is asked once, and for tests). What cannot be had is left out, as keepalived
    /// leaves it out, one line each in `skipped`.
    pub fn from_config(config: &Config, local_name: &str) -> Settings {
        let g = &config.global.global_defs;
        let users = ScriptUsers::system(g);
        let mut fifos = Vec::new();
        let mut skipped = Vec::new();
        for (keyword, fifo, script, carries) in [
            (
                "notify_fifo",
                &g.notify_fifo,
                &g.notify_fifo_script,
                Carries::All,
            ),
            (
                "vrrp_notify_fifo",
                &g.vrrp_notify_fifo,
                &g.vrrp_notify_fifo_script,
                Carries::Vrrp,
            ),
            (
                "lvs_notify_fifo",
                &g.lvs_notify_fifo,
                &g.lvs_notify_fifo_script,
                Carries::Lvs,
            ),
        ] {
            if let Some(f) = fifo {
                // A FIFO without its own user is made for the default script user, as
                // keepalived makes it; when there is none to be had, keepalived ignores the
                // FIFO ("Failed to set default user for ... fifo ... - ignoring").
                let default_owner = match (&f.user, users.run_as(None, None)) {
                    (Some(_), _) | (None, Ok(RunAs::ROOT)) => None,
                    (None, Ok(ids)) => Some((Uid::from_raw(ids.uid), Gid::from_raw(ids.gid))),
                    (None, Err(why)) => {
                        skipped.push(format!(
                            "{keyword} {}: not made: {why} (keepalived ignores it too)",
                            f.name
                        ));
                        continue;
                    }
                };
                // A user or group of its own that does not exist: keepalived ignores that
                // FIFO ("Invalid user/group for ... fifo ... - ignoring") and runs without it.
                let owner = match fifo_owner(f) {
                    Ok(owner) => owner.or(default_owner),
                    Err(why) => {
                        skipped.push(format!(
                            "{keyword} {}: not made: {why} (keepalived ignores it too)",
                            f.name
                        ));
                        continue;
                    }
                };
                let script =
                    users.script_or_skip(&format!("{keyword}_script"), script, &mut skipped);
                fifos.push(FifoPlan {
                    keyword,
                    path: PathBuf::from(&f.name),
                    owner,
                    script,
                    carries,
                });
            }
        }
        let known = local_name != "[unknown]";
        let router_id = g
            .router_id
            .clone()
            .unwrap_or_else(|| local_name.to_string());
        let mail = match &g.smtp_server {
            Some(server) if !g.notification_email.is_empty() => Some(MailSettings {
                host: server.host.clone(),
                port: server.port,
                // keepalived says "localhost" when it cannot get the host's name.
                helo: g.smtp_helo_name.clone().unwrap_or_else(|| {
                    if known {
                        local_name.into()
                    } else {
                        "localhost".into()
                    }
                }),
                from: match &g.notification_email_from {
                    Some(f) => f.clone(),
                    None => format!(
                        "{}@{local_name}",
                        user_name().unwrap_or_else(|| "root".into())
                    ),
                },
                to: g.notification_email.clone(),
                timeout: g.smtp_connect_timeout.0,
                router_id,
            }),
            _ => None,
        };
        Settings {
            fifos,
            mail,
            skipped,
        }
    }
}

/// The uid and gid a FIFO's own `USER [GROUP]` name (the group defaults to the user's), or why
/// they cannot be had, in keepalived's words.
fn fifo_owner(f: &FifoKeyword) -> Result<Option<(Uid, Gid)>, String> {
    let Some(u) = &f.user else {
        return Ok(None);
    };
    let user = User::from_name(u)
        .map_err(|e| format!("script user {u}: {e}"))?
        .ok_or_else(|| format!("script user {u} does not exist"))?;
    let gid = match &f.group {
        None => user.gid,
        Some(g) => {
            Group::from_name(g)
                .map_err(|e| format!("script group {g}: {e}"))?
                .ok_or_else(|| format!("script group {g} does not exist"))?
                .gid
        }
    };
    Ok(Some((user.uid, gid)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// `smtp_connect_timeout`'s default.
    const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

    fn settings(text: &str) -> Settings {
        let p = conf_parser::parse_str("t.conf", text, &conf_parser::Options::default());
        assert!(p.is_ok(), "{}", p.render_diagnostics());
        Settings::from_config(&p.config, "lb1.example.org")
    }

    #[test]
    fn mail_needs_addresses_and_a_server_and_defaults_to_the_host_s_name() {
        assert_eq!(
            settings("global_defs {\n smtp_server 127.0.0.1\n}\n").mail,
            None
        );
        assert_eq!(
            settings("global_defs {\n notification_email {\n a@b\n }\n}\n").mail,
            None
        );
        let m = settings(
            "global_defs {\n notification_email {\n a@b\n c@d\n }\n smtp_server 192.0.2.1 2525\n}\n",
        )
        .mail
        .unwrap();
        assert_eq!(m.helo, "lb1.example.org");
        assert_eq!(m.router_id, "lb1.example.org");
        assert!(m.from.ends_with("@lb1.example.org"), "{}", m.from);
        assert_eq!(m.to, ["a@b", "c@d"]);
        assert_eq!((m.host.as_str(), m.port), ("192.0.2.1", 2525));
        assert_eq!(m.timeout, DEFAULT_TIMEOUT);
        let m = settings(
            "global_defs {\n router_id r1\n notification_email {\n a@b\n }\n notification_email_from k@x\n smtp_server 192.0.2.1\n smtp_helo_name h.x\n smtp_connect_timeout 3\n}\n",
        )
        .mail
        .unwrap();
        assert_eq!(
            (
                m.router_id.as_str(),
                m.from.as_str(),
                m.helo.as_str(),
                m.port,
                m.timeout
            ),
            ("r1", "k@x", "h.x", 25, Duration::from_secs(3))
        );
    }

    #[test]
    fn fifos_with_their_owner_and_script() {
        let s = settings(
            "global_defs {\n notify_fifo /run/a nobody\n vrrp_notify_fifo /run/b root nogroup\n lvs_notify_fifo /run/c\n lvs_notify_fifo_script \"/bin/reader x\" nobody nogroup\n vrrp_notify_fifo_script /bin/r kars-no-such-user\n}\n",
        );
        let nobody = User::from_name("nobody").unwrap().unwrap();
        let nogroup = Group::from_name("nogroup").unwrap().unwrap();
        assert_eq!(s.fifos.len(), 3);
        assert_eq!(s.fifos[0].owner, Some((nobody.uid, nobody.gid)));
        assert_eq!(s.fifos[0].carries, Carries::All);
        assert_eq!(s.fifos[1].owner, Some((Uid::from_raw(0), nogroup.gid)));
        // The script's own user and group, looked up when planned.
        assert_eq!(
            s.fifos[2].script,
            Some(crate::script_user::Script {
                command: vec!["/bin/reader".into(), "x".into()],
                run_as: crate::script_user::RunAs {
                    uid: nobody.uid.as_raw(),
                    gid: nogroup.gid.as_raw()
                }
            })
        );
        // A user that cannot be had: the script is left out (one line), never run as root.
        assert_eq!(s.fifos[1].script, None);
        assert_eq!(s.skipped.len(), 1, "{:?}", s.skipped);
        assert!(
            s.skipped[0].contains("vrrp_notify_fifo_script /bin/r: not run: script user kars-no-such-user does not exist"),
            "{:?}",
            s.skipped
        );
        assert_eq!(s.fifos[2].carries, Carries::Lvs);
    }

    /// A FIFO whose own user or group does not exist is left out (one line each), the others
    /// made, as keepalived 2.2.7 ignores just that FIFO and runs.
    #[test]
    fn a_fifo_whose_user_does_not_exist_is_left_out() {
        let s = settings(
            "global_defs {\n notify_fifo /run/a kars-no-such-user\n vrrp_notify_fifo /run/b root kars-no-such-group\n lvs_notify_fifo /run/c nobody\n lvs_notify_fifo_script /bin/r\n}\n",
        );
        assert_eq!(s.fifos.len(), 1);
        assert_eq!(s.fifos[0].keyword, "lvs_notify_fifo");
        assert_eq!(
            s.skipped,
            [
                "notify_fifo /run/a: not made: script user kars-no-such-user does not exist (keepalived ignores it too)",
                "vrrp_notify_fifo /run/b: not made: script group kars-no-such-group does not exist (keepalived ignores it too)",
            ]
        );
    }

    #[test]
    fn a_fifo_without_a_user_is_the_default_script_users() {
        let s = settings(
            "global_defs {\n script_user daemon\n notify_fifo /run/a\n vrrp_notify_fifo /run/b nobody\n}\n",
        );
        let daemon = User::from_name("daemon").unwrap().unwrap();
        let nobody = User::from_name("nobody").unwrap().unwrap();
        assert_eq!(s.fifos[0].owner, Some((daemon.uid, daemon.gid)));
        assert_eq!(s.fifos[1].owner, Some((nobody.uid, nobody.gid)));
        // No default to be had: keepalived ignores the FIFO, and so do we (one line).
        let s = settings(
            "global_defs {\n script_user kars-no-such-user\n notify_fifo /run/a\n vrrp_notify_fifo /run/b nobody\n}\n",
        );
        assert_eq!(s.fifos.len(), 1);
        assert_eq!(s.fifos[0].keyword, "vrrp_notify_fifo");
        assert!(
            s.skipped.len() == 1
                && s.skipped[0].starts_with(
                    "notify_fifo /run/a: not made: script user kars-no-such-user does not exist"
                ),
            "{:?}",
            s.skipped
        );
    }
}
