//! Which user and group each script runs as: keepalived 2.2.7's rule (keepalived.conf(5), and its
//! messages as measured):
//!
//! 1. the script's own `USER [GROUP]`: a notify or FIFO script's words after the command, a
//!    vrrp_script's or MISC_CHECK's `user`;
//! 2. else global_defs `script_user USER [GROUP]`;
//! 3. else the user `keepalived_script`, if it exists;
//! 4. else root: the daemon's own ids, unchanged.
//!
//! A group not given is the user's primary group. The names are looked up once, when the
//! configuration is planned (at start and on each reload), as keepalived does when it reads the
//! file: the child gets numbers, so a user deleted later changes nothing until the next reload.
//!
//! A name that cannot be looked up: keepalived leaves that script out ("Invalid user/group for
//! notify script ... - ignoring", "Unable to set default user for vrrp script ... - removing")
//! and so do we, with one log line; it is never run as root instead. The default cannot be had
//! when `script_user` names a user or group that does not exist, or, under
//! `enable_script_security`, when there is neither `script_user` nor a user `keepalived_script`:
//! then every script without a user of its own is left out.
//!
//! The lookup is asked through [`Accounts`] so that the rule is tested on a list;
//! [`SystemAccounts`] asks the machine (getpwnam/getgrnam, through nix).

use conf_parser::model::global::GlobalDefs;
use conf_parser::model::ScriptCommand;

pub use checkers::misc::RunAs;

/// The user keepalived runs scripts as when nothing else is configured.
pub const DEFAULT_USER: &str = conf_parser::host::DEFAULT_SCRIPT_USER;

/// A script to run: the program with its arguments, and who runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub command: Vec<String>,
    pub run_as: RunAs,
}

#[cfg(test)]
impl Script {
    /// A script run with the daemon's own ids.
    pub fn as_daemon(command: Vec<String>) -> Script {
        Script {
            command,
            run_as: RunAs::ROOT,
        }
    }
}

/// The users and groups of the machine, as far as the rule needs them.
pub trait Accounts {
    /// The user's uid and primary gid; `Ok(None)` when there is no such user.
    fn user(&self, name: &str) -> Result<Option<(u32, u32)>, String>;
    /// The group's gid; `Ok(None)` when there is no such group.
    fn group(&self, name: &str) -> Result<Option<u32>, String>;
}

/// This machine's users and groups.
pub struct SystemAccounts;

impl Accounts for SystemAccounts {
    fn user(&self, name: &str) -> Result<Option<(u32, u32)>, String> {
        nix::unistd::User::from_name(name)
            .map(|u| u.map(|u| (u.uid.as_raw(), u.gid.as_raw())))
            .map_err(|e| format!("looking up user {name}: {e}"))
    }

    fn group(&self, name: &str) -> Result<Option<u32>, String> {
        nix::unistd::Group::from_name(name)
            .map(|g| g.map(|g| g.gid.as_raw()))
            .map_err(|e| format!("looking up group {name}: {e}"))
    }
}

/// The ids of `user` and `group` (the user's primary group when `None`).
pub fn lookup(accounts: &dyn Accounts, user: &str, group: Option<&str>) -> Result<RunAs, String> {
    let (uid, primary) = accounts
        .user(user)?
        .ok_or_else(|| format!("script user {user} does not exist"))?;
    let gid = match group {
        None => primary,
        Some(g) => accounts
            .group(g)?
            .ok_or_else(|| format!("script group {g} does not exist"))?,
    };
    Ok(RunAs { uid, gid })
}

/// The rule for one configuration: global_defs' default, resolved once, and the lookup for the
/// scripts that name their own user.
pub struct ScriptUsers<'a> {
    accounts: &'a dyn Accounts,
    default: Result<RunAs, String>,
}

