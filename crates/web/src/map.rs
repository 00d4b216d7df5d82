//! The 34 provinces as a map: each province filled by a share (on time, answered on time) and
//! linked to the list behind it. The outlines (data/provinces-34-map.tsv, simplified from public
//! boundaries by scripts/province-map.py; sources in data/README.md) are sent once per page as
//! SVG symbols that each map reuses, so a second map costs a few hundred bytes.

use std::fmt::Write;
use std::sync::LazyLock;

use super::charts::esc;
use super::i18n::Lang;

const OUTLINES: &str = include_str!("../../../data/provinces-34-map.tsv");

/// Outlines by official province code, and the view box they are drawn in.
pub struct Outlines {
    pub view_box: &'static str,
    pub shapes: Vec<(&'static str, &'static str)>,
}

pub static PROVINCES: LazyLock<Outlines> = LazyLock::new(|| parse(OUTLINES));

fn parse(tsv: &'static str) -> Outlines {
    let mut view_box = "0 0 300 600";
    let mut shapes = vec![];
    for line in tsv.lines() {
        let mut cols = line.split('\t');
        match (cols.next(), cols.next(), cols.next()) {
            (Some("#viewBox"), Some(v), _) => view_box = v,
            (Some(code), Some(_name), Some(d)) if !code.starts_with('#') => shapes.push((code, d)),
            _ => {}
        }
    }
    Outlines { view_box, shapes }
}

