//! TAB completion of the target and of `-n`.
use clap_complete::CompletionCandidate;
use std::ffi::OsStr;

pub fn target(_current: &OsStr) -> Vec<CompletionCandidate> {
    Vec::new()
}

pub fn namespace(_current: &OsStr) -> Vec<CompletionCandidate> {
    Vec::new()
}
