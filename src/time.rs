//! The few timestamps kcurl reads and writes, through `jiff` (already linked for jq's date
//! functions): RFC 3339 (exec credential expiry and its cache), HTTP-dates (`Retry-After`) and
//! X.509 validity times (certificate errors).
//!
//! jiff does the calendar arithmetic and range checks; this module only pins down the exact
//! textual forms each protocol allows, which are narrower than what jiff's parsers accept.

use std::time::SystemTime;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

/// Parse an RFC 3339 time (`2026-11-29T10:00:00Z`, fractional seconds, numeric offsets).
///
/// Like Go's `time.Parse(time.RFC3339, …)` (which `metav1.Time` uses), a leap second (`:60`),
/// a space instead of `T`, ISO 8601's basic format and hours-only offsets are refused; unlike
/// Go, the lower-case `t` and `z` that RFC 3339 allows are accepted. Digits past nanoseconds
/// are ignored.
pub fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let at = |i: usize, want: &[u8]| b.get(i).is_some_and(|c| want.contains(c));
    let shape = digits(0..4)
        && at(4, b"-")
        && digits(5..7)
        && at(7, b"-")
        && digits(8..10)
        && at(10, b"Tt")
        && digits(11..13)
        && at(13, b":")
        && digits(14..16)
        && at(16, b":")
        && digits(17..19);
    if !shape || &b[17..19] == b"60" {
        return None;
    }
    let mut i = 19;
    let mut fraction = 19..19;
    if at(i, b".") {
        let end = (i + 1..=b.len())
            .find(|&e| !b.get(e).is_some_and(u8::is_ascii_digit))
            .unwrap_or(b.len());
        if end == i + 1 {
            return None;
        }
        fraction = i + 1..end;
        i = end;
    }
    let offset_ok = match b.get(i) {
        Some(b'Z' | b'z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i + 6 == b.len()
                && digits(i + 1..i + 3)
                && at(i + 3, b":")
                && digits(i + 4..i + 6)
                && b[i + 1..i + 3] <= b"23"[..]
                && b[i + 4..i + 6] <= b"59"[..]
        }
        _ => false,
    };
    if !offset_ok {
        return None;
    }
    // jiff takes at most nine fractional digits: drop the rest, as Go does.
    let text = if fraction.len() > 9 {
        format!("{}{}", &s[..fraction.start + 9], &s[fraction.end..])
    } else {
        s.to_string()
    };
    let ts: Timestamp = text.parse().ok()?;
    Some(SystemTime::from(ts))
}

