//! What a client reads before it reads objects: `/version`, the discovery documents (`/api`,
//! `/api/v1`, `/apis`, `/apis/GROUP[/v1]`, built from the resources the demo serves; `/api` and
//! `/apis` also as aggregated discovery v2 or v2beta1 when the Accept header asks, unless the
//! demo runs with `--legacy-discovery`, as a server older than 1.26 would), small
//! `/openapi/v2` (paths only) and `/openapi/v3` (index) documents, and the health endpoints
//! (`/healthz`, `/livez`, `/readyz`, with `?verbose` listing the checks as kube-apiserver does).

use serde_json::{Value, json};

use crate::store::RESOURCES;
use crate::support::kube::{API_VERSIONS_JSON, VERSION_JSON};
use crate::support::server::Reply;

/// The checks each health endpoint lists with `?verbose`, as kube-apiserver names them.
fn checks(endpoint: &str) -> Vec<&'static str> {
    let mut all = vec!["ping", "log", "etcd"];
    if endpoint == "readyz" {
        all.extend(["etcd-readiness", "informer-sync"]);
    }
    all.extend([
        "poststarthook/start-apiserver-admission-initializer",
        "poststarthook/generic-apiserver-start-informers",
        "poststarthook/start-apiextensions-informers",
        "poststarthook/rbac/bootstrap-roles",
        "poststarthook/bootstrap-controller",
    ]);
    if endpoint == "readyz" {
        all.push("shutdown");
    }
    all
}

/// `/healthz`, `/livez` or `/readyz`: `ok`, or with `verbose` one `[+]check ok` line per check
/// and `<endpoint> check passed`.
pub fn health(endpoint: &str, verbose: bool) -> Reply {
    let body = if verbose {
        let mut text: String = checks(endpoint)
            .iter()
            .map(|c| format!("[+]{c} ok\n"))
            .collect();
        text.push_str(&format!("{endpoint} check passed\n"));
        text
    } else {
        "ok".to_string()
    };
    Reply::text(200, body).set_header("X-Content-Type-Options", "nosniff")
}

/// The short names kube-apiserver gives (and the CRD's `ct`).
fn short_names(plural: &str) -> Vec<&'static str> {
    match plural {
        "namespaces" => vec!["ns"],
        "pods" => vec!["po"],
        "configmaps" => vec!["cm"],
        "deployments" => vec!["deploy"],
        "services" => vec!["svc"],
        "crontabs" => vec!["ct"],
        _ => vec![],
    }
}

fn resource_list(group_version: &str, group: &str) -> Value {
    let resources: Vec<Value> = RESOURCES
        .iter()
        .filter(|r| r.group == group)
        .flat_map(|r| {
            let short = short_names(r.plural);
            let main = json!({
                "name": r.plural,
                "singularName": r.kind.to_ascii_lowercase(),
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
                "shortNames": short,
            });
            let log = (r.plural == "pods").then(|| {
                json!({"name": "pods/log", "singularName": "", "namespaced": true, "kind": "Pod", "verbs": ["get"]})
            });
            std::iter::once(main).chain(log)
        })
        .collect();
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources})
}

/// The API groups served (`apps`, `stable.example.com`), in the order of [`RESOURCES`].
fn groups() -> Vec<&'static str> {
    let mut groups: Vec<&str> = Vec::new();
    for r in &RESOURCES {
        if !r.group.is_empty() && !groups.contains(&r.group) {
            groups.push(r.group);
        }
    }
    groups
}

fn group(name: &str) -> Value {
    let version = json!({"groupVersion": format!("{name}/v1"), "version": "v1"});
    json!({"kind": "APIGroup", "apiVersion": "v1", "name": name, "versions": [version], "preferredVersion": version})
}

/// Which discovery format a request's Accept asks for first: aggregated `v2` or `v2beta1`
/// (`application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList`), else `None`
/// (the legacy documents), as kube-apiserver negotiates it: the first type it serves wins.
pub fn aggregated_format(accept: Option<&str>) -> Option<&'static str> {
    for entry in accept.unwrap_or("").split(',') {
        let params: Vec<String> = entry
            .split(';')
            .map(|p| p.trim().to_ascii_lowercase().replace(' ', ""))
            .collect();
        let has = |p: &str| params.iter().any(|x| x == p);
        match params.first().map(String::as_str) {
            Some("application/json")
                if has("g=apidiscovery.k8s.io") && has("as=apigroupdiscoverylist") =>
            {
                if has("v=v2") {
                    return Some("v2");
                }
                if has("v=v2beta1") {
                    return Some("v2beta1");
                }
            }
            Some("application/json" | "*/*" | "application/*") => return None,
            _ => {}
        }
    }
    None
}

