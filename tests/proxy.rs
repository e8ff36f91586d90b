//! Proxies through the real binary: the cluster's `proxy-url` (http CONNECT, socks5, socks5h,
//! validation), the environment (`HTTPS_PROXY`, `NO_PROXY` rules, loopback never proxied),
//! tls-server-name and client certificates through every proxy kind, and proxy credentials never
//! printed.
//!
//! The support proxies tunnel any host name to 127.0.0.1, so a server at `https://kube.test:PORT`
//! (a name that does not resolve) is reachable only through a proxy: a direct attempt fails with
//! exit 6, which is how the tests see that a request was not proxied.

use crate::support::*;

use std::path::PathBuf;

/// A one-context kubeconfig at `~/.kube/config`: cluster `test` at `server` with the test CA
/// plus `cluster_extra` (indented lines), user `dev` with the YAML flow mapping `user`.
fn write_config(env: &Env, pki: &Pki, server: &str, cluster_extra: &str, user: &str) -> PathBuf {
    KubeconfigBuilder::single_context(server, &pki.ca.cert, user)
        .cluster_yaml(cluster_extra)
        .write(env, ".kube/config")
}

/// `    proxy-url: URL\n`, for `cluster_extra`.
fn proxy_url(url: &str) -> String {
    format!("    proxy-url: {url}\n")
}

/// A server whose certificate is valid only for `kube.test`.
fn kube_test_server(pki: &Pki) -> Server {
    ServerBuilder::new(pki)
        .cert(&pki.server_cert(&["kube.test"]))
        .start()
}

/// The run failed the way a direct connection to the unresolvable `kube.test` fails: one error
/// line about resolving that name.
fn assert_direct_attempt(out: &Out, server: &str) {
    let prefix = format!("kcurl: error: {server}/version: ");
    assert!(out.stderr.starts_with(&prefix), "{out:?}");
    assert!(
        out.stderr.contains("could not resolve host \"kube.test\""),
        "{out:?}"
    );
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
}

/// A port nothing listens on (it was free a moment ago).
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn cluster_proxy_url_http_tunnels_with_connect() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let proxy = spawn_connect_proxy();
    write_config(
        &env,
        &pki,
        &server.url(),
        &proxy_url(&proxy.url()),
        "{token: tok-connect}",
    );
    let out = run(kcurl(&env).arg("/version"));
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
    assert_eq!(out.stdout.lines().next(), Some("{"));
    // client-go uses the cluster's proxy-url even for a loopback server.
    assert_eq!(
        proxy.log(),
        [format!("CONNECT 127.0.0.1:{}", server.port())]
    );
    assert_eq!(
        server.only_request().header("authorization"),
        Some("Bearer tok-connect")
    );
    assert_no_secret(&out, &["tok-connect"]);
}

#[test]
fn cluster_proxy_url_socks5_and_socks5h() {
    let (pki, env) = (Pki::new(), Env::new());
    let local = ServerBuilder::new(&pki).start();
    let named = kube_test_server(&pki);
    let named_url = format!("https://kube.test:{}", named.port());
    let cases = [
        (
            "socks5",
            local.url(),
            format!("ipv4 127.0.0.1:{}", local.port()),
        ),
        (
            "socks5h",
            local.url(),
            format!("ipv4 127.0.0.1:{}", local.port()),
        ),
        // Like Go's SOCKS5 dialer (client-go), both pass a host name for the proxy to resolve.
        (
            "socks5",
            named_url.clone(),
            format!("domain kube.test:{}", named.port()),
        ),
        (
            "socks5h",
            named_url.clone(),
            format!("domain kube.test:{}", named.port()),
        ),
    ];
    for (scheme, server, logged) in cases {
        let proxy = spawn_socks5();
        let url = format!("{scheme}://127.0.0.1:{}", proxy.port());
        write_config(&env, &pki, &server, &proxy_url(&url), "{token: tok-socks}");
        let out = run(kcurl(&env).arg("/version"));
        assert_eq!(
            (out.code, out.stderr.as_str()),
            (Some(0), ""),
            "{url} {server}: {out:?}"
        );
        assert_eq!(proxy.log(), [logged], "{url} {server}");
        assert_no_secret(&out, &["tok-socks"]);
    }
    assert_eq!(local.requests().len(), 2);
    let reqs = named.requests();
    assert_eq!(reqs.len(), 2);
    for req in reqs {
        assert_eq!(req.sni.as_deref(), Some("kube.test"));
        assert_eq!(req.header("authorization"), Some("Bearer tok-socks"));
    }
}

