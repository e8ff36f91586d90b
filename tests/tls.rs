//! TLS through the real binary: which CA is trusted (kubeconfig file or data, the
//! `--certificate-authority` override, `--insecure` and `insecure-skip-tls-verify` with their
//! warning), `tls-server-name`, IPv6 with an IP SAN, client certificates of every key kind, and
//! each verification failure as one plain-words line with exit code 7 (or 1 for a local
//! problem with the CA, certificate or key, found before anything is sent).

use crate::support::*;

use std::path::{Path, PathBuf};

/// Writes `~/.kube/config` with one cluster `test` (server plus the `cluster` lines, each
/// indented four spaces), one user `dev` (`user` is a YAML flow mapping) and a current context.
fn config(env: &Env, server: &str, cluster: &str, user: &str) -> PathBuf {
    KubeconfigBuilder::new()
        .cluster("test", server)
        .cluster_yaml(cluster)
        .user("dev", user)
        .context("test", "test", "dev")
        .current_context("test")
        .write(env, ".kube/config")
}

/// The cluster line trusting the CA file at `path`.
fn ca_file(path: &Path) -> String {
    format!("    certificate-authority: {}\n", path.display())
}

/// How kcurl names a CA given as `certificate-authority` in ~/.kube/config.
fn ca_origin(path: &Path) -> String {
    format!(
        "{} (~/.kube/config: clusters[\"test\"].certificate-authority)",
        path.display()
    )
}

/// A token user.
const TOKEN_USER: &str = "{token: t0k}";

/// The warning `--insecure` and `insecure-skip-tls-verify` print, for `reason`.
fn insecure_warning(reason: &str) -> String {
    format!(
        "kcurl: warning: TLS certificate verification is disabled ({reason}): the server's \
         identity is not verified and credentials may be exposed to an impostor\n"
    )
}

/// `kcurl /api` must fail the handshake with exit 7 and exactly `message` after the URL; the
/// server must not have received any request (so no credentials either).
fn refused_handshake(env: &Env, server: &Server, message: &str) {
    kcurl(env)
        .arg("/api")
        .assert()
        .code(7)
        .stdout("")
        .stderr(format!("kcurl: error: {}/api: {message}\n", server.url()));
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[test]
fn a_certificate_from_an_unknown_ca_is_refused_naming_the_trusted_ca() {
    let (pki, env) = (Pki::new(), Env::new());
    let other = pki.other_ca();
    let server = ServerBuilder::new(&pki)
        .cert(&other.server_cert(&["127.0.0.1"]))
        .start();
    config(&env, &server.url(), &ca_file(&pki.ca.cert), TOKEN_USER);
    refused_handshake(
        &env,
        &server,
        &format!(
            "the server's certificate for 127.0.0.1 is not signed by a trusted CA (trusted: {}); \
             check certificate-authority, or use --insecure at your own risk",
            ca_origin(&pki.ca.cert)
        ),
    );
}

#[test]
fn a_name_mismatch_lists_the_names_the_certificate_holds() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki)
        .cert(&pki.server_cert(&["kube.example", "10.9.8.7"]))
        .start();
    config(&env, &server.url(), &ca_file(&pki.ca.cert), TOKEN_USER);
    refused_handshake(
        &env,
        &server,
        "the server's certificate is valid for kube.example, 10.9.8.7, not for 127.0.0.1; \
         connect to one of those names or set tls-server-name",
    );
}

#[test]
fn an_expired_certificate_says_when_it_expired() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki)
        .cert(&pki.expired_server_cert(&["127.0.0.1"]))
        .start();
    config(&env, &server.url(), &ca_file(&pki.ca.cert), TOKEN_USER);
    let out = kcurl(&env).arg("/api").assert().code(7).stdout("");
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    // The current time varies: check the fixed parts and the shape of "now".
    let prefix = format!(
        "kcurl: error: {}/api: the server's certificate expired at 2001-01-01T00:00:00Z (now ",
        server.url()
    );
    let now = stderr
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix(")\n"))
        .unwrap_or_else(|| panic!("unexpected stderr: {stderr:?}"));
    assert!(
        now.len() == 20 && now.starts_with("20") && now.ends_with('Z'),
        "{now:?}"
    );
    assert!(server.requests().is_empty());
}

