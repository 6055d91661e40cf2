//! Arbitrary bytes as IPVS generic-netlink replies: the netlink splitter and every IPVS attribute
//! decoder must never panic. A destination that decodes is re-encoded and must decode back to
//! itself.

#![no_main]

use ipvs::netlink::wire;
use ipvs::Family;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for r in wire::replies(data).take(64) {
        if let Ok(wire::Reply::Data { attrs, .. }) = r {
            let _ = wire::find_attr(attrs, wire::cmd_attr::SERVICE).map(|s| s.map(wire::decode_service));
            let _ = wire::decode_info(attrs);
            let _ = wire::decode_timeouts(attrs);
        }
    }
    let _ = wire::decode_service(data);
    let _ = wire::decode_daemon(data);
    for fam in [Family::Inet, Family::Inet6] {
        if let Ok(d) = wire::decode_dest(data, fam) {
            let mut w = wire::AttrWriter::new();
            wire::put_dest(&mut w, fam, &d.dest, false);
            let again = wire::decode_dest(&w.buf[4..], fam).expect("re-encoded destination decodes");
            assert_eq!(again.dest, d.dest);
        }
    }
});
