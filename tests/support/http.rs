//! HTTP/1.1 wire format for the test server: reading requests (Content-Length and chunked
//! bodies, `Expect: 100-continue`), writing response heads and chunks, and a dependency-free
//! gzip encoder.

use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read, Write};

/// The largest request head and body accepted.
const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 256 * 1024 * 1024;

pub(super) fn write_chunk(conn: &mut impl Write, data: &[u8]) -> io::Result<()> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    conn.write_all(&out)?;
    conn.flush()
}

pub(super) fn head(status: u16, reason: Option<&str>, headers: &[(String, String)]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} {}\r\n",
        reason.unwrap_or_else(|| reason_phrase(status))
    );
    for (name, value) in headers {
        let _ = write!(out, "{name}: {value}\r\n");
    }
    out.push_str("\r\n");
    out.into_bytes()
}

pub(super) fn header_present(headers: &[(String, String)], name: &str) -> bool {
    headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
}

pub(super) fn header_has_token(headers: &[(String, String)], name: &str, token: &str) -> bool {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .flat_map(|(_, v)| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// The standard reason phrase of `status` (empty for unknown codes).
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        409 => "Conflict",
        410 => "Gone",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// A request as read off the wire.
pub(super) struct ParsedRequest {
    pub(super) method: String,
    pub(super) target: String,
    pub(super) version: String,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
}

/// Why no request could be read.
pub(super) enum RequestError {
    Io(io::Error),
    Bad(String),
}

impl From<io::Error> for RequestError {
    fn from(e: io::Error) -> Self {
        RequestError::Io(e)
    }
}

/// Reads one CRLF- (or LF-) terminated line, without the terminator. `Ok(None)` at EOF before
/// any byte.
fn read_line<S: Read>(
    r: &mut BufReader<S>,
    budget: &mut usize,
) -> Result<Option<String>, RequestError> {
    let mut line = Vec::new();
    let n = r
        .by_ref()
        .take(*budget as u64 + 1)
        .read_until(b'\n', &mut line)?;
    if n == 0 {
        return Ok(None);
    }
    if n > *budget {
        return Err(RequestError::Bad("request head too large".into()));
    }
    *budget -= n;
    if line.last() != Some(&b'\n') {
        return Err(RequestError::Io(io::ErrorKind::UnexpectedEof.into()));
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line)
        .map(Some)
        .map_err(|_| RequestError::Bad("request head is not UTF-8".into()))
}

/// Reads one request (head and body); `Ok(None)` if the client closed an idle connection.
pub(super) fn read_request<S: Read + Write>(
    r: &mut BufReader<S>,
) -> Result<Option<ParsedRequest>, RequestError> {
    let mut budget = MAX_HEAD;
    // RFC 9112 §2.2: ignore empty lines before the request line.
    let line = loop {
        match read_line(r, &mut budget)? {
            None => return Ok(None),
            Some(l) if !l.is_empty() => break l,
            Some(_) => {}
        }
    };
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(RequestError::Bad(format!("request line {line:?}")));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(RequestError::Bad(format!("request line {line:?}")));
    }
    let mut headers = Vec::new();
    loop {
        let Some(line) = read_line(r, &mut budget)? else {
            return Err(RequestError::Io(io::ErrorKind::UnexpectedEof.into()));
        };
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(RequestError::Bad(format!("header line {line:?}")));
        };
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }

    if header_has_token(&headers, "expect", "100-continue") {
        let conn = r.get_mut();
        conn.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        conn.flush()?;
    }
    let body = if header_has_token(&headers, "transfer-encoding", "chunked") {
        read_chunked_body(r)?
    } else {
        let lengths: Vec<&str> = headers
            .iter()
            .filter(|(n, _)| n == "content-length")
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .collect();
        match lengths.first() {
            None => Vec::new(),
            Some(first) => {
                if lengths.iter().any(|l| l != first) {
                    return Err(RequestError::Bad(format!(
                        "conflicting Content-Length {lengths:?}"
                    )));
                }
                let len: usize = first
                    .parse()
                    .map_err(|_| RequestError::Bad(format!("Content-Length {first:?}")))?;
                if len > MAX_BODY {
                    return Err(RequestError::Bad(format!(
                        "body of {len} bytes is too large"
                    )));
                }
                let mut body = vec![0u8; len];
                r.read_exact(&mut body)?;
                body
            }
        }
    };
    Ok(Some(ParsedRequest {
        method: method.to_owned(),
        target: target.to_owned(),
        version: version.to_owned(),
        headers,
        body,
    }))
}

