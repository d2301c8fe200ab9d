//! The three end-to-end benchmark strata: the axis every run, compare and
//! gate setting is keyed by. Their shapes (the generator specs) live in
//! `corpora`, which implements `corpora::StratumSpec` for this enum.

crate::closed_enum! {
    /// The three end-to-end benchmark strata.
    pub enum Stratum ("stratum") {
        /// Small range, few candidates: constant overhead.
        Small = "small",
        /// Many tree entries, moderate duplicates, spilling dedupe.
        Medium = "medium",
        /// Long history, many branches and merges, many duplicate blobs, several packs.
        Large = "large",
    }
}

impl Stratum {
    /// A comma-separated list such as `small,medium` (blanks ignored); the
    /// error names the first unknown stratum, or says the list is empty.
    /// Every `--strata` flag parses through this.
    pub fn parse_list(list: &str) -> Result<Vec<Stratum>, String> {
        let mut strata = Vec::new();
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match Stratum::from_name(name) {
                Some(s) => strata.push(s),
                None => {
                    return Err(format!(
                        "unknown stratum {name:?} (expected small, medium or large)"
                    ));
                }
            }
        }
        if strata.is_empty() {
            return Err("no strata given".into());
        }
        Ok(strata)
    }

    /// The list as [`Stratum::parse_list`] reads it back.
    pub fn join(strata: &[Stratum]) -> String {
        strata
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists() {
        assert_eq!(
            Stratum::parse_list(" small, large ,"),
            Ok(vec![Stratum::Small, Stratum::Large])
        );
        assert!(
            Stratum::parse_list("huge")
                .unwrap_err()
                .contains("\"huge\"")
        );
        assert_eq!(Stratum::parse_list(""), Err("no strata given".into()));
        let all = Stratum::all();
        assert_eq!(Stratum::parse_list(&Stratum::join(&all)), Ok(all.to_vec()));
    }
}
