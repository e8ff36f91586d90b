//! TAB completion of the target (resource references and paths) and of `-n`, called by
//! clap_complete's runtime completion (`KCURL_COMPLETE=… kcurl -- words`).
//!
//! What to offer is `discovery::complete::plan`, a pure function of the discovery table and
//! the word; names of objects come from one live list request (`limit=500`, metadata only)
//! through an [`http::Client`](crate::http::Client). The rest of the command line
//! (`--context`, `--kubeconfig`, `-n`, `--server` …) chooses the cluster. A TAB must never hurt
//! the shell: everything runs within [`BUDGET`] (what is not done by then is left out),
//! standard error is sent to /dev/null (no error, warning or plugin message reaches the
//! terminal) and standard input too (an exec plugin cannot prompt: one that insists fails,
//! quietly).

use std::ffi::{OsStr, OsString};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use clap_complete::CompletionCandidate;
use serde::Deserialize;

use super::Args;
use crate::config::{self, Overrides};
use crate::discovery::complete::{ROOTS, plan};
use crate::discovery::hook::ClientFetch;
use crate::discovery::{self, Cache, table::Table};
use crate::http::{Client, Net, Request, body};

/// The longest a TAB may take, live requests included.
pub const BUDGET: Duration = Duration::from_millis(900);
/// The most names a live list asks for.
pub const LIST_LIMIT: u32 = 500;
/// Metadata only: names are all completion needs.
const ACCEPT_METADATA: &str =
    "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json";

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
        let request = get_request();
        let mut session = Session::new(&args, &request, deadline);
        let Some(table) = session.table() else {
            return Vec::new();
        };
        let ns = session.namespace();
        let plan = plan(&table, &word, &ns);
        let mut words = plan.words;
        if let Some(live) = plan.live.filter(|_| !args.all_namespaces) {
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
        let request = get_request();
        Session::new(&args, &request, deadline).names("/api/v1/namespaces")
    });
    filtered(names.unwrap_or_default(), &current)
}

/// `words` starting with `current`, in order. Words come from the server (type and object
/// names): one with whitespace or a control character could split or rewrite the shell's
/// line, so it is not offered.
fn filtered(words: Vec<String>, current: &str) -> Vec<CompletionCandidate> {
    words
        .into_iter()
        .filter(|w| w.starts_with(current))
        .filter(|w| !w.chars().any(|c| c.is_whitespace() || c.is_control()))
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

/// The request a completion's client is built for: a plain GET (the client's own `get` is
/// what completion sends).
fn get_request() -> Request {
    Request {
        target: "/".into(),
        reference: false,
        namespace: None,
        method: ureq::http::Method::GET,
        user_headers: Vec::new(),
        body: body::Body::None,
        content_type: "application/json",
        params: Vec::new(),
        accept: None,
        server_ends_watch: false,
    }
}

/// One completion's view of the cluster: the table from the cache when it can, the kubeconfig
/// resolved (credentials, exec plugin) only when a request is needed.
struct Session<'a> {
    args: &'a Args,
    overrides: Overrides,
    request: &'a Request,
    deadline: Instant,
    /// Built on first use; `Some(None)`: resolving the kubeconfig failed.
    client: Option<Option<Client<'a>>>,
    /// The kubeconfig's server URL and namespace, read once.
    selected: std::cell::OnceCell<(Option<String>, Option<String>)>,
}

impl<'a> Session<'a> {
    fn new(args: &'a Args, request: &'a Request, deadline: Instant) -> Session<'a> {
        let mut overrides = args.overrides();
        // Exec plugins are bounded by the budget too.
        overrides.timeout = Some(BUDGET);
        Session {
            args,
            overrides,
            request,
            deadline,
            client: None,
            selected: std::cell::OnceCell::new(),
        }
    }

    fn context(&self) -> Option<&str> {
        self.args.context.first().map(String::as_str)
    }

    fn cache(&self) -> Cache {
        if self.args.no_cache {
            Cache::disabled()
        } else {
            Cache::default_location()
        }
    }

    /// The kubeconfig's selection (no credentials resolved): server URL and namespace.
    fn selected(&self) -> &(Option<String>, Option<String>) {
        self.selected.get_or_init(|| self.select())
    }

    fn select(&self) -> (Option<String>, Option<String>) {
        let none = (None, None);
        if self.args.in_cluster {
            return none;
        }
        let Ok(kc) = config::load_kubeconfig(&self.overrides) else {
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
        let server = raw.and_then(|s| config::normalize_server(&s, "").ok());
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
        self.selected()
            .1
            .clone()
            .unwrap_or_else(|| "default".into())
    }

    /// The client for the cluster, resolving the kubeconfig's credentials the first time.
    fn client(&mut self) -> Option<&mut Client<'a>> {
        if self.client.is_none() {
            let left = self
                .deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1));
            let net = Net {
                verbose: false,
                connect_timeout: left,
                timeout: Some(left),
                retries: None,
                retry_max_time: None,
                max_body: self.args.max_body_size,
            };
            let client = config::resolve(&self.overrides, self.context())
                .ok()
                .and_then(|target| Client::new(self.request, net, target, None).ok());
            self.client = Some(client);
        }
        self.client.as_mut()?.as_mut()
    }

    /// The server's table: cached, else fetched (and cached).
    fn table(&mut self) -> Option<Table> {
        let cache = self.cache();
        let server = match self.selected().0.clone() {
            Some(s) => s,
            None => self.client()?.server().to_string(),
        };
        if let Some(c) = cache.load(&server) {
            return Some(c.table);
        }
        let client = self.client()?;
        discovery::table(&server, &cache, Some(&mut ClientFetch(client)))
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
        let Some(client) = self.client() else {
            return Vec::new();
        };
        let Ok(doc) = client.get(&format!("{path}?limit={LIST_LIMIT}"), ACCEPT_METADATA) else {
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
