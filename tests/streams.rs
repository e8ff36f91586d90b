//! Streams and the output flags, through the real binary: `-w` watches printed event by event
//! (pretty, `-c`, `-o yaml`), a watch's ERROR event, a `follow=true` log written through as it
//! arrives, Ctrl-C ending a stream with exit 130, `-c` and `-o yaml` on plain responses,
//! `--table`/`--wide` rendered like `kubectl get`, and `-i`.
//!
//! Whether an event is printed before the next one exists is checked by sending the next one
//! only after kcurl printed the previous one ([`OnceStream`] + [`spawn`]).

use crate::support::*;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};

const ADDED: &str = r#"{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a"}}}"#;
const ADDED_PRETTY: &str = "{\n  \"type\": \"ADDED\",\n  \"object\": {\n    \"kind\": \"Pod\",\n    \"metadata\": {\n      \"name\": \"a\"\n    }\n  }\n}\n";
const DELETED: &str = r#"{"type":"DELETED","object":{"kind":"Pod","metadata":{"name":"a"}}}"#;
const DELETED_PRETTY: &str = "{\n  \"type\": \"DELETED\",\n  \"object\": {\n    \"kind\": \"Pod\",\n    \"metadata\": {\n      \"name\": \"a\"\n    }\n  }\n}\n";

/// `ev` followed by the newline that ends a watch event.
fn event(ev: &str) -> Vec<u8> {
    format!("{ev}\n").into_bytes()
}

#[test]
fn watch_adds_watch_1_and_prints_each_event_before_the_next_is_sent() {
    let (pki, env) = (Pki::new(), Env::new());
    let (events, watch) = OnceStream::new();
    // The Content-Type the API server gives watches.
    let server = serve(&pki, &env, move |_| {
        watch
            .reply(200)
            .set_header("Content-Type", "application/json;stream=watch")
    });
    let mut kcurl = spawn(kcurl_std(&env).args(["-w", "/api/v1/namespaces/default/pods"]));
    events.send(event(ADDED)).unwrap();
    // Event 2 does not exist yet: event 1 can only be on stdout because kcurl flushed it.
    assert_eq!(kcurl.lines_until("}"), ADDED_PRETTY);
    assert_eq!(
        server.only_request().target,
        "/api/v1/namespaces/default/pods?watch=1"
    );
    events.send(event(DELETED)).unwrap();
    assert_eq!(kcurl.lines_until("}"), DELETED_PRETTY);
    drop(events);
    let end = kcurl.finish();
    assert_eq!(end.status.code(), Some(0), "{end:?}");
    assert_eq!((end.stdout.as_str(), end.stderr.as_str()), ("", ""));
}

#[test]
fn watch_already_in_the_path_is_not_added_twice() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env, |_| {
        Reply::json(200, format!("{ADDED}\n{DELETED}\n"))
    });
    for (args, target) in [
        (
            &["-w", "/api/v1/pods?watch=true"][..],
            "/api/v1/pods?watch=true",
        ),
        (
            &["-w", "/api/v1/pods?limit=1&watch=1"][..],
            "/api/v1/pods?limit=1&watch=1",
        ),
        (
            &["-w", "-P", "watch=true", "/api/v1/pods"][..],
            "/api/v1/pods?watch=true",
        ),
    ] {
        kcurl(&env)
            .args(args)
            .assert()
            .code(0)
            .stdout(format!("{ADDED_PRETTY}{DELETED_PRETTY}"))
            .stderr("");
        assert_eq!(server.requests().pop().unwrap().target, target, "{args:?}");
    }
}

