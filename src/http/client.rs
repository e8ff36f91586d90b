//! One [`Client`] per target: the request sent to one cluster, as often as a mode needs it
//! (pages, polls, retries), over one ureq agent and rustls configuration built once — so one
//! TCP+TLS connection serves every request while the server keeps it open. The agent is
//! rebuilt only when the credentials change (an exec plugin run again after a 401).
//!
//! The client says on stderr what it withholds (credentials over plain http or to another
//! origin) and what is unsafe (TLS verification off), retries as [`retry`] decides, and writes
//! the `-v` trace (the context line once, each request and response, timings). It does not
//! print bodies and does not loop over pages, polls or contexts (`modes`).

use std::time::{Duration, Instant};

use ureq::http::{self, HeaderName, HeaderValue};

use crate::auth::Credentials;
use crate::diag::{diag, io_reason, notice, sanitize, secs, warn};
use crate::error::{Error, Result};
use crate::http::body::{self, DEFAULT_ACCEPT, Payload};
use crate::http::proxy::{self, Choice};
use crate::http::{ApiUrl, Net, Request, Target, Timings, WATCH_GRACE, retry, trace};
use crate::tls::{self, Connector, Tls};

/// One request to one cluster.
pub struct Client<'r> {
    request: &'r Request,
    net: Net,
    target: Target,
    /// The credentials sent: the target's, or fresh ones after a 401 ran the plugin again.
    credentials: Credentials,
    /// The request URL for this cluster (the first page of a list, the object polled).
    pub url: ApiUrl,
    send_credentials: bool,
    proxy: Option<Choice>,
    cluster_authority: String,
    /// `[context] ` prefix for warnings and `-v` lines when several contexts run at once.
    label: String,
    /// When the whole operation must end (`--until`): caps request timeouts and retry waits.
    pub deadline: Option<Instant>,
    /// The agent and its TLS connector: built on first use, dropped when credentials change.
    agent: Option<(ureq::Agent, Connector)>,
    /// The `-v` context line was written.
    traced: bool,
}

