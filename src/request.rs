//! The HTTP request: URL, headers, body, the ureq agent, and what a failure to get a response
//! means.
//!
//! An HTTP error status is a response, not an error: this module returns every response the
//! server sends (redirects are never followed, so credentials cannot reach another host) and
//! turns only transport failures into [`Error::Connect`] or [`Error::Tls`]. It does not print.

use std::io::Read;

use ureq::http::{self, HeaderName, HeaderValue, Method, Uri};

use crate::auth::Credentials;
use crate::error::{Error, Result};
use crate::kubeconfig::{display_path, io_reason};
use crate::tls::{self, Connector, Tls};

/// The request URL and whether it goes to the cluster's own server.
#[derive(Clone, Debug)]
pub struct Url {
    pub uri: Uri,
    /// Scheme, host and port are the cluster's: credentials may be sent (over https).
    pub same_origin: bool,
}

impl Url {
    /// The URL as text, for messages.
    pub fn display(&self) -> String {
        self.uri.to_string()
    }
}

/// Build the URL for `target` (a path or a full URL) against the cluster `server`.
///
/// A path keeps the server's own path prefix (Rancher-style `…/k8s/clusters/c-1`); the query is
/// kept as given. Characters that cannot appear in a URL (spaces, `{`, `|`, non-ASCII…) are
/// percent-encoded; existing `%XX` escapes are left alone.
pub fn build_url(server: &str, target: &str) -> Result<Url> {
    let lower = target.to_ascii_lowercase();
    let full = if lower.starts_with("https://") || lower.starts_with("http://") {
        target.to_string()
    } else if target.contains("://") {
        return Err(Error::Usage(format!(
            "\"{target}\": only http:// and https:// URLs (or an API path such as /api) are supported"
        )));
    } else if target.starts_with('/') {
        format!("{server}{target}")
    } else {
        format!("{server}/{target}")
    };
    let encoded = encode_url_chars(&full);
    let uri: Uri = encoded
        .parse()
        .map_err(|e| Error::Usage(format!("\"{target}\": not a valid URL path: {e}")))?;
    if uri.host().is_none_or(str::is_empty) {
        return Err(Error::Usage(format!("\"{target}\": the URL has no host")));
    }
    let server_uri: Uri = server
        .parse()
        .map_err(|e| Error::Config(format!("server \"{server}\": not a valid URL: {e}")))?;
    let same_origin = uri.scheme_str().map(str::to_ascii_lowercase)
        == server_uri.scheme_str().map(str::to_ascii_lowercase)
        && tls::authority_of(&uri).eq_ignore_ascii_case(&tls::authority_of(&server_uri));
    Ok(Url { uri, same_origin })
}

/// Percent-encode the bytes that are not allowed anywhere in a URI (RFC 3986), leaving
/// reserved characters and existing escapes alone.
fn encode_url_chars(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let ok = b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b);
        if ok {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Bodies from stdin are kept in memory up to this size (YAML conversion and retries need
/// them whole; the API server refuses objects above ~3 MiB anyway); a larger body is streamed,
/// once, without conversion or retries.
pub const STDIN_BUFFER: u64 = 8 << 20;

/// A request body that did not fit in memory: the part read so far and the rest of stdin.
pub struct Streamed {
    pub head: Vec<u8>,
    pub rest: Box<dyn Read + Send>,
}

impl std::fmt::Debug for Streamed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Streamed {{ head: {} bytes, rest: stdin }}",
            self.head.len()
        )
    }
}

