//! Profiles rendered: a profile's tables as Markdown ([`profile_markdown`]),
//! a diff's movers as Markdown ([`diff_markdown`]), the PR comment's
//! collapsed "where" section ([`where_section`]) and the compare page's
//! profile section ([`add_where_section`], with the differential flame
//! graphs as images). Pure: the same documents give the same text.
//!
//! Invariants: every function name is shown in a code span, shortened to
//! [`NAME_WIDTH`] characters with `|` escaped so tables hold; instruction
//! counts are grouped by thousands; Δ carries its sign.

use crate::format::{grouped, short, workload_title};
use crate::html::{Cell, HtmlError, Page, Table};
use harness_model::compare::Revision;
use harness_model::profile::{ProfileDiffFile, ProfileFile, StageShare};
use std::fmt::Write;

/// Longest function name shown; longer ones keep their start and end.
pub const NAME_WIDTH: usize = 96;

/// Rows of the comment's "where" section per workload.
pub const WHERE_ROWS: usize = 5;

/// A function name for a Markdown table cell.
pub fn name_cell(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let shown: String = if chars.len() > NAME_WIDTH {
        let head: String = chars[..NAME_WIDTH / 2].iter().collect();
        let tail: String = chars[chars.len() - NAME_WIDTH / 2 + 1..].iter().collect();
        format!("{head}…{tail}")
    } else {
        name.to_string()
    };
    format!("`{}`", shown.replace('`', "'").replace('|', "\\|"))
}

fn signed(v: i64) -> String {
    let g = grouped(v as f64);
    if v > 0 { format!("+{g}") } else { g }
}

fn percent_of(v: i64, total: u64) -> String {
    if total == 0 {
        return "–".into();
    }
    format!("{:+.2}%", v as f64 / total as f64 * 100.0)
}

fn rev(r: &Revision) -> String {
    let mut s = short(&r.commit).to_string();
    if r.dirty {
        s.push_str("-dirty");
    }
    if s.is_empty() { r.rev.clone() } else { s }
}

fn stage_rows(out: &mut String, unit: &str, stages: &[StageShare]) {
    let _ = writeln!(out, "| stage | {unit} | share |\n|---|---:|---:|");
    for s in stages {
        let _ = writeln!(
            out,
            "| {} | {} | {:.1}% |",
            s.stage,
            grouped(s.count as f64),
            s.share * 100.0
        );
    }
    out.push('\n');
}

/// A profile's stage tables and its top `top` functions, as Markdown.
pub fn profile_markdown(p: &ProfileFile, top: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Profile: {} at `{}`\n\nCreated {} (UTC). Only symbols and counts: no scanned bytes.\n",
        workload_title(&p.workload),
        rev(&p.revision),
        p.created
    );
    if let Some(s) = &p.sampled {
        let _ = writeln!(
            out,
            "## Sampled ({}, {} Hz, {} warm-up + {} iterations, {} threads): {} samples\n",
            s.source,
            s.frequency_hz,
            s.warmup,
            s.iterations,
            s.threads,
            grouped(s.samples as f64)
        );
        stage_rows(&mut out, "samples", &s.stages);
        let _ = writeln!(
            out,
            "| function | stage | self | total |\n|---|---|---:|---:|"
        );
        for f in s.top.iter().take(top) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                name_cell(&f.function),
                f.stage,
                grouped(f.self_samples as f64),
                grouped(f.total_samples as f64)
            );
        }
        out.push('\n');
    }
    if let Some(e) = &p.exact {
        let ir = e.event_index("Ir").unwrap_or(0);
        let est = e.event_index("Est");
        let total = e.totals.get(ir).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "## Exact (callgrind, one scan): {} instructions\n\nEvents: {}. Raw file: `{}`.\n",
            grouped(total as f64),
            e.events.join(" "),
            e.raw_file
        );
        stage_rows(&mut out, "exclusive Ir", &e.stages);
        let _ = writeln!(
            out,
            "| function | stage | exclusive Ir | inclusive Ir | exclusive est. cycles | inclusive est. cycles |\n|---|---|---:|---:|---:|---:|"
        );
        let cell = |v: &[u64], i: Option<usize>| {
            i.and_then(|i| v.get(i))
                .map_or("–".to_string(), |&x| grouped(x as f64))
        };
        for f in e.functions.iter().take(top) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                name_cell(&f.function),
                f.stage,
                cell(&f.exclusive, Some(ir)),
                cell(&f.inclusive, Some(ir)),
                cell(&f.exclusive, est),
                cell(&f.inclusive, est)
            );
        }
        out.push('\n');
    }
    out
}

