//! A small in-memory Kubernetes API server over TLS, for trying kcurl without a cluster (every
//! command of the README's Quick start and demo walk-through runs against it, checked by
//! `tests/readme.rs`) and for the benchmarks in `bench/`. It reuses the black-box tests' server
//! and PKI (`tests/support`).
//!
//! ```text
//! cargo run --release --example demo_server            # writes ./kcurl-demo/, prints the export line
//! cargo run --release --example demo_server -- DIR     # writes DIR/ instead
//! cargo run --release --example demo_server -- -v      # and logs each request on stderr
//! ```
//!
//! It writes `DIR/kubeconfig` (contexts `demo`, the current one, and `prod`, both this server),
//! `DIR/ca.crt` and `DIR/token`, listens on 127.0.0.1 only, and runs until Ctrl-C. Modules:
//! [`store`] (objects, resourceVersions, change log), [`api`] (routing and verbs),
//! [`select`], [`patch`], [`table`], [`status`] (bodies as kube-apiserver writes them),
//! [`discovery`] (discovery and health), [`controller`] (seed data and the deployment loop),
//! [`bench`] (`/bench/*` for `bench/compare.sh`), [`time`].

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
mod bench;
mod controller;
mod discovery;
mod patch;
mod select;
mod status;
mod store;
mod table;
mod time;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use support::pki::Pki;
use support::server::ServerBuilder;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.iter().any(|a| a == "-v" || a == "--verbose");
    let dir = PathBuf::from(
        args.iter()
            .find(|a| !a.starts_with('-'))
            .map_or("kcurl-demo", String::as_str),
    );
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
    let store = Arc::new(store::Store::default());
    controller::seed(&store);
    controller::start(Arc::clone(&store));
    let api = api::Api {
        store,
        token: token.clone(),
        cache: Default::default(),
        verbose,
    };
    // Quiet: a client that goes away (Ctrl-C of a watch) is not worth a line here.
    let server = ServerBuilder::new(&pki)
        .quiet()
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
    write(
        &kubeconfig,
        &format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: demo\n  cluster:\n    server: {}\n    certificate-authority: ca.crt\nusers:\n- name: demo\n  user:\n    tokenFile: token\ncontexts:\n- name: demo\n  context:\n    cluster: demo\n    user: demo\n    namespace: demo\n- name: prod\n  context:\n    cluster: demo\n    user: demo\n    namespace: default\ncurrent-context: demo\n",
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
