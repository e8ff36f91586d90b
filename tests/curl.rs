//! curl's muscle memory and command-line errors, through the real binary: `-s`, `-S`, `-f`,
//! `--fail-with-body` as curl means them, `--jq` keeping error responses off stdout, usage
//! errors as one `kcurl: error: …` line, and hints naming kcurl's equivalent when a curl or
//! kubectl flag means something else here (`-L`, `--compressed`, `-o FILE`, `-s URL` …).

use crate::support::*;

/// The Status a 404 answers with, and the line kcurl prints for it.
fn not_found() -> (String, &'static str) {
    (
        status_json(404, "NotFound", "pods \"nope\" not found"),
        "kcurl: 404 NotFound: pods \"nope\" not found\n",
    )
}

/// A server answering `/api` with the API versions (and a Warning header) and 404 elsewhere.
fn server(pki: &Pki, env: &Env) -> Server {
    serve(pki, env, |req| match req.path() {
        "/api" => Reply::json(200, API_VERSIONS_JSON).header("Warning", "299 - \"deprecated\""),
        _ => status_reply(404, "NotFound", "pods \"nope\" not found"),
    })
}

/// `API_VERSIONS_JSON` as kcurl prints it with -c.
fn api_compact() -> String {
    format!("{API_VERSIONS_JSON}\n")
}

#[test]
fn silent_show_error_fail_is_curl_s_s_f() {
    let (pki, env) = (Pki::new(), Env::new());
    let _server = server(&pki, &env);
    let (status, line) = not_found();
    // Each row: flags, expected stdout, expected stderr. Exit code 4 for all: -f keeps it.
    let pretty_status = {
        let out = run(kcurl(&env).args(["/api/v1/pods/nope"]));
        assert_eq!(out.stderr, line);
        assert!(out.stdout.contains("\"reason\": \"NotFound\""), "{out:?}");
        out.stdout
    };
    let cases: [(&[&str], &str, &str); 7] = [
        (&["-sSf"], "", line),
        (&["-sf"], "", ""),
        (&["-s", "-S", "-f"], "", line),
        (&["--silent", "--show-error", "--fail"], "", line),
        (&["-f"], "", line),
        (&["-s"], &pretty_status, ""),
        (&["--fail-with-body"], &pretty_status, line),
    ];
    for (flags, stdout, stderr) in cases {
        kcurl(&env)
            .args(flags)
            .arg("/api/v1/pods/nope")
            .assert()
            .code(4)
            .stdout(stdout.to_string())
            .stderr(stderr.to_string());
    }
    // -c makes the body one line; -S alone changes nothing (as in curl).
    kcurl(&env)
        .args(["-S", "-c", "/api/v1/pods/nope"])
        .assert()
        .code(4)
        .stdout(format!("{status}\n"))
        .stderr(line);
}

#[test]
fn s_is_silent_and_not_server() {
    // `kcurl -sS /api` once took S as the server and looked up host "S".
    let (pki, env) = (Pki::new(), Env::new());
    let server = server(&pki, &env);
    for flags in [&["-sS", "-c"][..], &["-s", "-c"], &["-sSfc"]] {
        kcurl(&env)
            .args(flags)
            .arg("/api")
            .assert()
            .code(0)
            .stdout(api_compact())
            .stderr("");
    }
    // The Warning header is a notice: shown without -s.
    kcurl(&env)
        .args(["-c", "/api"])
        .assert()
        .code(0)
        .stdout(api_compact())
        .stderr("Warning: deprecated\n");
    // --server keeps its long form.
    kcurl(&env)
        .args(["-c", "--server", &server.url(), "/api"])
        .assert()
        .code(0)
        .stdout(api_compact());
}

#[test]
fn silent_hides_warnings_and_errors_but_not_the_verbose_trace() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = server(&pki, &env);
    // -k prints a warning on every run; -s is asked for explicitly, so it goes.
    let out = run(kcurl(&env).args(["-k", "-c", "/api"]));
    assert!(
        out.stderr
            .starts_with("kcurl: warning: TLS certificate verification is disabled"),
        "{out:?}"
    );
    kcurl(&env)
        .args(["-s", "-k", "-c", "/api"])
        .assert()
        .code(0)
        .stdout(api_compact())
        .stderr("");
    // An error that is not a response (nothing listens on the port): -sS says it, -s does not.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("https://127.0.0.1:{}", l.local_addr().unwrap().port())
    };
    kcurl(&env)
        .args(["-s", "--server", &closed, "/api"])
        .assert()
        .code(6)
        .stdout("")
        .stderr("");
    let out = run(kcurl(&env).args(["-sS", "--server", &closed, "/api"]));
    assert_eq!(out.code, Some(6));
    assert!(
        out.stderr.starts_with("kcurl: error: ") && out.stderr.lines().count() == 1,
        "{out:?}"
    );
    // -v is asked for too: its trace stays.
    let out = run(kcurl(&env).args(["-s", "-v", "-c", "/api"]));
    assert_eq!(out.code, Some(0));
    assert!(out.stderr.contains("> GET /api "), "{out:?}");
    assert!(!out.stderr.contains("Warning: deprecated"), "{out:?}");
    // Usage errors are the script's own mistake: said even with -s.
    kcurl(&env)
        .args(["-s", "-P", "novalue", "/api"])
        .assert()
        .code(2)
        .stderr(
            "kcurl: error: -P \"novalue\": expected KEY=VALUE (e.g. -P labelSelector=app=web)\n",
        );
    drop(server);
}

