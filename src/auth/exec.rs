//! exec credential plugins: run the kubeconfig's `exec` command and read the ExecCredential it prints.
//!
//! This module copies client-go's `plugin/pkg/client/auth/exec/exec.go`: the configuration is
//! validated as client-go does (`command` and `apiVersion` required, v1 or v1beta1 only,
//! `interactiveMode` required for v1), the plugin gets the inherited environment plus its `env`
//! entries plus `KUBERNETES_EXEC_INFO`, its stderr reaches the user, its stdin is handed over only
//! when the run is interactive, and its stdout must be an ExecCredential of the configured
//! apiVersion holding a token or a client certificate and key.
//!
//! Beyond kubectl (kubectl#1109), a credential that carries an `expirationTimestamp` is kept in a
//! cross-invocation [`Cache`] (the `cache` submodule owns the files) and reused until shortly
//! before it expires. This module does not decide whether exec applies at all (an explicit token
//! or client certificate disables it: `auth`), does not read CA files (the caller passes their
//! bytes in [`ClusterInfo`]) and does not retry requests after a 401 (the caller calls
//! [`invalidate`] and then [`credential`] again).

mod cache;

use std::fmt;
use std::io;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use base64::Engine;
use serde::Serialize;
use serde_json::Value;

pub use cache::Cache;
// discovery: its cache follows the same file rules (src/discovery/cache.rs).
pub(crate) use cache::{key_of, read_private, write_atomic};

use super::Secret;
use crate::diag::{io_reason, shorten};
use crate::error::{Error, Result};
use crate::kubeconfig::Exec;
use crate::time::parse_rfc3339;

const API_V1: &str = "client.authentication.k8s.io/v1";
const API_V1BETA1: &str = "client.authentication.k8s.io/v1beta1";
const API_V1ALPHA1: &str = "client.authentication.k8s.io/v1alpha1";
/// The environment variable that carries the ExecCredential request (client-go `execInfoEnv`).
const EXEC_INFO_ENV: &str = "KUBERNETES_EXEC_INFO";
/// A cached credential is used only until this long before its expiry.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);
/// The name of the cluster extension passed to the plugin as `spec.cluster.config`.
pub const CLUSTER_EXTENSION: &str = "client.authentication.k8s.io/exec";

/// The cluster data a plugin gets with provideClusterInfo (client-go exec.go / clientauthentication Cluster).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterInfo {
    pub server: String,
    pub tls_server_name: Option<String>,
    pub insecure_skip_tls_verify: bool,
    /// PEM bytes; a CA *file* is read by the caller and passed here.
    pub certificate_authority_data: Option<Vec<u8>>,
    pub proxy_url: Option<String>,
    pub disable_compression: bool,
    /// The cluster extension named `client.authentication.k8s.io/exec` ([`CLUSTER_EXTENSION`]).
    pub config: Option<Value>,
}

/// One exec plugin to run: its configuration, where it was configured, and the cluster it is for.
pub struct Plugin<'a> {
    pub exec: &'a Exec,
    /// Where the plugin is configured, for messages, e.g. `~/.kube/config: users["eks"]`.
    pub place: String,
    /// The cluster, passed to the plugin when `provideClusterInfo` is true.
    pub cluster: Option<ClusterInfo>,
    /// How long the plugin may run before it is killed (`--timeout`, else [`DEFAULT_TIMEOUT`]).
    pub timeout: Duration,
}

/// How long a plugin may run without `--timeout`: long enough for a browser login.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// The most a plugin may print on stdout (an ExecCredential with a certificate and key is a
/// few KB).
pub const MAX_OUTPUT: u64 = 1 << 20;

impl fmt::Debug for Plugin<'_> {
    /// Only the place and the command: the arguments and environment may hold secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plugin")
            .field("place", &self.place)
            .field("command", &self.exec.command)
            .finish_non_exhaustive()
    }
}

/// What a plugin authenticates with: a bearer token, a client certificate and key, or both.
#[derive(Clone)]
pub struct Credential {
    pub token: Option<Secret>,
    pub client_cert_pem: Option<Vec<u8>>,
    pub client_key_pem: Option<Secret>,
    /// `status.expirationTimestamp`; `None` means the plugin gave no expiry (never cached).
    pub expires: Option<SystemTime>,
    /// True when the credential came from the cross-invocation cache, not from running the plugin.
    pub from_cache: bool,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("token", &self.token)
            .field(
                "client_cert_pem",
                &self
                    .client_cert_pem
                    .as_ref()
                    .map(|c| format!("<{} bytes>", c.len())),
            )
            .field("client_key_pem", &self.client_key_pem)
            .field("expires", &self.expires)
            .field("from_cache", &self.from_cache)
            .finish()
    }
}

/// `interactiveMode` (client-go `api.ExecInteractiveMode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum InteractiveMode {
    Never,
    IfAvailable,
    Always,
}

impl InteractiveMode {
    fn as_str(self) -> &'static str {
        match self {
            InteractiveMode::Never => "Never",
            InteractiveMode::IfAvailable => "IfAvailable",
            InteractiveMode::Always => "Always",
        }
    }
}

/// An exec configuration that passed [`validate`].
struct Checked<'a> {
    command: &'a str,
    args: &'a [String],
    api_version: &'a str,
    mode: InteractiveMode,
}

/// Validate the exec config as client-go does (`validateAuthInfo` and `exec.newAuthenticator`).
///
/// `command` and `apiVersion` are required; apiVersion must be client.authentication.k8s.io/v1
/// or /v1beta1; `interactiveMode` is required for v1, defaults to IfAvailable for v1beta1, and is
/// one of Never, IfAvailable, Always; every `env` entry needs a name.
pub fn validate(exec: &Exec, place: &str) -> Result<()> {
    check(exec, place).map(|_| ())
}

