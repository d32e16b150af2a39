//! The summary projection: verdict counts, implementation rates and commitments, per report and overall.

use std::collections::{BTreeMap, HashMap};

use events::{Date, StreamId, Verdict};
use serde::Serialize;

use crate::{overdue, Status};

/// The figures of one report, or of all together (`report` empty).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ReportSummary {
    /// The report's id; empty for the overall figures.
    pub report: String,
    /// Recommendations issued (and not retracted) in the window.
    pub recommendations: usize,
    /// Recommendations with a current verdict.
    pub assessed: usize,
    /// Current verdicts by code (`implemented`, ...), every code present.
    pub verdicts: BTreeMap<&'static str, usize>,
    /// Current verdicts that verification does not support: unsupported or undermined ([`crate::judge`]); they are
    /// counted above as they stand, and this says how many of them the evidence does not bear out.
    pub not_supported: usize,
    /// Recommendations judged `implemented`.
    pub implemented: usize,
    /// Recommendations judged `implemented` or `partially_implemented`.
    pub implemented_or_partially: usize,
    /// `implemented / assessed`, `None` when nothing is assessed.
    pub implementation_rate: Option<f64>,
    /// `implemented_or_partially / assessed`, `None` when nothing is assessed.
    pub implemented_or_partially_rate: Option<f64>,
    /// Commitments not kept (no `action_taken` fulfils them) of recommendations not implemented or no longer
    /// relevant.
    pub open_commitments: usize,
    /// Open commitments whose current due date ended before the day (see [`crate::overdue`]).
    pub overdue_commitments: usize,
}

/// Figures per report (by report id) and overall.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    /// One per report.
    pub reports: Vec<ReportSummary>,
    /// All reports together.
    pub overall: ReportSummary,
}

fn rate(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Summarises `status` (folded as of `day`), counting overdue commitments on `day`.
pub fn summary(status: &Status, day: Date) -> Summary {
    let mut s = Summing::new(day);
    s.add(status);
    s.finish()
}

/// A summary built from the statuses of one report after another: adding the report-scoped statuses of every
/// report, in report id order, gives what [`summary`] gives of the whole status, without holding it.
pub struct Summing {
    day: Date,
    per: BTreeMap<String, ReportSummary>,
    overall: ReportSummary,
}

impl Summing {
    /// Nothing summed yet; overdue commitments are counted on `day`.
    pub fn new(day: Date) -> Summing {
        Summing { day, per: BTreeMap::new(), overall: ReportSummary::default() }
    }

    /// Adds the recommendations of `status` (folded as of the day), none of which was added before.
    pub fn add(&mut self, status: &Status) {
        // Overdue commitments counted per recommendation once, not searched for each one.
        let mut late: HashMap<StreamId, usize> = HashMap::new();
        for o in overdue(status, self.day) {
            *late.entry(o.recommendation).or_default() += 1;
        }
        // A recommendation whose issue is not in the window (never issued, or its issue retracted) is no
        // recommendation of the report: it is not counted (status lists it with an anomaly).
        for r in status.recommendations.iter().filter(|r| r.issued.is_some()) {
            let s = self
                .per
                .entry(r.report.clone())
                .or_insert_with(|| ReportSummary { report: r.report.clone(), ..ReportSummary::default() });
            let closed = matches!(r.verdict, Some(Verdict::Implemented | Verdict::NoLongerRelevant));
            let open = if closed { 0 } else { r.commitments.iter().filter(|c| c.kept_by.is_none()).count() };
            let overdue_here = late.get(&r.id).copied().unwrap_or(0);
            for t in [&mut *s, &mut self.overall] {
                t.recommendations += 1;
                if let Some(v) = r.verdict {
                    t.assessed += 1;
                    *t.verdicts.entry(v.code()).or_default() += 1;
                    t.not_supported += usize::from(matches!(
                        r.verdict_judgement,
                        Some(crate::Judgement::Unsupported | crate::Judgement::Undermined)
                    ));
                    t.implemented += usize::from(v == Verdict::Implemented);
                    t.implemented_or_partially +=
                        usize::from(matches!(v, Verdict::Implemented | Verdict::PartiallyImplemented));
                }
                t.open_commitments += open;
                t.overdue_commitments += overdue_here;
            }
        }
    }

    /// The summary of everything added.
    pub fn finish(self) -> Summary {
        let Summing { per, mut overall, .. } = self;
        let mut reports: Vec<ReportSummary> = per.into_values().collect();
        for t in reports.iter_mut().chain(std::iter::once(&mut overall)) {
            for v in Verdict::ALL {
                t.verdicts.entry(v.code()).or_default();
            }
            t.implementation_rate = rate(t.implemented, t.assessed);
            t.implemented_or_partially_rate = rate(t.implemented_or_partially, t.assessed);
        }
        Summary { reports, overall }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::given::{self, log};
    use crate::{status, Window};

    #[test]
    fn given_a_follow_up_when_summarised_then_rates_are_parts_of_the_assessed() {
        let s = status(&log(&given::follow_up()), Window::default());
        let sum = summary(&s, "2020-01-01".parse().unwrap());
        let r = &sum.overall;
        assert_eq!((r.recommendations, r.assessed, r.implemented, r.implemented_or_partially), (2, 1, 0, 1));
        assert_eq!((r.implementation_rate, r.implemented_or_partially_rate), (Some(0.0), Some(1.0)));
        assert_eq!(r.verdicts["partially_implemented"], 1);
        assert_eq!(r.verdicts["implemented"], 0);
        assert_eq!((r.open_commitments, r.overdue_commitments), (1, 1));
        assert_eq!(sum.reports.len(), 1);
        assert_eq!(sum.reports[0].report, "r");
    }

    #[test]
    fn given_nothing_assessed_when_summarised_then_rates_are_absent() {
        let s = status(&log(&given::follow_up()[..5]), Window::default());
        let sum = summary(&s, "2020-01-01".parse().unwrap());
        assert_eq!((sum.overall.assessed, sum.overall.implementation_rate), (0, None));
    }

    #[test]
    fn given_a_retracted_recommendation_when_summarised_then_it_is_not_counted() {
        let mut lines = given::follow_up();
        let before = summary(&status(&log(&lines), Window::default()), "2020-01-01".parse().unwrap());
        assert_eq!(before.overall.recommendations, 2);
        // retract the issue of recommendation 2 (position 3 of the follow-up)
        let events = log(&lines);
        let issue = events.iter().find(|e| e.stream.as_str() == "r/2" && e.position == 3).unwrap().id;
        lines.push(given::line(
            None,
            "r/2",
            "event_retracted",
            "2018",
            &format!(r#"{{"target":"{issue}","reason":"wrong"}}"#),
        ));
        let s = status(&log(&lines), Window::default());
        assert!(
            s.anomalies
                .iter()
                .any(|a| a.message == "recommendation r/2 is left out: its recommendation_issued was retracted"),
            "{:?}",
            s.anomalies
        );
        assert!(s.recommendations.iter().all(|r| r.id.as_str() != "r/2"), "a withdrawn recommendation is not listed");
        let sum = summary(&s, "2020-01-01".parse().unwrap());
        assert_eq!((sum.overall.recommendations, sum.reports[0].recommendations), (1, 1));
    }
}
