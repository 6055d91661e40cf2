//! Reading a configuration into what the daemon runs ([`load`]), for the start, for a reload
//! and for `config diff`; and the reload itself (SIGHUP, [`Reloader`]).
//!
//! A reload re-reads the same `-f` file with the same `-i` config id. The new file is read,
//! parsed and planned completely on a blocking thread, off the VRRP loop, before anything
//! changes. Errors: the diagnostics are logged (`file:line:col`), one line says the reload was
//! refused and why, and the running configuration stays in force. Otherwise the difference is
//! logged (one line per instance, virtual server, tracker or sync group touched, `diff`) and
//! applied: first by the VRRP loop, which may still refuse it (a new instance's interface
//! missing) before it changes anything, then by the LVS side.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tracing::{debug, error, info, warn};

use crate::config_cmd;
use crate::diff::{self, Plans};
use crate::lvs::checkers::{tls_config, TlsConfig};
use crate::lvsd;
use crate::process_scripts::ProcessScripts;
use crate::vrrpd;

/// What a configuration is read with: the command line's part.
#[derive(Debug, Clone)]
pub struct Source {
    pub file: PathBuf,
    pub config_id: Option<String>,
    pub strict: bool,
    pub all_config: bool,
    /// Check the file against this host (interfaces, scripts), as the daemon's start does.
    pub check_host: bool,
    /// `-I`: keep the IPVS table at stop.
    pub dont_release_ipvs: bool,
    /// `-P`: VRRP only (no LVS plan).
    pub vrrp_only: bool,
    /// `-C`: checkers only (no VRRP instances).
    pub checkers_only: bool,
    /// `-B`: no BFD session runs (an instance tracking one sees it down, as keepalived's).
    pub no_bfd: bool,
}

impl Source {
    /// What the file says alone: both parts, as written, not checked against this host (which
    /// may not be the director), no id, not strict.
    pub fn file_only(file: PathBuf) -> Source {
        Source {
            file,
            config_id: None,
            strict: false,
            all_config: false,
            check_host: false,
            dont_release_ipvs: false,
            vrrp_only: false,
            checkers_only: false,
            no_bfd: false,
        }
    }
}

/// A configuration read and planned: what the daemon runs, and its `SSL { }` configuration.
pub struct Loaded {
    pub plans: Plans,
    pub tls: Option<TlsConfig>,
    /// Warnings, one line each (they do not refuse anything).
    pub warnings: Vec<String>,
}

/// Why a configuration cannot be run: the diagnostics (one line each, `file:line:col: level:
/// message`, as `-t` begins them) and a one-line reason.
#[derive(Debug)]
pub struct Refused {
    pub diagnostics: Vec<String>,
    pub why: String,
    /// The file has errors (as opposed to a configuration that cannot be translated or whose
    /// files cannot be read).
    pub errors: bool,
}

/// Reads and plans the configuration completely. A file with errors is refused, also those
/// the start runs on with keepalived's fallbacks, as is one the start would refuse (a missing
/// interface): the running configuration is kept (docs/compat.md).
pub fn load(src: &Source) -> Result<Loaded, Refused> {
    let mut parsed = config_cmd::load(
        &src.file,
        src.config_id.as_deref(),
        src.strict,
        src.all_config,
    );
    if src.check_host {
        crate::start_rule::check_for_daemon(&mut parsed);
    }
    let diagnostics: Vec<String> = parsed
        .diags
        .iter()
        .map(|d| d.headline(&parsed.sources))
        .collect();
    if !parsed.is_ok() || parsed.diags.refusals(src.strict).next().is_some() {
        let errors = parsed.diags.count(conf_parser::Level::Error)
            + parsed.diags.count(conf_parser::Level::Fatal);
        return Err(Refused {
            diagnostics,
            why: format!(
                "{} has {errors} error{}",
                src.file.display(),
                if errors == 1 { "" } else { "s" }
            ),
            errors: true,
        });
    }
    let refused = |why: String| Refused {
        diagnostics: diagnostics.clone(),
        why,
        errors: false,
    };
    let (plans, tls) = plans(&parsed.config, src).map_err(|why| refused(why.join("; ")))?;
    let mut warnings = diagnostics;
    warnings.extend(plans.scripts_left_out().cloned());
    if let Some(lvs) = &plans.lvs {
        warnings.extend(lvs.skipped.iter().cloned());
    }
    Ok(Loaded {
        plans,
        tls,
        warnings,
    })
}

