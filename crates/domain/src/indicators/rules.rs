//! Validation rules as data, in the shape DHIS2 uses: a left side, a comparison and a right
//! side, each an expression over values (`#{CODE}`, `#{CODE.breakdown}`, numbers, + − × ÷,
//! parentheses), with a strategy for missing values. The parser is pure and total: any text
//! gives an expression or an error with its position, never a panic (property-tested below with
//! arbitrary text and with token soup).

use serde::Serialize;

/// The longest expression accepted, and the deepest nesting: bounds that keep the parser's
/// recursion and the work per rule small whatever is typed.
pub const MAX_LEN: usize = 2_000;
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Num(f64),
    /// `#{code}` or `#{code.breakdown}`.
    Value {
        code: String,
        breakdown: Option<String>,
    },
    Neg(Box<Expr>),
    Bin(Box<Expr>, Op, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// When a side with missing values is not judged (DHIS2's missing value strategies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Missing {
    SkipIfAnyValueMissing,
    SkipIfAllValuesMissing,
    /// Missing values count as 0.
    NeverSkip,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub left: Expr,
    pub cmp: Cmp,
    pub right: Expr,
    pub missing: Missing,
}

/// Where and why a text is not an expression; `code` is a message key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParseError {
    /// Character position (from 0).
    pub at: usize,
    pub code: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Value(String, Option<String>),
    Op(Op),
    Cmp(Cmp),
    Open,
    Close,
}

fn tokens(s: &str) -> Result<Vec<(usize, Tok)>, ParseError> {
    if s.chars().count() > MAX_LEN {
        return Err(ParseError {
            at: MAX_LEN,
            code: "err-rule-too-long",
        });
    }
    let cs: Vec<char> = s.chars().collect();
    let mut out = vec![];
    let mut i = 0;
    let err = |at, code| Err(ParseError { at, code });
    while i < cs.len() {
        let c = cs[i];
        let start = i;
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '0'..='9' | '.' => {
                while i < cs.len() && (cs[i].is_ascii_digit() || cs[i] == '.') {
                    i += 1;
                }
                let text: String = cs[start..i].iter().collect();
                match text.parse::<f64>() {
                    Ok(v) if v.is_finite() => out.push((start, Tok::Num(v))),
                    _ => return err(start, "err-rule-number"),
                }
            }
            '#' => {
                if cs.get(i + 1) != Some(&'{') {
                    return err(i, "err-rule-operand");
                }
                let Some(close) = cs[i + 2..].iter().position(|&x| x == '}') else {
                    return err(i, "err-rule-operand");
                };
                let inner: String = cs[i + 2..i + 2 + close].iter().collect();
                let (code, breakdown) = match inner.split_once('.') {
                    Some((c, b)) => (c.trim().to_string(), Some(b.trim().to_string())),
                    None => (inner.trim().to_string(), None),
                };
                if code.is_empty() || breakdown.as_deref() == Some("") {
                    return err(i, "err-rule-operand");
                }
                out.push((start, Tok::Value(code, breakdown)));
                i += close + 3;
            }
            '+' => {
                out.push((start, Tok::Op(Op::Add)));
                i += 1;
            }
            '-' | '−' => {
                out.push((start, Tok::Op(Op::Sub)));
                i += 1;
            }
            '*' | '×' => {
                out.push((start, Tok::Op(Op::Mul)));
                i += 1;
            }
            '/' | '÷' => {
                out.push((start, Tok::Op(Op::Div)));
                i += 1;
            }
            '(' => {
                out.push((start, Tok::Open));
                i += 1;
            }
            ')' => {
                out.push((start, Tok::Close));
                i += 1;
            }
            '≤' => {
                out.push((start, Tok::Cmp(Cmp::Le)));
                i += 1;
            }
            '≥' => {
                out.push((start, Tok::Cmp(Cmp::Ge)));
                i += 1;
            }
            '≠' => {
                out.push((start, Tok::Cmp(Cmp::Ne)));
                i += 1;
            }
            '<' | '>' | '=' | '!' => {
                let next = cs.get(i + 1).copied();
                let (cmp, len) = match (c, next) {
                    ('<', Some('=')) => (Cmp::Le, 2),
                    ('>', Some('=')) => (Cmp::Ge, 2),
                    ('!', Some('=')) => (Cmp::Ne, 2),
                    ('=', Some('=')) => (Cmp::Eq, 2),
                    ('<', _) => (Cmp::Lt, 1),
                    ('>', _) => (Cmp::Gt, 1),
                    ('=', _) => (Cmp::Eq, 1),
                    _ => return err(i, "err-rule-char"),
                };
                out.push((start, Tok::Cmp(cmp)));
                i += len;
            }
            _ => return err(i, "err-rule-char"),
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    end: usize,
}

impl Parser {
    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |t| t.0)
    }

    fn fail<T>(&self, code: &'static str) -> Result<T, ParseError> {
        Err(ParseError {
            at: self.at(),
            code,
        })
    }

    fn sum(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let mut left = self.product(depth)?;
        while let Some((_, Tok::Op(op @ (Op::Add | Op::Sub)))) = self.toks.get(self.pos).cloned() {
            self.pos += 1;
            let right = self.product(depth)?;
            left = Expr::Bin(Box::new(left), op, Box::new(right));
        }
        Ok(left)
    }

    fn product(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let mut left = self.factor(depth)?;
        while let Some((_, Tok::Op(op @ (Op::Mul | Op::Div)))) = self.toks.get(self.pos).cloned() {
            self.pos += 1;
            let right = self.factor(depth)?;
            left = Expr::Bin(Box::new(left), op, Box::new(right));
        }
        Ok(left)
    }

    fn factor(&mut self, depth: usize) -> Result<Expr, ParseError> {
        if depth > MAX_DEPTH {
            return self.fail("err-rule-depth");
        }
        match self.toks.get(self.pos).cloned() {
            Some((_, Tok::Num(v))) => {
                self.pos += 1;
                Ok(Expr::Num(v))
            }
            Some((_, Tok::Value(code, breakdown))) => {
                self.pos += 1;
                Ok(Expr::Value { code, breakdown })
            }
            Some((_, Tok::Op(Op::Sub))) => {
                self.pos += 1;
                Ok(Expr::Neg(Box::new(self.factor(depth + 1)?)))
            }
            Some((_, Tok::Open)) => {
                self.pos += 1;
                let e = self.sum(depth + 1)?;
                match self.toks.get(self.pos) {
                    Some((_, Tok::Close)) => {
                        self.pos += 1;
                        Ok(e)
                    }
                    _ => self.fail("err-rule-close"),
                }
            }
            _ => self.fail("err-rule-expected-value"),
        }
    }
}