/// The request body, read (or, for a large stdin body, started) before any connection is made.
pub fn read_body(data: Option<&str>) -> Result<(Option<Vec<u8>>, Option<Streamed>)> {
    let Some(data) = data else {
        return Ok((None, None));
    };
    if data == "@-" {
        let mut head = Vec::new();
        std::io::stdin()
            .lock()
            .take(STDIN_BUFFER + 1)
            .read_to_end(&mut head)
            .map_err(|e| Error::Config(format!("--data @-: cannot read standard input: {e}")))?;
        if head.len() as u64 <= STDIN_BUFFER {
            return Ok((Some(head), None));
        }
        return Ok((
            None,
            Some(Streamed {
                head,
                rest: Box::new(std::io::stdin()),
            }),
        ));
    }
    if let Some(path) = data.strip_prefix('@') {
        let path = std::path::Path::new(path);
        return std::fs::read(path).map(|b| (Some(b), None)).map_err(|e| {
            Error::Config(format!(
                "--data: cannot read {}: {}",
                display_path(path),
                io_reason(&e)
            ))
        });
    }
    Ok((Some(data.as_bytes().to_vec()), None))
}

/// Parse the `-H 'Name: value'` arguments: `(name, Some(value))`, or `(name, None)` to remove.
pub fn parse_headers(raw: &[String]) -> Result<Vec<(HeaderName, Option<HeaderValue>)>> {
    raw.iter()
        .map(|h| {
            let Some((name, value)) = h.split_once(':') else {
                return Err(Error::Usage(format!(
                    "-H \"{h}\": expected 'Name: value' (or 'Name:' to remove a default header)"
                )));
            };
            let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
                Error::Usage(format!(
                    "-H \"{h}\": \"{}\" is not a valid header name",
                    name.trim()
                ))
            })?;
            let value = value.trim();
            if value.is_empty() {
                return Ok((name, None));
            }
            let value = HeaderValue::from_str(value).map_err(|_| {
                Error::Usage(format!(
                    "-H \"{name}: …\": the value contains characters not allowed in a header"
                ))
            })?;
            Ok((name, Some(value)))
        })
        .collect()
}

/// The headers to send, defaults first, user headers replacing defaults of the same name.
///
/// Credentials are included only when `send_credentials` is true (same origin, over https).
pub fn headers(
    user: &[(HeaderName, Option<HeaderValue>)],
    creds: &Credentials,
    send_credentials: bool,
    has_body: bool,
) -> Result<Vec<(HeaderName, HeaderValue)>> {
    let mut out: Vec<(HeaderName, HeaderValue)> = vec![
        (
            http::header::ACCEPT,
            HeaderValue::from_static("application/json, */*"),
        ),
        (
            http::header::USER_AGENT,
            HeaderValue::from_static(concat!("kcurl/", env!("CARGO_PKG_VERSION"))),
        ),
    ];
    if has_body {
        out.push((
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ));
    }
    if send_credentials {
        if let Some(auth) = &creds.http {
            let mut v = HeaderValue::from_str(auth.header_value().expose()).map_err(|_| {
                Error::Config(
                    "the token contains characters that cannot be sent in an HTTP header (a stray newline?)"
                        .to_string(),
                )
            })?;
            v.set_sensitive(true);
            out.push((http::header::AUTHORIZATION, v));
        }
    }
    // client-go sets impersonation headers whether or not the transport is TLS.
    for (name, value) in creds.impersonate.headers() {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            Error::Config(format!("impersonation header {name} is not a valid name"))
        })?;
        let value = HeaderValue::from_str(&value).map_err(|_| {
            Error::Config(format!(
                "impersonation value for {name} is not a valid header value"
            ))
        })?;
        out.push((name, value));
    }
    for (name, _) in user {
        out.retain(|(n, _)| n != name);
    }
    for (name, value) in user {
        if let Some(v) = value {
            out.push((name.clone(), v.clone()));
        }
    }
    Ok(out)
}

/// `--connect-timeout` and the whole-request timeout (`--timeout`, or what is left of a wait).
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub connect: std::time::Duration,
    pub whole: Option<std::time::Duration>,
}

