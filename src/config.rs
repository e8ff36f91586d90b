//! The resolved target: kubeconfig selection plus command-line overrides, validated.
//!
//! Reads the kubeconfig (via `kubeconfig`), applies `--server`, `--token`,
//! `--certificate-authority`, `--insecure` and friends the way kubectl's override flags do
//! (client-go `DirectClientConfig.getCluster`), validates the cluster as client-go's
//! `validateClusterInfo` does, and hands the request layer one [`Target`]. It reads CA files,
//! but sends nothing.

use std::io::IsTerminal;

use std::path::PathBuf;
use std::time::Duration;

use crate::auth;
use crate::diag::display_path;
use crate::error::{Error, Result};
use crate::http::{Provenance, Target};
use crate::incluster;
use crate::kubeconfig::{self, Kubeconfig, Selection, Sources};
use crate::secret::Secret;
use crate::tls::{Roots, Settings};

/// The command-line flags that choose and override the kubeconfig's cluster and user.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub kubeconfig: Option<PathBuf>,
    pub cluster: Option<String>,
    pub user: Option<String>,
    pub in_cluster: bool,
    pub service_account_dir: PathBuf,
    pub server: Option<String>,
    pub token: Option<Secret>,
    pub certificate_authority: Option<PathBuf>,
    pub client_certificate: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    pub as_user: Option<String>,
    pub as_groups: Vec<String>,
    pub as_uid: Option<String>,
    pub no_cache: bool,
    pub insecure: bool,
    /// `--timeout`: also bounds an exec plugin's run.
    pub timeout: Option<Duration>,
}

/// Resolve the target from the command line and the kubeconfig files the environment names.
pub fn resolve(args: &Overrides, context: Option<&str>) -> Result<Target> {
    let getenv = |k: &str| std::env::var(k).ok();
    let sa_dir = &args.service_account_dir;
    if args.in_cluster {
        let ic = incluster::load(sa_dir, &getenv)?;
        return resolve_with(args, &in_cluster_kubeconfig(ic, sa_dir), None);
    }
    let sources = Sources::from_env(args.kubeconfig.clone());
    let kubeconfig = kubeconfig::load(&sources)?;
    // client-go DeferredLoadingClientConfig: the service account is used only when no kubeconfig
    // yields anything; command-line overrides still apply on top of it.
    if kubeconfig.is_empty() && args.kubeconfig.is_none() {
        match incluster::unavailable_reason(&getenv) {
            None => {
                let ic = incluster::load(sa_dir, &getenv)?;
                return resolve_with(args, &in_cluster_kubeconfig(ic, sa_dir), None);
            }
            Some(reason) if args.server.is_none() => {
                return Err(Error::Config(format!(
                    "no configuration found: no kubeconfig ({}), and not in a pod ({reason}); \
                     use --kubeconfig FILE, set KUBECONFIG, or give --server URL",
                    kubeconfig.describe_tried()
                )));
            }
            Some(_) => {}
        }
    }
    resolve_with(args, &kubeconfig, context)
}

/// The service account as a one-context kubeconfig, so overrides and validation work the same.
fn in_cluster_kubeconfig(ic: incluster::InCluster, dir: &std::path::Path) -> Kubeconfig {
    use crate::kubeconfig::{Cluster, Context, Entry, User};
    let name = "in-cluster".to_string();
    let entry = |value| Entry {
        name: name.clone(),
        source: dir.to_path_buf(),
        value,
    };
    Kubeconfig {
        files: vec![dir.to_path_buf()],
        missing: Vec::new(),
        clusters: vec![entry(Cluster {
            server: Some(ic.server),
            certificate_authority: Some(ic.ca_path),
            ..Default::default()
        })],
        users: vec![Entry {
            name: name.clone(),
            source: dir.to_path_buf(),
            value: User {
                token_file: Some(ic.token_path),
                ..Default::default()
            },
        }],
        contexts: vec![Entry {
            name: name.clone(),
            source: dir.to_path_buf(),
            value: Context {
                cluster: Some(name.clone()),
                user: Some(name.clone()),
                namespace: Some(ic.namespace),
            },
        }],
        current_context: Some((name.clone(), dir.to_path_buf())),
        env_names_no_file: false,
    }
}

/// Load the kubeconfig files the flags and environment name (for several contexts at once).
pub fn load_kubeconfig(args: &Overrides) -> Result<Kubeconfig> {
    kubeconfig::load(&Sources::from_env(args.kubeconfig.clone()))
}

