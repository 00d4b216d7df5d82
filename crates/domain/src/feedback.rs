//! Feedback, recommendations and initiatives (phản ánh, kiến nghị, sáng kiến): what an item is,
//! the states it goes through and which moves are legal. Plain functions: the use cases ask
//! here before writing anything.

use serde::{Deserialize, Serialize};

use super::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Phản ánh: a report of a problem, or a complaint.
    Report,
    /// Kiến nghị: a recommendation or request.
    Recommendation,
    /// Sáng kiến, giải pháp: an initiative or solution.
    Initiative,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Report, Kind::Recommendation, Kind::Initiative];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Report => "report",
            Kind::Recommendation => "recommendation",
            Kind::Initiative => "initiative",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Submitter {
    Citizen,
    Organisation,
    Business,
    Scientist,
}

impl Submitter {
    pub const ALL: [Submitter; 4] = [
        Submitter::Citizen,
        Submitter::Organisation,
        Submitter::Business,
        Submitter::Scientist,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Submitter::Citizen => "citizen",
            Submitter::Organisation => "organisation",
            Submitter::Business => "business",
            Submitter::Scientist => "scientist",
        }
    }

    pub fn parse(s: &str) -> Option<Submitter> {
        Submitter::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Received,
    Accepted,
    /// Not admissible (e.g. not a public matter), with a reason. Never "not ours": that is a transfer.
    Declined,
    Assigned,
    InProgress,
    /// Waiting for the submitter's additional information: the clock is paused.
    Waiting,
    /// Sent to another unit, which must accept it.
    Transferred,
    /// An officer's answer waiting for the unit leader's approval (where the unit asks for it).
    AwaitingApproval,
    Answered,
    Closed,
    Merged,
}

impl State {
    pub const ALL: [State; 11] = [
        State::Received,
        State::Accepted,
        State::Declined,
        State::Assigned,
        State::InProgress,
        State::Waiting,
        State::Transferred,
        State::AwaitingApproval,
        State::Answered,
        State::Closed,
        State::Merged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Received => "received",
            State::Accepted => "accepted",
            State::Declined => "declined",
            State::Assigned => "assigned",
            State::InProgress => "in_progress",
            State::Waiting => "waiting",
            State::Transferred => "transferred",
            State::AwaitingApproval => "awaiting_approval",
            State::Answered => "answered",
            State::Closed => "closed",
            State::Merged => "merged",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Still waiting for an answer from the administration.
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            State::Declined | State::Answered | State::Closed | State::Merged
        )
    }
}

crate::named!(Kind, "feedback kind");
crate::named!(Submitter, "submitter kind");
crate::named!(State, "feedback state");

/// What someone does to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Accept,
    Decline,
    Assign,
    Start,
    RequestInfo,
    /// The submitter sent what was asked: the clock runs again.
    InfoReceived,
    Transfer,
    AcceptTransfer,
    RefuseTransfer,
    Answer,
    /// An officer's answer where the unit wants its leader to approve answers first.
    SubmitAnswer,
    /// The leader publishes the answer waiting for approval (possibly edited).
    Approve,
    /// The leader sends the draft back to the officer, saying why.
    ReturnDraft,
    /// A public message to the submitter while the item is being handled; the state stays.
    Interim,
    Close,
    /// A poor rating within the appeal period reopens the item one level up.
    Appeal,
    Merge,
}

impl Action {
    pub const ALL: [Action; 17] = [
        Action::Accept,
        Action::Decline,
        Action::Assign,
        Action::Start,
        Action::RequestInfo,
        Action::InfoReceived,
        Action::Transfer,
        Action::AcceptTransfer,
        Action::RefuseTransfer,
        Action::Answer,
        Action::SubmitAnswer,
        Action::Approve,
        Action::ReturnDraft,
        Action::Interim,
        Action::Close,
        Action::Appeal,
        Action::Merge,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Decline => "decline",
            Action::Assign => "assign",
            Action::Start => "start",
            Action::RequestInfo => "request_info",
            Action::InfoReceived => "info_received",
            Action::Transfer => "transfer",
            Action::AcceptTransfer => "accept_transfer",
            Action::RefuseTransfer => "refuse_transfer",
            Action::Answer => "answer",
            Action::SubmitAnswer => "submit_answer",
            Action::Approve => "approve",
            Action::ReturnDraft => "return_draft",
            Action::Interim => "interim",
            Action::Close => "close",
            Action::Appeal => "appeal",
            Action::Merge => "merge",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Actions that must say why (shown to the submitter).
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            Action::Decline
                | Action::Transfer
                | Action::RefuseTransfer
                | Action::RequestInfo
                | Action::ReturnDraft
                | Action::Interim
        )
    }
}

