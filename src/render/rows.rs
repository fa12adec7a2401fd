//! How each report row is shown.

use super::xlsx::XlsxValue;
use super::{Row, num, opt};
use crate::i18n::Lang;
use crate::judge::task::Light;
use crate::judge::trend::Pace;
use crate::report::{GapRow, TaskRow, UnitSummary};

/// Rows listed by reference, in an order of their own (see [`crate::report::Overdue`]).
impl<R: Row> Row for &R {
    const KEYS: &'static [&'static str] = R::KEYS;
    fn record(&self) -> Vec<String> {
        (*self).record()
    }
    fn table_header(lang: Lang) -> Vec<&'static str> {
        R::table_header(lang)
    }
    fn table_cells(&self, lang: Lang) -> Vec<String> {
        (*self).table_cells(lang)
    }
    fn xlsx_header(lang: Lang) -> Vec<&'static str> {
        R::xlsx_header(lang)
    }
    fn xlsx_cells(&self, lang: Lang) -> Vec<XlsxValue> {
        (*self).xlsx_cells(lang)
    }
    fn light(&self) -> Option<Light> {
        (*self).light()
    }
}

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
        "recurring",
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
            self.policy.to_string(),
            self.task.to_string(),
            self.number.to_string(),
            self.title.to_string(),
            self.unit.to_string(),
            self.unit_id.to_string(),
            self.lead.join(";"),
            self.support.join(";"),
            opt(&self.deadline),
            self.recurring.to_string(),
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

    fn table_header(lang: Lang) -> Vec<&'static str> {
        match lang {
            Lang::En => vec![
                "light", "policy", "no.", "task", "unit", "lead", "support", "deadline", "status",
            ],
            Lang::Zh => vec![
                "亮灯",
                "文件",
                "序号",
                "任务",
                "单位",
                "牵头单位",
                "配合单位",
                "完成时限",
                "状态",
            ],
        }
    }

    fn table_cells(&self, lang: Lang) -> Vec<String> {
        let status = match (self.days_overdue, self.days_left, self.days_late, lang) {
            (Some(d), _, _, Lang::En) => format!("{d} days overdue"),
            (Some(d), _, _, Lang::Zh) => format!("逾期{d}天"),
            (_, Some(d), _, Lang::En) if self.status == "due_soon" => format!("due in {d} days"),
            (_, Some(d), _, Lang::Zh) if self.status == "due_soon" => format!("{d}天后到期"),
            (_, _, Some(d), Lang::En) if d > 0 => format!("done {d} days late"),
            (_, _, Some(d), Lang::Zh) if d > 0 => format!("逾期{d}天完成"),
            _ => lang.state(self.status).to_string(),
        };
        vec![
            lang.light(self.light).to_string(),
            self.policy.to_string(),
            self.number.to_string(),
            self.title.to_string(),
            self.unit.to_string(),
            self.lead.join("、"),
            self.support.join("、"),
            self.deadline
                .map_or_else(|| lang.pick("ongoing", "长期").into(), |d| d.to_string()),
            status,
        ]
    }

    fn xlsx_header(lang: Lang) -> Vec<&'static str> {
        match lang {
            Lang::En => vec![
                "Policy",
                "Task",
                "No.",
                "Title",
                "Unit",
                "Unit ID",
                "Lead",
                "Support",
                "Deadline",
                "Recurring",
                "Light",
                "Status",
                "Days overdue",
                "Days left",
                "Done on",
                "Days late",
                "Progress",
                "Note",
            ],
            Lang::Zh => vec![
                "文件",
                "任务",
                "序号",
                "任务名称",
                "单位",
                "单位代码",
                "牵头单位",
                "配合单位",
                "完成时限",
                "定期报告",
                "亮灯",
                "状态",
                "逾期天数",
                "剩余天数",
                "完成日期",
                "逾期完成天数",
                "进展",
                "备注",
            ],
        }
    }

    fn xlsx_cells(&self, lang: Lang) -> Vec<XlsxValue> {
        vec![
            XlsxValue::text(&*self.policy),
            XlsxValue::text(&*self.task),
            XlsxValue::text(&*self.number),
            XlsxValue::text(&*self.title),
            XlsxValue::text(&*self.unit),
            XlsxValue::text(&*self.unit_id),
            XlsxValue::text(self.lead.join("、")),
            XlsxValue::text(self.support.join("、")),
            self.deadline.map_or(XlsxValue::Empty, XlsxValue::Date),
            XlsxValue::yes_no(self.recurring, lang),
            XlsxValue::text(lang.light(self.light)),
            XlsxValue::text(lang.state(self.status)),
            XlsxValue::count(self.days_overdue),
            XlsxValue::count(self.days_left),
            self.done_on.map_or(XlsxValue::Empty, XlsxValue::Date),
            XlsxValue::count(self.days_late),
            self.progress.map_or(XlsxValue::Empty, |p| {
                XlsxValue::text(progress_word(p, lang))
            }),
            XlsxValue::text(self.note.as_str()),
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
            self.policy.to_string(),
            self.target.to_string(),
            self.title.to_string(),
            self.unit.clone(),
            self.unit_id.clone(),
            self.metric.to_string(),
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

    fn table_header(lang: Lang) -> Vec<&'static str> {
        match lang {
            Lang::En => vec![
                "light", "policy", "target", "unit", "actual", "min", "max", "gap", "status",
                "deadline", "trend",
            ],
            Lang::Zh => vec![
                "亮灯",
                "文件",
                "目标",
                "单位",
                "实际",
                "下限",
                "上限",
                "差距",
                "状态",
                "完成时限",
                "趋势",
            ],
        }
    }

    fn table_cells(&self, lang: Lang) -> Vec<String> {
        let month = |d: &str| d.get(..7).unwrap_or(d).to_string();
        let trend = match (self.trend, &self.reaches_on, lang) {
            (Some(Pace::Achieved), _, _) | (None, None, _) => String::new(),
            (Some(p), Some(on), Lang::En) => format!("{} (reaches {})", lang.pace(p), month(on)),
            (Some(p), Some(on), Lang::Zh) => format!("{}(预计{}达到)", lang.pace(p), month(on)),
            (Some(p), None, Lang::En) => format!("{} (not at this pace)", lang.pace(p)),
            (Some(p), None, Lang::Zh) => format!("{}(按当前进度无法达到)", lang.pace(p)),
            (None, Some(on), Lang::En) => format!("reaches {}", month(on)),
            (None, Some(on), Lang::Zh) => format!("预计{}达到", month(on)),
        };
        vec![
            lang.light(self.light).to_string(),
            self.policy.to_string(),
            self.title.to_string(),
            if self.summary {
                format!("{}{}", self.unit, lang.pick(" (all)", "(合计)"))
            } else {
                self.unit.clone()
            },
            num(self.actual),
            num(self.min),
            num(self.max),
            self.gap_text.clone(),
            lang.target_status(self.status).to_string(),
            self.deadline
                .as_deref()
                .unwrap_or(lang.pick("standing", "常态"))
                .to_string(),
            trend,
        ]
    }

    fn xlsx_header(lang: Lang) -> Vec<&'static str> {
        match lang {
            Lang::En => vec![
                "Policy",
                "Target",
                "Title",
                "Unit",
                "Unit ID",
                "Metric",
                "Measure",
                "Summary",
                "Actual",
                "Min",
                "Max",
                "Gap",
                "Gap text",
                "Status",
                "Light",
                "Deadline",
                "Missed",
                "Data date",
                "Stale",
                "Partial",
                "Reported",
                "Units short",
                "Units total",
                "Trend",
                "Projected",
                "Reaches on",
            ],
            Lang::Zh => vec![
                "文件",
                "目标",
                "目标名称",
                "单位",
                "单位代码",
                "指标",
                "口径",
                "合计行",
                "实际",
                "下限",
                "上限",
                "差距",
                "差距说明",
                "状态",
                "亮灯",
                "完成时限",
                "逾期未达标",
                "数据日期",
                "数据过期",
                "部分单位未报",
                "报送情况",
                "未达标单位数",
                "单位总数",
                "趋势",
                "预计值",
                "预计达到日期",
            ],
        }
    }

    fn xlsx_cells(&self, lang: Lang) -> Vec<XlsxValue> {
        let units = |v: Option<usize>| XlsxValue::number(v.map(|n| n as f64));
        vec![
            XlsxValue::text(&*self.policy),
            XlsxValue::text(&*self.target),
            XlsxValue::text(&*self.title),
            XlsxValue::text(&*self.unit),
            XlsxValue::text(&*self.unit_id),
            XlsxValue::text(&*self.metric),
            XlsxValue::text(measure_word(self.measure, lang)),
            XlsxValue::yes_no(self.summary, lang),
            XlsxValue::number(self.actual),
            XlsxValue::number(self.min),
            XlsxValue::number(self.max),
            XlsxValue::number(self.gap),
            XlsxValue::text(self.gap_text.as_str()),
            XlsxValue::text(lang.target_status(self.status)),
            XlsxValue::text(lang.light(self.light)),
            XlsxValue::date(self.deadline.as_deref()),
            XlsxValue::yes_no(self.missed, lang),
            XlsxValue::date(self.data_date.as_deref()),
            XlsxValue::yes_no(self.stale, lang),
            XlsxValue::yes_no(self.partial, lang),
            XlsxValue::text(self.reported.clone().unwrap_or_default()),
            units(self.units_short),
            units(self.units_total),
            self.trend
                .map_or(XlsxValue::Empty, |t| XlsxValue::text(lang.pace(t))),
            XlsxValue::number(self.projected),
            XlsxValue::date(self.reaches_on.as_deref()),
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

    fn table_header(lang: Lang) -> Vec<&'static str> {
        match lang {
            Lang::En => vec![
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
            ],
            Lang::Zh => vec![
                "亮灯",
                "单位",
                "任务",
                "已完成",
                "逾期完成",
                "逾期",
                "即将到期",
                "按计划",
                "目标达标",
                "未达标",
                "无数据",
            ],
        }
    }

    fn table_cells(&self, lang: Lang) -> Vec<String> {
        vec![
            self.light.map(|l| lang.light(l)).unwrap_or("-").to_string(),
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

    fn xlsx_header(lang: Lang) -> Vec<&'static str> {
        match lang {
            Lang::En => vec![
                "Unit",
                "Unit ID",
                "Light",
                "Tasks",
                "Done",
                "Done late",
                "Overdue",
                "Due soon",
                "On schedule",
                "Targets met",
                "Targets unmet",
                "Targets without data",
            ],
            Lang::Zh => vec![
                "单位",
                "单位代码",
                "亮灯",
                "任务数",
                "已完成",
                "逾期完成",
                "逾期",
                "即将到期",
                "按计划推进",
                "目标达标",
                "目标未达标",
                "目标无数据",
            ],
        }
    }

    fn xlsx_cells(&self, lang: Lang) -> Vec<XlsxValue> {
        let n = |v: usize| XlsxValue::Number(v as f64);
        vec![
            XlsxValue::text(&*self.unit),
            XlsxValue::text(&*self.unit_id),
            self.light
                .map_or(XlsxValue::Empty, |l| XlsxValue::text(lang.light(l))),
            n(self.tasks),
            n(self.done),
            n(self.done_late),
            n(self.overdue),
            n(self.due_soon),
            n(self.on_schedule),
            n(self.targets_met),
            n(self.targets_unmet),
            n(self.targets_no_data),
        ]
    }

    fn light(&self) -> Option<Light> {
        self.light
    }
}

/// The reported progress (进展) in `lang`.
fn progress_word(p: &'static str, lang: Lang) -> &'static str {
    match p {
        "not_started" => lang.pick("not started", "未开始"),
        "in_progress" => lang.pick("in progress", "推进中"),
        "done" => lang.pick("done", "已完成"),
        other => other,
    }
}

/// How a target's scope is judged (口径) in `lang`.
fn measure_word(m: &'static str, lang: Lang) -> &'static str {
    match m {
        "each" => lang.pick("each unit", "各单位分别"),
        "total" => lang.pick("total", "合计"),
        "coverage" => lang.pick("coverage", "覆盖率"),
        other => other,
    }
}