/// [`resolve`] against an already loaded kubeconfig.
pub fn resolve_with(args: &Overrides, kc: &Kubeconfig, context: Option<&str>) -> Result<Target> {
    let selection = Selection {
        context: context.map(str::to_string),
        cluster: args.cluster.clone(),
        user: args.user.clone(),
    };
    let selected = kc.select(&selection, args.server.is_some())?;
    let cluster = selected.cluster.map(|c| &c.value);
    let cluster_place = selected.cluster.map(|c| c.place("clusters"));

    // Server.
    let server = match (&args.server, cluster.and_then(|c| c.server.as_ref())) {
        (Some(s), _) => normalize_server(s, "--server")?,
        (None, Some(s)) if !s.is_empty() => normalize_server(
            s,
            &format!("{}.server", cluster_place.clone().unwrap_or_default()),
        )?,
        _ => {
            return Err(Error::Config(match &cluster_place {
                Some(p) => format!(
                    "{p}: no server is set; add server: https://HOST:PORT or give --server URL"
                ),
                None => "no server: the context names no cluster; give --server URL".to_string(),
            }));
        }
    };

    // TLS, with client-go's override rules: --insecure clears the kubeconfig CA, and
    // --certificate-authority clears the kubeconfig CA data and insecure flag.
    let mut insecure_reason = None;
    let roots = if let Some(ca) = &args.certificate_authority {
        Roots::Pem {
            pem: auth::read_file(ca, "--certificate-authority")?,
            origin: display_path(ca),
        }
    } else if args.insecure {
        insecure_reason = Some("--insecure".to_string());
        Roots::System
    } else if let Some(c) = cluster {
        let place = cluster_place.clone().unwrap_or_default();
        let has_data = c
            .certificate_authority_data
            .as_ref()
            .is_some_and(|d| !d.is_empty());
        if c.certificate_authority.is_some() && has_data {
            return Err(Error::Config(format!(
                "{place}: certificate-authority and certificate-authority-data are both set; keep only one"
            )));
        }
        let insecure = c.insecure_skip_tls_verify.unwrap_or(false);
        if insecure && (c.certificate_authority.is_some() || has_data) {
            return Err(Error::Config(format!(
                "{place}: insecure-skip-tls-verify is true and a certificate authority is set; \
                 remove one (kubectl refuses this too)"
            )));
        }
        if insecure {
            insecure_reason = Some(format!("insecure-skip-tls-verify in {place}"));
            Roots::System
        } else if let Some(path) = &c.certificate_authority {
            let field = format!("{place}.certificate-authority");
            Roots::Pem {
                pem: auth::read_file(path, &field)?,
                origin: format!("{} ({field})", display_path(path)),
            }
        } else if let Some(data) = c
            .certificate_authority_data
            .as_ref()
            .filter(|d| !d.is_empty())
        {
            let field = format!("{place}.certificate-authority-data");
            Roots::Pem {
                pem: auth::decode_b64(data, &field)?,
                origin: field,
            }
        } else {
            Roots::System
        }
    } else {
        Roots::System
    };

    let overrides = auth::Overrides {
        token: args.token.clone(),
        client_certificate: args.client_certificate.clone(),
        client_key: args.client_key.clone(),
        impersonate_user: args.as_user.clone(),
        impersonate_groups: args.as_groups.clone(),
        impersonate_uid: args.as_uid.clone(),
    };
    let exec_ctx = auth::ExecContext {
        cluster: exec_cluster_info(&server, cluster, &roots, insecure_reason.is_some()),
        cache: exec_cache(args),
        stdin_is_tty: std::io::stdin().is_terminal(),
        timeout: args.timeout.unwrap_or(auth::exec::DEFAULT_TIMEOUT),
    };
    let credentials = auth::resolve(selected.user, &overrides, &exec_ctx)?;

    let tls = Settings {
        roots,
        insecure: insecure_reason.is_some(),
        server_name: cluster
            .and_then(|c| c.tls_server_name.clone())
            .filter(|s| !s.is_empty()),
        identity: credentials.identity.clone(),
    };
    let proxy_url = match cluster
        .and_then(|c| c.proxy_url.clone())
        .filter(|p| !p.is_empty())
    {
        Some(p) => {
            let field = format!("{}.proxy-url", cluster_place.clone().unwrap_or_default());
            crate::http::proxy::validate_proxy_url(&p, &field)?;
            Some((p, field))
        }
        None => None,
    };
    Ok(Target {
        exec_ctx,
        server,
        proxy_url,
        tls,
        insecure_reason,
        credentials,
        disable_compression: cluster.and_then(|c| c.disable_compression).unwrap_or(false),
        namespace: selected
            .context
            .and_then(|c| c.value.namespace.clone())
            .filter(|n| !n.is_empty()),
        provenance: Provenance {
            kubeconfig: kc.describe_files(),
            context: selected.context.map(|c| c.name.clone()),
            cluster: selected.cluster.map(|c| c.name.clone()),
            user: selected.user.map(|u| u.name.clone()),
        },
    })
}

