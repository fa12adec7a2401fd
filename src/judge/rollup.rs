//! A unit's figure for a metric: its own newest observation, or else the sum of the figures
//! of the areas below it (community → street → district → city → province).
//!
//! Figures are read from [`Values`], the newest observation of each (metric, unit) at or
//! before one date. Population is a stock, so each unit contributes its newest value, never
//! a sum over time. A per-capita ratio for a parent is recomputed from the summed numerator
//! and summed denominator by the caller, never averaged from children's ratios.

use crate::model::Observation;
use crate::registry::Registry;
use chrono::NaiveDate;
use std::collections::HashMap;

/// Observations by (metric, unit), oldest first.
pub type History = HashMap<(String, String), Vec<Observation>>;

/// The figures as they stood on one date: the newest observation of each (metric, unit) at
/// or before it. Units are found by their place in the registry, so a province's roll-up
/// (millions of lookups) indexes arrays instead of hashing ids.
#[derive(Debug, Default)]
pub struct Values(foldhash::HashMap<String, Vec<Option<Observation>>>);

impl Values {
    pub fn new() -> Values {
        Values::default()
    }

    /// The figures of one metric, by the units' places in the registry.
    pub fn metric(&self, metric: &str) -> Option<&[Option<Observation>]> {
        self.0.get(metric).map(Vec::as_slice)
    }

