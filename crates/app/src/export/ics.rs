//! iCalendar (RFC 5545) feed of all-day deadlines.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub uid: String,
    /// All-day.
    pub date: NaiveDate,
    pub summary: String,
    pub description: String,
    pub url: Option<String>,
}

/// RFC 5545 §3.1: lines are at most 75 octets, excluding the CRLF.
const MAX_LINE_OCTETS: usize = 75;

pub fn calendar(name: &str, events: &[Event], stamp: DateTime<Utc>) -> String {
    let mut out = String::new();
    let mut line = |s: &str| fold_into(&mut out, s);
    line("BEGIN:VCALENDAR");
    line("VERSION:2.0");
    line("PRODID:-//nqtrack//deadlines//VI");
    line("CALSCALE:GREGORIAN");
    line(&format!("X-WR-CALNAME:{}", escape_text(name)));
    let dtstamp = stamp.format("%Y%m%dT%H%M%SZ").to_string();
    for e in events {
        // DATE values have exactly four year digits; a date outside 0000–9999
        // cannot be written and would break the whole feed in some clients.
        let Some(start) = ical_date(e.date) else {
            continue;
        };
        line("BEGIN:VEVENT");
        line(&format!("UID:{}", escape_text(&e.uid)));
        line(&format!("DTSTAMP:{dtstamp}"));
        line(&format!("DTSTART;VALUE=DATE:{start}"));
        // DTEND is exclusive; if absent, RFC 5545 also implies one day.
        if let Some(end) = e.date.succ_opt().and_then(ical_date) {
            line(&format!("DTEND;VALUE=DATE:{end}"));
        }
        line(&format!("SUMMARY:{}", escape_text(&e.summary)));
        if !e.description.is_empty() {
            line(&format!("DESCRIPTION:{}", escape_text(&e.description)));
        }
        if let Some(url) = &e.url {
            // A URI is not TEXT: no backslash escaping, but a stray line
            // break would end the property early.
            let url: String = url.chars().filter(|c| !c.is_control()).collect();
            line(&format!("URL:{url}"));
        }
        // A deadline is not a meeting: don't mark the day as busy.
        line("TRANSP:TRANSPARENT");
        line("END:VEVENT");
    }
    line("END:VCALENDAR");
    out
}

fn ical_date(d: NaiveDate) -> Option<String> {
    (0..=9999)
        .contains(&d.year())
        .then(|| format!("{:04}{:02}{:02}", d.year(), d.month(), d.day()))
}

