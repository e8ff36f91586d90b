//! `Secret`: a string that must never be printed.
//!
//! Tokens, passwords and private keys travel through kcurl in this type. Its `Debug` and
//! `Display` print `<redacted>`, so a stray `{:?}` in an error message or a panic cannot leak
//! the value; code that really needs the value calls [`Secret::expose`].

use std::fmt;

use serde::{Deserialize, Deserializer};

/// A secret string (token, password, private key PEM). Prints as `<redacted>`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret value itself: only for putting it on the wire or handing it to TLS.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the value is empty (an empty token is "no token", as in client-go).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_redact() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(format!("{s}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some(<redacted>)");
        assert_eq!(s.expose(), "hunter2");
    }
}
