//! The `nqtrack` commands.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use app::Actor;
use app::config::Config;
use app::db::Db;
use app::error::{AppError, AppResult};
use domain::policy::{Principal, Role};

#[derive(Parser)]
#[command(
    name = "nqtrack",
    version,
    about = "Monitoring and evaluation of government programmes"
)]
struct Cli {
    /// TOML configuration file (NQTRACK_* environment variables override it).
    #[arg(long, global = true, env = "NQTRACK_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the web interface and API (migrates and loads the built-in hierarchy on first start).
    Serve,
    /// Start on a fresh demo database with accounts for every role.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Directory for the demo database (emptied of any previous demo database); a temporary one by default.
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Apply database migrations and load the built-in hierarchy if the database is empty.
    Migrate,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        cmd: UserCmd,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        cmd: TokenCmd,
    },
    /// Organisation units.
    Org {
        #[command(subcommand)]
        cmd: OrgCmd,
    },
    /// Import programmes and their tasks.
    Import {
        #[command(subcommand)]
        cmd: ImportCmd,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        cmd: AuditCmd,
    },
    /// Run the background jobs once (reminders, escalation, digests, mail) and exit.
    Jobs {
        /// Judge reminders as of this day (default today).
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
    },
    /// The search index of this instance (in `<data_dir>/search`).
    Search {
        #[command(subcommand)]
        cmd: SearchCmd,
    },
    /// Routing suggestions for feedback: the models a weekly job trains.
    Routing {
        #[command(subcommand)]
        cmd: RoutingCmd,
    },
    /// Write a consistent copy of the SQLite database while it runs.
    Backup {
        /// Destination file (must not exist).
        out: PathBuf,
    },
    /// Create synthetic volumes on top of the real hierarchy, for benchmarks: users, then the
    /// Resolution 57 plans of all provinces cascaded to communes, with progress reports.
    Generate {
        #[arg(long, value_enum, default_value = "small")]
        scale: ScaleArg,
    },
}

/// `--scale` of `generate` (the generator itself knows nothing of the command line).
#[derive(Clone, Copy, clap::ValueEnum)]
enum ScaleArg {
    Small,
    National,
}

#[cfg(feature = "generate")]
impl From<ScaleArg> for seed::generate::Scale {
    fn from(s: ScaleArg) -> Self {
        match s {
            ScaleArg::Small => seed::generate::Scale::Small,
            ScaleArg::National => seed::generate::Scale::National,
        }
    }
}

#[derive(Subcommand)]
enum UserCmd {
    /// Create an account.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        /// Code of the unit (e.g. 66 for Đắk Lắk, BKHCN).
        #[arg(long)]
        unit: String,
        /// administrator, steering, inspector, unit_leader, unit_officer, reviewer
        #[arg(long)]
        role: String,
        #[arg(long)]
        email: Option<String>,
        /// Taken from NQTRACK_PASSWORD when not given.
        #[arg(long, env = "NQTRACK_PASSWORD")]
        password: Option<String>,
    },
    /// Set a password.
    SetPassword {
        #[arg(long)]
        username: String,
        #[arg(long, env = "NQTRACK_PASSWORD")]
        password: String,
    },
    /// Change role and/or unit.
    SetRole {
        #[arg(long)]
        username: String,
        #[arg(long)]
        role: Option<String>,
        #[arg(long)]
        unit: Option<String>,
    },
    /// Disable an account (ends its sessions).
    Disable {
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
enum TokenCmd {
    /// Issue a token for a user; prints the secret once.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        days: Option<i64>,
    },
    /// Revoke a token by id.
    Revoke { id: i64 },
}

#[derive(Subcommand)]
enum RoutingCmd {
    /// Train the unit and category models now (the job does it weekly), with a progress bar;
    /// prints their top-1/top-3 accuracy on the held-out items (one in ten, by id).
    Train {
        /// Also train, measure and print (not store) the alternatives: with syllable pairs,
        /// and with each unit a class of its own instead of units relative to the one concerned.
        #[arg(long)]
        compare: bool,
    },
}