fn check<'a>(exec: &'a Exec, place: &str) -> Result<Checked<'a>> {
    let err =
        |field: &str, what: String| Err(Error::Config(format!("{place}.exec{field}: {what}")));
    let command = match exec.command.as_deref() {
        Some(c) if !c.is_empty() => c,
        _ => {
            return err(
                ".command",
                "missing; an exec plugin needs the command to run".into(),
            );
        }
    };
    let api_version = match exec.api_version.as_deref() {
        Some(API_V1) => API_V1,
        Some(API_V1BETA1) => API_V1BETA1,
        None | Some("") => {
            return err(
                ".apiVersion",
                format!("missing; use {API_V1} (or {API_V1BETA1}, if the plugin needs it)"),
            );
        }
        Some(API_V1ALPHA1) => {
            return err(
                ".apiVersion",
                format!(
                    "{API_V1ALPHA1} is no longer supported (removed in Kubernetes 1.24); \
                     use {API_V1} or {API_V1BETA1}"
                ),
            );
        }
        Some(other) => {
            return err(
                ".apiVersion",
                format!("\"{other}\" is not supported; use {API_V1} or {API_V1BETA1}"),
            );
        }
    };
    // client-go validation.go: "interactiveMode must be specified for %v to use exec
    // authentication plugin" (v1 only; v1beta1 defaults to IfAvailable in its conversion).
    let mode = match exec.interactive_mode.as_deref() {
        Some("Never") => InteractiveMode::Never,
        Some("IfAvailable") => InteractiveMode::IfAvailable,
        Some("Always") => InteractiveMode::Always,
        None | Some("") if api_version == API_V1BETA1 => InteractiveMode::IfAvailable,
        None | Some("") => {
            return err(
                ".interactiveMode",
                format!("missing; {API_V1} requires it: use Never, IfAvailable or Always"),
            );
        }
        Some(other) => {
            return err(
                ".interactiveMode",
                format!("\"{other}\" is not valid; use Never, IfAvailable or Always"),
            );
        }
    };
    for (i, e) in exec.env.iter().flatten().enumerate() {
        if e.name.is_empty() {
            return err(&format!(".env[{i}].name"), "missing".into());
        }
        if e.name.contains(['=', '\0']) {
            return err(
                &format!(".env[{i}].name"),
                format!("\"{}\" is not a valid variable name", e.name),
            );
        }
    }
    Ok(Checked {
        command,
        args: exec.args.as_deref().unwrap_or_default(),
        api_version,
        mode,
    })
}

/// Get a credential: from the cache when a fresh one is there, else by running the plugin.
///
/// A credential from the plugin that has an `expirationTimestamp` is written to the cache. Cache
/// failures never fail the call: they only cost a plugin run. A fresh cached credential is used
/// even when `interactiveMode` is Always and stdin is not a terminal: the plugin does not run.
pub fn credential(plugin: &Plugin, cache: &Cache, stdin_is_tty: bool) -> Result<Credential> {
    let checked = check(plugin.exec, &plugin.place)?;
    let key = cache_key(plugin, &checked, cache);
    if let Some(key) = &key
        && let Some(cred) = cache.load(key)
        && cred.expires.is_some_and(|e| fresh(e, SystemTime::now()))
    {
        return Ok(cred);
    }

    // client-go `interactiveFunc`: IfAvailable and Always are interactive with a terminal;
    // Always without one is an error.
    let interactive = match checked.mode {
        InteractiveMode::Never => false,
        InteractiveMode::IfAvailable => stdin_is_tty,
        InteractiveMode::Always if stdin_is_tty => true,
        InteractiveMode::Always => {
            return Err(Error::Config(format!(
                "{}.exec: interactiveMode is Always but stdin is not a terminal; \
                 run kcurl from a terminal so the plugin can prompt",
                plugin.place
            )));
        }
    };
    let cred = run(plugin, &checked, interactive)?;
    if let Some(key) = &key
        && cred.expires.is_some_and(|e| fresh(e, SystemTime::now()))
    {
        cache.store(key, &cred);
    }
    Ok(cred)
}

/// Forget the cached credential for this plugin (after the server answered 401).
pub fn invalidate(plugin: &Plugin, cache: &Cache) {
    if let Ok(checked) = check(plugin.exec, &plugin.place)
        && let Some(key) = cache_key(plugin, &checked, cache)
    {
        cache.remove(&key);
    }
}

/// True while a credential expiring at `expires` may still be used: until [`EXPIRY_MARGIN`] before.
fn fresh(expires: SystemTime, now: SystemTime) -> bool {
    expires
        .duration_since(now)
        .is_ok_and(|left| left > EXPIRY_MARGIN)
}

/// `spec.cluster` of the ExecCredential (clientauthentication v1/v1beta1 `Cluster`, same JSON names).
#[derive(Serialize)]
struct ClusterJson<'a> {
    server: &'a str,
    #[serde(rename = "tls-server-name", skip_serializing_if = "Option::is_none")]
    tls_server_name: Option<&'a str>,
    #[serde(rename = "insecure-skip-tls-verify", skip_serializing_if = "is_false")]
    insecure_skip_tls_verify: bool,
    #[serde(
        rename = "certificate-authority-data",
        skip_serializing_if = "Option::is_none"
    )]
    certificate_authority_data: Option<String>,
    #[serde(rename = "proxy-url", skip_serializing_if = "Option::is_none")]
    proxy_url: Option<&'a str>,
    #[serde(rename = "disable-compression", skip_serializing_if = "is_false")]
    disable_compression: bool,
    /// client-go's `runtime.RawExtension` has no omitempty effect: it is `null` when unset.
    config: Option<&'a Value>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl<'a> ClusterJson<'a> {
    fn new(c: &'a ClusterInfo) -> ClusterJson<'a> {
        let non_empty = |s: &'a Option<String>| s.as_deref().filter(|s| !s.is_empty());
        ClusterJson {
            server: &c.server,
            tls_server_name: non_empty(&c.tls_server_name),
            insecure_skip_tls_verify: c.insecure_skip_tls_verify,
            certificate_authority_data: c
                .certificate_authority_data
                .as_ref()
                .filter(|d| !d.is_empty())
                .map(|d| base64::engine::general_purpose::STANDARD.encode(d)),
            proxy_url: non_empty(&c.proxy_url),
            disable_compression: c.disable_compression,
            config: c.config.as_ref(),
        }
    }
}

/// The cluster handed to the plugin: only with `provideClusterInfo: true`.
fn cluster_json<'a>(plugin: &'a Plugin) -> Option<ClusterJson<'a>> {
    if plugin.exec.provide_cluster_info == Some(true) {
        plugin.cluster.as_ref().map(ClusterJson::new)
    } else {
        None
    }
}

/// The ExecCredential in `KUBERNETES_EXEC_INFO` (field order as client-go encodes it).
#[derive(Serialize)]
struct ExecInfo<'a> {
    kind: &'static str,
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    spec: ExecInfoSpec<'a>,
}

#[derive(Serialize)]
struct ExecInfoSpec<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster: Option<ClusterJson<'a>>,
    interactive: bool,
}

/// Everything that determines the credential, serialised for the cache key.
#[derive(Serialize)]
struct KeyMaterial<'a> {
    command: &'a str,
    args: &'a [String],
    env: Vec<[&'a str; 2]>,
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    #[serde(rename = "interactiveMode")]
    interactive_mode: &'static str,
    cluster: Option<ClusterJson<'a>>,
}

