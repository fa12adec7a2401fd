//! Traffic lights for task instances (红黄绿灯): what is late, what is due soon.
//!
//! Pure: given the due dates of one instance and its status events, say where each
//! occurrence stands at the as-of date. Events dated after the as-of date are ignored, so a
//! past month's report can be reproduced exactly.

use crate::model::{Progress, StatusEvent};
use chrono::NaiveDate;
use serde::Serialize;

/// 红灯 overdue, 黄灯 due soon, 绿灯 on schedule or done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Light {
    Red,
    Yellow,
    Green,
}

impl Light {
    pub fn as_str(self) -> &'static str {
        match self {
            Light::Red => "red",
            Light::Yellow => "yellow",
            Light::Green => "green",
        }
    }
}

/// Where one occurrence of a task instance stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Done on `on`; `late_days` > 0 when that was after the deadline (逾期完成).
    Done { on: NaiveDate, late_days: i64 },
    /// Not done and the deadline has passed.
    Overdue { days: i64 },
    /// Not done and due within the yellow window.
    DueSoon { days_left: i64 },
    /// Not done, due later than the window.
    OnSchedule { days_left: i64 },
    /// No deadline: tracked, never late.
    Ongoing,
}

impl State {
    pub fn light(self) -> Light {
        match self {
            State::Overdue { .. } => Light::Red,
            State::DueSoon { .. } => Light::Yellow,
            State::Done { .. } | State::OnSchedule { .. } | State::Ongoing => Light::Green,
        }
    }

    /// A stable machine word for the state.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Done { late_days: 0, .. } => "done",
            State::Done { .. } => "done_late",
            State::Overdue { .. } => "overdue",
            State::DueSoon { .. } => "due_soon",
            State::OnSchedule { .. } => "on_schedule",
            State::Ongoing => "ongoing",
        }
    }
}

/// One due occurrence of an instance (a single task has one; a half-year report many).
#[derive(Debug, Clone, PartialEq)]
pub struct Occurrence {
    pub due: Option<NaiveDate>,
    pub state: State,
}

