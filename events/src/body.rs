//! Event bodies: the typed facts of a follow-up, one variant per event type, and their value types.
//!
//! Persisted forever: never rename a variant, a field or a value once released; evolve with new versions and
//! upcasting instead. Type names and values are snake_case on disk.

use serde::{Deserialize, Serialize};

use crate::{EventId, PartialDate, StreamId};

/// One fact in a follow-up, the `type` and `data` of an event line.
///
/// Event types are past-tense facts. Report-level events (on a report stream) that concern some recommendations
/// only name them in `recommendations`; an empty list means the whole report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Body {
    /// The audit office published a report. Report stream only.
    ReportPublished(ReportPublished),
    /// The report made a recommendation. Recommendation stream only; `number` equals the stream's number.
    RecommendationIssued(RecommendationIssued),
    /// A later follow-up carries on earlier recommendations as this one: split from one, merged from several, or
    /// reworded. Recommendation stream only; it issues the stream's recommendation, naming its predecessors.
    RecommendationReframed(RecommendationReframed),
    /// The executive's answer to a recommendation (*bestuurlijke reactie*); `stance` is what it said, not what it did.
    ExecutiveResponded(ExecutiveResponded),
    /// The audit office commented, for example in its afterword (*nawoord*).
    AuditorCommented(Noted),
    /// A council committee (*raadscommissie*) discussed the report or a recommendation.
    CommitteeDiscussed(CommitteeDiscussed),
    /// The council (*gemeenteraad*) decided, for example to adopt the recommendations.
    CouncilDecided(CouncilDecided),
    /// The council voted on a motion (*motie*).
    CouncilMotionVoted(CouncilMotionVoted),
    /// The executive committed to something (*toezegging*), optionally by a due date.
    CommitmentMade(CommitmentMade),
    /// The executive did something, optionally spending or allotting an amount.
    ActionTaken(ActionTaken),
    /// An external development that bears on the follow-up.
    ContextNoted(Noted),
    /// An auditor's verdict as of a date, resting on the events named in `evidence`. Recommendation stream only.
    StatusAssessed(StatusAssessed),
    /// An earlier event is withdrawn from the projections from now on; nothing is deleted.
    EventRetracted(EventRetracted),
    /// The due date of a commitment moved, or its owner changed.
    CommitmentRevised(CommitmentRevised),
    /// The executive's own claim of progress, beside the auditor's verdict.
    ExecutiveReported(ExecutiveReported),
}

/// `report_published`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportPublished {
    /// The report's title.
    pub title: String,
    /// Who published it: the audit office.
    pub auditor: String,
    /// What the report is about.
    pub summary: String,
    /// Where it can be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// `recommendation_issued`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecommendationIssued {
    /// The recommendation's number in its report, from 1.
    pub number: u32,
    /// The recommendation as the report words it.
    pub text: String,
    /// The report's explanation (*toelichting*).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    /// Who is responsible for carrying it out (a person, a department or a portfolio holder), as the source
    /// names them; free text, compared case-insensitively by the owner filters. Absent in lines written before
    /// owners existed, and then not written at all, so their content ids and hashes are unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// How a recommendation carries on its predecessors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reframing {
    /// One earlier recommendation became several; this is one of them.
    Split,
    /// Several earlier recommendations became this one.
    Merged,
    /// One earlier recommendation, worded anew.
    Reworded,
}

impl Reframing {
    /// The snake_case code, as on disk.
    pub fn code(&self) -> &'static str {
        match self {
            Reframing::Split => "split",
            Reframing::Merged => "merged",
            Reframing::Reworded => "reworded",
        }
    }
}

/// `recommendation_reframed`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecommendationReframed {
    /// The recommendation's number in its report, from 1: the stream's.
    pub number: u32,
    /// The recommendation as now worded.
    pub text: String,
    /// The earlier recommendations it carries on (recommendation streams, each once, not this one).
    pub predecessors: Vec<StreamId>,
    /// How: split, merged or reworded.
    pub how: Reframing,
    /// Why, in the report's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
}

