//! Configuration: defaults, then an optional TOML file, then `NQTRACK_*` environment variables.

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on, e.g. 127.0.0.1:8080.
    pub listen: String,
    /// `sqlite://<path>` or `postgres://…`; empty means `<data_dir>/nqtrack.db`.
    pub database_url: String,
    /// Where uploaded files and the SQLite database live.
    pub data_dir: PathBuf,
    /// Base URL as users see it (links in emails; HTTPS turns on HSTS and secure cookies).
    pub public_base_url: String,
    /// Trust X-Forwarded-For (only behind a reverse proxy you control).
    pub trust_proxy: bool,
    pub smtp: Smtp,
    /// Largest evidence file accepted, in MiB.
    pub evidence_max_mb: usize,
    /// How often the job runner wakes (reminders, digests, mail); 0 turns it off in this instance.
    pub jobs_every_secs: u64,
    /// Public submissions accepted per client address per hour.
    pub feedback_per_ip_hour: usize,
    /// Most submissions the intake writer stores in one transaction (one sync); 1 stores each
    /// on its own, the baseline of the intake benchmark.
    pub intake_batch: usize,
    /// IANA name of the zone whose calendar days the product counts and shows.
    pub time_zone: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Smtp {
    /// Empty: mail is written to `<data_dir>/outbox` instead of sent.
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: String,
    pub from: String,
    /// `starttls`, `tls` or `none`.
    pub security: String,
    /// Most connections kept open to the server; each carries many messages in turn (1: every
    /// message over one connection, for servers that limit them).
    pub connections: u32,
}

impl Default for Smtp {
    fn default() -> Self {
        Smtp {
            host: String::new(),
            port: 587,
            username: String::new(),
            password: String::new(),
            from: "nqtrack@localhost".into(),
            security: "starttls".into(),
            connections: 4,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            database_url: String::new(),
            data_dir: PathBuf::from("./nqtrack-data"),
            public_base_url: "http://127.0.0.1:8080".into(),
            trust_proxy: false,
            smtp: Smtp::default(),
            evidence_max_mb: 20,
            jobs_every_secs: 60,
            feedback_per_ip_hour: 30,
            intake_batch: crate::feedback::BATCH,
            time_zone: "Asia/Ho_Chi_Minh".into(),
        }
    }
}

impl Config {
    /// Reads `file` (if given) and then the environment.
    pub fn load(file: Option<&Path>) -> Result<Config, String> {
        let mut cfg = match file {
            Some(p) => {
                let text =
                    std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
                toml::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))?
            }
            None => Config::default(),
        };
        cfg.apply_env(|k| std::env::var(k).ok())?;
        Ok(cfg)
    }

    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), String> {
        if let Some(v) = get("NQTRACK_LISTEN") {
            self.listen = v;
        }
        if let Some(v) = get("NQTRACK_DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(v) = get("NQTRACK_DATA_DIR") {
            self.data_dir = v.into();
        }
        if let Some(v) = get("NQTRACK_PUBLIC_BASE_URL") {
            self.public_base_url = v;
        }
        if let Some(v) = get("NQTRACK_TRUST_PROXY") {
            self.trust_proxy = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = get("NQTRACK_EVIDENCE_MAX_MB") {
            self.evidence_max_mb = v
                .parse()
                .map_err(|_| format!("NQTRACK_EVIDENCE_MAX_MB: not a number: {v}"))?;
        }
        if let Some(v) = get("NQTRACK_JOBS_EVERY_SECS") {
            self.jobs_every_secs = v
                .parse()
                .map_err(|_| format!("NQTRACK_JOBS_EVERY_SECS: not a number: {v}"))?;
        }
        if let Some(v) = get("NQTRACK_FEEDBACK_PER_IP_HOUR") {
            self.feedback_per_ip_hour = v
                .parse()
                .map_err(|_| format!("NQTRACK_FEEDBACK_PER_IP_HOUR: not a number: {v}"))?;
        }
        if let Some(v) = get("NQTRACK_TIME_ZONE") {
            self.time_zone = v;
        }
        if let Some(v) = get("NQTRACK_INTAKE_BATCH") {
            self.intake_batch =
                v.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                    format!("NQTRACK_INTAKE_BATCH: not a number of at least 1: {v}")
                })?;
        }
        if let Some(v) = get("NQTRACK_SMTP_HOST") {
            self.smtp.host = v;
        }
        if let Some(v) = get("NQTRACK_SMTP_PORT") {
            self.smtp.port = v
                .parse()
                .map_err(|_| format!("NQTRACK_SMTP_PORT: not a port: {v}"))?;
        }
        if let Some(v) = get("NQTRACK_SMTP_USERNAME") {
            self.smtp.username = v;
        }
        if let Some(v) = get("NQTRACK_SMTP_PASSWORD") {
            self.smtp.password = v;
        }
        if let Some(v) = get("NQTRACK_SMTP_FROM") {
            self.smtp.from = v;
        }
        if let Some(v) = get("NQTRACK_SMTP_SECURITY") {
            self.smtp.security = v;
        }
        if let Some(v) = get("NQTRACK_SMTP_CONNECTIONS") {
            self.smtp.connections = v.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                format!("NQTRACK_SMTP_CONNECTIONS: not a number of at least 1: {v}")
            })?;
        }
        Ok(())
    }

    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("nqtrack.db").display())
        } else {
            self.database_url.clone()
        }
    }

    pub fn evidence_max_bytes(&self) -> usize {
        self.evidence_max_mb.saturating_mul(1_048_576)
    }

    pub fn https(&self) -> bool {
        self.public_base_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment() {
        let mut c: Config =
            toml::from_str("listen = \"0.0.0.0:9000\"\n[smtp]\nhost = \"mail\"\n").unwrap();
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert_eq!(c.smtp.port, 587);
        c.apply_env(|k| (k == "NQTRACK_LISTEN").then(|| "127.0.0.1:1".to_string()))
            .unwrap();
        assert_eq!(c.listen, "127.0.0.1:1");
        assert_eq!(c.smtp.host, "mail");
        assert!(c.database_url().ends_with("nqtrack.db"));
        assert!(
            c.apply_env(|k| (k == "NQTRACK_SMTP_PORT").then(|| "x".to_string()))
                .is_err()
        );
    }

    #[test]
    fn unknown_keys_are_rejected() {
        assert!(toml::from_str::<Config>("lisen = \"x\"").is_err());
    }
}
