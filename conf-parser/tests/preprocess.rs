//! keepalived's preprocessing features, each shown on a small input: what goes in, the statement
//! tree that must come out (in `tree::to_text` form), and exact diagnostics.

use conf_parser::{tree, tree_from_file, tree_from_str, Options, ParsedTree};
use std::path::{Path, PathBuf};

fn opts(id: &str) -> Options {
    Options {
        config_id: id.to_string(),
        ..Default::default()
    }
}

fn text(t: &ParsedTree) -> String {
    tree::to_text(&t.nodes)
}

fn headlines(t: &ParsedTree) -> Vec<String> {
    t.diags.iter().map(|d| d.headline(&t.sources)).collect()
}

fn clean(input: &str, id: &str) -> String {
    let t = tree_from_str("t.conf", input, &opts(id));
    assert!(
        t.diags.is_empty(),
        "unexpected diagnostics: {:?}",
        headlines(&t)
    );
    text(&t)
}

/// A fresh directory for include tests.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kars-pre-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, body).unwrap();
    p
}

#[test]
fn comments_and_quotes() {
    let input = "! a comment\nscript \"/bin/echo a # b\" # trailing\nnotify 'x y'!bang\n";
    assert_eq!(
        clean(input, "x"),
        "script \"/bin/echo a # b\"\nnotify \"x y\"\n"
    );
}

#[test]
fn braces_on_the_same_or_the_next_line() {
    let input = "a {\n b 1\n}\nc\n{\n  d { e }\n}\nf { g } h\n";
    assert_eq!(
        clean(input, "x"),
        "a {\n  b 1\n}\nc {\n  d {\n    e\n  }\n}\nf {\n  g\n}\nh\n"
    );
}

#[test]
fn conditional_lines() {
    let input = "@main router_id main_router\n@backup router_id backup_router\nunicast_peer {\n  @^main 1.2.3.4\n  @^backup 1.2.3.5\n  @^backup2 1.2.3.6\n}\n";
    assert_eq!(
        clean(input, "main"),
        "router_id main_router\nunicast_peer {\n  1.2.3.5\n  1.2.3.6\n}\n"
    );
    assert_eq!(
        clean(input, "other"),
        "unicast_peer {\n  1.2.3.4\n  1.2.3.5\n  1.2.3.6\n}\n"
    );
}

#[test]
fn parameters_are_expanded_lazily_and_recursively() {
    let input = "$ADDRESS_BASE=10.2.${ADDRESS_BASE_SUB}\n$ADDRESS_BASE_SUB=0\n${ADDRESS_BASE}.100/32\n$ADDRESS_BASE_SUB=10\n${ADDRESS_BASE}.100/32\n";
    assert_eq!(clean(input, "x"), "10.2.0.100/32\n10.2.10.100/32\n");
}

#[test]
fn plain_reference_needs_whitespace_after_it() {
    let input = "$P=240\npriority $P\nx $P.5\ny ${UNDEF} $UNDEF\n";
    assert_eq!(
        clean(input, "x"),
        "priority 240\nx $P.5\ny \"${UNDEF}\" $UNDEF\n"
    );
}

#[test]
fn parameters_with_conditionals() {
    let input = "@main $PRIORITY=240\n@backup $PRIORITY=200\npriority $PRIORITY\n$IF_MAIN=@main\n$IF_MAIN weight 3\n";
    assert_eq!(clean(input, "main"), "priority 240\nweight 3\n");
    assert_eq!(clean(input, "backup"), "priority 200\n");
}

#[test]
fn multiline_definitions() {
    let input = "$INSTANCE= \\\nvrrp_instance VI_${NUM} { \\\n  interface eth0.${NUM} \\\n  @high priority 130 \\\n  @low priority 120 \\\n}\n$NUM=0\n$INSTANCE\n$NUM=1\n$INSTANCE\n";
    assert_eq!(
        clean(input, "high"),
        "vrrp_instance VI_0 {\n  interface eth0.0\n  priority 130\n}\nvrrp_instance VI_1 {\n  interface eth0.1\n  priority 130\n}\n"
    );
}

#[test]
fn nested_multiline_definitions_define_parameters_inside() {
    let input = "$RS= \\\nreal_server 192.168.${VS}.${RS_NUM} 80 { \\\n  weight 1 \\\n}\n$VS_BLOCK= \\\nvirtual_server 10.0.${VS}.4 80 { \\\n  $RS_NUM=1 \\\n  $RS \\\n  $RS_NUM=2 \\\n  $RS \\\n}\n$VS=7\n$VS_BLOCK\n";
    assert_eq!(
        clean(input, "x"),
        "virtual_server 10.0.7.4 80 {\n  real_server 192.168.7.1 80 {\n    weight 1\n  }\n  real_server 192.168.7.2 80 {\n    weight 1\n  }\n}\n"
    );
}

