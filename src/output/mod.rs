//! Output: the response body on stdout, diagnostics on stderr.
//!
//! Colour is decided once (by `plan`) and passed down. JSON bodies are re-formatted while
//! they stream in ([`json`]); everything else — and everything with `--raw` — is written through
//! byte for byte and flushed as it arrives (logs with `follow=true`). Nothing the server sent
//! is ever dropped: when a "JSON" body stops being JSON, the rest is written unchanged and a
//! warning goes to stderr. Server-supplied text that reaches stderr (Status messages, Warning
//! headers) is stripped of terminal control characters first.

pub mod table;
pub mod yaml;

use std::io::{self, BufWriter, Read, Write};

use ureq::http;

use crate::diag::{error, notice, sanitize, warn};
use crate::error::{Error, Result, exit_code_for_status};
use crate::json;

/// The format the user asked for (`-c`, `--raw`, `-o yaml`, `--table`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// JSON re-formatted: pretty (the default) or one value per line (`-c`).
    Json(json::Layout),
    /// `--raw`: the body byte for byte.
    Raw,
    /// `-o yaml`.
    Yaml,
    /// `--table` (`--wide`: every column).
    Table { wide: bool },
}

/// How to print the body.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub format: Format,
    pub color: bool,
    /// `-i`: status line and headers on stdout first.
    pub include: bool,
    /// A watch stream (`--watch`, `?watch=1`): newline-delimited events, ERROR events
    /// checked. Not a format: each event is printed in the chosen one.
    pub watch: bool,
    /// `--max-body-size`: the most of one body (or watch event) held in memory.
    pub max_body: u64,
    /// stdout is a terminal: server text printed unquoted (`--jq` strings, `-i` header values)
    /// has its control characters escaped. Pipes get the bytes as sent.
    pub terminal: bool,
    /// `-f`: a non-2xx response writes nothing on stdout (the error line goes to stderr).
    pub fail: bool,
    /// For a 401: which credential the server rejected and the fix, added to the error line.
    pub unauthorized: Option<&'static str>,
}

impl Options {
    /// The JSON printer style for these options.
    pub fn style(&self) -> json::Style {
        json::Style {
            layout: self.layout(),
            color: self.color,
            terminal: self.terminal,
        }
    }

    /// Pretty, or one value per line (`-c`).
    pub fn layout(&self) -> json::Layout {
        match self.format {
            Format::Json(layout) => layout,
            _ => json::Layout::Pretty,
        }
    }

    /// How a body with this content type and status is rendered: the one place the format
    /// is dispatched. Error bodies are never a table or a watch.
    fn render(&self, json: bool, success: bool, watch: bool) -> Render {
        match self.format {
            Format::Raw => Render::Bytes,
            _ if !json => Render::Bytes,
            _ if success && watch => Render::Watch,
            Format::Table { wide } if success => Render::Table { wide },
            Format::Yaml => Render::Yaml,
            Format::Json(_) | Format::Table { .. } => Render::Json,
        }
    }
}

