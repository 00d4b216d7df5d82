//! Early warnings about indicators, sent by the daily sweep with the other reminders (one
//! message a day per person): a unit that reported a set before and has no value for the last
//! period whose entry deadline passed is told the day after the deadline, its leaders after
//! `LATE_LEADER_AFTER` days; a figure off its target's path (the nation's, a province's) goes
//! to the leaders of the unit concerned, the nation's to the agency responsible for the
//! indicator. Computed by reading only (no lock held); the sweep records and delivers them.

use std::collections::HashSet;

use chrono::NaiveDate;

use crate::db::Db;
use crate::error::AppResult;
use crate::notify::Message;
use domain::i18n::Lang;
use domain::indicators::measure::Status;
use domain::indicators::{PeriodId, ValueType};
use domain::org::OrgKind;
use store::indicators::{Indicator, IndicatorSet};
use store::org_index::Snapshot;

/// Days after the entry deadline before the unit's leaders are told of missing values.
pub const LATE_LEADER_AFTER: i64 = 5;
/// How many periods back a unit counts as one that reports the set.
const REPORTED_WITHIN: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Values missing after the deadline: to the unit's people.
    Late,
    /// Still missing `LATE_LEADER_AFTER` days later: to the unit's leaders.
    LateLeader,
    /// A figure off its target's path: to the leaders of the unit answering for it.
    OffTrack,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Late => "ind-late",
            Kind::LateLeader => "ind-late-escalate",
            Kind::OffTrack => "ind-off",
        }
    }
}

/// One warning: what it is about and whom it goes to.
#[derive(Debug, Clone)]
pub struct Alert {
    pub key: String,
    pub kind: Kind,
    /// The unit whose values or figure it is about.
    pub unit_id: i64,
    /// The unit whose people (or leaders) are told.
    pub to_unit: i64,
    pub leaders: bool,
    pub set: IndicatorSet,
    pub indicator: Option<Indicator>,
    pub period: PeriodId,
    pub due: NaiveDate,
    pub days_late: i64,
    pub value: Option<f64>,
    pub expected: Option<f64>,
    pub target: Option<domain::indicators::target::Target>,
    pub link: String,
}

/// The entry deadline of `period` in `set`.
fn due_of(set: &IndicatorSet, period: PeriodId) -> NaiveDate {
    period.end() + chrono::Days::new(set.entry_days.max(0) as u64)
}

