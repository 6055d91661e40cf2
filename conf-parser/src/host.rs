//! The checks keepalived's `-t` makes against the machine it runs on, not just the file: the
//! interfaces the configuration names, the scripts it would run, the users it would run them as.
//! The logic is pure: what the machine has is asked through [`Host`], which the daemon
//! implements on the real system and tests implement on a list.
//!
//! What keepalived 2.2.7 does, measured with `keepalived -t -l -f FILE` (in a network namespace
//! with only `eth0`):
//! - a missing interface (an instance's, a tracked one, an address's or a route's `dev`, a
//!   garp_group's, a linkbeat interface, one of interface_up_down_delays) fails the test,
//!   unless `dynamic_interfaces` is set (linkbeat and up/down delay interfaces fail it with 4;
//!   we report them like the others);
//! - any script it would run whose program exists (a path, or a name found on PATH), with
//!   `enable_script_security` not set, is a "SECURITY VIOLATION": exit 6, even over other
//!   errors, except that a missing VRRP interface ends the VRRP side's checks before its
//!   scripts are looked at; a notify or MISC_CHECK program that does not exist is passed over
//!   in silence, a vrrp_script's is reported ("Disabling track script");
//! - with `enable_script_security` and no `script_user`, scripts run as `keepalived_script`,
//!   and a missing user of that name fails the test; a `script_user` that does not exist
//!   fails it too, and ends the checks before the script-security one.
//!
//! And what its daemon (started without `-t`) does, measured the same way
//! (daemon/tests/netns_start_verdict.rs), which [`check`] applies to the model so that ours
//! runs the same: it does not start without an interface the file names (but a linkbeat
//! interface or an interface_up_down_delays line, which it drops); it drops a vrrp_script whose program does not exist (the
//! instances run as if they did not track it) and a notify (VRRP or LVS: notify_up/down,
//! quorum_up/down), FIFO, startup or shutdown script whose program does not exist ("Script
//! PATH cannot be accessed - No such file or directory"; its `-t` says nothing), and a
//! MISC_CHECK whose program does not exist ("Disabling misc script ... since not
//! found/accessible": its real server has one check less, none left keeps it in; measured in
//! the VM, daemon/tests/vm_wording.rs); when it cannot set the user scripts run as (a `script_user` that
//! does not exist, or `enable_script_security` without `script_user` and no user
//! `keepalived_script`), it drops the VRRP side's and the startup and shutdown scripts that
//! name no user of their own (and the others without one: the
//! FIFO scripts and a FIFO without a user, measured; the LVS side's, by its source; those the
//! daemon's plan leaves out, daemon/src/script_user.rs, told by `script_user_missing`).
//! Scripts without `enable_script_security` run, but one its user cannot execute, which it
//! drops ("is not executable ... - disabling"). With it, a script that would run as root from
//! a file or directory another user can write is dropped (`crate::script_security`): a
//! vrrp_script with its tracking (its `-t` fails), a MISC_CHECK from its real server, a notify
//! script (its `-t` passes those).

use crate::diag::Diagnostics;
use crate::model::{Config, ScriptCommand};
pub use crate::script_security::{FileKind, FileStat};
use crate::source::Span;

/// What the machine has, as far as the checks need to know.
pub trait Host {
    fn has_interface(&self, name: &str) -> bool;
    fn has_user(&self, name: &str) -> bool;
    fn has_group(&self, name: &str) -> bool;
    /// Whether `program` exists: a path (with a `/`), or a name found on PATH.
    fn has_program(&self, program: &str) -> bool;
    /// A user's uid and primary gid.
    fn user_ids(&self, name: &str) -> Option<(u32, u32)>;
    fn group_id(&self, name: &str) -> Option<u32>;
    /// `program`'s canonical path (a name without `/` found on PATH first), symbolic links
    /// resolved; `None` when it cannot be had.
    fn real_path(&self, program: &str) -> Option<String>;
    /// lstat(2) of `path` (a symbolic link is not followed).
    fn lstat(&self, path: &str) -> Option<FileStat>;
    /// The text of /etc/iproute2/`name` (`rt_tables`, ...; `crate::iproute2`), `None` when it
    /// cannot be read.
    fn iproute2_file(&self, _name: &str) -> Option<String> {
        None
    }
    /// The routing table of VRF device `name` (a route's `vrf NAME`).
    fn vrf_table(&self, _name: &str) -> VrfTable {
        VrfTable::Missing
    }
}

