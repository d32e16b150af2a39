//! Which recommendations of its report an event concerns: the one rule that projections and renderers share.

use crate::{Body, NewEvent, RecordedEvent, StreamId};

/// The recommendations of its report that an event concerns.
///
/// The rule (README, "Report-level events may name the recommendations they concern in `data.recommendations`;
/// without it they concern all"): an event on a recommendation stream concerns that recommendation alone; a
/// report-level event concerns the recommendations its body names ([`Body::recommendations`]), or every
/// recommendation of the report when it names none. Only recommendations of the event's own report
/// ([`StreamId::report`]) are ever concerned: comparing reports is the caller's part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Concerned<'a> {
    /// An event on a recommendation stream: the stream's number (anything its body names is ignored; validation
    /// refuses such names on a recommendation stream).
    One(u32),
    /// A report-level event naming recommendations: their numbers as the body lists them (never empty; each once
    /// in a validated event).
    Named(&'a [u32]),
    /// A report-level event naming none: the whole report, every recommendation it has or will have.
    Report,
}

/// Which recommendations of its report an event on `stream` with `body` concerns (see [`Concerned`]).
pub fn concerned<'a>(stream: &StreamId, body: &'a Body) -> Concerned<'a> {
    match stream.recommendation() {
        Some(n) => Concerned::One(n),
        None => match body.recommendations() {
            [] => Concerned::Report,
            named => Concerned::Named(named),
        },
    }
}

impl Concerned<'_> {
    /// Whether recommendation `n` of the event's report is concerned: `n` is the stream's number, or is named, or
    /// the event concerns the whole report.
    pub fn concerns(&self, n: u32) -> bool {
        match self {
            Concerned::One(m) => *m == n,
            Concerned::Named(named) => named.contains(&n),
            Concerned::Report => true,
        }
    }

    /// Whether the event singles out recommendation `n`: `n` is the stream's number or is named. False for an
    /// event about the whole report, which concerns `n` without naming it.
    pub fn names(&self, n: u32) -> bool {
        match self {
            Concerned::One(m) => *m == n,
            Concerned::Named(named) => named.contains(&n),
            Concerned::Report => false,
        }
    }

    /// The numbers singled out: the stream's number, the named ones in the body's order, or none (empty) for the
    /// whole report.
    pub fn numbers(&self) -> &[u32] {
        match self {
            Concerned::One(n) => std::slice::from_ref(n),
            Concerned::Named(named) => named,
            Concerned::Report => &[],
        }
    }
}

impl RecordedEvent {
    /// Which recommendations of its report the event concerns: [`concerned`] of its stream and body.
    pub fn concerned(&self) -> Concerned<'_> {
        concerned(&self.stream, &self.body)
    }
}

impl NewEvent {
    /// Which recommendations of its report the event concerns: [`concerned`] of its stream and body.
    pub fn concerned(&self) -> Concerned<'_> {
        concerned(&self.stream, &self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Noted, RecommendationIssued};

    fn noted(named: &[u32]) -> Body {
        Body::ContextNoted(Noted { summary: "s".into(), recommendations: named.to_vec() })
    }

    #[test]
    fn given_a_stream_and_a_body_when_asked_then_the_concerned_recommendations_follow_the_one_rule() {
        let issued = Body::RecommendationIssued(RecommendationIssued {
            number: 2,
            text: "t".into(),
            explanation: None,
            owner: None,
        });
        // (stream, body, the rule's answer, for n = 1, 2, 3: concerns, names)
        let cases = [
            ("r/2", issued, Concerned::One(2), [(false, false), (true, true), (false, false)]),
            ("r/2", noted(&[]), Concerned::One(2), [(false, false), (true, true), (false, false)]),
            ("r/2", noted(&[1]), Concerned::One(2), [(false, false), (true, true), (false, false)]),
            ("r", noted(&[3, 1]), Concerned::Named(&[3, 1]), [(true, true), (false, false), (true, true)]),
            ("r", noted(&[]), Concerned::Report, [(true, false), (true, false), (true, false)]),
        ];
        for (stream, body, want, answers) in cases {
            let stream = StreamId::parse(stream).unwrap();
            let got = concerned(&stream, &body);
            assert_eq!(got, want, "{stream} {body:?}");
            for (n, (concerns, names)) in (1..).zip(answers) {
                assert_eq!((got.concerns(n), got.names(n)), (concerns, names), "{stream} {body:?} recommendation {n}");
            }
        }
    }

    #[test]
    fn given_each_kind_of_concern_when_its_numbers_are_asked_then_the_singled_out_ones_are_listed() {
        assert_eq!(Concerned::One(4).numbers(), [4]);
        assert_eq!(Concerned::Named(&[3, 1]).numbers(), [3, 1]);
        assert_eq!(Concerned::Report.numbers(), [] as [u32; 0]);
    }
}
