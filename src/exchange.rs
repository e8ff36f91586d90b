//! One request as the user described it ([`Spec`], the same for every context) and its
//! exchange with one cluster ([`Exchange`]): the URL with namespace placeholders and query
//! parameters filled in, the warnings about credentials and TLS, sending (with one retry after
//! a 401 when the credentials came from an exec plugin), and `-v` tracing.
//!
//! It does not print response bodies (`output`) and does not loop over pages, contexts or
//! retries (`lib`).

use std::time::{Duration, Instant};

use ureq::http::{self, HeaderName, HeaderValue, Method};

use crate::auth;
use crate::cli::{Args, PatchType};
use crate::config::Target;
use crate::error::{Error, Result};
use crate::output::{diag, notice, sanitize, warn};
use crate::proxy::{self, Choice};
use crate::request::{self, Url};
use crate::retry;
use crate::tls;

/// The request as given on the command line, before any cluster is chosen.
#[derive(Debug)]
pub struct Spec {
    pub method: Method,
    pub user_headers: Vec<(HeaderName, Option<HeaderValue>)>,
    pub body: Option<Vec<u8>>,
    /// A stdin body too large for memory: sent once, streamed (no conversion, no retries).
    pub streamed: std::sync::Mutex<Option<request::Streamed>>,
    /// Set when `streamed` was used: retries and conversion are impossible.
    pub large_stdin: bool,
    /// The Content-Type kcurl sends with a body, unless the user gave one.
    pub content_type: &'static str,
    /// Query parameters to add (`-P`, `watch`, `dryRun`, `fieldManager`), unencoded.
    pub params: Vec<(String, String)>,
    /// An Accept header replacing the default (`--table`).
    pub accept: Option<&'static str>,
    /// A watch that kcurl asked the server to end (`timeoutSeconds` from `--timeout`): the
    /// client-side limit waits [`WATCH_GRACE`] longer, so the server's clean end comes first.
    pub server_ends_watch: bool,
}

/// How much longer than `--timeout` kcurl waits for a watch the server was asked to end.
pub const WATCH_GRACE: Duration = Duration::from_secs(5);

/// Query parameters kcurl adds for `--table`.
pub const TABLE_ACCEPT: &str = "application/json;as=Table;v=v1;g=meta.k8s.io, application/json";

