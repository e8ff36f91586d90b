//! What kcurl prints, through the real binary: JSON pretty-printed (streamed, in constant
//! memory, flushed per value), `--raw` and non-JSON bodies byte for byte, gzip decoded, colour
//! only when asked or on a terminal, `Warning:` headers and error statuses on stderr with
//! server text neutralised, a body cut off mid-way, `HEAD`, and a closed stdout pipe.

use crate::support::*;

use std::io::{self, Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// A small document with every kind of JSON token, compact and with odd spacing.
const DOC: &str = r#"{"kind":"Thing", "n":1e3,"f":-0.50,"s":"\u00e9\"q\"","t":true,"z":null,"a":[1,[],{}],"o":{"k":"v"}}"#;

/// [`DOC`] as kcurl prints it: serde_json's pretty layout, tokens unchanged, then `\n`.
const DOC_PRETTY: &str = r#"{
  "kind": "Thing",
  "n": 1e3,
  "f": -0.50,
  "s": "\u00e9\"q\"",
  "t": true,
  "z": null,
  "a": [
    1,
    [],
    {}
  ],
  "o": {
    "k": "v"
  }
}
"#;

#[test]
fn json_is_pretty_printed_exactly() {
    let (pki, env) = (Pki::new(), Env::new());
    let _server = serve(&pki, &env, |_| Reply::json(200, DOC));
    kcurl(&env)
        .arg("/thing")
        .assert()
        .code(0)
        .stdout(DOC_PRETTY)
        .stderr("");
}

#[test]
fn raw_writes_the_body_byte_for_byte() {
    let (pki, env) = (Pki::new(), Env::new());
    let _server = serve(&pki, &env, |_| Reply::json(200, DOC));
    // No formatting, and no newline added at the end.
    kcurl(&env)
        .args(["--raw", "/thing"])
        .assert()
        .code(0)
        .stdout(DOC)
        .stderr("");
    // Not even colour when asked for.
    kcurl(&env)
        .args(["--raw", "--color", "always", "/thing"])
        .assert()
        .code(0)
        .stdout(DOC);
}

#[test]
fn bodies_that_are_not_json_pass_through_untouched() {
    let (pki, env) = (Pki::new(), Env::new());
    let binary: Vec<u8> = (0..=255u8).rev().chain(0..=255).collect();
    let proto = binary.clone();
    let _server = serve(&pki, &env, move |req| match req.path() {
        "/log" => Reply::text(
            200,
            "line one\n  {\"looks\":\"like json\"}\nno newline at the end",
        ),
        "/proto" => Reply::new(200)
            .header("Content-Type", "application/vnd.kubernetes.protobuf")
            .body(proto.clone()),
        _ => Reply::new(200).body(DOC),
    });
    kcurl(&env)
        .arg("/log")
        .assert()
        .code(0)
        .stdout("line one\n  {\"looks\":\"like json\"}\nno newline at the end")
        .stderr("");
    kcurl(&env)
        .arg("/proto")
        .assert()
        .code(0)
        .stdout(binary)
        .stderr("");
    // No Content-Type at all: not known to be JSON, so untouched.
    kcurl(&env)
        .arg("/untyped")
        .assert()
        .code(0)
        .stdout(DOC)
        .stderr("");
}

#[test]
fn structured_json_types_are_pretty_printed() {
    let (pki, env) = (Pki::new(), Env::new());
    let _server = serve(&pki, &env, |req| {
        let ct = match req.path() {
            "/merge" => "application/merge-patch+json",
            _ => "application/json;as=Table;v=v1;g=meta.k8s.io",
        };
        Reply::json(200, DOC).set_header("Content-Type", ct)
    });
    for path in ["/merge", "/table"] {
        kcurl(&env)
            .arg(path)
            .assert()
            .code(0)
            .stdout(DOC_PRETTY)
            .stderr("");
    }
}

#[test]
fn invalid_json_is_written_whole_with_a_warning() {
    let (pki, env) = (Pki::new(), Env::new());
    let _server = serve(&pki, &env, |_| {
        Reply::json(200, "{\"a\": 1, oops ] and the rest\n")
    });
    kcurl(&env)
        .arg("/bad")
        .assert()
        .code(0)
        .stdout("{\n  \"a\": 1,\noops ] and the rest\n")
        .stderr(
            "kcurl: warning: the response says application/json but is not valid JSON \
             (expected '\"' at byte 9); the rest was written unchanged\n",
        );
}

