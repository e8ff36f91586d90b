//! The request URL ([`ApiUrl`]): the cluster's server prefix, `{namespace}` placeholders,
//! query parameters added or removed, percent-encoding (one `percent-encoding` set for each
//! use), and whether the URL is the cluster's own origin (credentials go nowhere else).
//!
//! Parses and builds text only: no I/O.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use ureq::http::Uri;

use crate::error::{Error, Result};
use crate::tls;

/// The request URL and whether it goes to the cluster's own server.
#[derive(Clone, Debug)]
pub struct ApiUrl {
    pub uri: Uri,
    /// Scheme, host and port are the cluster's: credentials may be sent (over https).
    pub same_origin: bool,
}

impl ApiUrl {
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
pub fn build_url(server: &str, target: &str) -> Result<ApiUrl> {
    check_target(target)?;
    let lower = target.to_ascii_lowercase();
    let is_url = lower.starts_with("https://") || lower.starts_with("http://");
    let shown = short(target);
    let full = if is_url {
        normalize_origin(target)?
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
    Ok(ApiUrl { uri, same_origin })
}

/// The checks of a path or URL that need no server (`plan` runs them before anything is read
/// or sent): no user name or password, no fragment, only http(s), a valid host name.
pub fn check_target(target: &str) -> Result<()> {
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
    if is_url {
        normalize_origin(target)?;
    } else if target.contains("://") {
        return Err(Error::Usage(format!(
            "\"{shown}\": only http:// and https:// URLs (or an API path such as /api) are supported"
        )));
    }
    Ok(())
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

/// Bytes never allowed in a URI (RFC 3986): everything but unreserved and reserved characters
/// and `%` (existing escapes are kept).
const NOT_URL: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':')
    .remove(b'/')
    .remove(b'?')
    .remove(b'#')
    .remove(b'[')
    .remove(b']')
    .remove(b'@')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b'%');

/// Everything but RFC 3986 unreserved characters: for one query key or value.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encode the bytes that are not allowed anywhere in a URI (RFC 3986), leaving
/// reserved characters and existing escapes alone.
fn encode_url_chars(s: &str) -> String {
    utf8_percent_encode(s, NOT_URL).to_string()
}

/// Percent-encode everything but RFC 3986 unreserved characters.
pub fn encode_component(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// The `key=value` pairs of the query of `target` (a path or URL), as written (not decoded).
pub fn query_pairs(target: &str) -> impl Iterator<Item = (&str, &str)> {
    let query = target
        .split('#')
        .next()
        .and_then(|t| t.split_once('?'))
        .map_or("", |(_, q)| q);
    query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| kv.split_once('=').unwrap_or((kv, "")))
}

/// True when the query of `target` has `key`.
pub fn query_has(target: &str, key: &str) -> bool {
    query_pairs(target).any(|(k, _)| k == key)
}

/// True when the path's own query asks for a watch (`?watch=1`, `watch=true`).
pub fn watch_in_query(target: &str) -> bool {
    query_pairs(target).any(|(k, v)| k == "watch" && matches!(v, "1" | "true" | "True"))
}

impl ApiUrl {
    /// The URL for `path` (a path or a full URL, with `{namespace}`/`{ns}` placeholders) on
    /// `server`, with `params` added to its query.
    pub fn new(
        server: &str,
        path: &str,
        namespace: Option<&str>,
        context_namespace: Option<&str>,
        params: &[(String, String)],
    ) -> Result<ApiUrl> {
        let path = fill_namespace(path, namespace, context_namespace);
        build_url(server, &with_params(&path, params))
    }

    /// This URL with `key=value` appended to its query (the value encoded).
    pub fn with_param(&self, key: &str, value: &str) -> Result<ApiUrl> {
        let text = self.display();
        let sep = if text.contains('?') { "&" } else { "?" };
        self.with_text(format!(
            "{text}{sep}{}={}",
            encode_component(key),
            encode_component(value)
        ))
    }