/// What a route's `vrf NAME` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VrfTable {
    /// A VRF device, and its table.
    Table(u32),
    /// A device of another kind.
    NotVrf,
    /// No such device.
    Missing,
}

/// The user keepalived runs scripts as under `enable_script_security` without `script_user`.
pub const DEFAULT_SCRIPT_USER: &str = "keepalived_script";

/// Which process of keepalived reads a setting: it decides whether a missing interface hides
/// the script-security finding, and which scripts its daemon drops.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    /// The parent: the startup and shutdown scripts.
    Parent,
    Vrrp,
    Lvs,
}

/// What keepalived's daemon drops a script for, besides a file it would not run
/// ([`check_files`], every script).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Drops {
    /// A program that does not exist (the FIFO scripts, the LVS side's notify and quorum
    /// scripts, a MISC_CHECK's: "Disabling misc script ... since not found/accessible", its
    /// real server then has no check and stays in; those without a user to be had the
    /// daemon's plans leave out).
    Missing,
    /// That, and no user to run it as (vrrp_scripts, the VRRP side's notify scripts, the
    /// startup and shutdown scripts).
    MissingOrUserless,
}

/// A program the configuration would run.
struct Script<'c> {
    span: Span,
    /// The keyword that names it (`notify_master`, `MISC_CHECK`, `vrrp_script chk`, ...).
    what: String,
    program: std::borrow::Cow<'c, str>,
    side: Side,
    /// A vrrp_script: keepalived reports one whose program is missing.
    tracked: bool,
    /// What keepalived's daemon was measured to drop it for (see the module's comment).
    drops: Drops,
    /// The user (and group) it names to run as.
    user: Option<&'c str>,
    group: Option<&'c str>,
}

/// Runs the checks; findings go to `diags`. What keepalived's daemon drops (see above) is
/// dropped from `config`.
pub fn check(config: &mut Config, host: &dyn Host, diags: &mut Diagnostics) {
    let vrrp_interface_missing = check_interfaces(config, host, diags);
    if !config.global.global_defs.dynamic_interfaces {
        config
            .global
            .linkbeat_interfaces
            .retain(|l| host.has_interface(&l.interface));
        config
            .global
            .interface_up_down_delays
            .retain(|d| host.has_interface(&d.interface));
    }
    let dropped = check_scripts(config, host, vrrp_interface_missing, diags);
    drop_scripts(config, &dropped);
    // keepalived cannot use a script_user that does not exist ("Error setting global script
    // uid/gid"): it has no default user for scripts.
    let defs = &mut config.global.global_defs;
    if defs
        .script_user
        .as_ref()
        .is_some_and(|u| !host.has_user(&u.user))
    {
        defs.script_user_missing = defs.script_user.take().map(|u| u.user);
    }
    route_names::resolve(config, host, diags);
}

