//! Resource references (`kcurl pods`, `kcurl deploy/web -n prod`, `kcurl pod/web-0/log`)
//! resolved to API paths through the server's discovery documents, cached on disk; and the
//! candidates for TAB completion of references and paths.
//!
//! Layout: [`reference`] parses what the user typed, [`table`] reads the server's resource
//! types (aggregated discovery, else the legacy documents), [`matching`] applies kubectl's
//! rules, [`cache`] keeps tables across runs, [`complete`] answers the shell at TAB time. The
//! network is behind the [`Fetch`] trait, implemented by [`hook`] on top of today's request
//! code: nothing else here sends a byte, and a path (`/…`) or URL never reaches this module.

pub mod cache;
pub mod complete;
pub mod hook;
pub mod matching;
pub mod reference;
pub mod table;

use std::time::Duration;

use crate::diag::sanitize;
use crate::error::{Error, Result};
pub use cache::Cache;
use matching::{Found, Lookup, or_list};
pub use reference::{Reference, is_reference};
use table::Table;

/// One GET on the cluster, answered whatever the status.
pub trait Fetch {
    /// GET `path` (absolute, from the server URL) with this Accept header.
    fn get(&mut self, path: &str, accept: &str) -> Result<Fetched>;
}

/// A response to [`Fetch::get`], read whole.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub path: String,
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// Everything besides the server that decides where a reference points.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// The namespace for namespaced types: `-n`, else the context's, else `default`.
    pub namespace: &'a str,
    /// `-A`: namespaced types are listed across all namespaces.
    pub all_namespaces: bool,
    /// `--refresh-discovery`: do not read the cache.
    pub refresh: bool,
}

/// A reference resolved to a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The path with the reference's query, ready for the server URL.
    pub path: String,
    /// Where the table came from, for `-v`: `cache, 12 s old` or `fetched, aggregated v2`.
    pub source: String,
}

/// Resolve `r` on `server`: from the cached table when there is a fresh one, else from the
/// server (then cached). A type or subresource missing from a table older than a minute
/// fetches the table once more, so a CRD created since is found.
pub fn resolve(
    r: &Reference,
    server: &str,
    cache: &Cache,
    fetch: &mut dyn Fetch,
    opts: Options,
) -> Result<Resolved> {
    if opts.all_namespaces && r.name.is_some() {
        return Err(Error::Usage(format!(
            "-A lists across namespaces, but \"{}\" names one object: give -n NAMESPACE instead",
            sanitize(&reference_text(r))
        )));
    }
    let cached = if opts.refresh {
        None
    } else {
        cache.load(server)
    };
    let (table, age) = match cached {
        Some(c) => (c.table, Some(c.age)),
        None => (fetch_and_store(server, cache, fetch)?, None),
    };
    let source = |t: &Table, age: Option<Duration>| match age {
        Some(a) => format!("discovery cache, {} s old", a.as_secs()),
        None => format!("discovery fetched, {}", describe_source(&t.source)),
    };
    match path_in(&table, r, opts) {
        Ok(path) => Ok(Resolved {
            path,
            source: source(&table, age),
        }),
        Err(_) if age.is_some_and(|a| a >= cache::REFRESH_ON_MISS_AFTER) => {
            let table = fetch_and_store(server, cache, fetch)?;
            let path = path_in(&table, r, opts)?;
            Ok(Resolved {
                path,
                source: format!("{} (the cached table missed it)", source(&table, None)),
            })
        }
        Err(e) => Err(e),
    }
}

/// The server's resource table, from the cache when fresh (for completion).
pub fn table(server: &str, cache: &Cache, fetch: Option<&mut dyn Fetch>) -> Option<Table> {
    if let Some(c) = cache.load(server) {
        return Some(c.table);
    }
    fetch_and_store(server, cache, fetch?).ok()
}

fn fetch_and_store(server: &str, cache: &Cache, fetch: &mut dyn Fetch) -> Result<Table> {
    let table = table::fetch(fetch)?;
    cache.store(server, &table);
    Ok(table)
}

fn describe_source(source: &str) -> String {
    match source {
        "legacy" => "legacy per-group-version documents".to_string(),
        other => format!("aggregated {other}"),
    }
}

/// `deploy/web/scale` as typed (without the query).
fn reference_text(r: &Reference) -> String {
    let mut s = r.kind.to_string();
    for part in [r.name, r.rest].into_iter().flatten() {
        s.push('/');
        s.push_str(part);
    }
    s
}

