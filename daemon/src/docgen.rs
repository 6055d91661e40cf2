//! The man pages and shell completions the package installs, generated from one source each and
//! committed under daemon/assets/ (cargo-deb packs them as they are). The test
//! [`tests::generated_files_are_up_to_date`] regenerates them and fails on any difference, so
//! they never drift from `--help` or the docs; with `KEEPALIVED_RS_BLESS=1` it writes them:
//!
//! ```text
//! KEEPALIVED_RS_BLESS=1 cargo test -p keepalived-rs --bin keepalived-rs docgen
//! ```
//!
//! - keepalived-rs(8): NAME, SYNOPSIS, DESCRIPTION's first line and OPTIONS from the command
//!   line's definitions (clap_mangen), COMMANDS likewise for every subcommand, then the
//!   sections of daemon/man/keepalived-rs.8.md (signals, files, exit status, systemd, ...).
//! - keepalived-rs.conf(5): daemon/man/keepalived-rs.conf.5.md around docs/compat.md.
//! - Completions for bash, zsh and fish (clap_complete).
//! - The example /etc/keepalived/keepalived.conf the package writes when there is none:
//!   etc/keepalived-lvs-dr-master.conf with every line a comment (nothing runs until the
//!   operator writes a configuration: an example must not take a VIP on a real network).
//!
//! Markdown becomes roff through a small renderer over pulldown-cmark's events (headings,
//! paragraphs, lists, definition lists, code, tables as tagged paragraphs), with the roff
//! crate's escaping.

use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_mangen::roff::{bold, italic, roman, Inline, Roff};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use crate::cli::Cli;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Every generated file: its path under the repository and its content.
pub fn generate() -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("daemon/assets/man/keepalived-rs.8", man8()),
        ("daemon/assets/man/keepalived-rs.conf.5", man5()),
        ("daemon/assets/keepalived.conf.example", example_conf()),
    ];
    for (path, shell) in [
        (
            "daemon/assets/completions/keepalived-rs.bash",
            clap_complete::Shell::Bash,
        ),
        (
            "daemon/assets/completions/_keepalived-rs",
            clap_complete::Shell::Zsh,
        ),
        (
            "daemon/assets/completions/keepalived-rs.fish",
            clap_complete::Shell::Fish,
        ),
    ] {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "keepalived-rs", &mut buf);
        out.push((path, String::from_utf8(buf).expect("completions are UTF-8")));
    }
    out
}

fn example_conf() -> String {
    let mut out = String::from(
        "# /etc/keepalived/keepalived.conf, written by the keepalived-rs package because there was\n\
         # none. keepalived-rs (and keepalived) read this file. Every line below is a comment, so\n\
         # nothing runs until you write your configuration: this is the classic LVS-DR director\n\
         # (MASTER side; the BACKUP side is in /usr/share/doc/keepalived-rs/examples/).\n\
         # See keepalived.conf(5) and keepalived-rs.conf(5); check with: keepalived-rs -t\n\
         # Purging the package removes this file only if it is unchanged.\n#\n",
    );
    for line in read("etc/keepalived-lvs-dr-master.conf").lines() {
        if line.is_empty() {
            out.push_str("#\n");
        } else {
            out.push_str(&format!("# {line}\n"));
        }
    }
    out
}

fn source() -> String {
    format!("keepalived-rs {}", env!("CARGO_PKG_VERSION"))
}

/// The preamble the roff crate starts every rendering with; kept once per page.
fn strip_preamble(rendered: &str) -> &str {
    match rendered.find("\n.SH") {
        Some(i) if rendered.starts_with(".ie") => &rendered[i + 1..],
        _ => rendered,
    }
}

fn man8() -> String {
    let mut cmd = Cli::command();
    cmd.build();
    let man = clap_mangen::Man::new(cmd.clone())
        .section("8")
        .source(source())
        .manual("System Administration");
    let mut page = Vec::new();
    man.render_title(&mut page).unwrap();
    man.render_name_section(&mut page).unwrap();
    man.render_synopsis_section(&mut page).unwrap();
    let mut page = String::from_utf8(page).unwrap();
    let mut options = Vec::new();
    man.render_options_section(&mut options).unwrap();
    let options = String::from_utf8(options).unwrap();
    let body = markdown_to_roff(&read("daemon/man/keepalived-rs.8.md"), 1);
    // DESCRIPTION (from the markdown) before OPTIONS, the rest after COMMANDS.
    let (description, rest) = match body.find("\n.SH ") {
        Some(i) => body.split_at(i + 1),
        None => (body.as_str(), ""),
    };
    page.push_str(description);
    page.push_str(strip_preamble(&options));
    page.push_str(&commands_section(&cmd));
    page.push_str(rest);
    page
}