#[test]
fn unsupported_proxy_url_scheme_names_the_field() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    for (url, shown) in [
        ("ftp://x", "ftp://x"),
        (
            "ftp://kuser:pw-ftp-1@proxy.test:21",
            "ftp://<redacted>@proxy.test:21",
        ),
        ("proxy.test:3128", "proxy.test:3128"),
    ] {
        write_config(
            &env,
            &pki,
            &server.url(),
            &proxy_url(url),
            "{token: tok-ftp}",
        );
        let out = run(kcurl(&env).arg("/version"));
        assert_eq!(out.code, Some(1), "{out:?}");
        assert_eq!(
            out.stderr,
            format!(
                "kcurl: error: ~/.kube/config: clusters[\"test\"].proxy-url: \"{shown}\" has an \
                 unsupported scheme; use http://, https://, socks5:// or socks5h://\n"
            )
        );
        assert_no_secret(&out, &["tok-ftp", "pw-ftp-1", "kuser:pw-ftp-1"]);
    }
    assert!(server.requests().is_empty());
}

#[test]
fn https_proxy_from_the_environment_carries_a_remote_name() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = kube_test_server(&pki);
    let url = format!("https://kube.test:{}", server.port());
    write_config(&env, &pki, &url, "", "{token: tok-env-proxy}");
    for var in ["HTTPS_PROXY", "https_proxy"] {
        let proxy = spawn_connect_proxy();
        let out = run(kcurl(&env).env(var, proxy.url()).arg("/version"));
        assert_eq!(
            (out.code, out.stderr.as_str()),
            (Some(0), ""),
            "{var}: {out:?}"
        );
        assert_eq!(
            proxy.log(),
            [format!("CONNECT kube.test:{}", server.port())]
        );
        let req = server.requests().pop().unwrap();
        assert_eq!(req.sni.as_deref(), Some("kube.test"));
        assert_eq!(req.header("authorization"), Some("Bearer tok-env-proxy"));
        assert_no_secret(&out, &["tok-env-proxy"]);
    }
    // A proxy value without a scheme is http:// (Go).
    let proxy = spawn_connect_proxy();
    let bare = format!("127.0.0.1:{}", proxy.port());
    let out = run(kcurl(&env).env("HTTPS_PROXY", bare).arg("/version"));
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(proxy.log().len(), 1);
}

#[test]
fn http_proxy_is_not_used_for_https() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = kube_test_server(&pki);
    let url = format!("https://kube.test:{}", server.port());
    write_config(&env, &pki, &url, "", "{token: tok-http-proxy}");
    let proxy = spawn_connect_proxy();
    let out = run(kcurl(&env).env("HTTP_PROXY", proxy.url()).arg("/version"));
    assert_eq!(out.code, Some(6), "{out:?}");
    assert_direct_attempt(&out, &url);
    assert!(proxy.log().is_empty());
    assert_no_secret(&out, &["tok-http-proxy"]);
}

#[test]
fn no_proxy_rules_decide_which_hosts_bypass_the_proxy() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = kube_test_server(&pki);
    let port = server.port();
    let url = format!("https://kube.test:{port}");
    write_config(&env, &pki, &url, "", "{token: tok-no-proxy}");
    let bypass = [
        ("NO_PROXY", "kube.test".to_owned()),
        ("NO_PROXY", ".test".to_owned()),
        ("NO_PROXY", "test".to_owned()),
        ("NO_PROXY", "*.test".to_owned()),
        ("NO_PROXY", "*".to_owned()),
        ("NO_PROXY", format!("kube.test:{port}")),
        ("NO_PROXY", "other.example, KUBE.TEST ".to_owned()),
        ("no_proxy", "kube.test".to_owned()),
    ];
    for (var, value) in &bypass {
        let proxy = spawn_connect_proxy();
        let out = run(kcurl(&env)
            .env("HTTPS_PROXY", proxy.url())
            .env(var, value)
            .arg("/version"));
        assert_eq!(out.code, Some(6), "{var}={value}: {out:?}");
        assert_direct_attempt(&out, &url);
        assert!(proxy.log().is_empty(), "{var}={value}: {:?}", proxy.log());
        assert_no_secret(&out, &["tok-no-proxy"]);
    }
    let proxied = [
        "kube.testing".to_owned(),
        "ube.test".to_owned(),
        "other.test".to_owned(),
        "kube.test:1".to_owned(),
        "127.0.0.0/8".to_owned(),
        format!("127.0.0.1:{port}"),
    ];
    for value in &proxied {
        let proxy = spawn_connect_proxy();
        let out = run(kcurl(&env)
            .env("HTTPS_PROXY", proxy.url())
            .env("NO_PROXY", value)
            .arg("/version"));
        assert_eq!(
            (out.code, out.stderr.as_str()),
            (Some(0), ""),
            "NO_PROXY={value}: {out:?}"
        );
        assert_eq!(
            proxy.log(),
            [format!("CONNECT kube.test:{port}")],
            "NO_PROXY={value}"
        );
    }
    assert_eq!(server.requests().len(), proxied.len());
}

