//! Where discovery meets the rest of kcurl: [`path_for`] turns the command line's reference into
//! a path for one cluster (called where the request URL is built), and [`ClusterFetch`] is the
//! [`Fetch`] over today's request code (`request::agent`/`send`: the cluster's TLS, credentials
//! and proxy, no retries). When the request path moves to `http::Client`, only this file
//! changes: `ClusterFetch::get` becomes a GET on the client.

use std::io::Read;
use std::time::{Duration, Instant};

use ureq::http::{self, HeaderValue, Method};

use super::{Cache, Fetch, Fetched, Options, reference, resolve};
use crate::cli::Args;
use crate::config::Target;
use crate::error::{Error, Result};
use crate::output::{diag, sanitize};
use crate::request::{self, Timeouts};

/// The whole-request limit of a discovery request when `--timeout` gives none.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The path `args.target` points to on `target`, when it is a resource reference (`None`: it
/// is a path or URL, used as it is). With `-v`, says what the reference resolved to.
pub fn path_for(args: &Args, target: &Target) -> Result<Option<String>> {
    let Some(r) = reference::parse(&args.target) else {
        return Ok(None);
    };
    let namespace = match (&args.namespace, &target.namespace) {
        (Some(ns), _) => ns.as_str(),
        (None, Some(ns)) => {
            crate::exchange::check_namespace(ns).map_err(|rule| {
                let context = target.provenance.context.as_deref().unwrap_or("-");
                Error::Config(format!(
                    "context \"{context}\": invalid namespace \"{}\": {rule}",
                    sanitize(ns)
                ))
            })?;
            ns.as_str()
        }
        (None, None) => "default",
    };
    let timeouts = Timeouts {
        connect: args.connect_timeout,
        whole: Some(args.timeout.unwrap_or(DEFAULT_TIMEOUT)),
    };
    let mut fetch = ClusterFetch::new(args, target, timeouts)?;
    let resolved = resolve(
        &r,
        &target.server,
        &cache_for(args),
        &mut fetch,
        Options {
            namespace,
            all_namespaces: args.all_namespaces,
            refresh: args.refresh_discovery,
        },
    )?;
    if args.verbose {
        diag(&format!(
            "* {} → {} ({})",
            sanitize(&args.target),
            sanitize(&resolved.path),
            resolved.source
        ));
    }
    Ok(Some(resolved.path))
}

/// The discovery cache the flags ask for: none with `--no-cache` (or KCURL_NO_CACHE).
pub fn cache_for(args: &Args) -> Cache {
    if args.no_cache {
        Cache::disabled()
    } else {
        Cache::default_location()
    }
}

/// GETs on one cluster, over one connection pool.
pub struct ClusterFetch<'a> {
    target: &'a Target,
    agent: ureq::Agent,
    connector: crate::tls::Connector,
    proxy: Option<crate::proxy::Choice>,
    user_headers: Vec<(http::HeaderName, Option<HeaderValue>)>,
    timeouts: Timeouts,
    max_body: u64,
    verbose: bool,
}

impl<'a> ClusterFetch<'a> {
    /// A fetcher for `target` with the user's extra headers (`-H`, but not Accept, which
    /// discovery chooses) and `timeouts` for each request.
    pub fn new(args: &Args, target: &'a Target, timeouts: Timeouts) -> Result<Self> {
        let uri: http::Uri = target.server.parse().map_err(|_| {
            Error::Config(format!("server \"{}\" is not a valid URL", target.server))
        })?;
        let https = uri
            .scheme_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("https"));
        let proxy = crate::proxy::choose(
            uri.scheme_str().unwrap_or("https"),
            uri.host().unwrap_or(""),
            uri.port_u16().unwrap_or(if https { 443 } else { 80 }),
            target
                .proxy_url
                .as_ref()
                .map(|(u, f)| (u.as_str(), f.as_str())),
            &|k| std::env::var(k).ok(),
        )?;
        let (agent, connector) = request::agent(
            &target.tls,
            target.disable_compression,
            timeouts,
            crate::tls::authority_of(&uri),
            proxy.as_ref(),
        )?;
        let mut user_headers = request::parse_headers(&args.headers)?;
        user_headers.retain(|(n, _)| n != http::header::ACCEPT);
        Ok(ClusterFetch {
            target,
            agent,
            connector,
            proxy,
            user_headers,
            timeouts,
            max_body: args.max_body_size,
            verbose: args.verbose,
        })
    }
}

impl Fetch for ClusterFetch<'_> {
    fn get(&mut self, path: &str, accept: &str) -> Result<Fetched> {
        let url = request::build_url(&self.target.server, path)?;
        // Credentials go only to the cluster's own server over https, as for the request.
        let https = url
            .uri
            .scheme_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("https"));
        let mut headers =
            request::headers(&self.user_headers, &self.target.credentials, https, false)?;
        let accept = HeaderValue::from_str(accept)
            .map_err(|_| Error::Usage("discovery: invalid Accept header".into()))?;
        for (name, value) in headers.iter_mut() {
            if *name == http::header::ACCEPT {
                *value = accept.clone();
            }
        }
        let started = Instant::now();
        let mut response = request::send(&self.agent, &Method::GET, &url, headers, None, None)
            .map_err(|e| {
                let via_proxy = self
                    .proxy
                    .as_ref()
                    .and_then(|p| p.failure(&e, &url.display()));
                via_proxy
                    .unwrap_or_else(|| request::classify(e, &url, &self.connector, self.timeouts))
            })?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let mut body = Vec::new();
        response
            .body_mut()
            .as_reader()
            .take(self.max_body.saturating_add(1))
            .read_to_end(&mut body)
            .map_err(|e| {
                Error::Connect(format!(
                    "{}: reading the discovery document: {e}",
                    url.display()
                ))
            })?;
        if body.len() as u64 > self.max_body {
            return Err(Error::Limit(format!(
                "{}: the discovery document is larger than --max-body-size",
                url.display()
            )));
        }
        if self.verbose {
            diag(&format!(
                "* discovery: GET {path} → {status} {content_type} ({} bytes, {:.1} ms)",
                body.len(),
                started.elapsed().as_secs_f64() * 1e3
            ));
        }
        Ok(Fetched {
            path: path.to_string(),
            status,
            content_type,
            body,
        })
    }
}
