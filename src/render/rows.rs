//! How each report row is shown.

use super::{Row, light_word, num, opt};
use crate::judge::task::Light;
use crate::judge::trend::Pace;
use crate::report::{GapRow, TaskRow, UnitSummary};

impl Row for TaskRow {
    const KEYS: &'static [&'static str] = &[
        "policy",
        "task",
        "number",
        "title",
        "unit",
        "unit_id",
        "lead",
        "support",
        "deadline",
        "light",
        "status",
        "days_overdue",
        "days_left",
        "done_on",
        "days_late",
        "progress",
        "note",
    ];

    fn record(&self) -> Vec<String> {
        vec![
            self.policy.clone(),
            self.task.clone(),
            self.number.clone(),
            self.title.clone(),
            self.unit.clone(),
            self.unit_id.clone(),
            self.lead.join(";"),
            self.support.join(";"),
            opt(&self.deadline),
            self.light.as_str().to_string(),
            self.status.to_string(),
            opt(&self.days_overdue),
            opt(&self.days_left),
            opt(&self.done_on),
            opt(&self.days_late),
            opt(&self.progress),
            self.note.clone(),
        ]
    }

    fn table_header() -> Vec<&'static str> {
        vec![
            "light", "policy", "no.", "task", "unit", "lead", "support", "deadline", "status",
        ]
    }

    fn table_cells(&self) -> Vec<String> {
        let status = match (self.days_overdue, self.days_left, self.days_late) {
            (Some(d), _, _) => format!("{d} days overdue"),
            (_, Some(d), _) if self.status == "due_soon" => format!("due in {d} days"),
            (_, _, Some(d)) if d > 0 => format!("done {d} days late"),
            _ => self.status.replace('_', " "),
        };
        vec![
            light_word(self.light).to_string(),
            self.policy.clone(),
            self.number.clone(),
            self.title.clone(),
            self.unit.clone(),
            self.lead.join("、"),
            self.support.join("、"),
            self.deadline.clone().unwrap_or_else(|| "ongoing".into()),
            status,
        ]
    }

    fn light(&self) -> Option<Light> {
        Some(self.light)
    }
}

impl Row for GapRow {
    const KEYS: &'static [&'static str] = &[
        "policy",
        "target",
        "title",
        "unit",
        "unit_id",
        "metric",
        "measure",
        "summary",
        "actual",
        "min",
        "max",
        "gap",
        "gap_text",
        "status",
        "light",
        "deadline",
        "missed",
        "data_date",
        "stale",
        "partial",
        "reported",
        "units_short",
        "units_total",
        "trend",
        "projected",
        "reaches_on",
    ];

    fn record(&self) -> Vec<String> {
        vec![
            self.policy.clone(),
            self.target.clone(),
            self.title.clone(),
            self.unit.clone(),
            self.unit_id.clone(),
            self.metric.clone(),
            self.measure.to_string(),
            self.summary.to_string(),
            opt(&self.actual),
            opt(&self.min),
            opt(&self.max),
            opt(&self.gap),
            self.gap_text.clone(),
            self.status.as_str().to_string(),
            self.light.as_str().to_string(),
            opt(&self.deadline),
            self.missed.to_string(),
            opt(&self.data_date),
            self.stale.to_string(),
            self.partial.to_string(),
            opt(&self.reported),
            opt(&self.units_short),
            opt(&self.units_total),
            self.trend
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
            opt(&self.projected),
            opt(&self.reaches_on),
        ]
    }

    fn table_header() -> Vec<&'static str> {
        vec![
            "light", "policy", "target", "unit", "actual", "min", "max", "gap", "status",
            "deadline", "trend",
        ]
    }

    fn table_cells(&self) -> Vec<String> {
        let trend = match (self.trend, &self.reaches_on) {
            (Some(Pace::Achieved), _) | (None, None) => String::new(),
            (Some(p), Some(on)) => {
                format!("{} (reaches {})", p.as_str().replace('_', " "), &on[..7])
            }
            (Some(p), None) => format!("{} (not at this pace)", p.as_str().replace('_', " ")),
            (None, Some(on)) => format!("reaches {}", &on[..7]),
        };
        vec![
            light_word(self.light).to_string(),
            self.policy.clone(),
            self.title.clone(),
            if self.summary {
                format!("{} (all)", self.unit)
            } else {
                self.unit.clone()
            },
            num(self.actual),
            num(self.min),
            num(self.max),
            self.gap_text.clone(),
            self.status.as_str().replace('_', " "),
            self.deadline.clone().unwrap_or_else(|| "standing".into()),
            trend,
        ]
    }

    fn light(&self) -> Option<Light> {
        Some(self.light)
    }
}

impl Row for UnitSummary {
    const KEYS: &'static [&'static str] = &[
        "unit",
        "unit_id",
        "light",
        "tasks",
        "done",
        "done_late",
        "overdue",
        "due_soon",
        "on_schedule",
        "targets_met",
        "targets_unmet",
        "targets_no_data",
    ];

    fn record(&self) -> Vec<String> {
        vec![
            self.unit.clone(),
            self.unit_id.clone(),
            self.light
                .map(|l| l.as_str().to_string())
                .unwrap_or_default(),
            self.tasks.to_string(),
            self.done.to_string(),
            self.done_late.to_string(),
            self.overdue.to_string(),
            self.due_soon.to_string(),
            self.on_schedule.to_string(),
            self.targets_met.to_string(),
            self.targets_unmet.to_string(),
            self.targets_no_data.to_string(),
        ]
    }

    fn table_header() -> Vec<&'static str> {
        vec![
            "light",
            "unit",
            "tasks",
            "done",
            "done late",
            "overdue",
            "due soon",
            "on schedule",
            "targets met",
            "unmet",
            "no data",
        ]
    }

    fn table_cells(&self) -> Vec<String> {
        vec![
            self.light.map(light_word).unwrap_or("-").to_string(),
            self.unit.clone(),
            self.tasks.to_string(),
            self.done.to_string(),
            self.done_late.to_string(),
            self.overdue.to_string(),
            self.due_soon.to_string(),
            self.on_schedule.to_string(),
            self.targets_met.to_string(),
            self.targets_unmet.to_string(),
            self.targets_no_data.to_string(),
        ]
    }

    fn light(&self) -> Option<Light> {
        self.light
    }
}
