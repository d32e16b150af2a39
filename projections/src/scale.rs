//! Verdict scales of other audit offices: followup's verdicts mapped onto them, and the counts and rates of a
//! summary on each.
//!
//! The scales and their sources:
//! - **GAO** (U.S. Government Accountability Office), the status of a recommendation in its public database:
//!   open; open – partially addressed; closed – implemented; closed – not implemented (closed when the agency
//!   will not act or circumstances changed, GAO's "Recommendations Database" definitions).
//! - **ECA** (European Court of Auditors), the follow-up of its special reports: fully implemented; implemented
//!   in most respects; implemented in some respects; not implemented; no longer relevant.
//! - **AR** (Algemene Rekenkamer, the Netherlands), the *Voortgangsmeter* of its follow-ups, which judges what
//!   a minister did with a commitment: no action (*geen actie*); other action (*andere actie*); commitment being
//!   carried out (*toezegging in uitvoering*); commitment carried out (*toezegging uitgevoerd*).
//! - **IIA** (Institute of Internal Auditors), the closure rule of its standards on monitoring progress
//!   (Standard 2500, Global Internal Audit Standards 15.2): a recommendation is closed when it is implemented,
//!   when management accepts the risk of not acting, or when it no longer applies; else it stays open.
//!
//! Where a mapping loses information, [`Scale::losses`] says so; the README shows the whole table.

use std::collections::BTreeMap;

use events::{Stance, Verdict};
use serde::Serialize;

use crate::{RecommendationStatus, Status};

/// A verdict scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// followup's own verdicts, the scale of the Dutch local audit offices' follow-ups.
    Followup,
    /// The GAO's recommendation status.
    Gao,
    /// The European Court of Auditors' follow-up scale.
    Eca,
    /// The Algemene Rekenkamer's Voortgangsmeter.
    Ar,
    /// The IIA's closure rule.
    Iia,
}

/// One category of a scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Category {
    /// Its code, snake_case: `closed_implemented`.
    pub code: &'static str,
    /// Its name as the office writes it: `closed – implemented`.
    pub name: &'static str,
    /// Whether it counts as implemented in the scale's rate.
    pub implemented: bool,
}

const fn c(code: &'static str, name: &'static str, implemented: bool) -> Category {
    Category { code, name, implemented }
}

const FOLLOWUP: [Category; 6] = [
    c("not_implemented", "not implemented", false),
    c("not_adopted", "not adopted", false),
    c("in_progress", "in progress", false),
    c("partially_implemented", "partially implemented", false),
    c("implemented", "implemented", true),
    c("no_longer_relevant", "no longer relevant", false),
];
const GAO: [Category; 4] = [
    c("open", "open", false),
    c("open_partially_addressed", "open – partially addressed", false),
    c("closed_implemented", "closed – implemented", true),
    c("closed_not_implemented", "closed – not implemented", false),
];
const ECA: [Category; 5] = [
    c("fully_implemented", "fully implemented", true),
    c("implemented_in_most_respects", "implemented in most respects", false),
    c("implemented_in_some_respects", "implemented in some respects", false),
    c("not_implemented", "not implemented", false),
    c("no_longer_relevant", "no longer relevant", false),
];
const AR: [Category; 4] = [
    c("no_action", "no action (geen actie)", false),
    c("other_action", "other action (andere actie)", false),
    c("commitment_being_carried_out", "commitment being carried out (toezegging in uitvoering)", false),
    c("commitment_carried_out", "commitment carried out (toezegging uitgevoerd)", true),
];
const IIA: [Category; 4] = [
    c("open", "open", false),
    c("closed_implemented", "closed – implemented", true),
    c("closed_risk_accepted", "closed – risk accepted", false),
    c("closed_no_longer_applicable", "closed – no longer applicable", false),
];

impl Scale {
    /// Every scale.
    pub const ALL: [Scale; 5] = [Scale::Followup, Scale::Gao, Scale::Eca, Scale::Ar, Scale::Iia];

    /// The scale named `code`: `followup`, `gao`, `eca`, `ar`, `iia` (any case).
    pub fn parse(code: &str) -> Option<Scale> {
        Scale::ALL.into_iter().find(|s| s.code().eq_ignore_ascii_case(code.trim()))
    }

