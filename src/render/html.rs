//! The monthly digest as one self-contained HTML page: a director reads it on a phone and
//! prints it for a meeting.
//!
//! Nothing is loaded from anywhere: the CSS is inline and the charts are inline SVG. Colour
//! never carries meaning alone: every light is also a word, bars that fall short are hatched
//! and labelled, and every chart has a `<title>`. Every piece of text that comes from the
//! workspace goes through [`escape`], in element text, in attributes and inside SVG. The
//! output depends only on the digest, so it can be compared byte for byte.

use crate::i18n::Lang;
use crate::judge::target::TargetStatus;
use crate::judge::task::Light;
use crate::render::opt;
use crate::report::digest::{Attainment, Digest, LeadGroup, Timeline, TimelinePhase, TrendChart};
use crate::report::{GapRow, TaskRow, UnitSummary};
use chrono::{Datelike, NaiveDate};
use std::fmt::Write;

/// Writing to a `String` cannot fail.
/// A scrolling table's opening and header row; `true` marks a numeric column. The body
/// is opened too unless the caller writes its own grouped bodies.
fn thead(h: &mut String, cols: &[(&str, bool)], open_body: bool) {
    h.push_str("<div class=\"scroll\"><table>\n<thead><tr>");
    for (label, numeric) in cols {
        let class = if *numeric { " class=\"n\"" } else { "" };
        let _ = write!(h, "<th{class}>{}</th>", escape(label));
    }
    h.push_str("</tr></thead>\n");
    if open_body {
        h.push_str("<tbody>\n");
    }
}

macro_rules! w {
    ($dst:expr, $($arg:tt)*) => {
        let _ = write!($dst, $($arg)*);
    };
}

