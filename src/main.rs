//! The kcurl binary: answer a shell's completion request, parse the command line, generate
//! (`--generate`) or run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    kcurl::generate::complete_from_env();
    let args = kcurl::cli::Args::parse();
    let outcome = match args.generate {
        Some(kind) => kcurl::generate::write(kind).map(|()| 0),
        None => kcurl::run(&args),
    };
    match outcome {
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
