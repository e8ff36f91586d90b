//! Which resource type a reference names, by kubectl's rules (client-go `shortcutExpander`,
//! `DefaultRESTMapper.ResourcesFor`, `PriorityRESTMapper`):
//!
//! - the type is compared lower-cased with each resource's plural, singular and kind; only when
//!   nothing matches are the short names tried (`po`, `deploy`);
//! - `resource.group` restricts the group; `resource.version.group` the version too (tried
//!   first, as `schema.ParseResourceArg` does, then the whole tail as a group);
//! - among matches, each group's preferred version wins, and the core group wins over the
//!   others (`events` is core's, not events.k8s.io's).
//!
//! One difference: where kubectl silently takes the first of two non-core groups in the
//! server's order (two CRDs both called `widgets`), kcurl says the name is ambiguous and lists
//! the full paths, since the server's group order is not something a user can see.

use super::table::{Group, Resource, Table};

/// One resource type at one version.
#[derive(Debug, Clone, Copy)]
pub struct Found<'t> {
    pub group: &'t Group,
    pub version: &'t str,
    pub resource: &'t Resource,
}

impl Found<'_> {
    /// `deployments.v1.apps` (`pods.v1.` for the core group, as kubectl spells it).
    pub fn qualified(&self) -> String {
        if self.group.name.is_empty() {
            format!("{}.{}.", self.resource.name, self.version)
        } else {
            format!(
                "{}.{}.{}",
                self.resource.name, self.version, self.group.name
            )
        }
    }

    /// `/apis/apps/v1[/namespaces/NS]/deployments[/NAME[/REST]]`: `ns` only for namespaced
    /// types.
    pub fn path(&self, ns: Option<&str>, name: Option<&str>, rest: Option<&str>) -> String {
        let mut p = self.group.base(self.version);
        if let (true, Some(ns)) = (self.resource.namespaced, ns) {
            p.push_str("/namespaces/");
            p.push_str(ns);
        }
        p.push('/');
        p.push_str(&self.resource.name);
        for segment in [name, rest].into_iter().flatten() {
            p.push('/');
            p.push_str(segment);
        }
        p
    }
}

/// The result of looking a type up.
#[derive(Debug)]
pub enum Lookup<'t> {
    Found(Found<'t>),
    /// Matches in several groups, none of them core: each group's preferred match.
    Ambiguous(Vec<Found<'t>>),
    /// No match; the nearest type names (at most three).
    Missing(Vec<String>),
}

/// Look `kind` (`pods`, `Deployment`, `deploy.v1.apps`, `crontabs.stable.example.com`) up.
pub fn lookup<'t>(table: &'t Table, kind: &str) -> Lookup<'t> {
    let kind = kind.to_ascii_lowercase();
    let parts: Vec<&str> = kind.split('.').collect();
    if parts.len() >= 3 {
        let (res, version, group) = (parts[0], parts[1], parts[2..].join("."));
        let found = matches(table, res, Some(&group), Some(version));
        if let Some(first) = found.first() {
            return Lookup::Found(*first);
        }
    }
    let (res, group) = match parts.split_first() {
        Some((res, rest)) if !rest.is_empty() => (*res, Some(rest.join("."))),
        _ => (kind.as_str(), None),
    };
    let found = matches(table, res, group.as_deref(), None);
    if found.is_empty() {
        return Lookup::Missing(suggest(table, &kind));
    }
    // Each group's first match is its most preferred version (the table is in that order).
    let mut per_group: Vec<Found<'t>> = Vec::new();
    for f in found {
        if !per_group.iter().any(|p| p.group.name == f.group.name) {
            per_group.push(f);
        }
    }
    if per_group.len() == 1 {
        return Lookup::Found(per_group[0]);
    }
    match per_group.iter().find(|f| f.group.name.is_empty()) {
        Some(core) => Lookup::Found(*core),
        None => Lookup::Ambiguous(per_group),
    }
}

