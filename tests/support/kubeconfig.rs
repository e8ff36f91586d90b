//! [`KubeconfigBuilder`]: the kubeconfig files of the tests, written fluently instead of one
//! `format!` template per test file.
//!
//! ```ignore
//! KubeconfigBuilder::new()
//!     .cluster("test", &server.url())
//!     .ca(&pki.ca.cert)
//!     .token_user("dev", "t")
//!     .context("test", "test", "dev")
//!     .namespace("team-a")
//!     .current_context("test")
//!     .write(&env, ".kube/config");
//! ```
//!
//! The text is what the templates were: `apiVersion: v1` and `kind: Config`, then `clusters:`
//! in block style (`server:` first, then the other fields in call order, values written as
//! given), `users:` whose entries are YAML flow mappings (`user: {token: t}`), `contexts:` as
//! flow mappings (`context: {cluster: c, user: u}`), `current-context:`, then any raw YAML from
//! [`KubeconfigBuilder::extra`]. A section with no entries is left out. Values are written as
//! plain YAML scalars, exactly as given, except namespaces (single-quoted): a test that wants
//! odd YAML gives the raw text ([`KubeconfigBuilder::cluster_yaml`], [`KubeconfigBuilder::user`],
//! [`KubeconfigBuilder::extra`]). Files that are deliberately malformed stay literal text in
//! their tests.

use std::path::{Path, PathBuf};

use super::cmd::Env;

/// A kubeconfig under construction; see the module documentation.
#[derive(Clone, Debug, Default)]
pub struct KubeconfigBuilder {
    no_header: bool,
    clusters: Vec<Cluster>,
    /// Name and the text after `user:` (a flow mapping, or a newline and block lines).
    users: Vec<(String, String)>,
    contexts: Vec<Context>,
    current_context: Option<String>,
    extra: String,
}

#[derive(Clone, Debug)]
struct Cluster {
    name: String,
    /// `key: value` lines, in order, without indentation.
    fields: Vec<String>,
    /// Raw lines, already indented four spaces, after the fields.
    raw: String,
}

#[derive(Clone, Debug)]
struct Context {
    name: String,
    cluster: String,
    user: Option<String>,
    namespace: Option<String>,
}

impl KubeconfigBuilder {
    /// An empty kubeconfig (`apiVersion: v1`, `kind: Config` and nothing else).
    pub fn new() -> KubeconfigBuilder {
        KubeconfigBuilder::default()
    }

    /// The shape most tests need: cluster `test` at `server` trusting the CA file `ca`, user
    /// `dev` whose entry is the YAML flow mapping `user` (e.g. `{token: t}`), and context `test`
    /// (the current one) joining them. The cluster and context methods then apply to these.
    pub fn single_context(server: &str, ca: impl AsRef<Path>, user: &str) -> KubeconfigBuilder {
        KubeconfigBuilder::new()
            .cluster("test", server)
            .ca(ca)
            .user("dev", user)
            .context("test", "test", "dev")
            .current_context("test")
    }

    /// Leaves out the `apiVersion: v1` and `kind: Config` lines (client-go does not need them;
    /// merge tests write files without them).
    pub fn without_header(mut self) -> Self {
        self.no_header = true;
        self
    }

    // ---- clusters ------------------------------------------------------------------------

    /// Adds cluster `name` at `server`; the cluster methods below apply to it.
    pub fn cluster(mut self, name: &str, server: &str) -> Self {
        self.clusters.push(Cluster {
            name: name.to_string(),
            fields: vec![format!("server: {server}")],
            raw: String::new(),
        });
        self
    }

    /// Adds cluster `name` with no `server` field.
    pub fn cluster_without_server(mut self, name: &str) -> Self {
        self.clusters.push(Cluster {
            name: name.to_string(),
            fields: Vec::new(),
            raw: String::new(),
        });
        self
    }

    fn last_cluster(&mut self) -> &mut Cluster {
        self.clusters
            .last_mut()
            .expect("KubeconfigBuilder: call .cluster(..) before the cluster's fields")
    }

    /// `key: value` on the last cluster.
    pub fn cluster_field(mut self, key: &str, value: &str) -> Self {
        self.last_cluster().fields.push(format!("{key}: {value}"));
        self
    }

    /// `certificate-authority: <path>` on the last cluster.
    pub fn ca(self, path: impl AsRef<Path>) -> Self {
        let path = path.as_ref().display().to_string();
        self.cluster_field("certificate-authority", &path)
    }

    /// `certificate-authority-data: <base64 of pem>` on the last cluster.
    pub fn ca_data(self, pem: &str) -> Self {
        self.cluster_field("certificate-authority-data", &super::pki::b64(pem))
    }

    /// `insecure-skip-tls-verify: true` on the last cluster.
    pub fn insecure(self) -> Self {
        self.cluster_field("insecure-skip-tls-verify", "true")
    }

    /// `tls-server-name: <name>` on the last cluster.
    pub fn tls_server_name(self, name: &str) -> Self {
        self.cluster_field("tls-server-name", name)
    }

    /// `proxy-url: <url>` on the last cluster.
    pub fn proxy_url(self, url: &str) -> Self {
        self.cluster_field("proxy-url", url)
    }

