//! The one error type of kcurl and its exit codes.
//!
//! Every failure is one variant; each variant maps to exactly one exit code (the table in
//! `cli::EXIT_CODES`). Messages are complete sentences' worth of context — `<where>: <what>` —
//! without the `kcurl: error: ` prefix, which `main` adds. HTTP error statuses are not errors:
//! they are responses, mapped to exit codes 3–5 by [`exit_code_for_status`].

use std::fmt;
use std::io;

/// A failure that ends the run.
#[derive(Debug)]
pub enum Error {
    /// A local problem: kubeconfig, credentials, input file (exit 1).
    Config(String),
    /// A response cannot be used as the flags ask: not JSON for `--jq`, `--until`, `-o yaml`
    /// or `--paginate`, or a discovery document refused or unreadable (exit 1). The request
    /// itself worked; using its answer did not.
    Response(String),
    /// The command line itself is wrong (exit 2).
    Usage(String),
    /// The server could not be reached, or the connection broke (exit 6).
    Connect(String),
    /// The connection was refused: nothing was sent, so any request may be retried (exit 6).
    Refused(String),
    /// TLS failed: handshake, untrusted or mismatched certificate (exit 7).
    Tls(String),
    /// Writing to stdout failed for a reason other than a closed pipe (exit 1).
    Output(io::Error),
    /// `--until`: the condition was not met in time (exit 8).
    Unmet(String),
    /// A size or time limit on input from outside was exceeded: a body or watch event past
    /// `--max-body-size`, an exec plugin's output or run time (exit 10).
    Limit(String),
    /// A `--jq` or `--until` program failed at runtime (exit 9).
    Jq(String),
    /// A jq program ran `halt_error` or `halt(N)`: exit with N, nothing more to say (its
    /// message, if any, is already on stderr).
    Halt(u8),
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Config(_) | Error::Response(_) | Error::Output(_) => 1,
            Error::Usage(_) => 2,
            Error::Connect(_) | Error::Refused(_) => 6,
            Error::Tls(_) => 7,
            Error::Unmet(_) => 8,
            Error::Limit(_) => 10,
            Error::Jq(_) => 9,
            Error::Halt(code) => *code,
        }
    }

    /// True when this is a write to a closed pipe (`kcurl … | head -1`): success, silently.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Output(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(m)
            | Error::Response(m)
            | Error::Usage(m)
            | Error::Connect(m)
            | Error::Refused(m)
            | Error::Tls(m)
            | Error::Unmet(m)
            | Error::Limit(m)
            | Error::Jq(m) => f.write_str(m),
            Error::Halt(code) => write!(f, "the jq program halted with exit code {code}"),
            Error::Output(e) => write!(f, "writing to stdout: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Output(e) => Some(e),
            _ => None,
        }
    }
}

/// The exit code for a response status: 0 for 2xx, 3/4/5 for 3xx/4xx/5xx.
///
/// 1xx cannot reach here (ureq handles interim responses); anything outside 100–599 is treated
/// like a server error.
pub fn exit_code_for_status(status: u16) -> u8 {
    match status {
        200..=299 => 0,
        300..=399 => 3,
        400..=499 => 4,
        _ => 5,
    }
}

/// Shorthand for results in kcurl.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_its_documented_code() {
        assert_eq!(Error::Config(String::new()).exit_code(), 1);
        assert_eq!(Error::Response(String::new()).exit_code(), 1);
        assert_eq!(Error::Usage(String::new()).exit_code(), 2);
        assert_eq!(Error::Connect(String::new()).exit_code(), 6);
        assert_eq!(Error::Tls(String::new()).exit_code(), 7);
        assert_eq!(Error::Refused(String::new()).exit_code(), 6);
        assert_eq!(Error::Unmet(String::new()).exit_code(), 8);
        assert_eq!(Error::Limit(String::new()).exit_code(), 10);
        assert_eq!(Error::Jq(String::new()).exit_code(), 9);
        assert_eq!(Error::Halt(3).exit_code(), 3);
        assert_eq!(Error::Output(io::Error::other("x")).exit_code(), 1);
        for (status, code) in [(200, 0), (204, 0), (301, 3), (404, 4), (422, 4), (503, 5)] {
            assert_eq!(exit_code_for_status(status), code);
        }
    }

    #[test]
    fn broken_pipe_is_recognised() {
        assert!(Error::Output(io::ErrorKind::BrokenPipe.into()).is_broken_pipe());
        assert!(!Error::Output(io::ErrorKind::Other.into()).is_broken_pipe());
        assert!(!Error::Connect("x".into()).is_broken_pipe());
    }
}
