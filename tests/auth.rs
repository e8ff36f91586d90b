//! Credentials through the real binary: token, tokenFile, basic auth and their precedence,
//! `--token`/`--server` overrides, impersonation (kubeconfig and flags), the oidc auth provider
//! and the removed gcp/azure providers, in-cluster service accounts, what happens when nothing is
//! configured, and where credentials are withheld (plain http, another host). Exec plugins have
//! their own file (`exec.rs`), proxies theirs (`proxy.rs`).
//!
//! Every test also checks that no token or password reaches stdout or stderr.

use crate::support::*;

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A one-context kubeconfig: cluster `test` at `server` trusting the test CA, user `dev` whose
/// entry is the YAML flow mapping `user` (e.g. `{token: t}`).
fn kubeconfig(server: &str, pki: &Pki, user: &str) -> String {
    KubeconfigBuilder::single_context(server, &pki.ca.cert, user).build()
}

/// Writes [`kubeconfig`] to `~/.kube/config`.
fn write_config(env: &Env, server: &Server, pki: &Pki, user: &str) -> PathBuf {
    env.write(".kube/config", &kubeconfig(&server.url(), pki, user))
}

/// The `Authorization` headers of every request the server received, in order.
fn authorizations(server: &Server) -> Vec<Option<String>> {
    server
        .requests()
        .iter()
        .map(|r| r.header("authorization").map(str::to_owned))
        .collect()
}

/// An unsigned JWT (`alg: none`) whose payload has this `exp`.
fn jwt(exp: u64) -> String {
    let part = |json: &str| URL_SAFE_NO_PAD.encode(json);
    format!(
        "{}.{}.c2lnbmF0dXJl",
        part(r#"{"alg":"RS256","typ":"JWT"}"#),
        part(&format!(
            r#"{{"iss":"https://issuer.test","sub":"jane","aud":"kubernetes","exp":{exp}}}"#
        ))
    )
}

/// A service-account directory like the one Kubernetes mounts: token, ca.crt (the test CA),
/// namespace.
fn service_account_dir(env: &Env, pki: &Pki, token: &str) -> PathBuf {
    env.write("sa/token", &format!("{token}\n"));
    env.write("sa/namespace", "team-a\n");
    env.write("sa/ca.crt", &pki.ca.cert_pem);
    env.home().join("sa")
}

/// kcurl with the in-cluster environment pointing at `host:port` and `--service-account-dir`.
fn in_cluster_kcurl(env: &Env, host: &str, port: u16, dir: &Path) -> assert_cmd::Command {
    let mut cmd = kcurl(env);
    cmd.env("KUBERNETES_SERVICE_HOST", host)
        .env("KUBERNETES_SERVICE_PORT", port.to_string())
        .arg("--service-account-dir")
        .arg(dir);
    cmd
}

#[test]
fn token_is_sent_as_a_bearer_token() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    write_config(&env, &server, &pki, "{token: tok-static-4f2a}");
    let out = run(kcurl(&env).arg("/version"));
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
    assert_eq!(
        server.only_request().header("authorization"),
        Some("Bearer tok-static-4f2a")
    );
    assert_no_secret(&out, &["tok-static-4f2a"]);
}

#[test]
fn token_file_wins_over_token_and_is_read_on_every_run() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let file = env.write("tokens/dev", "tok-file-one\n");
    write_config(
        &env,
        &server,
        &pki,
        &format!("{{token: tok-inline-x, tokenFile: {}}}", file.display()),
    );
    let first = run(kcurl(&env).arg("/version"));
    std::fs::write(&file, "  tok-file-two  \n").unwrap();
    let second = run(kcurl(&env).arg("/version"));
    for out in [&first, &second] {
        assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
        assert_no_secret(out, &["tok-file-one", "tok-file-two", "tok-inline-x"]);
    }
    assert_eq!(
        authorizations(&server),
        [
            Some("Bearer tok-file-one".to_owned()),
            Some("Bearer tok-file-two".to_owned())
        ]
    );
}

#[test]
fn relative_token_file_is_resolved_against_the_kubeconfig_folder() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    env.write("conf/tokens/dev", "tok-relative\n");
    let config = env.write(
        "conf/config",
        &kubeconfig(&server.url(), &pki, "{tokenFile: tokens/dev}"),
    );
    let out = run(kcurl(&env).arg("--kubeconfig").arg(&config).arg("/version"));
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
    assert_eq!(
        server.only_request().header("authorization"),
        Some("Bearer tok-relative")
    );
    assert_no_secret(&out, &["tok-relative"]);
}

