//! Every mail and in-app notification the platform sends: their texts per language, and the one
//! way they are queued (in the caller's transaction, through storage). The job runner sends the
//! mail later; use cases never reach into it.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use domain::i18n::Lang;
use domain::reminders::Reminder;
use serde::{Deserialize, Serialize};

use crate::db::DbConn;
use crate::error::AppResult;
use store::tasks::Task;

/// A subject and a plain-text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub subject: String,
    pub text: String,
}

/// A queued mail, as the job runner reads it.
#[derive(Serialize, Deserialize)]
pub struct MailJob {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
}

/// Queues a mail for the job runner in the caller's transaction; false when a job with this key
/// was already queued (the key makes a resend idempotent).
pub async fn queue_mail(
    c: &mut DbConn<'_>,
    key: &str,
    to: Vec<String>,
    m: Message,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let job = MailJob {
        to,
        subject: m.subject,
        text: m.text,
    };
    let payload = serde_json::to_string(&job).unwrap_or_default();
    store::jobs::enqueue(c, "mail", key, &payload, now, now).await
}

/// Writes the message to each user's in-app notifications, in the caller's transaction.
pub async fn in_app(
    c: &mut DbConn<'_>,
    users: &[i64],
    m: &Message,
    link: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    for u in users {
        store::work::notify(c, *u, &m.subject, &m.text, link, now).await?;
    }
    Ok(())
}

/// `users` grouped by the language each reads in (Vietnamese first), for writing each group's
/// message once.
pub async fn by_lang(c: &mut DbConn<'_>, users: &[i64]) -> AppResult<Vec<(Lang, Vec<i64>)>> {
    let mut groups: Vec<(Lang, Vec<i64>)> = domain::i18n::LANGS.map(|l| (l, vec![])).to_vec();
    for u in users {
        let lang = store::users::lang_of(c, *u).await?;
        if let Some(g) = groups.iter_mut().find(|(l, _)| *l == lang) {
            g.1.push(*u);
        }
    }
    groups.retain(|(_, u)| !u.is_empty());
    Ok(groups)
}

/// Stands for the public address (`public_base_url`) in a queued mail's text; the mail runner
/// puts the address in at sending, so that a use case queuing mail needs no configuration and
/// every link in a message is absolute, clickable.
pub const BASE_URL: &str = "{base_url}";

/// The text as sent: links made absolute.
pub fn with_base_url(text: &str, base_url: &str) -> String {
    text.replace(BASE_URL, base_url.trim_end_matches('/'))
}

fn p(k: &str, v: impl Into<String>) -> (String, String) {
    (k.to_string(), v.into())
}

fn short(title: &str) -> String {
    title.chars().take(120).collect()
}

/// To the sender of a feedback item, about a public step (`received`, `answered`, …).
pub fn feedback_step(
    lang: Lang,
    code: &str,
    title: &str,
    deadline: Option<NaiveDate>,
    step: &str,
) -> Message {
    let params = [
        p("code", code),
        p("title", short(title)),
        p(
            "deadline",
            deadline.map(|d| lang.date(d)).unwrap_or_default(),
        ),
    ];
    Message {
        subject: lang.tf(&format!("mail-feedback-{step}-subject"), &params),
        text: format!(
            "{}\n\n{}\n{BASE_URL}/feedback/track/{code}\n",
            lang.tf(&format!("mail-feedback-{step}-body"), &params),
            lang.t("mail-feedback-track"),
        ),
    }
}

/// The link that confirms a supporter's email address.
pub fn support_confirm(lang: Lang, code: &str, token: &str) -> Message {
    let params = [p("code", code)];
    Message {
        subject: lang.tf("mail-support-subject", &params),
        text: format!(
            "{}\n\n{BASE_URL}/feedback/support/confirm?token={token}\n",
            lang.tf("mail-support-body", &params)
        ),
    }
}

/// The link that activates a public account.
pub fn register_confirm(lang: Lang, username: &str, token: &str) -> Message {
    let params = [p("username", username)];
    Message {
        subject: lang.tf("mail-register-subject", &params),
        text: format!(
            "{}\n\n{BASE_URL}/register/confirm?token={token}\n",
            lang.tf("mail-register-body", &params)
        ),
    }
}

