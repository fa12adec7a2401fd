//! The unit registry as a tree: look units up by id or by their Chinese name, and fan a
//! scope such as 各区 out into the units it means.

use crate::model::{Level, Metric, Scope, Unit};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

pub struct Registry {
    units: Vec<Unit>,
    /// Hashed with foldhash: ids are looked up millions of times in a province's roll-up.
    by_id: foldhash::HashMap<String, usize>,
    /// Built on the first lookup by name: most commands never make one, and a province has
    /// 27,000 names.
    by_name: OnceLock<HashMap<String, Vec<usize>>>,
    children: Vec<Vec<usize>>,
    metrics: foldhash::HashMap<String, Metric>,
}

/// Why a reference to a unit did not resolve.
#[derive(Debug, Clone, PartialEq)]
pub enum Unresolved {
    Unknown,
    /// The name is shared by several units; these are their ids.
    Ambiguous(Vec<String>),
}

impl Registry {
    /// Builds the tree. Units whose parent is unknown are kept as roots; a duplicate id
    /// keeps the first (validation reports both).
    pub fn new(units: Vec<Unit>, metrics: Vec<Metric>) -> Registry {
        let mut by_id = foldhash::HashMap::default();
        for (i, u) in units.iter().enumerate() {
            by_id.entry(u.id.clone()).or_insert(i);
        }
        let mut children = vec![Vec::new(); units.len()];
        for (i, u) in units.iter().enumerate() {
            if let Some(&p) = u.parent.as_ref().and_then(|p| by_id.get(p))
                && p != i
            {
                children[p].push(i);
            }
        }
        let metrics = metrics.into_iter().map(|m| (m.id.clone(), m)).collect();
        Registry {
            units,
            by_id,
            by_name: OnceLock::new(),
            children,
            metrics,
        }
    }

    pub fn units(&self) -> &[Unit] {
        &self.units
    }

    /// A unit's place in [`Registry::units`].
    pub fn place(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The places of the areas directly below the unit at `place` (departments are not
    /// areas and never report figures).
    pub fn child_area_places(&self, place: usize) -> impl Iterator<Item = usize> + '_ {
        self.children
            .get(place)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&c| self.units[c].level != Level::Department)
    }

    pub fn unit(&self, id: &str) -> Option<&Unit> {
        self.by_id.get(id).map(|&i| &self.units[i])
    }

    pub fn metric(&self, id: &str) -> Option<&Metric> {
        self.metrics.get(id)
    }

    pub fn metrics(&self) -> impl Iterator<Item = &Metric> {
        self.metrics.values()
    }

    /// The display name of a unit id, or the id itself when unknown.
    pub fn name<'a>(&'a self, id: &'a str) -> &'a str {
        self.unit(id).map_or(id, |u| u.name.as_str())
    }

