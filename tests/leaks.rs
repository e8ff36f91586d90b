//! The secret-leak audit: every kind of credential kcurl can hold, through every way kcurl can
//! end, and no secret on stdout or stderr — not the value, not its base64 (standard, unpadded,
//! URL-safe), and for private keys not one line of the PEM body. Plus `Debug` of every type
//! that holds a secret, through the public API.

use crate::support::*;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

const V1: &str = "client.authentication.k8s.io/v1";

/// Every form of `secret` that must not be printed.
fn forms(secret: &str) -> Vec<String> {
    let mut out = vec![
        secret.to_string(),
        STANDARD.encode(secret),
        STANDARD_NO_PAD.encode(secret),
        URL_SAFE_NO_PAD.encode(secret),
    ];
    // A private key: every line of its PEM body too.
    if secret.starts_with("-----BEGIN") {
        out.extend(
            secret
                .lines()
                .filter(|l| !l.starts_with("-----") && l.len() >= 8)
                .map(str::to_string),
        );
    }
    out
}

/// One kind of credential: how the kubeconfig user looks, and what must never be printed.
struct Kind {
    name: &'static str,
    /// The `user:` entry (JSON is YAML); `None` for the in-cluster service account.
    user: Option<Value>,
    /// A field to add that makes the user invalid (kubeconfig validation error).
    conflict: Option<(&'static str, Value)>,
    /// Other `user:` entries that fail on purpose (broken plugins, a broken key), by label.
    broken: Vec<(&'static str, Value)>,
    secrets: Vec<String>,
}

/// The ways a run can end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Path_ {
    Ok,
    Verbose,
    Include,
    Unauthorized,
    ServerError,
    /// The kubeconfig trusts another CA.
    TlsError,
    /// Nothing listens on the server's port.
    ConnectionError,
    /// The user entry has a conflicting field (or, in a pod, the environment is wrong).
    Invalid,
    /// `--as-group` without `--as`: refused after the credentials were loaded.
    LateUsageError,
}

const PATHS: [Path_; 9] = [
    Path_::Ok,
    Path_::Verbose,
    Path_::Include,
    Path_::Unauthorized,
    Path_::ServerError,
    Path_::TlsError,
    Path_::ConnectionError,
    Path_::Invalid,
    Path_::LateUsageError,
];

/// A `#!/bin/sh` plugin at `<home>/plugins/<name>` that runs `body`.
fn plugin(env: &Env, name: &str, body: &str) -> String {
    let path = write_file(
        env.home(),
        &format!("plugins/{name}"),
        &format!("#!/bin/sh\n{body}\n"),
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.display().to_string()
}

/// Shell that prints `text` verbatim.
fn prints(text: &str) -> String {
    format!("cat <<'EOF'\n{text}\nEOF")
}

/// An exec user entry running `command`, with a secret in the plugin's environment.
fn exec_user(command: &str, env_secret: &str) -> Value {
    json!({"exec": {
        "apiVersion": V1,
        "command": command,
        "interactiveMode": "Never",
        "env": [{"name": "LEAK_PLUGIN_SECRET", "value": env_secret}],
    }})
}

/// An ExecCredential with this status.
fn credential(status: &Value) -> String {
    json!({"kind": "ExecCredential", "apiVersion": V1, "status": status}).to_string()
}

/// An unsigned JWT that expires in the year 5138, with a distinctive signature.
fn jwt() -> String {
    let part = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.bGVhay1vaWRjLXNpZ25hdHVyZS04ODQy",
        part(json!({"alg": "RS256", "typ": "JWT"})),
        part(json!({"iss": "https://issuer.test", "sub": "jane", "exp": 99_999_999_999_u64}))
    )
}

fn with(mut user: Value, field: &str, value: Value) -> Value {
    user[field] = value;
    user
}

/// Every credential kind, with its secrets.
fn kinds(env: &Env, pki: &Pki) -> Vec<Kind> {
    let cert = pki.client_cert("leak-user", None, KeyKind::EcP256Pkcs8);
    let exec_cert = pki.client_cert("leak-exec-user", None, KeyKind::RsaPkcs1);
    let token_file = env.write("secrets/token", "leak-token-file-9c21e7\n");

    let exec_token = plugin(
        env,
        "token",
        &prints(&credential(&json!({"token": "leak-exec-token-5d0b13"}))),
    );
    let exec_cert_plugin = plugin(
        env,
        "cert",
        &prints(&credential(&json!({
            "clientCertificateData": exec_cert.cert_pem,
            "clientKeyData": exec_cert.key_pem,
        }))),
    );
    // Plugins that fail after having the secret in hand.
    let truncated = plugin(
        env,
        "truncated",
        &format!(
            "printf '%s' '{}'",
            &credential(&json!({"token": "leak-exec-token-5d0b13"}))[..80]
        ),
    );
    let exits_1 = plugin(
        env,
        "exits-1",
        &format!(
            "{}\nexit 1",
            prints(&credential(&json!({"token": "leak-exec-token-5d0b13"})))
        ),
    );
    let wrong_version = plugin(
        env,
        "wrong-version",
        &prints(
            &json!({"kind": "ExecCredential",
                    "apiVersion": "client.authentication.k8s.io/v1beta1",
                    "status": {"token": "leak-exec-token-5d0b13"}})
            .to_string(),
        ),
    );
    let key_only = plugin(
        env,
        "key-only",
        &prints(&credential(&json!({"clientKeyData": exec_cert.key_pem}))),
    );
    let not_a_string = plugin(
        env,
        "not-a-string",
        &prints(&credential(&json!({"token": ["leak-exec-token-5d0b13"]}))),
    );
    let bad_expiry = plugin(
        env,
        "bad-expiry",
        &prints(&credential(&json!({
            "token": "leak-exec-token-5d0b13",
            "expirationTimestamp": "leak-exec-token-5d0b13",
        }))),
    );
    let env_secret = "leak-plugin-env-3e8f40";
    let broken_plugins = |good: &str| {
        vec![
            ("truncated JSON", exec_user(&truncated, env_secret)),
            ("exit 1 after printing", exec_user(&exits_1, env_secret)),
            ("wrong apiVersion", exec_user(&wrong_version, env_secret)),
            ("key without certificate", exec_user(&key_only, env_secret)),
            ("token not a string", exec_user(&not_a_string, env_secret)),
            (
                "bad expirationTimestamp",
                exec_user(&bad_expiry, env_secret),
            ),
            (
                "not found",
                exec_user(&format!("{good}-missing"), env_secret),
            ),
        ]
    };
    let garbage_key = "-----BEGIN PRIVATE KEY-----\nleakgarbagekeybody0123456789abcdef\n-----END PRIVATE KEY-----\n";
    let oidc = json!({"auth-provider": {"name": "oidc", "config": {
        "id-token": jwt(),
        "refresh-token": "leak-oidc-refresh-61aa0c",
        "client-secret": "leak-oidc-client-secret-2b7d",
        "client-id": "kubernetes",
        "idp-issuer-url": "https://issuer.test",
    }}});
    vec![
        Kind {
            name: "token",
            user: Some(json!({"token": "leak-token-inline-0a93f2"})),
            conflict: Some(("username", json!("someone"))),
            broken: Vec::new(),
            secrets: vec!["leak-token-inline-0a93f2".into()],
        },
        Kind {
            name: "tokenFile",
            user: Some(json!({"tokenFile": token_file})),
            conflict: Some(("username", json!("someone"))),
            broken: Vec::new(),
            secrets: vec!["leak-token-file-9c21e7".into()],
        },
        Kind {
            name: "basic",
            user: Some(
                json!({"username": "leak-basic-user", "password": "leak-basic-password-77c1"}),
            ),
            conflict: Some(("token", json!("leak-token-conflict-1f0e"))),
            broken: Vec::new(),
            secrets: vec![
                "leak-basic-password-77c1".into(),
                "leak-basic-user:leak-basic-password-77c1".into(),
                "leak-token-conflict-1f0e".into(),
            ],
        },
        Kind {
            name: "client certificate",
            user: Some(json!({
                "client-certificate-data": b64(&cert.cert_pem),
                "client-key-data": b64(&cert.key_pem),
            })),
            conflict: Some(("client-certificate", json!("/nonexistent/cert.pem"))),
            broken: vec![(
                "a key that is not a key",
                json!({
                    "client-certificate-data": b64(&cert.cert_pem),
                    "client-key-data": b64(garbage_key),
                }),
            )],
            secrets: vec![cert.key_pem.clone(), garbage_key.into()],
        },
        Kind {
            name: "exec token",
            user: Some(exec_user(&exec_token, env_secret)),
            conflict: Some(("auth-provider", oidc["auth-provider"].clone())),
            broken: broken_plugins(&exec_token),
            secrets: vec!["leak-exec-token-5d0b13".into(), env_secret.into()],
        },
        Kind {
            name: "exec client certificate",
            user: Some(exec_user(&exec_cert_plugin, env_secret)),
            conflict: Some(("auth-provider", oidc["auth-provider"].clone())),
            broken: broken_plugins(&exec_cert_plugin),
            secrets: vec![exec_cert.key_pem.clone(), env_secret.into()],
        },
        Kind {
            name: "oidc id-token",
            user: Some(oidc.clone()),
            conflict: Some(("exec", exec_user(&exec_token, env_secret)["exec"].clone())),
            broken: Vec::new(),
            secrets: vec![
                jwt(),
                "leak-oidc-refresh-61aa0c".into(),
                "leak-oidc-client-secret-2b7d".into(),
            ],
        },
        Kind {
            name: "in-cluster",
            user: None,
            conflict: None,
            broken: Vec::new(),
            secrets: vec!["leak-sa-token-e41c08".into()],
        },
    ]
}

/// `~/.kube/config` with one cluster (`server`, trusting `ca`), `user`, and a current context.
fn write_kubeconfig(env: &Env, server: &str, ca: &Path, user: &Value) {
    let config = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server, "certificate-authority": ca}}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "x",
    });
    env.write(
        ".kube/config",
        &serde_json::to_string_pretty(&config).unwrap(),
    );
}

