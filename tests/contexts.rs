//! Many contexts at once, through the real binary: `--context a --context b`, globs and
//! `--all-contexts` send the same request to each context concurrently with its own
//! credentials; stdout has one `{"context","status","body"}` object per context in kubeconfig
//! order (pretty or `-c`), stderr one summary line per context, and the exit code is the worst
//! result; a context that cannot be reached never hides the others.

use crate::support::*;

use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender};

/// A port nothing listens on (it was free a moment ago).
fn dead_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Writes a kubeconfig with contexts `prod-a` (server `a`, token `tok-a`), `prod-b` (server
/// `b`, token `tok-b`) and `dev-down` (a dead port), in that order; current context `prod-a`.
fn config(env: &Env, pki: &Pki, a: &Server, b: &Server, dead: u16) {
    KubeconfigBuilder::new()
        .cluster("a", &a.url())
        .ca(&pki.ca.cert)
        .cluster("b", &b.url())
        .ca(&pki.ca.cert)
        .cluster("down", &format!("https://127.0.0.1:{dead}"))
        .ca(&pki.ca.cert)
        .token_user("ua", "tok-a")
        .token_user("ub", "tok-b")
        .context("prod-a", "a", "ua")
        .context("dev-down", "down", "ua")
        .context("prod-b", "b", "ub")
        .current_context("prod-a")
        .write(env, ".kube/config");
}

/// Two servers: `a` answers `{"server":"a"}` on every path but `/readyz` (text `ok`), `b` answers `{"server":"b"}` on
/// `/api` and a 404 Status elsewhere; a kubeconfig for them and a dead port.
struct Fleet {
    env: Env,
    a: Server,
    b: Server,
    dead: u16,
    _pki: Pki,
}

fn fleet() -> Fleet {
    let (pki, env) = (Pki::new(), Env::new());
    let a = ServerBuilder::new(&pki)
        .handler(|req| match req.path() {
            "/readyz" => Reply::text(200, "ok"),
            _ => Reply::json(200, r#"{"server": "a"}"#),
        })
        .start();
    let b = ServerBuilder::new(&pki)
        .handler(|req| match req.path() {
            "/api" => Reply::json(200, r#"{"server":"b","n":1e3}"#),
            _ => status_reply(
                404,
                "NotFound",
                "the server could not find the requested resource",
            ),
        })
        .start();
    let dead = dead_port();
    config(&env, &pki, &a, &b, dead);
    Fleet {
        env,
        a,
        b,
        dead,
        _pki: pki,
    }
}

/// stderr with each summary line's time (`\t12 ms`) replaced by `\tN ms`, after checking it
/// is a whole number of milliseconds.
fn summaries(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .map(|line| match line.rsplit_once('\t') {
            Some((head, time)) => {
                let ms = time.strip_suffix(" ms").unwrap_or_else(|| panic!("{line}"));
                assert!(ms.parse::<u64>().is_ok(), "{line}");
                format!("{head}\tN ms\n")
            }
            None => format!("{line}\n"),
        })
        .collect()
}

const A_PRETTY: &str = "{\n  \"context\": \"prod-a\",\n  \"status\": 200,\n  \"body\": {\n    \"server\": \"a\"\n  }\n}\n";
const B_PRETTY: &str = "{\n  \"context\": \"prod-b\",\n  \"status\": 200,\n  \"body\": {\n    \"server\": \"b\",\n    \"n\": 1e3\n  }\n}\n";

#[test]
fn two_contexts_give_two_objects_in_order_each_with_its_own_credentials() {
    let f = fleet();
    let out = kcurl(&f.env)
        .args(["--context", "prod-a", "--context", "prod-b", "/api"])
        .assert()
        .code(0)
        .stdout(format!("{A_PRETTY}{B_PRETTY}"))
        .get_output()
        .clone();
    assert_eq!(
        summaries(&out.stderr),
        "prod-a\t200 OK\tN ms\nprod-b\t200 OK\tN ms\n"
    );
    assert_eq!(
        f.a.only_request().header("authorization"),
        Some("Bearer tok-a")
    );
    assert_eq!(
        f.b.only_request().header("authorization"),
        Some("Bearer tok-b")
    );

    // The order is the command line's when it names contexts one by one.
    kcurl(&f.env)
        .args(["-c", "--context", "prod-b", "--context", "prod-a", "/api"])
        .assert()
        .code(0)
        .stdout(concat!(
            r#"{"context":"prod-b","status":200,"body":{"server":"b","n":1e3}}"#,
            "\n",
            r#"{"context":"prod-a","status":200,"body":{"server":"a"}}"#,
            "\n"
        ));
}

#[test]
fn contexts_are_asked_concurrently_and_printed_in_order() {
    let (pki, env) = (Pki::new(), Env::new());
    // a answers only once b has been asked (or after WAIT, saying so): with one context at a
    // time, a would wait for b forever.
    let (asked_b, b_was_asked): (Sender<()>, Receiver<()>) = std::sync::mpsc::channel();
    let b_was_asked = Mutex::new(b_was_asked);
    let asked_b = Mutex::new(asked_b);
    let a = ServerBuilder::new(&pki)
        .handler(move |_| {
            let waited = b_was_asked.lock().unwrap().recv_timeout(WAIT).is_ok();
            Reply::json(200, format!(r#"{{"b_asked_first":{waited}}}"#))
        })
        .start();
    let b = ServerBuilder::new(&pki)
        .handler(move |_| {
            let _ = asked_b.lock().unwrap().send(());
            Reply::json(200, "{}")
        })
        .start();
    config(&env, &pki, &a, &b, dead_port());
    kcurl(&env)
        .args(["-c", "--context", "prod-*", "/api"])
        .assert()
        .code(0)
        .stdout(concat!(
            r#"{"context":"prod-a","status":200,"body":{"b_asked_first":true}}"#,
            "\n",
            r#"{"context":"prod-b","status":200,"body":{}}"#,
            "\n"
        ));
}

#[test]
fn globs_select_in_kubeconfig_order() {
    let f = fleet();
    kcurl(&f.env)
        .args(["--context", "prod-*", "/api"])
        .assert()
        .code(0)
        .stdout(format!("{A_PRETTY}{B_PRETTY}"));
    assert_eq!((f.a.requests().len(), f.b.requests().len()), (1, 1));

    kcurl(&f.env)
        .args(["--context", "*-[ab]", "-c", "/api"])
        .assert()
        .code(0)
        .stdout(concat!(
            r#"{"context":"prod-a","status":200,"body":{"server":"a"}}"#,
            "\n",
            r#"{"context":"prod-b","status":200,"body":{"server":"b","n":1e3}}"#,
            "\n"
        ));
}

#[test]
fn a_dead_context_is_reported_and_never_hides_the_others() {
    let f = fleet();
    let out = kcurl(&f.env)
        .args(["--all-contexts", "/api"])
        .assert()
        .code(6)
        .get_output()
        .clone();
    let error = format!(
        "https://127.0.0.1:{0}/api: connection refused by 127.0.0.1:{0}; is the API server \
         running there (right host and port)?",
        f.dead
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!(
            "{A_PRETTY}{{\n  \"context\": \"dev-down\",\n  \"status\": null,\n  \"error\": \
             {}\n}}\n{B_PRETTY}",
            json_string(&error)
        )
    );
    assert_eq!(
        summaries(&out.stderr),
        format!("prod-a\t200 OK\tN ms\ndev-down\terror: {error}\tN ms\nprod-b\t200 OK\tN ms\n")
    );
    assert_eq!((f.a.requests().len(), f.b.requests().len()), (1, 1));
}

#[test]
fn the_exit_code_is_the_worst_result() {
    let f = fleet();
    // a answers 200 everywhere, b 404 off /api: 4.
    let out = kcurl(&f.env)
        .args([
            "-c",
            "--context",
            "prod-*",
            "/api/v1/namespaces/default/pods",
        ])
        .assert()
        .code(4)
        .stdout(format!(
            "{}\n{}\n",
            r#"{"context":"prod-a","status":200,"body":{"server":"a"}}"#,
            format_args!(
                r#"{{"context":"prod-b","status":404,"body":{}}}"#,
                status_json(
                    404,
                    "NotFound",
                    "the server could not find the requested resource"
                )
            )
        ))
        .get_output()
        .clone();
    assert_eq!(
        summaries(&out.stderr),
        "prod-a\t200 OK\tN ms\nprod-b\t404 Not Found\tN ms\n"
    );
    // A connection failure outranks a 404.
    kcurl(&f.env)
        .args([
            "-c",
            "--context",
            "prod-b",
            "--context",
            "dev-down",
            "/nope",
        ])
        .assert()
        .code(6);
}

#[test]
fn a_glob_that_matches_nothing_lists_the_contexts() {
    let f = fleet();
    kcurl(&f.env)
        .args(["--context", "staging-*", "/api"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(
            "kcurl: error: --context staging-*: no context matches; available contexts: \
             prod-a, dev-down, prod-b\n",
        );
    kcurl(&f.env)
        .args(["--context", "prod-a", "--context", "prod-c", "/api"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(
            "kcurl: error: --context prod-c: no context matches; available contexts: \
             prod-a, dev-down, prod-b\n",
        );
    assert!(f.a.requests().is_empty() && f.b.requests().is_empty());
}

#[test]
fn streams_and_tables_take_one_context_at_a_time() {
    let f = fleet();
    for flag in ["--watch", "--table", "-i"] {
        kcurl(&f.env)
            .args([flag, "--context", "prod-a", "--context", "prod-b", "/api"])
            .assert()
            .code(2)
            .stdout("")
            .stderr(
                "kcurl: error: --watch, --table and --include work with one context at a time\n",
            );
    }
    kcurl(&f.env)
        .args(["-w", "--all-contexts", "/api"])
        .assert()
        .code(2);
    assert!(f.a.requests().is_empty() && f.b.requests().is_empty());
}

#[test]
fn a_namespace_flag_without_placeholder_warns_once_with_many_contexts() {
    let f = fleet();
    let out = kcurl(&f.env)
        .args(["-c", "-n", "foo", "--context", "prod-*", "/api"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert_eq!(
        summaries(&out.stderr),
        "kcurl: warning: -n foo has no effect: /api has no {namespace} or {ns} placeholder\n\
         prod-a\t200 OK\tN ms\nprod-b\t200 OK\tN ms\n"
    );
    // With a placeholder, each context gets -n.
    kcurl(&f.env)
        .args([
            "-c",
            "-n",
            "foo",
            "--context",
            "prod-a",
            "--context",
            "prod-b",
        ])
        .arg("/api/v1/namespaces/{ns}/pods")
        .assert()
        .code(4);
    assert_eq!(
        f.a.requests().pop().unwrap().target,
        "/api/v1/namespaces/foo/pods"
    );
    assert_eq!(
        f.b.requests().pop().unwrap().target,
        "/api/v1/namespaces/foo/pods"
    );
}

#[test]
fn a_body_that_is_not_json_is_embedded_as_a_string() {
    let f = fleet();
    kcurl(&f.env)
        .args([
            "-c",
            "--context",
            "prod-a",
            "--context",
            "prod-b",
            "/readyz",
        ])
        .assert()
        .code(4)
        .stdout(format!(
            "{}\n{}\n",
            r#"{"context":"prod-a","status":200,"body":"ok"}"#,
            format_args!(
                r#"{{"context":"prod-b","status":404,"body":{}}}"#,
                status_json(
                    404,
                    "NotFound",
                    "the server could not find the requested resource"
                )
            )
        ));
}

#[test]
fn jq_runs_on_each_context_and_labels_its_results() {
    let f = fleet();
    // a: {"server":"a"}; dev-down: no answer; b: {"server":"b","n":1e3}.
    let out = run(kcurl(&f.env).args(["--all-contexts", "--jq", ".server, {s: .server}", "/api"]));
    assert_eq!(out.code, Some(6), "{out:?}");
    assert_eq!(
        out.stdout,
        "prod-a\ta\nprod-a\t{\"s\":\"a\"}\nprod-b\tb\nprod-b\t{\"s\":\"b\"}\n"
    );
    let summary = out
        .stderr
        .lines()
        .map(|l| l.split('\t').take(2).collect::<Vec<_>>());
    let summary: Vec<Vec<&str>> = summary.collect();
    assert_eq!(summary[0], ["prod-a", "200 OK"]);
    assert!(summary[1][1].starts_with("error: "), "{out:?}");
    assert_eq!(summary[2], ["prod-b", "200 OK"]);
    // A non-2xx answer puts nothing on stdout, as with one context; a runtime error of the
    // program is that context's error, the others still print.
    let out = run(kcurl(&f.env).args(["--context", "prod-*", "--jq", ".server", "/x"]));
    assert_eq!(out.code, Some(4), "{out:?}");
    assert_eq!(out.stdout, "prod-a\ta\n");
    let out = run(kcurl(&f.env).args(["--context", "prod-*", "--jq", ".server | error", "/api"]));
    assert_eq!(out.stdout, "");
    assert_ne!(out.code, Some(0));
    assert!(
        out.stderr.starts_with("prod-a\t200 OK: error: --jq: a\t"),
        "{out:?}"
    );
}

#[test]
fn paging_and_waiting_take_one_context_at_a_time_and_say_what_to_do() {
    let f = fleet();
    for flags in [
        &["--paginate"][..],
        &["--until", ".ready"],
        &["--until-deleted"],
    ] {
        kcurl(&f.env)
            .args(flags)
            .args(["--all-contexts", "/api"])
            .assert()
            .code(2)
            .stdout("")
            .stderr(
                "kcurl: error: --paginate, --until and --until-deleted work with one context at a \
                 time: run kcurl once per context (--context NAME)\n",
            );
    }
}

#[test]
fn fail_leaves_the_body_out_of_a_failed_context_s_object() {
    let f = fleet();
    kcurl(&f.env)
        .args(["-f", "-c", "--context", "prod-*", "/x"])
        .assert()
        .code(4)
        .stdout(
            "{\"context\":\"prod-a\",\"status\":200,\"body\":{\"server\":\"a\"}}\n\
             {\"context\":\"prod-b\",\"status\":404}\n",
        );
}

#[test]
fn retry_applies_to_every_context() {
    let (pki, env) = (Pki::new(), Env::new());
    // Each server fails its first request with a 503 without Retry-After: retried only with
    // --retry.
    let flaky = |name: &'static str| {
        let seen = std::sync::atomic::AtomicUsize::new(0);
        ServerBuilder::new(&pki)
            .handler(
                move |_| match seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
                    0 => status_reply(503, "ServiceUnavailable", "starting"),
                    _ => Reply::json(200, format!(r#"{{"server":"{name}"}}"#)),
                },
            )
            .start()
    };
    let (a, b) = (flaky("a"), flaky("b"));
    let dead = dead_port();
    config(&env, &pki, &a, &b, dead);
    let out = run(kcurl(&env).args(["--all-contexts", "--retry", "2", "-c", "/api"]));
    assert_eq!(out.code, Some(6), "{out:?}");
    assert_eq!(
        out.stdout,
        format!(
            "{{\"context\":\"prod-a\",\"status\":200,\"body\":{{\"server\":\"a\"}}}}\n\
             {{\"context\":\"dev-down\",\"status\":null,\"error\":\"https://127.0.0.1:{dead}/api: \
             connection refused by 127.0.0.1:{dead}; is the API server running there (right \
             host and port)?\"}}\n\
             {{\"context\":\"prod-b\",\"status\":200,\"body\":{{\"server\":\"b\"}}}}\n"
        )
    );
    // Every context retried (the dead one on its refused connections), each line labelled.
    let retries = |context: &str| {
        out.stderr
            .lines()
            .filter(|l| {
                l.starts_with(&format!("kcurl: [{context}] ")) && l.contains(": retrying in ")
            })
            .count()
    };
    assert_eq!(retries("prod-a"), 1, "{}", out.stderr);
    assert_eq!(retries("prod-b"), 1, "{}", out.stderr);
    assert_eq!(retries("dev-down"), 2, "{}", out.stderr);
    assert_eq!(a.requests().len(), 2);
    assert_eq!(b.requests().len(), 2);
}
