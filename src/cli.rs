//! The command line: clap derive types and the completion candidates.
//!
//! This module owns the names, help texts and value parsing of every flag. Only `plan` reads
//! [`Args`] (and `main` and `generate`, to parse and describe it). Its only I/O is reading the
//! kubeconfig at TAB time, to complete context, cluster and user names.

pub mod complete;

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use clap_complete::{ArgValueCandidates, CompletionCandidate};

use crate::kubeconfig::{self, Kubeconfig, Sources};

/// The exit-code table shown at the end of `--help` (and kept in sync with the README and the
/// man page, which are checked by tests).
pub const EXIT_CODES: &str = "\
Exit codes:
  0  the server answered 2xx
  1  local problem: kubeconfig, credentials, input file; a non-JSON response where JSON is needed
  2  command-line usage error
  3  the server answered 3xx (redirects are not followed)
  4  the server answered 4xx
  5  the server answered 5xx
  6  could not reach the server: DNS, connection refused, timeout, proxy, connection cut
  7  TLS failure: handshake, untrusted or mismatched certificate
  8  --until: the condition was not met within --timeout
  9  a --jq or --until program failed at runtime (halt_error exits with its own code)
 10  a size or time limit was exceeded: --max-body-size, exec plugin output or run time
130  interrupted with Ctrl-C (everything received was already written)";

const EXAMPLES: &str = "\
Examples:
  kcurl /version
  kcurl /api/v1/namespaces/default/pods | jq -r '.items[].metadata.name'
  kcurl -X DELETE /api/v1/namespaces/default/pods/web-0
  kcurl -d @pod.json /api/v1/namespaces/default/pods
  kcurl --context prod '/readyz?verbose'";

