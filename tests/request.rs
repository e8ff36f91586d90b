//! The request kcurl sends: URL building, method, body, headers, credentials withheld from
//! other hosts and plain http, redirects not followed, and transport failures (exit 6).

use crate::support::*;

/// A kubeconfig for `server` with a token user and the test CA.
fn token_config(env: &Env, pki: &Pki, server: &str, token: &str) -> std::path::PathBuf {
    KubeconfigBuilder::new()
        .cluster("test", server)
        .ca(&pki.ca.cert)
        .user_yaml("dev", &format!("    token: {token}\n"))
        .context("test", "test", "dev")
        .current_context("test")
        .write(env, ".kube/config")
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

#[test]
fn data_makes_a_json_post_and_method_and_headers_follow_the_flags() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki)
        .handler(|_| Reply::json(201, "{}"))
        .start();
    token_config(&env, &pki, &server.url(), "t");
    kcurl(&env)
        .args(["-d", r#"{"a":1}"#, "/api/v1/namespaces/default/pods"])
        .assert()
        .code(0);
    let req = server.only_request();
    assert_eq!(req.method, "POST");
    assert_eq!(req.body_str(), r#"{"a":1}"#);
    assert_eq!(req.header("content-type"), Some("application/json"));

    let file = env.write("pod.json", "{\"kind\":\"Pod\"}\n");
    kcurl(&env)
        .args([
            "-X",
            "PUT",
            "-H",
            "Content-Type: application/merge-patch+json",
            "-H",
            "X-Extra: 1",
        ])
        .arg("-d")
        .arg(format!("@{}", file.display()))
        .arg("/x")
        .assert()
        .code(0);
    let req = server.requests().pop().unwrap();
    assert_eq!(req.method, "PUT");
    assert_eq!(req.body, b"{\"kind\":\"Pod\"}\n");
    assert_eq!(
        req.header_all("content-type"),
        vec!["application/merge-patch+json"]
    );
    assert_eq!(req.header("x-extra"), Some("1"));

    kcurl(&env)
        .args(["-d", "@-", "-X", "PATCH", "/x"])
        .write_stdin("from stdin")
        .assert()
        .code(0);
    let req = server.requests().pop().unwrap();
    assert_eq!(
        (req.method.as_str(), req.body_str().as_str()),
        ("PATCH", "from stdin")
    );

    kcurl(&env).args(["-X", "PROPFIND", "/x"]).assert().code(0);
    assert_eq!(server.requests().pop().unwrap().method, "PROPFIND");
}

#[test]
fn user_headers_replace_or_remove_defaults_including_authorization() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    token_config(&env, &pki, &server.url(), "kubeconfig-token");
    kcurl(&env)
        .args([
            "-H",
            "Accept: application/yaml",
            "-H",
            "User-Agent:",
            "-H",
            "Authorization: Bearer mine",
        ])
        .arg("/api")
        .assert()
        .code(0);
    let req = server.only_request();
    assert_eq!(req.header_all("accept"), vec!["application/yaml"]);
    assert_eq!(req.header("user-agent"), None);
    assert_eq!(req.header_all("authorization"), vec!["Bearer mine"]);
}

#[test]
fn bad_input_is_refused_before_any_request() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    token_config(&env, &pki, &server.url(), "t");
    kcurl(&env)
        .args(["-d", "@missing.json", "/api"])
        .assert()
        .code(1)
        .stdout("")
        .stderr("kcurl: error: --data: cannot read missing.json: no such file\n");
    kcurl(&env)
        .args(["-H", "no colon here", "/api"])
        .assert()
        .code(2)
        .stderr("kcurl: error: -H \"no colon here\": expected 'Name: value' (or 'Name:' to remove a default header)\n");
    kcurl(&env)
        .args(["-X", "GET POST", "/api"])
        .assert()
        .code(2);
    kcurl(&env).args(["ftp://example/api"]).assert().code(2);
    kcurl(&env)
        .args(["--connect-timeout", "0", "/api"])
        .assert()
        .code(2);
    kcurl(&env).assert().code(2);
    assert!(server.requests().is_empty());
}

#[test]
fn unreachable_servers_exit_6_with_the_url() {
    let env = Env::new();
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    kcurl(&env)
        .args(["--server", &format!("https://127.0.0.1:{port}"), "/version"])
        .assert()
        .code(6)
        .stdout("")
        .stderr(format!(
            "kcurl: error: https://127.0.0.1:{port}/version: connection refused by 127.0.0.1:{port}; is the API server running there (right host and port)?\n"
        ));
}

