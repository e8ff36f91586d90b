//! The resolved plan of one kcurl run: [`Args`] → [`Plan`] (mode, request, format, network,
//! overrides).
//!
//! Every check that combines flags happens here, before any kubeconfig is read, any exec
//! plugin runs or any byte is sent: a usage error never has a side effect. The only I/O here
//! is reading the request body (`--data @file`, `--data @-`), which is the user's own input,
//! and the `-n` warning. Nothing below this module sees `Args`.

use std::io::IsTerminal;
use std::time::Duration;

use ureq::http::{self, Method};

use crate::cli::{Args, ColorChoice, OutputFormat, PaginateMode, PatchType};
use crate::config;
use crate::diag::{sanitize, warn};
use crate::discovery;
use crate::error::{Error, Result};
use crate::http::body;
use crate::http::url::{query_has, watch_in_query};
use crate::jq;
use crate::kubeconfig::check_namespace;
use crate::output::{self, Format};

/// Everything one run does, decided from the command line alone.
pub struct Plan {
    pub mode: Mode,
    pub request: Request,
    pub format: output::Options,
    pub net: Net,
    pub overrides: config::Overrides,
    /// `--jq`: the compiled program and its fast paths.
    pub jq: Option<jq::Filter>,
    /// The target is a resource reference (`pods`, `deploy/web`): how to resolve it.
    pub discovery: Option<discovery::hook::Settings>,
}

/// How the request is repeated: once, over pages, until a condition, over contexts.
pub enum Mode {
    /// One request to one context (the default; also `--watch`).
    Single { context: Option<String> },
    /// `--paginate`: follow `metadata.continue`.
    Paginate {
        context: Option<String>,
        mode: PaginateMode,
    },
    /// `--until` / `--until-deleted`: poll until the condition holds.
    Wait {
        context: Option<String>,
        condition: Condition,
        interval: Duration,
        timeout: Option<Duration>,
    },
    /// Several contexts at once.
    Fanout(Contexts),
}

/// What `--until` waits for.
pub enum Condition {
    /// `--until EXPR` (the program and its source, for messages).
    Truthy(jq::Program, String),
    /// `--until-deleted`.
    Deleted,
}

/// Which contexts a fan-out asks.
pub enum Contexts {
    /// `--all-contexts`.
    All,
    /// `--context` names and globs, in the order given.
    Patterns(Vec<String>),
}

/// The request as given on the command line, before any cluster is chosen: the same for
/// every context.
pub type Request = crate::http::Request;

/// Network behaviour: timeouts, retries, tracing, limits.
pub use crate::http::Net;

