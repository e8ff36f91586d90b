//! A tiny Kubernetes-ish API for the test server: `/version`, `/api`, a pod list, and
//! `Status` failure bodies shaped like the API server's.

use std::fmt::Write as _;

use super::server::{Reply, Request};

/// A Kubernetes `Status` failure reply (`application/json`) with this code, reason and message.
pub fn status_reply(code: u16, reason: &str, message: &str) -> Reply {
    Reply::json(code, status_json(code, reason, message))
}

/// The JSON body of a Kubernetes `Status` failure, as the API server formats it (compact).
pub fn status_json(code: u16, reason: &str, message: &str) -> String {
    format!(
        r#"{{"kind":"Status","apiVersion":"v1","metadata":{{}},"status":"Failure","message":{},"reason":{},"details":{{}},"code":{code}}}"#,
        json_string(message),
        json_string(reason)
    )
}

/// `/version` body of [`kube_default`].
pub const VERSION_JSON: &str = r#"{"major":"1","minor":"32","emulationMajor":"1","emulationMinor":"32","minCompatibilityMajor":"1","minCompatibilityMinor":"31","gitVersion":"v1.32.0","gitCommit":"70d3cc986aa8221cd1dfb1121852688902d3bf53","gitTreeState":"clean","buildDate":"2024-12-11T17:59:15Z","goVersion":"go1.23.3","compiler":"gc","platform":"linux/amd64"}"#;

/// `/api` body of [`kube_default`].
pub const API_VERSIONS_JSON: &str = r#"{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1:6443"}]}"#;

/// `/api/v1/namespaces/default/pods` body of [`kube_default`].
pub const POD_LIST_JSON: &str = r#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"1234"},"items":[{"metadata":{"name":"web-0","namespace":"default","uid":"0f5b6f3e-2d1c-4e59-9c1e-6f0c1d2b3a40","resourceVersion":"1200","creationTimestamp":"2025-01-01T00:00:00Z","labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]},"status":{"phase":"Running","podIP":"10.244.0.5"}},{"metadata":{"name":"web-1","namespace":"default","uid":"5c4a3b2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d","resourceVersion":"1201","creationTimestamp":"2025-01-01T00:00:01Z","labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]},"status":{"phase":"Pending"}}]}"#;

/// A tiny Kubernetes-ish API, all `application/json`: `GET /version`, `GET /api`,
/// `GET /api/v1/namespaces/default/pods` answer the constants above; other methods on those
/// paths get a 405 `Status`; anything else a 404 `NotFound` `Status`.
pub fn kube_default(req: &Request) -> Reply {
    let body = match req.path() {
        "/version" | "/version/" => VERSION_JSON,
        "/api" | "/api/" => API_VERSIONS_JSON,
        "/api/v1/namespaces/default/pods" => POD_LIST_JSON,
        _ => {
            return status_reply(
                404,
                "NotFound",
                "the server could not find the requested resource",
            );
        }
    };
    if req.method == "GET" || req.method == "HEAD" {
        Reply::json(200, body)
    } else {
        status_reply(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
    }
}

/// `s` as a JSON string literal.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