impl<'a> ScriptUsers<'a> {
    pub fn new(defs: &GlobalDefs, accounts: &'a dyn Accounts) -> ScriptUsers<'a> {
        let default = match (&defs.script_user, &defs.script_user_missing) {
            (Some(u), _) => lookup(accounts, &u.user, u.group.as_deref())
                .map_err(|e| format!("{e} (global_defs script_user)")),
            // The host checks took out a script_user naming no user: no default either.
            (None, Some(u)) => Err(format!(
                "script user {u} does not exist (global_defs script_user)"
            )),
            (None, None) => match lookup(accounts, DEFAULT_USER, None) {
                Ok(ids) => Ok(ids),
                Err(e) if defs.enable_script_security => Err(format!(
                    "{e}: with enable_script_security and no script_user, keepalived runs \
                     scripts as {DEFAULT_USER}; write 'script_user USER' in global_defs, or \
                     create the user"
                )),
                Err(_) => Ok(RunAs::ROOT),
            },
        };
        ScriptUsers { accounts, default }
    }

    /// The machine's users, for the daemon.
    pub fn system(defs: &GlobalDefs) -> ScriptUsers<'static> {
        ScriptUsers::new(defs, &SystemAccounts)
    }

    /// Who runs a script whose own user and group are these (`None`: not given).
    pub fn run_as(&self, user: Option<&str>, group: Option<&str>) -> Result<RunAs, String> {
        match user {
            Some(u) => lookup(self.accounts, u, group),
            None => self.default.clone(),
        }
    }

    /// A notify or FIFO script as it will run: `Ok(None)` when none is configured (or only a
    /// bare keyword); an error, naming where it is written, when its user cannot be had.
    pub fn script(
        &self,
        keyword: &str,
        c: &Option<ScriptCommand>,
    ) -> Result<Option<Script>, String> {
        let Some(c) = c.as_ref().filter(|c| !c.command.is_empty()) else {
            return Ok(None);
        };
        let run_as = self
            .run_as(c.user.as_deref(), c.group.as_deref())
            .map_err(|e| not_run(&c.origin.to_string(), keyword, &c.command[0], &e))?;
        Ok(Some(Script {
            command: c.command.clone(),
            run_as,
        }))
    }

    /// [`ScriptUsers::script`], a script left out becoming a line in `skipped`.
    pub fn script_or_skip(
        &self,
        keyword: &str,
        c: &Option<ScriptCommand>,
        skipped: &mut Vec<String>,
    ) -> Option<Script> {
        self.script(keyword, c).unwrap_or_else(|line| {
            skipped.push(line);
            None
        })
    }
}

