//! The cross-invocation cache of exec-plugin credentials (kubectl has none: kubectl#1109).
//!
//! One file per plugin configuration, `<dir>/<key>.json`, where the key is the SHA-256 (hex) of
//! everything that determines the credential (the parent module serialises that). The folder is
//! created 0700, files are 0600 and are written to a unique temp file in the same folder, then
//! renamed over the old one, so racing kcurl processes never see half a file. A file that is
//! unreadable, corrupt, truncated, of another format version, not a regular file, not owned by the
//! current user or not mode 0600 is a miss and gets replaced; no cache problem is ever an error.
//!
//! The folder must be ours and not writable by others (an existing one is never chmod-ed).
//!
//! The file format (version 1), one JSON object:
//! `{"format":1,"expirationTimestamp":"2026-11-29T10:00:00Z","token":"…"}`, with
//! `clientCertificateData` and `clientKeyData` (PEM text) in place of or beside `token`.
//! This module does not decide whether a credential is fresh enough to use: the parent does.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::Credential;
use crate::auth::Secret;
use crate::time::{format_rfc3339, parse_rfc3339};

/// The version written in every cache file; files of another version are misses.
const FORMAT: u32 = 1;
/// Cache files are small; anything bigger is not ours and is not read.
const MAX_FILE_LEN: u64 = 1 << 20;

/// Where exec credentials are cached across runs, or nowhere (disabled).
#[derive(Clone, Debug)]
pub struct Cache {
    /// `None`: caching disabled.
    dir: Option<PathBuf>,
}

impl Cache {
    /// A cache that never reads or writes anything.
    pub fn disabled() -> Cache {
        Cache { dir: None }
    }

    /// A cache in `dir` (created 0700 on first write).
    pub fn at(dir: PathBuf) -> Cache {
        Cache { dir: Some(dir) }
    }

    /// The default folder: `dirs::cache_dir()/kcurl/exec` (`~/.cache/kcurl/exec` on Linux).
    pub fn default_location() -> Option<PathBuf> {
        dirs::cache_dir().map(|d| d.join("kcurl").join("exec"))
    }

    /// The folder of this cache, `None` when disabled.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    pub(super) fn is_enabled(&self) -> bool {
        self.dir.is_some()
    }

    /// The cached credential under `key`, whatever its expiry; `None` on any problem.
    pub(super) fn load(&self, key: &str) -> Option<Credential> {
        let bytes = self.read(key)?;
        let stored: Stored = serde_json::from_slice(&bytes).ok()?;
        if stored.format != FORMAT {
            return None;
        }
        let expires = parse_rfc3339(&stored.expiration_timestamp)?;
        let token = stored.token.filter(|t| !t.is_empty());
        let cert = stored.client_certificate_data.filter(|c| !c.is_empty());
        let key_pem = stored.client_key_data.filter(|k| !k.is_empty());
        if cert.is_some() != key_pem.is_some() || (token.is_none() && cert.is_none()) {
            return None;
        }
        Some(Credential {
            token,
            client_cert_pem: cert.map(String::into_bytes),
            client_key_pem: key_pem,
            expires: Some(expires),
            from_cache: true,
        })
    }

    /// Save `cred` under `key`; silently does nothing when that is not possible.
    pub(super) fn store(&self, key: &str, cred: &Credential) {
        let Some(dir) = self.dir.as_deref() else {
            return;
        };
        let Some(expiration_timestamp) = cred.expires.and_then(format_rfc3339) else {
            return;
        };
        let cert = match cred.client_cert_pem.as_deref().map(std::str::from_utf8) {
            Some(Ok(c)) => Some(c),
            Some(Err(_)) => return,
            None => None,
        };
        let out = StoredOut {
            format: FORMAT,
            expiration_timestamp,
            token: cred.token.as_ref().map(Secret::expose),
            client_certificate_data: cert,
            client_key_data: cred.client_key_pem.as_ref().map(Secret::expose),
        };
        let Ok(body) = serde_json::to_vec(&out) else {
            return;
        };
        write_atomic(dir, key, &body);
    }

    /// Delete the file under `key`, if any.
    pub(super) fn remove(&self, key: &str) {
        if let Some(dir) = self.dir.as_deref() {
            let _ = fs::remove_file(file(dir, key));
        }
    }

    /// The bytes of the file under `key`, only when the folder and the file are private.
    fn read(&self, key: &str) -> Option<Vec<u8>> {
        read_private(self.dir.as_deref()?, key, MAX_FILE_LEN)
    }
}