impl Spec {
    /// Read and check everything about the request that does not depend on a cluster: the
    /// body (read once, converted from YAML when needed), method, headers and parameters.
    pub fn from_args(args: &Args) -> Result<Spec> {
        if args.compact && args.output == crate::cli::OutputFormat::Yaml {
            return Err(Error::Usage(
                "-c prints JSON; it does not go with -o yaml".to_string(),
            ));
        }
        let user_headers = request::parse_headers(&args.headers)?;
        let user_content_type = user_headers
            .iter()
            .any(|(n, _)| n == http::header::CONTENT_TYPE);
        let (body, streamed) = request::read_body(args.data.as_deref())?;
        let method = match (&args.method, args.patch_type) {
            (Some(m), pt) => {
                let m = request::method_from(m)?;
                if pt.is_some() && m != Method::PATCH {
                    return Err(Error::Usage(format!(
                        "--patch-type goes with PATCH requests, not -X {m}"
                    )));
                }
                m
            }
            (None, Some(_)) => Method::PATCH,
            (None, None) if body.is_some() || streamed.is_some() => Method::POST,
            (None, None) => Method::GET,
        };
        let patch_type = match (args.patch_type, method == Method::PATCH) {
            (Some(p), _) => Some(p),
            (None, true) => Some(PatchType::Merge),
            (None, false) => None,
        };
        let content_type = patch_type.map_or("application/json", PatchType::content_type);
        let body = match body {
            Some(b) if !user_content_type && !b.is_empty() => {
                let label = data_label(args.data.as_deref().unwrap_or(""));
                Some(convert_body(
                    b,
                    patch_type == Some(PatchType::Apply),
                    &label,
                )?)
            }
            other => other,
        };
        let mut params = Vec::new();
        for p in &args.params {
            let Some((k, v)) = p.split_once('=') else {
                return Err(Error::Usage(format!(
                    "-P \"{p}\": expected KEY=VALUE (e.g. -P labelSelector=app=web)"
                )));
            };
            if k.is_empty() {
                return Err(Error::Usage(format!("-P \"{p}\": the key is empty")));
            }
            params.push((k.to_string(), v.to_string()));
        }
        let has = |key: &str, params: &[(String, String)]| {
            params.iter().any(|(k, _)| k == key) || query_has(&args.target, key)
        };
        if args.watch && !has("watch", &params) {
            params.push(("watch".into(), "1".into()));
        }
        if args.dry_run {
            if !matches!(
                method,
                Method::POST | Method::PUT | Method::PATCH | Method::DELETE
            ) {
                return Err(Error::Usage(format!(
                    "--dry-run applies to mutating requests (POST, PUT, PATCH, DELETE), not {method}"
                )));
            }
            if !has("dryRun", &params) {
                params.push(("dryRun".into(), "All".into()));
            }
        }
        // A watch bounded by --timeout ends on the server's side, cleanly (exit 0), as kubectl's
        // --request-timeout does for watches: the API server closes the stream after
        // timeoutSeconds. Whole seconds, rounded up.
        let watching = crate::watch_in_query(&args.target)
            || params
                .iter()
                .any(|(k, v)| k == "watch" && matches!(v.as_str(), "1" | "true" | "True"));
        let server_ends_watch = watching
            && args.until.is_none()
            && !args.until_deleted
            && args.timeout.is_some()
            && !has("timeoutSeconds", &params);
        if let (true, Some(t)) = (server_ends_watch, args.timeout) {
            let secs = t.as_secs() + u64::from(t.subsec_nanos() > 0);
            params.push(("timeoutSeconds".into(), secs.to_string()));
        }
        if args.paginate.is_some() && !has("limit", &params) {
            params.push(("limit".into(), "500".into()));
        }
        if patch_type == Some(PatchType::Apply) && !has("fieldManager", &params) {
            params.push(("fieldManager".into(), "kcurl".into()));
        }
        if let Some(ns) = args.namespace.as_deref() {
            check_namespace(ns).map_err(|rule| {
                Error::Usage(format!(
                    "-n \"{}\": invalid namespace: {rule}",
                    sanitize(ns)
                ))
            })?;
        }
        // discovery: -A goes with resource references only; -n is used by them.
        let reference = crate::discovery::is_reference(&args.target);
        if args.all_namespaces && !reference {
            return Err(Error::Usage(format!(
                "-A goes with a resource reference (kcurl pods -A), not a path ({}): a path \
                 lists every namespace when it has no namespaces/NAME segment",
                sanitize(&args.target)
            )));
        }
        // Here, not per cluster: said once however many contexts are asked.
        if let Some(ns) = &args.namespace
            && !reference
            && !args.target.contains("{namespace}")
            && !args.target.contains("{ns}")
        {
            warn(&format!(
                "-n {ns} has no effect: {} has no {{namespace}} or {{ns}} placeholder",
                args.target
            ));
        }
        check_content_length(&user_headers, body.as_deref(), streamed.is_some())?;
        Ok(Spec {
            method,
            user_headers,
            body,
            large_stdin: streamed.is_some(),
            streamed: std::sync::Mutex::new(streamed),
            content_type,
            params,
            accept: args.table.then_some(TABLE_ACCEPT),
            server_ends_watch,
        })
    }
}

impl Spec {
    /// True when the body is a large stdin stream that can be sent only once.
    pub fn is_streamed(&self) -> bool {
        self.large_stdin
    }
}