    /// A unit by id, or by its Chinese name when that name is unique.
    pub fn resolve(&self, reference: &str) -> Result<&Unit, Unresolved> {
        if let Some(u) = self.unit(reference) {
            return Ok(u);
        }
        let by_name = self.by_name.get_or_init(|| {
            let mut m: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, u) in self.units.iter().enumerate() {
                m.entry(u.name.clone()).or_default().push(i);
            }
            m
        });
        match by_name.get(reference).map(Vec::as_slice) {
            Some([i]) => Ok(&self.units[*i]),
            Some(many) => Err(Unresolved::Ambiguous(
                many.iter().map(|&i| self.units[i].id.clone()).collect(),
            )),
            None => Err(Unresolved::Unknown),
        }
    }

    /// The areas directly below `id` (departments are not areas and never report figures).
    pub fn child_areas(&self, id: &str) -> Vec<&Unit> {
        self.by_id.get(id).map_or(Vec::new(), |&i| {
            self.children[i]
                .iter()
                .map(|&c| &self.units[c])
                .filter(|u| u.level != Level::Department)
                .collect()
        })
    }

    /// Every unit below `id`, depth first, not including `id` itself. Each unit is visited
    /// once, so a cycle in a broken registry (reported by validation) cannot loop.
    pub fn descendants(&self, id: &str) -> Vec<&Unit> {
        self.places_below(id)
            .into_iter()
            .map(|i| &self.units[i])
            .collect()
    }

    /// The places of the units below `id`, depth first.
    fn places_below(&self, id: &str) -> Vec<usize> {
        let mut out = Vec::new();
        let Some(&root) = self.by_id.get(id) else {
            return out;
        };
        let mut seen = vec![false; self.units.len()];
        seen[root] = true;
        let mut stack: Vec<usize> = self.children[root].iter().rev().copied().collect();
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            out.push(i);
            stack.extend(self.children[i].iter().rev());
        }
        out
    }

    /// The ids of `id` and of every unit below it: a report of one district.
    pub fn subtree<'a>(&'a self, id: &'a str) -> HashSet<&'a str> {
        self.descendants(id)
            .into_iter()
            .map(|u| u.id.as_str())
            .chain([id])
            .collect()
    }

    /// Whether `id` is `ancestor` or lies below it.
    pub fn is_within(&self, id: &str, ancestor: &str) -> bool {
        let mut cur = Some(id);
        let mut steps = 0;
        while let Some(c) = cur {
            if c == ancestor {
                return true;
            }
            steps += 1;
            if steps > self.units.len() {
                return false; // a cycle; validation reports it
            }
            cur = self.unit(c).and_then(|u| u.parent.as_deref());
        }
        false
    }

    /// The units a scope means under `jurisdiction`, in registry order.
    pub fn scope_units(&self, jurisdiction: &str, scope: &Scope) -> Vec<&Unit> {
        match scope {
            Scope::Unit(id) => self.unit(id).into_iter().collect(),
            Scope::Each { levels, kind } => self
                .each_below(jurisdiction, levels, kind.as_deref())
                .into_iter()
                .map(|i| &self.units[i])
                .collect(),
        }
    }

    /// The places, in registry order, of the units of `levels` (and of `kind`, when given)
    /// below `jurisdiction`: what "each" level of a scope means.
    pub fn each_below(
        &self,
        jurisdiction: &str,
        levels: &[Level],
        kind: Option<&str>,
    ) -> Vec<usize> {
        let mut places: Vec<usize> = self
            .places_below(jurisdiction)
            .into_iter()
            .filter(|&i| {
                let u = &self.units[i];
                levels.contains(&u.level) && kind.is_none_or(|k| u.kind.as_deref() == Some(k))
            })
            .collect();
        places.sort_unstable();
        places
    }

    /// The levels that occur anywhere in the registry, for error messages.
    pub fn levels_present(&self) -> Vec<Level> {
        let mut v: Vec<Level> = self.units.iter().map(|u| u.level).collect();
        v.sort();
        v.dedup();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: &str, name: &str, level: Level, kind: Option<&str>, parent: Option<&str>) -> Unit {
        Unit {
            id: id.into(),
            name: name.into(),
            level,
            kind: kind.map(Into::into),
            parent: parent.map(Into::into),
        }
    }

    fn xiamen() -> Registry {
        Registry::new(
            vec![
                unit("xm", "厦门市", Level::City, None, None),
                unit(
                    "xm-siming",
                    "思明区",
                    Level::District,
                    Some("urban"),
                    Some("xm"),
                ),
                unit(
                    "xm-huli",
                    "湖里区",
                    Level::District,
                    Some("urban"),
                    Some("xm"),
                ),
                unit(
                    "xm-tongan",
                    "同安区",
                    Level::District,
                    Some("rural"),
                    Some("xm"),
                ),
                unit("xm-s1", "中华街道", Level::Street, None, Some("xm-siming")),
                unit(
                    "xm-mzj",
                    "厦门市民政局",
                    Level::Department,
                    None,
                    Some("xm"),
                ),
                unit("dg-mzj", "民政局", Level::Department, None, None),
                unit("gh-mzj", "民政局", Level::Department, None, None),
            ],
            vec![],
        )
    }

    #[test]
    fn each_district_fans_out_to_the_districts_only() {
        let r = xiamen();
        let scope = Scope::Each {
            levels: vec![Level::District],
            kind: None,
        };
        let ids: Vec<&str> = r
            .scope_units("xm", &scope)
            .iter()
            .map(|u| u.id.as_str())
            .collect();
        assert_eq!(ids, ["xm-siming", "xm-huli", "xm-tongan"]);
        let rural = Scope::Each {
            levels: vec![Level::District],
            kind: Some("rural".into()),
        };
        assert_eq!(r.scope_units("xm", &rural).len(), 1);
    }

    #[test]
    fn units_resolve_by_id_or_unique_chinese_name() {
        let r = xiamen();
        assert_eq!(r.resolve("思明区").unwrap().id, "xm-siming");
        assert_eq!(r.resolve("xm-huli").unwrap().name, "湖里区");
        assert_eq!(r.resolve("西城区"), Err(Unresolved::Unknown));
        assert_eq!(
            r.resolve("民政局"),
            Err(Unresolved::Ambiguous(vec![
                "dg-mzj".into(),
                "gh-mzj".into()
            ]))
        );
    }

    #[test]
    fn a_cycle_in_a_broken_registry_does_not_loop() {
        let r = Registry::new(
            vec![
                unit("a", "甲", Level::City, None, Some("b")),
                unit("b", "乙", Level::District, None, Some("a")),
                unit("c", "丙", Level::Street, None, Some("b")),
            ],
            vec![],
        );
        let ids: Vec<&str> = r.descendants("a").iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, ["b", "c"]);
        assert!(!r.is_within("c", "x"));
    }

    #[test]
    fn within_follows_the_parents() {
        let r = xiamen();
        assert!(r.is_within("xm-s1", "xm"));
        assert!(r.is_within("xm-s1", "xm-siming"));
        assert!(!r.is_within("xm-s1", "xm-huli"));
        assert!(r.is_within("xm", "xm"));
    }
}