#[test]
fn a_common_name_only_certificate_is_explained() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki)
        .cert(&pki.cn_only_server_cert("127.0.0.1"))
        .start();
    config(&env, &server.url(), &ca_file(&pki.ca.cert), TOKEN_USER);
    refused_handshake(
        &env,
        &server,
        "the server's certificate has no subjectAltName, only a common name; rustls and Go \
         refuse such certificates. Reissue it with a subjectAltName for 127.0.0.1",
    );
}

#[test]
fn an_x509_v1_certificate_is_explained() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki)
        .cert(&pki.v1_server_cert("127.0.0.1"))
        .start();
    config(&env, &server.url(), &ca_file(&pki.ca.cert), TOKEN_USER);
    refused_handshake(
        &env,
        &server,
        "the server's certificate is an X.509 v1 certificate, which rustls (like current Go) \
         refuses; reissue it as v3 with a subjectAltName for 127.0.0.1, or use --insecure at \
         your own risk",
    );
}

#[test]
fn the_servers_own_certificate_configured_as_the_ca_is_explained() {
    let (pki, env) = (Pki::new(), Env::new());
    let leaf = pki.server_cert(&["127.0.0.1"]);
    let server = ServerBuilder::new(&pki).cert(&leaf).start();
    config(&env, &server.url(), &ca_file(&leaf.cert), TOKEN_USER);
    refused_handshake(
        &env,
        &server,
        &format!(
            "{} holds the server's own certificate, not the CA that issued it; use the cluster \
             CA certificate (ca.crt) instead",
            ca_origin(&leaf.cert)
        ),
    );
}

#[test]
fn a_server_that_requires_a_client_certificate_says_so_or_that_it_rejected_ours() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).require_client_cert().start();
    config(&env, &server.url(), &ca_file(&pki.ca.cert), TOKEN_USER);
    refused_handshake(
        &env,
        &server,
        "the server requires a client certificate and none is configured (TLS alert: \
         CertificateRequired)",
    );
    // A client certificate the server does not trust is a different message.
    let other = pki.other_ca();
    let stranger = other.client_cert("mallory", None, KeyKind::EcP256Pkcs8);
    config(
        &env,
        &server.url(),
        &ca_file(&pki.ca.cert),
        &cert_user(&stranger, false),
    );
    refused_handshake(
        &env,
        &server,
        "the server rejected the client certificate (TLS alert: UnknownCA)",
    );
}

#[test]
fn insecure_flag_skips_verification_with_one_warning() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki)
        .cert(&pki.other_ca().server_cert(&["127.0.0.1"]))
        .start();
    config(&env, &server.url(), &ca_file(&pki.ca.cert), TOKEN_USER);
    kcurl(&env)
        .args(["--insecure", "/api"])
        .assert()
        .code(0)
        .stdout(API_VERSIONS_PRETTY)
        .stderr(insecure_warning("--insecure"));
    assert_eq!(
        server.only_request().header("authorization"),
        Some("Bearer t0k")
    );
    // -k is the same flag.
    kcurl(&env)
        .args(["-k", "/api"])
        .assert()
        .code(0)
        .stderr(insecure_warning("--insecure"));
}

#[test]
fn insecure_skip_tls_verify_warns_naming_the_field_and_cluster() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki)
        .cert(&pki.other_ca().server_cert(&["127.0.0.1"]))
        .start();
    config(
        &env,
        &server.url(),
        "    insecure-skip-tls-verify: true\n",
        TOKEN_USER,
    );
    kcurl(&env)
        .arg("/api")
        .assert()
        .code(0)
        .stdout(API_VERSIONS_PRETTY)
        .stderr(insecure_warning(
            "insecure-skip-tls-verify in ~/.kube/config: clusters[\"test\"]",
        ));
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn insecure_together_with_a_ca_is_refused() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    config(
        &env,
        &server.url(),
        &format!(
            "    insecure-skip-tls-verify: true\n{}",
            ca_file(&pki.ca.cert)
        ),
        TOKEN_USER,
    );
    kcurl(&env).arg("/api").assert().code(1).stdout("").stderr(
        "kcurl: error: ~/.kube/config: clusters[\"test\"]: insecure-skip-tls-verify is true \
             and a certificate authority is set; remove one (kubectl refuses this too)\n",
    );
    kcurl(&env)
        .arg("--insecure")
        .arg("--certificate-authority")
        .arg(&pki.ca.cert)
        .arg("/api")
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            "kcurl: error: --insecure and --certificate-authority contradict each other; give \
             one\n",
        );
    assert!(server.requests().is_empty());
}