/// A service-account directory with the token and `ca` as `ca.crt`.
fn service_account(env: &Env, ca_pem: &str) -> PathBuf {
    env.write("sa/token", "leak-sa-token-e41c08\n");
    env.write("sa/namespace", "default\n");
    env.write("sa/ca.crt", ca_pem);
    env.home().join("sa")
}

/// A port nothing listens on.
fn dead_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// What every run of the audit shares.
struct Audit<'a> {
    env: &'a Env,
    /// The CA of the server.
    pki: &'a Pki,
    /// Another CA, for the TLS error.
    other: &'a Pki,
    server: &'a Server,
    /// Every secret of every kind: none may be printed by any run.
    secrets: Vec<String>,
}

impl Audit<'_> {
    /// Runs kcurl for `kind` ending by `path` (or with the broken `user`), checks that no secret
    /// was printed, and returns the exit code.
    fn check(&self, kind: &Kind, path: Path_, broken: Option<&Value>) -> i32 {
        let Audit {
            env,
            pki,
            other,
            server,
            ..
        } = *self;
        let mut cmd = kcurl(env);
        let port = if path == Path_::ConnectionError {
            dead_port()
        } else {
            server.port()
        };
        let url = format!("https://127.0.0.1:{port}");
        let ca = if path == Path_::TlsError { other } else { pki };
        match (&kind.user, broken) {
            (_, Some(user)) => write_kubeconfig(env, &url, &ca.ca.cert, user),
            (Some(user), None) => {
                let user = match (&kind.conflict, path) {
                    (Some((field, value)), Path_::Invalid) => {
                        with(user.clone(), field, value.clone())
                    }
                    _ => user.clone(),
                };
                write_kubeconfig(env, &url, &ca.ca.cert, &user);
            }
            (None, None) => {
                let _ = std::fs::remove_file(env.home().join(".kube/config"));
                let dir = service_account(env, &ca.ca.cert_pem);
                let port = if path == Path_::Invalid {
                    "not-a-port".to_string()
                } else {
                    port.to_string()
                };
                cmd.env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
                    .env("KUBERNETES_SERVICE_PORT", port)
                    .arg("--in-cluster")
                    .arg("--service-account-dir")
                    .arg(dir);
            }
        }
        cmd.arg("--no-cache");
        match path {
            Path_::Verbose => {
                cmd.arg("-v");
            }
            Path_::Include => {
                cmd.args(["-i", "-v"]);
            }
            Path_::LateUsageError => {
                cmd.args(["--as-group", "admins"]);
            }
            _ => {}
        }
        cmd.arg(match path {
            Path_::Unauthorized => "/401",
            Path_::ServerError => "/500",
            _ => "/ok",
        });
        let out = cmd.timeout(WAIT).output().expect("run kcurl");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let what = format!(
            "{} / {path:?}{}",
            kind.name,
            if broken.is_some() { " / broken" } else { "" }
        );
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
        for secret in &self.secrets {
            for form in forms(secret) {
                for (stream, text) in [("stdout", &stdout), ("stderr", &stderr)] {
                    assert!(
                        !text.contains(&form),
                        "{what}: a secret ({form:?}) was printed on {stream}:\n{text}"
                    );
                }
            }
        }
        out.status.code().unwrap_or(-1)
    }
}

