//! What TAB completion offers for the target word (resource references and paths, segment by
//! segment): [`plan`], a pure function of the discovery table and the word being completed.
//! Names of objects (`deploy/<TAB>`, `/api/v1/namespaces/<TAB>`) are left to one live list
//! request ([`Live`]), which `cli::complete` sends within its time budget.

use super::matching::{self, Lookup};
use super::reference;
use super::table::Table;

/// What to offer for one word.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Complete words.
    pub words: Vec<String>,
    /// Names to list from the server, each offered as `prefix + name + suffix`.
    pub live: Option<Live>,
}

/// A list request whose object names are candidates.
#[derive(Debug, PartialEq, Eq)]
pub struct Live {
    pub path: String,
    pub prefix: String,
    pub suffix: &'static str,
}

/// The top of the API: what `/<TAB>` offers.
pub const ROOTS: &[&str] = &[
    "/api/",
    "/apis/",
    "/healthz",
    "/livez",
    "/readyz",
    "/version",
    "/openapi/v2",
    "/openapi/v3",
    "/metrics",
];

/// What to offer for `current` (the target word) with `table`; `namespace` is the one a
/// reference would use.
pub fn plan(table: &Table, current: &str, namespace: &str) -> Plan {
    if current.starts_with('/') {
        return path_plan(table, current);
    }
    reference_plan(table, current, namespace)
}

fn reference_plan(table: &Table, current: &str, namespace: &str) -> Plan {
    let mut plan = Plan::default();
    let Some((kind, after)) = current.split_once('/') else {
        // The type: plural names; qualified ones once a dot is typed.
        let qualified = current.contains('.');
        for g in &table.groups {
            for v in &g.versions {
                for r in &v.resources {
                    let word = if qualified && !g.name.is_empty() {
                        format!("{}.{}", r.name, g.name)
                    } else {
                        r.name.clone()
                    };
                    push(&mut plan.words, word);
                }
            }
        }
        // `deploy.` → `deploy.apps`, `deploy.v1.apps`: the typed name, qualified.
        if let Some((base, _)) = current.split_once('.')
            && let Lookup::Found(_) | Lookup::Ambiguous(_) = matching::lookup(table, base)
        {
            for g in table.groups.iter().filter(|g| !g.name.is_empty()) {
                for v in &g.versions {
                    let named = v.resources.iter().any(|r| {
                        r.name == base
                            || r.singular == base
                            || r.kind.eq_ignore_ascii_case(base)
                            || r.short.iter().any(|s| s == base)
                    });
                    if named {
                        push(&mut plan.words, format!("{base}.{}", g.name));
                        push(&mut plan.words, format!("{base}.{}.{}", v.version, g.name));
                    }
                }
            }
        }
        if current.is_empty() {
            plan.words
                .extend(["/api/".to_string(), "/apis/".to_string()]);
        }
        return plan;
    };
    if reference::parse(current).is_none() {
        return plan;
    }
    let Lookup::Found(f) = matching::lookup(table, kind) else {
        return plan;
    };
    match after.split_once('/') {
        None => {
            plan.live = Some(Live {
                path: f.path(Some(namespace), None, None),
                prefix: format!("{kind}/"),
                suffix: "",
            });
        }
        Some((name, _)) => {
            for s in &f.resource.sub {
                push(&mut plan.words, format!("{kind}/{name}/{s}"));
            }
        }
    }
    plan
}

fn path_plan(table: &Table, current: &str) -> Plan {
    let mut plan = Plan::default();
    let dir = &current[..current.rfind('/').map_or(0, |i| i + 1)];
    let segments: Vec<&str> = dir
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let group = |name: &str| table.groups.iter().find(|g| g.name == name);
    let (g, version, rest) = match segments.as_slice() {
        [] => {
            plan.words = ROOTS.iter().map(|r| r.to_string()).collect();
            return plan;
        }
        ["api"] | ["apis", _] => {
            let name = segments.get(1).copied().unwrap_or("");
            if let Some(g) = group(name) {
                for v in &g.versions {
                    push(&mut plan.words, format!("{dir}{}/", v.version));
                }
            }
            return plan;
        }
        ["apis"] => {
            for g in table.groups.iter().filter(|g| !g.name.is_empty()) {
                push(&mut plan.words, format!("/apis/{}/", g.name));
            }
            return plan;
        }
        ["api", v, rest @ ..] => (group(""), *v, rest),
        ["apis", g, v, rest @ ..] => (group(g), *v, rest),
        _ => return plan,
    };
    let Some(g) = g else { return plan };
    let Some(v) = g.versions.iter().find(|x| x.version == version) else {
        return plan;
    };
    let find = |name: &str| v.resources.iter().find(|r| r.name == name);
    let with_subs = |r: &super::table::Resource| if r.sub.is_empty() { "" } else { "/" };
    match rest {
        [] => {
            if v.resources.iter().any(|r| r.namespaced) {
                push(&mut plan.words, format!("{dir}namespaces/"));
            }
            for r in &v.resources {
                let word = if r.namespaced {
                    format!("{dir}{}", r.name)
                } else {
                    format!("{dir}{}/", r.name)
                };
                if !(r.name == "namespaces" && g.name.is_empty()) {
                    push(&mut plan.words, word);
                }
            }
        }
        ["namespaces"] => {
            plan.live = Some(Live {
                path: "/api/v1/namespaces".into(),
                prefix: dir.to_string(),
                suffix: "/",
            });
        }
        ["namespaces", _] => {
            for r in v.resources.iter().filter(|r| r.namespaced) {
                push(&mut plan.words, format!("{dir}{}/", r.name));
            }
            if g.name.is_empty()
                && let Some(ns) = find("namespaces")
            {
                for s in &ns.sub {
                    push(&mut plan.words, format!("{dir}{s}"));
                }
            }
        }
        ["namespaces", _ns, res] => {
            if let Some(r) = find(res).filter(|r| r.namespaced) {
                plan.live = Some(Live {
                    path: dir.trim_end_matches('/').to_string(),
                    prefix: dir.to_string(),
                    suffix: with_subs(r),
                });
            }
        }
        ["namespaces", _, res, _] | [res, _] => {
            let cluster_scoped = rest.len() == 2;
            if let Some(r) = find(res).filter(|r| r.namespaced != cluster_scoped) {
                for s in &r.sub {
                    push(&mut plan.words, format!("{dir}{s}"));
                }
            }
        }
        [res] => {
            if let Some(r) = find(res).filter(|r| !r.namespaced) {
                plan.live = Some(Live {
                    path: dir.trim_end_matches('/').to_string(),
                    prefix: dir.to_string(),
                    suffix: with_subs(r),
                });
            }
        }
        _ => {}
    }
    plan
}

