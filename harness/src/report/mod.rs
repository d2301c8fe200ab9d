//! Reports: self-contained HTML pages with inline SVG charts.
pub mod charts;
