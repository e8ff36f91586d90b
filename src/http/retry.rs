//! When to retry a request, and after how long: a pure policy, no sleeping and no I/O.
//!
//! This module owns the retry rules; the caller owns the loop (sending, sleeping, counting,
//! replaying the body, printing the reason on stderr). Given what happened to the last attempt,
//! [`Policy::decide`] answers [`Decision::Stop`] or [`Decision::RetryAfter`] a wait.
//!
//! The rules, after client-go's REST client (`rest.Request` with `withRetry.IsNextRetry` and
//! `checkWait`: "any 500 error code and 429 can trigger a wait" when `Retry-After` holds
//! seconds, `maxRetries` 10):
//! - By default a 429, or a 5xx, carrying a valid `Retry-After` is retried after the time the
//!   server asks — delta-seconds or an HTTP-date (all three forms of RFC 9110 section 5.6.7) —
//!   capped at [`MAX_WAIT`] per wait, at most [`DEFAULT_RETRIES`] times. A `Retry-After` that is
//!   neither (`soon`, `-1`, `1.5`) is treated as absent.
//! - With `--retry N` ([`Policy::retries`]) connection failures, and 429 and 5xx without
//!   `Retry-After`, are retried too, after an exponential backoff with full jitter: a uniformly
//!   random wait in `[0, min(MAX_WAIT, BACKOFF_BASE × 2^attempt))`, so 0.5 s, 1 s, 2 s, 4 s, 8 s,
//!   then 10 s ceilings. A `Retry-After` still wins over the backoff. At most N retries of any
//!   kind are made: `--retry 0` turns off even the default retries.
//! - `--retry-max-time` ([`Policy::max_time`]) bounds the total: a retry whose wait would end
//!   past it (counted from the start of the first attempt) is not made.
//! - Only GET, HEAD, PUT, DELETE and OPTIONS (idempotent per RFC 9110; names are case-sensitive)
//!   are retried on any of the above. POST, PATCH and any other method are retried only when the
//!   request certainly was not processed: a refused connection (nothing was sent) or a 429.
//!   Unlike client-go, this holds for a 5xx with `Retry-After` too: a POST that got a 503 may
//!   have been applied.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Retries made by default (client-go's `maxRetries`).
pub const DEFAULT_RETRIES: u32 = 10;

/// The longest single wait, whatever the server asks.
pub const MAX_WAIT: Duration = Duration::from_secs(10);

/// The backoff ceiling before the first retry; it doubles with each retry, up to [`MAX_WAIT`].
pub const BACKOFF_BASE: Duration = Duration::from_millis(500);

/// The user's retry settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// `--retry N`: opt in to retrying failures without `Retry-After`, at most N retries in all.
    pub retries: Option<u32>,
    /// `--retry-max-time SECS`: no retry whose wait would end past this, from the first attempt.
    pub max_time: Option<Duration>,
}

/// What happened to the last attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// A response arrived, with this status and `Retry-After` header value, if any.
    Status {
        code: u16,
        retry_after: Option<&'a str>,
    },
    /// No response: connecting failed, or the connection broke before a response arrived.
    ConnectFailed {
        /// The TCP connect was refused: nothing was sent, so any method may be retried.
        refused: bool,
    },
}

/// Whether to retry, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Do not retry: the last outcome is final.
    Stop,
    /// Retry after waiting `wait`; `reason` is one line for stderr, e.g.
    /// `429 Too Many Requests: retrying in 2s (attempt 2 of 11)`.
    RetryAfter { wait: Duration, reason: String },
}

