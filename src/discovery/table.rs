//! The server's resource types: read from aggregated discovery (`apidiscovery.k8s.io` v2, else
//! v2beta1: one document for `/api` and one for `/apis`) or, from servers without it, from the
//! legacy per-group-version documents (`/api`, `/api/v1`, `/apis`, `/apis/GROUP/VERSION`).
//!
//! The table keeps the server's order: the core group first, then the groups as `/apis` lists
//! them (by priority), and in each group the versions preferred-first. Matching (`matching`)
//! relies on that order as client-go's `PriorityRESTMapper` does.

use serde::{Deserialize, Serialize};

use super::{Fetch, Fetched};
use crate::error::{Error, Result};

/// The Accept header of a discovery request: aggregated v2, else v2beta1, else the legacy
/// documents (client-go `AcceptV2` + `AcceptV2Beta1` + JSON).
pub const ACCEPT_AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
/// The Accept header of a legacy discovery document.
pub const ACCEPT_JSON: &str = "application/json";

/// Every resource type the server serves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub groups: Vec<Group>,
    /// Which documents it came from: `v2`, `v2beta1` or `legacy` (for `-v`).
    #[serde(default)]
    pub source: String,
}

/// An API group (`""` is the core group).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    /// Preferred version first.
    pub versions: Vec<Version>,
}

/// One version of a group and its resources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    pub version: String,
    pub resources: Vec<Resource>,
}

/// One resource type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// The plural, as in the URL: `deployments`.
    pub name: String,
    /// `deployment` (client-go falls back to the lower-case kind when the server gives none).
    pub singular: String,
    pub kind: String,
    pub namespaced: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub short: Vec<String>,
    /// Subresource names: `status`, `scale`, `log`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub: Vec<String>,
}

impl Group {
    /// `/api/v1` or `/apis/GROUP/VERSION`.
    pub fn base(&self, version: &str) -> String {
        if self.name.is_empty() {
            format!("/api/{version}")
        } else {
            format!("/apis/{}/{version}", self.name)
        }
    }
}

/// Read the table from the server: two requests with aggregated discovery, one per group
/// version more without it.
pub fn fetch(f: &mut dyn Fetch) -> Result<Table> {
    let core = f.get("/api", ACCEPT_AGGREGATED)?;
    let groups = f.get("/apis", ACCEPT_AGGREGATED)?;
    let (Some(a), Some(b)) = (aggregated_version(&core), aggregated_version(&groups)) else {
        return legacy(f, &core, &groups);
    };
    let mut table = Table {
        groups: Vec::new(),
        source: if a == b {
            a.to_string()
        } else {
            format!("{a}+{b}")
        },
    };
    for doc in [&core, &groups] {
        table.groups.extend(parse_aggregated(doc)?);
    }
    Ok(table)
}

/// `v2` or `v2beta1` when `doc` is an aggregated discovery document.
fn aggregated_version(doc: &Fetched) -> Option<&'static str> {
    if doc.status != 200 {
        return None;
    }
    let ct = doc.content_type.to_ascii_lowercase().replace(' ', "");
    if !ct.contains("g=apidiscovery.k8s.io") || !ct.contains("as=apigroupdiscoverylist") {
        return None;
    }
    if ct.contains("v=v2beta1") {
        Some("v2beta1")
    } else if ct.contains("v=v2") {
        Some("v2")
    } else {
        None
    }
}

fn bad(path: &str, what: impl std::fmt::Display) -> Error {
    Error::Response(format!(
        "discovery: GET {path}: not a discovery document: {what}"
    ))
}

fn check_ok(doc: &Fetched) -> Result<()> {
    if doc.status == 200 {
        return Ok(());
    }
    Err(Error::Response(format!(
        "discovery: GET {}: the server answered {} (kcurl -v shows the exchange); a path (/…) \
         needs no discovery",
        doc.path, doc.status
    )))
}

#[derive(Deserialize)]
struct AggList {
    #[serde(default)]
    items: Vec<AggGroup>,
}

#[derive(Deserialize)]
struct AggGroup {
    #[serde(default)]
    metadata: AggMeta,
    #[serde(default)]
    versions: Vec<AggVersion>,
}