/// The log line for a script left out because its user cannot be had.
pub fn not_run(origin: &str, keyword: &str, program: &str, why: &str) -> String {
    format!(
        "{origin}: {keyword} {program}: not run: {why} (keepalived leaves it out too; it is \
         never run as root instead)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use conf_parser::model::global::ScriptUser;

    /// root, nobody (65534:65534), keepalived_script (998:997) when `with_default`, and the
    /// groups root, nogroup, daemon (1).
    struct List {
        with_default: bool,
    }

    impl Accounts for List {
        fn user(&self, name: &str) -> Result<Option<(u32, u32)>, String> {
            Ok(match name {
                "root" => Some((0, 0)),
                "nobody" => Some((65534, 65534)),
                DEFAULT_USER if self.with_default => Some((998, 997)),
                "broken" => return Err("looking up user broken: EIO".into()),
                _ => None,
            })
        }
        fn group(&self, name: &str) -> Result<Option<u32>, String> {
            Ok(match name {
                "root" => Some(0),
                "nogroup" => Some(65534),
                "daemon" => Some(1),
                _ => None,
            })
        }
    }

    const WITH: List = List { with_default: true };
    const WITHOUT: List = List {
        with_default: false,
    };

    fn defs(user: Option<(&str, Option<&str>)>, security: bool) -> GlobalDefs {
        GlobalDefs {
            script_user: user.map(|(u, g)| ScriptUser {
                user: u.into(),
                group: g.map(Into::into),
            }),
            enable_script_security: security,
            ..GlobalDefs::default()
        }
    }

    fn ids(uid: u32, gid: u32) -> Result<RunAs, String> {
        Ok(RunAs { uid, gid })
    }

    #[test]
    fn the_scripts_own_user_first_with_its_primary_group_or_the_one_given() {
        let users = ScriptUsers::new(&defs(Some(("nobody", None)), false), &WITH);
        assert_eq!(users.run_as(Some("root"), None), ids(0, 0));
        assert_eq!(users.run_as(Some("nobody"), Some("daemon")), ids(65534, 1));
        assert_eq!(users.run_as(None, None), ids(65534, 65534));
    }

    #[test]
    fn script_user_then_keepalived_script_then_root() {
        let with_group = defs(Some(("nobody", Some("daemon"))), false);
        assert_eq!(
            ScriptUsers::new(&with_group, &WITH).run_as(None, None),
            ids(65534, 1)
        );
        assert_eq!(
            ScriptUsers::new(&defs(None, false), &WITH).run_as(None, None),
            ids(998, 997)
        );
        assert_eq!(
            ScriptUsers::new(&defs(None, true), &WITH).run_as(None, None),
            ids(998, 997)
        );
        assert_eq!(
            ScriptUsers::new(&defs(None, false), &WITHOUT).run_as(None, None),
            Ok(RunAs::ROOT)
        );
    }

    #[test]
    fn a_user_that_cannot_be_had_is_an_error_never_root() {
        let users = ScriptUsers::new(&defs(None, false), &WITH);
        let e = users.run_as(Some("kars-nobody"), None).unwrap_err();
        assert!(e.contains("script user kars-nobody does not exist"), "{e}");
        let e = users.run_as(Some("nobody"), Some("kars-g")).unwrap_err();
        assert!(e.contains("script group kars-g does not exist"), "{e}");
        assert!(users
            .run_as(Some("broken"), None)
            .unwrap_err()
            .contains("EIO"));
        // A missing script_user (or its group) takes every script without a user of its own.
        for d in [
            defs(Some(("kars-nobody", None)), false),
            defs(Some(("nobody", Some("kars-g"))), false),
        ] {
            let users = ScriptUsers::new(&d, &WITH);
            let e = users.run_as(None, None).unwrap_err();
            assert!(e.contains("script_user"), "{e}");
            assert_eq!(users.run_as(Some("nobody"), None), ids(65534, 65534));
        }
        // The same when the host checks took that script_user out of the model.
        let taken_out = GlobalDefs {
            script_user_missing: Some("kars-nobody".into()),
            ..defs(None, false)
        };
        let e = ScriptUsers::new(&taken_out, &WITH)
            .run_as(None, None)
            .unwrap_err();
        assert!(e.contains("script user kars-nobody does not exist"), "{e}");
        // keepalived_script is required under enable_script_security.
        let e = ScriptUsers::new(&defs(None, true), &WITHOUT)
            .run_as(None, None)
            .unwrap_err();
        assert!(e.contains("enable_script_security"), "{e}");
    }

    #[test]
    fn a_script_left_out_is_one_line_naming_where_it_is() {
        let users = ScriptUsers::new(&defs(None, false), &WITHOUT);
        let parsed = conf_parser::parse_str(
            "k.conf",
            "vrrp_instance A {\n notify_master \"/bin/m x\" kars-nobody\n notify_backup /bin/b nobody nogroup\n notify_fault /bin/f\n}\n",
            &conf_parser::Options::default(),
        );
        let i = &parsed.config.vrrp.vrrp_instance[0];
        let mut skipped = Vec::new();
        assert_eq!(
            users.script_or_skip("notify_master", &i.notify_master, &mut skipped),
            None
        );
        assert_eq!(skipped.len(), 1);
        assert!(
            skipped[0].starts_with("k.conf:2:")
                && skipped[0].contains("notify_master /bin/m: not run: script user kars-nobody"),
            "{skipped:?}"
        );
        assert_eq!(
            users.script("notify_backup", &i.notify_backup),
            Ok(Some(Script {
                command: vec!["/bin/b".into()],
                run_as: RunAs {
                    uid: 65534,
                    gid: 65534
                }
            }))
        );
        assert_eq!(
            users.script("notify_fault", &i.notify_fault),
            Ok(Some(Script::as_daemon(vec!["/bin/f".into()])))
        );
        assert_eq!(users.script("notify_stop", &i.notify_stop), Ok(None));
    }
}
