//! Deadlines as documents write them, and the due dates they produce.
//!
//! "完成时限:2024年5月" means the last day of May; "到2025年" the last day of 2025. A
//! recurring obligation (每半年, 6月30日和12月31日前) yields one due date per occurrence.

use crate::model::Schedule;
use chrono::{Datelike, NaiveDate};

/// A deadline at the precision it was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    Day(NaiveDate),
    Month { year: i32, month: u32 },
    Year(i32),
}

impl Deadline {
    /// Reads `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; the message says what is wrong.
    pub fn parse(text: &str) -> Result<Deadline, String> {
        let t = text.trim();
        let parts: Vec<&str> = t.split('-').collect();
        let num = |s: &str, what: &str| -> Result<u32, String> {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || s.len() > 4 {
                return Err(format!("`{t}` is not a date: {what} `{s}` is not a number"));
            }
            s.parse::<u32>()
                .map_err(|_| format!("`{t}` is not a date: bad {what}"))
        };
        let year = |s: &str| -> Result<i32, String> {
            if s.len() != 4 {
                return Err(format!(
                    "`{t}` is not a date: write the year with four digits (YYYY, YYYY-MM or YYYY-MM-DD)"
                ));
            }
            let y = num(s, "year")? as i32;
            if !(1900..=2200).contains(&y) {
                return Err(format!("`{t}`: the year {y} is out of range (1900–2200)"));
            }
            Ok(y)
        };
        match parts.as_slice() {
            [y] => Ok(Deadline::Year(year(y)?)),
            [y, m] => {
                let (year, month) = (year(y)?, num(m, "month")?);
                if !(1..=12).contains(&month) {
                    return Err(format!("`{t}`: there is no month {month}"));
                }
                Ok(Deadline::Month { year, month })
            }
            [y, m, d] => {
                let (year, month, day) = (year(y)?, num(m, "month")?, num(d, "day")?);
                if !(1..=12).contains(&month) {
                    return Err(format!("`{t}`: there is no month {month}"));
                }
                NaiveDate::from_ymd_opt(year, month, day)
                    .map(Deadline::Day)
                    .ok_or_else(|| {
                        format!(
                            "`{t}` is not a real day: {year}-{month:02} has {} days",
                            days_in_month(year, month)
                        )
                    })
            }
            _ => Err(format!(
                "`{t}` is not a date: write YYYY, YYYY-MM or YYYY-MM-DD"
            )),
        }
    }

    /// The last day on which the work is still on time.
    pub fn due(self) -> NaiveDate {
        match self {
            Deadline::Day(d) => d,
            Deadline::Month { year, month } => last_day_of_month(year, month),
            Deadline::Year(year) => last_day_of_month(year, 12),
        }
    }
}

/// Reads a month-day such as `06-30` for recurring deadlines.
pub fn parse_month_day(text: &str) -> Result<(u32, u32), String> {
    let t = text.trim();
    let (m, d) = t
        .split_once('-')
        .ok_or_else(|| format!("`{t}` is not a month-day: write MM-DD, e.g. 06-30"))?;
    let m: u32 = m
        .parse()
        .map_err(|_| format!("`{t}` is not a month-day: write MM-DD, e.g. 06-30"))?;
    let d: u32 = d
        .parse()
        .map_err(|_| format!("`{t}` is not a month-day: write MM-DD, e.g. 06-30"))?;
    // 2024 is a leap year, so 02-29 is accepted and falls on 02-28 in other years.
    if NaiveDate::from_ymd_opt(2024, m, d).is_none() {
        return Err(format!("`{t}` is not a day of the year"));
    }
    Ok((m, d))
}

fn days_in_month(year: i32, month: u32) -> u32 {
    last_day_of_month(year, month).day()
}

pub fn last_day_of_month(year: i32, month: u32) -> NaiveDate {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(ny, nm, 1)
        .and_then(|d| d.pred_opt())
        .expect("month in 1..=12 and year in range")
}