#[test]
fn certificate_authority_flag_replaces_the_kubeconfig_trust() {
    let (pki, env) = (Pki::new(), Env::new());
    let other = pki.other_ca();
    let server = ServerBuilder::new(&pki).start();
    // The kubeconfig trusts the wrong CA: refused, then accepted with the flag.
    config(&env, &server.url(), &ca_file(&other.ca.cert), TOKEN_USER);
    kcurl(&env).arg("/api").assert().code(7);
    kcurl(&env)
        .arg("--certificate-authority")
        .arg(&pki.ca.cert)
        .arg("/api")
        .assert()
        .code(0)
        .stdout(API_VERSIONS_PRETTY)
        .stderr("");
    // The kubeconfig trusts the right CA (as data): the flag's wrong CA still wins, and is named.
    config(
        &env,
        &server.url(),
        &format!(
            "    certificate-authority-data: {}\n",
            b64(&pki.ca.cert_pem)
        ),
        TOKEN_USER,
    );
    kcurl(&env)
        .arg("--certificate-authority")
        .arg(&other.ca.cert)
        .arg("/api")
        .assert()
        .code(7)
        .stderr(format!(
            "kcurl: error: {}/api: the server's certificate for 127.0.0.1 is not signed by a \
             trusted CA (trusted: {}); check certificate-authority, or use --insecure at your \
             own risk\n",
            server.url(),
            other.ca.cert.display()
        ));
    // And it also replaces insecure-skip-tls-verify (client-go's override rule): no warning.
    config(
        &env,
        &server.url(),
        "    insecure-skip-tls-verify: true\n",
        TOKEN_USER,
    );
    kcurl(&env)
        .arg("--certificate-authority")
        .arg(&pki.ca.cert)
        .arg("/api")
        .assert()
        .code(0)
        .stderr("");
    kcurl(&env)
        .arg("--certificate-authority")
        .arg(&other.ca.cert)
        .arg("/api")
        .assert()
        .code(7);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn certificate_authority_data_is_trusted_and_garbage_is_named() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    config(
        &env,
        &server.url(),
        &format!(
            "    certificate-authority-data: {}\n",
            b64(&pki.ca.cert_pem)
        ),
        TOKEN_USER,
    );
    kcurl(&env)
        .arg("/api")
        .assert()
        .code(0)
        .stdout(API_VERSIONS_PRETTY)
        .stderr("");
    assert_eq!(server.requests().len(), 1);

    for (data, why) in [
        (
            "not*base64!".to_string(),
            "not valid base64 (the *-data fields hold base64 of the PEM file; use the file \
             field for a path)",
        ),
        (
            b64("hello, not a certificate\n"),
            "no PEM certificate found (expected -----BEGIN CERTIFICATE-----)",
        ),
    ] {
        config(
            &env,
            &server.url(),
            &format!("    certificate-authority-data: {data}\n"),
            TOKEN_USER,
        );
        kcurl(&env)
            .arg("/api")
            .assert()
            .code(1)
            .stdout("")
            .stderr(format!(
                "kcurl: error: ~/.kube/config: clusters[\"test\"].certificate-authority-data: \
                 {why}\n"
            ));
    }
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn ipv6_server_urls_verify_against_ip_sans() {
    // The test server listens on 127.0.0.1 only, so the connection goes through the support
    // SOCKS5 proxy (kubeconfig proxy-url, which client-go also uses for loopback), which
    // tunnels loopback targets to 127.0.0.1 at the same port. kcurl still builds the URL,
    // the TLS server name (an IP, so no SNI) and the certificate check from `[::1]`.
    let (pki, env) = (Pki::new(), Env::new());
    let socks = spawn_socks5();
    let only_v6 = pki.server_cert(&["::1"]);
    let server = ServerBuilder::new(&pki).cert(&only_v6).start();
    let v6_url = format!("https://[::1]:{}", server.port());
    config(
        &env,
        &v6_url,
        &format!("{}    proxy-url: {}\n", ca_file(&pki.ca.cert), socks.url()),
        TOKEN_USER,
    );
    kcurl(&env)
        .arg("/api")
        .assert()
        .code(0)
        .stdout(API_VERSIONS_PRETTY)
        .stderr("");
    let req = server.only_request();
    assert_eq!(req.sni, None);
    assert_eq!(req.header("authorization"), Some("Bearer t0k"));
    assert_eq!(
        req.header("host"),
        Some(&*format!("[::1]:{}", server.port()))
    );
    assert_eq!(socks.log(), vec![format!("ipv6 [::1]:{}", server.port())]);

    // The same certificate does not cover 127.0.0.1: the IP SAN really was checked.
    config(&env, &server.url(), &ca_file(&pki.ca.cert), TOKEN_USER);
    kcurl(&env).arg("/api").assert().code(7).stderr(format!(
        "kcurl: error: {}/api: the server's certificate is valid for ::1, not for \
             127.0.0.1; connect to one of those names or set tls-server-name\n",
        server.url()
    ));
}

#[test]
fn tls_server_name_is_verified_and_sent_as_sni() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki)
        .cert(&pki.server_cert(&["kube.internal"]))
        .start();
    config(
        &env,
        &server.url(),
        &format!(
            "{}    tls-server-name: kube.internal\n",
            ca_file(&pki.ca.cert)
        ),
        TOKEN_USER,
    );
    kcurl(&env)
        .arg("/api")
        .assert()
        .code(0)
        .stdout(API_VERSIONS_PRETTY)
        .stderr("");
    let req = server.only_request();
    assert_eq!(req.sni.as_deref(), Some("kube.internal"));
    assert_eq!(req.header("authorization"), Some("Bearer t0k"));

    config(&env, &server.url(), &ca_file(&pki.ca.cert), TOKEN_USER);
    kcurl(&env)
        .arg("/api")
        .assert()
        .code(7)
        .stdout("")
        .stderr(format!(
            "kcurl: error: {}/api: the server's certificate is valid for kube.internal, not for \
             127.0.0.1; connect to one of those names or set tls-server-name\n",
            server.url()
        ));
    assert_eq!(server.requests().len(), 1);
}

