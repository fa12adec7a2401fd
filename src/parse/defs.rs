//! Definition files: units, metrics and policy manifests (TOML) → validated definitions.
//!
//! All definition files are read together because they refer to each other (a task's
//! lead unit is defined in a registry file). Every problem is collected with its place;
//! nothing is returned as valid while any problem remains.

use super::{date_of, deadline_of, toml_error};
use crate::diag::{Diagnostic, Source};
use crate::judge::deadline::{due_dates, parse_month_day};
use crate::model::{
    Bounds, EACH_OWNER, Growth, Level, Measure, Metric, Observation, POPULATION, Schedule, Scope,
    Unit,
};
use crate::registry::{Registry, Unresolved};
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use toml::Spanned;

type S<T> = Spanned<T>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    policy: Option<RawPolicy>,
    #[serde(default)]
    phases: Vec<RawPhase>,
    #[serde(default)]
    sections: Vec<RawSection>,
    #[serde(default)]
    tasks: Vec<RawTask>,
    #[serde(default)]
    targets: Vec<RawTarget>,
    #[serde(default)]
    units: Vec<RawUnit>,
    #[serde(default)]
    metrics: Vec<RawMetric>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnit {
    id: S<String>,
    #[serde(deserialize_with = "shown_spanned")]
    name: S<String>,
    level: S<String>,
    kind: Option<String>,
    parent: Option<S<String>>,
    population: Option<S<f64>>,
    population_date: Option<S<toml::Value>>,
    population_source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetric {
    id: S<String>,
    #[serde(deserialize_with = "shown")]
    name: String,
    #[serde(deserialize_with = "shown")]
    en: String,
    #[serde(default)]
    #[serde(deserialize_with = "shown")]
    unit: String,
    rollup: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    id: S<String>,
    #[serde(deserialize_with = "shown")]
    title: String,
    number: Option<String>,
    issuer: Option<String>,
    issued: S<toml::Value>,
    jurisdiction: S<String>,
    period: Option<RawPeriod>,
    source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPeriod {
    start: S<toml::Value>,
    end: S<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPhase {
    id: S<String>,
    #[serde(deserialize_with = "shown")]
    name: String,
    start: Option<S<toml::Value>>,
    end: Option<S<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    id: S<String>,
    #[serde(default)]
    #[serde(deserialize_with = "shown")]
    number: String,
    #[serde(deserialize_with = "shown")]
    title: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn items(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// Scope fields shared by tasks and targets (not flattened: flattening loses spans).
struct RawScope<'a> {
    unit: &'a Option<S<String>>,
    each: &'a Option<S<OneOrMany>>,
    unit_kind: &'a Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTask {
    id: S<String>,
    section: Option<S<String>>,
    #[serde(default)]
    #[serde(deserialize_with = "shown")]
    number: String,
    #[serde(deserialize_with = "shown")]
    title: String,
    #[serde(default)]
    #[serde(deserialize_with = "shown")]
    text: String,
    #[serde(default = "no_lead")]
    lead: S<Vec<S<String>>>,
    #[serde(default)]
    support: Vec<S<String>>,
    deadline: Option<S<toml::Value>>,
    phase: Option<S<String>>,
    every: Option<S<Vec<S<String>>>>,
    starts: Option<S<toml::Value>>,
    unit: Option<S<String>>,
    each: Option<S<OneOrMany>>,
    unit_kind: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    id: S<String>,
    task: Option<S<String>>,
    #[serde(deserialize_with = "shown")]
    title: String,
    metric: S<String>,
    per: Option<RawPer>,
    min: Option<S<f64>>,
    max: Option<S<f64>>,
    deadline: Option<S<toml::Value>>,
    baseline: Option<RawBaseline>,
    measure: Option<S<String>>,
    growth: Option<S<String>>,
    #[serde(default)]
    thresholds: BTreeMap<String, S<RawBounds>>,
    unit: Option<S<String>>,
    each: Option<S<OneOrMany>>,
    unit_kind: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPer {
    metric: S<String>,
    #[serde(default = "one")]
    scale: S<f64>,
}

/// Text that reports show, in tables, on terminals and in print. A control character
/// (written as an escape such as "\u001b", which would move a terminal's cursor or clear its
/// screen) is refused; line breaks and tabs are kept.
fn shown<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let text = String::deserialize(d)?;
    match text
        .chars()
        .find(|&c| c.is_control() && c != '\n' && c != '\t')
    {
        Some(c) => Err(serde::de::Error::custom(format!(
            "the text holds the control character U+{:04X}, which a report cannot show",
            u32::from(c)
        ))),
        None => Ok(text),
    }
}

/// [`shown`], for a name whose place in the file is kept.
fn shown_spanned<'de, D: serde::Deserializer<'de>>(d: D) -> Result<S<String>, D::Error> {
    let name = S::<String>::deserialize(d)?;
    let span = name.span();
    let text = shown(serde::de::value::StringDeserializer::<D::Error>::new(
        name.into_inner(),
    ))?;
    Ok(S::new(span, text))
}

fn no_lead() -> S<Vec<S<String>>> {
    Spanned::new(0..0, Vec::new())
}

fn one() -> S<f64> {
    Spanned::new(0..0, 1.0)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBounds {
    min: Option<f64>,
    max: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBaseline {
    value: S<f64>,
    date: S<toml::Value>,
}

/// A unit with where it was defined and its census population, if given.
pub struct UnitDef {
    pub unit: Unit,
    pub path: String,
    pub population: Option<Observation>,
    pub population_source: String,
}

pub struct PolicyDef {
    pub id: String,
    pub path: String,
    pub title: String,
    pub number: String,
    pub issuer: String,
    pub issued: NaiveDate,
    pub jurisdiction: String,
    pub period: Option<(NaiveDate, NaiveDate)>,
    pub source: String,
    pub phases: Vec<Phase>,
    pub sections: Vec<Section>,
    pub tasks: Vec<TaskDef>,
    pub targets: Vec<TargetDef>,
}

pub struct Phase {
    pub id: String,
    pub name: String,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
}

pub struct Section {
    pub id: String,
    pub number: String,
    pub title: String,
}

pub struct TaskDef {
    pub id: String,
    pub section: Option<String>,
    pub number: String,
    pub title: String,
    pub text: String,
    /// Unit ids in the document's order; `"each"` stands for the instance's unit.
    pub lead: Vec<String>,
    pub support: Vec<String>,
    pub phase: Option<String>,
    pub schedule: Schedule,
    /// The units the task is carried out in: one instance each.
    pub instance_units: Vec<String>,
}

pub struct TargetDef {
    pub id: String,
    pub task: Option<String>,
    pub title: String,
    pub metric: String,
    /// Denominator metric and scale of a per-capita ratio.
    pub per: Option<(String, f64)>,
    pub bounds: Bounds,
    /// Bounds that replace `bounds` for units of a kind.
    pub thresholds: Vec<(String, Bounds)>,
    pub measure: Measure,
    pub growth: Growth,
    pub deadline: Option<NaiveDate>,
    pub baseline: Option<Observation>,
    /// The units the target applies to, as the policy states them, and as they are now.
    pub scope: Scope,
    pub units: Vec<String>,
}

pub struct Definitions {
    pub units: Vec<UnitDef>,
    pub metrics: Vec<(Metric, String)>,
    pub policies: Vec<PolicyDef>,
}

impl Definitions {
    pub fn registry(&self) -> Registry {
        Registry::new(
            self.units.iter().map(|u| u.unit.clone()).collect(),
            self.metrics.iter().map(|(m, _)| m.clone()).collect(),
        )
    }
}

/// Ids are what progress refers to: plain ASCII, so they survive Excel and shells.
fn check_id(src: &Source, id: &S<String>, errors: &mut Vec<Diagnostic>) {
    let ok = !id.get_ref().is_empty()
        && id
            .get_ref()
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !ok {
        errors.push(
            src.error(id.span(), format!("`{}` is not a valid id", id.get_ref()))
                .help("ids use a-z, 0-9, - and _ only"),
        );
    }
}

/// Reads and validates all definition files together.
pub fn parse_definitions(sources: &[Source]) -> Result<Definitions, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut raws = Vec::new();
    for src in sources {
        match toml::from_str::<RawFile>(&src.text) {
            Ok(raw) => raws.push((src, raw)),
            Err(e) => errors.push(toml_error(src, &e, "see docs/manifest.md for the format")),
        }
    }

    let units = check_units(&raws, &mut errors);
    let metrics = check_metrics(&raws, &mut errors);
    let defs = Definitions {
        units,
        metrics,
        policies: Vec::new(),
    };
    let registry = defs.registry();
    let mut policies = Vec::new();
    let mut policy_ids: HashMap<String, String> = HashMap::new();
    for (src, raw) in &raws {
        let Some(p) = &raw.policy else {
            if !raw.tasks.is_empty() || !raw.targets.is_empty() || !raw.phases.is_empty() {
                errors.push(
                    src.error(0..0, "tasks, targets or phases without a [policy] table")
                        .help("add a [policy] table with id, title, issued and jurisdiction"),
                );
            }
            continue;
        };
        if let Some(first) = policy_ids.insert(p.id.get_ref().clone(), src.path.clone()) {
            errors.push(
                src.error(
                    p.id.span(),
                    format!("policy id `{}` is used twice", p.id.get_ref()),
                )
                .label(format!("first defined in {first}"))
                .help("give every policy its own id"),
            );
            continue;
        }
        if let Some(policy) = check_policy(src, raw, p, &registry, &mut errors) {
            policies.push(policy);
        }
    }
    if errors.is_empty() {
        Ok(Definitions { policies, ..defs })
    } else {
        Err(errors)
    }
}

fn check_units(raws: &[(&Source, RawFile)], errors: &mut Vec<Diagnostic>) -> Vec<UnitDef> {
    let mut out = Vec::new();
    let mut ids: HashMap<String, (String, usize)> = HashMap::new();
    let mut names: HashMap<String, String> = HashMap::new();
    let mut spans = Vec::new();
    for (src, raw) in raws {
        for u in &raw.units {
            let id = u.id.get_ref();
            check_id(src, &u.id, errors);
            if let Some((first, line)) = ids.get(id) {
                errors.push(
                    src.error(u.id.span(), format!("unit id `{id}` is used twice"))
                        .label(format!("first defined at {first}:{line}"))
                        .help("every unit needs its own id"),
                );
                continue;
            }
            let d = src.error(u.id.span(), "");
            ids.insert(id.clone(), (src.path.clone(), d.line));
            if let Some(first) = names.insert(u.name.get_ref().clone(), id.clone()) {
                errors.push(
                    src.error(u.name.span(), format!("unit name `{}` is used twice", u.name.get_ref()))
                        .label(format!("also the name of `{first}`"))
                        .help("names must be unique so that people can use them; prefix the city, e.g. 广汉市民政局"),
                );
            }
            let Some(level) = Level::parse(u.level.get_ref()) else {
                errors.push(
                    src.error(
                        u.level.span(),
                        format!("unknown level `{}`", u.level.get_ref()),
                    )
                    .help(format!(
                        "use one of: {}",
                        Level::ALL.map(Level::as_str).join(", ")
                    )),
                );
                continue;
            };
            let population = match (&u.population, &u.population_date) {
                (None, None) => None,
                (Some(p), Some(d)) => {
                    let date = date_of(src, d).map_err(|e| errors.push(e)).ok();
                    let value = *p.get_ref();
                    if !value.is_finite() || value < 0.0 {
                        errors.push(
                            src.error(p.span(), "a population cannot be negative").help(
                                "write the resident population (常住人口) as a count of people",
                            ),
                        );
                        None
                    } else {
                        date.map(|date| Observation { date, value })
                    }
                }
                (Some(p), None) => {
                    errors.push(src.error(p.span(), "a population needs its date").help(
                        "add population_date = YYYY-MM-DD, e.g. 2020-11-01 for the 2020 census",
                    ));
                    None
                }
                (None, Some(d)) => {
                    errors.push(src.error(d.span(), "population_date without a population"));
                    None
                }
            };
            spans.push((
                *src,
                u.parent.as_ref().map(|p| (p.span(), p.get_ref().clone())),
            ));
            out.push(UnitDef {
                unit: Unit {
                    id: id.clone(),
                    name: u.name.get_ref().clone(),
                    level,
                    kind: u.kind.clone(),
                    parent: u.parent.as_ref().map(|p| p.get_ref().clone()),
                },
                path: src.path.clone(),
                population,
                population_source: u.population_source.clone().unwrap_or_default(),
            });
        }
    }
    // Parents must exist and the tree must have no cycle.
    let parent_of: HashMap<&str, Option<&str>> = out
        .iter()
        .map(|u| (u.unit.id.as_str(), u.unit.parent.as_deref()))
        .collect();
    for (u, (src, parent)) in out.iter().zip(&spans) {
        let Some((span, parent)) = parent else {
            continue;
        };
        if !parent_of.contains_key(parent.as_str()) {
            errors.push(
                src.error(span.clone(), format!("unknown parent unit `{parent}`"))
                    .help("define the parent in a [[units]] table, or remove `parent` for a root"),
            );
            continue;
        }
        // Walk up; a unit is reported only when the walk comes back to it. A unit merely
        // below a cycle meets a unit seen before and stops: the cycle's members report it.
        let mut cur = Some(parent.as_str());
        let mut seen = HashSet::new();
        while let Some(c) = cur {
            if c == u.unit.id {
                errors.push(
                    src.error(
                        span.clone(),
                        format!("unit `{}` is its own ancestor", u.unit.id),
                    )
                    .label("the parents form a cycle")
                    .help("every chain of parents must end at a root unit"),
                );
                break;
            }
            if !seen.insert(c) {
                break;
            }
            cur = parent_of.get(c).copied().flatten();
        }
    }
    out
}

fn check_metrics(
    raws: &[(&Source, RawFile)],
    errors: &mut Vec<Diagnostic>,
) -> Vec<(Metric, String)> {
    let mut out: Vec<(Metric, String)> = Vec::new();
    let mut seen: HashSet<String> = HashSet::from([POPULATION.to_string()]);
    for (src, raw) in raws {
        for m in &raw.metrics {
            let id = m.id.get_ref();
            check_id(src, &m.id, errors);
            if !seen.insert(id.clone()) {
                errors.push(
                    src.error(m.id.span(), format!("metric id `{id}` is defined twice"))
                        .help(if id == POPULATION {
                            "`population` is built in; do not define it".to_string()
                        } else {
                            "define each metric once".to_string()
                        }),
                );
                continue;
            }
            let rollup = match m.rollup.as_ref().map(|r| (r, r.get_ref().as_str())) {
                None => m.unit != "%",
                Some((_, "sum")) => true,
                Some((_, "none")) => false,
                Some((r, other)) => {
                    errors.push(
                        src.error(r.span(), format!("unknown rollup `{other}`"))
                            .help("use \"sum\" (counts, populations) or \"none\" (rates)"),
                    );
                    false
                }
            };
            out.push((
                Metric {
                    id: id.clone(),
                    name: m.name.clone(),
                    en: m.en.clone(),
                    unit: m.unit.clone(),
                    rollup,
                },
                src.path.clone(),
            ));
        }
    }
    out.push((
        Metric {
            id: POPULATION.into(),
            name: "常住人口".into(),
            en: "residents".into(),
            unit: "人".into(),
            rollup: true,
        },
        String::new(),
    ));
    out
}

/// Resolves a unit reference (id or unique name) to an id, or explains why not.
fn unit_ref(
    src: &Source,
    r: &S<String>,
    registry: &Registry,
    errors: &mut Vec<Diagnostic>,
) -> Option<String> {
    match registry.resolve(r.get_ref()) {
        Ok(u) => Some(u.id.clone()),
        Err(Unresolved::Unknown) => {
            errors.push(
                src.error(r.span(), format!("unknown unit `{}`", r.get_ref()))
                    .label("no unit has this id or name")
                    .help("define it in a [[units]] table of the registry, or correct the id"),
            );
            None
        }
        Err(Unresolved::Ambiguous(ids)) => {
            errors.push(
                src.error(r.span(), format!("`{}` names several units", r.get_ref()))
                    .help(format!("use one of their ids: {}", ids.join(", "))),
            );
            None
        }
    }
}

fn check_scope(
    src: &Source,
    scope: RawScope,
    jurisdiction: &str,
    registry: &Registry,
    errors: &mut Vec<Diagnostic>,
) -> Option<(Scope, Vec<String>)> {
    let scope = match (scope.unit, scope.each) {
        (Some(u), Some(e)) => {
            errors.push(
                src.error(
                    e.span(),
                    "a scope is either one `unit` or `each` level, not both",
                )
                .help(format!("remove `unit = \"{}\"` or `each`", u.get_ref())),
            );
            return None;
        }
        (Some(u), None) => Scope::Unit(unit_ref(src, u, registry, errors)?),
        (None, Some(each)) => {
            let mut levels = Vec::new();
            for name in each.get_ref().items() {
                match Level::parse(name) {
                    Some(l) => levels.push(l),
                    None => {
                        errors.push(
                            src.error(each.span(), format!("unknown level `{name}`"))
                                .help(format!(
                                    "use one of: {}",
                                    Level::ALL.map(Level::as_str).join(", ")
                                )),
                        );
                        return None;
                    }
                }
            }
            let s = Scope::Each {
                levels,
                kind: scope.unit_kind.clone(),
            };
            if registry.scope_units(jurisdiction, &s).is_empty() {
                let present: Vec<&str> = registry
                    .levels_present()
                    .into_iter()
                    .map(Level::as_str)
                    .collect();
                errors.push(
                    src.error(
                        each.span(),
                        format!("no unit of this level{} lies under `{jurisdiction}`",
                            scope.unit_kind.as_ref().map(|k| format!(" and kind `{k}`")).unwrap_or_default()),
                    )
                    .label("the fan-out would be empty")
                    .help(format!(
                        "add those units to the registry with parent under `{jurisdiction}`; levels in the registry: {}",
                        present.join(", ")
                    )),
                );
                return None;
            }
            s
        }
        (None, None) => Scope::Unit(jurisdiction.to_string()),
    };
    let units = registry
        .scope_units(jurisdiction, &scope)
        .iter()
        .map(|u| u.id.clone())
        .collect();
    Some((scope, units))
}

fn check_policy(
    src: &Source,
    raw: &RawFile,
    p: &RawPolicy,
    registry: &Registry,
    errors: &mut Vec<Diagnostic>,
) -> Option<PolicyDef> {
    let before = errors.len();
    let id = p.id.get_ref();
    check_id(src, &p.id, errors);
    let issued = date_of(src, &p.issued).map_err(|e| errors.push(e)).ok();
    let jurisdiction = unit_ref(src, &p.jurisdiction, registry, errors);
    let period = p.period.as_ref().and_then(|per| {
        let start = date_of(src, &per.start).map_err(|e| errors.push(e)).ok()?;
        let end = deadline_of(src, &per.end)
            .map_err(|e| errors.push(e))
            .ok()?;
        if end < start {
            errors.push(src.error(per.end.span(), "the period ends before it starts"));
            return None;
        }
        Some((start, end))
    });
    let (Some(issued), Some(jurisdiction)) = (issued, jurisdiction) else {
        return None;
    };

    // A deadline must be a real date and not before the document was issued.
    let due = |v: &S<toml::Value>, errors: &mut Vec<Diagnostic>| -> Option<NaiveDate> {
        let d = deadline_of(src, v).map_err(|e| errors.push(e)).ok()?;
        if d < issued {
            errors.push(
                src.error(
                    v.span(),
                    format!("deadline {d} is before the policy was issued ({issued})"),
                )
                .help("check the year: documents often lose digits (\"20174月\" is 2017年4月)"),
            );
            return None;
        }
        Some(d)
    };

    let mut phases = Vec::new();
    let mut phase_end = HashMap::new();
    for ph in &raw.phases {
        let start = ph
            .start
            .as_ref()
            .and_then(|s| date_of(src, s).map_err(|e| errors.push(e)).ok());
        let end = ph.end.as_ref().and_then(|e| due(e, errors));
        if phase_end.insert(ph.id.get_ref().clone(), end).is_some() {
            errors.push(src.error(
                ph.id.span(),
                format!("phase id `{}` is used twice", ph.id.get_ref()),
            ));
        }
        phases.push(Phase {
            id: ph.id.get_ref().clone(),
            name: ph.name.clone(),
            start,
            end,
        });
    }
    let mut sections = Vec::new();
    let mut section_ids = HashSet::new();
    for s in &raw.sections {
        if !section_ids.insert(s.id.get_ref().clone()) {
            errors.push(src.error(
                s.id.span(),
                format!("section id `{}` is used twice", s.id.get_ref()),
            ));
        }
        sections.push(Section {
            id: s.id.get_ref().clone(),
            number: s.number.clone(),
            title: s.title.clone(),
        });
    }

    let mut tasks = Vec::new();
    let mut task_ids = HashSet::new();
    for t in &raw.tasks {
        let tid = t.id.get_ref();
        check_id(src, &t.id, errors);
        if !task_ids.insert(tid.clone()) {
            errors.push(
                src.error(
                    t.id.span(),
                    format!("task id `{tid}` is used twice in this policy"),
                )
                .help("progress refers to tasks by id: give each its own"),
            );
            continue;
        }
        if let Some(s) = &t.section
            && !section_ids.contains(s.get_ref())
        {
            errors.push(src.error(s.span(), format!("unknown section `{}`", s.get_ref())));
        }
        let scope = check_scope(
            src,
            RawScope {
                unit: &t.unit,
                each: &t.each,
                unit_kind: &t.unit_kind,
            },
            &jurisdiction,
            registry,
            errors,
        );
        // Judged on what was written, so a bad `each` is reported once, not again here.
        let fans_out = t.each.is_some();
        let owners = |list: &[S<String>], errors: &mut Vec<Diagnostic>| -> Vec<String> {
            list.iter()
                .filter_map(|o| {
                    if o.get_ref() == EACH_OWNER {
                        if !fans_out {
                            errors.push(
                                src.error(o.span(), "the owner `each` needs a fan-out scope")
                                    .help("add `each = \"district\"` (各区) or another level to the task"),
                            );
                        }
                        return Some(EACH_OWNER.to_string());
                    }
                    unit_ref(src, o, registry, errors)
                })
                .collect()
        };
        let lead = owners(t.lead.get_ref(), errors);
        let support = owners(&t.support, errors);
        if t.lead.get_ref().is_empty() {
            errors.push(
                src.error(t.id.span(), format!("task `{tid}` has no lead unit"))
                    .help("add lead = [\"...\"]: the first unit listed in 责任单位 (牵头单位)"),
            );
        }
        let phase = t.phase.as_ref().map(|ph| {
            if !phase_end.contains_key(ph.get_ref()) {
                errors.push(src.error(ph.span(), format!("unknown phase `{}`", ph.get_ref())));
            }
            ph.get_ref().clone()
        });
        let schedule = match (&t.deadline, &t.every) {
            (Some(_), Some(e)) => {
                errors.push(
                    src.error(
                        e.span(),
                        "a task has either a `deadline` or `every`, not both",
                    )
                    .help("use `every` for a recurring obligation, `deadline` for a one-off"),
                );
                None
            }
            (Some(d), None) => due(d, errors).map(Schedule::Once),
            (None, Some(every)) => {
                let days: Vec<(u32, u32)> = every
                    .get_ref()
                    .iter()
                    .filter_map(|md| {
                        parse_month_day(md.get_ref())
                            .map_err(|m| errors.push(src.error(md.span(), m)))
                            .ok()
                    })
                    .collect();
                let starts = t
                    .starts
                    .as_ref()
                    .and_then(|d| date_of(src, d).map_err(|e| errors.push(e)).ok());
                let all_read = days.len() == every.get_ref().len();
                match period {
                    Some((start, end)) => {
                        let from = starts.unwrap_or(start.max(issued));
                        let schedule = Schedule::Every {
                            days,
                            from,
                            until: end,
                        };
                        // A task that never falls due would be in no report at all.
                        if all_read && due_dates(&schedule).is_empty() {
                            errors.push(never_due(src, every, from, end));
                        }
                        Some(schedule)
                    }
                    None => {
                        errors.push(
                            src.error(every.span(), "a recurring task needs the policy's period")
                                .help("add period = { start = ..., end = ... } to [policy]"),
                        );
                        None
                    }
                }
            }
            (None, None) => Some(
                phase
                    .as_ref()
                    .and_then(|ph| phase_end.get(ph).copied().flatten())
                    .map_or(Schedule::Ongoing, Schedule::Once),
            ),
        };
        if let (Some((_, instance_units)), Some(schedule)) = (scope, schedule) {
            tasks.push(TaskDef {
                id: tid.clone(),
                section: t.section.as_ref().map(|s| s.get_ref().clone()),
                number: t.number.clone(),
                title: t.title.clone(),
                text: t.text.clone(),
                lead,
                support,
                phase,
                schedule,
                instance_units,
            });
        }
    }

    let mut targets = Vec::new();
    let mut target_ids = HashSet::new();
    for t in &raw.targets {
        check_id(src, &t.id, errors);
        let tid = t.id.get_ref();
        if !target_ids.insert(tid.clone()) {
            errors.push(src.error(
                t.id.span(),
                format!("target id `{tid}` is used twice in this policy"),
            ));
            continue;
        }
        if let Some(task) = &t.task
            && !task_ids.contains(task.get_ref())
        {
            errors.push(src.error(task.span(), format!("unknown task `{}`", task.get_ref())));
        }
        let metric = |m: &S<String>, errors: &mut Vec<Diagnostic>| {
            if registry.metric(m.get_ref()).is_none() {
                let mut known: Vec<&str> = registry.metrics().map(|m| m.id.as_str()).collect();
                known.sort();
                errors.push(
                    src.error(m.span(), format!("unknown metric `{}`", m.get_ref()))
                        .help(format!(
                            "define it in a [[metrics]] table; known: {}",
                            known.join(", ")
                        )),
                );
            }
            m.get_ref().clone()
        };
        let metric_id = metric(&t.metric, errors);
        let per = t.per.as_ref().map(|p| {
            let scale = *p.scale.get_ref();
            if !scale.is_finite() || scale <= 0.0 {
                errors.push(src.error(
                    p.scale.span(),
                    "the scale must be a positive number, e.g. 10000",
                ));
            }
            (metric(&p.metric, errors), scale)
        });
        let bounds = Bounds {
            min: t.min.as_ref().map(|m| *m.get_ref()),
            max: t.max.as_ref().map(|m| *m.get_ref()),
        };
        check_bounds(
            src,
            bounds,
            t.max.as_ref().map_or(t.id.span(), |m| m.span()),
            errors,
        );
        if bounds.min.is_none() && bounds.max.is_none() && t.thresholds.is_empty() {
            errors.push(
                src.error(
                    t.id.span(),
                    format!("target `{tid}` has neither min nor max"),
                )
                .help("add min = N (不少于/以上) or max = N (不高于/以下)"),
            );
        }
        let thresholds = t
            .thresholds
            .iter()
            .map(|(kind, b)| {
                let bounds = Bounds {
                    min: b.get_ref().min,
                    max: b.get_ref().max,
                };
                check_bounds(src, bounds, b.span(), errors);
                (kind.clone(), bounds)
            })
            .collect();
        let measure = match &t.measure {
            None => Some(Measure::Each),
            Some(m) => Measure::parse(m.get_ref()).or_else(|| {
                errors.push(
                    src.error(m.span(), format!("unknown measure `{}`", m.get_ref()))
                        .help("use each, total or coverage"),
                );
                None
            }),
        };
        let growth = match &t.growth {
            None => Growth::Linear,
            Some(g) => Growth::parse(g.get_ref()).unwrap_or_else(|| {
                errors.push(
                    src.error(g.span(), format!("unknown growth `{}`", g.get_ref()))
                        .help("use linear or compound"),
                );
                Growth::Linear
            }),
        };
        let deadline = t.deadline.as_ref().and_then(|d| due(d, errors));
        let baseline = t.baseline.as_ref().and_then(|b| {
            let value = *b.value.get_ref();
            if !value.is_finite() {
                errors.push(src.error(b.value.span(), "the baseline must be a finite number"));
            }
            date_of(src, &b.date)
                .map_err(|e| errors.push(e))
                .ok()
                .map(|date| Observation { date, value })
        });
        let scope = check_scope(
            src,
            RawScope {
                unit: &t.unit,
                each: &t.each,
                unit_kind: &t.unit_kind,
            },
            &jurisdiction,
            registry,
            errors,
        );
        if let (Some((scope, units)), Some(measure)) = (scope, measure) {
            targets.push(TargetDef {
                id: tid.clone(),
                task: t.task.as_ref().map(|t| t.get_ref().clone()),
                title: t.title.clone(),
                metric: metric_id,
                per,
                bounds,
                thresholds,
                measure,
                growth,
                deadline,
                baseline,
                scope,
                units,
            });
        }
    }

    if errors.len() > before {
        return None;
    }
    Some(PolicyDef {
        id: id.clone(),
        path: src.path.clone(),
        title: p.title.clone(),
        number: p.number.clone().unwrap_or_default(),
        issuer: p.issuer.clone().unwrap_or_default(),
        issued,
        jurisdiction,
        period,
        source: p.source.clone().unwrap_or_default(),
        phases,
        sections,
        tasks,
        targets,
    })
}

/// The error for a recurring task none of whose days falls within its time.
fn never_due(
    src: &Source,
    every: &S<Vec<S<String>>>,
    from: NaiveDate,
    until: NaiveDate,
) -> Diagnostic {
    if every.get_ref().is_empty() {
        src.error(
            every.span(),
            "`every` names no day, so the task would never fall due",
        )
        .help("list the days it falls due, e.g. every = [\"06-30\", \"12-31\"]")
    } else {
        src.error(
            every.span(),
            format!("the task never falls due: none of these days lies between {from} and {until}"),
        )
        .help("check the task's `starts` and the policy's period")
    }
}

fn check_bounds(
    src: &Source,
    b: Bounds,
    span: std::ops::Range<usize>,
    errors: &mut Vec<Diagnostic>,
) {
    if b.min.is_some_and(|v| !v.is_finite()) || b.max.is_some_and(|v| !v.is_finite()) {
        errors.push(src.error(span, "bounds must be finite numbers"));
    } else if let (Some(min), Some(max)) = (b.min, b.max)
        && min > max
    {
        errors.push(
            src.error(span, format!("min {min} is above max {max}"))
                .label("no value can meet this target")
                .help("swap them, or check the figures against the document"),
        );
    }
}