/// Judges one task instance at `as_of`.
///
/// `dues` are its due dates in order (empty for an ongoing task). For a single deadline the
/// latest event decides whether it is done; for a recurring obligation each `done` event,
/// in date order, settles the oldest occurrence still open.
pub fn judge_instance(
    dues: &[NaiveDate],
    recurring: bool,
    events: &[StatusEvent],
    as_of: NaiveDate,
    window_days: i64,
) -> Vec<Occurrence> {
    let mut seen: Vec<&StatusEvent> = events.iter().filter(|e| e.date <= as_of).collect();
    seen.sort_by_key(|e| e.date);
    let open = |due: Option<NaiveDate>| match due {
        None => State::Ongoing,
        Some(due) if due < as_of => State::Overdue {
            days: (as_of - due).num_days(),
        },
        Some(due) => {
            let days_left = (due - as_of).num_days();
            if days_left <= window_days {
                State::DueSoon { days_left }
            } else {
                State::OnSchedule { days_left }
            }
        }
    };
    let done = |due: Option<NaiveDate>, on: NaiveDate| State::Done {
        on,
        late_days: due.map_or(0, |d| (on - d).num_days().max(0)),
    };

    if !recurring {
        let due = dues.first().copied();
        let state = match seen.last() {
            Some(e) if e.status == Progress::Done => done(due, e.date),
            _ => open(due),
        };
        return vec![Occurrence { due, state }];
    }

    let mut done_dates = seen
        .iter()
        .filter(|e| e.status == Progress::Done)
        .map(|e| e.date);
    dues.iter()
        .map(|&due| {
            let state = match done_dates.next() {
                Some(on) => done(Some(due), on),
                None => open(Some(due)),
            };
            Occurrence {
                due: Some(due),
                state,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn ev(date: &str, status: Progress) -> StatusEvent {
        StatusEvent {
            date: day(date),
            status,
            note: String::new(),
            evidence: String::new(),
        }
    }

    fn one(due: Option<&str>, events: &[StatusEvent], as_of: &str) -> State {
        let dues: Vec<NaiveDate> = due.into_iter().map(day).collect();
        let got = judge_instance(&dues, false, events, day(as_of), 30);
        assert_eq!(got.len(), 1);
        got[0].state
    }

    #[test]
    fn not_done_after_the_deadline_is_red_with_the_days_late() {
        let s = one(Some("2024-05-31"), &[], "2024-06-30");
        assert_eq!(s, State::Overdue { days: 30 });
        assert_eq!(s.light(), Light::Red);
    }

    #[test]
    fn the_deadline_day_itself_is_not_late() {
        let s = one(Some("2024-05-31"), &[], "2024-05-31");
        assert_eq!(s, State::DueSoon { days_left: 0 });
        assert_eq!(s.light(), Light::Yellow);
    }

    #[test]
    fn due_within_the_window_is_yellow_and_later_is_green() {
        assert_eq!(
            one(Some("2024-07-30"), &[], "2024-06-30"),
            State::DueSoon { days_left: 30 }
        );
        let s = one(Some("2024-07-31"), &[], "2024-06-30");
        assert_eq!(s, State::OnSchedule { days_left: 31 });
        assert_eq!(s.light(), Light::Green);
    }

    #[test]
    fn done_in_time_and_done_late_are_told_apart() {
        let on_time = one(
            Some("2024-05-31"),
            &[ev("2024-05-31", Progress::Done)],
            "2024-06-30",
        );
        assert_eq!(on_time.as_str(), "done");
        let late = one(
            Some("2024-05-31"),
            &[
                ev("2024-04-01", Progress::InProgress),
                ev("2024-06-12", Progress::Done),
            ],
            "2024-06-30",
        );
        assert_eq!(
            late,
            State::Done {
                on: day("2024-06-12"),
                late_days: 12
            }
        );
        assert_eq!(late.as_str(), "done_late");
        assert_eq!(late.light(), Light::Green);
    }

    #[test]
    fn events_after_the_as_of_date_do_not_count() {
        let events = [ev("2024-07-02", Progress::Done)];
        assert_eq!(
            one(Some("2024-05-31"), &events, "2024-06-30"),
            State::Overdue { days: 30 }
        );
        assert!(matches!(
            one(Some("2024-05-31"), &events, "2024-07-02"),
            State::Done { .. }
        ));
    }

    #[test]
    fn a_reopened_task_is_open_again() {
        let events = [
            ev("2024-05-01", Progress::Done),
            ev("2024-05-10", Progress::InProgress),
        ];
        assert_eq!(
            one(Some("2024-05-31"), &events, "2024-06-30"),
            State::Overdue { days: 30 }
        );
    }

    #[test]
    fn ongoing_tasks_are_never_late() {
        let s = one(None, &[], "2099-01-01");
        assert_eq!(s, State::Ongoing);
        assert_eq!(s.light(), Light::Green);
    }

    #[test]
    fn each_half_year_report_is_settled_by_one_done_event_in_order() {
        let dues = [day("2023-12-31"), day("2024-06-30"), day("2024-12-31")];
        let events = [
            ev("2023-12-20", Progress::Done),
            ev("2024-07-12", Progress::Done),
        ];
        let got = judge_instance(&dues, true, &events, day("2024-07-31"), 30);
        let states: Vec<State> = got.iter().map(|o| o.state).collect();
        assert_eq!(
            states,
            [
                State::Done {
                    on: day("2023-12-20"),
                    late_days: 0
                },
                State::Done {
                    on: day("2024-07-12"),
                    late_days: 12
                },
                State::OnSchedule { days_left: 153 },
            ]
        );
        // Before the second report arrived, that occurrence was red.
        let got = judge_instance(&dues, true, &events, day("2024-07-11"), 30);
        assert_eq!(got[1].state, State::Overdue { days: 11 });
    }
}
