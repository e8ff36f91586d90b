//! `--until EXPR` and `--until-deleted`: repeat the GET every `--interval` until a condition
//! holds, like `kubectl wait`, for CI.
//!
//! `--until`: a 2xx JSON response for which the jq expression is truthy ends the wait; the
//! response is printed (through `--jq` if given) and kcurl exits 0. A 404 counts as "not yet",
//! so one can wait for an object to appear. `--until-deleted`: a 404 ends the wait. Any other
//! final answer (after the usual retries: 429 and 5xx with Retry-After, `--retry`) is printed
//! and ends the wait with its exit code. `--timeout` bounds the whole wait (default
//! [`DEFAULT_TIMEOUT`], as `kubectl wait`): when it runs out, exit 8 with the expression's last
//! value on stderr.

use std::time::{Duration, Instant};

use crate::diag::{sanitize, secs, shorten};
use crate::error::{Error, Result, exit_code_for_status};
use crate::http::{Client, Timings};
use crate::jq::Program;
use crate::output;
use crate::plan::Condition;

/// How long `--until` waits without `--timeout` (kubectl wait's default).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Poll until the condition holds or the deadline passes.
pub fn run(
    client: &mut Client,
    condition: &Condition,
    interval: Duration,
    timeout: Option<Duration>,
    opts: output::Options,
    program: Option<&Program>,
) -> Result<u8> {
    let limit = timeout.unwrap_or(DEFAULT_TIMEOUT);
    let started = Instant::now();
    let deadline = started + limit;
    client.deadline = Some(deadline);
    let mut last = String::from("no response yet");
    loop {
        let mut timings = Timings::default();
        let url = client.url.clone();
        match client.send(&url, &mut timings) {
            Ok(mut response) => {
                let status = response.status().as_u16();
                match (condition, status) {
                    (Condition::Deleted, 404) => return Ok(0),
                    (Condition::Truthy(..), 404) => {
                        last = "404 (not found yet)".to_string();
                        drain(&mut response);
                    }
                    // Throttling and server errors that outlived the retries are transient
                    // while waiting: keep polling until the deadline, as kubectl wait does.
                    (_, 429 | 500..=599) => {
                        last = format!("{status} (server busy or failing)");
                        drain(&mut response);
                    }
                    (_, 200..=299) => {
                        let mut body = Vec::new();
                        let read = crate::limit::read_to_end(
                            response.body_mut().as_reader(),
                            &mut body,
                            opts.max_body,
                            "the body --until reads",
                        );
                        if let Err(e) = &read
                            && let Some(x) = crate::limit::Exceeded::in_io(e)
                        {
                            return Err(x.to_error(&url.display()));
                        }
                        // A read cut short by the deadline is "not yet", not a failure.
                        if read.is_ok() {
                            if let Condition::Truthy(p, _) = condition {
                                let value: serde_json::Value = serde_json::from_slice(&body)
                                    .map_err(|e| {
                                        Error::Response(format!(
                                            "{}: --until: the response is not JSON ({e})",
                                            url.display()
                                        ))
                                    })?;
                                let (truthy, v) = p.truthy(value)?;
                                if truthy {
                                    output::print_json_bytes(&body, opts, program)?;
                                    return Ok(0);
                                }
                                last = v.map_or_else(|| "no output".to_string(), |v| v.to_string());
                            } else {
                                last = format!("{status} (still exists)");
                            }
                        }
                    }
                    _ => {
                        let code = output::print(&mut response, opts, &url.display())?;
                        return Ok(code.max(exit_code_for_status(status)));
                    }
                }
            }
            // The last request ran into the deadline: that is the wait timing out.
            Err(Error::Connect(_)) if Instant::now() >= deadline => {}
            Err(e) => return Err(e),
        }
        client.trace_timings(&timings);
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        std::thread::sleep(interval.min(deadline - now));
        if Instant::now() >= deadline {
            break;
        }
    }
    let what = match condition {
        Condition::Truthy(_, source) => format!("{source} was not true"),
        Condition::Deleted => "the object was not deleted".to_string(),
    };
    Err(Error::Unmet(format!(
        "{}: {what} within {} (last value: {})",
        client.url.display(),
        secs(limit),
        sanitize(&shorten(&last, 200))
    )))
}

/// Read and drop a small body the wait does not need, so the connection can serve the next
/// poll (ureq reuses a connection only after its response was read to the end).
fn drain(response: &mut ureq::http::Response<ureq::Body>) {
    use std::io::Read;
    let mut reader = response.body_mut().as_reader().take(64 * 1024);
    let _ = std::io::copy(&mut reader, &mut std::io::sink());
}
