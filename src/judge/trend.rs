//! Will the target be met by its deadline at the current pace?
//!
//! In the spirit of the progress assessment used for the SDG indicators: compare the growth
//! observed since the start (the baseline, or the first observation) with the growth needed
//! from the start to reach the target by the deadline. Their ratio classifies the pace:
//! at least 0.95 on track, at least 0.60 needs acceleration, below that off track.

use crate::model::Growth;
use chrono::{Duration, NaiveDate};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pace {
    Achieved,
    OnTrack,
    NeedsAcceleration,
    OffTrack,
}

impl Pace {
    pub fn as_str(self) -> &'static str {
        match self {
            Pace::Achieved => "achieved",
            Pace::OnTrack => "on_track",
            Pace::NeedsAcceleration => "needs_acceleration",
            Pace::OffTrack => "off_track",
        }
    }
}

pub const ON_TRACK: f64 = 0.95;
pub const NEEDS_ACCELERATION: f64 = 0.60;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    /// None for a standing norm without a deadline: there is no required pace.
    pub pace: Option<Pace>,
    /// Observed growth over required growth.
    pub ratio: Option<f64>,
    /// The value the current pace gives at the deadline.
    pub projected: Option<f64>,
    /// When the current pace reaches the goal; None if it never does.
    pub reaches_on: Option<NaiveDate>,
}

fn years(from: NaiveDate, to: NaiveDate) -> f64 {
    (to - from).num_days() as f64 / 365.25
}

fn after(from: NaiveDate, years: f64) -> Option<NaiveDate> {
    if !years.is_finite() || years > 1000.0 {
        return None;
    }
    from.checked_add_signed(Duration::days((years * 365.25).round() as i64))
}