#[test]
fn no_proxy_cidr_matches_ip_servers() {
    let (pki, env) = (Pki::new(), Env::new());
    // TEST-NET-1: not loopback, so the environment proxy applies; the test proxy refuses to
    // tunnel there (502), and a direct connection cannot succeed either.
    let url = "https://192.0.2.1:6443";
    write_config(&env, &pki, url, "", "{token: tok-cidr}");
    let proxy = spawn_connect_proxy();
    let out = run(kcurl(&env).env("HTTPS_PROXY", proxy.url()).arg("/version"));
    assert_eq!(out.code, Some(6), "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "kcurl: error: {url}/version: proxy {} (from HTTPS_PROXY): it refused the tunnel: \
             proxy server responded 502/502\n",
            proxy.url()
        )
    );
    assert_eq!(proxy.log(), ["CONNECT 192.0.2.1:6443"]);
    assert_no_secret(&out, &["tok-cidr"]);

    for no_proxy in ["192.0.2.0/24", "192.0.2.1", "10.0.0.0/8,192.0.0.0/16"] {
        let proxy = spawn_connect_proxy();
        let out = run(kcurl(&env)
            .env("HTTPS_PROXY", proxy.url())
            .env("NO_PROXY", no_proxy)
            .args(["--connect-timeout", "1", "/version"]));
        assert_eq!(out.code, Some(6), "{no_proxy}: {out:?}");
        assert!(
            out.stderr
                .starts_with(&format!("kcurl: error: {url}/version: ")),
            "{out:?}"
        );
        assert!(!out.stderr.contains("proxy"), "{out:?}");
        assert!(proxy.log().is_empty(), "{no_proxy}: {:?}", proxy.log());
        assert_no_secret(&out, &["tok-cidr"]);
    }
}

#[test]
fn loopback_servers_are_never_proxied_from_the_environment() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let proxy = spawn_connect_proxy();
    for host in ["127.0.0.1", "localhost"] {
        let url = format!("https://{host}:{}", server.port());
        write_config(&env, &pki, &url, "", "{token: tok-loopback}");
        let out = run(kcurl(&env)
            .env("HTTPS_PROXY", proxy.url())
            .env("HTTP_PROXY", proxy.url())
            .arg("/version"));
        assert_eq!(
            (out.code, out.stderr.as_str()),
            (Some(0), ""),
            "{host}: {out:?}"
        );
        assert_no_secret(&out, &["tok-loopback"]);
    }
    assert!(proxy.log().is_empty(), "{:?}", proxy.log());
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn tls_server_name_and_client_certificate_work_through_every_proxy_kind() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki)
        .cert(&pki.server_cert(&["kube.internal"]))
        .require_client_cert()
        .start();
    let client = pki.client_cert("dev", Some("devs"), KeyKind::RsaPkcs1);
    let user = format!(
        "{{client-certificate: {}, client-key: {}}}",
        client.cert.display(),
        client.key.display()
    );
    let port = server.port();
    let by_ip = format!("https://127.0.0.1:{port}");
    let by_name = format!("https://kube.test:{port}");
    let sni = "    tls-server-name: kube.internal\n";
    let connect = spawn_connect_proxy();
    let socks = spawn_socks5();
    let cases = [
        (
            by_ip.clone(),
            proxy_url(&connect.url()),
            None,
            &connect,
            format!("CONNECT 127.0.0.1:{port}"),
        ),
        (
            by_ip.clone(),
            proxy_url(&format!("socks5://127.0.0.1:{}", socks.port())),
            None,
            &socks,
            format!("ipv4 127.0.0.1:{port}"),
        ),
        (
            by_name.clone(),
            proxy_url(&format!("socks5h://127.0.0.1:{}", socks.port())),
            None,
            &socks,
            format!("domain kube.test:{port}"),
        ),
        (
            by_name,
            String::new(),
            Some(connect.url()),
            &connect,
            format!("CONNECT kube.test:{port}"),
        ),
    ];
    for (i, (url, extra, env_proxy, proxy, logged)) in cases.into_iter().enumerate() {
        write_config(&env, &pki, &url, &format!("{sni}{extra}"), &user);
        let mut cmd = kcurl(&env);
        if let Some(p) = env_proxy {
            cmd.env("HTTPS_PROXY", p);
        }
        let before = proxy.log().len();
        let out = run(cmd.arg("/version"));
        assert_eq!(
            (out.code, out.stderr.as_str()),
            (Some(0), ""),
            "{url} {extra}: {out:?}"
        );
        assert_eq!(proxy.log()[before..], [logged], "{url} {extra}");
        let reqs = server.requests();
        assert_eq!(reqs.len(), i + 1, "{url} {extra}");
        let req = &reqs[i];
        assert_eq!(req.sni.as_deref(), Some("kube.internal"));
        assert_eq!(
            req.client_cert_der.as_deref(),
            Some(client.cert_der.as_slice())
        );
    }
    assert!(
        server.handshake_errors().is_empty(),
        "{:?}",
        server.handshake_errors()
    );
}

