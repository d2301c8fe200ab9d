//! A parser of callgrind's profile format (the `callgrind.out` files that
//! `valgrind --tool=callgrind` writes), to per-function exclusive and
//! inclusive costs.
//!
//! Main types: [`Callgrind`] (one part: its header, event names, totals and
//! [`FunctionCosts`] by name) from [`parse`]. The format is valgrind's
//! "Callgrind Format Specification": header lines (`events:`,
//! `positions:`, `summary:`/`totals:`, `desc:`), position specifications
//! (`ob=`, `fl=`, `fi=`, `fe=`, `fn=`) with name compression (`(id) name`
//! defines an id, `(id)` refers to it; objects, files and functions are
//! three namespaces), call specifications (`cob=`, `cfi=`/`cfl=`, `cfn=`,
//! `calls=`), whose next cost line is the inclusive cost of that call, and
//! cost lines of positions (absolute, `+n`, `-n`, `*`, or hexadecimal)
//! followed by event counts, missing trailing counts being zero.
//!
//! Invariants: exclusive cost is the sum of a function's own cost lines;
//! inclusive cost is exclusive plus the cost of its calls, except calls to
//! itself (a recursive call's cost is already inside the outer call's,
//! counting it again would exceed the total); a function name that several
//! objects or files define is one row (their costs add). `jump=`/`jcnd=`
//! lines (only with `--collect-jumps`) carry no cost and are skipped with
//! the position line after them.

use std::collections::BTreeMap;

/// Why a callgrind file could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("callgrind line {line}: {reason}")]
pub struct CallgrindError {
    pub line: usize,
    pub reason: String,
}

/// One function's costs, per event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FunctionCosts {
    /// The file of its first cost line.
    pub file: String,
    pub exclusive: Vec<u64>,
    pub inclusive: Vec<u64>,
}

/// One parsed part of a callgrind profile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Callgrind {
    /// `events:` in order (`Ir`, …).
    pub events: Vec<String>,
    /// `positions:` (`line` by default).
    pub positions: Vec<String>,
    /// `totals:` or `summary:`; otherwise the sum of every cost line.
    pub totals: Vec<u64>,
    /// The `desc: Trigger:` text, which says what dumped this part.
    pub trigger: Option<String>,
    /// Functions by demangled name.
    pub functions: BTreeMap<String, FunctionCosts>,
}

impl Callgrind {
    /// The column of `event`, if recorded.
    pub fn event_index(&self, event: &str) -> Option<usize> {
        self.events.iter().position(|e| e == event)
    }

    /// Callgrind's estimated cycles of a cost vector, `Ir + 10·(I1mr +
    /// D1mr + D1mw) + 100·(ILmr + DLmr + DLmw)`, or `None` without the
    /// cache simulation's events.
    pub fn estimated_cycles(&self, costs: &[u64]) -> Option<u64> {
        let get = |name: &str| {
            self.event_index(name)
                .map(|i| costs.get(i).copied().unwrap_or(0))
        };
        let ir = get("Ir")?;
        let l1 = get("I1mr")? + get("D1mr")? + get("D1mw")?;
        let ll = get("ILmr")? + get("DLmr")? + get("DLmw")?;
        Some(ir + 10 * l1 + 100 * ll)
    }
}

/// Compressed names of one namespace: `(id) name` defines, `(id)` refers.
#[derive(Default)]
struct Names(BTreeMap<u64, String>);

impl Names {
    fn resolve(&mut self, spec: &str, line: usize) -> Result<String, CallgrindError> {
        let spec = spec.trim();
        let Some(rest) = spec.strip_prefix('(') else {
            return Ok(spec.to_string());
        };
        let err = |reason: &str| CallgrindError {
            line,
            reason: reason.to_string(),
        };
        let (id, name) = rest
            .split_once(')')
            .ok_or_else(|| err("unclosed name id"))?;
        let id: u64 = id.trim().parse().map_err(|_| err("bad name id"))?;
        let name = name.trim();
        if name.is_empty() {
            self.0
                .get(&id)
                .cloned()
                .ok_or_else(|| err(&format!("name id ({id}) used before it was defined")))
        } else {
            self.0.insert(id, name.to_string());
            Ok(name.to_string())
        }
    }
}

/// What the next cost line means.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Next {
    /// The current function's own cost.
    Own,
    /// The inclusive cost of a call to the pending callee.
    Call,
    /// A jump's source position: no cost.
    Jump,
}

fn add(into: &mut Vec<u64>, costs: &[u64]) {
    if into.len() < costs.len() {
        into.resize(costs.len(), 0);
    }
    for (a, c) in into.iter_mut().zip(costs) {
        *a += c;
    }
}

