//! The global_defs settings VRRP instances inherit when they do not set their own.

use crate::model::Config;
use crate::values::Timer;
use std::net::IpAddr;

/// global_defs' VRRP defaults, each at keepalived's own default when global_defs is silent.
pub(super) struct Inherited {
    pub vrrp_version: u8,
    pub vrrp_strict: bool,
    pub vrrp_skip_check_adv_addr: bool,
    pub vrrp_check_unicast_src: bool,
    pub vrrp_lower_prio_no_advert: bool,
    pub vrrp_higher_prio_send_advert: bool,
    pub vrrp_owner_ignore_adverts: bool,
    pub vrrp_down_timer_adverts: u8,
    pub vrrp_garp_master_delay: Timer,
    pub vrrp_garp_master_repeat: u32,
    pub vrrp_garp_master_refresh: Timer,
    pub vrrp_garp_master_refresh_repeat: u32,
    /// Already resolved by global_defs' checks: vrrp_garp_master_delay when not written.
    pub vrrp_garp_lower_prio_delay: Timer,
    /// Resolved: vrrp_garp_master_repeat when not written.
    pub vrrp_garp_lower_prio_repeat: u32,
    /// (interval, all)
    pub vrrp_garp_extra_if: Option<(Timer, bool)>,
    pub v3_checksum_as_v2: bool,
    pub vrrp_notify_priority_changes: bool,
    pub smtp_alert_vrrp: Option<bool>,
    pub smtp_alert: Option<bool>,
    pub vrrp_mcast_group4: IpAddr,
    pub vrrp_mcast_group6: IpAddr,
}

impl Inherited {
    pub fn from_config(config: &Config) -> Inherited {
        let d = &config.global.global_defs;
        Inherited {
            vrrp_version: d.vrrp_version,
            vrrp_strict: d.vrrp_strict,
            vrrp_skip_check_adv_addr: d.vrrp_skip_check_adv_addr,
            vrrp_check_unicast_src: d.vrrp_check_unicast_src,
            vrrp_lower_prio_no_advert: d.vrrp_lower_prio_no_advert,
            vrrp_higher_prio_send_advert: d.vrrp_higher_prio_send_advert,
            vrrp_owner_ignore_adverts: d.vrrp_owner_ignore_adverts,
            vrrp_down_timer_adverts: u8::try_from(d.vrrp_down_timer_adverts).unwrap_or(3),
            vrrp_garp_master_delay: d.vrrp_garp_master_delay,
            vrrp_garp_master_repeat: d.vrrp_garp_master_repeat,
            vrrp_garp_master_refresh: d.vrrp_garp_master_refresh,
            vrrp_garp_master_refresh_repeat: d.vrrp_garp_master_refresh_repeat,
            vrrp_garp_lower_prio_delay: d.vrrp_garp_lower_prio_delay,
            vrrp_garp_lower_prio_repeat: d.vrrp_garp_lower_prio_repeat,
            vrrp_garp_extra_if: d.vrrp_garp_extra_if.as_ref().map(|x| (x.interval, x.all)),
            v3_checksum_as_v2: d.v3_checksum_as_v2,
            vrrp_notify_priority_changes: d.vrrp_notify_priority_changes,
            smtp_alert_vrrp: d.smtp_alert_vrrp,
            smtp_alert: d.smtp_alert,
            vrrp_mcast_group4: d.vrrp_mcast_group4,
            vrrp_mcast_group6: d.vrrp_mcast_group6,
        }
    }
}