/// The state after `action`, or why it is not allowed. `before_wait` is the state the item was
/// in when it started waiting for the submitter (it returns there).
pub fn next(state: State, action: Action, before_wait: Option<State>) -> Result<State, FieldError> {
    use Action as A;
    use State as S;
    let working = matches!(state, S::Accepted | S::Assigned | S::InProgress);
    let to = match (state, action) {
        (S::Received, A::Accept) => S::Accepted,
        (S::Received, A::Decline) => S::Declined,
        (S::Accepted, A::Assign) | (S::Assigned, A::Assign) => S::Assigned,
        (S::Accepted | S::Assigned, A::Start) => S::InProgress,
        (s, A::RequestInfo) if working || s == S::Received => S::Waiting,
        (S::Waiting, A::InfoReceived) => before_wait
            .filter(|s| *s != S::Waiting)
            .unwrap_or(S::InProgress),
        (s, A::Transfer) if working || s == S::Received => S::Transferred,
        (S::Transferred, A::AcceptTransfer) => S::Accepted,
        // Refused transfers go back to the sender, who must find the competent unit.
        (S::Transferred, A::RefuseTransfer) => S::Received,
        (_, A::Answer) if working => S::Answered,
        (_, A::SubmitAnswer) if working => S::AwaitingApproval,
        (S::AwaitingApproval, A::Approve) => S::Answered,
        (S::AwaitingApproval, A::ReturnDraft) => S::InProgress,
        (s, A::Interim)
            if working || matches!(s, S::Received | S::Waiting | S::AwaitingApproval) =>
        {
            s
        }
        (S::Answered, A::Close) => S::Closed,
        (S::Answered | S::Closed, A::Appeal) => S::Received,
        (s, A::Merge) if s.is_open() => S::Merged,
        _ => {
            return Err(FieldError::new("action", "err-illegal-transition")
                .with("state", state.as_str())
                .with("action", action.as_str()));
        }
    };
    Ok(to)
}

/// Supports are for published recommendations and initiatives: answered or closed, not hidden.
/// Reports (complaints) are answered, not supported.
pub fn supportable(kind: Kind, state: State, hidden: bool) -> bool {
    kind != Kind::Report && matches!(state, State::Answered | State::Closed) && !hidden
}

/// What an officer's answer does: published at once, or held for the leader where the unit asks
/// for approval (a leader's own answer needs no second signature).
pub fn answer_move(unit_requires_approval: bool, may_approve: bool) -> Action {
    if unit_requires_approval && !may_approve {
        Action::SubmitAnswer
    } else {
        Action::Answer
    }
}

/// The share answered on time, in permille rounded half up: of the items that were answered or
/// should have been (answered, or open past their deadline), those answered by their deadline.
/// None when there is neither: items not yet due say nothing about timeliness.
pub fn on_time_permille(on_time: i64, answered: i64, overdue: i64) -> Option<i64> {
    let base = answered + overdue;
    (base > 0).then(|| (on_time.clamp(0, answered) * 2000 + base) / (2 * base))
}

/// The median of values given as (value, how many times): the middle one, or the mean of the two
/// middle ones when the total is even.
pub fn weighted_median(mut counts: Vec<(i64, i64)>) -> Option<f64> {
    counts.retain(|(_, n)| *n > 0);
    counts.sort_unstable();
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    // The values at 0-based ranks (total-1)/2 and total/2.
    let nth = |rank: i64| {
        let mut seen = 0;
        counts
            .iter()
            .find(|(_, n)| {
                seen += n;
                seen > rank
            })
            .map(|(v, _)| *v)
            .unwrap_or(0)
    };
    Some((nth((total - 1) / 2) + nth(total / 2)) as f64 / 2.0)
}

/// What accepting a transfer does to the answer clock (a per-kind rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferClock {
    /// The receiving unit gets the full time again, from the day it accepts.
    Restart,
    /// The time already spent at the first unit counts.
    Continue,
}

impl TransferClock {
    pub fn parse(s: &str) -> Option<TransferClock> {
        match s {
            "restart" => Some(TransferClock::Restart),
            "continue" => Some(TransferClock::Continue),
            _ => None,
        }
    }
}

