//! Security promises (README "Security"): which URLs get credentials and which TLS settings,
//! namespaces that cannot escape their path segment, URLs carrying passwords, impersonation
//! and the notice about what is sent, caps on what a hostile server can make kcurl buffer, and
//! terminal safety of server-supplied text. Each test here failed before its fix.

use crate::support::*;

use std::path::PathBuf;

/// A kubeconfig for `server_url` trusting the test CA, with token `tok-sec` and `extra` lines
/// appended to the user, and `ns` as the context's namespace.
fn config(env: &Env, pki: &Pki, server_url: &str, user: &str, ns: Option<&str>) -> PathBuf {
    let mut config = KubeconfigBuilder::single_context(server_url, &pki.ca.cert, user);
    if let Some(ns) = ns {
        config = config.namespace(ns);
    }
    config.write(env, ".kube/config")
}

const USER: &str = "{token: tok-sec}";

// ---- Host spelling ----------------------------------------------------------------------

#[test]
fn host_letter_case_does_not_lose_the_pinned_ca_or_the_credentials() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let cluster = format!("https://localhost:{}", server.port());
    config(&env, &pki, &cluster, USER, None);
    // The same server spelled in capitals: the cluster's CA (not the system store) and the
    // token, with no "not the cluster" notice.
    let target = format!("HTTPS://LocalHost:{}/version", server.port());
    let out = run(kcurl(&env).arg(&target));
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
    assert_eq!(
        server.only_request().header("authorization"),
        Some("Bearer tok-sec")
    );
    // And the other way round: the kubeconfig in capitals, the target in lower case.
    config(
        &env,
        &pki,
        &format!("https://LOCALHOST:{}", server.port()),
        USER,
        None,
    );
    let out = run(kcurl(&env).arg(format!("{cluster}/version")));
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
}

// ---- Namespaces -------------------------------------------------------------------------

const NS_RULE: &str = "a namespace must be a lowercase RFC 1123 label: at most 63 characters, \
                       lower case letters, digits and '-', starting and ending with a letter or \
                       digit (e.g. 'my-name' or '123-abc')";

#[test]
fn a_namespace_cannot_leave_its_path_segment() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    config(&env, &pki, &server.url(), USER, None);
    for ns in [
        "default/pods/web-1?x=",
        "a#b",
        "..",
        "Default",
        "",
        &"a".repeat(64),
    ] {
        let out = run(kcurl(&env).args([
            "-X",
            "DELETE",
            "-n",
            ns,
            "/api/v1/namespaces/{ns}/pods/web-0",
        ]));
        assert_eq!(out.code, Some(2), "{ns}: {out:?}");
        assert_eq!(
            out.stderr,
            format!("kcurl: error: -n \"{ns}\": invalid namespace: {NS_RULE}\n")
        );
    }
    // The context's namespace is checked the same way (when the path uses it).
    config(
        &env,
        &pki,
        &server.url(),
        USER,
        Some("kube-system/secrets/x#"),
    );
    let out = run(kcurl(&env).arg("/api/v1/namespaces/{ns}/pods"));
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "kcurl: error: context \"test\": invalid namespace \"kube-system/secrets/x#\": \
             {NS_RULE}\n"
        )
    );
    assert!(server.requests().is_empty());
    // A valid one still works.
    let out = run(kcurl(&env).args(["-n", "team-1", "/api/v1/namespaces/{ns}/pods"]));
    assert_eq!(out.code, Some(4), "the test server has no pods: {out:?}");
    assert_eq!(
        server.only_request().path(),
        "/api/v1/namespaces/team-1/pods"
    );
}

#[test]
fn pod_namespace_is_checked_in_a_pod() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    env.write("sa/token", "tok-sa");
    env.write("sa/ca.crt", &pki.ca.cert_pem);
    let out = run(kcurl(&env)
        .env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        .env("KUBERNETES_SERVICE_PORT", server.port().to_string())
        .env("POD_NAMESPACE", "x/../../api")
        .arg("--service-account-dir")
        .arg(env.home().join("sa"))
        .arg("/api/v1/namespaces/{ns}/pods"));
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "kcurl: error: in-cluster configuration: POD_NAMESPACE \"x/../../api\": invalid \
             namespace: {NS_RULE}\n"
        )
    );
    assert!(server.requests().is_empty());
}