/// Build the agent for `target`: our TLS connector, no redirects, no status-as-error.
pub fn agent(
    settings: &tls::Settings,
    disable_compression: bool,
    timeouts: Timeouts,
    cluster_authority: String,
    proxy: Option<&crate::proxy::Choice>,
) -> Result<(ureq::Agent, Connector)> {
    use ureq::unversioned::resolver::DefaultResolver;
    use ureq::unversioned::transport::Connector as _;
    use ureq::unversioned::transport::{ConnectProxyConnector, SocksConnector, TcpConnector};

    let tls = Tls::new(settings)?;
    let connector = Connector::new(tls, cluster_authority, settings.insecure);
    let mut config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .allow_non_standard_methods(true)
        .user_agent(ureq::config::AutoHeaderValue::None)
        .timeout_connect(Some(timeouts.connect))
        .timeout_global(timeouts.whole)
        .proxy(proxy.map(crate::proxy::Choice::to_ureq).transpose()?);
    if disable_compression {
        config = config.accept_encoding(ureq::config::AutoHeaderValue::None);
    }
    let chain =
        ().chain(SocksConnector::default())
            .chain(ConnectProxyConnector::default())
            .chain(TcpConnector::default())
            .chain(connector.clone());
    Ok((
        ureq::Agent::with_parts(config.build(), chain, DefaultResolver::default()),
        connector,
    ))
}

/// Send the request; every HTTP status comes back as `Ok`.
pub fn send(
    agent: &ureq::Agent,
    method: &Method,
    url: &Url,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<Vec<u8>>,
    streamed: Option<Streamed>,
) -> std::result::Result<http::Response<ureq::Body>, ureq::Error> {
    let mut builder = http::Request::builder()
        .method(method.clone())
        .uri(url.uri.clone());
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    match (body, streamed) {
        (_, Some(s)) => {
            let reader = std::io::Cursor::new(s.head).chain(s.rest);
            agent.run(builder.body(ureq::SendBody::from_owned_reader(reader))?)
        }
        (Some(b), None) => agent.run(builder.body(b)?),
        (None, None) => agent.run(builder.body(())?),
    }
}

/// Parse `-X METHOD`.
pub fn method_from(m: &str) -> Result<Method> {
    Method::from_bytes(m.as_bytes())
        .map_err(|_| Error::Usage(format!("-X \"{m}\": not a valid HTTP method")))
}

/// Turn a transport failure into a user-facing error naming the URL and the cause.
pub fn classify(err: ureq::Error, url: &Url, connector: &Connector, timeouts: Timeouts) -> Error {
    let where_ = url.display();
    let authority = tls::authority_of(&url.uri);
    let host = url
        .uri
        .host()
        .unwrap_or("")
        .trim_matches(|c| c == '[' || c == ']')
        .to_string();
    let tls_explain = |e: &rustls::Error| match connector.tls_for(&authority) {
        Ok(tls) => tls.explain(e, &host),
        Err(m) => m,
    };
    match err {
        ureq::Error::Rustls(e) => Error::Tls(format!("{where_}: {}", tls_explain(&e))),
        ureq::Error::Io(e) => {
            if let Some(r) = tls::rustls_error_in(&e) {
                return Error::Tls(format!("{where_}: {}", tls_explain(r)));
            }
            let msg = format!("{where_}: {}", io_failure(&e, &authority));
            if e.kind() == std::io::ErrorKind::ConnectionRefused {
                Error::Refused(msg)
            } else {
                Error::Connect(msg)
            }
        }
        ureq::Error::Tls(m) => Error::Tls(format!("{where_}: TLS failed: {m}")),
        ureq::Error::HostNotFound => Error::Connect(format!(
            "{where_}: could not resolve host \"{host}\"; check the server address and your DNS"
        )),
        ureq::Error::Timeout(t) => Error::Connect(match t {
            ureq::Timeout::Connect | ureq::Timeout::Resolve => format!(
                "{where_}: could not connect to {authority} within {} (--connect-timeout)",
                secs(timeouts.connect)
            ),
            ureq::Timeout::Global => match timeouts.whole {
                Some(d) => format!(
                    "{where_}: no complete response within {} (--timeout)",
                    secs(d)
                ),
                None => format!("{where_}: timed out"),
            },
            other => format!("{where_}: timed out ({other})"),
        }),
        ureq::Error::ConnectionFailed => {
            Error::Connect(format!("{where_}: could not connect to {authority}"))
        }
        ureq::Error::ConnectProxyFailed(m) => Error::Connect(format!("{where_}: proxy: {m}")),
        ureq::Error::Protocol(e) => Error::Connect(format!(
            "{where_}: the server's answer is not valid HTTP/1.1 ({e}); is this the API server's address?"
        )),
        ureq::Error::LargeResponseHeader(size, limit) => Error::Connect(format!(
            "{where_}: the response headers are too large ({size} bytes, limit {limit})"
        )),
        ureq::Error::BadUri(m) => Error::Usage(format!("{where_}: {m}")),
        ureq::Error::Http(e) => Error::Usage(format!("{where_}: {e}")),
        other => Error::Connect(format!("{where_}: {other}")),
    }
}

