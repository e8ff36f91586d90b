//! The kcurl binary: parse the command line, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = kcurl::cli::Args::parse();
    match kcurl::run(&args) {
        Ok(code) => ExitCode::from(code),
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            kcurl::output::diag(&format!(
                "kcurl: error: {}",
                kcurl::output::sanitize(&e.to_string())
            ));
            ExitCode::from(e.exit_code())
        }
    }
}
