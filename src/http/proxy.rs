//! Which proxy, if any, a request goes through.
//!
//! The cluster's `proxy-url` wins. Otherwise the environment decides, with the semantics of
//! Go's `http.ProxyFromEnvironment` (`golang.org/x/net/http/httpproxy`), which client-go uses:
//! `HTTPS_PROXY`/`https_proxy` for https URLs, `HTTP_PROXY`/`http_proxy` for http URLs (upper
//! case first), `NO_PROXY`/`no_proxy` with host names, domain suffixes (`.example.com`,
//! `*.example.com`, `example.com` which also covers subdomains), IP addresses, CIDR ranges,
//! optional `:port`, and `*`; `localhost` and loopback addresses are never proxied.
//! kcurl evaluates these rules itself because ureq's environment handling differs.
//!
//! This module only decides; the request layer builds the agent with the result.

use std::net::IpAddr;

use crate::error::{Error, Result};

/// A proxy to use, with where it came from (for messages and validation errors).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The proxy URL, scheme included.
    pub url: String,
    /// `proxy-url in clusters["x"]` or `HTTPS_PROXY`.
    pub origin: String,
}

impl Choice {
    /// The URL with any `user:password@` replaced by `<redacted>@`, for messages.
    pub fn display(&self) -> String {
        redact_userinfo(&self.url)
    }

    /// The ureq proxy for this choice.
    ///
    /// `socks5://` is handed to ureq as `socks5h://`: Go's SOCKS5 dialer (client-go, kubectl)
    /// sends host names for the proxy to resolve, while ureq's `socks5` resolves them locally,
    /// which fails for names only the proxy's network knows (`ssh -D` through a bastion).
    pub fn to_ureq(&self) -> Result<ureq::Proxy> {
        let url = match self.url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("socks5") => {
                format!("socks5h://{rest}")
            }
            _ => self.url.clone(),
        };
        ureq::Proxy::new(&url).map_err(|_| {
            Error::Config(format!(
                "{}: \"{}\" is not a valid proxy URL",
                self.origin,
                self.display()
            ))
        })
    }

    /// A failure to reach or use this proxy, as an error naming the proxy and where it was
    /// configured; `None` when `err` is not about the proxy.
    ///
    /// Through a proxy, kcurl resolves and connects to the proxy only (the proxy reaches the
    /// server), so a refused, unreachable or unresolvable connection is the proxy's, not the
    /// API server's.
    pub fn failure(&self, err: &ureq::Error, url: &str) -> Option<Error> {
        use std::io::ErrorKind as K;
        let what = match err {
            ureq::Error::Io(e) => match e.kind() {
                K::ConnectionRefused => "connection refused".to_string(),
                K::HostUnreachable | K::NetworkUnreachable => "unreachable".to_string(),
                // std words every getaddrinfo failure this way (an uncategorised error kind).
                _ if e
                    .to_string()
                    .starts_with("failed to lookup address information") =>
                {
                    format!("cannot resolve its host name ({e})")
                }
                _ => return None,
            },
            ureq::Error::HostNotFound => "cannot resolve its host name".to_string(),
            ureq::Error::ConnectProxyFailed(m) if m.contains("407") => {
                "it asks for authentication (407); check the user and password in the proxy URL"
                    .to_string()
            }
            ureq::Error::ConnectProxyFailed(m) => format!("it refused the tunnel: {m}"),
            _ => return None,
        };
        Some(Error::Connect(format!(
            "{url}: proxy {} (from {}): {what}",
            self.display(),
            self.origin
        )))
    }
}

/// Check a kubeconfig `proxy-url`: http, https, socks5 or socks5h (client-go's validation).
pub fn validate_proxy_url(url: &str, field: &str) -> Result<()> {
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("http" | "https" | "socks5" | "socks5h") => Ok(()),
        _ => Err(Error::Config(format!(
            "{field}: \"{}\" has an unsupported scheme; use http://, https://, socks5:// or socks5h://",
            redact_userinfo(url)
        ))),
    }
}

