//! A small in-memory Kubernetes API server over TLS, for trying kcurl without a cluster (every
//! command of the README's Quick start and demo walk-through runs against it, checked by
//! `tests/readme.rs`) and for the benchmarks in `bench/`. It reuses the black-box tests' server
//! and PKI (`tests/support`).
//!
//! ```text
//! cargo run --release --example demo_server            # writes ./kcurl-demo/, prints the export line
//! cargo run --release --example demo_server -- DIR     # writes DIR/ instead
//! cargo run --release --example demo_server -- -v      # and logs each request on stderr
//! cargo run --release --example demo_server -- --history 5   # keep 5 changes (default 10000):
//!                                                      # older watch/continue points get 410
//! cargo run --release --example demo_server -- --legacy-discovery   # no aggregated discovery
//! ```
//!
//! It writes `DIR/kubeconfig` with five contexts on this server: `demo` (current) and `prod`
//! (the admin token), `reader` (a token that may only read namespace `demo`), `nobody` (a token
//! with no rights) and `cert` (a client certificate), with `DIR/ca.crt`, `DIR/token`,
//! `DIR/reader-token`, `DIR/nobody-token`, `DIR/client.crt` and `DIR/client.key` beside it; it listens on 127.0.0.1 only and runs until Ctrl-C. Modules:
//! [`store`] (objects, resourceVersions, change log), [`api`] (routing and verbs), [`auth`],
//! [`select`], [`patch`], [`fields`] (managedFields, server-side apply), [`table`], [`status`]
//! (bodies as kube-apiserver writes them), [`discovery`] (discovery and health), [`controller`]
//! (seed data and the deployment loop), [`bench`] (`/bench/*` for `bench/compare.sh`), [`time`].

#[allow(dead_code, unused_imports)]
#[path = "../../tests/support"]
mod support {
    pub mod http;
    pub mod kube;
    pub mod net;
    pub mod pki;
    pub mod server;
}

mod api;
mod auth;
mod bench;
mod controller;
mod discovery;
mod fields;
mod patch;
mod select;
mod status;
mod store;
mod table;
mod time;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use support::pki::{KeyKind, Pki};
use support::server::ServerBuilder;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut verbose = false;
    let mut legacy_discovery = false;
    let mut history = store::DEFAULT_HISTORY;
    let mut dir = PathBuf::from("kcurl-demo");
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-v" | "--verbose" => verbose = true,
            "--legacy-discovery" => legacy_discovery = true,
            "--history" => match args.next().and_then(|n| n.parse().ok()) {
                Some(n) => history = n,
                None => {
                    eprintln!("demo_server: --history needs a number of changes");
                    std::process::exit(2);
                }
            },
            other if !other.starts_with('-') => dir = PathBuf::from(other),
            other => {
                eprintln!(
                    "demo_server: unknown option {other} (options: DIR, -v, --history N, --legacy-discovery)"
                );
                std::process::exit(2);
            }
        }
    }
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("demo_server: cannot create {}: {e}", dir.display());
        std::process::exit(1);
    }
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
    let pki = Pki::new();
    let token = format!(
        "demo-{:016x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(42)
    );
    let store = Arc::new(store::Store::new(history));
    controller::seed(&store);
    controller::start(Arc::clone(&store));
    let reader_token = format!("{token}-reader");
    let nobody_token = format!("{token}-nobody");
    let api = api::Api {
        store,
        tokens: auth::Tokens {
            admin: token.clone(),
            reader: reader_token.clone(),
            nobody: nobody_token.clone(),
        },
        cache: Default::default(),
        verbose,
        legacy_discovery,
    };
    // Quiet: a client that goes away (Ctrl-C of a watch) is not worth a line here.
    let server = ServerBuilder::new(&pki)
        .quiet()
        .request_client_cert()
        .handler(move |req| api::handle(&api, req))
        .start();
    let ca = dir.join("ca.crt");
    let token_file = dir.join("token");
    let kubeconfig = dir.join("kubeconfig");
    let write = |path: &PathBuf, text: &str| {
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("demo_server: cannot write {}: {e}", path.display());
            std::process::exit(1);
        }
    };
    write(&ca, &pki.ca.cert_pem);
    write(&token_file, &token);
    write(&dir.join("reader-token"), &reader_token);
    write(&dir.join("nobody-token"), &nobody_token);
    let client = pki.client_cert("demo-admin", Some("system:masters"), KeyKind::EcP256Pkcs8);
    write(&dir.join("client.crt"), &client.cert_pem);
    write(&dir.join("client.key"), &client.key_pem);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for secret in ["token", "reader-token", "nobody-token", "client.key"] {
            let _ =
                std::fs::set_permissions(dir.join(secret), std::fs::Permissions::from_mode(0o600));
        }
    }
    write(
        &kubeconfig,
        &format!(
            "apiVersion: v1
kind: Config
clusters:
- name: demo
  cluster:
    server: {}
    certificate-authority: ca.crt
users:
- name: demo
  user:
    tokenFile: token
- name: reader
  user:
    tokenFile: reader-token
- name: nobody
  user:
    tokenFile: nobody-token
- name: cert
  user:
    client-certificate: client.crt
    client-key: client.key
contexts:
- name: demo
  context:
    cluster: demo
    user: demo
    namespace: demo
- name: prod
  context:
    cluster: demo
    user: demo
    namespace: default
- name: reader
  context:
    cluster: demo
    user: reader
    namespace: demo
- name: nobody
  context:
    cluster: demo
    user: nobody
    namespace: demo
- name: cert
  context:
    cluster: demo
    user: cert
    namespace: demo
current-context: demo
",
            server.url()
        ),
    );
    println!(
        "kcurl demo API server on {} (loopback only; Ctrl-C to stop)",
        server.url()
    );
    println!("export KUBECONFIG={}", kubeconfig.display());
    let _ = std::io::stdout().flush();
    // Serve until killed (Ctrl-C ends the process and with it every connection).
    loop {
        std::thread::park();
    }
}
