//! Partial dates in EDTF notation (ISO 8601-2, Extended Date/Time Format) and the interval of days each covers.

use std::cmp::Ordering;
use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How precise a [`PartialDate`] is; never more precise than its source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Precision {
    /// A century, its last two year digits unspecified: `19XX` is 1900 to 1999.
    Century,
    /// A decade, its last year digit unspecified: `199X` is 1990 to 1999.
    Decade,
    /// A whole calendar year: `2015`, or `2015-XX` and `2015-XX-XX` (month unspecified).
    Year,
    /// A season, EDTF sub-year groupings 21 to 24: `2016-23` is autumn 2016.
    Season(Season),
    /// A quarter, EDTF sub-year groupings 33 to 36: `2015-36` is the fourth quarter of 2015.
    Quarter(u8),
    /// A quadrimester (third of a year), EDTF sub-year groupings 37 to 39: `2014-38` is May to August 2014.
    Quadrimester(u8),
    /// A semester (half-year), EDTF sub-year groupings 40 and 41: `2016-40` is January to June 2016.
    Semester(u8),
    /// A calendar month: `2013-05`, or `1989-11-XX` (day unspecified).
    Month,
    /// A calendar day: `2013-07-04`.
    Day,
    /// An interval of two such dates, `START/END`: `2011/2012`, `2004-06~/2006-08`. Its ends are
    /// [`PartialDate::ends`].
    Interval,
}

/// A season of the (northern hemisphere, meteorological) year.
///
/// EDTF names the seasons (codes 21 to 24) but not their months; this crate uses the meteorological seasons:
/// spring March to May, summer June to August, autumn September to November, winter December of the year to
/// February of the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Season {
    /// March to May (EDTF code 21).
    Spring,
    /// June to August (EDTF code 22).
    Summer,
    /// September to November (EDTF code 23).
    Autumn,
    /// December to February of the next year (EDTF code 24).
    Winter,
}

/// The EDTF qualifier written after a date: none, `?` (uncertain), `~` (approximate) or `%` (both).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Qualifier {
    /// No qualifier.
    Exact,
    /// `?`: the source is not sure of the date.
    Uncertain,
    /// `~`: the date is approximately right ("circa").
    Approximate,
    /// `%`: uncertain and approximate.
    UncertainApproximate,
}

/// Why a text is not a partial date this crate accepts.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DateError {
    /// The text is not of an accepted shape.
    #[error("`{0}` is not an EDTF date (expected YYYY, YYYY-MM or YYYY-MM-DD, a season YYYY-21..24, a quarter YYYY-33..36, a quadrimester YYYY-37..39, a semester YYYY-40..41, unspecified digits such as 199X, 19XX, 2004-XX or 1989-11-XX, each optionally followed by ?, ~ or %; or an interval START/END of two such dates, such as 2011/2012)")]
    Syntax(String),
    /// The month is not 01 to 12, nor a season (21 to 24), a quarter (33 to 36), a quadrimester (37 to 39) or a
    /// semester (40, 41).
    #[error("`{0}` has no month or sub-year grouping {1:02}")]
    Month(String, u8),
    /// The day does not exist in that month (`2013-02-30`, `2015-02-29`).
    #[error("`{0}` is not a calendar day")]
    Impossible(String),
    /// An interval whose end certainly lies before its start (`2013/2012`): its end's last day is before its
    /// start's first day.
    #[error("`{0}` ends before it starts: an interval is START/END with END no earlier than START")]
    Reversed(String),
    /// An interval with an open (`..`) or unknown (empty) end, EDTF level 1 forms this crate does not accept:
    /// a fact in a follow-up has happened, so both ends are known at least to the year.
    #[error(
        "`{0}` has an open or unknown end: an interval here needs both ends as dates (2011/2012, not 2011/.. or /2012)"
    )]
    OpenEnd(String),
}

