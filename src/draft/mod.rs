//! Drafting the events of a follow-up report from its text, for an auditor to review and import.
//!
//! [`draft`] reads a Dutch (or English) follow-up report (*opvolgingsonderzoek*) as plain text and proposes
//! its events: the report and its recommendations, the executive's response and stance per recommendation, the
//! commitments in it, the verdict per recommendation with its as-of date, committee and council meetings and
//! motions, and dated facts. Every draft carries its source (document, locator with section and line, the
//! sentence it rests on as quote), a confidence, and is marked as a draft; its id is derived from its content,
//! so the same text gives the same drafts. [`compare`] measures drafts against a hand-encoded log.
//!
//! The rules are the phrases of the seed (the Amsterdam audit office's 2017 follow-up on aftercare for
//! ex-prisoners) and their English equivalents; what they cannot read is returned as [`Unread`] phrases.

pub mod compare;
pub mod dates;
pub mod review;
pub mod text;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use events::{
    ActionTaken, Body, CommitmentMade, CommitteeDiscussed, CouncilDecided, CouncilMotionVoted, EventId,
    ExecutiveResponded, Money, MotionResult, NewEvent, Noted, PartialDate, Precision, RecommendationIssued,
    ReportPublished, Source, Stance, StatusAssessed, StreamId, Unanimous, Verdict, Votes,
};
use regex::Regex;
use text::{Kind, Sentence};

/// What the drafter needs besides the text.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The document's title as sources name it; default: the title the text gives its report, else the file name.
    pub document: Option<String>,
    /// The report's id (stream); default: derived from the audit office, the year and the title.
    pub report: Option<String>,
}

/// One drafted event with how sure the rule that made it is (0 to 1) and which rule it was.
#[derive(Clone, Debug, PartialEq)]
pub struct DraftEvent {
    /// The event as it would be imported.
    pub event: NewEvent,
    /// How sure the rule is: 0.9 for a heading or a verdict line, 0.7 for an explicit date, 0.4 for a date
    /// taken from the section's state of affairs.
    pub confidence: f64,
    /// The rule, in a few words (`verdict line`, `date phrase "in 2014"`).
    pub rule: String,
}

impl DraftEvent {
    /// The draft as one JSON Lines line: the event's input line with `"draft": true`, `confidence` and `rule`.
    pub fn to_line(&self) -> String {
        let mut v: serde_json::Value = serde_json::from_str(&self.event.to_line()).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert("draft".into(), true.into());
            o.insert("confidence".into(), serde_json::json!((self.confidence * 100.0).round() / 100.0));
            o.insert("rule".into(), self.rule.clone().into());
        }
        v.to_string()
    }
}

/// A time phrase met but not read: where, what, why.
#[derive(Clone, Debug, PartialEq)]
pub struct Unread {
    /// The 1-based line of the text.
    pub line: usize,
    /// The phrase.
    pub phrase: String,
    /// Why it gave no date.
    pub why: &'static str,
}

/// The drafts of one text, in the order of the text's sections, and the phrases not read.
#[derive(Clone, Debug, Default)]
pub struct Drafted {
    /// The drafts.
    pub events: Vec<DraftEvent>,
    /// Time phrases met but not read as dates.
    pub unread: Vec<Unread>,
    /// The ids drafted so far: the same fact drafted twice (two rules, one sentence) is kept once.
    ids: std::collections::HashSet<EventId>,
}

/// Why a text gave no drafts.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DraftError {
    /// No recommendation heading ("Aanbeveling N", "Recommendation N") was found.
    #[error("the text holds no recommendation heading (a line \"N Aanbeveling N\" or \"N Recommendation N\"): is it a follow-up report?")]
    NoRecommendations,
    /// A recommendation is headed twice: the text holds more than one report.
    #[error("recommendation {number} is headed twice (its words at lines {first} and {second}): the text holds more than one report; draft each from a file of its own")]
    SeveralReports {
        /// The recommendation's number.
        number: u32,
        /// The line of its first heading.
        first: usize,
        /// The line of its second.
        second: usize,
    },
    /// The report's id is not a valid stream name.
    #[error("report id `{0}`: {1}")]
    ReportId(String, String),
}

/// A verdict names at most this many facts as evidence, so that its line stays within an input line's limit.
const MAX_EVIDENCE: usize = 200;

