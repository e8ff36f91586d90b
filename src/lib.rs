//! kcurl: curl for the Kubernetes API.
//!
//! The path of a request reads top to bottom: command line (`cli`) → the checked plan
//! (`plan`) → kubeconfig and overrides (`kubeconfig`, `incluster`, `config`) → credentials
//! (`auth`) → TLS (`tls`) → the request (`http`: one client per target) → the mode's loop
//! (`modes`) → output (`output`). [`run`] is one match on the mode; `main` only parses the
//! command line, builds the plan and maps the result to an exit code.

pub mod auth;
pub mod cli;
pub mod config;
pub mod diag;
pub mod discovery;
pub mod error;
pub mod generate;
pub mod http;
pub mod incluster;
pub mod jq;
pub mod json;
pub mod kubeconfig;
pub mod limit;
pub mod modes;
pub mod output;
pub mod plan;
pub mod secret;
pub mod time;
pub mod tls;

use crate::error::{Error, Result};
use crate::http::Client;
use crate::modes::{fanout, paginate, single, wait};
use crate::plan::{Mode, Plan};

/// Run one kcurl invocation; returns the exit code (0 for 2xx, 3/4/5 for other statuses).
pub fn run(plan: &Plan) -> Result<u8> {
    stdout_is_open()?;
    let jq = plan.jq.as_ref();
    match &plan.mode {
        Mode::Single { context } => {
            let (mut client, opts) = connect(plan, context.as_deref())?;
            single::run(&mut client, opts, jq)
        }
        Mode::Paginate { context, mode } => {
            let (mut client, opts) = connect(plan, context.as_deref())?;
            paginate::run(&mut client, opts, *mode, jq.map(|f| &f.program))
        }
        Mode::Wait {
            context,
            condition,
            interval,
            timeout,
        } => {
            let (mut client, opts) = connect(plan, context.as_deref())?;
            let program = jq.map(|f| &f.program);
            wait::run(&mut client, condition, *interval, *timeout, opts, program)
        }
        Mode::Fanout(contexts) => {
            interrupt_exits_130();
            fanout::run(plan, contexts)
        }
    }
}

/// Resolve `context` and build its client; the output options with its 401 hint.
fn connect<'p>(plan: &'p Plan, context: Option<&str>) -> Result<(Client<'p>, output::Options)> {
    let target = config::resolve(&plan.overrides, context)?;
    let mut client = Client::new(&plan.request, plan.net, target, None)?;
    if let Some(settings) = &plan.discovery {
        discovery::hook::resolve_on(
            &mut client,
            &plan.request.target,
            plan.request.namespace.as_deref(),
            settings,
            "",
        )?;
    }
    interrupt_exits_130();
    let opts = output::Options {
        unauthorized: Some(client.unauthorized_hint()),
        ..plan.format
    };
    Ok((client, opts))
}

/// Fail before anything is sent when stdout is closed (`kcurl … >&-`), as cat, curl and jq
/// do. Rust's runtime reopens a closed stdout on `/dev/null` (read-write) before `main`, which
/// would lose the answer with exit 0; a user's own `>/dev/null` is write-only. (A closed
/// *pipe* is different: `| head -1` is success, see `Error::is_broken_pipe`.)
fn stdout_is_open() -> Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::OFlags;
        let out = std::io::stdout();
        let rdwr = rustix::fs::fcntl_getfl(&out).is_ok_and(|f| f & OFlags::ACCMODE == OFlags::RDWR);
        let devnull = std::fs::read_link("/proc/self/fd/1")
            .is_ok_and(|p| p == std::path::Path::new("/dev/null"));
        if rdwr && devnull {
            return Err(Error::Output(std::io::Error::other(
                "standard output is closed; nothing could be printed",
            )));
        }
    }
    Ok(())
}

