//! A real kube-apiserver with an embedded etcd (the Go program in `tests/apiserver/`), built once
//! and started once per test binary (there is one, `integration`: so once per `cargo test` run), for
//! the `real_apiserver` tests.
//!
//! [`real_apiserver`] builds the server with `go build` into `target/tmp/kcurl-apiserver/` under a
//! cross-process file lock (parallel test binaries never race) and reuses the binary while the Go
//! sources are unchanged (its name carries a hash of them). It then starts one instance for this
//! test process, waits for its "ready" line and returns a [`RealApiserver`] describing it.
//!
//! The instance's standard input is a pipe held by this process for its whole life: when the test
//! binary exits, however it exits, the pipe closes and the server shuts itself down (and removes
//! its directory). No instance outlives the tests.
//!
//! Without `go` on PATH the suite is skipped with one line on stderr; under `CI=true` a missing Go
//! or a failed build fails the test instead.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// The pinned Kubernetes release the fixture is built from (see tests/apiserver/go.mod).
pub const KUBERNETES_VERSION: &str = "v1.36.3";

/// How long the first start may take (the build can take many minutes on a cold cache; it is not
/// counted here, only the start).
const START_TIMEOUT: Duration = Duration::from_secs(180);

/// A running real API server and the files it wrote.
pub struct RealApiserver {
    /// `https://127.0.0.1:PORT`.
    pub server: String,
    /// Its directory: `kubeconfig`, `ca.crt`, `cert-user.crt`/`.key`, `tokens.csv`.
    pub dir: PathBuf,
    _child: Mutex<Child>,
    _stdin: Mutex<ChildStdin>,
}

/// The tokens in the fixture's token file (tests/apiserver/main.go).
pub const ADMIN_TOKEN: &str = "kcurl-admin-token";
/// A user with no RBAC rights at all.
pub const NOBODY_TOKEN: &str = "kcurl-nobody-token";
/// A user (group `kcurl-readers`) allowed get/list/watch in [`READER_NAMESPACE`] only.
pub const READER_TOKEN: &str = "kcurl-reader-token";
/// The one namespace the reader may read.
pub const READER_NAMESPACE: &str = "kcurl-readable";

impl RealApiserver {
    /// The kubeconfig with contexts `admin` (current), `nobody`, `reader` and `cert`.
    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.join("kubeconfig")
    }

    /// The CA that signed the serving certificate.
    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }

    /// The `host:port` of the server.
    pub fn host_port(&self) -> &str {
        self.server.trim_start_matches("https://")
    }
}

/// The shared instance for this test binary, or `None` (after one line on stderr) when Go is not
/// installed and this is not CI.
pub fn real_apiserver() -> Option<&'static RealApiserver> {
    static INSTANCE: OnceLock<Option<RealApiserver>> = OnceLock::new();
    INSTANCE.get_or_init(start).as_ref()
}

fn start() -> Option<RealApiserver> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    if Command::new("go").arg("version").output().is_err() {
        if ci {
            panic!(
                "real_apiserver: `go` is not on PATH, and CI=true requires the real-apiserver suite"
            );
        }
        // Straight to the process's stderr: libtest captures eprintln! in tests, and this line
        // must be seen once per run, not only when a test fails.
        let _ = writeln!(
            std::io::stderr(),
            "real_apiserver: SKIPPED (the real kube-apiserver suite needs Go on PATH; see README \"Tests\")"
        );
        return None;
    }
    let binary = build();
    let dir = tempfile::Builder::new()
        .prefix("kcurl-apiserver-")
        .tempdir()
        .expect("create the apiserver directory")
        .keep();
    let log_path = dir.join("server.log");
    let log = File::create(&log_path).expect("create the apiserver log");
    let mut child = Command::new(&binary)
        .arg("-remove-dir")
        .arg("-dir")
        .arg(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
    let stdin = child.stdin.take().expect("piped stdin");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(url) = line.strip_prefix("ready ") {
                let _ = tx.send(url.to_string());
            }
        }
    });
    let server = match rx.recv_timeout(START_TIMEOUT) {
        Ok(url) => url,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            panic!(
                "real_apiserver: the server did not become ready within {START_TIMEOUT:?}; log tail:\n{}",
                tail.join("\n")
            );
        }
    };
    Some(RealApiserver {
        server,
        dir,
        _child: Mutex::new(child),
        _stdin: Mutex::new(stdin),
    })
}

/// Builds the fixture unless a binary for the current sources exists; returns its path.
fn build() -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/apiserver");
    let mut hash = Fnv::new();
    for name in ["go.mod", "go.sum", "main.go"] {
        let bytes = std::fs::read(source.join(name))
            .unwrap_or_else(|e| panic!("read tests/apiserver/{name}: {e}"));
        hash.update(name.as_bytes());
        hash.update(&bytes);
    }
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("kcurl-apiserver");
    std::fs::create_dir_all(&out_dir).expect("create target/tmp/kcurl-apiserver");
    let binary = out_dir.join(format!("kcurl-apiserver-{:016x}", hash.0));
    // One builder at a time across test processes; the others wait here and then find the binary.
    let lock = File::create(out_dir.join("build.lock")).expect("create the build lock");
    rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive)
        .expect("lock target/tmp/kcurl-apiserver/build.lock");
    if !binary.exists() {
        let partial = out_dir.join(format!("building-{}", std::process::id()));
        let _ = writeln!(
            std::io::stderr(),
            "real_apiserver: building the kube-apiserver {KUBERNETES_VERSION} fixture (minutes the first time, then cached)"
        );
        let version = format!(
            "-s -w -X k8s.io/component-base/version.gitVersion={KUBERNETES_VERSION} \
             -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=36"
        );
        let out = Command::new("go")
            .args(["build", "-trimpath", "-ldflags", &version, "-o"])
            .arg(&partial)
            .arg(".")
            .current_dir(&source)
            .env("CGO_ENABLED", "0")
            .env("GOTOOLCHAIN", "local")
            .env("GOFLAGS", "-mod=readonly -buildvcs=false")
            .output()
            .expect("run go build");
        assert!(
            out.status.success(),
            "real_apiserver: go build in tests/apiserver failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::rename(&partial, &binary).expect("move the built fixture into place");
    }
    // Closing the file releases the lock.
    drop(lock);
    binary
}

/// FNV-1a, 64 bits: a stable hash of the fixture's sources for the binary's name.
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn update(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}