/// What the executive said it would do with a recommendation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stance {
    /// *overgenomen*.
    Adopted,
    /// *overgenomen met kanttekeningen*.
    AdoptedWithReservations,
    /// *gedeeltelijk overgenomen*.
    PartiallyAdopted,
    /// *niet overgenomen*.
    Rejected,
}

/// `executive_responded`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecutiveResponded {
    /// The stance taken.
    pub stance: Stance,
    /// What the executive said.
    pub summary: String,
    /// On a report stream, the recommendations answered; empty means all of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recommendations: Vec<u32>,
    /// On a report stream, a stance of its own for some recommendations (a response that adopts one and rejects
    /// another); the recommendations not named take `stance`. Absent in lines written before it existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stances: Vec<RecommendationStance>,
}

/// One recommendation's stance within a report-level response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecommendationStance {
    /// The recommendation's number.
    pub number: u32,
    /// Its stance.
    pub stance: Stance,
    /// What the response says of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

impl ExecutiveResponded {
    /// The stance taken on recommendation `number`: its own in `stances`, else `stance`.
    pub fn stance_on(&self, number: u32) -> Stance {
        self.stances.iter().find(|s| s.number == number).map_or(self.stance, |s| s.stance)
    }
}

/// `auditor_commented` and `context_noted`: a summary, optionally naming recommendations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Noted {
    /// What was said or what happened.
    pub summary: String,
    /// On a report stream, the recommendations concerned; empty means the whole report.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recommendations: Vec<u32>,
}

/// `committee_discussed`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitteeDiscussed {
    /// The committee, for example `KSZ`.
    pub committee: String,
    /// What was discussed.
    pub summary: String,
    /// On a report stream, the recommendations concerned; empty means the whole report.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recommendations: Vec<u32>,
}

/// How a vote went: unanimously (*met algemene stemmen*) or by counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, expecting = "\"unanimous\" or {\"for\": N, \"against\": M}")]
pub enum Votes {
    /// `"unanimous"`.
    Unanimous(Unanimous),
    /// `{"for": N, "against": M}`.
    Counted(VoteCount),
}

/// Votes counted for and against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteCount {
    /// Votes in favour.
    #[serde(rename = "for")]
    pub in_favour: u32,
    /// Votes against.
    pub against: u32,
}

/// The word `unanimous`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unanimous {
    /// Every member present voted in favour.
    Unanimous,
}

/// `council_decided`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CouncilDecided {
    /// What the council decided.
    pub summary: String,
    /// How the vote went, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub votes: Option<Votes>,
    /// On a report stream, the recommendations concerned; empty means the whole report.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recommendations: Vec<u32>,
}

/// What became of a motion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MotionResult {
    /// *aangenomen*.
    Adopted,
    /// *verworpen*.
    Rejected,
    /// *ingetrokken*.
    Withdrawn,
}

/// `council_motion_voted`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CouncilMotionVoted {
    /// The motion's title or operative text.
    pub motion: String,
    /// What became of it.
    pub result: MotionResult,
    /// How the vote went.
    pub votes: Votes,
    /// What the motion asks.
    pub summary: String,
    /// On a report stream, the recommendations concerned; empty means the whole report.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recommendations: Vec<u32>,
}

/// `commitment_made`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitmentMade {
    /// What was promised.
    pub summary: String,
    /// By when, as precise as the source says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<PartialDate>,
    /// On a report stream, the recommendations concerned; empty means the whole report.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recommendations: Vec<u32>,
    /// Who is responsible for keeping it, as the source names them (free text); a `commitment_revised` may name
    /// a new one. Absent in lines written before owners existed, and then not written at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// An amount of money in a currency, held exactly in minor units (cents).
