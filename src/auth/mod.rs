//! Credentials: what a kubeconfig user (plus command-line overrides) authenticates with.
//!
//! This module owns the one documented precedence order, copied from client-go's
//! `getUserIdentificationPartialConfig` and `validateAuthInfo`:
//!
//! 1. `--token` replaces the user's `token`, `tokenFile` and basic auth.
//! 2. `tokenFile` wins over `token` and is read fresh on every run (client-go
//!    `NewBearerAuthWithRefreshRoundTripper`); its content is trimmed.
//! 3. `username`/`password` → HTTP Basic. Token and basic together are an error
//!    ("more than one authentication method"), as in client-go.
//! 4. A client certificate (`client-certificate[-data]` + `client-key[-data]`) is TLS-level and
//!    may accompany a token, as in client-go.
//! 5. An explicit token, basic auth or client certificate disables `exec` (client-go's exec
//!    round tripper skips requests that already carry credentials); otherwise the `exec` plugin
//!    runs (see `exec`, with kcurl's cross-invocation cache). `auth-provider: oidc` with an
//!    `id-token` is sent as a bearer token; other auth providers are errors naming their
//!    exec-plugin replacement. A failed authentication never turns into an unauthenticated
//!    request.
//!
//! It reads token, certificate and key files; it does not build TLS configurations (`tls`) or
//! touch the network.

pub mod exec;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine;

pub use crate::secret::Secret;

use crate::diag::{display_path, io_reason};
use crate::error::{Error, Result};
use crate::kubeconfig::{Entry, User};
use crate::tls::ClientIdentity;

/// An HTTP `Authorization` credential.
#[derive(Clone, Debug)]
pub enum HttpAuth {
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
    /// `Authorization: Basic base64(user:password)`.
    Basic { username: String, password: Secret },
}

impl HttpAuth {
    /// The `Authorization` header value.
    pub fn header_value(&self) -> Secret {
        match self {
            HttpAuth::Bearer(t) => Secret::new(format!("Bearer {}", t.expose())),
            HttpAuth::Basic { username, password } => {
                let raw = format!("{username}:{}", password.expose());
                Secret::new(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(raw)
                ))
            }
        }
    }
}

/// Impersonation requested by the user entry (`as`, `as-uid`, `as-groups`, `as-user-extra`).
#[derive(Clone, Debug, Default)]
pub struct Impersonation {
    pub user: Option<String>,
    pub uid: Option<String>,
    pub groups: Vec<String>,
    pub extra: BTreeMap<String, Vec<String>>,
}

impl Impersonation {
    /// The `Impersonate-*` headers, in a stable order (client-go `transport.NewImpersonatingRoundTripper`).
    pub fn headers(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let Some(user) = &self.user else {
            return out;
        };
        out.push(("Impersonate-User".to_string(), user.clone()));
        if let Some(uid) = &self.uid {
            out.push(("Impersonate-Uid".to_string(), uid.clone()));
        }
        for g in &self.groups {
            out.push(("Impersonate-Group".to_string(), g.clone()));
        }
        for (k, values) in &self.extra {
            for v in values {
                out.push((
                    format!("Impersonate-Extra-{}", percent_encode_header_key(k)),
                    v.clone(),
                ));
            }
        }
        out
    }
}

/// Bytes escaped in an `Impersonate-Extra-` key: all but the header-name token characters.
const NOT_TOKEN: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'*')
    .remove(b'+')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// client-go escapes extra keys with `url.PathEscape`-like rules for header names.
fn percent_encode_header_key(k: &str) -> String {
    percent_encoding::utf8_percent_encode(k, NOT_TOKEN).to_string()
}

/// The exec plugin that produced the credentials, kept so that a 401 can refresh them.
#[derive(Clone, Debug)]
pub struct ExecSource {
    pub exec: crate::kubeconfig::Exec,
    pub place: String,
    pub cluster: Option<exec::ClusterInfo>,
    /// The credential came from kcurl's cache rather than a fresh plugin run.
    pub from_cache: bool,
}

