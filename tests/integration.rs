//! kcurl's black-box tests, as ONE test binary (the way ripgrep does it): every file under
//! `tests/` is a module of this crate, so `tests/support` and the dependencies are compiled and
//! linked once instead of once per file, and process-wide fixtures (the real kube-apiserver of
//! `support::apiserver`) start once per `cargo test` run. `Cargo.toml` sets `autotests = false`
//! and names this file as the only `[[test]]`.
//!
//! A new test file `tests/foo.rs` must be declared here (`mod foo;`) or it is not compiled.
//! Run one file's tests with `cargo test --test integration foo::` (module path prefix), exactly
//! the real kube-apiserver tests with `cargo test -- real_apiserver`, the demo-server conformance
//! tests with `cargo test -- demo_conformance`.

mod support;

mod auth;
mod bodies;
mod conformance;
mod contexts;
mod curl;
mod demo;
mod discovery;
mod exec;
mod generated;
mod hostile;
mod jqdiff;
mod kubeconfig;
mod kubectl;
mod leaks;
mod output;
mod pipelines;
mod proxy;
mod readme;
mod request;
mod security;
mod streams;
mod tls;
mod verbose;