#[test]
fn self_reference_is_an_error_not_a_hang() {
    let t = tree_from_str("t.conf", "$A=x${A}\nv $A\n", &opts("x"));
    assert_eq!(
        headlines(&t),
        ["t.conf:2:3: error: parameter 'A' refers to itself, so it would expand forever"]
    );
    // Through another parameter: caught by the limits on substitutions and line length.
    let t = tree_from_str("t.conf", "$A=${B}x\n$B=${A}y\nv $A\n", &opts("x"));
    let h = headlines(&t);
    assert_eq!(h.len(), 1, "{h:?}");
    assert!(
        h[0].ends_with("error: parameter 'A' keeps expanding")
            || h[0].ends_with("error: parameter 'B' keeps expanding"),
        "{h:?}"
    );
    // A multi-line parameter used inside itself would double at every level.
    let t = tree_from_str("t.conf", "$X=$X \\\n$X\n$X\n", &opts("x"));
    assert_eq!(
        headlines(&t),
        ["t.conf:3:1: error: parameter 'X' refers to itself, so it would expand forever"]
    );
}

#[test]
fn builtins() {
    std::env::set_var("KARS_TEST_ENV", "from-env");
    let input = "a ${_INSTANCE} ${_HASH} ${_BANG}\nb ${_ENV KARS_TEST_ENV}\nc ${_PWD}\n";
    let out = clean(input, "node1");
    let pwd = std::env::current_dir().unwrap().canonicalize().unwrap();
    assert_eq!(
        out,
        format!("a node1 \"#\" \"!\"\nb from-env\nc {}\n", pwd.display())
    );
}

#[test]
fn random_is_in_range_and_repeatable_with_a_seed() {
    let input = "random_seed 42\n~SEQ(i, 1, 20) r ${_RANDOM 5 9}\n";
    let a = clean(input, "x");
    assert_eq!(
        a,
        clean(input, "x"),
        "random_seed makes ${{_RANDOM}} repeatable"
    );
    let values: Vec<u64> = a.lines().skip(1).map(|l| l[2..].parse().unwrap()).collect();
    assert_eq!(values.len(), 20);
    assert!(values.iter().all(|v| (5..=9).contains(v)), "{values:?}");
    assert!(
        values.iter().any(|v| *v != values[0]),
        "not constant: {values:?}"
    );
    let t = tree_from_str("t.conf", "x ${_RANDOM 9 5}\n", &opts("x"));
    assert_eq!(
        headlines(&t),
        ["t.conf:1:3: error: ${_RANDOM 9 5}: MIN is greater than MAX"]
    );
}

#[test]
fn sequences() {
    assert_eq!(
        clean("~SEQ(SUBNET, 0, 3) ip 10.0.${SUBNET}.1\n", "x"),
        "ip 10.0.0.1\nip 10.0.1.1\nip 10.0.2.1\nip 10.0.3.1\n"
    );
    assert_eq!(clean("~SEQ(N, 3) n $N\n", "x"), "n 1\nn 2\nn 3\n");
    assert_eq!(clean("~SEQ(N, 3, 1) n $N\n", "x"), "n 3\nn 2\nn 1\n");
    assert_eq!(clean("~SEQ(N, -2) n $N\n", "x"), "n -1\nn -2\n");
    assert_eq!(
        clean("~SEQx(S, 0x90, 0x10, 0xc0) ip fe80::20:${S}:1\n", "x"),
        "ip fe80::20:90:1\nip fe80::20:a0:1\nip fe80::20:b0:1\nip fe80::20:c0:1\n"
    );
    assert_eq!(
        clean(
            "~SEQx(A, 0x90, 0x10, 0xa0) ~SEQx(B, 0x12, -1, 0x11) fe81::10:${A}:${B}\n",
            "x"
        ),
        "fe81::10:90:12\nfe81::10:90:11\nfe81::10:a0:12\nfe81::10:a0:11\n"
    );
}

#[test]
fn sequence_errors() {
    let t = tree_from_str("t.conf", "~SEQ(i 1) x\n~SEQ(i, 1, 0, 5) y\n", &opts("x"));
    assert_eq!(
        headlines(&t),
        [
            "t.conf:1:1: error: malformed ~SEQ: expected ~SEQ(var, [start, [step,]] end)",
            "t.conf:2:1: error: ~SEQ step must not be 0",
        ]
    );
}

