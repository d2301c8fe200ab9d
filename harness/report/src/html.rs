//! A tiny HTML page builder for self-contained reports: one `String` with
//! embedded CSS, inline SVG figures, no external resources and no
//! JavaScript, so the file works offline and from any folder.
//!
//! [`Page`] holds [`Section`]s (headings `h2`, nested ones `h3`…`h6`, or
//! `<details>` blocks), which hold paragraphs, warnings, [`Table`]s and
//! figures. Invariant: every piece of text given to the builder is
//! HTML-escaped; the only markup inserted as it is comes from
//! [`Svg`](crate::charts::Svg), which only the chart module makes
//! (plotters escapes the text inside it).

use crate::charts::Svg;
use std::fmt::Write;

/// Why a page element was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HtmlError {
    #[error("table {table:?}: row {row} has {got} cells for {expected} columns")]
    RowWidth {
        table: String,
        row: usize,
        got: usize,
        expected: usize,
    },
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// Standard base64 (RFC 4648, with padding), for data URIs.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * k)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A table cell: text (left-aligned) or a formatted number (right-aligned,
/// tabular digits, so columns of figures line up).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    Number(String),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub fn number(s: impl Into<String>) -> Cell {
        Cell::Number(s.into())
    }
}

/// A table with a header row; every row has one cell per column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    caption: String,
    header: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    /// `caption` names the table (shown above it, and in errors).
    pub fn new(caption: impl Into<String>, header: &[&str]) -> Table {
        Table {
            caption: caption.into(),
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row; it must have exactly one cell per column.
    pub fn row(&mut self, cells: Vec<Cell>) -> Result<&mut Table, HtmlError> {
        if cells.len() != self.header.len() {
            return Err(HtmlError::RowWidth {
                table: self.caption.clone(),
                row: self.rows.len(),
                got: cells.len(),
                expected: self.header.len(),
            });
        }
        self.rows.push(cells);
        Ok(self)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn render(&self, out: &mut String) {
        out.push_str("<div class=\"table\"><table>\n");
        if !self.caption.is_empty() {
            let _ = writeln!(out, "<caption>{}</caption>", escape(&self.caption));
        }
        out.push_str("<thead><tr>");
        for h in &self.header {
            let _ = write!(out, "<th>{}</th>", escape(h));
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for row in &self.rows {
            out.push_str("<tr>");
            for cell in row {
                match cell {
                    Cell::Text(t) => {
                        let _ = write!(out, "<td>{}</td>", escape(t));
                    }
                    Cell::Number(n) => {
                        let _ = write!(out, "<td class=\"num\">{}</td>", escape(n));
                    }
                }
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody></table></div>\n");
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Block {
    Paragraph(String),
    Warning(String),
    Table(Table),
    Figure {
        svg: Svg,
        caption: String,
    },
    /// An SVG made elsewhere (a flame graph with its own script), shown as
    /// an image so nothing in it runs or leaks into the page.
    Image {
        svg_base64: String,
        caption: String,
    },
    /// Index into the parent's `children`.
    Section(usize),
}

/// How a section opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SectionKind {
    /// A heading; its level follows the nesting.
    Heading,
    /// A collapsed `<details>` block with the title as its summary.
    Details,
}

/// A titled part of the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    title: String,
    kind: SectionKind,
    blocks: Vec<Block>,
    children: Vec<Section>,
}

impl Section {
    fn new(title: &str, kind: SectionKind) -> Section {
        Section {
            title: title.into(),
            kind,
            blocks: Vec::new(),
            children: Vec::new(),
        }
    }

    pub fn paragraph(&mut self, text: impl Into<String>) -> &mut Section {
        self.blocks.push(Block::Paragraph(text.into()));
        self
    }

    /// A highlighted paragraph, for what a reader must not miss (skipped
    /// files, mixed counter sources).
    pub fn warning(&mut self, text: impl Into<String>) -> &mut Section {
        self.blocks.push(Block::Warning(text.into()));
        self
    }

    pub fn table(&mut self, table: Table) -> &mut Section {
        self.blocks.push(Block::Table(table));
        self
    }

    /// An inline SVG chart with a caption under it.
    pub fn figure(&mut self, svg: Svg, caption: impl Into<String>) -> &mut Section {
        self.blocks.push(Block::Figure {
            svg,
            caption: caption.into(),
        });
        self
    }

    /// An SVG document shown as an `<img>` from a data URI: its markup
    /// and scripts stay inside the image.
    pub fn image(&mut self, svg: &str, caption: impl Into<String>) -> &mut Section {
        self.blocks.push(Block::Image {
            svg_base64: base64(svg.as_bytes()),
            caption: caption.into(),
        });
        self
    }

    /// A nested section with a heading one level below this one's.
    pub fn section(&mut self, title: &str) -> &mut Section {
        self.push(Section::new(title, SectionKind::Heading))
    }

    /// A nested, collapsed `<details>` block.
    pub fn details(&mut self, summary: &str) -> &mut Section {
        self.push(Section::new(summary, SectionKind::Details))
    }

    fn push(&mut self, s: Section) -> &mut Section {
        let i = self.children.len();
        self.children.push(s);
        self.blocks.push(Block::Section(i));
        &mut self.children[i]
    }

    /// Number of figures in this section and below.
    pub fn figure_count(&self) -> usize {
        let own = self
            .blocks
            .iter()
            .filter(|b| matches!(b, Block::Figure { .. } | Block::Image { .. }))
            .count();
        own + self
            .children
            .iter()
            .map(Section::figure_count)
            .sum::<usize>()
    }

    fn render(&self, level: usize, id: Option<&str>, out: &mut String) {
        let title = escape(&self.title);
        match self.kind {
            SectionKind::Heading => {
                let h = level.min(6);
                let id = id.map_or(String::new(), |i| format!(" id=\"{i}\""));
                let _ = writeln!(out, "<section{id}>\n<h{h}>{title}</h{h}>");
            }
            SectionKind::Details => {
                let _ = writeln!(out, "<details>\n<summary>{title}</summary>");
            }
        }
        for b in &self.blocks {
            match b {
                Block::Paragraph(t) => {
                    let _ = writeln!(out, "<p>{}</p>", escape(t));
                }
                Block::Warning(t) => {
                    let _ = writeln!(out, "<p class=\"warning\">{}</p>", escape(t));
                }
                Block::Table(t) => t.render(out),
                Block::Figure { svg, caption } => {
                    let _ = writeln!(
                        out,
                        "<figure>\n{}\n<figcaption>{}</figcaption>\n</figure>",
                        svg.as_str().trim_end(),
                        escape(caption)
                    );
                }
                Block::Image {
                    svg_base64,
                    caption,
                } => {
                    let alt = escape(caption);
                    let _ = writeln!(
                        out,
                        "<figure>\n<img alt=\"{alt}\" style=\"max-width:100%\" src=\"data:image/svg+xml;base64,{svg_base64}\">\n<figcaption>{alt}</figcaption>\n</figure>"
                    );
                }
                Block::Section(i) => {
                    let s = &self.children[*i];
                    let next = match s.kind {
                        SectionKind::Heading => level + 1,
                        SectionKind::Details => level,
                    };
                    s.render(next, None, out);
                }
            }
        }
        out.push_str(match self.kind {
            SectionKind::Heading => "</section>\n",
            SectionKind::Details => "</details>\n",
        });
    }
}

/// A whole page: a title, an introduction, top-level sections (listed in a
/// table of contents).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    title: String,
    intro: Vec<String>,
    sections: Vec<Section>,
}

const CSS: &str = "
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: #111;
       max-width: 1200px; margin: 0 auto; padding: 1rem 2rem 3rem; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: 0.3rem; }
h2 { font-size: 1.35rem; border-bottom: 2px solid #ddd; padding-bottom: 0.2rem; margin-top: 2.2rem; }
h3 { font-size: 1.15rem; margin-top: 1.6rem; }
h4, h5, h6 { font-size: 1rem; }
nav ul { columns: 2; padding-left: 1.2rem; }
.table { overflow-x: auto; margin: 0.6rem 0 1rem; }
table { border-collapse: collapse; font-size: 0.9rem; }
caption { text-align: left; font-weight: 600; padding: 0.2rem 0; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; vertical-align: top; white-space: nowrap; }
th { background: #f2f2f2; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0 1.6rem; }
figure svg { display: block; max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.9rem; color: #444; margin-top: 0.3rem; max-width: 900px; }
details { margin: 0.6rem 0; }
summary { cursor: pointer; font-weight: 600; }
.warning { background: #fff4e0; border-left: 4px solid #E69F00; padding: 0.4rem 0.7rem; }
";

impl Page {
    pub fn new(title: impl Into<String>) -> Page {
        Page {
            title: title.into(),
            intro: Vec::new(),
            sections: Vec::new(),
        }
    }

    /// A paragraph under the title, before the table of contents.
    pub fn intro(&mut self, text: impl Into<String>) -> &mut Page {
        self.intro.push(text.into());
        self
    }

    /// A top-level (`h2`) section.
    pub fn section(&mut self, title: &str) -> &mut Section {
        self.sections
            .push(Section::new(title, SectionKind::Heading));
        let last = self.sections.len() - 1;
        &mut self.sections[last]
    }

    /// Number of figures on the page.
    pub fn figure_count(&self) -> usize {
        self.sections.iter().map(Section::figure_count).sum()
    }

    /// The whole document.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let title = escape(&self.title);
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
        );
        for p in &self.intro {
            let _ = writeln!(out, "<p>{}</p>", escape(p));
        }
        if self.sections.len() > 1 {
            out.push_str("<nav><ul>\n");
            for (i, s) in self.sections.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "<li><a href=\"#s{}\">{}</a></li>",
                    i + 1,
                    escape(&s.title)
                );
            }
            out.push_str("</ul></nav>\n");
        }
        for (i, s) in self.sections.iter().enumerate() {
            s.render(2, Some(&format!("s{}", i + 1)), &mut out);
        }
        out.push_str("</body>\n</html>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::{Axis, DistributionChart, Group, distribution_chart};

    fn svg() -> Svg {
        let mut c = DistributionChart::new("d", Axis::categories("g"), Axis::new("v", "ms"));
        c.groups = vec![Group {
            name: "a".into(),
            values: vec![1.0, 2.0],
        }];
        distribution_chart(&c).unwrap()
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn images_keep_their_markup_out_of_the_page() {
        let mut p = Page::new("t");
        p.section("s")
            .image("<svg><script>x()</script></svg>", "a \"flame\" graph");
        assert_eq!(p.figure_count(), 1);
        let html = p.render();
        assert!(!html.contains("<script>x()"), "{html}");
        assert!(html.contains("src=\"data:image/svg+xml;base64,PHN2Zz48c2NyaXB0Pngo"));
        assert!(html.contains("alt=\"a &quot;flame&quot; graph\""));
    }

    fn page() -> Page {
        let mut p = Page::new("Report <script>alert(1)</script>");
        p.intro("made by \"harness\" & friends");
        let s = p.section("Results <b>");
        s.paragraph("<script>alert(2)</script>");
        s.warning("skipped 'x.json'");
        let mut t = Table::new("metrics <i>", &["metric", "median"]);
        t.row(vec![Cell::text("<wall>"), Cell::number("1.5 ms")])
            .unwrap();
        s.table(t);
        s.figure(svg(), "caption <script>");
        s.section("nested")
            .details("more <details>")
            .paragraph("inside");
        p.section("second");
        p
    }

    #[test]
    fn all_text_is_escaped() {
        let html = page().render();
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<b>") && !html.contains("<i>") && !html.contains("<wall>"));
        for s in [
            "Report &lt;script&gt;alert(1)&lt;/script&gt;",
            "&lt;script&gt;alert(2)&lt;/script&gt;",
            "made by &quot;harness&quot; &amp; friends",
            "skipped &#39;x.json&#39;",
            "<td>&lt;wall&gt;</td><td class=\"num\">1.5 ms</td>",
            "<figcaption>caption &lt;script&gt;</figcaption>",
            "<summary>more &lt;details&gt;</summary>",
        ] {
            assert!(html.contains(s), "{s} missing from\n{html}");
        }
    }

    #[test]
    fn structure_is_self_contained() {
        let p = page();
        let html = p.render();
        assert_eq!(html, page().render());
        assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"));
        assert_eq!(p.figure_count(), 1);
        assert_eq!(html.matches("<svg").count(), 1);
        assert!(html.contains("<h2>Results &lt;b&gt;</h2>") && html.contains("<h3>nested</h3>"));
        assert!(
            html.contains("<a href=\"#s2\">second</a>") && html.contains("<section id=\"s2\">")
        );
        assert_eq!(
            html.matches("<section").count(),
            html.matches("</section>").count()
        );
        // Nothing is fetched: no scripts, links, images or URLs other than
        // the SVG namespace (a name, never loaded).
        let rest = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        for s in [
            "<script", "<link", "<img", "src=", "url(", "http:", "https:", "@import",
        ] {
            assert!(!rest.contains(s), "{s}");
        }
    }

    #[test]
    fn rows_must_fit_the_header() {
        let mut t = Table::new("env", &["field", "value"]);
        let e = t.row(vec![Cell::text("x")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "table \"env\": row 0 has 1 cells for 2 columns"
        );
        assert!(t.is_empty());
    }
}
