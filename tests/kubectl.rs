//! Differential tests against kubectl, the reference implementation: for each kubeconfig
//! fixture, `kubectl --kubeconfig F get --raw PATH` and `kcurl --kubeconfig F PATH` go to the same
//! test server, which must receive the same credentials (Authorization, Impersonate-*, client
//! certificate, SNI). Skipped, with a printed notice, when kubectl is not installed.

use crate::support::*;

use std::path::PathBuf;
use std::process::Command;

/// `kubectl.1.32` beside the installed kubectl (the dispatcher on PATH adds a /version call
/// and may exec another minor), else plain `kubectl`, else None.
fn kubectl() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let found = std::env::split_paths(&path)
        .map(|d| d.join("kubectl"))
        .find(|p| p.is_file())?;
    let real = std::fs::canonicalize(&found).unwrap_or(found.clone());
    let versioned = real.parent().map(|d| d.join("kubectl.1.32"));
    Some(versioned.filter(|p| p.is_file()).unwrap_or(found))
}

/// What the server saw that identifies the caller.
fn identity(r: &Request) -> Vec<String> {
    let mut out: Vec<String> = r
        .headers
        .iter()
        .filter(|(n, _)| n == "authorization" || n.starts_with("impersonate-"))
        .map(|(n, v)| format!("{n}: {v}"))
        .collect();
    out.sort();
    out.push(format!(
        "client-cert: {:?}",
        r.client_cert_der.as_ref().map(|d| d.len())
    ));
    out.push(format!(
        "client-cert-der-hash: {}",
        r.client_cert_der
            .as_ref()
            .map(|d| d.iter().map(|b| *b as u64).sum::<u64>())
            .unwrap_or(0)
    ));
    out.push(format!("sni: {:?}", r.sni));
    out
}

/// Run kubectl and kcurl on the same kubeconfig; return what the server saw from each.
fn both(kubectl: &PathBuf, server: &Server, env: &Env, config: &str) -> (Vec<String>, Vec<String>) {
    let file = env.write("kubeconfig", config);
    let out = Command::new(kubectl)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env.home())
        .arg("--kubeconfig")
        .arg(&file)
        .args(["get", "--raw", "/api"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kubectl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let from_kubectl = server
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path() == "/api")
        .unwrap();
    let before = server.requests().len();
    kcurl(env)
        .arg("--kubeconfig")
        .arg(&file)
        .arg("/api")
        .assert()
        .code(0);
    let after = server.requests();
    assert_eq!(after.len(), before + 1);
    (identity(&from_kubectl), identity(after.last().unwrap()))
}

fn config(server: &str, cluster_extra: &str, user: &str) -> String {
    KubeconfigBuilder::new()
        .cluster("c", server)
        .cluster_yaml(cluster_extra)
        .user_yaml("u", user)
        .context("x", "c", "u")
        .current_context("x")
        .build()
}

#[test]
fn kcurl_sends_the_same_credentials_as_kubectl() {
    let Some(kubectl) = kubectl() else {
        eprintln!("NOTICE: kubectl not found on PATH; differential tests skipped");
        return;
    };
    let pki = Pki::new();
    let env = Env::new();
    let ca = format!("    certificate-authority: {}\n", pki.ca.cert.display());
    let ca_data = format!(
        "    certificate-authority-data: {}\n",
        b64(&pki.ca.cert_pem)
    );
    let token_file = env.write("token", "from-file\n");
    let plugin = env.write(
        "plugin.sh",
        "#!/bin/sh\nv=$(printf %s \"$KUBERNETES_EXEC_INFO\" | sed 's/.*\"apiVersion\":\"\\([^\"]*\\)\".*/\\1/')\nprintf '{\"kind\":\"ExecCredential\",\"apiVersion\":\"%s\",\"status\":{\"token\":\"exec-%s\"}}' \"$v\" \"$1\"\n",
    );
    std::fs::set_permissions(&plugin, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();

    let server = ServerBuilder::new(&pki).request_client_cert().start();
    let url = server.url();
    let mut fixtures: Vec<(&str, String)> = vec![
        ("token", config(&url, &ca, "    token: abc.def\n")),
        (
            "tokenFile",
            config(
                &url,
                &ca,
                &format!(
                    "    token: ignored\n    tokenFile: {}\n",
                    token_file.display()
                ),
            ),
        ),
        (
            "basic",
            config(
                &url,
                &ca_data,
                "    username: admin\n    password: 's3cr:et'\n",
            ),
        ),
        (
            "impersonation",
            config(
                &url,
                &ca,
                "    token: t\n    as: jane\n    as-uid: '42'\n    as-groups: [dev, ops]\n    as-user-extra:\n      scopes: [read]\n",
            ),
        ),
        (
            "exec v1",
            config(
                &url,
                &ca,
                &format!(
                    "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      args: [one]\n      interactiveMode: Never\n",
                    plugin.display()
                ),
            ),
        ),
        (
            "exec v1beta1",
            config(
                &url,
                &ca,
                &format!(
                    "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: {}\n      args: [two]\n",
                    plugin.display()
                ),
            ),
        ),
    ];
    for kind in [
        KeyKind::EcP256Pkcs8,
        KeyKind::EcP256Sec1,
        KeyKind::RsaPkcs1,
        KeyKind::RsaPkcs8,
    ] {
        let c = pki.client_cert("alice", Some("system:masters"), kind);
        fixtures.push((
            "client cert",
            config(
                &url,
                &ca,
                &format!(
                    "    client-certificate: {}\n    client-key: {}\n",
                    c.cert.display(),
                    c.key.display()
                ),
            ),
        ));
        fixtures.push((
            "client cert data",
            config(
                &url,
                &ca,
                &format!(
                    "    client-certificate-data: {}\n    client-key-data: {}\n",
                    b64(&c.cert_pem),
                    b64(&c.key_pem)
                ),
            ),
        ));
    }
    for (name, cfg) in &fixtures {
        let (k, c) = both(&kubectl, &server, &env, cfg);
        assert_eq!(
            k, c,
            "fixture {name}: kubectl (left) and kcurl (right) differ"
        );
        assert!(
            k.iter()
                .any(|l| l.starts_with("authorization") || l.starts_with("client-cert: Some")),
            "{name}: {k:?}"
        );
    }

    // tls-server-name: a certificate valid only for that name, reached by IP.
    let named = pki.server_cert(&["kube.internal"]);
    let server = ServerBuilder::new(&pki).cert(&named).start();
    let cfg = config(
        &server.url(),
        &format!("{ca}    tls-server-name: kube.internal\n"),
        "    token: t\n",
    );
    let (k, c) = both(&kubectl, &server, &env, &cfg);
    assert_eq!(k, c, "tls-server-name");
    assert!(
        k.contains(&"sni: Some(\"kube.internal\")".to_string()),
        "{k:?}"
    );
}
