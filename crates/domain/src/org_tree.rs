//! The organisation tree's structural rules: which merges, closures and moves keep the tree whole.
//!
//! Every unit, task and account hangs from this tree, so a mistaken administrator call must not be
//! able to break it: the national level stays the one root, units in force sit only under units in
//! force of a kind that may hold them, and a merger joins units of the same level. The use cases
//! gather the facts (the units concerned, the successor's ancestors, how many units in force sit
//! below) and these functions decide; each refusal is a field error the API answers with a 422.

use chrono::NaiveDate;

use super::FieldError;
use super::org::OrgKind;

/// What the rules need to know of one unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub id: i64,
    pub kind: OrgKind,
    pub parent_id: Option<i64>,
    pub valid_from: Option<NaiveDate>,
    /// Set once the unit is closed or merged (it stays as history).
    pub valid_to: Option<NaiveDate>,
}

impl Unit {
    pub fn in_force(&self) -> bool {
        self.valid_to.is_none()
    }
}

/// The level of a kind for mergers: only units of one level merge into each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    National,
    /// Ministries, government and Party agencies.
    Central,
    Province,
    /// Communes, wards and special zones (the 3,321 units of the second level).
    Commune,
    Department,
}

fn level(k: OrgKind) -> Level {
    match k {
        OrgKind::National => Level::National,
        OrgKind::CentralAgency | OrgKind::PartyAgency => Level::Central,
        OrgKind::Province => Level::Province,
        OrgKind::Commune | OrgKind::Ward | OrgKind::SpecialZone => Level::Commune,
        OrgKind::Department => Level::Department,
    }
}

/// Whether `unit` may merge into `into` on `on`. `into_chain` is the successor's ancestors (ids,
/// any order). The units in force directly under `unit` move under the successor with the merger
/// (a merged province's communes become the successor's), which the equal level makes allowed.
pub fn check_merge(unit: &Unit, into: &Unit, into_chain: &[i64], on: NaiveDate) -> Vec<FieldError> {
    let mut errs = vec![];
    if unit.kind == OrgKind::National {
        errs.push(FieldError::new("unit", "err-national-fixed"));
        return errs;
    }
    if into.id == unit.id {
        errs.push(FieldError::new("into", "err-merge-self"));
    }
    if !unit.in_force() {
        errs.push(FieldError::new("unit", "err-unit-closed"));
    }
    if !into.in_force() {
        errs.push(FieldError::new("into", "err-unit-closed"));
    }
    if level(unit.kind) != level(into.kind) {
        errs.push(
            FieldError::new("into", "err-merge-level")
                .with("kind", unit.kind.as_str())
                .with("into_kind", into.kind.as_str()),
        );
    } else if unit.kind == OrgKind::Department && unit.parent_id != into.parent_id {
        errs.push(FieldError::new("into", "err-merge-department"));
    }
    if into_chain.contains(&unit.id) {
        errs.push(FieldError::new("into", "err-merge-below"));
    }
    if unit.valid_from.is_some_and(|f| on < f) {
        errs.push(FieldError::new("on", "err-before-start"));
    }
    if into.valid_from.is_some_and(|f| on < f) {
        errs.push(FieldError::new("on", "err-before-successor-start"));
    }
    errs
}

/// Whether `unit` may be closed on `on` (it stays as history).
pub fn check_close(unit: &Unit, open_below: usize, on: NaiveDate) -> Vec<FieldError> {
    let mut errs = vec![];
    if unit.kind == OrgKind::National {
        errs.push(FieldError::new("valid_to", "err-national-fixed"));
        return errs;
    }
    if !unit.in_force() {
        errs.push(FieldError::new("valid_to", "err-unit-closed"));
    }
    if open_below > 0 {
        errs.push(FieldError::new("valid_to", "err-units-below").with("count", open_below));
    }
    if unit.valid_from.is_some_and(|f| on < f) {
        errs.push(FieldError::new("valid_to", "err-before-start"));
    }
    errs
}

/// Whether `unit` may move under `parent`; `parent_chain` is the new parent's ancestors (ids, any
/// order), so a move under the unit's own subtree is seen as the cycle it would make.
pub fn check_move(unit: &Unit, parent: &Unit, parent_chain: &[i64]) -> Vec<FieldError> {
    let mut errs = vec![];
    if unit.kind == OrgKind::National {
        errs.push(FieldError::new("parent_id", "err-national-fixed"));
        return errs;
    }
    if parent.id == unit.id || parent_chain.contains(&unit.id) {
        errs.push(FieldError::new("parent_id", "err-cycle"));
    }
    if !parent.in_force() {
        errs.push(FieldError::new("parent_id", "err-parent-historical"));
    }
    if !unit.kind.allowed_under(Some(parent.kind)) {
        errs.push(
            FieldError::new("parent_id", "err-kind-under-parent")
                .with("parent", parent.kind.as_str()),
        );
    }
    errs
}