#[test]
fn proxy_credentials_are_sent_to_the_proxy_and_never_printed() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let secrets = [
        "tok-behind-proxy",
        "pw-proxy-1",
        "kuser:pw-proxy-1",
        "pw-proxy-2",
        "kuser:pw-proxy-2",
    ];
    let good = format!("Basic {}", b64("kuser:pw-proxy-1"));

    // Right credentials: the proxy gets them, the request goes through.
    let proxy = spawn_connect_proxy_with_auth(&good);
    let url = format!("http://kuser:pw-proxy-1@127.0.0.1:{}", proxy.port());
    write_config(
        &env,
        &pki,
        &server.url(),
        &proxy_url(&url),
        "{token: tok-behind-proxy}",
    );
    let out = run(kcurl(&env).arg("/version"));
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
    assert_eq!(
        proxy.log(),
        [format!(
            "CONNECT 127.0.0.1:{} proxy-authorization: {good}",
            server.port()
        )]
    );
    assert_no_secret(&out, &secrets);

    // Wrong credentials: 407, exit 6, and the message does not show them.
    let url = format!("http://kuser:pw-proxy-2@127.0.0.1:{}", proxy.port());
    write_config(
        &env,
        &pki,
        &server.url(),
        &proxy_url(&url),
        "{token: tok-behind-proxy}",
    );
    let out = run(kcurl(&env).arg("/version"));
    assert_eq!(out.code, Some(6), "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "kcurl: error: {}/version: proxy http://<redacted>@127.0.0.1:{} (from \
             ~/.kube/config: clusters[\"test\"].proxy-url): it asks for authentication (407); \
             check the user and password in the proxy URL\n",
            server.url(),
            proxy.port()
        )
    );
    assert_no_secret(&out, &secrets);

    // A proxy that is not there, from the kubeconfig and from the environment.
    let gone = closed_port();
    let url = format!("http://kuser:pw-proxy-2@127.0.0.1:{gone}");
    write_config(
        &env,
        &pki,
        &server.url(),
        &proxy_url(&url),
        "{token: tok-behind-proxy}",
    );
    let out = run(kcurl(&env).arg("/version"));
    assert_eq!(out.code, Some(6), "{out:?}");
    // The proxy refused, not the API server: the message must say so.
    assert_eq!(
        out.stderr,
        format!(
            "kcurl: error: {}/version: proxy http://<redacted>@127.0.0.1:{gone} (from \
             ~/.kube/config: clusters[\"test\"].proxy-url): connection refused\n",
            server.url()
        )
    );
    assert_no_secret(&out, &secrets);

    let named = format!("https://kube.test:{}", server.port());
    write_config(&env, &pki, &named, "", "{token: tok-behind-proxy}");
    for value in [
        format!("http://kuser:pw-proxy-2@127.0.0.1:{gone}"),
        format!("socks5://kuser:pw-proxy-2@127.0.0.1:{gone}"),
    ] {
        let out = run(kcurl(&env).env("HTTPS_PROXY", &value).arg("/version"));
        assert_eq!(out.code, Some(6), "{value}: {out:?}");
        assert_eq!(
            out.stderr,
            format!(
                "kcurl: error: {named}/version: proxy {} (from HTTPS_PROXY): connection refused\n",
                value.replace("kuser:pw-proxy-2", "<redacted>")
            )
        );
        assert_no_secret(&out, &secrets);
    }
    let out = run(kcurl(&env)
        .env("HTTPS_PROXY", "ftp://kuser:pw-proxy-2@proxy.test")
        .arg("/version"));
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "kcurl: error: HTTPS_PROXY: \"ftp://<redacted>@proxy.test\" has an unsupported scheme; \
         use http://, https://, socks5:// or socks5h://\n"
    );
    assert_no_secret(&out, &secrets);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_proxy_whose_name_does_not_resolve_is_named_in_the_error() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = kube_test_server(&pki);
    let url = format!("https://kube.test:{}", server.port());
    write_config(&env, &pki, &url, "", "{token: tok-dns}");
    let out = run(kcurl(&env)
        .env("HTTPS_PROXY", "http://proxy.invalid:3128")
        .arg("/version"));
    assert_eq!(out.code, Some(6), "{out:?}");
    let prefix = format!(
        "kcurl: error: {url}/version: proxy http://proxy.invalid:3128 (from HTTPS_PROXY): cannot \
         resolve its host name (failed to lookup address information: "
    );
    assert!(out.stderr.starts_with(&prefix), "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
    assert!(server.requests().is_empty());
    assert_no_secret(&out, &["tok-dns"]);
}