/// Parses one part of a callgrind file (the text of `callgrind.out`).
pub fn parse(text: &str) -> Result<Callgrind, CallgrindError> {
    let mut out = Callgrind {
        positions: vec!["line".to_string()],
        ..Callgrind::default()
    };
    let mut files = Names::default();
    let mut fns = Names::default();
    let mut objects = Names::default();
    let mut file = String::from("???");
    let mut current: Option<String> = None;
    let mut callee: Option<String> = None;
    let mut next = Next::Own;
    let mut last_pos: Vec<u64> = Vec::new();
    let mut summed: Vec<u64> = Vec::new();
    let mut stated_totals: Option<Vec<u64>> = None;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim_end();
        let err = |reason: String| CallgrindError {
            line: line_no,
            reason,
        };
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let first = line.as_bytes()[0];
        if first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'*') {
            let mut fields = line.split_ascii_whitespace();
            let mut pos = Vec::with_capacity(out.positions.len());
            for k in 0..out.positions.len() {
                let f = fields
                    .next()
                    .ok_or_else(|| err("a cost line without its positions".into()))?;
                let prev = last_pos.get(k).copied().unwrap_or(0);
                pos.push(position(f, prev).ok_or_else(|| err(format!("bad position {f:?}")))?);
            }
            last_pos = pos;
            let costs: Vec<u64> = fields
                .map(|f| f.parse::<u64>().map_err(|_| err(format!("bad cost {f:?}"))))
                .collect::<Result<_, _>>()?;
            if costs.len() > out.events.len() {
                return Err(err(format!(
                    "{} costs for {} events",
                    costs.len(),
                    out.events.len()
                )));
            }
            let Some(name) = current.clone() else {
                return Err(err("a cost line before any fn=".into()));
            };
            match next {
                Next::Own => {
                    add(&mut summed, &costs);
                    let f = out.functions.entry(name).or_default();
                    if f.exclusive.is_empty() && f.file.is_empty() {
                        f.file = file.clone();
                    }
                    add(&mut f.exclusive, &costs);
                    add(&mut f.inclusive, &costs);
                }
                Next::Call => {
                    let to = callee.take();
                    if to.as_deref() != Some(name.as_str()) {
                        let f = out.functions.entry(name).or_default();
                        add(&mut f.inclusive, &costs);
                    }
                }
                Next::Jump => {}
            }
            next = Next::Own;
            continue;
        }
        // A key is a lowercase word followed by `=` (positions, calls) or
        // `:` (header); values may hold either (`desc: Trigger: --dump-after=…`).
        let key_len = line.bytes().take_while(u8::is_ascii_lowercase).count();
        let (key, value) = line.split_at(key_len);
        let Some(value) = value.strip_prefix(['=', ':']).filter(|_| key_len > 0) else {
            return Err(err(format!("unrecognised line {line:?}")));
        };
        match key {
            "fl" | "fi" | "fe" => file = files.resolve(value, line_no)?,
            "fn" => {
                let name = fns.resolve(value, line_no)?;
                out.functions.entry(name.clone()).or_default();
                current = Some(name);
                last_pos.clear();
            }
            "ob" | "cob" => {
                objects.resolve(value, line_no)?;
            }
            "cfi" | "cfl" => {
                files.resolve(value, line_no)?;
            }
            "cfn" => callee = Some(fns.resolve(value, line_no)?),
            "calls" => {
                if callee.is_none() {
                    return Err(err("calls= without a cfn= before it".into()));
                }
                next = Next::Call;
            }
            "jump" | "jcnd" => next = Next::Jump,
            "events" => {
                out.events = value.split_ascii_whitespace().map(str::to_string).collect();
            }
            "positions" => {
                out.positions = value.split_ascii_whitespace().map(str::to_string).collect();
                if out.positions.is_empty() {
                    return Err(err("positions: names none".into()));
                }
            }
            "summary" | "totals" => {
                let t = value
                    .split_ascii_whitespace()
                    .map(|f| {
                        f.parse::<u64>()
                            .map_err(|_| err(format!("bad total {f:?}")))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                stated_totals = Some(t);
            }
            "desc" => {
                if let Some(t) = value.trim().strip_prefix("Trigger:") {
                    out.trigger = Some(t.trim().to_string());
                }
            }
            // Header lines that say nothing about costs.
            "version" | "creator" | "pid" | "cmd" | "part" | "thread" => {}
            other => return Err(err(format!("unknown key {other:?}"))),
        }
    }
    if out.events.is_empty() {
        return Err(CallgrindError {
            line: 0,
            reason: "no events: line (not a callgrind file?)".into(),
        });
    }
    let width = out.events.len();
    for f in out.functions.values_mut() {
        f.exclusive.resize(width, 0);
        f.inclusive.resize(width, 0);
        if f.file.is_empty() {
            f.file = "???".into();
        }
    }
    summed.resize(width, 0);
    out.totals = match stated_totals {
        Some(mut t) => {
            t.resize(width, 0);
            t
        }
        None => summed,
    };
    Ok(out)
}

