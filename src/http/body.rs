//! The request body and headers: `--data` read (a file, stdin, or the argument), YAML turned
//! into JSON, a large stdin body streamed once; `-H` parsed; the headers sent (defaults, the
//! Content-Type and Accept kcurl chooses, credentials, impersonation, the user's own last).
//!
//! Reads the body's source; sends nothing.

use std::io::Read;
use std::sync::Mutex;

use ureq::http::{self, HeaderName, HeaderValue};

use crate::auth::Credentials;
use crate::diag::{display_path, io_reason, sanitize};
use crate::error::{Error, Result};

/// kcurl's Accept header, unless `--table` or `-H` says otherwise.
pub const DEFAULT_ACCEPT: &str = "application/json, */*";

/// The body of the request, read before any connection is made.
#[derive(Debug)]
pub enum Body {
    None,
    /// Held in memory: sent with every attempt (retries, the 401 refresh, every context).
    Bytes(Vec<u8>),
    /// A stdin body too large for memory: sent once, streamed (no conversion, no retries).
    Streamed(Mutex<Option<Streamed>>),
}

impl Body {
    /// Read `--data` (`@file`, `@-`, or the text itself); JSON or YAML is converted to JSON
    /// unless the user set a Content-Type; a `-H Content-Length` must match it.
    pub fn read(
        data: Option<&str>,
        user_headers: &[(HeaderName, Option<HeaderValue>)],
        apply: bool,
    ) -> Result<Body> {
        let user_content_type = user_headers
            .iter()
            .any(|(n, _)| n == http::header::CONTENT_TYPE);
        let (bytes, streamed) = read_body(data)?;
        let bytes = match bytes {
            Some(b) if !user_content_type && !b.is_empty() => {
                let label = data_label(data.unwrap_or(""));
                Some(convert_body(b, apply, &label)?)
            }
            other => other,
        };
        check_content_length(user_headers, bytes.as_deref(), streamed.is_some())?;
        Ok(match (bytes, streamed) {
            (_, Some(s)) => Body::Streamed(Mutex::new(Some(s))),
            (Some(b), None) => Body::Bytes(b),
            (None, None) => Body::None,
        })
    }

    /// True when the body is a large stdin stream that can be sent only once.
    pub fn is_streamed(&self) -> bool {
        matches!(self, Body::Streamed(_))
    }

    /// True when there is a body.
    pub fn is_some(&self) -> bool {
        !matches!(self, Body::None)
    }

    /// The size of a body held in memory, for `-v`.
    pub fn size(&self) -> Option<usize> {
        match self {
            Body::Bytes(b) => Some(b.len()),
            _ => None,
        }
    }

    /// What to send with the next attempt: the bytes again, or the stream (once).
    pub fn next(&self) -> Payload {
        match self {
            Body::None => Payload::None,
            Body::Bytes(b) => Payload::Bytes(b.clone()),
            Body::Streamed(s) => match s.lock().ok().and_then(|mut s| s.take()) {
                Some(s) => Payload::Streamed(s),
                None => Payload::None,
            },
        }
    }
}

/// One attempt's body, owned.
pub enum Payload {
    None,
    Bytes(Vec<u8>),
    Streamed(Streamed),
}

/// Bodies from stdin are kept in memory up to this size (YAML conversion and retries need
/// them whole; the API server refuses objects above ~3 MiB anyway); a larger body is streamed,
/// once, without conversion or retries.
pub const STDIN_BUFFER: u64 = 8 << 20;

/// A request body that did not fit in memory: the part read so far and the rest of stdin.
pub struct Streamed {
    pub head: Vec<u8>,
    pub rest: Box<dyn Read + Send>,
}

impl std::fmt::Debug for Streamed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Streamed {{ head: {} bytes, rest: stdin }}",
            self.head.len()
        )
    }
}

/// The request body, read (or, for a large stdin body, started) before any connection is made.
fn read_body(data: Option<&str>) -> Result<(Option<Vec<u8>>, Option<Streamed>)> {
    let Some(data) = data else {
        return Ok((None, None));
    };
    if data == "@-" {
        let mut head = Vec::new();
        std::io::stdin()
            .lock()
            .take(STDIN_BUFFER + 1)
            .read_to_end(&mut head)
            .map_err(|e| Error::Config(format!("--data @-: cannot read standard input: {e}")))?;
        if head.len() as u64 <= STDIN_BUFFER {
            return Ok((Some(head), None));
        }
        return Ok((
            None,
            Some(Streamed {
                head,
                rest: Box::new(std::io::stdin()),
            }),
        ));
    }
    if let Some(path) = data.strip_prefix('@') {
        let path = std::path::Path::new(path);
        return std::fs::read(path).map(|b| (Some(b), None)).map_err(|e| {
            Error::Config(format!(
                "--data: cannot read {}: {}",
                display_path(path),
                io_reason(&e)
            ))
        });
    }
    Ok((Some(data.as_bytes().to_vec()), None))
}