fn read_chunked_body<S: Read>(r: &mut BufReader<S>) -> Result<Vec<u8>, RequestError> {
    let mut body = Vec::new();
    loop {
        let mut budget = MAX_HEAD;
        let Some(line) = read_line(r, &mut budget)? else {
            return Err(RequestError::Io(io::ErrorKind::UnexpectedEof.into()));
        };
        let size_hex = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16)
            .map_err(|_| RequestError::Bad(format!("chunk size line {line:?}")))?;
        if size == 0 {
            // Trailer section, up to the empty line.
            while let Some(l) = read_line(r, &mut budget)? {
                if l.is_empty() {
                    break;
                }
            }
            return Ok(body);
        }
        if body.len() + size > MAX_BODY {
            return Err(RequestError::Bad("chunked body too large".into()));
        }
        let start = body.len();
        body.resize(start + size, 0);
        r.read_exact(&mut body[start..])?;
        let mut crlf = [0u8; 2];
        r.read_exact(&mut crlf)?;
        if &crlf != b"\r\n" {
            return Err(RequestError::Bad("chunk not followed by CRLF".into()));
        }
    }
}

/// Gzip-encodes `data` (stored deflate blocks: valid gzip that any decoder reads, no
/// compression, no extra dependency).
pub fn gzip_bytes(data: &[u8]) -> Vec<u8> {
    let mut enc = GzipStream::default();
    let mut out = enc.block(data);
    out.extend(enc.finish());
    out
}

/// Incremental gzip encoder made of stored deflate blocks: each [`GzipStream::block`] output
/// is decodable on its own arrival, like a sync-flushed Go `gzip.Writer`.
#[derive(Default)]
pub(super) struct GzipStream {
    started: bool,
    crc: u32,
    len: u32,
}

impl GzipStream {
    pub(super) fn header(&mut self, out: &mut Vec<u8>) {
        if !self.started {
            self.started = true;
            self.crc = 0xffff_ffff;
            // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=unknown
            out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
        }
    }

    pub(super) fn block(&mut self, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() + 32);
        self.header(&mut out);
        for piece in data.chunks(0xffff) {
            let len = u16::try_from(piece.len()).expect("pieces are at most 0xffff bytes");
            out.push(0); // BFINAL=0, BTYPE=00 (stored), padded to the byte boundary
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&(!len).to_le_bytes());
            out.extend_from_slice(piece);
        }
        self.crc = crc32_update(self.crc, data);
        // ISIZE is the length modulo 2^32 (RFC 1952).
        #[allow(clippy::cast_possible_truncation)]
        let len = data.len() as u32;
        self.len = self.len.wrapping_add(len);
        out
    }

    pub(super) fn finish(mut self) -> Vec<u8> {
        let mut out = Vec::with_capacity(20);
        self.header(&mut out);
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]); // final, empty stored block
        out.extend_from_slice(&(!self.crc).to_le_bytes());
        out.extend_from_slice(&self.len.to_le_bytes());
        out
    }
}

const CRC32_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        #[allow(clippy::cast_possible_truncation)]
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

fn crc32_update(mut crc: u32, data: &[u8]) -> u32 {
    for &b in data {
        crc = CRC32_TABLE[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}