/// HTML-escapes text for element content and for attributes in either kind of quotes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A number with at most two decimals and no trailing zeros: 37, 17.66, 1.5.
fn num(v: f64) -> String {
    let s = format!("{:.2}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// A coordinate: one decimal is more than enough.
fn c(v: f64) -> String {
    let s = format!("{:.1}", v);
    let s = s.strip_suffix(".0").unwrap_or(&s);
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

fn days(lang: Lang, n: i64) -> String {
    match lang {
        Lang::Zh => format!("{n}天"),
        Lang::En if n == 1 => "1 day".to_string(),
        Lang::En => format!("{n} days"),
    }
}

fn items(lang: Lang, n: usize) -> String {
    match lang {
        Lang::Zh => format!("{n}项"),
        Lang::En if n == 1 => "1 task".to_string(),
        Lang::En => format!("{n} tasks"),
    }
}

fn long_date(lang: Lang, d: NaiveDate) -> String {
    match lang {
        Lang::Zh => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
        Lang::En => d.format("%-d %B %Y").to_string(),
    }
}

fn light_class(light: Light) -> &'static str {
    match light {
        Light::Red => "red",
        Light::Yellow => "yellow",
        Light::Green => "green",
    }
}

/// The light as a word in a bordered badge: it reads the same in black and white.
fn badge(lang: Lang, light: Option<Light>) -> String {
    match light {
        Some(l) => format!(
            "<span class=\"lt lt-{}\">{}</span>",
            light_class(l),
            escape(lang.light(l))
        ),
        None => "—".to_string(),
    }
}

/// Roughly how wide text is drawn at `size` px: CJK characters are square, Latin ones
/// about half as wide.
fn text_width(s: &str, size: f64) -> f64 {
    s.chars()
        .map(|ch| if ch.is_ascii() { 0.58 } else { 1.0 })
        .sum::<f64>()
        * size
}

/// Shortens text to fit `width` px, ending with an ellipsis.
fn fit(s: &str, width: f64, size: f64) -> String {
    if text_width(s, size) <= width {
        return s.to_string();
    }
    let mut out = String::new();
    for ch in s.chars() {
        if text_width(&out, size) + text_width(&ch.to_string(), size) + size > width {
            break;
        }
        out.push(ch);
    }
    out.push('…');
    out
}

const CSS: &str = r#"
:root { --red: #c62828; --red-bg: #fdecea; --yellow: #b26a00; --yellow-bg: #fff6db;
  --green: #2e7d32; --green-bg: #e8f5e9; --ink: #1a1a1a; --muted: #555; --rule: #d0d0d0; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0 auto; max-width: 980px; padding: 16px; background: #fff; color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "PingFang SC", "Hiragino Sans GB",
  "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
  "Helvetica Neue", Arial, sans-serif; }
header { border-bottom: 3px solid var(--ink); margin-bottom: 14px; padding-bottom: 6px; }
h1 { font-size: 24px; margin: 0; }
.asof { margin: 2px 0 0; font-size: 16px; color: var(--muted); }
h2 { font-size: 19px; margin: 26px 0 8px; padding-bottom: 3px; border-bottom: 1px solid var(--rule); }
h3 { font-size: 16px; margin: 16px 0 6px; }
p { margin: 6px 0; }
.none { color: var(--muted); font-style: italic; }
.note { color: var(--muted); font-size: 13px; }
.tiles { display: grid; grid-template-columns: repeat(3, 1fr); gap: 10px; }
.tile { border: 3px solid; border-radius: 8px; padding: 10px 12px; text-align: center; }
.tile .n { display: block; font-size: 44px; font-weight: 700; line-height: 1.1; }
.tile .w { display: block; font-size: 20px; font-weight: 700; }
.tile .d { display: block; font-size: 12px; color: var(--muted); }
.tile.red { border-color: var(--red); background: var(--red-bg); color: var(--red); }
.tile.yellow { border-color: var(--yellow); background: var(--yellow-bg); color: var(--yellow); border-style: dashed; }
.tile.green { border-color: var(--green); background: var(--green-bg); color: var(--green); border-style: dotted; }
.tile .d { color: var(--ink); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
thead { display: table-header-group; }
th, td { border-bottom: 1px solid var(--rule); padding: 5px 6px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; font-weight: 600; white-space: nowrap; border-bottom: 2px solid #999; }
td.n, th.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.d { white-space: nowrap; }
tr { break-inside: avoid; page-break-inside: avoid; }
tr.sum td { font-style: italic; background: #fafafa; }
tr.grp th { background: #fff; border-bottom: 1.5px solid var(--ink); padding-top: 12px;
  font-size: 15px; white-space: normal; }
td.st { white-space: nowrap; }
td.no { min-width: 3.5em; }
.pid { font-size: 11px; overflow-wrap: anywhere; }
td.t { min-width: 8em; }
td.u { min-width: 4.5em; }
td.tr { min-width: 9em; font-size: 13px; }
svg.chart text { paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
.lt { display: inline-block; border: 1.5px solid; border-radius: 4px; padding: 0 5px;
  font-size: 13px; font-weight: 700; white-space: nowrap; }
.lt-red { color: var(--red); background: var(--red-bg); }
.lt-yellow { color: var(--yellow); background: var(--yellow-bg); border-style: dashed; }
.lt-green { color: var(--green); background: var(--green-bg); border-style: dotted; }
.big { font-weight: 700; color: var(--red); }
figure { margin: 12px 0; break-inside: avoid; page-break-inside: avoid; }
figcaption { font-size: 14px; font-weight: 600; margin-bottom: 4px; }
figcaption .note { font-weight: 400; display: block; }
svg.chart { display: block; width: 100%; height: auto; max-width: 640px; }
svg.chart.bars { max-width: 560px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 400px), 1fr)); gap: 8px 24px; }
@media (max-width: 640px) {
  body { padding: 10px; font-size: 14px; }
  table { font-size: 13px; }
  th, td { padding: 4px; }
  .tile { padding: 8px 4px; }
  .tile .n { font-size: 34px; }
  .tile .w { font-size: 17px; }
}
footer { margin-top: 28px; border-top: 1px solid var(--rule); padding-top: 6px; font-size: 12px; color: var(--muted); }
@page { size: A4; margin: 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; background: #fff !important; color: #000; }
  .tile, .lt, th, tr.sum td { background: #fff !important; }
  tr.grp { break-after: avoid; page-break-after: avoid; }
  .tile .n, .tile .w { color: #000; }
  .scroll { overflow: visible; }
  h2, h3, figcaption { break-after: avoid; page-break-after: avoid; }
  figure, svg.chart, .tiles { break-inside: avoid; page-break-inside: avoid; }
  svg.chart { max-width: 150mm; }
  svg.chart.bars { max-width: 110mm; }
  table { font-size: 9.5pt; }
  a { color: #000; text-decoration: none; }
}
"#;

/// The labels of the page in the reader's language.
struct Words {
    lang: Lang,
}

impl Words {
    fn p(&self, en: &'static str, zh: &'static str) -> &'static str {
        self.lang.pick(en, zh)
    }
}

/// The digest as one HTML5 page.
pub fn digest_html(d: &Digest) -> String {
    let l = Words { lang: d.lang };
    let mut h = String::with_capacity(64 * 1024);
    let title = l.p("Policy implementation digest", "政策落实情况月报");
    let asof = match d.lang {
        Lang::Zh => format!("截至{}", long_date(d.lang, d.as_of)),
        Lang::En => format!("As of {}", long_date(d.lang, d.as_of)),
    };
    w!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} · {}</title>\n<style>{}</style>\n</head>\n<body>\n",
        l.p("en", "zh-CN"),
        escape(title),
        escape(&asof),
        CSS
    );
    w!(
        h,
        "<header>\n<h1>{}</h1>\n<p class=\"asof\">{} <time datetime=\"{}\">({})</time></p>\n</header>\n",
        escape(title),
        escape(&asof),
        d.as_of,
        d.as_of
    );
    let mut charts = Charts::default();
    tiles(&mut h, d, &l);
    units(&mut h, &d.units, &l);
    overdue(&mut h, d, &l, &mut charts);
    due_soon(&mut h, d, &l);
    gaps(&mut h, d, &l, &mut charts);
    recurring(&mut h, d, &l);
    timelines(&mut h, d, &l, &mut charts);
    w!(
        h,
        "<footer>\n<p>{}</p>\n<p>{}</p>\n</footer>\n</body>\n</html>\n",
        escape(l.p(
            "Red: overdue, or a target missed after its deadline. Yellow: due within the window, a target not yet met, or without data. Green: on schedule, done, or met.",
            "红灯:逾期,或期限已过目标未达标。黄灯:即将到期、目标尚未达到或无数据。绿灯:按计划推进、已完成或已达标。"
        )),
        escape(&match d.lang {
            Lang::Zh => format!("由 govtrack 根据各单位报送的进展生成,数据截至{}。", d.as_of),
            Lang::En => format!(
                "Made by govtrack from the progress the units reported, as of {}.",
                d.as_of
            ),
        })
    );
    h
}

fn tiles(h: &mut String, d: &Digest, l: &Words) {
    let total = d.counts.red + d.counts.yellow + d.counts.green;
    w!(
        h,
        "<section aria-label=\"{}\">\n<div class=\"tiles\">\n",
        escape(l.p("Lights", "红黄绿灯"))
    );
    for (light, n, what) in [
        (
            Light::Red,
            d.counts.red,
            l.p("overdue or missed", "逾期或错过目标"),
        ),
        (
            Light::Yellow,
            d.counts.yellow,
            l.p(
                "due soon, not yet met or no data",
                "即将到期、未达标或无数据",
            ),
        ),
        (
            Light::Green,
            d.counts.green,
            l.p("on schedule, done or met", "按计划、已完成或已达标"),
        ),
    ] {
        w!(
            h,
            "<div class=\"tile {}\"><span class=\"n\">{}</span><span class=\"w\">{}</span><span class=\"d\">{}</span></div>\n",
            light_class(light),
            n,
            escape(l.lang.light(light)),
            escape(what)
        );
    }
    let line = match l.lang {
        Lang::Zh => format!(
            "共{total}项任务和目标:红灯{}项,黄灯{}项,绿灯{}项。",
            d.counts.red, d.counts.yellow, d.counts.green
        ),
        Lang::En => format!(
            "{total} tasks and targets: {} red, {} yellow, {} green.",
            d.counts.red, d.counts.yellow, d.counts.green
        ),
    };
    w!(
        h,
        "</div>\n<p class=\"note\">{}</p>\n</section>\n",
        escape(&line)
    );
}

fn units(h: &mut String, units: &[UnitSummary], l: &Words) {
    const SHOWN: usize = 10;
    w!(
        h,
        "<section>\n<h2>{}</h2>\n",
        escape(l.p("Units, worst first", "各单位情况(问题多的在前)"))
    );
    let flagged: Vec<&UnitSummary> = units
        .iter()
        .filter(|u| u.light.is_some_and(|l| l != Light::Green))
        .collect();
    if flagged.is_empty() {
        let line = if units.is_empty() {
            l.p(
                "No units with tasks or targets.",
                "没有承担任务或目标的单位。",
            )
        } else {
            l.p("Every unit is green.", "所有单位均为绿灯。")
        };
        w!(h, "<p class=\"none\">{}</p>\n</section>\n", escape(line));
        return;
    }
    thead(
        h,
        &[
            (l.p("Unit", "单位"), false),
            (l.p("Light", "灯"), false),
            (l.p("Overdue", "逾期"), true),
            (l.p("Due soon", "即将到期"), true),
            (l.p("Targets unmet", "目标未达标"), true),
            (l.p("No data", "无数据"), true),
            (l.p("Done / tasks", "已完成/任务"), true),
        ],
        true,
    );
    for u in flagged.iter().take(SHOWN) {
        w!(
            h,
            "<tr><td class=\"u\">{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}/{}</td></tr>\n",
            escape(&u.unit),
            badge(l.lang, u.light),
            u.overdue,
            u.due_soon,
            u.targets_unmet,
            u.targets_no_data,
            u.done + u.done_late,
            u.tasks
        );
    }
    h.push_str("</tbody>\n</table></div>\n");
    let more = flagged.len().saturating_sub(SHOWN);
    let green = units.len() - flagged.len();
    let mut notes = Vec::new();
    if more > 0 {
        notes.push(match l.lang {
            Lang::Zh => format!("另有{more}个红灯或黄灯单位未列出。"),
            Lang::En => format!("{more} more red or yellow units are not listed."),
        });
    }
    if green > 0 {
        notes.push(match l.lang {
            Lang::Zh => format!("其余{green}个单位均为绿灯。"),
            Lang::En => format!("The other {green} units are green."),
        });
    }
    if !notes.is_empty() {
        w!(h, "<p class=\"note\">{}</p>\n", escape(&notes.join(" ")));
    }
    h.push_str("</section>\n");
}

/// Whether the task rows come from more than one policy: then a number needs its policy.
fn many_policies(d: &Digest) -> bool {
    let mut ids = d
        .overdue
        .iter()
        .flat_map(|g| &g.tasks)
        .chain(&d.due_soon)
        .chain(&d.recurring_missed)
        .map(|t| &*t.policy);
    let first = ids.next();
    ids.any(|p| Some(p) != first)
}

fn number_cell(t: &TaskRow, with_policy: bool) -> String {
    if with_policy {
        format!(
            "{}<br><span class=\"note pid\">{}</span>",
            escape(&t.number),
            escape(&t.policy)
        )
    } else {
        escape(&t.number)
    }
}

/// The latest progress reported and its note.
fn progress_cell(t: &TaskRow, lang: Lang) -> String {
    // What was last reported belongs to an earlier occurrence of a recurring obligation.
    if t.recurring {
        return escape(lang.pick("this period's report not received", "本期报告未收到"));
    }
    let state = match t.progress {
        Some("in_progress") => lang.pick("in progress", "推进中"),
        Some("not_started") => lang.pick("not started", "未启动"),
        Some("done") => lang.pick("done", "已完成"),
        _ => "",
    };
    match (state.is_empty(), t.note.is_empty()) {
        (true, true) => lang.pick("nothing reported", "未报送进展").to_string(),
        (false, true) => escape(state),
        (true, false) => escape(&t.note),
        (false, false) => format!(
            "{}{}{}",
            escape(state),
            lang.pick(": ", ":"),
            escape(&t.note)
        ),
    }
}

fn overdue(h: &mut String, d: &Digest, l: &Words, charts: &mut Charts) {
    let n: usize = d.overdue.iter().map(|g| g.tasks.len()).sum();
    let heading = match l.lang {
        Lang::Zh => format!("逾期任务(按牵头单位,共{n}项)"),
        Lang::En => format!("Overdue tasks by lead unit ({n})"),
    };
    w!(h, "<section>\n<h2>{}</h2>\n", escape(&heading));
    if d.overdue.is_empty() {
        w!(
            h,
            "<p class=\"none\">{}</p>\n</section>\n",
            escape(l.p("Nothing overdue.", "无逾期任务。"))
        );
        return;
    }
    if d.overdue.len() > 1 {
        let caption = l.p("Overdue tasks per lead unit", "各牵头单位逾期任务数");
        w!(
            h,
            "<figure>\n<figcaption>{}</figcaption>\n{}</figure>\n",
            escape(caption),
            charts.overdue_by_lead(&d.overdue, l)
        );
    }
    // One table, a group of rows per lead unit: the columns line up across the groups and
    // the header repeats on every printed page.
    thead(
        h,
        &[
            (l.p("No.", "序号"), false),
            (l.p("Task", "任务"), false),
            (l.p("Responsible unit", "责任单位"), false),
            (l.p("Deadline", "完成时限"), false),
            (l.p("Days overdue", "逾期天数"), true),
            (l.p("Latest progress", "最新进展"), false),
        ],
        false,
    );
    let with_policy = many_policies(d);
    for g in &d.overdue {
        let longest = g
            .tasks
            .iter()
            .filter_map(|t| t.days_overdue)
            .max()
            .unwrap_or(0);
        let lead = if g.lead.is_empty() {
            l.p("(no lead unit)", "(未定牵头单位)").to_string()
        } else {
            g.lead.clone()
        };
        let summary = match l.lang {
            Lang::Zh => format!("{}项,最长逾期{}天", g.tasks.len(), longest),
            Lang::En => format!(
                "{}, longest {} overdue",
                items(l.lang, g.tasks.len()),
                days(l.lang, longest)
            ),
        };
        w!(
            h,
            "<tbody>\n<tr class=\"grp\"><th colspan=\"6\" scope=\"rowgroup\">{}{} <span class=\"note\">({})</span></th></tr>\n",
            escape(l.p("Lead unit: ", "牵头单位:")),
            escape(&lead),
            escape(&summary)
        );
        for t in &g.tasks {
            w!(
                h,
                "<tr><td class=\"no\">{}</td><td class=\"t\">{}</td><td class=\"u\">{}</td><td class=\"d\">{}</td><td class=\"n big\">{}</td><td class=\"t\">{}</td></tr>\n",
                number_cell(t, with_policy),
                escape(&t.title),
                escape(&t.unit),
                escape(&opt(&t.deadline)),
                escape(&days(l.lang, t.days_overdue.unwrap_or(0))),
                progress_cell(t, l.lang)
            );
        }
        h.push_str("</tbody>\n");
    }
    h.push_str("</table></div>\n</section>\n");
}

fn due_soon(h: &mut String, d: &Digest, l: &Words) {
    let heading = match l.lang {
        Lang::Zh => format!("{}天内到期", d.due_soon_days),
        Lang::En => format!("Due within {} days", d.due_soon_days),
    };
    w!(h, "<section>\n<h2>{}</h2>\n", escape(&heading));
    if d.due_soon.is_empty() {
        let line = match l.lang {
            Lang::Zh => format!("{}天内没有到期的任务。", d.due_soon_days),
            Lang::En => format!("Nothing falls due within {} days.", d.due_soon_days),
        };
        w!(h, "<p class=\"none\">{}</p>\n</section>\n", escape(&line));
        return;
    }
    thead(
        h,
        &[
            (l.p("No.", "序号"), false),
            (l.p("Task", "任务"), false),
            (l.p("Responsible unit", "责任单位"), false),
            (l.p("Lead unit", "牵头单位"), false),
            (l.p("Deadline", "完成时限"), false),
            (l.p("Days left", "剩余天数"), true),
        ],
        true,
    );
    let with_policy = many_policies(d);
    for t in &d.due_soon {
        let left = match t.days_left {
            Some(0) => l.p("due today", "今天到期").to_string(),
            Some(n) => match l.lang {
                Lang::Zh => format!("还剩{n}天"),
                Lang::En => format!("{} left", days(l.lang, n)),
            },
            None => String::new(),
        };
        w!(
            h,
            "<tr><td class=\"no\">{}</td><td class=\"t\">{}</td><td class=\"u\">{}</td><td class=\"u\">{}</td><td class=\"d\">{}</td><td class=\"n\">{}</td></tr>\n",
            number_cell(t, with_policy),
            escape(&t.title),
            escape(&t.unit),
            escape(&t.lead.join("、")),
            escape(&opt(&t.deadline)),
            escape(&left)
        );
    }
    h.push_str("</tbody>\n</table></div>\n</section>\n");
}

/// The bounds as people write them: 18–30, ≥ 18, ≤ 30.
fn bounds(min: Option<f64>, max: Option<f64>) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("{}–{}", num(a), num(b)),
        (Some(a), None) => format!("≥ {}", num(a)),
        (None, Some(b)) => format!("≤ {}", num(b)),
        (None, None) => String::new(),
    }
}

fn status_word(g: &GapRow, lang: Lang) -> &'static str {
    if g.missed {
        lang.pick("missed", "逾期未达标")
    } else {
        lang.target_status(g.status)
    }
}