    /// Its code.
    pub fn code(self) -> &'static str {
        match self {
            Scale::Followup => "followup",
            Scale::Gao => "gao",
            Scale::Eca => "eca",
            Scale::Ar => "ar",
            Scale::Iia => "iia",
        }
    }

    /// Its categories, in the scale's order.
    pub fn categories(self) -> &'static [Category] {
        match self {
            Scale::Followup => &FOLLOWUP,
            Scale::Gao => &GAO,
            Scale::Eca => &ECA,
            Scale::Ar => &AR,
            Scale::Iia => &IIA,
        }
    }

    /// Where mapping followup's verdicts onto the scale loses information, in plain words.
    pub fn losses(self) -> &'static [&'static str] {
        match self {
            Scale::Followup => &[],
            Scale::Gao => &[
                "in_progress and not_implemented (attributable) are both open: GAO does not tell work begun from none",
                "closed – not implemented gathers not_adopted, no_longer_relevant, a not_implemented the executive is not to blame for, and a rejected recommendation",
            ],
            Scale::Eca => &[
                "implemented in most respects is never given: followup's partially_implemented does not say how much; it maps to in some respects",
                "in_progress maps to in some respects, as the Court counts work under way",
                "not_adopted and not_implemented both become not implemented",
            ],
            Scale::Ar => &[
                "the Voortgangsmeter judges commitments, followup recommendations: the category is the recommendation's, whatever commitments it holds",
                "other action is given only to a not_implemented the executive is not to blame for and to no_longer_relevant; followup does not record whether another action replaced the one recommended",
                "partially_implemented and in_progress both become commitment being carried out",
            ],
            Scale::Iia => &[
                "everything not closed is open: partially_implemented, in_progress and an attributable not_implemented are one category",
                "risk accepted stands for a recommendation the executive rejected or never adopted; followup does not record a formal acceptance of the risk",
            ],
        }
    }

    /// The category of a recommendation's current verdict on this scale, `None` when it has no verdict.
    /// The stance (a rejection) and whether a shortfall is attributable refine some mappings: the README table.
    pub fn category(self, r: &RecommendationStatus) -> Option<&'static Category> {
        let v = r.verdict?;
        let rejected = r.stance == Some(Stance::Rejected);
        let not_to_blame =
            r.verdicts.iter().rev().find(|e| e.superseded_by.is_none()).and_then(|e| e.attributable) == Some(false);
        let code = match self {
            Scale::Followup => v.code(),
            Scale::Gao => match v {
                Verdict::Implemented => "closed_implemented",
                Verdict::PartiallyImplemented => "open_partially_addressed",
                Verdict::InProgress => "open",
                Verdict::NotImplemented if rejected || not_to_blame => "closed_not_implemented",
                Verdict::NotImplemented => "open",
                Verdict::NotAdopted | Verdict::NoLongerRelevant => "closed_not_implemented",
            },
            Scale::Eca => match v {
                Verdict::Implemented => "fully_implemented",
                Verdict::PartiallyImplemented | Verdict::InProgress => "implemented_in_some_respects",
                Verdict::NotImplemented | Verdict::NotAdopted => "not_implemented",
                Verdict::NoLongerRelevant => "no_longer_relevant",
            },
            Scale::Ar => match v {
                Verdict::Implemented => "commitment_carried_out",
                Verdict::PartiallyImplemented | Verdict::InProgress => "commitment_being_carried_out",
                Verdict::NotImplemented if not_to_blame => "other_action",
                Verdict::NotImplemented | Verdict::NotAdopted => "no_action",
                Verdict::NoLongerRelevant => "other_action",
            },
            Scale::Iia => match v {
                Verdict::Implemented => "closed_implemented",
                Verdict::NotAdopted => "closed_risk_accepted",
                Verdict::NotImplemented if rejected => "closed_risk_accepted",
                Verdict::NotImplemented if not_to_blame => "closed_no_longer_applicable",
                Verdict::NoLongerRelevant => "closed_no_longer_applicable",
                Verdict::NotImplemented | Verdict::PartiallyImplemented | Verdict::InProgress => "open",
            },
        };
        self.categories().iter().find(|c| c.code == code)
    }
}