/// A date as precise as its source, in EDTF level 1 (ISO 8601-2): a century or decade (unspecified digits), a
/// year, season, quarter, quadrimester, semester (EDTF level 2 sub-year groupings 33 to 41), month or day, with an EDTF qualifier; or an interval of two such dates.
///
/// Stored as written (`2015` stays `2015` everywhere) and compared as the closed interval of calendar days it
/// covers: `2013` covers 2013-01-01 to 2013-12-31, `2016-23` covers 2016-09-01 to 2016-11-30, `199X` covers
/// 1990-01-01 to 1999-12-31, `2011/2012-06` covers 2011-01-01 to 2012-06-30.
/// Qualifiers do not widen the interval; they are kept and shown.
///
/// Not accepted, although EDTF level 1 has them: years before 0000 or after 9999 (`-1985`, `Y170000002`), and
/// intervals with an open or unknown end (`2011/..`, `/2012`).
///
/// Ordering ([`Ord`]) is by the interval's first day, then its last day, then the text, so a year sorts before
/// the months it contains and an exact date before the same date with a qualifier.
///
/// ```
/// use events::PartialDate;
/// let d: PartialDate = "2016-23".parse().unwrap();
/// assert_eq!(d.start().to_string(), "2016-09-01");
/// assert_eq!(d.end().to_string(), "2016-11-30");
/// assert_eq!(d.to_string(), "2016-23");
/// assert!("2013-02-30".parse::<PartialDate>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PartialDate {
    text: Box<str>,
    start: Date,
    end: Date,
    precision: Precision,
    qualifier: Qualifier,
}

impl PartialDate {
    /// Parses EDTF level 1 text: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, seasons `YYYY-21` to `YYYY-24`, quarters
    /// `YYYY-33` to `YYYY-36`, quadrimesters `YYYY-37` to `YYYY-39` (January to April, May to August,
    /// September to December), semesters `YYYY-40` and `YYYY-41` (January to June, July to December), unspecified digits from the right (`199X`, `19XX`, `2004-XX`, `1985-04-XX`,
    /// `1985-XX-XX`), each optionally followed by `?`, `~` or `%`; or an interval `START/END` of two of them
    /// (`2011/2012`, `2004-06~/2006-08`). Years are 0000 to 9999.
    ///
    /// # Errors
    /// [`DateError`] names the text and what is wrong with it: its shape, its month, a day that does not exist,
    /// an interval that ends before it starts or has an open end.
    pub fn parse(text: &str) -> Result<PartialDate, DateError> {
        let Some((from, to)) = text.split_once('/') else {
            return PartialDate::parse_single(text);
        };
        if from.is_empty() || to.is_empty() || from == ".." || to == ".." {
            return Err(DateError::OpenEnd(text.to_owned()));
        }
        let side = |part: &str| {
            PartialDate::parse_single(part).map_err(|e| match e {
                DateError::Month(_, m) => DateError::Month(text.to_owned(), m),
                DateError::Impossible(_) => DateError::Impossible(text.to_owned()),
                _ => DateError::Syntax(text.to_owned()),
            })
        };
        let (a, b) = (side(from)?, side(to)?);
        // Refused only when the end certainly lies before the start: `2011/201X` may end in 2019.
        if b.end < a.start {
            return Err(DateError::Reversed(text.to_owned()));
        }
        let uncertain = [a.qualifier, b.qualifier]
            .iter()
            .any(|q| matches!(q, Qualifier::Uncertain | Qualifier::UncertainApproximate));
        let approximate = [a.qualifier, b.qualifier]
            .iter()
            .any(|q| matches!(q, Qualifier::Approximate | Qualifier::UncertainApproximate));
        let qualifier = match (uncertain, approximate) {
            (false, false) => Qualifier::Exact,
            (true, false) => Qualifier::Uncertain,
            (false, true) => Qualifier::Approximate,
            (true, true) => Qualifier::UncertainApproximate,
        };
        Ok(PartialDate { text: text.into(), start: a.start, end: b.end, precision: Precision::Interval, qualifier })
    }