#[test]
fn watch_compact_prints_one_event_per_line() {
    let (pki, env) = (Pki::new(), Env::new());
    let (events, watch) = OnceStream::new();
    let _server = serve(&pki, &env, move |_| watch.reply(200));
    let mut kcurl = spawn(kcurl_std(&env).args(["-w", "-c", "/api/v1/pods"]));
    // Spacing inside an event is the server's; -c prints each event as one compact line, even
    // when it arrives in pieces.
    events.send(b"{\"type\": \"ADDED\", ".to_vec()).unwrap();
    events
        .send(b"\"object\": {\"kind\": \"Pod\"}}\n".to_vec())
        .unwrap();
    assert_eq!(
        kcurl.next_line().as_deref(),
        Some(r#"{"type":"ADDED","object":{"kind":"Pod"}}"#)
    );
    events.send(event(DELETED)).unwrap();
    assert_eq!(kcurl.next_line().as_deref(), Some(DELETED));
    drop(events);
    let end = kcurl.finish();
    assert_eq!(end.status.code(), Some(0), "{end:?}");
    assert_eq!((end.stdout.as_str(), end.stderr.as_str()), ("", ""));
}

#[test]
fn a_watch_error_event_gives_its_status_message_and_exit_code() {
    let (pki, env) = (Pki::new(), Env::new());
    let (events, watch) = OnceStream::new();
    let _server = serve(&pki, &env, move |_| watch.reply(200));
    let mut kcurl = spawn(kcurl_std(&env).args(["-w", "-c", "/api/v1/pods?resourceVersion=1"]));
    events.send(event(ADDED)).unwrap();
    assert_eq!(kcurl.next_line().as_deref(), Some(ADDED));
    let error = format!(
        r#"{{"type":"ERROR","object":{}}}"#,
        status_json(410, "Expired", "too old resource version: 1 (2345)")
    );
    events.send(event(&error)).unwrap();
    drop(events);
    let end = kcurl.finish();
    assert_eq!(end.status.code(), Some(4), "{end:?}");
    // The ERROR event itself is output like any other event.
    assert_eq!(end.stdout, format!("{error}\n"));
    assert_eq!(
        end.stderr,
        "kcurl: watch ended with an ERROR event: 410 Expired: too old resource version: 1 (2345)\n"
    );
}

#[test]
fn a_followed_log_is_written_through_as_it_arrives() {
    let (pki, env) = (Pki::new(), Env::new());
    let (lines, log) = OnceStream::new();
    let server = serve(&pki, &env, move |_| {
        log.reply(200)
            .set_header("Content-Type", "text/plain; charset=utf-8")
    });
    let mut kcurl = spawn(kcurl_std(&env).args([
        "-P",
        "follow=true",
        "/api/v1/namespaces/{ns}/pods/web-0/log",
    ]));
    lines
        .send(b"2025-01-01T00:00:00Z starting\n".to_vec())
        .unwrap();
    assert_eq!(
        kcurl.next_line().as_deref(),
        Some("2025-01-01T00:00:00Z starting")
    );
    assert_eq!(
        server.only_request().target,
        "/api/v1/namespaces/default/pods/web-0/log?follow=true"
    );
    // Not JSON even if it looks like it: written as is, pieces as they come.
    lines.send(b"{\"level\":".to_vec()).unwrap();
    lines.send(b" \"info\"}\n".to_vec()).unwrap();
    assert_eq!(kcurl.next_line().as_deref(), Some("{\"level\": \"info\"}"));
    lines.send(b"last, no newline".to_vec()).unwrap();
    drop(lines);
    let end = kcurl.finish();
    assert_eq!(end.status.code(), Some(0), "{end:?}");
    assert_eq!(
        (end.stdout.as_str(), end.stderr.as_str()),
        ("last, no newline", "")
    );
}

/// kcurl started with its pid known (to signal it), stdout read line by line on a thread.
struct Signalable {
    child: Child,
    lines: Receiver<String>,
}

impl Signalable {
    fn start(cmd: &mut Command) -> Signalable {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start kcurl");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Signalable { child, lines }
    }

    /// The next stdout line; `None` at EOF; panics (the child is killed on drop) after WAIT.
    fn next_line(&self) -> Option<String> {
        match self.lines.recv_timeout(WAIT) {
            Ok(l) => Some(l),
            Err(RecvTimeoutError::Disconnected) => None,
            Err(RecvTimeoutError::Timeout) => panic!("no stdout line within {WAIT:?}"),
        }
    }
}

impl Drop for Signalable {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn ctrl_c_ends_a_watch_with_exit_130_after_what_was_received() {
    let (pki, env) = (Pki::new(), Env::new());
    let (events, watch) = OnceStream::new();
    let _server = serve(&pki, &env, move |_| watch.reply(200));
    let mut kcurl = Signalable::start(kcurl_std(&env).args(["-w", "-c", "/api/v1/pods"]));
    events.send(event(ADDED)).unwrap();
    assert_eq!(kcurl.next_line().as_deref(), Some(ADDED));
    let pid = kcurl.child.id().to_string();
    let kill = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(kill.success());
    // The stream is still open (events is alive): only the signal can end kcurl.
    assert_eq!(kcurl.next_line(), None);
    let status = wait_with_timeout(&mut kcurl.child);
    assert_eq!(status.code(), Some(130), "{status:?}");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut kcurl.child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(stderr, "");
    drop(events);
}

/// Waits for `child` to exit (it already closed stdout); panics after WAIT.
fn wait_with_timeout(child: &mut Child) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "kcurl still running {WAIT:?} after closing stdout"
        );
        std::thread::yield_now();
    }
}

const POD: &str = r#"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-0","labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27","ports":[{"containerPort":80}]}]},"status":{"phase":"Running","ready":true,"ip":null}}"#;

