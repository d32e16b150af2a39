//! A deterministic synthetic history shaped like real follow-ups, for tests, benchmarks and demonstrations.
//!
//! Each report has 3 to 15 recommendations; each is answered by the executive, discussed in committee and
//! council (with a motion half the time), promised in commitments whose due dates may slip, worked on in actions
//! (some with euro amounts), reported on by the executive, and assessed by the auditors two to five years later
//! with evidence that fits the verdict. Summaries are as long as the Amsterdam case's (about 200 to 400
//! characters). The same options always give the same events in the same order (ChaCha8 seeded from `seed`).

use events::{
    ActionTaken, Body, Claim, CommitmentMade, CommitmentRevised, CommitteeDiscussed, CouncilDecided,
    CouncilMotionVoted, EventId, EventRetracted, ExecutiveReported, ExecutiveResponded, Money, MotionResult, NewEvent,
    Noted, PartialDate, RecommendationIssued, ReportPublished, Source, Stance, StatusAssessed, StreamId, Unanimous,
    Verdict, VoteCount, Votes,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenerateOptions {
    /// How many reports.
    pub reports: usize,
    /// The seed: the same seed gives the same history.
    pub seed: u64,
}

const WORDS: &[&str] = &[
    "the",
    "executive",
    "council",
    "committee",
    "policy",
    "framework",
    "aftercare",
    "budget",
    "monitor",
    "agreement",
    "data",
    "exchange",
    "programme",
    "detention",
    "return",
    "municipality",
    "ministry",
    "partners",
    "information",
    "structural",
    "allocated",
    "implemented",
    "reported",
    "progress",
    "plan",
    "approach",
    "criteria",
    "management",
    "privacy",
    "legal",
    "basis",
    "pilot",
    "project",
    "leader",
    "debts",
    "housing",
    "income",
    "care",
    "identity",
    "quarterly",
    "overview",
    "within",
    "after",
    "before",
    "during",
    "and",
    "of",
    "for",
    "with",
    "to",
    "a",
    "in",
];

struct Gen {
    rng: ChaCha8Rng,
    out: Vec<NewEvent>,
}

impl Gen {
    fn text(&mut self, min: usize, max: usize) -> String {
        let target = self.rng.random_range(min..=max);
        let mut s = String::with_capacity(target + 16);
        while s.len() < target {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(WORDS[self.rng.random_range(0..WORDS.len())]);
        }
        let mut c = s.chars();
        let first = c.next().map(|f| f.to_uppercase().collect::<String>()).unwrap_or_default();
        format!("{first}{}.", c.as_str())
    }

    fn date(&mut self, year: i16) -> PartialDate {
        let text = match self.rng.random_range(0..10) {
            0 => format!("{year}"),
            1 => format!("{year}-{}", self.rng.random_range(21..=23)),
            2 => format!("{year}-{}", self.rng.random_range(33..=36)),
            3 => format!("{year}-{:02}~", self.rng.random_range(1..=12)),
            4..=6 => format!("{year}-{:02}", self.rng.random_range(1..=12)),
            _ => format!("{year}-{:02}-{:02}", self.rng.random_range(1..=12), self.rng.random_range(1..=28)),
        };
        PartialDate::parse(&text).expect("generated dates are valid")
    }

    fn source(&mut self, section: &str) -> Source {
        let quote = self.rng.random_bool(0.3).then(|| self.text(30, 90));
        Source { document: "Synthetic follow-up report".into(), locator: section.to_owned(), quote }
    }

    fn push(&mut self, stream: &StreamId, occurred: PartialDate, section: &str, body: Body) -> EventId {
        let source = self.source(section);
        let e = NewEvent::new(stream.clone(), occurred, source, body);
        let id = e.id;
        self.out.push(e);
        id
    }
}

fn stream(text: &str) -> StreamId {
    StreamId::parse(text).expect("generated stream ids are valid")
}

/// The events of a synthetic history, in the order to append them, made one report at a time as they are taken
/// (memory stays that of one report, whatever the number of reports).
pub fn generate(options: GenerateOptions) -> impl Iterator<Item = NewEvent> {
    let mut g = Gen { rng: ChaCha8Rng::seed_from_u64(options.seed), out: Vec::new() };
    (0..options.reports).flat_map(move |r| {
        g.report(r);
        std::mem::take(&mut g.out)
    })
}

impl Gen {
    /// Generates report number `r` into `self.out`.
    fn report(&mut self, r: usize) {
        let g = self;
        let year: i16 = g.rng.random_range(2005..=2020);
        let report = stream(&format!("ra-synthetic-{year}-{r:06}"));
        let published = PartialDate::parse(&format!("{year}-{:02}", g.rng.random_range(1..=9))).expect("valid");
        let body = ReportPublished {
            title: g.text(30, 80),
            auditor: "Synthetic audit office".into(),
            summary: g.text(150, 300),
            url: None,
        };
        g.push(&report, published.clone(), "1 Inleiding", Body::ReportPublished(body));
        let count = g.rng.random_range(3..=15u32);
        let recs: Vec<StreamId> = (1..=count).map(|n| stream(&format!("{report}/{n}"))).collect();
        for (i, rec) in recs.iter().enumerate() {
            let body = RecommendationIssued {
                number: i as u32 + 1,
                text: g.text(60, 140),
                explanation: Some(g.text(200, 400)),
                owner: None,
            };
            g.push(
                rec,
                published.clone(),
                &format!("{} Aanbeveling {}", i + 1, i + 1),
                Body::RecommendationIssued(body),
            );
        }
        let mut stances = Vec::new();
        for rec in &recs {
            let stance = match g.rng.random_range(0..20) {
                0 => Stance::Rejected,
                1 => Stance::PartiallyAdopted,
                2..=3 => Stance::AdoptedWithReservations,
                _ => Stance::Adopted,
            };
            stances.push(stance);
            let body =
                ExecutiveResponded { stance, summary: g.text(200, 400), recommendations: vec![], stances: vec![] };
            g.push(rec, published.clone(), "Reactie college", Body::ExecutiveResponded(body));
        }
        let committee = g.date(year);
        let body =
            CommitteeDiscussed { committee: "Committee".into(), summary: g.text(200, 400), recommendations: vec![] };
        g.push(&report, committee, "7.1.1 Raadscommissie", Body::CommitteeDiscussed(body));
        let council = g.date(year);
        let body = CouncilDecided {
            summary: g.text(150, 300),
            votes: Some(Votes::Unanimous(Unanimous::Unanimous)),
            recommendations: vec![],
        };
        g.push(&report, council.clone(), "7.1.2 Gemeenteraad", Body::CouncilDecided(body));
        if g.rng.random_bool(0.5) {
            let named = vec![g.rng.random_range(1..=count)];
            let votes = if g.rng.random_bool(0.5) {
                Votes::Unanimous(Unanimous::Unanimous)
            } else {
                Votes::Counted(VoteCount { in_favour: g.rng.random_range(20..40), against: g.rng.random_range(0..20) })
            };
            let result = match votes {
                Votes::Counted(c) if c.in_favour <= c.against => MotionResult::Rejected,
                _ if g.rng.random_bool(0.05) => MotionResult::Withdrawn,
                _ => MotionResult::Adopted,
            };
            let body = CouncilMotionVoted {
                motion: g.text(40, 100),
                result,
                votes,
                summary: g.text(150, 300),
                recommendations: named,
            };
            g.push(&report, council, "7.1.2 Gemeenteraad", Body::CouncilMotionVoted(body));
        }
        let mut actions_of_report = Vec::new();
        for (i, rec) in recs.iter().enumerate() {
            let section = format!("{} Aanbeveling {}, Stand van zaken", i + 1, i + 1);
            let mut commitments = Vec::new();
            for _ in 0..g.rng.random_range(1..=2) {
                let due = g.rng.random_bool(0.7).then(|| g.date(year + 1));
                let body = CommitmentMade { summary: g.text(150, 300), due, recommendations: vec![], owner: None };
                let made = g.date(year);
                commitments.push(g.push(rec, made, &section, Body::CommitmentMade(body)));
            }
            for c in commitments.clone() {
                for k in 0..g.rng.random_range(0..=2) {
                    let due = g.date(year + 2 + k);
                    let body = CommitmentRevised { commitment: c, due, reason: g.text(80, 200), owner: None };
                    let when = g.date(year + 1 + k);
                    g.push(rec, when, &section, Body::CommitmentRevised(body));
                }
            }
            let mut actions = Vec::new();
            for _ in 0..g.rng.random_range(0..=4) {
                let amount = g.rng.random_bool(0.3).then(|| Money::eur(g.rng.random_range(1..2_000) * 100_000));
                let fulfils = if g.rng.random_bool(0.3) { vec![commitments[0]] } else { vec![] };
                let body = ActionTaken { summary: g.text(200, 400), amount, fulfils, recommendations: vec![] };
                let offset = g.rng.random_range(0..=3);
                let when = g.date(year + offset);
                actions.push((g.push(rec, when.clone(), &section, Body::ActionTaken(body)), when));
            }
            if g.rng.random_bool(0.2) {
                let body = Noted { summary: g.text(200, 400), recommendations: vec![i as u32 + 1] };
                let when = g.date(year + 1);
                g.push(&report, when, "7.2 Relevante ontwikkelingen", Body::ContextNoted(body));
            }
            if g.rng.random_bool(0.4) {
                let claim = Claim::ALL[g.rng.random_range(0..Claim::ALL.len())];
                let body = ExecutiveReported { claim, summary: g.text(150, 300), recommendations: vec![] };
                let when = g.date(year + 3);
                g.push(rec, when, "Reactie college", Body::ExecutiveReported(body));
            }
            // Assessments, each as of a later year, resting on what fits their verdict.
            let mut as_of_year = year + g.rng.random_range(2..=3);
            for _ in 0..g.rng.random_range(1..=2) {
                let as_of =
                    PartialDate::parse(&format!("{as_of_year}-{:02}", g.rng.random_range(10..=12))).expect("valid");
                let done: Vec<EventId> =
                    actions.iter().filter(|(_, d)| d.certainly_by(as_of.end())).map(|(id, _)| *id).collect();
                let (verdict, evidence, attributable) = if done.is_empty() {
                    (Verdict::NotImplemented, commitments.clone(), Some(g.rng.random_bool(0.5)))
                } else if done.len() >= 3 && stances[i] != Stance::Rejected {
                    (Verdict::Implemented, done, None)
                } else if g.rng.random_bool(0.5) {
                    (Verdict::PartiallyImplemented, done, Some(true))
                } else {
                    (Verdict::InProgress, done, None)
                };
                let body = StatusAssessed {
                    verdict,
                    as_of: as_of.clone(),
                    assessor: "Synthetic audit office".into(),
                    rationale: g.text(200, 400),
                    evidence,
                    attributable,
                    supersedes: None,
                    label: None,
                };
                g.push(rec, as_of, &format!("{} Aanbeveling {}, Conclusie", i + 1, i + 1), Body::StatusAssessed(body));
                as_of_year += g.rng.random_range(1..=2);
            }
            actions_of_report.extend(actions.into_iter().map(|(id, _)| (rec.clone(), id)));
        }
        if !actions_of_report.is_empty() && g.rng.random_bool(0.1) {
            let (rec, target) = actions_of_report[g.rng.random_range(0..actions_of_report.len())].clone();
            let body = EventRetracted { target, reason: g.text(60, 150) };
            let when = g.date(year + 6);
            g.push(&rec, when, "Correctie", Body::EventRetracted(body));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_history_and_another_seed_another() {
        let a: Vec<_> = generate(GenerateOptions { reports: 5, seed: 7 }).collect();
        let b: Vec<_> = generate(GenerateOptions { reports: 5, seed: 7 }).collect();
        let c: Vec<_> = generate(GenerateOptions { reports: 5, seed: 8 }).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.len() > 5 * (1 + 3 * 4), "{} events", a.len());
    }

    #[test]
    fn every_generated_event_is_valid_and_its_ids_are_unique() {
        let events: Vec<_> = generate(GenerateOptions { reports: 20, seed: 1 }).collect();
        let mut ids = std::collections::HashSet::new();
        for e in &events {
            e.validate().unwrap_or_else(|err| panic!("{}: {err}", e.to_line()));
            assert!(ids.insert(e.id), "duplicate {}", e.id);
            for r in e.body.references() {
                assert!(ids.contains(&r), "{} refers to a later or missing event", e.id);
            }
        }
    }
}