/// What exec plugins need besides the user entry.
#[derive(Clone, Debug)]
pub struct ExecContext {
    /// The cluster, for `provideClusterInfo`.
    pub cluster: Option<exec::ClusterInfo>,
    pub cache: exec::Cache,
    pub stdin_is_tty: bool,
    /// How long a plugin may run (`--timeout`, else [`exec::DEFAULT_TIMEOUT`]).
    pub timeout: std::time::Duration,
}

/// Everything a request needs to authenticate.
#[derive(Clone, Debug, Default)]
pub struct Credentials {
    pub http: Option<HttpAuth>,
    pub identity: Option<ClientIdentity>,
    pub impersonate: Impersonation,
    /// Set when the credentials came from an exec plugin.
    pub exec: Option<ExecSource>,
    /// Human description of what authenticates, for messages (never the secret itself).
    pub describe: Vec<String>,
}

impl Credentials {
    /// True when there is anything to withhold from a plain-http or foreign server.
    pub fn is_some(&self) -> bool {
        self.http.is_some() || self.identity.is_some()
    }
}

/// Credentials given on the command line; they override the kubeconfig user's.
#[derive(Debug, Default)]
pub struct Overrides {
    pub token: Option<Secret>,
    pub client_certificate: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    /// `--as`, `--as-group`, `--as-uid` (client-go: each replaces the kubeconfig's field).
    pub impersonate_user: Option<String>,
    pub impersonate_groups: Vec<String>,
    pub impersonate_uid: Option<String>,
}