#[test]
fn fail_withholds_the_head_too() {
    let (pki, env) = (Pki::new(), Env::new());
    let _server = server(&pki, &env);
    let (_, line) = not_found();
    kcurl(&env)
        .args(["-i", "-f", "/api/v1/pods/nope"])
        .assert()
        .code(4)
        .stdout("")
        .stderr(line);
    // A 2xx is untouched by -f.
    let out = run(kcurl(&env).args(["-i", "-f", "-c", "/api"]));
    assert_eq!(out.code, Some(0));
    assert!(out.stdout.starts_with("HTTP/1.1 200 OK\r\n"), "{out:?}");
    assert!(out.stdout.ends_with(&api_compact()), "{out:?}");
}

#[test]
fn jq_keeps_error_responses_off_stdout() {
    // `kcurl --jq … | while read` must not read a Status as a result.
    let (pki, env) = (Pki::new(), Env::new());
    let _server = server(&pki, &env);
    let (_, line) = not_found();
    kcurl(&env)
        .args(["--jq", ".metadata.name", "/api/v1/pods/nope"])
        .assert()
        .code(4)
        .stdout("")
        .stderr(line);
    kcurl(&env)
        .args(["--jq", ".versions[]", "/api"])
        .assert()
        .code(0)
        .stdout("v1\n");
}

/// Runs kcurl with `args` (no kubeconfig needed: these fail while parsing) and checks it exits
/// 2 with exactly `stderr`, one line, and nothing on stdout.
fn usage_error(args: &[&str], stderr: &str) {
    let out = run(kcurl(&Env::new()).args(args));
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (Some(2), "", format!("kcurl: error: {stderr}\n").as_str()),
        "kcurl {args:?}"
    );
}

#[test]
fn usage_errors_are_one_line() {
    usage_error(
        &[],
        "the following required arguments were not provided: <PATH|URL>",
    );
    usage_error(
        &["--conext", "prod", "/api"],
        "unexpected argument '--conext' found: a similar argument exists: '--context'",
    );
    usage_error(
        &["--raw", "-c", "/api"],
        "the argument '--raw' cannot be used with '--compact'",
    );
    usage_error(
        &["--timeout", "soon", "/api"],
        "invalid value 'soon' for '--timeout <SECS>': 'soon' is not a number of seconds",
    );
    usage_error(
        &["-f", "--fail-with-body", "/api"],
        "the argument '--fail' cannot be used with '--fail-with-body'",
    );
}

#[test]
fn curl_and_kubectl_flags_get_kcurl_equivalents() {
    let redirect = "kcurl never follows redirects, so credentials cannot reach another host; a \
                    3xx exits 3 and its Location is printed: request that URL yourself if you \
                    trust it";
    usage_error(
        &["-sSL", "/api"],
        &format!("unexpected argument '-L' found: {redirect}"),
    );
    usage_error(
        &["--location", "/api"],
        &format!("unexpected argument '--location' found: {redirect}"),
    );
    usage_error(
        &["--compressed", "/api"],
        "unexpected argument '--compressed' found: kcurl already asks for gzip \
         (Accept-Encoding: gzip) and decodes it: drop --compressed",
    );
    usage_error(
        &["--cacert", "ca.crt", "/api"],
        "unexpected argument '--cacert' found: use --certificate-authority FILE",
    );
    usage_error(
        &["-m", "5", "/api"],
        "unexpected argument '-m' found: use --timeout SECS",
    );
    usage_error(
        &["-o", "out.json", "/api"],
        "invalid value 'out.json' for '--output <FORMAT>' [possible values: json, yaml]: -o is \
         the output format (json or yaml), as in kubectl; kcurl writes the body to stdout: save \
         it with > out.json",
    );
    usage_error(
        &["-s", "https://10.0.0.1:6443", "/api"],
        "unexpected argument '/api' found: -s is --silent, as in curl; name the API server \
         with --server URL",
    );
    usage_error(
        &["-w", "%{http_code}", "/api"],
        "unexpected argument '/api' found: -w is --watch, as in kubectl; the exit code tells \
         the status class (0 2xx, 3 3xx, 4 4xx, 5 5xx) and -i prints the status line",
    );
    usage_error(
        &["-l", "app=web", "/api/v1/pods"],
        "unexpected argument '-l' found: use -P labelSelector=KEY=VALUE",
    );
}

#[test]
fn curl_user_password_is_never_echoed() {
    // curl's --user name:password; kcurl's --user (kubectl's) names a kubeconfig user.
    let (pki, env) = (Pki::new(), Env::new());
    let server = server(&pki, &env);
    let out = run(kcurl(&env).args(["--user", "admin:s3cret-PASS", "/api"]));
    assert_eq!(out.code, Some(2));
    assert_eq!(
        out.stderr,
        "kcurl: error: --user names a kubeconfig user, as in kubectl, and no user has that name \
         (not repeated here: curl's --user takes name:password); available users: dev; for basic \
         auth put username and password in the kubeconfig user\n"
    );
    assert_no_secret(&out, &["s3cret-PASS"]);
    assert!(server.requests().is_empty());
    usage_error(
        &["-u", "admin:pw", "/api"],
        "unexpected argument '-u' found: put the username and password (or a token) in the \
         kubeconfig, or use --token; --user names a kubeconfig user, as in kubectl",
    );
}