/// Format a time as RFC 3339 in UTC, whole seconds (rounded down): `2026-11-29T10:00:00Z`.
/// `None` before 1970 or after 9999 (the forms Kubernetes writes).
pub fn format_rfc3339(t: SystemTime) -> Option<String> {
    let secs = i64::try_from(t.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs()).ok()?;
    let ts = Timestamp::from_second(secs).ok()?;
    (ts.to_zoned(TimeZone::UTC).year() <= 9999)
        .then(|| ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// Seconds since the Unix epoch of an HTTP-date in any of RFC 9110's three forms.
///
/// `Sun, 06 Nov 1994 08:49:37 GMT` (IMF-fixdate), `Sunday, 06-Nov-94 08:49:37 GMT` (RFC 850),
/// `Sun Nov  6 08:49:37 1994` (asctime). The day name is not checked against the date; a
/// two-digit year more than 50 years ahead is in the past century (RFC 9110 §5.6.7).
pub fn parse_http_date(s: &str) -> Option<i64> {
    let words: Vec<&str> = s.split_ascii_whitespace().collect();
    let (day, month, year, time) = match words.as_slice() {
        [wd, d, m, y, t, "GMT"] if wd.ends_with(',') && y.len() == 4 => (*d, *m, number(y)?, *t),
        [wd, dmy, t, "GMT"] if wd.ends_with(',') => {
            let mut parts = dmy.split('-');
            let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
            if parts.next().is_some() {
                return None;
            }
            let year = match y.len() {
                2 => {
                    let yy = number(y)?;
                    if yy < 70 { 2000 + yy } else { 1900 + yy }
                }
                4 => number(y)?,
                _ => return None,
            };
            (d, m, year, *t)
        }
        [wd, m, d, t, y] if !wd.ends_with(',') && y.len() == 4 => (*d, *m, number(y)?, *t),
        _ => return None,
    };
    let month = MONTHS.iter().position(|m| *m == month)? + 1;
    let mut hms = time.split(':');
    let (h, m, sec) = (hms.next()?, hms.next()?, hms.next()?);
    if hms.next().is_some() || [h, m, sec].iter().any(|p| p.len() != 2) {
        return None;
    }
    // A leap second (`:60`) is allowed by the grammar; it counts as the next second.
    let sec = number(sec)?;
    let (sec, leap) = if sec == 60 { (59, 1) } else { (sec, 0) };
    utc_seconds(
        year,
        i8::try_from(month).ok()?,
        number(day)?,
        number(h)?,
        number(m)?,
        sec,
    )
    .map(|t| t + leap)
}

/// An X.509 validity time: UTCTime (`YYMMDDHHMMSSZ`, tag 0x17, years 1950–2049) or
/// GeneralizedTime (`YYYYMMDDHHMMSSZ`, tag 0x18), as seconds since the Unix epoch.
pub fn parse_der_time(tag: u8, text: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(text).ok()?.strip_suffix('Z')?;
    let (year, rest) = match tag {
        0x17 => {
            let yy = number(text.get(..2)?)?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, text.get(2..)?)
        }
        0x18 => (number(text.get(..4)?)?, text.get(4..)?),
        _ => return None,
    };
    if rest.len() != 10 {
        return None;
    }
    let field = |r: std::ops::Range<usize>| rest.get(r).and_then(number);
    let month = i8::try_from(field(0..2)?).ok()?;
    let secs = utc_seconds(
        year,
        month,
        field(2..4)?,
        field(4..6)?,
        field(6..8)?,
        field(8..10)?,
    )?;
    u64::try_from(secs).ok()
}

/// `2024-02-29T23:59:59Z`: seconds since the Unix epoch as RFC 3339 UTC.
pub fn format_utc_seconds(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|s| Timestamp::from_second(s).ok())
        .map_or_else(
            || format!("{secs} seconds after 1970"),
            |ts| ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        )
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A non-empty run of at most four ASCII digits (no sign).
fn number(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Seconds since the epoch of a UTC civil time; `None` for an invalid date or time.
fn utc_seconds(year: i64, month: i8, day: i64, hour: i64, minute: i64, second: i64) -> Option<i64> {
    let dt = DateTime::new(
        i16::try_from(year).ok()?,
        month,
        i8::try_from(day).ok()?,
        i8::try_from(hour).ok()?,
        i8::try_from(minute).ok()?,
        i8::try_from(second).ok()?,
        0,
    )
    .ok()?;
    // Day arithmetic on civil dates: jiff's Timestamp stops a day short of 10000-01-01, which
    // an HTTP-date may still name.
    let days = dt
        .date()
        .since(jiff::civil::date(1970, 1, 1))
        .ok()?
        .get_days();
    Some(i64::from(days) * 86_400 + hour * 3600 + minute * 60 + second)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn rfc3339() {
        let t = |s: &str| {
            parse_rfc3339(s).map(|t| {
                let d = t.duration_since(UNIX_EPOCH).unwrap();
                (d.as_secs(), d.subsec_nanos())
            })
        };
        assert_eq!(t("1970-01-01T00:00:00Z"), Some((0, 0)));
        assert_eq!(t("2000-03-01T00:00:00Z"), Some((951_868_800, 0)));
        assert_eq!(t("2026-11-29T10:00:00Z"), Some((1_795_946_400, 0)));
        assert_eq!(t("2026-11-29t10:00:00z"), Some((1_795_946_400, 0)));
        assert_eq!(t("2026-11-29T12:30:00+02:30"), Some((1_795_946_400, 0)));
        assert_eq!(t("2026-11-29T05:00:00-05:00"), Some((1_795_946_400, 0)));
        assert_eq!(
            t("2026-11-29T10:00:00.5Z"),
            Some((1_795_946_400, 500_000_000))
        );
        assert_eq!(
            t("2026-11-29T10:00:00.123456789123+00:00"),
            Some((1_795_946_400, 123_456_789))
        );
        assert_eq!(t("2024-02-29T00:00:00Z"), Some((1_709_164_800, 0)));
        for bad in [
            "",
            "2026-11-29",
            "2026-11-29T10:00:00",
            "2026-11-29 10:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-11-31T00:00:00Z",
            "2026-11-29T24:00:00Z",
            "2026-11-29T10:60:00Z",
            "2026-11-29T10:00:60Z",
            "2026-11-29T10:00:00.Z",
            "2026-11-29T10:00:00+0200",
            "2026-11-29T10:00:00+02",
            "2026-11-29T10:00:00+24:00",
            "2026-11-29T10:00:00Zjunk",
            "20261129T100000Z",
            "+026-11-29T10:00:00Z",
            "2026-11-29T10:00:00\u{e9}",
            "２026-11-29T10:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
        assert!(parse_rfc3339("1969-12-31T23:59:59Z").is_some());
        for s in [
            "1970-01-01T00:00:00Z",
            "2026-11-29T10:00:00Z",
            "2400-02-29T23:59:59Z",
        ] {
            assert_eq!(
                format_rfc3339(parse_rfc3339(s).unwrap()).as_deref(),
                Some(s)
            );
        }
        assert_eq!(format_rfc3339(UNIX_EPOCH - Duration::from_secs(1)), None);
        assert_eq!(
            format_rfc3339(UNIX_EPOCH + Duration::from_secs(253_402_300_800)),
            None
        );
    }

    #[test]
    fn http_dates() {
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_http_date("Sun Nov  6 08:49:37 1994"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_http_date("Thu, 29 Feb 2024 12:00:00 GMT"),
            Some(1_709_208_000)
        );
        assert_eq!(
            parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT"),
            Some(253_402_300_799)
        );
        assert_eq!(parse_http_date("Thu, 01-Jan-70 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Sat, 01-Jan-00 00:00:00 GMT"),
            Some(946_684_800)
        );
        for bad in [
            "",
            "soon",
            "Thu, 30 Feb 2024 12:00:00 GMT",
            "Thu, 01 Jan 1970 24:00:00 GMT",
            "Thu, 01 Jan 1970 00:00:00 UTC",
            "Thu, 01 Foo 1970 00:00:00 GMT",
            "Thu, 01 Jan 70 00:00:00 GMT",
            "Thu, 01 Jan 1970 0:00:00 GMT",
            "Thu, 01 Jan +970 00:00:00 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn der_times() {
        assert_eq!(parse_der_time(0x17, b"700101000000Z"), Some(0));
        assert_eq!(parse_der_time(0x17, b"000301000000Z"), Some(951_868_800));
        assert_eq!(
            parse_der_time(0x18, b"20261129100000Z"),
            Some(1_795_946_400)
        );
        assert_eq!(parse_der_time(0x17, b"7001010000Z"), None);
        assert_eq!(parse_der_time(0x19, b"700101000000Z"), None);
        assert_eq!(parse_der_time(0x18, b"20260230100000Z"), None);
        assert_eq!(parse_der_time(0x17, b"491231235959Z"), Some(2_524_607_999));
        // 1950 is before the epoch: not representable as seconds since it.
        assert_eq!(parse_der_time(0x17, b"500101000000Z"), None);
    }

    #[test]
    fn utc_formatting() {
        assert_eq!(format_utc_seconds(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc_seconds(1_709_251_199), "2024-02-29T23:59:59Z");
    }
}