impl Policy {
    /// Decide whether to retry after `outcome`, reading the clock for an HTTP-date `Retry-After`.
    ///
    /// `attempt` is the number of retries made so far (0 after the first attempt), `elapsed` the
    /// time since the first attempt started, `rng` a source of uniform numbers in `[0, 1)` for
    /// the jitter. See [`Policy::decide_at`] for the same decision at a given time.
    pub fn decide(
        &self,
        method: &str,
        outcome: &Outcome,
        attempt: u32,
        elapsed: Duration,
        rng: &mut impl FnMut() -> f64,
    ) -> Decision {
        self.decide_at(method, outcome, attempt, elapsed, rng, SystemTime::now())
    }

    /// [`Policy::decide`] with `now` as the current time (for an HTTP-date `Retry-After`).
    pub fn decide_at(
        &self,
        method: &str,
        outcome: &Outcome,
        attempt: u32,
        elapsed: Duration,
        rng: &mut impl FnMut() -> f64,
        now: SystemTime,
    ) -> Decision {
        let limit = self.retries.unwrap_or(DEFAULT_RETRIES);
        if attempt >= limit {
            return Decision::Stop;
        }
        let opted_in = self.retries.is_some();
        let idempotent = matches!(method, "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS");
        let mut jittered = || backoff(attempt, rng());

        let (what, wait) = match *outcome {
            Outcome::Status { code, retry_after } => {
                let retryable = code == 429 || (500..=599).contains(&code);
                if !retryable || (!idempotent && code != 429) {
                    return Decision::Stop;
                }
                let what = status_text(code);
                match retry_after.and_then(|h| parse_retry_after(h, now)) {
                    Some(asked) => (what, asked.min(MAX_WAIT)),
                    None if opted_in => (what, jittered()),
                    None => return Decision::Stop,
                }
            }
            Outcome::ConnectFailed { refused } => {
                if !opted_in || (!idempotent && !refused) {
                    return Decision::Stop;
                }
                let what = if refused {
                    "connection refused"
                } else {
                    "connection failed"
                };
                (what.to_owned(), jittered())
            }
        };

        if let Some(max) = self.max_time {
            match elapsed.checked_add(wait) {
                Some(end) if end <= max => {}
                _ => return Decision::Stop,
            }
        }
        let reason = format!(
            "{what}: retrying in {} (attempt {} of {})",
            show(wait),
            u64::from(attempt) + 2,
            u64::from(limit) + 1
        );
        Decision::RetryAfter { wait, reason }
    }
}

/// Full jitter: `r` (in `[0, 1]`, clamped; NaN counts as 0) of the ceiling for this attempt.
fn backoff(attempt: u32, r: f64) -> Duration {
    let base = BACKOFF_BASE.as_millis() as u64;
    let cap = MAX_WAIT.as_millis() as u64;
    let ceiling = base.saturating_mul(1u64 << attempt.min(32)).min(cap);
    let r = if r.is_nan() { 0.0 } else { r.clamp(0.0, 1.0) };
    Duration::from_millis((r * ceiling as f64) as u64)
}

/// `429 Too Many Requests`, `503 Service Unavailable`, or just the code.
fn status_text(code: u16) -> String {
    match ureq::http::StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(phrase) => format!("{code} {phrase}"),
        None => code.to_string(),
    }
}

/// A wait for humans: `2s`, `1.5s`, `250ms`.
fn show(wait: Duration) -> String {
    let ms = wait.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{:.1}s", wait.as_secs_f64())
    }
}

