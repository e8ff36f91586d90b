//! TAB completion of the target (resource references and paths, segment by segment) and of
//! `-n`, called by clap_complete's runtime completion (`KCURL_COMPLETE=… kcurl -- words`).
//!
//! What to offer is decided by [`plan`], a pure function of the discovery table and the word
//! being completed; names of objects (`deploy/<TAB>`, `/api/v1/namespaces/<TAB>`) come from one
//! live list request (`limit=500`, metadata only). The rest of the command line (`--context`,
//! `--kubeconfig`, `-n`, `--server` …) chooses the cluster. A TAB must never hurt the shell:
//! everything runs within [`BUDGET`] (what is not done by then is left out), standard error is
//! sent to /dev/null (no error, warning or plugin message reaches the terminal) and standard
//! input too (an exec plugin cannot prompt: one that insists fails, quietly).

use std::ffi::{OsStr, OsString};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use clap_complete::CompletionCandidate;
use serde::Deserialize;

use super::hook::{ClusterFetch, cache_for};
use super::matching::{self, Lookup};
use super::table::Table;
use super::{Fetch, reference};
use crate::cli::Args;
use crate::request::Timeouts;

/// The longest a TAB may take, live requests included.
pub const BUDGET: Duration = Duration::from_millis(900);
/// The most names a live list asks for.
pub const LIST_LIMIT: u32 = 500;
/// Metadata only: names are all completion needs.
const ACCEPT_METADATA: &str =
    "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json";

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
const ROOTS: &[&str] = &[
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

/// Candidates for the target word.
pub fn target(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(current) = current.to_str().map(str::to_string) else {
        return Vec::new();
    };
    // The top of the API needs no server.
    if current.starts_with('/') && !current[1..].contains('/') {
        return filtered(ROOTS.iter().map(|r| r.to_string()).collect(), &current);
    }
    let Some(args) = words_args() else {
        return Vec::new();
    };
    quiet();
    let deadline = Instant::now() + BUDGET;
    let word = current.clone();
    let words = within(deadline, move || {
        let mut session = Session::new(args, deadline);
        let Some(table) = session.table() else {
            return Vec::new();
        };
        let ns = session.namespace();
        let plan = plan(&table, &word, &ns);
        let mut words = plan.words;
        if let Some(live) = plan.live.filter(|_| !session.args.all_namespaces) {
            for name in session.names(&live.path) {
                words.push(format!("{}{name}{}", live.prefix, live.suffix));
            }
        }
        words
    });
    filtered(words.unwrap_or_default(), &current)
}

/// Candidates for `-n`: the namespaces, listed live.
pub fn namespace(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(current) = current.to_str().map(str::to_string) else {
        return Vec::new();
    };
    let Some(args) = words_args() else {
        return Vec::new();
    };
    quiet();
    let deadline = Instant::now() + BUDGET;
    let names = within(deadline, move || {
        Session::new(args, deadline).names("/api/v1/namespaces")
    });
    filtered(names.unwrap_or_default(), &current)
}

/// `words` starting with `current`, in order.
fn filtered(words: Vec<String>, current: &str) -> Vec<CompletionCandidate> {
    words
        .into_iter()
        .filter(|w| w.starts_with(current))
        .map(CompletionCandidate::new)
        .collect()
}

/// Run `work` on its own thread; its answer, or `None` when it is not done by `deadline`
/// (the thread is abandoned: the process ends right after the candidates are printed).
fn within<T: Send + 'static>(
    deadline: Instant,
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .spawn(move || {
            let _ = tx.send(work());
        })
        .ok()?;
    rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
        .ok()
}

/// Standard error and input to /dev/null: nothing reaches the terminal and nothing prompts.
fn quiet() {
    #[cfg(unix)]
    if let Ok(null) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
    {
        let _ = rustix::stdio::dup2_stderr(&null);
        let _ = rustix::stdio::dup2_stdin(&null);
    }
}

/// The command line being completed, parsed as far as it goes: the words before the one being
/// completed (`_CLAP_COMPLETE_INDEX` for bash, else all but the last), with trailing words
/// dropped until it parses (`kcurl --context` with the value still to come).
fn words_args() -> Option<Args> {
    let all: Vec<OsString> = std::env::args_os().collect();
    let start = all.iter().position(|a| a == "--")? + 1;
    let mut words: Vec<OsString> = all[start..].to_vec();
    let index = std::env::var("_CLAP_COMPLETE_INDEX")
        .ok()
        .and_then(|i| i.parse::<usize>().ok());
    match index {
        Some(i) if i <= words.len() => words.truncate(i),
        _ => {
            words.pop();
        }
    }
    while !words.is_empty() {
        if let Some(args) = parse_partial(&words) {
            return Some(args);
        }
        words.pop();
    }
    None
}

