//! Test proxies that log what clients ask of them: an HTTP proxy (CONNECT tunnels, and
//! absolute-form plain-http requests forwarded) and a no-auth SOCKS5 proxy (CONNECT only).
//!
//! They never resolve names and never leave the machine: a target whose host is a domain name
//! (any name, e.g. `kube.test`) or a loopback address is tunnelled to `127.0.0.1` at the same
//! port; any other address is refused. So a test can use a made-up host name whose certificate
//! SAN it chose and still reach its local server.

use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::net::{Acceptor, Tracker, lock};

/// A running proxy; dropping it stops it and closes its tunnels.
pub struct Proxy {
    scheme: &'static str,
    log: Arc<Mutex<Vec<String>>>,
    acceptor: Acceptor,
}

impl Proxy {
    /// `http://127.0.0.1:PORT` or `socks5://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.port())
    }

    /// The port it listens on (127.0.0.1 only).
    pub fn port(&self) -> u16 {
        self.acceptor.port()
    }

    /// One line per request, in order:
    /// - HTTP proxy: `CONNECT 127.0.0.1:8443`, `GET http://127.0.0.1:8080/api`, followed by
    ///   ` proxy-authorization: <value>` when the client sent that header;
    /// - SOCKS5: `ipv4 127.0.0.1:8443`, `domain kube.test:8443` or `ipv6 [::1]:8443`, saying
    ///   whether the client sent an address or a name for the proxy to resolve.
    pub fn log(&self) -> Vec<String> {
        lock(&self.log).clone()
    }
}

/// An HTTP proxy that tunnels every CONNECT and forwards absolute-form `http://` requests.
pub fn spawn_connect_proxy() -> Proxy {
    spawn_http_proxy(None)
}

/// Like [`spawn_connect_proxy`], but answers `407 Proxy Authentication Required` unless the
/// client's `Proxy-Authorization` header is exactly `expected` (e.g. `Basic dXNlcjpwYXNz`).
pub fn spawn_connect_proxy_with_auth(expected: &str) -> Proxy {
    spawn_http_proxy(Some(expected.to_owned()))
}

/// A SOCKS5 proxy (no authentication, CONNECT only).
pub fn spawn_socks5() -> Proxy {
    let log = Arc::new(Mutex::new(Vec::new()));
    let tracker = Arc::new(Tracker::default());
    let (conn_log, conn_tracker) = (Arc::clone(&log), Arc::clone(&tracker));
    let acceptor = Acceptor::spawn("socks5-proxy", tracker, move |client, _| {
        if let Err(e) = serve_socks5(client, &conn_log, &conn_tracker) {
            if !conn_tracker.is_stopped() {
                eprintln!("socks5 proxy: {e}");
            }
        }
    });
    Proxy {
        scheme: "socks5",
        log,
        acceptor,
    }
}

fn spawn_http_proxy(expected_auth: Option<String>) -> Proxy {
    let log = Arc::new(Mutex::new(Vec::new()));
    let tracker = Arc::new(Tracker::default());
    let (conn_log, conn_tracker) = (Arc::clone(&log), Arc::clone(&tracker));
    let acceptor = Acceptor::spawn("http-proxy", tracker, move |client, _| {
        if let Err(e) = serve_http_proxy(client, expected_auth.as_deref(), &conn_log, &conn_tracker)
        {
            if !conn_tracker.is_stopped() {
                eprintln!("http proxy: {e}");
            }
        }
    });
    Proxy {
        scheme: "http",
        log,
        acceptor,
    }
}

fn serve_http_proxy(
    client: TcpStream,
    expected_auth: Option<&str>,
    log: &Mutex<Vec<String>>,
    tracker: &Arc<Tracker>,
) -> io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(()); // closed before a full request head
        }
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        if line.is_empty() {
            break;
        }
        head.push(line);
        if head.len() > 200 {
            return Err(io::Error::other("request head too long"));
        }
    }
    let mut request_line = head.first().map(|l| l.split(' ')).into_iter().flatten();
    let (method, target, version) = (
        request_line.next().unwrap_or("").to_owned(),
        request_line.next().unwrap_or("").to_owned(),
        request_line.next().unwrap_or("HTTP/1.1").to_owned(),
    );
    let auth = head[1..].iter().find_map(|h| {
        let (name, value) = h.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("proxy-authorization")
            .then(|| value.trim().to_owned())
    });
    let mut entry = format!("{method} {target}");
    if let Some(a) = &auth {
        let _ = write!(entry, " proxy-authorization: {a}");
    }
    lock(log).push(entry);

    let mut client = client;
    if let Some(expected) = expected_auth {
        if auth.as_deref() != Some(expected) {
            client.write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                  Proxy-Authenticate: Basic realm=\"kcurl-test\"\r\n\
                  Content-Length: 0\r\nConnection: close\r\n\r\n",
            )?;
            return close(&client);
        }
    }

    let leftover = reader.buffer().to_vec();
    if method == "CONNECT" {
        let upstream = match split_host_port(&target).and_then(|(h, p)| connect_local(&h, p)) {
            Ok(s) => s,
            Err(e) => {
                client.write_all(
                    b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )?;
                let _ = close(&client);
                return Err(io::Error::other(format!("CONNECT {target}: {e}")));
            }
        };
        client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
        return tunnel(client, &leftover, upstream, tracker);
    }

    // Absolute-form request for a plain-http origin: forward it in origin form.
    let forwarded = target
        .strip_prefix("http://")
        .ok_or_else(|| io::Error::other(format!("not an absolute http:// target: {target:?}")))
        .and_then(|rest| {
            let (authority, path) = match rest.find('/') {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, "/"),
            };
            let (host, port) = if authority.ends_with(']') || !authority.contains(':') {
                (authority.to_owned(), 80)
            } else {
                split_host_port(authority)?
            };
            Ok((connect_local(&host, port)?, path.to_owned()))
        });
    let (mut upstream, path) = match forwarded {
        Ok(f) => f,
        Err(e) => {
            client.write_all(
                b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )?;
            let _ = close(&client);
            return Err(e);
        }
    };
    let mut out = format!("{method} {path} {version}\r\n");
    for h in &head[1..] {
        let name = h.split(':').next().unwrap_or("").trim();
        if !name.eq_ignore_ascii_case("proxy-authorization")
            && !name.eq_ignore_ascii_case("proxy-connection")
        {
            out.push_str(h);
            out.push_str("\r\n");
        }
    }
    out.push_str("\r\n");
    upstream.write_all(out.as_bytes())?;
    tunnel(client, &leftover, upstream, tracker)
}

