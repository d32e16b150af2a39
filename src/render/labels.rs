//! Words for people, in English or Dutch: partial dates in their own precision, amounts, event types, stances,
//! verdicts, claims and column names. The Dutch terms are those of the glossary in the design contract.

use events::{Claim, EventType, MotionResult, PartialDate, Precision, Qualifier, Season, Stance, Verdict, Votes};

/// The language of everything written for people.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English (the default).
    #[default]
    En,
    /// Dutch.
    Nl,
}

impl Lang {
    /// Parses `en` or `nl`.
    ///
    /// # Errors
    /// A message naming the text otherwise.
    pub fn parse(text: &str) -> Result<Lang, String> {
        match text.to_ascii_lowercase().as_str() {
            "en" => Ok(Lang::En),
            "nl" => Ok(Lang::Nl),
            _ => Err(format!("`{text}` is not a language: en or nl")),
        }
    }

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nl => "nl",
        }
    }

    /// `en` or `nl`, as the language is.
    pub fn pick(self, en: &'static str, nl: &'static str) -> &'static str {
        match self {
            Lang::En => en,
            Lang::Nl => nl,
        }
    }
}

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_NL: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];

/// A month's name: `May` / `mei` (1 = January).
pub fn month(lang: Lang, m: i8) -> &'static str {
    let i = (m.clamp(1, 12) - 1) as usize;
    match lang {
        Lang::En => MONTHS_EN[i],
        Lang::Nl => MONTHS_NL[i],
    }
}

/// A partial date in its own precision: `May 2013` / `mei 2013`, `4 July 2013` / `4 juli 2013`, `2015`,
/// `autumn 2016` / `najaar 2016`, `Q4 2015` / `4e kwartaal 2015`, `c. 2015` / `ca. 2015` for `~`, `2015?` for `?`.
///
/// Unspecified digits read as their span (`199X`: `1990s` / `jaren 1990`, `19XX`: `1900–1999`), an interval as
/// its two ends (`2011–2012`, `June 2004 – August 2006`), each end with its own qualifier.
pub fn date(lang: Lang, d: &PartialDate) -> String {
    let start = d.start();
    let year = start.year();
    let text = match d.precision() {
        Precision::Interval => {
            let Some((from, to)) = d.ends() else { return d.as_str().to_owned() };
            let (from, to) = (date(lang, &from), date(lang, &to));
            return if from.contains(' ') || to.contains(' ') {
                format!("{from} – {to}")
            } else {
                format!("{from}–{to}")
            };
        }
        Precision::Century => format!("{year:04}–{:04}", d.end().year()),
        Precision::Decade => match lang {
            Lang::En => format!("{year:04}s"),
            Lang::Nl => format!("jaren {year:04}"),
        },
        Precision::Year => format!("{year:04}"),
        Precision::Month => format!("{} {year:04}", month(lang, start.month())),
        Precision::Day => format!("{} {} {year:04}", start.day(), month(lang, start.month())),
        Precision::Season(s) => {
            let name = match s {
                Season::Spring => lang.pick("spring", "voorjaar"),
                Season::Summer => lang.pick("summer", "zomer"),
                Season::Autumn => lang.pick("autumn", "najaar"),
                Season::Winter => lang.pick("winter", "winter"),
            };
            format!("{name} {year:04}")
        }
        Precision::Quarter(q) => match lang {
            Lang::En => format!("Q{q} {year:04}"),
            Lang::Nl => format!("{q}e kwartaal {year:04}"),
        },
        Precision::Quadrimester(_) => {
            let (from, to) = (month(lang, start.month()), month(lang, d.end().month()));
            format!("{from}–{to} {year:04}")
        }
        Precision::Semester(h) => match lang {
            Lang::En => format!("H{h} {year:04}"),
            Lang::Nl => format!("{}e helft {year:04}", if h == 1 { "1" } else { "2" }),
        },
    };
    let circa = lang.pick("c.", "ca.");
    match d.qualifier() {
        Qualifier::Exact => text,
        Qualifier::Approximate => format!("{circa} {text}"),
        Qualifier::Uncertain => format!("{text}?"),
        Qualifier::UncertainApproximate => format!("{circa} {text}?"),
    }
}

