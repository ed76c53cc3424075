//! Text a client may send, under one policy on every backend and every interface.
//!
//! A text is refused when it is longer than its type allows (counted in Unicode code points, as
//! JSON Schema's `maxLength` counts), or when it holds a control character (Unicode general
//! category Cc: U+0000–U+001F and U+007F–U+009F; [`Note`] allows line feed, carriage return
//! and tab). What is kept is trimmed of Unicode `White_Space` and normalized to NFC (Unicode
//! Standard Annex #15), and must hold at least one visible character: one that is neither
//! `White_Space` nor `Default_Ignorable_Code_Point` (zero-width spaces, joiners, bidi controls,
//! variation selectors, the soft hyphen...; the property is from the Unicode Character
//! Database's `DerivedCoreProperties.txt`). PostgreSQL cannot store NUL in text and SQLite
//! can; refusing every control character before storage keeps the two backends alike.
//!
//! Each type documents itself in OpenAPI with `minLength`, `maxLength` and a `pattern` that
//! accepts exactly what the type accepts before normalization (the pattern's "visible" class
//! covers the Basic Multilingual Plane; the few supplementary-plane default-ignorables, such as
//! the tag characters U+E0000–U+E007F, are refused by the code as well).

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use unicode_normalization::UnicodeNormalization;

/// Why a text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Nothing visible once trimmed.
    #[error("must contain a visible character")]
    Empty,
    /// Longer than the type allows.
    #[error("must be at most {max} characters")]
    TooLong {
        /// Code points allowed.
        max: usize,
    },
    /// A control character (its code point given).
    #[error("must not contain control characters (U+{0:04X})")]
    Control(u32),
    /// Not the expected shape (an email without `@`).
    #[error("{0}")]
    Shape(&'static str),
}

/// Whether `c` is a control character (general category Cc).
pub fn is_control(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
}

/// Whether `c` has the Unicode `Default_Ignorable_Code_Point` property (Unicode 15,
/// `DerivedCoreProperties.txt`): rendered as nothing by default.
pub fn is_default_ignorable(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}'..='\u{1160}' | '\u{17B4}'..='\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// Whether `c` shows: neither `White_Space` nor default-ignorable nor a control.
pub fn is_visible(c: char) -> bool {
    !c.is_whitespace() && !is_default_ignorable(c) && !is_control(c)
}

/// The regex character class of control characters, as used in the OpenAPI patterns.
const CONTROL_CLASS: &str = r"\u0000-\u001F\u007F-\u009F";
/// White_Space and the BMP's Default_Ignorable_Code_Point, as a regex class body.
const INVISIBLE_CLASS: &str = r"\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF0-\uFFF8";

/// The OpenAPI pattern for a text with no control characters (except those `allowed`, a
/// regex class body such as `\n\r\t`) and at least one visible character.
pub fn pattern(allowed: &str) -> String {
    let any = if allowed.is_empty() {
        format!("[^{CONTROL_CLASS}]")
    } else {
        // Everything but controls, or one of the allowed controls.
        format!("(?:[^{CONTROL_CLASS}]|[{allowed}])")
    };
    format!("^{any}*[^{CONTROL_CLASS}{INVISIBLE_CLASS}]{any}*$")
}

/// Checks `raw` against the policy and returns it trimmed and in NFC.
///
/// # Errors
/// [`TextError`] when too long, holding a control character not in `allowed`, or invisible.
pub fn clean(raw: &str, max: usize, allowed: &[char]) -> Result<String, TextError> {
    let mut count = 0usize;
    for c in raw.chars() {
        count += 1;
        if is_control(c) && !allowed.contains(&c) {
            return Err(TextError::Control(u32::from(c)));
        }
    }
    if count > max {
        return Err(TextError::TooLong { max });
    }
    let trimmed = raw.trim();
    if !trimmed.chars().any(is_visible) {
        return Err(TextError::Empty);
    }
    Ok(trimmed.nfc().collect())
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, $max:expr, $allowed:expr, $allowed_re:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Most code points accepted.
            pub const MAX_CHARS: usize = $max;

            /// Checks and normalizes `raw` (see the module's policy).
            ///
            /// # Errors
            /// [`TextError`].
            pub fn parse(raw: &str) -> Result<Self, TextError> {
                clean(raw, $max, $allowed).map(Self)
            }
            /// The normalized text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
            /// The normalized text, owned.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = TextError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        write!(f, "a string of at most {} characters", $max)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$name, E> {
                        $name::parse(v).map_err(E::custom)
                    }
                }
                d.deserialize_str(V)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .min_length(Some(1))
                    .max_length(Some($max))
                    .pattern(Some(pattern($allowed_re)))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

