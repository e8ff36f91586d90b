//! Kubeconfig files: locate, parse, resolve relative paths, merge, select a context.
//!
//! The serde types are read-only and named exactly as client-go names the fields
//! (`k8s.io/client-go/tools/clientcmd/api/v1/types.go`). Loading follows client-go's
//! `ClientConfigLoadingRules.Load`: `--kubeconfig` (must exist) > the `KUBECONFIG` list (missing
//! files skipped) > `~/.kube/config`; relative paths are resolved against the directory of the
//! file that defined them *before* merging (`ResolveLocalPaths`); for every named cluster, user
//! and context the first file that defines the name wins, as a whole entry; the first file that
//! sets `current-context` wins.
//!
//! This module does not read certificates, tokens or keys, and knows nothing of command-line
//! overrides: `config` combines its output with the flags.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::diag::{display_path, home_dir, io_reason};
use crate::error::{Error, Result};
use crate::secret::Secret;

/// One kubeconfig file as written on disk (`clientcmd/api/v1.Config`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct File {
    #[serde(default)]
    clusters: Option<Vec<Named<Cluster>>>,
    #[serde(default)]
    users: Option<Vec<NamedUser>>,
    #[serde(default)]
    contexts: Option<Vec<Named<Context>>>,
    #[serde(default)]
    current_context: Option<String>,
}

/// A `{name, cluster|context: …}` list item.
#[derive(Debug, Deserialize)]
struct Named<T> {
    name: String,
    #[serde(alias = "cluster", alias = "context")]
    #[serde(default = "Option::default")]
    value: Option<T>,
}

/// A `{name, user: …}` list item (separate type: `user` is also a field name inside contexts).
#[derive(Debug, Deserialize)]
struct NamedUser {
    name: String,
    #[serde(default)]
    user: Option<User>,
}

/// A cluster entry (`clientcmd/api/v1.Cluster`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Cluster {
    pub server: Option<String>,
    pub tls_server_name: Option<String>,
    pub insecure_skip_tls_verify: Option<bool>,
    pub certificate_authority: Option<PathBuf>,
    pub certificate_authority_data: Option<String>,
    pub proxy_url: Option<String>,
    pub disable_compression: Option<bool>,
    pub extensions: Option<Vec<NamedExtension>>,
}

/// A user entry (`clientcmd/api/v1.AuthInfo`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct User {
    pub client_certificate: Option<PathBuf>,
    pub client_certificate_data: Option<String>,
    pub client_key: Option<PathBuf>,
    pub client_key_data: Option<Secret>,
    pub token: Option<Secret>,
    #[serde(rename = "tokenFile")]
    pub token_file: Option<PathBuf>,
    #[serde(rename = "as")]
    pub impersonate: Option<String>,
    #[serde(rename = "as-uid")]
    pub impersonate_uid: Option<String>,
    #[serde(rename = "as-groups")]
    pub impersonate_groups: Option<Vec<String>>,
    #[serde(rename = "as-user-extra")]
    pub impersonate_user_extra: Option<BTreeMap<String, Vec<String>>>,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub auth_provider: Option<AuthProvider>,
    pub exec: Option<Exec>,
}

/// `auth-provider` (legacy: gcp, azure, oidc).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AuthProvider {
    pub name: String,
    #[serde(default)]
    pub config: Option<BTreeMap<String, Secret>>,
}

/// `exec` credential plugin configuration (`clientcmd/api/v1.ExecConfig`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Exec {
    pub command: Option<String>,
    pub args: Option<Vec<String>>,
    pub env: Option<Vec<ExecEnv>>,
    pub api_version: Option<String>,
    pub install_hint: Option<String>,
    pub provide_cluster_info: Option<bool>,
    pub interactive_mode: Option<String>,
}

/// One `env` entry of an exec plugin.
#[derive(Clone, Deserialize)]
pub struct ExecEnv {
    pub name: String,
    pub value: Secret,
}

impl fmt::Debug for ExecEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ExecEnv {{ name: {:?}, value: <redacted> }}", self.name)
    }
}

/// A named extension on a cluster (used by exec plugins' `provideClusterInfo`).
#[derive(Clone, Debug, Deserialize)]
pub struct NamedExtension {
    pub name: String,
    #[serde(default)]
    pub extension: Option<serde_json::Value>,
}