/// A report as a reader names it: `Title (Auditor, May 2013) URL`, the parts its publication gives; its id
/// alone when the window holds no publication of it.
pub fn report(lang: Lang, r: &projections::ReportEntry) -> String {
    let Some(title) = &r.title else { return r.id.clone() };
    let mut by: Vec<String> = r.auditor.iter().cloned().collect();
    by.extend(r.published.as_ref().map(|d| date(lang, d)));
    let mut text = if by.is_empty() { title.clone() } else { format!("{title} ({})", by.join(", ")) };
    if let Some(url) = &r.url {
        text.push(' ');
        text.push_str(url);
    }
    text
}

/// The heading of report `id` in `status`: `Report id: Title (Auditor, May 2013) URL` ([`report`]), or
/// `Report id` when the window holds no publication of it. Raw text: each format escapes it.
pub fn report_heading(lang: Lang, status: &projections::Status, id: &str) -> String {
    match status.reports.iter().find(|r| r.id == id) {
        Some(r) if r.title.is_some() => format!("{} {id}: {}", word(lang, Word::Report), report(lang, r)),
        _ => format!("{} {id}", word(lang, Word::Report)),
    }
}

/// Whether `c` changes the direction of the text after it (Unicode's bidirectional embeddings, overrides and
/// isolates, and the directional marks): from the log, such a character could reverse the rest of a row.
fn bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// `text` with every bidirectional control character written as its code (`⟨U+202E⟩`), so that text from the log
/// cannot reverse what a terminal or a Markdown page shows after it.
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(bidi_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if bidi_control(c) {
            out.push_str(&format!("⟨U+{:04X}⟩", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// An amount in minor units with the language's separators: `EUR 1,595,000` / `€ 1.595.000`, `EUR 12.50` / `€ 12,50`.
pub fn amount(lang: Lang, cents: i128, currency: &str) -> String {
    let (group, decimal) = match lang {
        Lang::En => (',', '.'),
        Lang::Nl => ('.', ','),
    };
    let major = cents.unsigned_abs() / 100;
    let minor = cents.unsigned_abs() % 100;
    let digits = major.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(group);
        }
        grouped.push(c);
    }
    let sign = if cents < 0 { "-" } else { "" };
    let symbol = match (lang, currency) {
        (Lang::Nl, "EUR") => "€",
        _ => currency,
    };
    if minor == 0 {
        format!("{symbol} {sign}{grouped}")
    } else {
        format!("{symbol} {sign}{grouped}{decimal}{minor:02}")
    }
}

/// A decimal number of minor units as a spreadsheet of `lang` reads it, without grouping or a currency:
/// `1250` cents is `12.50` in English and `12,50` in Dutch; whole amounts have no decimals (`480000`).
pub fn decimal(lang: Lang, cents: i128) -> String {
    let text = events::minor_units_text(cents);
    match lang {
        Lang::En => text,
        Lang::Nl => text.replace('.', ","),
    }
}

/// The CSV field separator a spreadsheet of `lang` expects: `,` in English; `;` in Dutch, where `,` is the
/// decimal separator.
pub fn csv_delimiter(lang: Lang) -> u8 {
    match lang {
        Lang::En => b',',
        Lang::Nl => b';',
    }
}

/// A stance in words.
pub fn stance(lang: Lang, s: Stance) -> &'static str {
    match s {
        Stance::Adopted => lang.pick("adopted", "overgenomen"),
        Stance::AdoptedWithReservations => lang.pick("adopted with reservations", "overgenomen met kanttekeningen"),
        Stance::PartiallyAdopted => lang.pick("partially adopted", "gedeeltelijk overgenomen"),
        Stance::Rejected => lang.pick("rejected", "niet overgenomen"),
    }
}

/// How verification judges a verdict, in words.
pub fn judgement(lang: Lang, j: projections::Judgement) -> &'static str {
    match j {
        projections::Judgement::Supported => lang.pick("supported", "onderbouwd"),
        projections::Judgement::Unsupported => lang.pick("unsupported", "niet onderbouwd"),
        projections::Judgement::Undermined => lang.pick("undermined", "ondermijnd"),
    }
}

