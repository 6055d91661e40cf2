use super::*;

const UP: u32 = 0x11043;
const DOWN: u32 = 0x1002;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn at(n: u64) -> Time {
    Time(ms(n))
}

/// eth1: down 600 ms, up 1200 ms; eth0 down only (no up delay), as measured.
fn debounce() -> Debounce {
    let mut d = Debounce::new(BTreeMap::from([
        (
            "eth1".to_string(),
            Delays {
                down: ms(600),
                up: ms(1200),
            },
        ),
        (
            "eth0".to_string(),
            Delays {
                down: ms(700),
                up: Duration::ZERO,
            },
        ),
    ]));
    d.seed("eth1", true, UP);
    d.seed("eth0", true, UP);
    d
}

fn due(name: &str, up: bool) -> Due {
    Due {
        name: name.into(),
        index: 3,
        up,
    }
}

#[test]
fn a_change_is_logged_at_once_and_acted_on_after_its_delay() {
    let mut d = debounce();
    assert_eq!(
        d.observe("eth1", 3, false, DOWN, at(1000)),
        Observed::Held(Some(
            "eth1: Adding flags change from 0x11043 to 0x1002 delay by 600000".into()
        ))
    );
    assert_eq!(
        d.held("eth1"),
        Some(true),
        "still up while the change waits"
    );
    assert_eq!(d.next_due(), Some(at(1600)));
    assert!(d.due(at(1599)).is_empty());
    assert_eq!(d.due(at(1600)), [due("eth1", false)]);
    assert_eq!(d.held("eth1"), Some(false));
    assert_eq!(d.next_due(), None);
    // And back up, with the up delay, from the flags held.
    assert_eq!(
        d.observe("eth1", 3, true, UP, at(2000)),
        Observed::Held(Some(
            "eth1: Adding flags change from 0x1002 to 0x11043 delay by 1200000".into()
        ))
    );
    assert_eq!(d.due(at(3200)), [due("eth1", true)]);
    assert_eq!(d.held("eth1"), Some(true));
}

#[test]
fn a_flap_shorter_than_the_delay_is_never_seen() {
    let mut d = debounce();
    assert!(matches!(
        d.observe("eth1", 3, false, DOWN, at(0)),
        Observed::Held(Some(_))
    ));
    // Back up before 600 ms: nothing to log, nothing due, the state never changed.
    assert_eq!(d.observe("eth1", 3, true, UP, at(500)), Observed::Now);
    assert_eq!(d.next_due(), None);
    assert!(d.due(at(5000)).is_empty());
    assert_eq!(d.held("eth1"), Some(true));
}

#[test]
fn a_second_message_of_the_same_change_keeps_its_time() {
    let mut d = debounce();
    let _ = d.observe("eth1", 3, false, 0x1003, at(0));
    assert_eq!(
        d.observe("eth1", 3, false, DOWN, at(300)),
        Observed::Held(None)
    );
    assert_eq!(d.next_due(), Some(at(600)));
}

#[test]
fn no_delay_for_a_direction_acts_at_once() {
    let mut d = debounce();
    assert!(matches!(
        d.observe("eth0", 2, false, 0x1003, at(0)),
        Observed::Held(Some(_))
    ));
    assert_eq!(d.due(at(700)).len(), 1);
    // eth0 has no up delay: its up is acted on at once.
    assert_eq!(d.observe("eth0", 2, true, UP, at(1000)), Observed::Now);
    assert_eq!(d.held("eth0"), Some(true));
}

#[test]
fn interfaces_without_delays_are_not_held() {
    let mut d = debounce();
    assert_eq!(d.observe("eth2", 4, false, DOWN, at(0)), Observed::Now);
    assert_eq!(d.held("eth2"), None);
}

#[test]
fn a_link_first_seen_by_its_event_is_taken_as_it_is() {
    let mut d = Debounce::new(BTreeMap::from([(
        "eth1".to_string(),
        Delays {
            down: ms(600),
            up: ms(600),
        },
    )]));
    assert_eq!(d.held("eth1"), None);
    assert_eq!(d.observe("eth1", 3, true, UP, at(0)), Observed::Now);
    assert_eq!(d.held("eth1"), Some(true));
    d.gone("eth1");
    assert_eq!(d.held("eth1"), None);
}

