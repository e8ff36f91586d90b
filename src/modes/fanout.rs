//! Many contexts at once (`--context a --context b`, `--context 'prod-*'`, `--all-contexts`):
//! the same request to each, concurrently (at most [`PARALLEL`] at a time), each through its
//! own [`Client`] with its own credentials (so retries, the 401 refresh and `-v` work as for one
//! context).
//!
//! Output: one JSON object per context, `{"context": …, "status": …, "body": …}` (or
//! `"error": …` when no response came), in context order, pretty or `-c`; a one-line summary per
//! context on stderr (context, status or error, time); the exit code of the worst result. One
//! failing context never hides the others. Bodies are held in memory (they become part of a
//! JSON object); JSON bodies are embedded byte for byte, others as a JSON string.
//!
//! With `--jq`, the program runs on each context's body and each result is one line labelled
//! with its context: `prod-eu<TAB>v1.32.0` (strings raw, other values compact JSON), for
//! `while read -r context value` loops; contexts without a 2xx JSON answer print nothing on
//! stdout, only their summary line.

use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::config;
use crate::diag::{notice, sanitize};
use crate::error::{Error, Result, exit_code_for_status};
use crate::http::{Client, Net, Request, Timings};
use crate::json;
use crate::kubeconfig::Kubeconfig;
use crate::output;
use crate::plan::{Contexts, Plan};

/// How many contexts are asked at the same time.
pub const PARALLEL: usize = 8;

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Shell-style match: `*` any run, `?` one character, `[abc]`/`[a-z]`/`[!a]` one of a set.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Iterative matching with backtracking to the last `*`.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ni));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = class(&p, pi, n[ni]) {
                        if matched {
                            pi = next;
                            ni += 1;
                            continue;
                        }
                    } else if n[ni] == '[' {
                        pi += 1;
                        ni += 1;
                        continue;
                    }
                }
                c if c == n[ni] => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, sn)) => {
                pi = sp + 1;
                ni = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Match `c` against the class starting at `p[start] == '['`: (matched, index after `]`).
fn class(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some('!' | '^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while let Some(&ch) = p.get(i) {
        if ch == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|&e| e != ']') {
            if (ch..=p[i + 2]).contains(&c) {
                matched = true;
            }
            i += 3;
        } else {
            if ch == c {
                matched = true;
            }
            i += 1;
        }
        first = false;
    }
    None
}

/// The contexts to ask, in kubeconfig order, de-duplicated.
fn select(contexts: &Contexts, names: &[String]) -> Result<Vec<String>> {
    let patterns = match contexts {
        Contexts::Patterns(p) => p,
        Contexts::All => {
            if names.is_empty() {
                return Err(Error::Config(
                    "--all-contexts: the kubeconfig defines no contexts".into(),
                ));
            }
            return Ok(names.to_vec());
        }
    };
    let mut out: Vec<String> = Vec::new();
    for pattern in patterns {
        let matches: Vec<&String> = if is_glob(pattern) {
            names.iter().filter(|n| glob_match(pattern, n)).collect()
        } else {
            names.iter().filter(|n| *n == pattern).collect()
        };
        if matches.is_empty() {
            return Err(Error::Config(format!(
                "--context {pattern}: no context matches; available contexts: {}",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            )));
        }
        for m in matches {
            if !out.contains(m) {
                out.push(m.clone());
            }
        }
    }
    Ok(out)
}

/// What one context gave.
struct Outcome {
    context: String,
    result: std::result::Result<(u16, Vec<u8>, bool), Error>,
    took: Duration,
}