#[test]
fn a_fragment_in_the_target_is_refused() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    config(&env, &pki, &server.url(), USER, None);
    let out = run(kcurl(&env).args(["-X", "DELETE", "/api/v1/namespaces/a#b"]));
    assert_eq!(out.code, Some(2), "{out:?}");
    assert_eq!(
        out.stderr,
        "kcurl: error: \"/api/v1/namespaces/a#b\": '#' starts a URL fragment, which is never \
         sent to the server; write %23 if it belongs to the path or query\n"
    );
    assert!(server.requests().is_empty());
}

// ---- user:password in URLs ------------------------------------------------------------

#[test]
fn passwords_in_server_urls_and_targets_are_refused_and_never_printed() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let plain = ServerBuilder::new(&pki).plain_http().start();
    let with_pw = |url: &str| url.replace("://", "://admin:pw-s3cr3t@");
    config(&env, &pki, &server.url(), USER, None);

    let out = run(kcurl(&env).args(["-v", "--server", &with_pw(&plain.url()), "/version"]));
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "kcurl: error: --server: the server URL holds a user name or password \
         (user:password@HOST), which kcurl never sends; put credentials in the kubeconfig user \
         (token, username and password, client certificate)\n"
    );
    assert_no_secret(&out, &["pw-s3cr3t", "admin:pw-s3cr3t"]);

    config(&env, &pki, &with_pw(&server.url()), USER, None);
    let out = run(kcurl(&env).args(["-v", "/version"]));
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr.starts_with(
            "kcurl: error: ~/.kube/config: clusters[\"test\"].server: the server URL holds"
        ),
        "{out:?}"
    );
    assert_no_secret(&out, &["pw-s3cr3t", "admin:pw-s3cr3t"]);

    config(&env, &pki, &server.url(), USER, None);
    // A password with '/' in it, and a plain-http foreign host.
    for target in [
        format!("{}/version", with_pw(&server.url())),
        format!("{}/version", with_pw(&plain.url())),
        format!(
            "{}/version",
            plain.url().replace("://", "://admin:pw-s3cr3t/x@")
        ),
    ] {
        let out = run(kcurl(&env).args(["-v", &target]));
        assert_eq!(out.code, Some(2), "{target}: {out:?}");
        assert_eq!(
            out.stderr,
            "kcurl: error: the URL holds a user name or password (user:password@HOST), which \
             kcurl never sends; put credentials in the kubeconfig user, or use -H \
             'Authorization: …'\n"
        );
        assert_no_secret(&out, &["pw-s3cr3t", "admin:pw-s3cr3t"]);
    }
    assert!(server.requests().is_empty());
    assert!(plain.requests().is_empty());
}

#[test]
fn a_proxy_password_holding_a_slash_is_redacted() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    config(&env, &pki, "https://cluster.invalid:6443", USER, None);
    drop(server);
    let out = run(kcurl(&env)
        .env("HTTPS_PROXY", "http://u:PW/SECRET@127.0.0.1:1")
        .args(["-v", "--connect-timeout", "5", "/version"]));
    assert_ne!(out.code, Some(0), "{out:?}");
    assert!(out.stderr.contains("<redacted>@127.0.0.1:1"), "{out:?}");
    assert_no_secret(&out, &["PW/SECRET", "SECRET"]);
}

// ---- Impersonation and the notice about what is sent ------------------------------------

fn impersonation(req: &Request) -> Vec<(String, String)> {
    req.headers
        .iter()
        .filter(|(n, _)| n.starts_with("impersonate-"))
        .cloned()
        .collect()
}

#[test]
fn impersonation_headers_go_to_the_cluster_only() {
    let (pki, env) = (Pki::new(), Env::new());
    let cluster = ServerBuilder::new(&pki).start();
    let other = ServerBuilder::new(&pki).start();
    config(
        &env,
        &pki,
        &cluster.url(),
        "{token: tok-sec, as: jane, as-groups: [dev]}",
        None,
    );
    let target = format!("https://localhost:{}/version", other.port());
    let out = run(kcurl(&env).args(["-k", &target]));
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(impersonation(&other.only_request()), vec![]);
    // The cluster still gets them.
    let out = run(kcurl(&env).arg("/version"));
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        impersonation(&cluster.only_request()),
        vec![
            ("impersonate-user".to_string(), "jane".to_string()),
            ("impersonate-group".to_string(), "dev".to_string())
        ]
    );
}

