//! A reader of keepalived's dump files, written from keepalived 2.2.7's own output (the files
//! in daemon/tests/data/keepalived-2.2.7/, captured in the lab), the way tooling written for
//! keepalived reads them: section headers, blocks of `Name = value` lines under a one-space
//! head line, lists under a `Name :` line, the stats file's `Name: count` lines, the JSON
//! dump's keys. It is strict about the layout (an unexpected indentation or line is an error)
//! and skips sections it does not know, as such tooling does. keepalived-rs's dumps are tested
//! with it; so are keepalived's, which is how we know it reads keepalived's format.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Deserialize;

/// A data file (`keepalived.data`, `keepalived_parent.data`, `keepalived_check.data`).
#[derive(Debug, Clone, Default)]
pub struct Data {
    pub sections: Vec<Section>,
}

/// `------< Title >------` and what follows it.
#[derive(Debug, Clone, Default)]
pub struct Section {
    pub title: String,
    pub blocks: Vec<Block>,
}

/// A line indented by one space, and the three-space lines under it.
#[derive(Debug, Clone, Default)]
pub struct Block {
    pub head: String,
    /// `Name = value` and `Name: value` lines.
    pub fields: Vec<(String, String)>,
    /// `Name :` lines (or any other line) and the five-space lines under them.
    pub lists: Vec<(String, Vec<String>)>,
    /// Blocks opened under this one by a three-space `------< Title >------` line (a virtual
    /// server's real servers), each with that title as its head.
    pub children: Vec<Block>,
}

impl Block {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The list whose header starts with `name`.
    pub fn list(&self, name: &str) -> Option<&[String]> {
        self.lists
            .iter()
            .find(|(k, _)| k.starts_with(name))
            .map(|(_, v)| v.as_slice())
    }

    fn required(&self, name: &str) -> Result<&str, String> {
        self.field(name)
            .ok_or_else(|| format!("{}: no `{name}` line", self.head))
    }

    fn number<T: std::str::FromStr>(&self, name: &str) -> Result<T, String> {
        let v = self.required(name)?;
        v.parse()
            .map_err(|_| format!("{}: `{name} = {v}` is not a number", self.head))
    }

    /// The head's `Name = value` value, if the head starts with `name =`.
    pub fn head_value(&self, name: &str) -> Option<&str> {
        self.head.strip_prefix(name)?.strip_prefix(" = ")
    }
}

fn section_title(line: &str) -> Option<&str> {
    line.strip_prefix("------< ")?.strip_suffix(" >------")
}

/// The number of leading spaces, or an error for tabs.
fn indent(line: &str, n: usize) -> Result<usize, String> {
    let spaces = line.len() - line.trim_start_matches(' ').len();
    if line[spaces..].starts_with('\t') {
        return Err(format!("line {n}: a tab in the indentation"));
    }
    Ok(spaces)
}

