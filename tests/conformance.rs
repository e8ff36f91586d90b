//! The conformance suite: kcurl against a real Kubernetes control plane.
//!
//! Every test in `real_apiserver` runs the kcurl binary against one real kube-apiserver (with an
//! embedded etcd) started for this test binary by `support::apiserver`. What a cluster does —
//! Tables, server-side apply, dry-run, watch bookmarks, continue tokens, RBAC and impersonation
//! answers, TokenRequest tokens, gzip, Status bodies — belongs here, not in tests against our own
//! servers. Run exactly these tests with `cargo test -- real_apiserver`.

mod support;

#[path = "conformance/real_apiserver.rs"]
mod real_apiserver;
