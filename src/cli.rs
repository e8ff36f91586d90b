//! The command line: clap derive types and nothing else.
//!
//! This module owns the names, help texts and value parsing of every flag. It performs no I/O:
//! reading files, kubeconfigs and the environment happens later, in `config` and `request`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use clap_complete::ArgValueCandidates;

/// The exit-code table shown at the end of `--help` (and kept in sync with the README and the
/// man page, which are checked by tests).
pub const EXIT_CODES: &str = "\
Exit codes:
  0  the server answered 2xx
  1  local problem: kubeconfig, credentials, input file, invalid combination
  2  command-line usage error
  3  the server answered 3xx (redirects are not followed)
  4  the server answered 4xx
  5  the server answered 5xx
  6  could not reach the server: DNS, connection refused, timeout, proxy, connection cut
  7  TLS failure: handshake, untrusted or mismatched certificate
  8  --until: the condition was not met within --timeout
  9  a --jq or --until program failed at runtime (halt_error exits with its own code)
130  interrupted with Ctrl-C (everything received was already written)";

const EXAMPLES: &str = "\
Examples:
  kcurl /version
  kcurl /api/v1/namespaces/default/pods | jq -r '.items[].metadata.name'
  kcurl -X DELETE /api/v1/namespaces/default/pods/web-0
  kcurl -d @pod.json /api/v1/namespaces/default/pods
  kcurl --context prod /readyz?verbose";