impl<'r> Client<'r> {
    /// Build the URL for `target` and say on stderr what is withheld or unsafe.
    pub fn new(
        request: &'r Request,
        net: Net,
        target: Target,
        label: Option<&str>,
    ) -> Result<Self> {
        if request.namespace.is_none()
            && !request.reference
            && let Some(ns) = target.namespace.as_deref()
            && (request.target.contains("{namespace}") || request.target.contains("{ns}"))
        {
            crate::kubeconfig::check_namespace(ns).map_err(|rule| {
                let context = target.provenance.context.as_deref().unwrap_or("-");
                Error::Config(format!(
                    "context \"{context}\": invalid namespace \"{}\": {rule}",
                    sanitize(ns)
                ))
            })?;
        }
        // A resource reference gets its path from discovery (`set_path`) before any request.
        let path = if request.reference {
            "/"
        } else {
            request.target.as_str()
        };
        let url = ApiUrl::new(
            &target.server,
            path,
            request.namespace.as_deref(),
            target.namespace.as_deref(),
            &request.params,
        )?;
        let label = label.map(|l| format!("[{l}] ")).unwrap_or_default();
        let https = url.is_https();
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
            let user_auth = request.user_authorization(true);
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
        Ok(Client {
            request,
            net,
            credentials: target.credentials.clone(),
            agent: None,
            traced: false,
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
    fn timeouts(&self) -> Timeouts {
        let left = self.deadline.map(|d| {
            d.saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1))
        });
        Timeouts {
            connect: self.net.connect_timeout,
            whole: match (self.deadline, left) {
                (Some(_), left) => left,
                (None, _) if self.request.server_ends_watch => {
                    self.net.timeout.map(|t| t + WATCH_GRACE)
                }
                (None, _) => self.net.timeout,
            },
        }
    }

    /// Send the request to `url` (normally [`Client::url`]; pagination passes others), with
    /// retries: by default a 429 or a 5xx with Retry-After is retried as the server asks;
    /// `--retry N` adds connection failures and the rest (see `retry`). Each retry is noted on
    /// stderr; the body is replayed from memory.
    pub fn send(
        &mut self,
        url: &ApiUrl,
        timings: &mut Timings,
    ) -> Result<http::Response<ureq::Body>> {
        let policy = retry::Policy {
            retries: self.net.retries,
            max_time: self.net.retry_max_time,
        };
        let started = Instant::now();
        let mut rng = jitter_source();
        let mut attempt = 0;
        loop {
            let result = self.send_refreshing(url, timings);
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
                self.request.method.as_str(),
                &outcome,
                attempt,
                started.elapsed(),
                &mut rng,
            );
            let retry::Decision::RetryAfter { wait, reason } = decision else {
                return result;
            };
            if self.request.is_streamed() {
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
            // Dropping an unread body closes its connection; the next attempt opens another.
            drop(result);
            notice(&format!("kcurl: {}{why}", self.label));
            std::thread::sleep(wait);
            attempt += 1;
        }
    }

    /// One attempt, and once more after a 401 when the credentials came from an exec plugin
    /// (they may be stale: revoked, clock skew): the plugin runs again first, and the fresh
    /// credentials (and a new agent, for a new client certificate) serve what follows.
    fn send_refreshing(
        &mut self,
        url: &ApiUrl,
        timings: &mut Timings,
    ) -> Result<http::Response<ureq::Body>> {
        self.trace_once();
        let response = self.attempt(url, timings)?;
        if self.send_credentials
            && self.credentials.refreshable()
            && response.status() == 401
            && !self.request.is_streamed()
        {
            if let Some(fresh) = self.credentials.refresh(&self.target.exec_ctx)? {
                drop(response);
                if self.net.verbose {
                    diag(&format!(
                        "{}* 401: ran the exec plugin again; retrying once",
                        self.label
                    ));
                }
                self.credentials = fresh;
                self.agent = None;
                return self.attempt(url, timings);
            }
        }
        Ok(response)
    }

    /// The agent and connector, built on first use with the current credentials' identity.
    fn agent(&mut self) -> Result<(ureq::Agent, Connector)> {
        if let Some(built) = &self.agent {
            return Ok(built.clone());
        }
        let settings = tls::Settings {
            identity: self.credentials.identity.clone(),
            ..self.target.tls.clone()
        };
        let built = build_agent(
            &settings,
            self.target.disable_compression,
            self.cluster_authority.clone(),
            self.proxy.as_ref(),
        )?;
        self.agent = Some(built.clone());
        Ok(built)
    }

    fn attempt(
        &mut self,
        url: &ApiUrl,
        timings: &mut Timings,
    ) -> Result<http::Response<ureq::Body>> {
        let (agent, connector) = self.agent()?;
        let payload = self.request.body.next();
        let has_body = self.request.body.is_some();
        let headers = body::headers(
            &self.request.user_headers,
            &self.credentials,
            self.send_credentials,
            self.request.accept.unwrap_or(DEFAULT_ACCEPT),
            has_body.then_some(self.request.content_type),
        )?;
        if self.net.verbose {
            trace::request(
                &self.label,
                &self.request.method,
                url,
                &headers,
                !self.target.disable_compression,
                self.request.body.size(),
            );
        }
        let timeouts = self.timeouts();
        connector.reset_timings();
        timings.start = Some(Instant::now());
        let result = send(
            &agent,
            &self.request.method,
            url,
            headers,
            payload,
            timeouts,
        );
        let (connected, tls_done) = connector.timings();
        timings.connected = connected;
        timings.tls_done = tls_done;
        timings.first_byte = Some(Instant::now());
        let response = result.map_err(|e| self.failure(e, url, &connector, timeouts))?;
        if self.net.verbose {
            trace::response(&self.label, &response);
        }
        Ok(response)
    }

    /// A transport failure in words: the proxy's fault when it was the proxy, else classified.
    fn failure(
        &self,
        e: ureq::Error,
        url: &ApiUrl,
        connector: &Connector,
        timeouts: Timeouts,
    ) -> Error {
        let via_proxy = self
            .proxy
            .as_ref()
            .and_then(|p| p.failure(&e, &url.display()));
        via_proxy.unwrap_or_else(|| classify(e, url, connector, timeouts))
    }

    /// Point the client at `path` on the cluster's server (a resource reference, once
    /// discovery resolved it): the request's parameters are added as for a typed path.
    pub fn set_path(&mut self, path: &str) -> Result<()> {
        self.url = ApiUrl::new(&self.target.server, path, None, None, &self.request.params)?;
        Ok(())
    }

    /// The cluster's server URL and the context's namespace (for discovery).
    pub fn server(&self) -> &str {
        &self.target.server
    }

    /// The context's namespace, checked as kubectl checks one.
    pub fn context_namespace(&self) -> Result<Option<&str>> {
        let Some(ns) = self.target.namespace.as_deref() else {
            return Ok(None);
        };
        crate::kubeconfig::check_namespace(ns).map_err(|rule| {
            let context = self.target.provenance.context.as_deref().unwrap_or("-");
            Error::Config(format!(
                "context \"{context}\": invalid namespace \"{}\": {rule}",
                sanitize(ns)
            ))
        })?;
        Ok(Some(ns))
    }

    /// One GET of `path` (absolute, from the server URL) with this Accept header, over the same
    /// connection as the request, read whole (at most `--max-body-size`): for discovery and
    /// completion. The user's -H headers go too, except Accept; no retries; `-v` traces it.
    pub fn get(&mut self, path: &str, accept: &str) -> Result<Got> {
        let url = ApiUrl::new(&self.target.server, path, None, None, &[])?;
        let (agent, connector) = self.agent()?;
        let mut headers = body::headers(
            &self.request.user_headers,
            &self.credentials,
            self.send_credentials && url.same_origin,
            DEFAULT_ACCEPT,
            None,
        )?;
        let accept = HeaderValue::from_str(accept)
            .map_err(|_| Error::Usage("discovery: invalid Accept header".into()))?;
        for (name, value) in headers.iter_mut() {
            if *name == http::header::ACCEPT {
                *value = accept.clone();
            }
        }
        self.trace_once();
        if self.net.verbose {
            trace::request(
                &self.label,
                &http::Method::GET,
                &url,
                &headers,
                !self.target.disable_compression,
                None,
            );
        }
        let mut timeouts = self.timeouts();
        timeouts.whole = timeouts.whole.or(Some(GET_TIMEOUT));
        let result = send(
            &agent,
            &http::Method::GET,
            &url,
            headers,
            body::Payload::None,
            timeouts,
        );
        let mut response = result.map_err(|e| self.failure(e, &url, &connector, timeouts))?;
        if self.net.verbose {
            trace::response(&self.label, &response);
        }
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let mut body = Vec::new();
        crate::limit::read_to_end(
            response.body_mut().as_reader(),
            &mut body,
            self.net.max_body,
            "the response",
        )
        .map_err(|e| match crate::limit::Exceeded::in_io(&e) {
            Some(x) => x.to_error(&url.display()),
            None => Error::Connect(format!("{}: reading the response: {e}", url.display())),
        })?;
        Ok(Got {
            status,
            content_type,
            body,
        })
    }

    /// What a 401 means for the credentials this client sent: which one the server rejected
    /// (its source, never its value) and the likely fix, for the one-line error.
    pub fn unauthorized_hint(&self) -> &'static str {
        if self.request.user_authorization(true) {
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

    /// With `-v`: the context line, once per client, before anything else it traces.
    pub fn trace_once(&mut self) {
        if self.net.verbose && !self.traced {
            self.traced = true;
            self.trace_context();
        }
    }

    fn trace_context(&self) {
        let creds = if self.request.user_authorization(false) {
            "Authorization from -H".to_string()
        } else if self.target.credentials.describe.is_empty() {
            "no credentials".to_string()
        } else {
            self.target.credentials.describe.join(" + ")
        };
        trace::context(
            &self.label,
            &self.target.provenance,
            &creds,
            self.proxy.as_ref(),
        );
    }

    /// The `-v` timings line (after the body was read).
    pub fn trace_timings(&self, timings: &Timings) {
        if self.net.verbose {
            trace::timings(&self.label, timings);
        }
    }

    /// The `--max-body-size` limit.
    pub fn max_body(&self) -> u64 {
        self.net.max_body
    }
}

/// A response to [`Client::get`], read whole.
#[derive(Debug)]
pub struct Got {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// The whole-request limit of a [`Client::get`] when `--timeout` gives none.
const GET_TIMEOUT: Duration = Duration::from_secs(60);

/// `--connect-timeout` and the whole-request timeout (`--timeout`, or what is left of a wait).
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub connect: Duration,
    pub whole: Option<Duration>,
}

/// Build the agent for a target: our TLS connector, no redirects, no status-as-error.
/// Timeouts are set per request (they shrink as a wait's deadline nears).
fn build_agent(
    settings: &tls::Settings,
    disable_compression: bool,
    cluster_authority: String,
    proxy: Option<&Choice>,
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
        .proxy(proxy.map(Choice::to_ureq).transpose()?);
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
fn send(
    agent: &ureq::Agent,
    method: &http::Method,
    url: &ApiUrl,
    headers: Vec<(HeaderName, HeaderValue)>,
    payload: Payload,
    timeouts: Timeouts,
) -> std::result::Result<http::Response<ureq::Body>, ureq::Error> {
    use std::io::Read;
    let mut builder = http::Request::builder()
        .method(method.clone())
        .uri(url.uri.clone());
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    macro_rules! run {
        ($body:expr) => {{
            let request = agent
                .configure_request(builder.body($body)?)
                .timeout_connect(Some(timeouts.connect))
                .timeout_global(timeouts.whole)
                .build();
            agent.run(request)
        }};
    }
    match payload {
        Payload::Streamed(s) => {
            let reader = std::io::Cursor::new(s.head).chain(s.rest);
            run!(ureq::SendBody::from_owned_reader(reader))
        }
        Payload::Bytes(b) => run!(b),
        Payload::None => run!(()),
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

/// Turn a transport failure into a user-facing error naming the URL and the cause.
pub fn classify(
    err: ureq::Error,
    url: &ApiUrl,
    connector: &Connector,
    timeouts: Timeouts,
) -> Error {
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
