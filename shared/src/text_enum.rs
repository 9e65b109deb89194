//! Enums written as fixed words on the wire: one macro gives each its serde names, its
//! list of words for forms, `FromStr` with a message that names the choices, and `Display`.

use std::fmt;

/// A word that is none of an enum's choices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownChoice {
    /// What the words name (`target`, `job kind`, ...).
    pub what: &'static str,
    /// The word given.
    pub given: String,
    /// The words accepted.
    pub choices: &'static [&'static str],
}

impl fmt::Display for UnknownChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} `{}`: use one of {}",
            self.what,
            self.given,
            self.choices.join(", ")
        )
    }
}

impl std::error::Error for UnknownChoice {}

/// Declares a `Copy` enum whose variants are written as the given words (`Variant = "word"`,
/// optionally `| "alias"` for older spellings that are still read).
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $name:ident ($what:literal) {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal $(| $alias:literal)*),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(into = "&'static str", try_from = "String")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in the order forms list them.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];
            /// The words of [`Self::ALL`], for forms.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// The word as stored and shown.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::text_enum::UnknownChoice;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $($text $(| $alias)* => Ok(Self::$variant),)+
                    other => Err($crate::text_enum::UnknownChoice {
                        what: $what,
                        given: other.to_owned(),
                        choices: Self::NAMES,
                    }),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::text_enum::UnknownChoice;

            fn try_from(text: String) -> Result<Self, Self::Error> {
                text.parse()
            }
        }

        impl From<$name> for &'static str {
            fn from(value: $name) -> Self {
                value.as_str()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::text_enum::string_schema(Some(Self::NAMES), None)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}

pub(crate) use text_enum;

/// The JSON schema of a value written as a string: one of `choices`, or any string matching
/// `pattern`.
#[cfg(feature = "openapi")]
pub(crate) fn string_schema(
    choices: Option<&[&str]>,
    pattern: Option<&str>,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};

    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(choices.map(|c| c.iter().copied()))
        .pattern(pattern)
        .into()
}

/// Gives a type written as a string (`Display`, and `FromStr` with a `String` error) the
/// conversions its `#[serde(into = "String", try_from = "String")]` needs, and (with the
/// `openapi` feature) a string schema whose values match `pattern`.
macro_rules! string_serde {
    ($name:ty, $pattern:literal) => {
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::text_enum::string_schema(None, Some($pattern))
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.to_string()
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(text: String) -> Result<Self, String> {
                text.parse()
            }
        }
    };
}

pub(crate) use string_serde;
