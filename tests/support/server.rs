//! Recording HTTP/1.1 test server, over TLS (rustls, optional mTLS) or plain TCP.
//!
//! Every request is recorded (method, target, headers, body, client certificate, SNI) before the
//! handler runs, and the handler's [`Reply`] says what goes back: a complete response, a chunked
//! stream fed by the test through a channel, raw bytes for hostile-server tests, or nothing.
//!
//! Connections are kept alive (HTTP/1.1 semantics): several requests may arrive on one
//! connection, and [`Request::connection`] says which. A connection is closed after a request
//! that says `Connection: close` or is HTTP/1.0, after a reply that sets `Connection: close` or
//! has no framing ([`Reply::without_content_length`]), and always after [`Reply::Raw`].
//! When the [`Server`] drops, its port stops accepting and every open connection is shut down.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{RootCertStore, ServerConfig, ServerConnection, StreamOwned};

use super::http::{
    GzipStream, RequestError, gzip_bytes, head, header_has_token, header_present, read_request,
    write_chunk,
};
use super::kube::{kube_default, status_reply};
use super::net::{Acceptor, Tracker, lock};
use super::pki::{CertFiles, Pki};

/// How long a test waits for something the server should do before failing (a guard, never a
/// synchronisation delay).
pub const WAIT: Duration = Duration::from_secs(30);

/// One request as the server received it.
#[derive(Clone, Debug)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target exactly as sent: path plus `?query`.
    pub target: String,
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: String,
    /// Header names lower-cased, values trimmed, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked if it was sent with `Transfer-Encoding: chunked`.
    pub body: Vec<u8>,
    /// The client's TLS certificate (the end-entity one), if it sent one.
    pub client_cert_der: Option<Vec<u8>>,
    /// The TLS server name the client sent (none for IP-address URLs, none for plain http).
    pub sni: Option<String>,
    /// Which TCP connection of this server it arrived on, from 1 (to see connection reuse).
    pub connection: usize,
}

