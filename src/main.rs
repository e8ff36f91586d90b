//! The kcurl binary: answer a shell's completion request, parse the command line, generate
//! (`--generate`) or run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    kcurl::generate::complete_from_env();
    let args = kcurl::cli::Args::parse();
    // A big stack: jq programs parse, run and print deeply nested documents recursively.
    let worker = std::thread::Builder::new()
        .stack_size(kcurl::jq::STACK_SIZE)
        .spawn(move || match args.generate {
            Some(kind) => kcurl::generate::write(kind).map(|()| 0),
            None => kcurl::run(&args),
        });
    let outcome = match worker.map(|w| w.join()) {
        Ok(Ok(outcome)) => outcome,
        // The worker panicked (its message is already on stderr) or could not start.
        _ => return ExitCode::from(101),
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        // `halt_error`: the program already said what it had to say.
        Err(kcurl::error::Error::Halt(code)) => ExitCode::from(code),
        Err(e) => {
            kcurl::output::diag(&format!(
                "kcurl: error: {}",
                kcurl::output::sanitize(&e.to_string())
            ));
            ExitCode::from(e.exit_code())
        }
    }
}