/// The help heading that comes first: the five flags used most.
const MOST_USED: &str = "Most used";

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
    after_help = format!("Every option, with examples: kcurl --help\n\n{EXIT_CODES}"),
    disable_help_flag = true,
    disable_version_flag = true,
    after_long_help = format!("{EXAMPLES}\n\n{EXIT_CODES}"),
    max_term_width = 100
)]
pub struct Args {
    /// API path (/api/v1/pods?limit=5), full https:// URL, or resource (pods, deploy/web).
    ///
    /// A resource reference (anything not starting with / that is not a URL or a path such as
    /// api/v1/pods) is resolved through the server's discovery, cached: TYPE[/NAME[/SUBRESOURCE]]
    /// where TYPE is a plural, singular, short name or kind (pods, pod, po, Pod), optionally
    /// qualified (deployments.apps, deploy.v1.apps); e.g. deploy/web -n prod, pod/web-0/log,
    /// nodes. -v shows the path it resolved to.
    ///
    /// A path is appended to the cluster's server URL, keeping any path prefix the server URL
    /// has (https://host/k8s/clusters/c-1 + /api → https://host/k8s/clusters/c-1/api). The query
    /// string is kept as given. A full URL gets the cluster's credentials only when its scheme,
    /// host and port are the cluster's; any other URL is sent without credentials, with a
    /// notice on stderr.
    #[arg(
        value_name = "PATH|URL",
        required = true,
        default_value = "",
        hide_default_value = true,
        add = clap_complete::ArgValueCompleter::new(complete::target)
    )]
    pub target: String,

    /// HTTP method [default: GET; POST with --data; PATCH with --patch-type].
    #[arg(
        short = 'X',
        long = "request",
        value_name = "METHOD",
        help_heading = MOST_USED
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
        help_heading = MOST_USED
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
    #[arg(long, value_name = "SECS", value_parser = parse_secs, hide_short_help = true, help_heading = "Pipelines")]
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
          hide_short_help = true, help_heading = "Pipelines")]
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
    #[arg(long, value_name = "NAME", help_heading = MOST_USED,
          add = ArgValueCandidates::new(context_names))]
    pub context: Vec<String>,

    /// Send the request to every context in the kubeconfig (see --context).
    #[arg(long, help_heading = "Kubeconfig", conflicts_with = "context")]
    pub all_contexts: bool,

    /// Namespace for {namespace} or {ns} in PATH [default: the context's, else default].
    #[arg(short = 'n', long, value_name = "NAME", help_heading = MOST_USED,
          add = clap_complete::ArgValueCompleter::new(complete::namespace))]
    pub namespace: Option<String>,

    /// With a resource reference: list across all namespaces (kubectl's -A).
    ///
    /// For namespaced types only; -n is then unused.
    #[arg(short = 'A', long, help_heading = "Request")]
    pub all_namespaces: bool,

    /// Fetch the server's discovery documents again instead of using the cached ones.
    ///
    /// Resource references are resolved through a table of the server's resource types kept
    /// 6 hours in the user cache directory (~/.cache/kcurl/discovery on Linux); a type not in a
    /// table older than a minute refreshes it by itself.
    #[arg(long, hide_short_help = true, help_heading = "Request")]
    pub refresh_discovery: bool,

    /// Kubeconfig cluster to use instead of the context's.
    #[arg(long, value_name = "NAME", hide_short_help = true, help_heading = "Kubeconfig",
          add = ArgValueCandidates::new(cluster_names))]
    pub cluster: Option<String>,

    /// Kubeconfig user to use instead of the context's.
    #[arg(long, value_name = "NAME", hide_short_help = true, help_heading = "Kubeconfig",
          add = ArgValueCandidates::new(user_names))]
    pub user: Option<String>,

    /// Use the pod's service account, even if a kubeconfig exists.
    ///
    /// Without this flag the service account is used only when no kubeconfig is found and
    /// KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are set (as client-go does).
    #[arg(long, hide_short_help = true, help_heading = "Kubeconfig", conflicts_with_all = ["kubeconfig", "context", "cluster", "user"])]
    pub in_cluster: bool,

    /// Service-account directory for in-cluster use.
    #[arg(long, value_name = "DIR", hide_short_help = true, help_heading = "Kubeconfig",
          default_value = crate::incluster::DEFAULT_DIR)]
    pub service_account_dir: PathBuf,

    /// API server URL; overrides the cluster's server (works with no kubeconfig at all).
    ///
    /// Long form only: -s is --silent, as in curl (kubectl's -s would clash with `curl -sS`).
    #[arg(long, value_name = "URL", help_heading = "Connection")]
    pub server: Option<String>,

    /// Bearer token; replaces the kubeconfig user's token, token file and basic auth.
    ///
    /// A token on the command line is visible to other local users in the process list: prefer a
    /// kubeconfig (token, tokenFile) for long-lived tokens.
    #[arg(long, value_name = "TOKEN", help_heading = "Connection", value_parser = secret)]
    pub token: Option<crate::secret::Secret>,

    /// CA certificate file (PEM) to trust instead of the kubeconfig's.
    #[arg(long, value_name = "FILE", help_heading = "Connection")]
    pub certificate_authority: Option<PathBuf>,

    /// Client certificate file (PEM) for TLS client authentication.
    #[arg(
        long,
        value_name = "FILE",
        hide_short_help = true,
        help_heading = "Connection",
        requires = "client_key"
    )]
    pub client_certificate: Option<PathBuf>,

    /// Client private key file (PEM: PKCS#1, PKCS#8 or SEC1) for --client-certificate.
    #[arg(
        long,
        value_name = "FILE",
        hide_short_help = true,
        help_heading = "Connection",
        requires = "client_certificate"
    )]
    pub client_key: Option<PathBuf>,

    /// Impersonate this user (Impersonate-User); overrides the kubeconfig's `as`.
    #[arg(
        long = "as",
        value_name = "USER",
        hide_short_help = true,
        help_heading = "Impersonation"
    )]
    pub as_user: Option<String>,

    /// Impersonate this group (Impersonate-Group, repeatable); overrides `as-groups`.
    #[arg(
        long = "as-group",
        value_name = "GROUP",
        hide_short_help = true,
        help_heading = "Impersonation"
    )]
    pub as_groups: Vec<String>,

    /// Impersonate this UID (Impersonate-Uid); overrides `as-uid`.
    #[arg(
        long = "as-uid",
        value_name = "UID",
        hide_short_help = true,
        help_heading = "Impersonation"
    )]
    pub as_uid: Option<String>,

    /// Do not read or write the caches: exec credentials, discovery (also: KCURL_NO_CACHE=1).
    ///
    /// kcurl keeps credentials from exec plugins that carry an expiry in the user cache
    /// directory (~/.cache/kcurl/exec on Linux, files 0600) and reuses them until shortly
    /// before they expire, instead of running the plugin on every call as kubectl does; and
    /// the server's resource types for resource references (~/.cache/kcurl/discovery).
    #[arg(long, env = "KCURL_NO_CACHE", value_parser = clap::builder::FalseyValueParser::new(),
          hide_short_help = true, help_heading = "Connection")]
    pub no_cache: bool,

    /// Skip TLS certificate verification (dangerous: prints a warning every time).
    ///
    /// The server's identity is not checked, so credentials may be sent to an impostor.
    #[arg(short = 'k', long, help_heading = "Connection")]
    pub insecure: bool,

    /// Seconds allowed for connecting: TCP, proxy and TLS handshake.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs,
          hide_short_help = true, help_heading = "Connection")]
    pub connect_timeout: Duration,

    /// Seconds allowed for the whole request, body included [default: no limit].
    ///
    /// With --until or --until-deleted: the whole wait. With a watch (-w): kcurl asks the server
    /// to end the watch after SECS (timeoutSeconds, rounded up), so a watch for N seconds ends
    /// cleanly with exit 0; kcurl itself gives up 5 s later. It also bounds an exec credential
    /// plugin's run (default 120 s), after which the plugin is killed (exit 10).
    #[arg(long, value_name = "SECS", value_parser = parse_secs, help_heading = "Connection")]
    pub timeout: Option<Duration>,

    /// When to colour JSON output.
    ///
    /// auto colours only when stdout is a terminal and neither NO_COLOR is set nor TERM=dumb.
    #[arg(
        long,
        value_name = "WHEN",
        default_value = "auto",
        hide_short_help = true,
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
    #[arg(
        long,
        hide_short_help = true,
        help_heading = "Output",
        requires = "table"
    )]
    pub wide: bool,

    /// Filter JSON responses with a jq program (in-process, jaq); strings print without quotes.
    ///
    /// Applied to each watch event, to each page of --paginate, and to each context's body with
    /// several contexts (each result on one line: context, tab, result). The program is compiled
    /// before any request is sent: a syntax error is a usage error (exit 2); a runtime error
    /// exits 9. Answers as jq 1.7 does (key order, numbers); see "Differences from jq" in the
    /// README. --jq reads the whole response into memory (plain printing streams); list
    /// programs (.items[] | F, [.items[] | F], .items | map(F), … | length) run item by item.
    #[arg(short = 'q', long = "jq", value_name = "EXPR", help_heading = MOST_USED,
          conflicts_with_all = ["raw", "table", "output"])]
    pub jq: Option<String>,

    /// Largest body (after decompression) or watch event kcurl holds in memory [default: 256MiB].
    ///
    /// --jq, -o yaml, --table, each --paginate page, --until and several contexts read the
    /// whole response into memory, and a watch reads one event at a time: past SIZE kcurl
    /// stops with exit 10 instead of exhausting memory. Plain printing streams and has no
    /// limit. SIZE is bytes, or a number with K, M, G or T (powers of 1024): 512M, 2G.
    #[arg(long, value_name = "SIZE", value_parser = crate::limit::parse_size,
          default_value = crate::limit::DEFAULT_MAX_BODY_TEXT, hide_default_value = true,
          help_heading = "Output", hide_short_help = true)]
    pub max_body_size: u64,

    /// Print the response status line and headers before the body, on stdout (curl's -i).
    #[arg(short = 'i', long, help_heading = "Output")]
    pub include: bool,

    /// Silent: no warnings, notices or error messages on stderr (curl's -s; -v still traces).
    ///
    /// The exit code still tells what happened. Add -S to keep error messages, as curl -sS
    /// does. Command-line usage errors are always printed.
    #[arg(short = 's', long, help_heading = "Output")]
    pub silent: bool,

    /// With -s: still print error messages (curl's -S).
    #[arg(short = 'S', long, help_heading = "Output")]
    pub show_error: bool,

    /// For a non-2xx response, write no body on stdout: the exit code and the one-line error
    /// on stderr only (curl's -f).
    ///
    /// Without it (or with --fail-with-body) the body of an error response goes to stdout, so the
    /// Status is never lost. With --jq the body of an error response never goes to stdout.
    #[arg(
        short = 'f',
        long,
        help_heading = "Output",
        conflicts_with = "fail_with_body"
    )]
    pub fail: bool,

    /// For a non-2xx response, still write the body on stdout (the default; curl's flag).
    #[arg(long, hide_short_help = true, help_heading = "Output")]
    pub fail_with_body: bool,

    /// Show the request and response headers (credentials redacted), timings and the
    /// kubeconfig, context, cluster and user used, on stderr.
    #[arg(short = 'v', long, help_heading = "Output")]
    pub verbose: bool,

    /// Print the man page or a shell completion script to stdout, then exit.
    ///
    /// Needs no kubeconfig. The completion scripts call kcurl back at TAB time (with
    /// KCURL_COMPLETE set) to complete flags and kubeconfig context, cluster and user names.
    #[arg(
        long,
        value_name = "KIND",
        hide_short_help = true,
        help_heading = "Other"
    )]
    pub generate: Option<Generate>,

    /// Print help (-h: the everyday options; --help: every option, with examples).
    #[arg(short = 'h', long, action = clap::ArgAction::Help, help_heading = "Other")]
    help: Option<bool>,

    /// Print the version.
    #[arg(short = 'V', long, action = clap::ArgAction::Version, help_heading = "Other")]
    version: Option<bool>,
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

