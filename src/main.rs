//! The kcurl binary: answer a shell's completion request, parse the command line, generate
//! (`--generate`) or run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::error::ErrorKind;

fn main() -> ExitCode {
    kcurl::generate::complete_from_env();
    let args = match kcurl::cli::Args::parse_args(std::env::args_os().collect()) {
        Ok(args) => args,
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) =>
        {
            e.exit()
        }
        Err(e) => {
            // One line, as every other error; the usage block is one `-h` away.
            let argv: Vec<String> = std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            let line = kcurl::cli::usage_error_line(&e, &argv);
            kcurl::diag::diag(&format!("kcurl: error: {}", kcurl::diag::sanitize(&line)));
            return ExitCode::from(kcurl::error::Error::Usage(String::new()).exit_code());
        }
    };
    kcurl::diag::set_silence(args.silent, args.show_error);
    // A big stack: jq programs parse, run and print deeply nested documents recursively.
    let worker = std::thread::Builder::new()
        .stack_size(kcurl::jq::STACK_SIZE)
        .spawn(move || match args.generate {
            Some(kind) => kcurl::generate::write(kind).map(|()| 0),
            None => kcurl::plan::Plan::new(&args).and_then(|plan| kcurl::run(&plan)),
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
            let line = format!("kcurl: error: {}", kcurl::diag::sanitize(&e.to_string()));
            // A usage error is the script's own mistake: said even with -s.
            match e {
                kcurl::error::Error::Usage(_) => kcurl::diag::diag(&line),
                _ => kcurl::diag::error(&line),
            }
            ExitCode::from(e.exit_code())
        }
    }
}
