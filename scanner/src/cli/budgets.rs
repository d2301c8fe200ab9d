//! The memory flags `scan` and `blobs` share: one `--memory-budget` that
//! derives the caches' budgets, and a flag per cache that overrides it.
//! Sizes take binary suffixes (`96M`, `1G`, `512KiB`) or plain bytes.

use scanner::git::Options;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct Budgets {
    /// Bytes for the scanner's caches together (default 128M at 2 threads):
    /// half for dedupe's table, 3/16 for tree diff's caches, a quarter for
    /// exec's delta-base caches (split among the threads). The compiled
    /// rules, the commit list and the blob list are outside it. Less trades
    /// speed for memory (docs/metrics.md, "Memory bounds").
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub memory_budget: Option<usize>,
    /// Dedupe's candidate table before it spills sorted runs to disk.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub dedupe_budget: Option<usize>,
    /// Tree diff's caches of trees and decoded pack entries (all threads).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub tree_cache_budget: Option<usize>,
    /// Exec's cache of delta bases, per thread.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub base_cache_budget: Option<usize>,
}

impl Budgets {
    /// Whether any memory flag was given.
    pub fn any(&self) -> bool {
        self.memory_budget.is_some()
            || self.dedupe_budget.is_some()
            || self.tree_cache_budget.is_some()
            || self.base_cache_budget.is_some()
    }

    /// Sets `opts`' budgets: the derived ones first, then the explicit.
    /// `opts.threads` must already be final (the base cache is per thread).
    pub fn apply(&self, opts: &mut Options) {
        if let Some(m) = self.memory_budget {
            opts.set_memory_budget(m);
        }
        if let Some(b) = self.dedupe_budget {
            opts.dedupe_budget = b;
        }
        if let Some(b) = self.tree_cache_budget {
            opts.tree_cache_budget = b;
        }
        if let Some(b) = self.base_cache_budget {
            opts.base_cache_budget = b;
        }
    }
}

/// `123`, `64K`, `96M`, `1G` (also `KiB`, `MiB`, `GiB`, `KB`…, all binary).
pub fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: usize = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size (e.g. 128M, 1G, 65536)"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        other => return Err(format!("`{text}`: unknown unit `{other}` (use K, M or G)")),
    };
    n.checked_mul(1usize << shift)
        .ok_or_else(|| format!("`{text}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units_and_bad_ones_are_named() {
        assert_eq!(parse_size("65536"), Ok(65536));
        assert_eq!(parse_size("96M"), Ok(96 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("512kb"), Ok(512 << 10));
        assert!(parse_size("12T").unwrap_err().contains("unknown unit `t`"));
        assert!(parse_size("M").unwrap_err().contains("`M` is not a size"));
        assert!(parse_size("99999999999999999999G").is_err());
    }

    #[test]
    fn explicit_budgets_override_the_derived_ones() {
        let mut opts = Options::new(".");
        opts.threads = 2;
        Budgets {
            memory_budget: Some(128 << 20),
            tree_cache_budget: Some(1 << 20),
            ..Budgets::default()
        }
        .apply(&mut opts);
        assert_eq!(opts.dedupe_budget, 64 << 20);
        assert_eq!(opts.tree_cache_budget, 1 << 20);
        assert_eq!(opts.base_cache_budget, 16 << 20);
    }
}