impl Args {
    /// Parse the command line. PATH|URL is required (and shown so in the help) except with
    /// --generate, which is the only run that sends nothing.
    pub fn parse_args(argv: Vec<std::ffi::OsString>) -> Result<Args, clap::Error> {
        use clap::{CommandFactory, FromArgMatches};
        let generating = argv
            .iter()
            .skip(1)
            .take_while(|a| *a != "--")
            .filter_map(|a| a.to_str())
            .any(|a| a == "--generate" || a.starts_with("--generate="));
        let mut cmd = Args::command();
        if generating {
            cmd = cmd.mut_arg("target", |a| a.required(false));
        }
        let mut matches = cmd.try_get_matches_from_mut(argv)?;
        Args::from_arg_matches_mut(&mut matches).map_err(|e| e.format(&mut cmd))
    }
}

/// The one-line form of a command-line error, without the `kcurl: error: ` prefix: clap's
/// message with its usage block left out (`-h` shows it), its tips folded in, and for flags
/// that curl or kubectl users type, kcurl's equivalent. `argv` is the command line as given.
pub fn usage_error_line(err: &clap::Error, argv: &[String]) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let text = err.render().to_string();
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    let mut message = String::new();
    let mut tips = Vec::new();
    for (i, paragraph) in text.split("\n\n").enumerate() {
        let paragraph = paragraph.trim();
        if paragraph.starts_with("Usage:") || paragraph.starts_with("For more information") {
            continue;
        }
        let joined = paragraph
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        match joined.strip_prefix("tip: ") {
            Some(tip) => tips.push(tip.to_string()),
            None if i == 0 => message = joined,
            None => tips.push(joined),
        }
    }
    let context = |kind| match err.get(kind) {
        Some(ContextValue::String(s)) => Some(s.as_str()),
        _ => None,
    };
    let hint = match err.kind() {
        ErrorKind::UnknownArgument => context(ContextKind::InvalidArg)
            .and_then(|arg| unknown_flag_hint(arg).or_else(|| stray_value_hint(arg, argv))),
        ErrorKind::InvalidValue
            if context(ContextKind::InvalidArg).is_some_and(|a| a.starts_with("--output")) =>
        {
            let file = context(ContextKind::InvalidValue).unwrap_or("FILE");
            Some(format!(
                "-o is the output format (json or yaml), as in kubectl; kcurl writes the body \
                 to stdout: save it with > {file}"
            ))
        }
        _ => None,
    };
    match hint {
        Some(h) => format!("{message}: {h}"),
        None if tips.is_empty() => message,
        None => format!("{message}: {}", tips.join("; ")),
    }
}