    /// The two ends of an interval (`2011/2012` gives `2011` and `2012`), or `None` for a single date.
    pub fn ends(&self) -> Option<(PartialDate, PartialDate)> {
        let (from, to) = self.text.split_once('/')?;
        Some((PartialDate::parse_single(from).ok()?, PartialDate::parse_single(to).ok()?))
    }

    /// One date, not an interval.
    fn parse_single(text: &str) -> Result<PartialDate, DateError> {
        let syntax = || DateError::Syntax(text.to_owned());
        let (body, qualifier) = match text.as_bytes().last() {
            Some(b'?') => (&text[..text.len() - 1], Qualifier::Uncertain),
            Some(b'~') => (&text[..text.len() - 1], Qualifier::Approximate),
            Some(b'%') => (&text[..text.len() - 1], Qualifier::UncertainApproximate),
            _ => (text, Qualifier::Exact),
        };
        let b = body.as_bytes();
        let digits = |s: &[u8]| -> Option<u16> {
            s.iter().try_fold(0u16, |acc, c| c.is_ascii_digit().then(|| acc * 10 + u16::from(c - b'0')))
        };
        if !(b.len() == 4 || b.len() == 7 || b.len() == 10) {
            return Err(syntax());
        }
        // Unspecified digits (EDTF level 1) stand for the last digits of the year, or for the month and day, or
        // the day: the date then covers the decade, century, year or month.
        if b.contains(&b'X') {
            let dashes = b.len() == 4 || (b[4] == b'-' && (b.len() == 7 || b[7] == b'-'));
            if !dashes {
                return Err(syntax());
            }
            let unspecified = |s: &[u8]| s.iter().all(|c| *c == b'X');
            let (from, to, precision) = match b.len() {
                4 if unspecified(&b[2..]) => {
                    let c = i16::try_from(digits(&b[..2]).ok_or_else(syntax)?).map_err(|_| syntax())? * 100;
                    (c, c + 99, Precision::Century)
                }
                4 if b[3] == b'X' => {
                    let d = i16::try_from(digits(&b[..3]).ok_or_else(syntax)?).map_err(|_| syntax())? * 10;
                    (d, d + 9, Precision::Decade)
                }
                7 if unspecified(&b[5..7]) => {
                    let y = i16::try_from(digits(&b[..4]).ok_or_else(syntax)?).map_err(|_| syntax())?;
                    (y, y, Precision::Year)
                }
                10 if unspecified(&b[5..7]) && unspecified(&b[8..10]) => {
                    let y = i16::try_from(digits(&b[..4]).ok_or_else(syntax)?).map_err(|_| syntax())?;
                    (y, y, Precision::Year)
                }
                10 if unspecified(&b[8..10]) => {
                    let month = PartialDate::parse_single(&body[..7]).map_err(|e| match e {
                        DateError::Month(_, m) => DateError::Month(text.to_owned(), m),
                        _ => syntax(),
                    })?;
                    if month.precision != Precision::Month {
                        return Err(DateError::Month(text.to_owned(), digits(&b[5..7]).unwrap_or(0) as u8));
                    }
                    return Ok(PartialDate { text: text.into(), qualifier, ..month });
                }
                _ => return Err(syntax()),
            };
            let start = Date::new(from, 1, 1).map_err(|_| syntax())?;
            let end = Date::new(to, 12, 31).map_err(|_| syntax())?;
            return Ok(PartialDate { text: text.into(), start, end, precision, qualifier });
        }
        let year = digits(&b[..4]).ok_or_else(syntax)?;
        let year = i16::try_from(year).map_err(|_| syntax())?;
        let first = |m: i8, d: i8| Date::new(year, m, d).map_err(|_| DateError::Impossible(text.to_owned()));
        let (start, end, precision) = if b.len() == 4 {
            (first(1, 1)?, first(12, 31)?, Precision::Year)
        } else {
            if b[4] != b'-' {
                return Err(syntax());
            }
            let mm = digits(&b[5..7]).ok_or_else(syntax)? as u8;
            if b.len() == 10 {
                if b[7] != b'-' {
                    return Err(syntax());
                }
                let dd = digits(&b[8..10]).ok_or_else(syntax)? as u8;
                if !(1..=12).contains(&mm) {
                    return Err(DateError::Month(text.to_owned(), mm));
                }
                let day = first(mm as i8, dd as i8)?;
                (day, day, Precision::Day)
            } else {
                match mm {
                    1..=12 => {
                        let start = first(mm as i8, 1)?;
                        (start, start.last_of_month(), Precision::Month)
                    }
                    21..=24 => {
                        let (season, from, to) = match mm {
                            21 => (Season::Spring, first(3, 1)?, first(5, 31)?),
                            22 => (Season::Summer, first(6, 1)?, first(8, 31)?),
                            23 => (Season::Autumn, first(9, 1)?, first(11, 30)?),
                            _ => {
                                let next = year.checked_add(1).filter(|y| *y <= 9999).ok_or_else(syntax)?;
                                let feb = Date::new(next, 2, 1).map_err(|_| syntax())?;
                                (Season::Winter, first(12, 1)?, feb.last_of_month())
                            }
                        };
                        (from, to, Precision::Season(season))
                    }
                    33..=36 => {
                        let q = mm - 32;
                        let from = first(((q - 1) * 3 + 1) as i8, 1)?;
                        let to = first((q * 3) as i8, 1)?.last_of_month();
                        (from, to, Precision::Quarter(q))
                    }
                    37..=39 => {
                        let q = mm - 36;
                        let from = first(((q - 1) * 4 + 1) as i8, 1)?;
                        let to = first((q * 4) as i8, 1)?.last_of_month();
                        (from, to, Precision::Quadrimester(q))
                    }
                    40 | 41 => {
                        let h = mm - 39;
                        let from = first(((h - 1) * 6 + 1) as i8, 1)?;
                        let to = first((h * 6) as i8, 1)?.last_of_month();
                        (from, to, Precision::Semester(h))
                    }
                    _ => return Err(DateError::Month(text.to_owned(), mm)),
                }
            }
        };
        Ok(PartialDate { text: text.into(), start, end, precision, qualifier })
    }