/// Resolve the credentials of `user` (if any) with `overrides` applied, validating as client-go.
pub fn resolve(
    user: Option<&Entry<User>>,
    overrides: &Overrides,
    exec_ctx: &ExecContext,
) -> Result<Credentials> {
    let mut creds = Credentials::default();
    let empty = User::default();
    let (u, place) = match user {
        Some(e) => (&e.value, e.place("users")),
        None => (&empty, "command line".to_string()),
    };
    validate(u, &place)?;

    // HTTP credentials.
    if let Some(t) = overrides.token.as_ref().filter(|t| !t.is_empty()) {
        creds.http = Some(HttpAuth::Bearer(t.clone()));
        creds.describe.push("token from --token".to_string());
    } else if let Some(path) = &u.token_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::Config(format!(
                "{place}.tokenFile: cannot read {}: {}",
                display_path(path),
                io_reason(&e)
            ))
        })?;
        let token = text.trim();
        if token.is_empty() {
            return Err(Error::Config(format!(
                "{place}.tokenFile: {} is empty",
                display_path(path)
            )));
        }
        creds.http = Some(HttpAuth::Bearer(Secret::new(token)));
        creds
            .describe
            .push(format!("token from tokenFile {}", display_path(path)));
    } else if let Some(t) = u.token.as_ref().filter(|t| !t.is_empty()) {
        creds.http = Some(HttpAuth::Bearer(t.clone()));
        creds.describe.push("token".to_string());
    } else if has(&u.username) || u.password.as_ref().is_some_and(|p| !p.is_empty()) {
        creds.http = Some(HttpAuth::Basic {
            username: u.username.clone().unwrap_or_default(),
            password: u.password.clone().unwrap_or_default(),
        });
        creds.describe.push("basic auth".to_string());
    }

    // TLS client certificate.
    if let (Some(cert), Some(key)) = (&overrides.client_certificate, &overrides.client_key) {
        creds.identity = Some(ClientIdentity {
            cert_pem: read_file(cert, "--client-certificate")?,
            cert_origin: display_path(cert),
            key_pem: read_secret_file(key, "--client-key")?,
            key_origin: display_path(key),
        });
        creds
            .describe
            .push("client certificate from the command line".to_string());
    } else if u.client_certificate.is_some() || has(&u.client_certificate_data) {
        let (cert_pem, cert_origin) = match &u.client_certificate {
            Some(p) => (
                read_file(p, &format!("{place}.client-certificate"))?,
                format!("{} ({place}.client-certificate)", display_path(p)),
            ),
            None => (
                decode_b64(
                    u.client_certificate_data.as_deref().unwrap_or_default(),
                    &format!("{place}.client-certificate-data"),
                )?,
                format!("{place}.client-certificate-data"),
            ),
        };
        // validate() guarantees the key is there when the certificate is.
        let (key_pem, key_origin) = match &u.client_key {
            Some(p) => (
                read_secret_file(p, &format!("{place}.client-key"))?,
                format!("{} ({place}.client-key)", display_path(p)),
            ),
            None => {
                let data = u.client_key_data.clone().unwrap_or_default();
                let field = format!("{place}.client-key-data");
                let bytes = decode_b64(data.expose(), &field)?;
                (secret_from_bytes(bytes, &field)?, field)
            }
        };
        creds.identity = Some(ClientIdentity {
            cert_pem,
            cert_origin,
            key_pem,
            key_origin,
        });
        creds.describe.push("client certificate".to_string());
    }

    // Impersonation.
    creds.impersonate = Impersonation {
        user: overrides
            .impersonate_user
            .clone()
            .or_else(|| u.impersonate.clone()),
        uid: overrides
            .impersonate_uid
            .clone()
            .or_else(|| u.impersonate_uid.clone()),
        groups: if overrides.impersonate_groups.is_empty() {
            u.impersonate_groups.clone().unwrap_or_default()
        } else {
            overrides.impersonate_groups.clone()
        },
        extra: u.impersonate_user_extra.clone().unwrap_or_default(),
    };
    creds.impersonate.user = creds.impersonate.user.take().filter(|s| !s.is_empty());
    creds.impersonate.uid = creds.impersonate.uid.take().filter(|s| !s.is_empty());
    if creds.impersonate.user.is_none()
        && (creds.impersonate.uid.is_some() || !creds.impersonate.groups.is_empty())
    {
        return Err(Error::Config(
            "--as-group and --as-uid need a user to impersonate: add --as USER".to_string(),
        ));
    }

    // Plugins: disabled by any explicit credential (client-go's exec round tripper skips
    // requests that already carry Authorization).
    if creds.is_some() {
        return Ok(creds);
    }
    if let Some(ap) = &u.auth_provider {
        return auth_provider(ap, &place, creds);
    }
    if let Some(e) = &u.exec {
        let source = ExecSource {
            exec: e.clone(),
            place: place.clone(),
            cluster: exec_ctx.cluster.clone(),
            from_cache: false,
        };
        return run_exec(creds, source, exec_ctx, false);
    }
    Ok(creds)
}

/// Run (or read from the cache) the exec plugin of `source` and put its credential in `creds`.
fn run_exec(
    mut creds: Credentials,
    mut source: ExecSource,
    ctx: &ExecContext,
    invalidate_first: bool,
) -> Result<Credentials> {
    exec::validate(&source.exec, &source.place)?;
    let plugin = exec::Plugin {
        exec: &source.exec,
        place: source.place.clone(),
        cluster: source.cluster.clone(),
        timeout: ctx.timeout,
    };
    if invalidate_first {
        exec::invalidate(&plugin, &ctx.cache);
    }
    let cred = exec::credential(&plugin, &ctx.cache, ctx.stdin_is_tty)?;
    let what = if cred.from_cache {
        "exec plugin (cached)"
    } else {
        "exec plugin"
    };
    creds.http = cred
        .token
        .clone()
        .filter(|t| !t.is_empty())
        .map(HttpAuth::Bearer);
    creds.identity = match (cred.client_cert_pem, cred.client_key_pem) {
        (Some(cert_pem), Some(key_pem)) => Some(ClientIdentity {
            cert_pem,
            cert_origin: format!("{}.exec clientCertificateData", source.place),
            key_pem,
            key_origin: format!("{}.exec clientKeyData", source.place),
        }),
        _ => None,
    };
    creds.describe = vec![format!(
        "{what} {}",
        source.exec.command.clone().unwrap_or_default()
    )];
    source.from_cache = cred.from_cache;
    creds.exec = Some(source);
    Ok(creds)
}