/// An item's answer clock as stored: from a day, the working days allowed, extended and spent paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemClock {
    pub from: chrono::NaiveDate,
    pub allowed: u32,
    pub extension_days: u32,
    pub extensions: u32,
    pub paused_days: u32,
}

impl ItemClock {
    pub fn deadline(&self, cal: &super::workdays::Calendar) -> chrono::NaiveDate {
        cal.add_working_days(
            self.from,
            self.allowed + self.extension_days + self.paused_days,
        )
    }

    /// The clock once the receiving unit accepts a transfer on `accepted_on`.
    pub fn after_transfer(
        self,
        rule: TransferClock,
        accepted_on: chrono::NaiveDate,
        answer_days: u32,
    ) -> ItemClock {
        match rule {
            TransferClock::Continue => self,
            TransferClock::Restart => ItemClock {
                from: accepted_on,
                allowed: answer_days,
                extension_days: 0,
                extensions: 0,
                paused_days: 0,
            },
        }
    }
}

/// A tracking code, `PAKN-20260112-0042`: the local day of submission, then that day's sequence
/// (at least four digits). Only well-formed codes exist as values, so no raw text from a URL reaches
/// a lookup.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TrackingCode(String);

impl TrackingCode {
    pub fn new(day: chrono::NaiveDate, seq: i64) -> TrackingCode {
        TrackingCode(format!("PAKN-{}-{seq:04}", day.format("%Y%m%d")))
    }

    /// The code, or `None` for anything not of its shape or naming a day that does not exist.
    pub fn parse(raw: &str) -> Option<TrackingCode> {
        let b = raw.as_bytes();
        let shaped = (18..=24).contains(&b.len())
            && raw.starts_with("PAKN-")
            && b[5..13].iter().all(u8::is_ascii_digit)
            && b[13] == b'-'
            && b[14..].iter().all(u8::is_ascii_digit);
        (shaped && chrono::NaiveDate::parse_from_str(&raw[5..13], "%Y%m%d").is_ok())
            .then(|| TrackingCode(raw.to_string()))
    }