#[test]
fn missing_token_file_is_an_error_naming_the_field() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    write_config(
        &env,
        &server,
        &pki,
        "{token: tok-not-a-fallback, tokenFile: gone/token}",
    );
    let out = run(kcurl(&env).arg("/version"));
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "kcurl: error: ~/.kube/config: users[\"dev\"].tokenFile: cannot read ~/.kube/gone/token: no such file\n"
    );
    assert!(server.requests().is_empty(), "no request without the token");
    assert_no_secret(&out, &["tok-not-a-fallback"]);
}

#[test]
fn basic_auth_sends_the_exact_authorization_header() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    write_config(
        &env,
        &server,
        &pki,
        "{username: admin, password: 's3cr3t-pw'}",
    );
    let out = run(kcurl(&env).arg("/version"));
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
    // base64("admin:s3cr3t-pw")
    assert_eq!(
        server.only_request().header("authorization"),
        Some("Basic YWRtaW46czNjcjN0LXB3")
    );
    assert_no_secret(&out, &["s3cr3t-pw", "admin:s3cr3t-pw"]);
}

#[test]
fn token_and_basic_auth_together_are_refused() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    write_config(
        &env,
        &server,
        &pki,
        "{token: tok-both-1, username: admin, password: pw-both-2}",
    );
    let out = run(kcurl(&env).arg("/version"));
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "kcurl: error: ~/.kube/config: users[\"dev\"]: more than one authentication method: \
         token and username/password are both set; keep only one\n"
    );
    assert_eq!(out.stdout, "");
    assert!(server.requests().is_empty());
    assert_no_secret(&out, &["tok-both-1", "pw-both-2", "admin:pw-both-2"]);
}

#[test]
fn token_flag_replaces_the_kubeconfig_credentials() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let file = env.write("tokens/dev", "tok-from-file\n");
    for user in [
        "{token: tok-kubeconfig}".to_owned(),
        format!("{{tokenFile: {}}}", file.display()),
        "{username: admin, password: pw-kubeconfig}".to_owned(),
    ] {
        write_config(&env, &server, &pki, &user);
        let out = run(kcurl(&env).args(["--token", "tok-cli-9", "/version"]));
        assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
        assert_eq!(
            server.requests().last().unwrap().header("authorization"),
            Some("Bearer tok-cli-9"),
            "{user}"
        );
        assert_no_secret(
            &out,
            &[
                "tok-cli-9",
                "tok-kubeconfig",
                "tok-from-file",
                "pw-kubeconfig",
            ],
        );
    }
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn server_and_token_flags_work_without_any_kubeconfig() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let out = run(kcurl(&env)
        .args(["--server", &server.url(), "--token", "tok-no-config"])
        .arg("--certificate-authority")
        .arg(&pki.ca.cert)
        .arg("/version"));
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.stderr, "");
    assert_eq!(out.stdout.lines().next(), Some("{"));
    assert_eq!(
        server.only_request().header("authorization"),
        Some("Bearer tok-no-config")
    );
    assert_no_secret(&out, &["tok-no-config"]);
}

/// The `impersonate-*` headers of a request, names lower-cased, in the order sent.
fn impersonation(req: &Request) -> Vec<(String, String)> {
    req.headers
        .iter()
        .filter(|(n, _)| n.starts_with("impersonate-"))
        .cloned()
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn impersonation_from_the_kubeconfig_sends_every_header() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    write_config(
        &env,
        &server,
        &pki,
        "{token: tok-imp, as: jane, as-uid: '1042', as-groups: [dev, 'system:ops'], \
         as-user-extra: {'scopes.example.com/a b%': [read, write], reason: [audit]}}",
    );
    let out = run(kcurl(&env).arg("/version"));
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
    let req = server.only_request();
    assert_eq!(req.header("authorization"), Some("Bearer tok-imp"));
    // client-go headerKeyEscape: bytes outside the header token set, and '%', are %XX-encoded.
    assert_eq!(
        impersonation(&req),
        pairs(&[
            ("impersonate-user", "jane"),
            ("impersonate-uid", "1042"),
            ("impersonate-group", "dev"),
            ("impersonate-group", "system:ops"),
            ("impersonate-extra-reason", "audit"),
            ("impersonate-extra-scopes.example.com%2fa%20b%25", "read"),
            ("impersonate-extra-scopes.example.com%2fa%20b%25", "write"),
        ])
    );
    assert_no_secret(&out, &["tok-imp"]);
}