/// A `-H 'Content-Length: N'` must match the body that is sent: a larger N makes the server
/// wait for bytes that never come (a hang), a smaller one cuts the body. Usage error either way.
fn check_content_length(
    user: &[(HeaderName, Option<HeaderValue>)],
    body: Option<&[u8]>,
    streamed: bool,
) -> Result<()> {
    for (name, value) in user {
        if name != http::header::CONTENT_LENGTH {
            continue;
        }
        let Some(value) = value else { continue };
        let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
        let given: Option<u64> = text.trim().parse().ok();
        let actual = body.map_or(0, |b| b.len() as u64);
        if streamed || given != Some(actual) {
            let what = if streamed {
                "a body streamed from stdin".to_string()
            } else {
                format!("the body is {actual} bytes")
            };
            return Err(Error::Usage(format!(
                "-H \"Content-Length: {}\": {what}; drop the header (kcurl sets Content-Length \
                 from the body)",
                sanitize(&text)
            )));
        }
    }
    Ok(())
}

/// `--data`, `--data @pod.yaml` or `--data @- (stdin)`, for messages.
fn data_label(data: &str) -> String {
    match data {
        "@-" => "--data @- (stdin)".to_string(),
        d if d.starts_with('@') => format!("--data {d}"),
        _ => "--data".to_string(),
    }
}

/// True when the path's own query string has `key`.
fn query_has(target: &str, key: &str) -> bool {
    target
        .split_once('?')
        .is_some_and(|(_, q)| q.split('&').any(|kv| kv.split('=').next() == Some(key)))
}

/// JSON is sent unchanged; one YAML document becomes JSON (server-side apply sends YAML as is,
/// after checking it parses). Errors name the input and the line.
fn convert_body(bytes: Vec<u8>, apply: bool, label: &str) -> Result<Vec<u8>> {
    if !apply && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok() {
        return Ok(bytes);
    }
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        Error::Config(format!(
            "{label}: the body is neither JSON nor YAML (not UTF-8 text at byte {})",
            e.valid_up_to()
        ))
    })?;
    // Scalars as kubectl reads them (sigs.k8s.io/yaml: go-yaml v2, YAML 1.1): `012` is octal 10,
    // `yes` is true, and a number written as an integer stays an integer in the JSON.
    let options = serde_saphyr::options! { with_snippet: false, legacy_octal_numbers: true };
    let docs: Vec<serde_json::Value> = serde_saphyr::from_str_multiple_with_options(text, options)
        .map_err(|e| {
            let msg = e.to_string();
            let msg = msg.lines().next().unwrap_or("").trim().to_string();
            Error::Config(format!("{label}: invalid JSON or YAML: {msg}"))
        })?;
    let docs: Vec<serde_json::Value> = docs
        .into_iter()
        .filter(|d| !d.is_null())
        .map(integral_floats_as_integers)
        .collect();
    match docs.len() {
        // A lone scalar (`-d hello`) is the user's own data, not YAML meant as an object.
        1 if apply || !(docs[0].is_object() || docs[0].is_array()) => Ok(bytes),
        1 => serde_json::to_vec(&docs[0])
            .map_err(|e| Error::Config(format!("{label}: cannot convert YAML to JSON: {e}"))),
        0 => Err(Error::Config(format!(
            "{label}: the YAML holds no document"
        ))),
        n => Err(Error::Config(format!(
            "{label}: {n} YAML documents; one request takes one object (split the file)"
        ))),
    }
}

