//! The annex table format of Government action programmes (e.g. Annex II of Resolution 03/NQ-CP):
//! a Markdown table whose rows are either a group heading (`| **II.** | title | … |`), a task
//! (`| 14. | title | lead | coordinating | result | completion time |`) or a continuation of the
//! previous row's text (empty first cell). Nothing is dropped: every row that is not understood
//! becomes a [`Problem`] with its line number.

use serde::Serialize;

use domain::deadline::Deadline;
use domain::text::nfc;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// Roman numeral as printed, e.g. `II`.
    pub code: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Task {
    pub line: usize,
    /// Number in the annex, e.g. `14`.
    pub number: u32,
    /// Index into [`Annex::groups`].
    pub group: usize,
    pub title: String,
    pub lead: String,
    pub coordinating: String,
    pub result: String,
    pub deadline_text: String,
    pub deadline: Deadline,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Default, Serialize)]
pub struct Annex {
    pub groups: Vec<Group>,
    pub tasks: Vec<Task>,
    pub problems: Vec<Problem>,
}

fn cells(line: &str) -> Option<Vec<String>> {
    let t = line.trim();
    if !t.starts_with('|') {
        return None;
    }
    let inner = t.trim_start_matches('|').trim_end_matches('|');
    Some(
        inner
            .split('|')
            .map(|c| nfc(c).split_whitespace().collect::<Vec<_>>().join(" "))
            .collect(),
    )
}

fn is_roman(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| matches!(c, 'I' | 'V' | 'X'))
}

pub fn parse(text: &str) -> Annex {
    let mut a = Annex::default();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let Some(c) = cells(raw) else { continue };
        if c.iter()
            .all(|x| x.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
        {
            continue; // the |---|---| separator
        }
        let first = c[0]
            .trim_matches('*')
            .trim()
            .trim_end_matches('.')
            .trim()
            .trim_matches('*')
            .to_string();
        if first == "TT" {
            continue; // header row
        }
        if c.len() != 6 {
            a.problems.push(Problem {
                line,
                message: format!("expected 6 columns, found {}", c.len()),
            });
            continue;
        }
        if is_roman(&first) {
            a.groups.push(Group {
                code: first,
                title: c[1].clone(),
            });
            continue;
        }
        if first.is_empty() {
            // A continuation: some transcribed cells spill onto a second row.
            match a.tasks.last_mut() {
                Some(t) => {
                    let extra = c[1].trim();
                    if !extra.is_empty() && !t.title.contains(extra) {
                        a.problems.push(Problem {
                            line,
                            message: format!(
                                "continuation of task {} kept in its title: {extra}",
                                t.number
                            ),
                        });
                        t.title.push(' ');
                        t.title.push_str(extra);
                    }
                }
                None => a.problems.push(Problem {
                    line,
                    message: "continuation row before any task".into(),
                }),
            }
            continue;
        }
        let Ok(number) = first.parse::<u32>() else {
            a.problems.push(Problem {
                line,
                message: format!("unreadable task number: {first}"),
            });
            continue;
        };
        if a.groups.is_empty() {
            a.problems.push(Problem {
                line,
                message: format!("task {number} before any group"),
            });
            continue;
        }
        let deadline = Deadline::parse(&c[5]);
        if deadline == Deadline::Unparsed {
            a.problems.push(Problem {
                line,
                message: format!("task {number}: completion time not understood: {:?}", c[5]),
            });
        }
        if c[2].is_empty() {
            a.problems.push(Problem {
                line,
                message: format!("task {number}: no lead agency"),
            });
        }
        a.tasks.push(Task {
            line,
            number,
            group: a.groups.len() - 1,
            title: c[1].clone(),
            lead: c[2].clone(),
            coordinating: c[3].clone(),
            result: c[4].clone(),
            deadline_text: c[5].clone(),
            deadline,
        });
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANNEX: &str = include_str!("../../../../data/programme-03-nq-cp/annex-2-tasks.md");

    #[test]
    fn the_real_annex_has_140_tasks_in_7_groups() {
        let a = parse(ANNEX);
        assert_eq!(a.groups.len(), 7);
        assert_eq!(a.tasks.len(), 140);
        let numbers: Vec<u32> = a.tasks.iter().map(|t| t.number).collect();
        assert_eq!(
            numbers,
            (1..=140).collect::<Vec<_>>(),
            "every task, in order"
        );
        assert_eq!(a.groups[1].code, "II");
        assert_eq!(a.tasks[13].group, 1, "task 14 is in group II");
        assert_eq!(a.tasks[13].deadline_text, "2025");
        // Every completion time but the one empty cell is understood, and that one is reported.
        let unparsed: Vec<u32> = a
            .tasks
            .iter()
            .filter(|t| t.deadline == Deadline::Unparsed)
            .map(|t| t.number)
            .collect();
        assert_eq!(unparsed.len(), 1);
        assert!(
            a.problems
                .iter()
                .any(|p| p.message.contains(&format!("task {}", unparsed[0])))
        );
    }

    #[test]
    fn broken_rows_are_reported_not_dropped() {
        let text = "| TT | a | b | c | d | e |\n|---|---|---|---|---|---|\n| 1. | x | y | z | r | 6/2025 |\n| **I.** | G | | | | |\n| 2. | t | Bộ Y tế | | r | sớm |\n| 3 | only | three |\n| abc. | t | l | c | r | 2025 |\n|  | more text | | | | |\n";
        let a = parse(text);
        assert_eq!(a.tasks.len(), 1);
        let lines: Vec<usize> = a.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![3, 5, 6, 7, 8]);
        assert_eq!(a.tasks[0].title, "t more text");
    }
}