/// curl for the Kubernetes API: one authenticated request from your kubeconfig, printed well.
///
/// kcurl reads the current kubeconfig context (or --server/--token), sends one authenticated
/// request to PATH and prints the response. JSON is pretty-printed as it streams in, coloured only
/// when stdout is a terminal; everything else is written through unchanged.
#[derive(Debug, Parser)]
#[command(
    name = "kcurl",
    version,
    about,
    long_about,
    after_help = EXIT_CODES,
    after_long_help = format!("{EXAMPLES}\n\n{EXIT_CODES}"),
    // PATH|URL is optional only for --generate; the usage shows the real one.
    override_usage = "kcurl [OPTIONS] <PATH|URL>",
    max_term_width = 100
)]
pub struct Args {
    /// API path (/api/v1/pods?limit=5) or full https:// URL.
    ///
    /// A path is appended to the cluster's server URL, keeping any path prefix the server URL
    /// has (https://host/k8s/clusters/c-1 + /api → https://host/k8s/clusters/c-1/api). The query
    /// string is kept as given. A full URL gets the cluster's credentials only when its scheme,
    /// host and port are the cluster's; any other URL is sent without credentials, with a
    /// notice on stderr.
    #[arg(
        value_name = "PATH|URL",
        required_unless_present = "generate",
        default_value = "",
        hide_default_value = true
    )]
    pub target: String,

    /// HTTP method [default: GET; POST with --data; PATCH with --patch-type].
    #[arg(
        short = 'X',
        long = "request",
        value_name = "METHOD",
        help_heading = "Request"
    )]
    pub method: Option<String>,

    /// Request body: DATA as given, @FILE for a file's contents, @- for standard input.
    ///
    /// JSON is sent unchanged; YAML (one document) is converted to JSON. Sent with
    /// Content-Type: application/json (or the --patch-type's) unless -H 'Content-Type: …' says
    /// otherwise, in which case the body is sent exactly as given.
    #[arg(
        short = 'd',
        long,
        value_name = "DATA",
        allow_hyphen_values = true,
        help_heading = "Request"
    )]
    pub data: Option<String>,

    /// PATCH flavour: merge, json, strategic or apply (server-side apply; sends YAML).
    ///
    /// Sets the Content-Type (application/merge-patch+json, application/json-patch+json,
    /// application/strategic-merge-patch+json, application/apply-patch+yaml) and implies
    /// -X PATCH. -X PATCH alone means merge, which also works for custom resources. apply adds
    /// fieldManager=kcurl unless the path or -P gives one.
    #[arg(long, value_name = "TYPE", help_heading = "Request")]
    pub patch_type: Option<PatchType>,

    /// Add dryRun=All: the server validates a mutating request but persists nothing.
    #[arg(long, help_heading = "Request")]
    pub dry_run: bool,

    /// Add a query parameter key=value, percent-encoded (repeatable).
    ///
    /// Merged with any query already in PATH: -P 'labelSelector=app in (a,b)' -P limit=5.
    #[arg(
        short = 'P',
        long = "param",
        value_name = "KEY=VALUE",
        help_heading = "Request"
    )]
    pub params: Vec<String>,

    /// Follow metadata.continue across pages until the list is complete.
    ///
    /// Sends limit (yours, else 500) and prints the items of each page as it arrives, as one
    /// list object (or one item per line with -c), in memory bounded by one page. If a continue
    /// token expires (410): exit 4, or with --paginate=restart continue with a full list, as
    /// client-go's pager does, skipping items already printed.
    #[arg(long, value_name = "MODE", num_args = 0..=1, require_equals = true,
          default_missing_value = "fail", help_heading = "Pipelines",
          conflicts_with_all = ["watch", "table", "until"])]
    pub paginate: Option<PaginateMode>,

    /// Retry up to N times, also on connection failures and 5xx/429 without Retry-After.
    ///
    /// Without it kcurl still retries a 429 or a 5xx carrying Retry-After, as asked (at most 10
    /// s a wait, 10 times), like kubectl. Waits use exponential backoff with jitter. POST,
    /// PATCH and other non-idempotent methods are retried only when the request certainly was
    /// not processed (connection refused, 429). --retry 0 turns retries off.
    #[arg(long, value_name = "N", help_heading = "Pipelines")]
    pub retry: Option<u32>,

    /// With retries: give up when the next retry would end after SECS from the first attempt.
    #[arg(long, value_name = "SECS", value_parser = parse_secs, help_heading = "Pipelines")]
    pub retry_max_time: Option<Duration>,

    /// Repeat the GET every --interval until the jq EXPR is true for the response, then print it.
    ///
    /// A 404 counts as "not yet", so you can wait for an object to appear. --timeout bounds
    /// the whole wait (default 30 s, as kubectl wait): exit 8 when the condition is not met in
    /// time, with the expression's last value on stderr.
    #[arg(long, value_name = "EXPR", help_heading = "Pipelines",
          conflicts_with_all = ["watch", "until_deleted"])]
    pub until: Option<String>,

    /// Repeat the GET every --interval until the server answers 404 (the object is gone).
    #[arg(long, help_heading = "Pipelines", conflicts_with = "watch")]
    pub until_deleted: bool,

    /// Seconds between the polls of --until and --until-deleted.
    #[arg(long, value_name = "SECS", value_parser = parse_secs, default_value = "2",
          help_heading = "Pipelines")]
    pub interval: Duration,

    /// Watch: add watch=1 and print each event the moment it arrives.
    ///
    /// Runs until the server ends the stream (or Ctrl-C: exit 130). An ERROR event carrying a
    /// Status (e.g. 410 Expired) prints its message on stderr and sets the exit code.
    #[arg(short = 'w', long, help_heading = "Request")]
    pub watch: bool,

    /// Extra request header 'Name: value' (repeatable).
    ///
    /// A header replaces kcurl's default of the same name (Accept, User-Agent, Content-Type,
    /// Authorization). 'Name:' with nothing after the colon removes that default header.
    #[arg(
        short = 'H',
        long = "header",
        value_name = "HEADER",
        help_heading = "Request"
    )]
    pub headers: Vec<String>,

    /// Kubeconfig file to use instead of $KUBECONFIG or ~/.kube/config.
    #[arg(long, value_name = "FILE", help_heading = "Kubeconfig")]
    pub kubeconfig: Option<PathBuf>,

    /// Kubeconfig context to use instead of current-context (repeatable; globs like 'prod-*').
    ///
    /// With several contexts (or a glob, or --all-contexts) the same request goes to each,
    /// concurrently, each with its own credentials: one JSON object per context on stdout
    /// ({"context", "status", "body"}), a one-line summary per context on stderr, and the exit
    /// code of the worst result.
    #[arg(long, value_name = "NAME", help_heading = "Kubeconfig",
          add = ArgValueCandidates::new(crate::generate::context_names))]
    pub context: Vec<String>,

    /// Send the request to every context in the kubeconfig (see --context).
    #[arg(long, help_heading = "Kubeconfig", conflicts_with = "context")]
    pub all_contexts: bool,

    /// Namespace for {namespace} or {ns} in PATH [default: the context's, else default].
    #[arg(short = 'n', long, value_name = "NAME", help_heading = "Request")]
    pub namespace: Option<String>,

    /// Kubeconfig cluster to use instead of the context's.
    #[arg(long, value_name = "NAME", help_heading = "Kubeconfig",
          add = ArgValueCandidates::new(crate::generate::cluster_names))]
    pub cluster: Option<String>,

    /// Kubeconfig user to use instead of the context's.
    #[arg(long, value_name = "NAME", help_heading = "Kubeconfig",
          add = ArgValueCandidates::new(crate::generate::user_names))]
    pub user: Option<String>,

    /// Use the pod's service account, even if a kubeconfig exists.
    ///
    /// Without this flag the service account is used only when no kubeconfig is found and
    /// KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are set (as client-go does).
    #[arg(long, help_heading = "Kubeconfig", conflicts_with_all = ["kubeconfig", "context", "cluster", "user"])]
    pub in_cluster: bool,

    /// Service-account directory for in-cluster use.
    #[arg(long, value_name = "DIR", help_heading = "Kubeconfig",
          default_value = crate::incluster::DEFAULT_DIR)]
    pub service_account_dir: PathBuf,

    /// API server URL; overrides the cluster's server (works with no kubeconfig at all).
    #[arg(short = 's', long, value_name = "URL", help_heading = "Connection")]
    pub server: Option<String>,

    /// Bearer token; replaces the kubeconfig user's token, token file and basic auth.
    ///
    /// A token on the command line is visible to other local users in the process list: prefer a
    /// kubeconfig (token, tokenFile) for long-lived tokens.
    #[arg(long, value_name = "TOKEN", help_heading = "Connection", value_parser = secret)]
    pub token: Option<crate::auth::Secret>,

    /// CA certificate file (PEM) to trust instead of the kubeconfig's.
    #[arg(long, value_name = "FILE", help_heading = "Connection")]
    pub certificate_authority: Option<PathBuf>,

    /// Client certificate file (PEM) for TLS client authentication.
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Connection",
        requires = "client_key"
    )]
    pub client_certificate: Option<PathBuf>,

    /// Client private key file (PEM: PKCS#1, PKCS#8 or SEC1) for --client-certificate.
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Connection",
        requires = "client_certificate"
    )]
    pub client_key: Option<PathBuf>,

    /// Impersonate this user (Impersonate-User); overrides the kubeconfig's `as`.
    #[arg(long = "as", value_name = "USER", help_heading = "Impersonation")]
    pub as_user: Option<String>,

    /// Impersonate this group (Impersonate-Group, repeatable); overrides `as-groups`.
    #[arg(
        long = "as-group",
        value_name = "GROUP",
        help_heading = "Impersonation"
    )]
    pub as_groups: Vec<String>,

    /// Impersonate this UID (Impersonate-Uid); overrides `as-uid`.
    #[arg(long = "as-uid", value_name = "UID", help_heading = "Impersonation")]
    pub as_uid: Option<String>,

    /// Do not read or write the exec credential cache (also: KCURL_NO_CACHE=1).
    ///
    /// kcurl keeps credentials from exec plugins that carry an expiry in the user cache
    /// directory (~/.cache/kcurl/exec on Linux, files 0600) and reuses them until shortly
    /// before they expire, instead of running the plugin on every call as kubectl does.
    #[arg(long, env = "KCURL_NO_CACHE", value_parser = clap::builder::FalseyValueParser::new(),
          help_heading = "Connection")]
    pub no_cache: bool,

    /// Skip TLS certificate verification (dangerous: prints a warning every time).
    ///
    /// The server's identity is not checked, so credentials may be sent to an impostor.
    #[arg(short = 'k', long, help_heading = "Connection")]
    pub insecure: bool,

    /// Seconds allowed for connecting: TCP, proxy and TLS handshake.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs,
          help_heading = "Connection")]
    pub connect_timeout: Duration,

    /// Seconds allowed for the whole request, body included [default: no limit].
    ///
    /// With --until or --until-deleted: the whole wait.
    #[arg(long, value_name = "SECS", value_parser = parse_secs, help_heading = "Connection")]
    pub timeout: Option<Duration>,

    /// When to colour JSON output.
    ///
    /// auto colours only when stdout is a terminal and neither NO_COLOR is set nor TERM=dumb.
    #[arg(
        long,
        value_name = "WHEN",
        default_value = "auto",
        help_heading = "Output"
    )]
    pub color: ColorChoice,

    /// Write the response body byte for byte: no pretty-printing, no colour.
    #[arg(long, help_heading = "Output", conflicts_with_all = ["compact", "output", "table"])]
    pub raw: bool,

    /// One JSON value per line (a watch: one event per line), for jq -c and while-read loops.
    #[arg(short = 'c', long, help_heading = "Output")]
    pub compact: bool,

    /// Output format for JSON responses: json or yaml (also per watch event).
    ///
    /// yaml writes a list item by item (memory: the response plus one item; json streams);
    /// integers up to 128 bits are exact, wider numbers become the nearest float.
    #[arg(
        short = 'o',
        long,
        value_name = "FORMAT",
        default_value = "json",
        help_heading = "Output",
        conflicts_with = "paginate"
    )]
    pub output: OutputFormat,

    /// Print the response as a table, like kubectl get (NAME, READY, STATUS, AGE …).
    ///
    /// Asks the server for a Table (Accept: application/json;as=Table;v=v1;g=meta.k8s.io);
    /// works for any resource the server can render, custom resources included.
    #[arg(long, help_heading = "Output", conflicts_with_all = ["compact", "output", "watch"])]
    pub table: bool,

    /// With --table: also the wide columns (kubectl get -o wide).
    #[arg(long, help_heading = "Output", requires = "table")]
    pub wide: bool,

    /// Filter JSON responses with a jq program (in-process, jaq); strings print without quotes.
    ///
    /// Applied to each watch event and to each page of --paginate. The program is compiled
    /// before any request is sent: a syntax error is a usage error (exit 2); a runtime error
    /// exits 9. Answers as jq 1.7 does (key order, numbers); see "Differences from jq" in the
    /// README. --jq reads the whole response into memory (plain printing streams); list
    /// programs (.items[] | F, [.items[] | F], .items | map(F), … | length) run item by item.
    #[arg(short = 'q', long = "jq", value_name = "EXPR", help_heading = "Output",
          conflicts_with_all = ["raw", "table", "output"])]
    pub jq: Option<String>,

    /// Print the response status line and headers before the body, on stdout (curl's -i).
    #[arg(short = 'i', long, help_heading = "Output")]
    pub include: bool,

    /// Show the request and response headers (credentials redacted), timings and the
    /// kubeconfig, context, cluster and user used, on stderr.
    #[arg(short = 'v', long, help_heading = "Output")]
    pub verbose: bool,

    /// Print the man page or a shell completion script to stdout, then exit.
    ///
    /// Needs no kubeconfig. The completion scripts call kcurl back at TAB time (with
    /// KCURL_COMPLETE set) to complete flags and kubeconfig context, cluster and user names.
    #[arg(long, value_name = "KIND", hide_short_help = true)]
    pub generate: Option<Generate>,
}

