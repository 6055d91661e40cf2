//! The JSON dump (`keepalived.json`, signal 36): keepalived's list of `{"data": {...},
//! "stats": {...}}` objects, one per instance, with its key names, in its order. Keys for
//! what keepalived-rs has no equivalent of (VMAC) hold the
//! value keepalived writes without them. `json_version 2` wraps the list as `{"vrrp": [...]}`.
//! Pure.

use serde::Serialize;
use serde_json::Number;

use super::text::epoch_secs;
use super::vrrp_stats::Errors;
use crate::snapshot::{InstanceSnapshot, VrrpSnapshot};

#[derive(Serialize)]
struct Entry<'a> {
    data: Data<'a>,
    stats: Stats,
}

#[derive(Serialize)]
struct Data<'a> {
    iname: &'a str,
    dont_track_primary: u8,
    skip_check_adv_addr: u8,
    strict_mode: u8,
    vmac_ifname: &'a str,
    ifp_ifname: &'a str,
    master_priority: u8,
    last_transition: f64,
    garp_delay: Number,
    garp_refresh: Number,
    garp_rep: u32,
    garp_refresh_rep: u32,
    garp_lower_prio_delay: Number,
    garp_lower_prio_rep: u32,
    lower_prio_no_advert: u8,
    higher_prio_send_advert: u8,
    vrid: u8,
    base_priority: u8,
    effective_priority: u8,
    vipset: bool,
    promote_secondaries: bool,
    adver_int: Number,
    master_adver_int: Number,
    accept: u8,
    nopreempt: bool,
    preempt_delay: Number,
    state: u8,
    wantstate: u8,
    version: u8,
    smtp_alert: bool,
    notify_deleted: bool,
    vips: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    evips: &'a [String],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    track_ifp: Vec<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    track_script: Vec<&'a str>,
    auth_type: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_data: Option<&'a str>,
}

#[derive(Serialize)]
struct Stats {
    advert_rcvd: u64,
    advert_sent: u64,
    become_master: u64,
    release_master: u64,
    packet_len_err: u64,
    advert_interval_err: u64,
    ip_ttl_err: u64,
    invalid_type_rcvd: u64,
    addr_list_err: u64,
    invalid_authtype: u64,
    authtype_mismatch: u64,
    auth_failure: u64,
    pri_zero_rcvd: u64,
    pri_zero_sent: u64,
}

/// keepalived's state numbers (vrrp.h: INIT 0, BACKUP 1, MASTER 2, FAULT 3; STOP 98).
pub fn state_number(state: &str) -> u8 {
    match state {
        "BACKUP" => 1,
        "MASTER" => 2,
        "FAULT" => 3,
        "STOP" => 98,
        _ => 0,
    }
}

/// Seconds as keepalived's JSON writes them: a whole number when whole (`1`), else a
/// fraction (`0.5`).
fn seconds(d: std::time::Duration) -> Number {
    if d.subsec_nanos() == 0 {
        Number::from(d.as_secs())
    } else {
        Number::from_f64(d.as_secs_f64()).unwrap_or_else(|| Number::from(0))
    }
}

fn entry(i: &InstanceSnapshot) -> Entry<'_> {
    let e = Errors::of(i);
    let s = &i.stats;
    let state = state_number(i.state);
    let names = |kind: &str| -> Vec<&str> {
        i.tracked
            .iter()
            .filter(|t| t.kind == kind)
            .map(|t| t.name.as_str())
            .collect()
    };
    Entry {
        data: Data {
            iname: &i.name,
            dont_track_primary: i.dont_track_primary.into(),
            skip_check_adv_addr: 0,
            strict_mode: 0,
            // keepalived's instance interface is the VMAC.
            vmac_ifname: i.vmac.as_ref().map_or("", |v| v.name.as_str()),
            ifp_ifname: i.vmac.as_ref().map_or(&i.interface, |v| &v.name),
            master_priority: match (i.state, i.master) {
                ("BACKUP", Some((_, p))) => p,
                _ => 0,
            },
            last_transition: epoch_secs(i.last_transition),
            garp_delay: seconds(i.garp_delay),
            garp_refresh: seconds(i.garp_refresh),
            garp_rep: i.garp_repeat,
            garp_refresh_rep: i.garp_refresh_repeat,
            garp_lower_prio_delay: seconds(i.garp_lower_prio_delay),
            garp_lower_prio_rep: i.garp_lower_prio_repeat,
            lower_prio_no_advert: i.lower_prio_no_advert.into(),
            higher_prio_send_advert: i.higher_prio_send_advert.into(),
            vrid: i.vrid,
            base_priority: i.base_priority,
            effective_priority: i.effective_priority,
            vipset: i.state == "MASTER",
            promote_secondaries: i.promote_secondaries,
            adver_int: seconds(i.advert_interval),
            master_adver_int: seconds(i.advert_interval),
            accept: i.accept.into(),
            nopreempt: !i.preempt,
            preempt_delay: seconds(i.preempt_delay),
            state,
            wantstate: state,
            version: i.version,
            smtp_alert: i.smtp_alert,
            notify_deleted: i.notify_deleted,
            vips: &i.vips,
            evips: &i.excluded_vips,
            track_ifp: names("interface"),
            // keepalived lists each tracked script's command line; keepalived-rs its name.
            track_script: names("script"),
            auth_type: i.auth_type,
            auth_data: i.auth_pass.as_deref(),
        },
        stats: Stats {
            advert_rcvd: s.advert_rcvd,
            advert_sent: s.advert_sent,
            become_master: s.become_master,
            release_master: s.release_master,
            packet_len_err: e.packet_len,
            advert_interval_err: e.advert_interval,
            ip_ttl_err: e.ip_ttl,
            invalid_type_rcvd: e.invalid_type,
            addr_list_err: e.addr_list,
            invalid_authtype: e.invalid_authtype,
            authtype_mismatch: e.authtype_mismatch,
            auth_failure: e.auth_failure,
            pri_zero_rcvd: s.pri_zero_rcvd,
            pri_zero_sent: s.pri_zero_sent,
        },
    }
}

