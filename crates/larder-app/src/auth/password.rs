//! The policy for new passwords, after NIST SP 800-63B §3.1.1.2 (revision 4, 2024): at least
//! 8 characters, up to 256 accepted (at least 64 required), every printable character and
//! space allowed, no composition rules, and a check against a blocklist of "commonly-used,
//! expected, or compromised" values: the 8,354 common passwords of 8 or more characters in
//! `data/common-passwords.txt` (see its `SOURCE.md`), a password of one repeated character or
//! a run of consecutive characters (`aaaaaaaa`, `12345678`, `abcdefgh`), and words of the
//! context (the service's name, the person's email or name, the tenant's name).

use std::collections::HashSet;
use std::sync::OnceLock;

use larder_core::Password;

use crate::AppError;

/// Fewest characters a new password may have.
pub const MIN_CHARS: usize = 8;

static COMMON: &str = include_str!("../../data/common-passwords.txt");

fn common() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| COMMON.lines().filter(|l| !l.is_empty()).collect())
}

/// Checks a new password; `context` holds words a guesser would try first (email, names).
///
/// # Errors
/// 422 on `field` saying which rule it breaks (never echoing the password).
pub fn check(field: &str, password: &Password, context: &[&str]) -> Result<(), AppError> {
    let pw = password.as_str();
    let chars: Vec<char> = pw.chars().collect();
    if chars.len() < MIN_CHARS {
        return Err(AppError::invalid(
            field,
            format!("must be at least {MIN_CHARS} characters"),
        ));
    }
    let lower = pw.to_lowercase();
    if common().contains(lower.as_str()) {
        return Err(AppError::invalid(
            field,
            "is on the list of commonly used passwords; choose another",
        ));
    }
    if chars.windows(2).all(|w| w[0] == w[1]) {
        return Err(AppError::invalid(
            field,
            "must not be one repeated character",
        ));
    }
    let step = |w: &[char]| i64::from(u32::from(w[1])) - i64::from(u32::from(w[0]));
    let first = step(&chars[..2]);
    if first.abs() == 1 && chars.windows(2).all(|w| step(w) == first) {
        return Err(AppError::invalid(
            field,
            "must not be a run of consecutive characters",
        ));
    }
    let words = std::iter::once("larder").chain(context.iter().flat_map(|c| {
        // The email's local part and the words of names, each long enough to matter.
        c.split(|ch: char| ch == '@' || !ch.is_alphanumeric())
            .filter(|w| w.chars().count() >= 4)
    }));
    for w in words {
        let w = w.to_lowercase();
        // The password is the word itself, or the word with a few characters around it.
        if lower.contains(&w) && lower.chars().count() <= w.chars().count() + 4 {
            return Err(AppError::invalid(
                field,
                "must not be built on the service's, your or your restaurant's name",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pw(s: &str) -> Password {
        Password::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn refused(s: &str, context: &[&str]) -> Option<String> {
        check("password", &pw(s), context)
            .err()
            .map(|e| e.to_string())
    }

    #[test]
    fn the_examples_from_the_review_are_refused() {
        for (p, why) in [
            ("password", "commonly used"),
            ("12345678", "commonly used"),
            ("        ", "repeated"),
            ("~~~~~~~~~~", "repeated"),
            ("bcdefghijk", "consecutive"),
            ("zyxwvutsr", "consecutive"),
            ("short", "at least 8"),
            ("Larder2026", "name"),
            ("trattoria!!", "name"),
            ("giovanni77", "name"),
        ] {
            let e = refused(p, &["giovanni@example.com", "Trattoria Roma"]);
            assert!(e.as_deref().is_some_and(|e| e.contains(why)), "{p}: {e:?}");
        }
    }

    #[test]
    fn long_passphrases_and_unusual_passwords_pass_without_composition_rules() {
        for p in [
            "correct horse battery",
            "takeaway-demo-2019",
            "all lower case but long enough",
            "Ünïcödé pässwörd",
            "roma trattoria in the old town by the river",
        ] {
            assert_eq!(
                refused(p, &["giovanni@example.com", "Trattoria Roma"]),
                None,
                "{p}"
            );
        }
    }

    #[test]
    fn the_list_is_loaded_and_lower_case() {
        assert!(common().len() > 8_000);
        assert!(common().iter().all(|p| p.chars().count() >= MIN_CHARS));
        assert!(common().contains("iloveyou"));
    }
}
