//! Verdicts as documents store them: per compared quantity ([`Verdict`])
//! and for the whole compare ([`GateOutcome`], with its exit code). How a
//! verdict is decided is the analysis layer's (`harness_analysis::verdict`).

crate::closed_enum! {
    /// The verdict on one metric.
    pub enum Verdict ("verdict") {
        Regressed = "regressed",
        Improved = "improved",
        Unchanged = "unchanged",
        Inconclusive = "inconclusive",
    }
}

crate::closed_enum! {
    /// The verdict on the whole compare.
    pub enum GateOutcome ("gate outcome") {
        /// No gated metric regressed or stayed inconclusive; findings identical
        /// (or allowed to change).
        Pass = "pass",
        /// At least one gated metric regressed.
        Regression = "regression",
        /// The findings differ between the sides and that was not allowed.
        FindingsChanged = "findings_changed",
        /// No regression, but a gated metric stayed inconclusive at the round cap.
        Inconclusive = "inconclusive",
    }
}

impl GateOutcome {
    /// The outcome in words, for people (`findings changed`).
    pub fn label(self) -> &'static str {
        match self {
            GateOutcome::Pass => "pass",
            GateOutcome::Regression => "regression",
            GateOutcome::FindingsChanged => "findings changed",
            GateOutcome::Inconclusive => "inconclusive",
        }
    }

    /// The process exit code: 0 pass, 1 regression (findings included),
    /// 3 inconclusive; 2 is reserved for errors, which the driver reports.
    pub fn exit_code(self) -> i32 {
        match self {
            GateOutcome::Pass => 0,
            GateOutcome::Regression | GateOutcome::FindingsChanged => 1,
            GateOutcome::Inconclusive => 3,
        }
    }
}