#[test]
fn impersonation_flags_replace_the_kubeconfig_fields() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    write_config(
        &env,
        &server,
        &pki,
        "{token: tok-imp2, as: jane, as-uid: '1', as-groups: [kube-group], \
         as-user-extra: {reason: [audit]}}",
    );
    let out = run(kcurl(&env).args([
        "--as",
        "bob",
        "--as-group",
        "g1",
        "--as-group",
        "g2",
        "--as-uid",
        "7",
        "/version",
    ]));
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
    // As client-go merges override flags: each flag replaces its field; the extras stay.
    assert_eq!(
        impersonation(&server.only_request()),
        pairs(&[
            ("impersonate-user", "bob"),
            ("impersonate-uid", "7"),
            ("impersonate-group", "g1"),
            ("impersonate-group", "g2"),
            ("impersonate-extra-reason", "audit"),
        ])
    );

    // The flags alone, on a user that impersonates nobody.
    write_config(&env, &server, &pki, "{token: tok-imp2}");
    let out = run(kcurl(&env).args(["--as", "ann", "--as-group", "solo", "/version"]));
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        impersonation(server.requests().last().unwrap()),
        pairs(&[("impersonate-user", "ann"), ("impersonate-group", "solo")])
    );
    assert_no_secret(&out, &["tok-imp2"]);
}

#[test]
fn impersonating_groups_or_uid_without_a_user_is_refused() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    write_config(&env, &server, &pki, "{token: tok-nouser}");
    for flags in [["--as-group", "g1"], ["--as-uid", "7"]] {
        let out = run(kcurl(&env).args(flags).arg("/version"));
        assert_eq!(out.code, Some(1), "{out:?}");
        assert_eq!(
            out.stderr,
            "kcurl: error: --as-group and --as-uid need a user to impersonate: add --as USER\n"
        );
        assert_no_secret(&out, &["tok-nouser"]);
    }
    write_config(&env, &server, &pki, "{token: tok-nouser, as-groups: [g]}");
    let out = run(kcurl(&env).arg("/version"));
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "kcurl: error: ~/.kube/config: users[\"dev\"]: as-uid, as-groups or as-user-extra is set \
         without as (the user to impersonate)\n"
    );
    assert!(server.requests().is_empty());
}

#[test]
fn oidc_id_token_is_sent_as_a_bearer_token() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let token = jwt(4_102_444_800); // 2100-01-01
    write_config(
        &env,
        &server,
        &pki,
        &format!(
            "{{auth-provider: {{name: oidc, config: {{client-id: kube, client-secret: cs-oidc-1, \
             id-token: '{token}', idp-issuer-url: 'https://issuer.test', \
             refresh-token: rt-oidc-2}}}}}}"
        ),
    );
    let out = run(kcurl(&env).arg("/version"));
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
    assert_eq!(
        server.only_request().header("authorization"),
        Some(format!("Bearer {token}").as_str())
    );
    assert_no_secret(&out, &[&token, "cs-oidc-1", "rt-oidc-2"]);
}

#[test]
fn expired_oidc_id_token_names_kubelogin_and_sends_nothing() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let token = jwt(1_600_000_000); // 2020
    write_config(
        &env,
        &server,
        &pki,
        &format!(
            "{{auth-provider: {{name: oidc, config: {{client-id: kube, client-secret: cs-oidc-3, \
             id-token: '{token}', refresh-token: rt-oidc-4}}}}}}"
        ),
    );
    let out = run(kcurl(&env).arg("/version"));
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "kcurl: error: ~/.kube/config: users[\"dev\"].auth-provider: the oidc id-token has \
         expired and kcurl does not refresh tokens; switch this user to kubelogin's exec plugin \
         (kubectl oidc-login get-token)\n"
    );
    assert_eq!(out.stdout, "");
    assert!(server.requests().is_empty(), "no unauthenticated request");
    assert_no_secret(&out, &[&token, "cs-oidc-3", "rt-oidc-4"]);
}