#[test]
fn the_notice_says_the_users_own_authorization_is_sent() {
    let (pki, env) = (Pki::new(), Env::new());
    let cluster = ServerBuilder::new(&pki).start();
    let other = ServerBuilder::new(&pki).plain_http().start();
    config(&env, &pki, &cluster.url(), USER, None);
    let target = format!("{}/version", other.url());
    let out = run(kcurl(&env).args(["-H", "Authorization: Bearer mine", &target]));
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "kcurl: warning: {target} is not the cluster's server ({}): sending the request \
             with your -H Authorization only, not the kubeconfig's credentials\n",
            cluster.url()
        )
    );
    assert_eq!(
        other.only_request().header("authorization"),
        Some("Bearer mine")
    );
}

// ---- Bounded resources ------------------------------------------------------------------

/// A stream that sends `chunk` over and over (at most `max` bytes, a guard for a failing test)
/// until the client goes away.
fn endless(chunk: &'static [u8], max: usize) -> std::sync::mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = std::sync::mpsc::sync_channel(4);
    std::thread::spawn(move || {
        let mut sent = 0;
        while sent < max && tx.send(chunk.to_vec()).is_ok() {
            sent += chunk.len();
        }
    });
    rx
}

fn limit_error(url: &str, what: &str, size: &str) -> String {
    format!(
        "kcurl: error: {url}: {what} is larger than {size} (--max-body-size); nothing of it \
         was printed: raise the limit with --max-body-size SIZE\n"
    )
}

#[test]
fn a_gzip_bomb_is_capped_for_every_buffered_output() {
    let (pki, env) = (Pki::new(), Env::new());
    // 8 MiB of JSON (a long string) that travels as a few KB of gzip.
    let big = format!("{{\"a\":\"{}\"}}", "x".repeat(8 << 20));
    let server = serve(&pki, &env, move |_| Reply::json(200, big.clone()).gzip());
    let url = format!("{}/api/v1/pods", server.url());
    for (flags, what) in [
        (&["--jq", ".a | length"][..], "the body --jq reads"),
        (&["-o", "yaml"][..], "the body -o yaml reads"),
        (&["--table"][..], "the table --table reads"),
        (&["--paginate"][..], "a page of --paginate"),
        (&["--until", "true"][..], "the body --until reads"),
    ] {
        let out = run(kcurl(&env)
            .args(flags)
            .args(["--max-body-size", "1M", "/api/v1/pods"]));
        assert_eq!(out.code, Some(10), "{flags:?}: {out:?}");
        assert_eq!(out.stdout, "", "{flags:?}");
        let expected_url = if flags[0] == "--paginate" {
            format!("{url}?limit=500")
        } else {
            url.clone()
        };
        assert_eq!(
            out.stderr,
            limit_error(&expected_url, what, "1 MiB"),
            "{flags:?}"
        );
    }
    // Under the default (256 MiB) it is read and filtered.
    let out = run(kcurl(&env).args(["--jq", ".a | length", "/api/v1/pods"]));
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (Some(0), "8388608\n"),
        "{out:?}"
    );
}

#[test]
fn an_endless_body_with_jq_stops_at_the_cap() {
    let (pki, env) = (Pki::new(), Env::new());
    let stream = std::sync::Mutex::new(Some(endless(b"[1,2,3,4,5,6,7,8,9,10,", 8 << 20)));
    let server = serve(&pki, &env, move |_| {
        Reply::stream(200, stream.lock().unwrap().take().unwrap())
    });
    let out = run(kcurl(&env).args(["--jq", ".", "--max-body-size", "2M", "/api/v1/pods"]));
    assert_eq!(out.code, Some(10), "{out:?}");
    assert_eq!(
        out.stderr,
        limit_error(
            &format!("{}/api/v1/pods", server.url()),
            "the body --jq reads",
            "2 MiB"
        )
    );
}

#[test]
fn a_watch_event_that_never_ends_stops_at_the_cap() {
    for jq in [false, true] {
        let (pki, env) = (Pki::new(), Env::new());
        let stream =
            std::sync::Mutex::new(Some(endless(b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 8 << 20)));
        let server = serve(&pki, &env, move |_| {
            let first =
                b"{\"type\":\"ADDED\",\"object\":{}}\n{\"type\":\"ADDED\",\"object\":\"".to_vec();
            let rx = stream.lock().unwrap().take().unwrap();
            let (tx, out) = std::sync::mpsc::sync_channel(4);
            std::thread::spawn(move || {
                if tx.send(first).is_ok() {
                    for chunk in rx {
                        if tx.send(chunk).is_err() {
                            break;
                        }
                    }
                }
            });
            Reply::stream(200, out)
        });
        let mut cmd = kcurl(&env);
        cmd.args(["-w", "-c", "--max-body-size", "1M"]);
        if jq {
            cmd.args(["--jq", ".type"]);
        }
        let out = run(cmd.arg("/api/v1/pods"));
        assert_eq!(out.code, Some(10), "jq {jq}: {out:?}");
        let first = if jq {
            "ADDED\n"
        } else {
            "{\"type\":\"ADDED\",\"object\":{}}\n"
        };
        assert_eq!(out.stdout, first);
        assert_eq!(
            out.stderr,
            limit_error(
                &format!("{}/api/v1/pods?watch=1", server.url()),
                "a watch event",
                "1 MiB"
            ),
            "jq {jq}"
        );
    }
}

