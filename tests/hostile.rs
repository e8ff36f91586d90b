//! Hostile and broken servers, and hostile bodies: for each, kcurl exits with the documented code
//! and one clear line on stderr, never panics, never lets a terminal escape through to stderr,
//! never sends the credentials anywhere but the cluster's server, and writes every byte it
//! received to stdout. Also replays the inputs the fuzz targets (`fuzz/`) found, kept under
//! `fuzz/regressions/`.

use crate::support::*;

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Output;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The token of the cluster's user: it must reach the cluster's server and nothing else.
const TOKEN: &str = "hostile-test-token-4f1c9a";

/// A kubeconfig for `server_url` trusting the test CA, with a token user.
fn config(env: &Env, pki: &Pki, server_url: &str) {
    KubeconfigBuilder::single_context(server_url, &pki.ca.cert, &format!("{{token: {TOKEN}}}"))
        .write(env, ".kube/config");
}

/// A TLS server answering with `handler`, and a kubeconfig pointing at it.
fn serve(
    pki: &Pki,
    env: &Env,
    handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
) -> Server {
    let server = ServerBuilder::new(pki).handler(handler).start();
    config(env, pki, &server.url());
    server
}

/// What one kcurl run produced.
struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

/// Runs kcurl with `args` (bounded by [`WAIT`]) and checks what holds for every hostile case:
/// an exit code, no panic, no escape character on stderr, at most one error line, and the
/// token never printed.
fn run(env: &Env, args: &[&str]) -> Run {
    let out: Output = kcurl(env)
        .args(args)
        .timeout(WAIT)
        .output()
        .expect("run kcurl");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("kcurl {args:?} was killed: {:?}\n{stderr}", out.status));
    assert!(
        !stderr.contains("panicked"),
        "kcurl {args:?} panicked:\n{stderr}"
    );
    assert!(
        !out.stderr.contains(&0x1b)
            && stderr.chars().all(|c| c == '\n' || !c.is_control())
            && !stderr.contains(['\u{202e}', '\u{2066}']),
        "a control character reached stderr: {stderr:?}"
    );
    let errors = stderr
        .lines()
        .filter(|l| l.starts_with("kcurl: error:"))
        .count();
    assert!(errors <= 1, "more than one error line: {stderr}");
    let stdout_text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stderr.contains(TOKEN) && !stdout_text.contains(TOKEN),
        "the token was printed"
    );
    Run {
        code,
        stdout: out.stdout,
        stderr,
    }
}

/// The bytes that are not JSON whitespace.
fn non_ws(b: &[u8]) -> Vec<u8> {
    b.iter()
        .copied()
        .filter(|c| !matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
        .collect()
}

/// A raw HTTP/1.1 response head.
fn head(lines: &[&str]) -> String {
    let mut h = String::from("HTTP/1.1 200 OK\r\n");
    for l in lines {
        h.push_str(l);
        h.push_str("\r\n");
    }
    h.push_str("\r\n");
    h
}

/// `kcurl: error: <url><path>: the response body was cut off: <why>; everything …`.
fn cut_off(url: &str, path: &str, why: &str) -> String {
    format!(
        "kcurl: error: {url}{path}: the response body was cut off: {why}; everything received \
         was written\n"
    )
}

const NO_CLOSE_NOTIFY: &str = "the server closed the connection without a TLS close_notify, so \
                               the end of the response cannot be trusted";

#[test]
fn a_connection_closed_mid_body_keeps_what_arrived_and_exits_6() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env, |req| match req.path() {
        // Content-Length promises more than is sent; then a TLS close_notify alert mid-body.
        "/short" => Reply::raw(format!(
            "{}partial line\nand half a",
            head(&["Content-Type: text/plain", "Content-Length: 1000"])
        )),
        // A chunked stream cut inside its second chunk, and one cut between chunks.
        "/chunked" => Reply::raw(format!(
            "{}d\r\nfirst chunk, \r\n20\r\nsecond chunk cu",
            head(&["Content-Type: text/plain", "Transfer-Encoding: chunked"])
        )),
        "/chunked-between" => Reply::raw(format!(
            "{}d\r\nfirst chunk, \r\n",
            head(&["Content-Type: text/plain", "Transfer-Encoding: chunked"])
        )),
        // A body that runs to the end of the connection, ended by a bare TCP close (no TLS
        // close_notify): a truncation cannot be told from the end, so it is not a success.
        "/no-close-notify" => Reply::raw_no_close_notify(format!(
            "{}the whole body?",
            head(&["Content-Type: text/plain"])
        )),
        // The same after part of a JSON body with a Content-Length.
        "/no-close-notify-json" => Reply::raw_no_close_notify(format!(
            "{}{{\"items\":[1,2",
            head(&["Content-Type: application/json", "Content-Length: 100"])
        )),
        _ => Reply::new(404),
    });
    let url = server.url();
    for (path, stdout, why) in [
        (
            "/short",
            &b"partial line\nand half a"[..],
            "Peer disconnected",
        ),
        (
            "/chunked",
            b"first chunk, second chunk cu",
            "Peer disconnected",
        ),
        ("/chunked-between", b"first chunk, ", "Peer disconnected"),
        ("/no-close-notify", b"the whole body?", NO_CLOSE_NOTIFY),
        (
            "/no-close-notify-json",
            b"{\n  \"items\": [\n    1,\n2",
            NO_CLOSE_NOTIFY,
        ),
    ] {
        let r = run(&env, &[path]);
        assert_eq!(r.code, 6, "{path}: {}", r.stderr);
        assert_eq!(
            String::from_utf8_lossy(&r.stdout),
            String::from_utf8_lossy(stdout)
        );
        assert_eq!(r.stderr, cut_off(&url, path, why));
    }
}