/// Send the request to every selected context and print the results in order.
///
/// Workers (at most [`PARALLEL`]) take the next context from a shared counter and send what
/// it gave down a channel; this thread prints each result as soon as every earlier context's
/// is printed.
pub fn run(plan: &Plan, contexts: &Contexts) -> Result<u8> {
    let kc = config::load_kubeconfig(&plan.overrides)?;
    let names: Vec<String> = kc.contexts.iter().map(|c| c.name.clone()).collect();
    let contexts = select(contexts, &names)?;
    let style = json::Style {
        layout: plan.format.layout(),
        color: plan.format.color,
        terminal: false,
    };
    let program = plan.jq.as_ref().map(|f| &f.program);
    let next = AtomicUsize::new(0);
    let mut worst = 0u8;
    std::thread::scope(|scope| -> Result<()> {
        let (tx, rx) = mpsc::channel::<(usize, Outcome)>();
        for _ in 0..PARALLEL.min(contexts.len()) {
            let tx = tx.clone();
            let (next, contexts, kc) = (&next, &contexts, &kc);
            let (request, net, overrides) = (&plan.request, plan.net, &plan.overrides);
            let discovery = plan.discovery.as_ref();
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(name) = contexts.get(i) else { return };
                    let started = Instant::now();
                    let result = ask(request, net, overrides, discovery, kc, name);
                    let outcome = Outcome {
                        context: name.clone(),
                        result,
                        took: started.elapsed(),
                    };
                    // The printer is gone only after a write failed: stop asking.
                    if tx.send((i, outcome)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        // Results arrive in any order; print them in context order.
        let mut waiting: Vec<Option<Outcome>> = contexts.iter().map(|_| None).collect();
        let mut printed = 0;
        let stdout = io::stdout();
        let mut out = io::BufWriter::new(stdout.lock());
        for (i, outcome) in rx {
            waiting[i] = Some(outcome);
            while let Some(outcome) = waiting.get_mut(printed).and_then(Option::take) {
                let code = match program {
                    Some(p) => report_filtered(&outcome, p, &mut out)?,
                    None => report(&outcome, &mut out, style, plan.format.fail)?,
                };
                worst = worse(worst, code);
                printed += 1;
            }
        }
        out.flush().map_err(Error::Output)
    })?;
    Ok(worst)
}

/// One context: resolve, send (retrying as for one context), read the whole body.
fn ask(
    request: &Request,
    net: Net,
    overrides: &config::Overrides,
    discovery: Option<&crate::discovery::hook::Settings>,
    kc: &Kubeconfig,
    name: &str,
) -> std::result::Result<(u16, Vec<u8>, bool), Error> {
    let target = config::resolve_with(overrides, kc, Some(name))?;
    let mut client = Client::new(request, net, target, Some(name))?;
    if let Some(settings) = discovery {
        let label = format!("[{name}] ");
        let namespace = request.namespace.as_deref();
        crate::discovery::hook::resolve_on(
            &mut client,
            &request.target,
            namespace,
            settings,
            &label,
        )?;
    }
    let mut timings = Timings::default();
    let url = client.url.clone();
    let mut response = client.send(&url, &mut timings)?;
    let status = response.status().as_u16();
    let is_json = output::is_json(
        response
            .headers()
            .get(ureq::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
    );
    let mut body = Vec::new();
    crate::limit::read_to_end(
        response.body_mut().as_reader(),
        &mut body,
        client.max_body(),
        "the body of one context's response",
    )
    .map_err(|e| match crate::limit::Exceeded::in_io(&e) {
        Some(x) => x.to_error(&url.display()),
        None => Error::Connect(format!(
            "{}: the response body was cut off: {e}",
            url.display()
        )),
    })?;
    client.trace_timings(&timings);
    Ok((status, body, is_json))
}

/// Print one context's JSON object on stdout and its summary line on stderr; its exit code.
/// With `-f` (`fail`), a non-2xx answer's object has no body.
fn report<W: Write>(o: &Outcome, out: &mut W, style: json::Style, fail: bool) -> Result<u8> {
    let ms = format!("{:.0} ms", o.took.as_secs_f64() * 1e3);
    let name = json_string(&o.context);
    let (object, code, summary) = match &o.result {
        Ok((status, body, is_json)) => {
            let embedded =
                if *is_json && serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() {
                    String::from_utf8_lossy(body).into_owned()
                } else {
                    json_string(&String::from_utf8_lossy(body))
                };
            let text = ureq::http::StatusCode::from_u16(*status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("");
            let object = if fail && !(200..300).contains(status) {
                format!("{{\"context\":{name},\"status\":{status}}}")
            } else {
                format!("{{\"context\":{name},\"status\":{status},\"body\":{embedded}}}")
            };
            (
                object,
                exit_code_for_status(*status),
                format!("{status} {text}"),
            )
        }
        Err(e) => (
            format!(
                "{{\"context\":{name},\"status\":null,\"error\":{}}}",
                json_string(&e.to_string())
            ),
            e.exit_code(),
            format!("error: {}", sanitize(&e.to_string())),
        ),
    };
    match json::reformat(object.as_bytes(), out, style) {
        Ok(_) => {}
        Err(json::PrintError::Write(e)) => return Err(Error::Output(e)),
        Err(json::PrintError::Read(e)) => return Err(Error::Output(e)),
    }
    notice(&format!("{}\t{summary}\t{ms}", sanitize(&o.context)));
    Ok(code)
}

/// `--jq`: one context's results as `context<TAB>value` lines, its summary line on stderr;
/// its exit code (a runtime error of the program counts as that context's error).
fn report_filtered<W: Write>(o: &Outcome, program: &crate::jq::Program, out: &mut W) -> Result<u8> {
    let ms = format!("{:.0} ms", o.took.as_secs_f64() * 1e3);
    let (code, summary) = match &o.result {
        Ok((status, body, is_json)) if (200..300).contains(status) => {
            let text = ureq::http::StatusCode::from_u16(*status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("");
            let values = if *is_json {
                crate::jq::Input::parse(body)
                    .map_err(|e| {
                        Error::Response(format!("--jq: the response is not valid JSON ({e})"))
                    })
                    .and_then(|input| program.run(input))
            } else {
                Err(Error::Response(
                    "--jq: the response is not JSON".to_string(),
                ))
            };
            match values {
                Ok(values) => {
                    let mut lines = Vec::new();
                    for v in &values {
                        lines.extend_from_slice(o.context.as_bytes());
                        lines.push(b'\t');
                        match v {
                            serde_json::Value::String(s) => lines.extend_from_slice(s.as_bytes()),
                            other => serde_json::to_writer(&mut lines, other)
                                .map_err(|e| Error::Output(io::Error::other(e)))?,
                        }
                        lines.push(b'\n');
                    }
                    out.write_all(&lines).map_err(Error::Output)?;
                    (0, format!("{status} {text}"))
                }
                Err(e) => (
                    e.exit_code(),
                    format!("{status} {text}: error: {}", sanitize(&e.to_string())),
                ),
            }
        }
        Ok((status, _, _)) => {
            let text = ureq::http::StatusCode::from_u16(*status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("");
            (exit_code_for_status(*status), format!("{status} {text}"))
        }
        Err(e) => (
            e.exit_code(),
            format!("error: {}", sanitize(&e.to_string())),
        ),
    };
    // Flushed before the summary, so a terminal shows each context's lines then its summary.
    out.flush().map_err(Error::Output)?;
    notice(&format!("{}\t{summary}\t{ms}", sanitize(&o.context)));
    Ok(code)
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

/// The worse of two exit codes: local and TLS/connection failures outrank HTTP errors.
fn worse(a: u8, b: u8) -> u8 {
    let rank = |c: u8| match c {
        0 => 0,
        3 => 1,
        4 => 2,
        5 => 3,
        6 => 4,
        7 => 5,
        _ => 6,
    };
    if rank(b) > rank(a) { b } else { a }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("prod-*", "prod-eu"));
        assert!(glob_match("prod-*", "prod-"));
        assert!(!glob_match("prod-*", "staging"));
        assert!(glob_match("*-eu", "prod-eu"));
        assert!(glob_match("p?od-[ue][su]", "prod-eu"));
        assert!(!glob_match("prod-[!e]*", "prod-eu"));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b*c", "axxbyy"));
        assert!(glob_match("*", ""));
    }

    #[test]
    fn worst_exit_code() {
        assert_eq!(worse(0, 4), 4);
        assert_eq!(worse(5, 4), 5);
        assert_eq!(worse(6, 5), 6);
        assert_eq!(worse(1, 7), 1);
        assert_eq!(worse(3, 0), 3);
    }
}
