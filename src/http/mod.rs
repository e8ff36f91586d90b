//! HTTP: the request as planned ([`Request`]), its URL ([`url`]), body and headers ([`body`]),
//! one [`client::Client`] per target that sends it (the connection reused, retries, the 401
//! refresh), the pure retry policy ([`retry`]), proxy choice ([`proxy`]) and `-v` lines
//! ([`trace`]).
//!
//! An HTTP error status is a response, not an error: every response the server sends comes
//! back (redirects are never followed, so credentials cannot reach another host); only
//! transport failures become errors. Never prints a body and never imports `output`.

pub mod body;
pub mod client;
pub mod proxy;
pub mod retry;
pub mod trace;
pub mod url;

use std::time::Duration;

use ureq::http::{HeaderName, HeaderValue, Method};

pub use client::Client;
pub use trace::Timings;
pub use url::ApiUrl;

/// The request as given on the command line, before any cluster is chosen: the same for
/// every context.
#[derive(Debug)]
pub struct Request {
    /// The path or URL, with `{namespace}`/`{ns}` placeholders, as given; or a resource
    /// reference (`pods`, `deploy/web`), when `reference` says so.
    pub target: String,
    /// `target` is a resource reference: the client's URL is set by discovery
    /// ([`Client::set_path`]) before anything is sent.
    pub reference: bool,
    /// `-n`.
    pub namespace: Option<String>,
    pub method: Method,
    pub user_headers: Vec<(HeaderName, Option<HeaderValue>)>,
    pub body: body::Body,
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

impl Request {
    /// True when the body is a large stdin stream that can be sent only once.
    pub fn is_streamed(&self) -> bool {
        self.body.is_streamed()
    }

    /// True when `-H` gives an Authorization header (`with_value`: a non-empty one).
    pub fn user_authorization(&self, with_value: bool) -> bool {
        self.user_headers
            .iter()
            .any(|(n, v)| n == ureq::http::header::AUTHORIZATION && (v.is_some() || !with_value))
    }
}

/// Network behaviour: timeouts, retries, tracing, limits.
#[derive(Clone, Copy, Debug)]
pub struct Net {
    /// `-v`.
    pub verbose: bool,
    pub connect_timeout: Duration,
    /// `--timeout`.
    pub timeout: Option<Duration>,
    /// `--retry`.
    pub retries: Option<u32>,
    /// `--retry-max-time`.
    pub retry_max_time: Option<Duration>,
    /// `--max-body-size`.
    pub max_body: u64,
}

/// Where the configuration came from, for messages and `-v`.
#[derive(Clone, Debug, Default)]
pub struct Provenance {
    pub kubeconfig: String,
    pub context: Option<String>,
    pub cluster: Option<String>,
    pub user: Option<String>,
}

/// One cluster as the client needs it, resolved by `config` from the kubeconfig and the
/// command line.
#[derive(Debug)]
pub struct Target {
    /// The server URL without a trailing slash, e.g. `https://10.0.0.1:6443/k8s/clusters/c-1`.
    pub server: String,
    pub tls: crate::tls::Settings,
    /// Why TLS verification is off, when it is (for the warning).
    pub insecure_reason: Option<String>,
    pub credentials: crate::auth::Credentials,
    /// What refreshing exec credentials after a 401 needs.
    pub exec_ctx: crate::auth::ExecContext,
    pub disable_compression: bool,
    /// The cluster's `proxy-url` and its field name, validated.
    pub proxy_url: Option<(String, String)>,
    pub namespace: Option<String>,
    pub provenance: Provenance,
}

/// How much longer than `--timeout` kcurl waits for a watch the server was asked to end.
pub const WATCH_GRACE: Duration = Duration::from_secs(5);

/// The Accept header kcurl sends for `--table`.
pub const TABLE_ACCEPT: &str = "application/json;as=Table;v=v1;g=meta.k8s.io, application/json";