///
/// On disk `{"value": 480000, "currency": "EUR"}`: `value` is a JSON number in major units (euros) with at most
/// two decimals and at most 10^13 in size; `currency` is an ISO 4217 code of three capital letters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Money {
    /// The amount in minor units: cents for EUR.
    pub cents: i64,
    /// The ISO 4217 currency code.
    pub currency: [u8; 3],
}

/// The largest amount accepted, in major units (either way: a refund may be negative).
pub const MAX_AMOUNT: i64 = 10_000_000_000_000;

/// An amount in minor units (a sum of amounts, exact whatever its size) as decimal text in major units without
/// a currency: `480000`, `12.50`, `-3.05`.
pub fn minor_units_text(cents: i128) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let (major, minor) = (cents.unsigned_abs() / 100, cents.unsigned_abs() % 100);
    if minor == 0 {
        format!("{sign}{major}")
    } else {
        format!("{sign}{major}.{minor:02}")
    }
}

impl Money {
    /// Euros, exactly.
    pub fn eur(cents: i64) -> Money {
        Money { cents, currency: *b"EUR" }
    }

    /// The currency code as text.
    pub fn currency_code(&self) -> &str {
        std::str::from_utf8(&self.currency).unwrap_or("???")
    }

    /// The amount in major units as decimal text without a currency: `480000`, `12.50`.
    pub fn value_text(&self) -> String {
        minor_units_text(i128::from(self.cents))
    }

    /// The amount in minor units of `number` (at most two decimals, at most [`MAX_AMOUNT`] major units either
    /// way); `currency` names the unit in the error.
    fn parse_value(number: &serde_json::Number, currency: &str) -> Result<i64, String> {
        let text = number.to_string();
        let err = || format!("amount `{text}` is not a number of {currency} with at most two decimals up to 10^13");
        if text.contains(['e', 'E']) {
            return Err(err());
        }
        let (neg, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.as_str()),
        };
        let (major, minor) = digits.split_once('.').unwrap_or((digits, ""));
        let minor = minor.trim_end_matches('0');
        if minor.len() > 2 || major.len() > 14 {
            return Err(err());
        }
        let major: i64 = major.parse().map_err(|_| err())?;
        let minor: i64 = if minor.is_empty() { 0 } else { format!("{minor:0<2}").parse().map_err(|_| err())? };
        let cents = major * 100 + minor;
        if cents > MAX_AMOUNT * 100 {
            return Err(err());
        }
        Ok(if neg { -cents } else { cents })
    }
}

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Money", 2)?;
        let value: serde_json::Number = if self.cents % 100 == 0 {
            (self.cents / 100).into()
        } else {
            let n = self.value_text().parse::<f64>().map_err(serde::ser::Error::custom)?;
            serde_json::Number::from_f64(n).ok_or_else(|| serde::ser::Error::custom("amount is not finite"))?
        };
        st.serialize_field("value", &value)?;
        st.serialize_field("currency", self.currency_code())?;
        st.end()
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            value: serde_json::Number,
            currency: String,
        }
        let raw = Raw::deserialize(d)?;
        let code: [u8; 3] = raw
            .currency
            .as_bytes()
            .try_into()
            .ok()
            .filter(|c: &[u8; 3]| c.iter().all(u8::is_ascii_uppercase))
            .ok_or_else(|| {
                serde::de::Error::custom(format!("currency `{}` is not an ISO 4217 code such as EUR", raw.currency))
            })?;
        let cents = Money::parse_value(&raw.value, &raw.currency).map_err(serde::de::Error::custom)?;
        Ok(Money { cents, currency: code })
    }
}

/// `action_taken`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionTaken {
    /// What was done.
    pub summary: String,
    /// An amount spent, budgeted or allotted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
    /// The `commitment_made` events this action keeps, each once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fulfils: Vec<EventId>,
    /// On a report stream, the recommendations concerned; empty means the whole report.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recommendations: Vec<u32>,
}