fn parse_partial(words: &[OsString]) -> Option<Args> {
    use clap::{CommandFactory, FromArgMatches};
    let mut cmd = Args::command().mut_arg("target", |a| a.required(false));
    let mut matches = cmd.try_get_matches_from_mut(words.iter()).ok()?;
    Args::from_arg_matches_mut(&mut matches).ok()
}

/// One completion's view of the cluster: the table from the cache when it can, the kubeconfig
/// resolved (credentials, exec plugin) only when a request is needed.
struct Session {
    args: Args,
    deadline: Instant,
    /// Resolved on first use; `Some(None)`: resolving failed.
    target: Option<Option<crate::config::Target>>,
}

impl Session {
    fn new(mut args: Args, deadline: Instant) -> Session {
        // Exec plugins are bounded by the budget too.
        args.timeout = Some(BUDGET);
        args.verbose = false;
        Session {
            args,
            deadline,
            target: None,
        }
    }

    fn context(&self) -> Option<&str> {
        self.args.context.first().map(String::as_str)
    }

    /// The kubeconfig's selection (no credentials resolved): server URL and namespace.
    fn selected(&self) -> (Option<String>, Option<String>) {
        let none = (None, None);
        if self.args.in_cluster {
            return none;
        }
        let Ok(kc) = crate::config::load_kubeconfig(&self.args) else {
            return none;
        };
        let selection = crate::kubeconfig::Selection {
            context: self.context().map(str::to_string),
            cluster: self.args.cluster.clone(),
            user: self.args.user.clone(),
        };
        let Ok(selected) = kc.select(&selection, self.args.server.is_some()) else {
            return none;
        };
        let raw = self
            .args
            .server
            .clone()
            .or_else(|| selected.cluster.and_then(|c| c.value.server.clone()));
        let server = raw.and_then(|s| crate::config::normalize_server(&s, "").ok());
        let ns = selected
            .context
            .and_then(|c| c.value.namespace.clone())
            .filter(|n| !n.is_empty());
        (server, ns)
    }

    /// The namespace a reference uses: `-n`, else the context's, else `default`.
    fn namespace(&self) -> String {
        if let Some(ns) = &self.args.namespace {
            return ns.clone();
        }
        self.selected().1.unwrap_or_else(|| "default".into())
    }

    /// A fetcher on the cluster, resolving the kubeconfig's credentials the first time.
    fn fetcher(&mut self) -> Option<ClusterFetch<'_>> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        let timeouts = Timeouts {
            connect: left,
            whole: Some(left.max(Duration::from_millis(1))),
        };
        if self.target.is_none() {
            self.target = Some(crate::config::resolve(&self.args, self.context()).ok());
        }
        let target = self.target.as_ref()?.as_ref()?;
        ClusterFetch::new(&self.args, target, timeouts).ok()
    }

    /// The server's table: cached, else fetched (and cached).
    fn table(&mut self) -> Option<Table> {
        let cache = cache_for(&self.args);
        let server = match self.selected().0 {
            Some(s) => s,
            None => {
                self.fetcher()?;
                self.target.as_ref()?.as_ref()?.server.clone()
            }
        };
        if let Some(c) = cache.load(&server) {
            return Some(c.table);
        }
        let mut fetch = self.fetcher()?;
        super::table(&server, &cache, Some(&mut fetch as &mut dyn Fetch))
    }

    /// Names of the objects at `path` (a list), at most [`LIST_LIMIT`].
    fn names(&mut self, path: &str) -> Vec<String> {
        #[derive(Deserialize)]
        struct List {
            #[serde(default)]
            items: Vec<Item>,
        }
        #[derive(Deserialize)]
        struct Item {
            metadata: Meta,
        }
        #[derive(Deserialize)]
        struct Meta {
            name: String,
        }
        let Some(mut fetch) = self.fetcher() else {
            return Vec::new();
        };
        let Ok(doc) = fetch.get(&format!("{path}?limit={LIST_LIMIT}"), ACCEPT_METADATA) else {
            return Vec::new();
        };
        if doc.status != 200 {
            return Vec::new();
        }
        serde_json::from_slice::<List>(&doc.body)
            .map(|l| l.items.into_iter().map(|i| i.metadata.name).collect())
            .unwrap_or_default()
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