#[test]
fn no_credential_is_ever_printed() {
    let (pki, other, env) = (Pki::new(), Pki::with_ca_name("leak-other-ca"), Env::new());
    let server = ServerBuilder::new(&pki)
        .request_client_cert()
        .handler(|req| match req.path() {
            "/401" => status_reply(401, "Unauthorized", "Unauthorized"),
            "/500" => status_reply(500, "InternalError", "etcdserver: request timed out"),
            _ => Reply::json(200, r#"{"kind":"Status","status":"Success"}"#),
        })
        .start();
    let kinds = kinds(&env, &pki);
    let audit = Audit {
        env: &env,
        pki: &pki,
        other: &other,
        server: &server,
        secrets: kinds.iter().flat_map(|k| k.secrets.clone()).collect(),
    };
    let mut codes = Vec::new();
    for kind in &kinds {
        for path in PATHS {
            if path == Path_::Invalid && kind.user.is_some() && kind.conflict.is_none() {
                continue;
            }
            let code = audit.check(kind, path, None);
            codes.push((kind.name, path, code));
        }
        for (label, user) in &kind.broken {
            let code = audit.check(kind, Path_::Ok, Some(user));
            assert_eq!(code, 1, "{} / {label}", kind.name);
        }
    }
    // Every path ended the way it should, so each really was exercised.
    for (kind, path, code) in codes {
        let want = match path {
            Path_::Ok | Path_::Verbose | Path_::Include => 0,
            Path_::Unauthorized => 4,
            Path_::ServerError => 5,
            Path_::TlsError => 7,
            Path_::ConnectionError => 6,
            Path_::Invalid | Path_::LateUsageError => 1,
        };
        assert_eq!(code, want, "{kind} / {path:?}");
    }
    // The credentials did reach the server, so they were really loaded.
    let auths: Vec<String> = server
        .requests()
        .iter()
        .filter_map(|r| r.header("authorization").map(str::to_owned))
        .collect();
    for token in [
        "leak-token-inline-0a93f2",
        "leak-token-file-9c21e7",
        "leak-exec-token-5d0b13",
        "leak-sa-token-e41c08",
    ] {
        assert!(
            auths.contains(&format!("Bearer {token}")),
            "{token} never sent"
        );
    }
    assert!(auths.contains(&format!("Bearer {}", jwt())));
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.client_cert_der.is_some()),
        "no client certificate was presented"
    );
}