/// What to use instead of a curl or kubectl flag kcurl does not have.
fn unknown_flag_hint(flag: &str) -> Option<String> {
    let flag = flag.split_once('=').map_or(flag, |(f, _)| f);
    let hint = match flag {
        "-L" | "--location" | "--location-trusted" | "--max-redirs" => {
            "kcurl never follows redirects, so credentials cannot reach another host; a 3xx \
             exits 3 and its Location is printed: request that URL yourself if you trust it"
        }
        "--compressed" => {
            "kcurl already asks for gzip (Accept-Encoding: gzip) and decodes it: drop --compressed"
        }
        "--cacert" | "--certificate-authority-data" => "use --certificate-authority FILE",
        "-E" | "--cert" => "use --client-certificate FILE with --client-key FILE",
        "--key" => "use --client-key FILE with --client-certificate FILE",
        "-m" | "--max-time" | "--request-timeout" => "use --timeout SECS",
        "-O" | "--remote-name" | "--output-dir" => {
            "kcurl writes the body to stdout: save it with > FILE"
        }
        "-I" | "--head" => "use -X HEAD -i",
        "-u" => {
            "put the username and password (or a token) in the kubeconfig, or use --token; \
             --user names a kubeconfig user, as in kubectl"
        }
        "-A" => {
            "for curl's user agent use -H 'User-Agent: …'; for kubectl's all namespaces, leave \
             {ns} out of the path (/api/v1/pods lists every namespace)"
        }
        "--user-agent" => "use -H 'User-Agent: …'",
        "--all-namespaces" => "leave {ns} out of the path (/api/v1/pods lists every namespace)",
        "--data-raw" | "--data-binary" | "--data-ascii" | "--json" => {
            "use -d DATA, -d @FILE or -d @- (JSON sent as is, YAML converted)"
        }
        "--data-urlencode" | "-G" | "--get" => "add query parameters with -P KEY=VALUE",
        "-l" | "--selector" => "use -P labelSelector=KEY=VALUE",
        "-x" | "--proxy" => "set HTTPS_PROXY, or proxy-url in the kubeconfig's cluster",
        "--noproxy" => "set NO_PROXY",
        "--oauth2-bearer" => "use --token TOKEN",
        "--insecure-skip-tls-verify" => "use -k (--insecure)",
        "-D" | "--dump-header" => "use -i (headers on stdout) or -v (on stderr)",
        "--write-out" => {
            "the exit code tells the status class (0 2xx, 3 3xx, 4 4xx, 5 5xx); -i prints the \
             status line"
        }
        "-F" | "--form" => "send a JSON or YAML body with -d",
        "--url" => "give the PATH or URL as the argument",
        _ => return None,
    };
    Some(hint.to_string())
}