/// The cluster as an exec plugin sees it with `provideClusterInfo` (client-go
/// `clientauthentication.Cluster`; a CA file is inlined as data).
fn exec_cluster_info(
    server: &str,
    cluster: Option<&crate::kubeconfig::Cluster>,
    roots: &Roots,
    insecure: bool,
) -> Option<auth::exec::ClusterInfo> {
    let c = cluster.cloned().unwrap_or_default();
    Some(auth::exec::ClusterInfo {
        server: server.to_string(),
        tls_server_name: c.tls_server_name.clone().filter(|s| !s.is_empty()),
        insecure_skip_tls_verify: insecure,
        certificate_authority_data: match roots {
            Roots::Pem { pem, .. } => Some(pem.clone()),
            Roots::System => None,
        },
        proxy_url: c.proxy_url.clone().filter(|s| !s.is_empty()),
        disable_compression: c.disable_compression.unwrap_or(false),
        config: c
            .extensions
            .unwrap_or_default()
            .into_iter()
            .find(|e| e.name == auth::exec::CLUSTER_EXTENSION)
            .and_then(|e| e.extension),
    })
}

/// The exec credential cache: off with --no-cache (or KCURL_NO_CACHE), else the user cache dir.
fn exec_cache(args: &Overrides) -> auth::exec::Cache {
    match (args.no_cache, auth::exec::Cache::default_location()) {
        (false, Some(dir)) => auth::exec::Cache::at(dir),
        _ => auth::exec::Cache::disabled(),
    }
}

/// A server URL without a trailing slash; a bare `host:port` means https (client-go
/// `DefaultServerURL`). Only http and https are accepted.
// discovery: completion keys the discovery cache by the server URL without resolving credentials.
pub(crate) fn normalize_server(s: &str, field: &str) -> Result<String> {
    let s = s.trim();
    let with_scheme = if s.contains("://") {
        s.to_string()
    } else {
        format!("https://{s}")
    };
    if crate::http::url::has_userinfo(&with_scheme) {
        // The URL is not echoed: it holds a password.
        return Err(Error::Config(format!(
            "{field}: the server URL holds a user name or password (user:password@HOST), which \
             kcurl never sends; put credentials in the kubeconfig user (token, username and \
             password, client certificate)"
        )));
    }
    let with_scheme = crate::http::url::normalize_origin(&with_scheme)
        .map_err(|_| Error::Config(format!("{field}: \"{s}\" has an invalid host name")))?;
    let scheme = with_scheme
        .split("://")
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err(Error::Config(format!(
            "{field}: \"{s}\" is not an http(s) URL; use https://HOST:PORT"
        )));
    }
    let uri: ureq::http::Uri = with_scheme
        .parse()
        .map_err(|_| Error::Config(format!("{field}: \"{s}\" is not a valid URL")))?;
    if uri.host().is_none_or(str::is_empty) {
        return Err(Error::Config(format!("{field}: \"{s}\" has no host")));
    }
    if uri.query().is_some() {
        return Err(Error::Config(format!(
            "{field}: \"{s}\" must not have a query string"
        )));
    }
    Ok(with_scheme.trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls_are_normalized() {
        assert_eq!(
            normalize_server("https://h:6443/", "f").unwrap(),
            "https://h:6443"
        );
        assert_eq!(normalize_server("h:6443", "f").unwrap(), "https://h:6443");
        assert_eq!(
            normalize_server("https://h/k8s/clusters/c-1/", "f").unwrap(),
            "https://h/k8s/clusters/c-1"
        );
        assert!(
            normalize_server("ftp://h", "f")
                .unwrap_err()
                .to_string()
                .starts_with("f: ")
        );
        assert!(normalize_server("https://", "f").is_err());
    }
}