#[test]
fn removed_gcp_and_azure_providers_name_their_exec_plugins() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let cases = [
        (
            "{auth-provider: {name: gcp, config: {access-token: ya29.gcp-secret, \
             cmd-path: /usr/bin/gcloud}}}",
            "the gcp auth provider was removed from Kubernetes; install gke-gcloud-auth-plugin \
             and run `gcloud container clusters get-credentials` again",
            "ya29.gcp-secret",
        ),
        (
            "{auth-provider: {name: azure, config: {access-token: az-secret-tok, \
             apiserver-id: x, client-id: y, tenant-id: z}}}",
            "the azure auth provider was removed from Kubernetes; install kubelogin and run \
             `kubelogin convert-kubeconfig`",
            "az-secret-tok",
        ),
    ];
    for (user, message, secret) in cases {
        write_config(&env, &server, &pki, user);
        let out = run(kcurl(&env).arg("/version"));
        assert_eq!(out.code, Some(1), "{out:?}");
        assert_eq!(
            out.stderr,
            format!("kcurl: error: ~/.kube/config: users[\"dev\"].auth-provider: {message}\n")
        );
        assert_no_secret(&out, &[secret]);
    }
    assert!(server.requests().is_empty());
}

#[test]
fn a_401_with_a_static_token_is_not_retried() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki)
        .handler(|_| status_reply(401, "Unauthorized", "Unauthorized"))
        .start();
    write_config(&env, &server, &pki, "{token: tok-revoked}");
    let out = run(kcurl(&env).arg("/version"));
    assert_eq!(out.code, Some(4), "{out:?}");
    assert_eq!(
        out.stderr,
        "kcurl: 401 Unauthorized: Unauthorized: the server rejected the kubeconfig user's token: \
         it is wrong or has expired (kcurl -v names the user and file)\n"
    );
    assert_eq!(server.requests().len(), 1);
    assert_no_secret(&out, &["tok-revoked"]);
}

#[test]
fn in_cluster_service_account_is_used_when_there_is_no_kubeconfig() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let dir = service_account_dir(&env, &pki, "sa-tok-abc");
    let out = run(in_cluster_kcurl(&env, "127.0.0.1", server.port(), &dir).arg("/version"));
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
    assert_eq!(out.stdout.lines().next(), Some("{"));
    assert_eq!(
        server.only_request().header("authorization"),
        Some("Bearer sa-tok-abc")
    );
    assert_no_secret(&out, &["sa-tok-abc"]);
}

#[test]
fn in_cluster_token_is_reread_when_it_rotates() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let dir = service_account_dir(&env, &pki, "sa-tok-old");
    let first = run(in_cluster_kcurl(&env, "127.0.0.1", server.port(), &dir).arg("/version"));
    std::fs::write(dir.join("token"), "sa-tok-rotated").unwrap();
    let second = run(in_cluster_kcurl(&env, "127.0.0.1", server.port(), &dir).arg("/version"));
    for out in [&first, &second] {
        assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
        assert_no_secret(out, &["sa-tok-old", "sa-tok-rotated"]);
    }
    assert_eq!(
        authorizations(&server),
        [
            Some("Bearer sa-tok-old".to_owned()),
            Some("Bearer sa-tok-rotated".to_owned())
        ]
    );
}

#[test]
fn in_cluster_missing_token_or_ca_names_the_file_and_sends_nothing() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let dir = service_account_dir(&env, &pki, "sa-tok-gone");
    std::fs::remove_file(dir.join("token")).unwrap();
    let out = run(in_cluster_kcurl(&env, "127.0.0.1", server.port(), &dir).arg("/version"));
    let token = dir.join("token");
    assert_eq!(out.code, Some(1), "{out:?}");
    // The service-account directory is the "kubeconfig" the entry came from.
    assert_eq!(
        out.stderr,
        "kcurl: error: ~/sa: users[\"in-cluster\"].tokenFile: cannot read ~/sa/token: no such file\n"
    );
    std::fs::write(&token, "sa-tok-back").unwrap();
    std::fs::remove_file(dir.join("ca.crt")).unwrap();
    let out = run(in_cluster_kcurl(&env, "127.0.0.1", server.port(), &dir).arg("/version"));
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "kcurl: error: ~/sa: clusters[\"in-cluster\"].certificate-authority: cannot read ~/sa/ca.crt: no such file\n"
    );
    assert!(server.requests().is_empty());
}

