//! The home page. Signed out: the directory's counts and search. Signed in, each role has its
//! own: an officer the unit's work by urgency, feedback to handle and notifications; a leader
//! also the completion claims waiting for approval; the Steering Committee the national
//! picture (league tables of provinces and ministries, overdue and due-soon work, claims and
//! flagged reports). Every number links to the list behind it.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use crate::AppState;
use crate::cache::{Deps, public};
use crate::error::AppResult;
use crate::extract::Ctx;
use crate::pages::common::{PageCtx, html};
use app::home::{National, NationalProgramme, UnitWork};
use app::programmes::{DeadlineItem, League, WorkItem};
use app::records::{Notification, OrgUnit, PendingClaim};
use domain::overview::OnTime;
use domain::policy::{Principal, Role};

/// Items listed in full in each section; the number above links to the whole list.
const LISTED: usize = 10;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomeTpl {
    p: PageCtx,
    provinces: i64,
    communes: i64,
    agencies: i64,
}

async fn home(State(s): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    match ctx.who.clone() {
        Some(who) if matches!(who.role, Role::UnitOfficer | Role::UnitLeader) => {
            unit_home(&s, &ctx, &who).await
        }
        Some(who) if who.role == Role::Steering => national_home(&s, &ctx, &who).await,
        _ => directory_home(&s, &ctx).await,
    }
}

async fn directory_home(s: &AppState, ctx: &Ctx) -> AppResult<Response> {
    let count = |kind: &str| app::org::ListQuery {
        kind: Some(kind.into()),
        per_page: Some(1),
        ..Default::default()
    };
    let provinces = app::org::list(&s.db, &s.org, ctx.who.as_ref(), count("province"))
        .await?
        .total;
    let mut communes = 0;
    for k in ["commune", "ward", "special_zone"] {
        communes += app::org::list(&s.db, &s.org, ctx.who.as_ref(), count(k))
            .await?
            .total;
    }
    let agencies = app::org::list(&s.db, &s.org, ctx.who.as_ref(), count("central_agency"))
        .await?
        .total;
    html(HomeTpl {
        p: PageCtx::from(ctx, "/"),
        provinces,
        communes,
        agencies,
    })
    .map(|r| public(r, Deps::ORG))
}

#[derive(Template)]
#[template(path = "home_unit.html")]
struct UnitHomeTpl {
    p: PageCtx,
    unit: OrgUnit,
    w: UnitWork,
    /// A leader's queue: (oldest claims, how many).
    claims: Option<(Vec<PendingClaim>, i64)>,
    feedback: Option<(Vec<app::feedback::InboxRow>, i64)>,
    notifications: Vec<Notification>,
    unread: i64,
    names: std::collections::HashMap<i64, String>,
    attention: Vec<Attention>,
}

/// An indicator on a leader's page: off its path or late. (link, number and name, status,
/// figure, period)
pub(crate) type Attention = (String, String, &'static str, String, String);

/// The indicators of `unit`'s scorecard that need attention (off track, data late) and that
/// `who` may read, as lines of a page.
pub(crate) async fn attention(
    s: &AppState,
    ctx: &Ctx,
    who: Option<&Principal>,
    unit: i64,
) -> AppResult<Vec<Attention>> {
    let card = app::indicators::figures::scorecard(
        &s.db, &s.org, &s.fresh, &s.figures, who, unit, None, None,
    )
    .await?;
    Ok(card
        .attention()
        .into_iter()
        .map(|(_, i, f)| {
            (
                format!("/indicators/{}?unit={unit}&period={}", i.id, f.period),
                format!("{} {}", i.number, super::indicators::ind_name(ctx.lang, i)),
                f.status.as_str(),
                f.value
                    .map(|v| super::indicators::figure(ctx.lang, i, v))
                    .unwrap_or_else(|| "—".into()),
                f.period.to_string(),
            )
        })
        .collect())
}

impl UnitHomeTpl {
    fn first<'a>(&self, v: &'a [WorkItem]) -> &'a [WorkItem] {
        &v[..v.len().min(LISTED)]
    }
    fn unit_of(&self, id: &i64) -> &str {
        self.names.get(id).map(String::as_str).unwrap_or("")
    }
    fn n(&self, v: usize) -> String {
        self.p.lang.int(v as i64)
    }
}

