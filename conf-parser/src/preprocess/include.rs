//! `include` and its variants: the files a pattern names, read in place, with the checks
//! keepalived's `include_check` levels add.

use super::*;

impl Preprocessor<'_> {
    pub(super) fn include(
        &mut self,
        line: &Line,
        kw_len: usize,
        checks: IncludeChecks,
        dir: &Path,
    ) {
        let kw_span = line.span_at(0, kw_len as u32);
        let rest = line.slice(kw_len, line.text.len()).trimmed();
        let pattern = rest
            .text
            .trim_matches(|c| c == '"' || c == '\'')
            .to_string();
        let at = rest.span_at(0, rest.text.chars().count().max(1) as u32);
        if pattern.is_empty() {
            self.diags
                .error(kw_span, "include needs a file name or pattern");
            return;
        }
        let Some(alternatives) = expand_braces(&pattern) else {
            self.diags.error(at, format!("include pattern '{pattern}' expands to more than {MAX_BRACE_ALTERNATIVES} alternatives"));
            return;
        };
        let mut any = false;
        for alternative in alternatives {
            let full = if Path::new(&alternative).is_absolute() {
                PathBuf::from(&alternative)
            } else {
                dir.join(&alternative)
            };
            let full_str = full.to_string_lossy().to_string();
            let is_wild = alternative.contains(['*', '?', '[']);
            let mut matches: Vec<PathBuf> = match glob::glob(&full_str) {
                Ok(paths) => paths.filter_map(Result::ok).collect(),
                Err(e) => {
                    self.diags
                        .error(at, format!("invalid include pattern '{pattern}': {e}"));
                    return;
                }
            };
            if matches.is_empty() && !is_wild && full.exists() {
                matches.push(full.clone());
            }
            matches.sort();
            if matches.is_empty() {
                let strict = if is_wild {
                    checks.wildcard || checks.brace
                } else {
                    checks.matched || checks.readable || checks.brace
                };
                let msg = format!("include '{alternative}' matches no file");
                if strict {
                    self.diags.error(at, msg);
                } else {
                    self.diags.warning(at, msg).with_help("plain 'include' ignores this, as keepalived does; 'includea' makes it an error").keepalived_passes();
                }
            }
            for m in matches {
                any = true;
                if !self.read_file(&m, Some(kw_span)) {
                    let msg = format!("cannot read included file '{}'", m.display());
                    if checks.readable {
                        self.diags.error(at, msg);
                    } else {
                        self.diags.warning(at, msg);
                    }
                }
            }
        }
        if !any && checks.matched {
            // Already reported per alternative; nothing more to say.
        }
    }
}