#[test]
fn gzip_responses_are_decoded() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env, |_| Reply::json(200, DOC).gzip());
    kcurl(&env)
        .arg("/thing")
        .assert()
        .code(0)
        .stdout(DOC_PRETTY)
        .stderr("");
    assert_eq!(
        server.only_request().header("accept-encoding"),
        Some("gzip")
    );
    // --raw writes the decoded body, not the gzip bytes.
    kcurl(&env)
        .args(["--raw", "/thing"])
        .assert()
        .code(0)
        .stdout(DOC);
}

/// A small document and its coloured rendering (jq's default colours).
const COLOR_DOC: &str = r#"{"a":[1,"s",true,null],"b":{}}"#;
const COLOR_DOC_COLOURED: &str = "\x1b[1;39m{\x1b[0m\n  \x1b[34;1m\"a\"\x1b[0m: \x1b[1;39m[\x1b[0m\n    \x1b[0;39m1\x1b[0m,\n    \x1b[0;32m\"s\"\x1b[0m,\n    \x1b[0;39mtrue\x1b[0m,\n    \x1b[1;30mnull\x1b[0m\n  \x1b[1;39m]\x1b[0m,\n  \x1b[34;1m\"b\"\x1b[0m: \x1b[1;39m{\x1b[0m\x1b[1;39m}\x1b[0m\n\x1b[1;39m}\x1b[0m\n";
const COLOR_DOC_PLAIN: &str =
    "{\n  \"a\": [\n    1,\n    \"s\",\n    true,\n    null\n  ],\n  \"b\": {}\n}\n";

#[test]
fn colour_only_when_asked_for_on_a_pipe() {
    let (pki, env) = (Pki::new(), Env::new());
    let _server = serve(&pki, &env, |_| Reply::json(200, COLOR_DOC));
    kcurl(&env)
        .args(["--color", "always", "/c"])
        .assert()
        .code(0)
        .stdout(COLOR_DOC_COLOURED);
    // always wins over NO_COLOR and TERM=dumb.
    kcurl(&env)
        .args(["--color", "always", "/c"])
        .env("NO_COLOR", "1")
        .env("TERM", "dumb")
        .assert()
        .code(0)
        .stdout(COLOR_DOC_COLOURED);
    for args in [
        &["--color", "never", "/c"][..],
        &["--color", "auto", "/c"],
        &["/c"],
    ] {
        kcurl(&env)
            .args(args)
            .env("TERM", "xterm-256color")
            .assert()
            .code(0)
            .stdout(COLOR_DOC_PLAIN);
    }
}