/// Decide the proxy for a request to `scheme://host:port`.
///
/// `proxy_url` is the cluster's `proxy-url` (with its field name for messages); `getenv` reads
/// the environment (a function, so tests need not touch the process environment).
pub fn choose(
    scheme: &str,
    host: &str,
    port: u16,
    proxy_url: Option<(&str, &str)>,
    getenv: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Choice>> {
    if let Some((url, field)) = proxy_url.filter(|(u, _)| !u.is_empty()) {
        validate_proxy_url(url, field)?;
        return Ok(Some(Choice {
            url: url.to_string(),
            origin: field.to_string(),
        }));
    }
    let get = |upper: &str, lower: &str| -> Option<(String, String)> {
        getenv(upper)
            .filter(|v| !v.is_empty())
            .map(|v| (v, upper.to_string()))
            .or_else(|| {
                getenv(lower)
                    .filter(|v| !v.is_empty())
                    .map(|v| (v, lower.to_string()))
            })
    };
    let proxy = if scheme.eq_ignore_ascii_case("https") {
        get("HTTPS_PROXY", "https_proxy")
    } else {
        get("HTTP_PROXY", "http_proxy")
    };
    let Some((value, var)) = proxy else {
        return Ok(None);
    };
    let no_proxy = get("NO_PROXY", "no_proxy")
        .map(|(v, _)| v)
        .unwrap_or_default();
    if !use_proxy(host, port, &no_proxy) {
        return Ok(None);
    }
    // Go: a proxy value without a scheme means http://.
    let url = if value.contains("://") {
        value
    } else {
        format!("http://{value}")
    };
    let scheme = url
        .split_once("://")
        .map(|(s, _)| s.to_ascii_lowercase())
        .unwrap_or_default();
    if !matches!(scheme.as_str(), "http" | "https" | "socks5" | "socks5h") {
        return Err(Error::Config(format!(
            "{var}: \"{}\" has an unsupported scheme; use http://, https://, socks5:// or socks5h://",
            redact_userinfo(&url)
        )));
    }
    Ok(Some(Choice { url, origin: var }))
}

/// httpproxy `useProxy`: false when the host is local or matched by `NO_PROXY`.
fn use_proxy(host: &str, port: u16, no_proxy: &str) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    if host == "localhost" {
        return false;
    }
    let ip: Option<IpAddr> = host.parse().ok();
    if ip.is_some_and(|ip| ip.is_loopback()) {
        return false;
    }
    let port = port.to_string();
    for entry in no_proxy.split(',') {
        let entry = entry.trim().to_ascii_lowercase();
        if entry.is_empty() {
            continue;
        }
        if entry == "*" {
            return false;
        }
        if let Some((net, bits)) = parse_cidr(&entry) {
            if ip.is_some_and(|ip| cidr_contains(net, bits, ip)) {
                return false;
            }
            continue;
        }
        let (ehost, eport) = split_host_port(&entry);
        if ehost.is_empty() {
            continue;
        }
        if let Ok(eip) = ehost.parse::<IpAddr>() {
            if ip == Some(eip) && (eport.is_empty() || eport == port) {
                return false;
            }
            continue;
        }
        // Domains: "*.x.com" and ".x.com" match subdomains; "x.com" matches itself and them.
        let (suffix, match_host) = match ehost.strip_prefix("*.") {
            Some(rest) => (format!(".{rest}"), false),
            None if ehost.starts_with('.') => (ehost.to_string(), false),
            None => (format!(".{ehost}"), true),
        };
        let hit = host.ends_with(&suffix) || (match_host && host == suffix[1..]);
        if hit && (eport.is_empty() || eport == port) {
            return false;
        }
    }
    true
}

/// `host:port`, `[v6]:port` or just a host.
fn split_host_port(s: &str) -> (&str, &str) {
    if let Some(rest) = s.strip_prefix('[') {
        if let Some((h, tail)) = rest.split_once(']') {
            return (h, tail.strip_prefix(':').unwrap_or(""));
        }
    }
    match s.rsplit_once(':') {
        // A bare IPv6 address has several colons: no port.
        Some((h, p))
            if !h.contains(':') && p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty() =>
        {
            (h, p)
        }
        _ => (s, ""),
    }
}

fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let (addr, bits) = s.split_once('/')?;
    let addr: IpAddr = addr.parse().ok()?;
    let bits: u8 = bits.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((addr, bits))
}