    /// The figures of one metric to fill in, by the units' places in `registry`.
    pub fn metric_mut(&mut self, registry: &Registry, metric: &str) -> &mut [Option<Observation>] {
        if !self.0.contains_key(metric) {
            self.0
                .insert(metric.to_string(), vec![None; registry.units().len()]);
        }
        self.0.get_mut(metric).map_or(&mut [], Vec::as_mut_slice)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figure {
    pub value: f64,
    /// The oldest observation the figure rests on: how fresh it is.
    pub oldest: NaiveDate,
    /// The newest observation it rests on: the date the figure describes.
    pub newest: NaiveDate,
    /// For a sum: the areas directly below that reported, of how many there are.
    pub reported: usize,
    pub expected: usize,
    /// Some area anywhere below did not report: the sum is a lower bound.
    pub partial: bool,
}

/// The latest observation at or before `at` in a series sorted by date.
pub fn latest_at(series: &[Observation], at: NaiveDate) -> Option<Observation> {
    let n = series.partition_point(|o| o.date <= at);
    n.checked_sub(1).map(|i| series[i])
}

/// The figures of `history` as they stood on `at`.
pub fn values_at(registry: &Registry, history: &History, at: NaiveDate) -> Values {
    let mut out = Values::new();
    for ((metric, unit), series) in history {
        if let (Some(o), Some(place)) = (latest_at(series, at), registry.place(unit))
            && let Some(slot) = out.metric_mut(registry, metric).get_mut(place)
        {
            *slot = Some(o);
        }
    }
    out
}

/// The figure of `metric` for the unit at `place` in the registry; `rollup` says whether
/// the metric sums.
pub fn figure(
    registry: &Registry,
    values: &Values,
    metric: &str,
    rollup: bool,
    place: usize,
) -> Option<Figure> {
    let figures = values.metric(metric)?;
    let depth = registry.units().len();
    figure_within(registry, figures, rollup, place, depth)
}

fn figure_within(
    registry: &Registry,
    figures: &[Option<Observation>],
    rollup: bool,
    place: usize,
    depth: usize,
) -> Option<Figure> {
    if let Some(o) = figures.get(place).copied().flatten() {
        return Some(Figure {
            value: o.value,
            oldest: o.date,
            newest: o.date,
            reported: 0,
            expected: 0,
            partial: false,
        });
    }
    if !rollup || depth == 0 {
        return None;
    }
    let (mut value, mut oldest, mut newest) = (0.0, None::<NaiveDate>, None::<NaiveDate>);
    let (mut reported, mut expected, mut partial) = (0, 0, false);
    for c in registry.child_area_places(place) {
        expected += 1;
        let Some(f) = figure_within(registry, figures, rollup, c, depth - 1) else {
            continue;
        };
        value += f.value;
        oldest = Some(oldest.map_or(f.oldest, |d| d.min(f.oldest)));
        newest = Some(newest.map_or(f.newest, |d| d.max(f.newest)));
        reported += 1;
        partial |= f.partial;
    }
    Some(Figure {
        value,
        oldest: oldest?,
        newest: newest?,
        reported,
        expected,
        partial: partial || reported < expected,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Level, Unit};

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn unit(id: &str, level: Level, parent: Option<&str>) -> Unit {
        Unit {
            id: id.into(),
            name: id.into(),
            level,
            kind: None,
            parent: parent.map(Into::into),
        }
    }

    /// A city with two districts; district a has two streets, b reports itself.
    fn tree() -> Registry {
        Registry::new(
            vec![
                unit("city", Level::City, None),
                unit("a", Level::District, Some("city")),
                unit("a1", Level::Street, Some("a")),
                unit("a2", Level::Street, Some("a")),
                unit("b", Level::District, Some("city")),
                unit("bureau", Level::Department, Some("city")),
            ],
            vec![],
        )
    }

    fn obs(h: &mut History, metric: &str, unit: &str, date: &str, value: f64) {
        h.entry((metric.into(), unit.into()))
            .or_default()
            .push(Observation {
                date: day(date),
                value,
            });
    }

    fn at(r: &Registry, h: &History, metric: &str, unit: &str, date: &str) -> Option<Figure> {
        figure(
            r,
            &values_at(r, h, day(date)),
            metric,
            metric != "rate",
            r.place(unit)?,
        )
    }

    #[test]
    fn counts_sum_up_the_tree_and_departments_do_not_count() {
        let r = tree();
        let mut h = History::new();
        obs(&mut h, "workers", "a1", "2024-06-30", 10.0);
        obs(&mut h, "workers", "a2", "2024-05-31", 5.0);
        obs(&mut h, "workers", "b", "2024-06-30", 7.0);
        let f = at(&r, &h, "workers", "city", "2024-06-30").unwrap();
        assert_eq!(f.value, 22.0);
        assert_eq!(f.oldest, day("2024-05-31"));
        assert_eq!(f.newest, day("2024-06-30"));
        assert_eq!((f.reported, f.expected, f.partial), (2, 2, false));
        assert_eq!(
            at(&r, &h, "workers", "a", "2024-06-30").unwrap().value,
            15.0
        );
    }

    #[test]
    fn population_is_a_stock_the_latest_value_not_a_sum_over_time() {
        let r = tree();
        let mut h = History::new();
        obs(&mut h, "population", "a1", "2020-11-01", 1000.0);
        obs(&mut h, "population", "a1", "2023-12-31", 1100.0);
        obs(&mut h, "population", "a2", "2020-11-01", 500.0);
        obs(&mut h, "population", "b", "2020-11-01", 700.0);
        assert_eq!(
            at(&r, &h, "population", "city", "2024-06-30")
                .unwrap()
                .value,
            2300.0
        );
        assert_eq!(
            at(&r, &h, "population", "city", "2021-01-01")
                .unwrap()
                .value,
            2200.0
        );
        assert!(at(&r, &h, "population", "city", "2019-01-01").is_none());
    }

    #[test]
    fn a_unit_that_did_not_report_makes_the_sum_partial() {
        let r = tree();
        let mut h = History::new();
        obs(&mut h, "workers", "a1", "2024-06-30", 10.0);
        obs(&mut h, "workers", "b", "2024-06-30", 7.0);
        let f = at(&r, &h, "workers", "city", "2024-06-30").unwrap();
        assert_eq!(f.value, 17.0);
        assert_eq!((f.reported, f.expected), (2, 2));
        assert!(f.partial, "street a2 of district a did not report");
        let a = at(&r, &h, "workers", "a", "2024-06-30").unwrap();
        assert_eq!((a.reported, a.expected, a.partial), (1, 2, true));
    }

    #[test]
    fn a_units_own_figure_stands_and_rates_do_not_sum() {
        let r = tree();
        let mut h = History::new();
        obs(&mut h, "workers", "a", "2024-06-30", 100.0);
        obs(&mut h, "workers", "a1", "2024-06-30", 10.0);
        assert_eq!(
            at(&r, &h, "workers", "a", "2024-06-30").unwrap().value,
            100.0
        );
        obs(&mut h, "rate", "a1", "2024-06-30", 90.0);
        obs(&mut h, "rate", "a2", "2024-06-30", 95.0);
        assert!(at(&r, &h, "rate", "a", "2024-06-30").is_none());
    }
}
