//! A fast path for the most common `--jq` programs: a plain path of field names and `[]`
//! iterations, such as `.items[].metadata.name`.
//!
//! Such a program needs no tree: the response is scanned once and only the selected values are
//! built; everything else is skipped without allocating (serde's `IgnoredAny`). On a 25 MB
//! PodList that is several times faster than parsing the whole document for jaq. Whenever the
//! document does something where jq's answer is not a plain projection — indexing a non-object,
//! iterating `null`, a duplicated key, or selecting a value that serde_json would print
//! differently from jq (an object or array, whose key order jq keeps; a float; an integer
//! beyond 64 bits) — [`Path::run`] gives up and the caller runs
//! the real jaq program, so the output (and jq's error messages) are always jaq's.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// One step of a path program.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    /// `.name`
    Field(String),
    /// `[]` or `.[]`
    Iterate,
}

/// A jq program that is a plain path (`.a.b[].c`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    steps: Vec<Step>,
}

impl Path {
    /// Recognise a plain path program; `None` for anything else (it then runs in jaq).
    pub fn parse(source: &str) -> Option<Path> {
        let s = source.trim();
        let bytes = s.as_bytes();
        if bytes.first() != Some(&b'.') {
            return None;
        }
        let mut steps = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i..].starts_with(b"[]") {
                steps.push(Step::Iterate);
                i += 2;
            } else if bytes[i..].starts_with(b".[]") {
                steps.push(Step::Iterate);
                i += 3;
            } else if bytes[i] == b'.' {
                let start = i + 1;
                let mut end = start;
                while end < bytes.len()
                    && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_')
                {
                    end += 1;
                }
                if end == start || bytes[start].is_ascii_digit() {
                    return None;
                }
                steps.push(Step::Field(s[start..end].to_string()));
                i = end;
            } else {
                return None;
            }
        }
        (!steps.is_empty()).then_some(Path { steps })
    }

    /// The values the path selects in `json`, in document order; `None` when the document
    /// needs the real jq (see the module documentation) or is not one JSON value.
    pub fn run(&self, json: &[u8]) -> Option<Vec<Value>> {
        let mut out = Vec::new();
        let mut de = serde_json::Deserializer::from_slice(json);
        Walk {
            steps: &self.steps,
            out: &mut out,
        }
        .deserialize(&mut de)
        .ok()?;
        de.end().ok()?;
        Some(out)
    }
}

/// The error that makes the caller fall back to jaq.
#[derive(Debug)]
struct Fallback;

/// Apply `steps` to the value being deserialized, pushing what they select.
struct Walk<'a> {
    steps: &'a [Step],
    out: &'a mut Vec<Value>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if self.steps.is_empty() {
            let v = <Value as serde::Deserialize>::deserialize(d)?;
            // Only values that print the same from serde_json as from jq: an object's key
            // order, a float's text (`1.0`, `1E2`) or a number beyond 64 bits would not.
            let plain = match &v {
                Value::Null | Value::Bool(_) | Value::String(_) => true,
                Value::Number(n) => n.is_i64() || n.is_u64(),
                Value::Array(_) | Value::Object(_) => false,
            };
            if !plain {
                return Err(fallback());
            }
            self.out.push(v);
            return Ok(());
        }
        d.deserialize_any(self)
    }
}

fn fallback<E: de::Error>() -> E {
    E::custom(Fallback)
}

impl fmt::Display for Fallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a plain projection: run jaq")
    }
}

