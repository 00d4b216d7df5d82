//! A minimal SMTP server for tests: mail goes through the real client library, over a real
//! socket, and lands here instead of in someone's inbox. It accepts everything, never
//! authenticates, and offers no TLS, so the mailer under test must use `security = "none"`.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope sender (MAIL FROM), without angle brackets.
    pub from: String,
    /// The envelope recipients (RCPT TO), in order.
    pub to: Vec<String>,
    /// The message as sent, after dot-unstuffing, with CRLF line endings. The CRLF before the
    /// terminating dot is left out, so for lettre this equals `Message::formatted()`.
    pub data: String,
}

pub struct SmtpSink {
    pub port: u16,
    messages: Arc<Mutex<Vec<Received>>>,
    /// Connections accepted so far.
    sessions: Arc<std::sync::atomic::AtomicUsize>,
    accept: tokio::task::AbortHandle,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind SMTP sink");
        let port = listener.local_addr().unwrap().port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let store = messages.clone();
        let sessions = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = sessions.clone();
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let store = store.clone();
                tokio::spawn(async move {
                    // A client that hangs up mid-session is not the sink's problem.
                    let _ = session(stream, store).await;
                });
            }
        })
        .abort_handle();
        SmtpSink {
            port,
            messages,
            sessions,
            accept,
        }
    }

    /// How many connections clients have opened.
    pub fn sessions(&self) -> usize {
        self.sessions.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn messages(&self) -> Vec<Received> {
        self.messages.lock().unwrap().clone()
    }

    /// The first message (already received or arriving within `timeout`) matching `pred`.
    pub async fn wait_for(
        &self,
        pred: impl Fn(&Received) -> bool,
        timeout: Duration,
    ) -> Option<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(r) = self.messages.lock().unwrap().iter().find(|r| pred(r)) {
                return Some(r.clone());
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn session(stream: TcpStream, store: Arc<Mutex<Vec<Received>>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write.write_all(b"220 nqtrack-sink ESMTP\r\n").await?;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        let (verb, arg) = text.split_once(' ').unwrap_or((text, ""));
        let reply = match verb.to_ascii_uppercase().as_str() {
            // No PIPELINING offered, though reading line by line would cope with it.
            "EHLO" => "250-nqtrack-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
            "HELO" => "250 nqtrack-sink\r\n",
            "MAIL" => match path_arg(arg, "FROM:") {
                Some(p) => {
                    from = Some(p);
                    to.clear();
                    "250 2.1.0 OK\r\n"
                }
                None => "501 5.5.4 Syntax: MAIL FROM:<address>\r\n",
            },
            "RCPT" => match (&from, path_arg(arg, "TO:")) {
                (None, _) => "503 5.5.1 MAIL first\r\n",
                (_, None) => "501 5.5.4 Syntax: RCPT TO:<address>\r\n",
                (_, Some(p)) => {
                    to.push(p);
                    "250 2.1.5 OK\r\n"
                }
            },
            "DATA" if to.is_empty() => "503 5.5.1 RCPT first\r\n",
            "DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let Some(data) = read_data(&mut read).await? else {
                    return Ok(());
                };
                store.lock().unwrap().push(Received {
                    from: from.take().unwrap_or_default(),
                    to: std::mem::take(&mut to),
                    data,
                });
                "250 2.0.0 OK queued\r\n"
            }
            "RSET" => {
                from = None;
                to.clear();
                "250 2.0.0 OK\r\n"
            }
            "NOOP" => "250 2.0.0 OK\r\n",
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => "502 5.5.2 Command not recognized\r\n",
        };
        write.write_all(reply.as_bytes()).await?;
    }
}

/// `FROM:<a@b> SIZE=123` → `a@b`; parameters after the path are ignored.
fn path_arg(arg: &str, keyword: &str) -> Option<String> {
    let arg = arg.trim_start();
    let head = arg.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = arg[keyword.len()..].trim_start().strip_prefix('<')?;
    Some(rest[..rest.find('>')?].to_string())
}

/// Reads up to the lone dot; `None` if the client went away first.
async fn read_data(
    read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<Option<String>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(None);
        }
        if line == b".\r\n" || line == b".\n" {
            break;
        }
        let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
        data.extend_from_slice(unstuffed);
    }
    // The line break before the dot ends the last line; lettre always sends one of its own.
    if data.ends_with(b"\r\n") {
        data.truncate(data.len() - 2);
    } else if data.ends_with(b"\n") {
        data.truncate(data.len() - 1);
    }
    Ok(Some(String::from_utf8_lossy(&data).into_owned()))
}