/// The path `r` points to in `table`, or the usage error saying why there is none.
pub fn path_in(table: &Table, r: &Reference, opts: Options) -> Result<String> {
    let ns = |f: &Found| (!opts.all_namespaces && f.resource.namespaced).then_some(opts.namespace);
    let found = match matching::lookup(table, r.kind) {
        Lookup::Found(f) => f,
        Lookup::Ambiguous(all) => {
            let listed: Vec<String> = all
                .iter()
                .map(|f| {
                    format!(
                        "{} ({}.{})",
                        f.path(ns(f), r.name, r.rest),
                        f.resource.name,
                        f.group.name
                    )
                })
                .collect();
            return Err(Error::Usage(format!(
                "resource type \"{}\" is ambiguous on this server: {}; name the group",
                sanitize(r.kind),
                or_list(&listed)
            )));
        }
        Lookup::Missing(near) => {
            let hint = if near.is_empty() {
                format!(
                    " (a path starts with /: kcurl /{})",
                    sanitize(&reference_text(r))
                )
            } else {
                format!("; did you mean {}?", or_list(&near))
            };
            return Err(Error::Usage(format!(
                "no resource type \"{}\" on this server{hint}",
                sanitize(r.kind)
            )));
        }
    };
    if let (Some(_), Some(rest)) = (r.name, r.rest) {
        let sub = rest.split('/').next().unwrap_or(rest);
        if !found.resource.sub.iter().any(|s| s == sub) {
            let mut near: Vec<(usize, &String)> = found
                .resource
                .sub
                .iter()
                .map(|s| (matching::distance(sub, s), s))
                .filter(|(d, _)| *d <= 2)
                .collect();
            near.sort();
            let hint = match near.first() {
                Some((_, s)) => format!("; did you mean {s}?"),
                None if found.resource.sub.is_empty() => "; it has none".to_string(),
                None => {
                    let mut all = found.resource.sub.clone();
                    all.sort();
                    format!("; it has {}", or_list(&all))
                }
            };
            return Err(Error::Usage(format!(
                "{} has no subresource \"{}\" on this server{hint}",
                found.resource.name,
                sanitize(sub)
            )));
        }
    }
    let mut path = found.path(ns(&found), r.name, r.rest);
    if let Some(q) = r.query {
        path.push('?');
        path.push_str(q);
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use matching::tests::sample;

    fn opts() -> Options<'static> {
        Options {
            namespace: "prod",
            all_namespaces: false,
            refresh: false,
        }
    }

    fn path(target: &str, o: Options) -> String {
        let r = reference::parse(target).unwrap();
        match path_in(&sample(), &r, o) {
            Ok(p) => p,
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn references_become_paths() {
        let o = opts();
        assert_eq!(path("po", o), "/api/v1/namespaces/prod/pods");
        assert_eq!(
            path("deploy/web?pretty=1", o),
            "/apis/apps/v1/namespaces/prod/deployments/web?pretty=1"
        );
        assert_eq!(
            path("pod/web-0/status", o),
            "/api/v1/namespaces/prod/pods/web-0/status"
        );
        assert_eq!(path("nodes", o), "/api/v1/nodes");
        assert_eq!(path("ns/kube-system", o), "/api/v1/namespaces/kube-system");
        let all = Options {
            all_namespaces: true,
            ..o
        };
        assert_eq!(path("pods", all), "/api/v1/pods");
    }

    #[test]
    fn usage_errors_say_what_to_do() {
        let o = opts();
        assert_eq!(
            path("podz", o),
            "error: no resource type \"podz\" on this server; did you mean pods?"
        );
        assert_eq!(
            path("zzzzzz/x", o),
            "error: no resource type \"zzzzzz\" on this server (a path starts with /: kcurl /zzzzzz/x)"
        );
        assert_eq!(
            path("pod/web-0/stats", o),
            "error: pods has no subresource \"stats\" on this server; did you mean status?"
        );
        assert_eq!(
            path("widgets", o),
            "error: resource type \"widgets\" is ambiguous on this server: \
             /apis/stable.example.com/v1/namespaces/prod/widgets (widgets.stable.example.com) or \
             /apis/other.example.com/v1/namespaces/prod/widgets (widgets.other.example.com); \
             name the group"
        );
    }
}