/// The cache key of this plugin configuration, or `None` when the cache is disabled.
fn cache_key(plugin: &Plugin, checked: &Checked, cache: &Cache) -> Option<String> {
    if !cache.is_enabled() {
        return None;
    }
    let material = KeyMaterial {
        command: checked.command,
        args: checked.args,
        env: plugin
            .exec
            .env
            .iter()
            .flatten()
            .map(|e| [e.name.as_str(), e.value.expose()])
            .collect(),
        api_version: checked.api_version,
        interactive_mode: checked.mode.as_str(),
        cluster: cluster_json(plugin),
    };
    serde_json::to_vec(&material)
        .ok()
        .map(|bytes| cache::key_of(&bytes))
}

/// Run the plugin once and read its ExecCredential (client-go `refreshCredsLocked`).
fn run(plugin: &Plugin, checked: &Checked, interactive: bool) -> Result<Credential> {
    let info = ExecInfo {
        kind: "ExecCredential",
        api_version: checked.api_version,
        spec: ExecInfoSpec {
            cluster: cluster_json(plugin),
            interactive,
        },
    };
    let info = serde_json::to_string(&info).map_err(|e| {
        Error::Config(format!(
            "{}.exec: cannot encode {EXEC_INFO_ENV}: {e}",
            plugin.place
        ))
    })?;

    let program = resolve_command(checked.command, std::env::var_os("PATH")).map_err(|reason| {
        Error::Config(format!(
            "{}.exec.command: cannot run \"{}\": {reason}",
            plugin.place, checked.command
        ))
    })?;
    let mut cmd = Command::new(program);
    cmd.args(checked.args);
    for e in plugin.exec.env.iter().flatten() {
        cmd.env(&e.name, e.value.expose());
    }
    cmd.env(EXEC_INFO_ENV, info)
        .stdin(if interactive {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());

    let child = spawn_retrying_busy(&mut cmd).map_err(|e| spawn_error(plugin, checked, &e))?;
    let (status, stdout) = bounded_output(child, plugin.timeout, MAX_OUTPUT).map_err(|limit| {
        Error::Limit(format!(
            "{}.exec: \"{}\" {limit}; it was stopped",
            plugin.place, checked.command
        ))
    })?;
    if !status.success() {
        return Err(Error::Config(format!(
            "{}.exec: \"{}\" {} (see its message above)",
            plugin.place,
            checked.command,
            describe_failure(&status)
        )));
    }
    parse_output(&stdout, plugin, checked)
}

/// Find a bare command on PATH as kubectl (Go's `exec.LookPath`) does: a name with a path
/// separator is used as is; otherwise the first PATH entry holding an executable file wins,
/// and if that entry is empty or relative (the current directory) the command is refused
/// (Go's `ErrDot`) rather than run from wherever kcurl was started.
fn resolve_command(
    command: &str,
    path: Option<std::ffi::OsString>,
) -> std::result::Result<std::path::PathBuf, String> {
    let as_is = std::path::PathBuf::from(command);
    if command.contains(std::path::is_separator) {
        return Ok(as_is);
    }
    let Some(path) = path else {
        // No PATH: let the OS report "not found".
        return Ok(as_is);
    };
    for dir in std::env::split_paths(&path) {
        let candidate = if dir.as_os_str().is_empty() {
            std::path::PathBuf::from(".").join(command)
        } else {
            dir.join(command)
        };
        if is_executable(&candidate) {
            if !dir.is_absolute() {
                return Err(format!(
                    "found as {} through a relative or empty PATH entry, which kubectl refuses \
                     to run too; give its absolute path",
                    candidate.display()
                ));
            }
            return Ok(candidate);
        }
    }
    // Not found: spawning the bare name gives the usual "not found on PATH".
    Ok(as_is)
}

fn is_executable(p: &std::path::Path) -> bool {
    let Ok(meta) = std::fs::metadata(p) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

/// Wait for `child` to finish within `timeout`, reading at most `max` bytes of its stdout;
/// past either limit it is killed. The error says which limit.
fn bounded_output(
    mut child: std::process::Child,
    timeout: Duration,
    max: u64,
) -> std::result::Result<(std::process::ExitStatus, Vec<u8>), String> {
    use std::io::Read;
    let deadline = std::time::Instant::now() + timeout;
    let stdout = child.stdout.take();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(out) = stdout {
            let _ = out.take(max + 1).read_to_end(&mut buf);
        }
        let _ = tx.send(buf);
    });
    let stop = |child: &mut std::process::Child, why: String| {
        let _ = child.kill();
        let _ = child.wait();
        Err(why)
    };
    let too_slow = || {
        format!(
            "did not finish within {} (--timeout)",
            crate::diag::secs(timeout)
        )
    };
    let out = match rx.recv_timeout(timeout) {
        Ok(out) => out,
        Err(_) => return stop(&mut child, too_slow()),
    };
    if out.len() as u64 > max {
        return stop(
            &mut child,
            format!(
                "printed more than {} on stdout",
                crate::limit::show_size(max)
            ),
        );
    }
    // stdout is closed; the plugin normally exits right after.
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok((status, out)),
            Ok(None) if std::time::Instant::now() >= deadline => {
                return stop(&mut child, too_slow());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return stop(&mut child, format!("could not be waited for: {e}")),
        }
    }
}

/// `Command::spawn`, retried briefly when the executable is busy (ETXTBSY).
///
/// That happens when the plugin file is being replaced (a package upgrade) or was just written
/// by a process that forked meanwhile (the test suite); it clears within milliseconds.
fn spawn_retrying_busy(cmd: &mut Command) -> io::Result<std::process::Child> {
    let mut attempt = 0;
    loop {
        match cmd.spawn() {
            Err(e) if e.kind() == io::ErrorKind::ExecutableFileBusy && attempt < 10 => {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(10 * attempt));
            }
            other => return other,
        }
    }
}

fn spawn_error(plugin: &Plugin, checked: &Checked, e: &io::Error) -> Error {
    let cmd = checked.command;
    let place = &plugin.place;
    let reason = match e.kind() {
        io::ErrorKind::NotFound if cmd.contains(std::path::is_separator) => {
            "no such file".to_string()
        }
        io::ErrorKind::NotFound => "not found on PATH".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied (is it executable?)".to_string(),
        _ => io_reason(e),
    };
    let hint = match plugin.exec.install_hint.as_deref().map(one_line) {
        Some(h) if e.kind() == io::ErrorKind::NotFound && !h.is_empty() => format!("; {h}"),
        _ => String::new(),
    };
    Error::Config(format!(
        "{place}.exec.command: cannot run \"{cmd}\": {reason}{hint}"
    ))
}

/// Collapse a multi-line `installHint` onto one line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn describe_failure(status: &std::process::ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("failed with exit code {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return format!("was killed by signal {sig}");
        }
    }
    "failed".to_string()
}