/// COMMANDS: for each subcommand that runs something, its synopsis, description and options,
/// rendered by clap_mangen and set as subsections.
fn commands_section(cmd: &clap::Command) -> String {
    let mut out = String::from(".SH COMMANDS\n");
    let mut leaves = Vec::new();
    fn walk<'a>(
        c: &'a clap::Command,
        path: &mut Vec<&'a str>,
        leaves: &mut Vec<(String, &'a clap::Command)>,
    ) {
        for sub in c.get_subcommands().filter(|s| s.get_name() != "help") {
            path.push(sub.get_name());
            if sub.has_subcommands() {
                walk(sub, path, leaves);
            } else {
                leaves.push((path.join(" "), sub));
            }
            path.pop();
        }
    }
    walk(cmd, &mut Vec::new(), &mut leaves);
    for (name, sub) in leaves {
        let man = clap_mangen::Man::new(sub.clone());
        let mut synopsis = Vec::new();
        man.render_synopsis_section(&mut synopsis).unwrap();
        let synopsis = String::from_utf8(synopsis).unwrap();
        out.push_str(&format!(".SS \"keepalived-rs {name}\"\n"));
        // The synopsis without its heading.
        let synopsis = strip_preamble(&synopsis);
        out.push_str(synopsis.split_once('\n').map_or("", |(_, s)| s));
        let about = sub
            .get_long_about()
            .or(sub.get_about())
            .map(|a| a.to_string())
            .unwrap_or_default();
        let mut r = Roff::new();
        r.control("PP", [] as [&str; 0]).text([roman(about)]);
        out.push_str(strip_preamble(&r.render()));
        let mut options = Vec::new();
        man.render_options_section(&mut options).unwrap();
        let options = String::from_utf8(options).unwrap();
        // Its options as a list under the subsection.
        out.push_str(&strip_preamble(&options).replacen(".SH OPTIONS\n", "", 1));
    }
    out
}

fn man5() -> String {
    let mut r = Roff::new();
    r.control(
        "TH",
        [
            "keepalived-rs.conf",
            "5",
            "",
            source().as_str(),
            "File Formats Manual",
        ],
    );
    let mut page = r.render();
    let intro = markdown_to_roff(&read("daemon/man/keepalived-rs.conf.5.md"), 1);
    let (head, see_also) = match intro.find(".SH \"SEE ALSO\"") {
        Some(i) => intro.split_at(i),
        None => (intro.as_str(), ""),
    };
    page.push_str(head);
    // docs/compat.md: its title is this page's subject; its `##` sections become sections.
    page.push_str(&markdown_to_roff(&read("docs/compat.md"), 2));
    page.push_str(see_also);
    page
}

/// Renders markdown as roff. Headings of level `top` become `.SH` (as written: man pages'
/// upper-case headings are written so in the markdown), one deeper
/// `.SS`, shallower ones are left out (a document's title).
pub fn markdown_to_roff(md: &str, top: u8) -> String {
    let mut w = RoffWriter::default();
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_DEFINITION_LIST);
    for ev in Parser::new_ext(md, opts) {
        w.event(ev, top);
    }
    w.flush();
    let text = w.roff.render();
    strip_preamble(&text).to_string()
}

#[derive(Default)]
struct RoffWriter {
    roff: Roff,
    line: Vec<Inline>,
    bold: usize,
    italic: usize,
    heading: Option<u8>,
    code_block: Option<String>,
    /// Inside a list item or a definition: its first paragraph needs no `.PP`.
    item_start: bool,
    in_item: usize,
    table_head: Vec<Vec<Inline>>,
    table_row: Vec<Vec<Inline>>,
    in_table_head: bool,
    /// A table row's cells become a tagged paragraph: the first cell the tag, then each
    /// other non-empty one as `heading: cell`.
    in_table: bool,
    skip_html: bool,
}

impl RoffWriter {
    fn push(&mut self, text: &str) {
        let inline = if self.bold > 0 {
            bold(text)
        } else if self.italic > 0 {
            italic(text)
        } else {
            roman(text)
        };
        self.line.push(inline);
    }

