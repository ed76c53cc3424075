//! Mail rules (ADR 029): which addresses a message may be sent to, how big it may be, when a
//! message the mail server did not take is tried again, and when it is given up.

use chrono::Duration;

use crate::text::{Email, TextError};

/// The waits after each temporarily failed attempt (the server down, a 4xx answer): 1 min,
/// 5 min, 15 min, 30 min, 1 h, 2 h, 4 h; eight attempts over 7 h 51 min, then the message is
/// given up. A mail server is seldom down longer; an alert hours late is worth less than the
/// operator's notice that it failed (the delivery log), and RFC 5321 §4.5.4.1 asks a sender to
/// wait at least 30 minutes between its later retries. A permanent refusal (5xx) is not retried.
pub const RETRY_WAITS_SECS: [i64; 7] = [60, 300, 900, 1_800, 3_600, 7_200, 14_400];

/// How long after attempt `attempt` (1 = the first) failed temporarily the next one is due, or
/// `None` when it was the last.
#[must_use]
pub fn retry_after(attempt: u32) -> Option<Duration> {
    let i = usize::try_from(attempt).ok()?.checked_sub(1)?;
    RETRY_WAITS_SECS.get(i).map(|s| Duration::seconds(*s))
}

/// Attempts a message gets in all (the first and every retry).
#[must_use]
pub fn max_attempts() -> u32 {
    u32::try_from(RETRY_WAITS_SECS.len()).unwrap_or(u32::MAX) + 1
}

/// Most recipients of one message.
pub const MAX_RECIPIENTS: usize = 20;
/// Most characters of a subject.
pub const MAX_SUBJECT_CHARS: usize = 200;
/// Most bytes of a message's bodies and attachments together (10 MiB: under the 10 to 25 MB
/// most mail servers accept once base64 has grown it by a third).
pub const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;

/// Whether `c` may stand in a dot-atom's atom (RFC 5322 §3.2.3 `atext`, and any non-ASCII
/// character as RFC 6531 allows).
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
}

/// A mail address as Larder sends to it: an [`Email`] (trimmed, lower-cased, at most 254
/// characters) whose local part is a dot-atom (RFC 5322 §3.2.3: `atext` runs separated by
/// single dots; no quoted local parts) and whose domain is dot-separated labels of letters,
/// digits and inner hyphens, at most 63 characters each (RFC 1035 §2.3.1; non-ASCII labels,
/// which the sender converts to punycode, RFC 5890). Quoted local parts and address literals
/// (`user@[192.0.2.1]`) are refused: no supplier or colleague has one, and each is a way to
/// smuggle what a mail server reads as syntax.
///
/// # Errors
/// [`TextError`] saying what is wrong.
pub fn parse_address(raw: &str) -> Result<String, TextError> {
    let email = Email::parse(raw)?;
    let (local, domain) = email
        .as_str()
        .rsplit_once('@')
        .ok_or(TextError::Shape("is not an email address"))?;
    let dot_atom = |s: &str| {
        !s.is_empty()
            && s.split('.')
                .all(|a| !a.is_empty() && a.chars().all(is_atext))
    };
    if local.chars().count() > 64 || !dot_atom(local) {
        return Err(TextError::Shape(
            "has a local part (before the @) a mail server would refuse",
        ));
    }
    let label = |l: &str| {
        !l.is_empty()
            && l.chars().count() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    if !domain.split('.').all(label) {
        return Err(TextError::Shape(
            "has a domain (after the @) that is not a host name",
        ));
    }
    Ok(email.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_for_hours_then_give_up() {
        assert_eq!(retry_after(0), None);
        assert_eq!(retry_after(1), Some(Duration::minutes(1)));
        assert_eq!(retry_after(7), Some(Duration::hours(4)));
        assert_eq!(retry_after(8), None);
        assert_eq!(max_attempts(), 8);
        let total: i64 = RETRY_WAITS_SECS.iter().sum();
        assert_eq!(total, 7 * 3600 + 51 * 60);
        assert!(RETRY_WAITS_SECS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn addresses_are_dot_atoms_at_host_names() {
        for ok in [
            "orders@supplier.example",
            " Orders.Desk+po@Mail.Supplier.co.uk ",
            "o'neil@example.com",
            "küche@bäckerei.example",
            "a@localhost",
        ] {
            assert!(parse_address(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            parse_address(" Orders@Supplier.Example ").ok().as_deref(),
            Some("orders@supplier.example")
        );
        for bad in [
            "",
            "orders",
            "@example.com",
            "orders@",
            "a..b@example.com",
            ".a@example.com",
            "a.@example.com",
            "\"quoted\"@example.com",
            "a(b)@example.com",
            "a,b@example.com",
            "a<b@example.com",
            "a@[192.0.2.1]",
            "a@exa_mple.com",
            "a@-example.com",
            "a@example-.com",
            "a@example..com",
            "a b@example.com",
            "a@b@example.com",
            "a\r\nBcc: x@example.com",
        ] {
            assert!(parse_address(bad).is_err(), "{bad:?}");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(parse_address(&long_local).is_err());
        let long_label = format!("a@{}.com", "b".repeat(64));
        assert!(parse_address(&long_label).is_err());
    }
}