/// A user with the client certificate as files or as `*-data` fields.
fn cert_user(cert: &CertFiles, as_data: bool) -> String {
    if as_data {
        format!(
            "{{client-certificate-data: {}, client-key-data: {}}}",
            b64(&cert.cert_pem),
            b64(&cert.key_pem)
        )
    } else {
        format!(
            "{{client-certificate: {}, client-key: {}}}",
            cert.cert.display(),
            cert.key.display()
        )
    }
}

#[test]
fn client_certificates_of_every_supported_key_kind_are_presented() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).require_client_cert().start();
    let mut sent = 0;
    for kind in KeyKind::ALL {
        if kind == KeyKind::EcP521 {
            continue;
        }
        let cert = pki.client_cert("alice", Some("devs"), kind);
        for as_data in [false, true] {
            config(
                &env,
                &server.url(),
                &ca_file(&pki.ca.cert),
                &cert_user(&cert, as_data),
            );
            kcurl(&env)
                .arg("/api")
                .assert()
                .code(0)
                .stdout(API_VERSIONS_PRETTY)
                .stderr("");
            sent += 1;
            let reqs = server.requests();
            assert_eq!(reqs.len(), sent, "{kind:?} data={as_data}");
            let req = reqs.last().unwrap();
            assert!(
                req.client_cert_der.as_deref() == Some(&cert.cert_der[..]),
                "{kind:?} data={as_data}: the server did not get this client certificate"
            );
            assert_eq!(req.header("authorization"), None);
        }
    }
    assert_eq!(server.handshake_errors(), Vec::<String>::new());
}