impl Request {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name` (case-insensitive), in order.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The target without its query.
    pub fn path(&self) -> &str {
        self.target.split_once('?').map_or(&self.target, |(p, _)| p)
    }

    /// The query (after `?`), if any.
    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, q)| q)
    }

    /// The body as UTF-8 (lossy).
    pub fn body_str(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What the server sends back for one request.
pub enum Reply {
    /// A complete response.
    Full {
        /// Status code.
        status: u16,
        /// Reason phrase; `None` picks the standard one for `status`.
        reason: Option<String>,
        /// Headers, written in this order.
        headers: Vec<(String, String)>,
        /// Body (not written for `HEAD`, 1xx, 204 and 304).
        body: Vec<u8>,
        /// Gzip the body and add `Content-Encoding: gzip`.
        gzip: bool,
        /// Add `Content-Length` (unless `headers` already has Content-Length or
        /// Transfer-Encoding). Without it the body ends when the server closes the connection.
        content_length: bool,
    },
    /// A `Transfer-Encoding: chunked` response: each `Vec<u8>` received on `chunks` is written
    /// as one chunk and flushed at once; dropping the sender ends the stream with the last
    /// chunk (`0\r\n\r\n`). Empty vectors are skipped (an empty chunk would end the stream).
    /// With `gzip`, the stream is gzip-encoded: the gzip header goes out as a first chunk right
    /// after the response head, then each chunk is a complete (stored) deflate block, so a
    /// client can decode it before the next one arrives.
    Stream {
        /// Status code.
        status: u16,
        /// Headers (do not add Transfer-Encoding: it is added).
        headers: Vec<(String, String)>,
        /// Chunk source, fed by the test.
        chunks: Receiver<Vec<u8>>,
        /// Gzip-encode the stream.
        gzip: bool,
    },
    /// Exactly these bytes, then the connection is closed: with a TLS `close_notify` when
    /// `close_notify` is true, as a bare TCP close otherwise (a truncation attack, seen by the
    /// client as an unexpected EOF).
    Raw {
        /// Bytes written verbatim after the handshake.
        bytes: Vec<u8>,
        /// Send `close_notify` before closing (TLS only).
        close_notify: bool,
    },
    /// Read the request, then answer nothing and hold the connection open until the client
    /// closes it or the server is dropped.
    NeverAnswer,
}

impl Reply {
    /// An empty complete response.
    pub fn new(status: u16) -> Reply {
        Reply::Full {
            status,
            reason: None,
            headers: Vec::new(),
            body: Vec::new(),
            gzip: false,
            content_length: true,
        }
    }

    /// A complete `application/json` response.
    pub fn json(status: u16, body: impl Into<String>) -> Reply {
        Reply::new(status)
            .header("Content-Type", "application/json")
            .body(body.into())
    }

    /// A complete `text/plain; charset=utf-8` response.
    pub fn text(status: u16, body: impl Into<String>) -> Reply {
        Reply::new(status)
            .header("Content-Type", "text/plain; charset=utf-8")
            .body(body.into())
    }

    /// A chunked `application/json` stream fed through `chunks` (see [`Reply::Stream`]).
    pub fn stream(status: u16, chunks: Receiver<Vec<u8>>) -> Reply {
        Reply::Stream {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            chunks,
            gzip: false,
        }
    }

    /// Exactly `bytes`, then `close_notify` and close (see [`Reply::Raw`]).
    pub fn raw(bytes: impl Into<Vec<u8>>) -> Reply {
        Reply::Raw {
            bytes: bytes.into(),
            close_notify: true,
        }
    }

    /// Exactly `bytes`, then a TCP close with no TLS `close_notify`.
    pub fn raw_no_close_notify(bytes: impl Into<Vec<u8>>) -> Reply {
        Reply::Raw {
            bytes: bytes.into(),
            close_notify: false,
        }
    }

    /// Adds a header (complete and stream replies; ignored otherwise).
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        if let Reply::Full { headers, .. } | Reply::Stream { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    /// Replaces the first header named `name` (case-insensitive), or adds it.
    pub fn set_header(mut self, name: &str, value: &str) -> Reply {
        if let Reply::Full { headers, .. } | Reply::Stream { headers, .. } = &mut self {
            match headers
                .iter_mut()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
            {
                Some(h) => value.clone_into(&mut h.1),
                None => headers.push((name.to_owned(), value.to_owned())),
            }
        }
        self
    }

    /// Sets the body (complete replies only).
    pub fn body(mut self, data: impl Into<Vec<u8>>) -> Reply {
        if let Reply::Full { body, .. } = &mut self {
            *body = data.into();
        }
        self
    }

    /// Sets the reason phrase (complete replies only).
    pub fn reason(mut self, text: &str) -> Reply {
        if let Reply::Full { reason, .. } = &mut self {
            *reason = Some(text.to_owned());
        }
        self
    }

    /// Gzip-encodes the body or stream and adds `Content-Encoding: gzip`.
    pub fn gzip(mut self) -> Reply {
        if let Reply::Full { gzip, .. } | Reply::Stream { gzip, .. } = &mut self {
            *gzip = true;
        }
        self
    }

    /// No `Content-Length`: the body is delimited by closing the connection.
    pub fn without_content_length(mut self) -> Reply {
        if let Reply::Full { content_length, .. } = &mut self {
            *content_length = false;
        }
        self
    }
}

/// A handler: maps each request to its reply. It runs on the connection's thread; a panic in
/// it is caught, logged in [`Server::errors`] and answered with a 500.
pub type Handler = Arc<dyn Fn(&Request) -> Reply + Send + Sync>;

/// A stream reply that can be handed out once from an `Fn` handler: the test keeps the
/// [`Sender`], the handler calls [`OnceStream::reply`].
///
/// ```ignore
/// let (events, watch) = OnceStream::new();
/// let server = ServerBuilder::new(&pki).handler(move |_| watch.reply(200)).start();
/// events.send(b"{\"type\":\"ADDED\"}\n".to_vec()).unwrap();
/// ```
pub struct OnceStream(Mutex<Option<Receiver<Vec<u8>>>>);

impl OnceStream {
    /// A channel: the sender feeds the stream; drop it to end the stream.
    pub fn new() -> (Sender<Vec<u8>>, OnceStream) {
        let (tx, rx) = std::sync::mpsc::channel();
        (tx, OnceStream(Mutex::new(Some(rx))))
    }