/// Floats with an integral value (`1e3`, `12.0` from YAML) as integers, as Go's encoding/json
/// writes the float64s that sigs.k8s.io/yaml makes (`1000`, not `1000.0`).
fn integral_floats_as_integers(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => {
                Value::from(f as i64)
            }
            _ => Value::Number(n),
        },
        Value::Array(a) => Value::Array(a.into_iter().map(integral_floats_as_integers).collect()),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| (k, integral_floats_as_integers(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Connection timings of one exchange, for `-v`.
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

/// One request to one cluster.
pub struct Exchange<'a> {
    pub args: &'a Args,
    pub spec: &'a Spec,
    pub target: Target,
    pub url: Url,
    pub send_credentials: bool,
    proxy: Option<Choice>,
    cluster_authority: String,
    /// `[context] ` prefix for warnings and `-v` lines when several contexts run at once.
    label: String,
    /// When the whole operation must end (`--until` with `--timeout`): caps request timeouts
    /// and retry waits.
    pub deadline: Option<Instant>,
}

impl<'a> Exchange<'a> {
    /// Build the URL for `target` and say on stderr what is withheld or unsafe.
    pub fn new(
        args: &'a Args,
        spec: &'a Spec,
        target: Target,
        label: Option<&str>,
    ) -> Result<Self> {
        if args.namespace.is_none()
            && let Some(ns) = target.namespace.as_deref()
            && (args.target.contains("{namespace}") || args.target.contains("{ns}"))
        {
            check_namespace(ns).map_err(|rule| {
                let context = target.provenance.context.as_deref().unwrap_or("-");
                Error::Config(format!(
                    "context \"{context}\": invalid namespace \"{}\": {rule}",
                    sanitize(ns)
                ))
            })?;
        }
        // discovery: a resource reference becomes this cluster's path (src/discovery/hook.rs).
        let path = match crate::discovery::hook::path_for(args, &target)? {
            Some(path) => path,
            None => fill_namespace(
                &args.target,
                args.namespace.as_deref(),
                target.namespace.as_deref(),
            ),
        };
        let url = request::build_url(&target.server, &with_params(&path, &spec.params))?;
        let label = label.map(|l| format!("[{l}] ")).unwrap_or_default();
        let https = url
            .uri
            .scheme_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("https"));
        if https && let Some(reason) = &target.insecure_reason {
            warn(&format!(
                "{label}TLS certificate verification is disabled ({reason}): the server's identity \
                 is not verified and credentials may be exposed to an impostor"
            ));
        }
        let send_credentials = url.same_origin && https;
        let withheld =
            target.credentials.is_some() || target.credentials.impersonate.user.is_some();
        if withheld && !send_credentials {
            // Say what does go out: the user's own -H Authorization is sent wherever they ask.
            let user_auth = spec
                .user_headers
                .iter()
                .any(|(n, v)| n == http::header::AUTHORIZATION && v.is_some());
            if !url.same_origin {
                let sent = if user_auth {
                    "sending the request with your -H Authorization only, not the kubeconfig's \
                     credentials"
                } else {
                    "sending the request without credentials"
                };
                warn(&format!(
                    "{label}{} is not the cluster's server ({}): {sent}",
                    url.display(),
                    target.server
                ));
            } else {
                let sent = if user_auth {
                    "; your -H Authorization is sent as given"
                } else {
                    ""
                };
                warn(&format!(
                    "{label}not sending credentials over plain http to {} (they would travel \
                     unencrypted; kubectl withholds them too){sent}",
                    target.server
                ));
            }
        }
        let server_uri: ureq::http::Uri = target.server.parse().map_err(|_| {
            Error::Config(format!("server \"{}\" is not a valid URL", target.server))
        })?;
        let proxy = proxy::choose(
            url.uri.scheme_str().unwrap_or("https"),
            url.uri.host().unwrap_or(""),
            url.uri.port_u16().unwrap_or(if https { 443 } else { 80 }),
            target
                .proxy_url
                .as_ref()
                .filter(|_| url.same_origin)
                .map(|(u, f)| (u.as_str(), f.as_str())),
            &|k| std::env::var(k).ok(),
        )?;
        Ok(Exchange {
            args,
            spec,
            cluster_authority: tls::authority_of(&server_uri),
            target,
            url,
            send_credentials,
            proxy,
            label,
            deadline: None,
        })
    }

    /// The timeouts for the next attempt: `--timeout`, or what is left before the deadline.
    fn timeouts(&self) -> request::Timeouts {
        let left = self.deadline.map(|d| {
            d.saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1))
        });
        request::Timeouts {
            connect: self.args.connect_timeout,
            whole: match (self.deadline, left) {
                (Some(_), left) => left,
                (None, _) if self.spec.server_ends_watch => {
                    self.args.timeout.map(|t| t + WATCH_GRACE)
                }
                (None, _) => self.args.timeout,
            },
        }
    }

    /// [`Exchange::send`] with retries: by default a 429 or a 5xx with Retry-After is retried
    /// as the server asks; `--retry N` adds connection failures and the rest (see `retry`).
    /// Each retry is noted on stderr; the body is replayed from memory.
    pub fn send_retrying(
        &self,
        url: &Url,
        timings: &mut Timings,
    ) -> Result<http::Response<ureq::Body>> {
        let policy = retry::Policy {
            retries: self.args.retry,
            max_time: self.args.retry_max_time,
        };
        let started = Instant::now();
        let mut rng = jitter_source();
        let mut attempt = 0;
        loop {
            let result = self.send(url, timings);
            let outcome = match &result {
                Ok(r) => retry::Outcome::Status {
                    code: r.status().as_u16(),
                    retry_after: r
                        .headers()
                        .get(http::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok()),
                },
                Err(Error::Refused(_)) => retry::Outcome::ConnectFailed { refused: true },
                Err(Error::Connect(_)) => retry::Outcome::ConnectFailed { refused: false },
                Err(_) => return result,
            };
            let decision = policy.decide(
                self.spec.method.as_str(),
                &outcome,
                attempt,
                started.elapsed(),
                &mut rng,
            );
            let retry::Decision::RetryAfter { wait, reason } = decision else {
                return result;
            };
            if self.spec.is_streamed() {
                // The body went out with the first attempt and cannot be sent again.
                return result;
            }
            if self.deadline.is_some_and(|d| Instant::now() + wait >= d) {
                return result;
            }
            let why = match &result {
                Err(_) => format!("{}: {reason}", url.display()),
                Ok(_) => reason,
            };
            drop(result);
            notice(&format!("kcurl: {}{why}", self.label));
            std::thread::sleep(wait);
            attempt += 1;
        }
    }

    /// Send the request to `url` (normally [`Exchange::url`]; pagination passes others).
    ///
    /// Exec credentials may be stale (revoked, clock skew): on a 401, the plugin runs once
    /// more and the request is retried once, with the same body.
    pub fn send(&self, url: &Url, timings: &mut Timings) -> Result<http::Response<ureq::Body>> {
        if self.args.verbose {
            self.trace_context();
        }
        let body = self.spec.body.clone();
        let response = self.attempt(url, &self.target.credentials, body, timings)?;
        if self.send_credentials
            && self.target.credentials.exec.is_some()
            && response.status() == 401
            && !self.spec.is_streamed()
        {
            if let Some(fresh) =
                auth::refresh_exec(&self.target.credentials, &self.target.exec_ctx)?
            {
                drop(response);
                if self.args.verbose {
                    diag(&format!(
                        "{}* 401: ran the exec plugin again; retrying once",
                        self.label
                    ));
                }
                return self.attempt(url, &fresh, self.spec.body.clone(), timings);
            }
        }
        Ok(response)
    }

    fn attempt(
        &self,
        url: &Url,
        creds: &auth::Credentials,
        body: Option<Vec<u8>>,
        timings: &mut Timings,
    ) -> Result<http::Response<ureq::Body>> {
        let settings = tls::Settings {
            identity: creds.identity.clone(),
            ..self.target.tls.clone()
        };
        let (agent, connector) = request::agent(
            &settings,
            self.target.disable_compression,
            self.timeouts(),
            self.cluster_authority.clone(),
            self.proxy.as_ref(),
        )?;
        let streamed = self.spec.streamed.lock().ok().and_then(|mut s| s.take());
        let mut headers = request::headers(
            &self.spec.user_headers,
            creds,
            self.send_credentials,
            body.is_some() || streamed.is_some(),
        )?;
        for (name, value) in headers.iter_mut() {
            if *name == http::header::CONTENT_TYPE
                && value.as_bytes() == b"application/json"
                && self.spec.content_type != "application/json"
                && !self
                    .spec
                    .user_headers
                    .iter()
                    .any(|(n, _)| n == http::header::CONTENT_TYPE)
            {
                *value = HeaderValue::from_static(self.spec.content_type);
            }
            if *name == http::header::ACCEPT
                && let Some(accept) = self.spec.accept
                && !self
                    .spec
                    .user_headers
                    .iter()
                    .any(|(n, _)| n == http::header::ACCEPT)
            {
                *value = HeaderValue::from_static(accept);
            }
        }
        if self.args.verbose {
            self.trace_request(url, &headers, body.as_ref().map(Vec::len));
        }
        timings.start = Some(Instant::now());
        let result = request::send(&agent, &self.spec.method, url, headers, body, streamed);
        let (connected, tls_done) = connector.timings();
        timings.connected = connected;
        timings.tls_done = tls_done;
        timings.first_byte = Some(Instant::now());
        let response = result.map_err(|e| {
            let via_proxy = self
                .proxy
                .as_ref()
                .and_then(|p| p.failure(&e, &url.display()));
            via_proxy.unwrap_or_else(|| request::classify(e, url, &connector, self.timeouts()))
        })?;
        if self.args.verbose {
            self.trace_response(&response);
        }
        Ok(response)
    }

    /// What a 401 means for the credentials this exchange sent: which one the server rejected
    /// (its source, never its value) and the likely fix, for the one-line error.
    pub fn unauthorized_hint(&self) -> &'static str {
        let user_auth = self
            .spec
            .user_headers
            .iter()
            .any(|(n, v)| n == http::header::AUTHORIZATION && v.is_some());
        if user_auth {
            return "the server rejected the Authorization header given with -H";
        }
        let creds = &self.target.credentials;
        if !self.send_credentials || !creds.is_some() {
            return if creds.is_some() {
                "no credentials were sent (see the warning above)"
            } else {
                "no credentials were sent: the kubeconfig user has none; give --token or use \
                 another --context"
            };
        }
        let first = creds.describe.first().map(String::as_str).unwrap_or("");
        if creds.exec.is_some() {
            "the server rejected the exec plugin's credential, also after running the plugin \
             again: log in again with the plugin's tool (kcurl -v names it)"
        } else if first == "token from --token" {
            "the server rejected the token from --token: it is wrong or has expired (kubectl \
             create token SERVICEACCOUNT makes a new one)"
        } else if first.starts_with("token from tokenFile") {
            "the server rejected the token in the kubeconfig user's tokenFile: it is wrong or \
             has expired (kcurl -v names the user and file)"
        } else if first == "token" {
            "the server rejected the kubeconfig user's token: it is wrong or has expired \
             (kcurl -v names the user and file)"
        } else if first == "oidc id-token" {
            "the server rejected the kubeconfig user's oidc id-token: log in again (kubelogin)"
        } else if first == "basic auth" {
            "the server rejected the kubeconfig user's username and password (most clusters \
             turn basic auth off: use a token or a client certificate)"
        } else if first == "client certificate from the command line" {
            "the server rejected the client certificate from --client-certificate: expired, or \
             not signed by the cluster's client CA"
        } else {
            "the server rejected the kubeconfig user's client certificate: expired, or not \
             signed by the cluster's client CA (kcurl -v names the user and file)"
        }
    }

    fn trace_context(&self) {
        let p = &self.target.provenance;
        let user_auth = self
            .spec
            .user_headers
            .iter()
            .any(|(n, _)| n == http::header::AUTHORIZATION);
        let creds = if user_auth {
            "Authorization from -H".to_string()
        } else if self.target.credentials.describe.is_empty() {
            "no credentials".to_string()
        } else {
            self.target.credentials.describe.join(" + ")
        };
        diag(&format!(
            "{}* kubeconfig: {}; context: {}; cluster: {}; user: {} ({creds})",
            self.label,
            p.kubeconfig,
            p.context.as_deref().unwrap_or("-"),
            p.cluster.as_deref().unwrap_or("-"),
            p.user.as_deref().unwrap_or("-"),
        ));
        if let Some(proxy) = &self.proxy {
            diag(&format!(
                "{}* proxy: {} (from {})",
                self.label,
                proxy.display(),
                proxy.origin
            ));
        }
    }

    fn trace_request(
        &self,
        url: &Url,
        headers: &[(HeaderName, HeaderValue)],
        body_len: Option<usize>,
    ) {
        let target = url
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let l = &self.label;
        diag(&format!(
            "{l}> {} {} HTTP/1.1",
            self.spec.method,
            sanitize(&target)
        ));
        diag(&format!(
            "{l}> host: {}",
            url.uri.authority().map(|a| a.as_str()).unwrap_or("")
        ));
        for (name, value) in headers {
            diag(&format!("{l}> {name}: {}", redact_header(name, value)));
        }
        if !self.target.disable_compression {
            diag(&format!("{l}> accept-encoding: gzip"));
        }
        if let Some(n) = body_len {
            diag(&format!("{l}> ({n} bytes of body)"));
        }
    }

    fn trace_response(&self, response: &http::Response<ureq::Body>) {
        let l = &self.label;
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

    /// The `-v` timings line.
    pub fn trace_timings(&self, timings: &Timings) {
        if self.args.verbose {
            diag(&format!(
                "{}* timings: {}",
                self.label,
                timings.describe(Instant::now())
            ));
        }
    }
}

