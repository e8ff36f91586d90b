//! Who is asking and what they may do, like a small cluster: the admin token and a client
//! certificate signed by the demo's CA may do anything; the reader token may get, list and
//! watch in namespace `demo` only (and read discovery and health); the nobody token may read
//! discovery and health and nothing else. Refusals are the Status
//! bodies kube-apiserver's authenticator (401) and RBAC authorizer (403) write.

use serde_json::Value;

use crate::status::failure;
use crate::store::Resource;
use crate::support::server::{Reply, Request};

/// The reader's only namespace.
pub const READER_NAMESPACE: &str = "demo";

/// An authenticated user.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum User {
    /// The admin token or a client certificate: everything.
    Admin,
    /// The reader token: get, list and watch in [`READER_NAMESPACE`].
    Reader,
    /// The nobody token: no rights on any resource.
    Nobody,
}

impl User {
    /// The groups kube-apiserver would report besides `system:authenticated`.
    fn groups(self) -> &'static [&'static str] {
        match self {
            User::Admin => &["system:masters"],
            User::Reader => &["demo-readers"],
            User::Nobody => &[],
        }
    }

    fn name(self) -> &'static str {
        match self {
            User::Admin => "demo-admin",
            User::Reader => "demo-reader",
            User::Nobody => "demo-nobody",
        }
    }
}

/// The bearer tokens the demo accepts.
pub struct Tokens {
    /// The admin's (`DIR/token`).
    pub admin: String,
    /// The reader's (`DIR/reader-token`).
    pub reader: String,
    /// The user without rights (`DIR/nobody-token`).
    pub nobody: String,
}

/// The user `req` authenticates as, or the 401 to answer. A bearer token wins over a client
/// certificate, as in kube-apiserver's union authenticator; a certificate only reaches here
/// if it chains to the demo's CA (the TLS layer checked it).
pub fn authenticate(tokens: &Tokens, req: &Request) -> Result<User, Reply> {
    let unauthorized = || failure(401, "Unauthorized", "Unauthorized", None);
    match req.header("authorization") {
        Some(h) => match h.strip_prefix("Bearer ") {
            Some(t) if t == tokens.admin => Ok(User::Admin),
            Some(t) if t == tokens.reader => Ok(User::Reader),
            Some(t) if t == tokens.nobody => Ok(User::Nobody),
            _ => Err(unauthorized()),
        },
        None if req.client_cert_der.is_some() => Ok(User::Admin),
        None => Err(unauthorized()),
    }
}

/// The answer to a SelfSubjectReview (`kubectl auth whoami`): who the server thinks `user` is.
pub fn self_subject_review(user: User) -> Reply {
    let mut groups: Vec<&str> = user.groups().to_vec();
    groups.push("system:authenticated");
    let review = serde_json::json!({
        "kind": "SelfSubjectReview",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {},
        "status": {"userInfo": {"username": user.name(), "groups": groups}},
    });
    Reply::json(201, review.to_string())
}

/// What a request does to a resource, in RBAC's words.
pub struct Attributes<'a> {
    /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`.
    pub verb: &'a str,
    /// The resource.
    pub resource: &'a Resource,
    /// `log` for `pods/log`.
    pub subresource: Option<&'a str>,
    /// `""` for cluster scope.
    pub namespace: &'a str,
    /// The object's name, for requests on one object.
    pub name: Option<&'a str>,
}

/// None if `user` may do `attrs`, else the 403 to answer.
pub fn authorize(user: User, attrs: &Attributes) -> Option<Reply> {
    let allowed = match user {
        User::Admin => true,
        User::Reader => {
            matches!(attrs.verb, "get" | "list" | "watch") && attrs.namespace == READER_NAMESPACE
        }
        User::Nobody => false,
    };
    if allowed {
        return None;
    }
    let r = attrs.resource;
    let resource = match attrs.subresource {
        Some(sub) => format!("{}/{sub}", r.plural),
        None => r.plural.to_string(),
    };
    let object = match attrs.name {
        Some(name) => format!("{} {}", crate::status::qualified(r), Value::from(name)),
        None => crate::status::qualified(r),
    };
    let scope = if attrs.namespace.is_empty() {
        "at the cluster scope".to_string()
    } else {
        format!("in the namespace \"{}\"", attrs.namespace)
    };
    let message = format!(
        "{object} is forbidden: User \"{}\" cannot {} resource \"{resource}\" in API group \"{}\" {scope}",
        user.name(),
        attrs.verb,
        r.group
    );
    let mut details = Vec::new();
    if let Some(name) = attrs.name {
        details.push(format!("\"name\":{}", Value::from(name)));
    }
    if !r.group.is_empty() {
        details.push(format!("\"group\":{}", Value::from(r.group)));
    }
    details.push(format!("\"kind\":{}", Value::from(r.plural)));
    let details = format!("{{{}}}", details.join(","));
    Some(failure(403, "Forbidden", &message, Some(&details)))
}