#[test]
fn lists() {
    assert_eq!(
        clean("~LST({IP, IP1}, {10,1},{20,4}) 192.168.${IP}.${IP1}\n", "x"),
        "192.168.10.1\n192.168.20.4\n"
    );
    // `$A.` is not a reference (no whitespace after it); `$B` at the end of the line is.
    assert_eq!(
        clean("~LST(A, 1, 2) ~LST(B, 5,6) v$A.$B\n", "x"),
        "v$A.5\nv$A.6\nv$A.5\nv$A.6\n"
    );
    assert_eq!(
        clean("~LST(A, 1, 2) ~LST(B, 5,6) v${A}.${B}\n", "x"),
        "v1.5\nv1.6\nv2.5\nv2.6\n"
    );
    assert_eq!(
        clean(
            "~LST({IP, IP1}, {10,1},{20,4}) ~SEQ(IP2,168,2,170) 192.${IP2}.${IP}.${IP1}\n",
            "x"
        ),
        "192.168.10.1\n192.170.10.1\n192.168.20.4\n192.170.20.4\n"
    );
    let t = tree_from_str("t.conf", "~LST({A, B}, {1}) x\n", &opts("x"));
    assert_eq!(
        headlines(&t),
        ["t.conf:1:1: error: ~LST value {1} has 1 items for 2 variables"]
    );
}

#[test]
fn origins_follow_expansions() {
    let input = "$P=250\n\nvrrp_instance X {\n    priority $P\n}\n~SEQ(N, 2) n ${N}\n";
    let t = tree_from_str("t.conf", input, &opts("x"));
    let inst = &t.nodes[0];
    assert_eq!((inst.keyword.span.line, inst.keyword.span.col), (3, 1));
    let prio = &inst.items()[0];
    assert_eq!((prio.keyword.span.line, prio.keyword.span.col), (4, 5));
    // The value came from the definition on line 1, column 4.
    assert_eq!((prio.args[0].span.line, prio.args[0].span.col), (1, 4));
    // Sequence values point at the ~SEQ that made them.
    assert_eq!(
        (t.nodes[2].args[0].span.line, t.nodes[2].args[0].span.col),
        (6, 1)
    );
}

#[test]
fn includes_are_relative_to_the_including_file_with_globs_and_braces() {
    let dir = scratch("inc");
    write(&dir, "conf.d/b.conf", "b 1\n");
    write(&dir, "conf.d/a.conf", "a 1\n");
    write(&dir, "conf.d/sub/c.conf", "include ../x.conf\n");
    write(&dir, "conf.d/x.conf", "x ${_PWD}\n");
    write(&dir, "other/o.conf", "o 1\n");
    let main = write(
        &dir,
        "main.conf",
        "include conf.d/*.conf\ninclude {conf.d/sub/c,other/o}.conf\nend\n",
    );
    let t = tree_from_file(&main, &opts("x"));
    assert!(t.diags.is_empty(), "{:?}", headlines(&t));
    let d = dir.join("conf.d").canonicalize().unwrap();
    assert_eq!(
        text(&t),
        format!("a 1\nb 1\nx {0}\nx {0}\no 1\nend\n", d.display())
    );
    // Origins name the included file.
    let b = &t.nodes[1];
    assert_eq!(
        t.sources.origin(b.keyword.span).to_string(),
        format!("{}:1:1", dir.join("conf.d/b.conf").display())
    );
}

#[test]
fn include_cycles_are_reported_once() {
    let dir = scratch("cycle");
    write(&dir, "a.conf", "a 1\ninclude b.conf\n");
    write(&dir, "b.conf", "b 1\ninclude a.conf\n");
    let t = tree_from_file(&dir.join("a.conf"), &opts("x"));
    assert_eq!(text(&t), "a 1\nb 1\n");
    let h = headlines(&t);
    assert_eq!(h.len(), 1, "{h:?}");
    assert_eq!(
        h[0],
        format!(
            "{}:2:1: error: include cycle: '{}' is already being read",
            dir.join("b.conf").display(),
            dir.join("a.conf").display()
        )
    );
}

#[test]
fn missing_includes() {
    let dir = scratch("missing");
    let main = write(
        &dir,
        "main.conf",
        "include none.conf\nincludea none.conf\ninclude *.missing\nincludew *.missing\n",
    );
    let t = tree_from_file(&main, &opts("x"));
    let m = main.display();
    assert_eq!(
        headlines(&t),
        [
            format!("{m}:1:9: warning: include 'none.conf' matches no file"),
            format!("{m}:2:10: error: include 'none.conf' matches no file"),
            format!("{m}:3:9: warning: include '*.missing' matches no file"),
            format!("{m}:4:10: error: include '*.missing' matches no file"),
        ]
    );
}