/// The `--generate` kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Generate {
    /// The man page (roff): kcurl --generate man > kcurl.1
    Man,
    /// Bash completion script.
    CompleteBash,
    /// Zsh completion script.
    CompleteZsh,
    /// Fish completion script.
    CompleteFish,
    /// PowerShell completion script.
    CompletePowershell,
    /// Elvish completion script.
    CompleteElvish,
}

/// The `--patch-type` choices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PatchType {
    /// JSON merge patch (RFC 7386): application/merge-patch+json.
    Merge,
    /// JSON patch (RFC 6902): application/json-patch+json.
    Json,
    /// Strategic merge patch (built-in types only): application/strategic-merge-patch+json.
    Strategic,
    /// Server-side apply: application/apply-patch+yaml, fieldManager=kcurl.
    Apply,
}

impl PatchType {
    /// The Content-Type for this patch type.
    pub fn content_type(self) -> &'static str {
        match self {
            PatchType::Merge => "application/merge-patch+json",
            PatchType::Json => "application/json-patch+json",
            PatchType::Strategic => "application/strategic-merge-patch+json",
            PatchType::Apply => "application/apply-patch+yaml",
        }
    }
}

/// The `--paginate` choices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PaginateMode {
    /// Stop with exit 4 when a continue token expires.
    Fail,
    /// When a continue token expires, continue with a full list (skipping items already printed).
    Restart,
}