#[test]
fn deep_nesting_pretty_prints_in_linear_size() {
    let (pki, env) = (Pki::new(), Env::new());
    let n = 200_000;
    let deep = format!("{}{}", "[".repeat(n), "]".repeat(n));
    let body = deep.clone();
    let _server = serve(&pki, &env, move |_| Reply::json(200, body.clone()));
    let out = run(kcurl(&env).arg("/api"));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let kept: String = out.stdout.chars().filter(|c| !c.is_whitespace()).collect();
    assert_eq!(kept, deep, "not a byte of the value lost");
    assert!(
        out.stdout.len() < 3 * deep.len(),
        "{} bytes",
        out.stdout.len()
    );
}

// ---- Terminal safety --------------------------------------------------------------------

/// Runs kcurl with `args` with its stdout on a terminal (a pty from util-linux `script`), in
/// `env`'s clean environment; returns the exit code and what the terminal showed.
fn on_terminal(env: &Env, args: &[&str]) -> (Option<i32>, String) {
    let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let mut line = quote(&kcurl_path().display().to_string());
    for a in args {
        line.push(' ');
        line.push_str(&quote(a));
    }
    let std = kcurl_std(env);
    let mut cmd = std::process::Command::new("script");
    cmd.env_clear()
        .envs(std.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
        .current_dir(env.home())
        .args(["-qec", &line, "/dev/null"])
        .stdin(std::process::Stdio::null());
    let out = cmd
        .output()
        .expect("util-linux script(1) is needed for terminal tests");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).replace('\r', ""),
    )
}

const OSC52: &str = "\u{1b}]52;c;cHduZWQ=\u{7}";

#[test]
fn jq_strings_reach_a_terminal_escaped_and_a_pipe_unchanged() {
    let (pki, env) = (Pki::new(), Env::new());
    let body = format!(
        "{{\"metadata\":{{\"annotations\":{{\"x\":{}}}}}}}",
        json_string(&format!("hi{OSC52}"))
    );
    let _server = serve(&pki, &env, move |_| Reply::json(200, body.clone()));
    for jq in [
        ".metadata.annotations.x",
        "[.metadata.annotations.x] | .[0]",
    ] {
        let (code, shown) = on_terminal(&env, &["--jq", jq, "/api"]);
        assert_eq!(code, Some(0), "{shown}");
        assert_eq!(shown, "hi\\u{1b}]52;c;cHduZWQ=\\u{7}\n", "{jq}");
        let out = run(kcurl(&env).args(["--jq", ".metadata.annotations.x", "/api"]));
        assert_eq!(
            out.stdout,
            format!("hi{OSC52}\n"),
            "a pipe gets the string as sent"
        );
    }
}

#[test]
fn include_header_values_reach_a_terminal_escaped() {
    let (pki, env) = (Pki::new(), Env::new());
    let _server = serve(&pki, &env, |_| {
        Reply::json(200, "{}").header("X-Evil", "a\u{9b}31mb")
    });
    let (code, shown) = on_terminal(&env, &["-i", "--color", "never", "/api"]);
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains("x-evil: a\\u{9b}31mb\n"), "{shown}");
    let out = run(kcurl(&env).args(["-i", "/api"]));
    assert!(out.stdout.contains("x-evil: a\u{9b}31mb\r\n"), "{out:?}");
}

#[test]
fn table_titles_are_escaped_like_cells() {
    let (pki, env) = (Pki::new(), Env::new());
    let table = format!(
        r#"{{"kind":"Table","apiVersion":"meta.k8s.io/v1","columnDefinitions":[{{"name":{},"type":"string"}}],"rows":[{{"cells":["web-0"]}}]}}"#,
        json_string(&format!("Name{OSC52}"))
    );
    let _server = serve(&pki, &env, move |_| Reply::json(200, table.clone()));
    let out = run(kcurl(&env).args(["--table", "/api/v1/pods"]));
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.stdout, "NAME\\u{1b}]52;C;CHDUZWQ=\\u{7}\nweb-0\n");
}
