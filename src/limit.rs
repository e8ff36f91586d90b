//! Caps on what kcurl holds in memory from outside: a response body read whole (`--jq`,
//! `-o yaml`, `--table`, a page of `--paginate`, `--until`, several contexts) and one line of a
//! watch stream. Bytes are counted after decompression.
//!
//! It owns the reader adapters and the `SIZE` syntax of `--max-body-size`; exceeding a cap is an
//! I/O error carrying [`Exceeded`], which the output layer turns into [`Error::Limit`] (exit 10).
//! It does not decide what to print.

use std::fmt;
use std::io::{self, BufRead, Read};

use crate::error::Error;

/// The default of `--max-body-size`: 256 MiB (a 10,000-pod list is about 50 MB).
pub const DEFAULT_MAX_BODY: u64 = 256 << 20;

/// The default as `--max-body-size` spells it (for clap and the docs).
pub const DEFAULT_MAX_BODY_TEXT: &str = "256MiB";

/// A cap was reached: `what` (e.g. "--jq") would have held more than `limit` bytes.
#[derive(Debug, Clone, Copy)]
pub struct Exceeded {
    pub limit: u64,
    pub what: &'static str,
}

impl fmt::Display for Exceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} exceeds {}", self.what, show_size(self.limit))
    }
}

impl std::error::Error for Exceeded {}

impl Exceeded {
    fn io(self) -> io::Error {
        io::Error::other(self)
    }

    /// The error kcurl reports, for the response at `url`.
    pub fn to_error(self, url: &str) -> Error {
        let place = if url.is_empty() {
            String::new()
        } else {
            format!("{url}: ")
        };
        Error::Limit(format!(
            "{place}{} is larger than {} (--max-body-size); nothing of it was printed: raise \
             the limit with --max-body-size SIZE",
            self.what,
            show_size(self.limit)
        ))
    }

    /// The [`Exceeded`] inside an I/O error, if that is what it is.
    pub fn in_io(e: &io::Error) -> Option<Exceeded> {
        e.get_ref()
            .and_then(|i| i.downcast_ref::<Exceeded>())
            .copied()
    }
}

/// Read all of `reader` into `buf`, failing with [`Exceeded`] past `limit` bytes.
pub fn read_to_end<R: Read>(
    reader: R,
    buf: &mut Vec<u8>,
    limit: u64,
    what: &'static str,
) -> io::Result<usize> {
    let n = reader.take(limit.saturating_add(1)).read_to_end(buf)?;
    if n as u64 > limit {
        return Err(Exceeded { limit, what }.io());
    }
    Ok(n)
}

/// Read one line (through `\n`) into `buf`, failing with [`Exceeded`] past `limit` bytes.
pub fn read_line<R: BufRead>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    limit: u64,
    what: &'static str,
) -> io::Result<usize> {
    let n = reader
        .take(limit.saturating_add(1))
        .read_until(b'\n', buf)?;
    if n as u64 > limit {
        return Err(Exceeded { limit, what }.io());
    }
    Ok(n)
}

/// A reader that fails with [`Exceeded`] when more than `limit` bytes come without a newline:
/// bounds what a streaming parser buffers for one watch event.
pub struct LineCapped<R> {
    inner: R,
    limit: u64,
    since_newline: u64,
    what: &'static str,
}

impl<R> LineCapped<R> {
    /// Cap each line of `inner` at `limit` bytes.
    pub fn new(inner: R, limit: u64, what: &'static str) -> Self {
        LineCapped {
            inner,
            limit,
            since_newline: 0,
            what,
        }
    }
}

impl<R: Read> Read for LineCapped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        match buf[..n].iter().rposition(|&b| b == b'\n') {
            Some(i) => self.since_newline = (n - i - 1) as u64,
            None => self.since_newline += n as u64,
        }
        if self.since_newline > self.limit {
            return Err(Exceeded {
                limit: self.limit,
                what: self.what,
            }
            .io());
        }
        Ok(n)
    }
}

/// Parse a `SIZE`: bytes, or a number with K, M, G or T (powers of 1024; `KiB`, `MB`, `m`
/// spellings accepted).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let num: f64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a size (e.g. 512MiB, 2G, 1000000)"))?;
    let unit = unit.trim().to_ascii_lowercase();
    let unit = unit.trim_end_matches('b').trim_end_matches('i');
    let factor: u64 = match unit {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        "t" => 1 << 40,
        _ => {
            return Err(format!(
                "'{s}': unknown unit; use K, M, G or T (powers of 1024)"
            ));
        }
    };
    let bytes = num * factor as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes > u64::MAX as f64 / 2.0 {
        return Err(format!("'{s}' must be a positive size"));
    }
    Ok(bytes as u64)
}

/// `256 MiB`, `1.5 GiB`, `1000 bytes`.
pub fn show_size(n: u64) -> String {
    const UNITS: [(&str, u64); 4] = [
        ("TiB", 1 << 40),
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
    ];
    for (name, size) in UNITS {
        if n >= size {
            let v = n as f64 / size as f64;
            return if v.fract() == 0.0 {
                format!("{v} {name}")
            } else {
                format!("{v:.1} {name}")
            };
        }
    }
    format!("{n} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_powers_of_1024() {
        assert_eq!(parse_size("256MiB"), Ok(256 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("1.5k"), Ok(1536));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size("10MB"), Ok(10 << 20));
        assert!(parse_size("0").is_err());
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5X").is_err());
        assert_eq!(parse_size(DEFAULT_MAX_BODY_TEXT), Ok(DEFAULT_MAX_BODY));
        assert_eq!(show_size(DEFAULT_MAX_BODY), "256 MiB");
        assert_eq!(show_size(1536), "1.5 KiB");
        assert_eq!(show_size(1000), "1000 bytes");
    }

    #[test]
    fn reads_stop_at_the_cap() {
        let mut buf = Vec::new();
        assert_eq!(read_to_end(&b"12345"[..], &mut buf, 5, "x").unwrap(), 5);
        buf.clear();
        let e = read_to_end(&b"123456"[..], &mut buf, 5, "x").unwrap_err();
        assert_eq!(Exceeded::in_io(&e).unwrap().limit, 5);
        let mut r = io::BufReader::new(&b"1234\n123456\n"[..]);
        buf.clear();
        assert_eq!(read_line(&mut r, &mut buf, 5, "x").unwrap(), 5);
        buf.clear();
        assert!(read_line(&mut r, &mut buf, 5, "x").is_err());
    }

    #[test]
    fn line_cap_counts_from_the_last_newline() {
        let data = b"1234\n1234\n12345678".to_vec();
        let mut r = LineCapped::new(io::Cursor::new(data), 5, "x");
        let mut out = Vec::new();
        let e = r.read_to_end(&mut out).unwrap_err();
        assert!(Exceeded::in_io(&e).is_some());
        let mut r = LineCapped::new(io::Cursor::new(b"1234\n1234\n".to_vec()), 5, "x");
        out.clear();
        assert!(r.read_to_end(&mut out).is_ok());
    }
}