impl Plan {
    /// Check the flags together and build the plan. Reads the request body; nothing else.
    pub fn new(args: &Args) -> Result<Plan> {
        let filter = args
            .jq
            .as_deref()
            .map(|e| jq::Filter::compile(e, "--jq"))
            .transpose()?;
        let until = args
            .until
            .as_deref()
            .map(|e| jq::Program::compile(e, "--until"))
            .transpose()?;
        if args.compact && args.output == OutputFormat::Yaml {
            return Err(Error::Usage(
                "-c prints JSON; it does not go with -o yaml".to_string(),
            ));
        }
        if args.insecure && args.certificate_authority.is_some() {
            return Err(Error::Usage(
                "--insecure and --certificate-authority contradict each other; give one"
                    .to_string(),
            ));
        }
        let fanout =
            args.all_contexts || args.context.len() > 1 || args.context.iter().any(|c| is_glob(c));
        let waits = args.until.is_some() || args.until_deleted;
        if fanout && (args.paginate.is_some() || waits) {
            return Err(Error::Usage(
                "--paginate, --until and --until-deleted work with one context at a time: run \
                 kcurl once per context (--context NAME)"
                    .into(),
            ));
        }
        if fanout && (args.watch || args.table || args.include) {
            return Err(Error::Usage(
                "--watch, --table and --include work with one context at a time".to_string(),
            ));
        }
        crate::http::url::check_target(&args.target)?;
        let reference = discovery::is_reference(&args.target);
        if args.all_namespaces && !reference {
            return Err(Error::Usage(format!(
                "-A goes with a resource reference (kcurl pods -A), not a path ({}): a path \
                 lists every namespace when it has no namespaces/NAME segment",
                sanitize(&args.target)
            )));
        }
        let method = method(args)?;
        if args.paginate.is_some() && method != Method::GET {
            return Err(Error::Usage(format!(
                "--paginate follows list pages with GET, not -X {method}"
            )));
        }
        if waits && method != Method::GET {
            return Err(Error::Usage(format!(
                "--until and --until-deleted poll with GET, not -X {method}"
            )));
        }
        if let Some(ns) = args.namespace.as_deref() {
            check_namespace(ns).map_err(|rule| {
                Error::Usage(format!(
                    "-n \"{}\": invalid namespace: {rule}",
                    sanitize(ns)
                ))
            })?;
        }
        let mut params = Vec::new();
        for p in &args.params {
            let Some((k, v)) = p.split_once('=') else {
                return Err(Error::Usage(format!(
                    "-P \"{p}\": expected KEY=VALUE (e.g. -P labelSelector=app=web)"
                )));
            };
            if k.is_empty() {
                return Err(Error::Usage(format!("-P \"{p}\": the key is empty")));
            }
            params.push((k.to_string(), v.to_string()));
        }
        let user_headers = body::parse_headers(&args.headers)?;
        let request = request(args, reference, method, params, user_headers)?;
        if fanout && request.is_streamed() {
            return Err(Error::Usage(format!(
                "a body from stdin larger than {} MiB is streamed once and cannot go to several \
                 contexts",
                body::STDIN_BUFFER >> 20
            )));
        }
        let context = args.context.first().cloned();
        let mode = if fanout {
            Mode::Fanout(if args.all_contexts {
                Contexts::All
            } else {
                Contexts::Patterns(args.context.clone())
            })
        } else if let Some(mode) = args.paginate {
            Mode::Paginate { context, mode }
        } else if waits {
            Mode::Wait {
                context,
                condition: match (until, &args.until) {
                    (Some(p), Some(source)) => Condition::Truthy(p, source.clone()),
                    _ => Condition::Deleted,
                },
                interval: args.interval,
                timeout: args.timeout,
            }
        } else {
            Mode::Single { context }
        };
        Ok(Plan {
            mode,
            format: format(args),
            net: Net {
                verbose: args.verbose,
                connect_timeout: args.connect_timeout,
                timeout: args.timeout,
                retries: args.retry,
                retry_max_time: args.retry_max_time,
                max_body: args.max_body_size,
            },
            overrides: args.overrides(),
            jq: filter,
            discovery: reference.then(|| discovery::hook::Settings {
                all_namespaces: args.all_namespaces,
                refresh: args.refresh_discovery,
                cache: if args.no_cache {
                    discovery::Cache::disabled()
                } else {
                    discovery::Cache::default_location()
                },
                verbose: args.verbose,
            }),
            request,
        })
    }
}

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// `-X`, `--patch-type`, or what the body implies (POST), else GET.
fn method(args: &Args) -> Result<Method> {
    Ok(match (&args.method, args.patch_type) {
        (Some(m), pt) => {
            let m = Method::from_bytes(m.as_bytes())
                .map_err(|_| Error::Usage(format!("-X \"{m}\": not a valid HTTP method")))?;
            if pt.is_some() && m != Method::PATCH {
                return Err(Error::Usage(format!(
                    "--patch-type goes with PATCH requests, not -X {m}"
                )));
            }
            m
        }
        (None, Some(_)) => Method::PATCH,
        (None, None) if args.data.is_some() => Method::POST,
        (None, None) => Method::GET,
    })
}