#[test]
fn hostile_json_is_printed_whole() {
    let (pki, env) = (Pki::new(), Env::new());
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let string = format!("{{\"s\":\"{}\"}}", "x".repeat(10 << 20));
    let digits = format!(
        "[-{}.{}e-{}]",
        "7".repeat(10_000),
        "1".repeat(100),
        "9".repeat(50)
    );
    let invalid = "{\"a\":1,,\"b\":2}";
    let bad_utf8 = &b"{\"s\":\"a\xff\xfeb\",\"t\":1}"[..];
    let bodies: Arc<Vec<(&str, Vec<u8>)>> = Arc::new(vec![
        ("/deep", deep.clone().into_bytes()),
        ("/string", string.clone().into_bytes()),
        ("/digits", digits.clone().into_bytes()),
        ("/invalid", invalid.as_bytes().to_vec()),
        ("/utf8", bad_utf8.to_vec()),
    ]);
    let served = Arc::clone(&bodies);
    let _server = serve(&pki, &env, move |req| {
        match served.iter().find(|(p, _)| *p == req.path()) {
            Some((_, body)) => Reply::new(200)
                .header("Content-Type", "application/json")
                .body(body.clone()),
            None => Reply::new(404),
        }
    });
    // Valid: printed compact, byte for byte, exit 0, nothing on stderr.
    for (path, body) in [("/deep", &deep), ("/string", &string), ("/digits", &digits)] {
        let r = run(&env, &["-c", path]);
        assert_eq!((r.code, r.stderr.as_str()), (0, ""), "{path}");
        assert!(
            r.stdout == format!("{body}\n").as_bytes(),
            "{path}: output differs"
        );
    }
    // Invalid: everything after the error is written unchanged, with one warning; the body
    // was received whole, so the exit code is the status's.
    for (path, body, stdout, why) in [
        (
            "/invalid",
            invalid.as_bytes(),
            &b"{\"a\":1,\n,\"b\":2}"[..],
            "expected '\"' at byte 7",
        ),
        (
            "/utf8",
            bad_utf8,
            b"{\"s\":\n\"a\xff\xfeb\",\"t\":1}",
            "invalid UTF-8 in string at byte 7",
        ),
    ] {
        let r = run(&env, &["-c", path]);
        assert_eq!(r.code, 0, "{path}: {}", r.stderr);
        assert!(
            r.stdout == stdout,
            "{path}: {:?}",
            String::from_utf8_lossy(&r.stdout)
        );
        assert_eq!(non_ws(&r.stdout), non_ws(body));
        assert_eq!(
            r.stderr,
            format!(
                "kcurl: warning: the response says application/json but is not valid JSON \
                 ({why}); the rest was written unchanged\n"
            )
        );
    }
}