#[test]
fn a_server_that_never_answers_is_bounded_by_timeout() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki)
        .handler(|_| Reply::NeverAnswer)
        .start();
    token_config(&env, &pki, &server.url(), "t");
    kcurl(&env)
        .args(["--timeout", "0.5", "/api"])
        .assert()
        .code(6)
        .stderr(format!(
            "kcurl: error: {}/api: no complete response within 0.5s (--timeout)\n",
            server.url()
        ));
}

#[test]
fn version_and_help_document_the_exit_codes() {
    let env = Env::new();
    kcurl(&env)
        .arg("--version")
        .assert()
        .code(0)
        .stdout(concat!("kcurl ", env!("CARGO_PKG_VERSION"), "\n"));
    let out = kcurl(&env).arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for code in 0..=7 {
        assert!(
            help.contains(&format!("\n  {code}  ")),
            "exit code {code} missing from --help"
        );
    }
}

#[test]
fn a_large_body_from_stdin_is_streamed_once() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki)
        .handler(|_| Reply::json(201, "{}"))
        .start();
    token_config(&env, &pki, &server.url(), "t");
    // Just over the 8 MiB kept in memory: sent with chunked encoding, byte for byte.
    let body: Vec<u8> = (0..(9u32 << 20)).map(|i| b'a' + (i % 26) as u8).collect();
    kcurl(&env)
        .args([
            "-X",
            "PUT",
            "-H",
            "Content-Type: application/octet-stream",
            "-d",
            "@-",
            "/x",
        ])
        .write_stdin(body.clone())
        .assert()
        .code(0);
    let req = server.only_request();
    assert_eq!(req.header("transfer-encoding"), Some("chunked"));
    assert_eq!(req.body.len(), body.len());
    assert!(req.body == body, "the streamed body differs");
}

#[test]
fn a_content_length_that_contradicts_the_body_is_a_usage_error() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    token_config(&env, &pki, &server.url(), "t");
    for (args, body) in [
        (
            &["-H", "Content-Length: 5", "/api"][..],
            "the body is 0 bytes",
        ),
        (
            &["-d", "{}", "-H", "Content-Length: 20", "/api"][..],
            "the body is 2 bytes",
        ),
        (
            &["-d", "{\"a\":1}", "-H", "Content-Length: 2", "/api"][..],
            "the body is 7 bytes",
        ),
    ] {
        let out = run(kcurl(&env).args(args).timeout(WAIT));
        assert_eq!(out.code, Some(2), "{args:?}: {out:?}");
        let n = args[args
            .iter()
            .position(|a| a.starts_with("Content-Length"))
            .unwrap()];
        assert_eq!(
            out.stderr,
            format!(
                "kcurl: error: -H \"{n}\": {body}; drop the header (kcurl sets Content-Length \
                 from the body)\n"
            )
        );
    }
    assert!(server.requests().is_empty());
    // A matching one is sent.
    let out = run(kcurl(&env).args(["-d", "{}", "-H", "Content-Length: 2", "/api"]));
    assert_eq!(
        out.code,
        Some(4),
        "the test server answers POST /api with 404: {out:?}"
    );
    assert_eq!(server.only_request().body_str(), "{}");
}

#[test]
fn a_huge_url_is_refused_with_a_short_message() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    token_config(&env, &pki, &server.url(), "t");
    let mut cmd = kcurl(&env);
    for i in 0..5000 {
        cmd.arg("-P").arg(format!("labelSelector{i}=app-{i:020}"));
    }
    let out = run(cmd.arg("/api/v1/pods"));
    assert_eq!(
        out.code,
        Some(2),
        "{}",
        &out.stderr[..out.stderr.len().min(300)]
    );
    assert!(
        out.stderr.len() < 500,
        "{} bytes on stderr",
        out.stderr.len()
    );
    assert!(
        out.stderr
            .starts_with("kcurl: error: \"/api/v1/pods?labelSelector0=app-")
            && out
                .stderr
                .contains("at most 65534 can be sent (use fewer -P parameters, or a selector)"),
        "{}",
        out.stderr
    );
    assert!(server.requests().is_empty());
}