    /// The first call: a chunked `application/json` stream with `status`. Later calls: a
    /// 500 Status saying the stream was already used.
    pub fn reply(&self, status: u16) -> Reply {
        match lock(&self.0).take() {
            Some(rx) => Reply::stream(status, rx),
            None => status_reply(500, "InternalError", "test stream already consumed"),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ClientAuth {
    None,
    Optional,
    Required,
}

/// Builds a [`Server`].
pub struct ServerBuilder {
    ca_der: Vec<u8>,
    cert: CertFiles,
    tls: bool,
    client_auth: ClientAuth,
    handler: Handler,
    quiet: bool,
}

impl ServerBuilder {
    /// TLS with a fresh certificate from `pki` for `127.0.0.1`, `::1` and `localhost`; no
    /// client certificate requested; [`kube_default`] as handler.
    pub fn new(pki: &Pki) -> Self {
        ServerBuilder {
            ca_der: pki.ca.cert_der.clone(),
            cert: pki.server_cert(&["127.0.0.1", "::1", "localhost"]),
            tls: true,
            client_auth: ClientAuth::None,
            handler: Arc::new(kube_default),
            quiet: false,
        }
    }

    /// Serves this certificate (and its key) instead.
    pub fn cert(mut self, cert: &CertFiles) -> Self {
        self.cert = cert.clone();
        self
    }

    /// No TLS: plain HTTP.
    pub fn plain_http(mut self) -> Self {
        self.tls = false;
        self
    }

    /// mTLS: the handshake fails unless the client presents a certificate that chains to the
    /// PKI's CA (rustls `WebPkiClientVerifier`, which also requires the clientAuth EKU).
    pub fn require_client_cert(mut self) -> Self {
        self.client_auth = ClientAuth::Required;
        self
    }

    /// Asks for a client certificate but also accepts clients without one (a certificate that
    /// is sent must still chain to the CA).
    pub fn request_client_cert(mut self) -> Self {
        self.client_auth = ClientAuth::Optional;
        self
    }

    /// Records server-side problems (see [`Server::errors`]) without printing them: for the demo
    /// server, where a client that goes away (Ctrl-C of a watch) is not worth a line.
    pub fn quiet(mut self) -> Self {
        self.quiet = true;
        self
    }

    /// Uses `handler` instead of [`kube_default`].
    pub fn handler(mut self, handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Self {
        self.handler = Arc::new(handler);
        self
    }

    /// Binds 127.0.0.1 on a free port and starts serving.
    pub fn start(self) -> Server {
        let tls = self.tls.then(|| self.tls_config());
        let tracker = Arc::new(Tracker::default());
        let shared = Arc::new(Shared {
            handler: self.handler,
            quiet: self.quiet,
            tls,
            tracker: Arc::clone(&tracker),
            requests: Mutex::new(Vec::new()),
            arrived: Condvar::new(),
            handshake_errors: Mutex::new(Vec::new()),
            errors: Mutex::new(Vec::new()),
        });
        let conn_shared = Arc::clone(&shared);
        let acceptor = Acceptor::spawn("test-server", tracker, move |tcp, n| {
            serve_connection(&conn_shared, tcp, n);
        });
        Server {
            scheme: if self.tls { "https" } else { "http" },
            shared,
            acceptor,
        }
    }

    fn tls_config(&self) -> Arc<ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions");
        let builder = match self.client_auth {
            ClientAuth::None => builder.with_no_client_auth(),
            ClientAuth::Optional | ClientAuth::Required => {
                let mut roots = RootCertStore::empty();
                roots
                    .add(CertificateDer::from(self.ca_der.clone()))
                    .expect("CA certificate is valid");
                let verifier = WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    Arc::clone(&provider),
                );
                let verifier = if self.client_auth == ClientAuth::Optional {
                    verifier.allow_unauthenticated()
                } else {
                    verifier
                };
                builder.with_client_cert_verifier(verifier.build().expect("client verifier"))
            }
        };
        let chain = CertificateDer::pem_slice_iter(self.cert.cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .expect("server certificate PEM");
        let key =
            PrivateKeyDer::from_pem_slice(self.cert.key_pem.as_bytes()).expect("server key PEM");
        let key = provider
            .key_provider
            .load_private_key(key)
            .expect("ring can sign with the server key (P-521 it cannot)");
        // Not `with_single_cert`: it parses the certificate and refuses X.509 v1 ones, which
        // tests must be able to serve.
        let fixed = FixedCert(Arc::new(CertifiedKey::new(chain, key)));
        Arc::new(builder.with_cert_resolver(Arc::new(fixed)))
    }
}

/// Serves one certificate chain to every client, without checking it.
#[derive(Debug)]
struct FixedCert(Arc<CertifiedKey>);

impl ResolvesServerCert for FixedCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(&self.0))
    }
}

struct Shared {
    handler: Handler,
    quiet: bool,
    tls: Option<Arc<ServerConfig>>,
    tracker: Arc<Tracker>,
    requests: Mutex<Vec<Request>>,
    arrived: Condvar,
    handshake_errors: Mutex<Vec<String>>,
    errors: Mutex<Vec<String>>,
}

impl Shared {
    fn error(&self, msg: String) {
        if !self.tracker.is_stopped() {
            if !self.quiet {
                eprintln!("test server: {msg}");
            }
            lock(&self.errors).push(msg);
        }
    }
}

/// A running test server; dropping it stops it.
pub struct Server {
    scheme: &'static str,
    shared: Arc<Shared>,
    acceptor: Acceptor,
}

impl Server {
    /// `https://127.0.0.1:PORT` (or `http://` for [`ServerBuilder::plain_http`]), no trailing slash.
    pub fn url(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.port())
    }