fn trend_cell(g: &GapRow, lang: Lang) -> String {
    let mut parts = Vec::new();
    if let Some(p) = g.trend {
        parts.push(escape(lang.pace(p)));
    }
    if let Some(v) = g.projected {
        parts.push(match lang {
            Lang::Zh => format!("到期预计{}", num(v)),
            Lang::En => format!("{} at the deadline", num(v)),
        });
    }
    if let Some(on) = &g.reaches_on {
        parts.push(match lang {
            Lang::Zh => format!("{}达标", escape(on)),
            Lang::En => format!("reaches the target {}", escape(on)),
        });
    }
    parts.join("<br>")
}

fn gaps(h: &mut String, d: &Digest, l: &Words, charts: &mut Charts) {
    w!(
        h,
        "<section>\n<h2>{}</h2>\n",
        escape(l.p("Target gaps", "目标差距"))
    );
    if d.gaps.is_empty() {
        w!(
            h,
            "<p class=\"none\">{}</p>\n",
            escape(l.p("Every target is met.", "所有目标均已达标。"))
        );
    } else {
        thead(
            h,
            &[
                (l.p("Target", "目标"), false),
                (l.p("Unit", "单位"), false),
                (l.p("Status", "状态"), false),
                (l.p("Actual", "实际值"), true),
                (l.p("Target value", "目标值"), true),
                (l.p("What is missing", "差距"), false),
                (l.p("Trend", "趋势"), false),
                (l.p("Data date", "数据日期"), false),
            ],
            true,
        );
        for g in &d.gaps {
            let unit = if g.summary {
                format!(
                    "{}{}",
                    escape(&g.unit),
                    escape(l.p(" (all units)", "(汇总)"))
                )
            } else {
                escape(&g.unit)
            };
            let mut data = escape(g.data_date.as_deref().unwrap_or(""));
            if g.stale {
                w!(data, "<br>{}", escape(l.p("stale", "数据陈旧")));
            }
            if let Some(r) = &g.reported {
                w!(
                    data,
                    "<br>{}{}",
                    escape(l.p("reported: ", "已报:")),
                    escape(r)
                );
            }
            w!(
                h,
                "<tr{}><td class=\"t\">{}</td><td class=\"u\">{}</td><td class=\"st\">{}<br>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"t\">{}</td><td class=\"tr\">{}</td><td class=\"d\">{}</td></tr>\n",
                if g.summary { " class=\"sum\"" } else { "" },
                escape(&g.title),
                unit,
                badge(l.lang, Some(g.light)),
                escape(status_word(g, l.lang)),
                g.actual.map(num).unwrap_or_default(),
                escape(&bounds(g.min, g.max)),
                escape(&g.gap_text),
                trend_cell(g, l.lang),
                data
            );
        }
        h.push_str("</tbody>\n</table></div>\n");
    }
    if !d.attainment.is_empty() {
        w!(
            h,
            "<h3>{}</h3>\n<div class=\"charts\">\n",
            escape(l.p("Attainment per unit", "各单位目标达成情况"))
        );
        for a in &d.attainment {
            let differ = if bounds_differ(a, &d.gaps) {
                l.p(
                    " The bounds differ by kind of unit: the dashed lines show one of them; met or unmet follows each unit's own bound.",
                    "(各单位目标值因类型而异,虚线只是其中之一;是否达标以各单位自己的目标值为准。)",
                )
            } else {
                ""
            };
            w!(
                h,
                "<figure>\n<figcaption>{}<span class=\"note\">{}{}{}</span></figcaption>\n{}</figure>\n",
                escape(&a.title),
                escape(l.p("Target: ", "目标值:")),
                escape(&bounds(a.min, a.max)),
                escape(differ),
                charts.attainment(a, &d.gaps, l)
            );
        }
        h.push_str("</div>\n");
    }
    if let Some(t) = &d.trend {
        w!(
            h,
            "<h3>{}</h3>\n<figure>\n<figcaption>{} · {}<span class=\"note\">{}</span></figcaption>\n{}</figure>\n",
            escape(l.p("Trend", "趋势")),
            escape(&t.title),
            escape(&t.unit),
            trend_summary(t, l.lang),
            charts.trend(t, l)
        );
    }
    h.push_str("</section>\n");
}

