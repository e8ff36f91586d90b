//! What one finished kcurl run produced, and the secret-leak check every credential test uses.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};

/// What one kcurl run produced.
#[derive(Debug)]
pub struct Out {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Out {
    fn from(out: std::process::Output) -> Out {
        Out {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Runs `cmd` to completion (stdin empty) and collects its exit code and output.
pub fn run(cmd: &mut assert_cmd::Command) -> Out {
    cmd.output().expect("run kcurl").into()
}

/// Fails if any secret, or its base64 in any common alphabet, appears in stdout or stderr.
pub fn assert_no_secret(out: &Out, secrets: &[&str]) {
    for secret in secrets {
        let forms = [
            secret.to_string(),
            STANDARD.encode(secret),
            STANDARD_NO_PAD.encode(secret),
            URL_SAFE_NO_PAD.encode(secret),
        ];
        for form in forms {
            for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
                assert!(
                    !text.contains(&form),
                    "secret {secret:?} (as {form:?}) leaked on {stream}:\n{text}"
                );
            }
        }
    }
}