/// Parses an arithmetic expression (one side of a rule).
pub fn parse_expr(s: &str) -> Result<Expr, ParseError> {
    let toks = tokens(s)?;
    let end = s.chars().count();
    let mut p = Parser { toks, pos: 0, end };
    let e = p.sum(0)?;
    if p.pos != p.toks.len() {
        return p.fail("err-rule-trailing");
    }
    Ok(e)
}

/// Parses `left OP right`, e.g. `#{KPI.A.Nam} + #{KPI.A.Nữ} <= #{KPI.B}`.
pub fn parse_rule(s: &str, missing: Missing) -> Result<Rule, ParseError> {
    let toks = tokens(s)?;
    let end = s.chars().count();
    let cmps: Vec<usize> = toks
        .iter()
        .enumerate()
        .filter(|(_, t)| matches!(t.1, Tok::Cmp(_)))
        .map(|(i, _)| i)
        .collect();
    let [at] = cmps[..] else {
        let at = cmps.get(1).map_or(end, |&i| toks[i].0);
        return Err(ParseError {
            at,
            code: "err-rule-comparison",
        });
    };
    let Tok::Cmp(cmp) = toks[at].1 else {
        unreachable!("filtered above")
    };
    let side = |ts: Vec<(usize, Tok)>, end: usize| {
        let mut p = Parser {
            toks: ts,
            pos: 0,
            end,
        };
        let e = p.sum(0)?;
        if p.pos != p.toks.len() {
            return p.fail("err-rule-trailing");
        }
        Ok(e)
    };
    let left = side(toks[..at].to_vec(), toks[at].0)?;
    let right = side(toks[at + 1..].to_vec(), end)?;
    Ok(Rule {
        left,
        cmp,
        right,
        missing,
    })
}

