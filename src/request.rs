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
    let is_url = lower.starts_with("https://") || lower.starts_with("http://");
    if is_url && has_userinfo(target) {
        // The target is not echoed: it holds a password.
        return Err(Error::Usage(
            "the URL holds a user name or password (user:password@HOST), which kcurl never \
             sends; put credentials in the kubeconfig user, or use -H 'Authorization: …'"
                .to_string(),
        ));
    }
    let shown = short(target);
    if target.contains('#') {
        return Err(Error::Usage(format!(
            "\"{shown}\": '#' starts a URL fragment, which is never sent to the server; write %23 \
             if it belongs to the path or query"
        )));
    }
    let full = if is_url {
        normalize_origin(target)?
    } else if target.contains("://") {
        return Err(Error::Usage(format!(
            "\"{shown}\": only http:// and https:// URLs (or an API path such as /api) are supported"
        )));
    } else if target.starts_with('/') {
        format!("{server}{target}")
    } else {
        format!("{server}/{target}")
    };
    let encoded = encode_url_chars(&full);
    if encoded.len() >= MAX_URL_LEN {
        return Err(Error::Usage(format!(
            "\"{shown}\": the URL is {} bytes long; at most {} can be sent (use fewer -P \
             parameters, or a selector)",
            encoded.len(),
            MAX_URL_LEN - 1
        )));
    }
    let uri: Uri = encoded
        .parse()
        .map_err(|e| Error::Usage(format!("\"{shown}\": not a valid URL path: {e}")))?;
    if uri.host().is_none_or(str::is_empty) {
        return Err(Error::Usage(format!("\"{shown}\": the URL has no host")));
    }
    let server_uri: Uri = server
        .parse()
        .map_err(|e| Error::Config(format!("server \"{server}\": not a valid URL: {e}")))?;
    // Both sides went through `normalize_origin` (the server in `config`): one spelling of
    // scheme and host decides both "is this the cluster" and which TLS settings apply.
    let same_origin = uri.scheme_str() == server_uri.scheme_str()
        && tls::authority_of(&uri) == tls::authority_of(&server_uri);
    Ok(Url { uri, same_origin })
}

/// The longest URL the `http` crate accepts (`u16::MAX - 1` bytes), plus one.
const MAX_URL_LEN: usize = u16::MAX as usize;

/// At most 200 characters of `s`, for messages (a 150 KB URL is not echoed whole).
pub fn short(s: &str) -> String {
    const MAX: usize = 200;
    if s.chars().count() <= MAX {
        return s.to_string();
    }
    let head: String = s.chars().take(MAX).collect();
    format!("{head}… ({} bytes)", s.len())
}

/// True when an `http(s)://` URL has `user[:password]@` before its host.
pub fn has_userinfo(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    // The authority ends at the first '/', '?' or '#' (RFC 3986 3.2).
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.contains('@') {
        return true;
    }
    // A password holding '/' (`u:pa/ss@host`): what precedes the '/' is no `host:port`.
    let bad_port = !authority.starts_with('[')
        && authority
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()));
    bad_port
        && rest[end..]
            .split(['?', '#'])
            .next()
            .unwrap_or("")
            .contains('@')
}

/// `scheme://host[:port]…` with the scheme and host in their one canonical spelling: lower
/// case, and an internationalised host in its ASCII (punycode, `xn--`) form, as URL parsers
/// and client-go do. The rest of the URL is kept as given.
pub fn normalize_origin(url: &str) -> Result<String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Ok(url.to_string());
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (host, port) = if authority.starts_with('[') {
        match authority.find(']') {
            Some(i) => authority.split_at(i + 1),
            None => (authority, ""),
        }
    } else {
        match authority.rfind(':') {
            Some(i) => authority.split_at(i),
            None => (authority, ""),
        }
    };
    let host = if host.is_ascii() {
        host.to_ascii_lowercase()
    } else {
        idna_to_ascii(host).ok_or_else(|| {
            Error::Usage(format!(
                "\"{}\": the host name is not a valid internationalised domain name",
                short(url)
            ))
        })?
    };
    Ok(format!(
        "{}://{host}{port}{tail}",
        scheme.to_ascii_lowercase()
    ))
}