/// Reports each interface that does not exist; returns whether a VRRP one is missing.
fn check_interfaces(config: &Config, host: &dyn Host, diags: &mut Diagnostics) -> bool {
    let defs = &config.global.global_defs;
    if defs.dynamic_interfaces {
        return false;
    }
    let mut missing = false;
    let mut report = |span: Span, name: &str, what: String, diags: &mut Diagnostics| {
        if host.has_interface(name) {
            return;
        }
        missing = true;
        diags
            .warning(
                span,
                format!("interface {name} {what} does not exist on this host"),
            )
            .with_help(
                "keepalived refuses to start without it; create it, or set dynamic_interfaces \
                 in global_defs to wait for it",
            )
            .daemon_stops();
    };
    let vrrp = &config.vrrp;
    let addresses = vrrp
        .static_ipaddress
        .iter()
        .chain(vrrp.vrrp_instance.iter().flat_map(|i| {
            i.virtual_ipaddress
                .iter()
                .chain(&i.virtual_ipaddress_excluded)
        }));
    let routes = vrrp
        .static_routes
        .iter()
        .chain(vrrp.vrrp_instance.iter().flat_map(|i| &i.virtual_routes));
    for i in &vrrp.vrrp_instance {
        if let Some(name) = &i.interface {
            let span = i.written.get("interface").unwrap_or(i.origin.span);
            report(span, name, format!("of vrrp_instance {}", i.name), diags);
        }
        for t in &i.track_interface {
            report(
                t.origin.span,
                &t.name,
                format!("tracked by vrrp_instance {}", i.name),
                diags,
            );
        }
    }
    for g in &vrrp.vrrp_sync_group {
        for t in &g.track_interface {
            report(
                t.origin.span,
                &t.name,
                format!("tracked by vrrp_sync_group {}", g.name),
                diags,
            );
        }
    }
    for a in addresses {
        if let Some(dev) = &a.dev {
            report(
                a.origin.span,
                dev,
                format!("for address {}", a.address.addr),
                diags,
            );
        }
    }
    for r in routes {
        let devs = r
            .dev
            .iter()
            .chain(r.nexthop.iter().filter_map(|n| n.dev.as_ref()));
        for dev in devs {
            report(r.origin.span, dev, "for a route".into(), diags);
        }
    }
    for g in &vrrp.garp_group {
        for name in g.interface.iter().chain(&g.interfaces) {
            report(g.origin.span, name, "of garp_group".into(), diags);
        }
    }
    // keepalived runs without it ("unknown interface kars9 specified for linkbeat interface").
    for l in config
        .global
        .linkbeat_interfaces
        .iter()
        .filter(|l| !host.has_interface(&l.interface))
    {
        missing = true;
        diags
            .warning(
                l.origin.span,
                format!(
                    "interface {} of linkbeat_interfaces does not exist on this host; it is \
                     ignored",
                    l.interface
                ),
            )
            .with_help("create it, or set dynamic_interfaces in global_defs to wait for it");
    }
    // keepalived runs without the line ("unknown interface eth9 specified for up/down delay";
    // its -t exits 4).
    for d in config
        .global
        .interface_up_down_delays
        .iter()
        .filter(|d| !host.has_interface(&d.interface))
    {
        diags
            .warning(
                d.origin.span,
                format!(
                    "interface {} of interface_up_down_delays does not exist on this host; its \
                     delays are ignored",
                    d.interface
                ),
            )
            .with_help("create it, or set dynamic_interfaces in global_defs to keep the line");
    }
    missing
}

/// The scripts keepalived's daemon drops, by where they are written.
#[derive(Default)]
struct Dropped {
    /// The spans of the scripts dropped (notify scripts: their keyword; vrrp_scripts: their
    /// block).
    spans: Vec<Span>,
}

/// Drops the scripts in `dropped` from the model, and the tracking of a dropped vrrp_script.
fn drop_scripts(config: &mut Config, dropped: &Dropped) {
    if dropped.spans.is_empty() {
        return;
    }
    let gone = |c: &Option<ScriptCommand>| {
        c.as_ref()
            .is_some_and(|c| dropped.spans.contains(&c.origin.span))
    };
    let clear = |c: &mut Option<ScriptCommand>| {
        if gone(c) {
            *c = None;
        }
    };
    let vrrp = &mut config.vrrp;
    let scripts: Vec<String> = vrrp
        .vrrp_script
        .iter()
        .filter(|s| dropped.spans.contains(&s.origin.span))
        .map(|s| s.name.clone())
        .collect();
    vrrp.vrrp_script.retain(|s| !scripts.contains(&s.name));
    for i in &mut vrrp.vrrp_instance {
        for c in [
            &mut i.notify_master,
            &mut i.notify_backup,
            &mut i.notify_fault,
            &mut i.notify_stop,
            &mut i.notify_deleted,
            &mut i.notify,
            &mut i.notify_master_rx_lower_pri,
        ] {
            clear(c);
        }
        i.track_script.retain(|t| !scripts.contains(&t.name));
    }
    for g in &mut vrrp.vrrp_sync_group {
        for c in [
            &mut g.notify_master,
            &mut g.notify_backup,
            &mut g.notify_fault,
            &mut g.notify_stop,
            &mut g.notify,
        ] {
            clear(c);
        }
        g.track_script.retain(|t| !scripts.contains(&t.name));
    }
    let defs = &mut config.global.global_defs;
    for c in [
        &mut defs.startup_script,
        &mut defs.shutdown_script,
        &mut defs.notify_fifo_script,
        &mut defs.vrrp_notify_fifo_script,
        &mut defs.lvs_notify_fifo_script,
    ] {
        clear(c);
    }
    for vs in &mut config.lvs.virtual_server {
        clear(&mut vs.quorum_up);
        clear(&mut vs.quorum_down);
        for rs in &mut vs.real_server {
            clear(&mut rs.notify_up);
            clear(&mut rs.notify_down);
            rs.checkers.retain(|c| match c {
                crate::model::lvs::Checker::Misc(m) => {
                    !dropped.spans.contains(&m.common.origin.span)
                }
                _ => true,
            });
        }
    }
}