fn movers_table(out: &mut String, d: &ProfileDiffFile, top: usize) {
    let _ = writeln!(
        out,
        "| # | function | stage | base excl. | head excl. | Δ excl. | Δ incl. |\n|---:|---|---|---:|---:|---:|---:|"
    );
    for (i, m) in d.movers.iter().take(top).enumerate() {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} ({}) | {} |",
            i + 1,
            name_cell(&m.function),
            m.stage,
            grouped(m.base_exclusive as f64),
            grouped(m.head_exclusive as f64),
            signed(m.delta_exclusive),
            percent_of(m.delta_exclusive, d.base_total),
            signed(m.delta_inclusive)
        );
    }
}

fn totals_line(d: &ProfileDiffFile) -> String {
    let change = i128::from(d.head_total) - i128::from(d.base_total);
    format!(
        "{} instructions (`{}` → `{}`): {} → {} ({})",
        d.event,
        rev(&d.base),
        rev(&d.head),
        grouped(d.base_total as f64),
        grouped(d.head_total as f64),
        percent_of(i64::try_from(change).unwrap_or(0), d.base_total)
    )
}

/// A diff's totals, stage deltas and top `top` movers, as Markdown.
pub fn diff_markdown(d: &ProfileDiffFile, top: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Where: {}\n\n{}. Movers ranked by |Δ exclusive|; Δ% is of the base's total.\n",
        workload_title(&d.workload),
        totals_line(d)
    );
    let _ = writeln!(out, "| stage | base | head | Δ |\n|---|---:|---:|---:|");
    for s in &d.stages {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            s.stage,
            grouped(s.base as f64),
            grouped(s.head as f64),
            signed(s.delta)
        );
    }
    out.push('\n');
    movers_table(&mut out, d, top);
    if let Some(svg) = &d.flame_graph {
        let _ = writeln!(out, "\nDifferential flame graph (sampled): `{svg}`");
    }
    out
}

/// The PR comment's collapsed section: per workload, the top five
/// functions by Δ exclusive instructions. Empty without diffs.
pub fn where_section(diffs: &[ProfileDiffFile]) -> String {
    if diffs.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "<details>\n<summary>Where: the functions that moved most (callgrind, Δ instructions)</summary>\n\n",
    );
    for d in diffs {
        let _ = writeln!(
            out,
            "**{}** — {}\n",
            workload_title(&d.workload),
            totals_line(d)
        );
        movers_table(&mut out, d, WHERE_ROWS);
        out.push('\n');
    }
    out.push_str(
        "Full tables and the differential flame graphs: `profile-diff-*.md`, `*.svg` and report.html.\n</details>\n",
    );
    out
}

/// A diff and its differential flame graph's SVG, for the page.
#[derive(Clone, Debug)]
pub struct WhereInput<'a> {
    pub diff: &'a ProfileDiffFile,
    pub flame_svg: Option<&'a str>,
}