#[test]
fn compact_prints_a_plain_response_on_one_line() {
    let (pki, env) = (Pki::new(), Env::new());
    let _server = serve(&pki, &env, |_| {
        Reply::json(
            200,
            "{\n  \"kind\": \"Pod\",\n  \"n\": [1, 2e3,\t-0.50]\n}\n",
        )
    });
    kcurl(&env)
        .args(["-c", "/api/v1/namespaces/default/pods/web-0"])
        .assert()
        .code(0)
        .stdout("{\"kind\":\"Pod\",\"n\":[1,2e3,-0.50]}\n")
        .stderr("");
}

/// [`POD`] as `-o yaml` prints it (keys sorted, as kubectl's YAML output has them).
const POD_YAML: &str = "\
apiVersion: v1
kind: Pod
metadata:
  labels:
    app: web
  name: web-0
spec:
  containers:
  - image: nginx:1.27
    name: web
    ports:
    - containerPort: 80
status:
  ip: null
  phase: Running
  ready: true
";

#[test]
fn output_yaml_prints_an_object_as_yaml() {
    let (pki, env) = (Pki::new(), Env::new());
    let _server = serve(&pki, &env, |_| Reply::json(200, POD));
    kcurl(&env)
        .args(["-o", "yaml", "/api/v1/namespaces/default/pods/web-0"])
        .assert()
        .code(0)
        .stdout(POD_YAML)
        .stderr("");
}

#[test]
fn output_yaml_keeps_big_integers_and_converts_what_serde_json_refuses() {
    let (pki, env) = (Pki::new(), Env::new());
    let body = r#"{"kind":"List","items":[{"num":123456789012345678901234567890,"f":1e400}],"metadata":{}}"#;
    let _server = serve(&pki, &env, move |_| Reply::json(200, body));
    kcurl(&env)
        .args(["-o", "yaml", "/api/v1/pods"])
        .assert()
        .code(0)
        .stdout(
            "items:\n- f: .inf\n  num: 123456789012345678901234567890\nkind: List\nmetadata: {}\n",
        )
        .stderr("");
}

#[test]
fn output_yaml_prints_each_watch_event_as_a_document() {
    let (pki, env) = (Pki::new(), Env::new());
    let (events, watch) = OnceStream::new();
    let _server = serve(&pki, &env, move |_| watch.reply(200));
    let mut kcurl = spawn(kcurl_std(&env).args(["-w", "-o", "yaml", "/api/v1/pods"]));
    events.send(event(ADDED)).unwrap();
    assert_eq!(
        kcurl.lines_until("type: ADDED"),
        "---\nobject:\n  kind: Pod\n  metadata:\n    name: a\ntype: ADDED\n"
    );
    events.send(event(DELETED)).unwrap();
    assert_eq!(
        kcurl.lines_until("type: DELETED"),
        "---\nobject:\n  kind: Pod\n  metadata:\n    name: a\ntype: DELETED\n"
    );
    drop(events);
    let end = kcurl.finish();
    assert_eq!(end.status.code(), Some(0), "{end:?}");
    assert_eq!((end.stdout.as_str(), end.stderr.as_str()), ("", ""));
}

#[test]
fn output_yaml_with_compact_is_a_usage_error() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env, |_| Reply::json(200, POD));
    let out = kcurl(&env)
        .args(["-o", "yaml", "-c", "/api/v1/pods"])
        .assert()
        .code(2)
        .stdout("")
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr,
        "kcurl: error: -c prints JSON; it does not go with -o yaml\n"
    );
    assert!(server.requests().is_empty());
    // -o json -c is simply compact JSON.
    kcurl(&env)
        .args(["-o", "json", "-c", "/api/v1/pods"])
        .assert()
        .code(0);
}

/// A Table as the API server renders pods (`kubectl get pods`), one priority-1 column.
fn pod_table(rows: &str) -> String {
    format!(
        r#"{{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{{"resourceVersion":"9"}},"columnDefinitions":[{{"name":"Name","type":"string","format":"name","description":"Name","priority":0}},{{"name":"Ready","type":"string","format":"","description":"ready","priority":0}},{{"name":"Status","type":"string","format":"","description":"status","priority":0}},{{"name":"Restarts","type":"string","format":"","description":"restarts","priority":0}},{{"name":"Age","type":"string","format":"","description":"age","priority":0}},{{"name":"IP","type":"string","format":"","description":"ip","priority":1}},{{"name":"Node","type":"string","format":"","description":"node","priority":1}}],"rows":[{rows}]}}"#
    )
}