/// Runs kcurl `args` with its stdout on a pseudo-terminal (through util-linux `script`), with
/// `vars` added to the clean environment; returns what it printed, or `None` (with a notice)
/// when `script` is not available.
fn on_a_terminal(env: &Env, vars: &[(&str, &str)], args: &[&str]) -> Option<String> {
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut line = quote(kcurl_path().to_str().expect("UTF-8 path"));
    for a in args {
        line.push(' ');
        line.push_str(&quote(a));
    }
    let base = kcurl_std(env);
    let mut cmd = Command::new("script");
    cmd.env_clear().current_dir(env.home());
    for (k, v) in base.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    cmd.envs(vars.iter().copied())
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .stdin(Stdio::null());
    let out = match assert_cmd::Command::from_std(cmd).timeout(WAIT).output() {
        Ok(out) => out,
        Err(e) => {
            println!("skipping the terminal part: cannot run `script` ({e})");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "script {args:?}: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    // The terminal turns each \n into \r\n.
    Some(String::from_utf8(out.stdout).unwrap().replace("\r\n", "\n"))
}

#[test]
fn on_a_terminal_auto_colours_unless_no_color_or_term_dumb() {
    let (pki, env) = (Pki::new(), Env::new());
    let _server = serve(&pki, &env, |_| Reply::json(200, COLOR_DOC));
    let Some(auto) = on_a_terminal(&env, &[("TERM", "xterm")], &["/c"]) else {
        return;
    };
    assert_eq!(auto, COLOR_DOC_COLOURED);
    // https://no-color.org: an empty NO_COLOR does not count.
    assert_eq!(
        on_a_terminal(&env, &[("NO_COLOR", "")], &["--color", "auto", "/c"]).unwrap(),
        COLOR_DOC_COLOURED
    );
    for (vars, args) in [
        (&[("NO_COLOR", "1")][..], &["--color", "auto", "/c"][..]),
        (&[("TERM", "dumb")], &["/c"]),
        (&[("TERM", "xterm")], &["--color", "never", "/c"]),
    ] {
        assert_eq!(
            on_a_terminal(&env, vars, args).unwrap(),
            COLOR_DOC_PLAIN,
            "{vars:?} {args:?}"
        );
    }
}

#[test]
fn a_json_watch_stream_is_printed_event_by_event() {
    for gzip in [false, true] {
        let (pki, env) = (Pki::new(), Env::new());
        let (events, watch) = OnceStream::new();
        let server = serve(&pki, &env, move |_| {
            let reply = watch.reply(200);
            if gzip { reply.gzip() } else { reply }
        });
        let mut kcurl = spawn(kcurl_std(&env).arg("/api/v1/pods?watch=true"));
        events
            .send(br#"{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a"}}}"#.to_vec())
            .unwrap();
        events.send(b"\n".to_vec()).unwrap();
        // Event 2 is sent only after event 1 was printed: kcurl flushes each value.
        assert_eq!(
            kcurl.lines_until("}"),
            "{\n  \"type\": \"ADDED\",\n  \"object\": {\n    \"kind\": \"Pod\",\n    \"metadata\": {\n      \"name\": \"a\"\n    }\n  }\n}\n",
            "gzip={gzip}"
        );
        events
            .send(b"{\"type\":\"DELETED\",\"object\":{}}\n".to_vec())
            .unwrap();
        assert_eq!(
            kcurl.lines_until("}"),
            "{\n  \"type\": \"DELETED\",\n  \"object\": {}\n}\n",
            "gzip={gzip}"
        );
        drop(events);
        let end = kcurl.finish();
        assert!(end.status.success(), "gzip={gzip}: {end:?}");
        assert_eq!((end.stdout.as_str(), end.stderr.as_str()), ("", ""));
        assert_eq!(server.only_request().target, "/api/v1/pods?watch=true");
    }
}

#[test]
fn a_text_log_stream_is_printed_as_it_arrives() {
    let (pki, env) = (Pki::new(), Env::new());
    let (lines, log) = OnceStream::new();
    let _server = serve(&pki, &env, move |_| {
        log.reply(200)
            .set_header("Content-Type", "text/plain; charset=utf-8")
    });
    let mut kcurl = spawn(kcurl_std(&env).arg("/api/v1/namespaces/default/pods/a/log?follow=true"));
    lines.send(b"first line\n".to_vec()).unwrap();
    assert_eq!(kcurl.next_line().as_deref(), Some("first line"));
    lines.send(b"second {\"not\":\"json\"}\n".to_vec()).unwrap();
    assert_eq!(
        kcurl.next_line().as_deref(),
        Some("second {\"not\":\"json\"}")
    );
    lines.send(b"no newline".to_vec()).unwrap();
    drop(lines);
    let end = kcurl.finish();
    assert!(end.status.success(), "{end:?}");
    assert_eq!(
        (end.stdout.as_str(), end.stderr.as_str()),
        ("no newline", "")
    );
}

/// A generated PodList of `pods` pods, serialised one pod at a time (never held whole).
struct PodList(usize);

impl Serialize for PodList {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut list = s.serialize_map(Some(4))?;
        list.serialize_entry("kind", "PodList")?;
        list.serialize_entry("apiVersion", "v1")?;
        list.serialize_entry("metadata", &serde_json::json!({"resourceVersion": "98765"}))?;
        list.serialize_entry("items", &Pods(self.0))?;
        list.end()
    }
}

struct Pods(usize);

impl Serialize for Pods {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0))?;
        for i in 0..self.0 {
            seq.serialize_element(&pod(i))?;
        }
        seq.end()
    }
}