/// The day's warnings, in a stable order (the sweep pages through them by position).
pub async fn of_day(db: &Db, snap: &Snapshot, today: NaiveDate) -> AppResult<Vec<Alert>> {
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let cache = super::FigureCache::default();
    let national = super::national_id(snap)?;
    let mut out = vec![];
    for set in store::indicators::list_sets(&mut c).await? {
        let inds = super::indicators_of(&mut c, set.id).await?;
        let ids: Vec<i64> = inds.iter().map(|i| i.id).collect();
        // The last period whose deadline has passed.
        let mut period = super::last_ended(set.period_type, today);
        while due_of(&set, period) >= today {
            period = period.prev();
        }
        let due = due_of(&set, period);
        let days_late = (today - due).num_days();
        let mut before = vec![];
        let mut p = period;
        for _ in 0..REPORTED_WITHIN {
            p = p.prev();
            before.push(p);
        }
        let reporters = store::indicators::units_with_values(&mut c, &ids, &before).await?;
        let present = store::indicators::units_with_values(&mut c, &ids, &[period]).await?;
        let mut late: Vec<i64> = reporters
            .difference(&present)
            .copied()
            .filter(|u| snap.get(*u).is_some_and(|x| x.valid_to.is_none()))
            .collect();
        late.sort_unstable();
        for unit in late {
            let link = format!(
                "/indicators/entry?set={}&unit={unit}&period={period}",
                set.id
            );
            let mut kinds = vec![Kind::Late];
            if days_late >= LATE_LEADER_AFTER {
                kinds.push(Kind::LateLeader);
            }
            for kind in kinds {
                out.push(Alert {
                    key: format!("{}:{}:{period}:{unit}", kind.as_str(), set.id),
                    kind,
                    unit_id: unit,
                    to_unit: unit,
                    leaders: kind == Kind::LateLeader,
                    set: set.clone(),
                    indicator: None,
                    period,
                    due,
                    days_late,
                    value: None,
                    expected: None,
                    target: None,
                    link: link.clone(),
                });
            }
        }
        // Figures off their path: the nation's and each province's, for the latest period
        // with a figure.
        let parents: HashSet<i64> = inds.iter().filter_map(|i| i.parent_id).collect();
        let units: Vec<i64> = std::iter::once(national)
            .chain(snap.current_of_kind(OrgKind::Province).iter().map(|u| u.id))
            .collect();
        for ind in inds
            .iter()
            .filter(|i| i.value_type != ValueType::Milestone && !parents.contains(&i.id))
        {
            for &unit in &units {
                let Some(f) =
                    super::figures::unit_figure(&mut c, snap, &cache, &set, ind, unit, None)
                        .await?
                else {
                    continue;
                };
                if f.status != Status::OffTrack {
                    continue;
                }
                let to_unit = if unit == national {
                    ind.responsible_unit_id.unwrap_or(set.owner_unit_id)
                } else {
                    unit
                };
                out.push(Alert {
                    key: format!("{}:{}:{}:{unit}", Kind::OffTrack.as_str(), ind.id, f.period),
                    kind: Kind::OffTrack,
                    unit_id: unit,
                    to_unit,
                    leaders: true,
                    set: set.clone(),
                    indicator: Some(ind.clone()),
                    period: f.period,
                    due,
                    days_late: 0,
                    value: f.value,
                    expected: f.expected,
                    target: f.target.clone(),
                    link: format!("/indicators/{}?unit={unit}&period={}", ind.id, f.period),
                });
            }
        }
    }
    Ok(out)
}

fn p(k: &str, v: impl Into<String>) -> (String, String) {
    (k.to_string(), v.into())
}

fn name<'a>(lang: Lang, vi: &'a str, en: &'a str, fr: &'a str) -> &'a str {
    let s = match lang {
        Lang::En => en,
        Lang::Fr => fr,
        _ => vi,
    };
    if s.is_empty() { vi } else { s }
}

/// The warning as a message in `lang`, naming `unit`.
pub fn message(lang: Lang, base_url: &str, a: &Alert, unit: &str) -> Message {
    let set = name(lang, &a.set.name_vi, &a.set.name_en, &a.set.name_fr);
    let num = |v: Option<f64>| {
        v.map(|v| {
            let pct = a
                .indicator
                .as_ref()
                .is_some_and(|i| i.value_type == ValueType::Percentage);
            let n = lang.num(v, if v.abs() >= 1000.0 { 0 } else { 2 });
            if pct { format!("{n}%") } else { n }
        })
        .unwrap_or_else(|| "—".into())
    };
    let mut params = vec![
        p("set", set),
        p("unit", unit),
        p("period", a.period.to_string()),
        p("due", lang.date(a.due)),
        p("days", lang.int(a.days_late)),
        p("value", num(a.value)),
        p("expected", num(a.expected)),
    ];
    if let Some(i) = &a.indicator {
        params.push(p(
            "indicator",
            format!(
                "{} {}",
                i.number,
                name(lang, &i.name_vi, &i.name_en, &i.name_fr)
            ),
        ));
    }
    if let Some(t) = &a.target {
        params.push(p("target", t.describe(|v| num(Some(v)))));
    }
    let kind = a.kind.as_str();
    Message {
        subject: lang.tf(&format!("mail-{kind}-subject"), &params),
        text: format!(
            "{}\n\n{}{}\n",
            lang.tf(&format!("mail-{kind}-body"), &params),
            base_url.trim_end_matches('/'),
            a.link
        ),
    }
}