/// Every (group, version, resource) whose names match `res`, in the table's order: plural,
/// singular or kind first; short names only when none of those match.
fn matches<'t>(
    table: &'t Table,
    res: &str,
    group: Option<&str>,
    version: Option<&str>,
) -> Vec<Found<'t>> {
    let all = || {
        table
            .groups
            .iter()
            .filter(move |g| group.is_none_or(|want| g.name == want))
            .flat_map(|g| {
                g.versions
                    .iter()
                    .filter(move |v| version.is_none_or(|want| v.version == want))
                    .flat_map(move |v| {
                        v.resources.iter().map(move |r| Found {
                            group: g,
                            version: &v.version,
                            resource: r,
                        })
                    })
            })
    };
    let by_name: Vec<Found<'t>> = all()
        .filter(|f| {
            let r = f.resource;
            r.name == res || r.singular == res || r.kind.eq_ignore_ascii_case(res)
        })
        .collect();
    if !by_name.is_empty() {
        return by_name;
    }
    all()
        .filter(|f| f.resource.short.iter().any(|s| s.eq_ignore_ascii_case(res)))
        .collect()
}

/// The type names nearest to `kind`: within a small edit distance, or starting with it.
/// Qualified input (`deployment.apsp`) is compared with qualified names (`deployments.apps`).
fn suggest(table: &Table, kind: &str) -> Vec<String> {
    let qualified = kind.contains('.');
    let mut names: Vec<String> = Vec::new();
    for g in &table.groups {
        for v in &g.versions {
            for r in &v.resources {
                let name = if qualified && !g.name.is_empty() {
                    format!("{}.{}", r.name, g.name)
                } else {
                    r.name.clone()
                };
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
    }
    let limit = (kind.len() / 3).clamp(1, 3);
    let mut scored: Vec<(usize, String)> = names
        .into_iter()
        .filter_map(|n| {
            let d = distance(kind, &n);
            let prefix = kind.len() >= 3 && n.starts_with(kind);
            (d <= limit || prefix).then_some((d, n))
        })
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, n)| n).collect()
}