impl Received {
    /// The Subject header, RFC 2047 encoded-words decoded (lettre encodes non-ASCII subjects).
    pub fn subject(&self) -> Option<String> {
        self.header("Subject").map(|v| decode_words(&v))
    }

    /// A header's value, unfolded, undecoded; the first if repeated.
    pub fn header(&self, name: &str) -> Option<String> {
        let (head, _) = split_message(&self.data);
        let mut value: Option<String> = None;
        for line in head.lines() {
            if let Some(v) = value.as_mut() {
                if line.starts_with([' ', '\t']) {
                    v.push_str(line);
                    continue;
                }
                break;
            }
            if let Some((n, v)) = line.split_once(':')
                && n.eq_ignore_ascii_case(name)
            {
                value = Some(v.trim_start().to_string());
            }
        }
        value.map(|v| v.trim_end().to_string())
    }

    /// The body with its Content-Transfer-Encoding undone, as UTF-8, with `\n` line endings
    /// (lettre turns line endings into CRLF before encoding).
    pub fn body_text(&self) -> String {
        let (_, body) = split_message(&self.data);
        let cte = self
            .header("Content-Transfer-Encoding")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let bytes = match cte.as_str() {
            "quoted-printable" => decode_qp(body),
            "base64" => decode_base64(body),
            _ => body.as_bytes().to_vec(),
        };
        String::from_utf8_lossy(&bytes).replace("\r\n", "\n")
    }
}

fn split_message(data: &str) -> (&str, &str) {
    for sep in ["\r\n\r\n", "\n\n"] {
        if let Some(i) = data.find(sep) {
            return (&data[..i], &data[i + sep.len()..]);
        }
    }
    (data, "")
}

/// Decodes `=?charset?B|Q?text?=` words, assuming UTF-8. The bytes of adjacent words are joined
/// before decoding because an encoder may split a character across words, and the whitespace
/// between adjacent words is dropped, as RFC 2047 requires.
fn decode_words(s: &str) -> String {
    let mut out = String::new();
    let mut pending = Vec::new();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if let Some((bytes, len)) = encoded_word(rest) {
            pending.extend(bytes);
            rest = &rest[len..];
            let after_ws = rest.trim_start_matches([' ', '\t', '\r', '\n']);
            if encoded_word(after_ws).is_some() {
                rest = after_ws;
            }
            continue;
        }
        out.push_str(&String::from_utf8_lossy(&std::mem::take(&mut pending)));
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out.push_str(&String::from_utf8_lossy(&pending));
    out
}

/// The decoded bytes of the encoded-word at the start of `s`, and its length.
fn encoded_word(s: &str) -> Option<(Vec<u8>, usize)> {
    let inner = s.strip_prefix("=?")?;
    let (charset, inner) = inner.split_once('?')?;
    let (enc, inner) = inner.split_once('?')?;
    let text = &inner[..inner.find("?=")?];
    let bad = |t: &str| t.is_empty() || t.contains(|c: char| c.is_whitespace());
    if bad(charset) || enc.len() != 1 || text.contains(char::is_whitespace) {
        return None;
    }
    let len = 2 + charset.len() + 1 + enc.len() + 1 + text.len() + 2;
    let bytes = match enc {
        "B" | "b" => decode_base64(text),
        "Q" | "q" => decode_qp(&text.replace('_', " ")),
        _ => return None,
    };
    Some((bytes, len))
}

/// Quoted-printable (RFC 2045 §6.7): `=XX` escapes and `=` soft line breaks.
fn decode_qp(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'=' {
            out.push(b[i]);
            i += 1;
        } else if b[i + 1..].starts_with(b"\r\n") {
            i += 3;
        } else if b[i + 1..].starts_with(b"\n") {
            i += 2;
        } else if let Some(v) = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
        } else {
            // Malformed: keep it literally rather than lose text.
            out.push(b'=');
            i += 1;
        }
    }
    out
}

/// Standard-alphabet base64; whitespace and anything outside the alphabet is skipped.
fn decode_base64(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}
