//! Outgoing mail. With an SMTP host configured, mail goes out through lettre (rustls for TLS);
//! without one it is written as `.eml` files to `<data_dir>/outbox`, so that a fresh install
//! never loses a message and an administrator can read what would have been sent. The memory
//! backend is for unit tests.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lettre::message::header::{ContentType, MIME_VERSION_1_0};
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;

use crate::smtp_pool::{Security, SmtpPool};

use crate::config::Smtp;

/// lettre's async transport applies its timeout to the TCP connect only (0.11.23)...
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// ...so a server that accepts and then stalls is cut off by this bound on the whole delivery.
const SEND_DEADLINE: Duration = Duration::from_secs(30);

/// A plain-text message. Recipients are addresses (`a@b.vn` or `Tên <a@b.vn>`).
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
}

/// What the memory backend records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid email address: {0:?}")]
    Address(String),
    #[error("cannot build message: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("SMTP: {0}")]
    Transport(String),
    #[error("writing mail to the outbox: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Debug, Clone)]
pub enum Mailer {
    Smtp { pool: Arc<SmtpPool>, from: Mailbox },
    File { dir: PathBuf, from: Mailbox },
    Memory(Arc<Mutex<Vec<Sent>>>),
}

impl Mailer {
    /// An empty host selects the outbox directory. Errors are meant for startup, where a bad
    /// mail configuration should stop the server rather than surface at the first reminder.
    pub fn from_config(smtp: &Smtp, data_dir: &Path) -> Result<Mailer, String> {
        let from: Mailbox = smtp
            .from
            .trim()
            .parse()
            .map_err(|e| format!("smtp.from {:?}: {e}", smtp.from))?;
        let host = smtp.host.trim();
        if host.is_empty() {
            return Ok(Mailer::File {
                dir: data_dir.join("outbox"),
                from,
            });
        }
        let security = match smtp.security.trim().to_ascii_lowercase().as_str() {
            "starttls" => Security::StartTls,
            "tls" => Security::Tls,
            // Plain SMTP: only for a relay on localhost or a trusted network (and test sinks).
            "none" => Security::None,
            other => {
                return Err(format!(
                    "smtp.security must be starttls, tls or none, not {other:?}"
                ));
            }
        };
        // Port 0 keeps the conventional port of the chosen security (587, 465, 25).
        let port = match (smtp.port, security) {
            (0, Security::StartTls) => 587,
            (0, Security::Tls) => 465,
            (0, Security::None) => 25,
            (p, _) => p,
        };
        let credentials = (!smtp.username.is_empty())
            .then(|| Credentials::new(smtp.username.clone(), smtp.password.clone()));
        Ok(Mailer::Smtp {
            pool: Arc::new(SmtpPool::new(
                host,
                port,
                security,
                credentials,
                smtp.connections,
                CONNECT_TIMEOUT,
            )),
            from,
        })
    }

    pub fn memory() -> Mailer {
        Mailer::Memory(Arc::default())
    }

    /// What the memory backend has recorded (empty for the other backends).
    pub fn sent(&self) -> Vec<Sent> {
        match self {
            Mailer::Memory(sent) => sent.lock().unwrap().clone(),
            _ => Vec::new(),
        }
    }

    /// A mail without recipients is a no-op returning `Ok`: callers compute recipient lists
    /// (e.g. the users of a unit) and an empty one is normal, not a failure. Every backend
    /// builds the message, so that a bad address is an error in unit tests too.
    pub async fn send(&self, m: &Mail) -> Result<(), MailError> {
        if m.to.is_empty() {
            tracing::debug!(subject = %m.subject, "mail without recipients not sent");
            return Ok(());
        }
        match self {
            Mailer::Smtp { pool, from } => {
                let msg = build(from, m)?;
                let bytes = msg.formatted();
                pool.send(msg.envelope(), &bytes, SEND_DEADLINE)
                    .await
                    .map_err(MailError::Transport)
            }
            Mailer::File { dir, from } => {
                let bytes = build(from, m)?.formatted();
                let dir = dir.clone();
                let path = tokio::task::spawn_blocking(move || write_eml(&dir, &bytes))
                    .await
                    .map_err(std::io::Error::other)??;
                tracing::info!(path = %path.display(), "mail written to the outbox");
                Ok(())
            }
            Mailer::Memory(sent) => {
                let from: Mailbox = "nqtrack@localhost".parse().expect("valid address");
                build(&from, m)?;
                sent.lock().unwrap().push(Sent {
                    to: m.to.clone(),
                    subject: m.subject.clone(),
                    text: m.text.clone(),
                });
                Ok(())
            }
        }
    }
}

