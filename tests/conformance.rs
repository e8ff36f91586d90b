//! The conformance suite: kcurl against a real Kubernetes control plane, and its portable part
//! against the demo server too.
//!
//! Every test in `real_apiserver` runs the kcurl binary against one real kube-apiserver (with an
//! embedded etcd) started once per test run by `support::apiserver`. What a cluster does —
//! Tables, server-side apply, dry-run, watch bookmarks, continue tokens, RBAC and impersonation
//! answers, TokenRequest tokens, gzip, Status bodies — belongs here, not in tests against our own
//! servers. Run exactly these tests with `cargo test -- real_apiserver`.
//!
//! The test bodies that hold on any API server live in `suite`; `demo_conformance` runs them
//! against the demo server (`examples/demo_server`, no Go needed), so the demo cannot drift from
//! kube-apiserver unnoticed. Run exactly those with `cargo test -- demo_conformance`.

mod suite;

mod real_apiserver;

mod demo_conformance;