/// Every due date a schedule produces, in order; none for an ongoing task.
pub fn due_dates(schedule: &Schedule) -> Vec<NaiveDate> {
    match schedule {
        Schedule::Ongoing => Vec::new(),
        Schedule::Once(d) => vec![*d],
        Schedule::Every { days, from, until } => {
            let mut out = Vec::new();
            for year in from.year()..=until.year() {
                for &(m, d) in days {
                    let day = NaiveDate::from_ymd_opt(year, m, d)
                        .unwrap_or_else(|| last_day_of_month(year, m));
                    if day >= *from && day <= *until {
                        out.push(day);
                    }
                }
            }
            out.sort();
            out.dedup();
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_month_is_due_on_its_last_day() {
        assert_eq!(Deadline::parse("2024-05").unwrap().due(), day("2024-05-31"));
        assert_eq!(Deadline::parse("2024-02").unwrap().due(), day("2024-02-29"));
        assert_eq!(Deadline::parse("2023-02").unwrap().due(), day("2023-02-28"));
        assert_eq!(Deadline::parse("2024-12").unwrap().due(), day("2024-12-31"));
    }

    #[test]
    fn a_year_is_due_on_new_years_eve() {
        assert_eq!(Deadline::parse("2025").unwrap().due(), day("2025-12-31"));
    }

    #[test]
    fn a_day_is_due_that_day() {
        assert_eq!(
            Deadline::parse("2024-10-30").unwrap().due(),
            day("2024-10-30")
        );
    }

    #[test]
    fn impossible_dates_are_refused_with_the_reason() {
        let e = Deadline::parse("2024-02-30").unwrap_err();
        assert!(e.contains("2024-02 has 29 days"), "{e}");
        assert!(
            Deadline::parse("2023-02-29")
                .unwrap_err()
                .contains("28 days")
        );
        assert!(
            Deadline::parse("2024-13")
                .unwrap_err()
                .contains("no month 13")
        );
        assert!(
            Deadline::parse("24-05")
                .unwrap_err()
                .contains("four digits")
        );
        assert!(Deadline::parse("2024年5月").is_err());
        assert!(Deadline::parse("").is_err());
        assert!(Deadline::parse("2024-05-31-1").is_err());
        assert!(
            Deadline::parse("9999")
                .unwrap_err()
                .contains("out of range")
        );
    }

    #[test]
    fn half_year_reports_recur_within_the_period() {
        let s = Schedule::Every {
            days: vec![(6, 30), (12, 31)],
            from: day("2023-06-01"),
            until: day("2025-12-31"),
        };
        let got: Vec<String> = due_dates(&s).iter().map(|d| d.to_string()).collect();
        assert_eq!(
            got,
            [
                "2023-06-30",
                "2023-12-31",
                "2024-06-30",
                "2024-12-31",
                "2025-06-30",
                "2025-12-31"
            ]
        );
    }

    #[test]
    fn occurrences_before_the_start_are_not_due() {
        let s = Schedule::Every {
            days: vec![(12, 31), (6, 30)],
            from: day("2023-07-01"),
            until: day("2024-12-30"),
        };
        let got: Vec<String> = due_dates(&s).iter().map(|d| d.to_string()).collect();
        assert_eq!(got, ["2023-12-31", "2024-06-30"]);
    }

    #[test]
    fn february_29_falls_back_in_common_years() {
        let s = Schedule::Every {
            days: vec![(2, 29)],
            from: day("2023-01-01"),
            until: day("2024-12-31"),
        };
        let got: Vec<String> = due_dates(&s).iter().map(|d| d.to_string()).collect();
        assert_eq!(got, ["2023-02-28", "2024-02-29"]);
    }

    #[test]
    fn month_days_are_checked() {
        assert_eq!(parse_month_day("06-30").unwrap(), (6, 30));
        assert!(parse_month_day("06-31").is_err());
        assert!(parse_month_day("0630").is_err());
        assert!(parse_month_day("xx-01").is_err());
    }

    #[test]
    fn ongoing_tasks_have_no_due_date() {
        assert!(due_dates(&Schedule::Ongoing).is_empty());
    }
}