/// Parse the `-H 'Name: value'` arguments: `(name, Some(value))`, or `(name, None)` to remove.
pub fn parse_headers(raw: &[String]) -> Result<Vec<(HeaderName, Option<HeaderValue>)>> {
    raw.iter()
        .map(|h| {
            let Some((name, value)) = h.split_once(':') else {
                return Err(Error::Usage(format!(
                    "-H \"{h}\": expected 'Name: value' (or 'Name:' to remove a default header)"
                )));
            };
            let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
                Error::Usage(format!(
                    "-H \"{h}\": \"{}\" is not a valid header name",
                    name.trim()
                ))
            })?;
            let value = value.trim();
            if value.is_empty() {
                return Ok((name, None));
            }
            let value = HeaderValue::from_str(value).map_err(|_| {
                Error::Usage(format!(
                    "-H \"{name}: …\": the value contains characters not allowed in a header"
                ))
            })?;
            Ok((name, Some(value)))
        })
        .collect()
}

/// The headers to send, defaults first, user headers replacing defaults of the same name.
///
/// `accept` is kcurl's Accept (JSON, or a Table with `--table`); `content_type` is sent when
/// there is a body. Credentials are included only when `send_credentials` is true (same
/// origin, over https).
pub fn headers(
    user: &[(HeaderName, Option<HeaderValue>)],
    creds: &Credentials,
    send_credentials: bool,
    accept: &'static str,
    content_type: Option<&'static str>,
) -> Result<Vec<(HeaderName, HeaderValue)>> {
    let mut out: Vec<(HeaderName, HeaderValue)> = vec![
        (http::header::ACCEPT, HeaderValue::from_static(accept)),
        (
            http::header::USER_AGENT,
            HeaderValue::from_static(concat!("kcurl/", env!("CARGO_PKG_VERSION"))),
        ),
    ];
    if let Some(ct) = content_type {
        out.push((http::header::CONTENT_TYPE, HeaderValue::from_static(ct)));
    }
    if send_credentials {
        if let Some(auth) = &creds.http {
            let mut v = HeaderValue::from_str(auth.header_value().expose()).map_err(|_| {
                Error::Config(
                    "the token contains characters that cannot be sent in an HTTP header (a stray newline?)"
                        .to_string(),
                )
            })?;
            v.set_sensitive(true);
            out.push((http::header::AUTHORIZATION, v));
        }
    }
    // Impersonation is an authority claim like the token: the cluster's server only, over
    // https (client-go sends it on any transport; kcurl withholds it with the credentials).
    let impersonate = if send_credentials {
        creds.impersonate.headers()
    } else {
        Vec::new()
    };
    for (name, value) in impersonate {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            Error::Config(format!("impersonation header {name} is not a valid name"))
        })?;
        let value = HeaderValue::from_str(&value).map_err(|_| {
            Error::Config(format!(
                "impersonation value for {name} is not a valid header value"
            ))
        })?;
        out.push((name, value));
    }
    for (name, _) in user {
        out.retain(|(n, _)| n != name);
    }
    for (name, value) in user {
        if let Some(v) = value {
            out.push((name.clone(), v.clone()));
        }
    }
    Ok(out)
}

/// A `-H 'Content-Length: N'` must match the body that is sent: a larger N makes the server
/// wait for bytes that never come (a hang), a smaller one cuts the body. Usage error either way.
fn check_content_length(
    user: &[(HeaderName, Option<HeaderValue>)],
    body: Option<&[u8]>,
    streamed: bool,
) -> Result<()> {
    for (name, value) in user {
        if name != http::header::CONTENT_LENGTH {
            continue;
        }
        let Some(value) = value else { continue };
        let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
        let given: Option<u64> = text.trim().parse().ok();
        let actual = body.map_or(0, |b| b.len() as u64);
        if streamed || given != Some(actual) {
            let what = if streamed {
                "a body streamed from stdin".to_string()
            } else {
                format!("the body is {actual} bytes")
            };
            return Err(Error::Usage(format!(
                "-H \"Content-Length: {}\": {what}; drop the header (kcurl sets Content-Length \
                 from the body)",
                sanitize(&text)
            )));
        }
    }
    Ok(())
}

/// `--data`, `--data @pod.yaml` or `--data @- (stdin)`, for messages.
fn data_label(data: &str) -> String {
    match data {
        "@-" => "--data @- (stdin)".to_string(),
        d if d.starts_with('@') => format!("--data {d}"),
        _ => "--data".to_string(),
    }
}