/// The verdict scale of a follow-up audit (*opvolgingsonderzoek*).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// *niet uitgevoerd*.
    NotImplemented,
    /// *in uitvoering*.
    InProgress,
    /// *gedeeltelijk uitgevoerd*.
    PartiallyImplemented,
    /// *(volledig) uitgevoerd*.
    Implemented,
    /// *niet meer relevant*.
    NoLongerRelevant,
    /// *niet overgenomen*: the recommendation was never adopted, so nothing was to be carried out; beside
    /// `not_implemented`, which is a shortfall in carrying out one that was.
    NotAdopted,
}

impl Verdict {
    /// Every verdict, in the order of the scale.
    pub const ALL: [Verdict; 6] = [
        Verdict::NotImplemented,
        Verdict::InProgress,
        Verdict::PartiallyImplemented,
        Verdict::Implemented,
        Verdict::NoLongerRelevant,
        Verdict::NotAdopted,
    ];

    /// The snake_case code, as on disk.
    pub fn code(&self) -> &'static str {
        match self {
            Verdict::NotImplemented => "not_implemented",
            Verdict::InProgress => "in_progress",
            Verdict::PartiallyImplemented => "partially_implemented",
            Verdict::Implemented => "implemented",
            Verdict::NoLongerRelevant => "no_longer_relevant",
            Verdict::NotAdopted => "not_adopted",
        }
    }
}

impl Stance {
    /// Every stance, from adopted to rejected.
    pub const ALL: [Stance; 4] =
        [Stance::Adopted, Stance::AdoptedWithReservations, Stance::PartiallyAdopted, Stance::Rejected];

    /// The snake_case code, as on disk.
    pub fn code(&self) -> &'static str {
        match self {
            Stance::Adopted => "adopted",
            Stance::AdoptedWithReservations => "adopted_with_reservations",
            Stance::PartiallyAdopted => "partially_adopted",
            Stance::Rejected => "rejected",
        }
    }
}

impl MotionResult {
    /// Every result of a motion.
    pub const ALL: [MotionResult; 3] = [MotionResult::Adopted, MotionResult::Rejected, MotionResult::Withdrawn];

    /// The snake_case code, as on disk.
    pub fn code(&self) -> &'static str {
        match self {
            MotionResult::Adopted => "adopted",
            MotionResult::Rejected => "rejected",
            MotionResult::Withdrawn => "withdrawn",
        }
    }
}

/// `status_assessed`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusAssessed {
    /// The verdict.
    pub verdict: Verdict,
    /// The state of affairs the verdict describes (*stand van zaken*), a calendar date as precise as the source.
    pub as_of: PartialDate,
    /// Who assessed: the audit office.
    pub assessor: String,
    /// Why, in the assessor's words.
    pub rationale: String,
    /// The ids of the events the verdict rests on, each once.
    pub evidence: Vec<EventId>,
    /// Whether a shortfall is attributable to the executive; said with `not_implemented` and partial verdicts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributable: Option<bool>,
    /// The earlier assessment this one replaces, when it moves the as-of date backwards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<EventId>,
    /// The verdict in the office's own words (*Gedeeltelijk uitgevoerd*, *Closed – implemented*), shown beside
    /// the code. Absent in lines written before labels existed, and then not written at all, so their content
    /// ids and hashes are unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// `event_retracted`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRetracted {
    /// The event withdrawn.
    pub target: EventId,
    /// Why.
    pub reason: String,
}

/// `commitment_revised`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitmentRevised {
    /// The `commitment_made` event whose due date moves.
    pub commitment: EventId,
    /// The new due date (the current one again when only the owner changes).
    pub due: PartialDate,
    /// Why it moved.
    pub reason: String,
    /// The commitment's owner from this revision on; absent: the owner stays as it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// The executive's own account of where a recommendation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Claim {
    /// The executive says it is done.
    Done,
    /// The executive says it is under way.
    InProgress,
    /// The executive says it has not started.
    NotStarted,
}

