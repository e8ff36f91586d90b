//! kcurl: curl for the Kubernetes API.
//!
//! The path of a request reads top to bottom: command line (`cli`) → kubeconfig and overrides
//! (`kubeconfig`, `incluster`, `config`) → credentials (`auth`) → TLS (`tls`) → the request
//! (`exchange`, `request`, `proxy`) → output (`output`). [`run`] wires them together for one
//! context, `fanout` for several; `main` only maps the result to an exit code.

pub mod auth;
pub mod cli;
pub mod config;
// discovery: resource references and TAB completion of references and paths.
pub mod discovery;
pub mod error;
pub mod exchange;
pub mod fanout;
pub mod generate;
pub mod incluster;
pub mod jq;
pub mod jqpath;
pub mod jqstream;
pub mod kubeconfig;
pub mod limit;
pub mod output;
pub mod paginate;
pub mod proxy;
pub mod request;
pub mod retry;
pub mod tls;
pub mod wait;

use std::io::IsTerminal;

use crate::cli::{Args, OutputFormat};
use crate::error::{Error, Result};
use crate::exchange::{Exchange, Spec, Timings};

/// Run one kcurl invocation; returns the exit code (0 for 2xx, 3/4/5 for other statuses).
pub fn run(args: &Args) -> Result<u8> {
    stdout_is_open()?;
    // Compile jq programs before anything is read or sent: a typo is a usage error.
    let program = args
        .jq
        .as_deref()
        .map(|e| jq::Program::compile(e, "--jq"))
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(|e| jq::Program::compile(e, "--until"))
        .transpose()?;
    let spec = Spec::from_args(args)?;
    if fanout::requested(args) {
        if args.paginate.is_some() || args.until.is_some() || args.until_deleted {
            return Err(Error::Usage(
                "--paginate, --until and --until-deleted work with one context at a time: run \
                 kcurl once per context (--context NAME)"
                    .into(),
            ));
        }
        interrupt_exits_130();
        return fanout::run(args, &spec, program.as_ref());
    }
    let target = config::resolve(args, args.context.first().map(String::as_str))?;
    let mut exchange = Exchange::new(args, &spec, target, None)?;
    interrupt_exits_130();
    let opts = output::Options {
        unauthorized: Some(exchange.unauthorized_hint()),
        ..output_options(args)
    };
    if let Some(mode) = args.paginate {
        return paginate::run(&exchange, opts, mode, program.as_ref());
    }
    if until.is_some() || args.until_deleted {
        let condition = match (&until, &args.until) {
            (Some(p), Some(source)) => wait::Condition::Truthy(p, source),
            _ => wait::Condition::Deleted,
        };
        return wait::run(
            &mut exchange,
            condition,
            args.interval,
            args.timeout,
            opts,
            program.as_ref(),
        );
    }
    let mut timings = Timings::default();
    let mut response = exchange.send_retrying(&exchange.url, &mut timings)?;
    let url = exchange.url.display();
    let code = match &program {
        Some(p) => {
            let fast = args.jq.as_deref().and_then(jqpath::Path::parse);
            let items = args
                .jq
                .as_deref()
                .and_then(|source| jqstream::Items::parse(source, "--jq"));
            output::print_filtered(&mut response, opts, &url, p, fast.as_ref(), items.as_ref())?
        }
        None => output::print(&mut response, opts, &url)?,
    };
    exchange.trace_timings(&timings);
    Ok(code)
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

/// How to print, from the flags and the terminal.
pub fn output_options(args: &Args) -> output::Options {
    let no_color = std::env::var("NO_COLOR").ok();
    let term = std::env::var("TERM").ok();
    let terminal = std::io::stdout().is_terminal();
    let color = output::use_color(args.color, terminal, no_color.as_deref(), term.as_deref());
    output::Options {
        raw: args.raw,
        color,
        layout: if args.compact {
            output::json::Layout::Compact
        } else {
            output::json::Layout::Pretty
        },
        yaml: args.output == OutputFormat::Yaml,
        include: args.include,
        watch: args.watch || watch_in_query(&args.target),
        table: args.table.then_some(args.wide),
        max_body: args.max_body_size,
        terminal,
        fail: args.fail,
        unauthorized: None,
    }
}

/// True when the path's own query asks for a watch (`?watch=1`, `watch=true`).
pub(crate) fn watch_in_query(target: &str) -> bool {
    target.split_once('?').is_some_and(|(_, q)| {
        q.split('&')
            .any(|kv| matches!(kv.split_once('='), Some(("watch", "1" | "true" | "True"))))
    })
}

/// Ctrl-C ends a stream cleanly: every event received was already flushed; exit 130.
fn interrupt_exits_130() {
    // Failing to install the handler only loses the exit code; the default SIGINT still stops us.
    let _ = ctrlc::set_handler(|| std::process::exit(130));
}
