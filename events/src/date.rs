//! Partial dates in EDTF notation (ISO 8601-2, Extended Date/Time Format) and the interval of days each covers.

use std::cmp::Ordering;
use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How precise a [`PartialDate`] is; never more precise than its source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Precision {
    /// A whole calendar year: `2015`.
    Year,
    /// A season, EDTF sub-year groupings 21 to 24: `2016-23` is autumn 2016.
    Season(Season),
    /// A quarter, EDTF sub-year groupings 33 to 36: `2015-36` is the fourth quarter of 2015.
    Quarter(u8),
    /// A calendar month: `2013-05`.
    Month,
    /// A calendar day: `2013-07-04`.
    Day,
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
    /// The text is not of the shape `YYYY`, `YYYY-MM` or `YYYY-MM-DD` with an optional qualifier.
    #[error("`{0}` is not an EDTF date (expected YYYY, YYYY-MM, YYYY-MM-DD, a season YYYY-21..24 or a quarter YYYY-33..36, optionally followed by ?, ~ or %)")]
    Syntax(String),
    /// The month is not 01 to 12, nor a season (21 to 24), nor a quarter (33 to 36).
    #[error("`{0}` has no month or sub-year grouping {1:02}")]
    Month(String, u8),
    /// The day does not exist in that month (`2013-02-30`, `2015-02-29`).
    #[error("`{0}` is not a calendar day")]
    Impossible(String),
}

/// A date as precise as its source: a year, season, quarter, month or day, with an EDTF qualifier.
///
/// Stored as written (`2015` stays `2015` everywhere) and compared as the closed interval of calendar days it
/// covers: `2013` covers 2013-01-01 to 2013-12-31, `2016-23` covers 2016-09-01 to 2016-11-30.
/// Qualifiers do not widen the interval; they are kept and shown.
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
    /// Parses EDTF text: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, seasons `YYYY-21` to `YYYY-24`, quarters `YYYY-33` to
    /// `YYYY-36`, each optionally followed by `?`, `~` or `%`. Years are 0000 to 9999.
    ///
    /// # Errors
    /// [`DateError`] names the text and what is wrong with it: its shape, its month, or a day that does not exist.
    pub fn parse(text: &str) -> Result<PartialDate, DateError> {
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
        check("2014-03~", "2014-03-01", "2014-03-31");
        check("2015?", "2015-01-01", "2015-12-31");
        check("2015%", "2015-01-01", "2015-12-31");
        check("2016-02-29", "2016-02-29", "2016-02-29");
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
        assert_eq!(PartialDate::parse("2013-21-01"), Err(DateError::Month("2013-21-01".into(), 21)));
        assert_eq!(PartialDate::parse("2013-04-31"), Err(DateError::Impossible("2013-04-31".into())));
        assert_eq!(PartialDate::parse("2013-04-00"), Err(DateError::Impossible("2013-04-00".into())));
        for bad in [
            "",
            "13",
            "2013-5",
            "2013/05",
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
