//! `-v` through the real binary: the kubeconfig, context, cluster and user used, the request
//! line and headers, the response status line and headers, and the timings, all on stderr;
//! every kind of credential redacted (token, basic auth, client certificate, exec plugin token,
//! `--token`, a user's own `-H Authorization`), the secret never on stdout or stderr in any
//! form; stdout unchanged by `-v`.

use crate::support::*;

use std::os::unix::fs::PermissionsExt;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Writes `~/.kube/config` for `server` with user `dev` given as the flow mapping `user`.
fn config(env: &Env, pki: &Pki, server: &Server, user: &str) {
    KubeconfigBuilder::new()
        .cluster("lab", &server.url())
        .ca(&pki.ca.cert)
        .user("dev", user)
        .context("work", "lab", "dev")
        .current_context("work")
        .write(env, ".kube/config");
}

/// A server answering `{"kind":"APIVersions"}` with an extra response header.
fn server(pki: &Pki) -> Server {
    ServerBuilder::new(pki)
        .request_client_cert()
        .handler(|_| Reply::json(200, r#"{"kind":"APIVersions"}"#).header("Audit-Id", "a-1"))
        .start()
}

/// Runs `kcurl -v <args> /api` and checks what is the same for every kind of credential: exit 0,
/// stdout exactly the body, and stderr exactly `expected` once the timings line (checked for
/// its shape) is replaced by `* timings: …` and the server's port by `PORT`.
fn verbose(env: &Env, server: &Server, args: &[&str], expected: &str) -> String {
    let out = kcurl(env)
        .arg("-v")
        .args(args)
        .arg("/api")
        .assert()
        .code(0)
        .stdout("{\n  \"kind\": \"APIVersions\"\n}\n")
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let normalised = normalise(&stderr, server);
    assert_eq!(normalised, expected, "raw stderr:\n{stderr}");
    stderr
}

/// `stderr` with the timings line (checked for its shape) replaced by `* timings: …` and the
/// server's port by `PORT`.
fn normalise(stderr: &str, server: &Server) -> String {
    stderr
        .lines()
        .map(|line| match line.strip_prefix("* timings: ") {
            Some(timings) => {
                check_timings(timings);
                "* timings: …\n".to_string()
            }
            None => format!("{}\n", line.replace(&server.port().to_string(), "PORT")),
        })
        .collect()
}

/// `connect 1.2 ms, tls 3.4 ms, first byte 5.6 ms, total 7.8 ms`, each a non-decreasing time.
fn check_timings(timings: &str) {
    let parts: Vec<&str> = timings.split(", ").collect();
    let names: Vec<&str> = parts
        .iter()
        .map(|p| p.rsplitn(3, ' ').nth(2).unwrap_or(""))
        .collect();
    assert_eq!(
        names,
        ["connect", "tls", "first byte", "total"],
        "{timings}"
    );
    let mut previous = 0.0;
    for part in parts {
        let mut words = part.rsplitn(3, ' ');
        assert_eq!(words.next(), Some("ms"), "{timings}");
        let ms: f64 = words.next().unwrap().parse().expect("a number of ms");
        assert!(ms >= previous, "{timings}");
        previous = ms;
    }
}

/// The request and response lines of `-v` for `GET /api` with this authorization line.
fn exchange_lines(authorization: Option<&str>) -> String {
    let auth = authorization.map_or(String::new(), |a| format!("> authorization: {a}\n"));
    format!(
        "> GET /api HTTP/1.1
> host: 127.0.0.1:PORT
> accept: application/json, */*
> user-agent: kcurl/{VERSION}
{auth}> accept-encoding: gzip
< HTTP/1.1 200 OK
< content-type: application/json
< audit-id: a-1
< content-length: 22
* timings: …
"
    )
}

/// Asserts that none of `secrets` appears in `text`.
fn assert_hidden(text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!text.contains(secret), "{secret:?} leaked in:\n{text}");
    }
}

#[test]
fn a_kubeconfig_token_is_redacted() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = server(&pki);
    let token = "tok-kubeconfig-1a2b3c";
    config(&env, &pki, &server, &format!("{{token: {token}}}"));
    let stderr = verbose(
        &env,
        &server,
        &[],
        &format!(
            "* kubeconfig: ~/.kube/config; context: work; cluster: lab; user: dev (token)\n{}",
            exchange_lines(Some("Bearer <redacted>"))
        ),
    );
    assert_hidden(&stderr, &[token, &b64(token)]);
    assert_eq!(
        server.only_request().header("authorization"),
        Some(format!("Bearer {token}").as_str())
    );
}

#[test]
fn basic_auth_is_redacted() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = server(&pki);
    config(
        &env,
        &pki,
        &server,
        "{username: admin, password: pw-s3cret-basic}",
    );
    let stderr = verbose(
        &env,
        &server,
        &[],
        &format!(
            "* kubeconfig: ~/.kube/config; context: work; cluster: lab; user: dev (basic auth)\n{}",
            exchange_lines(Some("Basic <redacted>"))
        ),
    );
    let encoded = b64("admin:pw-s3cret-basic");
    assert_hidden(&stderr, &["pw-s3cret-basic", &encoded]);
    assert_eq!(
        server.only_request().header("authorization"),
        Some(format!("Basic {encoded}").as_str())
    );
}

#[test]
fn a_client_certificate_is_named_and_its_key_never_shown() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = server(&pki);
    let client = pki.client_cert("dev", None, KeyKind::EcP256Pkcs8);
    config(
        &env,
        &pki,
        &server,
        &format!(
            "{{client-certificate-data: {}, client-key-data: {}}}",
            b64(&client.cert_pem),
            b64(&client.key_pem)
        ),
    );
    let stderr = verbose(
        &env,
        &server,
        &[],
        &format!(
            "* kubeconfig: ~/.kube/config; context: work; cluster: lab; user: dev (client \
             certificate)\n{}",
            exchange_lines(None)
        ),
    );
    let key_body = client
        .key_pem
        .lines()
        .find(|l| !l.starts_with("-----"))
        .unwrap();
    assert_hidden(&stderr, &[key_body, &b64(&client.key_pem)[..40]]);
    let req = server.only_request();
    assert_eq!(req.client_cert_der.as_deref(), Some(&client.cert_der[..]));
    assert_eq!(req.header("authorization"), None);
}

#[test]
fn an_exec_plugin_token_is_redacted() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = server(&pki);
    let plugin = env.write(
        "bin/get-token",
        "#!/bin/sh\ncat <<'EOF'\n{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1\",\"status\":{\"token\":\"exec-tok-9z8y7x\"}}\nEOF\n",
    );
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
    config(
        &env,
        &pki,
        &server,
        &format!(
            "{{exec: {{apiVersion: client.authentication.k8s.io/v1, command: '{}', \
             interactiveMode: Never}}}}",
            plugin.display()
        ),
    );
    let stderr = verbose(
        &env,
        &server,
        &[],
        &format!(
            "* kubeconfig: ~/.kube/config; context: work; cluster: lab; user: dev (exec \
             plugin {})\n{}",
            plugin.display(),
            exchange_lines(Some("Bearer <redacted>"))
        ),
    );
    assert_hidden(&stderr, &["exec-tok-9z8y7x", &b64("exec-tok-9z8y7x")]);
    assert_eq!(
        server.only_request().header("authorization"),
        Some("Bearer exec-tok-9z8y7x")
    );
}

#[test]
fn a_token_flag_is_redacted() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = server(&pki);
    config(&env, &pki, &server, "{token: from-kubeconfig}");
    let stderr = verbose(
        &env,
        &server,
        &["--token", "tok-flag-5e6f"],
        &format!(
            "* kubeconfig: ~/.kube/config; context: work; cluster: lab; user: dev (token from \
             --token)\n{}",
            exchange_lines(Some("Bearer <redacted>"))
        ),
    );
    assert_hidden(&stderr, &["tok-flag-5e6f", "from-kubeconfig"]);
    assert_eq!(
        server.only_request().header("authorization"),
        Some("Bearer tok-flag-5e6f")
    );
}

#[test]
fn a_users_own_authorization_header_is_redacted() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = server(&pki);
    config(&env, &pki, &server, "{token: from-kubeconfig}");
    let stderr = verbose(
        &env,
        &server,
        &["-H", "Authorization: Bearer x-user-typed-77"],
        &format!(
            "* kubeconfig: ~/.kube/config; context: work; cluster: lab; user: dev (Authorization from -H)\n{}",
            exchange_lines(Some("Bearer <redacted>"))
        ),
    );
    assert_hidden(&stderr, &["x-user-typed-77", "from-kubeconfig"]);
    assert_eq!(
        server.only_request().header_all("authorization"),
        vec!["Bearer x-user-typed-77"]
    );
}

#[test]
fn verbose_shows_the_request_body_size_and_error_responses() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki)
        .handler(|_| status_reply(404, "NotFound", "pods \"x\" not found"))
        .start();
    config(&env, &pki, &server, "{token: t0k}");
    let out = kcurl(&env)
        .args([
            "-v",
            "-d",
            "a: 1",
            "/api/v1/namespaces/default/pods/x?dryRun=All",
        ])
        .assert()
        .code(4)
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        normalise(&stderr, &server),
        format!(
            "* kubeconfig: ~/.kube/config; context: work; cluster: lab; user: dev (token)
> POST /api/v1/namespaces/default/pods/x?dryRun=All HTTP/1.1
> host: 127.0.0.1:PORT
> accept: application/json, */*
> user-agent: kcurl/{VERSION}
> content-type: application/json
> authorization: Bearer <redacted>
> accept-encoding: gzip
> (7 bytes of body)
< HTTP/1.1 404 Not Found
< content-type: application/json
< content-length: 145
kcurl: 404 NotFound: pods \"x\" not found
* timings: …
"
        ),
        "raw stderr:\n{stderr}"
    );
    assert_hidden(&stderr, &["t0k"]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "{\n  \"kind\": \"Status\",\n  \"apiVersion\": \"v1\",\n  \"metadata\": {},\n  \
         \"status\": \"Failure\",\n  \"message\": \"pods \\\"x\\\" not found\",\n  \
         \"reason\": \"NotFound\",\n  \"details\": {},\n  \"code\": 404\n}\n"
    );
}

#[test]
fn paginate_traces_the_context_once_and_times_every_page() {
    let pki = Pki::new();
    let env = Env::new();
    let server = ServerBuilder::new(&pki)
        .handler(|req| match req.query().unwrap_or("").contains("continue=t2") {
            false => Reply::json(
                200,
                r#"{"kind":"PodList","apiVersion":"v1","metadata":{"continue":"t2"},"items":[{"a":1}]}"#,
            ),
            true => Reply::json(
                200,
                r#"{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[{"b":2}]}"#,
            ),
        })
        .start();
    config(&env, &pki, &server, "{token: secret-token}");
    let out = run(kcurl(&env).args(["-v", "--paginate", "-c", "/api/v1/pods"]));
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.stdout, "{\"a\":1}\n{\"b\":2}\n");
    let lines: Vec<&str> = out.stderr.lines().collect();
    let starting = |prefix: &str| -> Vec<usize> {
        (0..lines.len())
            .filter(|&i| lines[i].starts_with(prefix))
            .collect()
    };
    assert_eq!(starting("* kubeconfig: ").len(), 1, "{}", out.stderr);
    assert!(lines[0].starts_with("* kubeconfig: "), "{}", out.stderr);
    let requests = starting("> GET ");
    let timings = starting("* timings: ");
    assert_eq!(requests.len(), 2, "{}", out.stderr);
    assert_eq!(timings.len(), 2, "{}", out.stderr);
    // Each page's timings follow its own exchange; the first page opened the connection, the
    // second reused it (no connect or TLS time).
    assert!(requests[0] < timings[0] && timings[0] < requests[1] && requests[1] < timings[1]);
    check_timings(lines[timings[0]].strip_prefix("* timings: ").unwrap());
    assert!(
        lines[timings[1]].starts_with("* timings: first byte "),
        "{}",
        out.stderr
    );
    assert_no_secret(&out, &["secret-token"]);
}
