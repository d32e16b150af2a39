//! Date phrases of Dutch and English report text read as EDTF, at the precision the text gives and never more.
//!
//! The forms and their codes are the table in README ("Date phrases"); each has a test below. EDTF (ISO 8601-2)
//! sub-year groupings: 21 to 24 seasons, 33 to 36 quarters, 37 to 39 quadrimesters, 40 and 41 semesters; `~`
//! approximate, `?` uncertain. "medio 2014" is read by a stated convention: the middle third of the year,
//! quadrimester 2 (`2014-38`, May to August).

use std::sync::LazyLock;

use events::PartialDate;
use regex::Regex;

/// A date phrase found in a text: where it stands (byte offsets into the text), its words, and its date.
#[derive(Clone, Debug, PartialEq)]
pub struct DatePhrase {
    /// Byte offset of the phrase's first character.
    pub start: usize,
    /// Byte offset just past the phrase.
    pub end: usize,
    /// The phrase as written.
    pub text: String,
    /// Its date in EDTF.
    pub date: PartialDate,
}

/// A phrase that names a time but is not the date of a fact: before or until a year, a span without both ends.
#[derive(Clone, Debug, PartialEq)]
pub struct Unread {
    /// The phrase as written.
    pub text: String,
    /// Why it was not read as a date.
    pub why: &'static str,
}

const MONTHS: [(&str, u8); 27] = [
    ("januari", 1),
    ("februari", 2),
    ("maart", 3),
    ("april", 4),
    ("mei", 5),
    ("juni", 6),
    ("juli", 7),
    ("augustus", 8),
    ("september", 9),
    ("oktober", 10),
    ("november", 11),
    ("december", 12),
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("october", 10),
    ("jan", 1),
    ("feb", 2),
    ("mrt", 3),
    ("apr", 4),
    ("aug", 8),
    ("sept", 9),
    ("okt", 10),
];

fn month(word: &str) -> Option<u8> {
    let w = word.to_lowercase();
    MONTHS.iter().find(|(name, _)| *name == w.trim_end_matches('.')).map(|(_, m)| *m)
}

/// The sub-year grouping a word or two before a year names (EDTF codes), from the README table.
fn grouping(words: &str) -> Option<u8> {
    Some(match words {
        "begin" | "beginning" | "early" | "eerste kwartaal" | "first quarter" => 33,
        "tweede kwartaal" | "second quarter" => 34,
        "derde kwartaal" | "third quarter" => 35,
        "eind" | "einde" | "ultimo" | "end" | "late" | "vierde kwartaal" | "fourth quarter" => 36,
        "medio" | "midden" | "mid" | "middle" => 38,
        "eerste helft" | "first half" => 40,
        "tweede helft" | "second half" => 41,
        "voorjaar" | "lente" | "spring" | "voorjaarsnota" => 21,
        "zomer" | "summer" => 22,
        "najaar" | "herfst" | "autumn" | "fall" | "najaarsnota" => 23,
        "winter" => 24,
        "q1" => 33,
        "q2" => 34,
        "q3" => 35,
        "q4" => 36,
        _ => return None,
    })
}

static YEAR: LazyLock<Regex> = LazyLock::new(|| {
    // A year of 1800 to 2099 standing alone (or ending "mid-"): not a part of an amount (1.355.000), a code
    // (Top600) or a longer number; optionally a second year after a dash or a slash, a span (`2014-2015`,
    // `2014 - 2015`, `2016/2017`, `2016/17`).
    Regex::new(
        r"(?:^|[^\p{L}\p{N}.,€])((?:1[89]|20)\d\d)(?:\s?[-–—/]\s?((?:1[89]|20)\d\d|\d\d))?(?:$|[^\p{L}\p{N}]|[.,][^\p{N}]|[.,]$)",
    )
    .unwrap()
});

/// The last words of `text` (at most `n`), each with its byte offset, lowercased and without brackets and
/// commas around it.
fn last_words(text: &str, n: usize) -> Vec<(usize, String)> {
    let mut words: Vec<(usize, String)> = Vec::new();
    let mut end = text.len();
    for (i, c) in text.char_indices().rev() {
        // A slash after a date ends it: "eind 2015/begin 2016" has the words "eind", "2015", "begin".
        let slash = c == '/' && text[..i].ends_with(|p: char| p.is_ascii_digit());
        if c.is_whitespace() || slash {
            if i + c.len_utf8() < end {
                words.push((i + c.len_utf8(), text[i + c.len_utf8()..end].to_owned()));
            }
            end = i;
            if words.len() == n {
                break;
            }
        }
    }
    if words.len() < n && end > 0 && !text[..end].contains(char::is_whitespace) {
        words.push((0, text[..end].to_owned()));
    }
    words
        .into_iter()
        .map(|(at, w)| {
            let trimmed = w.trim_start_matches('(');
            (at + (w.len() - trimmed.len()), trimmed.trim_end_matches([')', ',']).to_lowercase())
        })
        .filter(|(_, w)| !w.is_empty())
        .collect()
}

