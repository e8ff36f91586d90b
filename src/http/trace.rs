//! `-v`: the request and response lines on stderr, credentials redacted.

use std::time::Instant;

use ureq::http::{self, HeaderName, HeaderValue, Method};

use crate::diag::{diag, sanitize};
use crate::http::proxy::Choice;
use crate::http::{ApiUrl, Provenance};

/// `* kubeconfig: …; context: …; cluster: …; user: … (credentials)` and the proxy, once per
/// client.
pub fn context(label: &str, p: &Provenance, creds: &str, proxy: Option<&Choice>) {
    diag(&format!(
        "{label}* kubeconfig: {}; context: {}; cluster: {}; user: {} ({creds})",
        p.kubeconfig,
        p.context.as_deref().unwrap_or("-"),
        p.cluster.as_deref().unwrap_or("-"),
        p.user.as_deref().unwrap_or("-"),
    ));
    if let Some(proxy) = proxy {
        diag(&format!(
            "{label}* proxy: {} (from {})",
            proxy.display(),
            proxy.origin
        ));
    }
}

/// `* timings: connect …, tls …, first byte …, total …`, after the body was read.
pub fn timings(label: &str, timings: &Timings) {
    diag(&format!(
        "{label}* timings: {}",
        timings.describe(Instant::now())
    ));
}

/// Connection timings of one request, for `-v` (no connect or TLS time on a reused connection).
#[derive(Debug, Default, Clone, Copy)]
pub struct Timings {
    pub start: Option<Instant>,
    pub connected: Option<Instant>,
    pub tls_done: Option<Instant>,
    pub first_byte: Option<Instant>,
}

impl Timings {
    /// `connect 1.2 ms, tls 3.4 ms, first byte 5.6 ms, total 7.8 ms` (each from the start).
    pub fn describe(&self, end: Instant) -> String {
        let Some(start) = self.start else {
            return String::new();
        };
        let ms = |t: Instant| format!("{:.1} ms", t.duration_since(start).as_secs_f64() * 1e3);
        let mut parts = Vec::new();
        if let Some(t) = self.connected {
            parts.push(format!("connect {}", ms(t)));
        }
        if let Some(t) = self.tls_done {
            parts.push(format!("tls {}", ms(t)));
        }
        if let Some(t) = self.first_byte {
            parts.push(format!("first byte {}", ms(t)));
        }
        parts.push(format!("total {}", ms(end)));
        parts.join(", ")
    }
}

/// `> GET /path HTTP/1.1`, the host, the headers and the body size.
pub fn request(
    label: &str,
    method: &Method,
    url: &ApiUrl,
    headers: &[(HeaderName, HeaderValue)],
    gzip: bool,
    body_len: Option<usize>,
) {
    let target = url
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let l = label;
    diag(&format!("{l}> {method} {} HTTP/1.1", sanitize(&target)));
    diag(&format!(
        "{l}> host: {}",
        url.uri.authority().map(|a| a.as_str()).unwrap_or("")
    ));
    for (name, value) in headers {
        diag(&format!("{l}> {name}: {}", redact_header(name, value)));
    }
    if gzip {
        diag(&format!("{l}> accept-encoding: gzip"));
    }
    if let Some(n) = body_len {
        diag(&format!("{l}> ({n} bytes of body)"));
    }
}

/// `< HTTP/1.1 200 OK` and the response headers.
pub fn response(label: &str, response: &http::Response<ureq::Body>) {
    let l = label;
    let status = response.status();
    diag(&format!(
        "{l}< HTTP/1.1 {} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    ));
    for (name, value) in response.headers() {
        diag(&format!("{l}< {name}: {}", redact_header(name, value)));
    }
}

/// A header value for `-v`: credentials are replaced by `<redacted>` (keeping the scheme).
pub fn redact_header(name: &HeaderName, value: &HeaderValue) -> String {
    let text = String::from_utf8_lossy(value.as_bytes());
    let sensitive = [
        http::header::AUTHORIZATION,
        http::header::PROXY_AUTHORIZATION,
        http::header::COOKIE,
        http::header::SET_COOKIE,
    ];
    if sensitive.contains(name) {
        return match text.split_once(' ') {
            Some((scheme, _))
                if name == http::header::AUTHORIZATION
                    || name == http::header::PROXY_AUTHORIZATION =>
            {
                format!("{scheme} <redacted>")
            }
            _ => "<redacted>".to_string(),
        };
    }
    sanitize(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_redacted_in_traces() {
        let h = |v: &str| HeaderValue::from_str(v).unwrap();
        assert_eq!(
            redact_header(&http::header::AUTHORIZATION, &h("Bearer abc")),
            "Bearer <redacted>"
        );
        assert_eq!(
            redact_header(&http::header::AUTHORIZATION, &h("Basic YWI6Yw==")),
            "Basic <redacted>"
        );
        assert_eq!(
            redact_header(&http::header::AUTHORIZATION, &h("opaque")),
            "<redacted>"
        );
        assert_eq!(redact_header(&http::header::ACCEPT, &h("*/*")), "*/*");
    }
}