impl Expr {
    /// The value, with how many operands were missing and how many there are. Division by zero
    /// gives no value.
    pub fn eval(
        &self,
        lookup: &dyn Fn(&str, Option<&str>) -> Option<f64>,
        zero_missing: bool,
    ) -> (Option<f64>, usize, usize) {
        match self {
            Expr::Num(v) => (Some(*v), 0, 0),
            Expr::Value { code, breakdown } => match lookup(code, breakdown.as_deref()) {
                Some(v) => (Some(v), 0, 1),
                None if zero_missing => (Some(0.0), 1, 1),
                None => (None, 1, 1),
            },
            Expr::Neg(e) => {
                let (v, m, n) = e.eval(lookup, zero_missing);
                (v.map(|v| -v), m, n)
            }
            Expr::Bin(a, op, b) => {
                let (x, m1, n1) = a.eval(lookup, zero_missing);
                let (y, m2, n2) = b.eval(lookup, zero_missing);
                let v = match (x, y) {
                    (Some(x), Some(y)) => match op {
                        Op::Add => Some(x + y),
                        Op::Sub => Some(x - y),
                        Op::Mul => Some(x * y),
                        Op::Div if y == 0.0 => None,
                        Op::Div => Some(x / y),
                    },
                    _ => None,
                };
                (v.filter(|v| v.is_finite()), m1 + m2, n1 + n2)
            }
        }
    }

    /// The expression written back in the syntax it was read from.
    pub fn text(&self) -> String {
        match self {
            Expr::Num(v) => format!("{v}"),
            Expr::Value {
                code,
                breakdown: None,
            } => format!("#{{{code}}}"),
            Expr::Value {
                code,
                breakdown: Some(b),
            } => format!("#{{{code}.{b}}}"),
            Expr::Neg(e) => format!("-({})", e.text()),
            Expr::Bin(a, op, b) => {
                let o = match op {
                    Op::Add => "+",
                    Op::Sub => "-",
                    Op::Mul => "*",
                    Op::Div => "/",
                };
                format!("({} {o} {})", a.text(), b.text())
            }
        }
    }
}

/// How a failed rule acts at entry: a blocking rule refuses the values, a warning asks the
/// person entering them to confirm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Importance {
    Blocking,
    Warning,
}

impl Importance {
    pub fn as_str(self) -> &'static str {
        match self {
            Importance::Blocking => "blocking",
            Importance::Warning => "warning",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "blocking" => Some(Importance::Blocking),
            "warning" => Some(Importance::Warning),
            _ => None,
        }
    }
}

impl TryFrom<String> for Importance {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Importance::parse(&s).ok_or(s)
    }
}

impl Missing {
    pub fn as_str(self) -> &'static str {
        match self {
            Missing::SkipIfAnyValueMissing => "SKIP_IF_ANY_VALUE_MISSING",
            Missing::SkipIfAllValuesMissing => "SKIP_IF_ALL_VALUES_MISSING",
            Missing::NeverSkip => "NEVER_SKIP",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Missing::SkipIfAnyValueMissing,
            Missing::SkipIfAllValuesMissing,
            Missing::NeverSkip,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

impl Expr {
    /// The operands as written (`#{code.breakdown}`: code and breakdown split at the first dot).
    pub fn operands(&self) -> Vec<(&str, Option<&str>)> {
        let mut out = vec![];
        fn walk<'a>(e: &'a Expr, out: &mut Vec<(&'a str, Option<&'a str>)>) {
            match e {
                Expr::Num(_) => {}
                Expr::Value { code, breakdown } => out.push((code, breakdown.as_deref())),
                Expr::Neg(x) => walk(x, out),
                Expr::Bin(a, _, b) => {
                    walk(a, out);
                    walk(b, out);
                }
            }
        }
        walk(self, &mut out);
        out
    }
}

impl Rule {
    pub fn operands(&self) -> Vec<(&str, Option<&str>)> {
        let mut v = self.left.operands();
        v.extend(self.right.operands());
        v
    }
}

/// Binds an operand to an indicator code and a breakdown when codes themselves hold dots
/// (`NQ03.4`): the parser splits `#{NQ03.4.Đông Nam Á}` at the first dot, so the whole text
/// is rejoined and the longest prefix that `is_code` knows is the code, the rest (if any) the
/// breakdown. None when no prefix is a code.
pub fn bind(
    code: &str,
    breakdown: Option<&str>,
    is_code: &dyn Fn(&str) -> bool,
) -> Option<(String, Option<String>)> {
    let whole = match breakdown {
        Some(b) => format!("{code}.{b}"),
        None => code.to_string(),
    };
    if is_code(&whole) {
        return Some((whole, None));
    }
    let dots: Vec<usize> = whole.match_indices('.').map(|(i, _)| i).collect();
    dots.into_iter().rev().find_map(|i| {
        let (c, rest) = (&whole[..i], whole[i + 1..].trim());
        (is_code(c) && !rest.is_empty()).then(|| (c.to_string(), Some(rest.to_string())))
    })
}

/// What a rule says about some values.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail {
        left: f64,
        right: f64,
    },
    /// Not judged: values missing under the rule's strategy, or a division by zero.
    Skipped,
}