const POD_ROWS: &str = r#"{"cells":["web-0","1/1","Running",0,"5d","10.244.0.5","node-a"],"object":{"kind":"PartialObjectMetadata"}},{"cells":["database-primary-0","0/1","Pending",12,"12s",null,"node-b"],"object":{"kind":"PartialObjectMetadata"}}"#;

#[test]
fn table_asks_for_a_table_and_prints_it_like_kubectl_get() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env, |_| {
        Reply::json(200, pod_table(POD_ROWS)).set_header(
            "Content-Type",
            "application/json;as=Table;v=v1;g=meta.k8s.io",
        )
    });
    kcurl(&env)
        .args(["--table", "/api/v1/namespaces/default/pods"])
        .assert()
        .code(0)
        .stdout(
            "NAME                 READY   STATUS    RESTARTS   AGE\n\
             web-0                1/1     Running   0          5d\n\
             database-primary-0   0/1     Pending   12         12s\n",
        )
        .stderr("");
    let req = server.only_request();
    assert_eq!(
        req.header_all("accept"),
        vec!["application/json;as=Table;v=v1;g=meta.k8s.io, application/json"]
    );
    assert_eq!(req.target, "/api/v1/namespaces/default/pods");

    kcurl(&env)
        .args(["--table", "--wide", "/api/v1/namespaces/default/pods"])
        .assert()
        .code(0)
        .stdout(
            "NAME                 READY   STATUS    RESTARTS   AGE   IP           NODE\n\
             web-0                1/1     Running   0          5d    10.244.0.5   node-a\n\
             database-primary-0   0/1     Pending   12         12s   <none>       node-b\n",
        )
        .stderr("");
}

#[test]
fn table_with_no_rows_says_no_resources_found() {
    let (pki, env) = (Pki::new(), Env::new());
    let _server = serve(&pki, &env, |_| Reply::json(200, pod_table("")));
    kcurl(&env)
        .args(["--table", "/api/v1/namespaces/default/pods"])
        .assert()
        .code(0)
        .stdout("")
        .stderr("No resources found.\n");
}

#[test]
fn table_falls_back_to_json_with_a_warning_when_the_server_sends_no_table() {
    let (pki, env) = (Pki::new(), Env::new());
    let _server = serve(&pki, &env, |_| {
        Reply::json(200, r#"{"kind":"PodList","items":[]}"#)
    });
    kcurl(&env)
        .args(["--table", "/api/v1/namespaces/default/pods"])
        .assert()
        .code(0)
        .stdout("{\n  \"kind\": \"PodList\",\n  \"items\": []\n}\n")
        .stderr(
            "kcurl: warning: the server did not return a Table for this request; printing the response as is\n",
        );
}

#[test]
fn include_prints_the_status_line_and_headers_before_the_body() {
    let (pki, env) = (Pki::new(), Env::new());
    let _server = serve(&pki, &env, |_| {
        Reply::json(200, r#"{"kind":"Pod"}"#).header("Audit-Id", "5f0c-11")
    });
    kcurl(&env)
        .args(["-i", "/api/v1/namespaces/default/pods/web-0"])
        .assert()
        .code(0)
        .stdout(
            "HTTP/1.1 200 OK\r\n\
             content-type: application/json\r\n\
             audit-id: 5f0c-11\r\n\
             content-length: 14\r\n\
             \r\n\
             {\n  \"kind\": \"Pod\"\n}\n",
        )
        .stderr("");
}

#[test]
fn a_watch_bounded_by_timeout_is_ended_by_the_server_and_exits_0() {
    // A CI step watching for N seconds must be able to succeed: kcurl asks the server to end
    // the watch (timeoutSeconds), as the API server then does, cleanly.
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env, |req| {
        if req.query().is_some_and(|q| q.contains("timeoutSeconds=")) {
            Reply::json(200, "{\"type\":\"ADDED\",\"object\":{}}\n")
                .set_header("Content-Type", "application/json;stream=watch")
        } else {
            status_reply(400, "BadRequest", "this test wants timeoutSeconds")
        }
    });
    kcurl(&env)
        .args(["-w", "-c", "--timeout", "1.5", "/api/v1/pods"])
        .assert()
        .code(0)
        .stdout("{\"type\":\"ADDED\",\"object\":{}}\n")
        .stderr("");
    // Whole seconds, rounded up; a timeoutSeconds already given is kept as it is.
    kcurl(&env)
        .args([
            "-c",
            "--timeout",
            "30",
            "/api/v1/pods?watch=1&timeoutSeconds=7",
        ])
        .assert()
        .code(0);
    let queries: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.query().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        queries,
        ["watch=1&timeoutSeconds=2", "watch=1&timeoutSeconds=7"]
    );
}
