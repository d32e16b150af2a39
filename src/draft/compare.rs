//! Drafts measured against a hand-encoded log of the same report: recall and precision per kind.
//!
//! Kinds and what makes two events the same (the report's id is not compared: drafts name it by a rule, a
//! hand-encoded log by choice):
//! - recommendations: number and text (case and spacing aside);
//! - stances: recommendation and stance;
//! - verdicts: recommendation, verdict and as-of date;
//! - dated facts (`action_taken`, `context_noted`): recommendation (or the report) and date, each matched once;
//! - meetings (`committee_discussed`, `council_decided`, `council_motion_voted`): type and date;
//! - commitments: recommendation and date.

use std::collections::BTreeMap;

use events::{Body, NewEvent};
use serde::Serialize;

/// Recall and precision of one kind.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Score {
    /// The kind: `recommendations`, `stances`, `verdicts`, `dated facts`, `meetings`, `commitments`.
    pub kind: &'static str,
    /// Events of the kind in the reference.
    pub reference: usize,
    /// Drafts of the kind.
    pub drafted: usize,
    /// Drafts that match a reference event, each reference event matched at most once.
    pub matched: usize,
    /// Reference events without a matching draft, as `key: quote`.
    pub missed: Vec<String>,
    /// Drafts without a matching reference event, as `key: quote`.
    pub extra: Vec<String>,
}

impl Score {
    /// `matched / reference`; 1 when the reference holds none.
    pub fn recall(&self) -> f64 {
        if self.reference == 0 {
            1.0
        } else {
            self.matched as f64 / self.reference as f64
        }
    }

    /// `matched / drafted`; 1 when nothing was drafted.
    pub fn precision(&self) -> f64 {
        if self.drafted == 0 {
            1.0
        } else {
            self.matched as f64 / self.drafted as f64
        }
    }
}

const KINDS: [&str; 6] = ["recommendations", "stances", "verdicts", "dated facts", "meetings", "commitments"];

/// The kind of an event and its key for matching, or `None` for kinds not compared (the report itself).
fn key(e: &NewEvent) -> Option<(&'static str, String)> {
    let rec = e.stream.recommendation().map_or("report".to_owned(), |n| format!("recommendation {n}"));
    let occurred = e.occurred.as_str();
    Some(match &e.body {
        Body::RecommendationIssued(r) => {
            let text = r.text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
            ("recommendations", format!("{rec}: {}", text.trim_end_matches(['.', ';'])))
        }
        Body::ExecutiveResponded(r) => ("stances", format!("{rec}: {}", r.stance.code())),
        Body::StatusAssessed(s) => ("verdicts", format!("{rec}: {} as of {}", s.verdict.code(), s.as_of)),
        Body::ActionTaken(_) | Body::ContextNoted(_) => ("dated facts", format!("{rec} {occurred}")),
        Body::CommitteeDiscussed(_) | Body::CouncilDecided(_) | Body::CouncilMotionVoted(_) => {
            ("meetings", format!("{} {occurred}", e.body.event_type()))
        }
        Body::CommitmentMade(_) => ("commitments", format!("{rec} {occurred}")),
        _ => return None,
    })
}

/// Scores `drafts` against `reference`, one [`Score`] per kind in the order of the list above.
pub fn compare(drafts: &[NewEvent], reference: &[NewEvent]) -> Vec<Score> {
    let group = |events: &[NewEvent]| {
        let mut by: BTreeMap<&'static str, Vec<(String, String)>> = BTreeMap::new();
        for e in events {
            if let Some((kind, k)) = key(e) {
                by.entry(kind).or_default().push((k, e.source.quote.clone().unwrap_or_default()));
            }
        }
        by
    };
    let (drafted, wanted) = (group(drafts), group(reference));
    KINDS
        .iter()
        .map(|kind| {
            let mut open: Vec<(String, String)> = wanted.get(kind).cloned().unwrap_or_default();
            let ours = drafted.get(kind).cloned().unwrap_or_default();
            let mut extra = Vec::new();
            let mut matched = 0;
            for (k, quote) in &ours {
                match open.iter().position(|(w, _)| w == k) {
                    Some(i) => {
                        open.remove(i);
                        matched += 1;
                    }
                    None => extra.push(format!("{k}: {}", short(quote))),
                }
            }
            Score {
                kind,
                reference: wanted.get(kind).map_or(0, Vec::len),
                drafted: ours.len(),
                matched,
                missed: open.into_iter().map(|(k, q)| format!("{k}: {}", short(&q))).collect(),
                extra,
            }
        })
        .collect()
}

fn short(quote: &str) -> String {
    let mut s: String = quote.chars().take(90).collect();
    if quote.chars().count() > 90 {
        s.push('…');
    }
    s
}
