//! The audit log's hash chain (ADR 026): each tenant's records are numbered from 1 and each
//! carries SHA-256 over the previous record's hash and its own canonical bytes, so editing,
//! deleting or reordering a record breaks the chain at that record.
//!
//! Canonical bytes: the fields in a fixed order, each as an 8-byte big-endian length and its
//! UTF-8 bytes (an absent field is the length `u64::MAX` and nothing), so no two different
//! records share their bytes. The first record's previous hash is 32 zero bytes.

use chrono::{DateTime, SecondsFormat, Utc};
use sha2::{Digest, Sha256};

/// A hash in the chain.
pub type Hash = [u8; 32];

/// The previous hash of a tenant's first record.
pub const GENESIS: Hash = [0; 32];

/// Bytes as lowercase hexadecimal, two digits each (how a hash is shown and bound).
#[must_use]
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a record says, in the order its canonical bytes take it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditFields<'a> {
    /// The tenant's sequence number, from 1.
    pub seq: i64,
    /// The record's id (UUID, hyphenated).
    pub id: &'a str,
    /// The tenant (UUID, hyphenated).
    pub tenant_id: &'a str,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (a user id), if anyone.
    pub actor: Option<&'a str>,
    /// What was done (`catalog.item_created`, `auth.login_failed`).
    pub action: &'a str,
    /// What it was done to: kind.
    pub target_type: &'a str,
    /// What it was done to: id, if any.
    pub target_id: Option<&'a str>,
    /// The before/after summary (JSON).
    pub summary: &'a str,
    /// The request it came with.
    pub request_id: Option<&'a str>,
    /// The client's address.
    pub client_addr: Option<&'a str>,
}

fn put(out: &mut Vec<u8>, field: Option<&str>) {
    match field {
        Some(s) => {
            out.extend_from_slice(&(s.len() as u64).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        None => out.extend_from_slice(&u64::MAX.to_be_bytes()),
    }
}

impl AuditFields<'_> {
    /// The canonical bytes (see the module's documentation). The instant is RFC 3339 in UTC
    /// with microseconds, as both backends store it.
    #[must_use]
    pub fn canonical(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.summary.len());
        out.extend_from_slice(b"larder-audit-v1");
        out.extend_from_slice(&self.seq.to_be_bytes());
        let at = self.at.to_rfc3339_opts(SecondsFormat::Micros, true);
        for f in [
            Some(self.id),
            Some(self.tenant_id),
            Some(at.as_str()),
            self.actor,
            Some(self.action),
            Some(self.target_type),
            self.target_id,
            Some(self.summary),
            self.request_id,
            self.client_addr,
        ] {
            put(&mut out, f);
        }
        out
    }

    /// This record's hash after `prev`: SHA-256(prev || canonical bytes).
    #[must_use]
    pub fn hash(&self, prev: &Hash) -> Hash {
        let mut h = Sha256::new();
        h.update(prev);
        h.update(self.canonical());
        h.finalize().into()
    }
}

/// Why a chain does not verify, at the first record that breaks it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Broken {
    /// A sequence number is missing or out of order (a record deleted or moved): the record
    /// found where `expected` should be.
    Sequence {
        /// The number that should come next.
        expected: i64,
        /// The number found.
        found: i64,
    },
    /// The record's stored previous hash is not the hash of the record before it (one was
    /// deleted, reordered or edited before it).
    Link {
        /// The record.
        seq: i64,
    },
    /// The record's stored hash is not the hash of its contents (it was edited).
    Content {
        /// The record.
        seq: i64,
    },
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Broken::Sequence { expected, found } => write!(
                f,
                "record {found} is where record {expected} should be (a record was deleted or moved)"
            ),
            Broken::Link { seq } => write!(
                f,
                "record {seq} does not follow the record before it (a record before it was deleted, moved or edited)"
            ),
            Broken::Content { seq } => {
                write!(f, "record {seq} does not match its hash (it was edited)")
            }
        }
    }
}

/// Walks a chain record by record: feed the records in stored order with their stored
/// previous hash and hash.
#[derive(Clone, Debug)]
pub struct Verifier {
    next: i64,
    prev: Hash,
}

impl Default for Verifier {
    fn default() -> Self {
        Self {
            next: 1,
            prev: GENESIS,
        }
    }
}