/// TEXT escaping (RFC 5545 §3.3.11). Any line break becomes `\n`; other
/// control characters are not allowed in TEXT and are dropped.
pub(crate) fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded at 75 octets with CRLF + space. Cuts
/// only at char boundaries: a split UTF-8 sequence is invalid in every
/// line and some clients reject the feed.
pub(crate) fn fold_into(out: &mut String, line: &str) {
    let mut rest = line;
    let mut limit = MAX_LINE_OCTETS;
    loop {
        if rest.len() <= limit {
            out.push_str(rest);
            out.push_str("\r\n");
            return;
        }
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        // The leading space of a continuation line counts toward its 75.
        limit = MAX_LINE_OCTETS - 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn fold(s: &str) -> String {
        let mut out = String::new();
        fold_into(&mut out, s);
        out
    }

    fn unfold(s: &str) -> String {
        s.replace("\r\n ", "").replace("\r\n\t", "")
    }

    fn assert_well_formed(folded: &str) {
        assert!(folded.ends_with("\r\n"));
        for l in folded.strip_suffix("\r\n").unwrap().split("\r\n") {
            assert!(l.len() <= MAX_LINE_OCTETS, "{} octets: {l:?}", l.len());
            assert!(!l.contains(['\r', '\n']));
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn event(d: NaiveDate) -> Event {
        Event {
            uid: "task-42@nqtrack".into(),
            date: d,
            summary: "Hạn nộp báo cáo".into(),
            description: "Báo cáo quý; gồm: tiến độ, kinh phí\nvà kiến nghị \\ đề xuất".into(),
            url: Some("https://nqtrack.example/tasks/42?a=1,2".into()),
        }
    }

    fn stamp() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap()
    }

    #[test]
    fn calendar_structure() {
        let cal = calendar("Hạn chót, NQ 57", &[event(date(2025, 6, 15))], stamp());
        assert_well_formed(&cal);
        let lines: Vec<&str> = cal.split("\r\n").collect();
        assert_eq!(
            lines,
            [
                "BEGIN:VCALENDAR",
                "VERSION:2.0",
                "PRODID:-//nqtrack//deadlines//VI",
                "CALSCALE:GREGORIAN",
                "X-WR-CALNAME:Hạn chót\\, NQ 57",
                "BEGIN:VEVENT",
                "UID:task-42@nqtrack",
                "DTSTAMP:20250102T030405Z",
                "DTSTART;VALUE=DATE:20250615",
                "DTEND;VALUE=DATE:20250616",
                "SUMMARY:Hạn nộp báo cáo",
                // 75 octets, then the continuation.
                "DESCRIPTION:Báo cáo quý\\; gồm: tiến độ\\, kinh phí\\nvà kiến ng",
                " hị \\\\ đề xuất",
                "URL:https://nqtrack.example/tasks/42?a=1,2",
                "TRANSP:TRANSPARENT",
                "END:VEVENT",
                "END:VCALENDAR",
                "",
            ]
        );
    }

    #[test]
    fn dtend_is_next_day_across_boundaries() {
        for (d, end) in [
            (date(2025, 1, 31), "20250201"),
            (date(2024, 2, 28), "20240229"),
            (date(2024, 2, 29), "20240301"),
            (date(2025, 2, 28), "20250301"),
            (date(2025, 12, 31), "20260101"),
        ] {
            let cal = calendar("x", &[event(d)], stamp());
            assert!(
                cal.contains(&format!("\r\nDTEND;VALUE=DATE:{end}\r\n")),
                "{d}: {cal}"
            );
        }
    }

    #[test]
    fn unrepresentable_dates() {
        // Last writable day: no DTEND rather than a five-digit year.
        let cal = calendar("x", &[event(date(9999, 12, 31))], stamp());
        assert!(cal.contains("DTSTART;VALUE=DATE:99991231\r\n"));
        assert!(!cal.contains("DTEND"));
        let cal = calendar("x", &[event(date(10000, 1, 1))], stamp());
        assert!(!cal.contains("VEVENT"));
    }

    #[test]
    fn optional_fields() {
        let mut e = event(date(2025, 1, 1));
        e.url = None;
        e.description.clear();
        let cal = calendar("x", &[e], stamp());
        assert!(!cal.contains("URL:") && !cal.contains("DESCRIPTION:"));
        let mut e = event(date(2025, 1, 1));
        e.url = Some("https://a.example/x\r\nX-EVIL:1".into());
        let cal = calendar("x", &[e], stamp());
        assert!(cal.contains("\r\nURL:https://a.example/xX-EVIL:1\r\n"));
    }

    #[test]
    fn escaping() {
        assert_eq!(escape_text(r"a\b;c,d"), r"a\\b\;c\,d");
        assert_eq!(escape_text("1\n2\r\n3\r4"), r"1\n2\n3\n4");
        assert_eq!(escape_text("a\u{7}b\tc: d"), "ab\tc: d");
        assert_eq!(escape_text("Tiếng Việt"), "Tiếng Việt");
    }

    #[test]
    fn fold_exact_lengths() {
        let a75 = "a".repeat(75);
        assert_eq!(fold(&a75), format!("{a75}\r\n"));
        let a76 = "a".repeat(76);
        assert_eq!(fold(&a76), format!("{a75}\r\n a\r\n"));
        // 74 ASCII + a 3-byte char: must move the whole char to the next line.
        let s = format!("{}ệx", "a".repeat(74));
        assert_eq!(fold(&s), format!("{}\r\n ệx\r\n", "a".repeat(74)));
        // Continuation lines carry 74 octets after the space.
        let long = "b".repeat(75 + 74 + 1);
        let folded = fold(&long);
        let lines: Vec<&str> = folded.split("\r\n").collect();
        assert_eq!(
            lines.iter().map(|l| l.len()).collect::<Vec<_>>(),
            [75, 75, 2, 0]
        );
    }

    #[test]
    fn fold_multibyte_at_every_offset() {
        for pad in 0..80 {
            for ch in ["ệ", "Đ", "😀", "e\u{0323}\u{0302}"] {
                let s = format!("{}{}", "x".repeat(pad), ch.repeat(60));
                let folded = fold(&s);
                assert_well_formed(&folded);
                assert_eq!(unfold(&folded).strip_suffix("\r\n").unwrap(), s);
            }
        }
    }

    proptest! {
        #[test]
        fn fold_round_trips(s in "[a-zA-Z0-9 ,;:\\\\àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễđĐơờớợởỡưừứựửữ😀\u{0300}\u{0301}\n]{0,400}") {
            let line = format!("DESCRIPTION:{}", escape_text(&s));
            let folded = fold(&line);
            assert_well_formed(&folded);
            let unfolded = unfold(&folded);
            prop_assert_eq!(unfolded.strip_suffix("\r\n").unwrap(), line.as_str());
        }

        #[test]
        fn calendar_lines_stay_short(summary in "\\PC{0,200}", desc in "\\PC{0,300}") {
            let e = Event { summary, description: desc, ..event(date(2025, 3, 1)) };
            let cal = calendar("Lịch hạn chót", &[e], stamp());
            assert_well_formed(&cal);
            prop_assert!(unfold(&cal).lines().all(|l| l.is_empty() || l.contains(':')));
        }
    }
}