/// A position field: absolute (decimal or `0x` hex), relative to the
/// previous line's (`+n`, `-n`), or the same (`*`).
fn position(field: &str, prev: u64) -> Option<u64> {
    if field == "*" {
        return Some(prev);
    }
    let num = |s: &str| match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse::<u64>().ok(),
    };
    if let Some(r) = field.strip_prefix('+') {
        return prev.checked_add(num(r)?);
    }
    if let Some(r) = field.strip_prefix('-') {
        return prev.checked_sub(num(r)?);
    }
    num(field)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-written part: name compression across fn/cfn, inlined files
    /// (fi/fe), relative positions, a recursive call and a call whose cost
    /// line omits trailing events.
    const FIXTURE: &str = "\
# callgrind format
version: 1
creator: callgrind-3.19.0
pid: 42
cmd: ./prog
part: 1

desc: I1 cache: 32768 B, 64 B, 8-way associative
desc: Trigger: --dump-after=harness::profile::callgrind_scan

positions: line
events: Ir I1mr D1mr D1mw ILmr DLmr DLmw
summary: 1000 10 20 5 1 2 0

ob=(1) /bin/prog
fl=(1) src/main.rs
fn=(1) main
10 100 1 0 0 1
+2 50
cfl=(2) src/lib.rs
cfn=(2) lib::work
calls=3 20
* 700 8 20 5 0 2
fn=(2)
fl=(2)
20 400 8 10 5
fi=(3) src/inline.rs
-5 200 0 10
fe=(2)
cfn=(2)
calls=1 20
22 300 0 0 0 0 1
cfn=(3) lib::leaf
calls=2 30
+1 100 0 0 0 0 0 0
fn=(3)
30 100 0 0 0 0 0 0
";

    #[test]
    fn the_fixture_parses_to_exclusive_and_inclusive_costs() {
        let cg = parse(FIXTURE).unwrap();
        assert_eq!(cg.events.len(), 7);
        assert_eq!(cg.totals, vec![1000, 10, 20, 5, 1, 2, 0]);
        assert_eq!(
            cg.trigger.as_deref(),
            Some("--dump-after=harness::profile::callgrind_scan")
        );
        let main = &cg.functions["main"];
        assert_eq!(main.file, "src/main.rs");
        assert_eq!(main.exclusive, vec![150, 1, 0, 0, 1, 0, 0]);
        assert_eq!(main.inclusive, vec![850, 9, 20, 5, 1, 2, 0]);
        let work = &cg.functions["lib::work"];
        assert_eq!(work.file, "src/lib.rs");
        assert_eq!(work.exclusive, vec![600, 8, 20, 5, 0, 0, 0]);
        // The recursive call's 300 is not counted again; the call to leaf is.
        assert_eq!(work.inclusive, vec![700, 8, 20, 5, 0, 0, 0]);
        let leaf = &cg.functions["lib::leaf"];
        assert_eq!(leaf.exclusive, leaf.inclusive);
        assert_eq!(leaf.exclusive[0], 100);
        // Own cost lines sum to the stated total's Ir.
        let own: u64 = cg.functions.values().map(|f| f.exclusive[0]).sum();
        assert_eq!(own, 850);
        assert_eq!(
            cg.estimated_cycles(&main.inclusive),
            Some(850 + 10 * (9 + 20 + 5) + 100 * (1 + 2))
        );
    }

    #[test]
    fn positions_follow_the_compression_rules() {
        assert_eq!(position("12", 0), Some(12));
        assert_eq!(position("+3", 12), Some(15));
        assert_eq!(position("-2", 15), Some(13));
        assert_eq!(position("*", 13), Some(13));
        assert_eq!(position("0x1f", 0), Some(31));
        assert_eq!(position("-5", 2), None);
        assert_eq!(position("x", 2), None);
        // Two positions (instr line): both columns are read before costs.
        let text = "events: Ir\npositions: instr line\nfn=f\n0x10 3 7\n+4 * 2\n";
        let cg = parse(text).unwrap();
        assert_eq!(cg.functions["f"].exclusive, vec![9]);
        assert_eq!(cg.totals, vec![9]);
    }

    #[test]
    fn malformed_input_names_its_line() {
        let e = parse("events: Ir\nfn=(4)\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.reason.contains("(4)"), "{e}");
        let e = parse("events: Ir\n5 6\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "callgrind line 2: a cost line before any fn="
        );
        let e = parse("events: Ir\nfn=f\n5 6 7\n").unwrap_err();
        assert_eq!(e.reason, "2 costs for 1 events");
        let e = parse("events: Ir\nfn=f\ncalls=1 2\n").unwrap_err();
        assert!(e.reason.contains("cfn"), "{e}");
        assert!(parse("fn=f\n").is_err());
        let e = parse("events: Ir\nbogus=1\n").unwrap_err();
        assert!(e.reason.contains("bogus"), "{e}");
    }

    #[test]
    fn jump_lines_carry_no_cost() {
        let text = "events: Ir\nfn=f\n1 5\njump=3 4\n2\n3 1\n";
        let cg = parse(text).unwrap();
        assert_eq!(cg.functions["f"].exclusive, vec![6]);
    }
}
