//! Arbitrary bytes, read as a configuration file: the parse, the rendering of every diagnostic and
//! the JSON dump of the model must not panic, hang or blow up, whatever the input.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let opts = conf_parser::Options { config_id: "fuzz".into(), ..Default::default() };
    let parsed = conf_parser::parse_str("fuzz.conf", &text, &opts);
    let _ = parsed.render_diagnostics();
    let _ = serde_json::to_string(&parsed.config).expect("the model always serialises");
});
