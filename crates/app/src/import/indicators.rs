//! The indicator annex format (Annex I of Resolution 03/NQ-CP): a Markdown table of
//! `| TT | indicator | unit | result | agency |` whose rows are a horizon heading
//! (`| **I** | **Đến năm 2030** | … |`: the year every target below is for), an indicator
//! (`| 11.1 | … |`), or a heading indicator with sub-indicators (`| 11 | … | | | |`). Every row it
//! cannot read becomes a [`Problem`]; targets without a figure are kept as milestones.

use serde::Serialize;

use super::annex::Problem;
use domain::indicators::target::{self, Stated};
use domain::indicators::{Direction, ValueType};
use domain::text::{fold, nfc};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub line: usize,
    /// As numbered, e.g. "11.1".
    pub number: String,
    /// The number of the indicator this one details ("11" for "11.1").
    pub parent: Option<String>,
    pub name: String,
    pub unit_of_measure: String,
    pub result: String,
    pub agency: String,
    /// The year the targets are for (from the horizon heading).
    pub year: i32,
    pub stated: Stated,
    pub value_type: ValueType,
    pub direction: Direction,
}

#[derive(Debug, Default, Serialize)]
pub struct Parsed {
    pub rows: Vec<Row>,
    pub problems: Vec<Problem>,
}

fn cells(line: &str) -> Option<Vec<String>> {
    let t = line.trim();
    let inner = t.strip_prefix('|')?.trim_end_matches('|');
    Some(
        inner
            .split('|')
            .map(|c| nfc(c).split_whitespace().collect::<Vec<_>>().join(" "))
            .collect(),
    )
}

/// "Đến năm 2030" → 2030.
fn horizon_year(title: &str) -> Option<i32> {
    title
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| w.len() == 4)
        .find_map(|w| w.parse().ok())
}