/// Ctrl-C ends a stream cleanly: every event received was already flushed; exit 130.
fn interrupt_exits_130() {
    // Failing to install the handler only loses the exit code; the default SIGINT still stops us.
    let _ = ctrlc::set_handler(|| std::process::exit(130));
}

/// The layout rules, checked on the source itself: no import cycle between top-level modules,
/// `Args` read only by `cli`, `plan`, `generate` and `main`, the HTTP layer never importing
/// `output`.
#[cfg(test)]
mod layout {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::{Path, PathBuf};

    /// Every `.rs` file under `dir`.
    fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// (top-level module, code without comments and unit tests) for every file of `src/`.
    fn modules() -> Vec<(String, PathBuf, String)> {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&src, &mut files);
        files.sort();
        files
            .into_iter()
            .map(|path| {
                let rel = path.strip_prefix(&src).unwrap().to_path_buf();
                let first = rel.components().next().unwrap().as_os_str();
                let top = first.to_string_lossy().trim_end_matches(".rs").to_string();
                let text = std::fs::read_to_string(&path).unwrap();
                let text = text.split("#[cfg(test)]").next().unwrap_or("");
                let code: String = text
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("//"))
                    .map(|l| format!("{l}\n"))
                    .collect();
                (top, rel, code)
            })
            .collect()
    }

    /// The top-level modules each module names through `crate::…` (also in `use crate::{…}`).
    fn graph() -> BTreeMap<String, BTreeSet<String>> {
        let modules = modules();
        let tops: BTreeSet<String> = modules.iter().map(|(t, _, _)| t.clone()).collect();
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (top, _, code) in &modules {
            if top == "lib" || top == "main" {
                continue;
            }
            let deps = graph.entry(top.clone()).or_default();
            for (i, _) in code.match_indices("crate::") {
                let rest = &code[i + "crate::".len()..];
                let names: Vec<&str> = match rest.strip_prefix('{') {
                    Some(group) => group
                        .split('}')
                        .next()
                        .unwrap_or("")
                        .split(',')
                        .map(|n| n.trim().split("::").next().unwrap_or(""))
                        .collect(),
                    None => vec![
                        rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                            .next()
                            .unwrap_or(""),
                    ],
                };
                for name in names {
                    if name != top && tops.contains(name) {
                        deps.insert(name.to_string());
                    }
                }
            }
        }
        graph
    }

    /// A cycle through `start`, if there is one (depth-first search).
    fn cycle_from(
        graph: &BTreeMap<String, BTreeSet<String>>,
        start: &str,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        for next in graph.get(path.last().unwrap()).into_iter().flatten() {
            if next == start {
                let mut cycle = path.clone();
                cycle.push(next.clone());
                return Some(cycle);
            }
            if !path.contains(next) {
                path.push(next.clone());
                if let Some(c) = cycle_from(graph, start, path) {
                    return Some(c);
                }
                path.pop();
            }
        }
        None
    }

    #[test]
    fn no_import_cycle_between_top_level_modules() {
        let graph = graph();
        assert!(graph.contains_key("http") && graph["modes"].contains("http"));
        for start in graph.keys() {
            let cycle = cycle_from(&graph, start, &mut vec![start.clone()]);
            assert_eq!(cycle, None, "import cycle");
        }
    }

    #[test]
    fn only_cli_plan_generate_and_main_read_args() {
        for (top, rel, code) in modules() {
            let names_args = code.match_indices("Args").any(|(i, _)| {
                let before = code[..i].chars().next_back();
                let after = code[i + 4..].chars().next();
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                    && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
            });
            let allowed = ["cli", "plan", "generate", "main"].contains(&top.as_str());
            assert!(allowed || !names_args, "{} names Args", rel.display());
        }
    }

    #[test]
    fn the_http_layer_never_imports_output() {
        for (top, rel, code) in modules() {
            if top == "http" {
                assert!(
                    !code.contains("crate::output"),
                    "{} imports output",
                    rel.display()
                );
            }
        }
    }
}