impl Data {
    pub fn parse(text: &str) -> Result<Data, String> {
        let mut data = Data::default();
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if let Some(t) = section_title(line) {
                data.sections.push(Section {
                    title: t.to_string(),
                    blocks: Vec::new(),
                });
                continue;
            }
            let Some(section) = data.sections.last_mut() else {
                return Err(format!("line {n}: {line:?} before any section header"));
            };
            let body = line.trim_start_matches(' ');
            if body.is_empty() {
                return Err(format!("line {n}: an empty line"));
            }
            match indent(line, n)? {
                1 => {
                    // A separator inside a section (`LVS Topology`'s ` ------< Virtual server
                    // >------`) opens nothing: the next line is the block's head.
                    if section_title(body).is_none() {
                        section.blocks.push(Block {
                            head: body.to_string(),
                            ..Block::default()
                        });
                    }
                }
                3 => {
                    let Some(block) = section.blocks.last_mut() else {
                        return Err(format!("line {n}: {line:?} outside any block"));
                    };
                    if let Some(t) = section_title(body) {
                        block.children.push(Block {
                            head: t.to_string(),
                            ..Block::default()
                        });
                        continue;
                    }
                    let target = match block.children.len() {
                        0 => block,
                        n => &mut block.children[n - 1],
                    };
                    if let Some((k, v)) = body.split_once(" = ") {
                        target.fields.push((k.to_string(), v.to_string()));
                    } else if body.ends_with(':') {
                        let k = body.trim_end_matches(':').trim_end();
                        target.lists.push((k.to_string(), Vec::new()));
                    } else if let Some((k, v)) = body.split_once(": ") {
                        target.fields.push((k.trim_end().to_string(), v.to_string()));
                    } else {
                        target.lists.push((body.to_string(), Vec::new()));
                    }
                }
                k if k >= 5 => {
                    let block = section.blocks.last_mut();
                    let list = block.and_then(|b| match b.children.len() {
                        0 => b.lists.last_mut(),
                        n => b.children[n - 1].lists.last_mut(),
                    });
                    match list {
                        Some((_, items)) => items.push(body.to_string()),
                        None => return Err(format!("line {n}: {line:?} under no list")),
                    }
                }
                k => return Err(format!("line {n}: {line:?} indented by {k}")),
            }
        }
        Ok(data)
    }

    pub fn section(&self, title: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.title == title)
    }

    /// `Global definitions`'s `Name = value` lines.
    pub fn globals(&self) -> BTreeMap<String, String> {
        self.section("Global definitions")
            .map(|s| {
                s.blocks
                    .iter()
                    .filter_map(|b| b.head.split_once(" = "))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The instances of `VRRP Topology`.
    pub fn vrrp_instances(&self) -> Result<Vec<VrrpInstance>, String> {
        let s = self
            .section("VRRP Topology")
            .ok_or("no VRRP Topology section")?;
        s.blocks.iter().map(VrrpInstance::from_block).collect()
    }

    /// `VRRP Sync groups`: (name, state, members).
    pub fn sync_groups(&self) -> Result<Vec<(String, String, Vec<String>)>, String> {
        let Some(s) = self.section("VRRP Sync groups") else {
            return Ok(Vec::new());
        };
        s.blocks
            .iter()
            .map(|b| {
                let v = b
                    .head_value("VRRP Sync Group")
                    .ok_or_else(|| format!("{:?} is not a sync group", b.head))?;
                let (name, state) = v
                    .split_once(", ")
                    .ok_or_else(|| format!("{v:?}: no state"))?;
                let members = b
                    .list("VRRP member instances")
                    .ok_or_else(|| format!("{name}: no members"))?;
                Ok((name.to_string(), state.to_string(), members.to_vec()))
            })
            .collect()
    }

    /// `LVS Topology`'s virtual servers (their real servers are the blocks' children).
    pub fn virtual_servers(&self) -> Result<Vec<&Block>, String> {
        let s = self
            .section("LVS Topology")
            .ok_or("no LVS Topology section")?;
        let vs: Vec<&Block> = s
            .blocks
            .iter()
            .filter(|b| b.head.starts_with("VS "))
            .collect();
        for b in &vs {
            b.required("lvs_sched")?;
            for rs in &b.children {
                let rip = rs.required("RIP")?;
                if !rs.fields.iter().any(|(k, _)| k == "alive") {
                    return Err(format!("real server {rip}: no alive line"));
                }
            }
        }
        Ok(vs)
    }

    /// `Health checkers`: each checker's head (`VS -> RS`) and lines.
    pub fn health_checkers(&self) -> Result<Vec<&Block>, String> {
        let s = self
            .section("Health checkers")
            .ok_or("no Health checkers section")?;
        for b in &s.blocks {
            if !b.head.contains(" -> ") {
                return Err(format!("{:?} is not a checker", b.head));
            }
            let up = b.required("Up")?;
            if up != "yes" && up != "no" {
                return Err(format!("{}: Up = {up}", b.head));
            }
            b.required("Keepalive method")?;
        }
        Ok(s.blocks.iter().collect())
    }
}

/// One `VRRP Instance` block, its lines read and checked.
#[derive(Debug, Clone)]
pub struct VrrpInstance {
    pub name: String,
    pub version: u8,
    pub sync_group: Option<String>,
    pub state: String,
    pub master_router: Option<IpAddr>,
    pub master_priority: Option<u8>,
    pub wantstate: String,
    /// Seconds since the epoch.
    pub last_transition: f64,
    pub interface: String,
    pub src_ip: IpAddr,
    pub vrid: u8,
    pub priority: u8,
    pub effective_priority: u8,
    pub advert_interval: String,
    /// VRRPv2 only (keepalived writes no such line for a v3 instance).
    pub auth_type: Option<String>,
    pub password: Option<String>,
    pub vips: Vec<String>,
    pub unicast_peers: Vec<String>,
    /// (kind header, item): (`Tracked scripts`, `chk weight -20`).
    pub tracked: Vec<(String, String)>,
    pub block: Block,
}

const STATES: [&str; 4] = ["INIT", "BACKUP", "MASTER", "FAULT"];

impl VrrpInstance {
    fn from_block(b: &Block) -> Result<VrrpInstance, String> {
        let name = b
            .head_value("VRRP Instance")
            .ok_or_else(|| format!("{:?} is not a VRRP instance", b.head))?;
        let state = b.required("State")?.to_string();
        let wantstate = b.required("Wantstate")?.to_string();
        for s in [&state, &wantstate] {
            if !STATES.contains(&s.as_str()) {
                return Err(format!("{name}: state {s}"));
            }
        }
        let lt = b.required("Last transition")?;
        let (secs, human) = lt
            .split_once(' ')
            .ok_or_else(|| format!("{name}: Last transition = {lt}"))?;
        if !(human.starts_with('(') && human.ends_with(')')) {
            return Err(format!("{name}: Last transition = {lt}"));
        }
        let last_transition: f64 = secs
            .parse()
            .map_err(|_| format!("{name}: Last transition = {lt}"))?;
        let advert_interval = b.required("Advert interval")?.to_string();
        let ok_interval = advert_interval
            .strip_suffix(" milli-sec")
            .or_else(|| advert_interval.strip_suffix(" sec"))
            .is_some_and(|n| n.parse::<u32>().is_ok());
        if !ok_interval {
            return Err(format!("{name}: Advert interval = {advert_interval}"));
        }
        let (vip_header, vips) = b
            .lists
            .iter()
            .find(|(k, _)| k.starts_with("Virtual IP ("))
            .ok_or_else(|| format!("{name}: no Virtual IP list"))?;
        let count: usize = vip_header
            .trim_start_matches("Virtual IP (")
            .trim_end_matches(')')
            .parse()
            .map_err(|_| format!("{name}: {vip_header}"))?;
        if count != vips.len() {
            return Err(format!("{name}: {vip_header} lists {}", vips.len()));
        }
        let tracked = b
            .lists
            .iter()
            .filter(|(k, _)| k.starts_with("Tracked "))
            .flat_map(|(k, items)| items.iter().map(move |i| (k.clone(), i.clone())))
            .collect();
        Ok(VrrpInstance {
            name: name.to_string(),
            version: b.number("VRRP Version")?,
            sync_group: b.field("Sync group").map(str::to_string),
            state,
            master_router: match b.field("Master router") {
                Some(a) => Some(a.parse().map_err(|_| format!("{name}: Master router {a}"))?),
                None => None,
            },
            master_priority: match b.field("Master priority") {
                Some(_) => Some(b.number("Master priority")?),
                None => None,
            },
            wantstate,
            last_transition,
            interface: b.required("Interface")?.to_string(),
            src_ip: b.number("Using src_ip")?,
            vrid: b.number("Virtual Router ID")?,
            priority: b.number("Priority")?,
            effective_priority: b.number("Effective priority")?,
            advert_interval,
            auth_type: b.field("Authentication type").map(str::to_string),
            password: b.field("Password").map(str::to_string),
            vips: vips.clone(),
            unicast_peers: b.list("Unicast Peer").map(<[_]>::to_vec).unwrap_or_default(),
            tracked,
            block: b.clone(),
        })
    }
}

/// The counters keepalived 2.2.7 writes for each instance in `keepalived.stats`, in order.
pub const STATS_KEYS: [&str; 14] = [
    "Advertisements/Received",
    "Advertisements/Sent",
    "Became master",
    "Released master",
    "Packet Errors/Length",
    "Packet Errors/TTL",
    "Packet Errors/Invalid Type",
    "Packet Errors/Advertisement Interval",
    "Packet Errors/Address List",
    "Authentication Errors/Invalid Type",
    "Authentication Errors/Type Mismatch",
    "Authentication Errors/Failure",
    "Priority Zero/Received",
    "Priority Zero/Sent",
];

/// One instance of the stats file.
#[derive(Debug, Clone, Default)]
pub struct StatsInstance {
    pub name: String,
    /// `Group/Name` (or `Name` for ungrouped lines) -> count, in the file's order.
    pub counters: Vec<(String, u64)>,
}

impl StatsInstance {
    pub fn get(&self, key: &str) -> u64 {
        self.counters
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("{}: no counter {key}", self.name))
    }
}

/// Reads `keepalived.stats`.
pub fn parse_stats(text: &str) -> Result<Vec<StatsInstance>, String> {
    let mut out: Vec<StatsInstance> = Vec::new();
    let mut group: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if let Some(name) = line.strip_prefix("VRRP Instance: ") {
            out.push(StatsInstance {
                name: name.to_string(),
                counters: Vec::new(),
            });
            group = None;
            continue;
        }
        let Some(inst) = out.last_mut() else {
            return Err(format!("line {n}: {line:?} before any instance"));
        };
        let body = line.trim_start_matches(' ');
        let count = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("line {n}: {line:?}: not a count"))
        };
        match indent(line, n)? {
            2 if body.ends_with(':') => group = Some(body.trim_end_matches(':').to_string()),
            2 => {
                let (k, v) = body
                    .split_once(": ")
                    .ok_or_else(|| format!("line {n}: {line:?}"))?;
                inst.counters.push((k.to_string(), count(v)?));
                group = None;
            }
            4 => {
                let g = group
                    .as_ref()
                    .ok_or_else(|| format!("line {n}: {line:?} outside a group"))?;
                let (k, v) = body
                    .split_once(": ")
                    .ok_or_else(|| format!("line {n}: {line:?}"))?;
                inst.counters.push((format!("{g}/{k}"), count(v)?));
            }
            k => return Err(format!("line {n}: {line:?} indented by {k}")),
        }
    }
    for inst in &out {
        let keys: Vec<&str> = inst.counters.iter().map(|(k, _)| k.as_str()).collect();
        if keys != STATS_KEYS {
            return Err(format!(
                "{}: counters {keys:?}, keepalived writes {STATS_KEYS:?}",
                inst.name
            ));
        }
    }
    Ok(out)
}