impl Claim {
    /// Every claim, from done to not started.
    pub const ALL: [Claim; 3] = [Claim::Done, Claim::InProgress, Claim::NotStarted];

    /// The snake_case code, as on disk (`in_progress`).
    pub fn code(&self) -> &'static str {
        match self {
            Claim::Done => "done",
            Claim::InProgress => "in_progress",
            Claim::NotStarted => "not_started",
        }
    }
}

/// `executive_reported`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecutiveReported {
    /// What the executive claims.
    pub claim: Claim,
    /// What it reported.
    pub summary: String,
    /// On a report stream, the recommendations concerned; empty means the whole report.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recommendations: Vec<u32>,
}

/// The type of an event: the `type` member of its line, one variant per variant of [`Body`].
///
/// Persisted forever with [`Body`]: a variant's snake_case code is the type's name on disk and is never changed.
/// Ordered as [`Body`] declares its variants (and as [`EventType::ALL`] lists them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    /// `report_published`: [`Body::ReportPublished`].
    ReportPublished,
    /// `recommendation_issued`: [`Body::RecommendationIssued`].
    RecommendationIssued,
    /// `recommendation_reframed`: [`Body::RecommendationReframed`].
    RecommendationReframed,
    /// `executive_responded`: [`Body::ExecutiveResponded`].
    ExecutiveResponded,
    /// `auditor_commented`: [`Body::AuditorCommented`].
    AuditorCommented,
    /// `committee_discussed`: [`Body::CommitteeDiscussed`].
    CommitteeDiscussed,
    /// `council_decided`: [`Body::CouncilDecided`].
    CouncilDecided,
    /// `council_motion_voted`: [`Body::CouncilMotionVoted`].
    CouncilMotionVoted,
    /// `commitment_made`: [`Body::CommitmentMade`].
    CommitmentMade,
    /// `action_taken`: [`Body::ActionTaken`].
    ActionTaken,
    /// `context_noted`: [`Body::ContextNoted`].
    ContextNoted,
    /// `status_assessed`: [`Body::StatusAssessed`].
    StatusAssessed,
    /// `event_retracted`: [`Body::EventRetracted`].
    EventRetracted,
    /// `commitment_revised`: [`Body::CommitmentRevised`].
    CommitmentRevised,
    /// `executive_reported`: [`Body::ExecutiveReported`].
    ExecutiveReported,
}

impl EventType {
    /// Every event type, in the order [`Body`] declares them, each once.
    pub const ALL: [EventType; 15] = [
        EventType::ReportPublished,
        EventType::RecommendationIssued,
        EventType::RecommendationReframed,
        EventType::ExecutiveResponded,
        EventType::AuditorCommented,
        EventType::CommitteeDiscussed,
        EventType::CouncilDecided,
        EventType::CouncilMotionVoted,
        EventType::CommitmentMade,
        EventType::ActionTaken,
        EventType::ContextNoted,
        EventType::StatusAssessed,
        EventType::EventRetracted,
        EventType::CommitmentRevised,
        EventType::ExecutiveReported,
    ];

    /// The snake_case code, as on disk (`status_assessed`): the same text serde writes.
    pub fn code(&self) -> &'static str {
        match self {
            EventType::ReportPublished => "report_published",
            EventType::RecommendationIssued => "recommendation_issued",
            EventType::RecommendationReframed => "recommendation_reframed",
            EventType::ExecutiveResponded => "executive_responded",
            EventType::AuditorCommented => "auditor_commented",
            EventType::CommitteeDiscussed => "committee_discussed",
            EventType::CouncilDecided => "council_decided",
            EventType::CouncilMotionVoted => "council_motion_voted",
            EventType::CommitmentMade => "commitment_made",
            EventType::ActionTaken => "action_taken",
            EventType::ContextNoted => "context_noted",
            EventType::StatusAssessed => "status_assessed",
            EventType::EventRetracted => "event_retracted",
            EventType::CommitmentRevised => "commitment_revised",
            EventType::ExecutiveReported => "executive_reported",
        }
    }

    /// The type whose code is `code`, exactly (case-sensitive, no surrounding space); `None` for any other text.
    pub fn parse(code: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.code() == code)
    }
}