/// JSON is sent unchanged; one YAML document becomes JSON (server-side apply sends YAML as is,
/// after checking it parses). Errors name the input and the line.
fn convert_body(bytes: Vec<u8>, apply: bool, label: &str) -> Result<Vec<u8>> {
    if !apply && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok() {
        return Ok(bytes);
    }
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        Error::Config(format!(
            "{label}: the body is neither JSON nor YAML (not UTF-8 text at byte {})",
            e.valid_up_to()
        ))
    })?;
    // Scalars as kubectl reads them (sigs.k8s.io/yaml: go-yaml v2, YAML 1.1): `012` is octal 10,
    // `yes` is true, and a number written as an integer stays an integer in the JSON.
    let options = serde_saphyr::options! { with_snippet: false, legacy_octal_numbers: true };
    let docs: Vec<serde_json::Value> = serde_saphyr::from_str_multiple_with_options(text, options)
        .map_err(|e| {
            let msg = e.to_string();
            let msg = msg.lines().next().unwrap_or("").trim().to_string();
            Error::Config(format!("{label}: invalid JSON or YAML: {msg}"))
        })?;
    let docs: Vec<serde_json::Value> = docs
        .into_iter()
        .filter(|d| !d.is_null())
        .map(integral_floats_as_integers)
        .collect();
    match docs.len() {
        // A lone scalar (`-d hello`) is the user's own data, not YAML meant as an object.
        1 if apply || !(docs[0].is_object() || docs[0].is_array()) => Ok(bytes),
        1 => serde_json::to_vec(&docs[0])
            .map_err(|e| Error::Config(format!("{label}: cannot convert YAML to JSON: {e}"))),
        0 => Err(Error::Config(format!(
            "{label}: the YAML holds no document"
        ))),
        n => Err(Error::Config(format!(
            "{label}: {n} YAML documents; one request takes one object (split the file)"
        ))),
    }
}

/// Floats with an integral value (`1e3`, `12.0` from YAML) as integers, as Go's encoding/json
/// writes the float64s that sigs.k8s.io/yaml makes (`1000`, not `1000.0`).
fn integral_floats_as_integers(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => {
                Value::from(f as i64)
            }
            _ => Value::Number(n),
        },
        Value::Array(a) => Value::Array(a.into_iter().map(integral_floats_as_integers).collect()),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| (k, integral_floats_as_integers(v)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_bodies_become_json_and_json_is_untouched() {
        assert_eq!(
            convert_body(b"{\"a\": 1e3}".to_vec(), false, "d").unwrap(),
            b"{\"a\": 1e3}"
        );
        assert_eq!(
            convert_body(b"kind: Pod\nmetadata:\n  name: x\n".to_vec(), false, "d").unwrap(),
            br#"{"kind":"Pod","metadata":{"name":"x"}}"#
        );
        let e = convert_body(b"a: 1\n---\nb: 2\n".to_vec(), false, "--data @x.yaml").unwrap_err();
        assert_eq!(
            e.to_string(),
            "--data @x.yaml: 2 YAML documents; one request takes one object (split the file)"
        );
        let e = convert_body(b"a: [1,\nb: 2\n".to_vec(), false, "--data @x.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("--data @x.yaml: invalid JSON or YAML: ") && e.contains("line"),
            "{e}"
        );
        // Scalars as kubectl (sigs.k8s.io/yaml, YAML 1.1) converts them.
        assert_eq!(
            String::from_utf8(
                convert_body(
                    b"a: 012\nb: 07\nc: 12\nd: 1e3\ne: 1.5\nf: yes\ng: '012'\nh: 0x1F\n".to_vec(),
                    false,
                    "d"
                )
                .unwrap()
            )
            .unwrap(),
            r#"{"a":10,"b":7,"c":12,"d":1000,"e":1.5,"f":true,"g":"012","h":31}"#
        );
        // Server-side apply sends the YAML itself.
        assert_eq!(
            convert_body(b"a: 1\n".to_vec(), true, "d").unwrap(),
            b"a: 1\n"
        );
    }

    #[test]
    fn user_headers_replace_and_remove_defaults() {
        let user = parse_headers(&[
            "accept: text/plain".into(),
            "User-Agent:".into(),
            "X-A: 1".into(),
        ])
        .unwrap();
        let h = headers(&user, &Credentials::default(), true, DEFAULT_ACCEPT, None).unwrap();
        let names: Vec<String> = h
            .iter()
            .map(|(n, v)| format!("{n}={}", v.to_str().unwrap()))
            .collect();
        assert_eq!(names, vec!["accept=text/plain", "x-a=1"]);
        assert!(parse_headers(&["nocolon".into()]).is_err());
        assert!(parse_headers(&["bad name: x".into()]).is_err());
    }
}