impl Credentials {
    /// After a 401: fresh credentials, when these can be refreshed (they came from an exec
    /// plugin: its cached credential is dropped and it runs again); `None` otherwise.
    pub fn refresh(&self, ctx: &ExecContext) -> Result<Option<Credentials>> {
        refresh_exec(self, ctx)
    }

    /// True when [`Credentials::refresh`] can give other credentials.
    pub fn refreshable(&self) -> bool {
        self.exec.is_some()
    }
}

/// After a 401: drop the cached exec credential, run the plugin again, and return the new
/// credentials. `None` when the credentials did not come from an exec plugin.
fn refresh_exec(creds: &Credentials, ctx: &ExecContext) -> Result<Option<Credentials>> {
    let Some(source) = creds.exec.clone() else {
        return Ok(None);
    };
    let base = Credentials {
        http: None,
        identity: None,
        impersonate: creds.impersonate.clone(),
        exec: None,
        describe: Vec::new(),
    };
    run_exec(base, source, ctx, true).map(Some)
}

/// Legacy `auth-provider`: `oidc` with an `id-token` is a bearer token (kubectl's oidc provider
/// sends the id-token); refreshing it, `gcp` and `azure` need their exec-plugin replacements.
fn auth_provider(
    ap: &crate::kubeconfig::AuthProvider,
    place: &str,
    mut creds: Credentials,
) -> Result<Credentials> {
    let field = format!("{place}.auth-provider");
    match ap.name.as_str() {
        "oidc" => {
            let config = ap.config.clone().unwrap_or_default();
            let Some(token) = config.get("id-token").filter(|t| !t.is_empty()) else {
                return Err(Error::Config(format!(
                    "{field}: the oidc provider has no id-token; log in with kubelogin \
                     (kubectl oidc-login) and use its exec plugin configuration"
                )));
            };
            if let Some(exp) = jwt_expiry(token.expose()) {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                if exp <= now {
                    return Err(Error::Config(format!(
                        "{field}: the oidc id-token has expired and kcurl does not refresh tokens; \
                         switch this user to kubelogin's exec plugin (kubectl oidc-login get-token)"
                    )));
                }
            }
            creds.http = Some(HttpAuth::Bearer(token.clone()));
            creds.describe.push("oidc id-token".to_string());
            Ok(creds)
        }
        "gcp" => Err(Error::Config(format!(
            "{field}: the gcp auth provider was removed from Kubernetes; install \
             gke-gcloud-auth-plugin and run `gcloud container clusters get-credentials` again"
        ))),
        "azure" => Err(Error::Config(format!(
            "{field}: the azure auth provider was removed from Kubernetes; install kubelogin \
             and run `kubelogin convert-kubeconfig`"
        ))),
        other => Err(Error::Config(format!(
            "{field}: unknown auth provider \"{other}\"; use an exec credential plugin instead"
        ))),
    }
}

/// The `exp` claim of a JWT, if it is one (unverified: only to give a clear error).
fn jwt_expiry(token: &str) -> Option<u64> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get("exp")?.as_u64()
}