static PUBLISHED_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:published|publiceerde|heeft)\b.{0,60}?\b(?:rapport|report)\s+[“‘\x22]([^”’\x22]{4,200})[”’\x22]\s*(?:gepubliceerd\s+)?,?\s*(?:in|on)\s+(\p{L}+\s+\d{4}|\d{4})").unwrap()
});
static PUBLISHED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:heeft|has|published)\b.{0,40}?\b(?:in|on)\s+(\p{L}+\s+\d{4})\s+(?:het|the|its|a)?\s*(?:rapport|report)\s+[“‘\x22]([^”’\x22]{4,200})[”’\x22]").unwrap()
});
static AUDITOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:[Rr]ekenkamer|Court of Audit|Audit Office)\s+(\p{Lu}\p{Ll}+(?:[- ]\p{Lu}\p{Ll}+)?)").unwrap()
});
static AMOUNT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"€\s?(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d{2}))?").unwrap());
static COMMITTEE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bcommissie\s+(\p{Lu}{2,8})\b").unwrap());

/// The verdict a conclusion line gives, with its words as the office wrote them.
fn verdict_of(line: &str) -> Option<(Verdict, String)> {
    let (_, words) = line.split_once(':')?;
    let words = words.trim().trim_end_matches(['.', ' ']);
    let w = words.to_lowercase();
    let verdict = if w.starts_with("niet meer relevant") || w.starts_with("no longer relevant") {
        Verdict::NoLongerRelevant
    } else if w.starts_with("niet uitgevoerd") || w.starts_with("not implemented") {
        Verdict::NotImplemented
    } else if w.starts_with("grotendeels uitgevoerd")
        || w.starts_with("largely implemented")
        || w.starts_with("substantially implemented")
        || w.starts_with("gedeeltelijk uitgevoerd")
        || w.starts_with("deels uitgevoerd")
        || w.starts_with("partially implemented")
    {
        Verdict::PartiallyImplemented
    } else if w.starts_with("in uitvoering") || w.starts_with("in progress") || w.starts_with("being implemented") {
        Verdict::InProgress
    } else if (w.starts_with("uitgevoerd") || w.starts_with("implemented"))
        && ["niet volledig", "niet geheel", "not fully", "maar niet", "but not"].iter().any(|p| w.contains(p))
    {
        // "Uitgevoerd, maar niet volledig": done in part.
        Verdict::PartiallyImplemented
    } else if w.starts_with("uitgevoerd")
        || w.starts_with("volledig uitgevoerd")
        || w.starts_with("implemented")
        || w.starts_with("fully implemented")
    {
        Verdict::Implemented
    } else {
        return None;
    };
    let label: String = words.chars().take_while(|c| c.is_alphabetic() || matches!(c, ' ' | ',')).collect();
    let label = label.trim_end_matches([',', ' ']).to_owned();
    Some((verdict, capitalise(label.trim())))
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// The stance a response sentence states, if it states one.
fn stance_of(sentence: &str) -> Option<Stance> {
    let s = sentence.to_lowercase();
    let adopts = [
        "accepts",
        "agrees",
        "adopts",
        "overgenomen",
        "over te nemen",
        "neemt de aanbeveling over",
        "stemde in met",
        "stemt in met",
        "onderschrijft",
        "accepted",
        "agreed with",
        "agrees with",
        "adopted",
    ];
    let rejects = [
        "rejects",
        "does not agree",
        "niet overgenomen",
        "niet over te nemen",
        "wijst de aanbeveling af",
        "wees de aanbeveling af",
        "rejected",
        "did not accept",
        "does not accept",
    ];
    let partly = ["gedeeltelijk overgenomen", "deels overgenomen", "partially accepted", "partly accepted"];
    let reserved = ["kanttekening", "nuancering", "voorbehoud", "reservation"];
    let words = format!(" {} ", s.replace([',', '.', ';', ':'], " "));
    let negated = words.contains(" niet ") || words.contains(" geen ") || words.contains(" not ");
    let partly_negated = ["niet volledig", "niet geheel", "niet helemaal", "not fully", "not entirely"];
    if partly_negated.iter().any(|p| s.contains(p)) && adopts.iter().any(|p| s.contains(p)) {
        Some(Stance::PartiallyAdopted)
    } else if rejects.iter().any(|p| s.contains(p)) || (negated && adopts.iter().any(|p| s.contains(p))) {
        // "onderschrijft de aanbeveling niet", "neemt deze aanbeveling niet over".
        Some(Stance::Rejected)
    } else if words.contains(" neemt ") && words.contains(" over ") {
        Some(if negated { Stance::Rejected } else { Stance::Adopted })
    } else if partly.iter().any(|p| s.contains(p)) {
        Some(Stance::PartiallyAdopted)
    } else if adopts.iter().any(|p| s.contains(p)) {
        Some(if reserved.iter().any(|p| s.contains(p)) { Stance::AdoptedWithReservations } else { Stance::Adopted })
    } else {
        None
    }
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.to_lowercase().chars() {
        let c = match c {
            'á' | 'à' | 'ä' | 'â' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'ú' | 'ù' | 'ü' => 'u',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// Sections whose dates are about the audit itself (its method, its team, its questions), not facts of the
/// follow-up.
fn about_the_audit(section: &str) -> bool {
    let s = section.to_lowercase();
    [
        "colofon",
        "werkwijze",
        "onderzoeksverantwoording",
        "aanleiding",
        "opvolging aanbevelingen",
        "inleiding",
        "samenvatting",
        "method",
        "colophon",
        "introduction",
    ]
    .iter()
    .any(|w| s.contains(w))
}

/// Whether a sentence tells the state of affairs now, to be dated by its section's as-of date: it says so
/// (inmiddels, op dit moment, momenteel), or it is an item of a list whose lead sentence is not in the simple
/// past (Dutch *werd*, *was*: done then, not standing now).
fn tells_the_present(s: &Sentence, lead: Option<&Sentence>) -> bool {
    let t = s.text.to_lowercase();
    let markers = ["inmiddels", "op dit moment", "momenteel", " nu ", "thans", "currently", "at present", "now "];
    if markers.iter().any(|m| t.contains(m)) {
        return true;
    }
    let past = |text: &str| {
        let words: Vec<String> = text.to_lowercase().split(|c: char| !c.is_alphabetic()).map(str::to_owned).collect();
        ["werd", "werden", "was", "waren", "had", "hadden", "were"].iter().any(|w| words.iter().any(|x| x == w))
    };
    s.kind == Kind::Item && !lead.is_some_and(|l| past(&l.text))
}

/// Whether a sentence tells a plan or an expectation rather than a fact (*gepland*, *zal*, *het streven*).
fn tells_a_plan(text: &str) -> bool {
    let t = format!(" {} ", text.to_lowercase());
    [" gepland", " beoogd", "het streven", " zal ", " zullen ", " planned", " will be "].iter().any(|w| t.contains(w))
}

/// Whether a sub-heading opens a recommendation's state of affairs: *Stand van zaken (november 2017)*, *Stand
/// per 2017*, *State of affairs*, *Status (as of) November 2017*.
fn is_state_of_affairs(sub: &str) -> bool {
    let s = sub.to_lowercase();
    s.starts_with("stand van zaken")
        || s.starts_with("stand per")
        || s.starts_with("state of affairs")
        || s.starts_with("status")
}

/// Whether a sub-heading opens the executive's response: *Reactie college*, *Bestuurlijke reactie*, *Response*.
fn is_response(sub: &str) -> bool {
    let s = sub.to_lowercase();
    s.starts_with("reactie") || s.starts_with("bestuurlijke reactie") || s.starts_with("response")
}

/// The date a heading gives (`Stand van zaken november 2017`, `Reactie college 2013`): a year at a heading's end
/// is its date, though no preposition says so.
fn heading_date(heading: &str) -> Option<PartialDate> {
    if let Some(d) = dates::dates_in(heading).0.into_iter().next() {
        return Some(d.date);
    }
    let words: Vec<&str> = heading.split_whitespace().collect();
    [2, 1].into_iter().filter(|n| words.len() >= *n).find_map(|n| {
        let tail = words[words.len() - n..].join(" ");
        dates::dates_in(&format!("per {tail}")).0.into_iter().next().map(|d| d.date)
    })
}

/// Why a sentence's dates date no fact, if they do not: a run-up (*in de aanloop naar*) says before a date,
/// not how long before; a plan (*gepland*, *zal*) is not yet a fact.
fn undated(text: &str) -> Option<&'static str> {
    let t = text.to_lowercase();
    if t.contains("aanloop naar") || t.contains("run-up to") {
        Some("the run-up to a date: before it, how long unsaid")
    } else if tells_a_plan(text) {
        Some("in a sentence that tells a plan, not a fact")
    } else {
        None
    }
}

/// Whether a section tells how the council and its committees treated the report: its meetings are drafted as
/// such, and its other sentences are no facts of the follow-up (its footnotes may be).
fn about_the_council(section: &str) -> bool {
    let s = section.to_lowercase();
    ["raadscommissie", "gemeenteraad", "behandeling rapport", "council", "committee"].iter().any(|w| s.contains(w))
}

/// Proposes the events of a follow-up report's text.
///
/// # Errors
/// [`DraftError::NoRecommendations`] when no recommendation heading is found; [`DraftError::ReportId`] for a
/// report id that is not a valid stream name.
pub fn draft(text: &str, options: &Options) -> Result<Drafted, DraftError> {
    let sentences = text::sentences(text);
    let mut out = Drafted::default();
    let numbers: Vec<u32> = sentences
        .iter()
        .filter_map(|s| match s.kind {
            Kind::Recommendation(n) => Some(n),
            _ => None,
        })
        .fold(Vec::new(), |mut v, n| {
            if !v.contains(&n) {
                v.push(n);
            }
            v
        });
    if numbers.is_empty() {
        return Err(DraftError::NoRecommendations);
    }
    // One report a text: a recommendation headed twice means a second report follows (or the text repeats).
    let mut headed: BTreeMap<u32, usize> = BTreeMap::new();
    let mut previous: Option<u32> = None;
    for s in &sentences {
        if let Kind::Recommendation(n) = s.kind {
            if previous != Some(n) {
                if let Some(first) = headed.insert(n, s.line) {
                    return Err(DraftError::SeveralReports { number: n, first, second: s.line });
                }
            }
            previous = Some(n);
        } else {
            previous = None;
        }
    }
    // The report: its title and publication date, its office.
    let published = sentences.iter().find_map(|s| {
        PUBLISHED
            .captures(&s.text)
            .map(|c| (s, c[1].to_owned(), c[2].to_owned()))
            .or_else(|| PUBLISHED_AFTER.captures(&s.text).map(|c| (s, c[2].to_owned(), c[1].to_owned())))
    });
    let publication: Option<PartialDate> = published
        .as_ref()
        .and_then(|(_, when, _)| dates::dates_in(&format!("in {when}")).0.into_iter().next().map(|d| d.date));
    // Without a publication sentence, the recommendations are dated by the year of the first response heading.
    let publication = match publication {
        Some(p) => Some(p),
        None => {
            let fallback =
                sentences.iter().filter(|s| is_response(&s.place.sub)).find_map(|s| heading_date(&s.place.sub));
            let why = match fallback {
                Some(_) => "no sentence names the report's publication (\"heeft in mei 2013 het rapport “…” gepubliceerd\", \"published the report “…” in May 2013\"): its recommendations are dated by the year of the executive's response",
                None => "no sentence names the report's publication and no response heading gives a year: the report and its recommendations are not drafted",
            };
            out.unread.push(Unread { line: 0, phrase: "the report's publication".into(), why });
            fallback
        }
    };
    let title = published.as_ref().map(|(_, _, t)| t.trim().to_owned());
    let auditor = sentences
        .iter()
        .find_map(|s| AUDITOR.captures(&s.text).map(|c| capitalise(&c[0])))
        .unwrap_or_else(|| "the audit office".into());
    let document = options.document.clone().or_else(|| title.clone()).unwrap_or_else(|| "report".into());
    let year = publication.as_ref().map(|d| d.start().year());
    let report = match &options.report {
        Some(r) => r.clone(),
        None => {
            // The title's first word that is not an article or a preposition: `nazorg`, `kosten`.
            const SMALL: [&str; 14] =
                ["de", "het", "een", "van", "in", "en", "aan", "op", "voor", "the", "a", "an", "of", "and"];
            let first_word =
                title.as_deref().map(slug).and_then(|t| t.split('-').find(|w| !SMALL.contains(w)).map(str::to_owned));
            let parts = [Some(slug(&auditor)), year.map(|y| y.to_string()), first_word];
            parts.into_iter().flatten().collect::<Vec<_>>().join("-")
        }
    };
    let report_stream = StreamId::parse(&report).map_err(|e| DraftError::ReportId(report.clone(), e.to_string()))?;
    let source = |s: &Sentence| Source {
        document: document.clone(),
        locator: {
            let place = s.place.locator();
            let page = s.page.map(|p| format!(", p. {p}")).unwrap_or_default();
            format!("{place}{page}, line {}", s.line).trim_start_matches(", ").to_owned()
        },
        quote: Some(s.text.clone()),
    };
    let rec_stream = |n: u32| report_stream.recommendation_stream(n).ok();
    let push =
        |out: &mut Drafted, stream: StreamId, occurred: PartialDate, src: Source, body: Body, c: f64, rule: String| {
            let event = NewEvent::new(stream, occurred, src, body);
            // A draft an import would refuse for its length is said, not written.
            let length = event.to_line().len();
            if length + 200 > events::MAX_LINE_BYTES {
                let line = event.source.locator.rsplit("line ").next().and_then(|n| n.parse().ok()).unwrap_or(0);
                let phrase: String = event.source.quote.as_deref().unwrap_or("").chars().take(80).collect();
                out.unread.push(Unread {
                    line,
                    phrase,
                    why: "a sentence too long for an event line (64 KiB): split it in the text to draft it",
                });
                return;
            }
            if event.validate().is_ok() && out.ids.insert(event.id) {
                out.events.push(DraftEvent { event, confidence: c, rule });
            }
        };
    let occurred_default = publication.clone();
    if let (Some((s, _, t)), Some(when)) = (&published, &publication) {
        let body = Body::ReportPublished(ReportPublished {
            title: t.clone(),
            auditor: auditor.clone(),
            summary: format!("{t}: {} recommendations", numbers.len()),
            url: None,
        });
        push(&mut out, report_stream.clone(), when.clone(), source(s), body, 0.8, "report named as published".into());
    }
    // The recommendations, their responses and commitments.
    let all_adopted = sentences.iter().find(|s| {
        let t = s.text.to_lowercase();
        (t.contains("alle aanbevelingen") && t.contains("overgenomen")) || t.contains("accepted all recommendations")
    });
    // The as-of date of each recommendation's state of affairs, for its verdict and its present-tense facts.
    let mut as_of: BTreeMap<u32, PartialDate> = BTreeMap::new();
    let mut stand_dates: BTreeMap<(u32, String), PartialDate> = BTreeMap::new();
    for &n in &numbers {
        let here: Vec<&Sentence> = sentences.iter().filter(|s| s.place.recommendation == Some(n)).collect();
        // Each state of affairs of the recommendation (a later follow-up may add one) by its heading's date; the
        // verdict's as-of date is the latest.
        let mut subs: Vec<&str> = Vec::new();
        for s in here.iter() {
            for sub in [&s.place.sub, &s.place.stand] {
                if is_state_of_affairs(sub) && !subs.contains(&sub.as_str()) {
                    subs.push(sub);
                }
            }
        }
        for sub in subs {
            let Some(mut date) = heading_date(sub) else { continue };
            // A year alone, with the month given in the text ("Op dit moment (december 2017)"): that month.
            if date.precision() == Precision::Year {
                let now = here.iter().filter(|s| s.place.sub == sub).find_map(|s| {
                    let t = s.text.to_lowercase();
                    let at = t.find("op dit moment (").or_else(|| t.find("at present ("))?;
                    dates::dates_in(&t[at..]).0.into_iter().next().map(|d| d.date)
                });
                if let Some(month) = now.filter(|m| m.start().year() == date.start().year()) {
                    date = month;
                }
            }
            stand_dates.insert((n, sub.to_owned()), date.clone());
            if as_of.get(&n).is_none_or(|d| *d < date) {
                as_of.insert(n, date);
            }
        }
    }
    let latest = as_of.values().max().cloned();
    for &n in &numbers {
        let Some(stream) = rec_stream(n) else { continue };
        let here: Vec<&Sentence> = sentences.iter().filter(|s| s.place.recommendation == Some(n)).collect();
        let words: Vec<&&Sentence> = here.iter().filter(|s| s.kind == Kind::Recommendation(n)).collect();
        if let (Some(first), Some(when)) = (words.first(), &occurred_default) {
            let text = words.iter().map(|s| s.text.as_str()).collect::<Vec<_>>().join(" ");
            let mut src = source(first);
            src.quote = Some(text.clone());
            let body =
                Body::RecommendationIssued(RecommendationIssued { number: n, text, explanation: None, owner: None });
            push(&mut out, stream.clone(), when.clone(), src, body, 0.9, "recommendation heading".into());
        }
        let response: Vec<&&Sentence> =
            here.iter().filter(|s| s.kind == Kind::Body && is_response(&s.place.sub)).collect();
        let response_date = response
            .first()
            .and_then(|s| heading_date(&s.place.sub))
            .map(|d| match &occurred_default {
                Some(p) if p.start().year() == d.start().year() => p.clone(),
                _ => d,
            })
            .or_else(|| occurred_default.clone());
        if let Some(when) = &response_date {
            let stated = response.iter().find_map(|s| stance_of(&s.text).map(|st| (s, st)));
            let reserved = response.iter().any(|s| {
                let t = s.text.to_lowercase();
                ["kanttekening", "nuancering", "voorbehoud", "reservation"].iter().any(|w| t.contains(w))
            });
            let summary = response.iter().take(2).map(|s| s.text.as_str()).collect::<Vec<_>>().join(" ");
            match (stated, all_adopted) {
                (Some((s, stance)), _) => {
                    let stance =
                        if stance == Stance::Adopted && reserved { Stance::AdoptedWithReservations } else { stance };
                    let body = Body::ExecutiveResponded(ExecutiveResponded {
                        stance,
                        summary,
                        recommendations: vec![],
                        stances: vec![],
                    });
                    push(&mut out, stream.clone(), when.clone(), source(s), body, 0.9, "stance in the response".into());
                }
                (None, Some(all)) if !response.is_empty() => {
                    let body = Body::ExecutiveResponded(ExecutiveResponded {
                        stance: Stance::Adopted,
                        summary,
                        recommendations: vec![],
                        stances: vec![],
                    });
                    push(
                        &mut out,
                        stream.clone(),
                        when.clone(),
                        source(all),
                        body,
                        0.6,
                        "all recommendations adopted, said once for the report".into(),
                    );
                }
                _ => {}
            }
            for s in &response {
                let t = s.text.to_lowercase();
                if ["toegezegd", "zegde toe", "zegt toe", "stelde voor om", "stelt voor om", "committed to", "promised"]
                    .iter()
                    .any(|w| t.contains(w))
                {
                    let body = Body::CommitmentMade(CommitmentMade {
                        summary: s.text.clone(),
                        due: None,
                        recommendations: vec![],
                        owner: None,
                    });
                    push(
                        &mut out,
                        stream.clone(),
                        when.clone(),
                        source(s),
                        body,
                        0.6,
                        "commitment in the response".into(),
                    );
                }
            }
        }
    }
    // Meetings of the committee and the council.
    let mut meeting_sentences: Vec<usize> = Vec::new();
    let mut council_day: BTreeMap<String, PartialDate> = BTreeMap::new();
    for (i, s) in sentences.iter().enumerate() {
        if s.kind == Kind::Footnote || matches!(s.kind, Kind::Recommendation(_) | Kind::Conclusion(_)) {
            continue;
        }
        let t = s.text.to_lowercase();
        let days: Vec<PartialDate> = dates::dates_in(&s.text)
            .0
            .into_iter()
            .map(|d| d.date)
            .filter(|d| d.precision() == Precision::Day)
            .collect();
        let council_section = s.place.recommendation.is_none()
            && (s.place.section.to_lowercase().contains("gemeenteraad")
                || s.place.section.to_lowercase().contains("council"));
        if council_section {
            if let Some(d) = days.first() {
                council_day.entry(s.place.section.clone()).or_insert_with(|| d.clone());
            }
            let Some(day) = council_day.get(&s.place.section).cloned() else { continue };
            let unanimous = t.contains("algemene stemmen") || t.contains("unanimous");
            let result = if t.contains("verworpen") || t.contains("rejected") {
                Some(MotionResult::Rejected)
            } else if t.contains("ingetrokken") || t.contains("withdrawn") {
                Some(MotionResult::Withdrawn)
            } else if t.contains("aangenomen") || t.contains("adopted") {
                Some(MotionResult::Adopted)
            } else {
                None
            };
            if let (true, Some(result), true) = (t.contains("motie") || t.contains("motion"), result, unanimous) {
                // The motion's words: the quoted text of the sentence that tabled it.
                let tabled = sentences[..i].iter().rev().take(4).find(|p| {
                    p.text.to_lowercase().contains("motie ingediend")
                        || p.text.to_lowercase().contains("motion was tabled")
                });
                let motion = tabled.map(|p| p.text.clone()).unwrap_or_else(|| s.text.clone());
                let body = Body::CouncilMotionVoted(CouncilMotionVoted {
                    motion,
                    result,
                    votes: Votes::Unanimous(Unanimous::Unanimous),
                    summary: s.text.clone(),
                    recommendations: vec![],
                });
                push(
                    &mut out,
                    report_stream.clone(),
                    day.clone(),
                    source(s),
                    body,
                    0.7,
                    "motion and its result in the council's section".into(),
                );
                meeting_sentences.push(i);
            } else if result == Some(MotionResult::Adopted)
                && (t.contains("voordracht") || t.contains("besluit") || t.contains("proposal"))
            {
                let votes = unanimous.then_some(Votes::Unanimous(Unanimous::Unanimous));
                let body =
                    Body::CouncilDecided(CouncilDecided { summary: s.text.clone(), votes, recommendations: vec![] });
                push(
                    &mut out,
                    report_stream.clone(),
                    day.clone(),
                    source(s),
                    body,
                    0.7,
                    "decision in the council's section".into(),
                );
                meeting_sentences.push(i);
            }
            continue;
        }
        let in_committee = t.contains("commissievergadering")
            || (t.contains("commissie") && (t.contains("behandeld") || t.contains("besproken")));
        if let (true, Some(day)) = (in_committee, days.first()) {
            let committee = COMMITTEE
                .captures(&s.text)
                .map(|c| c[1].to_owned())
                .or_else(|| sentences.iter().find_map(|o| COMMITTEE.captures(&o.text).map(|c| c[1].to_owned())));
            let body = Body::CommitteeDiscussed(CommitteeDiscussed {
                committee: committee.unwrap_or_else(|| "raadscommissie".into()),
                summary: s.text.clone(),
                recommendations: vec![],
            });
            let stream = s.place.recommendation.and_then(rec_stream).unwrap_or_else(|| report_stream.clone());
            push(&mut out, stream, day.clone(), source(s), body, 0.7, "committee meeting with its day".into());
            meeting_sentences.push(i);
        }
    }
    // Verdicts, then dated facts, whose ids the verdicts name as evidence.
    let mut facts_of: BTreeMap<u32, Vec<(EventId, PartialDate)>> = BTreeMap::new();
    for (i, s) in sentences.iter().enumerate() {
        if meeting_sentences.contains(&i) || matches!(s.kind, Kind::Recommendation(_) | Kind::Conclusion(_)) {
            continue;
        }
        let sub = s.place.sub.to_lowercase();
        if is_response(&sub) || sub.starts_with("nawoord") || sub.starts_with("afterword") {
            continue;
        }
        if s.place.recommendation.is_none() && about_the_audit(&s.place.section) {
            continue;
        }
        if s.place.recommendation.is_none() && about_the_council(&s.place.section) && s.kind != Kind::Footnote {
            continue;
        }
        if let Some(why) = undated(&s.text) {
            let found = dates::dates_in(&s.text).0;
            out.unread.extend(found.into_iter().map(|d| Unread { line: s.line, phrase: d.text, why }));
            continue;
        }
        let stand = is_state_of_affairs(&sub);
        let (found, unread) = dates::dates_in(&s.text);
        out.unread.extend(unread.into_iter().map(|u| Unread { line: s.line, phrase: u.text, why: u.why }));
        let t = s.text.to_lowercase();
        let mut dated: Vec<(PartialDate, String, f64)> = Vec::new();
        for d in found {
            // The audit's own report, named again, is no fact of the follow-up.
            let of_the_report =
                publication.as_ref().is_some_and(|p| d.date.start() <= p.start() && p.start() <= d.date.end())
                    && ["rapport", "onderzoek", "report", "audit"].iter().any(|w| t.contains(w));
            if of_the_report {
                continue;
            }
            if latest.as_ref().is_some_and(|l| d.date.start() > l.end()) {
                out.unread.push(Unread {
                    line: s.line,
                    phrase: d.text.clone(),
                    why: "after the state of affairs: a plan, not a fact",
                });
                continue;
            }
            if !dated.iter().any(|(x, ..)| *x == d.date) {
                dated.push((d.date, format!("date phrase \"{}\"", d.text), 0.7));
            }
        }
        let lead = sentences[..i].iter().rev().find(|p| p.kind != Kind::Item);
        if dated.is_empty() && stand && tells_the_present(s, lead) {
            if let Some(d) = s.place.recommendation.and_then(|n| stand_dates.get(&(n, s.place.sub.clone()))) {
                dated.push((d.clone(), "the state of affairs, told in the present".into(), 0.4));
            }
        }
        let stream = match s.place.recommendation.and_then(rec_stream) {
            Some(r) => r,
            None => report_stream.clone(),
        };
        for (date, rule, confidence) in dated {
            let body = if stand {
                let amount = AMOUNT.captures(&s.text).and_then(|c| {
                    let euros: i64 = c[1].replace('.', "").parse().ok()?;
                    let cents: i64 = c.get(2).and_then(|m| m.as_str().parse().ok()).unwrap_or(0);
                    Some(Money::eur(euros.checked_mul(100)?.checked_add(cents)?))
                });
                Body::ActionTaken(ActionTaken {
                    summary: s.text.clone(),
                    amount,
                    fulfils: vec![],
                    recommendations: vec![],
                })
            } else {
                Body::ContextNoted(Noted { summary: s.text.clone(), recommendations: vec![] })
            };
            let before = out.events.len();
            push(&mut out, stream.clone(), date, source(s), body, confidence, rule);
            if out.events.len() > before {
                if let Some(n) = s.place.recommendation {
                    let e = &out.events[before].event;
                    facts_of.entry(n).or_default().push((e.id, e.occurred.clone()));
                }
            }
        }
    }
    // A conclusion about a recommendation that has no heading in the text.
    for s in sentences.iter() {
        if let Kind::Conclusion(n) = s.kind {
            if !numbers.contains(&n) && !out.unread.iter().any(|u| u.line == s.line) {
                out.unread.push(Unread {
                    line: s.line,
                    phrase: s.text.clone(),
                    why: "a conclusion about a recommendation the text never heads (\"N Aanbeveling N\"): not drafted",
                });
            }
        }
    }
    for &n in &numbers {
        let Some(stream) = rec_stream(n) else { continue };
        let boxed: Vec<&Sentence> = sentences.iter().filter(|s| s.kind == Kind::Conclusion(n)).collect();
        let Some((head, (verdict, label))) = boxed.iter().find_map(|s| verdict_of(&s.text).map(|v| (*s, v))) else {
            if let Some(first) = boxed.first() {
                out.unread.push(Unread {
                    line: first.line,
                    phrase: first.text.clone(),
                    why: "a conclusion whose verdict words this drafter does not know: no verdict drafted",
                });
            }
            continue;
        };
        let Some(date) = as_of.get(&n).cloned().or_else(|| latest.clone()) else {
            out.unread.push(Unread {
                line: head.line,
                phrase: head.text.clone(),
                why: "a verdict without a state of affairs to date it (\"Stand van zaken november 2017\"): not drafted",
            });
            continue;
        };
        let rationale =
            boxed.iter().filter(|s| !std::ptr::eq(**s, head)).map(|s| s.text.as_str()).collect::<Vec<_>>().join(" ");
        let attributable = (!matches!(verdict, Verdict::Implemented | Verdict::NoLongerRelevant)).then(|| {
            let r = rationale.to_lowercase();
            !(r.contains("niet te wijten aan") || r.contains("not attributable") || r.contains("niet toe te rekenen"))
        });
        let body = Body::StatusAssessed(StatusAssessed {
            verdict,
            as_of: date.clone(),
            assessor: auditor.clone(),
            rationale: if rationale.is_empty() { head.text.clone() } else { rationale },
            // Evidence certainly of the state of affairs (rule V2): a fact dated `2017` does not certainly precede
            // an as-of of `2017-11`. The latest facts first, at most MAX_EVIDENCE of them.
            evidence: facts_of
                .get(&n)
                .map(|facts| {
                    let by: Vec<EventId> =
                        facts.iter().filter(|(_, d)| d.end() <= date.end()).map(|(id, _)| *id).collect();
                    by[by.len().saturating_sub(MAX_EVIDENCE)..].to_vec()
                })
                .unwrap_or_default(),
            attributable,
            supersedes: None,
            label: Some(label),
        });
        push(&mut out, stream, date, source(head), body, 0.9, "verdict line".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SEED: &str = include_str!("../../examples/nazorg-amsterdam-2017.txt");

    /// Pieces of the seed's lines and odd characters, so that generated texts hit the rules' edges.
    fn pieces() -> impl Strategy<Value = String> {
        let lines: Vec<String> = SEED.lines().filter(|l| !l.trim().is_empty()).map(str::to_owned).collect();
        let line = proptest::sample::select(lines);
        let odd = prop_oneof![
            Just("\u{c}".to_owned()),
            Just(" ".to_owned()),
            Just("-".to_owned()),
            Just("é€“”".to_owned()),
            Just("Conclusie aanbeveling 7: in uitvoering".to_owned()),
            Just("31 februari 2016, 1850, 2099, 2016-2014, mid-".to_owned()),
            "[a-zA-Z0-9 ().,:;\\-]{0,40}",
        ];
        proptest::collection::vec(prop_oneof![3 => line, 1 => odd], 1..80).prop_map(|v| v.join("\n"))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
        #[test]
        fn any_text_drafts_without_panicking_the_same_twice_and_every_draft_is_a_valid_event(text in pieces()) {
            let a = draft(&text, &Options::default());
            let b = draft(&text, &Options::default());
            match (a, b) {
                (Ok(a), Ok(b)) => {
                    prop_assert_eq!(&a.events, &b.events);
                    for d in &a.events {
                        prop_assert!(d.event.validate().is_ok());
                        prop_assert!((0.0..=1.0).contains(&d.confidence));
                        let quote = d.event.source.quote.clone().unwrap_or_default();
                        prop_assert!(!quote.is_empty());
                    }
                }
                (Err(_), Err(_)) => {}
                _ => prop_assert!(false, "not deterministic"),
            }
        }
    }

    #[test]
    fn a_sentence_too_long_for_an_event_line_is_said_not_drafted() {
        let long = "woord ".repeat(12_000);
        let text = format!("1 Aanbeveling 1\nDoe iets\nStand van zaken november 2017\nIn 2016 is {long}gedaan.\n");
        let d = draft(&text, &Options::default()).unwrap();
        assert!(d.events.iter().all(|e| e.event.to_line().len() < events::MAX_LINE_BYTES));
        assert!(d.unread.iter().any(|u| u.why.starts_with("a sentence too long")), "{:?}", d.unread);
    }

    #[test]
    fn the_seed_drafts_its_five_recommendations_under_a_report_id_derived_from_office_year_and_title() {
        let d = draft(SEED, &Options::default()).unwrap();
        let issued: Vec<&str> = d
            .events
            .iter()
            .filter(|e| matches!(e.event.body, Body::RecommendationIssued(_)))
            .map(|e| e.event.stream.as_str())
            .collect();
        assert_eq!(issued.len(), 5);
        assert_eq!(issued[0], "rekenkamer-amsterdam-2013-nazorg/1");
    }
}