text_type!(
    /// A name on one line, 1–200 characters: an item, recipe, menu item, location, tenant or
    /// person.
    Name,
    200,
    &[],
    ""
);

text_type!(
    /// A short label on one line, 1–100 characters: a category, a pack's name, a reason, a
    /// search term.
    Label,
    100,
    &[],
    ""
);

text_type!(
    /// A code on one line, 1–64 characters: a SKU, a POS ticket reference, an import source.
    Code,
    64,
    &[],
    ""
);

text_type!(
    /// Free text of up to 2,000 characters that may span lines (line feed, carriage return and
    /// tab are its only allowed control characters).
    Note,
    2000,
    &['\n', '\r', '\t'],
    r"\n\r\t"
);

/// An email address: up to 254 characters (RFC 5321's path limit), one `@` with text on both
/// sides, no spaces or controls; kept trimmed and lower-cased, since Larder treats addresses
/// case-insensitively.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Most code points accepted.
    pub const MAX_CHARS: usize = 254;

    /// Checks and normalizes `raw`.
    ///
    /// # Errors
    /// [`TextError`] when too long, holding a control character or space, or not
    /// `local@domain`.
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let v = clean(raw, Self::MAX_CHARS, &[])?;
        if v.chars().any(|c| !is_visible(c)) {
            return Err(TextError::Shape("must not contain spaces"));
        }
        match v.split_once('@') {
            Some((local, domain))
                if !local.is_empty() && !domain.is_empty() && !domain.contains('@') =>
            {
                Ok(Self(v.to_lowercase()))
            }
            _ => Err(TextError::Shape("is not an email address")),
        }
    }

    /// The address, lower-cased.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Email {
    type Err = TextError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Email {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Email::parse(&s).map_err(de::Error::custom)
    }
}

impl utoipa::PartialSchema for Email {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let part = format!("[^@{CONTROL_CLASS}{INVISIBLE_CLASS}]+");
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .min_length(Some(3))
            .max_length(Some(Self::MAX_CHARS))
            .pattern(Some(format!("^{part}@{part}$")))
            .into()
    }
}

impl utoipa::ToSchema for Email {}

/// A password as typed: 1–256 characters, no control characters, not trimmed, normalized to
/// NFKC as NIST SP 800-63B §5.1.1.2 recommends (so the same password typed on different
/// keyboards matches). New passwords are checked further by the auth context's policy.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Most code points accepted (NIST SP 800-63B asks for at least 64).
    pub const MAX_CHARS: usize = 256;

    /// Checks and normalizes `raw`.
    ///
    /// # Errors
    /// [`TextError`] when empty, too long or holding a control character.
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let mut count = 0usize;
        for c in raw.chars() {
            count += 1;
            if is_control(c) {
                return Err(TextError::Control(u32::from(c)));
            }
        }
        if count == 0 {
            return Err(TextError::Empty);
        }
        if count > Self::MAX_CHARS {
            return Err(TextError::TooLong {
                max: Self::MAX_CHARS,
            });
        }
        Ok(Self(raw.nfkc().collect()))
    }

    /// The normalized password.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Password {
    type Err = TextError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

impl<'de> Deserialize<'de> for Password {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Password::parse(&s).map_err(de::Error::custom)
    }
}

impl Serialize for Password {
    /// Never reveals the password.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("***")
    }
}