/// The bytes of `<dir>/<key>.json`, only when the folder and the file are private (shared with
/// the discovery cache, `crate::discovery::cache`).
pub(crate) fn read_private(dir: &Path, key: &str, max_len: u64) -> Option<Vec<u8>> {
    if !dir_is_private(dir) {
        return None;
    }
    let path = file(dir, key);
    // lstat first (a symlink is not a regular file), then check the opened file is the
    // same one, so a swap between the two cannot slip another file in.
    let before = fs::symlink_metadata(&path).ok()?;
    if !file_is_private(&before) {
        return None;
    }
    let f = File::open(&path).ok()?;
    let after = f.metadata().ok()?;
    if !file_is_private(&after) || !same_file(&before, &after) {
        return None;
    }
    let mut bytes = Vec::new();
    f.take(max_len).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// Write `body` to `<dir>/<key>.json` (0600, through a temp file and a rename, in a 0700
/// folder created when missing); silently nothing when that is not possible. Shared with the
/// discovery cache.
pub(crate) fn write_atomic(dir: &Path, key: &str, body: &[u8]) {
    if !prepare_dir(dir) {
        return;
    }
    let tmp = dir.join(temp_name(key));
    let written = write_private(&tmp, body).and_then(|()| fs::rename(&tmp, file(dir, key)));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
}

/// SHA-256 of `material`, in lower-case hex: the cache key.
pub(crate) fn key_of(material: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, material);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn file(dir: &Path, key: &str) -> PathBuf {
    dir.join(format!("{key}.json"))
}

/// A temp file name no other writer uses: pid, time and a per-process counter.
fn temp_name(key: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(".{key}.{}.{nanos}.{n}.tmp", std::process::id())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stored {
    format: u32,
    expiration_timestamp: String,
    #[serde(default)]
    token: Option<Secret>,
    #[serde(default)]
    client_certificate_data: Option<String>,
    #[serde(default)]
    client_key_data: Option<Secret>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StoredOut<'a> {
    format: u32,
    expiration_timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_certificate_data: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_key_data: Option<&'a str>,
}

/// Create a new 0600 file at `path` (it must not exist) holding `body`.
fn write_private(path: &Path, body: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let mut f = options.open(path)?;
        // The umask may have taken bits away; reads require exactly 0600.
        f.set_permissions(fs::Permissions::from_mode(0o600))?;
        f.write_all(body)
    }
    #[cfg(not(unix))]
    {
        options.open(path)?.write_all(body)
    }
}

#[cfg(unix)]
mod private {
    //! Owner and mode checks (unix only).

    use std::fs::{self, Metadata};
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    use std::path::Path;

    fn euid() -> u32 {
        rustix::process::geteuid().as_raw()
    }

    /// Create the folder (0700, with any missing parents) and check it as [`dir_is_private`].
    ///
    /// An existing folder's mode is never changed: it may be shared (`/tmp`), so one that others
    /// can write to is not used at all.
    pub(super) fn prepare_dir(dir: &Path) -> bool {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .is_ok()
            && dir_is_private(dir)
    }

    /// The folder is a real directory of ours that nobody else can write to.
    pub(super) fn dir_is_private(dir: &Path) -> bool {
        fs::symlink_metadata(dir)
            .is_ok_and(|m| m.is_dir() && m.uid() == euid() && m.mode() & 0o022 == 0)
    }

    /// A regular file of ours, mode 0600 exactly.
    pub(super) fn file_is_private(m: &Metadata) -> bool {
        m.file_type().is_file() && m.uid() == euid() && m.mode() & 0o7777 == 0o600
    }

    pub(super) fn same_file(a: &Metadata, b: &Metadata) -> bool {
        a.dev() == b.dev() && a.ino() == b.ino()
    }
}

#[cfg(not(unix))]
mod private {
    //! Elsewhere there are no owner and mode bits to check.

    use std::fs::{self, Metadata};
    use std::path::Path;

    pub(super) fn prepare_dir(dir: &Path) -> bool {
        fs::create_dir_all(dir).is_ok()
    }

    pub(super) fn dir_is_private(dir: &Path) -> bool {
        fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir())
    }

    pub(super) fn file_is_private(m: &Metadata) -> bool {
        m.file_type().is_file()
    }

    pub(super) fn same_file(_: &Metadata, _: &Metadata) -> bool {
        true
    }
}