/// Reports what the scripts need of the host; returns the scripts keepalived's daemon drops.
fn check_scripts(
    config: &Config,
    host: &dyn Host,
    vrrp_interface_missing: bool,
    diags: &mut Diagnostics,
) -> Dropped {
    let scripts = scripts(config);
    let defs = &config.global.global_defs;
    let mut dropped = Dropped::default();
    for s in &scripts {
        if host.has_program(&s.program) {
            continue;
        }
        dropped.spans.push(s.span);
        if s.tracked {
            diags
                .warning(
                    s.span,
                    format!(
                        "{}: program '{}' does not exist on this host",
                        s.what, s.program
                    ),
                )
                .with_help(
                    "keepalived disables the script: the instances run as if they did not track it",
                );
        } else {
            // keepalived's -t and daemon say nothing.
            diags
                .warning(
                    s.span,
                    format!(
                        "{}: program '{}' does not exist on this host; keepalived does not run it",
                        s.what, s.program
                    ),
                )
                .keepalived_passes();
        }
    }
    // Without a user to run them as, keepalived drops the VRRP side's scripts that name no user
    // of their own ("Failed to set default user for notify script ... - ignoring").
    let drop_userless = |dropped: &mut Dropped| {
        for s in scripts
            .iter()
            .filter(|s| s.drops == Drops::MissingOrUserless && s.user.is_none())
        {
            if !dropped.spans.contains(&s.span) {
                dropped.spans.push(s.span);
            }
        }
    };
    let mut bad_user = false;
    if let Some(u) = &defs.script_user {
        let span = defs.origin.as_ref().map(|o| o.span);
        bad_user = !host.has_user(&u.user);
        if bad_user {
            diags
                .push(
                    crate::Level::Warning,
                    span,
                    format!("script_user {}: no such user on this host", u.user),
                )
                .with_help(
                    "keepalived then drops the notify scripts and vrrp_scripts that name no user \
                     of their own; so does keepalived-rs",
                );
            drop_userless(&mut dropped);
        }
        if let Some(g) = u.group.as_deref().filter(|g| !host.has_group(g)) {
            diags.push(
                crate::Level::Warning,
                span,
                format!("script_user {} {g}: no such group on this host", u.user),
            );
        }
    }
    if defs.enable_script_security {
        if let Some(first) = scripts.first() {
            if defs.script_user.is_none() && !host.has_user(DEFAULT_SCRIPT_USER) {
                diags
                    .warning(
                        first.span,
                        format!(
                            "with enable_script_security and no script_user, keepalived runs \
                             {} as user {DEFAULT_SCRIPT_USER}, who does not exist on this host",
                            first.what
                        ),
                    )
                    .with_help(
                        "write 'script_user USER' in global_defs, or create the user; meanwhile \
                         keepalived drops the notify scripts and vrrp_scripts that name no user \
                         of their own, and so does keepalived-rs",
                    );
                drop_userless(&mut dropped);
            }
        }
        check_files(&scripts, defs, host, true, &mut dropped, diags);
        return dropped;
    }
    check_files(&scripts, defs, host, false, &mut dropped, diags);
    if bad_user {
        // keepalived's -t stops there ("Error setting global script uid/gid"), exit 5.
        return dropped;
    }
    let runs = scripts.iter().find(|s| {
        !(s.side == Side::Vrrp && vrrp_interface_missing) && host.has_program(&s.program)
    });
    if let Some(s) = runs {
        diags
            .warning(
                s.span,
                format!(
                    "{} runs '{}' but global_defs has no enable_script_security: keepalived's -t \
                     calls this a SECURITY VIOLATION",
                    s.what, s.program
                ),
            )
            .with_help(
                "add enable_script_security (and script_user USER) to global_defs; keepalived \
                 then runs scripts as that user, keepalived-rs as its own user either way",
            )
            .security_violation();
    }
    dropped
}