impl std::fmt::Display for EventType {
    /// Writes [`EventType::code`].
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl Body {
    /// The event's type.
    pub fn event_type(&self) -> EventType {
        match self {
            Body::ReportPublished(_) => EventType::ReportPublished,
            Body::RecommendationIssued(_) => EventType::RecommendationIssued,
            Body::RecommendationReframed(_) => EventType::RecommendationReframed,
            Body::ExecutiveResponded(_) => EventType::ExecutiveResponded,
            Body::AuditorCommented(_) => EventType::AuditorCommented,
            Body::CommitteeDiscussed(_) => EventType::CommitteeDiscussed,
            Body::CouncilDecided(_) => EventType::CouncilDecided,
            Body::CouncilMotionVoted(_) => EventType::CouncilMotionVoted,
            Body::CommitmentMade(_) => EventType::CommitmentMade,
            Body::ActionTaken(_) => EventType::ActionTaken,
            Body::ContextNoted(_) => EventType::ContextNoted,
            Body::StatusAssessed(_) => EventType::StatusAssessed,
            Body::EventRetracted(_) => EventType::EventRetracted,
            Body::CommitmentRevised(_) => EventType::CommitmentRevised,
            Body::ExecutiveReported(_) => EventType::ExecutiveReported,
        }
    }

    /// The recommendations a report-level event names (empty: the whole report, or not a report-level type).
    pub fn recommendations(&self) -> &[u32] {
        match self {
            Body::ExecutiveResponded(b) => &b.recommendations,
            Body::AuditorCommented(b) | Body::ContextNoted(b) => &b.recommendations,
            Body::CommitteeDiscussed(b) => &b.recommendations,
            Body::CouncilDecided(b) => &b.recommendations,
            Body::CouncilMotionVoted(b) => &b.recommendations,
            Body::CommitmentMade(b) => &b.recommendations,
            Body::ActionTaken(b) => &b.recommendations,
            Body::ExecutiveReported(b) => &b.recommendations,
            Body::ReportPublished(_)
            | Body::RecommendationIssued(_)
            | Body::RecommendationReframed(_)
            | Body::StatusAssessed(_)
            | Body::EventRetracted(_)
            | Body::CommitmentRevised(_) => &[],
        }
    }

    /// The ids this event refers to: evidence, a superseded assessment, a retraction's target, a revised or kept
    /// commitment; each must exist.
    pub fn references(&self) -> Vec<EventId> {
        match self {
            Body::StatusAssessed(b) => b.evidence.iter().copied().chain(b.supersedes).collect(),
            Body::EventRetracted(b) => vec![b.target],
            Body::CommitmentRevised(b) => vec![b.commitment],
            Body::ActionTaken(b) => b.fulfils.clone(),
            _ => Vec::new(),
        }
    }

    /// The event's main text: its summary, or the closest thing it has to one.
    pub fn summary(&self) -> &str {
        match self {
            Body::ReportPublished(b) => &b.title,
            Body::RecommendationIssued(b) => &b.text,
            Body::RecommendationReframed(b) => &b.text,
            Body::ExecutiveResponded(b) => &b.summary,
            Body::AuditorCommented(b) | Body::ContextNoted(b) => &b.summary,
            Body::CommitteeDiscussed(b) => &b.summary,
            Body::CouncilDecided(b) => &b.summary,
            Body::CouncilMotionVoted(b) => &b.summary,
            Body::CommitmentMade(b) => &b.summary,
            Body::ActionTaken(b) => &b.summary,
            Body::StatusAssessed(b) => &b.rationale,
            Body::EventRetracted(b) => &b.reason,
            Body::CommitmentRevised(b) => &b.reason,
            Body::ExecutiveReported(b) => &b.summary,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(json: &str) -> Result<Money, String> {
        serde_json::from_str::<Money>(json).map_err(|e| e.to_string())
    }

    #[test]
    fn money_is_exact_in_cents() {
        assert_eq!(money(r#"{"value": 480000, "currency": "EUR"}"#).unwrap(), Money::eur(48_000_000));
        assert_eq!(money(r#"{"value": 12.5, "currency": "EUR"}"#).unwrap(), Money::eur(1250));
        assert_eq!(money(r#"{"value": 0.07, "currency": "EUR"}"#).unwrap(), Money::eur(7));
        assert_eq!(money(r#"{"value": -3.10, "currency": "EUR"}"#).unwrap(), Money::eur(-310));
        assert_eq!(serde_json::to_string(&Money::eur(1250)).unwrap(), r#"{"value":12.5,"currency":"EUR"}"#);
        assert_eq!(serde_json::to_string(&Money::eur(48_000_000)).unwrap(), r#"{"value":480000,"currency":"EUR"}"#);
        assert_eq!(Money::eur(1250).value_text(), "12.50");
    }

    #[test]
    fn money_refuses_fractions_of_cents_huge_values_and_bad_codes() {
        assert!(money(r#"{"value": 0.001, "currency": "EUR"}"#).unwrap_err().contains("at most two decimals"));
        assert!(money(r#"{"value": 1e20, "currency": "EUR"}"#).is_err());
        assert!(money(r#"{"value": 100000000000000, "currency": "EUR"}"#).is_err());
        assert!(money(r#"{"value": 1, "currency": "eur"}"#).unwrap_err().contains("ISO 4217"));
        assert!(money(r#"{"value": "1", "currency": "EUR"}"#).is_err());
    }

    #[test]
    fn type_names_round_trip_through_serde() {
        let body = Body::ContextNoted(Noted { summary: "x".into(), recommendations: vec![] });
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["type"], "context_noted");
        assert_eq!(body.event_type(), EventType::ContextNoted);
        assert_eq!(body.event_type().code(), "context_noted");
    }

    #[test]
    fn votes_are_unanimous_or_counted() {
        assert_eq!(serde_json::from_str::<Votes>(r#""unanimous""#).unwrap(), Votes::Unanimous(Unanimous::Unanimous));
        assert_eq!(
            serde_json::from_str::<Votes>(r#"{"for": 30, "against": 15}"#).unwrap(),
            Votes::Counted(VoteCount { in_favour: 30, against: 15 })
        );
        assert!(serde_json::from_str::<Votes>(r#""majority""#).is_err());
        assert!(serde_json::from_str::<Votes>(r#"{"for": 1, "against": 2, "abstained": 3}"#).is_err());
    }

    #[test]
    fn an_amount_a_cent_over_the_limit_is_refused_naming_its_currency() {
        let money = |value: &str, currency: &str| {
            serde_json::from_str::<Money>(&format!(r#"{{"value":{value},"currency":"{currency}"}}"#))
        };
        assert_eq!(money("10000000000000", "EUR").unwrap().cents, 1_000_000_000_000_000);
        assert_eq!(money("-10000000000000", "EUR").unwrap().cents, -1_000_000_000_000_000);
        for over in ["10000000000000.01", "-10000000000000.01", "10000000000000.99", "10000000000001"] {
            let err = money(over, "USD").unwrap_err().to_string();
            assert!(
                err.starts_with(&format!(
                    "amount `{over}` is not a number of USD with at most two decimals up to 10^13"
                )),
                "{over}: {err}"
            );
        }
    }

    #[test]
    fn sums_of_minor_units_are_written_exactly_whatever_their_size() {
        assert_eq!(minor_units_text(10_i128.pow(19)), "100000000000000000");
        assert_eq!(minor_units_text(-305), "-3.05");
        assert_eq!(minor_units_text(i128::from(i64::MAX) * 10_000 + 1), "922337203685477580700.01");
    }
}
