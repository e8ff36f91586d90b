//! Where discovery meets a cluster: [`resolve_on`] turns the command line's resource reference
//! into a path on one [`Client`] (its URL is then set), and [`ClientFetch`] is the [`Fetch`]
//! over that client — the same agent and connection as the request that follows, the same
//! TLS, credentials and proxy, no retries.

use super::{Cache, Fetch, Fetched, Options, reference, resolve};
use crate::diag::{diag, sanitize};
use crate::error::Result;
use crate::http::Client;

/// What the command line says about resolving a reference (from `plan`).
#[derive(Debug)]
pub struct Settings {
    /// `-A`.
    pub all_namespaces: bool,
    /// `--refresh-discovery`.
    pub refresh: bool,
    /// The discovery cache (disabled by `--no-cache`).
    pub cache: Cache,
    /// `-v`: say what the reference resolved to.
    pub verbose: bool,
}

/// Resolve `target` (a resource reference) on `client`'s cluster and point the client at the
/// path. The namespace is `-n`, else the context's, else `default`.
pub fn resolve_on(
    client: &mut Client,
    target: &str,
    namespace: Option<&str>,
    settings: &Settings,
    label: &str,
) -> Result<()> {
    let Some(r) = reference::parse(target) else {
        return Ok(());
    };
    let namespace = match namespace {
        Some(ns) => ns.to_string(),
        None => client.context_namespace()?.unwrap_or("default").to_string(),
    };
    let server = client.server().to_string();
    let resolved = resolve(
        &r,
        &server,
        &settings.cache,
        &mut ClientFetch(client),
        Options {
            namespace: &namespace,
            all_namespaces: settings.all_namespaces,
            refresh: settings.refresh,
        },
    )?;
    if settings.verbose {
        client.trace_once();
        diag(&format!(
            "{label}* {} → {} ({})",
            sanitize(target),
            sanitize(&resolved.path),
            resolved.source
        ));
    }
    client.set_path(&resolved.path)
}

/// GETs on one cluster through its client.
pub struct ClientFetch<'c, 'r>(pub &'c mut Client<'r>);

impl Fetch for ClientFetch<'_, '_> {
    fn get(&mut self, path: &str, accept: &str) -> Result<Fetched> {
        let got = self.0.get(path, accept)?;
        Ok(Fetched {
            path: path.to_string(),
            status: got.status,
            content_type: got.content_type,
            body: got.body,
        })
    }
}