    fn flush(&mut self) {
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            self.roff.text(line);
        }
    }

    fn paragraph(&mut self) {
        self.flush();
        if self.in_item > 0 {
            if !self.item_start {
                self.roff.control("IP", ["", "4"]);
            }
        } else {
            self.roff.control("PP", [] as [&str; 0]);
        }
        self.item_start = false;
    }

    fn event(&mut self, ev: Event, top: u8) {
        match ev {
            Event::Start(Tag::Heading { level, .. }) => {
                self.flush();
                self.heading = Some(level as u8);
            }
            Event::End(TagEnd::Heading(_)) => {
                let level = self.heading.take().unwrap_or(top);
                let text: String = std::mem::take(&mut self.line)
                    .into_iter()
                    .map(|i| match i {
                        Inline::Roman(t) | Inline::Bold(t) | Inline::Italic(t) => t,
                        Inline::LineBreak => " ".into(),
                    })
                    .collect();
                if level == top {
                    self.roff.control("SH", [text.as_str()]);
                } else if level > top {
                    self.roff.control("SS", [text.as_str()]);
                }
            }
            Event::Start(Tag::Paragraph) if !self.in_table => self.paragraph(),
            Event::Start(Tag::Paragraph) => {}
            Event::End(TagEnd::Paragraph) => self.flush(),
            Event::Start(Tag::Emphasis) => self.italic += 1,
            Event::End(TagEnd::Emphasis) => self.italic = self.italic.saturating_sub(1),
            Event::Start(Tag::Strong) => self.bold += 1,
            Event::End(TagEnd::Strong) => self.bold = self.bold.saturating_sub(1),
            Event::Code(t) => self.line.push(bold(t.to_string())),
            Event::Text(t) => match &mut self.code_block {
                Some(block) => block.push_str(&t),
                None => self.push(&t),
            },
            Event::SoftBreak => self.push(" "),
            Event::HardBreak => self.line.push(Inline::LineBreak),
            Event::Start(Tag::CodeBlock(_)) => {
                self.flush();
                self.code_block = Some(String::new());
            }
            Event::End(TagEnd::CodeBlock) => {
                let block = self.code_block.take().unwrap_or_default();
                if self.in_item == 0 {
                    self.roff.control("PP", [] as [&str; 0]);
                }
                self.roff
                    .control("RS", ["4"])
                    .control("nf", [] as [&str; 0]);
                self.roff.text([roman(block.trim_end())]);
                self.roff
                    .control("fi", [] as [&str; 0])
                    .control("RE", [] as [&str; 0]);
            }
            Event::Start(Tag::Item) => {
                self.flush();
                self.roff.control("IP", ["\\(bu", "2"]);
                self.in_item += 1;
                self.item_start = true;
            }
            Event::End(TagEnd::Item) => {
                self.flush();
                self.in_item -= 1;
            }
            Event::Start(Tag::DefinitionListTitle) => {
                self.flush();
                self.roff.control("TP", [] as [&str; 0]);
                self.bold += 1;
            }
            Event::End(TagEnd::DefinitionListTitle) => {
                self.bold -= 1;
                self.flush();
            }
            Event::Start(Tag::DefinitionListDefinition) => {
                self.flush();
                self.in_item += 1;
                self.item_start = true;
            }
            Event::End(TagEnd::DefinitionListDefinition) => {
                self.flush();
                self.in_item -= 1;
            }
            Event::End(TagEnd::List(_)) | Event::End(TagEnd::DefinitionList) => {
                self.flush();
                if self.in_item == 0 {
                    self.roff.control("PP", [] as [&str; 0]);
                }
            }
            Event::Start(Tag::Table(_)) => {
                self.flush();
                self.in_table = true;
                self.table_head.clear();
            }
            Event::End(TagEnd::Table) => {
                self.in_table = false;
                self.roff.control("PP", [] as [&str; 0]);
            }
            Event::Start(Tag::TableHead) => self.in_table_head = true,
            Event::End(TagEnd::TableHead) => self.in_table_head = false,
            Event::Start(Tag::TableRow) => self.table_row.clear(),
            Event::End(TagEnd::TableRow) => self.table_row_done(),
            Event::Start(Tag::TableCell) => self.line.clear(),
            Event::End(TagEnd::TableCell) => {
                let cell = std::mem::take(&mut self.line);
                if self.in_table_head {
                    self.table_head.push(cell);
                } else {
                    self.table_row.push(cell);
                }
            }
            Event::Html(_) | Event::InlineHtml(_) => self.skip_html = true,
            Event::Rule => {
                self.flush();
                self.roff.control("PP", [] as [&str; 0]);
            }
            // Links and images: their text stands.
            _ => {}
        }
    }

    fn table_row_done(&mut self) {
        if self.in_table_head {
            return;
        }
        let row = std::mem::take(&mut self.table_row);
        let mut cells = row.into_iter().enumerate();
        let Some((_, first)) = cells.next() else {
            return;
        };
        self.roff.control("TP", [] as [&str; 0]);
        let tag: Vec<Inline> = first
            .into_iter()
            .map(|i| match i {
                Inline::Roman(t) | Inline::Italic(t) => bold(t),
                other => other,
            })
            .collect();
        self.roff
            .text(if tag.is_empty() { vec![roman("")] } else { tag });
        let mut body: Vec<Inline> = Vec::new();
        for (i, cell) in cells {
            if cell.is_empty() {
                continue;
            }
            if !body.is_empty() {
                body.push(Inline::LineBreak);
            }
            let head: String = self
                .table_head
                .get(i)
                .map(|h| {
                    h.iter()
                        .map(|x| match x {
                            Inline::Roman(t) | Inline::Bold(t) | Inline::Italic(t) => t.as_str(),
                            Inline::LineBreak => " ",
                        })
                        .collect()
                })
                .unwrap_or_default();
            if !head.trim().is_empty() {
                body.push(italic(format!("{}:", head.trim())));
                body.push(roman(" "));
            }
            body.extend(cell);
        }
        if !body.is_empty() {
            self.roff.text(body);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_files_are_up_to_date() {
        let bless = std::env::var_os("KEEPALIVED_RS_BLESS").is_some();
        let mut stale = Vec::new();
        for (rel, content) in generate() {
            let path = repo().join(rel);
            let now = std::fs::read_to_string(&path).unwrap_or_default();
            if now != content {
                if bless {
                    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                    std::fs::write(&path, &content).unwrap();
                } else {
                    stale.push(rel);
                }
            }
        }
        assert!(
            stale.is_empty(),
            "generated files differ from their sources: {stale:?}; regenerate them with\n  \
             KEEPALIVED_RS_BLESS=1 cargo test -p keepalived-rs --bin keepalived-rs docgen"
        );
    }

    #[test]
    fn markdown_becomes_roff() {
        let md = "# TITLE\n\nSome *text* with `--flag` and a \\ backslash.\n\n\
                  ## Sub\n\n- one\n- two\n\nterm\n:   its definition\n\n\
                  | case | a | b |\n|---|---|---|\n| `x` | y | |\n\n```\n.leading dot\n```\n";
        let r = markdown_to_roff(md, 1);
        assert_eq!(
            r,
            ".SH TITLE\n.PP\nSome \\fItext\\fR with \\fB\\-\\-flag\\fR and a \\\\ backslash.\n\
             .SS Sub\n.IP \\(bu 2\none\n.IP \\(bu 2\ntwo\n.PP\n\
             .TP\n\\fBterm\\fR\nits definition\n.PP\n\
             .TP\n\\fBx\\fR\n\\fIa:\\fR y\n.PP\n\
             .PP\n.RS 4\n.nf\n\\&.leading dot\n.fi\n.RE\n"
        );
    }

    /// The page names every option and subcommand `--help` does.
    #[test]
    fn man_page_has_every_flag_and_command() {
        let page = man8();
        let mut cmd = Cli::command();
        cmd.build();
        fn all<'a>(c: &'a clap::Command, out: &mut Vec<&'a clap::Arg>, names: &mut Vec<&'a str>) {
            out.extend(c.get_arguments().filter(|a| !a.is_hide_set()));
            for s in c.get_subcommands() {
                names.push(s.get_name());
                all(s, out, names);
            }
        }
        let (mut args, mut names) = (Vec::new(), Vec::new());
        all(&cmd, &mut args, &mut names);
        for a in args {
            if let Some(l) = a.get_long() {
                let escaped = format!("\\-\\-{}", l.replace('-', "\\-"));
                assert!(
                    page.contains(&escaped),
                    "--{l} missing from keepalived-rs(8)"
                );
            }
        }
        for n in names {
            assert!(page.contains(n), "command {n} missing");
        }
        for section in [
            "SIGNALS",
            "FILES",
            "EXIT STATUS",
            "SYSTEMD",
            "COMMANDS",
            "OPTIONS",
        ] {
            let heading = if section.contains(' ') {
                format!(".SH \"{section}\"")
            } else {
                format!(".SH {section}")
            };
            assert!(page.contains(&heading), "{section}");
        }
    }
}
