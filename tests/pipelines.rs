//! Pipelines and CI: `--jq` (objects, lists, watch events, compile and runtime errors),
//! `--paginate` over continue tokens (one list object, `-c`, `--jq`, an expired token, restart),
//! retries (Retry-After honoured, `--retry` with backoff, POST rules, body replay, a server
//! that comes up late) and `--until` / `--until-deleted` waits (exit 8 on timeout).
//!
//! Waits are checked from the server's side: handlers record when each request arrived, and
//! tests assert the gaps; nothing here sleeps to synchronise.

use crate::support::*;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A handler whose reply depends on how many requests came before (0 for the first); the
/// arrival time of each request is recorded in the returned list.
fn sequenced(
    reply: impl Fn(usize, &Request) -> Reply + Send + Sync + 'static,
) -> (
    Arc<Mutex<Vec<Instant>>>,
    impl Fn(&Request) -> Reply + Send + Sync + 'static,
) {
    let times = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&times);
    let handler = move |req: &Request| {
        let n = {
            let mut t = seen.lock().unwrap();
            t.push(Instant::now());
            t.len() - 1
        };
        reply(n, req)
    };
    (times, handler)
}

fn targets(server: &Server) -> Vec<String> {
    server.requests().into_iter().map(|r| r.target).collect()
}

fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

const PODS: &str = "/api/v1/namespaces/default/pods";

/// A [`status_json`] body as kcurl pretty-prints it.
fn pretty_status(code: u16, reason: &str, message: &str) -> String {
    format!(
        "{{\n  \"kind\": \"Status\",\n  \"apiVersion\": \"v1\",\n  \"metadata\": {{}},\n  \
         \"status\": \"Failure\",\n  \"message\": {},\n  \"reason\": {},\n  \"details\": {{}},\n  \
         \"code\": {code}\n}}\n",
        json_string(message),
        json_string(reason)
    )
}

// ---------------------------------------------------------------------------------------------
// --jq

#[test]
fn jq_string_results_print_one_per_line_without_quotes() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env, kube_default);
    kcurl(&env)
        .args(["--jq", ".items[].metadata.name", PODS])
        .assert()
        .code(0)
        .stdout("web-0\nweb-1\n")
        .stderr("");
    // -q is the short form; select() from jaq's standard library.
    kcurl(&env)
        .args([
            "-q",
            r#".items[] | select(.status.phase == "Pending") | .metadata.name"#,
            PODS,
        ])
        .assert()
        .code(0)
        .stdout("web-1\n")
        .stderr("");
    assert_eq!(server.requests().len(), 2);
    assert_eq!(server.requests()[0].target, PODS);
}

#[test]
fn jq_object_results_are_pretty_or_compact_and_scalars_print_as_json() {
    let (pki, env) = (Pki::new(), Env::new());
    let _server = serve(&pki, &env, kube_default);
    kcurl(&env)
        .args(["--jq", ".items[0].metadata.labels", PODS])
        .assert()
        .code(0)
        .stdout("{\n  \"app\": \"web\"\n}\n")
        .stderr("");
    kcurl(&env)
        .args(["-c", "--jq", ".items[] | {name: .metadata.name}", PODS])
        .assert()
        .code(0)
        .stdout("{\"name\":\"web-0\"}\n{\"name\":\"web-1\"}\n")
        .stderr("");
    kcurl(&env)
        .args([
            "--jq",
            r#".items | length, (.[0].status.phase == "Running"), .[5]"#,
            PODS,
        ])
        .assert()
        .code(0)
        .stdout("2\ntrue\nnull\n")
        .stderr("");
}

#[test]
fn jq_compile_error_is_a_usage_error_with_the_position_and_nothing_is_sent() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env, kube_default);
    kcurl(&env)
        .args(["--jq", ".items[] |", PODS])
        .assert()
        .code(2)
        .stdout("")
        .stderr("kcurl: error: --jq: expected term, found end of input at 1:11\n");
    kcurl(&env)
        .args(["-q", ".a |\n  nosuch(1)", PODS])
        .assert()
        .code(2)
        .stdout("")
        .stderr("kcurl: error: --jq: undefined filter \"nosuch/1\" at 2:3\n");
    assert_eq!(server.requests().len(), 0);
}