/// A `Debug` rendering must not depend on a secret's value: render with two different values.
#[test]
fn debug_of_every_type_that_holds_a_secret_redacts() {
    use kcurl::auth::{Credentials, HttpAuth, Secret};
    use kcurl::tls::{ClientIdentity, Roots, Settings};

    for secret in ["leak-debug-secret-a", "leak-debug-secret-b"] {
        let key_data = b64(&format!("{secret}-key-pem"));
        let config = format!(
            "clusters: [{{name: c, cluster: {{server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true}}}}]
users:
- name: u
  user:
    token: {secret}-token
    password: {secret}-password
    client-key-data: {secret}-key
    auth-provider: {{name: oidc, config: {{id-token: {secret}-id, refresh-token: {secret}-refresh}}}}
    exec: {{command: x, apiVersion: {V1}, env: [{{name: E, value: {secret}-env}}]}}
- name: v
  user:
    token: {secret}-token
    client-certificate-data: Y2VydA==
    client-key-data: {key_data}
contexts: [{{name: x, context: {{cluster: c, user: u}}}}]
current-context: x
"
        );
        let kc = kcurl::kubeconfig::from_texts(&[(Path::new("/k/config"), config.as_bytes())])
            .expect("valid kubeconfig");
        let user = &kc.users[0].value;
        let exec = user.exec.clone().unwrap();
        let shown = [
            format!("{kc:?}"),
            format!("{user:?}"),
            format!("{:?}", user.auth_provider),
            format!("{:?}", exec.env),
            format!("{exec:?}"),
        ];
        for text in &shown {
            assert!(!text.contains(secret), "{text}");
        }

        let identity = ClientIdentity {
            cert_pem: b"cert".to_vec(),
            cert_origin: "c".into(),
            key_pem: Secret::new(format!("{secret}-key")),
            key_origin: "k".into(),
        };
        let bearer = HttpAuth::Bearer(Secret::new(format!("{secret}-bearer")));
        let basic = HttpAuth::Basic {
            username: "u".into(),
            password: Secret::new(format!("{secret}-basic")),
        };
        let credentials = Credentials {
            http: Some(bearer.clone()),
            identity: Some(identity.clone()),
            ..Default::default()
        };
        let settings = Settings {
            roots: Roots::System,
            insecure: false,
            server_name: None,
            identity: Some(identity.clone()),
        };
        let plugin = kcurl::auth::exec::Plugin {
            exec: &exec,
            place: "p".into(),
            cluster: None,
            timeout: kcurl::auth::exec::DEFAULT_TIMEOUT,
        };
        let cred = kcurl::auth::exec::parse_credential(
            json!({"kind": "ExecCredential", "apiVersion": V1, "status": {
                "token": format!("{secret}-exec"),
                "clientCertificateData": "cert",
                "clientKeyData": format!("{secret}-exec-key"),
            }})
            .to_string()
            .as_bytes(),
            V1,
        )
        .expect("valid ExecCredential");
        // User `v`: a token and a client certificate (its key is checked only when TLS is set up).
        let args = <kcurl::cli::Args as clap::Parser>::try_parse_from([
            "kcurl",
            "--no-cache",
            "--user",
            "v",
            "--as",
            "jane",
            "/api",
        ])
        .expect("valid arguments");
        let plan = kcurl::plan::Plan::new(&args).expect("valid plan");
        let target = kcurl::config::resolve_with(&plan.overrides, &kc, None).expect("resolves");
        for text in [
            format!("{identity:?}"),
            format!("{bearer:?}"),
            format!("{basic:?}"),
            format!("{credentials:?}"),
            format!("{settings:?}"),
            format!("{plugin:?}"),
            format!("{cred:?}"),
            format!("{target:?}"),
        ] {
            assert!(!text.contains(secret), "{text}");
            assert!(!text.contains(&key_data), "{text}");
        }
        assert!(target.credentials.http.is_some() && target.tls.identity.is_some());
    }
}