#[test]
fn a_kubeconfig_wins_over_in_cluster_unless_in_cluster_is_forced() {
    let (pki, env) = (Pki::new(), Env::new());
    let from_kubeconfig = ServerBuilder::new(&pki).start();
    let in_cluster = ServerBuilder::new(&pki).start();
    write_config(&env, &from_kubeconfig, &pki, "{token: tok-kc}");
    let dir = service_account_dir(&env, &pki, "sa-tok-forced");

    let out = run(in_cluster_kcurl(&env, "127.0.0.1", in_cluster.port(), &dir).arg("/version"));
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
    assert_eq!(
        authorizations(&from_kubeconfig),
        [Some("Bearer tok-kc".to_owned())]
    );
    assert!(in_cluster.requests().is_empty());

    let out = run(in_cluster_kcurl(&env, "127.0.0.1", in_cluster.port(), &dir)
        .arg("--in-cluster")
        .arg("/version"));
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
    assert_eq!(
        authorizations(&in_cluster),
        [Some("Bearer sa-tok-forced".to_owned())]
    );
    assert_eq!(from_kubeconfig.requests().len(), 1);
    assert_no_secret(&out, &["sa-tok-forced", "tok-kc"]);
}

#[test]
fn in_cluster_ipv6_host_is_bracketed() {
    let (pki, env) = (Pki::new(), Env::new());
    let dir = service_account_dir(&env, &pki, "sa-tok-v6");
    // The test server listens on 127.0.0.1 only: nothing listens on [::1] at this port, so the
    // URL in the connection error shows how the server address was built.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out =
        run(in_cluster_kcurl(&env, "::1", port, &dir).args(["--connect-timeout", "5", "/version"]));
    assert_eq!(out.code, Some(6), "{out:?}");
    let prefix = format!("kcurl: error: https://[::1]:{port}/version: ");
    assert!(out.stderr.starts_with(&prefix), "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
    assert_no_secret(&out, &["sa-tok-v6"]);
}

#[test]
fn nothing_configured_is_one_line_saying_what_was_tried() {
    let env = Env::new();
    let out = run(kcurl(&env).arg("/version"));
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "kcurl: error: no configuration found: no kubeconfig (~/.kube/config), and not in a pod \
         (KUBERNETES_SERVICE_HOST is not set); use --kubeconfig FILE, set KUBECONFIG, or give \
         --server URL\n"
    );

    let a = env.home().join("a.yaml");
    let b = env.home().join("b.yaml");
    let list = std::env::join_paths([&a, &b]).unwrap();
    let out = run(kcurl(&env)
        .env("KUBECONFIG", &list)
        .env("KUBERNETES_SERVICE_HOST", "10.96.0.1")
        .arg("/version"));
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "kcurl: error: no configuration found: no kubeconfig (~/a.yaml, ~/b.yaml), and not in a \
         pod (KUBERNETES_SERVICE_PORT is not set); use --kubeconfig FILE, set KUBECONFIG, or give \
         --server URL\n"
    );
}

#[test]
fn credentials_and_impersonation_are_withheld_over_plain_http() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).plain_http().start();
    for user in [
        "{token: tok-http-1, as: jane, as-groups: [dev]}",
        "{username: admin, password: pw-http-2, as: jane, as-groups: [dev]}",
    ] {
        write_config(&env, &server, &pki, user);
        let out = run(kcurl(&env).arg("/version"));
        assert_eq!(out.code, Some(0), "{out:?}");
        assert_eq!(
            out.stderr,
            format!(
                "kcurl: warning: not sending credentials over plain http to {} (they would travel \
                 unencrypted; kubectl withholds them too)\n",
                server.url()
            )
        );
        let req = server.requests().pop().unwrap();
        assert_eq!(req.header("authorization"), None, "{user}");
        // Impersonation is an authority claim too: the cluster over https only.
        assert_eq!(impersonation(&req), pairs(&[]));
        assert_no_secret(&out, &["tok-http-1", "pw-http-2", "admin:pw-http-2"]);
    }

    // --server http://… --token T with no kubeconfig: the same.
    std::fs::remove_file(env.home().join(".kube/config")).unwrap();
    let out = run(kcurl(&env).args([
        "--server",
        &server.url(),
        "--token",
        "tok-http-3",
        "/version",
    ]));
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stderr
            .starts_with("kcurl: warning: not sending credentials over plain http"),
        "{out:?}"
    );
    assert_eq!(
        server.requests().pop().unwrap().header("authorization"),
        None
    );
    assert_no_secret(&out, &["tok-http-3"]);
}

