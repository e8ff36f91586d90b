//! Bodies written byte for byte as kube-apiserver writes them: `Status` failures (with their
//! reason, details and code, keys in the API server's order) and objects with `kind` and
//! `apiVersion` first. serde_json sorts object keys here, so these are assembled by hand.

use serde_json::Value;

use crate::store::Resource;
use crate::support::server::Reply;

/// `{"name":…,"group":…,"kind":…}` as the API server writes a Status's details.
pub fn details(resource: &Resource, name: &str) -> String {
    let group = if resource.group.is_empty() {
        String::new()
    } else {
        format!(",\"group\":{}", Value::from(resource.group))
    };
    format!(
        "{{\"name\":{}{group},\"kind\":{}}}",
        Value::from(name),
        Value::from(resource.plural)
    )
}

/// A failure Status reply; `details` is a JSON object's text, or None for no details.
pub fn failure(code: u16, reason: &str, message: &str, details: Option<&str>) -> Reply {
    let details = details.map_or(String::new(), |d| format!(",\"details\":{d}"));
    Reply::json(
        code,
        format!(
            "{{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{{}},\"status\":\"Failure\",\"message\":{},\"reason\":{}{details},\"code\":{code}}}",
            Value::from(message),
            Value::from(reason)
        ),
    )
}

/// 404 NotFound for `name` of `resource`.
pub fn not_found(resource: &Resource, name: &str) -> Reply {
    failure(
        404,
        "NotFound",
        &format!("{} \"{name}\" not found", qualified(resource)),
        Some(&details(resource, name)),
    )
}

/// 409 AlreadyExists for `name` of `resource`.
pub fn already_exists(resource: &Resource, name: &str) -> Reply {
    failure(
        409,
        "AlreadyExists",
        &format!("{} \"{name}\" already exists", qualified(resource)),
        Some(&details(resource, name)),
    )
}

/// 409 Conflict: the resourceVersion given is not the object's.
pub fn conflict(resource: &Resource, name: &str) -> Reply {
    failure(
        409,
        "Conflict",
        &format!(
            "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            qualified(resource)
        ),
        Some(&details(resource, name)),
    )
}

/// 400 BadRequest with `message`.
pub fn bad_request(message: &str) -> Reply {
    failure(400, "BadRequest", message, None)
}

/// The success Status a DELETE of a resource without graceful deletion returns.
pub fn deleted(resource: &Resource, name: &str, uid: &str) -> Reply {
    let details = details(resource, name);
    let details = format!(
        "{},\"uid\":{}}}",
        details.trim_end_matches('}'),
        Value::from(uid)
    );
    Reply::json(
        200,
        format!(
            "{{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{{}},\"status\":\"Success\",\"details\":{details}}}"
        ),
    )
}

/// `pods`, or `deployments.apps` outside the core group, as messages name resources.
pub fn qualified(resource: &Resource) -> String {
    if resource.group.is_empty() {
        resource.plural.to_string()
    } else {
        format!("{}.{}", resource.plural, resource.group)
    }
}

/// `object` as compact JSON with `kind`, `apiVersion` and `metadata` first, as Go writes it.
pub fn object_json(object: &Value) -> String {
    let Value::Object(map) = object else {
        return object.to_string();
    };
    const FIRST: [&str; 3] = ["kind", "apiVersion", "metadata"];
    let first = FIRST.iter().filter_map(|k| map.get(*k).map(|v| (*k, v)));
    let rest = map
        .iter()
        .filter(|(k, _)| !FIRST.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), v));
    let fields: Vec<String> = first
        .chain(rest)
        .map(|(k, v)| format!("{}:{v}", Value::from(k)))
        .collect();
    format!("{{{}}}", fields.join(","))
}