use private::{dir_is_private, file_is_private, prepare_dir, same_file};

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn cred(expires: SystemTime) -> Credential {
        Credential {
            token: Some(Secret::new("tok-SECRET")),
            client_cert_pem: None,
            client_key_pem: None,
            expires: Some(expires),
            from_cache: false,
        }
    }

    #[test]
    fn key_is_sha256_hex() {
        assert_eq!(
            key_of(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn round_trip_and_format() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path().join("c"));
        let exp = UNIX_EPOCH + Duration::from_secs(1_795_946_400);
        cache.store("k", &cred(exp));
        let text = fs::read_to_string(dir.path().join("c/k.json")).unwrap();
        assert_eq!(
            text,
            r#"{"format":1,"expirationTimestamp":"2026-11-29T10:00:00Z","token":"tok-SECRET"}"#
        );
        let back = cache.load("k").unwrap();
        assert_eq!(back.token.unwrap().expose(), "tok-SECRET");
        assert_eq!(back.expires, Some(exp));
        assert!(back.from_cache);
        cache.remove("k");
        assert!(cache.load("k").is_none());
    }

    #[test]
    fn bad_files_are_misses() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path().to_path_buf());
        let path = dir.path().join("k.json");
        for body in [
            "",
            "{",
            "null",
            "[]",
            r#"{"format":2,"expirationTimestamp":"2026-11-29T10:00:00Z","token":"t"}"#,
            r#"{"format":1,"expirationTimestamp":"soon","token":"t"}"#,
            r#"{"format":1,"expirationTimestamp":"2026-11-29T10:00:00Z"}"#,
            r#"{"format":1,"expirationTimestamp":"2026-11-29T10:00:00Z","clientCertificateData":"c"}"#,
            r#"{"format":1,"expirationTimestamp":"2026-11-29T10:00:00Z","token":5}"#,
        ] {
            let _ = fs::remove_file(&path);
            write_private(&path, body.as_bytes()).unwrap();
            assert!(cache.load("k").is_none(), "{body}");
        }
        // A directory where the file should be: a miss, and storing does not panic.
        let _ = fs::remove_file(&path);
        fs::create_dir(&path).unwrap();
        assert!(cache.load("k").is_none());
        cache.store("k", &cred(SystemTime::now() + Duration::from_secs(3600)));
    }

    #[cfg(unix)]
    #[test]
    fn a_folder_others_can_write_is_not_used() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let c = dir.path().join("c");
        let cache = Cache::at(c.clone());
        cache.store("k", &cred(SystemTime::now() + Duration::from_secs(3600)));
        assert!(cache.load("k").is_some());
        fs::set_permissions(&c, fs::Permissions::from_mode(0o777)).unwrap();
        assert!(cache.load("k").is_none());
        fs::remove_file(c.join("k.json")).unwrap();
        cache.store("k", &cred(SystemTime::now() + Duration::from_secs(3600)));
        assert!(!c.join("k.json").exists(), "nothing written there");
        let mode = fs::metadata(&c).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o777, "an existing folder's mode is left alone");
        // A folder that others can only read is fine (the files themselves are 0600).
        fs::set_permissions(&c, fs::Permissions::from_mode(0o755)).unwrap();
        cache.store("k", &cred(SystemTime::now() + Duration::from_secs(3600)));
        assert!(cache.load("k").is_some());
    }

    #[test]
    fn disabled_does_nothing() {
        let cache = Cache::disabled();
        assert!(!cache.is_enabled());
        cache.store("k", &cred(SystemTime::now() + Duration::from_secs(3600)));
        assert!(cache.load("k").is_none());
        cache.remove("k");
    }
}