/// A listening port whose accept queue is full, so that a new connection gets no answer at all
/// (Linux drops the SYN), with the connections that fill it; `None` where the system completes
/// connections anyway.
fn unanswering_port() -> Option<(TcpListener, Vec<TcpStream>, SocketAddr)> {
    let listener = TcpListener::bind("127.0.0.1:0").ok()?;
    let addr = listener.local_addr().ok()?;
    let mut held = Vec::new();
    for _ in 0..1024 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(s) => held.push(s),
            Err(_) => return Some((listener, held, addr)),
        }
    }
    None
}

#[test]
fn a_server_that_never_answers_the_connection_is_bounded_by_connect_timeout() {
    let env = Env::new();
    let Some((_listener, _held, addr)) = unanswering_port() else {
        println!("skipped: this system answers every connection (could not fill a backlog)");
        return;
    };
    let url = format!("https://{addr}");
    let started = Instant::now();
    let r = run(&env, &["--server", &url, "--connect-timeout", "1", "/api"]);
    assert_eq!(r.code, 6);
    assert_eq!(
        r.stderr,
        format!(
            "kcurl: error: {url}/api: could not connect to {addr} within 1s (--connect-timeout)\n"
        )
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_server_that_accepts_and_never_answers_is_bounded_by_timeout() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env, |_| Reply::NeverAnswer);
    let r = run(&env, &["--timeout", "1", "/api"]);
    assert_eq!((r.code, r.stdout.as_slice()), (6, &b""[..]));
    assert_eq!(
        r.stderr,
        format!(
            "kcurl: error: {}/api: no complete response within 1s (--timeout)\n",
            server.url()
        )
    );
    assert_eq!(
        server.only_request().header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
}

#[test]
fn a_server_that_trickles_is_bounded_by_timeout_and_what_arrived_is_written() {
    const BODY: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env, |_| {
        let (tx, rx) = std::sync::mpsc::channel();
        // The server side of the trickle: one byte a second (this thread is the slow server,
        // not the test's synchronisation).
        std::thread::spawn(move || {
            for b in BODY {
                if tx.send(vec![*b]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        });
        Reply::Stream {
            status: 200,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            chunks: rx,
            gzip: false,
        }
    });
    let started = Instant::now();
    let r = run(&env, &["--timeout", "2", "/logs"]);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(r.code, 6);
    assert!(
        !r.stdout.is_empty() && BODY.starts_with(&r.stdout),
        "{:?}",
        String::from_utf8_lossy(&r.stdout)
    );
    assert_eq!(
        r.stderr,
        cut_off(&server.url(), "/logs", "the --timeout ran out")
    );
}

#[test]
fn broken_framing_is_refused_or_bounded_never_trusted() {
    let (pki, env) = (Pki::new(), Env::new());
    let text = "Content-Type: text/plain";
    let many_headers = {
        let mut h = String::from("HTTP/1.1 200 OK\r\n");
        for i in 0..200 {
            h.push_str(&format!("X-Filler-{i}: {}\r\n", "a".repeat(1000)));
        }
        h + "Content-Length: 2\r\n\r\nok"
    };
    let one_header = format!(
        "HTTP/1.1 200 OK\r\nX-Big: {}\r\nContent-Length: 2\r\n\r\nok",
        "b".repeat(200_000)
    );
    let server = serve(&pki, &env, move |req| {
        Reply::raw(match req.path() {
            "/many-headers" => many_headers.clone(),
            "/one-header" => one_header.clone(),
            "/cl-2-63" => format!(
                "{}some bytes",
                head(&[text, "Content-Length: 9223372036854775808"])
            ),
            "/cl-2-64" => format!(
                "{}some bytes",
                head(&[text, "Content-Length: 18446744073709551616"])
            ),
            "/cl-negative" => format!("{}abc", head(&[text, "Content-Length: -1"])),
            "/cl-conflict" => format!(
                "{}abcdefgh",
                head(&[text, "Content-Length: 3", "Content-Length: 5"])
            ),
            "/cl-list" => format!("{}abcdefgh", head(&[text, "Content-Length: 3, 5"])),
            "/cl-repeated" => format!(
                "{}abcdefgh",
                head(&[text, "Content-Length: 3", "Content-Length: 3"])
            ),
            "/cl-and-chunked" => format!(
                "{}3\r\nabc\r\n0\r\n\r\n",
                head(&[text, "Content-Length: 100", "Transfer-Encoding: chunked"])
            ),
            "/bad-chunk" => format!(
                "{}zz\r\nabc\r\n0\r\n\r\n",
                head(&[text, "Transfer-Encoding: chunked"])
            ),
            "/huge-chunk" => format!(
                "{}ffffffffffffffffff\r\nabc",
                head(&[text, "Transfer-Encoding: chunked"])
            ),
            "/not-http" => "SSH-2.0-OpenSSH_9.6\r\n".to_string(),
            "/empty" => String::new(),
            "/continue-flood" => "HTTP/1.1 100 Continue\r\n\r\n".repeat(1000),
            _ => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_string(),
        })
    });
    let url = server.url();
    let not_http = |path: &str, why: &str| {
        format!(
            "kcurl: error: {url}{path}: the server's answer is not valid HTTP/1.1 ({why}); is this \
             the API server's address?\n"
        )
    };
    let closed = |path: &str| {
        format!(
            "kcurl: error: {url}{path}: the server 127.0.0.1:{} closed the connection early\n",
            server.port()
        )
    };
    let too_large = |path: &str| {
        format!(
            "kcurl: error: {url}{path}: the response headers are too large (81920 bytes, limit \
             65536)\n"
        )
    };
    let cases: Vec<(&str, i32, &str, String)> = vec![
        ("/many-headers", 6, "", too_large("/many-headers")),
        ("/one-header", 6, "", too_large("/one-header")),
        // 2^63 is a valid length: nothing is reserved for it, the bytes are written as they
        // come, and the early end is an error.
        (
            "/cl-2-63",
            6,
            "some bytes",
            cut_off(&url, "/cl-2-63", "Peer disconnected"),
        ),
        (
            "/cl-2-64",
            6,
            "",
            not_http("/cl-2-64", "content-length header not a number"),
        ),
        (
            "/cl-negative",
            6,
            "",
            not_http("/cl-negative", "content-length header not a number"),
        ),
        (
            "/cl-conflict",
            6,
            "",
            not_http("/cl-conflict", "conflicting content-length headers"),
        ),
        (
            "/cl-list",
            6,
            "",
            not_http("/cl-list", "conflicting content-length headers"),
        ),
        // RFC 9112 §6.3: repeated identical lengths are one length; Transfer-Encoding overrides
        // Content-Length.
        ("/cl-repeated", 0, "abc", String::new()),
        ("/cl-and-chunked", 0, "abc", String::new()),
        (
            "/bad-chunk",
            6,
            "",
            cut_off(
                &url,
                "/bad-chunk",
                "protocol: chunk length cannot be read as a number",
            ),
        ),
        (
            "/huge-chunk",
            6,
            "",
            cut_off(
                &url,
                "/huge-chunk",
                "protocol: chunk length cannot be read as a number",
            ),
        ),
        (
            "/not-http",
            6,
            "",
            not_http("/not-http", "http parse fail: invalid HTTP version"),
        ),
        ("/empty", 6, "", closed("/empty")),
        ("/continue-flood", 6, "", closed("/continue-flood")),
    ];
    for (path, code, stdout, stderr) in cases {
        let r = run(&env, &[path]);
        assert_eq!(r.code, code, "{path}: {}", r.stderr);
        assert_eq!(String::from_utf8_lossy(&r.stdout), stdout, "{path}");
        assert_eq!(r.stderr, stderr, "{path}");
    }
}

#[test]
fn redirects_are_never_followed_and_credentials_stay_with_the_cluster() {
    let (pki, env) = (Pki::new(), Env::new());
    let elsewhere = ServerBuilder::new(&pki).start();
    let plain = ServerBuilder::new(&pki).plain_http().start();
    let (elsewhere_url, plain_url) = (elsewhere.url(), plain.url());
    let own = Arc::new(std::sync::OnceLock::<String>::new());
    let own_url = Arc::clone(&own);
    let server = serve(&pki, &env, move |req| {
        let mut parts = req.path().split('/').skip(1);
        let code: u16 = parts.next().and_then(|c| c.parse().ok()).unwrap_or(404);
        let location = match parts.next() {
            Some("elsewhere") => format!("{elsewhere_url}/api"),
            Some("plain") => format!("{plain_url}/api"),
            _ => format!("{}{}", own_url.get().expect("set"), req.path()),
        };
        Reply::new(code).header("Location", &location)
    });
    own.set(server.url()).expect("set once");
    let reasons = [
        (301, "Moved Permanently"),
        (302, "Found"),
        (303, "See Other"),
        (307, "Temporary Redirect"),
        (308, "Permanent Redirect"),
    ];
    let mut sent = 0;
    for to in ["elsewhere", "plain", "loop"] {
        for (code, reason) in reasons {
            let path = format!("/{code}/{to}");
            let location = match to {
                "elsewhere" => format!("{}/api", elsewhere.url()),
                "plain" => format!("{}/api", plain.url()),
                _ => format!("{}{path}", server.url()),
            };
            for method in [&["-X", "GET"][..], &["-d", "{}"]] {
                let r = run(&env, &[method, &[path.as_str()]].concat());
                assert_eq!(r.code, 3, "{path}: {}", r.stderr);
                assert_eq!(
                    r.stderr,
                    format!("kcurl: {code} {reason}: redirect to {location} not followed\n")
                );
                sent += 1;
            }
        }
    }
    let reqs = server.requests();
    assert_eq!(reqs.len(), sent, "a redirect was followed");
    for req in reqs {
        assert_eq!(
            req.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
    assert!(elsewhere.requests().is_empty() && plain.requests().is_empty());
}

#[test]
fn server_text_full_of_terminal_escapes_is_neutralised_on_stderr() {
    let (pki, env) = (Pki::new(), Env::new());
    let status = status_json(
        403,
        "Forbidden\u{1b}[31m",
        "pods is forbidden: \u{1b}]0;owned\u{7}\u{1b}[2J\u{9b}31m\r\ngone \u{202e}evil",
    );
    let status_body = status.clone();
    let server = serve(&pki, &env, move |req| {
        match req.path() {
        "/status" => Reply::json(403, status_body.clone()),
        // Control bytes are not allowed in HTTP header values, so what reaches a header is
        // 8-bit: C1 controls (U+009B is a one-byte CSI on some terminals), bidi overrides,
        // invalid UTF-8, and tabs.
        "/warning" => Reply::raw(
            &b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nWarning: 299 - \"\xc2\x9b31mred \
               \xe2\x80\xaeevil\ttab \xff raw\"\r\nX-Odd: \xc2\x9b2J\r\nContent-Length: 2\r\n\r\n{}"[..],
        ),
        // A raw ESC in a header: not HTTP; refused whole.
        _ => Reply::raw(
            &b"HTTP/1.1 200 OK\r\nWarning: 299 - \"\x1b[31mred\"\r\nContent-Length: 2\r\n\r\n{}"[..],
        ),
    }
    });
    let summary = "kcurl: 403 Forbidden\\u{1b}[31m: pods is forbidden: \
                   \\u{1b}]0;owned\\u{7}\\u{1b}[2J\\u{9b}31m\\r\\ngone \\u{202e}evil\n";
    let r = run(&env, &["/status"]);
    assert_eq!((r.code, r.stderr.as_str()), (4, summary));
    // stdout is the body, as received (JSON escapes stay escapes).
    assert_eq!(non_ws(&r.stdout), non_ws(status.as_bytes()));
    let r = run(&env, &["-v", "-i", "/status"]);
    assert_eq!(r.code, 4);
    assert!(r.stderr.contains(summary), "{}", r.stderr);

    let warning = "Warning: \\u{9b}31mred \\u{202e}evil\\ttab \u{fffd} raw\n";
    let r = run(&env, &["/warning"]);
    assert_eq!((r.code, r.stderr.as_str()), (0, warning));
    let r = run(&env, &["-v", "/warning"]);
    assert_eq!(r.code, 0);
    assert!(r.stderr.contains("< x-odd: \\u{9b}2J\n"), "{}", r.stderr);
    assert!(r.stderr.contains(warning), "{}", r.stderr);

    let r = run(&env, &["/esc"]);
    assert_eq!((r.code, r.stdout.as_slice()), (6, &b""[..]));
    assert_eq!(
        r.stderr,
        format!(
            "kcurl: error: {}/esc: the server's answer is not valid HTTP/1.1 (http parse fail: \
             invalid header value); is this the API server's address?\n",
            server.url()
        )
    );
}

#[test]
fn tls_failures_exit_7_and_send_nothing() {
    let pki = Pki::new();
    let servers = [
        ServerBuilder::new(&pki)
            .cert(&pki.expired_server_cert(&["127.0.0.1"]))
            .start(),
        ServerBuilder::new(&pki)
            .cert(&pki.server_cert(&["kube.example"]))
            .start(),
        ServerBuilder::new(&pki.other_ca()).start(),
    ];
    for server in &servers {
        let env = Env::new();
        config(&env, &pki, &server.url());
        for args in [&["/api"][..], &["-v", "-i", "/api"]] {
            let r = run(&env, args);
            assert_eq!((r.code, r.stdout.as_slice()), (7, &b""[..]), "{}", r.stderr);
            let last = r.stderr.lines().last().unwrap_or_default();
            assert!(
                last.starts_with(&format!(
                    "kcurl: error: {}/api: the server's certificate",
                    server.url()
                )),
                "{}",
                r.stderr
            );
        }
        // The handshake failed: no request (and so no token) ever reached the server.
        assert!(server.requests().is_empty());
    }
}

/// Reads `data` in pieces that end after each `split` byte, as the `json_printer` fuzz target.
struct Split<'a> {
    data: &'a [u8],
    split: u8,
}

impl Read for Split<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let end = self
            .data
            .iter()
            .position(|&b| b == self.split)
            .map_or(self.data.len(), |i| i + 1);
        let n = end.min(buf.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// The files under `fuzz/regressions/<target>/`.
fn regressions(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    (
                        name,
                        std::fs::read(e.path()).expect("read regression input"),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn inputs_the_fuzzers_found_stay_fixed() {
    use kcurl::json::{Layout, Outcome, Style, reformat};
    let found = regressions("json_printer");
    assert!(!found.is_empty(), "fuzz/regressions/json_printer is empty");
    for (name, data) in found {
        let [mode, split, body @ ..] = data.as_slice() else {
            panic!("{name}: too short");
        };
        let style = Style {
            layout: if mode & 1 == 1 {
                Layout::Compact
            } else {
                Layout::Pretty
            },
            color: false,
            terminal: false,
        };
        let (mut whole, mut pieces) = (Vec::new(), Vec::new());
        let a = reformat(body, &mut whole, style).expect("no I/O error");
        let b = reformat(
            Split {
                data: body,
                split: *split,
            },
            &mut pieces,
            style,
        )
        .expect("no I/O error");
        assert_eq!(a, b, "{name}");
        assert!(
            whole == pieces,
            "{name}: output depends on how the input was read"
        );
        assert_eq!(non_ws(&whole), non_ws(body), "{name}: bytes lost");
        if let Outcome::Invalid(inv) = a {
            assert!(whole.ends_with(&body[inv.offset as usize..]), "{name}");
        }
    }
    for (name, data) in regressions("kubeconfig") {
        let _ = kcurl::kubeconfig::from_texts(&[(std::path::Path::new("/k/config"), &data)]);
        println!("{name}: no panic");
    }
    for (name, data) in regressions("exec_credential") {
        let _ = kcurl::auth::exec::parse_credential(&data, "client.authentication.k8s.io/v1");
        println!("{name}: no panic");
    }
}

/// Peak resident memory of a running process in KiB (`VmHWM`), where `/proc` has it.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// kcurl started with `args`, stdout read by a thread that hands over each piece it reads.
fn spawn_streaming(
    env: &Env,
    args: &[&str],
) -> (std::process::Child, std::sync::mpsc::Receiver<Vec<u8>>) {
    let mut child = kcurl_std(env)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start kcurl");
    let mut out = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::sync_channel(16);
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 256 * 1024];
        while let Ok(n @ 1..) = out.read(&mut buf) {
            if tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// Waits for the child's exit (bounded by [`WAIT`]).
fn wait_exit(child: &mut std::process::Child) -> i32 {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(status) = child.try_wait().expect("wait for kcurl") {
            return status.code().unwrap_or(-1);
        }
        assert!(
            Instant::now() < deadline,
            "kcurl did not exit within {WAIT:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Memory bound for kcurl (debug build) however large the response: measured peaks are in
/// the report of the hardening issue; holding the body would exceed this many times over.
const RSS_BOUND_KIB: u64 = 40 * 1024;

#[test]
fn memory_stays_flat_on_a_200_mb_raw_body() {
    const MIB: usize = 1 << 20;
    const CHUNKS: usize = 200;
    let (pki, env) = (Pki::new(), Env::new());
    // Back-pressure: the test never holds more than a few chunks either.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
    let stream = std::sync::Mutex::new(Some(rx));
    let _server = serve(&pki, &env, move |_| Reply::Stream {
        status: 200,
        headers: vec![("Content-Type".into(), "application/octet-stream".into())],
        chunks: stream.lock().unwrap().take().expect("one request"),
        gzip: false,
    });
    let (mut child, stdout) = spawn_streaming(&env, &["--raw", "/big"]);
    let block = |i: usize| vec![b'a' + (i % 26) as u8; MIB];
    let feeder = std::thread::spawn(move || {
        for i in 0..CHUNKS {
            tx.send(block(i)).expect("kcurl reads the stream");
        }
        tx // kept open: the response has not ended when memory is measured
    });
    let expected: Vec<Vec<u8>> = (0..26).map(block).collect();
    let mut received = 0usize;
    while received < CHUNKS * MIB {
        let piece = stdout.recv_timeout(WAIT).expect("output keeps coming");
        let mut rest = piece.as_slice();
        while !rest.is_empty() {
            let (i, offset) = (received / MIB, received % MIB);
            let n = rest.len().min(MIB - offset);
            let letter = b'a' + (i % 26) as u8;
            assert!(
                rest[..n] == expected[usize::from(letter - b'a')][..n],
                "wrong bytes in chunk {i}"
            );
            rest = &rest[n..];
            received += n;
        }
    }
    assert_eq!(received, CHUNKS * MIB, "extra output");
    let peak = peak_rss_kib(child.id());
    let tx = feeder.join().expect("feeder");
    drop(tx);
    assert!(stdout.recv_timeout(WAIT).is_err(), "output after the body");
    assert_eq!(wait_exit(&mut child), 0);
    match peak {
        Some(kib) => {
            println!("kcurl --raw, 200 MiB body: peak RSS {kib} KiB");
            assert!(kib < RSS_BOUND_KIB, "kcurl's peak RSS was {kib} KiB");
        }
        None => println!("skipping the memory check: no /proc/PID/status VmHWM here"),
    }
}

#[test]
fn memory_stays_flat_on_an_endless_watch() {
    const EVENTS: usize = 100_000;
    let (pki, env) = (Pki::new(), Env::new());
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(64);
    let stream = std::sync::Mutex::new(Some(rx));
    let _server = serve(&pki, &env, move |_| Reply::Stream {
        status: 200,
        headers: vec![("Content-Type".into(), "application/json".into())],
        chunks: stream.lock().unwrap().take().expect("one request"),
        gzip: false,
    });
    let event = |i: usize| {
        format!(
            r#"{{"type":"MODIFIED","object":{{"kind":"Pod","apiVersion":"v1","metadata":{{"name":"web-{i}","namespace":"default","resourceVersion":"{i}","labels":{{"app":"web","pad":"{}"}}}},"status":{{"phase":"Running"}}}}}}"#,
            "p".repeat(i % 300)
        )
    };
    let (mut child, stdout) = spawn_streaming(&env, &["-c", "-w", "/api/v1/pods"]);
    let feeder = std::thread::spawn(move || {
        for i in 0..EVENTS {
            tx.send(format!("{}\n", event(i)).into_bytes())
                .expect("kcurl reads the watch");
        }
        tx
    });
    let (mut lines, mut pending, mut bytes) = (0usize, Vec::new(), 0usize);
    let mut early_peak = None;
    while lines < EVENTS {
        let piece = stdout.recv_timeout(WAIT).expect("events keep coming");
        bytes += piece.len();
        pending.extend_from_slice(&piece);
        while let Some(i) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=i).collect();
            assert_eq!(
                line[..line.len() - 1],
                *event(lines).as_bytes(),
                "event {lines}"
            );
            lines += 1;
        }
        if early_peak.is_none() && lines >= EVENTS / 10 {
            early_peak = peak_rss_kib(child.id());
        }
    }
    let peak = peak_rss_kib(child.id());
    drop(feeder.join().expect("feeder"));
    assert_eq!(wait_exit(&mut child), 0);
    match (early_peak, peak) {
        (Some(early), Some(kib)) => {
            println!(
                "kcurl -c -w, {EVENTS} events ({} MB): peak RSS {early} KiB after 10%, {kib} KiB at the end",
                bytes / 1_000_000
            );
            assert!(kib < RSS_BOUND_KIB, "kcurl's peak RSS was {kib} KiB");
            // (The kernel's counters are approximate: a later reading may be a little lower.)
            assert!(
                kib.saturating_sub(early) < 4 * 1024,
                "grew from {early} to {kib} KiB"
            );
        }
        _ => println!("skipping the memory check: no /proc/PID/status VmHWM here"),
    }
}
