//! How kcurl speaks on stderr, and the small text helpers every layer uses for messages:
//! `-s`/`-S` silencing, sanitising server- and config-supplied text, paths shown with `~/`,
//! I/O errors without the OS noise, long text shortened.
//!
//! A leaf: it imports nothing from the crate, so the HTTP layer, the kubeconfig reader and the
//! output printer can all speak without importing each other.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};

/// What `-s` and `-S` leave on stderr: 0 everything, 1 errors only (`-sS`), 2 nothing (`-s`).
static SILENCE: AtomicU8 = AtomicU8::new(0);

/// Set once, from `-s` and `-S`, before anything is printed (curl's rules: `-S` alone changes
/// nothing).
pub fn set_silence(silent: bool, show_error: bool) {
    let level = match (silent, show_error) {
        (false, _) => 0,
        (true, true) => 1,
        (true, false) => 2,
    };
    SILENCE.store(level, Ordering::Relaxed);
}

/// Write one diagnostic line to stderr, whatever `-s` says (the `-v` trace, usage errors); a
/// closed stderr is ignored (never a panic).
pub fn diag(line: &str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// An error line (`kcurl: error: …`, `kcurl: 404 NotFound: …`): silenced by `-s` unless `-S`.
pub fn error(line: &str) {
    if SILENCE.load(Ordering::Relaxed) < 2 {
        diag(line);
    }
}

/// A notice (a retry, `Warning:` headers, a summary): silenced by `-s`.
pub fn notice(line: &str) {
    if SILENCE.load(Ordering::Relaxed) == 0 {
        diag(line);
    }
}

/// A warning line: `kcurl: warning: …`; silenced by `-s`.
pub fn warn(msg: &str) {
    notice(&format!("kcurl: warning: {msg}"));
}

/// Replace terminal control characters in server- or config-supplied text with visible escapes.
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The home directory: `$HOME` first (as client-go's `homedir.HomeDir` on Unix), then the OS's.
pub fn home_dir() -> Option<PathBuf> {
    match std::env::var_os("HOME") {
        Some(h) if !h.is_empty() => Some(PathBuf::from(h)),
        _ => dirs::home_dir(),
    }
}

/// A path for messages: `~/…` when under the home directory, else as is.
pub fn display_path(p: &Path) -> String {
    if let Some(home) = home_dir() {
        if let Ok(rest) = p.strip_prefix(&home) {
            if !rest.as_os_str().is_empty() {
                return format!("~/{}", rest.display());
            }
        }
    }
    p.display().to_string()
}

/// An io::Error without the "(os error N)" noise.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => "is a directory".to_string(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_lowercase(),
                None => s,
            }
        }
    }
}

/// A duration for messages: `2s`, `0.5s`.
pub fn secs(d: std::time::Duration) -> String {
    format!("{}s", d.as_secs_f64())
}

/// `text` cut to `max` characters, with `…` when something was cut.
pub fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", text.get(..i).unwrap_or(text)),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_cuts_at_characters() {
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("abcd", 3), "abc…");
        assert_eq!(shorten("ééé", 2), "éé…");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(sanitize("a\x1b[31mb\n"), "a\\u{1b}[31mb\\n");
    }
}