/// Pod number `i`: every JSON token kind, escapes and non-ASCII text, empty containers.
fn pod(i: usize) -> serde_json::Value {
    serde_json::json!({
        "metadata": {
            "name": format!("web-{i}"),
            "namespace": "default",
            "uid": format!("0f5b6f3e-2d1c-4e59-9c1e-{i:012}"),
            "resourceVersion": (1000 + i).to_string(),
            "generation": i,
            "labels": {"app": "web", "tier": if i % 2 == 0 { "front" } else { "back" }},
            "annotations": {"note": format!("quote \" backslash \\ tab \t newline \n é 日本 🚀 \u{1} #{i}")},
            "finalizers": [],
            "ownerReferences": [{"kind": "ReplicaSet", "controller": true, "blockOwnerDeletion": null}],
        },
        "spec": {
            "containers": [{
                "name": "web",
                "image": "nginx:1.27",
                "args": ["--port", "8080", "--ratio", "0.25"],
                "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}},
                "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                "env": [{"name": "I", "value": i.to_string()}],
            }],
            "priority": -(i as i64),
            "weight": 0.1 + i as f64 / 7.0,
            "tiny": 1e-7,
            "huge": u64::MAX,
            "tolerations": [],
            "nodeSelector": {},
        },
        "status": {
            "phase": if i % 3 == 0 { "Running" } else { "Pending" },
            "podIP": format!("10.244.{}.{}", i / 250 % 250, i % 250),
            "conditions": [
                {"type": "Ready", "status": "True", "lastProbeTime": null},
                {"type": "PodScheduled", "status": "True", "lastProbeTime": null},
            ],
        },
    })
}

/// A kcurl process whose stdout is read in raw chunks by a thread (which stops, closing the
/// pipe, after `stop_after` bytes if given) and whose stderr is collected. Killed on drop.
struct RawChild {
    child: Child,
    stdout: Receiver<Vec<u8>>,
    stderr: Receiver<Vec<u8>>,
}

impl RawChild {
    fn start(cmd: &mut Command, stop_after: Option<usize>) -> RawChild {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start kcurl");
        let mut out = child.stdout.take().unwrap();
        let mut err = child.stderr.take().unwrap();
        let (out_tx, stdout) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            if let Some(n) = stop_after {
                let mut first = vec![0u8; n];
                if out.read_exact(&mut first).is_ok() {
                    let _ = out_tx.send(first);
                }
                return; // drops `out`: the reading end of the pipe is closed
            }
            let mut buf = vec![0u8; 256 * 1024];
            while let Ok(n @ 1..) = out.read(&mut buf) {
                if out_tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let (err_tx, stderr) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut all = Vec::new();
            let _ = err.read_to_end(&mut all);
            let _ = err_tx.send(all);
        });
        RawChild {
            child,
            stdout,
            stderr,
        }
    }

    /// The next piece of stdout; `None` at its end. Panics after [`WAIT`] without one.
    fn chunk(&mut self) -> Option<Vec<u8>> {
        match self.stdout.recv_timeout(WAIT) {
            Ok(c) => Some(c),
            Err(RecvTimeoutError::Disconnected) => None,
            Err(RecvTimeoutError::Timeout) => panic!("no output from kcurl within {WAIT:?}"),
        }
    }

    /// Waits for the exit (panics after [`WAIT`]); returns the status and all of stderr.
    fn finish(mut self) -> (ExitStatus, String) {
        let stderr = self
            .stderr
            .recv_timeout(WAIT)
            .unwrap_or_else(|e| panic!("kcurl still running after {WAIT:?} ({e})"));
        let status = self.child.wait().expect("wait for kcurl");
        (status, String::from_utf8_lossy(&stderr).into_owned())
    }
}

impl Drop for RawChild {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A writer that checks each byte written against the next byte of a running kcurl's stdout.
struct SameAsStdout<'a> {
    kcurl: &'a mut RawChild,
    pending: Vec<u8>,
    pos: usize,
    offset: u64,
}

impl Write for SameAsStdout<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            if self.pos == self.pending.len() {
                self.pending = self.kcurl.chunk().ok_or_else(|| {
                    io::Error::other(format!("kcurl's output ended at byte {}", self.offset))
                })?;
                self.pos = 0;
            }
            let n = (buf.len() - done).min(self.pending.len() - self.pos);
            let want = &buf[done..done + n];
            let got = &self.pending[self.pos..self.pos + n];
            if let Some(i) = want.iter().zip(got).position(|(a, b)| a != b) {
                return Err(io::Error::other(format!(
                    "kcurl's output differs at byte {}: expected {:?}…, got {:?}…",
                    self.offset + i as u64,
                    String::from_utf8_lossy(&want[i..n.min(i + 60)]),
                    String::from_utf8_lossy(&got[i..n.min(i + 60)]),
                )));
            }
            done += n;
            self.pos += n;
            self.offset += n as u64;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Pods in the large PodList: a little over 30 MB of compact JSON.