impl utoipa::PartialSchema for Password {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .min_length(Some(1))
            .max_length(Some(Self::MAX_CHARS))
            .pattern(Some(format!("^[^{CONTROL_CLASS}]+$")))
            .format(Some(utoipa::openapi::SchemaFormat::Custom(
                "password".into(),
            )))
            .into()
    }
}

impl utoipa::ToSchema for Password {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_normalized_and_need_a_visible_character() {
        assert_eq!(
            Name::parse("  Tomato  ").map(Name::into_string),
            Ok("Tomato".into())
        );
        // "e" + combining acute becomes the precomposed é.
        assert_eq!(
            Name::parse("Cafe\u{301}").map(Name::into_string),
            Ok("Caf\u{e9}".into())
        );
        for invisible in [
            "",
            "   ",
            "\u{200b}\u{200b}",
            "\u{feff}",
            " \u{00a0}\u{3000}",
            "\u{e0001}",
        ] {
            assert_eq!(
                Name::parse(invisible),
                Err(TextError::Empty),
                "{invisible:?}"
            );
        }
    }

    #[test]
    fn control_characters_are_refused_with_their_code_point() {
        assert_eq!(Name::parse("a\0b"), Err(TextError::Control(0)));
        assert_eq!(Name::parse("a\nb"), Err(TextError::Control(10)));
        assert_eq!(Name::parse("a\u{85}"), Err(TextError::Control(0x85)));
        assert_eq!(
            Note::parse("line one\nline two\ttab").map(|n| n.0),
            Ok("line one\nline two\ttab".into())
        );
        assert_eq!(Note::parse("a\0"), Err(TextError::Control(0)));
    }

    #[test]
    fn length_counts_code_points_of_the_text_as_sent() {
        let max = "é".repeat(Name::MAX_CHARS);
        assert!(Name::parse(&max).is_ok());
        assert_eq!(
            Name::parse(&format!("{max}x")),
            Err(TextError::TooLong { max: 200 })
        );
    }

    #[test]
    fn emails_are_lower_cased_and_shaped() {
        assert_eq!(
            Email::parse(" Ana@Example.COM ").map(|e| e.0),
            Ok("ana@example.com".into())
        );
        for bad in ["ana", "@x", "ana@", "a b@x", "a@b@c", "a\0@x"] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_keep_spaces_and_refuse_controls() {
        assert_eq!(
            Password::parse("  two words ").map(|p| p.0),
            Ok("  two words ".into())
        );
        assert_eq!(Password::parse("pass\0word"), Err(TextError::Control(0)));
        assert_eq!(Password::parse(""), Err(TextError::Empty));
        // NFKC: the fullwidth A becomes A.
        assert_eq!(Password::parse("\u{ff21}bc").map(|p| p.0), Ok("Abc".into()));
        assert_eq!(
            format!("{:?}", Password::parse("secret")),
            "Ok(Password(***))"
        );
    }

    proptest::proptest! {
        /// The OpenAPI pattern accepts exactly what `parse` accepts, for any text of the Basic
        /// Multilingual Plane drawn from a mix that favours the edge characters.
        #[test]
        fn the_documented_pattern_matches_what_parse_accepts(
            chars in proptest::collection::vec(proptest::prop_oneof![
                proptest::char::range('\u{0}', '\u{a0}'),
                proptest::sample::select(vec!['\u{200b}', '\u{feff}', '\u{3000}', '\u{ad}', '\u{2028}', '\u{fe0f}', '\u{e9}', '\u{301}', '\u{6f22}', ' ']),
                proptest::char::range('\u{a0}', '\u{d7ff}'),
            ], 0..6)
        ) {
            let s: String = chars.into_iter().collect();
            for (allowed_re, allowed, is_note) in [("", &[][..], false), (r"\n\r\t", &['\n', '\r', '\t'][..], true)] {
                let re = regex::Regex::new(&pattern(allowed_re)).unwrap_or_else(|e| panic!("{e}"));
                let parsed = clean(&s, 200, allowed).is_ok();
                proptest::prop_assert_eq!(re.is_match(&s), parsed, "{:?} note={}", s, is_note);
            }
        }
    }
}