#[test]
fn unbalanced_braces_name_the_opening_line() {
    let t = tree_from_str(
        "t.conf",
        "global_defs {\n  router_id x\n}\nvrrp_instance VI_1 {\n  state MASTER\n",
        &opts("x"),
    );
    assert_eq!(
        headlines(&t),
        ["t.conf:4:20: error: unclosed '{': no matching '}' before the end of the configuration"]
    );
    assert_eq!(t.diags.worst(), Some(conf_parser::Level::Fatal));
    let t = tree_from_str("t.conf", "a {\n}\n}\n", &opts("x"));
    assert_eq!(
        headlines(&t),
        ["t.conf:3:1: error: unexpected '}': no block is open here"]
    );
    assert_eq!(t.diags.worst(), Some(conf_parser::Level::Fatal));
}

#[test]
fn unterminated_quote() {
    let t = tree_from_str("t.conf", "script \"/bin/true\nnext 1\n", &opts("x"));
    assert_eq!(
        headlines(&t),
        ["t.conf:1:8: error: unterminated quoted string; the line is ignored"]
    );
    // The line is dropped, as keepalived drops it, and its daemon runs on.
    assert_eq!(t.nodes.len(), 1);
    assert_eq!(t.nodes[0].name(), "next");
    let d = t.diags.iter().next().unwrap();
    assert_eq!(d.daemon, conf_parser::KeepalivedDaemon::RunsOn);
    // A brace after the quote is part of the quoted text: the block's '}' is then unmatched.
    let t = tree_from_str("t.conf", "a \"x {\n b 1\n}\n", &opts("x"));
    assert_eq!(t.diags.len(), 2, "{:?}", t.diags);
    // One before it stays (without its keyword); that case is not measured.
    let t = tree_from_str("t.conf", "a { \"x\n b 1\n}\n", &opts("x"));
    assert!(t.nodes.is_empty(), "{:?}", t.nodes);
    let d = t.diags.iter().next().unwrap();
    assert_eq!(d.daemon, conf_parser::KeepalivedDaemon::NotMeasured);
}

#[test]
fn rendered_diagnostic_shows_line_and_caret() {
    let t = tree_from_str("t.conf", "a {\n\tb \"x\n}\n", &opts("x"));
    let d = t.diags.iter().next().unwrap();
    assert_eq!(
        d.render(&t.sources),
        "t.conf:2:4: error: unterminated quoted string; the line is ignored\n  |\n2 |  b \"x\n  |    ^\n"
    );
}

#[test]
fn include_variants_add_their_checks() {
    let dir = scratch("variants");
    write(&dir, "a.conf", "a 1\n");
    std::fs::create_dir_all(dir.join("d.conf")).unwrap(); // matches a pattern but cannot be read
    let main = write(
        &dir,
        "main.conf",
        "include d.conf\nincluder d.conf\nincludem nope.conf\nincludeb {a,b}.conf\ninclude {a,b}.conf\n",
    );
    let t = tree_from_file(&main, &opts("x"));
    let m = main.display();
    assert_eq!(text(&t), "a 1\na 1\n");
    assert_eq!(
        headlines(&t),
        [
            format!(
                "{m}:1:9: warning: cannot read included file '{}'",
                dir.join("d.conf").display()
            ),
            format!(
                "{m}:2:10: error: cannot read included file '{}'",
                dir.join("d.conf").display()
            ),
            format!("{m}:3:10: error: include 'nope.conf' matches no file"),
            format!("{m}:4:10: error: include 'b.conf' matches no file"),
            format!("{m}:5:9: warning: include 'b.conf' matches no file"),
        ]
    );
}

#[test]
fn include_brace_explosion_is_refused() {
    let t = tree_from_str(
        "t.conf",
        &format!("include {}\n", "{a,b}".repeat(11)),
        &opts("x"),
    );
    let h = headlines(&t);
    assert_eq!(h.len(), 1);
    assert!(
        h[0].starts_with("t.conf:1:9: error: include pattern '{a,b}"),
        "{h:?}"
    );
    assert!(
        h[0].ends_with("' expands to more than 1024 alternatives"),
        "{h:?}"
    );
}

#[test]
fn include_check_governs_later_includes_of_the_same_file() {
    let dir = scratch("include-check");
    write(&dir, "sub.conf", "include_check\nsub 1\n");
    let main = write(
        &dir,
        "main.conf",
        "include none1.conf\ninclude sub.conf\ninclude none2.conf\nglobal_defs {\n  include_check match\n}\ninclude none3.conf\n",
    );
    let t = tree_from_file(&main, &opts("x"));
    let m = main.display();
    assert_eq!(
        headlines(&t),
        [
            format!("{m}:1:9: warning: include 'none1.conf' matches no file"),
            // sub.conf's own include_check ended with sub.conf.
            format!("{m}:3:9: warning: include 'none2.conf' matches no file"),
            format!("{m}:7:9: error: include 'none3.conf' matches no file"),
        ]
    );
}