/// The trend from `start` to `now` towards `goal` (the bound not yet met), judged against
/// `deadline`. `met` short-cuts to achieved. None when there is no elapsed time to measure.
pub fn trend(
    start: (NaiveDate, f64),
    now: (NaiveDate, f64),
    goal: f64,
    deadline: Option<NaiveDate>,
    growth: Growth,
    met: bool,
) -> Option<Trend> {
    if met {
        return Some(Trend {
            pace: Some(Pace::Achieved),
            ratio: None,
            projected: None,
            reaches_on: None,
        });
    }
    let elapsed = years(start.0, now.0);
    if elapsed <= 0.0 {
        return None;
    }
    let compound = growth == Growth::Compound && start.1 > 0.0 && now.1 > 0.0 && goal > 0.0;
    // The observed rate, and the value the pace gives `y` years after now.
    let (rate, at) = if compound {
        let r = (now.1 / start.1).powf(1.0 / elapsed) - 1.0;
        (
            r,
            Box::new(move |y: f64| now.1 * (1.0 + r).powf(y)) as Box<dyn Fn(f64) -> f64>,
        )
    } else {
        let slope = (now.1 - start.1) / elapsed;
        (
            slope,
            Box::new(move |y: f64| now.1 + slope * y) as Box<dyn Fn(f64) -> f64>,
        )
    };
    let to_go = if compound {
        (goal / now.1).ln() / (1.0 + rate).ln()
    } else {
        (goal - now.1) / rate
    };
    let reaches_on = if to_go.is_finite() && to_go >= 0.0 {
        after(now.0, to_go)
    } else {
        None
    };
    let Some(deadline) = deadline else {
        return Some(Trend {
            pace: None,
            ratio: None,
            projected: None,
            reaches_on,
        });
    };
    if deadline <= now.0 {
        return Some(Trend {
            pace: Some(Pace::OffTrack),
            ratio: None,
            projected: None,
            reaches_on,
        });
    }
    let span = years(start.0, deadline);
    let required = if compound {
        (goal / start.1).powf(1.0 / span) - 1.0
    } else {
        (goal - start.1) / span
    };
    let ratio = (required != 0.0).then(|| rate / required);
    let pace = match ratio {
        Some(r) if r >= ON_TRACK => Pace::OnTrack,
        Some(r) if r >= NEEDS_ACCELERATION => Pace::NeedsAcceleration,
        Some(_) => Pace::OffTrack,
        // The start already sat on the goal and has since moved away.
        None => Pace::OffTrack,
    };
    Some(Trend {
        pace: Some(pace),
        ratio,
        projected: Some(at(years(now.0, deadline))),
        reaches_on,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn lin(start: (&str, f64), now: (&str, f64), goal: f64, deadline: &str) -> Trend {
        trend(
            (day(start.0), start.1),
            (day(now.0), now.1),
            goal,
            Some(day(deadline)),
            Growth::Linear,
            false,
        )
        .unwrap()
    }

    #[test]
    fn a_target_already_met_is_achieved() {
        let t = trend(
            (day("2024-01-01"), 10.0),
            (day("2024-06-30"), 20.0),
            18.0,
            Some(day("2025-12-31")),
            Growth::Linear,
            true,
        )
        .unwrap();
        assert_eq!(t.pace, Some(Pace::Achieved));
    }

    #[test]
    fn growing_at_the_required_pace_is_on_track() {
        // 10 → 14 in one year; 20 is needed two years after the start: required 5 a year,
        // observed 4 a year: ratio 0.8, needs acceleration.
        let t = lin(
            ("2023-01-01", 10.0),
            ("2024-01-01", 14.0),
            20.0,
            "2025-01-01",
        );
        assert_eq!(t.pace, Some(Pace::NeedsAcceleration));
        assert!((t.ratio.unwrap() - 0.8).abs() < 0.01, "{t:?}");
        assert!((t.projected.unwrap() - 18.0).abs() < 0.05, "{t:?}");
        // 6 more at 4 a year: a year and a half after now.
        assert_eq!(t.reaches_on, Some(day("2025-07-02")));
        let on = lin(
            ("2023-01-01", 10.0),
            ("2024-01-01", 15.0),
            20.0,
            "2025-01-01",
        );
        assert_eq!(on.pace, Some(Pace::OnTrack));
    }

    #[test]
    fn slow_or_backwards_is_off_track() {
        let slow = lin(
            ("2023-01-01", 10.0),
            ("2024-01-01", 12.0),
            20.0,
            "2025-01-01",
        );
        assert_eq!(slow.pace, Some(Pace::OffTrack), "ratio 0.4");
        let back = lin(
            ("2023-01-01", 10.0),
            ("2024-01-01", 9.0),
            20.0,
            "2025-01-01",
        );
        assert_eq!(back.pace, Some(Pace::OffTrack));
        assert_eq!(back.reaches_on, None, "moving away never arrives");
    }

    #[test]
    fn a_falling_target_works_the_same_way() {
        // Too many: 40 → 35 in a year, at most 30 by two years after the start.
        let t = lin(
            ("2023-01-01", 40.0),
            ("2024-01-01", 35.0),
            30.0,
            "2025-01-01",
        );
        assert_eq!(t.pace, Some(Pace::OnTrack));
    }

    #[test]
    fn compound_growth_compares_rates() {
        // 100 → 110 in a year (10 %); 121 needed in two years (10 % a year): on track.
        let t = trend(
            (day("2023-01-01"), 100.0),
            (day("2024-01-01"), 110.0),
            121.0,
            Some(day("2025-01-01")),
            Growth::Compound,
            false,
        )
        .unwrap();
        assert_eq!(t.pace, Some(Pace::OnTrack));
        assert!((t.ratio.unwrap() - 1.0).abs() < 0.01, "{t:?}");
        assert!((t.projected.unwrap() - 121.0).abs() < 0.5, "{t:?}");
    }

    #[test]
    fn after_the_deadline_an_unmet_target_is_off_track() {
        let t = lin(
            ("2023-01-01", 10.0),
            ("2026-01-01", 19.0),
            20.0,
            "2025-12-31",
        );
        assert_eq!(t.pace, Some(Pace::OffTrack));
        assert!(t.reaches_on.is_some());
    }

    #[test]
    fn without_elapsed_time_there_is_no_trend() {
        assert!(
            trend(
                (day("2024-01-01"), 1.0),
                (day("2024-01-01"), 2.0),
                3.0,
                None,
                Growth::Linear,
                false
            )
            .is_none()
        );
    }
}