#[test]
fn a_reload_keeps_a_waiting_change_and_drops_the_delays_of_removed_lines() {
    let mut d = debounce();
    let _ = d.observe("eth1", 3, false, DOWN, at(0));
    let _ = d.observe("eth0", 2, false, DOWN, at(0));
    d.reconfigure(
        BTreeMap::from([(
            "eth1".to_string(),
            Delays {
                down: ms(100),
                up: ms(100),
            },
        )]),
        at(200),
    );
    // eth0 has no delay any more: its change is due now; eth1's keeps its time.
    assert_eq!(
        d.due(at(200)),
        [Due {
            name: "eth0".into(),
            index: 2,
            up: false
        }]
    );
    assert_eq!(d.held("eth0"), None, "the kernel's state from now on");
    assert_eq!(d.next_due(), Some(at(600)));
    assert_eq!(d.due(at(600)), [due("eth1", false)]);
    // The next change goes by the new delay.
    let _ = d.observe("eth1", 3, true, UP, at(1000));
    assert_eq!(d.next_due(), Some(at(1100)));
}

fn planned(text: &str) -> (BTreeMap<String, Delays>, Vec<String>) {
    let p = conf_parser::parse_str("t.conf", text, &conf_parser::Options::default());
    assert!(p.is_ok(), "{}", p.render_diagnostics());
    let plan = super::super::plan::plan(&p.config).unwrap();
    (plan.link_delays, plan.link_delay_notes)
}

fn instance(extra: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 51\n priority 150\n \
         track_interface {{\n  eth1\n }}\n virtual_ipaddress {{\n  10.0.0.1/24\n }}\n{extra}}}\n"
    )
}

fn delays(down_us: u64, up_us: u64) -> Delays {
    Delays {
        down: Duration::from_micros(down_us),
        up: Duration::from_micros(up_us),
    }
}

#[test]
fn an_instance_caps_the_delays_of_its_own_interface_as_keepalived() {
    // Measured with keepalived 2.2.7: advert_int 2, `eth0 5 1.5`: down 3992188 us, up 1500000;
    // the tracked eth1 keeps 5 s.
    let (d, notes) = planned(&format!(
        "interface_up_down_delays {{\n eth0 5 1.5\n eth1 5 5\n}}\n{}",
        instance(" advert_int 2\n")
    ));
    assert_eq!(d["eth0"], delays(3_992_188, 1_500_000));
    assert_eq!(d["eth1"], delays(5_000_000, 5_000_000));
    assert_eq!(
        notes,
        ["VI_1: interface eth0 debounce timer(s) not less that 2 * advert_int - resetting"]
    );
    // down_timer_adverts 5, advert_int 1: the limit is 4 s (measured: 3996094 us).
    let (d, notes) = planned(&format!(
        "interface_up_down_delays {{\n eth0 5 1.5\n}}\n{}",
        instance(" advert_int 1\n down_timer_adverts 5\n")
    ));
    assert_eq!(d["eth0"], delays(3_996_094, 1_500_000));
    assert_eq!(
        notes,
        ["VI_1: interface eth0 debounce timer(s) not less that 4 * advert_int - resetting"]
    );
}

#[test]
fn delays_under_the_limit_are_kept_and_an_omitted_up_delay_is_zero() {
    let (d, notes) = planned(&format!(
        "interface_up_down_delays {{\n eth0 1.9999 0.5\n eth1 0.6\n}}\n{}",
        instance(" advert_int 1\n")
    ));
    assert_eq!(d["eth0"], delays(1_999_900, 500_000));
    assert_eq!(d["eth1"], delays(600_000, 0));
    assert!(notes.is_empty(), "{notes:?}");
}

#[test]
fn down_timer_adverts_1_leaves_no_delay() {
    let (d, notes) = planned(&format!(
        "interface_up_down_delays {{\n eth0 0.5\n}}\n{}",
        instance(" down_timer_adverts 1\n")
    ));
    assert_eq!(d["eth0"], Delays::default());
    assert_eq!(
        notes,
        ["VI_1: cannot use debounce timers with down_timer_adverts = 1 - resetting"]
    );
}
