//! In-cluster configuration: the pod's service account (client-go `rest.InClusterConfig`).
//!
//! Needs both `KUBERNETES_SERVICE_HOST` and `KUBERNETES_SERVICE_PORT`; the server is
//! `https://` + host:port (IPv6 bracketed). The CA is `ca.crt` and the token `token` in the
//! service-account directory; this module only names them: they become the `certificate-authority`
//! and `tokenFile` of a one-context kubeconfig, so `tls` and `auth` read each once per run (projected
//! tokens rotate) with the same errors as any kubeconfig. The namespace is `POD_NAMESPACE`, else the
//! `namespace` file (trimmed), else `default`.
//!
//! The directory and the environment are parameters so tests can fake both; this module sends
//! nothing and decides nothing about precedence (that is `config`'s job).

use std::path::{Path, PathBuf};

use crate::diag::display_path;
use crate::error::{Error, Result};

/// Where Kubernetes mounts the service account in every pod.
pub const DEFAULT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// The service-account configuration of a pod.
#[derive(Debug)]
pub struct InCluster {
    pub server: String,
    pub ca_path: PathBuf,
    pub token_path: PathBuf,
    pub namespace: String,
}

/// Why in-cluster configuration is not available, for the "nothing found" message.
pub fn unavailable_reason(getenv: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let host = getenv("KUBERNETES_SERVICE_HOST").filter(|v| !v.is_empty());
    let port = getenv("KUBERNETES_SERVICE_PORT").filter(|v| !v.is_empty());
    match (host, port) {
        (Some(_), Some(_)) => None,
        (None, _) => Some("KUBERNETES_SERVICE_HOST is not set".to_string()),
        (_, None) => Some("KUBERNETES_SERVICE_PORT is not set".to_string()),
    }
}

/// Load the in-cluster configuration from `dir` and the environment.
pub fn load(dir: &Path, getenv: &dyn Fn(&str) -> Option<String>) -> Result<InCluster> {
    if let Some(reason) = unavailable_reason(getenv) {
        return Err(Error::Config(format!(
            "in-cluster configuration: {reason} (kcurl is not running in a pod, or the variables were cleared)"
        )));
    }
    let host = getenv("KUBERNETES_SERVICE_HOST").unwrap_or_default();
    let port = getenv("KUBERNETES_SERVICE_PORT").unwrap_or_default();
    if port.parse::<u16>().is_err() {
        return Err(Error::Config(format!(
            "KUBERNETES_SERVICE_PORT: \"{port}\" is not a port number"
        )));
    }
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host
    };
    let ns_file = dir.join("namespace");
    let (namespace, origin) = match getenv("POD_NAMESPACE").filter(|n| !n.is_empty()) {
        Some(n) => (n, "POD_NAMESPACE".to_string()),
        None => match std::fs::read_to_string(&ns_file)
            .ok()
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
        {
            Some(n) => (n, display_path(&ns_file)),
            None => ("default".to_string(), String::new()),
        },
    };
    // Pasted into request paths: checked as kubectl checks a namespace.
    crate::kubeconfig::check_namespace(&namespace).map_err(|rule| {
        Error::Config(format!(
            "in-cluster configuration: {origin} \"{}\": invalid namespace: {rule}",
            crate::diag::sanitize(&namespace)
        ))
    })?;
    Ok(InCluster {
        server: format!("https://{host}:{port}"),
        ca_path: dir.join("ca.crt"),
        token_path: dir.join("token"),
        namespace,
    })
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

    fn sa_dir(namespace: Option<&str>) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("token"), "tok\n").unwrap();
        std::fs::write(d.path().join("ca.crt"), "CA").unwrap();
        if let Some(ns) = namespace {
            std::fs::write(d.path().join("namespace"), ns).unwrap();
        }
        d
    }

    #[test]
    fn reads_server_token_and_namespace() {
        let d = sa_dir(Some("team-a\n"));
        let ic = load(
            d.path(),
            &env(&[
                ("KUBERNETES_SERVICE_HOST", "10.96.0.1"),
                ("KUBERNETES_SERVICE_PORT", "443"),
            ]),
        )
        .unwrap();
        assert_eq!(ic.server, "https://10.96.0.1:443");
        assert_eq!(ic.token_path, d.path().join("token"));
        assert_eq!(ic.ca_path, d.path().join("ca.crt"));
        assert_eq!(ic.namespace, "team-a");
    }

    #[test]
    fn ipv6_is_bracketed_and_pod_namespace_wins() {
        let d = sa_dir(Some("from-file"));
        let ic = load(
            d.path(),
            &env(&[
                ("KUBERNETES_SERVICE_HOST", "fd00::1"),
                ("KUBERNETES_SERVICE_PORT", "6443"),
                ("POD_NAMESPACE", "from-env"),
            ]),
        )
        .unwrap();
        assert_eq!(ic.server, "https://[fd00::1]:6443");
        assert_eq!(ic.namespace, "from-env");
        let d = sa_dir(None);
        let ic = load(
            d.path(),
            &env(&[
                ("KUBERNETES_SERVICE_HOST", "h"),
                ("KUBERNETES_SERVICE_PORT", "1"),
            ]),
        )
        .unwrap();
        assert_eq!(ic.namespace, "default");
    }

    #[test]
    fn missing_pieces_are_named() {
        let d = sa_dir(None);
        let e = load(d.path(), &env(&[("KUBERNETES_SERVICE_HOST", "h")])).unwrap_err();
        assert!(
            e.to_string().contains("KUBERNETES_SERVICE_PORT is not set"),
            "{e}"
        );
    }
}