/// "needs acceleration; 24.6 expected at the deadline 2024-12-31; the current pace reaches
/// the bound on 2026-03-01", already escaped.
fn trend_summary(t: &TrendChart, lang: Lang) -> String {
    let mut parts = Vec::new();
    if let Some(p) = t.pace {
        parts.push(match lang {
            Lang::Zh => format!("进度:{}", lang.pace(p)),
            Lang::En => format!("pace: {}", lang.pace(p)),
        });
    }
    if let (Some(v), Some(dl)) = (t.projected, t.deadline) {
        parts.push(match lang {
            Lang::Zh => format!("按当前速度,到完成时限{dl}预计为{}", num(v)),
            Lang::En => format!("at the current pace {} by the deadline {dl}", num(v)),
        });
    }
    parts.push(reaches_text(t, lang));
    escape(&parts.join(lang.pick("; ", ";")))
}

fn reaches_text(t: &TrendChart, lang: Lang) -> String {
    match (t.reaches_on, lang) {
        (Some(on), Lang::Zh) => format!("按当前速度将于{on}达标"),
        (Some(on), Lang::En) => format!("the current pace reaches the target on {on}"),
        (None, _) => lang
            .pick(
                "the current pace never reaches the target",
                "按当前速度无法达标",
            )
            .to_string(),
    }
}

