//! Flame graphs from folded stacks, drawn by inferno: one profile's
//! ([`flame_graph`]) or the difference of two ([`differential_flame_graph`],
//! inferno's differential mode: widths from the head, red where the head
//! has more samples than the base, blue where fewer, the base normalised to
//! the head's total so a longer run does not paint everything red).
//!
//! Invariant: the SVG is inferno's own (interactive when opened as a file:
//! it carries inferno's script), so pages embed it as an image
//! ([`crate::html::Section::image`]), where no script runs; an empty
//! profile is an error, not an empty picture.

use harness_model::profile::FoldedStacks;
use inferno::flamegraph::{self, Options};

/// Why a flame graph could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum FlameError {
    #[error("flame graph {title:?}: no samples")]
    Empty { title: String },
    #[error("flame graph {title:?}: {source}")]
    Draw {
        title: String,
        source: std::io::Error,
    },
}

fn options(title: &str, subtitle: Option<&str>) -> Options<'static> {
    let mut opts = Options::default();
    opts.title = title.to_string();
    opts.subtitle = subtitle.map(str::to_string);
    opts.count_name = "samples".into();
    // Frames are sorted so the same stacks always give the same SVG.
    opts.deterministic = true;
    // Frames narrower than a pixel cannot be seen or clicked; leaving them
    // out keeps a profile's SVG to a fraction of the size.
    opts.min_width = 1.0;
    opts
}

fn draw(title: &str, opts: &mut Options<'_>, folded: &str) -> Result<String, FlameError> {
    let mut svg = Vec::new();
    flamegraph::from_lines(opts, folded.lines(), &mut svg).map_err(|source| FlameError::Draw {
        title: title.to_string(),
        source,
    })?;
    Ok(String::from_utf8_lossy(&svg).into_owned())
}

/// One profile's flame graph.
pub fn flame_graph(folded: &FoldedStacks, title: &str) -> Result<String, FlameError> {
    if folded.total() == 0 {
        return Err(FlameError::Empty {
            title: title.to_string(),
        });
    }
    draw(title, &mut options(title, None), &folded.to_text())
}

/// The differential flame graph of `base` → `head`.
pub fn differential_flame_graph(
    base: &FoldedStacks,
    head: &FoldedStacks,
    title: &str,
) -> Result<String, FlameError> {
    if base.total() == 0 || head.total() == 0 {
        return Err(FlameError::Empty {
            title: title.to_string(),
        });
    }
    let mut lines = Vec::new();
    let opts = inferno::differential::Options {
        normalize: true,
        strip_hex: false,
    };
    inferno::differential::from_readers(
        opts,
        base.to_text().as_bytes(),
        head.to_text().as_bytes(),
        &mut lines,
    )
    .map_err(|source| FlameError::Draw {
        title: title.to_string(),
        source,
    })?;
    let text = String::from_utf8_lossy(&lines).into_owned();
    let mut o = options(
        title,
        Some("red: more samples in head than in base (normalised), blue: fewer"),
    );
    draw(title, &mut o, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stacks(rows: &[(&[&str], u64)]) -> FoldedStacks {
        let mut f = FoldedStacks::default();
        for (leaf_first, n) in rows {
            f.add_leaf_first(leaf_first, *n);
        }
        f
    }

    #[test]
    fn a_flame_graph_names_its_frames_and_is_deterministic() {
        let f = stacks(&[(&["hot_leaf", "main"], 90), (&["cold_leaf", "main"], 10)]);
        let svg = flame_graph(&f, "t").unwrap();
        assert!(svg.starts_with("<?xml"), "{}", &svg[..40]);
        assert!(svg.contains("hot_leaf"));
        assert!(svg.contains("cold_leaf"));
        assert_eq!(svg, flame_graph(&f, "t").unwrap());
        assert!(matches!(
            flame_graph(&FoldedStacks::default(), "t"),
            Err(FlameError::Empty { .. })
        ));
    }

    #[test]
    fn a_differential_graph_shows_the_new_frame_in_red() {
        let base = stacks(&[(&["a", "main"], 50), (&["b", "main"], 50)]);
        let head = stacks(&[
            (&["a", "main"], 50),
            (&["b", "main"], 40),
            (&["slow", "main"], 30),
        ]);
        let svg = differential_flame_graph(&base, &head, "diff").unwrap();
        // The new frame is drawn, and its title says it grew.
        let at = svg.find("<title>slow").expect("the new frame is drawn");
        let title_end = svg[at..].find("</title>").unwrap();
        assert!(
            svg[at..at + title_end].contains('+'),
            "{}",
            &svg[at..at + title_end]
        );
        assert!(svg.contains("rgb(255,"), "some frame is red");
    }
}