/// A value clap found where no argument was expected, explained by the flag before it when that
/// flag means something else in curl or kubectl (`-s URL`, `-w '%{http_code}'`).
fn stray_value_hint(value: &str, argv: &[String]) -> Option<String> {
    if value.starts_with('-') {
        return None;
    }
    let looks_like = |flag: &str, test: &dyn Fn(&str) -> bool| {
        argv.windows(2).any(|w| w[0] == flag && test(&w[1]))
    };
    if looks_like("-s", &|v| {
        v.starts_with("http://") || v.starts_with("https://")
    }) {
        return Some(
            "-s is --silent, as in curl; name the API server with --server URL".to_string(),
        );
    }
    if looks_like("-w", &|v| v.contains("%{")) {
        return Some(
            "-w is --watch, as in kubectl; the exit code tells the status class (0 2xx, 3 3xx, \
             4 4xx, 5 5xx) and -i prints the status line"
                .to_string(),
        );
    }
    None
}

/// A secret argument: kept in [`crate::secret::Secret`] so `Debug` of [`Args`] never shows it.
fn secret(s: &str) -> Result<crate::secret::Secret, String> {
    Ok(crate::secret::Secret::new(s))
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

/// Kubeconfig context names, for `--context` completion.
pub fn context_names() -> Vec<CompletionCandidate> {
    candidates(|k| k.contexts.iter().map(|e| e.name.clone()).collect())
}

/// Kubeconfig cluster names, for `--cluster` completion.
pub fn cluster_names() -> Vec<CompletionCandidate> {
    candidates(|k| k.clusters.iter().map(|e| e.name.clone()).collect())
}

/// Kubeconfig user names, for `--user` completion.
pub fn user_names() -> Vec<CompletionCandidate> {
    candidates(|k| k.users.iter().map(|e| e.name.clone()).collect())
}

/// Sorted, de-duplicated names from the kubeconfig the command line being completed would use;
/// nothing at all when it cannot be read (a completion must never print an error).
fn candidates(names: impl Fn(&Kubeconfig) -> Vec<String>) -> Vec<CompletionCandidate> {
    let explicit = kubeconfig_flag(std::env::args_os(), crate::diag::home_dir());
    let Ok(config) = kubeconfig::load(&Sources::from_env(explicit)) else {
        return Vec::new();
    };
    let mut names = names(&config);
    names.sort();
    names.dedup();
    names.into_iter().map(CompletionCandidate::new).collect()
}

/// The `--kubeconfig FILE` (or `--kubeconfig=FILE`) among the words being completed, so that
/// `kcurl --kubeconfig other --context <TAB>` completes other's contexts. A leading `~/` is
/// expanded: the shell hands the words over as typed.
fn kubeconfig_flag(
    args: impl IntoIterator<Item = OsString>,
    home: Option<PathBuf>,
) -> Option<PathBuf> {
    // The completion request is `kcurl -- kcurl <words…>`; only the words count.
    let mut words = args.into_iter().skip_while(|a| a != "--").skip(1);
    let value = loop {
        let word = words.next()?;
        if word == "--kubeconfig" {
            break words.next()?;
        }
        if let Some(v) = word.to_str().and_then(|w| w.strip_prefix("--kubeconfig=")) {
            break v.into();
        }
    };
    match (value.to_str().and_then(|v| v.strip_prefix("~/")), home) {
        (Some(rest), Some(home)) => Some(home.join(rest)),
        _ => Some(value.into()),
    }
}

impl Args {
    /// The kubeconfig selection and the flags that override it.
    pub fn overrides(&self) -> crate::config::Overrides {
        crate::config::Overrides {
            kubeconfig: self.kubeconfig.clone(),
            cluster: self.cluster.clone(),
            user: self.user.clone(),
            in_cluster: self.in_cluster,
            service_account_dir: self.service_account_dir.clone(),
            server: self.server.clone(),
            token: self.token.clone(),
            certificate_authority: self.certificate_authority.clone(),
            client_certificate: self.client_certificate.clone(),
            client_key: self.client_key.clone(),
            as_user: self.as_user.clone(),
            as_groups: self.as_groups.clone(),
            as_uid: self.as_uid.clone(),
            no_cache: self.no_cache,
            insecure: self.insecure,
            timeout: self.timeout,
        }
    }
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

    #[test]
    fn kubeconfig_flag_is_read_from_the_words_being_completed() {
        let words = |w: &[&str]| w.iter().map(OsString::from).collect::<Vec<_>>();
        let home = Some(PathBuf::from("/home/u"));
        let req = words(&[
            "kcurl",
            "--",
            "kcurl",
            "--kubeconfig",
            "a.yaml",
            "--context",
            "p",
        ]);
        assert_eq!(kubeconfig_flag(req, None), Some("a.yaml".into()));
        let req = words(&["kcurl", "--", "kcurl", "--kubeconfig=~/k", "--context", ""]);
        assert_eq!(kubeconfig_flag(req, home.clone()), Some("/home/u/k".into()));
        let req = words(&["kcurl", "--", "kcurl", "--context", "p"]);
        assert_eq!(kubeconfig_flag(req, home.clone()), None);
        // Words before the `--` are the completer's own, not the command line's.
        let req = words(&[
            "kcurl",
            "--kubeconfig",
            "x",
            "--",
            "kcurl",
            "--context",
            "p",
        ]);
        assert_eq!(kubeconfig_flag(req, home), None);
    }
}