#[test]
fn jq_runtime_error_fails_with_jaqs_message() {
    let (pki, env) = (Pki::new(), Env::new());
    let _server = serve(&pki, &env, |_| Reply::json(200, r#"{"a":5,"b":[1,2]}"#));
    kcurl(&env)
        .args(["--jq", ".a.b", "/x"])
        .assert()
        .code(9)
        .stdout("")
        .stderr("kcurl: error: --jq: cannot index 5 with \"b\"\n");
    // Results before the error are printed, as jq does.
    kcurl(&env)
        .args(["--jq", r#".b[], error("x")"#, "/x"])
        .assert()
        .code(9)
        .stdout("1\n2\n")
        .stderr("kcurl: error: --jq: x\n");
    // Division by zero is an error, as in jq 1.7, not a huge number that makes --until true.
    kcurl(&env)
        .args(["--jq", ".a / (.b | length - 2)", "/x"])
        .assert()
        .code(9)
        .stdout("")
        .stderr(
            "kcurl: error: --jq: number (5) and number (0) cannot be divided because the \
             divisor is zero\n",
        );
}

#[test]
fn jq_halt_error_and_stderr_speak_as_jq() {
    let (pki, env) = (Pki::new(), Env::new());
    let _server = serve(&pki, &env, |_| Reply::json(200, r#"{"a":5}"#));
    // halt_error: a string raw, exit with the code given (5 by default, as jq).
    kcurl(&env)
        .args(["--jq", r#""not ready\n" | halt_error(3)"#, "/x"])
        .assert()
        .code(3)
        .stdout("")
        .stderr("not ready\n");
    kcurl(&env)
        .args(["--jq", "1, halt_error", "/x"])
        .assert()
        .code(5)
        .stdout("1\n")
        .stderr("{\"a\":5}\n");
    // stderr: compact, no newline; the value passes through.
    kcurl(&env)
        .args(["--jq", ".a | stderr | . + 1", "/x"])
        .assert()
        .code(0)
        .stdout("6\n")
        .stderr("5");
    // $ENV and env see kcurl's environment.
    kcurl(&env)
        .env("KCURL_TEST_VAR", "v1")
        .args(["--jq", "$ENV.KCURL_TEST_VAR, env.KCURL_TEST_VAR", "/x"])
        .assert()
        .code(0)
        .stdout("v1\nv1\n");
}

#[test]
fn jq_keeps_key_order_and_numbers_as_jq_1_7() {
    let (pki, env) = (Pki::new(), Env::new());
    let body = r#"{"z":1,"a":{"y":2,"b":3},"big":123456789012345678901234,"huge":1e400,"dec":1.50,"n":[4,2]}"#;
    let _server = serve(&pki, &env, move |_| Reply::json(200, body));
    kcurl(&env)
        .args(["-c", "--jq", ".", "/x"])
        .assert()
        .code(0)
        .stdout(
            "{\"z\":1,\"a\":{\"y\":2,\"b\":3},\"big\":123456789012345678901234,\
             \"huge\":1E+400,\"dec\":1.50,\"n\":[4,2]}\n",
        );
    kcurl(&env)
        .args(["-c", "--jq", ".a, .big, (.n[0] / .n[1]), 3 * 1.5, 1e17 * 1, {q: 1} + .a", "/x"])
        .assert()
        .code(0)
        .stdout("{\"y\":2,\"b\":3}\n123456789012345678901234\n2\n4.5\n1e+17\n{\"q\":1,\"y\":2,\"b\":3}\n");
    // Paths that do not exist yet are created; a duplicated key keeps jq's answer on the fast
    // path too.
    kcurl(&env)
        .args(["-c", "--jq", ".x.y = 1 | .x, (.n[3] = 0 | .n)", "/x"])
        .assert()
        .code(0)
        .stdout("{\"y\":1}\n[4,2,null,0]\n");
}

#[test]
fn jq_fast_path_agrees_with_jq_on_duplicate_keys() {
    let (pki, env) = (Pki::new(), Env::new());
    let _server = serve(&pki, &env, |_| Reply::json(200, r#"{"a":1,"b":2,"a":3}"#));
    kcurl(&env)
        .args(["--jq", ".[]", "/x"])
        .assert()
        .code(0)
        .stdout("3\n2\n");
}

#[test]
fn jq_reads_documents_nested_10000_deep() {
    let (pki, env) = (Pki::new(), Env::new());
    let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    let body = deep.clone();
    let _server = serve(&pki, &env, move |_| Reply::json(200, body.clone()));
    kcurl(&env)
        .args(["-c", "--jq", ".", "/x"])
        .assert()
        .code(0)
        .stdout(format!("{deep}\n"));
    kcurl(&env)
        .args(["--jq", "[paths] | length", "/x"])
        .assert()
        .code(0)
        .stdout("10000\n");
}

#[test]
fn jq_says_an_error_status_on_stderr_only() {
    // stdout carries only filter results (a `| while read` loop must not read the Status).
    let (pki, env) = (Pki::new(), Env::new());
    let _server = serve(&pki, &env, kube_default);
    let message = "the server could not find the requested resource";
    kcurl(&env)
        .args(["--jq", ".items[].metadata.name", "/api/v1/nope"])
        .assert()
        .code(4)
        .stdout("")
        .stderr(format!("kcurl: 404 NotFound: {message}\n"));
}

#[test]
fn jq_runs_on_each_watch_event_as_it_arrives() {
    let (pki, env) = (Pki::new(), Env::new());
    let (events, watch) = OnceStream::new();
    let server = serve(&pki, &env, move |_| {
        watch
            .reply(200)
            .set_header("Content-Type", "application/json;stream=watch")
    });
    let mut run =
        spawn(kcurl_std(&env).args(["-w", "--jq", r#".type + " " + .object.metadata.name"#, PODS]));
    events
        .send(br#"{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a"}}}"#.to_vec())
        .unwrap();
    events.send(b"\n".to_vec()).unwrap();
    // The next event does not exist yet: this line is there because kcurl flushed it.
    assert_eq!(run.next_line().as_deref(), Some("ADDED a"));
    events
        .send(br#"{"type":"DELETED","object":{"kind":"Pod","metadata":{"name":"a"}}}"#.to_vec())
        .unwrap();
    events.send(b"\n".to_vec()).unwrap();
    assert_eq!(run.next_line().as_deref(), Some("DELETED a"));
    drop(events);
    let end = run.finish();
    assert_eq!(end.status.code(), Some(0), "{end:?}");
    assert_eq!((end.stdout.as_str(), end.stderr.as_str()), ("", ""));
    assert_eq!(server.only_request().target, format!("{PODS}?watch=1"));
}

// ---------------------------------------------------------------------------------------------
// --paginate

/// The TCP connection (numbered from 1) each request arrived on, in order.
fn connections(server: &Server) -> Vec<usize> {
    server.requests().iter().map(|r| r.connection).collect()
}

/// Three pages, chained by continue tokens (the second one needs percent-encoding).
const PAGE_1: &str = r#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"77","continue":"c2=","remainingItemCount":3},"items":[{"metadata":{"name":"a","uid":"u-a"},"n":1e3},{"metadata":{"name":"b","uid":"u-b"},"f":1.50}]}"#;
const PAGE_2: &str = r#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"77","continue":"c3","remainingItemCount":1},"items":[{"metadata":{"name":"c","uid":"u-c"},"s":"\u00e9"},{"metadata":{"name":"d","uid":"u-d"}}]}"#;
const PAGE_3: &str = r#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"77"},"items":[{"metadata":{"name":"e","uid":"u-e"}}]}"#;

/// The items of the three pages, exactly as the server wrote them.
const ITEMS: [&str; 5] = [
    r#"{"metadata":{"name":"a","uid":"u-a"},"n":1e3}"#,
    r#"{"metadata":{"name":"b","uid":"u-b"},"f":1.50}"#,
    r#"{"metadata":{"name":"c","uid":"u-c"},"s":"\u00e9"}"#,
    r#"{"metadata":{"name":"d","uid":"u-d"}}"#,
    r#"{"metadata":{"name":"e","uid":"u-e"}}"#,
];

/// Serves the page that the `continue` parameter asks for.
fn pages(req: &Request) -> Reply {
    let token = req
        .query()
        .unwrap_or("")
        .split('&')
        .find_map(|kv| kv.strip_prefix("continue="));
    match token {
        None => Reply::json(200, PAGE_1),
        Some("c2%3D") => Reply::json(200, PAGE_2),
        Some("c3") => Reply::json(200, PAGE_3),
        Some(other) => status_reply(400, "BadRequest", &format!("unknown token {other}")),
    }
}

#[test]
fn paginate_prints_one_list_made_of_every_page() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env, pages);
    let out = kcurl(&env).args(["--paginate", PODS]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(stderr_of(&out), "");
    assert_eq!(
        targets(&server),
        [
            format!("{PODS}?limit=500"),
            format!("{PODS}?limit=500&continue=c2%3D"),
            format!("{PODS}?limit=500&continue=c3"),
        ]
    );
    // One TCP+TLS connection serves every page.
    assert_eq!(connections(&server), [1, 1, 1]);
    let items: Vec<Value> = ITEMS
        .iter()
        .map(|i| serde_json::from_str(i).unwrap())
        .collect();
    let printed: Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(
        printed,
        json!({
            "kind": "PodList",
            "apiVersion": "v1",
            "metadata": {"resourceVersion": "77"},
            "items": items,
        })
    );
    // Only whitespace changes: numbers and escapes are kept as the server wrote them.
    assert_eq!(
        stdout_of(&out),
        r#"{
  "kind": "PodList",
  "apiVersion": "v1",
  "metadata": {
    "resourceVersion": "77"
  },
  "items": [
    {
      "metadata": {
        "name": "a",
        "uid": "u-a"
      },
      "n": 1e3
    },
    {
      "metadata": {
        "name": "b",
        "uid": "u-b"
      },
      "f": 1.50
    },
    {
      "metadata": {
        "name": "c",
        "uid": "u-c"
      },
      "s": "\u00e9"
    },
    {
      "metadata": {
        "name": "d",
        "uid": "u-d"
      }
    },
    {
      "metadata": {
        "name": "e",
        "uid": "u-e"
      }
    }
  ]
}
"#
    );
}

#[test]
fn paginate_keeps_the_users_limit() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env, pages);
    kcurl(&env)
        .args(["--paginate", "-c", "-P", "limit=2", PODS])
        .assert()
        .code(0)
        .stdout(format!("{}\n", ITEMS.join("\n")))
        .stderr("");
    assert_eq!(
        targets(&server),
        [
            format!("{PODS}?limit=2"),
            format!("{PODS}?limit=2&continue=c2%3D"),
            format!("{PODS}?limit=2&continue=c3"),
        ]
    );
}

#[test]
fn paginate_with_jq_filters_every_page() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env, pages);
    kcurl(&env)
        .args(["--paginate", "--jq", ".items[].metadata.name", PODS])
        .assert()
        .code(0)
        .stdout("a\nb\nc\nd\ne\n")
        .stderr("");
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn paginate_prints_each_page_before_the_next_one_arrives() {
    let (pki, env) = (Pki::new(), Env::new());
    let (go, gate) = std::sync::mpsc::channel::<()>();
    let gate = Mutex::new(gate);
    let server = serve(&pki, &env, move |req| {
        if req.query().is_some_and(|q| q.contains("continue=")) {
            // Later pages wait until the test has seen page 1 on stdout.
            let _ = gate.lock().unwrap().recv_timeout(WAIT);
        }
        pages(req)
    });
    let modes: [&[&str]; 2] = [&["-c"], &["--jq", ".items[].metadata.name"]];
    for args in modes {
        let names = args[0] == "--jq";
        let mut run = spawn(kcurl_std(&env).args(args).args(["--paginate", PODS]));
        let shown = |i: usize| {
            if names {
                ["a", "b", "c", "d", "e"][i].to_string()
            } else {
                ITEMS[i].to_string()
            }
        };
        assert_eq!(run.next_line(), Some(shown(0)));
        assert_eq!(run.next_line(), Some(shown(1)));
        go.send(()).unwrap();
        assert_eq!(run.next_line(), Some(shown(2)));
        assert_eq!(run.next_line(), Some(shown(3)));
        go.send(()).unwrap();
        let end = run.finish();
        assert_eq!(end.status.code(), Some(0), "{end:?}");
        assert_eq!(
            (end.stdout, end.stderr),
            (format!("{}\n", shown(4)), String::new())
        );
    }
    assert_eq!(server.requests().len(), 6);
}

#[test]
fn paginate_retries_a_throttled_page() {
    let (pki, env) = (Pki::new(), Env::new());
    let (_, handler) = sequenced(|n, req| match n {
        1 => too_many("0"),
        _ => pages(req),
    });
    let server = serve(&pki, &env, handler);
    kcurl(&env)
        .args(["--paginate", "-c", PODS])
        .assert()
        .code(0)
        .stdout(format!("{}\n", ITEMS.join("\n")))
        .stderr("kcurl: 429 Too Many Requests: retrying in 0ms (attempt 2 of 11)\n");
    assert_eq!(
        targets(&server),
        [
            format!("{PODS}?limit=500"),
            format!("{PODS}?limit=500&continue=c2%3D"),
            format!("{PODS}?limit=500&continue=c2%3D"),
            format!("{PODS}?limit=500&continue=c3"),
        ]
    );
}

/// Page 1, then a 410 Expired for its continue token; the full list (no limit, no continue)
/// has every item, some of them new.
fn expiring(req: &Request) -> Reply {
    let query = req.query().unwrap_or("");
    if query.contains("continue=") {
        return status_reply(
            410,
            "Expired",
            "The provided continue parameter is too old to display a consistent list result.",
        );
    }
    if query.contains("limit=") {
        return Reply::json(200, PAGE_1);
    }
    Reply::json(
        200,
        format!(
            r#"{{"kind":"PodList","apiVersion":"v1","metadata":{{"resourceVersion":"90"}},"items":[{},{},{},{}]}}"#,
            ITEMS[0], ITEMS[2], ITEMS[1], r#"{"metadata":{"name":"z","uid":"u-z"}}"#
        ),
    )
}

const EXPIRED_STATUS: &str = "kcurl: 410 Expired: The provided continue parameter is too old \
to display a consistent list result.\n";

const EXPIRED_NOTE: &str = "kcurl: the continue token expired after 1 page(s) (410 Expired): \
the list changed too much while paging; run again, or use --paginate=restart\n";

#[test]
fn paginate_expired_token_exits_4_with_the_first_pages_items_closed_as_a_list() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env, expiring);
    let out = kcurl(&env).args(["--paginate", PODS]).output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let printed: Value = serde_json::from_str(&stdout_of(&out))
        .unwrap_or_else(|e| panic!("stdout is not one JSON value ({e}):\n{}", stdout_of(&out)));
    assert_eq!(
        printed,
        json!({
            "kind": "PodList",
            "apiVersion": "v1",
            "metadata": {"resourceVersion": "77"},
            "items": [
                serde_json::from_str::<Value>(ITEMS[0]).unwrap(),
                serde_json::from_str::<Value>(ITEMS[1]).unwrap(),
            ],
        })
    );
    assert_eq!(stderr_of(&out), format!("{EXPIRED_STATUS}{EXPIRED_NOTE}"));
    assert_eq!(server.requests().len(), 2);

    // One item per line, or jq results: only page 1's, no Status among them.
    kcurl(&env)
        .args(["--paginate", "-c", PODS])
        .assert()
        .code(4)
        .stdout(format!("{}\n{}\n", ITEMS[0], ITEMS[1]))
        .stderr(format!("{EXPIRED_STATUS}{EXPIRED_NOTE}"));
    kcurl(&env)
        .args(["--paginate", "--jq", ".items[].metadata.name", PODS])
        .assert()
        .code(4)
        .stdout("a\nb\n")
        .stderr(format!("{EXPIRED_STATUS}{EXPIRED_NOTE}"));
}

#[test]
fn paginate_restart_falls_back_to_one_full_list_without_duplicates() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env, expiring);
    let out = kcurl(&env)
        .args(["--paginate=restart", "-P", "limit=2", PODS])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        targets(&server),
        [
            format!("{PODS}?limit=2"),
            format!("{PODS}?limit=2&continue=c2%3D"),
            PODS.to_string(),
        ]
    );
    let printed: Value = serde_json::from_str(&stdout_of(&out))
        .unwrap_or_else(|e| panic!("stdout is not one JSON value ({e}):\n{}", stdout_of(&out)));
    let names: Vec<&str> = printed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b", "c", "z"]);
    assert_eq!(printed["metadata"], json!({"resourceVersion": "77"}));
    assert_eq!(stderr_of(&out), RESTART_NOTE);

    // One item per line: the same union, each item once.
    kcurl(&env)
        .args(["--paginate=restart", "-c", PODS])
        .assert()
        .code(0)
        .stdout(format!(
            "{}\n{}\n{}\n{}\n",
            ITEMS[0], ITEMS[1], ITEMS[2], r#"{"metadata":{"name":"z","uid":"u-z"}}"#
        ))
        .stderr(RESTART_NOTE);
}

const RESTART_NOTE: &str = "kcurl: the continue token expired after 1 page(s); continuing \
with a full list (--paginate=restart), skipping items already printed\n";

#[test]
fn paginate_a_failed_first_page_prints_the_status_as_a_plain_request_would() {
    let (pki, env) = (Pki::new(), Env::new());
    let message = "pods is forbidden: User \"dev\" cannot list resource \"pods\"";
    let server = serve(&pki, &env, move |_| status_reply(403, "Forbidden", message));
    for compact in [false, true] {
        let mut cmd = kcurl(&env);
        if compact {
            cmd.arg("-c");
        }
        let status = if compact {
            format!("{}\n", status_json(403, "Forbidden", message))
        } else {
            pretty_status(403, "Forbidden", message)
        };
        cmd.args(["--paginate", PODS])
            .assert()
            .code(4)
            .stdout(status)
            .stderr(format!("kcurl: 403 Forbidden: {message}\n"));
    }
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn paginate_is_for_get_only() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env, pages);
    kcurl(&env)
        .args(["--paginate", "-X", "POST", PODS])
        .assert()
        .code(2)
        .stdout("")
        .stderr("kcurl: error: --paginate follows list pages with GET, not -X POST\n");
    assert_eq!(server.requests().len(), 0);
}

// ---------------------------------------------------------------------------------------------
// Retries

fn too_many(after: &str) -> Reply {
    status_reply(429, "TooManyRequests", "slow down").header("Retry-After", after)
}

#[test]
fn retry_after_is_honoured_then_the_answer_is_printed() {
    let (pki, env) = (Pki::new(), Env::new());
    let (times, handler) = sequenced(|n, _| match n {
        0 => too_many("1"),
        _ => Reply::json(200, r#"{"ok":true}"#),
    });
    let server = serve(&pki, &env, handler);
    kcurl(&env)
        .arg("/x")
        .assert()
        .code(0)
        .stdout("{\n  \"ok\": true\n}\n")
        .stderr("kcurl: 429 Too Many Requests: retrying in 1s (attempt 2 of 11)\n");
    assert_eq!(server.requests().len(), 2);
    let times = times.lock().unwrap();
    let gap = times[1] - times[0];
    assert!(
        gap >= Duration::from_secs(1) && gap < Duration::from_secs(5),
        "{gap:?}"
    );
}

#[test]
fn at_most_ten_default_retries() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env, |_| too_many("0"));
    let out = kcurl(&env).arg("/x").output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(server.requests().len(), 11);
    let mut expected: String = (2..=11)
        .map(|n| format!("kcurl: 429 Too Many Requests: retrying in 0ms (attempt {n} of 11)\n"))
        .collect();
    expected.push_str("kcurl: 429 TooManyRequests: slow down\n");
    assert_eq!(stderr_of(&out), expected);
    let status: Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(status["code"], 429);
}

#[test]
fn a_5xx_without_retry_after_is_retried_only_with_retry() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env, |_| {
        status_reply(503, "ServiceUnavailable", "try later")
    });
    kcurl(&env)
        .arg("/x")
        .assert()
        .code(5)
        .stderr("kcurl: 503 ServiceUnavailable: try later\n");
    assert_eq!(server.requests().len(), 1);

    let out = kcurl(&env).args(["--retry", "2", "/x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(server.requests().len(), 1 + 3);
    let stderr = stderr_of(&out);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    for (line, n) in lines[..2].iter().zip(2..) {
        assert!(
            line.starts_with("kcurl: 503 Service Unavailable: retrying in ")
                && line.ends_with(&format!(" (attempt {n} of 3)")),
            "{stderr}"
        );
    }
    assert_eq!(lines[2], "kcurl: 503 ServiceUnavailable: try later");
}

#[test]
fn post_is_retried_only_when_it_certainly_was_not_processed() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env, |_| {
        status_reply(503, "ServiceUnavailable", "try later").header("Retry-After", "0")
    });
    kcurl(&env)
        .args(["--retry", "3", "-d", r#"{"a":1}"#, "/x"])
        .assert()
        .code(5)
        .stderr("kcurl: 503 ServiceUnavailable: try later\n");
    assert_eq!(server.requests().len(), 1);

    let (pki, env) = (Pki::new(), Env::new());
    let (_, handler) = sequenced(|n, _| match n {
        0 | 1 => too_many("0"),
        _ => Reply::json(201, r#"{"created":true}"#),
    });
    let server = serve(&pki, &env, handler);
    kcurl(&env)
        .args(["-d", r#"{"a":1}"#, "/x"])
        .assert()
        .code(0)
        .stdout("{\n  \"created\": true\n}\n")
        .stderr(
            "kcurl: 429 Too Many Requests: retrying in 0ms (attempt 2 of 11)\n\
             kcurl: 429 Too Many Requests: retrying in 0ms (attempt 3 of 11)\n",
        );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    for req in &reqs {
        assert_eq!(
            (req.method.as_str(), req.body_str().as_str()),
            ("POST", r#"{"a":1}"#)
        );
        assert_eq!(req.header("content-length"), Some("7"));
    }
}

#[test]
fn a_body_from_stdin_is_replayed_on_every_retry() {
    let (pki, env) = (Pki::new(), Env::new());
    let (_, handler) = sequenced(|n, _| match n {
        0 => status_reply(503, "ServiceUnavailable", "busy"),
        _ => Reply::json(200, "{}"),
    });
    let server = serve(&pki, &env, handler);
    kcurl(&env)
        .args(["-X", "PUT", "-d", "@-", "--retry", "1", "/x"])
        .write_stdin(r#"{"kind":"Pod","spec":{}}"#)
        .assert()
        .code(0);
    let bodies: Vec<String> = server.requests().iter().map(Request::body_str).collect();
    assert_eq!(bodies, [r#"{"kind":"Pod","spec":{}}"#; 2]);
}

#[test]
fn retry_0_turns_off_even_the_default_retries() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env, |_| too_many("0"));
    kcurl(&env)
        .args(["--retry", "0", "/x"])
        .assert()
        .code(4)
        .stderr("kcurl: 429 TooManyRequests: slow down\n");
    assert_eq!(server.requests().len(), 1);
}

/// A port on 127.0.0.1 where nothing listens (it was free a moment ago).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// kcurl's message for a refused connection to `port`.
fn refused(port: u16) -> String {
    format!(
        "https://127.0.0.1:{port}/x: connection refused by 127.0.0.1:{port}; \
         is the API server running there (right host and port)?"
    )
}

/// Checks that `line` is kcurl's note for retry `attempt` (of `of`) after a refused connection
/// to `port`, and returns the wait it announces.
fn refused_note(line: &str, port: u16, attempt: u32, of: u32) -> Duration {
    let wait = line
        .strip_prefix(&format!(
            "kcurl: https://127.0.0.1:{port}/x: connection refused: retrying in "
        ))
        .and_then(|l| l.strip_suffix(&format!(" (attempt {attempt} of {of})")))
        .unwrap_or_else(|| panic!("not the note for attempt {attempt} of {of}: {line}"));
    match wait.strip_suffix("ms") {
        Some(ms) => Duration::from_millis(ms.parse().unwrap()),
        None => Duration::from_secs_f64(wait.strip_suffix('s').unwrap().parse().unwrap()),
    }
}

/// A kcurl process whose stderr is read line by line while it runs.
struct Watched {
    child: Child,
    stderr: Receiver<String>,
}

impl Watched {
    fn start(cmd: &mut Command) -> Watched {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let err = child.stderr.take().unwrap();
        let (tx, stderr) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Watched { child, stderr }
    }

    fn next_stderr_line(&mut self) -> String {
        match self.stderr.recv_timeout(WAIT) {
            Ok(line) => line,
            Err(e) => {
                let _ = self.child.kill();
                panic!("no stderr line within {WAIT:?}: {e:?}");
            }
        }
    }

    /// Waits for the exit; returns the exit code, stdout and the stderr lines not yet read.
    fn finish(mut self) -> (Option<i32>, String, Vec<String>) {
        let mut stdout = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        let mut rest = Vec::new();
        loop {
            match self.stderr.recv_timeout(WAIT) {
                Ok(line) => rest.push(line),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    let _ = self.child.kill();
                    panic!("stderr still open after {WAIT:?}");
                }
            }
        }
        let status = self.child.wait().unwrap();
        (status.code(), stdout, rest)
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Accepts one connection on `listener` and relays it, both ways, to `port`.
fn relay_once(listener: TcpListener, port: u16) {
    std::thread::spawn(move || {
        let Ok((client, _)) = listener.accept() else {
            return;
        };
        drop(listener);
        let server = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (mut c_read, mut s_write) = (client.try_clone().unwrap(), server.try_clone().unwrap());
        let up = std::thread::spawn(move || {
            let _ = std::io::copy(&mut c_read, &mut s_write);
            let _ = s_write.shutdown(std::net::Shutdown::Write);
        });
        let (mut s_read, mut c_write) = (server, client);
        let _ = std::io::copy(&mut s_read, &mut c_write);
        let _ = c_write.flush();
        let _ = c_write.shutdown(std::net::Shutdown::Write);
        let _ = up.join();
    });
}

#[test]
fn retry_reaches_a_server_that_comes_up_late() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki)
        .handler(|_| Reply::json(200, r#"{"up":true}"#))
        .start();
    let port = free_port();
    token_kubeconfig(&env, &pki, &format!("https://127.0.0.1:{port}"));
    let mut run = Watched::start(kcurl_std(&env).args(["--retry", "5", "/x"]));
    // The first attempt was refused: kcurl says so and waits (at most 0.5 s) to retry.
    let wait = refused_note(&run.next_stderr_line(), port, 2, 6);
    assert!(wait < Duration::from_millis(500), "{wait:?}");
    // Only now does anything listen on the port.
    relay_once(
        TcpListener::bind(("127.0.0.1", port)).unwrap(),
        server.port(),
    );
    let (code, stdout, rest) = run.finish();
    assert_eq!(code, Some(0), "{rest:?}");
    assert_eq!(stdout, "{\n  \"up\": true\n}\n");
    // Almost always the second attempt gets through; if its wait was ~0 ms it may have been
    // refused as well, before the bind.
    for line in &rest {
        refused_note(line, port, 3, 6);
    }
    assert!(rest.len() <= 1, "{rest:?}");
    assert_eq!(server.only_request().target, "/x");
}

#[test]
fn retry_max_time_bounds_the_retries_of_a_refused_connection() {
    let env = Env::new();
    let pki = Pki::new();
    let port = free_port();
    token_kubeconfig(&env, &pki, &format!("https://127.0.0.1:{port}"));
    let started = Instant::now();
    let out = kcurl(&env)
        .args(["--retry", "10", "--retry-max-time", "1", "/x"])
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(6), "{out:?}");
    let stderr = stderr_of(&out);
    let lines: Vec<&str> = stderr.lines().collect();
    let (last, notes) = lines.split_last().unwrap();
    assert_eq!(*last, format!("kcurl: error: {}", refused(port)));
    // Backoff ceilings 0.5 s, 1 s, 2 s, ...: only retries whose waits end within 1 s of the
    // first attempt are made, so a few, never all ten.
    assert!(!notes.is_empty() && notes.len() < 10, "{stderr}");
    let waited: Duration = notes
        .iter()
        .zip(2..)
        .map(|(note, n)| refused_note(note, port, n, 11))
        .sum();
    assert!(waited <= Duration::from_secs(1), "{stderr}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    // Without --retry, a refused connection is not retried at all.
    kcurl(&env)
        .arg("/x")
        .assert()
        .code(6)
        .stderr(format!("kcurl: error: {}\n", refused(port)));
}

// ---------------------------------------------------------------------------------------------
// --until

fn deployment(ready: u32) -> Reply {
    Reply::json(
        200,
        format!(
            r#"{{"kind":"Deployment","metadata":{{"name":"web"}},"spec":{{"replicas":3}},"status":{{"readyReplicas":{ready}}}}}"#
        ),
    )
}

const ROLLED_OUT: &str = ".status.readyReplicas == .spec.replicas";
const WEB: &str = "/apis/apps/v1/namespaces/default/deployments/web";

#[test]
fn until_polls_until_the_condition_holds_and_prints_the_object() {
    let (pki, env) = (Pki::new(), Env::new());
    let (times, handler) = sequenced(|n, _| deployment(n as u32 + 1));
    let server = serve(&pki, &env, handler);
    kcurl(&env)
        .args(["--until", ROLLED_OUT, "--interval", "0.1", WEB])
        .assert()
        .code(0)
        .stdout(
            r#"{
  "kind": "Deployment",
  "metadata": {
    "name": "web"
  },
  "spec": {
    "replicas": 3
  },
  "status": {
    "readyReplicas": 3
  }
}
"#,
        )
        .stderr("");
    assert_eq!(targets(&server), [WEB; 3]);
    // One TCP+TLS connection serves every poll.
    assert_eq!(connections(&server), [1, 1, 1]);
    let times = times.lock().unwrap();
    for pair in times.windows(2) {
        assert!(pair[1] - pair[0] >= Duration::from_millis(100), "{times:?}");
    }
}

#[test]
fn until_waits_for_an_object_to_be_created() {
    let (pki, env) = (Pki::new(), Env::new());
    let (_, handler) = sequenced(|n, _| match n {
        0 | 1 => status_reply(404, "NotFound", "deployments.apps \"web\" not found"),
        _ => deployment(3),
    });
    let server = serve(&pki, &env, handler);
    kcurl(&env)
        .args(["--until", ROLLED_OUT, "--interval", "0.05", "-c", WEB])
        .assert()
        .code(0)
        .stdout(
            "{\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\"},\"spec\":{\"replicas\":3},\"status\":{\"readyReplicas\":3}}\n",
        )
        .stderr("");
    // The 404 bodies are read, so their connection serves the next poll too.
    assert_eq!(connections(&server), [1, 1, 1]);
}

#[test]
fn until_times_out_with_exit_8_and_the_last_value() {
    let (pki, env) = (Pki::new(), Env::new());
    let (times, handler) = sequenced(|_, _| deployment(1));
    let server = serve(&pki, &env, handler);
    let started = Instant::now();
    let out = kcurl(&env)
        .args([
            "--until",
            ".status.readyReplicas >= 3",
            "--timeout",
            "1",
            "--interval",
            "0.2",
            WEB,
        ])
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(8), "{out:?}");
    assert_eq!(stdout_of(&out), "");
    assert_eq!(
        stderr_of(&out),
        format!(
            "kcurl: error: {}{WEB}: .status.readyReplicas >= 3 was not true within 1s \
             (last value: false)\n",
            server.url()
        )
    );
    // Polled every 0.2 s (about 5 times) for 1 s, and gave up at the deadline.
    let times = times.lock().unwrap();
    assert!((3..=6).contains(&times.len()), "{} polls", times.len());
    for pair in times.windows(2) {
        assert!(pair[1] - pair[0] >= Duration::from_millis(200), "{times:?}");
    }
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[test]
fn until_with_jq_prints_the_filtered_final_object() {
    let (pki, env) = (Pki::new(), Env::new());
    let (_, handler) = sequenced(|n, _| deployment(n as u32 + 2));
    let server = serve(&pki, &env, handler);
    kcurl(&env)
        .args([
            "--until",
            ROLLED_OUT,
            "--interval",
            "0.05",
            "--jq",
            r#""\(.metadata.name) \(.status.readyReplicas)/\(.spec.replicas)""#,
            WEB,
        ])
        .assert()
        .code(0)
        .stdout("web 3/3\n")
        .stderr("");
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn until_deleted_waits_for_a_404() {
    let (pki, env) = (Pki::new(), Env::new());
    let (_, handler) = sequenced(|n, _| match n {
        0 | 1 => deployment(3),
        _ => status_reply(404, "NotFound", "deployments.apps \"web\" not found"),
    });
    let server = serve(&pki, &env, handler);
    kcurl(&env)
        .args(["--until-deleted", "--interval", "0.05", WEB])
        .assert()
        .code(0)
        .stdout("")
        .stderr("");
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn until_deleted_times_out_on_an_object_that_stays() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env, |_| deployment(3));
    kcurl(&env)
        .args([
            "--until-deleted",
            "--timeout",
            "0.5",
            "--interval",
            "0.1",
            WEB,
        ])
        .assert()
        .code(8)
        .stdout("")
        .stderr(format!(
            "kcurl: error: {}{WEB}: the object was not deleted within 0.5s \
             (last value: 200 (still exists))\n",
            server.url()
        ));
    assert!(server.requests().len() >= 2);
}

#[test]
fn until_stops_at_once_on_a_forbidden_answer() {
    let (pki, env) = (Pki::new(), Env::new());
    let forbidden = "deployments.apps \"web\" is forbidden: User \"dev\" cannot get resource";
    let server = serve(&pki, &env, move |_| {
        status_reply(403, "Forbidden", forbidden)
    });
    kcurl(&env)
        .args(["--until", ROLLED_OUT, "--interval", "0.05", WEB])
        .assert()
        .code(4)
        .stdout(pretty_status(403, "Forbidden", forbidden))
        .stderr(format!("kcurl: 403 Forbidden: {forbidden}\n"));
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn until_timeout_also_bounds_a_request_that_gets_no_answer() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env, |_| Reply::NeverAnswer);
    let started = Instant::now();
    kcurl(&env)
        .args(["--until", ROLLED_OUT, "--timeout", "0.5", WEB])
        .assert()
        .code(8)
        .stdout("")
        .stderr(format!(
            "kcurl: error: {}{WEB}: {ROLLED_OUT} was not true within 0.5s \
             (last value: no response yet)\n",
            server.url()
        ));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_eq!(server.requests().len(), 1);
}