async fn unit_home(s: &AppState, ctx: &Ctx, who: &Principal) -> AppResult<Response> {
    let w = app::home::unit_work(&s.db, &s.org, &s.tasks, who, who.unit_id).await?;
    let snap = s.org.snapshot(&s.db).await?;
    let unit = snap
        .get(who.unit_id)
        .cloned()
        .ok_or(app::error::AppError::NotFound)?;
    let claims = if who.role == Role::UnitLeader {
        Some(
            (*app::reports::claims_waiting(&s.db, &s.tasks, who, who.unit_id, LISTED as i64)
                .await?)
                .clone(),
        )
    } else {
        None
    };
    // Officers and leaders of a unit handle its feedback; a unit without the right sees none.
    let feedback = app::feedback::inbox(
        &s.db,
        &s.inbox,
        s.finder(),
        who,
        app::feedback::InboxQuery {
            per_page: Some(5),
            ..Default::default()
        },
    )
    .await
    .ok()
    .map(|p| (p.items.clone(), p.total));
    let app::work::Notifications {
        items: notifications,
        unread,
        ..
    } = app::work::notifications(&s.db, who, None, 5).await?;
    let names = claims
        .iter()
        .flat_map(|(c, _)| c.iter().map(|c| c.unit_id))
        .filter_map(|id| snap.get(id))
        .map(|u| (u.id, u.name(ctx.lang.code()).to_string()))
        .collect();
    let attention = attention(s, ctx, Some(who), who.unit_id).await?;
    html(UnitHomeTpl {
        p: PageCtx::from(ctx, "/"),
        attention,
        unit,
        w,
        claims,
        feedback,
        notifications,
        unread,
        names,
    })
}

/// A league table on the page: (heading, id part, ranked rows).
type LeagueTable<'a> = (&'static str, &'static str, &'a [(i64, OnTime)]);

#[derive(Template)]
#[template(path = "home_national.html")]
struct NationalHomeTpl {
    p: PageCtx,
    n: std::sync::Arc<National>,
    queue_unit: i64,
    names: std::collections::HashMap<i64, String>,
    notifications: Vec<Notification>,
    unread: i64,
    /// Feedback per province, ranked by share answered on time (those with none due last).
    feedback: app::feedback::FeedbackByProvince,
    /// Maps of the provinces (SVG): one per programme (share on time), then feedback's.
    maps: Vec<String>,
    feedback_map: String,
    map_defs: String,
    attention: Vec<Attention>,
    national_id: i64,
}

impl NationalHomeTpl {
    fn map_of(&self, i: &usize) -> &str {
        self.maps.get(*i).map(String::as_str).unwrap_or("")
    }
    /// "87,5 %" answered on time, or "—" when nothing was answered or due.
    fn fb_share(&self, f: &app::feedback::ProvinceFeedback) -> String {
        domain::feedback::on_time_permille(f.answered_on_time, f.answered, f.overdue)
            .map(|p| self.p.lang.percent1(p))
            .unwrap_or_else(|| "—".into())
    }
    fn unit_of(&self, id: &i64) -> &str {
        self.names.get(id).map(String::as_str).unwrap_or("")
    }
    fn first<'a>(&self, v: &'a [DeadlineItem]) -> &'a [DeadlineItem] {
        &v[..v.len().min(LISTED)]
    }
    fn task_of(&self, np: &NationalProgramme, id: &i64) -> String {
        np.titles
            .get(id)
            .map(|(code, title)| format!("{code}. {title}"))
            .unwrap_or_default()
    }
    fn n(&self, v: usize) -> String {
        self.p.lang.int(v as i64)
    }
    /// "87,5 %" in the page's language, or "—" when nothing was due.
    fn share(&self, o: &OnTime) -> String {
        match o.permille() {
            Some(p) => self.p.lang.percent1(p),
            None => "—".into(),
        }
    }
    /// The two league tables: (heading, id part, ranked rows).
    fn leagues<'a>(&self, np: &'a NationalProgramme) -> Vec<LeagueTable<'a>> {
        vec![
            (
                self.p.t("home-league-provinces"),
                "provinces",
                &np.provinces,
            ),
            (
                self.p.t("home-league-ministries"),
                "ministries",
                &np.ministries,
            ),
        ]
    }
    fn days_late(&self, l: &League, i: &DeadlineItem) -> String {
        self.p.lang.int((l.as_of - i.due).num_days())
    }
}