/// Read the plugin's stdout as an ExecCredential; messages never quote the output (it may hold a token).
fn parse_output(stdout: &[u8], plugin: &Plugin, checked: &Checked) -> Result<Credential> {
    let invalid = |what: &str| {
        Error::Config(format!(
            "{}.exec: the output of \"{}\" is not a valid ExecCredential: {what}",
            plugin.place, checked.command
        ))
    };
    if stdout.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid("it is empty"));
    }
    let value: Value = serde_json::from_slice(stdout).map_err(|e| {
        invalid(&format!(
            "not JSON (error at line {} column {})",
            e.line(),
            e.column()
        ))
    })?;
    let Value::Object(mut obj) = value else {
        return Err(invalid("not a JSON object"));
    };
    let api_version = match obj.get("apiVersion") {
        Some(Value::String(v)) if !v.is_empty() => v.clone(),
        _ => return Err(invalid("apiVersion is missing")),
    };
    // client-go: "exec plugin is configured to use API version %s, plugin returned version %s".
    if api_version != checked.api_version {
        return Err(Error::Config(format!(
            "{}.exec: the plugin is configured to use API version {}, \"{}\" returned version \"{}\"",
            plugin.place,
            checked.api_version,
            checked.command,
            shorten(&api_version, 80)
        )));
    }
    match obj.get("kind") {
        Some(Value::String(k)) if k == "ExecCredential" => {}
        Some(Value::String(k)) => {
            return Err(invalid(&format!(
                "kind is \"{}\", expected ExecCredential",
                shorten(k, 80)
            )));
        }
        _ => return Err(invalid("kind is missing")),
    }
    let mut status = match obj.remove("status") {
        Some(Value::Object(s)) => s,
        None | Some(Value::Null) => return Err(invalid("it has no status")),
        Some(_) => return Err(invalid("status is not an object")),
    };
    let mut take = |field: &str| -> Result<Option<String>> {
        match status.remove(field) {
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s)),
            Some(Value::String(_)) | Some(Value::Null) | None => Ok(None),
            Some(_) => Err(invalid(&format!("status.{field} is not a string"))),
        }
    };
    let token = take("token")?.map(Secret::new);
    let cert = take("clientCertificateData")?;
    let key = take("clientKeyData")?.map(Secret::new);
    let expires = match take("expirationTimestamp")? {
        Some(ts) => Some(
            parse_rfc3339(&ts)
                .ok_or_else(|| invalid("status.expirationTimestamp is not an RFC 3339 time"))?,
        ),
        None => None,
    };
    let who = format!("{}.exec: \"{}\"", plugin.place, checked.command);
    match (&token, &cert, &key) {
        (None, None, None) => {
            return Err(Error::Config(format!(
                "{who} returned neither a token nor a client certificate and key \
                 (status.token, or status.clientCertificateData and status.clientKeyData)"
            )));
        }
        (_, Some(_), None) => {
            return Err(Error::Config(format!(
                "{who} returned status.clientCertificateData without status.clientKeyData; \
                 a client certificate needs its key"
            )));
        }
        (_, None, Some(_)) => {
            return Err(Error::Config(format!(
                "{who} returned status.clientKeyData without status.clientCertificateData; \
                 a client key needs its certificate"
            )));
        }
        _ => {}
    }
    Ok(Credential {
        token,
        client_cert_pem: cert.map(String::into_bytes),
        client_key_pem: key,
        expires,
        from_cache: false,
    })
}

/// Read `stdout` as the ExecCredential a plugin configured with `api_version` printed, exactly as
/// [`credential`] reads a plugin's output (for fuzzing and tests; nothing is run).
pub fn parse_credential(stdout: &[u8], api_version: &str) -> Result<Credential> {
    let exec = Exec::default();
    let plugin = Plugin {
        exec: &exec,
        place: "exec plugin".to_string(),
        cluster: None,
        timeout: DEFAULT_TIMEOUT,
    };
    let checked = Checked {
        command: "plugin",
        args: &[],
        api_version,
        mode: InteractiveMode::Never,
    };
    parse_output(stdout, &plugin, &checked)
}

#[cfg(all(test, unix))]
mod tests {
    //! Fake plugins are `#!/bin/sh` scripts in a temp dir; each appends a line to `calls.log`.

    use super::*;
    use crate::kubeconfig::ExecEnv;
    use crate::time::format_rfc3339;
    use std::fs;
    use std::path::{Path, PathBuf};
    use std::time::UNIX_EPOCH;

    const PLACE: &str = "/k/config: users[\"u\"]";

    /// A temp dir with a fake plugin that logs its call and prints `out.json`.
    struct Fake {
        dir: tempfile::TempDir,
        exec: Exec,
    }

    impl Fake {
        fn new(api_version: &str) -> Fake {
            Fake::with_script(api_version, "cat \"$D/out.json\"")
        }

        /// A plugin whose body is `body` (after logging the call); `$D` is the temp dir.
        fn with_script(api_version: &str, body: &str) -> Fake {
            let dir = tempfile::tempdir().unwrap();
            let script = dir.path().join("plugin");
            let text = format!(
                "#!/bin/sh\nD='{}'\necho call >> \"$D/calls.log\"\n{body}\n",
                dir.path().display()
            );
            fs::write(&script, text).unwrap();
            chmod(&script, 0o755);
            let exec = Exec {
                command: Some(script.to_string_lossy().into_owned()),
                api_version: Some(api_version.to_string()),
                interactive_mode: Some("Never".to_string()),
                ..Exec::default()
            };
            Fake { dir, exec }
        }

        fn path(&self, name: &str) -> PathBuf {
            self.dir.path().join(name)
        }

        fn output(&self, json: &str) {
            fs::write(self.path("out.json"), json).unwrap();
        }

        fn token_output(&self, token: &str, expires: Option<SystemTime>) {
            let api = self.exec.api_version.clone().unwrap_or_default();
            let exp = expires
                .map(|e| {
                    format!(
                        ",\"expirationTimestamp\":\"{}\"",
                        format_rfc3339(e).unwrap()
                    )
                })
                .unwrap_or_default();
            self.output(&format!(
                "{{\"apiVersion\":\"{api}\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"{token}\"{exp}}}}}"
            ));
        }

        fn calls(&self) -> usize {
            fs::read_to_string(self.path("calls.log"))
                .map(|s| s.lines().count())
                .unwrap_or(0)
        }

        fn plugin(&self) -> Plugin<'_> {
            Plugin {
                exec: &self.exec,
                place: PLACE.to_string(),
                cluster: None,
                timeout: DEFAULT_TIMEOUT,
            }
        }

        fn cache(&self) -> Cache {
            Cache::at(self.path("cache").join("exec"))
        }

        fn run(&self, cache: &Cache) -> Result<Credential> {
            credential(&self.plugin(), cache, false)
        }

        fn err(&self) -> String {
            self.run(&Cache::disabled()).unwrap_err().to_string()
        }