/// What a parsed configuration runs, or why it cannot run (one line per reason).
pub fn plans(
    config: &conf_parser::Config,
    src: &Source,
) -> Result<(Plans, Option<TlsConfig>), Vec<String>> {
    // What keepalived runs and keepalived-rs cannot: refused, never run with a part missing.
    // SNMP and DBus (which cannot be turned on by a reload either), then the VRRP side's.
    let mut refused = crate::flags::refused_keywords(config);
    refused.extend(crate::not_run::global(config));
    // Under -C keepalived starts no VRRP child: no instance, no static address, and nothing
    // the VRRP part cannot run (track_bfd, say) stops the checkers (measured in the VM, with AH
    // when keepalived-rs refused it).
    let mut vrrp = if src.checkers_only {
        vrrpd::plan::Plan::default()
    } else {
        vrrpd::plan::plan(config)?
    };
    if !src.checkers_only {
        refused.append(&mut vrrp.unsupported);
        refused.extend(crate::not_run::vrrp(config));
    }
    // The LVS side's own: nftables_ipvs (ha_suspend runs: lvsd::suspend).
    if !src.vrrp_only {
        refused.extend(crate::not_run::lvs(config));
    }
    // keepalived 2.2.7 under -B starts no BFD child: its track_bfd instances stay as with a
    // session down (measured).
    if src.no_bfd {
        vrrp.bfd.clear();
    }
    let lvs = if src.vrrp_only || config.lvs.virtual_server.is_empty() {
        None
    } else {
        match crate::lvs::plan(config, src.dont_release_ipvs) {
            Ok(plan) => Some(Arc::new(plan)),
            Err(e) => {
                refused.extend(e.lines().map(|l| format!("virtual servers: {l}")));
                None
            }
        }
    };
    // Every reason at once, so that one round of edits is enough.
    if !refused.is_empty() {
        return Err(refused);
    }
    let tls = match &lvs {
        Some(plan) => tls_config(plan).map_err(|e| vec![format!("SSL_GET: {e}")])?,
        None => None,
    };
    let mut global =
        serde_json::to_value(&config.global).map_err(|e| vec![format!("global settings: {e}")])?;
    // Where a setting is written is no setting: moving a block is no change.
    without_origins(&mut global);
    // The sync daemon follows a VRRP instance: only where VRRP runs (keepalived: not under -C).
    let sync = if vrrp.instances.is_empty() {
        None
    } else {
        crate::syncd::plan::plan(config)
    };
    let mut notify =
        crate::notifier::Settings::from_config(config, &crate::notifier::settings::local_name());
    // keepalived's checker process makes the LVS FIFO and starts its script: without virtual
    // servers (or under -P) there is none, and no FIFO either (measured). A reload that brings
    // the first virtual servers brings the FIFO.
    if lvs.is_none() {
        notify
            .fifos
            .retain(|f| f.carries != crate::notifier::fifo::Carries::Lvs);
    }
    let defs = &config.global.global_defs;
    let process = ProcessScripts::plan(defs, &crate::script_user::ScriptUsers::system(defs));
    Ok((
        Plans {
            vrrp,
            lvs,
            global,
            sync,
            notify,
            process,
        },
        tls,
    ))
}

/// The running configuration and the ways into the loops that run it.
pub struct Reloader {
    pub source: Source,
    /// Shared with the blocking thread that compares a new file with it.
    pub running: Arc<Plans>,
    pub vrrp: vrrpd::Handle,
    /// Scripts, FIFOs and mails: told the new settings.
    pub notifier: crate::notifier::Notifier,
    /// The LVS side's commands; None while it does not run (no virtual servers yet, or `-P`).
    pub lvs: Option<mpsc::UnboundedSender<lvsd::Command>>,
    /// The sync daemon's thread; None when it does not run (no IPVS, no VRRP instances).
    pub sync: Option<std::sync::mpsc::Sender<crate::syncd::SyncInput>>,
    /// Starts the LVS side when a reload brings the first virtual servers.
    /// What the daemon tells the control socket (the last reload).
    pub info: tokio::sync::watch::Sender<crate::control::DaemonInfo>,
    /// The interfaces' promote_secondaries flags the daemon set (given back at stop).
    pub promoted: crate::promote_secondaries::Promoted,
    #[allow(clippy::type_complexity)]
    pub start_lvs: Box<
        dyn FnMut(lvsd::Prepared<ipvs::Client>) -> Option<mpsc::UnboundedSender<lvsd::Command>>
            + Send,
    >,
}

impl Reloader {
    /// SIGHUP: read, check, compare, apply; or keep everything and say why not. The outcome
    /// goes to the control socket's document too.
    pub async fn reload(&mut self) {
        let outcome = self.apply().await;
        let (applied, lines) = match outcome {
            Ok(lines) => (true, lines),
            Err(why) => (false, vec![why]),
        };
        self.info.send_modify(|i| i.reloaded(applied, lines));
    }

