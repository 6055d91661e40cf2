//! The names iproute2 gives numbers (routing tables, route protocols, realms, DS field values,
//! interface groups), read as keepalived 2.2.7 reads them. Pure: the files' text in (the
//! caller reads them, `crate::host`), numbers out.
//!
//! What keepalived 2.2.7 does, measured (its `-t` and its daemon in a network namespace with a
//! directory of our own mounted on /etc/iproute2, and strace):
//! - it reads /etc/iproute2/rt_tables, rt_protos, rt_realms, rt_dsfield and group, only those
//!   (not rt_tables.d/*.conf, rt_protos.d, nor /usr/share/iproute2 or /usr/lib/iproute2), and
//!   each only when a name must be looked up in it (a number is not);
//! - a value is a number when it is one whole (`0x` hexadecimal, a leading `0` octal, else
//!   decimal: `010` is 8), else a name; a number too large for its kind (a protocol, realm
//!   or DS field over 255) is refused like an unknown name;
//! - a line of a file is a number (the same syntax), blanks, a name, and nothing else (blanks
//!   before or after are allowed): a line with a third word or a `#` in the name, and `#`
//!   comments, are skipped;
//! - built in, before anything the files say (the first of a name wins): the tables `local`,
//!   `main` and `default`; the protocols `redirect`, `kernel`, `boot`, `static`, `gated`,
//!   `ra`, `mrt`, `zebra`, `bird`, `dnrouted`, `xorp`, `ntk`, `dhcp` and `babel` (not
//!   `keepalived`: without rt_protos it is not known); no realm, DS field or group name (not
//!   even `default`);
//! - names are case-sensitive.

/// One of the files, by what it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NameFile {
    Tables,
    Protocols,
    Realms,
    Dsfield,
    Groups,
}

impl NameFile {
    /// The file's name in /etc/iproute2.
    pub fn file_name(self) -> &'static str {
        match self {
            NameFile::Tables => "rt_tables",
            NameFile::Protocols => "rt_protos",
            NameFile::Realms => "rt_realms",
            NameFile::Dsfield => "rt_dsfield",
            NameFile::Groups => "group",
        }
    }

    /// The largest number of its kind.
    pub fn max(self) -> u32 {
        match self {
            NameFile::Tables | NameFile::Groups => u32::MAX,
            NameFile::Protocols | NameFile::Realms | NameFile::Dsfield => 255,
        }
    }

    /// The names known without the file.
    fn built_in(self) -> &'static [(&'static str, u32)] {
        match self {
            NameFile::Tables => &[("local", 255), ("main", 254), ("default", 253)],
            NameFile::Protocols => &[
                ("redirect", 1),
                ("kernel", 2),
                ("boot", 3),
                ("static", 4),
                ("gated", 8),
                ("ra", 9),
                ("mrt", 10),
                ("zebra", 11),
                ("bird", 12),
                ("dnrouted", 13),
                ("xorp", 14),
                ("ntk", 15),
                ("dhcp", 16),
                ("babel", 42),
            ],
            NameFile::Realms | NameFile::Dsfield | NameFile::Groups => &[],
        }
    }
}

