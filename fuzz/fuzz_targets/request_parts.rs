//! The request's parts from the command line and the text a server sends back to the terminal:
//! `-H` headers (`request::parse_headers`, `request::headers`, `exchange::redact_header`), `-P`
//! parameters (split as `Spec::from_args` does, then `exchange::with_params`), the `{ns}`
//! placeholder (`exchange::fill_namespace`), the URL (`request::build_url`), and Warning headers
//! and server text (`output::parse_warnings`, `output::sanitize`).
//!
//! Checks: no panic; a URL that builds parses again as a URI; a path (not a full URL) always stays
//! on the cluster's server; the Authorization header is there only when credentials may be sent,
//! and `-v` shows it redacted; no error message quotes the token; sanitized text holds no control
//! character.
#![no_main]

use kcurl::auth::{Credentials, HttpAuth, Secret};
use kcurl::exchange::{fill_namespace, redact_header, with_params};
use kcurl::output::{parse_warnings, sanitize};
use kcurl::request::{build_url, headers, parse_headers};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    /// An index into `SERVERS`, or the fuzzed `server` when out of range.
    server_pick: u8,
    server: String,
    target: String,
    namespace_flag: Option<String>,
    namespace_context: Option<String>,
    headers: Vec<String>,
    params: Vec<String>,
    token: String,
    send_credentials: bool,
    has_body: bool,
    warning: String,
}

/// Servers as `config` normalizes them (scheme, host, optional port and path, no trailing slash).
const SERVERS: [&str; 5] = [
    "https://127.0.0.1:6443",
    "https://[::1]:6443",
    "https://kube.example.com/k8s/clusters/c-1",
    "http://localhost:8080",
    "https://10.0.0.1",
];

fuzz_target!(|input: Input| {
    let server = SERVERS
        .get(usize::from(input.server_pick))
        .map_or(input.server.as_str(), |s| *s);

    let path = fill_namespace(
        &input.target,
        input.namespace_flag.as_deref(),
        input.namespace_context.as_deref(),
    );
    // `-P KEY=VALUE`, as Spec::from_args splits it.
    let params: Vec<(String, String)> = input
        .params
        .iter()
        .filter_map(|p| p.split_once('='))
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let path = with_params(&path, &params);
    if let Ok(url) = build_url(server, &path) {
        let shown = url.display();
        let again: Result<ureq::http::Uri, _> = shown.parse();
        assert!(again.is_ok(), "{shown:?} does not parse again");
        let lower = path.to_ascii_lowercase();
        let is_full_url = lower.starts_with("https://") || lower.starts_with("http://");
        if !is_full_url && usize::from(input.server_pick) < SERVERS.len() {
            assert!(
                url.same_origin,
                "path {path:?} left the server {server}: {shown}"
            );
        }
    }

    if let Ok(user) = parse_headers(&input.headers) {
        let creds = Credentials {
            http: Some(HttpAuth::Bearer(Secret::new(input.token.clone()))),
            ..Default::default()
        };
        let user_sets_auth = user
            .iter()
            .any(|(n, _)| n == ureq::http::header::AUTHORIZATION);
        match headers(&user, &creds, input.send_credentials, input.has_body) {
            Ok(all) => {
                let auth = all
                    .iter()
                    .filter(|(n, _)| n == ureq::http::header::AUTHORIZATION)
                    .count();
                if !user_sets_auth {
                    assert_eq!(auth, usize::from(input.send_credentials));
                }
                for (name, value) in &all {
                    let shown = redact_header(name, value);
                    assert!(!shown.chars().any(char::is_control));
                    if name == ureq::http::header::AUTHORIZATION {
                        assert!(shown.ends_with("<redacted>"), "-v shows {shown:?}");
                    }
                }
            }
            Err(e) => {
                if input.token.len() >= 4 {
                    assert!(!e.to_string().contains(&input.token), "{e}");
                }
            }
        }
    }

    for text in parse_warnings(&input.warning)
        .iter()
        .chain([&input.warning, &input.target])
    {
        let clean = sanitize(text);
        assert!(!clean.chars().any(char::is_control), "{clean:?}");
        assert!(!clean.contains('\u{1b}'));
    }
});