    async fn apply(&mut self) -> Result<Vec<String>, String> {
        // keepalived's own words for the start and the end of a reload.
        info!("Reloading ...");
        let started = Instant::now();
        // Everything that grows with the file (reading, planning, comparing, copying the
        // plans for the loops) happens on a blocking thread: this thread runs the VRRP loop,
        // and a thousand virtual servers compared here cost its adverts half a second on a
        // slow machine (measured in the VM, docs/benchmarks.md).
        let src = self.source.clone();
        let running = Arc::clone(&self.running);
        let read = tokio::task::spawn_blocking(move || {
            load(&src).map(|loaded| {
                let diff = diff::diff(&running, &loaded.plans);
                let vrrp = loaded.plans.vrrp.clone();
                let lvs = loaded.plans.lvs.clone();
                (loaded, diff, vrrp, lvs)
            })
        })
        .await;
        let read = match read {
            Ok(l) => l,
            Err(e) => {
                let why = format!("reading the configuration failed ({e})");
                error!("reload refused: {why}; the running configuration stays in force");
                return Err(why);
            }
        };
        let (loaded, d, vrrp_plan, lvs_plan) = match read {
            Ok(l) => l,
            Err(r) => {
                for line in &r.diagnostics {
                    error!("{line}");
                }
                error!(
                    "reload refused: {}; the running configuration stays in force",
                    r.why
                );
                return Err(r.why);
            }
        };
        let read_took = started.elapsed();
        for line in &loaded.warnings {
            warn!("{line}");
        }
        let mut new_lvs = None;
        if self.lvs.is_none() {
            if let Some(plan) = &loaded.plans.lvs {
                match lvsd::open(plan.clone(), loaded.tls.clone()) {
                    Ok(p) => new_lvs = Some(p),
                    Err(e) => {
                        error!("reload refused: {e}; the running configuration stays in force");
                        return Err(e);
                    }
                }
            }
        }
        // New FIFOs are open before the VRRP side writes its states to them.
        self.notifier.reload(loaded.plans.notify.clone());
        let vrrp_started = Instant::now();
        match self.vrrp.reload(vrrp_plan).await {
            // The flags of interfaces added set, of those no longer named given back.
            Ok(Ok(())) => self
                .promoted
                .follow(&crate::promote_secondaries::wanted(&loaded.plans.vrrp)),
            Ok(Err(e)) => {
                // The VRRP side changed nothing: nor does the notifier.
                self.notifier.reload(self.running.notify.clone());
                error!("reload refused: {e}; the running configuration stays in force");
                return Err(e);
            }
            Err(_) => {
                error!("reload refused: the VRRP loop has stopped");
                return Err("the VRRP loop has stopped".into());
            }
        }
        let vrrp_took = vrrp_started.elapsed();
        let lvs_started = Instant::now();
        if let Some(prepared) = new_lvs {
            self.lvs = (self.start_lvs)(prepared);
        } else if let Some(tx) = &self.lvs {
            let plan = lvs_plan.unwrap_or_else(|| Arc::new(crate::lvs::LvsPlan::empty()));
            let (done, wait) = tokio::sync::oneshot::channel();
            let _ = tx.send(lvsd::Command::Reload {
                plan,
                tls: loaded.tls.clone(),
                done,
            });
            // The kernel's table is programmed by the LVS side's own thread; waiting here
            // keeps the next reload behind this one.
            let _ = wait.await;
        }
        // The sync daemon's settings: the thread restarts the daemons only if they changed.
        if loaded.plans.sync != self.running.sync {
            match &self.sync {
                Some(tx) => {
                    let _ = tx.send(crate::syncd::SyncInput::SetPlan(loaded.plans.sync.clone()));
                }
                None if loaded.plans.sync.is_some() => warn!(
                    "reload: lvs_sync_daemon is not run (no IPVS in this kernel, or no VRRP instance at start)"
                ),
                None => {}
            }
        }
        for t in &d.touched {
            info!("reload: {t}");
        }
        if !d.not_applied.is_empty() {
            warn!(
                "reload: not applied by a reload (restart the daemon for them): {}",
                d.not_applied.join("; ")
            );
        }
        if d.is_empty() {
            info!("reload: nothing changed");
        }
        debug!(
            "reload took {:.1} ms: read, checked and compared {:.1} ms, VRRP {:.1} ms, LVS {:.1} ms",
            ms(started.elapsed()),
            ms(read_took),
            ms(vrrp_took),
            ms(lvs_started.elapsed())
        );
        info!("Reload complete");
        let old = std::mem::replace(&mut self.running, Arc::new(loaded.plans));
        // Freeing the old plans is as big a job as building them: not on this thread either.
        tokio::task::spawn_blocking(move || drop(old));
        Ok(d.lines())
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The model's `origin` entries removed, at every depth.
fn without_origins(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(o) => {
            o.remove("origin");
            o.values_mut().for_each(without_origins);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(without_origins),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `-B`: keepalived 2.2.7 starts no BFD child, and its track_bfd instances see their
    /// sessions down (measured): no session is planned, the tracking stays.
    #[test]
    fn no_bfd_runs_no_session() {
        let text = "bfd_instance b1 {\n neighbor_ip 10.0.0.2\n}\nvrrp_instance A {\n interface eth0\n virtual_router_id 1\n track_bfd {\n b1\n }\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n";
        let parsed = conf_parser::parse_str("t.conf", text, &conf_parser::Options::default());
        assert!(parsed.is_ok(), "{}", parsed.render_diagnostics());
        let src = Source::file_only("t.conf".into());
        let (plans_, _) = plans(&parsed.config, &src).unwrap();
        assert_eq!(plans_.vrrp.bfd.len(), 1);
        let no_bfd = Source {
            no_bfd: true,
            ..src
        };
        let (plans_, _) = plans(&parsed.config, &no_bfd).unwrap();
        assert!(plans_.vrrp.bfd.is_empty());
        assert_eq!(plans_.vrrp.instances[0].track_bfd.len(), 1);
    }
}
