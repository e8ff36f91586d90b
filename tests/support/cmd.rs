//! Running the kcurl binary in a clean, fake environment, to completion ([`kcurl`]) or live
//! with its output read line by line ([`spawn`]).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Instant;

use tempfile::TempDir;

use super::kubeconfig::KubeconfigBuilder;
use super::pki::Pki;
use super::server::{Reply, Request, Server, ServerBuilder, WAIT};

/// A fresh, empty HOME for one test; removed on drop.
pub struct Env {
    /// The fake home directory.
    pub home: TempDir,
}

impl Default for Env {
    fn default() -> Self {
        Env::new()
    }
}

impl Env {
    /// A new empty home directory.
    pub fn new() -> Env {
        Env {
            home: tempfile::Builder::new()
                .prefix("kcurl-home-")
                .tempdir()
                .expect("create fake HOME"),
        }
    }

    /// The home directory's path.
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// Writes `contents` to `relative` under home (creating directories), e.g.
    /// `env.write(".kube/config", &yaml)`.
    pub fn write(&self, relative: &str, contents: &str) -> PathBuf {
        write_file(self.home.path(), relative, contents)
    }
}

/// The kcurl binary built for this test run.
pub fn kcurl_path() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_kcurl"))
}

/// kcurl as an `assert_cmd` command with a clean environment: only `PATH` (the real one),
/// `HOME` and `USERPROFILE` (the fake home), `XDG_CACHE_HOME` (`<home>/.cache`) and
/// `XDG_CONFIG_HOME` (`<home>/.config`). No `KUBECONFIG`, `KUBERNETES_SERVICE_*`, `NO_COLOR`,
/// `TERM` or proxy variables: tests add what they need. The working directory is the fake home.
pub fn kcurl(env: &Env) -> assert_cmd::Command {
    assert_cmd::Command::from_std(kcurl_std(env))
}

/// The same clean command as [`kcurl`], as a `std::process::Command` (for [`spawn`]).
pub fn kcurl_std(env: &Env) -> Command {
    let home = env.home.path();
    let mut cmd = Command::new(kcurl_path());
    cmd.env_clear()
        .env("HOME", home)
        .env("USERPROFILE", home)
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .current_dir(home);
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd
}

/// Writes `contents` to `dir/name` (`name` may contain `/`; parent directories are created)
/// and returns the path.
pub fn write_file(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create parent directories");
    }
    std::fs::write(&path, contents).expect("write file");
    path
}

/// A child process whose stdout is read line by line while it runs (watch, follow).
pub struct Running {
    child: Child,
    lines: Receiver<Vec<u8>>,
    stderr: Option<JoinHandle<Vec<u8>>>,
}

/// How a [`Running`] process ended.
#[derive(Debug)]
pub struct Finished {
    /// Exit status.
    pub status: ExitStatus,
    /// The stdout not yet read through [`Running::next_line`].
    pub stdout: String,
    /// All of stderr.
    pub stderr: String,
}

/// Starts `cmd` with stdin closed and stdout and stderr piped.
pub fn spawn(cmd: &mut Command) -> Running {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start child process");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut out = BufReader::new(stdout);
        loop {
            let mut line = Vec::new();
            match out.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            }
        }
    });
    let stderr = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    Running {
        child,
        lines,
        stderr: Some(stderr),
    }
}

impl Running {
    /// The next stdout line without its `\n`; `None` once stdout is closed. Panics (killing
    /// the child) if no line comes within [`WAIT`].
    pub fn next_line(&mut self) -> Option<String> {
        match self.lines.recv_timeout(WAIT) {
            Ok(mut line) => {
                if line.last() == Some(&b'\n') {
                    line.pop();
                }
                Some(String::from_utf8_lossy(&line).into_owned())
            }
            Err(RecvTimeoutError::Disconnected) => None,
            Err(RecvTimeoutError::Timeout) => {
                let _ = self.child.kill();
                panic!("no stdout line within {WAIT:?}");
            }
        }
    }

    /// Reads lines up to and including the first one equal to `last` (e.g. `}` to read one
    /// pretty-printed JSON document) and returns them, each ending in `\n`.
    pub fn lines_until(&mut self, last: &str) -> String {
        let mut out = String::new();
        loop {
            let line = self
                .next_line()
                .unwrap_or_else(|| panic!("stdout closed before a line {last:?}; got:\n{out}"));
            out.push_str(&line);
            out.push('\n');
            if line == last {
                return out;
            }
        }
    }

    /// The child's process id (to send it a signal, e.g. SIGINT for Ctrl-C).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGKILL (the child's own handle: only this process).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
    }

    /// Waits for stdout to close and the process to exit (panics, killing it, after [`WAIT`]);
    /// returns the status, the unread stdout and all of stderr.
    pub fn finish(mut self) -> Finished {
        let deadline = Instant::now() + WAIT;
        let mut stdout = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => stdout.extend(line),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    let _ = self.child.kill();
                    panic!("process still running after {WAIT:?}");
                }
            }
        }
        let status = self.child.wait().expect("wait for child");
        let stderr = self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        Finished {
            status,
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Writes `~/.kube/config` in `env`: cluster `test` at `server_url` trusting `pki`'s CA, user
/// `dev` with token `t`, current context `test`.
pub fn token_kubeconfig(env: &Env, pki: &Pki, server_url: &str) {
    KubeconfigBuilder::single_context(server_url, &pki.ca.cert, "{token: t}")
        .write(env, ".kube/config");
}

/// A server answering every request with `handler`, and a [`token_kubeconfig`] pointing at it.
pub fn serve(
    pki: &Pki,
    env: &Env,
    handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
) -> Server {
    let server = ServerBuilder::new(pki).handler(handler).start();
    token_kubeconfig(env, pki, &server.url());
    server
}
