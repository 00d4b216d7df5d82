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

/// One point of an indicator chart: where in time (a fractional year), its label, the value.
pub struct IndicatorPoint {
    pub at: f64,
    pub label: String,
    pub value: Option<f64>,
    pub expected: Option<f64>,
}

/// An indicator over time: its values (solid), the path the target sets (dashed), the trend
/// carried to the target's date (dotted) and the target (a level line). `fmt` writes a figure.
pub fn indicator(
    lang: Lang,
    points: &[IndicatorPoint],
    target: Option<(f64, f64, String)>,
    projection: Option<(f64, f64)>,
    fmt: &dyn Fn(f64) -> String,
) -> String {
    if points.is_empty() {
        return String::new();
    }
    let (w, h, left, right, top, bottom) = (640.0, 200.0, 48.0, 16.0, 12.0, 30.0);
    let mut xs: Vec<f64> = points.iter().map(|p| p.at).collect();
    let mut ys: Vec<f64> = points
        .iter()
        .flat_map(|p| [p.value, p.expected])
        .flatten()
        .collect();
    if let Some((at, v, _)) = &target {
        xs.push(*at);
        ys.push(*v);
    }
    if let Some((at, v)) = projection {
        xs.push(at);
        ys.push(v);
    }
    let (x0, x1) = xs
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(*x), b.max(*x)));
    let (mut y0, mut y1) = ys
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), y| (a.min(*y), b.max(*y)));
    if ys.is_empty() {
        return String::new();
    }
    // Room around the figures, from zero only when they come near it: a flat line at the
    // top of an empty chart would hide the change people look for.
    let pad = (y1 - y0).max(y1.abs() * 0.05).max(1e-9) * 0.15;
    y0 = if y0 >= 0.0 && y0 - pad < y1 * 0.25 {
        0.0
    } else {
        y0 - pad
    };
    y1 += pad;
    if (y1 - y0).abs() < 1e-9 {
        y1 = y0 + 1.0;
    }
    let span = (x1 - x0).max(0.25);
    let x = |t: f64| left + (t - x0) / span * (w - left - right);
    let y = |v: f64| h - bottom - (v - y0) / (y1 - y0) * (h - top - bottom);
    let mut out = format!(
        "<svg class=\"chart indicator\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\" role=\"img\" aria-label=\"{}\">",
        esc(lang.t("ind-chart"))
    );
    let _ = write!(
        out,
        "<text x=\"0\" y=\"{:.0}\" class=\"axis\">{}</text>",
        top + 8.0,
        esc(&fmt(y1))
    );
    let _ = write!(
        out,
        "<text x=\"0\" y=\"{:.0}\" class=\"axis\">{}</text>",
        h - bottom,
        esc(&fmt(y0))
    );
    if let Some((_, v, text)) = &target {
        let _ = write!(
            out,
            "<line class=\"target\" x1=\"{left:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"><title>{}: {}</title></line>",
            w - right,
            y(*v),
            y(*v),
            esc(lang.t("ind-chart-target")),
            esc(text)
        );
    }
    let line = |f: &dyn Fn(&IndicatorPoint) -> Option<f64>| {
        points
            .iter()
            .filter_map(|p| f(p).map(|v| format!("{:.1},{:.1}", x(p.at), y(v))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let path = line(&|p| p.expected);
    if !path.is_empty() {
        let _ = write!(
            out,
            "<polyline class=\"path\" fill=\"none\" points=\"{path}\"><title>{}</title></polyline>",
            esc(lang.t("ind-chart-path"))
        );
    }
    let _ = write!(
        out,
        "<polyline class=\"actual\" fill=\"none\" points=\"{}\"><title>{}</title></polyline>",
        line(&|p| p.value),
        esc(lang.t("ind-chart-actual"))
    );
    if let (Some((at, v)), Some(last)) =
        (projection, points.iter().rev().find(|p| p.value.is_some()))
    {
        let _ = write!(
            out,
            "<polyline class=\"projection\" fill=\"none\" points=\"{:.1},{:.1} {:.1},{:.1}\"><title>{}: {}</title></polyline>",
            x(last.at),
            y(last.value.unwrap_or(0.0)),
            x(at),
            y(v),
            esc(lang.t("ind-chart-projection")),
            esc(&fmt(v))
        );
    }
    let step = (points.len() / 8).max(1);
    for (i, p) in points.iter().enumerate() {
        if let Some(v) = p.value {
            let _ = write!(
                out,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" class=\"actual\"><title>{}: {}</title></circle>",
                x(p.at),
                y(v),
                esc(&p.label),
                esc(&fmt(v))
            );
        }
        if i % step == 0 || i + 1 == points.len() {
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.0}\" class=\"axis\">{}</text>",
                x(p.at) - 14.0,
                h - bottom + 14.0,
                esc(&p.label)
            );
        }
    }
    if let Some((at, _, _)) = &target
        && *at > points.last().map_or(0.0, |p| p.at) + 0.5
    {
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.0}\" class=\"axis\">{}</text>",
            x(*at) - 24.0,
            h - bottom + 14.0,
            at.floor() as i64
        );
    }
    out.push_str("</svg>");
    out
}

/// A small line of a unit's figures, 80 × 20, for a table row.
pub fn sparkline(values: &[Option<f64>]) -> String {
    let known: Vec<(usize, f64)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i, v)))
        .collect();
    if known.len() < 2 {
        return String::new();
    }
    let (lo, hi) = known.iter().fold((f64::MAX, f64::MIN), |(a, b), (_, v)| {
        (a.min(*v), b.max(*v))
    });
    let span = if hi - lo < 1e-9 { 1.0 } else { hi - lo };
    let n = (values.len() - 1).max(1) as f64;
    let pts: Vec<String> = known
        .iter()
        .map(|(i, v)| {
            format!(
                "{:.1},{:.1}",
                1.0 + *i as f64 / n * 78.0,
                19.0 - (v - lo) / span * 18.0
            )
        })
        .collect();
    format!(
        "<svg class=\"spark\" width=\"80\" height=\"20\" viewBox=\"0 0 80 20\" aria-hidden=\"true\"><polyline fill=\"none\" points=\"{}\"/></svg>",
        pts.join(" ")
    )
}

/// A share as a small horizontal bar, 0–100 (%). Drawn in SVG because the pages' content security
/// policy allows no inline styles: a `style="width: …"` was ignored and every bar came out full.
pub fn share_bar(percent: f64) -> String {
    let w = (percent.clamp(0.0, 100.0) * 10.0).round() / 10.0;
    format!(
        r#"<svg class="sharebar" width="100" height="10" viewBox="0 0 100 10" aria-hidden="true"><rect width="100" height="10" class="bg"/><rect width="{w}" height="10" class="fg"/></svg>"#
    )
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