/// One instance of the JSON dump, with every key keepalived 2.2.7 writes (keys it does not
/// know are skipped).
#[derive(Debug, Clone, Deserialize)]
pub struct JsonInstance {
    pub data: JsonData,
    pub stats: JsonStats,
}

#[derive(Debug, Clone, Deserialize)]
pub struct JsonData {
    pub iname: String,
    pub dont_track_primary: u8,
    pub skip_check_adv_addr: u8,
    pub strict_mode: u8,
    pub vmac_ifname: String,
    pub ifp_ifname: String,
    pub master_priority: u8,
    pub last_transition: f64,
    pub garp_delay: f64,
    pub garp_refresh: f64,
    pub garp_rep: u32,
    pub garp_refresh_rep: u32,
    pub garp_lower_prio_delay: f64,
    pub garp_lower_prio_rep: u32,
    pub lower_prio_no_advert: u8,
    pub higher_prio_send_advert: u8,
    pub vrid: u8,
    pub base_priority: u8,
    pub effective_priority: u8,
    pub vipset: bool,
    pub promote_secondaries: bool,
    pub adver_int: f64,
    pub master_adver_int: f64,
    pub accept: u8,
    pub nopreempt: bool,
    pub preempt_delay: f64,
    /// 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT.
    pub state: u8,
    pub wantstate: u8,
    pub version: u8,
    pub smtp_alert: bool,
    pub notify_deleted: bool,
    pub vips: Vec<String>,
    pub track_ifp: Option<Vec<String>>,
    pub track_script: Option<Vec<String>>,
    pub auth_type: u8,
    pub auth_data: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct JsonStats {
    pub advert_rcvd: u64,
    pub advert_sent: u64,
    pub become_master: u64,
    pub release_master: u64,
    pub packet_len_err: u64,
    pub advert_interval_err: u64,
    pub ip_ttl_err: u64,
    pub invalid_type_rcvd: u64,
    pub addr_list_err: u64,
    pub invalid_authtype: u64,
    pub authtype_mismatch: u64,
    pub auth_failure: u64,
    pub pri_zero_rcvd: u64,
    pub pri_zero_sent: u64,
}

/// Reads `keepalived.json` (json_version 1: the list of instances).
pub fn parse_json(text: &str) -> Result<Vec<JsonInstance>, String> {
    serde_json::from_str(text).map_err(|e| format!("JSON dump: {e}"))
}

/// keepalived's JSON state numbers.
pub fn state_name(n: u8) -> &'static str {
    match n {
        0 => "INIT",
        1 => "BACKUP",
        2 => "MASTER",
        3 => "FAULT",
        _ => "?",
    }
}
