//! The digest as Markdown: readable as plain text in a mail, and rendered by any viewer.

use crate::i18n::Lang;
use crate::judge::task::Light;
use crate::render::{num, opt};
use crate::report::digest::Digest;
use std::fmt::Write;

/// Text from the files inside a table cell: a `|` or a line break would break the row.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
}

fn row(out: &mut String, cells: &[String]) {
    let _ = writeln!(out, "| {} |", cells.join(" | "));
}

fn header(out: &mut String, names: &[&str]) {
    row(
        out,
        &names.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
    );
    let _ = writeln!(out, "|{}", "---|".repeat(names.len()));
}

/// How many of the worst units the digest lists.
const WORST: usize = 10;

pub fn digest_md(d: &Digest) -> String {
    let l = d.lang;
    let mut out = String::new();
    let _ = match l {
        Lang::En => writeln!(out, "# govtrack digest as of {}\n", d.as_of),
        Lang::Zh => writeln!(out, "# 政策落实督查月报(截至{})\n", d.as_of),
    };
    let _ = match l {
        Lang::En => writeln!(
            out,
            "**{} red · {} yellow · {} green**\n",
            d.counts.red, d.counts.yellow, d.counts.green
        ),
        Lang::Zh => writeln!(
            out,
            "**红灯 {} 项 · 黄灯 {} 项 · 绿灯 {} 项**\n",
            d.counts.red, d.counts.yellow, d.counts.green
        ),
    };

    let _ = writeln!(
        out,
        "## {}\n",
        l.pick("Units needing attention", "需关注的单位")
    );
    let worst: Vec<_> = d
        .units
        .iter()
        .filter(|u| u.light.is_some_and(|x| x != Light::Green))
        .take(WORST)
        .collect();
    if worst.is_empty() {
        let _ = writeln!(
            out,
            "{}\n",
            l.pick("Every unit is green.", "所有单位均为绿灯。")
        );
    } else {
        header(
            &mut out,
            &match l {
                Lang::En => [
                    "unit",
                    "light",
                    "overdue",
                    "due soon",
                    "targets unmet",
                    "no data",
                ],
                Lang::Zh => ["单位", "亮灯", "逾期", "即将到期", "目标未达标", "无数据"],
            },
        );
        for u in worst {
            row(
                &mut out,
                &[
                    cell(&u.unit),
                    u.light.map(|x| l.light(x)).unwrap_or("-").to_string(),
                    u.overdue.to_string(),
                    u.due_soon.to_string(),
                    u.targets_unmet.to_string(),
                    u.targets_no_data.to_string(),
                ],
            );
        }
        out.push('\n');
    }

    let _ = writeln!(
        out,
        "## {}\n",
        l.pick("Overdue, by lead unit", "逾期任务(按牵头单位)")
    );
    if d.overdue.is_empty() {
        let _ = writeln!(out, "{}\n", l.pick("Nothing is overdue.", "无逾期任务。"));
    }
    for g in &d.overdue {
        let _ = writeln!(out, "### {}\n", cell(&g.lead));
        header(
            &mut out,
            &match l {
                Lang::En => ["policy", "no.", "task", "unit", "deadline", "days overdue"],
                Lang::Zh => ["文件", "序号", "任务", "单位", "完成时限", "逾期天数"],
            },
        );
        for t in &g.tasks {
            row(
                &mut out,
                &[
                    cell(&t.policy),
                    cell(&t.number),
                    cell(&t.title),
                    cell(&t.unit),
                    opt(&t.deadline),
                    t.days_overdue.map(|x| x.to_string()).unwrap_or_default(),
                ],
            );
        }
        out.push('\n');
    }

    let _ = match l {
        Lang::En => writeln!(out, "## Due within {} days\n", d.due_soon_days),
        Lang::Zh => writeln!(out, "## {}天内到期\n", d.due_soon_days),
    };
    if d.due_soon.is_empty() {
        let _ = writeln!(
            out,
            "{}\n",
            l.pick("Nothing falls due.", "无即将到期的任务。")
        );
    } else {
        header(
            &mut out,
            &match l {
                Lang::En => [
                    "policy",
                    "no.",
                    "task",
                    "unit",
                    "lead",
                    "deadline",
                    "days left",
                ],
                Lang::Zh => [
                    "文件",
                    "序号",
                    "任务",
                    "单位",
                    "牵头单位",
                    "完成时限",
                    "剩余天数",
                ],
            },
        );
        for t in &d.due_soon {
            row(
                &mut out,
                &[
                    cell(&t.policy),
                    cell(&t.number),
                    cell(&t.title),
                    cell(&t.unit),
                    cell(&t.lead.join("、")),
                    opt(&t.deadline),
                    t.days_left.map(|x| x.to_string()).unwrap_or_default(),
                ],
            );
        }
        out.push('\n');
    }

    let _ = writeln!(out, "## {}\n", l.pick("Target gaps", "目标差距"));
    if d.gaps.is_empty() {
        let _ = writeln!(
            out,
            "{}\n",
            l.pick("Every target is met.", "所有目标均已达标。")
        );
    } else {
        header(
            &mut out,
            &match l {
                Lang::En => [
                    "light", "target", "unit", "actual", "bound", "gap", "deadline", "trend",
                ],
                Lang::Zh => [
                    "亮灯",
                    "目标",
                    "单位",
                    "实际",
                    "目标值",
                    "差距",
                    "完成时限",
                    "趋势",
                ],
            },
        );
        for g in &d.gaps {
            let bound = match (g.min, g.max) {
                (Some(a), Some(b)) => format!("{}–{}", num(Some(a)), num(Some(b))),
                (Some(a), None) => format!("≥ {}", num(Some(a))),
                (None, Some(b)) => format!("≤ {}", num(Some(b))),
                (None, None) => String::new(),
            };
            let trend = match (g.trend, &g.reaches_on) {
                (Some(p), Some(on)) => format!("{} ({})", l.pace(p), on.get(..7).unwrap_or(on)),
                (Some(p), None) => l.pace(p).to_string(),
                (None, _) => String::new(),
            };
            let unit = if g.summary {
                format!("{}{}", g.unit, l.pick(" (all)", "(合计)"))
            } else {
                g.unit.clone()
            };
            row(
                &mut out,
                &[
                    l.light(g.light).to_string(),
                    cell(&g.title),
                    cell(&unit),
                    num(g.actual),
                    bound,
                    cell(&g.gap_text),
                    g.deadline
                        .as_deref()
                        .unwrap_or(l.pick("standing", "常态"))
                        .to_string(),
                    trend,
                ],
            );
        }
        out.push('\n');
    }

    let _ = writeln!(
        out,
        "## {}\n",
        l.pick("Recurring reports not received", "未按时报送的定期报告")
    );
    if d.recurring_missed.is_empty() {
        let _ = writeln!(out, "{}\n", l.pick("None missing.", "无。"));
    } else {
        header(
            &mut out,
            &match l {
                Lang::En => ["policy", "report", "unit", "due", "days overdue"],
                Lang::Zh => ["文件", "报告", "单位", "应报日期", "逾期天数"],
            },
        );
        for t in &d.recurring_missed {
            row(
                &mut out,
                &[
                    cell(&t.policy),
                    cell(&t.title),
                    cell(&t.unit),
                    opt(&t.deadline),
                    t.days_overdue.map(|x| x.to_string()).unwrap_or_default(),
                ],
            );
        }
        out.push('\n');
    }

    if !d.timelines.is_empty() {
        let _ = writeln!(out, "## {}\n", l.pick("Phases", "实施步骤"));
        for tl in &d.timelines {
            let _ = writeln!(out, "**{}**\n", cell(&tl.title));
            for ph in &tl.phases {
                let when = match (ph.start, ph.end) {
                    (_, Some(end)) if end < d.as_of => l.pick("past", "已结束"),
                    (Some(start), _) if start > d.as_of => l.pick("upcoming", "未开始"),
                    _ => l.pick("current", "进行中"),
                };
                let span = format!(
                    "{} – {}",
                    ph.start.map(|x| x.to_string()).unwrap_or_default(),
                    ph.end.map(|x| x.to_string()).unwrap_or_default()
                );
                let _ = writeln!(out, "- {} ({span}): {when}", cell(&ph.name));
            }
            out.push('\n');
        }
    }
    out
}
