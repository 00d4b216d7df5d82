//! A few SMTP connections kept open and reused, each carrying many messages in turn.
//!
//! lettre's own pool bounds the connections it keeps idle, not those it opens under concurrent
//! demand, and it hands a connection back from a spawned task, so the next message often finds
//! the pool empty and connects again. Here a connection goes back to the idle list before its
//! slot is released: with `connections = 1`, a day's mail travels over one session.

use std::sync::Mutex;
use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use tokio::sync::Semaphore;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (port 587); the upgrade is required.
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: a relay on localhost or a trusted network, and test sinks.
    None,
}

pub struct SmtpPool {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<Credentials>,
    connect_timeout: Duration,
    hello: ClientId,
    idle: Mutex<Vec<AsyncSmtpConnection>>,
    slots: Semaphore,
}

impl std::fmt::Debug for SmtpPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpPool")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .finish_non_exhaustive()
    }
}

impl SmtpPool {
    pub fn new(
        host: &str,
        port: u16,
        security: Security,
        credentials: Option<Credentials>,
        connections: u32,
        connect_timeout: Duration,
    ) -> SmtpPool {
        SmtpPool {
            host: host.to_string(),
            port,
            security,
            credentials,
            connect_timeout,
            hello: ClientId::default(),
            idle: Mutex::default(),
            slots: Semaphore::new(connections.max(1) as usize),
        }
    }

    /// Sends one message over an open connection (checked with NOOP) or a new one, within
    /// `deadline` once a connection slot is free; a connection that failed or stalled is
    /// closed, never reused.
    pub async fn send(
        &self,
        envelope: &Envelope,
        bytes: &[u8],
        deadline: Duration,
    ) -> Result<(), String> {
        let _slot = self.slots.acquire().await.map_err(|e| e.to_string())?;
        tokio::time::timeout(deadline, self.deliver(envelope, bytes))
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {} s", deadline.as_secs())))
    }

    async fn deliver(&self, envelope: &Envelope, bytes: &[u8]) -> Result<(), String> {
        let reused = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut conn = match reused {
            Some(mut c) => {
                if c.test_connected().await {
                    c
                } else {
                    c.abort().await;
                    self.connect().await?
                }
            }
            None => self.connect().await?,
        };
        match conn.send(envelope, bytes).await {
            Ok(_) if !conn.has_broken() => {
                self.idle
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(conn);
                Ok(())
            }
            Ok(_) => {
                conn.abort().await;
                Ok(())
            }
            Err(e) => {
                conn.abort().await;
                Err(e.to_string())
            }
        }
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, String> {
        let tls = || TlsParameters::new(self.host.clone()).map_err(|e| e.to_string());
        let implicit = match self.security {
            Security::Tls => Some(tls()?),
            _ => None,
        };
        let mut conn = AsyncSmtpConnection::connect_tokio1(
            (self.host.as_str(), self.port),
            Some(self.connect_timeout),
            &self.hello,
            implicit,
            None,
        )
        .await
        .map_err(|e| e.to_string())?;
        if self.security == Security::StartTls {
            if !conn.can_starttls() {
                conn.abort().await;
                return Err(format!("{} does not offer STARTTLS", self.host));
            }
            conn.starttls(tls()?, &self.hello)
                .await
                .map_err(|e| e.to_string())?;
        }
        if let Some(c) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], c)
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(conn)
    }
}