/// The wait a `Retry-After` value asks for, or None when it is neither form (RFC 9110 10.2.3).
///
/// `Retry-After = HTTP-date / delay-seconds`; a date in the past asks for no wait.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits: only overflow can fail, and a huge delay is capped anyway.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = crate::time::parse_http_date(value)?;
    let now = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let at = Duration::from_secs(u64::try_from(at).unwrap_or(0));
    Some(at.saturating_sub(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 784_111_777; // Sun, 06 Nov 1994 08:49:37 GMT

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(NOW)
    }

    fn policy(retries: Option<u32>, max_time: Option<u64>) -> Policy {
        Policy {
            retries,
            max_time: max_time.map(Duration::from_secs),
        }
    }

    const DEFAULT: Policy = Policy {
        retries: None,
        max_time: None,
    };

    fn decide(p: Policy, method: &str, outcome: Outcome, attempt: u32, elapsed: u64) -> Decision {
        p.decide_at(
            method,
            &outcome,
            attempt,
            Duration::from_secs(elapsed),
            &mut || 0.5,
            now(),
        )
    }

    fn status(code: u16, retry_after: Option<&str>) -> Outcome<'_> {
        Outcome::Status { code, retry_after }
    }

    fn wait(d: &Decision) -> Option<Duration> {
        match d {
            Decision::Stop => None,
            Decision::RetryAfter { wait, .. } => Some(*wait),
        }
    }

    fn secs(s: u64) -> Option<Duration> {
        Some(Duration::from_secs(s))
    }

    fn ms(m: u64) -> Option<Duration> {
        Some(Duration::from_millis(m))
    }

    #[test]
    fn default_429_waits_as_asked() {
        let d = decide(DEFAULT, "GET", status(429, Some("3")), 0, 0);
        assert_eq!(
            d,
            Decision::RetryAfter {
                wait: Duration::from_secs(3),
                reason: "429 Too Many Requests: retrying in 3s (attempt 2 of 11)".into(),
            }
        );
        assert_eq!(
            wait(&decide(DEFAULT, "GET", status(429, Some(" 0 ")), 0, 0)),
            secs(0)
        );
    }

    #[test]
    fn default_wait_is_capped() {
        let d = decide(DEFAULT, "GET", status(429, Some("120")), 4, 0);
        assert_eq!(
            d,
            Decision::RetryAfter {
                wait: MAX_WAIT,
                reason: "429 Too Many Requests: retrying in 10s (attempt 6 of 11)".into(),
            }
        );
        let huge = "99999999999999999999999999";
        assert_eq!(
            wait(&decide(DEFAULT, "GET", status(429, Some(huge)), 0, 0)),
            Some(MAX_WAIT)
        );
    }

    #[test]
    fn default_retries_at_most_ten_times() {
        let d = decide(DEFAULT, "GET", status(429, Some("1")), 9, 0);
        assert!(
            matches!(&d, Decision::RetryAfter { reason, .. } if reason.ends_with("(attempt 11 of 11)")),
            "{d:?}"
        );
        assert_eq!(
            decide(DEFAULT, "GET", status(429, Some("1")), 10, 0),
            Decision::Stop
        );
        assert_eq!(
            decide(DEFAULT, "GET", status(429, Some("1")), u32::MAX, 0),
            Decision::Stop
        );
    }

    #[test]
    fn default_5xx_only_with_retry_after() {
        let d = decide(DEFAULT, "GET", status(503, Some("2")), 0, 0);
        assert_eq!(
            d,
            Decision::RetryAfter {
                wait: Duration::from_secs(2),
                reason: "503 Service Unavailable: retrying in 2s (attempt 2 of 11)".into(),
            }
        );
        assert_eq!(
            wait(&decide(DEFAULT, "DELETE", status(500, Some("1")), 0, 0)),
            secs(1)
        );
        assert_eq!(
            decide(DEFAULT, "GET", status(503, None), 0, 0),
            Decision::Stop
        );
        // client-go's checkWait: a 429 without Retry-After is not retried by default either.
        assert_eq!(
            decide(DEFAULT, "GET", status(429, None), 0, 0),
            Decision::Stop
        );
    }

    #[test]
    fn other_statuses_never_retry() {
        for p in [DEFAULT, policy(Some(5), None)] {
            for code in [200, 201, 301, 400, 401, 404, 409, 410, 600, 999] {
                assert_eq!(
                    decide(p, "GET", status(code, Some("1")), 0, 0),
                    Decision::Stop,
                    "{code}"
                );
            }
        }
    }

    #[test]
    fn connection_failures_only_with_retry() {
        for refused in [true, false] {
            let failed = Outcome::ConnectFailed { refused };
            assert_eq!(decide(DEFAULT, "GET", failed, 0, 0), Decision::Stop);
        }
    }

    #[test]
    fn opt_in_retries_without_retry_after() {
        let p = policy(Some(3), None);
        let d = decide(p, "GET", status(503, None), 0, 0);
        assert_eq!(
            d,
            Decision::RetryAfter {
                wait: Duration::from_millis(250),
                reason: "503 Service Unavailable: retrying in 250ms (attempt 2 of 4)".into(),
            }
        );
        assert_eq!(wait(&decide(p, "GET", status(429, None), 0, 0)), ms(250));
        assert_eq!(
            wait(&decide(p, "GET", status(502, Some("soon")), 0, 0)),
            ms(250)
        );
        // Retry-After still wins over the backoff.
        assert_eq!(
            wait(&decide(p, "GET", status(503, Some("7")), 0, 0)),
            secs(7)
        );
        // N retries in all, of any kind.
        assert_eq!(decide(p, "GET", status(503, None), 3, 0), Decision::Stop);
        assert_eq!(
            decide(p, "GET", status(429, Some("1")), 3, 0),
            Decision::Stop
        );
        // --retry 0 turns off even the default retries.
        assert_eq!(
            decide(policy(Some(0), None), "GET", status(429, Some("1")), 0, 0),
            Decision::Stop
        );
        // More than the default is allowed.
        assert_eq!(
            wait(&decide(
                policy(Some(50), None),
                "GET",
                status(429, Some("1")),
                20,
                0
            )),
            secs(1)
        );
    }

    #[test]
    fn backoff_is_exponential_with_full_jitter() {
        let p = policy(Some(20), None);
        let at = |attempt, r: f64| {
            wait(&p.decide_at(
                "GET",
                &Outcome::ConnectFailed { refused: true },
                attempt,
                Duration::ZERO,
                &mut || r,
                now(),
            ))
        };
        // Ceilings 0.5, 1, 2, 4, 8, then 10 s.
        let ceilings = [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000];
        for (attempt, ceiling) in ceilings.into_iter().enumerate() {
            assert_eq!(at(attempt as u32, 1.0), ms(ceiling), "attempt {attempt}");
            assert_eq!(at(attempt as u32, 0.0), ms(0));
            assert_eq!(at(attempt as u32, 0.5), ms(ceiling / 2));
        }
        assert_eq!(at(19, 1.0), Some(MAX_WAIT));
        // A bad random source cannot make a bad wait.
        assert_eq!(at(3, f64::NAN), ms(0));
        assert_eq!(at(3, -4.0), ms(0));
        assert_eq!(at(3, 7.0), ms(4000));
        assert_eq!(at(3, f64::INFINITY), ms(4000));
        let d = p.decide_at(
            "GET",
            &Outcome::ConnectFailed { refused: true },
            3,
            Duration::ZERO,
            &mut || 0.3,
            now(),
        );
        assert_eq!(
            d,
            Decision::RetryAfter {
                wait: Duration::from_millis(1200),
                reason: "connection refused: retrying in 1.2s (attempt 5 of 21)".into(),
            }
        );
    }

    #[test]
    fn non_idempotent_methods_only_when_not_processed() {
        let p = policy(Some(3), None);
        for method in ["POST", "PATCH", "CONNECT", "TRACE", "PROPFIND", "get"] {
            assert_eq!(
                decide(p, method, status(503, None), 0, 0),
                Decision::Stop,
                "{method}"
            );
            assert_eq!(
                decide(p, method, status(503, Some("1")), 0, 0),
                Decision::Stop
            );
            assert_eq!(
                decide(DEFAULT, method, status(503, Some("1")), 0, 0),
                Decision::Stop
            );
            assert_eq!(
                decide(p, method, Outcome::ConnectFailed { refused: false }, 0, 0),
                Decision::Stop
            );
            // Certainly not processed: a 429, a refused connection.
            assert_eq!(
                wait(&decide(DEFAULT, method, status(429, Some("2")), 0, 0)),
                secs(2)
            );
            assert_eq!(wait(&decide(p, method, status(429, None), 0, 0)), ms(250));
            let d = decide(p, method, Outcome::ConnectFailed { refused: true }, 0, 0);
            assert_eq!(
                d,
                Decision::RetryAfter {
                    wait: Duration::from_millis(250),
                    reason: "connection refused: retrying in 250ms (attempt 2 of 4)".into(),
                }
            );
            // Without --retry a refused connection is final.
            assert_eq!(
                decide(
                    DEFAULT,
                    method,
                    Outcome::ConnectFailed { refused: true },
                    0,
                    0
                ),
                Decision::Stop
            );
        }
    }

    #[test]
    fn idempotent_methods_on_any_failure() {
        let p = policy(Some(3), None);
        for method in ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"] {
            let d = decide(p, method, Outcome::ConnectFailed { refused: false }, 0, 0);
            assert_eq!(
                d,
                Decision::RetryAfter {
                    wait: Duration::from_millis(250),
                    reason: "connection failed: retrying in 250ms (attempt 2 of 4)".into(),
                },
                "{method}"
            );
            assert_eq!(
                wait(&decide(
                    p,
                    method,
                    Outcome::ConnectFailed { refused: true },
                    0,
                    0
                )),
                ms(250)
            );
            assert_eq!(wait(&decide(p, method, status(500, None), 0, 0)), ms(250));
            assert_eq!(
                wait(&decide(p, method, status(504, Some("1")), 0, 0)),
                secs(1)
            );
        }
    }

    #[test]
    fn max_time_bounds_the_total() {
        let p = policy(Some(10), Some(30));
        assert_eq!(
            wait(&decide(p, "GET", status(429, Some("5")), 0, 25)),
            secs(5)
        );
        assert_eq!(
            decide(p, "GET", status(429, Some("6")), 0, 25),
            Decision::Stop
        );
        assert_eq!(
            decide(p, "GET", status(429, Some("0")), 0, 31),
            Decision::Stop
        );
        // It bounds the default retries too.
        let p = policy(None, Some(2));
        assert_eq!(
            wait(&decide(p, "GET", status(429, Some("2")), 0, 0)),
            secs(2)
        );
        assert_eq!(
            decide(p, "GET", status(429, Some("3")), 0, 0),
            Decision::Stop
        );
        // No overflow on absurd elapsed times.
        let d = p.decide_at(
            "GET",
            &status(429, Some("1")),
            0,
            Duration::MAX,
            &mut || 0.5,
            now(),
        );
        assert_eq!(d, Decision::Stop);
        let d = DEFAULT.decide_at(
            "GET",
            &status(429, Some("1")),
            0,
            Duration::MAX,
            &mut || 0.5,
            now(),
        );
        assert_eq!(wait(&d), secs(1));
    }

    #[test]
    fn retry_after_as_an_http_date() {
        let later = "Sun, 06 Nov 1994 08:49:41 GMT";
        assert_eq!(
            wait(&decide(DEFAULT, "GET", status(429, Some(later)), 0, 0)),
            secs(4)
        );
        assert_eq!(
            wait(&decide(DEFAULT, "GET", status(503, Some(later)), 0, 0)),
            secs(4)
        );
        // The obsolete forms, which recipients must accept too.
        let p = |v: &str| parse_retry_after(v, now());
        assert_eq!(p("Sunday, 06-Nov-94 08:49:41 GMT"), secs(4));
        assert_eq!(p("Sun Nov  6 08:49:41 1994"), secs(4));
        // In the past: no wait; far ahead: capped.
        assert_eq!(p("Sat, 05 Nov 1994 08:49:37 GMT"), secs(0));
        assert_eq!(p("Thu, 01 Jan 1970 00:00:00 GMT"), secs(0));
        assert_eq!(p("Mon, 07 Nov 1994 08:49:37 GMT"), secs(86_400));
        assert_eq!(
            wait(&decide(
                DEFAULT,
                "GET",
                status(429, Some("Mon, 07 Nov 1994 08:49:37 GMT")),
                0,
                0
            )),
            Some(MAX_WAIT)
        );
        // Known points: the epoch, a leap day, and far ahead.
        assert_eq!(
            crate::time::parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(0)
        );
        assert_eq!(
            crate::time::parse_http_date("Thu, 29 Feb 2024 12:00:00 GMT"),
            Some(1_709_208_000)
        );
        assert_eq!(
            crate::time::parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT"),
            Some(253_402_300_799)
        );
        // Sub-second clocks: the wait is what is left.
        let now = UNIX_EPOCH + Duration::from_millis(NOW * 1000 + 250);
        assert_eq!(parse_retry_after(later, now), ms(3750));
    }

    #[test]
    fn garbage_retry_after_is_absent() {
        for garbage in [
            "",
            " ",
            "soon",
            "-1",
            "+3",
            "1.5",
            "3s",
            "0x10",
            "١",
            "Sun, 06 Nov 1994 08:49:41",
            "Sun, 06 Nov 1994 08:49:41 UTC",
            "Sun, 32 Nov 1994 08:49:41 GMT",
            "Sun, 06 Foo 1994 08:49:41 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 8:49:41 GMT",
            "Sun, 06 Nov 94 08:49:41 GMT",
            "Sunday, 06-Nov-94-1 08:49:41 GMT",
            "Sun Nov  6 08:49:41 94",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 06 Nov 1994 08:49:41:00 GMT",
        ] {
            assert_eq!(parse_retry_after(garbage, now()), None, "{garbage:?}");
            assert_eq!(
                decide(DEFAULT, "GET", status(429, Some(garbage)), 0, 0),
                Decision::Stop
            );
            assert_eq!(
                wait(&decide(
                    policy(Some(2), None),
                    "GET",
                    status(429, Some(garbage)),
                    0,
                    0
                )),
                ms(250)
            );
        }
    }

    #[test]
    fn reasons_name_the_status() {
        let reason = |code| match decide(DEFAULT, "GET", status(code, Some("1")), 1, 0) {
            Decision::RetryAfter { reason, .. } => reason,
            Decision::Stop => panic!("{code}"),
        };
        assert_eq!(
            reason(500),
            "500 Internal Server Error: retrying in 1s (attempt 3 of 11)"
        );
        assert_eq!(
            reason(502),
            "502 Bad Gateway: retrying in 1s (attempt 3 of 11)"
        );
        assert_eq!(
            reason(504),
            "504 Gateway Timeout: retrying in 1s (attempt 3 of 11)"
        );
        assert_eq!(reason(599), "599: retrying in 1s (attempt 3 of 11)");
        let d = decide(
            policy(Some(u32::MAX), None),
            "GET",
            status(429, Some("1")),
            u32::MAX - 1,
            0,
        );
        assert!(
            matches!(&d, Decision::RetryAfter { reason, .. } if reason.ends_with("(attempt 4294967296 of 4294967296)")),
            "{d:?}"
        );
    }

    #[test]
    fn decide_reads_the_clock_for_dates() {
        // A date an hour from now is capped; the real clock is used.
        let later = SystemTime::now() + Duration::from_secs(3600);
        let secs = later
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let date = jiff::Timestamp::from_second(secs as i64)
            .unwrap()
            .strftime("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let d = DEFAULT.decide(
            "GET",
            &status(429, Some(&date)),
            0,
            Duration::ZERO,
            &mut || 0.5,
        );
        assert_eq!(wait(&d), Some(MAX_WAIT), "{date}");
    }
}