    /// The port it listens on (127.0.0.1 only).
    pub fn port(&self) -> u16 {
        self.acceptor.port()
    }

    /// Every request received so far, in order of arrival.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.shared.requests).clone()
    }

    /// The only request received; panics if there were none or more than one.
    pub fn only_request(&self) -> Request {
        let reqs = self.requests();
        match reqs.as_slice() {
            [one] => one.clone(),
            _ => panic!(
                "expected exactly one request, got {}: {:?}",
                reqs.len(),
                reqs.iter()
                    .map(|r| format!("{} {}", r.method, r.target))
                    .collect::<Vec<_>>()
            ),
        }
    }

    /// Waits until at least `n` requests have arrived (panics after [`WAIT`]) and returns all.
    /// Useful when the client is still running, e.g. before feeding a stream or with
    /// [`Reply::NeverAnswer`].
    pub fn wait_for_requests(&self, n: usize) -> Vec<Request> {
        let deadline = Instant::now() + WAIT;
        let mut reqs = lock(&self.shared.requests);
        while reqs.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "waited {WAIT:?} for {n} requests, got {}",
                reqs.len()
            );
            reqs = self
                .shared
                .arrived
                .wait_timeout(reqs, left)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
        reqs.clone()
    }

    /// TLS handshake failures seen by the server, as rustls words them, e.g.
    /// `peer sent no certificates`, `invalid peer certificate: UnknownIssuer`,
    /// `received fatal alert: UnknownCA` (an OpenSSL or Go client refused our certificate), or
    /// `connection closed during handshake` (what a rustls/ureq client that refuses our
    /// certificate looks like: it closes without sending an alert).
    pub fn handshake_errors(&self) -> Vec<String> {
        lock(&self.shared.handshake_errors).clone()
    }

    /// Other server-side problems: malformed requests, handler panics, write failures.
    pub fn errors(&self) -> Vec<String> {
        lock(&self.shared.errors).clone()
    }
}

/// Reads and writes plain TCP or TLS.
enum Conn {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ServerConnection, TcpStream>>),
}