/// The request: body (read and converted), headers, query parameters kcurl adds.
fn request(
    args: &Args,
    reference: bool,
    method: Method,
    mut params: Vec<(String, String)>,
    user_headers: Vec<(http::HeaderName, Option<http::HeaderValue>)>,
) -> Result<Request> {
    let has = |key: &str, params: &[(String, String)]| {
        params.iter().any(|(k, _)| k == key) || query_has(&args.target, key)
    };
    if args.dry_run {
        if !matches!(
            method,
            Method::POST | Method::PUT | Method::PATCH | Method::DELETE
        ) {
            return Err(Error::Usage(format!(
                "--dry-run applies to mutating requests (POST, PUT, PATCH, DELETE), not {method}"
            )));
        }
        if !has("dryRun", &params) {
            params.push(("dryRun".into(), "All".into()));
        }
    }
    if args.watch && !has("watch", &params) {
        params.push(("watch".into(), "1".into()));
    }
    let patch_type = match (args.patch_type, method == Method::PATCH) {
        (Some(p), _) => Some(p),
        (None, true) => Some(PatchType::Merge),
        (None, false) => None,
    };
    // A watch bounded by --timeout ends on the server's side, cleanly (exit 0), as kubectl's
    // --request-timeout does for watches: the API server closes the stream after
    // timeoutSeconds. Whole seconds, rounded up.
    let watching = watch_in_query(&args.target)
        || params
            .iter()
            .any(|(k, v)| k == "watch" && matches!(v.as_str(), "1" | "true" | "True"));
    let server_ends_watch = watching
        && args.until.is_none()
        && !args.until_deleted
        && args.timeout.is_some()
        && !has("timeoutSeconds", &params);
    if let (true, Some(t)) = (server_ends_watch, args.timeout) {
        let secs = t.as_secs() + u64::from(t.subsec_nanos() > 0);
        params.push(("timeoutSeconds".into(), secs.to_string()));
    }
    if args.paginate.is_some() && !has("limit", &params) {
        params.push(("limit".into(), "500".into()));
    }
    if patch_type == Some(PatchType::Apply) && !has("fieldManager", &params) {
        params.push(("fieldManager".into(), "kcurl".into()));
    }
    let content_type = patch_type.map_or("application/json", PatchType::content_type);
    let body = body::Body::read(
        args.data.as_deref(),
        &user_headers,
        patch_type == Some(PatchType::Apply),
    )?;
    // Said once here, however many contexts are asked.
    if let Some(ns) = &args.namespace
        && !reference
        && !args.target.contains("{namespace}")
        && !args.target.contains("{ns}")
    {
        warn(&format!(
            "-n {ns} has no effect: {} has no {{namespace}} or {{ns}} placeholder",
            args.target
        ));
    }
    Ok(Request {
        target: args.target.clone(),
        reference,
        namespace: args.namespace.clone(),
        method,
        user_headers,
        body,
        content_type,
        params,
        accept: args.table.then_some(crate::http::TABLE_ACCEPT),
        server_ends_watch,
    })
}

/// How to print, from the flags and the terminal.
fn format(args: &Args) -> output::Options {
    let no_color = std::env::var("NO_COLOR").ok();
    let term = std::env::var("TERM").ok();
    let terminal = std::io::stdout().is_terminal();
    let color = use_color(args.color, terminal, no_color.as_deref(), term.as_deref());
    let format = if args.table {
        Format::Table { wide: args.wide }
    } else if args.raw {
        Format::Raw
    } else if args.output == OutputFormat::Yaml {
        Format::Yaml
    } else if args.compact {
        Format::Json(crate::json::Layout::Compact)
    } else {
        Format::Json(crate::json::Layout::Pretty)
    };
    output::Options {
        format,
        color,
        include: args.include,
        watch: args.watch || watch_in_query(&args.target),
        max_body: args.max_body_size,
        terminal,
        fail: args.fail,
        unauthorized: None,
    }
}

/// Decide whether to colour: `--color`, stdout being a terminal, `NO_COLOR`, `TERM=dumb`.
pub fn use_color(
    choice: ColorChoice,
    stdout_is_tty: bool,
    no_color: Option<&str>,
    term: Option<&str>,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        // https://no-color.org: "when present and not an empty string".
        ColorChoice::Auto => {
            stdout_is_tty && no_color.is_none_or(str::is_empty) && term != Some("dumb")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_is_decided_once_from_all_inputs() {
        use ColorChoice::*;
        assert!(use_color(Auto, true, None, Some("xterm")));
        assert!(!use_color(Auto, false, None, Some("xterm")));
        assert!(!use_color(Auto, true, Some("1"), Some("xterm")));
        assert!(use_color(Auto, true, Some(""), Some("xterm")));
        assert!(!use_color(Auto, true, None, Some("dumb")));
        assert!(use_color(Always, false, Some("1"), Some("dumb")));
        assert!(!use_color(Never, true, None, None));
    }
}