impl Walk<'_> {
    /// The rest of the path applied to a missing field or a `null`: jq gives `null` for field
    /// access and an error for iteration (left to jaq).
    fn on_null<E: de::Error>(self) -> Result<(), E> {
        if self.steps.contains(&Step::Iterate) {
            return Err(fallback());
        }
        self.out.push(Value::Null);
        Ok(())
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (first, rest) = match self.steps.split_first() {
            Some(x) => x,
            None => return Err(fallback()),
        };
        match first {
            Step::Iterate => {
                // A duplicated key: jq keeps the last value, in the first key's place.
                let mut seen = std::collections::HashSet::new();
                while let Some(key) = map.next_key::<String>()? {
                    if !seen.insert(key) {
                        return Err(fallback());
                    }
                    map.next_value_seed(Walk {
                        steps: rest,
                        out: self.out,
                    })?;
                }
                Ok(())
            }
            Step::Field(name) => {
                let mut found = false;
                while let Some(hit) = map.next_key_seed(KeyIs(name))? {
                    if hit {
                        if found {
                            // jq keeps the last of duplicated keys: let jaq decide.
                            return Err(fallback());
                        }
                        found = true;
                        map.next_value_seed(Walk {
                            steps: rest,
                            out: self.out,
                        })?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                if found {
                    Ok(())
                } else {
                    Walk {
                        steps: rest,
                        out: self.out,
                    }
                    .on_null()
                }
            }
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        match self.steps.split_first() {
            Some((Step::Iterate, rest)) => {
                while seq
                    .next_element_seed(Walk {
                        steps: rest,
                        out: self.out,
                    })?
                    .is_some()
                {}
                Ok(())
            }
            _ => Err(fallback()),
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        match self.steps.first() {
            Some(Step::Field(_)) => Walk {
                steps: &self.steps[1..],
                out: self.out,
            }
            .on_null(),
            _ => Err(fallback()),
        }
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(fallback())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(fallback())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(fallback())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(fallback())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(fallback())
    }
}

/// Deserializes an object key and says whether it is `self.0`, without allocating.
struct KeyIs<'a>(&'a str);

impl<'de> DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIs<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        Ok(v == self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(program: &str, doc: &str) -> Option<Vec<Value>> {
        Path::parse(program)
            .expect("a path program")
            .run(doc.as_bytes())
    }

    #[test]
    fn recognises_only_plain_paths() {
        assert!(Path::parse(".items[].metadata.name").is_some());
        assert!(Path::parse(" .a.b ").is_some());
        assert!(Path::parse(".[]").is_some());
        assert!(Path::parse(".items[] | .x").is_none());
        assert!(Path::parse(".").is_none());
        assert!(Path::parse("length").is_none());
        assert!(Path::parse(".a[0]").is_none());
        assert!(Path::parse(".\"a b\"").is_none());
        assert!(Path::parse(".a?").is_none());
        assert!(Path::parse(".1").is_none());
    }

    #[test]
    fn projects_like_jq() {
        let doc = r#"{"kind":"PodList","items":[{"metadata":{"name":"a","n":1e3}},{"metadata":{"name":"b"}},{"metadata":{}}]}"#;
        assert_eq!(
            run(".items[].metadata.name", doc),
            Some(vec![json!("a"), json!("b"), Value::Null])
        );
        assert_eq!(run(".kind", doc), Some(vec![json!("PodList")]));
        assert_eq!(run(".missing.deeper", doc), Some(vec![Value::Null]));
        assert_eq!(
            run(".[]", r#"{"a":1,"b":true}"#),
            Some(vec![json!(1), json!(true)])
        );
    }

    #[test]
    fn anything_jq_would_treat_specially_falls_back() {
        // Iterating null, indexing an array or a scalar: jq errors; jaq must say so.
        assert_eq!(run(".missing[]", "{}"), None);
        assert_eq!(run(".a.b", r#"{"a":[1]}"#), None);
        assert_eq!(run(".a.b", r#"{"a":"s"}"#), None);
        assert_eq!(run(".a[]", r#"{"a":5}"#), None);
        // Duplicated key on the path: jq keeps the last one.
        assert_eq!(run(".a", r#"{"a":1,"a":2}"#), None);
        // Objects, arrays, floats and big integers print differently from jq: jaq prints them.
        assert_eq!(
            run(".items[].metadata", r#"{"items":[{"metadata":{}}]}"#),
            None
        );
        assert_eq!(run(".a", r#"{"a":[1]}"#), None);
        assert_eq!(run(".a", r#"{"a":1.0}"#), None);
        assert_eq!(run(".a", r#"{"a":123456789012345678901234}"#), None);
        assert_eq!(run(".[]", r#"{"a":1,"b":2,"a":3}"#), None);
        // Not exactly one JSON value.
        assert_eq!(run(".a", r#"{"a":1} {"a":2}"#), None);
        assert_eq!(run(".a", r#"{"a":"#), None);
    }
}
