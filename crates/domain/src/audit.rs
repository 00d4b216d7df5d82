//! The tamper-evident chain of audit records.
//!
//! Each record's hash covers its own fields and the previous record's hash, so editing or deleting
//! any stored record breaks every later link. Fields are hashed exactly as stored (text), which is
//! why timestamps and JSON are kept as text in both backends.

use sha2::{Digest, Sha256};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub prev_hash: String,
}

pub fn hash(r: &Record) -> String {
    let mut h = Sha256::new();
    // Length-prefixing each field keeps ("ab","c") and ("a","bc") apart.
    let mut field = |s: &str| {
        h.update((s.len() as u64).to_be_bytes());
        h.update(s.as_bytes());
    };
    field(&r.seq.to_string());
    field(&r.at);
    field(&r.actor);
    field(&r.action);
    field(&r.object_type);
    field(&r.object_id);
    field(r.before.as_deref().unwrap_or("\u{0}null"));
    field(r.after.as_deref().unwrap_or("\u{0}null"));
    field(&r.prev_hash);
    hex::encode(h.finalize())
}

/// Where a chain stops being valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// The record's stored hash does not match its content.
    Altered { seq: i64 },
    /// The record does not point at its predecessor's hash (a record was removed or reordered).
    Unlinked { seq: i64 },
}

/// Walks records in sequence order; `start_prev` is the hash the first record must point at.
pub fn verify<'a>(
    records: impl IntoIterator<Item = (&'a Record, &'a str)>,
    start_prev: &str,
) -> Result<u64, Break> {
    let mut prev = start_prev.to_string();
    let mut n = 0;
    for (r, stored) in records {
        if r.prev_hash != prev {
            return Err(Break::Unlinked { seq: r.seq });
        }
        if hash(r) != stored {
            return Err(Break::Altered { seq: r.seq });
        }
        prev = stored.to_string();
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<(Record, String)> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let r = Record {
                    seq,
                    at: format!("2026-01-01T00:00:0{seq}Z"),
                    actor: "admin".into(),
                    action: "user.create".into(),
                    object_type: "user".into(),
                    object_id: seq.to_string(),
                    before: None,
                    after: Some(format!("{{\"n\":{seq}}}")),
                    prev_hash: prev.clone(),
                };
                let h = hash(&r);
                prev = h.clone();
                (r, h)
            })
            .collect()
    }

    fn check(c: &[(Record, String)]) -> Result<u64, Break> {
        verify(c.iter().map(|(r, h)| (r, h.as_str())), GENESIS)
    }

    #[test]
    fn intact_chain_verifies() {
        assert_eq!(check(&chain(5)), Ok(5));
    }

    #[test]
    fn edited_record_is_named() {
        let mut c = chain(5);
        c[2].0.after = Some("{\"n\":99}".into());
        assert_eq!(check(&c), Err(Break::Altered { seq: 3 }));
    }

    #[test]
    fn removed_record_is_noticed() {
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(check(&c), Err(Break::Unlinked { seq: 3 }));
    }

    #[test]
    fn field_boundaries_matter() {
        let a = &chain(1)[0].0;
        let mut b = a.clone();
        b.actor = "admi".into();
        b.action = "nuser.create".into();
        assert_ne!(hash(a), hash(&b));
    }
}
