//! Target judgement for one unit: where it stands against its bounds and what is missing.
//!
//! The gap is stated in the numerator's own unit, the thing a person can act on: for a
//! minimum of 18 community workers per 10,000 residents, a unit with population P and W
//! workers needs ⌈18 × P ÷ 10,000⌉ − W more workers, not "2.3 per 10,000".

use crate::model::Bounds;
use serde::Serialize;

/// Whether a target is met for a unit. Missing data is never compliance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetStatus {
    Unmet,
    NoData,
    Met,
}

impl TargetStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetStatus::Met => "met",
            TargetStatus::Unmet => "unmet",
            TargetStatus::NoData => "no_data",
        }
    }
}

/// The result for one unit: the actual value (a ratio already scaled, e.g. per 10,000),
/// and the change needed in the numerator: positive = that many more, negative = that
/// many too many, zero when met.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Judgement {
    pub actual: Option<f64>,
    pub status: TargetStatus,
    pub gap: Option<f64>,
}

const NO_DATA: Judgement = Judgement {
    actual: None,
    status: TargetStatus::NoData,
    gap: None,
};

/// Tolerance for float noise, so 18.0 per 10,000 computed from integers counts as 18.
const EPS: f64 = 1e-9;

/// A plain value (a count, a rate in percent, an area) against its bounds.
pub fn judge_value(bounds: Bounds, value: Option<f64>) -> Judgement {
    let Some(v) = value else { return NO_DATA };
    let gap = match (bounds.min, bounds.max) {
        (Some(min), _) if v < min - EPS => min - v,
        (_, Some(max)) if v > max + EPS => max - v,
        _ => 0.0,
    };
    verdict(v, gap)
}

/// A per-capita ratio: `numerator ÷ denominator × scale` against its bounds. The gap is in
/// whole units of the numerator, rounded so that closing it really meets the bound.
pub fn judge_ratio(
    bounds: Bounds,
    scale: f64,
    numerator: Option<f64>,
    denominator: Option<f64>,
) -> Judgement {
    let (Some(num), Some(den)) = (numerator, denominator) else {
        return NO_DATA;
    };
    if den <= 0.0 || scale <= 0.0 {
        return NO_DATA;
    }
    let ratio = num / den * scale;
    let gap = match (bounds.min, bounds.max) {
        (Some(min), _) if ratio < min - EPS => (min * den / scale - EPS).ceil() - num,
        (_, Some(max)) if ratio > max + EPS => (max * den / scale + EPS).floor() - num,
        _ => 0.0,
    };
    verdict(ratio, gap)
}

fn verdict(actual: f64, gap: f64) -> Judgement {
    Judgement {
        actual: Some(actual),
        status: if gap == 0.0 {
            TargetStatus::Met
        } else {
            TargetStatus::Unmet
        },
        gap: Some(gap),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BAND: Bounds = Bounds {
        min: Some(18.0),
        max: Some(30.0),
    };

    #[test]
    fn a_district_short_of_18_per_10000_needs_whole_workers() {
        // 1,073,315 residents need ⌈1931.967⌉ = 1932 workers; 1,895 are 37 short.
        let j = judge_ratio(BAND, 10_000.0, Some(1895.0), Some(1_073_315.0));
        assert_eq!(j.status, TargetStatus::Unmet);
        assert_eq!(j.gap, Some(37.0));
        assert!((j.actual.unwrap() - 17.6556).abs() < 1e-3);
    }

    #[test]
    fn exactly_on_the_bound_is_met() {
        let j = judge_ratio(BAND, 10_000.0, Some(180.0), Some(100_000.0));
        assert_eq!(j.status, TargetStatus::Met);
        assert_eq!(j.gap, Some(0.0));
        assert_eq!(j.actual, Some(18.0));
    }

    #[test]
    fn above_the_maximum_the_excess_is_negative() {
        // 30 per 10,000 of 100,000 allows 300; 310 is 10 too many.
        let j = judge_ratio(BAND, 10_000.0, Some(310.0), Some(100_000.0));
        assert_eq!(j.status, TargetStatus::Unmet);
        assert_eq!(j.gap, Some(-10.0));
    }

    #[test]
    fn a_missing_numerator_or_population_is_no_data_not_met() {
        assert_eq!(
            judge_ratio(BAND, 10_000.0, None, Some(1.0)).status,
            TargetStatus::NoData
        );
        assert_eq!(
            judge_ratio(BAND, 10_000.0, Some(5.0), None).status,
            TargetStatus::NoData
        );
        assert_eq!(
            judge_ratio(BAND, 10_000.0, Some(5.0), Some(0.0)).status,
            TargetStatus::NoData
        );
        assert_eq!(judge_value(BAND, None).status, TargetStatus::NoData);
    }

    #[test]
    fn values_against_min_and_max() {
        let at_least_3 = Bounds {
            min: Some(3.0),
            max: None,
        };
        assert_eq!(judge_value(at_least_3, Some(1.0)).gap, Some(2.0));
        assert_eq!(judge_value(at_least_3, Some(4.0)).status, TargetStatus::Met);
        let rate = Bounds {
            min: Some(96.5),
            max: None,
        };
        let j = judge_value(rate, Some(95.0));
        assert_eq!(j.status, TargetStatus::Unmet);
        assert!((j.gap.unwrap() - 1.5).abs() < 1e-12);
        let range = Bounds {
            min: Some(3.0),
            max: Some(5.0),
        };
        assert_eq!(judge_value(range, Some(6.0)).gap, Some(-1.0));
        assert_eq!(judge_value(range, Some(5.0)).status, TargetStatus::Met);
    }
}