#[test]
fn credentials_are_withheld_from_a_url_on_another_port() {
    let (pki, env) = (Pki::new(), Env::new());
    let cluster = ServerBuilder::new(&pki).request_client_cert().start();
    let other = ServerBuilder::new(&pki).request_client_cert().start();
    let client = pki.client_cert("dev", None, KeyKind::EcP256Pkcs8);
    write_config(
        &env,
        &cluster,
        &pki,
        &format!(
            "{{token: tok-origin, client-certificate: {}, client-key: {}}}",
            client.cert.display(),
            client.key.display()
        ),
    );
    // Another host gets neither the cluster's CA nor its credentials: kcurl checks it against
    // the system trust store, hence -k for this test server.
    let target = format!("{}/version", other.url());
    let out = run(kcurl(&env).args(["-k", &target]));
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "kcurl: warning: TLS certificate verification is disabled (--insecure): the server's \
             identity is not verified and credentials may be exposed to an impostor\n\
             kcurl: warning: {target} is not the cluster's server ({}): sending the request \
             without credentials\n",
            cluster.url()
        )
    );
    let req = other.only_request();
    assert_eq!(req.header("authorization"), None);
    assert_eq!(req.client_cert_der, None, "no client certificate either");
    assert!(cluster.requests().is_empty());

    // A full URL on the cluster's own scheme, host and port does get the credentials.
    let out = run(kcurl(&env).arg(format!("{}/version", cluster.url())));
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
    let req = cluster.only_request();
    assert_eq!(req.header("authorization"), Some("Bearer tok-origin"));
    assert_eq!(
        req.client_cert_der.as_deref(),
        Some(client.cert_der.as_slice())
    );
    assert_no_secret(&out, &["tok-origin"]);
}

#[test]
fn a_context_naming_a_missing_user_is_an_error_and_sends_nothing() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let config = kubeconfig(&server.url(), &pki, "{token: tok-other-user}")
        .replace("{cluster: test, user: dev}", "{cluster: test, user: ghost}");
    env.write(".kube/config", &config);
    let out = run(kcurl(&env).arg("/version"));
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "kcurl: error: ~/.kube/config: contexts[\"test\"].user: user \"ghost\" not found in \
         ~/.kube/config; available users: dev (kcurl never falls back to sending no credentials)\n"
    );
    assert!(server.requests().is_empty());
    assert_no_secret(&out, &["tok-other-user"]);
}

#[test]
fn a_401_names_the_rejected_credential_by_its_source_never_its_value() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env, |_| {
        status_reply(401, "Unauthorized", "Unauthorized")
    });
    let head = "kcurl: 401 Unauthorized: Unauthorized: ";
    let cases: [(&[&str], &str); 3] = [
        (
            &["--token", "wr0ng-T0KEN"],
            "the server rejected the token from --token: it is wrong or has expired (kubectl \
             create token SERVICEACCOUNT makes a new one)",
        ),
        (
            &[],
            "the server rejected the kubeconfig user's token: it is wrong or has expired (kcurl \
             -v names the user and file)",
        ),
        (
            &["-H", "Authorization: Bearer h3ader-T0KEN"],
            "the server rejected the Authorization header given with -H",
        ),
    ];
    for (flags, hint) in cases {
        let out = run(kcurl(&env).args(flags).args(["-f", "/api"]));
        assert_eq!(out.code, Some(4));
        assert_eq!(out.stdout, "");
        assert_eq!(out.stderr, format!("{head}{hint}\n"), "{flags:?}");
        assert_no_secret(&out, &["wr0ng-T0KEN", "h3ader-T0KEN"]);
    }
    // No kubeconfig, no token: nothing was sent, and that is what to fix.
    let bare = Env::new();
    let out = run(kcurl(&bare).args([
        "-f",
        "--server",
        &server.url(),
        "--certificate-authority",
        pki.ca.cert.to_str().unwrap(),
        "/api",
    ]));
    assert_eq!(
        out.stderr,
        format!(
            "{head}no credentials were sent: the kubeconfig user has none; give --token or use \
             another --context\n"
        )
    );
}
