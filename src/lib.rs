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
pub mod error;
pub mod generate;
pub mod http;
pub mod incluster;
pub mod jq;
pub mod kubeconfig;
pub mod limit;
pub mod modes;
pub mod output;
pub mod plan;
pub mod secret;
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
    let client = Client::new(&plan.request, plan.net, target, None)?;
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
