//! Get, GetNext and GetBulk (RFC 2741 7.2.3) answered from a MIB's sorted list of variables.
//! Pure: the list in, the variable bindings of the Response out.

use super::agentx::{Oid, SearchRange, Value};

/// A MIB's variables, sorted by OID, and the objects (scalars and columns) it defines: a Get
/// of a missing instance of a known object is noSuchInstance, of anything else noSuchObject.
pub struct View<'a> {
    pub variables: &'a [(Oid, Value)],
    pub objects: &'a [Oid],
}

impl View<'_> {
    /// Get: each start OID exactly.
    pub fn get(&self, ranges: &[SearchRange]) -> Vec<(Oid, Value)> {
        ranges
            .iter()
            .map(|r| {
                let value = match self.variables.binary_search_by(|(o, _)| o.cmp(&r.start)) {
                    Ok(i) => self.variables[i].1.clone(),
                    Err(_) if self.objects.iter().any(|o| r.start.starts_with(o)) => {
                        Value::NoSuchInstance
                    }
                    Err(_) => Value::NoSuchObject,
                };
                (r.start.clone(), value)
            })
            .collect()
    }

    /// GetNext: each range's first variable (its start only when `include`), or endOfMibView.
    pub fn get_next(&self, ranges: &[SearchRange]) -> Vec<(Oid, Value)> {
        ranges.iter().map(|r| self.next(r)).collect()
    }

    /// GetBulk: the non-repeaters as GetNext once, then up to `max_repetitions` rounds of the
    /// others, each from where it got to, stopping when every one has reached the end.
    pub fn get_bulk(
        &self,
        non_repeaters: u16,
        max_repetitions: u16,
        ranges: &[SearchRange],
    ) -> Vec<(Oid, Value)> {
        let split = usize::from(non_repeaters).min(ranges.len());
        let mut out = self.get_next(&ranges[..split]);
        let mut repeaters: Vec<SearchRange> = ranges[split..].to_vec();
        for _ in 0..max_repetitions {
            if repeaters.is_empty() {
                break;
            }
            let mut all_ended = true;
            for r in &mut repeaters {
                let (oid, value) = self.next(r);
                if value != Value::EndOfMibView {
                    all_ended = false;
                    r.start = oid.clone();
                    r.include = false;
                }
                out.push((oid, value));
            }
            if all_ended {
                break;
            }
        }
        out
    }

    fn next(&self, r: &SearchRange) -> (Oid, Value) {
        let from = self.variables.partition_point(|(o, _)| {
            if r.include {
                *o < r.start
            } else {
                *o <= r.start
            }
        });
        match self.variables.get(from) {
            Some((o, v)) if r.end.is_empty() || *o < r.end => (o.clone(), v.clone()),
            _ => (r.start.clone(), Value::EndOfMibView),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(start: &[u32], include: bool, end: &[u32]) -> SearchRange {
        SearchRange {
            start: start.to_vec(),
            include,
            end: end.to_vec(),
        }
    }

    fn table() -> Vec<(Oid, Value)> {
        vec![
            (vec![1, 1, 0], Value::Integer(2)),
            (vec![1, 3, 1, 2, 2, 51], Value::Integer(51)),
            (vec![1, 3, 1, 2, 2, 52], Value::Integer(52)),
            (vec![2, 1, 0], Value::Counter32(0)),
        ]
    }

    fn objects() -> Vec<Oid> {
        vec![vec![1, 1], vec![1, 3, 1, 2], vec![1, 3, 1, 10], vec![2, 1]]
    }

    #[test]
    fn get_finds_the_instance_or_says_which_is_missing() {
        let (t, o) = (table(), objects());
        let v = View {
            variables: &t,
            objects: &o,
        };
        let got = v.get(&[
            range(&[1, 3, 1, 2, 2, 52], false, &[]),
            range(&[1, 3, 1, 10, 2, 51], false, &[]),
            range(&[1, 3, 1, 16, 2, 51], false, &[]),
        ]);
        assert_eq!(got[0].1, Value::Integer(52));
        assert_eq!(got[1].1, Value::NoSuchInstance, "a known column");
        assert_eq!(got[2].1, Value::NoSuchObject);
        assert_eq!(got[2].0, vec![1, 3, 1, 16, 2, 51], "the name asked for");
    }

    #[test]
    fn get_next_walks_every_row_and_ends_in_the_range() {
        let (t, o) = (table(), objects());
        let v = View {
            variables: &t,
            objects: &o,
        };
        let mut at = vec![1];
        let mut seen = Vec::new();
        loop {
            let (oid, value) = v.get_next(&[range(&at, false, &[])]).remove(0);
            if value == Value::EndOfMibView {
                assert_eq!(oid, at, "endOfMibView names the start");
                break;
            }
            seen.push(oid.clone());
            at = oid;
        }
        assert_eq!(seen, t.iter().map(|(o, _)| o.clone()).collect::<Vec<_>>());
        // include: the start itself; an end bound stops short of it.
        let got = v.get_next(&[
            range(&[1, 3, 1, 2, 2, 51], true, &[]),
            range(&[1, 3, 1, 2, 2, 52], false, &[2]),
        ]);
        assert_eq!(got[0].0, vec![1, 3, 1, 2, 2, 51]);
        assert_eq!(got[1].1, Value::EndOfMibView);
    }

    #[test]
    fn get_bulk_repeats_from_where_each_got_to() {
        let (t, o) = (table(), objects());
        let v = View {
            variables: &t,
            objects: &o,
        };
        let got = v.get_bulk(
            1,
            10,
            &[range(&[1], false, &[]), range(&[1, 3], false, &[])],
        );
        let names: Vec<Oid> = got.iter().map(|(o, _)| o.clone()).collect();
        assert_eq!(
            names,
            vec![
                vec![1, 1, 0],
                vec![1, 3, 1, 2, 2, 51],
                vec![1, 3, 1, 2, 2, 52],
                vec![2, 1, 0],
                vec![2, 1, 0],
            ],
            "the non-repeater once, the repeater to the end"
        );
        assert_eq!(got[4].1, Value::EndOfMibView);
        assert_eq!(v.get_bulk(0, 2, &[range(&[1], false, &[])]).len(), 2);
    }
}