/// Optimal string alignment distance (Levenshtein with adjacent transpositions).
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// `a`, `a or b`, `a, b or c`.
pub fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::discovery::table::Version;

    fn res(name: &str, singular: &str, kind: &str, namespaced: bool, short: &[&str]) -> Resource {
        Resource {
            name: name.into(),
            singular: singular.into(),
            kind: kind.into(),
            namespaced,
            short: short.iter().map(|s| s.to_string()).collect(),
            sub: vec!["status".into()],
        }
    }

    fn group(name: &str, versions: &[(&str, Vec<Resource>)]) -> Group {
        Group {
            name: name.into(),
            versions: versions
                .iter()
                .map(|(v, r)| Version {
                    version: v.to_string(),
                    resources: r.clone(),
                })
                .collect(),
        }
    }

    /// A small server: core, apps, autoscaling (v2 preferred), events.k8s.io and two CRD
    /// groups that both serve `widgets`.
    pub(crate) fn sample() -> Table {
        Table {
            source: "v2".into(),
            groups: vec![
                group(
                    "",
                    &[(
                        "v1",
                        vec![
                            res("pods", "pod", "Pod", true, &["po"]),
                            res("namespaces", "namespace", "Namespace", false, &["ns"]),
                            res("events", "event", "Event", true, &["ev"]),
                            res("nodes", "node", "Node", false, &["no"]),
                        ],
                    )],
                ),
                group(
                    "apps",
                    &[(
                        "v1",
                        vec![res(
                            "deployments",
                            "deployment",
                            "Deployment",
                            true,
                            &["deploy"],
                        )],
                    )],
                ),
                group(
                    "autoscaling",
                    &[
                        (
                            "v2",
                            vec![res(
                                "horizontalpodautoscalers",
                                "horizontalpodautoscaler",
                                "HorizontalPodAutoscaler",
                                true,
                                &["hpa"],
                            )],
                        ),
                        (
                            "v1",
                            vec![res(
                                "horizontalpodautoscalers",
                                "horizontalpodautoscaler",
                                "HorizontalPodAutoscaler",
                                true,
                                &["hpa"],
                            )],
                        ),
                    ],
                ),
                group(
                    "events.k8s.io",
                    &[("v1", vec![res("events", "event", "Event", true, &[])])],
                ),
                group(
                    "stable.example.com",
                    &[(
                        "v1",
                        vec![
                            res("crontabs", "crontab", "CronTab", true, &["ct"]),
                            res("widgets", "widget", "Widget", true, &["w"]),
                        ],
                    )],
                ),
                group(
                    "other.example.com",
                    &[("v1", vec![res("widgets", "widget", "Widget", true, &[])])],
                ),
            ],
        }
    }

    fn found(kind: &str) -> String {
        match lookup(&sample(), kind) {
            Lookup::Found(f) => f.path(Some("default"), None, None),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn kubectl_matching_rules() {
        let deploy = "/apis/apps/v1/namespaces/default/deployments";
        for kind in [
            "deployments",
            "deployment",
            "Deployment",
            "DEPLOYMENTS",
            "deploy",
            "deployments.apps",
            "deploy.apps",
            "deployments.v1.apps",
            "deployment.v1.apps",
        ] {
            assert_eq!(found(kind), deploy, "{kind}");
        }
        assert_eq!(found("po"), "/api/v1/namespaces/default/pods");
        assert_eq!(found("pods.v1."), "/api/v1/namespaces/default/pods");
        assert_eq!(found("nodes"), "/api/v1/nodes");
        assert_eq!(found("ns"), "/api/v1/namespaces");
        // Preferred version first; another version when asked.
        assert_eq!(
            found("hpa"),
            "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers"
        );
        assert_eq!(
            found("hpa.v1.autoscaling"),
            "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers"
        );
        // Core first.
        assert_eq!(found("events"), "/api/v1/namespaces/default/events");
        assert_eq!(
            found("events.events.k8s.io"),
            "/apis/events.k8s.io/v1/namespaces/default/events"
        );
        // A group with dots, with and without the version.
        assert_eq!(
            found("crontabs.stable.example.com"),
            "/apis/stable.example.com/v1/namespaces/default/crontabs"
        );
        assert_eq!(
            found("ct.v1.stable.example.com"),
            "/apis/stable.example.com/v1/namespaces/default/crontabs"
        );
        assert_eq!(
            found("widgets.other.example.com"),
            "/apis/other.example.com/v1/namespaces/default/widgets"
        );
    }

    #[test]
    fn ambiguity_and_suggestions() {
        let t = sample();
        let Lookup::Ambiguous(all) = lookup(&t, "widgets") else {
            panic!("not ambiguous")
        };
        let names: Vec<String> = all.iter().map(Found::qualified).collect();
        assert_eq!(
            names,
            [
                "widgets.v1.stable.example.com",
                "widgets.v1.other.example.com"
            ]
        );
        // A short name owned by one group is not ambiguous.
        assert!(matches!(lookup(&t, "w"), Lookup::Found(_)));
        let missing = |k| match lookup(&t, k) {
            Lookup::Missing(s) => s,
            other => panic!("{other:?}"),
        };
        assert_eq!(missing("podz"), ["pods"]);
        assert_eq!(missing("deploymnets"), ["deployments"]);
        assert_eq!(missing("cron"), ["crontabs"]);
        assert_eq!(missing("deployments.aps"), ["deployments.apps"]);
        assert_eq!(missing("zzzzzz"), Vec::<String>::new());
        assert_eq!(or_list(&["a".into(), "b".into(), "c".into()]), "a, b or c");
    }

    #[test]
    fn paths_with_names_and_subresources() {
        let t = sample();
        let Lookup::Found(f) = lookup(&t, "pod") else {
            panic!()
        };
        assert_eq!(
            f.path(Some("prod"), Some("web-0"), Some("log")),
            "/api/v1/namespaces/prod/pods/web-0/log"
        );
        assert_eq!(f.path(None, None, None), "/api/v1/pods");
        let Lookup::Found(n) = lookup(&t, "ns") else {
            panic!()
        };
        assert_eq!(
            n.path(Some("ignored"), Some("kube-system"), None),
            "/api/v1/namespaces/kube-system"
        );
    }
}