/// A verdict in words (Dutch: the Rekenkamer's scale).
pub fn verdict(lang: Lang, v: Verdict) -> &'static str {
    match v {
        Verdict::NotImplemented => lang.pick("not implemented", "niet uitgevoerd"),
        Verdict::InProgress => lang.pick("in progress", "in uitvoering"),
        Verdict::PartiallyImplemented => lang.pick("partially implemented", "gedeeltelijk uitgevoerd"),
        Verdict::Implemented => lang.pick("implemented", "uitgevoerd"),
        Verdict::NoLongerRelevant => lang.pick("no longer relevant", "niet meer relevant"),
        Verdict::NotAdopted => lang.pick("not adopted", "niet overgenomen"),
    }
}

/// A verdict in words with the office's own label beside it when it has one that says something else:
/// `partially implemented (“Deels opgevolgd”)`.
pub fn verdict_labelled(lang: Lang, v: Verdict, label: Option<&str>) -> String {
    let words = verdict(lang, v);
    match label.map(str::trim).filter(|l| !l.is_empty() && !l.eq_ignore_ascii_case(words)) {
        Some(l) => format!("{words} (“{l}”)"),
        None => words.to_owned(),
    }
}

/// The executive's claim in words.
pub fn claim(lang: Lang, c: Claim) -> &'static str {
    match c {
        Claim::Done => lang.pick("says done", "meldt gereed"),
        Claim::InProgress => lang.pick("says in progress", "meldt in uitvoering"),
        Claim::NotStarted => lang.pick("says not started", "meldt niet gestart"),
    }
}

/// A motion's result and vote in words: `adopted unanimously` / `aangenomen met algemene stemmen`.
pub fn motion(lang: Lang, result: MotionResult, votes: Option<&Votes>) -> String {
    let r = motion_result(lang, result);
    match votes {
        Some(Votes::Unanimous(_)) => format!("{r} {}", lang.pick("unanimously", "met algemene stemmen")),
        Some(Votes::Counted(c)) => format!("{r} {}-{}", c.in_favour, c.against),
        None => r.to_owned(),
    }
}

/// What became of a motion, in words: `adopted` / `aangenomen`.
pub fn motion_result(lang: Lang, result: MotionResult) -> &'static str {
    match result {
        MotionResult::Adopted => lang.pick("adopted", "aangenomen"),
        MotionResult::Rejected => lang.pick("rejected", "verworpen"),
        MotionResult::Withdrawn => lang.pick("withdrawn", "ingetrokken"),
    }
}

/// An event type in words: `status_assessed` -> `verdict` / `oordeel`.
pub fn kind(lang: Lang, event_type: EventType) -> &'static str {
    match event_type {
        EventType::ReportPublished => lang.pick("report published", "rapport gepubliceerd"),
        EventType::RecommendationIssued => lang.pick("recommendation", "aanbeveling"),
        EventType::RecommendationReframed => lang.pick("recommendation reframed", "aanbeveling herzien"),
        EventType::ExecutiveResponded => lang.pick("executive's response", "bestuurlijke reactie"),
        EventType::AuditorCommented => lang.pick("auditor's comment", "opmerking rekenkamer"),
        EventType::CommitteeDiscussed => lang.pick("committee", "raadscommissie"),
        EventType::CouncilDecided => lang.pick("council decision", "besluit gemeenteraad"),
        EventType::CouncilMotionVoted => lang.pick("motion", "motie"),
        EventType::CommitmentMade => lang.pick("commitment", "toezegging"),
        EventType::ActionTaken => lang.pick("action", "actie"),
        EventType::ContextNoted => lang.pick("development", "ontwikkeling"),
        EventType::StatusAssessed => lang.pick("verdict", "oordeel"),
        EventType::EventRetracted => lang.pick("retraction", "intrekking"),
        EventType::CommitmentRevised => lang.pick("commitment revised", "toezegging herzien"),
        EventType::ExecutiveReported => lang.pick("executive's report", "voortgangsmelding college"),
    }
}