/// A duration for messages: `2s`, `0.5s`.
pub fn secs(d: std::time::Duration) -> String {
    format!("{}s", d.as_secs_f64())
}

/// Describe an I/O failure while talking to the server.
pub fn io_failure(e: &std::io::Error, authority: &str) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => format!(
            "connection refused by {authority}; is the API server running there (right host and port)?"
        ),
        K::TimedOut => format!("timed out talking to {authority}"),
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => {
            format!("the connection to {authority} was closed by the server")
        }
        K::UnexpectedEof => format!("the server {authority} closed the connection early"),
        K::HostUnreachable | K::NetworkUnreachable => format!("{authority} is unreachable"),
        // std reports getaddrinfo failures as an uncategorised error with this wording.
        _ if e
            .to_string()
            .starts_with("failed to lookup address information") =>
        {
            let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
            format!("could not resolve host \"{host}\"; check the server address and your DNS")
        }
        _ => format!("{authority}: {}", io_reason(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_keep_the_server_prefix_and_query() {
        let u = build_url("https://h/k8s/clusters/c-1", "/api?x=1&y=a%2Fb").unwrap();
        assert_eq!(u.display(), "https://h/k8s/clusters/c-1/api?x=1&y=a%2Fb");
        assert!(u.same_origin);
        let u = build_url("https://h:6443", "api/v1").unwrap();
        assert_eq!(u.display(), "https://h:6443/api/v1");
    }

    #[test]
    fn unsafe_characters_are_encoded() {
        let u = build_url("https://h", "/api?labelSelector=app in (a,b)").unwrap();
        assert_eq!(u.display(), "https://h/api?labelSelector=app%20in%20(a,b)");
        let u = build_url("https://h", "/x/{ns}/é").unwrap();
        assert_eq!(u.display(), "https://h/x/%7Bns%7D/%C3%A9");
    }

    #[test]
    fn full_urls_are_same_origin_only_with_equal_scheme_host_and_port() {
        let s = "https://10.0.0.1:443";
        assert!(build_url(s, "https://10.0.0.1/api").unwrap().same_origin);
        assert!(
            build_url(s, "HTTPS://10.0.0.1:443/api")
                .unwrap()
                .same_origin
        );
        assert!(
            !build_url(s, "https://10.0.0.1:6443/api")
                .unwrap()
                .same_origin
        );
        assert!(!build_url(s, "http://10.0.0.1:443/api").unwrap().same_origin);
        assert!(
            !build_url(s, "https://evil.example/api")
                .unwrap()
                .same_origin
        );
        assert!(build_url(s, "ftp://x/").is_err());
    }

    #[test]
    fn user_headers_replace_and_remove_defaults() {
        let user = parse_headers(&[
            "accept: text/plain".into(),
            "User-Agent:".into(),
            "X-A: 1".into(),
        ])
        .unwrap();
        let h = headers(&user, &Credentials::default(), true, false).unwrap();
        let names: Vec<String> = h
            .iter()
            .map(|(n, v)| format!("{n}={}", v.to_str().unwrap()))
            .collect();
        assert_eq!(names, vec!["accept=text/plain", "x-a=1"]);
        assert!(parse_headers(&["nocolon".into()]).is_err());
        assert!(parse_headers(&["bad name: x".into()]).is_err());
    }
}
