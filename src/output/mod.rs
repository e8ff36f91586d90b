//! Output: the response body on stdout, diagnostics on stderr.
//!
//! Colour is decided once ([`use_color`]) and passed down. JSON bodies are re-formatted while
//! they stream in ([`json`]); everything else — and everything with `--raw` — is written through
//! byte for byte and flushed as it arrives (logs with `follow=true`). Nothing the server sent
//! is ever dropped: when a "JSON" body stops being JSON, the rest is written unchanged and a
//! warning goes to stderr. Server-supplied text that reaches stderr (Status messages, Warning
//! headers) is stripped of terminal control characters first.

pub mod json;

use std::io::{self, BufWriter, Read, Write};

use ureq::http;

use crate::cli::ColorChoice;
use crate::error::{Error, Result, exit_code_for_status};

/// Decide whether to colour: `--color`, stdout being a terminal, `NO_COLOR`, `TERM=dumb`.
pub fn use_color(
    choice: ColorChoice,
    stdout_is_tty: bool,
    no_color: Option<&str>,
    term: Option<&str>,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        // https://no-color.org: "when present and not an empty string".
        ColorChoice::Auto => {
            stdout_is_tty && no_color.is_none_or(str::is_empty) && term != Some("dumb")
        }
    }
}

/// How to print the body.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub raw: bool,
    pub color: bool,
}

/// Write one diagnostic line to stderr; a closed stderr is ignored (never a panic).
pub fn diag(line: &str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// A warning line: `kcurl: warning: …`.
pub fn warn(msg: &str) {
    diag(&format!("kcurl: warning: {msg}"));
}

/// Replace terminal control characters in server- or config-supplied text with visible escapes.
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// True for `application/json` and `application/*+json` (parameters ignored).
pub fn is_json(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Bodies of error responses are buffered up to this size to read the Status message from them.
const STATUS_BUFFER: u64 = 1 << 20;

/// Print the response: Warning headers to stderr, the body to stdout, and for non-2xx a one-line
/// summary to stderr. Returns the exit code for the status.
pub fn print(resp: &mut http::Response<ureq::Body>, opts: Options, url: &str) -> Result<u8> {
    let status = resp.status();
    for w in resp.headers().get_all(http::header::WARNING) {
        for text in parse_warnings(&String::from_utf8_lossy(w.as_bytes())) {
            diag(&format!("Warning: {}", sanitize(&text)));
        }
    }
    let content_type = resp
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let location = resp
        .headers()
        .get(http::header::LOCATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let json = !opts.raw && is_json(content_type.as_deref());

    let mut reader = resp.body_mut().as_reader();
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());

    let mut status_line = None;
    if !status.is_success() {
        // Read the start of the body to find a Status message; print all of it regardless.
        let mut head = Vec::new();
        (&mut reader)
            .take(STATUS_BUFFER)
            .read_to_end(&mut head)
            .map_err(|e| read_error(&e, url))
            .inspect_err(|_| {
                let _ = out.write_all(&head);
                let _ = out.flush();
            })?;
        status_line = Some(summary(status, &head, location.as_deref()));
        let chained = io::Cursor::new(head).chain(reader);
        write_body(chained, &mut out, json, opts, url)?;
    } else {
        write_body(reader, &mut out, json, opts, url)?;
    }
    out.flush().map_err(Error::Output)?;
    drop(out);
    if let Some(line) = status_line {
        diag(&format!("kcurl: {line}"));
    }
    Ok(exit_code_for_status(status.as_u16()))
}

fn write_body<R: Read, W: Write>(
    reader: R,
    out: &mut W,
    json: bool,
    opts: Options,
    url: &str,
) -> Result<()> {
    if json {
        let style = json::Style {
            layout: json::Layout::Pretty,
            color: opts.color,
        };
        match json::reformat(reader, out, style) {
            Ok(json::Outcome::Complete { .. }) => Ok(()),
            Ok(json::Outcome::Invalid(inv)) => {
                out.flush().map_err(Error::Output)?;
                warn(&format!(
                    "the response says application/json but is not valid JSON ({}); the rest was written unchanged",
                    sanitize(&inv.message)
                ));
                Ok(())
            }
            Err(json::PrintError::Write(e)) => Err(Error::Output(e)),
            Err(json::PrintError::Read(e)) => {
                let _ = out.flush();
                Err(read_error(&e, url))
            }
        }
    } else {
        copy_through(reader, out, url)
    }
}

/// Copy the body unchanged, flushing after every read so streams appear as they arrive.
fn copy_through<R: Read, W: Write>(mut reader: R, out: &mut W, url: &str) -> Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let _ = out.flush();
                return Err(read_error(&e, url));
            }
        };
        out.write_all(&buf[..n]).map_err(Error::Output)?;
        out.flush().map_err(Error::Output)?;
    }
}

/// A failure while reading the body: the connection broke after the response started.
fn read_error(e: &io::Error, url: &str) -> Error {
    // ureq wraps its own errors (timeouts, protocol errors) in io::Error.
    let msg = match e.get_ref() {
        Some(inner) => inner.to_string(),
        None => e.to_string(),
    };
    Error::Connect(format!(
        "{url}: the response body was cut off: {}; everything received was written",
        sanitize(&msg)
    ))
}