/// A reminder or an escalation about a task's deadline.
pub fn reminder(
    lang: Lang,
    base_url: &str,
    task: &Task,
    unit: &str,
    r: &Reminder,
    due: NaiveDate,
) -> Message {
    let kind = if r.kind.starts_with("before") {
        "before"
    } else if r.kind.starts_with("overdue") {
        "overdue"
    } else if r.kind == "escalate-leader" {
        "escalate-leader"
    } else {
        "escalate-assigner"
    };
    let params = [
        p("code", task.code.clone()),
        p("title", short(&task.title)),
        p("unit", unit),
        p("due", lang.date(due)),
        p("days", lang.int(r.days_left.abs())),
    ];
    Message {
        subject: lang.tf(&format!("mail-{kind}-subject"), &params),
        text: format!(
            "{}\n\n{}\n{}/tasks/{}\n",
            lang.tf(&format!("mail-{kind}-body"), &params),
            lang.t("mail-open-task"),
            base_url.trim_end_matches('/'),
            task.id
        ),
    }
}

/// A completion claim, to the assigning level (`claim`), or its decision, to the unit that
/// claimed (`claim-verified`, `claim-returned`, with the verifier's comment).
pub fn claim(
    lang: Lang,
    kind: &str,
    task: &Task,
    unit: &str,
    on: NaiveDate,
    comment: Option<&str>,
) -> Message {
    let params = [
        p("code", task.code.clone()),
        p("title", short(&task.title)),
        p("unit", unit),
        p("date", lang.date(on)),
    ];
    let mut text = lang.tf(&format!("mail-{kind}-body"), &params);
    if let Some(c) = comment.filter(|c| !c.is_empty()) {
        text.push_str(&format!("\n\n{}: {c}", lang.t("field-comment")));
    }
    // In-app only: the notification carries the task's link itself.
    Message {
        subject: lang.tf(&format!("mail-{kind}-subject"), &params),
        text,
    }
}

/// A feedback item past its deadline: `kind` is `overdue` (to the unit), `escalate-leader` (to
/// its leaders) or `escalate-steering` (to the standing agency), each with its own wording.
#[allow(clippy::too_many_arguments)]
pub fn feedback_overdue(
    lang: Lang,
    base_url: &str,
    kind: &str,
    id: i64,
    code: &str,
    title: &str,
    days_late: i64,
    due: NaiveDate,
) -> Message {
    let params = [
        p("code", code),
        p("title", short(title)),
        p("days", lang.int(days_late)),
        p("due", lang.date(due)),
    ];
    Message {
        subject: lang.tf(&format!("mail-fb-{kind}-subject"), &params),
        text: format!(
            "{}\n\n{}/feedback/items/{id}\n",
            lang.tf(&format!("mail-fb-{kind}-body"), &params),
            base_url.trim_end_matches('/')
        ),
    }
}

/// Items a day's message lists in full; the rest are counted, with links to the lists.
pub const DAY_LISTED: usize = 10;

/// One person's day: every reminder and escalation the sweep gathered for them, as one message
/// (one mail, one notification) instead of one per item. `items` are (kind, subject, body) of
/// each item's own message; a single item keeps its own subject and text.
pub fn day(
    lang: Lang,
    base_url: &str,
    date: NaiveDate,
    items: &[(String, String, String)],
    unlisted: i64,
) -> Message {
    let total = items.len() as i64 + unlisted;
    if let ([(_, subject, text)], 0) = (items, unlisted) {
        return Message {
            subject: subject.clone(),
            text: text.clone(),
        };
    }
    let escalations = items
        .iter()
        .filter(|(k, _, _)| k.contains("escalate"))
        .count();
    let mut subject = lang.tf(
        "mail-day-subject",
        &[p("count", lang.int(total)), p("date", lang.date(date))],
    );
    if escalations > 0 {
        subject.push_str(&lang.tf(
            "mail-day-escalations",
            &[p("count", lang.int(escalations as i64))],
        ));
    }
    let mut text = lang.tf("mail-day-intro", &[p("date", lang.date(date))]);
    text.push('\n');
    // Escalations first; a long day lists the first items and counts the rest.
    let mut order: Vec<&(String, String, String)> = items.iter().collect();
    order.sort_by_key(|(k, _, _)| !k.contains("escalate"));
    for (i, (_, subject, body)) in order.iter().take(DAY_LISTED).enumerate() {
        let title = subject.trim_start_matches("[nqtrack]").trim();
        text.push_str(&format!("\n{}. {title}\n{body}", i + 1));
    }
    let listed = items.len().min(DAY_LISTED) as i64;
    if total > listed {
        let more = total - listed;
        let base = base_url.trim_end_matches('/');
        text.push_str(&format!(
            "\n{}\n{base}/worklist\n{base}/feedback/inbox\n",
            lang.tf("mail-day-more", &[p("count", lang.int(more))]),
        ));
    }
    Message { subject, text }
}