    /// Raw lines for the last cluster, each already indented four spaces and ending in a
    /// newline (the `cluster_extra` of the old templates).
    pub fn cluster_yaml(mut self, lines: &str) -> Self {
        self.last_cluster().raw.push_str(lines);
        self
    }

    // ---- users ---------------------------------------------------------------------------

    /// Adds user `name` whose entry is the YAML flow mapping `entry` (e.g. `{token: t}`).
    pub fn user(mut self, name: &str, entry: &str) -> Self {
        self.users.push((name.to_string(), format!(" {entry}\n")));
        self
    }

    /// Adds user `name` whose entry is block-style `lines`, each indented four spaces and ending
    /// in a newline (e.g. `"    token: t\n"`).
    pub fn user_yaml(mut self, name: &str, lines: &str) -> Self {
        self.users.push((name.to_string(), format!("\n{lines}")));
        self
    }

    /// User `name` with a bearer token.
    pub fn token_user(self, name: &str, token: &str) -> Self {
        self.user(name, &format!("{{token: {token}}}"))
    }

    /// User `name` with a client certificate and key (files).
    pub fn cert_user(self, name: &str, cert: impl AsRef<Path>, key: impl AsRef<Path>) -> Self {
        let entry = format!(
            "{{client-certificate: {}, client-key: {}}}",
            cert.as_ref().display(),
            key.as_ref().display()
        );
        self.user(name, &entry)
    }

    /// User `name` with an exec plugin: `{exec: {apiVersion: api, command: 'command', <extra>}}`
    /// where `extra` is more flow-mapping entries starting with `, ` (or empty).
    pub fn exec_user(self, name: &str, api_version: &str, command: &str, extra: &str) -> Self {
        let entry = format!("{{exec: {{apiVersion: {api_version}, command: '{command}'{extra}}}}}");
        self.user(name, &entry)
    }

    /// User `name` with `auth-provider: {name: provider, config: {k: v, ...}}`.
    pub fn auth_provider_user(self, name: &str, provider: &str, config: &[(&str, &str)]) -> Self {
        let config: Vec<String> = config.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        let entry = format!(
            "{{auth-provider: {{name: {provider}, config: {{{}}}}}}}",
            config.join(", ")
        );
        self.user(name, &entry)
    }

    // ---- contexts ------------------------------------------------------------------------

    /// Adds context `name` for `cluster` and `user`; [`namespace`](Self::namespace) applies to it.
    pub fn context(mut self, name: &str, cluster: &str, user: &str) -> Self {
        self.contexts.push(Context {
            name: name.to_string(),
            cluster: cluster.to_string(),
            user: Some(user.to_string()),
            namespace: None,
        });
        self
    }

    /// Adds context `name` for `cluster` and no user.
    pub fn context_without_user(mut self, name: &str, cluster: &str) -> Self {
        self.contexts.push(Context {
            name: name.to_string(),
            cluster: cluster.to_string(),
            user: None,
            namespace: None,
        });
        self
    }

    /// The last context's namespace (written single-quoted, so any text is taken as it is).
    pub fn namespace(mut self, namespace: &str) -> Self {
        self.contexts
            .last_mut()
            .expect("KubeconfigBuilder: call .context(..) before .namespace(..)")
            .namespace = Some(namespace.to_string());
        self
    }

    /// `current-context: <name>`.
    pub fn current_context(mut self, name: &str) -> Self {
        self.current_context = Some(name.to_string());
        self
    }

    /// Raw top-level YAML appended at the end (each line ending in a newline).
    pub fn extra(mut self, yaml: &str) -> Self {
        self.extra.push_str(yaml);
        self
    }

    // ---- output --------------------------------------------------------------------------

    /// The kubeconfig text.
    pub fn build(&self) -> String {
        let mut out = String::new();
        if !self.no_header {
            out.push_str("apiVersion: v1\nkind: Config\n");
        }
        if !self.clusters.is_empty() {
            out.push_str("clusters:\n");
            for c in &self.clusters {
                out.push_str(&format!("- name: {}\n  cluster:\n", c.name));
                if c.fields.is_empty() && c.raw.is_empty() {
                    out.truncate(out.len() - 1);
                    out.push_str(" {}\n");
                }
                for field in &c.fields {
                    out.push_str(&format!("    {field}\n"));
                }
                out.push_str(&c.raw);
            }
        }
        if !self.users.is_empty() {
            out.push_str("users:\n");
            for (name, entry) in &self.users {
                out.push_str(&format!("- name: {name}\n  user:{entry}"));
            }
        }
        if !self.contexts.is_empty() {
            out.push_str("contexts:\n");
            for c in &self.contexts {
                let mut fields = format!("cluster: {}", c.cluster);
                if let Some(user) = &c.user {
                    fields.push_str(&format!(", user: {user}"));
                }
                if let Some(ns) = &c.namespace {
                    fields.push_str(&format!(", namespace: '{}'", ns.replace('\'', "''")));
                }
                out.push_str(&format!("- name: {}\n  context: {{{fields}}}\n", c.name));
            }
        }
        if let Some(current) = &self.current_context {
            out.push_str(&format!("current-context: {current}\n"));
        }
        out.push_str(&self.extra);
        out
    }

    /// Writes [`build`](Self::build) to `relative` under the fake home; returns its path.
    pub fn write(&self, env: &Env, relative: &str) -> PathBuf {
        env.write(relative, &self.build())
    }
}
