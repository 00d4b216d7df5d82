//! Charts drawn on the server as SVG: no script, readable by screen readers through titles, and
//! a few hundred bytes over a weak connection.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::NaiveDate;

use super::i18n::Lang;
use app::programmes::TrendPoint;
use domain::overview::Counts;

/// Stacking order: done at the bottom, overdue on top where the eye lands.
pub const ORDER: [&str; 6] = [
    "completed_on_time",
    "completed_late",
    "in_progress",
    "at_risk",
    "not_started",
    "overdue",
];

pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn month_label(lang: Lang, d: NaiveDate) -> String {
    match lang {
        Lang::Vi => d.format("%m/%Y").to_string(),
        _ => d.format("%Y-%m").to_string(),
    }
}

/// Deadlines per month, stacked by status.
pub fn timeline(lang: Lang, months: &BTreeMap<NaiveDate, Counts>) -> String {
    if months.is_empty() {
        return String::new();
    }
    let (h, top, bottom) = (150.0, 10.0, 30.0);
    let col = 22.0;
    let w = 40.0 + col * months.len() as f64;
    let max = months.values().map(|c| c.total).max().unwrap_or(1).max(1) as f64;
    let scale = (h - top - bottom) / max;
    let mut out = format!(
        "<svg class=\"bar chart\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\" role=\"img\" aria-label=\"{}\">",
        esc(lang.t("chart-timeline"))
    );
    let _ = write!(
        out,
        "<text x=\"0\" y=\"{:.0}\" class=\"axis\">{}</text>",
        top + 8.0,
        lang.int(max as i64)
    );
    for (i, (month, c)) in months.iter().enumerate() {
        let x = 40.0 + col * i as f64;
        let mut y = h - bottom;
        for st in ORDER {
            let n = c.by_status.get(st).copied().unwrap_or(0);
            if n == 0 {
                continue;
            }
            let bh = n as f64 * scale;
            y -= bh;
            let _ = write!(
                out,
                "<rect class=\"{st}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bh:.1}\"><title>{}: {} {}</title></rect>",
                col - 4.0,
                month_label(lang, *month),
                lang.int(n),
                esc(lang.t(&format!("status-{st}")))
            );
        }
        if i % 3 == 0 {
            let _ = write!(
                out,
                "<text x=\"{x:.1}\" y=\"{:.0}\" class=\"axis\">{}</text>",
                h - bottom + 14.0,
                month_label(lang, *month)
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// Cumulative tasks due and tasks completed, month by month.
pub fn trend(lang: Lang, points: &[TrendPoint]) -> String {
    if points.len() < 2 {
        return String::new();
    }
    let (w, h, left, top, bottom) = (640.0, 160.0, 40.0, 10.0, 30.0);
    let max = points
        .iter()
        .map(|p| p.due.max(p.completed))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let dx = (w - left - 10.0) / (points.len() - 1) as f64;
    let y = |v: i64| h - bottom - (v as f64) * (h - top - bottom) / max;
    let line = |f: &dyn Fn(&TrendPoint) -> i64| {
        points
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{:.1},{:.1}", left + dx * i as f64, y(f(p))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = format!(
        "<svg class=\"chart trend\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\" role=\"img\" aria-label=\"{}\">",
        esc(lang.t("chart-trend"))
    );
    let _ = write!(
        out,
        "<text x=\"0\" y=\"{:.0}\" class=\"axis\">{}</text>",
        top + 8.0,
        lang.int(max as i64)
    );
    let _ = write!(
        out,
        "<polyline class=\"due\" fill=\"none\" points=\"{}\"><title>{}</title></polyline>",
        line(&|p| p.due),
        esc(lang.t("trend-due"))
    );
    let _ = write!(
        out,
        "<polyline class=\"done\" fill=\"none\" points=\"{}\"><title>{}</title></polyline>",
        line(&|p| p.completed),
        esc(lang.t("trend-completed"))
    );
    for (i, p) in points.iter().enumerate() {
        let x = left + dx * i as f64;
        let _ = write!(
            out,
            "<circle cx=\"{x:.1}\" cy=\"{:.1}\" r=\"2\" class=\"done\"><title>{}: {} / {}</title></circle>",
            y(p.completed),
            lang.date(p.day),
            lang.int(p.completed),
            lang.int(p.due)
        );
        if i % 3 == 0 || i + 1 == points.len() {
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.0}\" class=\"axis\">{}</text>",
                x - 12.0,
                h - bottom + 14.0,
                month_label(lang, p.day)
            );
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeline_draws_one_rect_per_status_present() {
        let mut m = BTreeMap::new();
        let mut c = Counts {
            total: 3,
            ..Default::default()
        };
        c.by_status.insert("overdue", 2);
        c.by_status.insert("completed_on_time", 1);
        m.insert(NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(), c);
        let svg = timeline(Lang::En, &m);
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("2025-06: 2 Overdue"));
        assert!(timeline(Lang::En, &BTreeMap::new()).is_empty());
    }

    #[test]
    fn trend_has_two_lines_and_escapes() {
        let p = |m, due, completed| TrendPoint {
            day: NaiveDate::from_ymd_opt(2025, m, 28).unwrap(),
            due,
            completed,
        };
        let svg = trend(Lang::Vi, &[p(1, 0, 0), p(2, 5, 1), p(3, 9, 4)]);
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(trend(Lang::Vi, &[p(1, 0, 0)]).is_empty());
    }
}