/// Asserts `kcurl /api` fails locally with exit 1 and exactly `stderr`, without a panic or a
/// connection to `server`.
fn refused_locally(env: &Env, server: &Server, stderr: &str) {
    let out = kcurl(env).arg("/api").assert().code(1).stdout("");
    let got = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(!got.contains("panicked"), "{got}");
    assert_eq!(got, stderr);
    assert!(server.requests().is_empty());
    assert!(server.handshake_errors().is_empty());
}

#[test]
fn a_p521_client_key_is_an_unsupported_key_error_not_a_panic() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).require_client_cert().start();
    let cert = pki.client_cert("alice", None, KeyKind::EcP521);
    config(
        &env,
        &server.url(),
        &ca_file(&pki.ca.cert),
        &cert_user(&cert, false),
    );
    refused_locally(
        &env,
        &server,
        &format!(
            "kcurl: error: {} (~/.kube/config: users[\"dev\"].client-key): unsupported private \
             key (kcurl supports RSA, ECDSA P-256/P-384 and Ed25519 keys; P-521 and DSA keys are \
             not supported)\n",
            cert.key.display()
        ),
    );
    config(
        &env,
        &server.url(),
        &ca_file(&pki.ca.cert),
        &cert_user(&cert, true),
    );
    refused_locally(
        &env,
        &server,
        "kcurl: error: ~/.kube/config: users[\"dev\"].client-key-data: unsupported private key \
         (kcurl supports RSA, ECDSA P-256/P-384 and Ed25519 keys; P-521 and DSA keys are not \
         supported)\n",
    );
}

#[test]
fn a_key_that_does_not_belong_to_the_certificate_is_refused() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).require_client_cert().start();
    let alice = pki.client_cert("alice", None, KeyKind::EcP256Pkcs8);
    let bob = pki.client_cert("bob", None, KeyKind::EcP256Pkcs8);
    config(
        &env,
        &server.url(),
        &ca_file(&pki.ca.cert),
        &format!(
            "{{client-certificate: {}, client-key: {}}}",
            alice.cert.display(),
            bob.key.display()
        ),
    );
    refused_locally(
        &env,
        &server,
        &format!(
            "kcurl: error: {} (~/.kube/config: users[\"dev\"].client-certificate) and {} \
             (~/.kube/config: users[\"dev\"].client-key): the client key does not belong to the \
             client certificate\n",
            alice.cert.display(),
            bob.key.display()
        ),
    );
}

#[test]
fn an_encrypted_client_key_is_refused_with_a_clear_message() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).require_client_cert().start();
    let cert = pki.client_cert("alice", None, KeyKind::EcP256Pkcs8);
    let encrypted = std::process::Command::new("openssl")
        .args([
            "pkcs8", "-topk8", "-v2", "aes256", "-passout", "pass:x", "-in",
        ])
        .arg(&cert.key)
        .output()
        .expect("run openssl");
    assert!(
        encrypted.status.success(),
        "{}",
        String::from_utf8_lossy(&encrypted.stderr)
    );
    let encrypted = String::from_utf8(encrypted.stdout).unwrap();
    assert!(encrypted.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
    let key = env.write("alice-encrypted.key", &encrypted);
    config(
        &env,
        &server.url(),
        &ca_file(&pki.ca.cert),
        &format!(
            "{{client-certificate: {}, client-key: {}}}",
            cert.cert.display(),
            key.display()
        ),
    );
    refused_locally(
        &env,
        &server,
        "kcurl: error: ~/alice-encrypted.key (~/.kube/config: users[\"dev\"].client-key): the \
         private key is encrypted; kcurl (like kubectl) needs an unencrypted key\n",
    );
}

#[test]
fn a_client_key_that_is_not_pem_is_refused() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).require_client_cert().start();
    let cert = pki.client_cert("alice", None, KeyKind::EcP256Pkcs8);
    let key = env.write("alice.key", "this is not a private key\n");
    config(
        &env,
        &server.url(),
        &ca_file(&pki.ca.cert),
        &format!(
            "{{client-certificate: {}, client-key: {}}}",
            cert.cert.display(),
            key.display()
        ),
    );
    refused_locally(
        &env,
        &server,
        "kcurl: error: ~/alice.key (~/.kube/config: users[\"dev\"].client-key): no PEM private \
         key found (expected -----BEGIN PRIVATE KEY-----, -----BEGIN RSA PRIVATE KEY----- or \
         -----BEGIN EC PRIVATE KEY-----)\n",
    );
}