/// `/api` or `/apis` as an `APIGroupDiscoveryList` (aggregated discovery): every group,
/// version and resource in one document, with scope, singular, short names and subresources.
pub fn aggregated(core: bool, format: &str) -> Reply {
    let names: Vec<&str> = if core { vec![""] } else { groups() };
    let items: Vec<Value> = names
        .into_iter()
        .map(|g| {
            let resources: Vec<Value> = RESOURCES
                .iter()
                .filter(|r| r.group == g)
                .map(|r| {
                    let subresources: Vec<Value> = if r.plural == "pods" {
                        vec![json!({"subresource": "log", "responseKind": {"group": "", "version": "", "kind": "Pod"}, "verbs": ["get"]})]
                    } else {
                        vec![]
                    };
                    json!({
                        "resource": r.plural,
                        "responseKind": {"group": "", "version": "", "kind": r.kind},
                        "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
                        "singularResource": r.kind.to_ascii_lowercase(),
                        "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
                        "shortNames": short_names(r.plural),
                        "subresources": subresources,
                    })
                })
                .collect();
            let metadata = if g.is_empty() {
                json!({})
            } else {
                json!({ "name": g })
            };
            json!({"metadata": metadata, "versions": [{"version": "v1", "resources": resources, "freshness": "Current"}]})
        })
        .collect();
    let body = json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": format!("apidiscovery.k8s.io/{format}"),
        "metadata": {},
        "items": items,
    });
    Reply::json(200, body.to_string())
        .set_header(
            "Content-Type",
            &format!("application/json;g=apidiscovery.k8s.io;v={format};as=APIGroupDiscoveryList"),
        )
        .header("Vary", "Accept")
}

/// The discovery document at `path` (no leading or trailing slash), if it is one.
pub fn document(path: &str) -> Option<Reply> {
    let body = match path {
        "version" => return Some(Reply::json(200, VERSION_JSON)),
        "api" => return Some(Reply::json(200, API_VERSIONS_JSON)),
        "api/v1" => resource_list("v1", ""),
        "apis" => {
            let list: Vec<Value> = groups()
                .into_iter()
                .map(|name| {
                    let mut g = group(name);
                    if let Some(m) = g.as_object_mut() {
                        m.remove("kind");
                        m.remove("apiVersion");
                    }
                    g
                })
                .collect();
            json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": list})
        }
        // A stub of the Swagger 2.0 document: the paths served, no schemas.
        "openapi/v2" => {
            let mut paths = serde_json::Map::new();
            for r in &RESOURCES {
                let base = if r.group.is_empty() {
                    "/api/v1".to_string()
                } else {
                    format!("/apis/{}", r.api_version)
                };
                let collection = if r.namespaced {
                    format!("{base}/namespaces/{{namespace}}/{}", r.plural)
                } else {
                    format!("{base}/{}", r.plural)
                };
                paths.insert(collection.clone(), json!({}));
                paths.insert(format!("{collection}/{{name}}"), json!({}));
            }
            json!({"swagger": "2.0", "info": {"title": "Kubernetes", "version": "v1.32.0"}, "paths": paths})
        }
        "openapi/v3" => {
            let mut paths = serde_json::Map::new();
            paths.insert(
                "api/v1".into(),
                json!({"serverRelativeURL": "/openapi/v3/api/v1"}),
            );
            for g in groups() {
                paths.insert(
                    format!("apis/{g}/v1"),
                    json!({"serverRelativeURL": format!("/openapi/v3/apis/{g}/v1")}),
                );
            }
            json!({ "paths": paths })
        }
        other => {
            let rest = other.strip_prefix("apis/")?;
            let (name, version) = rest.split_once('/').unwrap_or((rest, ""));
            if !groups().contains(&name) {
                return None;
            }
            match version {
                "" => group(name),
                "v1" => resource_list(&format!("{name}/v1"), name),
                _ => return None,
            }
        }
    };
    Some(Reply::json(200, body.to_string()))
}