impl Conn {
    fn tcp(&self) -> &TcpStream {
        match self {
            Conn::Plain(s) => s,
            Conn::Tls(s) => &s.sock,
        }
    }

    /// Closes the connection without losing data the client has not read yet: optional
    /// `close_notify`, FIN, then drain what the client still sends (bounded) before dropping.
    fn close(&mut self, close_notify: bool) {
        if let Conn::Tls(s) = self {
            if close_notify {
                s.conn.send_close_notify();
            }
            let _ = s.flush();
        }
        let tcp = self.tcp();
        let _ = tcp.shutdown(Shutdown::Write);
        let _ = tcp.set_read_timeout(Some(Duration::from_secs(2)));
        let mut buf = [0u8; 4096];
        let mut tcp = tcp;
        while matches!(tcp.read(&mut buf), Ok(n) if n > 0) {}
        let _ = tcp.shutdown(Shutdown::Both);
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
        }
    }
}

/// Serves one TCP connection: TLS handshake (if any), then requests until it closes.
fn serve_connection(shared: &Shared, tcp: TcpStream, conn_id: usize) {
    let _ = tcp.set_nodelay(true);
    let Some(accepted) = accept(shared, tcp) else {
        return;
    };
    let mut reader = BufReader::new(accepted.conn);
    loop {
        let parsed = match read_request(&mut reader) {
            Ok(Some(p)) => p,
            Ok(None) => return, // the client closed an idle connection
            Err(RequestError::Io(e)) => {
                if !matches!(
                    e.kind(),
                    io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
                ) {
                    shared.error(format!("connection {conn_id}: reading request: {e}"));
                }
                return;
            }
            Err(RequestError::Bad(msg)) => {
                shared.error(format!("connection {conn_id}: bad request: {msg}"));
                let conn = reader.get_mut();
                let _ = conn.write_all(
                    b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                );
                conn.close(true);
                return;
            }
        };
        let request = Request {
            method: parsed.method,
            target: parsed.target,
            version: parsed.version,
            headers: parsed.headers,
            body: parsed.body,
            client_cert_der: accepted.client_cert.clone(),
            sni: accepted.sni.clone(),
            connection: conn_id,
        };
        lock(&shared.requests).push(request.clone());
        shared.arrived.notify_all();
        let reply = run_handler(shared, &request);

        let client_keeps_alive = request.version == "HTTP/1.1"
            && !header_has_token(&request.headers, "connection", "close");
        let conn = reader.get_mut();
        match write_reply(shared, conn, &request, reply) {
            Ok(Next::KeepAlive) if client_keeps_alive => continue,
            Ok(Next::KeepAlive | Next::Close) => conn.close(true),
            Ok(Next::CloseNoNotify) => conn.close(false),
            Ok(Next::Hold) => {
                let mut buf = [0u8; 4096];
                while matches!(conn.read(&mut buf), Ok(n) if n > 0) {}
            }
            Err(e) => shared.error(format!(
                "connection {conn_id}: writing reply to {} {}: {e}",
                request.method, request.target
            )),
        }
        return;
    }
}

/// A connection past its TLS handshake.
struct Accepted {
    conn: Conn,
    sni: Option<String>,
    client_cert: Option<Vec<u8>>,
}

/// Completes the TLS handshake, if this server does TLS; records and drops failures.
fn accept(shared: &Shared, mut tcp: TcpStream) -> Option<Accepted> {
    let Some(config) = &shared.tls else {
        return Some(Accepted {
            conn: Conn::Plain(tcp),
            sni: None,
            client_cert: None,
        });
    };
    let mut tls = match ServerConnection::new(Arc::clone(config)) {
        Ok(c) => c,
        Err(e) => {
            shared.error(format!("cannot start TLS: {e}"));
            return None;
        }
    };
    while tls.is_handshaking() {
        if let Err(e) = tls.complete_io(&mut tcp) {
            if !shared.tracker.is_stopped() {
                let msg = if e.kind() == io::ErrorKind::UnexpectedEof {
                    "connection closed during handshake".to_owned()
                } else {
                    e.to_string()
                };
                lock(&shared.handshake_errors).push(msg);
            }
            let _ = tcp.shutdown(Shutdown::Both);
            return None;
        }
    }
    let sni = tls.server_name().map(str::to_owned);
    let client_cert = tls
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| c.to_vec());
    Some(Accepted {
        conn: Conn::Tls(Box::new(StreamOwned::new(tls, tcp))),
        sni,
        client_cert,
    })
}