/// What kcurl prints for [`API_VERSIONS_JSON`] (the test server's `/api`).
const API_VERSIONS_PRETTY: &str = r#"{
  "kind": "APIVersions",
  "versions": [
    "v1"
  ],
  "serverAddressByClientCIDRs": [
    {
      "clientCIDR": "0.0.0.0/0",
      "serverAddress": "127.0.0.1:6443"
    }
  ]
}
"#;

#[test]
fn an_ip_address_listed_as_a_dns_name_is_explained() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki)
        .cert(&pki.dns_only_server_cert(&["127.0.0.1"]))
        .start();
    config(&env, &server.url(), &ca_file(&pki.ca.cert), TOKEN_USER);
    refused_handshake(
        &env,
        &server,
        "the server's certificate lists 127.0.0.1 as a DNS name, but an IP address must be an \
         IP address entry of its subjectAltName (Go and kubectl refuse it too); reissue it with \
         IP:127.0.0.1, or connect by a DNS name it lists",
    );
}

#[test]
fn a_handshake_failure_without_a_certificate_request_is_not_blamed_on_client_certificates() {
    use std::io::{Read, Write};
    // A TLS 1.2 server with no cipher suite in common answers the ClientHello with a fatal
    // handshake_failure alert, before asking for any client certificate.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Ok((mut tcp, _)) = listener.accept() {
            let mut hello = [0u8; 512];
            let _ = tcp.read(&mut hello);
            let _ = tcp.write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]);
        }
    });
    let (pki, env) = (Pki::new(), Env::new());
    let url = format!("https://127.0.0.1:{port}");
    config(&env, &url, &ca_file(&pki.ca.cert), TOKEN_USER);
    kcurl(&env)
        .arg("/api")
        .timeout(WAIT)
        .assert()
        .code(7)
        .stdout("")
        .stderr(format!(
            "kcurl: error: {url}/api: the server refused the TLS handshake (alert: \
         HandshakeFailure): most likely no TLS version or cipher suite in common (kcurl offers \
         TLS 1.2 and 1.3 with modern ciphers only)\n"
        ));
}

#[test]
fn a_self_signed_ca_certificate_trusted_as_is_is_accepted_as_kubectl_does() {
    let (pki, env) = (Pki::new(), Env::new());
    let own = pki.self_signed_ca_server_cert(&["127.0.0.1", "localhost"]);
    let server = ServerBuilder::new(&pki).cert(&own).start();
    config(&env, &server.url(), &ca_file(&own.cert), TOKEN_USER);
    let out = run(kcurl(&env).arg("/version"));
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
    assert_eq!(
        server.only_request().header("authorization"),
        Some("Bearer t0k")
    );
    // Still checked for the name.
    let other = ServerBuilder::new(&pki)
        .cert(&pki.self_signed_ca_server_cert(&["kube.example"]))
        .start();
    config(&env, &other.url(), &ca_file(&own.cert), TOKEN_USER);
    let out = run(kcurl(&env).arg("/version"));
    assert_eq!(out.code, Some(7), "{out:?}");
    assert!(other.requests().is_empty());
}

#[test]
fn a_certificate_failure_on_an_https_proxy_names_the_proxy() {
    let (pki, env) = (Pki::new(), Env::new());
    // The "proxy" fails the handshake before any CONNECT: its certificate is the test CA's,
    // unknown to the system trust store.
    let proxy = ServerBuilder::new(&pki).start();
    config(
        &env,
        "https://kube.invalid:6443",
        &ca_file(&pki.ca.cert),
        TOKEN_USER,
    );
    let out = run(kcurl(&env)
        .env("HTTPS_PROXY", format!("https://127.0.0.1:{}", proxy.port()))
        .arg("/api"));
    assert_eq!(out.code, Some(7), "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "kcurl: error: https://kube.invalid:6443/api: the https proxy 127.0.0.1:{}: its \
             certificate for 127.0.0.1 is not signed by a trusted CA (trusted: the system trust \
             store); add the proxy's CA to the system trust store\n",
            proxy.port()
        )
    );
}
