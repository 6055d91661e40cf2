//! `keepalived_bfd.data` (DATA, while BFD sessions run): keepalived 2.2.7's `BFD Topology`
//! section, one block per session, in its words. Its `BFD Data` section and the lines about
//! its own file descriptors and threads (`fd_out`, `thread_out`, `sands_exp`, ...) are left out
//! rather than made up.

use std::fmt::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::text::header;
use crate::bfdd::SessionDump;

/// The `BFD Topology` section.
pub fn topology(out: &mut String, sessions: &[SessionDump]) {
    header(out, "BFD Topology");
    for s in sessions {
        session(out, s);
    }
}

fn us(d: Duration) -> String {
    format!("{} us", d.as_micros())
}

fn yes(b: bool) -> &'static str {
    if b {
        "Yes"
    } else {
        "No"
    }
}

/// `1796600518.389331 (Sun Dec  6 23:41:58 2026.389331)`: keepalived's BFD timestamps (the
/// microseconds after the year, unlike its VRRP dump's).
fn seen(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let local: chrono::DateTime<chrono::Local> = t.into();
    format!(
        "{}.{:06} ({}.{:06})",
        d.as_secs(),
        d.subsec_micros(),
        local.format("%a %b %e %H:%M:%S %Y"),
        d.subsec_micros()
    )
}

fn session(out: &mut String, s: &SessionDump) {
    let p = &s.plan;
    let c = &p.config;
    let st = &s.state;
    let mut line = |l: String| {
        let _ = writeln!(out, "{l}");
    };
    line(format!(" BFD Instance = {}", p.name));
    line(format!("   Neighbor IP = {}", p.neighbor));
    if let Some(src) = p.source {
        line(format!("   Source IP = {src}"));
    }
    line(format!(
        "   Required min RX interval = {}",
        us(c.required_min_rx)
    ));
    line(format!(
        "   Desired min TX interval = {}",
        us(c.desired_min_tx)
    ));
    line(format!("   Desired idle TX interval = {}", us(c.idle_tx)));
    line(format!("   Detection multiplier = {}", c.detect_mult));
    line(format!("   TTL = {}", p.ttl));
    line(format!("   max_hops = {}", p.max_hops));
    line(format!("   passive = {}", c.passive));
    line(format!(
        "   send event to VRRP process = {}",
        yes(p.to_vrrp)
    ));
    line(format!(
        "   send event to checker process = {}",
        yes(p.to_checker)
    ));
    line(format!("   send error = {}", s.send_error));
    line(format!("   local state = {}", st.state.name()));
    line(format!("   remote state = {}", st.remote_state.name()));
    line(format!(
        "   local discriminator = {:#x}",
        st.local_discriminator
    ));
    line(format!(
        "   remote discriminator = {:#x}",
        st.remote_discriminator
    ));
    line(format!("   local diag = {}", st.local_diag.text()));
    line(format!("   remote diag = {}", st.remote_diag.text()));
    line(format!("   remote min tx intv = {}", us(st.remote_min_tx)));
    line(format!("   remote min rx intv = {}", us(st.remote_min_rx)));
    line("   local demand = 0".into());
    line("   remote demand = 0".into());
    line(format!(
        "   remote detect multiplier = {}",
        st.remote_detect_mult
    ));
    line(format!("   {}poll, !final", if st.poll { "" } else { "!" }));
    line(format!("   local tx intv = {}", us(s.local_tx_interval)));
    // The neighbour's interval: the larger of what it wants and what we accept.
    let remote_tx = st.remote_min_tx.max(c.required_min_rx);
    line(format!("   remote tx intv = {}", us(remote_tx)));
    line(format!(
        "   local detection time = {}",
        us(st.detection_time)
    ));
    // The neighbour's detection time: our multiplier times our interval as it sees it.
    line(format!(
        "   remote detection time = {}",
        us(s.local_tx_interval * u32::from(c.detect_mult))
    ));
    match s.last_seen {
        Some(t) => line(format!("   last seen = {}", seen(t))),
        None => line("   last seen = never".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bfdd::SessionPlan;

    /// keepalived 2.2.7's block for an Up session with the defaults (its own dump, the lines
    /// about its file descriptors and threads taken out).
    #[test]
    fn an_up_session_as_keepalived_writes_it() {
        let dump = SessionDump {
            plan: SessionPlan {
                name: "peer".into(),
                neighbor: "10.77.0.2".parse().unwrap(),
                source: None,
                config: bfd::SessionConfig {
                    desired_min_tx: Duration::from_millis(10),
                    required_min_rx: Duration::from_millis(10),
                    idle_tx: Duration::from_secs(1),
                    detect_mult: 5,
                    passive: false,
                },
                ttl: 255,
                min_received_ttl: 255,
                max_hops: 0,
                to_vrrp: true,
                to_checker: true,
            },
            state: bfd::Snapshot {
                state: bfd::State::Up,
                remote_state: bfd::State::Up,
                local_discriminator: 0x5298_7c7f,
                remote_discriminator: 0x08e6_ab47,
                local_diag: bfd::Diagnostic::NONE,
                remote_diag: bfd::Diagnostic::NONE,
                remote_min_tx: Duration::from_millis(10),
                remote_min_rx: Duration::from_millis(10),
                remote_detect_mult: 5,
                poll: false,
                tx_interval: Duration::from_millis(10),
                detection_time: Duration::from_millis(50),
                last_received: None,
            },
            local_tx_interval: Duration::from_millis(10),
            send_error: false,
            last_seen: Some(UNIX_EPOCH + Duration::new(1_796_600_518, 389_331_000)),
        };
        let mut t = String::new();
        topology(&mut t, &[dump]);
        let want = "\
------< BFD Topology >------
 BFD Instance = peer
   Neighbor IP = 10.77.0.2
   Required min RX interval = 10000 us
   Desired min TX interval = 10000 us
   Desired idle TX interval = 1000000 us
   Detection multiplier = 5
   TTL = 255
   max_hops = 0
   passive = false
   send event to VRRP process = Yes
   send event to checker process = Yes
   send error = false
   local state = Up
   remote state = Up
   local discriminator = 0x52987c7f
   remote discriminator = 0x8e6ab47
   local diag = No Diagnostic
   remote diag = No Diagnostic
   remote min tx intv = 10000 us
   remote min rx intv = 10000 us
   local demand = 0
   remote demand = 0
   remote detect multiplier = 5
   !poll, !final
   local tx intv = 10000 us
   remote tx intv = 10000 us
   local detection time = 50000 us
   remote detection time = 50000 us
";
        assert!(t.starts_with(want), "{t}");
        let last = t.lines().last().unwrap();
        assert!(
            last.starts_with("   last seen = 1796600518.389331 ("),
            "{last}"
        );
        assert!(last.ends_with(" 2026.389331)"), "{last}");
    }
}