const BIG: usize = 33_000;

/// Peak resident memory of a running process in KiB (`VmHWM`), where `/proc` has it.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_large_body_is_pretty_printed_exactly_in_constant_memory() {
    let (pki, env) = (Pki::new(), Env::new());
    let (chunks, stream) = OnceStream::new();
    let _server = serve(&pki, &env, move |_| stream.reply(200));
    let body = serde_json::to_string(&PodList(BIG)).unwrap();
    assert!(body.len() > 30_000_000, "{} bytes", body.len());
    let mut kcurl = RawChild::start(kcurl_std(&env).arg("/api/v1/pods"), None);
    for piece in body.as_bytes().chunks(1 << 20) {
        chunks.send(piece.to_vec()).unwrap();
    }
    let input_len = body.len() as u64;
    drop(body);
    // The expected output is serde_json's pretty layout plus "\n", generated again, pod by pod,
    // and compared with kcurl's stdout as both stream: no copy of either is ever held.
    let mut same = io::BufWriter::with_capacity(
        64 * 1024,
        SameAsStdout {
            kcurl: &mut kcurl,
            pending: Vec::new(),
            pos: 0,
            offset: 0,
        },
    );
    serde_json::to_writer_pretty(&mut same, &PodList(BIG)).unwrap();
    same.write_all(b"\n").unwrap();
    let same = same.into_inner().map_err(|e| e.into_error()).unwrap();
    let (offset, rest) = (same.offset, same.pending[same.pos..].to_vec());
    assert!(offset > 2 * input_len, "{offset} bytes");
    assert_eq!(
        String::from_utf8_lossy(&rest),
        "",
        "extra output at byte {offset}"
    );
    // The response has not ended yet (the stream is open), so kcurl is still running: all of
    // its output came while the body streamed in, and its peak memory so far is the peak for
    // the whole body. Holding the 30 MB body (let alone a parsed copy) would exceed this.
    match peak_rss_kib(kcurl.child.id()) {
        Some(kib) => assert!(kib < 24 * 1024, "kcurl's peak RSS was {kib} KiB"),
        None => println!("skipping the memory check: no /proc/PID/status VmHWM here"),
    }
    drop(chunks);
    assert_eq!(kcurl.chunk(), None, "extra output at byte {offset}");
    let (status, stderr) = kcurl.finish();
    assert!(status.success(), "{status:?}: {stderr}");
    assert_eq!(stderr, "");
}

#[test]
fn a_closed_stdout_pipe_is_success_silently() {
    let (pki, env) = (Pki::new(), Env::new());
    let json = Arc::new(serde_json::to_string(&PodList(3_000)).unwrap());
    let served = Arc::clone(&json);
    let _server = serve(&pki, &env, move |req| match req.path() {
        "/text" => Reply::text(200, served.as_str()),
        _ => Reply::json(200, served.as_str()),
    });
    let pretty_start = serde_json::to_string_pretty(&PodList(1)).unwrap();
    // Like `kcurl … | head -c 100`: read 100 bytes, then close the pipe while kcurl is still
    // writing (the body is megabytes, far more than a pipe buffer holds).
    for (path, first) in [
        ("/json", &pretty_start.as_bytes()[..100]),
        ("/text", &json.as_bytes()[..100]),
    ] {
        let mut kcurl = RawChild::start(kcurl_std(&env).arg(path), Some(100));
        assert_eq!(
            String::from_utf8_lossy(&kcurl.chunk().expect("100 bytes of output")),
            String::from_utf8_lossy(first),
            "{path}"
        );
        let (status, stderr) = kcurl.finish();
        assert_eq!((status.code(), stderr.as_str()), (Some(0), ""), "{path}");
    }
}