/// A context entry (`clientcmd/api/v1.Context`).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Context {
    pub cluster: Option<String>,
    pub user: Option<String>,
    pub namespace: Option<String>,
}

/// A merged entry and the file that defined it.
#[derive(Clone, Debug)]
pub struct Entry<T> {
    pub name: String,
    pub source: PathBuf,
    pub value: T,
}

impl<T> Entry<T> {
    /// `<file>: <kind>["<name>"]` — the `<where>` of an error about this entry.
    pub fn place(&self, kind: &str) -> String {
        format!("{}: {kind}[\"{}\"]", display_path(&self.source), self.name)
    }
}

/// The merged view of every kubeconfig file that was read.
#[derive(Debug, Default)]
pub struct Kubeconfig {
    /// The files that were read, in precedence order.
    pub files: Vec<PathBuf>,
    /// Files named by `KUBECONFIG` that do not exist (skipped, as client-go does).
    pub missing: Vec<PathBuf>,
    pub clusters: Vec<Entry<Cluster>>,
    pub users: Vec<Entry<User>>,
    pub contexts: Vec<Entry<Context>>,
    /// `current-context` and the file that set it.
    pub current_context: Option<(String, PathBuf)>,
    /// `KUBECONFIG` is set but names no file (`KUBECONFIG=::`).
    pub env_names_no_file: bool,
}

/// Where kubeconfig files come from: the inputs of [`locate`].
#[derive(Debug, Default)]
pub struct Sources {
    /// `--kubeconfig`.
    pub explicit: Option<PathBuf>,
    /// `$KUBECONFIG`, raw.
    pub env: Option<OsString>,
    /// The home directory (for `~/.kube/config`).
    pub home: Option<PathBuf>,
}

impl Sources {
    /// Read the sources from the process environment.
    pub fn from_env(explicit: Option<PathBuf>) -> Sources {
        Sources {
            explicit,
            env: std::env::var_os("KUBECONFIG"),
            home: home_dir(),
        }
    }
}

/// The candidate files in precedence order and whether each must exist.
///
/// client-go `ClientConfigLoadingRules`: an explicit path must exist; `KUBECONFIG` entries are
/// de-duplicated and missing ones skipped; the default `~/.kube/config` may be missing.
pub fn locate(sources: &Sources) -> Vec<(PathBuf, bool)> {
    if let Some(p) = &sources.explicit {
        return vec![(p.clone(), true)];
    }
    if let Some(list) = sources.env.as_ref().filter(|v| !v.is_empty()) {
        let mut out: Vec<(PathBuf, bool)> = Vec::new();
        for p in std::env::split_paths(list) {
            if p.as_os_str().is_empty() || out.iter().any(|(q, _)| *q == p) {
                continue;
            }
            out.push((p, false));
        }
        return out;
    }
    match &sources.home {
        Some(home) => vec![(home.join(".kube").join("config"), false)],
        None => Vec::new(),
    }
}

/// Locate, read, resolve and merge all kubeconfig files.
pub fn load(sources: &Sources) -> Result<Kubeconfig> {
    let mut merged = Kubeconfig::default();
    let located = locate(sources);
    merged.env_names_no_file = located.is_empty()
        && sources.explicit.is_none()
        && sources.env.as_ref().is_some_and(|v| !v.is_empty());
    for (path, required) in located {
        let text = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                merged.missing.push(path);
                continue;
            }
            Err(e) => {
                return Err(Error::Config(format!(
                    "{}: cannot read kubeconfig: {}",
                    display_path(&path),
                    io_reason(&e)
                )));
            }
        };
        let file = parse(&path, &text)?;
        merge_file(&mut merged, &path, file);
        merged.files.push(path);
    }
    Ok(merged)
}

/// Parse and merge kubeconfig texts already in memory, in precedence order, as [`load`] does
/// with the files it reads (for fuzzing and tests: no file is read).
pub fn from_texts(files: &[(&Path, &[u8])]) -> Result<Kubeconfig> {
    let mut merged = Kubeconfig::default();
    for (path, bytes) in files {
        let file = parse(path, bytes)?;
        merge_file(&mut merged, path, file);
        merged.files.push(path.to_path_buf());
    }
    Ok(merged)
}