/// The `-o` choices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// JSON, pretty-printed (or one line per value with -c).
    Json,
    /// YAML, one document per value.
    Yaml,
}

/// The `--color` choices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal (and NO_COLOR is unset and TERM is not dumb).
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// A secret argument: kept in [`crate::auth::Secret`] so `Debug` of [`Args`] never shows it.
fn secret(s: &str) -> Result<crate::auth::Secret, String> {
    Ok(crate::auth::Secret::new(s))
}

/// Parse a duration in (possibly fractional) seconds, as curl does: `10`, `0.5`.
fn parse_secs(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number of seconds"))?;
    if !secs.is_finite() || secs <= 0.0 || secs > 1e9 {
        return Err(format!("'{s}' must be a positive number of seconds"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_valid() {
        Args::command().debug_assert();
    }

    #[test]
    fn debug_of_the_arguments_hides_the_token() {
        let args = Args::try_parse_from(["kcurl", "--token", "s3cret-TOKEN", "/api"]).unwrap();
        assert!(!format!("{args:?}").contains("s3cret-TOKEN"));
    }

    #[test]
    fn seconds_parse_like_curl() {
        assert_eq!(parse_secs("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_secs("0.5"), Ok(Duration::from_millis(500)));
        assert!(parse_secs("0").is_err());
        assert!(parse_secs("-1").is_err());
        assert!(parse_secs("ten").is_err());
        assert!(parse_secs("inf").is_err());
    }
}