async fn national_home(s: &AppState, ctx: &Ctx, who: &Principal) -> AppResult<Response> {
    let snap = s.org.snapshot(&s.db).await?;
    let root = super::claims::queue_unit(s, who).await?;
    let n = app::home::national(
        &s.db,
        &s.org,
        &s.tasks,
        &s.national,
        who,
        root,
        LISTED as i64,
    )
    .await?;
    let mut names = std::collections::HashMap::new();
    for id in n
        .programmes
        .iter()
        .flat_map(|np| {
            np.league
                .units
                .iter()
                .map(|(u, _)| *u)
                .chain(np.league.overdue.iter().map(|i| i.unit_id))
                .chain(np.league.due_30.iter().map(|i| i.unit_id))
                .chain(np.flagged.0.iter().map(|f| f.unit_id))
        })
        .chain(n.claims.0.iter().map(|c| c.unit_id))
    {
        if let Some(u) = snap.get(id) {
            names.insert(id, u.name(ctx.lang.code()).to_string());
        }
    }
    let mut feedback = app::feedback::by_province(&s.db, &s.stats, &s.org, None).await?;
    feedback.provinces.sort_by_key(|f| {
        let share = domain::feedback::on_time_permille(f.answered_on_time, f.answered, f.overdue);
        (share.is_none(), std::cmp::Reverse(share), -f.received)
    });
    for f in &feedback.provinces {
        if let Some(u) = snap.get(f.unit_id) {
            names.insert(f.unit_id, u.name(ctx.lang.code()).to_string());
        }
    }
    let provinces = snap.current_of_kind(domain::org::OrgKind::Province);
    // One area per province in force, filled by `share` (None: nothing to measure yet).
    let areas = |share: &dyn Fn(i64) -> Option<i64>, href: &dyn Fn(i64) -> String| {
        provinces
            .iter()
            .map(|u| crate::map::Area {
                code: u.code.clone().unwrap_or_default(),
                name: u.name(ctx.lang.code()).to_string(),
                permille: share(u.id),
                href: href(u.id),
            })
            .collect::<Vec<_>>()
    };
    let maps = n
        .programmes
        .iter()
        .map(|np| {
            let pid = np.league.programme.id;
            let shares: std::collections::HashMap<i64, Option<i64>> = np
                .provinces
                .iter()
                .map(|(u, o)| (*u, o.permille()))
                .collect();
            crate::map::choropleth(
                ctx.lang,
                &format!("map-{pid}"),
                ctx.lang.t("home-share"),
                &areas(&|u| shares.get(&u).copied().flatten(), &|u| {
                    format!("/org/{u}/worklist?programme={pid}&lead=true")
                }),
            )
        })
        .collect();
    let fb_shares: std::collections::HashMap<i64, Option<i64>> = feedback
        .provinces
        .iter()
        .map(|f| {
            let share =
                domain::feedback::on_time_permille(f.answered_on_time, f.answered, f.overdue);
            (f.unit_id, share)
        })
        .collect();
    let feedback_map = crate::map::choropleth(
        ctx.lang,
        "map-feedback",
        ctx.lang.t("home-answered-share"),
        &areas(&|u| fb_shares.get(&u).copied().flatten(), &|u| {
            format!("/feedback/stats?unit={u}&below=true")
        }),
    );
    let app::work::Notifications {
        items: notifications,
        unread,
        ..
    } = app::work::notifications(&s.db, who, None, 5).await?;
    let national_id = app::indicators::national_id(&snap)?;
    let attention = attention(s, ctx, Some(who), national_id).await?;
    html(NationalHomeTpl {
        attention,
        national_id,
        maps,
        feedback_map,
        map_defs: crate::map::defs(),
        p: PageCtx::from(ctx, "/"),
        n,
        queue_unit: root,
        names,
        notifications,
        unread,
        feedback,
    })
}