/// A whole word as a number: `0x` hexadecimal, a leading `0` octal, else decimal.
pub fn number(word: &str) -> Option<u64> {
    let (digits, radix) =
        if let Some(hex) = word.strip_prefix("0x").or_else(|| word.strip_prefix("0X")) {
            (hex, 16)
        } else if word.len() > 1 && word.starts_with('0') {
            (&word[1..], 8)
        } else {
            (word, 10)
        };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// The names of one file: the built-in ones, then the file's, in order.
#[derive(Clone, Debug)]
pub struct Names {
    kind: NameFile,
    entries: Vec<(String, u32)>,
}

impl Names {
    /// The names of `kind`, with `text` the file's contents (`None`: no such file).
    pub fn read(kind: NameFile, text: Option<&str>) -> Names {
        let mut entries: Vec<(String, u32)> = kind
            .built_in()
            .iter()
            .map(|&(n, v)| (n.to_string(), v))
            .collect();
        for line in text.unwrap_or_default().lines() {
            let mut words = line.split_whitespace();
            let (Some(num), Some(name), None) = (words.next(), words.next(), words.next()) else {
                continue;
            };
            if num.starts_with('#') || name.contains('#') {
                continue;
            }
            if let Some(v) = number(num).and_then(|v| u32::try_from(v).ok()) {
                entries.push((name.to_string(), v));
            }
        }
        Names { kind, entries }
    }

    /// The number of `name` (the first line naming it).
    pub fn get(&self, name: &str) -> Option<u32> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, v)| v)
    }

    /// `word` as a number of this kind: a number, or a name; `None` when it is neither or is
    /// too large.
    pub fn value(&self, word: &str) -> Option<u32> {
        let v = match number(word) {
            Some(n) => u32::try_from(n).ok()?,
            None => self.get(word)?,
        };
        (v <= self.kind.max()).then_some(v)
    }
}

/// Whether `word` needs a file to be read: it is not a number.
pub fn needs_file(word: &str) -> bool {
    number(word).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_hexadecimal_octal_or_decimal_and_whole() {
        assert_eq!(number("0x10"), Some(16));
        assert_eq!(number("0X1f"), Some(31));
        assert_eq!(number("010"), Some(8));
        assert_eq!(number("0"), Some(0));
        assert_eq!(number("100"), Some(100));
        for not in ["", "0x", "08", "12abc", "-1", "+1", "1 ", "mytable"] {
            assert_eq!(number(not), None, "{not:?}");
        }
    }

    #[test]
    fn a_file_adds_to_the_built_in_names_and_the_first_of_a_name_wins() {
        let text = "#\n# reserved values\n#\n255\tlocal\n254\tmain\n100 main\n  9   mytable \t\n\
                    8 dup\n9 dup\n0x20 hexname\n010 octname\n77 cmt # comment\n79 tail#x\n\
                    bad line here\n200\n4294967296 huge\n";
        let t = Names::read(NameFile::Tables, Some(text));
        assert_eq!(t.value("main"), Some(254));
        assert_eq!(t.value("default"), Some(253));
        assert_eq!(t.value("mytable"), Some(9));
        assert_eq!(t.value("dup"), Some(8));
        assert_eq!(t.value("hexname"), Some(32));
        assert_eq!(t.value("octname"), Some(8));
        for unknown in [
            "cmt", "tail", "tail#x", "huge", "Main", "unspec", "bad", "12abc",
        ] {
            assert_eq!(t.value(unknown), None, "{unknown}");
        }
        assert_eq!(t.value("0x10"), Some(16));
        assert_eq!(t.value("1000"), Some(1000));
    }

    #[test]
    fn without_files_only_the_built_in_names_are_known() {
        let p = Names::read(NameFile::Protocols, None);
        assert_eq!(p.value("kernel"), Some(2));
        assert_eq!(p.value("babel"), Some(42));
        assert_eq!(p.value("keepalived"), None);
        assert_eq!(p.value("0x12"), Some(18));
        assert_eq!(p.value("256"), None);
        assert_eq!(Names::read(NameFile::Groups, None).value("default"), None);
        assert_eq!(Names::read(NameFile::Dsfield, None).value("AF11"), None);
        assert_eq!(Names::read(NameFile::Realms, None).value("cosmos"), None);
        assert_eq!(Names::read(NameFile::Tables, None).value("unspec"), None);
    }

    #[test]
    fn a_name_too_large_for_its_kind_is_refused() {
        let r = Names::read(NameFile::Realms, Some("300 big\n0x7 seven\n"));
        assert_eq!(r.value("big"), None);
        assert_eq!(r.value("seven"), Some(7));
        assert_eq!(r.value("255"), Some(255));
        assert_eq!(r.value("256"), None);
        let d = Names::read(NameFile::Dsfield, Some("0x28\tAF11\n"));
        assert_eq!(d.value("AF11"), Some(0x28));
        assert!(needs_file("AF11") && !needs_file("0x28"));
    }
}