const APPROXIMATE: [&str; 7] = ["rond", "omstreeks", "circa", "ca.", "ongeveer", "around", "about"];
const UNCERTAIN: [&str; 7] =
    ["waarschijnlijk", "vermoedelijk", "mogelijk", "probably", "possibly", "likely", "wellicht"];
const BOUNDS: [&str; 15] = [
    "tot",
    "until",
    "till",
    "voor",
    "vóór",
    "vòòr",
    "before",
    "na",
    "ná",
    "after",
    "to",
    "t/m",
    "by",
    "uiterlijk",
    "latest",
];
/// Words that join the two ends of a span within a year: `januari en maart`, `1 tot 3 juni`.
const JOINERS: [&str; 7] = ["en", "tot", "t/m", "-", "–", "and", "to"];
const PREPOSITIONS: [&str; 14] = [
    "in",
    "sinds",
    "vanaf",
    "per",
    "op",
    "since",
    "from",
    "on",
    "at",
    "van",
    "tussen",
    "between",
    "during",
    "gedurende",
];
/// Nouns that say the number after them is a year.
const YEAR_NOUNS: [&str; 10] =
    ["jaar", "jaren", "periode", "schooljaar", "begrotingsjaar", "boekjaar", "year", "years", "period", "fiscal"];
/// Words after a year that show the year is the sentence's time, not a count (*2014 gedetineerden*).
const VERBS_AFTER: [&str; 20] = [
    "is", "was", "werd", "werden", "zijn", "waren", "heeft", "hebben", "had", "hadden", "en", "of", "tot", "and", "or",
    "has", "have", "were", "the", "de",
];