/// Adds the "Where" section to a compare page: per workload the stage
/// deltas, the top `top` movers and the differential flame graph.
pub fn add_where_section(
    page: &mut Page,
    inputs: &[WhereInput<'_>],
    top: usize,
) -> Result<(), HtmlError> {
    if inputs.is_empty() {
        return Ok(());
    }
    let section = page.section("Where: profiles");
    section.paragraph(
        "For each stratum whose gated metric moved: callgrind's per-function instruction counts \
         of one scan on each side (exact), and a differential flame graph of sampled warm \
         iterations. docs/profiling.md says how samples are attributed to stages.",
    );
    for input in inputs {
        let d = input.diff;
        let s = section.section(&workload_title(&d.workload));
        s.paragraph(totals_line(d));
        let mut stages = Table::new(
            "Exclusive instructions per stage",
            &["stage", "base", "head", "Δ"],
        );
        for st in &d.stages {
            stages.row(vec![
                Cell::text(st.stage.as_str()),
                Cell::number(grouped(st.base as f64)),
                Cell::number(grouped(st.head as f64)),
                Cell::number(signed(st.delta)),
            ])?;
        }
        s.table(stages);
        let mut movers = Table::new(
            "Functions by |Δ exclusive instructions|",
            &[
                "#",
                "function",
                "stage",
                "base excl.",
                "head excl.",
                "Δ excl.",
                "Δ incl.",
            ],
        );
        for (i, m) in d.movers.iter().take(top).enumerate() {
            movers.row(vec![
                Cell::number((i + 1).to_string()),
                Cell::text(&m.function),
                Cell::text(m.stage.as_str()),
                Cell::number(grouped(m.base_exclusive as f64)),
                Cell::number(grouped(m.head_exclusive as f64)),
                Cell::number(signed(m.delta_exclusive)),
                Cell::number(signed(m.delta_inclusive)),
            ])?;
        }
        s.table(movers);
        if let Some(svg) = input.flame_svg {
            s.image(
                svg,
                "Differential flame graph (sampled): widths from head, red where head has more samples than base, blue fewer. Open the .svg file for the interactive version.",
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use harness_model::Stratum;
    use harness_model::profile::{FunctionDelta, PipelineStage, StageDelta, profile_schema};

    fn diff() -> ProfileDiffFile {
        let rev = |c: &str| Revision {
            rev: c.into(),
            commit: format!("{c}0000000000"),
            dirty: false,
        };
        let mover = |f: &str, d: i64| FunctionDelta {
            function: f.into(),
            stage: PipelineStage::Detect,
            base_exclusive: 100,
            head_exclusive: (100 + d) as u64,
            base_inclusive: 200,
            head_inclusive: (200 + d) as u64,
            delta_exclusive: d,
            delta_inclusive: d,
        };
        ProfileDiffFile {
            schema: profile_schema(),
            workload: Stratum::Small.into(),
            base: rev("aaa"),
            head: rev("bbb"),
            event: "Ir".into(),
            base_total: 10_000,
            head_total: 10_500,
            stages: vec![StageDelta {
                stage: PipelineStage::Detect,
                base: 5000,
                head: 5500,
                delta: 500,
            }],
            movers: (0..7)
                .map(|i| mover(&format!("f{i}|x"), 500 - i * 10))
                .collect(),
            flame_graph: Some("profile-diff-small.svg".into()),
        }
    }

    #[test]
    fn the_where_section_is_collapsed_and_lists_five() {
        let text = where_section(&[diff()]);
        assert!(text.starts_with("<details>\n<summary>"), "{text}");
        assert!(text.trim_end().ends_with("</details>"));
        assert!(
            text.contains("| 1 | `f0\\|x` | detect | 100 | 600 | +500 (+5.00%) | +500 |"),
            "{text}"
        );
        assert!(text.contains("| 5 | `f4\\|x`"));
        assert!(!text.contains("f5"));
        assert!(text.contains("10,000 → 10,500 (+5.00%)"), "{text}");
        assert_eq!(where_section(&[]), "");
    }

    #[test]
    fn long_names_keep_both_ends() {
        let long = format!("start::{}::end", "x".repeat(200));
        let cell = name_cell(&long);
        assert!(cell.starts_with("`start::"));
        assert!(cell.ends_with("::end`"));
        assert_eq!(cell.chars().count(), NAME_WIDTH + 2);
    }

    #[test]
    fn the_page_gets_tables_and_the_graph_as_an_image() {
        let d = diff();
        let mut page = Page::new("p");
        add_where_section(
            &mut page,
            &[WhereInput {
                diff: &d,
                flame_svg: Some("<svg></svg>"),
            }],
            20,
        )
        .unwrap();
        assert_eq!(page.figure_count(), 1);
        let html = page.render();
        assert!(html.contains("Where: profiles"));
        assert!(html.contains("f6|x"));
        let md = diff_markdown(&d, 3);
        assert!(md.contains("| detect | 5,000 | 5,500 | +500 |"), "{md}");
        assert!(md.contains("| 3 | `f2\\|x`"));
        assert!(!md.contains("f3"));
    }
}