#[derive(Subcommand)]
enum SearchCmd {
    /// Rebuild the index from the database, with a progress bar. The server builds it by itself
    /// when it is missing; run this with the server stopped (the index is locked while it runs).
    Reindex,
}

#[derive(Subcommand)]
enum OrgCmd {
    /// Import units from CSV (header: code,kind,name_vi,name_en,name_fr,parent_code); all rows or none.
    Import { file: PathBuf },
}

#[derive(Subcommand)]
enum ImportCmd {
    /// A task list as a new programme: CSV or XLSX (headers recognised in Vietnamese, English or
    /// French, or named with --map), or an annex table in Markdown (.md).
    Tasks {
        file: PathBuf,
        /// Programme code, e.g. 57/KH-UBND.
        #[arg(long)]
        code: String,
        /// Programme name.
        #[arg(long)]
        name: String,
        /// Code of the unit that assigns the tasks and verifies them (default: the national level).
        #[arg(long, default_value = "VN")]
        owner: String,
        /// Day the tasks were assigned (default today).
        #[arg(long)]
        issued_on: Option<chrono::NaiveDate>,
        /// Column mapping, e.g. "title=Nội dung,lead=Đơn vị chủ trì,deadline=Hạn".
        #[arg(long)]
        map: Option<String>,
        /// Worksheet of an .xlsx file (default: the first).
        #[arg(long)]
        sheet: Option<String>,
        /// Report what would be imported and every value not understood; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// The built-in indicator sets: Annex I of Resolution 03/NQ-CP (every target parsed,
    /// milestones and unread values listed) and the provincial KPI set.
    Indicators {
        /// Report what would be imported and every value not understood; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// An annex task table (Markdown, as in Government action programmes). Without --file:
    /// Annex II of Resolution 03/NQ-CP, built in.
    Annex {
        #[arg(long)]
        file: Option<PathBuf>,
        /// Programme code (required with --file), e.g. 01/KH-UBND.
        #[arg(long)]
        code: Option<String>,
        /// Programme name (required with --file).
        #[arg(long)]
        name: Option<String>,
        /// Report what would be imported and every value not understood; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Walk the hash chain and report the first record that does not match.
    Verify,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", describe(&e));
            ExitCode::FAILURE
        }
    }
}

fn describe(e: &AppError) -> String {
    let lang = web::i18n::Lang::En;
    let mut s = lang.t(e.title_key()).to_string();
    for f in e.fields() {
        s.push_str(&format!(
            "\n  {}: {}",
            f.field,
            web::error::field_message(lang, f)
        ));
    }
    if let AppError::BadRequest { detail, .. } | AppError::Internal(detail) = e {
        s.push_str(&format!(": {detail}"));
    }
    if let AppError::Db(d) = e {
        s.push_str(&format!(": {d}"));
    }
    s
}

fn init_logs() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("NQTRACK_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=error,tower_http=info"));
    let json = std::env::var("NQTRACK_LOG_FORMAT").is_ok_and(|v| v == "json");
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        b.json().try_init()
    } else {
        b.try_init()
    };
}

/// The command line acts as an administrator; the audit trail records it as `cli`.
fn cli_principal(root: i64) -> Principal {
    Principal {
        user_id: 0,
        token_id: None,
        role: Role::Administrator,
        unit_id: root,
        username: "cli".into(),
    }
}

async fn open(cfg: &Config) -> AppResult<Db> {
    std::fs::create_dir_all(&cfg.data_dir)
        .map_err(|e| AppError::Internal(format!("{}: {e}", cfg.data_dir.display())))?;
    let db = Db::connect(&cfg.database_url()).await?;
    db.migrate()
        .await
        .map_err(|e| AppError::Internal(format!("migration failed: {e}")))?;
    if seed::load_builtin(&db).await? {
        tracing::info!("loaded the built-in 2025 organisation hierarchy");
    }
    Ok(db)
}

async fn unit_id(db: &Db, code: &str) -> AppResult<i64> {
    app::org::unit_id_by_code(db, code)
        .await?
        .ok_or_else(|| AppError::invalid(domain::FieldError::new("unit", "err-no-such-unit")))
}