/// Whether a new unit of `kind` may be created under `parent`.
pub fn check_create(kind: OrgKind, parent: &Unit) -> Vec<FieldError> {
    let mut errs = vec![];
    if !parent.in_force() {
        errs.push(FieldError::new("parent_id", "err-parent-historical"));
    }
    if !kind.allowed_under(Some(parent.kind)) {
        errs.push(
            FieldError::new("kind", "err-kind-under-parent").with("parent", parent.kind.as_str()),
        );
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn day(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Duration::days(n)
    }

    /// An in-memory tree to apply accepted changes to, and the invariants every change must keep.
    #[derive(Debug, Clone)]
    struct Tree(BTreeMap<i64, Unit>);

    impl Tree {
        fn chain(&self, id: i64) -> Vec<i64> {
            let mut out = vec![];
            let mut cur = self.0[&id].parent_id;
            while let Some(p) = cur {
                if out.contains(&p) || out.len() > self.0.len() {
                    break; // a cycle: `whole` reports it
                }
                out.push(p);
                cur = self.0[&p].parent_id;
            }
            out
        }
        fn open_below(&self, id: i64) -> usize {
            self.0
                .values()
                .filter(|u| u.in_force() && u.id != id && self.chain(u.id).contains(&id))
                .count()
        }
        /// One national root in force; every unit in force reaches it without a cycle, under
        /// parents in force whose kind may hold it.
        fn whole(&self) -> Result<(), String> {
            let roots: Vec<_> = self.0.values().filter(|u| u.parent_id.is_none()).collect();
            if roots.len() != 1 || roots[0].kind != OrgKind::National || !roots[0].in_force() {
                return Err(format!("roots {roots:?}"));
            }
            for u in self
                .0
                .values()
                .filter(|u| u.in_force() && u.parent_id.is_some())
            {
                let chain = self.chain(u.id);
                if chain.last() != Some(&roots[0].id) || chain.contains(&u.id) {
                    return Err(format!("{} does not reach the root: {chain:?}", u.id));
                }
                let p = &self.0[&u.parent_id.unwrap()];
                if !p.in_force() {
                    return Err(format!("{} in force under closed {}", u.id, p.id));
                }
                if !u.kind.allowed_under(Some(p.kind)) {
                    return Err(format!("{} ({:?}) under {:?}", u.id, u.kind, p.kind));
                }
            }
            Ok(())
        }
    }

    /// A valid starting tree: the national level, central agencies, provinces with communes, and
    /// departments under any of them.
    fn tree() -> impl Strategy<Value = Tree> {
        let kinds = prop::collection::vec((0u8..4, any::<prop::sample::Index>()), 4..40);
        kinds.prop_map(|spec| {
            let mut t = BTreeMap::new();
            let unit = |id, kind, parent| Unit {
                id,
                kind,
                parent_id: parent,
                valid_from: Some(day(0)),
                valid_to: None,
            };
            t.insert(1, unit(1, OrgKind::National, None));
            for (i, (k, pick)) in spec.into_iter().enumerate() {
                let id = i as i64 + 2;
                let parents: Vec<&Unit> = t
                    .values()
                    .filter(|p| match k {
                        0 | 1 => p.kind == OrgKind::National,
                        2 => p.kind == OrgKind::Province,
                        _ => p.kind != OrgKind::National,
                    })
                    .collect();
                let kind = [
                    OrgKind::Province,
                    OrgKind::CentralAgency,
                    OrgKind::Ward,
                    OrgKind::Department,
                ][k as usize];
                if parents.is_empty() {
                    continue;
                }
                let p = pick.get(&parents).id;
                t.insert(id, unit(id, kind, Some(p)));
            }
            Tree(t)
        })
    }

    #[derive(Debug, Clone)]
    enum Op {
        Merge(i64, i64, i64),
        Close(i64, i64),
        Move(i64, i64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (1i64..42, 1i64..42, -5i64..5).prop_map(|(a, b, d)| Op::Merge(a, b, d)),
            (1i64..42, -5i64..5).prop_map(|(a, d)| Op::Close(a, d)),
            (1i64..42, 1i64..42).prop_map(|(a, b)| Op::Move(a, b)),
        ]
    }

    /// Applies `op` if the rules accept it; returns whether they did.
    fn apply(t: &mut Tree, op: &Op) -> bool {
        match *op {
            Op::Merge(a, b, d) => {
                let (Some(u), Some(into)) = (t.0.get(&a), t.0.get(&b)) else {
                    return false;
                };
                let ok = check_merge(u, into, &t.chain(b), day(d)).is_empty();
                if ok {
                    t.0.get_mut(&a).unwrap().valid_to = Some(day(d));
                    // What the use case does with the merger: children in force follow.
                    for c in t.0.values_mut() {
                        if c.parent_id == Some(a) && c.in_force() {
                            c.parent_id = Some(b);
                        }
                    }
                }
                ok
            }
            Op::Close(a, d) => {
                let Some(u) = t.0.get(&a) else { return false };
                let ok = check_close(u, t.open_below(a), day(d)).is_empty();
                if ok {
                    t.0.get_mut(&a).unwrap().valid_to = Some(day(d));
                }
                ok
            }
            Op::Move(a, b) => {
                let (Some(u), Some(p)) = (t.0.get(&a), t.0.get(&b)) else {
                    return false;
                };
                let ok = check_move(u, p, &t.chain(b)).is_empty();
                if ok {
                    t.0.get_mut(&a).unwrap().parent_id = Some(b);
                }
                ok
            }
        }
    }

    proptest! {
        /// Whatever sequence of merges, closures and moves an administrator tries, the changes
        /// the rules accept leave the tree whole.
        #[test]
        fn accepted_changes_keep_the_tree_whole(mut t in tree(), ops in prop::collection::vec(op(), 1..30)) {
            prop_assert!(t.whole().is_ok());
            for op in &ops {
                apply(&mut t, op);
                prop_assert!(t.whole().is_ok(), "after {:?}: {:?}", op, t.whole());
            }
        }

        /// The national level is never merged, closed or moved.
        #[test]
        fn national_level_is_fixed(t in tree(), other in 2i64..42, d in -5i64..5) {
            let n = &t.0[&1];
            if let Some(o) = t.0.get(&other) {
                prop_assert!(!check_merge(n, o, &t.chain(other), day(d)).is_empty());
                prop_assert!(!check_move(n, o, &t.chain(other)).is_empty());
            }
            prop_assert!(!check_close(n, 0, day(d)).is_empty());
        }

        /// An accepted merger joins two units in force of one level, dated on or after both starts.
        #[test]
        fn mergers_join_one_level(t in tree(), a in 1i64..42, b in 1i64..42, d in -5i64..5) {
            if let (Some(u), Some(into)) = (t.0.get(&a), t.0.get(&b))
                && check_merge(u, into, &t.chain(b), day(d)).is_empty()
            {
                prop_assert_eq!(level(u.kind), level(into.kind));
                prop_assert!(u.in_force() && into.in_force() && a != b);
                prop_assert!(d >= 0);
            }
        }
    }

    #[test]
    fn the_reported_mistake_is_refused() {
        // The national level merged into a commune (issue 10): refused, with the reason.
        let national = Unit {
            id: 1,
            kind: OrgKind::National,
            parent_id: None,
            valid_from: None,
            valid_to: None,
        };
        let commune = Unit {
            id: 9,
            kind: OrgKind::Commune,
            parent_id: Some(5),
            valid_from: Some(day(0)),
            valid_to: None,
        };
        let e = check_merge(&national, &commune, &[5, 1], day(3));
        assert_eq!(e[0].code, "err-national-fixed");
        // A province into a commune: different levels.
        let province = Unit {
            id: 5,
            kind: OrgKind::Province,
            parent_id: Some(1),
            valid_from: Some(day(0)),
            valid_to: None,
        };
        let codes: Vec<_> = check_merge(&province, &commune, &[5, 1], day(3))
            .into_iter()
            .map(|e| e.code)
            .collect();
        assert!(codes.contains(&"err-merge-level".to_string()), "{codes:?}");
        assert!(codes.contains(&"err-merge-below".to_string()), "{codes:?}");
        // A ward merges into a commune of another province: same level, accepted.
        let ward = Unit {
            id: 10,
            kind: OrgKind::Ward,
            parent_id: Some(6),
            ..commune.clone()
        };
        assert!(check_merge(&ward, &commune, &[5, 1], day(3)).is_empty());
        // Before its own start: refused.
        assert_eq!(
            check_merge(&ward, &commune, &[5, 1], day(-1))[0].code,
            "err-before-start"
        );
        // Closing a province with communes in force below: refused until they are merged or moved.
        assert_eq!(check_close(&province, 2, day(3))[0].code, "err-units-below");
    }
}