/// Runs the handler; a panic becomes a 500 Status and an entry in [`Server::errors`].
fn run_handler(shared: &Shared, request: &Request) -> Reply {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (shared.handler)(request)))
        .unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(ToString::to_string)
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            shared.error(format!(
                "handler panicked on {} {}: {what}",
                request.method, request.target
            ));
            status_reply(500, "InternalError", "test handler panicked")
        })
}

/// What happens to the connection after a reply.
enum Next {
    KeepAlive,
    Close,
    CloseNoNotify,
    Hold,
}

fn write_reply(shared: &Shared, conn: &mut Conn, req: &Request, reply: Reply) -> io::Result<Next> {
    match reply {
        Reply::Full {
            status,
            reason,
            mut headers,
            body,
            gzip,
            content_length,
        } => {
            let body = if gzip {
                headers.push(("Content-Encoding".into(), "gzip".into()));
                gzip_bytes(&body)
            } else {
                body
            };
            let bodyless = req.method == "HEAD" || status < 200 || status == 204 || status == 304;
            let framed = header_present(&headers, "content-length")
                || header_present(&headers, "transfer-encoding");
            if content_length && !framed && !(status < 200 || status == 204 || status == 304) {
                headers.push(("Content-Length".into(), body.len().to_string()));
            }
            let mut out = head(status, reason.as_deref(), &headers);
            if !bodyless {
                out.extend_from_slice(&body);
            }
            conn.write_all(&out)?;
            conn.flush()?;
            let delimited = content_length || framed || bodyless;
            if !delimited || header_has_token(&headers, "connection", "close") {
                Ok(Next::Close)
            } else {
                Ok(Next::KeepAlive)
            }
        }
        Reply::Stream {
            status,
            mut headers,
            chunks,
            gzip,
        } => {
            headers.push(("Transfer-Encoding".into(), "chunked".into()));
            if gzip {
                headers.push(("Content-Encoding".into(), "gzip".into()));
            }
            conn.write_all(&head(status, None, &headers))?;
            conn.flush()?;
            let mut encoder = gzip.then(GzipStream::default);
            if let Some(enc) = &mut encoder {
                // The gzip header goes out at once: some decoders (flate2's) read it when they
                // are created, and must not wait for the first event.
                let mut header = Vec::new();
                enc.header(&mut header);
                write_chunk(conn, &header)?;
            }
            loop {
                // The timeout only lets a dropped server end this thread; data is written
                // the moment it arrives.
                let chunk = match chunks.recv_timeout(Duration::from_millis(200)) {
                    Ok(c) => c,
                    Err(RecvTimeoutError::Timeout) if shared.tracker.is_stopped() => {
                        return Ok(Next::CloseNoNotify);
                    }
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => break,
                };
                if chunk.is_empty() {
                    continue;
                }
                let data = match &mut encoder {
                    Some(enc) => enc.block(&chunk),
                    None => chunk,
                };
                write_chunk(conn, &data)?;
            }
            if let Some(enc) = encoder {
                write_chunk(conn, &enc.finish())?;
            }
            conn.write_all(b"0\r\n\r\n")?;
            conn.flush()?;
            if header_has_token(&headers, "connection", "close") {
                Ok(Next::Close)
            } else {
                Ok(Next::KeepAlive)
            }
        }
        Reply::Raw {
            bytes,
            close_notify,
        } => {
            conn.write_all(&bytes)?;
            conn.flush()?;
            Ok(if close_notify {
                Next::Close
            } else {
                Next::CloseNoNotify
            })
        }
        Reply::NeverAnswer => Ok(Next::Hold),
    }
}