impl Verifier {
    /// Checks the next record.
    ///
    /// # Errors
    /// The first way it breaks the chain.
    pub fn check(
        &mut self,
        r: &AuditFields<'_>,
        prev_hash: &[u8],
        hash: &[u8],
    ) -> Result<(), Broken> {
        if r.seq != self.next {
            return Err(Broken::Sequence {
                expected: self.next,
                found: r.seq,
            });
        }
        if prev_hash != self.prev {
            return Err(Broken::Link { seq: r.seq });
        }
        let want = r.hash(&self.prev);
        if hash != want {
            return Err(Broken::Content { seq: r.seq });
        }
        self.next += 1;
        self.prev = want;
        Ok(())
    }

    /// How many records verified.
    #[must_use]
    pub fn verified(&self) -> i64 {
        self.next - 1
    }

    /// The last verified record's hash ([`GENESIS`] before the first).
    #[must_use]
    pub fn last_hash(&self) -> Hash {
        self.prev
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn rec(seq: i64, action: &'static str) -> AuditFields<'static> {
        AuditFields {
            seq,
            id: "0192c2f0-0000-7000-8000-000000000001",
            tenant_id: "0192c2f0-0000-7000-8000-0000000000aa",
            at: Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap(),
            actor: Some("0192c2f0-0000-7000-8000-0000000000bb"),
            action,
            target_type: "item",
            target_id: Some("0192c2f0-0000-7000-8000-0000000000cc"),
            summary: r#"{"after":{"name":"Rice"}}"#,
            request_id: None,
            client_addr: Some("127.0.0.1"),
        }
    }

    fn chain(n: i64) -> Vec<(AuditFields<'static>, Hash, Hash)> {
        let mut prev = GENESIS;
        (1..=n)
            .map(|s| {
                let r = rec(s, if s % 2 == 0 { "a.b" } else { "c.d" });
                let h = r.hash(&prev);
                let out = (r, prev, h);
                prev = h;
                out
            })
            .collect()
    }

    fn verify(c: &[(AuditFields<'_>, Hash, Hash)]) -> Result<i64, Broken> {
        let mut v = Verifier::default();
        for (r, p, h) in c {
            v.check(r, p, h)?;
        }
        Ok(v.verified())
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
        assert_eq!(verify(&[]), Ok(0));
    }

    #[test]
    fn an_edited_record_is_named() {
        let mut c = chain(5);
        c[2].0.summary = r#"{"after":{"name":"Gold"}}"#;
        assert_eq!(verify(&c), Err(Broken::Content { seq: 3 }));
        let mut c = chain(5);
        c[3].0.client_addr = None;
        assert_eq!(verify(&c), Err(Broken::Content { seq: 4 }));
    }

    #[test]
    fn a_deleted_record_is_named() {
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(
            verify(&c),
            Err(Broken::Sequence {
                expected: 2,
                found: 3
            })
        );
        // Renumbering the rest does not hide it: the link breaks.
        for (i, r) in c.iter_mut().enumerate() {
            r.0.seq = i as i64 + 1;
        }
        assert_eq!(verify(&c), Err(Broken::Link { seq: 2 }));
        // Deleting the last record cannot be seen in the chain itself: the head row keeps the
        // last number and hash (the store checks the chain ends at its head).
    }

    #[test]
    fn a_reordered_record_is_named() {
        let mut c = chain(5);
        c.swap(1, 2);
        assert_eq!(
            verify(&c),
            Err(Broken::Sequence {
                expected: 2,
                found: 3
            })
        );
        // Swapping the numbers too breaks the links.
        let mut c = chain(5);
        c.swap(1, 2);
        c[1].0.seq = 2;
        c[2].0.seq = 3;
        assert!(matches!(
            verify(&c),
            Err(Broken::Link { seq: 2 } | Broken::Content { seq: 2 })
        ));
    }

    #[test]
    fn absent_and_empty_fields_differ() {
        let mut a = rec(1, "x.y");
        let mut b = rec(1, "x.y");
        a.request_id = None;
        b.request_id = Some("");
        assert_ne!(a.canonical(), b.canonical());
        assert_ne!(a.hash(&GENESIS), b.hash(&GENESIS));
    }
}