    /// The day of submission the code names.
    pub fn day(&self) -> chrono::NaiveDate {
        chrono::NaiveDate::parse_from_str(&self.0[5..13], "%Y%m%d")
            .expect("parsed or built from a day")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for TrackingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A routing rule: items of `category` (any if None) about `unit` (any if None) go to `target`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub category: Option<String>,
    pub unit: Option<i64>,
    pub target: i64,
}

/// The responsible unit: the most specific matching rule (category and unit, then unit, then
/// category); otherwise the unit concerned itself; otherwise the triage unit.
pub fn route(rules: &[Route], category: &str, unit: Option<i64>, triage: i64) -> i64 {
    let matches = |r: &&Route| {
        r.category.as_deref().is_none_or(|c| c == category)
            && r.unit.is_none_or(|u| Some(u) == unit)
    };
    let score = |r: &Route| u8::from(r.unit.is_some()) * 2 + u8::from(r.category.is_some());
    rules
        .iter()
        .filter(matches)
        .max_by_key(|r| score(r))
        .map(|r| r.target)
        .or(unit)
        .unwrap_or(triage)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_usual_path() {
        let mut s = State::Received;
        for (a, want) in [
            (Action::Accept, State::Accepted),
            (Action::Assign, State::Assigned),
            (Action::Start, State::InProgress),
            (Action::RequestInfo, State::Waiting),
        ] {
            s = next(s, a, None).unwrap();
            assert_eq!(s, want);
        }
        s = next(s, Action::InfoReceived, Some(State::InProgress)).unwrap();
        assert_eq!(s, State::InProgress);
        s = next(s, Action::Answer, None).unwrap();
        assert_eq!(s, State::Answered);
        assert_eq!(next(s, Action::Appeal, None).unwrap(), State::Received);
        assert_eq!(next(s, Action::Close, None).unwrap(), State::Closed);
    }

    #[test]
    fn answers_wait_for_the_leader_where_the_unit_asks() {
        assert_eq!(answer_move(false, false), Action::Answer);
        assert_eq!(answer_move(true, true), Action::Answer);
        assert_eq!(answer_move(true, false), Action::SubmitAnswer);
        let s = next(State::InProgress, Action::SubmitAnswer, None).unwrap();
        assert_eq!(s, State::AwaitingApproval);
        assert!(s.is_open(), "the clock runs while the leader reads");
        assert_eq!(
            next(s, Action::ReturnDraft, None).unwrap(),
            State::InProgress
        );
        assert_eq!(next(s, Action::Approve, None).unwrap(), State::Answered);
        assert_eq!(next(s, Action::Interim, None).unwrap(), s);
        assert!(next(State::InProgress, Action::Approve, None).is_err());
        assert!(next(State::Answered, Action::Interim, None).is_err());
        assert!(Action::Interim.needs_reason() && Action::ReturnDraft.needs_reason());
    }

    #[test]
    fn illegal_moves_are_refused() {
        for (s, a) in [
            (State::Received, Action::Answer),
            (State::Closed, Action::Accept),
            (State::Declined, Action::Transfer),
            (State::Merged, Action::Merge),
            (State::Waiting, Action::Answer),
            (State::Answered, Action::Transfer),
            (State::Accepted, Action::Decline),
        ] {
            let e = next(s, a, None).unwrap_err();
            assert_eq!(e.code, "err-illegal-transition", "{s:?} {a:?}");
        }
    }

    #[test]
    fn codes() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 1, 12).unwrap();
        assert_eq!(TrackingCode::new(d, 42).as_str(), "PAKN-20260112-0042");
        assert_eq!(TrackingCode::new(d, 12345).as_str(), "PAKN-20260112-12345");
        assert!(TrackingCode::parse("PAKN-20260112-0042").is_some());
        for bad in [
            "PAKN-2026011-0042",
            "PAKN-20260112-00x2",
            "PAKN-20260231-0001",
            "PAKN-20260112-042",
            "pakn-20260112-0042",
            "../etc/passwd",
            "PAKN-20260112-0042\0",
            "",
        ] {
            assert!(TrackingCode::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn on_time_share() {
        assert_eq!(on_time_permille(0, 0, 0), None);
        assert_eq!(on_time_permille(7, 8, 0), Some(875));
        assert_eq!(on_time_permille(1, 2, 1), Some(333));
        assert_eq!(on_time_permille(2, 2, 1), Some(667));
        assert_eq!(on_time_permille(0, 0, 5), Some(0));
    }

    proptest::proptest! {
        /// The share stays within 0–1000, is 1000 when nothing is late, and rounds
        /// to the nearest permille.
        #[test]
        fn on_time_share_bounds(answered in 0i64..100_000, late in 0i64..100_000, overdue in 0i64..100_000) {
            let on_time = answered - late.min(answered);
            match on_time_permille(on_time, answered, overdue) {
                None => proptest::prop_assert_eq!(answered + overdue, 0),
                Some(p) => {
                    proptest::prop_assert!((0..=1000).contains(&p));
                    let exact = on_time as f64 * 1000.0 / (answered + overdue) as f64;
                    proptest::prop_assert!((p as f64 - exact).abs() <= 0.5 + 1e-9);
                    if on_time == answered + overdue {
                        proptest::prop_assert_eq!(p, 1000);
                    }
                }
            }
        }
    }

    proptest::proptest! {
        /// A code read back names the day and sequence it was made from, for any instant: a
        /// submission in the evening UTC (from 17:00) already belongs to the next day in Hà Nội,
        /// and its code carries that day.
        #[test]
        fn codes_carry_the_local_day(secs in 1_577_836_800i64..2_524_608_000, seq in 1i64..10_000_000) {
            let at = chrono::DateTime::from_timestamp(secs, 0).unwrap();
            let day = crate::clock::local_date_in(at, crate::clock::DEFAULT_ZONE);
            let utc = at.date_naive();
            use chrono::Timelike;
            proptest::prop_assert_eq!(day, if at.hour() >= 17 { utc.succ_opt().unwrap() } else { utc });
            let code = TrackingCode::new(day, seq);
            let back = TrackingCode::parse(code.as_str()).unwrap();
            proptest::prop_assert_eq!(back.day(), day);
            let tail = format!("-{seq:04}");
            proptest::prop_assert!(back.as_str().ends_with(&tail));
        }
    }

    #[test]
    fn routing_prefers_the_most_specific_rule() {
        let rules = vec![
            Route {
                category: Some("data".into()),
                unit: None,
                target: 10,
            },
            Route {
                category: None,
                unit: Some(5),
                target: 20,
            },
            Route {
                category: Some("data".into()),
                unit: Some(5),
                target: 30,
            },
        ];
        assert_eq!(route(&rules, "data", Some(5), 1), 30);
        assert_eq!(route(&rules, "ai", Some(5), 1), 20);
        assert_eq!(route(&rules, "data", Some(7), 1), 10);
        assert_eq!(
            route(&rules, "ai", Some(7), 1),
            7,
            "the unit concerned answers"
        );
        assert_eq!(route(&rules, "ai", None, 1), 1, "else the triage unit");
    }

    #[test]
    fn only_published_recommendations_and_initiatives_are_supported() {
        assert!(supportable(Kind::Initiative, State::Answered, false));
        assert!(supportable(Kind::Recommendation, State::Closed, false));
        assert!(!supportable(Kind::Report, State::Answered, false));
        assert!(!supportable(Kind::Initiative, State::InProgress, false));
        assert!(!supportable(Kind::Initiative, State::Closed, true));
    }

    #[test]
    fn medians_of_counts() {
        assert_eq!(weighted_median(vec![]), None);
        assert_eq!(weighted_median(vec![(4, 0)]), None);
        assert_eq!(weighted_median(vec![(7, 1)]), Some(7.0));
        assert_eq!(weighted_median(vec![(10, 1), (2, 1)]), Some(6.0));
        assert_eq!(weighted_median(vec![(3, 5), (100, 4)]), Some(3.0));
        assert_eq!(weighted_median(vec![(3, 4), (100, 4)]), Some(51.5));
    }

    fn day() -> impl Strategy<Value = chrono::NaiveDate> {
        (0i64..3000).prop_map(|n| {
            chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Duration::days(n)
        })
    }

    fn clock() -> impl Strategy<Value = ItemClock> {
        (day(), 1u32..60, 0u32..30, 0u32..3, 0u32..40).prop_map(
            |(from, allowed, ext, n, paused)| ItemClock {
                from,
                allowed,
                extension_days: ext,
                extensions: n,
                paused_days: paused,
            },
        )
    }

    proptest! {
        /// Transfers: "continue" never moves the deadline; "restart" gives the receiving unit
        /// exactly its answer days from the day it accepts, forgetting extensions and pauses,
        /// and a later acceptance never yields an earlier deadline.
        #[test]
        fn transfer_clock_rules(c in clock(), accepted in day(), later in 0i64..60, days in 1u32..60) {
            let cal = crate::workdays::Calendar::builtin();
            prop_assert_eq!(c.after_transfer(TransferClock::Continue, accepted, days).deadline(&cal), c.deadline(&cal));
            let r = c.after_transfer(TransferClock::Restart, accepted, days);
            prop_assert_eq!(cal.working_days_between(accepted, r.deadline(&cal)), i64::from(days));
            prop_assert!(cal.is_working_day(r.deadline(&cal)));
            prop_assert_eq!((r.extensions, r.extension_days, r.paused_days), (0, 0, 0));
            let r2 = c.after_transfer(TransferClock::Restart, accepted + chrono::Duration::days(later), days);
            prop_assert!(r2.deadline(&cal) >= r.deadline(&cal));
        }

        /// Grouped counts give the same median as the plain list.
        #[test]
        fn weighted_median_is_the_median(values in proptest::collection::vec(0i64..40, 0..60)) {
            let mut sorted = values.clone();
            sorted.sort_unstable();
            let plain = match sorted.len() {
                0 => None,
                n if n % 2 == 1 => Some(sorted[n / 2] as f64),
                n => Some((sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0),
            };
            let mut counts = std::collections::BTreeMap::new();
            for v in &values { *counts.entry(*v).or_insert(0i64) += 1; }
            prop_assert_eq!(weighted_median(counts.into_iter().collect()), plain);
        }

        /// From any state, any sequence of actions either moves to a known state or is refused;
        /// final states accept nothing but what they list, and no move leads out of Merged.
        #[test]
        fn the_machine_is_closed(actions in proptest::collection::vec(0usize..Action::ALL.len(), 0..30)) {
            let mut s = State::Received;
            let mut before_wait = None;
            for i in actions {
                let a = Action::ALL[i];
                if let Ok(t) = next(s, a, before_wait) {
                    prop_assert!(s != State::Merged && s != State::Declined);
                    if t == State::Waiting { before_wait = Some(s); }
                    if a == Action::Appeal { prop_assert!(matches!(s, State::Answered | State::Closed)); }
                    if t == State::Answered { prop_assert!(matches!(s, State::Accepted | State::Assigned | State::InProgress | State::AwaitingApproval)); }
                    if a == Action::Interim { prop_assert_eq!(t, s); }
                    s = t;
                }
            }
        }
    }
}