/// client-go `validateAuthInfo`, with the field named in every message.
fn validate(u: &User, place: &str) -> Result<()> {
    let err = |m: String| Err(Error::Config(format!("{place}: {m}")));
    if u.client_certificate.is_some() && has(&u.client_certificate_data) {
        return err(
            "client-certificate and client-certificate-data are both set; keep only one".into(),
        );
    }
    if u.client_key.is_some() && u.client_key_data.as_ref().is_some_and(|k| !k.is_empty()) {
        return err("client-key and client-key-data are both set; keep only one".into());
    }
    let has_cert = u.client_certificate.is_some() || has(&u.client_certificate_data);
    let has_key =
        u.client_key.is_some() || u.client_key_data.as_ref().is_some_and(|k| !k.is_empty());
    if has_cert && !has_key {
        return err(
            "client-certificate is set but client-key is not; a client certificate needs its key"
                .into(),
        );
    }
    if has_key && !has_cert {
        return err(
            "client-key is set but client-certificate is not; a client key needs its certificate"
                .into(),
        );
    }
    let has_token = u.token.as_ref().is_some_and(|t| !t.is_empty()) || u.token_file.is_some();
    let has_basic = has(&u.username) || u.password.as_ref().is_some_and(|p| !p.is_empty());
    if has_token && has_basic {
        return err(
            "more than one authentication method: token and username/password are both set; keep only one"
                .into(),
        );
    }
    if u.exec.is_some() && u.auth_provider.is_some() {
        return err("exec and auth-provider are both set; keep only one".into());
    }
    let imp_user = has(&u.impersonate);
    if !imp_user
        && (has(&u.impersonate_uid)
            || u.impersonate_groups.as_ref().is_some_and(|g| !g.is_empty())
            || u.impersonate_user_extra
                .as_ref()
                .is_some_and(|e| !e.is_empty()))
    {
        return err(
            "as-uid, as-groups or as-user-extra is set without as (the user to impersonate)".into(),
        );
    }
    Ok(())
}

fn has(s: &Option<String>) -> bool {
    s.as_ref().is_some_and(|s| !s.is_empty())
}

/// Read a file a field points to; the message names the field and the file.
pub fn read_file(path: &Path, field: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        Error::Config(format!(
            "{field}: cannot read {}: {}",
            display_path(path),
            io_reason(&e)
        ))
    })
}

fn read_secret_file(path: &Path, field: &str) -> Result<Secret> {
    secret_from_bytes(read_file(path, field)?, field)
}

fn secret_from_bytes(bytes: Vec<u8>, field: &str) -> Result<Secret> {
    String::from_utf8(bytes).map(Secret::new).map_err(|_| {
        Error::Config(format!(
            "{field}: not a PEM private key (the file is not text)"
        ))
    })
}

