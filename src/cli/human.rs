//! Partial dates, amounts and codes written for people, in English.

use events::{MotionResult, PartialDate, Precision, Qualifier, Season, Stance, Verdict, Votes};

const MONTHS: [&str; 12] = [
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

/// A partial date in its own precision: `May 2013`, `4 July 2013`, `2015`, `autumn 2016`, `Q4 2015`,
/// `c. 2015` for `~`, `2015?` for `?`.
pub fn date(d: &PartialDate) -> String {
    let start = d.start();
    let year = start.year();
    let text = match d.precision() {
        Precision::Year => format!("{year:04}"),
        Precision::Month => format!("{} {year:04}", MONTHS[start.month() as usize - 1]),
        Precision::Day => format!("{} {} {year:04}", start.day(), MONTHS[start.month() as usize - 1]),
        Precision::Season(s) => {
            let name = match s {
                Season::Spring => "spring",
                Season::Summer => "summer",
                Season::Autumn => "autumn",
                Season::Winter => "winter",
            };
            format!("{name} {year:04}")
        }
        Precision::Quarter(q) => format!("Q{q} {year:04}"),
    };
    match d.qualifier() {
        Qualifier::Exact => text,
        Qualifier::Approximate => format!("c. {text}"),
        Qualifier::Uncertain => format!("{text}?"),
        Qualifier::UncertainApproximate => format!("c. {text}?"),
    }
}

/// An amount in minor units with thousands separators: `EUR 1,595,000`, `EUR 12.50`.
pub fn amount(cents: i64, currency: &str) -> String {
    let major = cents.unsigned_abs() / 100;
    let minor = cents.unsigned_abs() % 100;
    let digits = major.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if cents < 0 { "-" } else { "" };
    if minor == 0 {
        format!("{currency} {sign}{grouped}")
    } else {
        format!("{currency} {sign}{grouped}.{minor:02}")
    }
}

/// A stance in words.
pub fn stance(s: Stance) -> &'static str {
    match s {
        Stance::Adopted => "adopted",
        Stance::AdoptedWithReservations => "adopted with reservations",
        Stance::PartiallyAdopted => "partially adopted",
        Stance::Rejected => "rejected",
    }
}

/// A verdict in words.
pub fn verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::NotImplemented => "not implemented",
        Verdict::InProgress => "in progress",
        Verdict::PartiallyImplemented => "partially implemented",
        Verdict::Implemented => "implemented",
        Verdict::NoLongerRelevant => "no longer relevant",
    }
}

/// A motion's result and vote in words: `adopted unanimously`, `rejected 12-30`.
pub fn motion(result: MotionResult, votes: Option<&Votes>) -> String {
    let r = match result {
        MotionResult::Adopted => "adopted",
        MotionResult::Rejected => "rejected",
        MotionResult::Withdrawn => "withdrawn",
    };
    match votes {
        Some(Votes::Unanimous(_)) => format!("{r} unanimously"),
        Some(Votes::Counted(c)) => format!("{r} {}-{}", c.in_favour, c.against),
        None => r.to_owned(),
    }
}

/// The executive's claim in words.
pub fn claim(c: events::Claim) -> &'static str {
    match c {
        events::Claim::Done => "says done",
        events::Claim::InProgress => "says in progress",
        events::Claim::NotStarted => "says not started",
    }
}

/// An event type in words: `status_assessed` -> `status assessed`.
pub fn kind(type_name: &str) -> String {
    type_name.replace('_', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_keep_their_precision() {
        let d = |s: &str| date(&s.parse().unwrap());
        assert_eq!(d("2013-05"), "May 2013");
        assert_eq!(d("2013-07-04"), "4 July 2013");
        assert_eq!(d("2015"), "2015");
        assert_eq!(d("2016-23"), "autumn 2016");
        assert_eq!(d("2015-36"), "Q4 2015");
        assert_eq!(d("2015~"), "c. 2015");
        assert_eq!(d("2014-03?"), "March 2014?");
    }

    #[test]
    fn amounts_are_grouped() {
        assert_eq!(amount(159_500_000, "EUR"), "EUR 1,595,000");
        assert_eq!(amount(1250, "EUR"), "EUR 12.50");
        assert_eq!(amount(-48_000_000, "EUR"), "EUR -480,000");
        assert_eq!(amount(0, "EUR"), "EUR 0");
    }
}