fn build(from: &Mailbox, m: &Mail) -> Result<Message, MailError> {
    let mut b = Message::builder()
        .from(from.clone())
        .subject(m.subject.as_str())
        .message_id(None)
        // lettre leaves MIME-Version out for single-part bodies, yet charset=utf-8 needs it.
        .header(MIME_VERSION_1_0)
        .header(ContentType::TEXT_PLAIN);
    for to in &m.to {
        let mb: Mailbox = to
            .trim()
            .parse()
            .map_err(|_| MailError::Address(to.clone()))?;
        b = b.to(mb);
    }
    // lettre picks 7bit, quoted-printable or base64, whichever fits the text.
    Ok(b.body(m.text.clone())?)
}

/// Names sort by creation time; the counter separates messages of the same microsecond, and
/// `create_new` keeps a clash with another process from overwriting a message.
fn write_eml(dir: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
    use std::io::Write;
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    std::fs::create_dir_all(dir)?;
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed) % 1_000_000;
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
        let path = dir.join(format!("{stamp}-{n:06}.eml"));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut f) => {
                f.write_all(bytes)?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(to: &[&str]) -> Mail {
        Mail {
            to: to.iter().map(|s| s.to_string()).collect(),
            subject: "Nhắc hạn".into(),
            text: "Xin chào".into(),
        }
    }

    fn smtp(host: &str, security: &str) -> Smtp {
        Smtp {
            host: host.into(),
            port: 2525,
            username: String::new(),
            password: String::new(),
            from: "NQ Track <nqtrack@example.gov.vn>".into(),
            security: security.into(),
            connections: 1,
        }
    }

    #[tokio::test]
    async fn memory_records_and_rejects_bad_addresses() {
        let m = Mailer::memory();
        m.send(&mail(&["a@example.vn", "Bà Lan <lan@example.vn>"]))
            .await
            .unwrap();
        assert_eq!(m.sent().len(), 1);
        assert_eq!(m.sent()[0].to[1], "Bà Lan <lan@example.vn>");
        let e = m.send(&mail(&["a@example.vn", "not an address"])).await;
        assert!(matches!(e, Err(MailError::Address(a)) if a == "not an address"));
        assert_eq!(m.sent().len(), 1);
    }

    #[tokio::test]
    async fn no_recipients_is_a_no_op() {
        let m = Mailer::memory();
        m.send(&mail(&[])).await.unwrap();
        assert!(m.sent().is_empty());
    }

    #[test]
    fn config_selects_backend() {
        let d = Path::new("/data");
        assert!(
            matches!(Mailer::from_config(&smtp("", "starttls"), d), Ok(Mailer::File { dir, .. }) if dir == d.join("outbox"))
        );
        for sec in ["starttls", "tls", "none", "STARTTLS"] {
            assert!(matches!(
                Mailer::from_config(&smtp("smtp.example.vn", sec), d),
                Ok(Mailer::Smtp { .. })
            ));
        }
        assert!(Mailer::from_config(&smtp("smtp.example.vn", "ssl"), d).is_err());
        let mut bad_from = smtp("", "none");
        bad_from.from = "nqtrack".into();
        assert!(Mailer::from_config(&bad_from, d).is_err());
    }
}