    /// The date as written, in EDTF.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The first calendar day the date covers.
    pub fn start(&self) -> Date {
        self.start
    }

    /// The last calendar day the date covers (inclusive).
    pub fn end(&self) -> Date {
        self.end
    }

    /// How precise the date is.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// The EDTF qualifier.
    pub fn qualifier(&self) -> Qualifier {
        self.qualifier
    }

    /// Whether the date certainly lies on or before `day`: its whole interval ends by then.
    pub fn certainly_by(&self, day: Date) -> bool {
        self.end <= day
    }
}

impl Ord for PartialDate {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.start, self.end, &self.text).cmp(&(other.start, other.end, &other.text))
    }
}

impl PartialOrd for PartialDate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::str::FromStr for PartialDate {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PartialDate::parse(s)
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for PartialDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for PartialDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        PartialDate::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, start: &str, end: &str) {
        let d = PartialDate::parse(text).unwrap();
        assert_eq!((d.start().to_string().as_str(), d.end().to_string().as_str()), (start, end), "{text}");
        assert_eq!(d.as_str(), text);
    }

    #[test]
    fn intervals_of_each_precision() {
        check("2013", "2013-01-01", "2013-12-31");
        check("2013-05", "2013-05-01", "2013-05-31");
        check("2016-02", "2016-02-01", "2016-02-29");
        check("2013-07-04", "2013-07-04", "2013-07-04");
        check("2016-21", "2016-03-01", "2016-05-31");
        check("2016-22", "2016-06-01", "2016-08-31");
        check("2016-23", "2016-09-01", "2016-11-30");
        check("2015-24", "2015-12-01", "2016-02-29");
        check("2015-33", "2015-01-01", "2015-03-31");
        check("2015-34", "2015-04-01", "2015-06-30");
        check("2015-35", "2015-07-01", "2015-09-30");
        check("2015-36", "2015-10-01", "2015-12-31");
        check("2014-37", "2014-01-01", "2014-04-30");
        check("2014-38", "2014-05-01", "2014-08-31");
        check("2014-39", "2014-09-01", "2014-12-31");
        check("2016-40", "2016-01-01", "2016-06-30");
        check("2016-41", "2016-07-01", "2016-12-31");
        check("2016-41~", "2016-07-01", "2016-12-31");
        check("2014-03~", "2014-03-01", "2014-03-31");
        check("2015?", "2015-01-01", "2015-12-31");
        check("2015%", "2015-01-01", "2015-12-31");
        check("2016-02-29", "2016-02-29", "2016-02-29");
    }

    #[test]
    fn unspecified_digits_cover_their_decade_century_year_or_month() {
        check("199X", "1990-01-01", "1999-12-31");
        check("19XX", "1900-01-01", "1999-12-31");
        check("2004-XX", "2004-01-01", "2004-12-31");
        check("1985-XX-XX", "1985-01-01", "1985-12-31");
        check("1989-11-XX", "1989-11-01", "1989-11-30");
        check("2016-02-XX", "2016-02-01", "2016-02-29");
        check("201X~", "2010-01-01", "2019-12-31");
        let p = |t: &str| PartialDate::parse(t).unwrap().precision();
        assert_eq!(
            [p("199X"), p("19XX"), p("2004-XX"), p("1985-XX-XX"), p("1989-11-XX")],
            [Precision::Decade, Precision::Century, Precision::Year, Precision::Year, Precision::Month]
        );
        assert_eq!(PartialDate::parse("201X?").unwrap().qualifier(), Qualifier::Uncertain);
        for bad in ["1XXX", "XXXX", "19X5", "2004-X5", "2004-1X", "2004-XX-05", "1985-04-X1", "199x", "199X-05"] {
            assert!(matches!(PartialDate::parse(bad), Err(DateError::Syntax(_))), "{bad:?}");
        }
        assert_eq!(PartialDate::parse("1989-13-XX"), Err(DateError::Month("1989-13-XX".into(), 13)));
        assert_eq!(PartialDate::parse("1989-23-XX"), Err(DateError::Month("1989-23-XX".into(), 23)));
    }

    #[test]
    fn intervals_cover_from_the_start_of_their_first_end_to_the_end_of_their_last() {
        check("2011/2012", "2011-01-01", "2012-12-31");
        check("2004-06/2006-08", "2004-06-01", "2006-08-31");
        check("2004-02-01/2005-02", "2004-02-01", "2005-02-28");
        check("1989-11/199X", "1989-11-01", "1999-12-31");
        check("2013/2013", "2013-01-01", "2013-12-31");
        // An end that may lie later than the start is no reversal: its days run from the first end's first day.
        check("2011/201X", "2011-01-01", "2019-12-31");
        check("2011-06/2011-XX", "2011-06-01", "2011-12-31");
        check("2013/2013-05", "2013-01-01", "2013-05-31");
        let d = PartialDate::parse("2004-06~/2006-08").unwrap();
        assert_eq!((d.precision(), d.qualifier()), (Precision::Interval, Qualifier::Approximate));
        let (a, b) = d.ends().unwrap();
        assert_eq!((a.as_str(), a.qualifier(), b.as_str()), ("2004-06~", Qualifier::Approximate, "2006-08"));
        assert_eq!(PartialDate::parse("2011?/2012~").unwrap().qualifier(), Qualifier::UncertainApproximate);
        assert_eq!(PartialDate::parse("2011").unwrap().ends(), None);
        assert!(PartialDate::parse("2011/2012").unwrap().certainly_by("2012-12-31".parse().unwrap()));
        assert!(!PartialDate::parse("2011/2012").unwrap().certainly_by("2012-12-30".parse().unwrap()));
    }

    #[test]
    fn intervals_reversed_open_or_malformed_are_refused() {
        assert_eq!(PartialDate::parse("2013/2012"), Err(DateError::Reversed("2013/2012".into())));
        assert_eq!(PartialDate::parse("2013-05/2013-04"), Err(DateError::Reversed("2013-05/2013-04".into())));
        assert_eq!(PartialDate::parse("2014/2013-12"), Err(DateError::Reversed("2014/2013-12".into())));
        for open in ["2011/..", "../2012", "/2012", "2011/", "/"] {
            assert_eq!(PartialDate::parse(open), Err(DateError::OpenEnd(open.into())), "{open:?}");
        }
        assert_eq!(PartialDate::parse("2011/2012-13"), Err(DateError::Month("2011/2012-13".into(), 13)));
        assert_eq!(PartialDate::parse("2011-02-30/2012"), Err(DateError::Impossible("2011-02-30/2012".into())));
        for bad in ["2011/2012/2013", "2011 /2012", "2011/2012?x", "2011-2012"] {
            assert!(matches!(PartialDate::parse(bad), Err(DateError::Syntax(_))), "{bad:?}");
        }
    }

    #[test]
    fn qualifiers_and_precision_are_kept() {
        let d = PartialDate::parse("2014-03~").unwrap();
        assert_eq!((d.precision(), d.qualifier()), (Precision::Month, Qualifier::Approximate));
        let d = PartialDate::parse("2016-23?").unwrap();
        assert_eq!((d.precision(), d.qualifier()), (Precision::Season(Season::Autumn), Qualifier::Uncertain));
        assert_eq!(PartialDate::parse("2015-36").unwrap().precision(), Precision::Quarter(4));
    }

    #[test]
    fn impossible_and_malformed_dates_are_rejected() {
        assert_eq!(PartialDate::parse("2013-02-30"), Err(DateError::Impossible("2013-02-30".into())));
        assert_eq!(PartialDate::parse("2015-02-29"), Err(DateError::Impossible("2015-02-29".into())));
        assert_eq!(PartialDate::parse("2013-13"), Err(DateError::Month("2013-13".into(), 13)));
        assert_eq!(PartialDate::parse("2013-25"), Err(DateError::Month("2013-25".into(), 25)));
        assert_eq!(PartialDate::parse("2013-00"), Err(DateError::Month("2013-00".into(), 0)));
        assert_eq!(PartialDate::parse("2013-42"), Err(DateError::Month("2013-42".into(), 42)));
        assert_eq!(PartialDate::parse("2013-32"), Err(DateError::Month("2013-32".into(), 32)));
        assert_eq!(PartialDate::parse("2013-21-01"), Err(DateError::Month("2013-21-01".into(), 21)));
        assert_eq!(PartialDate::parse("2013-04-31"), Err(DateError::Impossible("2013-04-31".into())));
        assert_eq!(PartialDate::parse("2013-04-00"), Err(DateError::Impossible("2013-04-00".into())));
        for bad in [
            "",
            "13",
            "2013-5",
            "2013-05-1",
            "20130504",
            " 2013",
            "2013 ",
            "2013~~",
            "2013-05-04T00",
            "+2013",
            "-2013",
            "２０１３",
            "9999-24",
        ] {
            assert!(matches!(PartialDate::parse(bad), Err(DateError::Syntax(_))), "{bad:?}");
        }
    }

    #[test]
    fn order_is_start_then_end_then_text() {
        let mut v: Vec<PartialDate> = ["2013-07-04", "2013", "2013-05", "2013-23", "2013-05~", "2013-05-01", "2012-24"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        v.sort();
        let got: Vec<&str> = v.iter().map(|d| d.as_str()).collect();
        assert_eq!(got, ["2012-24", "2013", "2013-05-01", "2013-05", "2013-05~", "2013-07-04", "2013-23"]);
    }
}
