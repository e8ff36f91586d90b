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
    let at = parse_http_date(value)?;
    let now = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let at = Duration::from_secs(u64::try_from(at).unwrap_or(0));
    Some(at.saturating_sub(now))
}

/// Seconds since the Unix epoch of an HTTP-date in any of RFC 9110's three forms.
///
/// `Sun, 06 Nov 1994 08:49:37 GMT` (IMF-fixdate), `Sunday, 06-Nov-94 08:49:37 GMT` (RFC 850),
/// `Sun Nov  6 08:49:37 1994` (asctime). The day name is not checked against the date.
fn parse_http_date(s: &str) -> Option<i64> {
    let words: Vec<&str> = s.split_ascii_whitespace().collect();
    let (day, month, year, time) = match words.as_slice() {
        [wd, d, m, y, t, "GMT"] if wd.ends_with(',') => (*d, *m, year4(y)?, *t),
        [wd, dmy, t, "GMT"] if wd.ends_with(',') => {
            let mut parts = dmy.split('-');
            let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
            if parts.next().is_some() {
                return None;
            }
            let year = match y.len() {
                // RFC 9110: a two-digit year more than 50 years ahead is in the past century.
                2 => {
                    let yy: i64 = digits(y)?;
                    if yy < 70 { 2000 + yy } else { 1900 + yy }
                }
                _ => year4(y)?,
            };
            (d, m, year, *t)
        }
        [wd, m, d, t, y] if !wd.ends_with(',') => (*d, *m, year4(y)?, *t),
        _ => return None,
    };
    let day: i64 = digits(day).filter(|d| (1..=31).contains(d))?;
    let month = MONTHS.iter().position(|m| *m == month)? as i64 + 1;
    let mut hms = time.split(':');
    let (h, m, sec) = (hms.next()?, hms.next()?, hms.next()?);
    if hms.next().is_some() || h.len() != 2 || m.len() != 2 || sec.len() != 2 {
        return None;
    }
    let h: i64 = digits(h).filter(|h| *h < 24)?;
    let m: i64 = digits(m).filter(|m| *m < 60)?;
    let sec: i64 = digits(sec).filter(|s| *s <= 60)?;
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + sec)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn year4(s: &str) -> Option<i64> {
    (s.len() == 4).then(|| digits(s)).flatten()
}

/// A non-empty run of ASCII digits (no sign), at most 4 long.
fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