fn push(words: &mut Vec<String>, word: String) {
    if !words.contains(&word) {
        words.push(word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::matching::tests::sample;

    fn offer(current: &str) -> (Vec<String>, Option<Live>) {
        let p = plan(&sample(), current, "prod");
        let words = p
            .words
            .into_iter()
            .filter(|w| w.starts_with(current))
            .collect();
        (words, p.live)
    }

    fn live(path: &str, prefix: &str, suffix: &'static str) -> Option<Live> {
        Some(Live {
            path: path.into(),
            prefix: prefix.into(),
            suffix,
        })
    }

    #[test]
    fn resource_references() {
        assert_eq!(offer("dep"), (vec!["deployments".into()], None));
        assert_eq!(offer("cr").0, ["crontabs"]);
        assert_eq!(
            offer("deploy.").0,
            ["deploy.apps", "deploy.v1.apps"],
            "a short name, qualified"
        );
        assert_eq!(offer("deployments.a").0, ["deployments.apps"]);
        assert_eq!(
            offer("deploy/"),
            (
                vec![],
                live("/apis/apps/v1/namespaces/prod/deployments", "deploy/", "")
            )
        );
        assert_eq!(offer("no/").1, live("/api/v1/nodes", "no/", ""));
        assert_eq!(offer("po/web-0/").0, ["po/web-0/status"]);
        assert_eq!(offer("podz/"), (vec![], None));
    }

    #[test]
    fn paths_segment_by_segment() {
        assert_eq!(offer("/ap").0, ["/api/", "/apis/"]);
        assert_eq!(
            offer("/apis/").0,
            [
                "/apis/apps/",
                "/apis/autoscaling/",
                "/apis/events.k8s.io/",
                "/apis/stable.example.com/",
                "/apis/other.example.com/"
            ]
        );
        assert_eq!(
            offer("/apis/autoscaling/").0,
            ["/apis/autoscaling/v2/", "/apis/autoscaling/v1/"]
        );
        assert_eq!(offer("/api/").0, ["/api/v1/"]);
        assert_eq!(
            offer("/apis/apps/v1/").0,
            ["/apis/apps/v1/namespaces/", "/apis/apps/v1/deployments"]
        );
        assert_eq!(
            offer("/api/v1/").0,
            [
                "/api/v1/namespaces/",
                "/api/v1/pods",
                "/api/v1/events",
                "/api/v1/nodes/"
            ]
        );
        assert_eq!(
            offer("/api/v1/namespaces/"),
            (
                vec![],
                live("/api/v1/namespaces", "/api/v1/namespaces/", "/")
            )
        );
        assert_eq!(
            offer("/api/v1/namespaces/default/").0,
            [
                "/api/v1/namespaces/default/pods/",
                "/api/v1/namespaces/default/events/",
                "/api/v1/namespaces/default/status"
            ]
        );
        assert_eq!(
            offer("/api/v1/namespaces/default/pods/w"),
            (
                vec![],
                live(
                    "/api/v1/namespaces/default/pods",
                    "/api/v1/namespaces/default/pods/",
                    "/"
                )
            )
        );
        assert_eq!(
            offer("/api/v1/namespaces/default/pods/web-0/").0,
            ["/api/v1/namespaces/default/pods/web-0/status"]
        );
        assert_eq!(
            offer("/api/v1/nodes/").1,
            live("/api/v1/nodes", "/api/v1/nodes/", "/")
        );
        assert_eq!(offer("/api/v1/nodes/n1/").0, ["/api/v1/nodes/n1/status"]);
        // A namespaced type without a namespace: no names to offer.
        assert_eq!(offer("/api/v1/pods/"), (vec![], None));
        assert_eq!(offer("/nope/").0, Vec::<String>::new());
    }
}