pub fn check(rule: &Rule, lookup: &dyn Fn(&str, Option<&str>) -> Option<f64>) -> Outcome {
    let zero = rule.missing == Missing::NeverSkip;
    let (l, ml, nl) = rule.left.eval(lookup, zero);
    let (r, mr, nr) = rule.right.eval(lookup, zero);
    let skip = match rule.missing {
        Missing::SkipIfAnyValueMissing => ml + mr > 0,
        Missing::SkipIfAllValuesMissing => nl + nr > 0 && ml + mr == nl + nr,
        Missing::NeverSkip => false,
    };
    let (Some(l), Some(r)) = (l, r) else {
        return Outcome::Skipped;
    };
    if skip {
        return Outcome::Skipped;
    }
    let ok = match rule.cmp {
        Cmp::Eq => (l - r).abs() <= 1e-9 * l.abs().max(r.abs()).max(1.0),
        Cmp::Ne => (l - r).abs() > 1e-9 * l.abs().max(r.abs()).max(1.0),
        Cmp::Lt => l < r,
        Cmp::Le => l <= r,
        Cmp::Gt => l > r,
        Cmp::Ge => l >= r,
    };
    if ok {
        Outcome::Pass
    } else {
        Outcome::Fail { left: l, right: r }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn values(code: &str, b: Option<&str>) -> Option<f64> {
        match (code, b) {
            ("HS", None) => Some(100.0),
            ("HS", Some("Trực tuyến")) => Some(60.0),
            ("HS", Some("Trực tiếp")) => Some(45.0),
            ("TL", None) => Some(130.0),
            _ => None,
        }
    }

    #[test]
    fn rules_read_and_judge() {
        let r = parse_rule(
            "#{HS.Trực tuyến} + #{HS.Trực tiếp} <= #{HS}",
            Missing::SkipIfAnyValueMissing,
        )
        .unwrap();
        assert_eq!(
            check(&r, &values),
            Outcome::Fail {
                left: 105.0,
                right: 100.0
            }
        );
        let r = parse_rule("#{TL} ≤ 100", Missing::SkipIfAnyValueMissing).unwrap();
        assert_eq!(
            check(&r, &values),
            Outcome::Fail {
                left: 130.0,
                right: 100.0
            }
        );
        let r = parse_rule("#{HS.Trực tuyến} × 100 ÷ #{HS} >= 50", Missing::NeverSkip).unwrap();
        assert_eq!(check(&r, &values), Outcome::Pass);
        // Missing values under each strategy.
        let r = |m| parse_rule("#{X} + #{HS} > 0", m).unwrap();
        assert_eq!(
            check(&r(Missing::SkipIfAnyValueMissing), &values),
            Outcome::Skipped
        );
        assert_eq!(
            check(&r(Missing::SkipIfAllValuesMissing), &values),
            Outcome::Skipped,
            "a missing operand leaves no value"
        );
        assert_eq!(check(&r(Missing::NeverSkip), &values), Outcome::Pass);
        let r = parse_rule("#{X} > #{Y}", Missing::SkipIfAllValuesMissing).unwrap();
        assert_eq!(check(&r, &values), Outcome::Skipped);
        assert_eq!(
            check(
                &parse_rule("#{HS} / 0 > 1", Missing::NeverSkip).unwrap(),
                &values
            ),
            Outcome::Skipped
        );
    }

    #[test]
    fn errors_say_where() {
        for (text, at, code) in [
            ("#{A} <= ", 8, "err-rule-expected-value"),
            ("#{A} < #{B} < 3", 12, "err-rule-comparison"),
            ("#{A} + 1", 8, "err-rule-comparison"),
            ("(#{A} + 1 > 2", 10, "err-rule-close"),
            ("#{A} % 2 > 1", 5, "err-rule-char"),
            ("#{} > 1", 0, "err-rule-operand"),
            ("#{A > 1", 0, "err-rule-operand"),
            ("1.2.3 > 1", 0, "err-rule-number"),
        ] {
            let e = parse_rule(text, Missing::NeverSkip).unwrap_err();
            assert_eq!((e.at, e.code), (at, code), "{text}");
        }
        let deep = format!("{}1{} > 0", "(".repeat(200), ")".repeat(200));
        assert_eq!(
            parse_rule(&deep, Missing::NeverSkip).unwrap_err().code,
            "err-rule-depth"
        );
    }

    #[test]
    fn operands_bind_to_codes_with_dots() {
        let known = |c: &str| ["NQ03.4", "NQ03.41", "HS"].contains(&c);
        let r = parse_rule(
            "#{NQ03.4.Đông Nam Á} <= #{NQ03.4.Thế giới} + #{HS} - #{NQ03.41}",
            Missing::SkipIfAnyValueMissing,
        )
        .unwrap();
        let bound: Vec<_> = r
            .operands()
            .into_iter()
            .map(|(c, b)| bind(c, b, &known))
            .collect();
        assert_eq!(
            bound,
            vec![
                Some(("NQ03.4".to_string(), Some("Đông Nam Á".to_string()))),
                Some(("NQ03.4".to_string(), Some("Thế giới".to_string()))),
                Some(("HS".to_string(), None)),
                Some(("NQ03.41".to_string(), None)),
            ]
        );
        assert_eq!(bind("X", Some("y"), &known), None);
        assert_eq!(
            bind("NQ03", Some("4."), &known),
            None,
            "an empty breakdown is no operand"
        );
        assert_eq!(Importance::parse("warning"), Some(Importance::Warning));
        assert_eq!(
            Missing::parse(Missing::NeverSkip.as_str()),
            Some(Missing::NeverSkip)
        );
    }

    fn expr() -> impl Strategy<Value = Expr> {
        let leaf = prop_oneof![
            (0u32..1000).prop_map(|v| Expr::Num(v as f64)),
            prop::sample::select(vec!["A", "B", "C"]).prop_map(|c| Expr::Value {
                code: c.into(),
                breakdown: None
            }),
        ];
        leaf.prop_recursive(6, 40, 2, |inner| {
            prop_oneof![
                (
                    inner.clone(),
                    prop::sample::select(vec![Op::Add, Op::Sub, Op::Mul, Op::Div]),
                    inner.clone()
                )
                    .prop_map(|(a, o, b)| Expr::Bin(Box::new(a), o, Box::new(b))),
                inner.prop_map(|e| Expr::Neg(Box::new(e))),
            ]
        })
    }

    fn abc(code: &str, _: Option<&str>) -> Option<f64> {
        match code {
            "A" => Some(3.0),
            "B" => Some(-7.5),
            "C" => Some(0.25),
            _ => None,
        }
    }

    proptest! {
        #[test]
        fn no_text_makes_it_panic(s in "\\PC{0,60}") {
            let _ = parse_rule(&s, Missing::NeverSkip);
            let _ = parse_expr(&s);
        }

        #[test]
        fn no_token_soup_makes_it_panic(parts in proptest::collection::vec(prop::sample::select(vec![
            "#{A}", "#{B.x}", "(", ")", "+", "-", "×", "÷", "*", "/", "<=", "≥", "==", "!=", "1", "0", "2.5", ".", "#{", "}", " ", "=",
        ]), 0..40)) {
            let s: String = parts.concat();
            let _ = parse_rule(&s, Missing::SkipIfAllValuesMissing);
        }

        #[test]
        fn a_bound_operand_is_a_known_code_and_rejoins_to_the_text(
            parts in proptest::collection::vec("[A-Z0-9 ]{0,4}", 1..5),
            known_n in 0usize..5,
        ) {
            let whole = parts.join(".");
            let known: Vec<String> = (1..=parts.len().min(known_n)).map(|k| parts[..k].join(".")).collect();
            let is_code = |c: &str| known.iter().any(|k| k == c);
            let (code, b) = match whole.split_once('.') {
                Some((c, b)) => (c.to_string(), Some(b.to_string())),
                None => (whole.clone(), None),
            };
            if let Some((c, rest)) = bind(&code, b.as_deref(), &is_code) {
                prop_assert!(is_code(&c));
                match rest {
                    None => prop_assert_eq!(c, whole),
                    Some(r) => prop_assert!(whole.starts_with(&c) && whole[c.len() + 1..].trim() == r),
                }
            }
        }

        #[test]
        fn written_expressions_read_back_to_the_same_value(e in expr()) {
            let again = parse_expr(&e.text()).unwrap();
            let (a, _, _) = e.eval(&abc, false);
            let (b, _, _) = again.eval(&abc, false);
            match (a, b) {
                (Some(a), Some(b)) => prop_assert!((a - b).abs() <= 1e-9 * a.abs().max(1.0)),
                (a, b) => prop_assert_eq!(a, b),
            }
        }
    }
}