fn recurring(h: &mut String, d: &Digest, l: &Words) {
    w!(
        h,
        "<section>\n<h2>{}</h2>\n",
        escape(l.p("Recurring reports not received", "未按时报送的定期报告"))
    );
    if d.recurring_missed.is_empty() {
        w!(
            h,
            "<p class=\"none\">{}</p>\n</section>\n",
            escape(l.p(
                "Every recurring report due has been received.",
                "应报的定期报告均已收到。"
            ))
        );
        return;
    }
    thead(
        h,
        &[
            (l.p("No.", "序号"), false),
            (l.p("Report", "报告"), false),
            (l.p("Responsible unit", "责任单位"), false),
            (l.p("Due", "应报日期"), false),
            (l.p("Days overdue", "逾期天数"), true),
        ],
        true,
    );
    let with_policy = many_policies(d);
    for t in &d.recurring_missed {
        w!(
            h,
            "<tr><td class=\"no\">{}</td><td class=\"t\">{}</td><td class=\"u\">{}</td><td class=\"d\">{}</td><td class=\"n big\">{}</td></tr>\n",
            number_cell(t, with_policy),
            escape(&t.title),
            escape(&t.unit),
            escape(&opt(&t.deadline)),
            escape(&days(l.lang, t.days_overdue.unwrap_or(0)))
        );
    }
    h.push_str("</tbody>\n</table></div>\n</section>\n");
}

fn timelines(h: &mut String, d: &Digest, l: &Words, charts: &mut Charts) {
    w!(
        h,
        "<section>\n<h2>{}</h2>\n",
        escape(l.p("Phases", "实施步骤"))
    );
    if d.timelines.is_empty() {
        w!(
            h,
            "<p class=\"none\">{}</p>\n</section>\n",
            escape(l.p("No policy sets out phases.", "各文件均未列出实施步骤。"))
        );
        return;
    }
    for t in &d.timelines {
        w!(
            h,
            "<figure>\n<figcaption>{}</figcaption>\n{}</figure>\n",
            escape(&t.title),
            charts.timeline(t, d.as_of, l)
        );
    }
    h.push_str("</section>\n");
}

// ---- charts ----------------------------------------------------------------------------

/// Numbers the charts so that ids inside them are unique in the page.
#[derive(Default)]
struct Charts {
    n: usize,
}

/// The opening of an SVG chart: it scales to the width, and says what it shows.
fn svg_open(class: &str, width: f64, height: f64, title: &str) -> String {
    format!(
        "<svg class=\"{class}\" viewBox=\"0 0 {} {}\" width=\"100%\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\" font-family=\"inherit\">\n<title>{}</title>\n",
        c(width),
        c(height),
        escape(title),
        escape(title)
    )
}

/// Diagonal hatching: what marks a bar that falls short, in colour and in black and white.
fn hatch(id: usize) -> String {
    format!(
        "<defs><pattern id=\"hatch-{id}\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#fff\"/><rect width=\"3\" height=\"6\" fill=\"#c62828\"/></pattern></defs>\n"
    )
}

fn text(x: f64, y: f64, size: f64, anchor: &str, extra: &str, content: &str) -> String {
    format!(
        "<text x=\"{}\" y=\"{}\" font-size=\"{}\" text-anchor=\"{anchor}\"{extra}>{}</text>\n",
        c(x),
        c(y),
        c(size),
        escape(content)
    )
}

/// A label that stays inside [0, width]: anchored at its start, middle or end as room allows.
fn label_at(x: f64, y: f64, size: f64, width: f64, extra: &str, content: &str) -> String {
    let tw = text_width(content, size);
    if x - tw / 2.0 < 0.0 {
        text(x.max(0.0), y, size, "start", extra, content)
    } else if x + tw / 2.0 > width {
        text(x.min(width), y, size, "end", extra, content)
    } else {
        text(x, y, size, "middle", extra, content)
    }
}

const W: f64 = 520.0;
const SMALL_W: f64 = 420.0;
const FONT: f64 = 14.0;

impl Charts {
    fn next(&mut self) -> usize {
        self.n += 1;
        self.n
    }

    /// Overdue tasks per lead unit: one bar each, its count written at its end.
    fn overdue_by_lead(&mut self, groups: &[LeadGroup], l: &Words) -> String {
        let width = SMALL_W;
        let row = 42.0;
        let height = 8.0 + row * groups.len() as f64;
        let most = groups
            .iter()
            .map(|g| g.tasks.len())
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        let room = width - 70.0;
        let mut s = svg_open(
            "chart bars",
            width,
            height,
            l.p("Overdue tasks per lead unit", "各牵头单位逾期任务数"),
        );
        for (i, g) in groups.iter().enumerate() {
            let y = 4.0 + row * i as f64;
            let longest = g
                .tasks
                .iter()
                .filter_map(|t| t.days_overdue)
                .max()
                .unwrap_or(0);
            let n = g.tasks.len();
            let lead = if g.lead.is_empty() {
                l.p("(no lead unit)", "(未定牵头单位)")
            } else {
                g.lead.as_str()
            };
            let tip = match l.lang {
                Lang::Zh => format!("{lead}:{n}项逾期,最长{longest}天"),
                Lang::En => format!(
                    "{lead}: {} overdue, longest {}",
                    items(l.lang, n),
                    days(l.lang, longest)
                ),
            };
            let longest_text = match l.lang {
                Lang::Zh => format!("(最长逾期{longest}天)"),
                Lang::En => format!(" (longest {})", days(l.lang, longest)),
            };
            let bar = room * n as f64 / most;
            w!(s, "<g>\n<title>{}</title>\n", escape(&tip));
            s.push_str(&text(
                0.0,
                y + 14.0,
                FONT,
                "start",
                "",
                &fit(&format!("{lead}{longest_text}"), width, FONT),
            ));
            w!(
                s,
                "<rect x=\"0\" y=\"{}\" width=\"{}\" height=\"16\" fill=\"#8e1b1b\"/>\n",
                c(y + 20.0),
                c(bar)
            );
            s.push_str(&text(
                bar + 6.0,
                y + 33.0,
                13.0,
                "start",
                " font-weight=\"700\"",
                &items(l.lang, n),
            ));
            s.push_str("</g>\n");
        }
        s.push_str("</svg>\n");
        s
    }

