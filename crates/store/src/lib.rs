//! SQL, one module per concern. Every function takes a `DbConn` so it runs inside the caller's
//! transaction (writes) or on a plain pooled connection (reads).

/// A future boxed in the crate that defines it. A release build compiles an `async fn`'s body in
/// every crate that awaits it (generic code is not shared between crates there), so the big
/// entry points that other crates call return this instead: their bodies are compiled once, in
/// their own crate, at the cost of one allocation per call (see ARCHITECTURE.md, "Build times").
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

pub mod audit;
pub mod budgets;
pub mod bulk;
pub mod catalogue;
pub mod db;
pub mod error;
pub mod feedback;
pub mod indicators;
pub mod jobs;
pub mod org;
pub mod org_index;
pub mod rankings;
pub mod routing;
pub mod search;
pub mod task_cache;
pub mod tasks;
pub mod users;
pub mod versions;
pub mod work;

/// Ids are numbers: written into the statement as a list, so one query serves any number of
/// them on both backends.
pub(crate) fn id_list(ids: &[i64]) -> String {
    ids.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// A bind value for queries assembled from optional filters.
#[derive(Debug, Clone)]
pub enum Arg {
    Int(i64),
    Text(String),
    Date(chrono::NaiveDate),
}

/// Binds `args` in order onto a query for either backend.
#[macro_export]
macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                $crate::Arg::Int(v) => q.bind(*v),
                $crate::Arg::Text(v) => q.bind(v.clone()),
                $crate::Arg::Date(v) => q.bind(*v),
            };
        }
        q
    }};
}

/// Collects `WHERE` conditions with numbered placeholders.
#[derive(Default, Clone)]
pub struct Filter {
    pub conds: Vec<String>,
    pub args: Vec<Arg>,
}

impl Filter {
    /// Adds a condition; `{}` in `sql` is replaced by the next placeholder.
    pub fn push(&mut self, sql: &str, arg: Arg) {
        self.args.push(arg);
        self.conds
            .push(sql.replace("{}", &format!("${}", self.args.len())));
    }

    /// Adds a condition with several placeholders, bound in order.
    pub fn push_all(&mut self, sql: &str, args: Vec<Arg>) {
        let mut out = String::new();
        let mut parts = sql.split("{}");
        out.push_str(parts.next().unwrap_or(""));
        for (a, rest) in args.into_iter().zip(parts) {
            self.args.push(a);
            out.push_str(&format!("${}", self.args.len()));
            out.push_str(rest);
        }
        self.conds.push(out);
    }

    pub fn raw(&mut self, sql: &str) {
        self.conds.push(sql.to_string());
    }

    pub fn where_clause(&self) -> String {
        if self.conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.conds.join(" AND "))
        }
    }

    pub fn next_placeholder(&self, offset: usize) -> String {
        format!("${}", self.args.len() + offset)
    }
}

/// A column read by hand that holds one of a domain enum's names (rows derived with `FromRow` say
/// `#[sqlx(try_from = "String")]` instead): an unknown name is a decoding error.
pub(crate) fn named<T: TryFrom<String, Error = domain::UnknownName>>(
    raw: String,
) -> Result<T, sqlx::Error> {
    T::try_from(raw).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// The placeholders of a multi-row insert: `($1,…,$cols),($cols+1,…)` for `rows` rows.
pub fn rows_placeholders(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| {
            let cells: Vec<String> = (1..=cols).map(|c| format!("${}", r * cols + c)).collect();
            format!("({})", cells.join(","))
        })
        .collect::<Vec<_>>()
        .join(",")
}

pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}