fn cidr_contains(net: IpAddr, bits: u8, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

/// Replace `user:password@` in a URL with `<redacted>@`.
///
/// The URL is parsed (RFC 3986: the authority ends at the first '/', '?' or '#'); when what
/// precedes the first '/' is no valid `host:port`, a password containing '/'
/// (`http://u:pa/ss@proxy`) is assumed and everything up to the last '@' is redacted.
pub fn redact_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    if !crate::http::url::has_userinfo(url) {
        return url.to_string();
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let at = match rest[..end].rfind('@') {
        Some(at) => at,
        // `has_userinfo` saw an '@' after a '/' that belongs to the password.
        None => rest
            .split(['?', '#'])
            .next()
            .and_then(|r| r.rfind('@'))
            .unwrap_or(0),
    };
    format!("{scheme}://<redacted>@{}", &rest[at + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    fn pick(scheme: &str, host: &str, port: u16, vars: &[(&str, &str)]) -> Option<String> {
        choose(scheme, host, port, None, &env(vars))
            .unwrap()
            .map(|c| c.url)
    }

    #[test]
    fn scheme_selects_the_variable_upper_case_first() {
        let vars = [
            ("HTTPS_PROXY", "http://s:1"),
            ("https_proxy", "http://lower:1"),
            ("HTTP_PROXY", "http://p:2"),
        ];
        assert_eq!(
            pick("https", "k8s.example", 443, &vars).as_deref(),
            Some("http://s:1")
        );
        assert_eq!(
            pick("http", "k8s.example", 80, &vars).as_deref(),
            Some("http://p:2")
        );
        assert_eq!(
            pick("https", "k8s.example", 443, &[("https_proxy", "p:3128")]).as_deref(),
            Some("http://p:3128")
        );
        assert_eq!(
            pick("https", "k8s.example", 443, &[("HTTP_PROXY", "http://p:2")]),
            None
        );
    }

    #[test]
    fn loopback_is_never_proxied() {
        let vars = [("HTTPS_PROXY", "http://p:1")];
        assert_eq!(pick("https", "localhost", 6443, &vars), None);
        assert_eq!(pick("https", "127.0.0.1", 6443, &vars), None);
        assert_eq!(pick("https", "127.1.2.3", 6443, &vars), None);
        assert_eq!(pick("https", "[::1]", 6443, &vars), None);
    }

    #[test]
    fn no_proxy_rules() {
        let np = |no_proxy: &str, host: &str, port: u16| {
            pick(
                "https",
                host,
                port,
                &[("HTTPS_PROXY", "http://p:1"), ("NO_PROXY", no_proxy)],
            )
            .is_none()
        };
        assert!(np("*", "anything.example", 443));
        assert!(np("example.com", "example.com", 443));
        assert!(np("example.com", "api.example.com", 443));
        assert!(!np("example.com", "notexample.com", 443));
        assert!(np(".example.com", "api.example.com", 443));
        assert!(!np(".example.com", "example.com", 443));
        assert!(np("*.example.com", "api.example.com", 443));
        assert!(!np("*.example.com", "example.com", 443));
        assert!(np("10.0.0.0/8", "10.1.2.3", 6443));
        assert!(!np("10.0.0.0/8", "11.1.2.3", 6443));
        assert!(np("fd00::/8", "[fd00::1]", 6443));
        assert!(np("192.168.1.5", "192.168.1.5", 6443));
        assert!(np("192.168.1.5:6443", "192.168.1.5", 6443));
        assert!(!np("192.168.1.5:443", "192.168.1.5", 6443));
        assert!(np("k8s.local:6443", "k8s.local", 6443));
        assert!(!np("k8s.local:443", "k8s.local", 6443));
        assert!(np(" other , K8S.local ", "k8s.local", 6443));
        assert!(!np("10.0.0.0/8", "ten.example", 443));
        assert!(np("no_proxy_lower_ignored,x", "x", 443));
        let lower = pick(
            "https",
            "x.example",
            443,
            &[("HTTPS_PROXY", "http://p:1"), ("no_proxy", "x.example")],
        );
        assert_eq!(lower, None);
    }

    #[test]
    fn cluster_proxy_url_wins_and_is_validated() {
        let vars = env(&[("HTTPS_PROXY", "http://env:1")]);
        let c = choose(
            "https",
            "127.0.0.1",
            6443,
            Some(("socks5://s:1080", "f")),
            &vars,
        )
        .unwrap()
        .unwrap();
        assert_eq!(c.url, "socks5://s:1080");
        let e = choose(
            "https",
            "h",
            1,
            Some(("ftp://x", "clusters[\"c\"].proxy-url")),
            &vars,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("clusters[\"c\"].proxy-url: \"ftp://x\" has an unsupported scheme")
        );
    }

    #[test]
    fn credentials_in_proxy_urls_are_redacted() {
        assert_eq!(
            redact_userinfo("http://u:pw@p:3128/x@y"),
            "http://<redacted>@p:3128/x@y"
        );
        assert_eq!(redact_userinfo("http://p:3128"), "http://p:3128");
        // A password holding '/' (or '?'-free path-looking text) is still userinfo.
        assert_eq!(
            redact_userinfo("http://u:PW/SECRET@proxy:3128"),
            "http://<redacted>@proxy:3128"
        );
        assert_eq!(
            redact_userinfo("socks5://u:a/b/c@proxy"),
            "socks5://<redacted>@proxy"
        );
    }
}