    /// One target's actual value per unit as horizontal bars, against dashed lines at the
    /// bounds. A bar that falls short is hatched and says so.
    fn attainment(&mut self, a: &Attainment, gaps: &[GapRow], l: &Words) -> String {
        let id = self.next();
        let width = SMALL_W;
        let top = 22.0;
        let row = 40.0;
        let right = 110.0;
        let height = top + row * a.bars.len() as f64 + 4.0;
        let hi = a
            .bars
            .iter()
            .map(|(_, v)| *v)
            .chain(a.min)
            .chain(a.max)
            .fold(0.0_f64, f64::max)
            .max(1e-9);
        let room = width - right;
        let x = |v: f64| (v.max(0.0) / hi) * room;
        let title = match l.lang {
            Lang::Zh => format!("{}:各单位实际值与目标值{}", a.title, bounds(a.min, a.max)),
            Lang::En => format!(
                "{}: actual per unit against the target {}",
                a.title,
                bounds(a.min, a.max)
            ),
        };
        let mut s = svg_open("chart bars", width, height, &title);
        s.push_str(&hatch(id));
        for (i, (unit, value)) in a.bars.iter().enumerate() {
            let y = top + row * i as f64;
            let gap = unit_gap(a, gaps, unit);
            let status = gap.map_or(TargetStatus::Met, |g| g.status);
            let short = status == TargetStatus::Unmet;
            let word = match gap {
                Some(g) => status_word(g, l.lang),
                None => l.lang.target_status(TargetStatus::Met),
            };
            let tip = format!("{unit}: {} ({word})", num(*value));
            w!(s, "<g>\n<title>{}</title>\n", escape(&tip));
            s.push_str(&text(
                0.0,
                y + 13.0,
                FONT,
                "start",
                "",
                &fit(unit, width, FONT),
            ));
            let fill = if short {
                format!("url(#hatch-{id})\" stroke=\"#c62828\" stroke-width=\"1.5")
            } else {
                "#37474f".to_string()
            };
            w!(
                s,
                "<rect x=\"0\" y=\"{}\" width=\"{}\" height=\"16\" fill=\"{}\"/>\n",
                c(y + 18.0),
                c(x(*value).max(1.0)),
                fill
            );
            s.push_str(&text(
                x(*value) + 5.0,
                y + 31.0,
                13.0,
                "start",
                if short { " font-weight=\"700\"" } else { "" },
                &format!("{} {word}", num(*value)),
            ));
            s.push_str("</g>\n");
        }
        // The bounds, with their labels kept apart: the minimum's to the left of its line,
        // the maximum's to the right.
        let both = a.min.is_some() && a.max.is_some();
        for (bound, word, anchor) in [
            (
                a.min,
                l.p("min", "下限"),
                if both { "end" } else { "middle" },
            ),
            (
                a.max,
                l.p("max", "上限"),
                if both { "start" } else { "middle" },
            ),
        ] {
            let Some(v) = bound else { continue };
            let bx = x(v);
            w!(
                s,
                "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#000\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>\n",
                c(bx),
                c(top - 4.0),
                c(height - 2.0)
            );
            let label = format!("{word} {}", num(v));
            let lx = match anchor {
                "end" => bx - 3.0,
                "start" => bx + 3.0,
                _ => bx,
            };
            if anchor == "middle" {
                s.push_str(&label_at(lx, 13.0, 12.0, width, "", &label));
            } else {
                s.push_str(&text(lx, 13.0, 12.0, anchor, "", &label));
            }
        }
        s.push_str("</svg>\n");
        s
    }