fn serve_socks5(
    mut client: TcpStream,
    log: &Mutex<Vec<String>>,
    tracker: &Arc<Tracker>,
) -> io::Result<()> {
    let mut greeting = [0u8; 2];
    client.read_exact(&mut greeting)?;
    if greeting[0] != 5 {
        return Err(io::Error::other(format!(
            "not SOCKS5: version byte {}",
            greeting[0]
        )));
    }
    let mut methods = vec![0u8; usize::from(greeting[1])];
    client.read_exact(&mut methods)?;
    if !methods.contains(&0) {
        client.write_all(&[5, 0xff])?;
        return Err(io::Error::other(format!(
            "no acceptable auth method in {methods:?}"
        )));
    }
    client.write_all(&[5, 0])?;

    let mut req = [0u8; 4];
    client.read_exact(&mut req)?;
    let (kind, host) = match req[3] {
        1 => {
            let mut a = [0u8; 4];
            client.read_exact(&mut a)?;
            ("ipv4", Ipv4Addr::from(a).to_string())
        }
        3 => {
            let mut n = [0u8; 1];
            client.read_exact(&mut n)?;
            let mut name = vec![0u8; usize::from(n[0])];
            client.read_exact(&mut name)?;
            ("domain", String::from_utf8_lossy(&name).into_owned())
        }
        4 => {
            let mut a = [0u8; 16];
            client.read_exact(&mut a)?;
            ("ipv6", format!("[{}]", Ipv6Addr::from(a)))
        }
        other => {
            client.write_all(&[5, 8, 0, 1, 0, 0, 0, 0, 0, 0])?; // address type not supported
            return Err(io::Error::other(format!("unknown address type {other}")));
        }
    };
    let mut port = [0u8; 2];
    client.read_exact(&mut port)?;
    let port = u16::from_be_bytes(port);
    lock(log).push(format!("{kind} {host}:{port}"));
    if req[1] != 1 {
        client.write_all(&[5, 7, 0, 1, 0, 0, 0, 0, 0, 0])?; // command not supported
        return Err(io::Error::other(format!("unsupported command {}", req[1])));
    }
    let upstream = match connect_local(&host, port) {
        Ok(s) => s,
        Err(e) => {
            client.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0])?; // connection refused
            return Err(io::Error::other(format!("{host}:{port}: {e}")));
        }
    };
    let bound = upstream.local_addr()?;
    let mut reply = vec![5, 0, 0, 1, 127, 0, 0, 1];
    reply.extend_from_slice(&bound.port().to_be_bytes());
    client.write_all(&reply)?;
    tunnel(client, &[], upstream, tracker)
}

/// Splits `host:port` (`[v6]:port` too).
fn split_host_port(s: &str) -> io::Result<(String, u16)> {
    let bad = || io::Error::other(format!("bad host:port {s:?}"));
    let (host, port) = s.rsplit_once(':').ok_or_else(bad)?;
    Ok((host.to_owned(), port.parse().map_err(|_| bad())?))
}

/// Connects to `127.0.0.1:port` for a domain name or loopback `host`; refuses anything else.
fn connect_local(host: &str, port: u16) -> io::Result<TcpStream> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        if !ip.is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("test proxy refuses non-loopback address {ip}"),
            ));
        }
    }
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpStream::connect_timeout(&addr, Duration::from_secs(5))
}

/// Copies both ways until both sides are done; the proxy's drop shuts both sockets down.
fn tunnel(
    client: TcpStream,
    leftover: &[u8],
    mut upstream: TcpStream,
    tracker: &Arc<Tracker>,
) -> io::Result<()> {
    let _tracked = tracker.track(&upstream);
    let _ = upstream.set_nodelay(true);
    let _ = client.set_nodelay(true);
    upstream.write_all(leftover)?;
    let (mut down_src, mut down_dst) = (upstream.try_clone()?, client.try_clone()?);
    let downstream = std::thread::spawn(move || {
        let _ = io::copy(&mut down_src, &mut down_dst);
        let _ = down_dst.shutdown(Shutdown::Write);
    });
    let mut client = client;
    let _ = io::copy(&mut client, &mut upstream);
    let _ = upstream.shutdown(Shutdown::Write);
    let _ = downstream.join();
    Ok(())
}

fn close(stream: &TcpStream) -> io::Result<()> {
    stream.shutdown(Shutdown::Write)?;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut buf = [0u8; 1024];
    let mut s = stream;
    while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
    Ok(())
}
