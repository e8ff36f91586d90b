//! The discovery cache: one file per server URL, `<cache dir>/kcurl/discovery/<sha256>.json`
//! (`~/.cache/kcurl/discovery` on Linux), with the exec credential cache's file rules (folder
//! 0700 and ours, files 0600 and ours, no symlinks, written through a rename; any problem is a
//! miss, never an error): the helpers are `crate::auth::exec`'s.
//!
//! The file holds the resource table, not the server's documents, so a warm lookup parses a
//! few kilobytes: `{"format":1,"server":"https://…","fetched":1764680000,"table":{…}}`.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::table::Table;
use crate::auth::exec::{key_of, read_private, write_atomic};

/// The version written in every cache file; other versions are misses.
const FORMAT: u32 = 1;
/// A cached table is used for 6 hours, as kubectl's disk cache (`--cache-dir`, 6 h TTL in
/// client-go's `CachedDiscoveryClient`); after that it is fetched again.
pub const TTL: Duration = Duration::from_secs(6 * 3600);
/// A reference that is not in a table older than this refreshes the table once (a CRD created
/// since); younger tables are trusted, so a typo does not cost a request.
pub const REFRESH_ON_MISS_AFTER: Duration = Duration::from_secs(60);
/// Tables of servers with thousands of CRDs are large; anything bigger is not ours.
const MAX_FILE_LEN: u64 = 64 << 20;

/// Where discovery tables are cached, or nowhere (`--no-cache`).
#[derive(Clone, Debug)]
pub struct Cache {
    dir: Option<PathBuf>,
}

/// A table read from the cache, with its age.
#[derive(Debug)]
pub struct Cached {
    pub table: Table,
    pub age: Duration,
}

#[derive(Deserialize)]
struct Stored {
    format: u32,
    server: String,
    fetched: u64,
    table: Table,
}

#[derive(Serialize)]
struct StoredOut<'a> {
    format: u32,
    server: &'a str,
    fetched: u64,
    table: &'a Table,
}

impl Cache {
    /// A cache that never reads or writes.
    pub fn disabled() -> Cache {
        Cache { dir: None }
    }

    /// A cache in `dir` (created 0700 on first write).
    pub fn at(dir: PathBuf) -> Cache {
        Cache { dir: Some(dir) }
    }

    /// The default folder, `dirs::cache_dir()/kcurl/discovery`; disabled when there is none.
    pub fn default_location() -> Cache {
        match dirs::cache_dir() {
            Some(d) => Cache::at(d.join("kcurl").join("discovery")),
            None => Cache::disabled(),
        }
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The table cached for `server` when it is younger than [`TTL`].
    pub fn load(&self, server: &str) -> Option<Cached> {
        let dir = self.dir.as_deref()?;
        let bytes = read_private(dir, &key(server), MAX_FILE_LEN)?;
        let stored: Stored = serde_json::from_slice(&bytes).ok()?;
        if stored.format != FORMAT || stored.server != server {
            return None;
        }
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
        // A file from the future (clock changed) is as good as stale.
        let age = Duration::from_secs(now.checked_sub(stored.fetched)?);
        (age < TTL).then_some(Cached {
            table: stored.table,
            age,
        })
    }

    /// Save `table` for `server`; silently nothing when that is not possible.
    pub fn store(&self, server: &str, table: &Table) {
        let Some(dir) = self.dir.as_deref() else {
            return;
        };
        let fetched = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let out = StoredOut {
            format: FORMAT,
            server,
            fetched,
            table,
        };
        if let Ok(body) = serde_json::to_vec(&out) {
            write_atomic(dir, &key(server), &body);
        }
    }
}

/// The file name for `server`: SHA-256 of the URL (scheme, host, port and path prefix).
fn key(server: &str) -> String {
    key_of(server.trim_end_matches('/').as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::matching::tests::sample;

    #[test]
    fn round_trip_per_server() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path().join("d"));
        assert!(cache.load("https://a:6443").is_none());
        cache.store("https://a:6443", &sample());
        let hit = cache.load("https://a:6443").unwrap();
        assert_eq!(hit.table, sample());
        assert!(hit.age < Duration::from_secs(5));
        assert!(cache.load("https://b:6443").is_none());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let file = dir
                .path()
                .join("d")
                .join(format!("{}.json", key("https://a:6443")));
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            // A file others can read is a miss, as in the exec cache.
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(cache.load("https://a:6443").is_none());
        }
        Cache::disabled().store("https://a:6443", &sample());
        assert!(Cache::disabled().load("https://a:6443").is_none());
    }

    #[test]
    fn stale_files_are_misses() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path().to_path_buf());
        let old = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            - TTL.as_secs();
        let body = serde_json::to_vec(&StoredOut {
            format: FORMAT,
            server: "https://a",
            fetched: old,
            table: &sample(),
        })
        .unwrap();
        write_atomic(dir.path(), &key("https://a"), &body);
        assert!(cache.load("https://a").is_none());
    }
}
