//! What a `$NAME` reference stands for, and the lines `~SEQ`/`~LST` repeat.

use super::*;

impl Preprocessor<'_> {
    /// The lines a reference stands for, and whether they are to be scanned again (user
    /// parameters are, recursively; built-in values are literal). None: leave it as written.
    pub(super) fn resolve(
        &mut self,
        name: &str,
        args: &str,
        span: Span,
        dir: &Path,
    ) -> Option<(Vec<Line>, bool)> {
        let literal = |s: &str| Some((vec![Line::generated(s, span)], false));
        match name {
            "_PWD" => literal(
                &dir.canonicalize()
                    .unwrap_or_else(|_| dir.to_path_buf())
                    .display()
                    .to_string(),
            ),
            "_INSTANCE" => literal(&self.opts.config_id.clone()),
            "_HASH" => literal("#"),
            "_BANG" => literal("!"),
            "_ENV" => literal(&std::env::var(args.trim()).unwrap_or_default()),
            "_RANDOM" => {
                let mut nums = args.split_whitespace().map(|n| n.parse::<u64>());
                let min = match nums.next() {
                    Some(Ok(v)) => v,
                    None => 0,
                    Some(Err(_)) => {
                        self.diags.error(
                            span,
                            "${_RANDOM} takes non-negative integers: ${_RANDOM [MIN [MAX]]}",
                        );
                        return None;
                    }
                };
                let max = match nums.next() {
                    Some(Ok(v)) => v,
                    None => 32767,
                    Some(Err(_)) => {
                        self.diags.error(
                            span,
                            "${_RANDOM} takes non-negative integers: ${_RANDOM [MIN [MAX]]}",
                        );
                        return None;
                    }
                };
                if min > max {
                    self.diags.error(
                        span,
                        format!("${{_RANDOM {min} {max}}}: MIN is greater than MAX"),
                    );
                    return None;
                }
                literal(&self.rng.u64(min..=max).to_string())
            }
            _ => self.params.get(name).map(|v| (v.clone(), true)),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn sequence(
        &mut self,
        var: &str,
        hex: bool,
        nums: &[i64],
        span: Span,
        rest: Line,
        dir: &Path,
        depth: usize,
    ) {
        // i128: the count and the value after the last one must not overflow at the ends of i64.
        let nums: Vec<i128> = nums.iter().map(|&n| i128::from(n)).collect();
        let (start, step, end) = match *nums.as_slice() {
            [end] => (
                if end < 0 { -1 } else { 1 },
                if end < 0 { -1 } else { 1 },
                end,
            ),
            [start, end] => (start, if end >= start { 1 } else { -1 }, end),
            [start, step, end] => (start, step, end),
            _ => {
                self.diags
                    .error(span, "~SEQ takes a variable and one to three numbers");
                return;
            }
        };
        if step == 0 {
            self.diags.error(span, "~SEQ step must not be 0");
            return;
        }
        let count = if (step > 0 && start > end) || (step < 0 && start < end) {
            0
        } else {
            (end - start) / step + 1
        };
        if count > MAX_SEQ_VALUES {
            self.diags.error(
                span,
                format!("~SEQ would produce {count} values; at most {MAX_SEQ_VALUES} are allowed"),
            );
            return;
        }
        let saved = self.params.remove(var);
        let mut v = start;
        for _ in 0..count {
            if self.gave_up {
                break;
            }
            let text = if hex { format!("{v:x}") } else { v.to_string() };
            self.params
                .insert(var.to_string(), vec![Line::generated(&text, span)]);
            self.line(rest.clone(), dir, depth + 1);
            v += step;
        }
        self.restore(var, saved);
    }

    pub(super) fn list(
        &mut self,
        vars: &[String],
        values: &[Vec<String>],
        span: Span,
        rest: Line,
        dir: &Path,
        depth: usize,
    ) {
        if vars
            .iter()
            .any(|v| param_name(v).map_or(true, |(r, _)| !r.is_empty()))
        {
            self.diags
                .error(span, "~LST variable names are letters, digits and '_'");
            return;
        }
        if let Some(bad) = values.iter().find(|t| t.len() != vars.len()) {
            self.diags.error(
                span,
                format!(
                    "~LST value {{{}}} has {} items for {} variables",
                    bad.join(","),
                    bad.len(),
                    vars.len()
                ),
            );
            return;
        }
        let saved: Vec<_> = vars.iter().map(|v| self.params.remove(v)).collect();
        for tuple in values {
            if self.gave_up {
                break;
            }
            for (var, val) in vars.iter().zip(tuple) {
                self.params
                    .insert(var.clone(), vec![Line::generated(val, span)]);
            }
            self.line(rest.clone(), dir, depth + 1);
        }
        for (var, s) in vars.iter().zip(saved) {
            self.restore(var, s);
        }
    }

    pub(super) fn restore(&mut self, var: &str, saved: Option<Vec<Line>>) {
        match saved {
            Some(s) => self.params.insert(var.to_string(), s),
            None => self.params.remove(var),
        };
    }
}