/// Parse one kubeconfig file (YAML or JSON). An empty file is an empty config, as in client-go.
fn parse(path: &Path, bytes: &[u8]) -> Result<File> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Error::Config(format!(
            "{}: kubeconfig is not UTF-8 text (invalid byte at offset {})",
            display_path(path),
            e.valid_up_to()
        ))
    })?;
    if text.trim().is_empty() {
        return Ok(File::default());
    }
    // As client-go's YAML decoder: a key written twice keeps the last value. The parser's
    // node and event budgets grow with the file (30,000 contexts is a 10 MB file); its
    // alias, anchor and depth limits (billion laughs) stay as they are.
    let budget = serde_saphyr::budget! {
        max_nodes: text.len().max(250_000),
        max_events: text.len().saturating_mul(2).max(1_000_000),
    };
    let options = serde_saphyr::options! {
        with_snippet: false,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::LastWins,
        budget: budget,
    };
    let file: Option<File> = serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let msg = e.to_string();
        let msg = msg.lines().next().unwrap_or("").trim().to_string();
        // The parser's own advice names its API ("set DuplicateKeyPolicy in Options"): cut it.
        let msg = match msg.split_once(", set ") {
            Some((head, tail)) => match tail.rfind(" at line ") {
                Some(i) => format!("{head}{}", &tail[i..]),
                None => head.to_string(),
            },
            None => msg,
        };
        Error::Config(format!("{}: invalid kubeconfig: {msg}", display_path(path)))
    })?;
    let file = file.unwrap_or_default();
    // client-go's conversion refuses a name listed twice in one file ("duplicate name").
    fn twice<'a>(
        path: &Path,
        kind: &str,
        mut names: impl Iterator<Item = &'a String>,
    ) -> Result<()> {
        let mut seen = std::collections::HashSet::new();
        match names.find(|n| !seen.insert(*n)) {
            Some(n) => Err(Error::Config(format!(
                "{}: {kind}: \"{n}\" is listed twice; kubectl refuses such a file too: remove \
                 or rename one",
                display_path(path)
            ))),
            None => Ok(()),
        }
    }
    twice(
        path,
        "clusters",
        file.clusters.iter().flatten().map(|c| &c.name),
    )?;
    twice(path, "users", file.users.iter().flatten().map(|u| &u.name))?;
    twice(
        path,
        "contexts",
        file.contexts.iter().flatten().map(|c| &c.name),
    )?;
    Ok(file)
}

/// Merge one file into the accumulated config: first definition of a name wins, as a whole.
fn merge_file(merged: &mut Kubeconfig, path: &Path, file: File) {
    let dir = path.parent().unwrap_or(Path::new("."));
    let known = |names: &mut dyn Iterator<Item = &String>| -> std::collections::HashSet<String> {
        names.cloned().collect()
    };
    let clusters = known(&mut merged.clusters.iter().map(|e| &e.name));
    for c in file.clusters.unwrap_or_default() {
        if clusters.contains(&c.name) {
            continue;
        }
        let mut value = c.value.unwrap_or_default();
        resolve(dir, &mut value.certificate_authority);
        merged.clusters.push(Entry {
            name: c.name,
            source: path.to_path_buf(),
            value,
        });
    }
    let users = known(&mut merged.users.iter().map(|e| &e.name));
    for u in file.users.unwrap_or_default() {
        if users.contains(&u.name) {
            continue;
        }
        let mut value = u.user.unwrap_or_default();
        resolve(dir, &mut value.client_certificate);
        resolve(dir, &mut value.client_key);
        resolve(dir, &mut value.token_file);
        if let Some(exec) = &mut value.exec {
            // client-go resolves the exec command only when it names a path, not a PATH lookup.
            if let Some(cmd) = &mut exec.command {
                if cmd.contains(std::path::MAIN_SEPARATOR) && !Path::new(cmd.as_str()).is_absolute()
                {
                    *cmd = dir.join(cmd.as_str()).to_string_lossy().into_owned();
                }
            }
        }
        merged.users.push(Entry {
            name: u.name,
            source: path.to_path_buf(),
            value,
        });
    }
    let contexts = known(&mut merged.contexts.iter().map(|e| &e.name));
    for c in file.contexts.unwrap_or_default() {
        if contexts.contains(&c.name) {
            continue;
        }
        let value = c.value.unwrap_or_default();
        merged.contexts.push(Entry {
            name: c.name,
            source: path.to_path_buf(),
            value,
        });
    }
    if merged.current_context.is_none() {
        if let Some(cc) = file.current_context.filter(|c| !c.is_empty()) {
            merged.current_context = Some((cc, path.to_path_buf()));
        }
    }
}

