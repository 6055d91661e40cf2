//! The global_defs settings VRRP instances inherit when they do not set their own.

use crate::model::Config;
use crate::values::Timer;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

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
    /// Resolved: vrrp_garp_master_delay when not written.
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
    pub fn from_config(_config: &Config) -> Inherited {
        Inherited {
            vrrp_version: 2,
            vrrp_strict: false,
            vrrp_skip_check_adv_addr: false,
            vrrp_check_unicast_src: false,
            vrrp_lower_prio_no_advert: false,
            vrrp_higher_prio_send_advert: false,
            vrrp_owner_ignore_adverts: false,
            vrrp_down_timer_adverts: 3,
            vrrp_garp_master_delay: Timer::secs(5),
            vrrp_garp_master_repeat: 5,
            vrrp_garp_master_refresh: Timer::secs(0),
            vrrp_garp_master_refresh_repeat: 1,
            vrrp_garp_lower_prio_delay: Timer::secs(5),
            vrrp_garp_lower_prio_repeat: 5,
            vrrp_garp_extra_if: None,
            v3_checksum_as_v2: false,
            vrrp_notify_priority_changes: false,
            smtp_alert_vrrp: None,
            smtp_alert: None,
            vrrp_mcast_group4: IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18)),
            vrrp_mcast_group6: IpAddr::V6(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12)),
        }
    }
}