/// The key fact of a timeline entry in words ([`detail`]), marking a verdict that a later assessment superseded.
pub fn entry_detail(lang: Lang, e: &projections::TimelineEntry) -> String {
    let detail = detail(lang, &e.body);
    match e.superseded_by {
        Some(_) => format!("{detail}, {}", lang.pick("superseded", "vervangen")),
        None => detail,
    }
}

/// The key fact of an event in a few words: a stance, a verdict with its date, an amount, a vote, a due date.
/// Empty when the summary says it all.
pub fn detail(lang: Lang, body: &events::Body) -> String {
    use events::Body;
    match body {
        Body::ExecutiveResponded(b) if b.stances.is_empty() => stance(lang, b.stance).to_owned(),
        Body::ExecutiveResponded(b) => {
            let each: Vec<String> =
                b.stances.iter().map(|s| format!("{} {}", s.number, stance(lang, s.stance))).collect();
            format!("{}; {}", stance(lang, b.stance), each.join(", "))
        }
        Body::RecommendationReframed(b) => {
            let how = match b.how {
                events::Reframing::Split => lang.pick("split from", "afgesplitst van"),
                events::Reframing::Merged => lang.pick("merged from", "samengevoegd uit"),
                events::Reframing::Reworded => lang.pick("reworded from", "herformuleerd van"),
            };
            let from: Vec<&str> = b.predecessors.iter().map(|p| p.as_str()).collect();
            format!("{how} {}", from.join(", "))
        }
        Body::StatusAssessed(b) => {
            format!(
                "{} ({} {})",
                verdict_labelled(lang, b.verdict, b.label.as_deref()),
                word(lang, Word::AsOf).to_lowercase(),
                date(lang, &b.as_of)
            )
        }
        Body::ActionTaken(b) => {
            b.amount.map(|m| amount(lang, i128::from(m.cents), m.currency_code())).unwrap_or_default()
        }
        Body::CouncilMotionVoted(b) => motion(lang, b.result, Some(&b.votes)),
        Body::CouncilDecided(b) => match b.votes {
            Some(Votes::Unanimous(_)) => lang.pick("unanimously", "met algemene stemmen").to_owned(),
            Some(Votes::Counted(c)) => format!("{}-{}", c.in_favour, c.against),
            None => String::new(),
        },
        Body::CommitmentMade(b) => {
            b.due.as_ref().map(|d| format!("{} {}", word(lang, Word::Due), date(lang, d))).unwrap_or_default()
        }
        Body::CommitmentRevised(b) => format!("{} {}", word(lang, Word::Due), date(lang, &b.due)),
        Body::EventRetracted(b) => format!("{} {}", lang.pick("retracts", "trekt in:"), b.target),
        Body::ExecutiveReported(b) => claim(lang, b.claim).to_owned(),
        Body::CommitteeDiscussed(b) => b.committee.clone(),
        _ => String::new(),
    }
}