#[test]
fn warning_headers_go_to_stderr_like_kubectl() {
    let (pki, env) = (Pki::new(), Env::new());
    let _server = serve(&pki, &env, |req| {
        match req.path() {
        "/one" => Reply::json(200, "{}").header("Warning", r#"299 - "v1 Foo is deprecated""#),
        "/many" => Reply::json(200, "{}")
            .header(
                "Warning",
                r#"299 - "first, with a \"quote\"", 299 - "second" "Sat, 01 Jan 2000 00:00:00 GMT""#,
            )
            .header("Warning", r#"299 - "third""#),
        // C1 CSI (U+009B, a terminal escape on its own) and a bidi override.
        "/escapes" => Reply::json(200, "{}")
            .header("Warning", "299 - \"csi \u{9b}31m red, \u{202e}reversed\""),
        // A raw ESC is not allowed in a header at all: the response is refused as invalid.
        _ => Reply::json(200, "{}").header("Warning", "299 - \"esc \x1b[31m red\""),
    }
    });
    kcurl(&env)
        .arg("/one")
        .assert()
        .code(0)
        .stdout("{}\n")
        .stderr("Warning: v1 Foo is deprecated\n");
    kcurl(&env)
        .arg("/many")
        .assert()
        .code(0)
        .stderr("Warning: first, with a \"quote\"\nWarning: second\nWarning: third\n");
    kcurl(&env)
        .arg("/escapes")
        .assert()
        .code(0)
        .stdout("{}\n")
        .stderr("Warning: csi \\u{9b}31m red, \\u{202e}reversed\n");
    let out = kcurl(&env).arg("/esc").assert().code(6).stdout("");
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(!stderr.contains('\x1b'), "{stderr:?}");
}

/// The pretty-printed Status body the test server sends for `status_reply`; `message` as a JSON
/// string literal.
fn status_pretty(code: u16, reason: &str, message: &str) -> String {
    format!(
        "{{\n  \"kind\": \"Status\",\n  \"apiVersion\": \"v1\",\n  \"metadata\": {{}},\n  \"status\": \"Failure\",\n  \"message\": {message},\n  \"reason\": \"{reason}\",\n  \"details\": {{}},\n  \"code\": {code}\n}}\n"
    )
}

#[test]
fn error_statuses_print_the_body_and_one_summary_line() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env, |req| match req.path() {
        "/404" => status_reply(404, "NotFound", "pods \"x\" not found"),
        "/401" => status_reply(401, "Unauthorized", "Unauthorized"),
        "/422" => status_reply(
            422,
            "Invalid",
            "Pod \"x\" is invalid: spec.containers: Required value",
        ),
        "/403-escapes" => status_reply(403, "Forbidden", "evil \x1b[2J\x1b]0;title\x07 text"),
        "/500" => Reply::text(500, "etcd is down\n"),
        "/503" => Reply::new(503)
            .header("Content-Type", "application/json")
            .body("{\"not\":\"a status\"}"),
        _ => Reply::new(418),
    });
    let cases: [(&str, i32, String, &str); 7] = [
        (
            "/404",
            4,
            status_pretty(404, "NotFound", r#""pods \"x\" not found""#),
            "kcurl: 404 NotFound: pods \"x\" not found\n",
        ),
        (
            "/401",
            4,
            status_pretty(401, "Unauthorized", r#""Unauthorized""#),
            "kcurl: 401 Unauthorized: Unauthorized: the server rejected the kubeconfig user's \
             token: it is wrong or has expired (kcurl -v names the user and file)\n",
        ),
        (
            "/422",
            4,
            status_pretty(
                422,
                "Invalid",
                r#""Pod \"x\" is invalid: spec.containers: Required value""#,
            ),
            "kcurl: 422 Invalid: Pod \"x\" is invalid: spec.containers: Required value\n",
        ),
        (
            "/403-escapes",
            4,
            status_pretty(
                403,
                "Forbidden",
                r#""evil \u001b[2J\u001b]0;title\u0007 text""#,
            ),
            "kcurl: 403 Forbidden: evil \\u{1b}[2J\\u{1b}]0;title\\u{7} text\n",
        ),
        (
            "/500",
            5,
            "etcd is down\n".to_string(),
            "kcurl: 500 Internal Server Error\n",
        ),
        (
            "/503",
            5,
            "{\n  \"not\": \"a status\"\n}\n".to_string(),
            "kcurl: 503 Service Unavailable\n",
        ),
        ("/418", 4, String::new(), "kcurl: 418 I'm a teapot\n"),
    ];
    for (path, code, stdout, stderr) in cases {
        kcurl(&env)
            .arg(path)
            .assert()
            .code(code)
            .stdout(stdout)
            .stderr(stderr);
    }
    assert_eq!(server.requests().len(), 7);
}

#[test]
fn redirects_are_not_followed_and_name_the_location() {
    let (pki, env) = (Pki::new(), Env::new());
    // The 301 points back at this same server: had kcurl followed it, the server would see it.
    let own_url = Arc::new(std::sync::OnceLock::<String>::new());
    let url = Arc::clone(&own_url);
    let server = serve(&pki, &env, move |req| match req.path() {
        "/301" => Reply::new(301).header("Location", &format!("{}/moved", url.get().unwrap())),
        "/302" => Reply::new(302).header("Location", "https://elsewhere.example/api"),
        "/307" => Reply::new(307).header("Location", "/moved"),
        _ => Reply::json(200, "{\"followed\":true}"),
    });
    own_url.set(server.url()).unwrap();
    for (status, location, text) in [
        (301, format!("{}/moved", server.url()), "Moved Permanently"),
        (302, "https://elsewhere.example/api".to_string(), "Found"),
        (307, "/moved".to_string(), "Temporary Redirect"),
    ] {
        let before = server.requests().len();
        kcurl(&env)
            .arg(format!("/{status}"))
            .assert()
            .code(3)
            .stdout("")
            .stderr(format!(
                "kcurl: {status} {text}: redirect to {location} not followed\n"
            ));
        let reqs = server.requests();
        assert_eq!(reqs.len(), before + 1, "{status}: followed?");
        assert_eq!(reqs[before].target, format!("/{status}"));
    }
}

#[test]
fn a_body_cut_off_mid_way_is_written_and_exit_6() {
    let (pki, env) = (Pki::new(), Env::new());
    let head =
        |ct: &str| format!("HTTP/1.1 200 OK\r\nContent-Type: {ct}\r\nContent-Length: 1000\r\n\r\n");
    let (text, json) = (head("text/plain"), head("application/json"));
    let server = serve(&pki, &env, move |req| match req.path() {
        "/text" => Reply::raw(format!("{text}partial log line\nand half a")),
        "/text-truncated" => {
            Reply::raw_no_close_notify(format!("{text}partial log line\nand half a"))
        }
        _ => Reply::raw(format!("{json}{{\"kind\":\"PodList\",\"items\":[1,")),
    });
    const NO_CLOSE_NOTIFY: &str = "the server closed the connection without a TLS close_notify, \
                                   so the end of the response cannot be trusted";
    for (path, stdout, reason) in [
        ("/text", "partial log line\nand half a", "Peer disconnected"),
        (
            "/text-truncated",
            "partial log line\nand half a",
            NO_CLOSE_NOTIFY,
        ),
        (
            "/json",
            "{\n  \"kind\": \"PodList\",\n  \"items\": [\n    1,\n",
            "Peer disconnected",
        ),
    ] {
        kcurl(&env)
            .arg(path)
            .assert()
            .code(6)
            .stdout(stdout)
            .stderr(format!(
                "kcurl: error: {}{path}: the response body was cut off: {reason}; \
                 everything received was written\n",
                server.url()
            ));
    }
}

#[test]
fn head_requests_print_no_body() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    token_kubeconfig(&env, &pki, &server.url());
    kcurl(&env)
        .args(["-X", "HEAD", "/version"])
        .timeout(WAIT)
        .assert()
        .code(0)
        .stdout("")
        .stderr("");
    assert_eq!(server.only_request().method, "HEAD");
}

#[test]
fn a_closed_stdout_is_an_error_not_a_silent_success() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env, kube_default);
    // `sh -c 'exec kcurl … >&-'` in kcurl's clean environment.
    let shell = |redirect: &str| -> Out {
        let line = format!("exec '{}' /version {redirect}", kcurl_path().display());
        std::process::Command::new("sh")
            .env_clear()
            .envs(
                kcurl_std(&env)
                    .get_envs()
                    .filter_map(|(k, v)| v.map(|v| (k, v))),
            )
            .current_dir(env.home())
            .args(["-c", &line])
            .output()
            .unwrap()
            .into()
    };
    let out = shell(">&-");
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "kcurl: error: writing to stdout: standard output is closed; nothing could be printed\n"
    );
    assert!(server.requests().is_empty(), "nothing is sent");
    // `>/dev/null` is the user's choice: fine.
    let out = shell(">/dev/null");
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
}