/// Decode a kubeconfig `*-data` field (standard base64; line breaks allowed, as in Go).
pub fn decode_b64(data: &str, field: &str) -> Result<Vec<u8>> {
    let compact: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(compact).map_err(|_| {
        Error::Config(format!(
            "{field}: not valid base64 (the *-data fields hold base64 of the PEM file; use the file field for a path)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(yaml: &str) -> Entry<User> {
        let value: User = serde_saphyr::from_str(yaml).unwrap();
        Entry {
            name: "dev".into(),
            source: PathBuf::from("/k/config"),
            value,
        }
    }

    fn no_exec() -> ExecContext {
        ExecContext {
            cluster: None,
            cache: exec::Cache::disabled(),
            stdin_is_tty: false,
            timeout: exec::DEFAULT_TIMEOUT,
        }
    }

    #[test]
    fn oidc_id_tokens_are_bearer_tokens_until_they_expire() {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let live = format!("{}.{}.sig", b64("{}"), b64("{\"exp\":99999999999}"));
        let u = user(&format!(
            "{{auth-provider: {{name: oidc, config: {{id-token: '{live}'}}}}}}"
        ));
        let c = resolve(Some(&u), &Overrides::default(), &no_exec()).unwrap();
        assert_eq!(
            c.http.unwrap().header_value().expose(),
            format!("Bearer {live}")
        );
        let dead = format!("{}.{}.sig", b64("{}"), b64("{\"exp\":1}"));
        let u = user(&format!(
            "{{auth-provider: {{name: oidc, config: {{id-token: '{dead}'}}}}}}"
        ));
        let e = resolve(Some(&u), &Overrides::default(), &no_exec())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("expired") && e.contains("kubelogin") && !e.contains(&dead),
            "{e}"
        );
        let u = user("{auth-provider: {name: gcp}}");
        let e = resolve(Some(&u), &Overrides::default(), &no_exec())
            .unwrap_err()
            .to_string();
        assert!(e.contains("gke-gcloud-auth-plugin"), "{e}");
    }

    #[test]
    fn basic_auth_header() {
        let a = HttpAuth::Basic {
            username: "admin".into(),
            password: Secret::new("secret"),
        };
        assert_eq!(a.header_value().expose(), "Basic YWRtaW46c2VjcmV0");
    }

    #[test]
    fn validation_messages_name_the_user_and_fields() {
        let cases = [
            (
                "{token: t, username: u, password: p}",
                "more than one authentication method",
            ),
            (
                "{client-certificate: a, client-certificate-data: Yg==, client-key: k}",
                "client-certificate and client-certificate-data are both set",
            ),
            (
                "{client-certificate: a}",
                "client-certificate is set but client-key is not",
            ),
            (
                "{client-key-data: Yg==}",
                "client-key is set but client-certificate is not",
            ),
            ("{as-groups: [a]}", "without as"),
        ];
        for (yaml, want) in cases {
            let e = resolve(Some(&user(yaml)), &Overrides::default(), &no_exec())
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("/k/config: users[\"dev\"]: "), "{e}");
            assert!(e.contains(want), "{yaml}: {e}");
        }
    }

    #[test]
    fn token_override_replaces_basic_and_token_file() {
        let u = user("{tokenFile: /nonexistent}");
        let ov = Overrides {
            token: Some(Secret::new("cli")),
            ..Default::default()
        };
        let c = resolve(Some(&u), &ov, &no_exec()).unwrap();
        assert_eq!(c.http.unwrap().header_value().expose(), "Bearer cli");
    }

    #[test]
    fn token_file_wins_and_is_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("tok");
        std::fs::write(&f, "  from-file\n").unwrap();
        let u = user(&format!("{{token: inline, tokenFile: {}}}", f.display()));
        let c = resolve(Some(&u), &Overrides::default(), &no_exec()).unwrap();
        assert_eq!(c.http.unwrap().header_value().expose(), "Bearer from-file");
    }

    #[test]
    fn an_explicit_token_disables_exec() {
        let e = resolve(
            Some(&user("{exec: {command: aws}}")),
            &Overrides::default(),
            &no_exec(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("users[\"dev\"].exec"), "{e}");
        let c = resolve(
            Some(&user(
                "{token: t, exec: {command: /nonexistent, apiVersion: x}}",
            )),
            &Overrides::default(),
            &no_exec(),
        )
        .unwrap();
        assert!(c.exec.is_none());
    }

    #[test]
    fn impersonation_headers() {
        let c = resolve(
            Some(&user("{as: jane, as-uid: '42', as-groups: [a, b], as-user-extra: {'scopes/x y': [v1, v2]}}")),
            &Overrides::default(),
            &no_exec(),
        )
        .unwrap();
        assert_eq!(
            c.impersonate.headers(),
            vec![
                ("Impersonate-User".into(), "jane".into()),
                ("Impersonate-Uid".into(), "42".into()),
                ("Impersonate-Group".into(), "a".into()),
                ("Impersonate-Group".into(), "b".into()),
                ("Impersonate-Extra-scopes%2Fx%20y".into(), "v1".into()),
                ("Impersonate-Extra-scopes%2Fx%20y".into(), "v2".into()),
            ]
        );
    }

    #[test]
    fn bad_base64_does_not_echo_the_data() {
        let e = decode_b64("c2VjcmV0!!", "f").unwrap_err().to_string();
        assert!(!e.contains("c2VjcmV0"), "{e}");
    }
}
