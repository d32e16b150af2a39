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
        _ => return None,
    })
}

static YEAR: LazyLock<Regex> = LazyLock::new(|| {
    // A year of this era standing alone (or ending "mid-"): not a part of an amount (1.355.000), a code (Top600)
    // or a longer number; optionally a second year after a dash, a span.
    Regex::new(r"(?:^|[^\p{L}\p{N}.,€])((?:19|20)\d\d)(?:[-–]((?:19|20)\d\d))?(?:$|[^\p{L}\p{N}]|[.,][^\p{N}]|[.,]$)")
        .unwrap()
});

/// The last words of `text` (at most `n`), each with its byte offset, lowercased and without brackets and
/// commas around it.
fn last_words(text: &str, n: usize) -> Vec<(usize, String)> {
    let mut words: Vec<(usize, String)> = Vec::new();
    let mut end = text.len();
    for (i, c) in text.char_indices().rev() {
        if c.is_whitespace() {
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
const BOUNDS: [&str; 9] = ["tot", "until", "till", "voor", "vóór", "vòòr", "before", "na", "after"];
const PREPOSITIONS: [&str; 9] = ["in", "sinds", "vanaf", "per", "op", "since", "from", "on", "at"];

/// The date phrases of `text`, in order, and the time phrases it met but did not read as a fact's date.
///
/// A year alone is the year (`2014`); a month and year the month; a day, month and year the day; `2014-2015` an
/// interval. Before the year may stand a grouping (begin, eind, najaar, eerste helft, ...: the README table) and
/// a qualifier (rond `~`, waarschijnlijk `?`). "vóór 2014", "tot 2018", "na 2014" are returned as unread: they
/// bound a time rather than date a fact.
pub fn dates_in(text: &str) -> (Vec<DatePhrase>, Vec<Unread>) {
    let mut found = Vec::new();
    let mut unread = Vec::new();
    for m in YEAR.captures_iter(text) {
        let year = m.get(1).expect("group 1");
        let second = m.get(2);
        let year_end = second.map_or(year.end(), |s| s.end());
        let mid = text[..year.start()].ends_with("mid-");
        let words = last_words(&text[..year.start()], 7);
        // Read right to left: a day and month, a grouping with its filler, a qualifier, a preposition.
        let mut i = 0;
        let mut phrase_start = if mid { year.start() - 4 } else { year.start() };
        let word = |i: usize| words.get(i).map(|(_, w)| w.as_str());
        let at = |i: usize| words.get(i).map_or(0, |(a, _)| *a);
        let (mut month_n, mut day, mut group) = (None, None, if mid { Some(38) } else { None });
        if !mid {
            if let Some(mo) = word(i).and_then(month) {
                month_n = Some(mo);
                phrase_start = at(i);
                i += 1;
                if let Some(d) = word(i).and_then(|w| w.parse::<u8>().ok()).filter(|d| (1..=31).contains(d)) {
                    day = Some(d);
                    phrase_start = at(i);
                    i += 1;
                }
            }
            if day.is_none() {
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
                if group.is_some() && word(i).is_some_and(|w| ["het", "de", "the"].contains(&w)) {
                    phrase_start = at(i);
                    i += 1;
                }
            }
        }
        let mut suffix = "";
        let mut bound = false;
        if let Some(w) = word(i) {
            if APPROXIMATE.contains(&w) {
                suffix = "~";
                phrase_start = at(i);
            } else if UNCERTAIN.contains(&w) {
                suffix = "?";
                phrase_start = at(i);
            } else if BOUNDS.contains(&w) || (w == "in" && word(i + 1) == Some("tot")) {
                bound = true;
                let back = if w == "in" { i + 1 } else { i };
                phrase_start = at(back);
            } else if PREPOSITIONS.contains(&w) {
                phrase_start = at(i);
                i += 1;
                if word(i).is_some_and(|w| BOUNDS.contains(&w)) {
                    bound = true;
                    phrase_start = at(i);
                }
            }
        }
        let phrase = text[phrase_start..year_end].to_owned();
        if bound {
            unread.push(Unread { text: phrase, why: "bounds a time (before, until, after): dates no fact" });
            continue;
        }
        let y = year.as_str();
        let edtf = match (second, group, month_n, day) {
            (Some(s), None, None, _) => format!("{y}{suffix}/{}{suffix}", s.as_str()),
            (Some(_), ..) => {
                unread.push(Unread { text: phrase, why: "a span whose ends are not plain years" });
                continue;
            }
            (None, _, Some(mo), Some(d)) => format!("{y}-{mo:02}-{d:02}{suffix}"),
            // "begin juni 2016": the month is the precision the text gives.
            (None, _, Some(mo), None) => format!("{y}-{mo:02}{suffix}"),
            (None, Some(code), None, _) => format!("{y}-{code}{suffix}"),
            (None, None, None, _) => format!("{y}{suffix}"),
        };
        match PartialDate::parse(&edtf) {
            Ok(date) => found.push(DatePhrase { start: phrase_start, end: year_end, text: phrase, date }),
            Err(_) => unread.push(Unread { text: phrase, why: "not a calendar date" }),
        }
    }
    (found, unread)
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
    fn several_phrases_in_one_sentence_are_each_found_in_order() {
        let (found, _) = dates_in("In 2015 gebeurde dit ook en in 2016 gingen ten slotte ook de PI's dicht.");
        let dates: Vec<String> = found.iter().map(|f| f.date.to_string()).collect();
        assert_eq!(dates, ["2015", "2016"]);
        assert_eq!(found[0].text, "In 2015");
    }
}