/// The counts of one report (or of all, `report` empty) on a scale.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ScaleCounts {
    /// The report's id; empty for the overall counts.
    pub report: String,
    /// Recommendations issued (and not retracted) in the window.
    pub recommendations: usize,
    /// Of those, the ones with a current verdict.
    pub assessed: usize,
    /// Per category code, every category of the scale present.
    pub counts: BTreeMap<&'static str, usize>,
    /// The share of the assessed in the scale's implemented category; `None` when none is assessed.
    pub rate: Option<f64>,
}

/// A summary on one scale: per report and overall.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScaleSummary {
    /// The scale.
    pub scale: Scale,
    /// Its categories, in order.
    pub categories: &'static [Category],
    /// One per report, by report id.
    pub reports: Vec<ScaleCounts>,
    /// All together.
    pub overall: ScaleCounts,
    /// What the mapping loses.
    pub losses: &'static [&'static str],
}

/// Counts the current verdicts of `status` on `scale`, per report and overall.
pub fn on_scale(status: &Status, scale: Scale) -> ScaleSummary {
    let mut s = ScaleSumming::new(scale);
    s.add(status);
    s.finish()
}

/// A summary on a scale built from the statuses of one report after another, as [`crate::Summing`] builds a
/// summary: adding every report's status gives what [`on_scale`] gives of the whole.
pub struct ScaleSumming {
    scale: Scale,
    per: BTreeMap<String, ScaleCounts>,
    overall: ScaleCounts,
}

impl ScaleSumming {
    /// Nothing counted yet.
    pub fn new(scale: Scale) -> ScaleSumming {
        ScaleSumming { scale, per: BTreeMap::new(), overall: ScaleSumming::empty(scale, "") }
    }

    fn empty(scale: Scale, report: &str) -> ScaleCounts {
        ScaleCounts {
            report: report.to_owned(),
            counts: scale.categories().iter().map(|c| (c.code, 0)).collect(),
            ..ScaleCounts::default()
        }
    }

    /// Adds the recommendations of `status`, none of which was added before; those whose issue is not in the
    /// window are not counted.
    pub fn add(&mut self, status: &Status) {
        let scale = self.scale;
        for r in status.recommendations.iter().filter(|r| r.issued.is_some()) {
            let t = self.per.entry(r.report.clone()).or_insert_with(|| ScaleSumming::empty(scale, &r.report));
            let category = scale.category(r);
            for t in [&mut *t, &mut self.overall] {
                t.recommendations += 1;
                if let Some(c) = category {
                    t.assessed += 1;
                    *t.counts.entry(c.code).or_default() += 1;
                }
            }
        }
    }

    /// The summary of everything added.
    pub fn finish(self) -> ScaleSummary {
        let ScaleSumming { scale, per, mut overall } = self;
        let mut reports: Vec<ScaleCounts> = per.into_values().collect();
        for t in reports.iter_mut().chain(std::iter::once(&mut overall)) {
            let done: usize = scale.categories().iter().filter(|c| c.implemented).map(|c| t.counts[c.code]).sum();
            t.rate = (t.assessed > 0).then(|| done as f64 / t.assessed as f64);
        }
        ScaleSummary { scale, categories: scale.categories(), reports, overall, losses: scale.losses() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::given::{self, log};
    use crate::{status, Window};

    #[test]
    fn given_every_verdict_when_mapped_then_each_scale_gives_one_of_its_categories() {
        let s = status(&log(&given::follow_up()), Window::default());
        let r = s.recommendations.iter().find(|r| r.verdict.is_some()).unwrap().clone();
        for scale in Scale::ALL {
            for v in Verdict::ALL {
                for stance in [None, Some(Stance::Rejected)] {
                    let mut r = r.clone();
                    r.verdict = Some(v);
                    r.stance = stance;
                    let c = scale.category(&r).unwrap_or_else(|| panic!("{scale:?} {v:?}"));
                    assert!(scale.categories().contains(c));
                }
            }
        }
    }

    #[test]
    fn given_a_partial_verdict_when_summarised_on_the_gao_scale_then_it_is_open_partially_addressed() {
        let s = status(&log(&given::follow_up()), Window::default());
        let sum = on_scale(&s, Scale::Gao);
        assert_eq!(sum.overall.assessed, 1);
        assert_eq!(sum.overall.counts["open_partially_addressed"], 1);
        assert_eq!(sum.overall.counts["closed_implemented"], 0);
        assert_eq!(sum.overall.rate, Some(0.0));
        assert_eq!(sum.overall.counts.len(), 4, "every category present");
    }
}