    /// The history of one unit's value, the bound, the deadline, and a dashed projection
    /// from the last point to the deadline.
    fn trend(&mut self, t: &TrendChart, l: &Words) -> String {
        let (left, right, top, bottom) = (52.0, 24.0, 34.0, 250.0);
        let height = 318.0;
        let title = match l.lang {
            Lang::Zh => format!("趋势:{} · {}", t.title, t.unit),
            Lang::En => format!("Trend: {} · {}", t.title, t.unit),
        };
        let mut s = svg_open("chart", W, height, &title);
        let Some(&(first, _)) = t.points.first() else {
            s.push_str(&text(
                W / 2.0,
                height / 2.0,
                FONT,
                "middle",
                "",
                l.p("No observations to chart.", "没有可绘制的数据。"),
            ));
            s.push_str("</svg>\n");
            return s;
        };
        let last = *t.points.last().expect("points is not empty");
        let projection = match (t.deadline, t.projected) {
            (Some(dl), Some(v)) if dl > last.0 => Some((dl, v)),
            _ => None,
        };
        let d0 = first;
        let mut d1 = last.0;
        if let Some(dl) = t.deadline {
            d1 = d1.max(dl);
        }
        if d1 <= d0 {
            d1 = d0 + chrono::Duration::days(30);
        }
        let span = (d1 - d0).num_days() as f64;
        let px = |d: NaiveDate| left + (d - d0).num_days() as f64 / span * (W - left - right);
        let values: Vec<f64> = t
            .points
            .iter()
            .map(|p| p.1)
            .chain(t.min)
            .chain(t.max)
            .chain(projection.map(|p| p.1))
            .collect();
        let (mut lo, mut hi) = values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(*v), b.max(*v))
            });
        let pad = if hi > lo {
            (hi - lo) * 0.12
        } else {
            hi.abs().max(1.0) * 0.1
        };
        lo -= pad;
        hi += pad;
        if lo < 0.0 && values.iter().all(|v| *v >= 0.0) {
            lo = 0.0;
        }
        let (ticks, _) = nice_ticks(lo, hi);
        lo = lo.min(ticks.first().copied().unwrap_or(lo));
        hi = hi.max(ticks.last().copied().unwrap_or(hi));
        let py = |v: f64| bottom - (v - lo) / (hi - lo) * (bottom - top);
        // The grid and the value axis.
        for v in &ticks {
            w!(
                s,
                "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#ddd\" stroke-width=\"1\"/>\n",
                c(left),
                c(py(*v)),
                c(W - right)
            );
            s.push_str(&text(
                left - 6.0,
                py(*v) + 4.0,
                12.0,
                "end",
                " fill=\"#444\"",
                &num(*v),
            ));
        }
        w!(
            s,
            "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#000\"/>\n<line x1=\"{0}\" y1=\"{2}\" x2=\"{3}\" y2=\"{2}\" stroke=\"#000\"/>\n",
            c(left),
            c(top),
            c(bottom),
            c(W - right)
        );
        // The bounds: dash-dot lines, labelled at their right end.
        for (bound, word) in [(t.min, l.p("min", "下限")), (t.max, l.p("max", "上限"))] {
            let Some(v) = bound else { continue };
            w!(
                s,
                "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#000\" stroke-width=\"2\" stroke-dasharray=\"10 3 2 3\"/>\n",
                c(left),
                c(py(v)),
                c(W - right)
            );
            s.push_str(&text(
                left + 6.0,
                py(v) - 5.0,
                12.0,
                "start",
                " font-weight=\"700\"",
                &format!("{word} {}", num(v)),
            ));
        }
        // The deadline: a dotted vertical line, labelled at the top.
        if let Some(dl) = t.deadline {
            let x = px(dl);
            w!(
                s,
                "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#000\" stroke-width=\"1.5\" stroke-dasharray=\"2 3\"/>\n",
                c(x),
                c(top - 10.0),
                c(bottom)
            );
            s.push_str(&label_at(
                x,
                top - 14.0,
                12.0,
                W,
                "",
                &format!("{} {dl}", l.p("deadline", "完成时限")),
            ));
        }
        // The projection from the last point to the deadline.
        if let Some((dl, v)) = projection {
            w!(
                s,
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#1565c0\" stroke-width=\"2\" stroke-dasharray=\"7 5\"/>\n",
                c(px(last.0)),
                c(py(last.1)),
                c(px(dl)),
                c(py(v))
            );
            w!(
                s,
                "<circle cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"#fff\" stroke=\"#1565c0\" stroke-width=\"2\"/>\n",
                c(px(dl)),
                c(py(v))
            );
            let label = match l.lang {
                Lang::Zh => format!("预计 {}", num(v)),
                Lang::En => format!("projected {}", num(v)),
            };
            s.push_str(&text(px(dl) - 8.0, py(v) + 16.0, 12.0, "end", "", &label));
        }
        // The observations: a solid line with dots, the values written.
        let pts: Vec<String> = t
            .points
            .iter()
            .map(|(d, v)| format!("{},{}", c(px(*d)), c(py(*v))))
            .collect();
        w!(
            s,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#1565c0\" stroke-width=\"2.5\"/>\n",
            pts.join(" ")
        );
        let label_all = t.points.len() <= 6;
        for (i, (d, v)) in t.points.iter().enumerate() {
            w!(
                s,
                "<circle cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"#1565c0\"><title>{d}: {}</title></circle>\n",
                c(px(*d)),
                c(py(*v)),
                escape(&num(*v))
            );
            if label_all || i == 0 || i + 1 == t.points.len() {
                s.push_str(&label_at(
                    px(*d),
                    py(*v) - 9.0,
                    12.0,
                    W,
                    " font-weight=\"700\"",
                    &num(*v),
                ));
            }
        }
        // The dates under the axis: first, last observation, deadline, when they do not
        // collide.
        let mut marks: Vec<NaiveDate> = vec![first];
        for d in [Some(last.0), t.deadline].into_iter().flatten() {
            if marks.iter().all(|m| (px(*m) - px(d)).abs() > 80.0) {
                marks.push(d);
            }
        }
        for d in marks {
            w!(
                s,
                "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#000\"/>\n",
                c(px(d)),
                c(bottom),
                c(bottom + 4.0)
            );
            s.push_str(&label_at(px(d), bottom + 17.0, 12.0, W, "", &d.to_string()));
        }
        // The legend, and when the current pace reaches the bound.
        let ly = bottom + 40.0;
        let mut x = left;
        for (dash, stroke, width, word) in [
            ("", "#1565c0", 2.5, l.p("reported", "实际值")),
            (
                "7 5",
                "#1565c0",
                2.0,
                l.p("at the current pace", "按当前速度预计"),
            ),
            ("10 3 2 3", "#000", 2.0, l.p("target", "目标线")),
            ("2 3", "#000", 1.5, l.p("deadline", "完成时限")),
        ] {
            let dash = if dash.is_empty() {
                String::new()
            } else {
                format!(" stroke-dasharray=\"{dash}\"")
            };
            w!(
                s,
                "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{stroke}\" stroke-width=\"{3}\"{dash}/>\n",
                c(x),
                c(ly - 4.0),
                c(x + 26.0),
                c(width)
            );
            s.push_str(&text(x + 31.0, ly, 12.0, "start", "", word));
            x += 31.0 + text_width(word, 12.0) + 18.0;
        }
        s.push_str(&text(
            left,
            ly + 22.0,
            12.5,
            "start",
            " font-weight=\"700\"",
            &reaches_text(t, l.lang),
        ));
        s.push_str("</svg>\n");
        s
    }

    /// A policy's phases as bars on a time axis, the as-of date a vertical line across.
    fn timeline(&mut self, t: &Timeline, as_of: NaiveDate, l: &Words) -> String {
        let (left, right, top) = (4.0, 4.0, 30.0);
        let row = 42.0;
        let axis = top + row * t.phases.len() as f64 + 4.0;
        let height = axis + 22.0;
        let spans = phase_spans(&t.phases);
        let dates: Vec<NaiveDate> = spans
            .iter()
            .flat_map(|(a, b)| [*a, *b])
            .flatten()
            .chain([as_of])
            .collect();
        let mut d0 = *dates.iter().min().expect("as_of is in dates");
        let mut d1 = *dates.iter().max().expect("as_of is in dates");
        if (d1 - d0).num_days() < 60 {
            d0 -= chrono::Duration::days(30);
            d1 += chrono::Duration::days(30);
        }
        let span = (d1 - d0).num_days() as f64;
        let px = |d: NaiveDate| left + (d - d0).num_days() as f64 / span * (W - left - right);
        let title = match l.lang {
            Lang::Zh => format!("实施步骤:{}", t.title),
            Lang::En => format!("Phases: {}", t.title),
        };
        let mut s = svg_open("chart", W, height, &title);
        // The time axis with its ticks.
        w!(
            s,
            "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#000\"/>\n",
            c(left),
            c(axis),
            c(W - right)
        );
        for (d, label) in time_ticks(d0, d1) {
            let x = px(d);
            w!(
                s,
                "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#bbb\"/>\n",
                c(x),
                c(top - 4.0),
                c(axis + 4.0)
            );
            s.push_str(&label_at(x, axis + 17.0, 12.0, W, " fill=\"#333\"", &label));
        }
        for (i, (ph, (start, end))) in t.phases.iter().zip(&spans).enumerate() {
            let y = top + row * i as f64;
            // Finished, in progress or not started: a word, and a lighter or darker bar.
            let (state, fill, stroke) = match (start, end) {
                (_, Some(e)) if *e < as_of => (l.p("finished", "已结束"), "#b0bec5", "#546e7a"),
                (Some(st), _) if *st > as_of => (l.p("not started", "未开始"), "#fff", "#37474f"),
                (None, Some(_)) | (Some(_), _) => {
                    (l.p("in progress", "进行中"), "#1565c0", "#0d47a1")
                }
                (None, None) => (l.p("no dates", "无日期"), "#fff", "#37474f"),
            };
            let when = match (ph.start, ph.end) {
                (Some(a), Some(b)) => format!("{a} — {b}"),
                (None, Some(b)) => match l.lang {
                    Lang::Zh => format!("{b}前"),
                    Lang::En => format!("by {b}"),
                },
                (Some(a), None) => match l.lang {
                    Lang::Zh => format!("{a}起"),
                    Lang::En => format!("from {a}"),
                },
                (None, None) => String::new(),
            };
            let label = match l.lang {
                Lang::Zh => format!("{}({state}) {when}", ph.name),
                Lang::En => format!("{} ({state}) {when}", ph.name),
            };
            w!(s, "<g>\n<title>{}</title>\n", escape(&label));
            s.push_str(&text(
                left,
                y + 13.0,
                13.0,
                "start",
                "",
                &fit(&label, W, 13.0),
            ));
            match (start, end) {
                (Some(a), Some(b)) => {
                    w!(
                        s,
                        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"14\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1.5\"/>\n",
                        c(px(*a)),
                        c(y + 19.0),
                        c((px(*b) - px(*a)).max(3.0))
                    );
                }
                (Some(a), None) | (None, Some(a)) => {
                    // A single date: a diamond.
                    let (x, cy) = (px(*a), y + 26.0);
                    w!(
                        s,
                        "<path d=\"M{} {}L{} {}L{} {}L{} {}Z\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1.5\"/>\n",
                        c(x),
                        c(cy - 7.0),
                        c(x + 7.0),
                        c(cy),
                        c(x),
                        c(cy + 7.0),
                        c(x - 7.0),
                        c(cy)
                    );
                }
                (None, None) => {}
            }
            s.push_str("</g>\n");
        }
        // The as-of date.
        let x = px(as_of);
        w!(
            s,
            "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#c62828\" stroke-width=\"2.5\"/>\n",
            c(x),
            c(top - 12.0),
            c(axis)
        );
        let label = match l.lang {
            Lang::Zh => format!("截至 {as_of}"),
            Lang::En => format!("as of {as_of}"),
        };
        s.push_str(&label_at(x, 12.0, 12.0, W, " font-weight=\"700\"", &label));
        s.push_str("</svg>\n");
        s
    }
}