/// What a phrase turned out to be, before spans are joined.
enum Read {
    Date(String),
    Bound,
    Bad(&'static str),
}

struct Piece {
    start: usize,
    end: usize,
    read: Read,
    /// The first word of the phrase, lower case: `tussen` joins a span with `en`.
    first: String,
}

/// The date phrases of `text`, in order, and the time phrases it met but did not read as a fact's date.
///
/// A year is read when its words say it is one: a preposition (`in`, `sinds`, `vanaf`, `per`), a month, a
/// grouping (begin, eind, najaar, eerste helft, ...: the README table), a qualifier (rond `~`, waarschijnlijk `?`),
/// a noun such as `jaar` or `periode`, brackets, or the start of the text; a number among other words
/// (*2014 gedetineerden*, *artikel 2016*, *€ 2015*) is not. A day, month and year is the day; two dates joined by
/// `/`, `-`, `tot`, `t/m`, or `tussen ... en ...` an interval (`2014/2015`, `2015-36/2016-33`). "vóór 2014",
/// "tot 2018", "na 2014" alone are returned as unread: they bound a time rather than date a fact.
pub fn dates_in(text: &str) -> (Vec<DatePhrase>, Vec<Unread>) {
    let mut pieces: Vec<Piece> = Vec::new();
    for m in YEAR.captures_iter(text) {
        let year = m.get(1).expect("group 1");
        let y = year.as_str();
        let y_n: u16 = y.parse().unwrap_or(0);
        // The second year of a span, written whole or as its last two digits after a slash (2016/17).
        let (second, year_end) = match m.get(2) {
            Some(s) if s.as_str().len() == 4 => (Some(s.as_str().to_owned()), s.end()),
            Some(s)
                if text[year.end()..s.start()].trim() == "/"
                    && s.as_str().parse::<u16>().ok() == Some((y_n + 1) % 100) =>
            {
                (Some(format!("{}", y_n + 1)), s.end())
            }
            _ => (None, year.end()),
        };
        let mid = text[..year.start()].ends_with("mid-");
        let before = &text[..year.start()];
        let bracket = before.ends_with('(');
        let words = last_words(before, 7);
        let word = |i: usize| words.get(i).map(|(_, w)| w.as_str());
        let at = |i: usize| words.get(i).map_or(0, |(a, _)| *a);
        // An amount: `€ 2015`, `EUR 2015`.
        if matches!(word(0), Some("€" | "eur" | "euro")) && !bracket {
            continue;
        }
        let mut i = 0;
        let mut phrase_start = if mid { year.start() - 4 } else { year.start() };
        let (mut month_n, mut day, mut group) = (None, None, if mid { Some(38) } else { None });
        // The start of a span within the year (`januari en maart 2016`), as EDTF.
        let mut from: Option<String> = None;
        let mut context = mid || bracket || second.is_some() || text[..year.start()].trim().is_empty();
        let mut bad = None;
        if !mid {
            // Two months in one word: "maart-april 2016".
            let pair = word(i).and_then(|w| w.split_once('-')).and_then(|(a, b)| month(a).zip(month(b)));
            if let Some((m1, m2)) = pair {
                month_n = Some(m2);
                from = Some(format!("{y}-{m1:02}"));
                context = true;
                phrase_start = at(i);
                i += 1;
            } else if let Some(mo) = word(i).and_then(month) {
                month_n = Some(mo);
                context = true;
                phrase_start = at(i);
                i += 1;
                match word(i).and_then(|w| w.parse::<u32>().ok()) {
                    Some(d) if (1..=31).contains(&d) => {
                        day = Some(d as u8);
                        phrase_start = at(i);
                        i += 1;
                        // "1 en 2 juni 2016", "tussen 1 en 3 juni 2016": a span of days.
                        if word(i).is_some_and(|w| JOINERS.contains(&w)) {
                            if let Some(d1) =
                                word(i + 1).and_then(|w| w.parse::<u8>().ok()).filter(|d| (1..=31).contains(d))
                            {
                                from = Some(format!("{y}-{mo:02}-{d1:02}"));
                                phrase_start = at(i + 1);
                                i += 2;
                            }
                        }
                    }
                    Some(_) => {
                        phrase_start = at(i);
                        i += 1;
                        bad = Some("not a calendar date");
                    }
                    None => {
                        // "januari en maart 2016", "juni tot augustus 2016": a span of months.
                        if word(i).is_some_and(|w| JOINERS.contains(&w)) {
                            if let Some(m1) = word(i + 1).and_then(month) {
                                from = Some(format!("{y}-{m1:02}"));
                                phrase_start = at(i + 1);
                                i += 2;
                            }
                        }
                    }
                }
            }
            if day.is_none() && month_n.is_none() {
                // A grouping, perhaps with a filler ("najaar van", "end of") and an article before it.
                let mut j = i;
                if word(j).is_some_and(|w| ["van", "of", "in"].contains(&w)) {
                    j += 1;
                }
                let two = word(j + 1).zip(word(j)).map(|(a, b)| format!("{a} {b}"));
                if let Some(code) = two.as_deref().and_then(grouping) {
                    group = Some(code);
                    i = j + 2;
                    phrase_start = at(j + 1);
                } else if let Some(code) = word(j).and_then(grouping) {
                    group = Some(code);
                    i = j + 1;
                    phrase_start = at(j);
                }
                if group.is_some() {
                    context = true;
                    if word(i).is_some_and(|w| ["het", "de", "the"].contains(&w)) {
                        phrase_start = at(i);
                        i += 1;
                    }
                    // "het voorjaar en de zomer van 2016": a span of groupings.
                    if word(i).is_some_and(|w| JOINERS.contains(&w)) {
                        if let Some(g1) = word(i + 1).and_then(grouping) {
                            from = Some(format!("{y}-{g1}"));
                            phrase_start = at(i + 1);
                            i += 2;
                            if word(i).is_some_and(|w| ["het", "de", "the"].contains(&w)) {
                                phrase_start = at(i);
                                i += 1;
                            }
                        }
                    }
                }
            }
        }
        // The second year of "tussen 2014 en 2016", "2015 en 2016", "2015 of 2016".
        if matches!(word(i), Some("en" | "and" | "of" | "or"))
            && pieces.last().is_some_and(|p| matches!(p.read, Read::Date(_)) && text[p.end..at(i)].trim().is_empty())
        {
            context = true;
        }
        let mut suffix = "";
        let mut bound = false;
        let mut qualified = false;
        let mut decade = false;
        if let Some(w) = word(i) {
            if w == "jaren" && y.ends_with('0') && second.is_none() && month_n.is_none() && group.is_none() {
                // "de jaren 1990": the decade.
                decade = true;
                context = true;
                phrase_start = at(i);
            } else if YEAR_NOUNS.contains(&w) && month_n.is_none() && group.is_none() {
                // "het jaar 2015", "de periode 2014-2015": the noun says it; the words before it are not read.
                context = true;
            } else if APPROXIMATE.contains(&w) {
                suffix = "~";
                qualified = true;
                phrase_start = at(i);
            } else if UNCERTAIN.contains(&w) {
                suffix = "?";
                qualified = true;
                phrase_start = at(i);
            } else if BOUNDS.contains(&w) || (w == "in" && word(i + 1) == Some("tot")) {
                bound = true;
                let back = if w == "in" { i + 1 } else { i };
                phrase_start = at(back);
            } else if w == "met" && word(i + 1) == Some("en") && word(i + 2) == Some("tot") {
                // "tot en met 2016": until and with.
                bound = true;
                phrase_start = at(i + 2);
            } else if PREPOSITIONS.contains(&w) {
                context = true;
                phrase_start = at(i);
                i += 1;
                if word(i).is_some_and(|w| BOUNDS.contains(&w)) {
                    bound = true;
                    phrase_start = at(i);
                }
            }
        }
        // A qualifier alone before a number followed by a noun counts things (*ongeveer 1950 gedetineerden*).
        let next: String = text[year_end..].trim_start().chars().take_while(|c| c.is_alphabetic()).collect();
        let counted = next.starts_with(char::is_lowercase) && !VERBS_AFTER.contains(&next.as_str());
        if qualified && !context {
            context = !counted;
        }
        let first = text[phrase_start..].split_whitespace().next().unwrap_or("").to_lowercase();
        let read = if let Some(why) = bad {
            Read::Bad(why)
        } else if bound {
            Read::Bound
        } else if !context {
            // A number that may not be a year: not read, and not listed (counts, articles, amounts).
            continue;
        } else {
            let single = match (&second, group, month_n, day) {
                (Some(s), None, None, _) => format!("{y}{suffix}/{s}{suffix}"),
                (Some(_), ..) => {
                    pieces.push(Piece {
                        start: phrase_start,
                        end: year_end,
                        read: Read::Bad("a span whose ends are not plain years"),
                        first,
                    });
                    continue;
                }
                (None, _, Some(mo), Some(d)) => format!("{y}-{mo:02}-{d:02}{suffix}"),
                // "begin juni 2016": the month is the precision the text gives.
                (None, _, Some(mo), None) => format!("{y}-{mo:02}{suffix}"),
                (None, Some(code), None, _) => format!("{y}-{code}{suffix}"),
                (None, None, None, _) if decade => format!("{}X{suffix}", &y[..3]),
                (None, None, None, _) => format!("{y}{suffix}"),
            };
            Read::Date(match from {
                Some(f) => format!("{f}{suffix}/{single}"),
                None => single,
            })
        };
        pieces.push(Piece { start: phrase_start, end: year_end, read, first });
    }
    // Spans: two dates joined by a slash or a dash, `tot` (a bound after a date), or `tussen ... en ...`.
    let mut joined: Vec<Piece> = Vec::new();
    for p in pieces {
        if let Some(last) = joined.last_mut() {
            let between = text[last.end..p.start].trim().to_lowercase();
            let joins = match (&last.read, &p.read) {
                (Read::Date(_), Read::Date(_)) => {
                    ["/", "-", "–"].contains(&between.as_str())
                        || (["en", "and"].contains(&between.as_str())
                            && ["tussen", "between"].contains(&last.first.as_str()))
                }
                (Read::Date(_), Read::Bound) => {
                    between.is_empty() && ["tot", "t/m", "to", "until", "till"].contains(&p.first.as_str())
                }
                _ => false,
            };
            // "2015 of 2016", "eind 2015 of begin 2016": one of two dates, which the text does not say.
            if ["of", "or"].contains(&between.as_str())
                && matches!((&last.read, &p.read), (Read::Date(_), Read::Date(_)))
            {
                last.read = Read::Bad("one of two dates: which, the text does not say");
                last.end = p.end;
                continue;
            }
            let end = if joins { edtf_of(text, &p) } else { None };
            if let (Read::Date(a), Some(b)) = (&last.read, end) {
                last.read = Read::Date(format!("{a}/{b}"));
                last.end = p.end;
                continue;
            }
        }
        joined.push(p);
    }
    // "tussen 2000 en 2500 gedetineerden": a "tussen" without a second year counts things.
    joined.retain(|p| {
        !(["tussen", "between"].contains(&p.first.as_str()) && matches!(&p.read, Read::Date(d) if !d.contains('/')))
    });
    let mut found = Vec::new();
    let mut unread = Vec::new();
    for p in joined {
        let phrase = text[p.start..p.end].to_owned();
        match p.read {
            Read::Date(edtf) => match PartialDate::parse(&edtf) {
                Ok(date) => found.push(DatePhrase { start: p.start, end: p.end, text: phrase, date }),
                Err(_) => unread.push(Unread { text: phrase, why: "not a calendar date" }),
            },
            Read::Bound => {
                unread.push(Unread { text: phrase, why: "bounds a time (before, until, after): dates no fact" })
            }
            Read::Bad(why) => unread.push(Unread { text: phrase, why }),
        }
    }
    (found, unread)
}

/// The EDTF of a bound's date (`tot 2016` gives `2016`), or of a date.
fn edtf_of(text: &str, p: &Piece) -> Option<String> {
    match &p.read {
        Read::Date(d) => Some(d.clone()),
        Read::Bound => {
            let phrase = &text[p.start..p.end];
            let rest = phrase.split_once(char::is_whitespace).map_or(phrase, |(_, r)| r).trim_start_matches("in ");
            let (found, _) = dates_in(&format!("in {}", rest.trim()));
            found.into_iter().next().map(|d| d.date.to_string())
        }
        Read::Bad(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one date `text` holds, in EDTF.
    fn date(text: &str) -> String {
        let (found, unread) = dates_in(text);
        assert_eq!(found.len(), 1, "{text}: {found:?} {unread:?}");
        found[0].date.to_string()
    }

    #[test]
    fn a_year_alone_is_the_year_and_a_month_the_month_never_more() {
        assert_eq!(date("Het college heeft in 2014 onderzoek gedaan."), "2014");
        assert_eq!(date("Stand van zaken november 2017"), "2017-11");
        assert_eq!(date("Op 5 juni 2013 behandeld in de commissie KSZ."), "2013-06-05");
        assert_eq!(date("Hiermee is per januari 2016 € 1.355.000 structureel beschikbaar."), "2016-01");
        assert_eq!(date("het samenwerkingsmodel (2009) en"), "2009");
        assert_eq!(date("Sinds 2012 in gebruik."), "2012");
        assert_eq!(date("Vanaf 2015 werkt Amsterdam samen."), "2015");
        assert_eq!(date("On 4 July 2013 the council decided."), "2013-07-04");
        assert_eq!(date("In November 2017 the state of affairs."), "2017-11");
    }

    #[test]
    fn seasons_are_codes_21_to_24() {
        assert_eq!(date("in het najaar van 2016 gestart"), "2016-23");
        assert_eq!(date("najaar 2016"), "2016-23");
        assert_eq!(date("voorjaar 2015"), "2015-21");
        assert_eq!(date("Bij de voorjaarsnota van 2015 is een aanvraag gedaan"), "2015-21");
        assert_eq!(date("in de zomer van 2014"), "2014-22");
        assert_eq!(date("winter 2013"), "2013-24");
        assert_eq!(date("in the autumn of 2016"), "2016-23");
    }

    #[test]
    fn begin_and_end_of_a_year_are_its_first_and_fourth_quarter() {
        assert_eq!(date("Begin 2015 is er een Taskforce"), "2015-33");
        assert_eq!(date("vanaf eind 2015 per kwartaal"), "2015-36");
        assert_eq!(date("Sinds eind 2015 ..."), "2015-36");
        assert_eq!(date("ultimo 2015"), "2015-36");
        assert_eq!(date("early 2015"), "2015-33");
        assert_eq!(date("at the end of 2015"), "2015-36");
        assert_eq!(date("in het derde kwartaal van 2016"), "2016-35");
        // A month named keeps the month's precision: "begin juni" is not a day.
        assert_eq!(date("begin juni 2016"), "2016-06");
    }

    #[test]
    fn halves_are_semesters_40_41_and_medio_the_middle_quadrimester_38() {
        assert_eq!(date("in de eerste helft van 2016"), "2016-40");
        assert_eq!(date("tweede helft 2016"), "2016-41");
        assert_eq!(date("in the second half of 2016"), "2016-41");
        assert_eq!(date("medio 2014"), "2014-38");
        assert_eq!(date("mid-2014"), "2014-38");
    }

    #[test]
    fn qualifiers_say_approximate_and_uncertain() {
        assert_eq!(date("rond 2014"), "2014~");
        assert_eq!(date("omstreeks 2014"), "2014~");
        assert_eq!(date("waarschijnlijk 2014"), "2014?");
        assert_eq!(date("around 2014"), "2014~");
        assert_eq!(date("probably 2014"), "2014?");
        assert_eq!(date("rond eind 2015"), "2015-36~");
    }

    #[test]
    fn a_span_of_years_is_an_interval() {
        assert_eq!(date("In de periode 2014-2015 is de regie verschoven"), "2014/2015");
    }

    #[test]
    fn amounts_codes_and_bounds_are_not_dates() {
        let (found, _) = dates_in("€ 1.355.000 en 1.595.000, de Top600 en 28 dagen, 3.1 en 2015a");
        assert!(found.is_empty(), "{found:?}");
        let (found, unread) = dates_in("in de periode vòòr 2014 en loopt door tot in 2018");
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(unread.len(), 2, "{unread:?}");
    }

    #[test]
    fn numbers_that_count_things_are_no_years_and_a_day_that_is_none_is_refused() {
        for text in [
            "Er zijn 2014 gedetineerden begeleid.",
            "€ 2015 werd besteed",
            "volgens artikel 2016 van de wet",
            "ongeveer 1950 gedetineerden",
        ] {
            let (found, _) = dates_in(text);
            assert!(found.is_empty(), "{text}: {found:?}");
        }
        for text in ["32 mei 2016", "0 mei 2016"] {
            let (found, unread) = dates_in(text);
            assert!(found.is_empty() && unread.len() == 1, "{text}: {found:?} {unread:?}");
        }
        assert_eq!(date("2014 was een jaar van veranderingen"), "2014");
        assert_eq!(date("in 1850 begon het"), "1850");
    }

    #[test]
    fn two_dates_joined_by_a_slash_a_dash_tot_or_tussen_en_are_an_interval() {
        assert_eq!(date("in de periode 2014 - 2015"), "2014/2015");
        assert_eq!(date("in het schooljaar 2016/2017"), "2016/2017");
        assert_eq!(date("in 2016/17"), "2016/2017");
        assert_eq!(date("eind 2015/begin 2016"), "2015-36/2016-33");
        assert_eq!(date("tussen 2014 en 2016"), "2014/2016");
        assert_eq!(date("van 2014 tot 2016"), "2014/2016");
        assert_eq!(date("van maart 2014 tot en met juni 2015"), "2014-03/2015-06");
        // Two years named apart stay two dates.
        let (found, _) = dates_in("in 2015 en in 2016");
        assert_eq!(found.len(), 2);
    }

    #[test]
    fn spans_within_a_year_decades_quarters_and_one_of_two_dates_are_read_as_the_text_says() {
        assert_eq!(date("tussen januari en maart 2016"), "2016-01/2016-03");
        assert_eq!(date("in juni en juli 2016"), "2016-06/2016-07");
        assert_eq!(date("in maart-april 2016"), "2016-03/2016-04");
        assert_eq!(date("op 1 en 2 juni 2016"), "2016-06-01/2016-06-02");
        assert_eq!(date("tussen 1 en 3 juni 2016"), "2016-06-01/2016-06-03");
        assert_eq!(date("in het voorjaar en de zomer van 2016"), "2016-21/2016-22");
        assert_eq!(date("in de jaren 1990"), "199X");
        assert_eq!(date("in Q1 2016"), "2016-33");
        assert_eq!(date("in 2014—2015"), "2014/2015");
        for text in ["in 2015 of 2016", "eind 2015 of begin 2016"] {
            let (found, unread) = dates_in(text);
            assert!(found.is_empty() && unread.len() == 1, "{text}: {found:?} {unread:?}");
        }
        for text in ["tussen 2000 en 2500 gedetineerden", "uiterlijk 2015", "ná 2014"] {
            assert!(dates_in(text).0.is_empty(), "{text}");
        }
    }

    #[test]
    fn several_phrases_in_one_sentence_are_each_found_in_order() {
        let (found, _) = dates_in("In 2015 gebeurde dit ook en in 2016 gingen ten slotte ook de PI's dicht.");
        let dates: Vec<String> = found.iter().map(|f| f.date.to_string()).collect();
        assert_eq!(dates, ["2015", "2016"]);
        assert_eq!(found[0].text, "In 2015");
    }
}