/// The outlines as symbols for `<use>`; once per page, before the maps.
pub fn defs() -> String {
    let mut s =
        String::from(r#"<svg width="0" height="0" class="map-defs" aria-hidden="true"><defs>"#);
    for (code, d) in &PROVINCES.shapes {
        let _ = write!(s, r#"<path id="pv-{code}" d="{d}"/>"#);
    }
    s.push_str("</defs></svg>");
    s
}

/// One province on a map.
pub struct Area {
    /// Official code (e.g. "66").
    pub code: String,
    pub name: String,
    /// The share drawn, in permille; None when there is nothing to measure yet.
    pub permille: Option<i64>,
    pub href: String,
}

/// The quartile group (0 = the lowest quarter … 3 = the highest) of each share among those
/// measured, as PAPI shows provinces: a map in fixed bands is one colour when every province
/// sits near the same share. Equal shares fall in the same group (the group of their first
/// rank).
pub fn quartiles(values: &[Option<i64>]) -> Vec<Option<usize>> {
    let mut sorted: Vec<i64> = values.iter().flatten().copied().collect();
    sorted.sort_unstable();
    let n = sorted.len();
    values
        .iter()
        .map(|v| {
            v.map(|v| {
                let rank = sorted.partition_point(|x| *x < v);
                rank * 4 / n
            })
        })
        .collect()
}

/// A map of the provinces filled by their quartile group of the share, with a legend giving each
/// group's range; `label` names the measure.
pub fn choropleth(lang: Lang, id: &str, label: &str, areas: &[Area]) -> String {
    let shares: Vec<Option<i64>> = areas.iter().map(|a| a.permille).collect();
    let groups = quartiles(&shares);
    let filled: Vec<Filled> = areas
        .iter()
        .zip(&groups)
        .map(|(a, g)| Filled {
            code: &a.code,
            name: &a.name,
            href: &a.href,
            class: g.map_or("q-none".to_string(), |g| format!("q{g}")),
            figure: a
                .permille
                .map(|p| lang.percent1(p))
                .unwrap_or_else(|| "—".into()),
        })
        .collect();
    let mut legend = vec![];
    for g in (0..4).rev() {
        let inside: Vec<i64> = shares
            .iter()
            .zip(&groups)
            .filter(|(_, q)| **q == Some(g))
            .filter_map(|(v, _)| *v)
            .collect();
        let (Some(lo), Some(hi)) = (inside.iter().min(), inside.iter().max()) else {
            continue;
        };
        let range = if lo == hi {
            lang.percent1(*lo)
        } else {
            format!("{}–{}", lang.percent1(*lo), lang.percent1(*hi))
        };
        legend.push((format!("q{g}"), range));
    }
    if groups.iter().any(Option::is_none) {
        legend.push(("q-none".into(), "—".into()));
    }
    let title = format!("{} ({})", label, lang.t("home-map-quartiles"));
    draw(id, label, &title, &filled, &legend)
}

/// A province as drawn: its fill class and the figure in its tooltip.
pub struct Filled<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub href: &'a str,
    /// q0 (lowest) … q3 (highest), or q-none.
    pub class: String,
    pub figure: String,
}

/// One province's fill as owned text: (code, name, class, figure, link).
pub type Row = (String, String, String, String, String);

/// [`draw`] from owned rows, with the pattern definitions the fills refer to in front.
pub fn with_defs(
    id: &str,
    label: &str,
    title: &str,
    rows: &[Row],
    legend: &[(String, String)],
) -> String {
    let areas: Vec<Filled> = rows
        .iter()
        .map(|(code, name, class, figure, href)| Filled {
            code,
            name,
            href,
            class: class.clone(),
            figure: figure.clone(),
        })
        .collect();
    format!("{}{}", defs(), draw(id, label, title, &areas, legend))
}

/// Draws the provinces with their fills, and a legend of (class, text) under `title`.
pub fn draw(
    id: &str,
    label: &str,
    title: &str,
    areas: &[Filled],
    legend: &[(String, String)],
) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<figure class="map" id="{id}"><svg viewBox="{}" role="img" aria-label="{}">"#,
        PROVINCES.view_box,
        esc(label)
    );
    for a in areas {
        if !PROVINCES.shapes.iter().any(|(c, _)| *c == a.code) {
            continue;
        }
        let _ = write!(
            s,
            r##"<a href="{}" data-code="{}"><use href="#pv-{}" class="{}"><title>{}: {}</title></use></a>"##,
            esc(a.href),
            a.code,
            a.code,
            a.class,
            esc(a.name),
            esc(&a.figure)
        );
    }
    s.push_str("</svg><figcaption>");
    let _ = write!(s, "{}: ", esc(title));
    for (class, text) in legend {
        let _ = write!(
            s,
            r#"<span class="key"><svg width="12" height="12" aria-hidden="true"><rect class="{class}" width="12" height="12"/></svg> {}</span> "#,
            esc(text)
        );
    }
    s.push_str("</figcaption></figure>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every province in force has an outline, under its official code.
    #[test]
    fn the_34_provinces_have_outlines() {
        let codes: Vec<&str> = include_str!("../../../data/provinces.csv")
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').next())
            .collect();
        assert_eq!(codes.len(), 34);
        let mut drawn: Vec<&str> = PROVINCES.shapes.iter().map(|(c, _)| *c).collect();
        drawn.sort();
        let mut want = codes.clone();
        want.sort();
        assert_eq!(drawn, want);
        assert!(PROVINCES.shapes.iter().all(|(_, d)| d.starts_with('M')));
        assert_eq!(PROVINCES.view_box.split(' ').count(), 4);
    }

    #[test]
    fn quartile_groups() {
        let v = [Some(100), Some(200), Some(300), Some(400), None, Some(400)];
        assert_eq!(
            quartiles(&v),
            vec![Some(0), Some(0), Some(1), Some(2), None, Some(2)]
        );
        // Everyone equal: one group, the lowest; nothing measured: no group.
        assert_eq!(quartiles(&[Some(5), Some(5)]), vec![Some(0), Some(0)]);
        assert_eq!(quartiles(&[None]), vec![None]);
        let eight: Vec<Option<i64>> = (0..8).map(Some).collect();
        assert_eq!(
            quartiles(&eight),
            [0, 0, 1, 1, 2, 2, 3, 3].map(Some).to_vec()
        );
    }
}