/// A unit's weekly digest: counts by status and the number of open assignments.
pub fn digest(
    lang: Lang,
    base_url: &str,
    unit_id: i64,
    counts: &HashMap<&'static str, i64>,
    open: i64,
) -> Message {
    let n = |k: &str| p(k, lang.int(counts.get(k).copied().unwrap_or(0)));
    let params = [
        n("overdue"),
        n("at_risk"),
        n("due_soon"),
        p("open", lang.int(open)),
    ];
    Message {
        subject: lang.tf("mail-digest-subject", &params),
        text: format!(
            "{}\n\n{}\n{}/org/{unit_id}/worklist\n",
            lang.tf("mail-digest-body", &params),
            lang.t("mail-open-worklist"),
            base_url.trim_end_matches('/')
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_of_several_items_is_one_message_listing_each() {
        let d = NaiveDate::from_ymd_opt(2026, 7, 15).unwrap();
        let one = [(
            "before-3".to_string(),
            "[nqtrack] S1".to_string(),
            "B1\n".to_string(),
        )];
        assert_eq!(
            day(Lang::Vi, "https://x", d, &one, 0).subject,
            "[nqtrack] S1"
        );
        // One listed and 4 counted only: a day of five.
        let m = day(Lang::En, "https://x", d, &one, 4);
        assert!(
            m.subject.contains("5 items") && m.text.contains("4 more"),
            "{m:?}"
        );
        let items = [
            one[0].clone(),
            (
                "escalate-leader".into(),
                "[nqtrack] S2".into(),
                "B2\n".into(),
            ),
            ("overdue-1".into(), "[nqtrack] S3".into(), "B3\n".into()),
        ];
        let m = day(Lang::En, "https://x", d, &items, 0);
        assert!(
            m.subject.contains("3 items") && m.subject.contains("1 for the leadership"),
            "{}",
            m.subject
        );
        // The escalation first, then the others in their order.
        for (i, s, b) in [(1, "S2", "B2"), (2, "S1", "B1"), (3, "S3", "B3")] {
            assert!(m.text.contains(&format!("{i}. {s}\n{b}")), "{}", m.text);
        }
    }

    #[test]
    fn a_long_day_lists_the_first_items_and_counts_the_rest() {
        let d = NaiveDate::from_ymd_opt(2026, 7, 15).unwrap();
        let items: Vec<_> = (0..DAY_LISTED + 12)
            .map(|i| ("overdue-1".to_string(), format!("S{i}"), format!("B{i}\n")))
            .collect();
        let m = day(Lang::En, "https://x", d, &items, 0);
        assert!(
            m.text
                .contains(&format!("{DAY_LISTED}. S{}", DAY_LISTED - 1))
        );
        assert!(!m.text.contains(&format!("S{DAY_LISTED}\n")));
        assert!(m.text.contains("12 more"), "{}", m.text);
        assert!(m.text.contains("https://x/worklist"));
    }

    #[test]
    fn support_mail_carries_the_link_and_the_code() {
        let m = support_confirm(Lang::En, "PAKN-20260112-0042", "tok123");
        assert!(m.subject.contains("PAKN-20260112-0042"));
        assert!(m.text.ends_with("/feedback/support/confirm?token=tok123\n"));
    }

    #[test]
    fn feedback_overdue_links_the_item_under_the_base_url() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let m = feedback_overdue(
            Lang::Vi,
            "https://x.gov.vn/",
            "escalate-leader",
            7,
            "PAKN-1",
            "Đèn đường",
            6,
            d,
        );
        assert!(m.text.ends_with("https://x.gov.vn/feedback/items/7\n"));
        assert!(m.subject.contains("Báo cáo lãnh đạo"), "{}", m.subject);
    }
}
