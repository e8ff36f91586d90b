//! The demo API server (`examples/demo_server/`), started as the README's step 2 does, for the
//! tests of the README's commands and of the demo's own behaviour.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::cmd::{Env, kcurl, kcurl_path};
use super::out::Out;

/// The example binary cargo builds next to the test binaries (`cargo test` builds examples).
pub fn demo_server_path() -> PathBuf {
    let path = kcurl_path()
        .parent()
        .unwrap()
        .join("examples")
        .join(format!("demo_server{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: run the whole `cargo test` (it builds examples) or `cargo build --example demo_server`",
        path.display()
    );
    path
}

/// The demo server started as step 2 of the README does (in a fresh folder); killed on drop.
pub struct Demo {
    /// The fake HOME it runs in.
    pub env: Env,
    child: std::process::Child,
    /// `https://127.0.0.1:PORT`.
    pub url: String,
    /// The export line it printed.
    pub export: String,
}

impl Demo {
    pub fn start() -> Demo {
        Demo::start_with(&[])
    }

    /// Started with these options (`--history N`, `-v`).
    pub fn start_with(args: &[&str]) -> Demo {
        let env = Env::new();
        let mut child = Command::new(demo_server_path())
            .args(args)
            .current_dir(env.home())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the demo server");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let banner = lines.next().unwrap().unwrap();
        let export = lines.next().unwrap().unwrap();
        let url = banner
            .strip_prefix("kcurl demo API server on ")
            .and_then(|rest| rest.split_once(' '))
            .map(|(url, _)| url.to_string())
            .unwrap_or_else(|| panic!("unexpected banner: {banner}"));
        assert!(url.starts_with("https://127.0.0.1:"), "{banner}");
        Demo {
            env,
            child,
            url,
            export,
        }
    }

    /// The folder it wrote: kubeconfig, ca.crt, token.
    pub fn dir(&self) -> PathBuf {
        self.env.home().join("kcurl-demo")
    }

    /// Stops the server and returns what it wrote on stderr.
    pub fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut stderr = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut err, &mut stderr);
        }
        stderr
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Demo {
    /// kcurl with the demo's kubeconfig, run to completion.
    pub fn kcurl(&self, args: &[&str]) -> Out {
        kcurl(&self.env)
            .env("KUBECONFIG", self.dir().join("kubeconfig"))
            .args(args)
            .output()
            .expect("run kcurl")
            .into()
    }

    /// The same command as [`Demo::kcurl`], not started (for [`super::spawn`]).
    pub fn kcurl_std(&self, args: &[&str]) -> Command {
        let mut cmd = super::cmd::kcurl_std(&self.env);
        cmd.env("KUBECONFIG", self.dir().join("kubeconfig"))
            .args(args);
        cmd
    }
}