/// Fixed words of headings and columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Word {
    /// "Recommendation".
    Recommendation,
    /// "Stance".
    Stance,
    /// "Council".
    Council,
    /// "Commitments".
    Commitments,
    /// "Actions".
    Actions,
    /// "Verdict".
    Verdict,
    /// "As of".
    AsOf,
    /// "Date".
    Date,
    /// "Event".
    Event,
    /// "Summary".
    Summary,
    /// "Source".
    Source,
    /// "Timeline".
    Timeline,
    /// "Status".
    Status,
    /// "Report".
    Report,
    /// "not assessed".
    NotAssessed,
    /// "no response".
    NoResponse,
    /// "Executive claims".
    ExecutiveClaims,
    /// "disagrees with the verdict".
    Disagrees,
    /// "Summary of verdicts".
    VerdictSummary,
    /// "Implemented".
    ImplementedRate,
    /// "Implemented or partially".
    ImplementedOrPartiallyRate,
    /// "Assessed".
    Assessed,
    /// "Open commitments".
    OpenCommitments,
    /// "Overdue commitments".
    OverdueCommitments,
    /// "Total".
    Total,
    /// "of which not supported by the evidence": current verdicts verification judges unsupported or undermined.
    NotSupported,
    /// "due".
    Due,
    /// "Detail".
    Detail,
    /// "Recommendations".
    Recommendations,
    /// "All".
    All,
    /// "Owner": who is responsible for a recommendation or a commitment.
    Owner,
    /// The line under a status table that explains its ✓: a commitment an action keeps.
    KeptMark,
}