/// The open gap of one unit on an attainment chart's target; none means the unit meets it.
fn unit_gap<'a>(a: &Attainment, gaps: &'a [GapRow], unit: &str) -> Option<&'a GapRow> {
    gaps.iter()
        .find(|g| !g.summary && *g.policy == *a.policy && *g.target == *a.target && g.unit == unit)
}

/// Whether some unit's verdict disagrees with the bounds drawn: the target's bounds differ
/// by kind of unit (rural 5, urban 10) and the chart can draw only one set.
fn bounds_differ(a: &Attainment, gaps: &[GapRow]) -> bool {
    a.bars.iter().any(|(unit, v)| {
        let within = a.min.is_none_or(|m| *v >= m) && a.max.is_none_or(|m| *v <= m);
        match unit_gap(a, gaps, unit).map(|g| g.status) {
            None => !within,
            Some(TargetStatus::Unmet) => within,
            Some(_) => false,
        }
    })
}

/// Each phase's start and end for drawing: a phase without a start begins where the one
/// before it ended.
fn phase_spans(phases: &[TimelinePhase]) -> Vec<(Option<NaiveDate>, Option<NaiveDate>)> {
    let mut out: Vec<(Option<NaiveDate>, Option<NaiveDate>)> = Vec::new();
    for ph in phases {
        let start = ph.start.or_else(|| {
            out.last()
                .and_then(|(_, e)| *e)
                .and_then(|e| e.succ_opt())
                .filter(|s| ph.end.is_none_or(|e| *s <= e))
        });
        out.push((start, ph.end));
    }
    out
}

/// About five round values covering [lo, hi], and their step.
fn nice_ticks(lo: f64, hi: f64) -> (Vec<f64>, f64) {
    let range = (hi - lo).max(1e-9);
    let raw = range / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let mut v = (lo / step).floor() * step;
    let mut out = Vec::new();
    while v <= hi + step * 0.5 && out.len() < 12 {
        out.push(v + 0.0);
        v += step;
    }
    (out, step)
}

/// Ticks on a time axis: years over long spans, else every one, two, three or six months.
fn time_ticks(d0: NaiveDate, d1: NaiveDate) -> Vec<(NaiveDate, String)> {
    let months = (d1.year() - d0.year()) * 12 + d1.month() as i32 - d0.month() as i32;
    let step = [1, 2, 3, 6, 12, 24, 60]
        .into_iter()
        .find(|s| months / s <= 8)
        .unwrap_or(120);
    let mut out = Vec::new();
    let mut y = d0.year();
    let mut m = d0.month() as i32;
    // Every first of a month from d0's month to d1, keeping those on a multiple of the step.
    while let Some(d) = NaiveDate::from_ymd_opt(y, m as u32, 1).filter(|d| *d <= d1) {
        let on_step = if step >= 12 {
            m == 1 && y % (step / 12) == 0
        } else {
            (m - 1) % step == 0
        };
        if d >= d0 && on_step {
            let label = if step >= 12 {
                y.to_string()
            } else {
                format!("{y}-{m:02}")
            };
            out.push((d, label));
        }
        m += 1;
        if m > 12 {
            m = 1;
            y += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_the_five_characters() {
        assert_eq!(
            escape(r#"<a href="x">'A & B'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;A &amp; B&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("思明区"), "思明区");
    }

    #[test]
    fn numbers_have_at_most_two_decimals() {
        assert_eq!(num(17.655581), "17.66");
        assert_eq!(num(37.0), "37");
        assert_eq!(num(1.5), "1.5");
        assert_eq!(num(-0.001), "0");
    }

    #[test]
    fn ticks_are_round() {
        let (t, step) = nice_ticks(0.0, 31.0);
        assert_eq!(step, 10.0);
        assert_eq!(t, vec![0.0, 10.0, 20.0, 30.0]);
        let years = time_ticks(
            NaiveDate::from_ymd_opt(2023, 6, 1).unwrap(),
            NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
        );
        assert!(years.iter().all(|(d, _)| d.day() == 1));
        assert!(years.len() <= 9);
    }

    #[test]
    fn long_labels_are_cut() {
        let s = fit("厦门市民政局基层政权建设和社区治理处", 100.0, 14.0);
        assert!(s.ends_with('…'));
        assert!(text_width(&s, 14.0) <= 100.0);
    }
}