/// What a body becomes on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Render {
    /// Written through unchanged, flushed as it arrives.
    Bytes,
    /// Re-formatted JSON (pretty or `-c`), streamed.
    Json,
    /// Every JSON value as a YAML document.
    Yaml,
    /// A meta.k8s.io Table as `kubectl get` prints it.
    Table { wide: bool },
    /// Newline-delimited watch events, each in the chosen format.
    Watch,
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
/// summary to stderr. Returns the exit code: from the status, or from a watch's ERROR event.
pub fn print(resp: &mut http::Response<ureq::Body>, opts: Options, url: &str) -> Result<u8> {
    let status = resp.status();
    print_warnings(resp);
    let content_type = resp
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let location = resp
        .headers()
        .get(http::header::LOCATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let watch = opts.watch
        || content_type
            .as_deref()
            .is_some_and(|c| c.to_ascii_lowercase().contains("stream=watch"));
    let render = opts.render(is_json(content_type.as_deref()), status.is_success(), watch);

    // -f: an error response leaves stdout untouched (curl writes no headers either).
    let withhold = opts.fail && !status.is_success();
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    if opts.include && !withhold {
        write_head(resp, &mut out, opts.terminal).map_err(Error::Output)?;
    }
    let mut reader = resp.body_mut().as_reader();

    let mut status_line = None;
    let mut watch_error = None;
    if !status.is_success() {
        // Read the start of the body to find a Status message; print all of it regardless.
        let mut head = Vec::new();
        (&mut reader)
            .take(STATUS_BUFFER)
            .read_to_end(&mut head)
            .map_err(|e| read_error(&e, url))
            .inspect_err(|_| {
                if !withhold {
                    let _ = out.write_all(&head);
                    let _ = out.flush();
                }
            })?;
        status_line = Some(summary(status, &head, location.as_deref()));
        if let (401, Some(hint), Some(line)) =
            (status.as_u16(), opts.unauthorized, &mut status_line)
        {
            line.push_str(": ");
            line.push_str(hint);
        }
        if !withhold {
            let chained = io::Cursor::new(head).chain(reader);
            write_body(chained, &mut out, render, opts, url)?;
        }
    } else {
        watch_error = write_body(reader, &mut out, render, opts, url)?;
    }
    out.flush().map_err(Error::Output)?;
    drop(out);
    if let Some(line) = status_line {
        error(&format!("kcurl: {line}"));
    }
    if let Some((code, line)) = watch_error {
        error(&format!("kcurl: watch ended with an ERROR event: {line}"));
        return Ok(exit_code_for_status(code));
    }
    Ok(exit_code_for_status(status.as_u16()))
}

/// Print a response through a jq program (`--jq`): each JSON value (each watch event) is
/// filtered and the results printed kcurl's way. stdout carries only filter results: a non-2xx
/// response is said on stderr (its Status in one line), as with `-f`; a 2xx body that is not
/// JSON is written as is, with a warning.
pub fn print_filtered(
    resp: &mut http::Response<ureq::Body>,
    opts: Options,
    url: &str,
    filter: &crate::jq::Filter,
) -> Result<u8> {
    let program = &filter.program;
    let fast = filter.path.as_ref();
    let items = filter.items.as_ref();
    let status = resp.status();
    let content_type = resp
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if !status.is_success() {
        return print(resp, Options { fail: true, ..opts }, url);
    }
    if !is_json(content_type.as_deref()) {
        warn("--jq: the response is not JSON; printing it as is");
        return print(resp, opts, url);
    }
    print_warnings(resp);
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    if opts.include {
        write_head(resp, &mut out, opts.terminal).map_err(Error::Output)?;
    }
    let reader = resp.body_mut().as_reader();
    // A watch is filtered event by event as it streams; any other body is read whole first
    // (parsing from memory is several times faster than from a reader).
    let mut body = Vec::new();
    let mut values: Box<dyn Iterator<Item = serde_json::Result<serde_json::Value>>> = if opts.watch
    {
        Box::new(
            serde_json::Deserializer::from_reader(io::BufReader::new(
                crate::limit::LineCapped::new(reader, opts.max_body, "a watch event"),
            ))
            .into_iter::<serde_json::Value>(),
        )
    } else {
        if let Err(e) =
            crate::limit::read_to_end(reader, &mut body, opts.max_body, "the body --jq reads")
        {
            return Err(read_error(&e, url));
        }
        // A plain path (`.items[].metadata.name`): scanned without building a tree.
        if let Some(values) = fast.and_then(|f| f.run(&body)) {
            crate::jq::print_results(&values, &mut out, opts.style()).map_err(Error::Output)?;
            out.flush().map_err(Error::Output)?;
            return Ok(exit_code_for_status(status.as_u16()));
        }
        // A list program (`.items[] | F`, `[.items[] | F] | length`, …): item by item.
        if let Some(result) = items.and_then(|i| i.run(&body, &mut out, opts.style())) {
            result?;
            out.flush().map_err(Error::Output)?;
            return Ok(exit_code_for_status(status.as_u16()));
        }
        // One document (the usual case): parsed straight into jaq's values.
        if let Ok(input) = crate::jq::Input::parse(&body) {
            let result = filter_and_print(program, &input, &mut out, opts);
            // Freeing a large parsed tree costs more than the filter; the process ends soon.
            std::mem::forget(input);
            result?;
            out.flush().map_err(Error::Output)?;
            return Ok(exit_code_for_status(status.as_u16()));
        }
        Box::new(serde_json::Deserializer::from_slice(&body).into_iter::<serde_json::Value>())
    };
    let mut watch_error = None;
    loop {
        match values.next() {
            None => break,
            Some(Ok(value)) => {
                if opts.watch && watch_error.is_none() {
                    watch_error = serde_json::to_vec(&value)
                        .ok()
                        .and_then(|b| watch_error_of(&b));
                }
                filter_and_print(program, value, &mut out, opts)?;
            }
            Some(Err(e)) if e.is_io() => {
                let _ = out.flush();
                let e = io::Error::from(e);
                return Err(read_error(&e, url));
            }
            Some(Err(e)) => {
                let _ = out.flush();
                return Err(Error::Response(format!(
                    "{url}: --jq: the response is not valid JSON ({e})"
                )));
            }
        }
    }
    out.flush().map_err(Error::Output)?;
    drop(out);
    if let Some((code, line)) = watch_error {
        error(&format!("kcurl: watch ended with an ERROR event: {line}"));
        return Ok(exit_code_for_status(code));
    }
    Ok(exit_code_for_status(status.as_u16()))
}

/// Run `program` on `value` and print what it gives (partial results before a runtime error).
pub fn filter_and_print<W: Write + ?Sized>(
    program: &crate::jq::Program,
    value: impl Into<crate::jq::Input>,
    mut out: &mut W,
    opts: Options,
) -> Result<()> {
    let style = opts.style();
    // Results are printed in batches as they are produced: an endless program (`repeat(1)`)
    // streams instead of growing memory, and output made before a runtime error is kept.
    const BATCH: usize = 1024;
    let mut batch = Vec::with_capacity(BATCH);
    let result = program.for_each_val(value, |v| {
        batch.push(v);
        if batch.len() == BATCH {
            crate::jq::print_vals(&batch, &mut out, style).map_err(Error::Output)?;
            batch.clear();
        }
        Ok(())
    });
    crate::jq::print_vals(&batch, &mut out, style).map_err(Error::Output)?;
    result
}

/// Print a JSON body held in memory (`--until`'s final answer), through `program` if given.
pub fn print_json_bytes(
    body: &[u8],
    opts: Options,
    program: Option<&crate::jq::Program>,
) -> Result<()> {
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    match program {
        Some(p) => {
            let value = crate::jq::Input::parse(body).map_err(|e| {
                Error::Response(format!("--jq: the response is not valid JSON ({e})"))
            })?;
            filter_and_print(p, value, &mut out, opts)?;
        }
        None => {
            // Held in memory already: JSON or YAML, never a table or raw bytes.
            let render = match opts.format {
                Format::Yaml => Render::Yaml,
                _ => Render::Json,
            };
            write_body(body, &mut out, render, opts, "")?;
        }
    }
    out.flush().map_err(Error::Output)
}

/// `Warning:` response headers to stderr as `Warning: …`, like kubectl.
fn print_warnings(resp: &http::Response<ureq::Body>) {
    for w in resp.headers().get_all(http::header::WARNING) {
        for text in parse_warnings(&String::from_utf8_lossy(w.as_bytes())) {
            notice(&format!("Warning: {}", sanitize(&text)));
        }
    }
}

/// `-i`: `HTTP/1.1 200 OK`, the headers, and a blank line, as curl prints them. On a terminal
/// header values have their control characters escaped (C1 controls included); a pipe gets
/// them byte for byte.
fn write_head<W: Write>(
    resp: &http::Response<ureq::Body>,
    out: &mut W,
    terminal: bool,
) -> io::Result<()> {
    let status = resp.status();
    write!(
        out,
        "HTTP/1.1 {} {}\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )?;
    for (name, value) in resp.headers() {
        write!(out, "{name}: ")?;
        if terminal {
            out.write_all(sanitize(&String::from_utf8_lossy(value.as_bytes())).as_bytes())?;
        } else {
            out.write_all(value.as_bytes())?;
        }
        out.write_all(b"\r\n")?;
    }
    out.write_all(b"\r\n")?;
    out.flush()
}

/// Write a body as `render` says; for a watch, the status and message of an ERROR event
/// carrying a Status, if one came.
fn write_body<R: Read, W: Write>(
    reader: R,
    out: &mut W,
    render: Render,
    opts: Options,
    url: &str,
) -> Result<Option<(u16, String)>> {
    match render {
        Render::Bytes => copy_through(reader, out, url).map(|()| None),
        Render::Json => write_json(reader, out, opts, url).map(|()| None),
        Render::Yaml => write_yaml_body(reader, out, opts, url).map(|()| None),
        Render::Table { wide } => write_table(reader, out, wide, opts, url).map(|()| None),
        Render::Watch => write_watch(reader, out, opts, url),
    }
}

/// Every JSON value of the body as a YAML document.
fn write_yaml_body<R: Read, W: Write>(
    reader: R,
    out: &mut W,
    opts: Options,
    url: &str,
) -> Result<()> {
    {
        let mut all = Vec::new();
        if let Err(e) =
            crate::limit::read_to_end(reader, &mut all, opts.max_body, "the body -o yaml reads")
        {
            if let Some(x) = crate::limit::Exceeded::in_io(&e) {
                return Err(x.to_error(url));
            }
            let _ = out.write_all(&all);
            let _ = out.flush();
            return Err(read_error(&e, url));
        }
        write_yaml_values(&all, out)
    }
}

/// JSON re-formatted as it streams in; a body that stops being JSON is written unchanged.
fn write_json<R: Read, W: Write>(reader: R, out: &mut W, opts: Options, url: &str) -> Result<()> {
    {
        match json::reformat(reader, out, opts.style()) {
            Ok(json::Outcome::Complete { .. }) => Ok(()),
            Ok(json::Outcome::Invalid(inv)) => {
                out.flush().map_err(Error::Output)?;
                not_json_warning(&inv.message);
                Ok(())
            }
            Err(json::PrintError::Write(e)) => Err(Error::Output(e)),
            Err(json::PrintError::Read(e)) => {
                let _ = out.flush();
                Err(read_error(&e, url))
            }
        }
    }
}

fn not_json_warning(detail: &str) {
    warn(&format!(
        "the response says application/json but is not valid JSON ({}); the rest was written unchanged",
        sanitize(detail)
    ));
}

/// Every JSON value in `bytes` as a YAML document (`---` between documents); bytes that are not
/// JSON are written unchanged with a warning.
fn write_yaml_values<W: Write>(bytes: &[u8], out: &mut W) -> Result<()> {
    // One document (the usual case): numbers exact, a list item by item.
    if let Some(result) = yaml::write_document(bytes, out) {
        result?;
        return out.flush().map_err(Error::Output);
    }
    let mut stream = serde_json::Deserializer::from_slice(bytes).into_iter::<serde_json::Value>();
    let mut first = true;
    loop {
        let start = stream.byte_offset();
        match stream.next() {
            None => return out.flush().map_err(Error::Output),
            Some(Ok(v)) => {
                if !first {
                    out.write_all(b"---\n").map_err(Error::Output)?;
                }
                first = false;
                write_yaml(&v, out)?;
            }
            Some(Err(e)) => {
                out.write_all(&bytes[start..]).map_err(Error::Output)?;
                out.flush().map_err(Error::Output)?;
                not_json_warning(&e.to_string());
                return Ok(());
            }
        }
    }
}

fn write_yaml<W: Write>(v: &serde_json::Value, out: &mut W) -> Result<()> {
    let text = serde_saphyr::to_string(v)
        .map_err(|e| Error::Response(format!("-o yaml: cannot write the response as YAML: {e}")))?;
    out.write_all(text.as_bytes()).map_err(Error::Output)?;
    if !text.ends_with('\n') {
        out.write_all(b"\n").map_err(Error::Output)?;
    }
    out.flush().map_err(Error::Output)
}

/// A watch: each newline-delimited event printed (and flushed) as it arrives. Returns the
/// status code and message of an ERROR event carrying a Status, if one came.
fn write_watch<R: Read, W: Write>(
    reader: R,
    out: &mut W,
    opts: Options,
    url: &str,
) -> Result<Option<(u16, String)>> {
    let mut reader = io::BufReader::with_capacity(64 * 1024, reader);
    let mut line = Vec::new();
    let mut error = None;
    loop {
        line.clear();
        if let Err(e) =
            crate::limit::read_line(&mut reader, &mut line, opts.max_body, "a watch event")
        {
            if let Some(x) = crate::limit::Exceeded::in_io(&e) {
                return Err(x.to_error(url));
            }
            let _ = out.write_all(&line);
            let _ = out.flush();
            return Err(read_error(&e, url));
        }
        if line.is_empty() {
            return Ok(error);
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if error.is_none() {
            error = watch_error_of(&line);
        }
        if opts.format == Format::Yaml {
            let mut doc = Vec::new();
            match yaml::write_document(&line, &mut doc) {
                Some(result) => {
                    result?;
                    out.write_all(b"---\n").map_err(Error::Output)?;
                    out.write_all(&doc).map_err(Error::Output)?;
                    out.flush().map_err(Error::Output)?;
                }
                None => {
                    let e = serde_json::from_slice::<serde::de::IgnoredAny>(&line)
                        .err()
                        .map_or_else(|| "not one JSON value".to_owned(), |e| e.to_string());
                    out.write_all(&line).map_err(Error::Output)?;
                    out.flush().map_err(Error::Output)?;
                    not_json_warning(&e);
                }
            }
            continue;
        }
        match json::reformat(&line[..], out, opts.style()) {
            Ok(json::Outcome::Complete { .. }) => {}
            Ok(json::Outcome::Invalid(inv)) => {
                out.flush().map_err(Error::Output)?;
                not_json_warning(&inv.message);
            }
            Err(json::PrintError::Write(e)) => return Err(Error::Output(e)),
            Err(json::PrintError::Read(e)) => return Err(read_error(&e, url)),
        }
    }
}

/// `{"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":…}}`.
fn watch_error_of(line: &[u8]) -> Option<(u16, String)> {
    // Cheap pre-check: only ERROR events are parsed.
    if !line.windows(7).any(|w| w == b"\"ERROR\"") {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(line).ok()?;
    if v.get("type")?.as_str()? != "ERROR" {
        return None;
    }
    let obj = v.get("object")?;
    let code = obj.get("code").and_then(|c| c.as_u64()).unwrap_or(500) as u16;
    let reason = obj.get("reason").and_then(|r| r.as_str()).unwrap_or("");
    let message = obj.get("message").and_then(|m| m.as_str()).unwrap_or("");
    let mut text = format!("{code}");
    if !reason.is_empty() {
        text.push_str(&format!(" {}", sanitize(reason)));
    }
    if !message.is_empty() {
        text.push_str(&format!(": {}", sanitize(message)));
    }
    Some((code, text))
}

/// `--table`: a meta.k8s.io Table rendered like `kubectl get`; anything else printed as JSON.
fn write_table<R: Read, W: Write>(
    reader: R,
    out: &mut W,
    wide: bool,
    opts: Options,
    url: &str,
) -> Result<()> {
    let mut all = Vec::new();
    if let Err(e) =
        crate::limit::read_to_end(reader, &mut all, opts.max_body, "the table --table reads")
    {
        if let Some(x) = crate::limit::Exceeded::in_io(&e) {
            return Err(x.to_error(url));
        }
        let _ = out.write_all(&all);
        let _ = out.flush();
        return Err(read_error(&e, url));
    }
    let rendered = serde_json::from_slice::<serde_json::Value>(&all)
        .ok()
        .and_then(|v| table::render(&v, wide));
    match rendered {
        Some(text) if text.is_empty() => {
            notice("No resources found.");
            Ok(())
        }
        Some(text) => {
            out.write_all(text.as_bytes()).map_err(Error::Output)?;
            out.flush().map_err(Error::Output)
        }
        None => {
            warn("the server did not return a Table for this request; printing the response as is");
            write_json(&all[..], out, opts, url)
        }
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
pub(crate) fn read_error(e: &io::Error, url: &str) -> Error {
    if let Some(x) = crate::limit::Exceeded::in_io(e) {
        return x.to_error(url);
    }
    // ureq wraps its own errors (timeouts, protocol errors) in io::Error.
    let msg = match e.get_ref() {
        Some(inner) => match inner.downcast_ref::<ureq::Error>() {
            Some(ureq::Error::Timeout(ureq::Timeout::Global)) => "the --timeout ran out".into(),
            _ => inner.to_string(),
        },
        None => e.to_string(),
    };
    Error::Connect(format!(
        "{url}: the response body was cut off: {}; everything received was written",
        sanitize(&msg)
    ))
}

/// The one-line summary of a non-2xx response: `404 NotFound: pods "x" not found`.
pub(crate) fn summary(status: http::StatusCode, body: &[u8], location: Option<&str>) -> String {
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