/// A fixed word in `lang`.
pub fn word(lang: Lang, w: Word) -> &'static str {
    match w {
        Word::Recommendation => lang.pick("Recommendation", "Aanbeveling"),
        Word::Stance => lang.pick("Stance", "Reactie college"),
        Word::Council => lang.pick("Council", "Gemeenteraad"),
        Word::Commitments => lang.pick("Commitments", "Toezeggingen"),
        Word::Actions => lang.pick("Actions", "Acties"),
        Word::Verdict => lang.pick("Verdict", "Oordeel"),
        Word::AsOf => lang.pick("As of", "Stand per"),
        Word::Date => lang.pick("Date", "Datum"),
        Word::Event => lang.pick("Event", "Gebeurtenis"),
        Word::Summary => lang.pick("Summary", "Samenvatting"),
        Word::Source => lang.pick("Source", "Bron"),
        Word::Timeline => lang.pick("Timeline", "Tijdlijn"),
        Word::Status => lang.pick("Status", "Stand van zaken"),
        Word::Report => lang.pick("Report", "Rapport"),
        Word::NotAssessed => lang.pick("not assessed", "niet beoordeeld"),
        Word::NoResponse => lang.pick("no response", "geen reactie"),
        Word::ExecutiveClaims => lang.pick("Executive claims", "Melding college"),
        Word::Disagrees => lang.pick("DISAGREES with the verdict", "WIJKT AF van het oordeel"),
        Word::VerdictSummary => lang.pick("Verdicts", "Oordelen"),
        Word::ImplementedRate => lang.pick("Share implemented", "Aandeel uitgevoerd"),
        Word::ImplementedOrPartiallyRate => {
            lang.pick("Share implemented or partially", "Aandeel (gedeeltelijk) uitgevoerd")
        }
        Word::Assessed => lang.pick("Assessed", "Beoordeeld"),
        Word::OpenCommitments => lang.pick("Open commitments", "Openstaande toezeggingen"),
        Word::OverdueCommitments => lang.pick("Overdue commitments", "Niet tijdig nagekomen toezeggingen"),
        Word::NotSupported => lang.pick("Verdicts not supported by the evidence", "Oordelen niet onderbouwd"),
        Word::Total => lang.pick("Total", "Totaal"),
        Word::Due => lang.pick("due", "uiterlijk"),
        Word::Detail => lang.pick("Detail", "Toelichting"),
        Word::Recommendations => lang.pick("Recommendations", "Aanbevelingen"),
        Word::All => lang.pick("all", "alle"),
        Word::Owner => lang.pick("Owner", "Verantwoordelijke"),
        Word::KeptMark => lang.pick(
            "✓ after a due date: the commitment is kept (an action names it in `fulfils`)",
            "✓ na een termijn: de toezegging is nagekomen (een actie noemt haar in `fulfils`)",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(lang: Lang, s: &str) -> String {
        date(lang, &s.parse().unwrap())
    }

    #[test]
    fn dates_keep_their_precision_in_both_languages() {
        let cases = [
            ("2013-05", "May 2013", "mei 2013"),
            ("2013-07-04", "4 July 2013", "4 juli 2013"),
            ("2015", "2015", "2015"),
            ("2016-23", "autumn 2016", "najaar 2016"),
            ("2016-21", "spring 2016", "voorjaar 2016"),
            ("2015-36", "Q4 2015", "4e kwartaal 2015"),
            ("2015~", "c. 2015", "ca. 2015"),
            ("2014-03?", "March 2014?", "maart 2014?"),
            ("0099", "0099", "0099"),
            ("199X", "1990s", "jaren 1990"),
            ("19XX", "1900–1999", "1900–1999"),
            ("2004-XX", "2004", "2004"),
            ("1989-11-XX", "November 1989", "november 1989"),
            ("201X~", "c. 2010s", "ca. jaren 2010"),
            ("2011/2012", "2011–2012", "2011–2012"),
            ("2004-06~/2006-08", "c. June 2004 – August 2006", "ca. juni 2004 – augustus 2006"),
            ("2015-33/2016?", "Q1 2015 – 2016?", "1e kwartaal 2015 – 2016?"),
        ];
        for (edtf, en, nl) in cases {
            assert_eq!((d(Lang::En, edtf), d(Lang::Nl, edtf)), (en.to_owned(), nl.to_owned()), "{edtf}");
        }
    }

    #[test]
    fn amounts_use_the_language_s_separators() {
        assert_eq!(amount(Lang::En, 159_500_000, "EUR"), "EUR 1,595,000");
        assert_eq!(amount(Lang::Nl, 159_500_000, "EUR"), "€ 1.595.000");
        assert_eq!(amount(Lang::En, 1250, "EUR"), "EUR 12.50");
        assert_eq!(amount(Lang::Nl, 1250, "EUR"), "€ 12,50");
        assert_eq!(amount(Lang::En, -48_000_000, "USD"), "USD -480,000");
        assert_eq!(amount(Lang::En, 10_i128.pow(19), "EUR"), "EUR 100,000,000,000,000,000");
    }

    #[test]
    fn bidirectional_controls_are_shown_by_their_codes() {
        assert_eq!(visible("abc\u{202E}fed\u{202C} \u{2067}x\u{2069}"), "abc⟨U+202E⟩fed⟨U+202C⟩ ⟨U+2067⟩x⟨U+2069⟩");
        assert!(matches!(visible("plain ‘text’ é"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn the_glossary_s_dutch_terms_are_used() {
        assert_eq!(verdict(Lang::Nl, Verdict::PartiallyImplemented), "gedeeltelijk uitgevoerd");
        assert_eq!(stance(Lang::Nl, Stance::AdoptedWithReservations), "overgenomen met kanttekeningen");
        assert_eq!(
            motion(Lang::Nl, MotionResult::Adopted, Some(&Votes::Unanimous(events::Unanimous::Unanimous))),
            "aangenomen met algemene stemmen"
        );
        // Each event type has a label of its own in each language.
        for lang in [Lang::En, Lang::Nl] {
            let mut labels: Vec<&str> = EventType::ALL.iter().map(|t| kind(lang, *t)).collect();
            labels.sort_unstable();
            labels.dedup();
            assert_eq!(labels.len(), EventType::ALL.len(), "{lang:?}");
        }
        assert_eq!(kind(Lang::Nl, EventType::CommitmentMade), "toezegging");
    }
}