fn is_number(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// What a unit of measure says about the figure: a rank, a share, or a count.
fn value_type(unit: &str, stated: &Stated) -> ValueType {
    let u = fold(unit);
    if matches!(stated, Stated::Milestone { .. }) {
        ValueType::Milestone
    } else if u == "thu bac" {
        ValueType::Rank
    } else if u == "%" || u.starts_with("% ") {
        ValueType::Percentage
    } else {
        ValueType::Number
    }
}

fn direction(rank: bool, stated: &Stated) -> Direction {
    if let Stated::Figures { targets } = stated
        && let Some(d) = targets.iter().find_map(|t| t.comparator.direction())
    {
        return d;
    }
    if rank {
        Direction::Lower
    } else {
        Direction::Higher
    }
}

pub fn parse(text: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut year: Option<i32> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let Some(c) = cells(raw) else { continue };
        if c.iter()
            .all(|x| x.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
        {
            continue;
        }
        let first = c[0]
            .trim_matches('*')
            .trim()
            .trim_end_matches('.')
            .to_string();
        if first == "TT" {
            continue;
        }
        if c.len() != 5 {
            out.problems.push(Problem {
                line,
                message: format!("expected 5 columns, found {}", c.len()),
            });
            continue;
        }
        if !first.is_empty() && first.chars().all(|ch| matches!(ch, 'I' | 'V' | 'X')) {
            match horizon_year(&c[1]) {
                Some(y) => year = Some(y),
                None => out.problems.push(Problem {
                    line,
                    message: format!("heading {first} names no year: {:?}", c[1]),
                }),
            }
            continue;
        }
        if !is_number(&first) {
            out.problems.push(Problem {
                line,
                message: format!("unreadable indicator number: {:?}", c[0]),
            });
            continue;
        }
        let Some(y) = year else {
            out.problems.push(Problem {
                line,
                message: format!("indicator {first} before any heading with a year"),
            });
            continue;
        };
        let result = c[3].clone();
        let stated = target::parse(&result);
        let vt = value_type(&c[2], &stated);
        let parent = first.rsplit_once('.').map(|(p, _)| p.to_string());
        if let Some(p) = &parent
            && !out.rows.iter().any(|r| &r.number == p)
        {
            out.problems.push(Problem {
                line,
                message: format!("indicator {first}: no indicator {p} above it"),
            });
        }
        if c[4].is_empty() && !result.is_empty() {
            out.problems.push(Problem {
                line,
                message: format!("indicator {first}: no agency responsible"),
            });
        }
        out.rows.push(Row {
            line,
            direction: direction(fold(&c[2]) == "thu bac", &stated),
            number: first,
            parent,
            name: c[1].clone(),
            unit_of_measure: c[2].clone(),
            result,
            agency: c[4].clone(),
            year: y,
            value_type: vt,
            stated,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::indicators::target::Comparator;

    const ANNEX: &str = include_str!("../../../../data/programme-03-nq-cp/annex-1-indicators.md");

    fn row<'a>(p: &'a Parsed, n: &str) -> &'a Row {
        p.rows.iter().find(|r| r.number == n).unwrap()
    }

    fn figures(r: &Row) -> Vec<(Comparator, f64, Option<f64>, Option<&str>)> {
        match &r.stated {
            Stated::Figures { targets } => targets
                .iter()
                .map(|t| (t.comparator, t.value, t.upper, t.label.as_deref()))
                .collect(),
            Stated::Milestone { .. } => vec![],
        }
    }

    /// Every indicator of Annex I with what its target says, pinned: number, year, value type,
    /// direction, and each figure (comparator, value, upper end, label) or none for a milestone.
    #[test]
    fn every_indicator_and_target_of_annex_one() {
        use Comparator::*;
        use Direction::*;
        use ValueType::*;
        let p = parse(ANNEX);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        type Pin = (
            &'static str,
            i32,
            ValueType,
            Direction,
            &'static [(Comparator, f64, Option<f64>, Option<&'static str>)],
        );
        const SEA: Option<&str> = Some("Đông Nam Á");
        const WORLD: Option<&str> = Some("Thế giới");
        let pins: &[Pin] = &[
            ("1", 2030, Milestone, Lower, &[]),
            ("2", 2030, Milestone, Lower, &[]),
            ("3", 2030, Milestone, Lower, &[]),
            (
                "4",
                2030,
                Rank,
                Lower,
                &[(AtMost, 3.0, None, SEA), (AtMost, 50.0, None, WORLD)],
            ),
            (
                "5",
                2030,
                Rank,
                Lower,
                &[(AtMost, 3.0, None, SEA), (AtMost, 50.0, None, WORLD)],
            ),
            ("6", 2030, Rank, Lower, &[(AtMost, 3.0, None, SEA)]),
            ("7", 2030, Number, Higher, &[(AtLeast, 5.0, None, None)]),
            (
                "8",
                2030,
                Percentage,
                Higher,
                &[(AtLeast, 55.0, None, None)],
            ),
            (
                "9",
                2030,
                Percentage,
                Higher,
                &[(AtLeast, 50.0, None, None)],
            ),
            (
                "10",
                2030,
                Percentage,
                Higher,
                &[(AtLeast, 30.0, None, None)],
            ),
            ("11", 2030, Milestone, Higher, &[]),
            (
                "11.1",
                2030,
                Percentage,
                Higher,
                &[(AtLeast, 80.0, None, None)],
            ),
            (
                "11.2",
                2030,
                Percentage,
                Higher,
                &[(Reach, 90.0, None, None)],
            ),
            (
                "11.3",
                2030,
                Percentage,
                Higher,
                &[(Reach, 100.0, None, None)],
            ),
            (
                "11.4",
                2030,
                Percentage,
                Higher,
                &[(Reach, 100.0, None, None)],
            ),
            (
                "11.5",
                2030,
                Percentage,
                Higher,
                &[(Reach, 80.0, None, None)],
            ),
            (
                "11.6",
                2030,
                Percentage,
                Higher,
                &[(Reach, 80.0, None, None)],
            ),
            (
                "11.7",
                2030,
                Percentage,
                Higher,
                &[(Reach, 70.0, None, None)],
            ),
            (
                "11.8",
                2030,
                Percentage,
                Higher,
                &[(AtLeast, 30.0, None, None)],
            ),
            (
                "11.9",
                2030,
                Percentage,
                Higher,
                &[(Reach, 50.0, None, None)],
            ),
            (
                "11.10",
                2030,
                Percentage,
                Higher,
                &[(Reach, 100.0, None, None)],
            ),
            (
                "11.11",
                2030,
                Percentage,
                Higher,
                &[(Reach, 100.0, None, None)],
            ),
            (
                "11.12",
                2030,
                Percentage,
                Higher,
                &[(Reach, 100.0, None, None)],
            ),
            (
                "12",
                2030,
                Percentage,
                Higher,
                &[(AtLeast, 80.0, None, None)],
            ),
            (
                "13",
                2030,
                Percentage,
                Higher,
                &[(AtLeast, 40.0, None, None)],
            ),
            ("14", 2030, Number, Higher, &[(MoreThan, 0.7, None, None)]),
            ("15", 2030, Percentage, Higher, &[(Reach, 2.0, None, None)]),
            (
                "16",
                2030,
                Percentage,
                Higher,
                &[(MoreThan, 60.0, None, None)],
            ),
            (
                "17",
                2030,
                Percentage,
                Higher,
                &[(AtLeast, 3.0, None, None)],
            ),
            ("18", 2030, Number, Higher, &[(Reach, 12.0, None, None)]),
            (
                "19",
                2030,
                Number,
                Band,
                &[(Between, 40.0, Some(50.0), None)],
            ),
            ("20", 2030, Number, Higher, &[(Reach, 10.0, None, None)]),
            (
                "21",
                2030,
                Number,
                Band,
                &[(Between, 16.0, Some(18.0), None)],
            ),
            (
                "22",
                2030,
                Percentage,
                Band,
                &[(Between, 8.0, Some(10.0), None)],
            ),
            ("23", 2030, Milestone, Higher, &[]),
            (
                "23.1",
                2030,
                Percentage,
                Higher,
                &[(Reach, 100.0, None, None)],
            ),
            ("23.2", 2030, Number, Higher, &[(Reach, 9.0, None, None)]),
            (
                "23.3",
                2030,
                Number,
                Higher,
                &[(AtLeast, 350.0, None, None)],
            ),
            (
                "23.4",
                2030,
                Percentage,
                Higher,
                &[(Reach, 99.0, None, None)],
            ),
            ("24", 2030, Number, Higher, &[(AtLeast, 6.0, None, None)]),
            ("25", 2030, Number, Higher, &[(AtLeast, 3.0, None, None)]),
            (
                "26",
                2030,
                Percentage,
                Higher,
                &[(Reach, 100.0, None, None)],
            ),
            (
                "27",
                2030,
                Percentage,
                Higher,
                &[(Reach, 100.0, None, None)],
            ),
            ("28", 2030, Number, Higher, &[(Reach, 5.0, None, None)]),
            ("29", 2030, Number, Higher, &[(AtLeast, 3.0, None, None)]),
            (
                "30",
                2030,
                Percentage,
                Higher,
                &[(AtLeast, 95.0, None, None)],
            ),
            (
                "31",
                2030,
                Percentage,
                Higher,
                &[(AtLeast, 70.0, None, None)],
            ),
            (
                "32",
                2030,
                Percentage,
                Higher,
                &[(AtLeast, 95.0, None, None)],
            ),
            ("33", 2030, Rank, Lower, &[(AtMost, 10.0, None, None)]),
            ("34", 2030, Number, Higher, &[(Reach, 1.0, None, None)]),
            ("35", 2030, Percentage, Higher, &[(Reach, 50.0, None, None)]),
            (
                "36",
                2045,
                Percentage,
                Higher,
                &[(AtLeast, 50.0, None, None)],
            ),
            ("37", 2045, Rank, Lower, &[(AtMost, 30.0, None, None)]),
            ("38", 2045, Number, Higher, &[(Reach, 1.0, None, None)]),
            ("39", 2045, Number, Higher, &[(AtLeast, 10.0, None, None)]),
            ("40", 2045, Number, Higher, &[(AtLeast, 5.0, None, None)]),
            (
                "41",
                2045,
                Percentage,
                Band,
                &[(Between, 20.0, Some(50.0), None)],
            ),
        ];
        let got: Vec<&str> = p.rows.iter().map(|r| r.number.as_str()).collect();
        let want: Vec<&str> = pins.iter().map(|p| p.0).collect();
        assert_eq!(got, want, "every indicator, in order");
        for (n, y, vt, dir, figs) in pins {
            let r = row(&p, n);
            assert_eq!(
                (r.year, r.value_type, r.direction),
                (*y, *vt, *dir),
                "indicator {n}"
            );
            assert_eq!(figures(r), figs.to_vec(), "indicator {n}");
        }
        // Milestones keep their words; the note of 17 is kept.
        assert!(
            matches!(&row(&p, "23").stated, Stated::Milestone { text } if text.starts_with("Tiên tiến, hiện đại"))
        );
        match &row(&p, "17").stated {
            Stated::Figures { targets } => assert_eq!(
                targets[0].note.as_deref(),
                Some("tăng dần theo yêu cầu phát triển")
            ),
            _ => panic!(),
        }
        assert_eq!(row(&p, "11.1").parent.as_deref(), Some("11"));
        assert_eq!(
            row(&p, "29").agency,
            "Bộ Công an, Bộ Thông tin và Truyền thông và các bộ, ngành"
        );
    }

    #[test]
    fn unreadable_rows_are_reported() {
        let text = "| TT | a | b | c | d |\n|---|---|---|---|---|\n| 1 | x | % | ≥ 5 | Bộ Y tế |\n| **I** | **Đến năm 2030** | | | |\n| 2 | y | % | 90 | |\n| 2.1 | z |\n| x.1 | w | % | 1 | Bộ Y tế |\n| 3.1 | v | % | 1 | Bộ Y tế |\n";
        let p = parse(text);
        let lines: Vec<usize> = p.problems.iter().map(|q| q.line).collect();
        assert_eq!(lines, vec![3, 5, 6, 7, 8]);
        assert_eq!(
            p.rows.len(),
            2,
            "rows with a figure but no agency or parent are kept"
        );
    }
}