/// The one-line summary of a non-2xx response: `404 NotFound: pods "x" not found`.
fn summary(status: http::StatusCode, body: &[u8], location: Option<&str>) -> String {
    let code = status.as_u16();
    let text = status.canonical_reason().unwrap_or("");
    if status.is_redirection() {
        return match location {
            Some(l) => format!("{code} {text}: redirect to {} not followed", sanitize(l)),
            None => format!("{code} {text}: redirect not followed"),
        };
    }
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        if v.get("kind").and_then(|k| k.as_str()) == Some("Status") {
            let reason = v
                .get("reason")
                .and_then(|r| r.as_str())
                .filter(|r| !r.is_empty());
            let message = v
                .get("message")
                .and_then(|m| m.as_str())
                .filter(|m| !m.is_empty());
            let head = match reason {
                Some(r) => format!("{code} {}", sanitize(r)),
                None => format!("{code} {text}"),
            };
            return match message {
                Some(m) => format!("{head}: {}", sanitize(m)),
                None => head,
            };
        }
    }
    format!("{code} {text}").trim_end().to_string()
}

/// Parse RFC 7234 Warning header values (`299 - "text"`, comma-separated) into their texts, as
/// client-go's `ParseWarningHeader` does. Unparseable values are returned whole.
pub fn parse_warnings(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = value.trim();
    while !rest.is_empty() {
        // warn-code SP warn-agent SP warn-text [SP warn-date]
        let mut parts = rest.splitn(3, ' ');
        let (Some(code), Some(_agent), Some(tail)) = (parts.next(), parts.next(), parts.next())
        else {
            out.push(value.trim().to_string());
            return out;
        };
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) || !tail.starts_with('"') {
            out.push(value.trim().to_string());
            return out;
        }
        let mut text = String::new();
        let mut chars = tail[1..].char_indices();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, n)) = chars.next() {
                        text.push(n);
                    }
                }
                '"' => {
                    end = Some(i + 2);
                    break;
                }
                c => text.push(c),
            }
        }
        let Some(end) = end else {
            out.push(value.trim().to_string());
            return out;
        };
        out.push(text);
        rest = tail[end..].trim_start();
        // Skip an optional quoted warn-date, then the separating comma.
        if rest.starts_with('"') {
            rest = rest[1..]
                .split_once('"')
                .map_or("", |(_, r)| r)
                .trim_start();
        }
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_is_decided_once_from_all_inputs() {
        use ColorChoice::*;
        assert!(use_color(Auto, true, None, Some("xterm")));
        assert!(!use_color(Auto, false, None, Some("xterm")));
        assert!(!use_color(Auto, true, Some("1"), Some("xterm")));
        assert!(use_color(Auto, true, Some(""), Some("xterm")));
        assert!(!use_color(Auto, true, None, Some("dumb")));
        assert!(use_color(Always, false, Some("1"), Some("dumb")));
        assert!(!use_color(Never, true, None, None));
    }

    #[test]
    fn json_content_types() {
        assert!(is_json(Some("application/json")));
        assert!(is_json(Some("Application/JSON; charset=utf-8")));
        assert!(is_json(Some("application/merge-patch+json")));
        assert!(is_json(Some(
            "application/json;as=Table;v=v1;g=meta.k8s.io"
        )));
        assert!(!is_json(Some("text/plain")));
        assert!(!is_json(Some("application/vnd.kubernetes.protobuf")));
        assert!(!is_json(None));
    }

    #[test]
    fn control_characters_are_neutralised() {
        assert_eq!(sanitize("a\x1b[31mred\x07\n"), "a\\u{1b}[31mred\\u{7}\\n");
        assert_eq!(sanitize("pods \"x\" not found"), "pods \"x\" not found");
        assert_eq!(sanitize("\u{202e}evil"), "\\u{202e}evil");
    }

    #[test]
    fn warnings_parse_like_client_go() {
        assert_eq!(
            parse_warnings(r#"299 - "v1 Foo is deprecated""#),
            vec!["v1 Foo is deprecated"]
        );
        assert_eq!(
            parse_warnings(
                r#"299 - "a \"quoted\" word", 299 - "second" "Sat, 01 Jan 2000 00:00:00 GMT""#
            ),
            vec!["a \"quoted\" word", "second"]
        );
        assert_eq!(parse_warnings("garbage"), vec!["garbage"]);
    }

    #[test]
    fn summaries_use_the_status_when_there_is_one() {
        let s = |code: u16, body: &str| {
            summary(
                http::StatusCode::from_u16(code).unwrap(),
                body.as_bytes(),
                None,
            )
        };
        assert_eq!(
            s(
                404,
                r#"{"kind":"Status","reason":"NotFound","message":"pods \"x\" not found","code":404}"#
            ),
            "404 NotFound: pods \"x\" not found"
        );
        assert_eq!(s(500, "oops"), "500 Internal Server Error");
        assert_eq!(s(418, ""), "418 I'm a teapot");
        assert_eq!(
            summary(http::StatusCode::FOUND, b"", Some("https://elsewhere/")),
            "302 Found: redirect to https://elsewhere/ not followed"
        );
        assert_eq!(
            s(
                403,
                r#"{"kind":"Status","reason":"Forbidden","message":"\u001b[2Jgone"}"#
            ),
            "403 Forbidden: \\u{1b}[2Jgone"
        );
    }
}