    /// This URL without the query parameters named in `keys`.
    pub fn without_params(&self, keys: &[&str]) -> Result<ApiUrl> {
        let text = self.display();
        let path = text.split_once('?').map_or(text.as_str(), |(p, _)| p);
        let kept: Vec<String> = query_pairs(&text)
            .filter(|(k, _)| !keys.contains(k))
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let url = if kept.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{}", kept.join("&"))
        };
        self.with_text(url)
    }

    /// `text` as a URL with the same origin status as this one.
    fn with_text(&self, text: String) -> Result<ApiUrl> {
        let uri = text
            .parse()
            .map_err(|e| Error::Config(format!("cannot build the URL {text}: {e}")))?;
        Ok(ApiUrl {
            uri,
            same_origin: self.same_origin,
        })
    }

    /// True for an `https` URL.
    pub fn is_https(&self) -> bool {
        self.uri
            .scheme_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("https"))
    }
}

/// Replace `{namespace}` and `{ns}`: `-n`, else the context's namespace, else `default`.
pub fn fill_namespace(path: &str, flag: Option<&str>, context: Option<&str>) -> String {
    let ns = flag.or(context).unwrap_or("default");
    path.replace("{namespace}", ns).replace("{ns}", ns)
}

/// Append percent-encoded `key=value` parameters to the path's query.
pub fn with_params(path: &str, params: &[(String, String)]) -> String {
    if params.is_empty() {
        return path.to_string();
    }
    let (base, fragment) = match path.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (path, None),
    };
    let mut out = base.to_string();
    let mut sep = if base.contains('?') {
        if base.ends_with('?') || base.ends_with('&') {
            ""
        } else {
            "&"
        }
    } else {
        "?"
    };
    for (k, v) in params {
        out.push_str(sep);
        out.push_str(&encode_component(k));
        out.push('=');
        out.push_str(&encode_component(v));
        sep = "&";
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
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
    fn namespace_placeholders() {
        assert_eq!(
            fill_namespace("/api/v1/namespaces/{ns}/pods", Some("a"), Some("b")),
            "/api/v1/namespaces/a/pods"
        );
        assert_eq!(
            fill_namespace("/x/{namespace}/y", None, Some("b")),
            "/x/b/y"
        );
        assert_eq!(fill_namespace("/x/{ns}", None, None), "/x/default");
    }

    #[test]
    fn params_are_encoded_and_merged() {
        let p = |k: &str, v: &str| (k.to_string(), v.to_string());
        assert_eq!(
            with_params(
                "/api/v1/pods?limit=5",
                &[p("labelSelector", "app in (a,b)")]
            ),
            "/api/v1/pods?limit=5&labelSelector=app%20in%20%28a%2Cb%29"
        );
        assert_eq!(
            with_params("/x", &[p("watch", "1"), p("a&b", "c=d")]),
            "/x?watch=1&a%26b=c%3Dd"
        );
        assert_eq!(with_params("/x?", &[p("a", "1")]), "/x?a=1");
    }

    #[test]
    fn query_edits() {
        let u = build_url("https://h", "/api/v1/pods?limit=5&x=1").unwrap();
        assert_eq!(
            u.with_param("continue", "a b/c").unwrap().display(),
            "https://h/api/v1/pods?limit=5&x=1&continue=a%20b%2Fc"
        );
        assert_eq!(
            u.without_params(&["limit", "continue"]).unwrap().display(),
            "https://h/api/v1/pods?x=1"
        );
        assert_eq!(
            u.without_params(&["limit", "x"]).unwrap().display(),
            "https://h/api/v1/pods"
        );
        assert!(watch_in_query("/api?a=1&watch=true"));
        assert!(!watch_in_query("/api?watch=0"));
        assert!(query_has("/api?dryRun", "dryRun"));
        assert!(!query_has("/api#x?dryRun", "dryRun"));
    }
}
