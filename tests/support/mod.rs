//! Support for kcurl's black-box tests: a throwaway PKI ([`pki`]), a recording HTTPS test
//! server ([`server`]) with a tiny Kubernetes-ish API ([`kube`]), CONNECT and SOCKS5 proxies
//! ([`proxy`]), kubeconfig files ([`kubeconfig`]), and a clean-environment command builder for
//! the kcurl binary ([`cmd`]).
//!
//! It is a module of the one test crate (`tests/integration.rs`); each `tests/*.rs` file uses
//! it with `use crate::support::*;`. Everything is made at test time, listens on 127.0.0.1
//! only, and is torn down when its handle drops. Nothing here sleeps to synchronise: tests wait on channels and condition variables, with [`WAIT`]
//! as a failure guard only. `openssl` must be on PATH for the RSA, SEC1 and P-521 key kinds
//! and for X.509 v1 certificates.
//!
//! ```ignore
//! let (pki, env) = (Pki::new(), Env::new());
//! let server = ServerBuilder::new(&pki).start(); // kube_default handler
//! let config = KubeconfigBuilder::new()
//!     .cluster("test", &server.url())
//!     .ca(&pki.ca.cert)
//!     .token_user("dev", "t")
//!     .context("test", "test", "dev")
//!     .current_context("test")
//!     .write(&env, ".kube/config");
//! kcurl(&env).arg("/api").assert().success().stdout(API_VERSIONS_JSON);
//! assert_eq!(server.only_request().header("authorization"), Some("Bearer t"));
//! ```
#![allow(dead_code, unused_imports)]

pub mod apiserver;
pub mod cmd;
pub mod demo;
mod http;
pub mod kube;
pub mod kubeconfig;
mod net;
mod out;
pub mod pki;
pub mod proxy;
pub mod server;

pub use cmd::{
    Env, Finished, Running, kcurl, kcurl_path, kcurl_std, serve, spawn, token_kubeconfig,
    write_file,
};
pub use demo::{Demo, demo_server_path};
pub use http::{gzip_bytes, reason_phrase};
pub use kube::{
    API_VERSIONS_JSON, POD_LIST_JSON, VERSION_JSON, json_string, kube_default, status_json,
    status_reply,
};
pub use kubeconfig::KubeconfigBuilder;
pub use out::{Out, assert_no_secret, run};
pub use pki::{CertFiles, KeyKind, Pki, b64, b64_bytes, cert_pem_to_der};
pub use proxy::{Proxy, spawn_connect_proxy, spawn_connect_proxy_with_auth, spawn_socks5};
pub use server::{Handler, OnceStream, Reply, Request, Server, ServerBuilder, WAIT};