/// client-go `ResolvePath`: a relative path is joined to the defining file's directory.
fn resolve(dir: &Path, field: &mut Option<PathBuf>) {
    if let Some(p) = field {
        if p.as_os_str().is_empty() {
            *field = None;
        } else if p.is_relative() {
            *p = dir.join(&*p);
        }
    }
}

/// What the user asked to select: `--context`, `--cluster`, `--user`.
#[derive(Debug, Default)]
pub struct Selection {
    pub context: Option<String>,
    pub cluster: Option<String>,
    pub user: Option<String>,
}

/// The selected context, cluster and user; each may be absent (e.g. `--server` with no config).
#[derive(Debug, Default)]
pub struct Selected<'a> {
    pub context: Option<&'a Entry<Context>>,
    pub cluster: Option<&'a Entry<Cluster>>,
    pub user: Option<&'a Entry<User>>,
}

impl Kubeconfig {
    /// True when the files define nothing at all (client-go: "the merged config is empty").
    pub fn is_empty(&self) -> bool {
        self.clusters.is_empty()
            && self.users.is_empty()
            && self.contexts.is_empty()
            && self.current_context.is_none()
    }

    fn context_names(&self) -> String {
        if self.contexts.is_empty() {
            return "none".to_string();
        }
        self.contexts
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Where the merged config came from, for messages: the files read, or what was tried.
    pub fn describe_files(&self) -> String {
        if self.files.is_empty() && self.missing.is_empty() {
            return "no kubeconfig".to_string();
        }
        let mut parts: Vec<String> = self.files.iter().map(|p| display_path(p)).collect();
        parts.extend(
            self.missing
                .iter()
                .map(|p| format!("{} (missing)", display_path(p))),
        );
        parts.join(", ")
    }

    /// Select the context, cluster and user. `server_given` is true when `--server` is set, in
    /// which case having no context at all is fine.
    ///
    /// A context, cluster or user that is named but does not exist is an error naming it
    /// (client-go silently falls back to no credentials for a missing user: kcurl refuses).
    pub fn select(&self, sel: &Selection, server_given: bool) -> Result<Selected<'_>> {
        let context_name = match &sel.context {
            Some(c) => Some(c.clone()),
            None => self.current_context.as_ref().map(|(c, _)| c.clone()),
        };
        let context = match &context_name {
            Some(name) => Some(self.contexts.iter().find(|c| &c.name == name).ok_or_else(
                || {
                    let from = match (&sel.context, &self.current_context) {
                        (Some(_), _) => "--context".to_string(),
                        (None, Some((_, file))) => {
                            format!("{}: current-context", display_path(file))
                        }
                        (None, None) => String::new(),
                    };
                    Error::Config(format!(
                        "{from}: context \"{name}\" not found in {}; available contexts: {}",
                        self.describe_files(),
                        self.context_names()
                    ))
                },
            )?),
            None => None,
        };
        if context.is_none() && !server_given && sel.cluster.is_none() {
            return Err(Error::Config(if self.files.is_empty() {
                format!(
                    "no kubeconfig found (tried {}); use --kubeconfig FILE, set KUBECONFIG, or give --server URL",
                    self.describe_tried()
                )
            } else {
                format!(
                    "{}: no current-context is set; use --context NAME (available contexts: {})",
                    self.describe_files(),
                    self.context_names()
                )
            }));
        }

        let cluster_name = sel.cluster.clone().or_else(|| {
            context
                .and_then(|c| c.value.cluster.clone())
                .filter(|s| !s.is_empty())
        });
        let cluster = match &cluster_name {
            Some(name) => Some(self.clusters.iter().find(|c| &c.name == name).ok_or_else(
                || {
                    let from = match (&sel.cluster, context) {
                        (Some(_), _) => "--cluster".to_string(),
                        (None, Some(ctx)) => format!("{}.cluster", ctx.place("contexts")),
                        (None, None) => String::new(),
                    };
                    Error::Config(format!(
                        "{from}: cluster \"{name}\" not found in {}; available clusters: {}",
                        self.describe_files(),
                        names(&self.clusters)
                    ))
                },
            )?),
            None => None,
        };

        let user_name = sel.user.clone().or_else(|| {
            context
                .and_then(|c| c.value.user.clone())
                .filter(|s| !s.is_empty())
        });
        let user = match &user_name {
            Some(name) => Some(self.users.iter().find(|u| &u.name == name).ok_or_else(|| {
                let from = match (&sel.user, context) {
                    (Some(_), _) => "--user".to_string(),
                    (None, Some(ctx)) => format!("{}.user", ctx.place("contexts")),
                    (None, None) => String::new(),
                };
                // curl's `--user name:password`: the value may be a password, never echo it.
                if sel.user.is_some() && name.contains(':') {
                    return Error::Usage(format!(
                        "--user names a kubeconfig user, as in kubectl, and no user has that name \
                         (not repeated here: curl's --user takes name:password); available users: \
                         {}; for basic auth put username and password in the kubeconfig user",
                        names(&self.users)
                    ));
                }
                Error::Config(format!(
                    "{from}: user \"{name}\" not found in {}; available users: {} (kcurl never falls back to sending no credentials)",
                    self.describe_files(),
                    names(&self.users)
                ))
            })?),
            None => None,
        };
        Ok(Selected {
            context,
            cluster,
            user,
        })
    }