/// The whole file; None when there is no instance (keepalived writes no file then).
pub fn file(snap: &VrrpSnapshot, version: u8) -> Option<String> {
    if snap.instances.is_empty() {
        return None;
    }
    let entries: Vec<Entry> = snap.instances.iter().map(entry).collect();
    let text = if version == 2 {
        serde_json::to_string(&serde_json::json!({ "vrrp": entries }))
    } else {
        serde_json::to_string(&entries)
    };
    // Plain data with string keys: serialising cannot fail.
    text.ok().map(|t| t + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dump::vrrp_data::tests::{backup, master, snapshot};

    /// Every key keepalived writes, in its order, with the same values as its capture of a
    /// master (the counters aside: keepalived's capture was taken a second later than its
    /// stats dump).
    #[test]
    fn a_master_has_keepalived_keys_and_values() {
        let snap = VrrpSnapshot {
            instances: vec![master()],
            ..snapshot()
        };
        let ours: serde_json::Value = serde_json::from_str(&file(&snap, 1).unwrap()).unwrap();
        let theirs: serde_json::Value = serde_json::from_str(include_str!(
            "../../tests/data/keepalived-2.2.7/master.json"
        ))
        .unwrap();
        let (o, t) = (&ours[0]["data"], &theirs[0]["data"]);
        let keys = |v: &serde_json::Value| -> Vec<String> {
            v.as_object().unwrap().keys().cloned().collect()
        };
        assert_eq!(keys(o), keys(t));
        assert_eq!(keys(&ours[0]["stats"]), keys(&theirs[0]["stats"]));
        for (k, v) in t.as_object().unwrap() {
            if k == "track_script" {
                // keepalived: the script's command line; ours: its name.
                assert_eq!(o[k], serde_json::json!(["chk"]));
                continue;
            }
            assert_eq!(&o[k], v, "{k}");
        }
    }

    #[test]
    fn a_backup_and_version_2() {
        let snap = VrrpSnapshot {
            instances: vec![backup()],
            ..snapshot()
        };
        let v: serde_json::Value = serde_json::from_str(&file(&snap, 2).unwrap()).unwrap();
        let d = &v["vrrp"][0]["data"];
        assert_eq!(d["state"], 1);
        assert_eq!(d["wantstate"], 1);
        assert_eq!(d["master_priority"], 150);
        assert_eq!(d["adver_int"], 0.5);
        assert_eq!(d["vipset"], false);
        assert_eq!(d["auth_type"], 0);
        assert!(d.get("auth_data").is_none());
        assert_eq!(d["track_ifp"], serde_json::json!(["t_interface"]));
        assert_eq!(v["vrrp"][0]["stats"]["packet_len_err"], 4);
        assert_eq!(v["vrrp"][0]["stats"]["advert_rcvd"], 9);
    }

    /// keepalived 2.2.7's JSON of an AH instance (measured): type 2, the key as `auth_data`.
    #[test]
    fn ah_has_type_2_and_the_key() {
        let mut i = master();
        i.auth_type = 2;
        i.auth_pass = Some("secret".into());
        let snap = VrrpSnapshot {
            instances: vec![i],
            ..snapshot()
        };
        let v: serde_json::Value = serde_json::from_str(&file(&snap, 2).unwrap()).unwrap();
        let d = &v["vrrp"][0]["data"];
        assert_eq!(d["auth_type"], 2);
        assert_eq!(d["auth_data"], "secret");
    }

    /// keepalived 2.2.7 (measured): the VMAC is both the VMAC's name and the instance's
    /// interface.
    #[test]
    fn a_vmac_names_both_interfaces() {
        let mut i = master();
        i.vmac = Some(crate::snapshot::VmacSnapshot {
            name: "vrrp.51".into(),
            xmit_base: false,
            up: true,
        });
        let snap = VrrpSnapshot {
            instances: vec![i],
            ..snapshot()
        };
        let v: serde_json::Value = serde_json::from_str(&file(&snap, 1).unwrap()).unwrap();
        assert_eq!(v[0]["data"]["vmac_ifname"], "vrrp.51");
        assert_eq!(v[0]["data"]["ifp_ifname"], "vrrp.51");
    }

    #[test]
    fn no_instances_no_file() {
        let snap = VrrpSnapshot {
            instances: vec![],
            ..snapshot()
        };
        assert_eq!(file(&snap, 1), None);
    }
}
