//! The request kcurl sends: URL building, method, body, headers, credentials withheld from
//! other hosts and plain http, redirects not followed, and transport failures (exit 6).

mod support;
use support::*;

/// A kubeconfig for `server` with a token user and the test CA.
fn token_config(env: &Env, pki: &Pki, server: &str, token: &str) -> std::path::PathBuf {
    env.write(
        ".kube/config",
        &format!(
            "apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: {server}
    certificate-authority: {ca}
users:
- name: dev
  user:
    token: {token}
contexts:
- name: test
  context: {{cluster: test, user: dev}}
current-context: test
",
            ca = pki.ca.cert.display()
        ),
    )
}

#[test]
fn get_with_the_current_context_sends_the_token_and_pretty_prints() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki)
        .handler(|_| Reply::json(200, r#"{"kind":"APIVersions","versions":["v1"],"n":1e3}"#))
        .start();
    token_config(&env, &pki, &server.url(), "tok-123");
    kcurl(&env)
        .arg("/api")
        .assert()
        .code(0)
        .stdout("{\n  \"kind\": \"APIVersions\",\n  \"versions\": [\n    \"v1\"\n  ],\n  \"n\": 1e3\n}\n")
        .stderr("");
    let req = server.only_request();
    assert_eq!(req.method, "GET");
    assert_eq!(req.target, "/api");
    assert_eq!(req.header("authorization"), Some("Bearer tok-123"));
    assert_eq!(req.header("accept"), Some("application/json, */*"));
    assert_eq!(
        req.header("user-agent"),
        Some(concat!("kcurl/", env!("CARGO_PKG_VERSION")))
    );
}