/// A Unicode host name in ASCII: each label lower-cased and, when not ASCII, punycode-encoded
/// with the `xn--` prefix (RFC 3490 ToASCII, without the full UTS #46 mapping table).
fn idna_to_ascii(host: &str) -> Option<String> {
    let mut labels = Vec::new();
    for label in host.split(['.', '\u{3002}', '\u{ff0e}', '\u{ff61}']) {
        let label = label.to_lowercase();
        if label.is_ascii() {
            labels.push(label);
        } else {
            labels.push(format!("xn--{}", punycode(&label)?));
        }
    }
    let out = labels.join(".");
    (out.len() <= 253).then_some(out)
}

/// RFC 3492 punycode encoding of one label.
fn punycode(input: &str) -> Option<String> {
    const BASE: u32 = 36;
    const T_MIN: u32 = 1;
    const T_MAX: u32 = 26;
    const SKEW: u32 = 38;
    const DAMP: u32 = 700;
    fn digit(d: u32) -> char {
        (if d < 26 {
            b'a' + d as u8
        } else {
            b'0' + (d - 26) as u8
        }) as char
    }
    fn adapt(mut delta: u32, points: u32, first: bool) -> u32 {
        delta /= if first { DAMP } else { 2 };
        delta += delta / points;
        let mut k = 0;
        while delta > ((BASE - T_MIN) * T_MAX) / 2 {
            delta /= BASE - T_MIN;
            k += BASE;
        }
        k + (BASE - T_MIN + 1) * delta / (delta + SKEW)
    }
    let chars: Vec<u32> = input.chars().map(u32::from).collect();
    let mut out: String = input.chars().filter(char::is_ascii).collect();
    let basic = out.len() as u32;
    let mut handled = basic;
    if basic > 0 {
        out.push('-');
    }
    let (mut n, mut delta, mut bias) = (128u32, 0u32, 72u32);
    while (handled as usize) < chars.len() {
        let m = chars.iter().copied().filter(|&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
        n = m;
        for &c in &chars {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        T_MIN
                    } else if k >= bias + T_MAX {
                        T_MAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out.push(digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit(q));
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta += 1;
        n += 1;
    }
    Some(out)
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
    // Impersonation is an authority claim like the token: the cluster's server only, over
    // https (client-go sends it on any transport; kcurl withholds it with the credentials).
    let impersonate = if send_credentials {
        creds.impersonate.headers()
    } else {
        Vec::new()
    };
    for (name, value) in impersonate {
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
    // The handshake that failed may be an https proxy's: explain it with the settings used
    // for that peer, and name it.
    let tls_explain = |e: &rustls::Error| {
        let peer = connector
            .last_handshake()
            .unwrap_or_else(|| authority.clone());
        let (peer_host, proxy) = if peer == authority {
            (host.clone(), String::new())
        } else {
            let h = peer.rsplit_once(':').map_or(peer.as_str(), |(h, _)| h);
            (
                h.trim_matches(|c| c == '[' || c == ']').to_string(),
                format!("the https proxy {peer}: "),
            )
        };
        let text = match connector.tls_for(&peer) {
            Ok(tls) => tls.explain(e, &peer_host),
            Err(m) => m,
        };
        let text = if proxy.is_empty() {
            text
        } else {
            // The proxy is checked against the system trust store, never the cluster's CA.
            text.replace("the server's certificate", "its certificate")
                .replace(
                    "check certificate-authority, or use --insecure at your own risk",
                    "add the proxy's CA to the system trust store",
                )
        };
        format!("{proxy}{text}")
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
    fn scheme_and_host_have_one_spelling() {
        let u = build_url("https://h.example:6443", "HTTPS://H.Example:6443/api").unwrap();
        assert_eq!(u.display(), "https://h.example:6443/api");
        assert!(u.same_origin);
        assert_eq!(
            normalize_origin("https://Bücher.Example/Api").unwrap(),
            "https://xn--bcher-kva.example/Api"
        );
        assert_eq!(
            normalize_origin("https://münchen.de:443").unwrap(),
            "https://xn--mnchen-3ya.de:443"
        );
        assert_eq!(
            normalize_origin("HTTP://[::1]:80/X").unwrap(),
            "http://[::1]:80/X"
        );
    }

    #[test]
    fn userinfo_is_recognised() {
        assert!(has_userinfo("https://u:p@h/api"));
        assert!(has_userinfo("https://u@h"));
        assert!(has_userinfo("https://u:p/w@h/api"));
        assert!(!has_userinfo("https://h:6443/api/x@y"));
        assert!(!has_userinfo("https://[::1]:6443/a@b"));
        assert!(!has_userinfo("https://h/a?x=u:p@h"));
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