#[derive(Deserialize, Default)]
struct AggMeta {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct AggVersion {
    version: String,
    #[serde(default)]
    resources: Vec<AggResource>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AggResource {
    resource: String,
    #[serde(default)]
    response_kind: Option<AggKind>,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    singular_resource: String,
    #[serde(default)]
    short_names: Vec<String>,
    #[serde(default)]
    subresources: Vec<AggSub>,
}

#[derive(Deserialize)]
struct AggKind {
    #[serde(default)]
    kind: String,
}

#[derive(Deserialize)]
struct AggSub {
    subresource: String,
}

/// The groups of an `APIGroupDiscoveryList` (`/api` gives the core group, named `""`).
pub fn parse_aggregated(doc: &Fetched) -> Result<Vec<Group>> {
    let list: AggList = serde_json::from_slice(&doc.body).map_err(|e| bad(&doc.path, e))?;
    Ok(list
        .items
        .into_iter()
        .map(|g| Group {
            name: g.metadata.name,
            versions: g
                .versions
                .into_iter()
                .map(|v| Version {
                    version: v.version,
                    resources: v
                        .resources
                        .into_iter()
                        .map(|r| {
                            let kind = r.response_kind.map(|k| k.kind).unwrap_or_default();
                            Resource {
                                singular: if r.singular_resource.is_empty() {
                                    kind.to_ascii_lowercase()
                                } else {
                                    r.singular_resource
                                },
                                name: r.resource,
                                kind,
                                namespaced: r.scope == "Namespaced",
                                short: r.short_names,
                                sub: r.subresources.into_iter().map(|s| s.subresource).collect(),
                            }
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect())
}

#[derive(Deserialize)]
struct ApiVersions {
    #[serde(default)]
    versions: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupList {
    #[serde(default)]
    groups: Vec<LegacyGroup>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LegacyGroup {
    name: String,
    #[serde(default)]
    versions: Vec<GroupVersion>,
    #[serde(default)]
    preferred_version: Option<GroupVersion>,
}

#[derive(Deserialize)]
struct GroupVersion {
    version: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceList {
    #[serde(default)]
    resources: Vec<LegacyResource>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LegacyResource {
    name: String,
    #[serde(default)]
    singular_name: String,
    #[serde(default)]
    namespaced: bool,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    short_names: Vec<String>,
}

/// The table from the legacy documents: `/api` and `/apis` (already fetched), then one
/// `APIResourceList` per group version.
fn legacy(f: &mut dyn Fetch, core: &Fetched, groups: &Fetched) -> Result<Table> {
    check_ok(core)?;
    check_ok(groups)?;
    let versions: ApiVersions = serde_json::from_slice(&core.body).map_err(|e| bad("/api", e))?;
    let list: GroupList = serde_json::from_slice(&groups.body).map_err(|e| bad("/apis", e))?;
    let mut plan = vec![(String::new(), versions.versions)];
    for g in list.groups {
        // Preferred first (client-go `NewDiscoveryRESTMapper`), then the others in order.
        let mut vs: Vec<String> = Vec::new();
        if let Some(p) = g.preferred_version {
            vs.push(p.version);
        }
        for v in g.versions {
            if !vs.contains(&v.version) {
                vs.push(v.version);
            }
        }
        plan.push((g.name, vs));
    }
    let mut table = Table {
        groups: Vec::new(),
        source: "legacy".into(),
    };
    for (name, versions) in plan {
        let mut group = Group {
            name,
            versions: Vec::new(),
        };
        for version in versions {
            let path = group.base(&version);
            let doc = f.get(&path, ACCEPT_JSON)?;
            // An aggregated API server that is down answers 503: skip its version, as
            // client-go does (the rest of the table is still good).
            if doc.status != 200 {
                continue;
            }
            group.versions.push(Version {
                version,
                resources: parse_resource_list(&doc)?,
            });
        }
        table.groups.push(group);
    }
    Ok(table)
}

/// The resources of an `APIResourceList`, subresources (`pods/log`) folded into their parent.
pub fn parse_resource_list(doc: &Fetched) -> Result<Vec<Resource>> {
    let list: ResourceList = serde_json::from_slice(&doc.body).map_err(|e| bad(&doc.path, e))?;
    let mut out: Vec<Resource> = Vec::new();
    let mut subs: Vec<(String, String)> = Vec::new();
    for r in list.resources {
        if let Some((parent, sub)) = r.name.split_once('/') {
            subs.push((parent.to_string(), sub.to_string()));
            continue;
        }
        out.push(Resource {
            singular: if r.singular_name.is_empty() {
                r.kind.to_ascii_lowercase()
            } else {
                r.singular_name
            },
            name: r.name,
            kind: r.kind,
            namespaced: r.namespaced,
            short: r.short_names,
            sub: Vec::new(),
        });
    }
    for (parent, sub) in subs {
        if let Some(r) = out.iter_mut().find(|r| r.name == parent) {
            r.sub.push(sub);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Documents by path; a missing one is a 404.
    struct Docs(
        HashMap<&'static str, (&'static str, &'static str)>,
        Vec<String>,
    );

    impl Fetch for Docs {
        fn get(&mut self, path: &str, accept: &str) -> Result<Fetched> {
            self.1
                .push(format!("{path} {}", accept == ACCEPT_AGGREGATED));
            let (ct, body) = self.0.get(path).copied().unwrap_or(("text/plain", "nope"));
            Ok(Fetched {
                path: path.to_string(),
                status: if body == "nope" { 404 } else { 200 },
                content_type: ct.to_string(),
                body: body.as_bytes().to_vec(),
            })
        }
    }

    const V2: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

    #[test]
    fn aggregated_is_two_requests() {
        let mut docs = Docs(
            HashMap::from([
                (
                    "/api",
                    (
                        V2,
                        r#"{"items":[{"metadata":{},"versions":[{"version":"v1","resources":[
                        {"resource":"pods","responseKind":{"kind":"Pod"},"scope":"Namespaced",
                         "singularResource":"pod","shortNames":["po"],
                         "subresources":[{"subresource":"log"}]}]}]}]}"#,
                    ),
                ),
                (
                    "/apis",
                    (
                        V2,
                        r#"{"items":[{"metadata":{"name":"apps"},"versions":[{"version":"v1","resources":[
                        {"resource":"deployments","responseKind":{"kind":"Deployment"},"scope":"Namespaced"}]}]}]}"#,
                    ),
                ),
            ]),
            Vec::new(),
        );
        let t = fetch(&mut docs).unwrap();
        assert_eq!(docs.1, ["/api true", "/apis true"]);
        assert_eq!(t.source, "v2");
        assert_eq!(t.groups[0].name, "");
        let pods = &t.groups[0].versions[0].resources[0];
        assert_eq!(
            (pods.name.as_str(), pods.singular.as_str(), pods.namespaced),
            ("pods", "pod", true)
        );
        assert_eq!(pods.sub, ["log"]);
        // No singularResource: the lower-case kind.
        assert_eq!(t.groups[1].versions[0].resources[0].singular, "deployment");
    }

    #[test]
    fn legacy_reads_each_group_version_preferred_first() {
        let mut docs = Docs(
            HashMap::from([
                ("/api", ("application/json", r#"{"versions":["v1"]}"#)),
                (
                    "/apis",
                    (
                        "application/json",
                        r#"{"groups":[{"name":"autoscaling","versions":[{"version":"v1"},{"version":"v2"}],
                            "preferredVersion":{"version":"v2"}}]}"#,
                    ),
                ),
                (
                    "/api/v1",
                    (
                        "application/json",
                        r#"{"resources":[{"name":"pods","singularName":"","namespaced":true,"kind":"Pod","shortNames":["po"]},
                            {"name":"pods/log","namespaced":true,"kind":"Pod"}]}"#,
                    ),
                ),
                (
                    "/apis/autoscaling/v2",
                    (
                        "application/json",
                        r#"{"resources":[{"name":"horizontalpodautoscalers","singularName":"horizontalpodautoscaler","namespaced":true,"kind":"HorizontalPodAutoscaler","shortNames":["hpa"]}]}"#,
                    ),
                ),
            ]),
            Vec::new(),
        );
        let t = fetch(&mut docs).unwrap();
        assert_eq!(
            docs.1,
            [
                "/api true",
                "/apis true",
                "/api/v1 false",
                "/apis/autoscaling/v2 false",
                "/apis/autoscaling/v1 false"
            ]
        );
        assert_eq!(t.source, "legacy");
        let pods = &t.groups[0].versions[0].resources[0];
        assert_eq!(
            (pods.singular.as_str(), pods.sub.clone()),
            ("pod", vec!["log".to_string()])
        );
        // v1 answered 404: skipped, v2 kept.
        assert_eq!(t.groups[1].versions.len(), 1);
        assert_eq!(t.groups[1].versions[0].version, "v2");
    }
}