        /// The one cache file.
        fn cache_file(&self) -> PathBuf {
            let files: Vec<PathBuf> = fs::read_dir(self.path("cache").join("exec"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            assert_eq!(files.len(), 1, "{files:?}");
            let f = files.into_iter().next().unwrap();
            assert!(f.to_string_lossy().ends_with(".json"));
            f
        }
    }

    fn chmod(p: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
    }

    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
    }

    fn in_an_hour() -> Option<SystemTime> {
        Some(SystemTime::now() + Duration::from_secs(3600))
    }

    fn token(c: &Credential) -> &str {
        c.token.as_ref().unwrap().expose()
    }

    #[test]
    fn v1_and_v1beta1_tokens() {
        for api in [API_V1, API_V1BETA1] {
            let f = Fake::new(api);
            f.token_output("tok-1", None);
            let c = f.run(&Cache::disabled()).unwrap();
            assert_eq!(token(&c), "tok-1");
            assert!(c.client_cert_pem.is_none() && c.client_key_pem.is_none());
            assert_eq!(c.expires, None);
            assert!(!c.from_cache);
        }
    }

    #[test]
    fn v1beta1_defaults_to_if_available() {
        let mut f = Fake::with_script(
            API_V1BETA1,
            "printf '%s' \"$KUBERNETES_EXEC_INFO\" > \"$D/info\"; cat \"$D/out.json\"",
        );
        f.exec.interactive_mode = None;
        f.token_output("t", None);
        f.run(&Cache::disabled()).unwrap();
        assert_eq!(
            fs::read_to_string(f.path("info")).unwrap(),
            r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false}}"#
        );
    }

    #[test]
    fn client_certificate_and_key() {
        let f = Fake::new(API_V1);
        f.output(
            r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{
                "clientCertificateData":"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
                "clientKeyData":"-----BEGIN PRIVATE KEY-----\nkey-SECRET\n-----END PRIVATE KEY-----\n",
                "expirationTimestamp":"2099-01-02T03:04:05.5+01:00"}}"#,
        );
        let c = f.run(&Cache::disabled()).unwrap();
        assert!(c.token.is_none());
        assert_eq!(
            c.client_cert_pem.as_deref().unwrap(),
            b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
        );
        assert!(
            c.client_key_pem
                .as_ref()
                .unwrap()
                .expose()
                .contains("key-SECRET")
        );
        assert_eq!(c.expires, parse_rfc3339("2099-01-02T02:04:05.5Z"));
        let debug = format!("{c:?}");
        assert!(
            !debug.contains("SECRET") && !debug.contains("MIIB"),
            "{debug}"
        );
    }

    #[test]
    fn only_certificate_or_only_key_is_an_error() {
        let f = Fake::new(API_V1);
        f.output(r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientCertificateData":"c"}}"#);
        assert!(
            f.err()
                .contains("status.clientCertificateData without status.clientKeyData")
        );
        f.output(r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientKeyData":"k-SECRET"}}"#);
        let e = f.err();
        assert!(
            e.contains("status.clientKeyData without status.clientCertificateData"),
            "{e}"
        );
        assert!(!e.contains("SECRET"));
    }

    #[test]
    fn api_version_mismatch() {
        let f = Fake::new(API_V1);
        f.output(r#"{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"t"}}"#);
        let e = f.err();
        let cmd = f.exec.command.as_deref().unwrap();
        assert_eq!(
            e,
            format!(
                "{PLACE}.exec: the plugin is configured to use API version client.authentication.k8s.io/v1, \
                 \"{cmd}\" returned version \"client.authentication.k8s.io/v1beta1\""
            )
        );
    }

    #[test]
    fn configuration_is_validated() {
        let base = Exec {
            command: Some("aws".into()),
            api_version: Some(API_V1.into()),
            interactive_mode: Some("Never".into()),
            ..Exec::default()
        };
        assert!(validate(&base, PLACE).is_ok());
        let v1beta1 = Exec {
            api_version: Some(API_V1BETA1.into()),
            interactive_mode: None,
            ..base.clone()
        };
        assert!(validate(&v1beta1, PLACE).is_ok());
        let cases = [
            (
                Exec {
                    api_version: Some(API_V1ALPHA1.into()),
                    ..base.clone()
                },
                "/k/config: users[\"u\"].exec.apiVersion: client.authentication.k8s.io/v1alpha1 is no \
                 longer supported (removed in Kubernetes 1.24); use client.authentication.k8s.io/v1 or \
                 client.authentication.k8s.io/v1beta1",
            ),
            (
                Exec {
                    api_version: Some("example.com/v2".into()),
                    ..base.clone()
                },
                "/k/config: users[\"u\"].exec.apiVersion: \"example.com/v2\" is not supported; use \
                 client.authentication.k8s.io/v1 or client.authentication.k8s.io/v1beta1",
            ),
            (
                Exec {
                    interactive_mode: None,
                    ..base.clone()
                },
                "/k/config: users[\"u\"].exec.interactiveMode: missing; client.authentication.k8s.io/v1 \
                 requires it: use Never, IfAvailable or Always",
            ),
            (
                Exec {
                    interactive_mode: Some("Sometimes".into()),
                    ..base.clone()
                },
                "/k/config: users[\"u\"].exec.interactiveMode: \"Sometimes\" is not valid; use Never, \
                 IfAvailable or Always",
            ),
            (
                Exec {
                    command: None,
                    ..base.clone()
                },
                "/k/config: users[\"u\"].exec.command: missing; an exec plugin needs the command to run",
            ),
            (
                Exec {
                    api_version: None,
                    ..base.clone()
                },
                "/k/config: users[\"u\"].exec.apiVersion: missing; use client.authentication.k8s.io/v1 \
                 (or client.authentication.k8s.io/v1beta1, if the plugin needs it)",
            ),
            (
                Exec {
                    env: Some(vec![ExecEnv {
                        name: String::new(),
                        value: Secret::new("x"),
                    }]),
                    ..base.clone()
                },
                "/k/config: users[\"u\"].exec.env[0].name: missing",
            ),
        ];
        for (exec, want) in cases {
            assert_eq!(validate(&exec, PLACE).unwrap_err().to_string(), want);
            // credential() validates before running anything.
            let plugin = Plugin {
                exec: &exec,
                place: PLACE.into(),
                cluster: None,
                timeout: DEFAULT_TIMEOUT,
            };
            assert_eq!(
                credential(&plugin, &Cache::disabled(), false)
                    .unwrap_err()
                    .to_string(),
                want
            );
        }
    }

    #[test]
    fn missing_binary_shows_the_install_hint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope");
        let exec = Exec {
            command: Some(path.to_string_lossy().into_owned()),
            api_version: Some(API_V1.into()),
            interactive_mode: Some("Never".into()),
            install_hint: Some("Install it:\n  brew install\tnope\n".into()),
            ..Exec::default()
        };
        let plugin = Plugin {
            exec: &exec,
            place: PLACE.into(),
            cluster: None,
            timeout: DEFAULT_TIMEOUT,
        };
        let e = credential(&plugin, &Cache::disabled(), false)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            format!(
                "{PLACE}.exec.command: cannot run \"{}\": no such file; Install it: brew install nope",
                path.display()
            )
        );

        let bare = Exec {
            command: Some("kcurl-test-no-such-plugin".into()),
            install_hint: None,
            ..exec.clone()
        };
        let plugin = Plugin {
            exec: &bare,
            place: PLACE.into(),
            cluster: None,
            timeout: DEFAULT_TIMEOUT,
        };
        let e = credential(&plugin, &Cache::disabled(), false)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            format!(
                "{PLACE}.exec.command: cannot run \"kcurl-test-no-such-plugin\": not found on PATH"
            )
        );
    }

    #[test]
    fn not_executable() {
        let f = Fake::new(API_V1);
        chmod(Path::new(f.exec.command.as_deref().unwrap()), 0o644);
        let e = f.err();
        // root may execute nothing without an x bit either, so this holds for everyone.
        assert!(e.ends_with("permission denied (is it executable?)"), "{e}");
    }

    #[test]
    fn non_zero_exit() {
        let f = Fake::with_script(
            API_V1,
            "echo 'fake plugin: no credentials (expected by a test)' >&2; exit 3",
        );
        let cmd = f.exec.command.clone().unwrap();
        assert_eq!(
            f.err(),
            format!("{PLACE}.exec: \"{cmd}\" failed with exit code 3 (see its message above)")
        );
        let f = Fake::with_script(API_V1, "kill -9 $$");
        assert!(
            f.err()
                .ends_with("was killed by signal 9 (see its message above)")
        );
    }

    #[test]
    fn garbage_output_is_not_echoed() {
        let f = Fake::new(API_V1);
        let cmd = f.exec.command.clone().unwrap();
        let prefix =
            format!("{PLACE}.exec: the output of \"{cmd}\" is not a valid ExecCredential: ");
        let cases = [
            (
                "token-SECRET-123 is not json",
                "not JSON (error at line 1 column 2)",
            ),
            (
                "{\"token\":\"SECRET\"",
                "not JSON (error at line 1 column 17)",
            ),
            ("", "it is empty"),
            ("\"SECRET\"", "not a JSON object"),
            (
                "{\"kind\":\"ExecCredential\",\"status\":{\"token\":\"SECRET\"}}",
                "apiVersion is missing",
            ),
            (
                "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"Secret\",\"status\":{\"token\":\"SECRET\"}}",
                "kind is \"Secret\", expected ExecCredential",
            ),
            (
                "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\"}",
                "it has no status",
            ),
            (
                "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":\"SECRET\"}",
                "status is not an object",
            ),
            (
                "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":[\"SECRET\"]}}",
                "status.token is not a string",
            ),
            (
                "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"SECRET\",\"expirationTimestamp\":\"tomorrow SECRET\"}}",
                "status.expirationTimestamp is not an RFC 3339 time",
            ),
        ];
        for (out, want) in cases {
            f.output(out);
            let e = f.err();
            assert_eq!(e, format!("{prefix}{want}"), "{out}");
            assert!(!e.contains("SECRET"), "{e}");
        }
    }

    #[test]
    fn neither_token_nor_certificate() {
        let f = Fake::new(API_V1);
        let cmd = f.exec.command.clone().unwrap();
        for status in ["{}", "{\"token\":\"\",\"expirationTimestamp\":null}"] {
            f.output(&format!(
                "{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{status}}}"
            ));
            assert_eq!(
                f.err(),
                format!(
                    "{PLACE}.exec: \"{cmd}\" returned neither a token nor a client certificate and key \
                     (status.token, or status.clientCertificateData and status.clientKeyData)"
                )
            );
        }
    }

    #[test]
    fn environment_and_exec_info_reach_the_plugin() {
        let mut f = Fake::with_script(
            API_V1,
            "printf '%s' \"$KUBERNETES_EXEC_INFO\" > \"$D/info\"\n\
             printf '%s|%s|%s' \"$FOO\" \"$EMPTY\" \"$HOME\" > \"$D/env\"\n\
             printf '%s ' \"$@\" > \"$D/args\"\n\
             if read -r line; then echo got-stdin > \"$D/stdin\"; else echo eof > \"$D/stdin\"; fi\n\
             cat \"$D/out.json\"",
        );
        f.exec.args = Some(vec!["eks".into(), "get token".into()]);
        f.exec.env = Some(vec![
            ExecEnv {
                name: "FOO".into(),
                value: Secret::new("bar baz"),
            },
            ExecEnv {
                name: "EMPTY".into(),
                value: Secret::new(""),
            },
        ]);
        f.exec.provide_cluster_info = Some(true);
        f.token_output("t", None);
        let cluster = ClusterInfo {
            server: "https://1.2.3.4:6443".into(),
            tls_server_name: Some("api.internal".into()),
            insecure_skip_tls_verify: false,
            certificate_authority_data: Some(b"-----BEGIN CERTIFICATE-----\nCA\n".to_vec()),
            proxy_url: Some("socks5://proxy:1080".into()),
            disable_compression: true,
            config: Some(serde_json::json!({"region": "eu-west-1", "n": [1, 2]})),
        };
        let plugin = Plugin {
            exec: &f.exec,
            place: PLACE.into(),
            timeout: DEFAULT_TIMEOUT,
            cluster: Some(cluster.clone()),
        };
        credential(&plugin, &Cache::disabled(), false).unwrap();
        let info: Value =
            serde_json::from_str(&fs::read_to_string(f.path("info")).unwrap()).unwrap();
        assert_eq!(
            info,
            serde_json::json!({
                "kind": "ExecCredential",
                "apiVersion": "client.authentication.k8s.io/v1",
                "spec": {
                    "interactive": false,
                    "cluster": {
                        "server": "https://1.2.3.4:6443",
                        "tls-server-name": "api.internal",
                        "certificate-authority-data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkNBCg==",
                        "proxy-url": "socks5://proxy:1080",
                        "disable-compression": true,
                        "config": {"region": "eu-west-1", "n": [1, 2]},
                    }
                }
            })
        );
        let home = std::env::var("HOME").unwrap_or_default();
        assert_eq!(
            fs::read_to_string(f.path("env")).unwrap(),
            format!("bar baz||{home}")
        );
        assert_eq!(
            fs::read_to_string(f.path("args")).unwrap(),
            "eks get token "
        );
        assert_eq!(fs::read_to_string(f.path("stdin")).unwrap(), "eof\n");

        // Without provideClusterInfo there is no spec.cluster; a minimal cluster has only server
        // and `config: null`, as client-go encodes it.
        f.exec.provide_cluster_info = None;
        let plugin = Plugin {
            exec: &f.exec,
            place: PLACE.into(),
            timeout: DEFAULT_TIMEOUT,
            cluster: Some(cluster),
        };
        credential(&plugin, &Cache::disabled(), false).unwrap();
        assert_eq!(
            fs::read_to_string(f.path("info")).unwrap(),
            r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}"#
        );
        f.exec.provide_cluster_info = Some(true);
        let plugin = Plugin {
            exec: &f.exec,
            place: PLACE.into(),
            timeout: DEFAULT_TIMEOUT,
            cluster: Some(ClusterInfo {
                server: "https://k".into(),
                insecure_skip_tls_verify: true,
                ..ClusterInfo::default()
            }),
        };
        credential(&plugin, &Cache::disabled(), false).unwrap();
        assert_eq!(
            fs::read_to_string(f.path("info")).unwrap(),
            r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"cluster":{"server":"https://k","insecure-skip-tls-verify":true,"config":null},"interactive":false}}"#
        );
    }

    #[test]
    fn interactive_modes() {
        let mut f = Fake::with_script(
            API_V1,
            "printf '%s' \"$KUBERNETES_EXEC_INFO\" > \"$D/info\"; cat \"$D/out.json\"",
        );
        f.token_output("t", None);
        let interactive = |f: &Fake, tty: bool| -> Result<bool> {
            credential(&f.plugin(), &Cache::disabled(), tty)?;
            let info: Value =
                serde_json::from_str(&fs::read_to_string(f.path("info")).unwrap()).unwrap();
            Ok(info["spec"]["interactive"] == Value::Bool(true))
        };
        // With tty=true the plugin inherits the test's stdin; it does not read it.
        assert!(!interactive(&f, true).unwrap());
        f.exec.interactive_mode = Some("IfAvailable".into());
        assert!(!interactive(&f, false).unwrap());
        assert!(interactive(&f, true).unwrap());
        f.exec.interactive_mode = Some("Always".into());
        assert!(interactive(&f, true).unwrap());
        let calls = f.calls();
        assert_eq!(
            interactive(&f, false).unwrap_err().to_string(),
            format!(
                "{PLACE}.exec: interactiveMode is Always but stdin is not a terminal; \
                 run kcurl from a terminal so the plugin can prompt"
            )
        );
        assert_eq!(f.calls(), calls, "the plugin must not run");
        // A cached credential needs no terminal.
        let cache = f.cache();
        f.token_output("t", in_an_hour());
        credential(&f.plugin(), &cache, true).unwrap();
        assert!(credential(&f.plugin(), &cache, false).unwrap().from_cache);
        assert_eq!(f.calls(), calls + 1);
    }

    #[test]
    fn cache_hit_runs_the_plugin_once() {
        let f = Fake::new(API_V1);
        let cache = f.cache();
        f.token_output("tok-cached", in_an_hour());
        let first = f.run(&cache).unwrap();
        assert!(!first.from_cache);
        let second = f.run(&cache).unwrap();
        assert!(second.from_cache);
        assert_eq!(token(&second), "tok-cached");
        assert_eq!(f.calls(), 1);
        // Whole seconds are stored, rounded down.
        let e1 = first.expires.unwrap().duration_since(UNIX_EPOCH).unwrap();
        let e2 = second.expires.unwrap().duration_since(UNIX_EPOCH).unwrap();
        assert_eq!(e1.as_secs(), e2.as_secs());

        // Folder 0700, file 0600, and the file holds the format and the expiry.
        assert_eq!(mode(&f.path("cache").join("exec")), 0o700);
        assert_eq!(mode(&f.path("cache")), 0o700);
        let file = f.cache_file();
        assert_eq!(mode(&file), 0o600);
        let stored: Value = serde_json::from_slice(&fs::read(&file).unwrap()).unwrap();
        assert_eq!(stored["format"], 1);
        assert_eq!(
            stored["expirationTimestamp"].as_str(),
            format_rfc3339(first.expires.unwrap()).as_deref()
        );
        assert_eq!(stored["token"], "tok-cached");
    }

    #[test]
    fn cache_key_covers_the_configuration() {
        let mut f = Fake::new(API_V1);
        let cache = f.cache();
        f.token_output("t", in_an_hour());
        f.run(&cache).unwrap();
        f.exec.args = Some(vec!["--profile".into(), "other".into()]);
        f.run(&cache).unwrap();
        f.exec.env = Some(vec![ExecEnv {
            name: "AWS_PROFILE".into(),
            value: Secret::new("x"),
        }]);
        f.run(&cache).unwrap();
        f.exec.env = Some(vec![ExecEnv {
            name: "AWS_PROFILE".into(),
            value: Secret::new("y"),
        }]);
        f.run(&cache).unwrap();
        f.exec.interactive_mode = Some("IfAvailable".into());
        f.run(&cache).unwrap();
        assert_eq!(f.calls(), 5);
        // Cluster info counts only with provideClusterInfo.
        let mut plugin = f.plugin();
        plugin.cluster = Some(ClusterInfo {
            server: "https://a".into(),
            ..ClusterInfo::default()
        });
        credential(&plugin, &cache, false).unwrap();
        assert_eq!(f.calls(), 5);
        f.exec.provide_cluster_info = Some(true);
        let mut plugin = f.plugin();
        plugin.cluster = Some(ClusterInfo {
            server: "https://a".into(),
            ..ClusterInfo::default()
        });
        credential(&plugin, &cache, false).unwrap();
        plugin.cluster = Some(ClusterInfo {
            server: "https://b".into(),
            ..ClusterInfo::default()
        });
        credential(&plugin, &cache, false).unwrap();
        credential(&plugin, &cache, false).unwrap();
        assert_eq!(f.calls(), 7);
    }

    #[test]
    fn no_caching_without_expiry() {
        let f = Fake::new(API_V1);
        let cache = f.cache();
        f.token_output("t", None);
        f.run(&cache).unwrap();
        f.run(&cache).unwrap();
        assert_eq!(f.calls(), 2);
        assert!(!f.path("cache").exists());
    }

    #[test]
    fn expired_and_near_expiry_entries_rerun_the_plugin() {
        let f = Fake::new(API_V1);
        let cache = f.cache();
        // A credential that expires within the margin is used but not cached.
        f.token_output("t", Some(SystemTime::now() + Duration::from_secs(30)));
        f.run(&cache).unwrap();
        f.run(&cache).unwrap();
        assert_eq!(f.calls(), 2);
        f.token_output("t", Some(SystemTime::now() - Duration::from_secs(30)));
        f.run(&cache).unwrap();
        assert_eq!(f.calls(), 3);

        // A cached entry that has come near its expiry is not used, and is replaced.
        f.token_output("fresh", in_an_hour());
        f.run(&cache).unwrap();
        assert_eq!(f.calls(), 4);
        let file = f.cache_file();
        for left in [Duration::from_secs(59), Duration::ZERO] {
            let near = format_rfc3339(SystemTime::now() + left).unwrap();
            fs::write(
                &file,
                format!(r#"{{"format":1,"expirationTimestamp":"{near}","token":"old"}}"#),
            )
            .unwrap();
            let c = f.run(&cache).unwrap();
            assert_eq!(token(&c), "fresh");
            assert!(!c.from_cache);
        }
        assert_eq!(f.calls(), 6);
        assert!(f.run(&cache).unwrap().from_cache);
        assert_eq!(f.calls(), 6);
    }

    #[test]
    fn invalidate_forces_a_rerun() {
        let f = Fake::new(API_V1);
        let cache = f.cache();
        f.token_output("t", in_an_hour());
        f.run(&cache).unwrap();
        f.run(&cache).unwrap();
        assert_eq!(f.calls(), 1);
        invalidate(&f.plugin(), &cache);
        assert!(!f.run(&cache).unwrap().from_cache);
        assert_eq!(f.calls(), 2);
        assert!(f.run(&cache).unwrap().from_cache);
        // Invalidating an absent entry, or with the cache disabled, is harmless.
        invalidate(&f.plugin(), &Cache::disabled());
        invalidate(&f.plugin(), &cache);
        invalidate(&f.plugin(), &cache);
    }

    #[test]
    fn bad_cache_files_are_misses_and_get_rewritten() {
        let f = Fake::new(API_V1);
        let cache = f.cache();
        f.token_output("t", in_an_hour());
        f.run(&cache).unwrap();
        let file = f.cache_file();
        let good = fs::read(&file).unwrap();
        let mut calls = 1;
        let damages: Vec<Box<dyn Fn()>> = vec![
            // Corrupt.
            Box::new(|| fs::write(&file, "{not json at all").unwrap()),
            // Truncated.
            Box::new(|| fs::write(&file, &good[..good.len() / 2]).unwrap()),
            // Empty.
            Box::new(|| fs::write(&file, "").unwrap()),
            // Another format version.
            Box::new(|| {
                let text = String::from_utf8(good.clone()).unwrap();
                fs::write(&file, text.replace("\"format\":1", "\"format\":99")).unwrap()
            }),
            // Readable by others.
            Box::new(|| chmod(&file, 0o644)),
            // Not a regular file: a symlink to a good private file.
            Box::new(|| {
                let elsewhere = f.path("elsewhere.json");
                fs::write(&elsewhere, &good).unwrap();
                chmod(&elsewhere, 0o600);
                fs::remove_file(&file).unwrap();
                std::os::unix::fs::symlink(&elsewhere, &file).unwrap();
            }),
        ];
        for damage in damages {
            damage();
            let c = f.run(&cache).unwrap();
            calls += 1;
            assert!(!c.from_cache);
            assert_eq!(f.calls(), calls);
            // Rewritten: valid, private, and a hit again.
            assert_eq!(f.cache_file(), file);
            assert!(fs::symlink_metadata(&file).unwrap().file_type().is_file());
            assert_eq!(mode(&file), 0o600);
            serde_json::from_slice::<Value>(&fs::read(&file).unwrap()).unwrap();
            assert!(f.run(&cache).unwrap().from_cache);
            assert_eq!(f.calls(), calls);
        }
    }

    #[test]
    fn a_file_of_another_user_is_a_miss() {
        if rustix::process::geteuid().as_raw() != 0 {
            return; // Only root can give a file away.
        }
        let f = Fake::new(API_V1);
        let cache = f.cache();
        f.token_output("t", in_an_hour());
        f.run(&cache).unwrap();
        let file = f.cache_file();
        std::os::unix::fs::chown(&file, Some(4242), Some(4242)).unwrap();
        assert!(!f.run(&cache).unwrap().from_cache);
        assert_eq!(f.calls(), 2);
        assert!(f.run(&cache).unwrap().from_cache);
    }

    #[test]
    fn unusable_cache_folder_does_not_fail_the_request() {
        let f = Fake::new(API_V1);
        fs::write(f.path("a-file"), "").unwrap();
        let cache = Cache::at(f.path("a-file").join("exec"));
        f.token_output("t", in_an_hour());
        assert_eq!(token(&f.run(&cache).unwrap()), "t");
        assert_eq!(token(&f.run(&cache).unwrap()), "t");
        assert_eq!(f.calls(), 2);
    }

    #[test]
    fn concurrent_writers() {
        let f = Fake::new(API_V1);
        let cache = f.cache();
        f.token_output("tok-race", in_an_hour());
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..8).map(|_| s.spawn(|| f.run(&cache))).collect();
            for h in handles {
                assert_eq!(token(&h.join().unwrap().unwrap()), "tok-race");
            }
        });
        let file = f.cache_file(); // exactly one file: no temp file left behind
        let stored: Value = serde_json::from_slice(&fs::read(&file).unwrap()).unwrap();
        assert_eq!(stored["token"], "tok-race");
        let calls = f.calls();
        assert!((1..=8).contains(&calls), "{calls}");
        assert!(f.run(&cache).unwrap().from_cache);
        assert_eq!(f.calls(), calls);
    }

    #[test]
    fn disabled_cache_never_writes() {
        let f = Fake::new(API_V1);
        f.token_output("t", in_an_hour());
        let before: Vec<_> = fs::read_dir(f.dir.path()).unwrap().collect();
        assert!(!f.run(&Cache::disabled()).unwrap().from_cache);
        assert!(!f.run(&Cache::disabled()).unwrap().from_cache);
        assert_eq!(f.calls(), 2);
        let after: Vec<_> = fs::read_dir(f.dir.path()).unwrap().collect();
        assert_eq!(before.len() + 1, after.len(), "only calls.log is new");
    }

    #[test]
    fn default_location_is_under_the_user_cache_dir() {
        if let Some(dir) = Cache::default_location() {
            assert!(dir.ends_with("kcurl/exec"), "{}", dir.display());
        }
    }

    #[test]
    fn debug_never_shows_secrets() {
        let mut f = Fake::new(API_V1);
        f.exec.args = Some(vec!["--token=arg-SECRET".into()]);
        f.exec.env = Some(vec![ExecEnv {
            name: "X".into(),
            value: Secret::new("env-SECRET"),
        }]);
        let plugin = f.plugin();
        let debug = format!("{plugin:?}");
        assert!(
            !debug.contains("SECRET") && debug.contains("place"),
            "{debug}"
        );
        let c = Credential {
            token: Some(Secret::new("tok-SECRET")),
            client_cert_pem: Some(b"cert".to_vec()),
            client_key_pem: Some(Secret::new("key-SECRET")),
            expires: None,
            from_cache: false,
        };
        assert!(!format!("{c:?}").contains("SECRET"));
    }
}