/// What keepalived checks of each script's file when it reads the configuration (start and
/// reload), and drops what it would not run; so does keepalived-rs. A vrrp_script so dropped is
/// untracked, a MISC_CHECK removed from its real server, a notify script not run:
/// - a file its user cannot execute ("WARNING - script 'PATH' is not executable for uid:gid
///   U:G - disabling.");
/// - under `enable_script_security`, a script that would run with root's rights from a file
///   or directory another user can write (`crate::script_security`; "Unsafe permissions found
///   for script 'PATH' - disabling.").
fn check_files(
    scripts: &[Script<'_>],
    defs: &crate::model::global::GlobalDefs,
    host: &dyn Host,
    security: bool,
    dropped: &mut Dropped,
    diags: &mut Diagnostics,
) {
    for s in scripts {
        if dropped.spans.contains(&s.span) {
            continue;
        }
        // Scripts without a user to be had are left out already (here or by the daemon).
        let Some((uid, gid)) = run_ids(s, defs, security, host) else {
            continue;
        };
        let Some(real) = host.real_path(&s.program) else {
            continue;
        };
        let Some(file) = host.lstat(&real) else {
            continue;
        };
        if !crate::script_security::executable(&file, uid, gid) {
            dropped.spans.push(s.span);
            let d = diags.warning(
                s.span,
                format!(
                    "{} runs '{}', which uid:gid {uid}:{gid} cannot execute: keepalived does not \
                     run it, and neither does keepalived-rs",
                    s.what, s.program
                ),
            );
            let help = "make it executable (chmod +x)";
            if s.tracked {
                d.with_help(format!(
                    "{help}; meanwhile the instances run as if they did not track it"
                ));
            } else if s.what == "MISC_CHECK" {
                d.with_help(format!(
                    "{help}; meanwhile the real server runs without this checker"
                ));
            } else {
                d.with_help(help);
            }
            // keepalived only logs it.
            d.keepalived_passes();
            continue;
        }
        if !security || !crate::script_security::runs_as_root(uid, gid, &file) {
            continue;
        }
        let Some(why) = crate::script_security::check_path(&real, |p| host.lstat(p)) else {
            continue;
        };
        dropped.spans.push(s.span);
        let d = diags.warning(
            s.span,
            format!(
                "{} runs '{}' as {uid}:{gid}, and {why}: under enable_script_security \
                 keepalived disables it, and so does keepalived-rs",
                s.what, s.program
            ),
        );
        let help = "make the script and every directory above it owned by root and writable by \
                    root alone (or run it as another user)";
        if s.tracked {
            // keepalived: "Disabling track script NAME due to insecure", which fails its -t.
            d.with_help(format!(
                "{help}; meanwhile the instances run as if they did not track it"
            ));
        } else if s.what == "MISC_CHECK" {
            d.with_help(format!(
                "{help}; meanwhile the real server runs without this checker"
            ))
            .keepalived_passes();
        } else {
            d.with_help(help).keepalived_passes();
        }
    }
}

/// The uid and gid a script runs as: its own user (and group), else `script_user`, else
/// `keepalived_script` if that user exists, else root (under `enable_script_security`: no one,
/// the script is left out); the group defaults to the user's primary one.
fn run_ids(
    s: &Script<'_>,
    defs: &crate::model::global::GlobalDefs,
    security: bool,
    host: &dyn Host,
) -> Option<(u32, u32)> {
    let (user, group) = match (s.user, &defs.script_user) {
        (Some(u), _) => (u, s.group),
        (None, Some(su)) => (su.user.as_str(), su.group.as_deref()),
        (None, None) => match host.user_ids(DEFAULT_SCRIPT_USER) {
            Some(ids) => return Some(ids),
            None if security => return None,
            None => return Some((0, 0)),
        },
    };
    let (uid, gid) = host.user_ids(user)?;
    match group {
        Some(g) => Some((uid, host.group_id(g)?)),
        None => Some((uid, gid)),
    }
}

/// Every program the configuration names, in file order within each kind.
fn scripts(config: &Config) -> Vec<Script<'_>> {
    let mut out = Vec::new();
    let defs = &config.global.global_defs;
    for (c, what) in [
        (&defs.startup_script, "startup_script"),
        (&defs.shutdown_script, "shutdown_script"),
    ] {
        push(
            &mut out,
            c,
            || what.into(),
            Side::Parent,
            Drops::MissingOrUserless,
        );
    }
    for (c, what) in [
        (&defs.notify_fifo_script, "notify_fifo_script"),
        (&defs.vrrp_notify_fifo_script, "vrrp_notify_fifo_script"),
    ] {
        push(&mut out, c, || what.into(), Side::Vrrp, Drops::Missing);
    }
    push(
        &mut out,
        &defs.lvs_notify_fifo_script,
        || "lvs_notify_fifo_script".into(),
        Side::Lvs,
        Drops::Missing,
    );
    for s in &config.vrrp.vrrp_script {
        if let Some(program) = s.script.first().map(|p| p.as_str().into()) {
            out.push(Script {
                span: s.origin.span,
                what: format!("vrrp_script {}", s.name),
                program,
                side: Side::Vrrp,
                tracked: true,
                drops: Drops::MissingOrUserless,
                user: s.user.as_deref(),
                group: s.group.as_deref(),
            });
        }
    }
    for i in &config.vrrp.vrrp_instance {
        for (c, k) in [
            (&i.notify_master, "notify_master"),
            (&i.notify_backup, "notify_backup"),
            (&i.notify_fault, "notify_fault"),
            (&i.notify_stop, "notify_stop"),
            (&i.notify_deleted, "notify_deleted"),
            (&i.notify, "notify"),
            (&i.notify_master_rx_lower_pri, "notify_master_rx_lower_pri"),
        ] {
            push(
                &mut out,
                c,
                || format!("{k} of vrrp_instance {}", i.name),
                Side::Vrrp,
                Drops::MissingOrUserless,
            );
        }
    }
    for g in &config.vrrp.vrrp_sync_group {
        for (c, k) in [
            (&g.notify_master, "notify_master"),
            (&g.notify_backup, "notify_backup"),
            (&g.notify_fault, "notify_fault"),
            (&g.notify_stop, "notify_stop"),
            (&g.notify, "notify"),
        ] {
            push(
                &mut out,
                c,
                || format!("{k} of vrrp_sync_group {}", g.name),
                Side::Vrrp,
                Drops::MissingOrUserless,
            );
        }
    }
    for vs in &config.lvs.virtual_server {
        push(
            &mut out,
            &vs.quorum_up,
            || "quorum_up".into(),
            Side::Lvs,
            Drops::Missing,
        );
        push(
            &mut out,
            &vs.quorum_down,
            || "quorum_down".into(),
            Side::Lvs,
            Drops::Missing,
        );
        for rs in &vs.real_server {
            push(
                &mut out,
                &rs.notify_up,
                || "notify_up".into(),
                Side::Lvs,
                Drops::Missing,
            );
            push(
                &mut out,
                &rs.notify_down,
                || "notify_down".into(),
                Side::Lvs,
                Drops::Missing,
            );
            for c in &rs.checkers {
                if let crate::model::lvs::Checker::Misc(m) = c {
                    if let Some(program) = crate::values::split_command(&m.misc_path)
                        .into_iter()
                        .next()
                        .map(std::borrow::Cow::Owned)
                    {
                        out.push(Script {
                            span: m.common.origin.span,
                            what: "MISC_CHECK".into(),
                            program,
                            side: Side::Lvs,
                            tracked: false,
                            drops: Drops::Missing,
                            user: m.user.as_ref().map(|u| u.user.as_str()),
                            group: m.user.as_ref().and_then(|u| u.group.as_deref()),
                        });
                    }
                }
            }
        }
    }
    out
}

/// `what` is only made for a script that is there: a large file has thousands of real servers
/// without notify scripts.
fn push<'c>(
    out: &mut Vec<Script<'c>>,
    c: &'c Option<ScriptCommand>,
    what: impl FnOnce() -> String,
    side: Side,
    drops: Drops,
) {
    if let Some((c, program)) = c
        .as_ref()
        .and_then(|c| Some((c, c.command.first()?.as_str().into())))
    {
        out.push(Script {
            span: c.origin.span,
            what: what(),
            program,
            side,
            tracked: false,
            drops,
            user: c.user.as_deref(),
            group: c.group.as_deref(),
        });
    }
}

mod route_names;
#[cfg(test)]
mod tests;