/// Uniform numbers in [0, 1) for retry jitter (xorshift seeded by the clock and pid: jitter
/// needs spread between processes, not cryptographic quality).
fn jitter_source() -> impl FnMut() -> f64 {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0x9e37_79b9_7f4a_7c15)
        ^ (u64::from(std::process::id()) << 32);
    let mut state = seed | 1;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
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

/// Check a namespace as kubectl does: a DNS-1123 label (apimachinery
/// `ValidateNamespaceName` → `IsDNS1123Label`). The error is the rule, for messages.
pub fn check_namespace(ns: &str) -> std::result::Result<(), &'static str> {
    const RULE: &str = "a namespace must be a lowercase RFC 1123 label: at most 63 characters, \
                        lower case letters, digits and '-', starting and ending with a letter or \
                        digit (e.g. 'my-name' or '123-abc')";
    let b = ns.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-';
    if ok { Ok(()) } else { Err(RULE) }
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

/// Percent-encode everything but RFC 3986 unreserved characters.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn yaml_bodies_become_json_and_json_is_untouched() {
        assert_eq!(
            convert_body(b"{\"a\": 1e3}".to_vec(), false, "d").unwrap(),
            b"{\"a\": 1e3}"
        );
        assert_eq!(
            convert_body(b"kind: Pod\nmetadata:\n  name: x\n".to_vec(), false, "d").unwrap(),
            br#"{"kind":"Pod","metadata":{"name":"x"}}"#
        );
        let e = convert_body(b"a: 1\n---\nb: 2\n".to_vec(), false, "--data @x.yaml").unwrap_err();
        assert_eq!(
            e.to_string(),
            "--data @x.yaml: 2 YAML documents; one request takes one object (split the file)"
        );
        let e = convert_body(b"a: [1,\nb: 2\n".to_vec(), false, "--data @x.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("--data @x.yaml: invalid JSON or YAML: ") && e.contains("line"),
            "{e}"
        );
        // Scalars as kubectl (sigs.k8s.io/yaml, YAML 1.1) converts them.
        assert_eq!(
            String::from_utf8(
                convert_body(
                    b"a: 012\nb: 07\nc: 12\nd: 1e3\ne: 1.5\nf: yes\ng: '012'\nh: 0x1F\n".to_vec(),
                    false,
                    "d"
                )
                .unwrap()
            )
            .unwrap(),
            r#"{"a":10,"b":7,"c":12,"d":1000,"e":1.5,"f":true,"g":"012","h":31}"#
        );
        // Server-side apply sends the YAML itself.
        assert_eq!(
            convert_body(b"a: 1\n".to_vec(), true, "d").unwrap(),
            b"a: 1\n"
        );
    }

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