async fn user_id(db: &Db, username: &str) -> AppResult<i64> {
    app::users::id_by_username(db, username)
        .await?
        .ok_or_else(|| AppError::invalid(domain::FieldError::new("username", "err-no-such-user")))
}

async fn serve(db: Db, cfg: Config) -> AppResult<()> {
    let listener = tokio::net::TcpListener::bind(&cfg.listen)
        .await
        .map_err(|e| AppError::Internal(format!("cannot listen on {}: {e}", cfg.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    println!(
        "nqtrack is listening on http://{addr}/ ({} database)",
        db.backend()
    );
    app::mail::Mailer::from_config(&cfg.smtp, &cfg.data_dir).map_err(AppError::Internal)?;
    let state = web::AppState::new(db, cfg);
    // Compute the national feedback figures once at start, so the first visitor does not wait.
    let (db, cache, org) = (state.db.clone(), state.stats.clone(), state.org.clone());
    tokio::spawn(async move {
        let _ = app::feedback::stats(&db, &cache, None, false, None).await;
        let _ = app::feedback::by_province(&db, &cache, &org, None).await;
    });
    if state.cfg.jobs_every_secs > 0 {
        tokio::spawn(app::jobs::run_forever(
            state.db.clone(),
            state.mailer.clone(),
            state.cfg.public_base_url.clone(),
            std::time::Duration::from_secs(state.cfg.jobs_every_secs),
        ));
    }
    web::serve(listener, state)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))
}

fn print_import(r: &app::programmes::ImportReport) {
    println!(
        "{}programme {}: {} groups, {} tasks, {} assignments; {} values not understood:",
        if r.dry_run {
            "dry run, nothing written: "
        } else {
            ""
        },
        r.programme_id
            .map(|i| i.to_string())
            .unwrap_or_else(|| "-".into()),
        r.groups,
        r.tasks,
        r.assignments,
        r.problems.len()
    );
    for (line, msg) in &r.problems {
        println!("  line {line}: {msg}");
    }
}

async fn run(cli: Cli) -> AppResult<ExitCode> {
    let mut cfg = Config::load(cli.config.as_deref()).map_err(AppError::Internal)?;
    let zone = domain::clock::parse_zone(&cfg.time_zone).ok_or_else(|| {
        AppError::Internal(format!(
            "time_zone: not an IANA zone name such as Asia/Ho_Chi_Minh: {:?}",
            cfg.time_zone
        ))
    })?;
    domain::clock::set_zone(zone);
    match cli.cmd {
        Cmd::Serve => {
            let db = open(&cfg).await?;
            serve(db, cfg).await?;
        }
        Cmd::Demo { listen, data_dir } => {
            let dir = data_dir.unwrap_or_else(|| {
                std::env::temp_dir()
                    .join(format!("nqtrack-demo-{}", &app::auth::random_token()[..8]))
            });
            for f in ["nqtrack.db", "nqtrack.db-wal", "nqtrack.db-shm"] {
                let _ = std::fs::remove_file(dir.join(f));
            }
            cfg.listen = listen;
            cfg.data_dir = dir.clone();
            cfg.database_url = String::new();
            cfg.public_base_url = format!("http://{}", cfg.listen);
            let db = open(&cfg).await?;
            seed::demo_users(&db).await?;
            let nq03 = app::programmes::import_annex(
                &db,
                &Actor::system("demo"),
                &app::programmes::NQ03,
                app::programmes::NQ03_ANNEX,
                false,
            )
            .await?;
            print_import(&nq03);
            if let Some(pid) = nq03.programme_id {
                let n = seed::demo_progress(&db, pid).await?;
                println!("demo progress: {n} reports and decisions on programme 03/NQ-CP");
            }
            let annex =
                app::indicators::builtin::import_annex_one(&db, &Actor::system("demo"), false)
                    .await?;
            println!(
                "indicators: Annex I of 03/NQ-CP, {} indicators, {} targets, {} milestones, {} problems",
                annex.indicators,
                annex.targets,
                annex.milestones.len(),
                annex.problems.len()
            );
            app::indicators::builtin::create_province_set(&db, &Actor::system("demo")).await?;
            let n = seed::demo_indicators::demo_indicators(
                &db,
                domain::clock::local_date(chrono::Utc::now()),
            )
            .await?;
            println!("demo indicators: {n} values of the provincial KPI set and Annex I");
            if let Some(pid) = nq03.programme_id {
                let n = seed::demo_budgets::demo_budgets(&db, pid).await?;
                println!(
                    "demo budgets: {n} budget lines of programme 03/NQ-CP and their disbursement rates"
                );
            }
            let n = seed::demo_feedback::demo_feedback(&db, 300).await?;
            println!("demo feedback: {n} reports, recommendations and initiatives in every state");
            let m = app::feedback::train(&db, &|_, _| {}).await?;
            println!(
                "demo routing suggestions: trained on {} items, unit top-1 {:.0} %, category top-1 {:.0} % on held-out items",
                m.items,
                m.accuracy.unit_top1 * 100.0,
                m.accuracy.category_top1 * 100.0
            );
            // The catalogue before the rankings: the example methods' data pillar reads it.
            let n = seed::demo_catalogue::demo_catalogue(&db).await?;
            println!(
                "demo catalogue: {n} example entries in every review state, a year of heartbeats"
            );
            let org = app::records::OrgIndex::default();
            let n = seed::demo_rankings::demo_rankings(
                &db,
                &org,
                domain::clock::local_date(chrono::Utc::now()),
            )
            .await?;
            println!("demo rankings: three example methods (not official), {n} published editions");
            println!("nqtrack demo: data in {}", dir.display());
            println!("Demo accounts (password for all: {}):", seed::DEMO_PASSWORD);
            for (username, role, code, name) in seed::DEMO_USERS {
                println!("  {username:<16} {role:<14} unit {code:<6} {name}");
            }
            serve(db, cfg).await?;
        }
        Cmd::Migrate => {
            let db = open(&cfg).await?;
            println!("database ready ({})", db.backend());
        }
        Cmd::User { cmd } => {
            let db = open(&cfg).await?;
            let who = cli_principal(unit_id(&db, "VN").await?);
            match cmd {
                UserCmd::Create {
                    username,
                    display_name,
                    unit,
                    role,
                    email,
                    password,
                } => {
                    let unit_id = unit_id(&db, &unit).await?;
                    let u = app::users::create(
                        &db,
                        &who,
                        app::users::CreateUser {
                            username,
                            display_name,
                            email,
                            unit_id,
                            role,
                            password,
                        },
                    )
                    .await?;
                    println!("created user {} (id {})", u.username, u.id);
                }
                UserCmd::SetPassword { username, password } => {
                    let id = user_id(&db, &username).await?;
                    app::users::update(
                        &db,
                        &who,
                        id,
                        app::users::UpdateUser {
                            password: Some(password),
                            ..Default::default()
                        },
                    )
                    .await?;
                    println!("password set for {username}");
                }
                UserCmd::SetRole {
                    username,
                    role,
                    unit,
                } => {
                    let id = user_id(&db, &username).await?;
                    let unit_id = match unit {
                        Some(code) => Some(unit_id(&db, &code).await?),
                        None => None,
                    };
                    let u = app::users::update(
                        &db,
                        &who,
                        id,
                        app::users::UpdateUser {
                            role,
                            unit_id,
                            ..Default::default()
                        },
                    )
                    .await?;
                    println!("{}: role {}, unit {}", u.username, u.role, u.unit_id);
                }
                UserCmd::Disable { username } => {
                    let id = user_id(&db, &username).await?;
                    app::users::update(
                        &db,
                        &who,
                        id,
                        app::users::UpdateUser {
                            disabled: Some(true),
                            ..Default::default()
                        },
                    )
                    .await?;
                    println!("{username} disabled");
                }
            }
        }
        Cmd::Token { cmd } => {
            let db = open(&cfg).await?;
            let who = cli_principal(unit_id(&db, "VN").await?);
            match cmd {
                TokenCmd::Create {
                    username,
                    name,
                    days,
                } => {
                    let user_id = user_id(&db, &username).await?;
                    let t = app::tokens::create(
                        &db,
                        &who,
                        app::tokens::CreateToken {
                            user_id,
                            name,
                            role: None,
                            unit_id: None,
                            expires_in_days: days,
                            form_token: None,
                        },
                    )
                    .await?;
                    println!(
                        "token {} for {username} (shown once):\n{}",
                        t.token.id, t.secret
                    );
                }
                TokenCmd::Revoke { id } => {
                    app::tokens::revoke(&db, &who, id).await?;
                    println!("token {id} revoked");
                }
            }
        }
        Cmd::Org {
            cmd: OrgCmd::Import { file },
        } => {
            let db = open(&cfg).await?;
            let bytes = std::fs::read(&file)
                .map_err(|e| AppError::Internal(format!("{}: {e}", file.display())))?;
            let report = app::org::import_csv(&db, &Actor::system("cli"), None, &bytes).await?;
            if report.errors.is_empty() {
                println!("imported {} units", report.created);
            } else {
                let lang = web::i18n::Lang::En;
                for (line, field, code) in &report.errors {
                    eprintln!("line {line}, {field}: {}", lang.t(code));
                }
                eprintln!("nothing imported: {} problems", report.errors.len());
                return Ok(ExitCode::from(2));
            }
        }
        Cmd::Import {
            cmd: ImportCmd::Indicators { dry_run },
        } => {
            let db = open(&cfg).await?;
            let actor = Actor::system("cli");
            let r = app::indicators::builtin::import_annex_one(&db, &actor, dry_run).await?;
            println!(
                "{}Annex I of 03/NQ-CP: {} indicators, {} targets; kept as milestones: {}; {} values not understood:",
                if dry_run {
                    "dry run, nothing written: "
                } else {
                    ""
                },
                r.indicators,
                r.targets,
                r.milestones.join(", "),
                r.problems.len()
            );
            for (line, m) in &r.problems {
                println!("  line {line}: {m}");
            }
            if !dry_run {
                let id = app::indicators::builtin::create_province_set(&db, &actor).await?;
                println!("provincial KPI set: {id}");
            }
        }
        Cmd::Import {
            cmd:
                ImportCmd::Annex {
                    file,
                    code,
                    name,
                    dry_run,
                },
        } => {
            let db = open(&cfg).await?;
            let actor = Actor::system("cli");
            let report = match file {
                None => {
                    app::programmes::import_annex(
                        &db,
                        &actor,
                        &app::programmes::NQ03,
                        app::programmes::NQ03_ANNEX,
                        dry_run,
                    )
                    .await?
                }
                Some(f) => {
                    let text = std::fs::read_to_string(&f)
                        .map_err(|e| AppError::Internal(format!("{}: {e}", f.display())))?;
                    let (Some(code), Some(name)) = (code, name) else {
                        return Err(AppError::Internal(
                            "--code and --name are required with --file".into(),
                        ));
                    };
                    let meta = app::programmes::ProgrammeMeta {
                        code: &code,
                        name: &name,
                        document_number: &code,
                        document_type: "plan",
                        issuer: "",
                        issued_on: None,
                        owner_code: "VN",
                    };
                    app::programmes::import_annex(&db, &actor, &meta, &text, dry_run).await?
                }
            };
            print_import(&report);
        }
        Cmd::Import {
            cmd:
                ImportCmd::Tasks {
                    file,
                    code,
                    name,
                    owner,
                    issued_on,
                    map,
                    sheet,
                    dry_run,
                },
        } => {
            use app::import::table;
            let bytes = std::fs::read(&file)
                .map_err(|e| AppError::Internal(format!("{}: {e}", file.display())))?;
            let meta = app::programmes::ProgrammeMeta {
                code: &code,
                name: &name,
                document_number: &code,
                document_type: "plan",
                issuer: "",
                issued_on,
                owner_code: &owner,
            };
            let mapping = match map.as_deref().map(table::Mapping::parse) {
                None => None,
                Some(Ok(m)) => Some(m),
                Some(Err(e)) => {
                    eprintln!("--map: {e}");
                    return Ok(ExitCode::from(2));
                }
            };
            let ext = domain::files::extension(&file.display().to_string());
            let db = open(&cfg).await?;
            let actor = Actor::system("cli");
            let parsed = match ext.as_str() {
                "md" | "markdown" => {
                    let text = String::from_utf8(bytes)
                        .map_err(|_| AppError::Internal("the file is not UTF-8 text".into()))?;
                    let r =
                        app::programmes::import_annex(&db, &actor, &meta, &text, dry_run).await?;
                    print_import(&r);
                    return Ok(ExitCode::SUCCESS);
                }
                "csv" | "txt" => table::read_csv(&bytes, mapping.as_ref()),
                "xlsx" => table::read_xlsx(&bytes, sheet.as_deref(), mapping.as_ref()),
                _ => {
                    eprintln!("{}: expected a .csv, .xlsx or .md file", file.display());
                    return Ok(ExitCode::from(2));
                }
            };
            let parsed = match parsed {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("{}: {e}; nothing imported", file.display());
                    return Ok(ExitCode::from(2));
                }
            };
            match app::programmes::import_table(&db, &actor, &meta, parsed, dry_run).await {
                Ok(r) => print_import(&r),
                Err(AppError::Invalid(errs) | AppError::Conflict(errs)) => {
                    let lang = web::i18n::Lang::En;
                    for e in &errs {
                        eprintln!("{}", web::error::field_message(lang, e));
                    }
                    eprintln!("nothing imported");
                    return Ok(ExitCode::from(2));
                }
                Err(e) => return Err(e),
            }
        }
        Cmd::Jobs { as_of } => {
            let db = open(&cfg).await?;
            let mailer = app::mail::Mailer::from_config(&cfg.smtp, &cfg.data_dir)
                .map_err(AppError::Internal)?;
            let now = chrono::Utc::now();
            let r = app::jobs::tick(
                &db,
                &mailer,
                &cfg.public_base_url,
                now,
                as_of.unwrap_or(domain::clock::local_date(now)),
            )
            .await?;
            println!(
                "{} jobs run: {} reminders recorded, {} mails sent, {} failures",
                r.jobs, r.reminders, r.mails, r.failures
            );
        }
        Cmd::Audit {
            cmd: AuditCmd::Verify,
        } => {
            let db = open(&cfg).await?;
            match app::audit::verify_chain(&db).await? {
                Ok(n) => println!("audit chain intact: {n} records"),
                Err(b) => {
                    match b {
                        domain::audit::Break::Altered { seq } => {
                            eprintln!("audit chain broken: record {seq} was altered")
                        }
                        domain::audit::Break::Unlinked { seq } => eprintln!(
                            "audit chain broken at record {seq}: a record before it is missing or reordered"
                        ),
                    }
                    return Ok(ExitCode::from(3));
                }
            }
        }
        Cmd::Search {
            cmd: SearchCmd::Reindex,
        } => {
            let db = Db::connect(&cfg.database_url()).await?;
            let search = app::search::Search::new(&cfg.data_dir);
            let org = app::records::OrgIndex::default();
            let started = std::time::Instant::now();
            let n = app::search::indexer::rebuild(&search, &db, &org, &progress_bar).await?;
            eprintln!();
            println!(
                "search index rebuilt in {}: {n} records in {:.1} s",
                search.dir().display(),
                started.elapsed().as_secs_f64()
            );
        }
        Cmd::Routing {
            cmd: RoutingCmd::Train { compare },
        } => {
            let db = Db::connect(&cfg.database_url()).await?;
            let started = std::time::Instant::now();
            let m = app::feedback::train(&db, &progress_bar).await?;
            eprintln!();
            let a = m.accuracy;
            println!(
                "routing model {} trained on {} items in {:.1} s\n\
                 unit:     top-1 {:.3}, top-3 {:.3}, mean confidence {:.3} ({} held-out items; the routing rules alone: {:.3})\n\
                 category: top-1 {:.3}, top-3 {:.3}, mean confidence {:.3} ({} held-out items)",
                m.id,
                m.items,
                started.elapsed().as_secs_f64(),
                a.unit_top1,
                a.unit_top3,
                a.unit_mean_confidence,
                a.unit_items,
                a.rules_top1,
                a.category_top1,
                a.category_top3,
                a.category_mean_confidence,
                a.category_items
            );
            if compare {
                use app::feedback::Variant;
                for (name, v) in [
                    (
                        "with syllable pairs",
                        Variant {
                            pairs: true,
                            relative: true,
                        },
                    ),
                    (
                        "each unit a class of its own",
                        Variant {
                            pairs: false,
                            relative: false,
                        },
                    ),
                ] {
                    let started = std::time::Instant::now();
                    let a = app::feedback::evaluate(&db, v, &progress_bar).await?;
                    eprintln!();
                    println!(
                        "{name}: unit top-1 {:.3}, top-3 {:.3}; category top-1 {:.3}, top-3 {:.3} ({:.1} s)",
                        a.unit_top1,
                        a.unit_top3,
                        a.category_top1,
                        a.category_top3,
                        started.elapsed().as_secs_f64()
                    );
                }
            }
        }
        Cmd::Backup { out } => {
            let db = Db::connect(&cfg.database_url()).await?;
            if db.backend() != "sqlite" {
                eprintln!(
                    "backup: the database is PostgreSQL; use its own tools, e.g. `pg_dump --format=custom --file=nqtrack.dump <database>`"
                );
                return Ok(ExitCode::from(2));
            }
            if out.exists() {
                return Err(AppError::Internal(format!(
                    "{} already exists",
                    out.display()
                )));
            }
            db.backup_sqlite(&out.to_string_lossy()).await?;
            println!("backup written to {}", out.display());
        }
        #[cfg(not(feature = "generate"))]
        Cmd::Generate { .. } => {
            eprintln!("generate: this build left the generator out (feature `generate`)");
            return Ok(ExitCode::from(2));
        }
        #[cfg(feature = "generate")]
        Cmd::Generate { scale } => {
            let scale = seed::generate::Scale::from(scale);
            let db = open(&cfg).await?;
            // Refuse before adding users, so that a second run changes nothing.
            if seed::generate_tasks::generated(&db).await? {
                return Err(seed::generate_tasks::already_generated());
            }
            let start = std::time::Instant::now();
            let n = seed::generate::generate(&db, scale, true).await?;
            println!(
                "generated {n} users in {:.1} s",
                start.elapsed().as_secs_f64()
            );
            let start = std::time::Instant::now();
            let v = seed::generate_tasks::generate_tasks(&db, scale, true).await?;
            println!(
                "generated {} programmes, {} tasks, {} assignments, {} reports, {} verifications in {:.1} s",
                v.programmes,
                v.tasks,
                v.assignments,
                v.reports,
                v.verifications,
                start.elapsed().as_secs_f64()
            );
            let start = std::time::Instant::now();
            let n = seed::generate_feedback::generate_feedback(&db, scale, true).await?;
            println!(
                "generated {n} feedback items in {:.1} s",
                start.elapsed().as_secs_f64()
            );
            let start = std::time::Instant::now();
            let v = seed::generate_indicators::generate_indicators(&db, scale, true).await?;
            println!(
                "generated {} quarterly and {} monthly indicator values in {:.1} s",
                v.quarterly,
                v.monthly,
                start.elapsed().as_secs_f64()
            );
            let start = std::time::Instant::now();
            let v = seed::generate_catalogue::generate_catalogue(&db, scale, true).await?;
            println!(
                "generated {} catalogue entries and {} heartbeats in {:.1} s",
                v.entries,
                v.measurements,
                start.elapsed().as_secs_f64()
            );
            for (group, units, secs) in seed::demo_rankings::generate_rankings(
                &db,
                domain::clock::local_date(chrono::Utc::now()),
            )
            .await?
            {
                println!(
                    "ranked {units} units ({group}, example method, 1,000 Monte Carlo draws) in {secs:.2} s"
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A progress bar on stderr, redrawn in place (a few bytes per call; no dependency for it).
fn progress_bar(done: u64, total: u64) {
    use std::io::Write;
    let total = total.max(1);
    let filled = (done.min(total) * 30 / total) as usize;
    let mut e = std::io::stderr();
    let _ = write!(
        e,
        "\r[{}{}] {:>3} % {done}/{total}",
        "#".repeat(filled),
        " ".repeat(30 - filled),
        done * 100 / total
    );
    let _ = e.flush();
}
