//! On a kernel without IPVS (these machines), opening the client is a clear typed error, not a
//! panic or a hang; with IPVS it opens and answers.

#[test]
fn open_reports_missing_ipvs_or_works() {
    let have_proc = std::path::Path::new("/proc/net/ip_vs").exists();
    match ipvs::Client::open() {
        Ok(mut c) => {
            assert!(
                have_proc,
                "the IPVS family resolved but /proc/net/ip_vs is missing"
            );
            let info = c.info().expect("info");
            assert!(info.conn_table_size > 0);
        }
        Err(ipvs::Error::NoIpvs) => {
            assert!(
                !have_proc,
                "/proc/net/ip_vs exists but the family did not resolve"
            );
            let msg = ipvs::Error::NoIpvs.to_string();
            assert!(msg.contains("no IPVS"), "{msg}");
        }
        Err(e) => panic!("unexpected error: {e}"),
    }
}