    /// The files that were looked for, for the "nothing found" message.
    pub fn describe_tried(&self) -> String {
        if self.env_names_no_file {
            "KUBECONFIG is set but names no file".to_string()
        } else if self.missing.is_empty() {
            "no HOME to find ~/.kube/config in".to_string()
        } else {
            self.missing
                .iter()
                .map(|p| display_path(p))
                .collect::<Vec<_>>()
                .join(", ")
        }
    }
}

fn names<T>(entries: &[Entry<T>]) -> String {
    if entries.is_empty() {
        return "none".to_string();
    }
    entries
        .iter()
        .map(|e| e.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Check a namespace as kubectl does: a DNS-1123 label (apimachinery
/// `ValidateNamespaceName` → `IsDNS1123Label`). The error is the rule, for messages.
pub fn check_namespace(ns: &str) -> std::result::Result<(), &'static str> {
    const RULE: &str = "a namespace must be a lowercase RFC 1123 label: at most 63 characters, \
                        lower case letters, digits and '-', starting and ending with a letter or \
                        digit (e.g. 'my-name' or '123-abc')";
    let b = ns.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-';
    if ok { Ok(()) } else { Err(RULE) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_str(files: &[(&str, &str)]) -> (tempfile::TempDir, Result<Kubeconfig>) {
        let dir = tempfile::tempdir().unwrap();
        let mut paths = Vec::new();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, text).unwrap();
            paths.push(p);
        }
        let env = std::env::join_paths(&paths).unwrap();
        let sources = Sources {
            explicit: None,
            env: Some(env),
            home: None,
        };
        let r = load(&sources);
        (dir, r)
    }

    #[test]
    fn first_file_wins_per_entry_and_for_current_context() {
        let a = "
clusters:
- name: c
  cluster: {server: https://a, certificate-authority: ca.pem}
users:
- name: u
  user: {token: a-token}
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
";
        let b = "
clusters:
- name: c
  cluster: {server: https://b, tls-server-name: b}
- name: d
  cluster: {server: https://d}
users:
- name: u
  user: {username: b}
contexts:
- name: y
  context: {cluster: d}
current-context: y
";
        let (dir, k) = load_str(&[("a/config", a), ("b/config", b)]);
        let k = k.unwrap();
        assert_eq!(k.clusters.len(), 2);
        let c = &k.clusters[0];
        assert_eq!(c.value.server.as_deref(), Some("https://a"));
        assert_eq!(
            c.value.tls_server_name, None,
            "entries are never merged field by field"
        );
        assert_eq!(
            c.value.certificate_authority,
            Some(dir.path().join("a/ca.pem"))
        );
        assert_eq!(k.users[0].value.username, None);
        assert_eq!(k.current_context.as_ref().unwrap().0, "x");
        assert_eq!(k.clusters[1].source, dir.path().join("b/config"));
    }

    #[test]
    fn null_lists_and_empty_files_are_accepted() {
        let (_d, k) = load_str(&[
            (
                "a",
                "apiVersion: v1\nkind: Config\nclusters: null\nusers: null\ncontexts: null\n",
            ),
            ("b", ""),
            ("c", "{\"users\":[{\"name\":\"u\",\"user\":null}]}"),
        ]);
        let k = k.unwrap();
        assert_eq!(k.users.len(), 1);
        assert!(k.users[0].value.token.is_none());
    }

    #[test]
    fn yaml_11_booleans_are_read_as_kubectl_does() {
        let (_d, k) = load_str(&[(
            "a",
            "clusters:\n- name: c\n  cluster:\n    server: https://x\n    insecure-skip-tls-verify: yes\n",
        )]);
        assert_eq!(
            k.unwrap().clusters[0].value.insecure_skip_tls_verify,
            Some(true)
        );
    }

    #[test]
    fn missing_kubeconfig_list_entries_are_skipped_and_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::write(&real, "current-context: x\n").unwrap();
        let gone = dir.path().join("gone");
        let env = std::env::join_paths([&gone, &real, &real]).unwrap();
        let k = load(&Sources {
            explicit: None,
            env: Some(env),
            home: None,
        })
        .unwrap();
        assert_eq!(k.files, vec![real]);
        assert_eq!(k.missing, vec![gone]);
    }

    #[test]
    fn explicit_kubeconfig_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("gone");
        let err = load(&Sources {
            explicit: Some(gone.clone()),
            env: None,
            home: None,
        })
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            format!("{}: cannot read kubeconfig: no such file", gone.display())
        );
    }

    #[test]
    fn invalid_yaml_names_the_file_and_line() {
        let (dir, k) = load_str(&[("bad", "clusters:\n- name: c\n  cluster: [\n")]);
        let err = k.unwrap_err().to_string();
        let file = dir.path().join("bad").display().to_string();
        assert!(
            err.starts_with(&format!("{file}: invalid kubeconfig: ")),
            "{err}"
        );
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn exec_command_is_resolved_only_when_it_is_a_path() {
        let (dir, k) = load_str(&[(
            "d/config",
            "users:\n- name: a\n  user: {exec: {command: ./bin/plugin}}\n- name: b\n  user: {exec: {command: aws}}\n",
        )]);
        let k = k.unwrap();
        let a = k.users[0]
            .value
            .exec
            .as_ref()
            .unwrap()
            .command
            .clone()
            .unwrap();
        assert_eq!(PathBuf::from(a), dir.path().join("d/./bin/plugin"));
        assert_eq!(
            k.users[1].value.exec.as_ref().unwrap().command.as_deref(),
            Some("aws")
        );
    }

    #[test]
    fn selection_errors_name_what_is_missing() {
        let cfg = "
clusters: [{name: c, cluster: {server: https://x}}]
users: [{name: u, user: {token: t}}]
contexts:
- {name: ok, context: {cluster: c, user: u}}
- {name: nouser, context: {cluster: c, user: ghost}}
- {name: nocluster, context: {cluster: ghost, user: u}}
";
        let (_d, k) = load_str(&[("k", cfg)]);
        let k = k.unwrap();
        let sel = |c: &str| Selection {
            context: Some(c.to_string()),
            ..Default::default()
        };
        assert!(k.select(&sel("ok"), false).unwrap().user.is_some());
        let e = k.select(&sel("nouser"), false).unwrap_err().to_string();
        assert!(
            e.contains("contexts[\"nouser\"].user: user \"ghost\" not found"),
            "{e}"
        );
        let e = k.select(&sel("nocluster"), false).unwrap_err().to_string();
        assert!(e.contains("cluster \"ghost\" not found"), "{e}");
        let e = k.select(&sel("nope"), false).unwrap_err().to_string();
        assert!(
            e.starts_with("--context: context \"nope\" not found"),
            "{e}"
        );
        assert!(
            e.ends_with("available contexts: ok, nouser, nocluster"),
            "{e}"
        );
        let e = k
            .select(&Selection::default(), false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no current-context is set"), "{e}");
        assert!(
            k.select(&Selection::default(), true)
                .unwrap()
                .context
                .is_none()
        );
    }

    #[test]
    fn debug_of_a_user_redacts_every_secret() {
        let (_d, k) = load_str(&[(
            "k",
            "users:\n- name: u\n  user:\n    token: tok-SECRET\n    password: pw-SECRET\n    client-key-data: key-SECRET\n    exec: {command: x, env: [{name: A, value: env-SECRET}]}\n    auth-provider: {name: oidc, config: {id-token: oidc-SECRET}}\n",
        )]);
        let dbg = format!("{:?}", k.unwrap());
        assert!(!dbg.contains("SECRET"), "{dbg}");
    }
}
