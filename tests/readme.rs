//! The README is the user manual: what it shows must be what the binary does. Its tables render
//! (each has a header), every option of `--help` is in it spelled as `--help` spells it, the
//! exit-code table is `-h`'s, the quoted usage error is the real one, the demo path reaches a
//! first answer from a fresh clone with one build, every kcurl command of the Quick start and of
//! the demo walk-through runs against the demo server as printed, and the man-page install line
//! leaves the page where `man kcurl` finds it.

use crate::support::*;

use std::path::Path;
use std::process::Command;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md")
}

/// The README's lines outside fenced code blocks.
fn prose_lines(text: &str) -> Vec<&str> {
    let mut fenced = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            out.push(line);
        }
    }
    out
}

/// The fenced block that follows the first line starting with `after`.
fn block_after<'a>(text: &'a str, after: &str) -> Vec<&'a str> {
    text.lines()
        .skip_while(|l| !l.starts_with(after))
        .skip_while(|l| !l.starts_with("```"))
        .skip(1)
        .take_while(|l| !l.starts_with("```"))
        .collect()
}

fn stdout_of(args: &[&str]) -> String {
    let out = run(kcurl(&Env::new()).args(args));
    assert_eq!(out.code, Some(0), "{out:?}");
    out.stdout
}

#[test]
fn every_table_row_belongs_to_a_table_with_a_header() {
    let text = readme();
    let lines = prose_lines(&text);
    let mut i = 0;
    while i < lines.len() {
        if !lines[i].starts_with('|') {
            i += 1;
            continue;
        }
        // A table starts with a header row and a |---| separator, after a blank line.
        assert!(
            i > 0 && lines[i - 1].trim().is_empty(),
            "a table row glued to the text above it renders as text: {:?}",
            lines[i]
        );
        let separator = lines.get(i + 1).copied().unwrap_or("");
        assert!(
            separator.starts_with("|---") || separator.starts_with("| ---"),
            "table without a header: {:?} is followed by {separator:?}",
            lines[i]
        );
        while i < lines.len() && lines[i].starts_with('|') {
            i += 1;
        }
    }
}

#[test]
fn every_option_of_help_is_in_the_readme_as_help_spells_it() {
    let text = readme();
    let help = stdout_of(&["--help"]);
    let mut missing = Vec::new();
    for line in help.lines() {
        let spec = line.trim_start();
        // Option lines: `-X, --request <METHOD>` or `    --paginate[=<MODE>]`, indented by 2 or 6.
        if !(line.starts_with("  -") || line.starts_with("      --")) {
            continue;
        }
        let spec = spec.split("  ").next().unwrap_or(spec).trim();
        let readme_form = spec.replace(['<', '>'], "");
        if !text.contains(&format!("`{readme_form}`"))
            && !text.contains(&format!("`{readme_form} "))
        {
            missing.push(readme_form);
        }
    }
    assert!(
        missing.is_empty(),
        "not in the README's tables: {missing:?}"
    );
}

#[test]
fn exit_code_table_is_the_one_in_help() {
    let help = stdout_of(&["-h"]);
    let codes: Vec<(String, String)> = help
        .lines()
        .skip_while(|l| *l != "Exit codes:")
        .skip(1)
        .map(|l| {
            let (code, meaning) = l.trim().split_once("  ").expect("code  meaning");
            (code.to_string(), meaning.to_string())
        })
        .collect();
    assert!(codes.len() >= 10, "{help}");
    let text = readme();
    let table: Vec<(String, String)> = text
        .lines()
        .skip_while(|l| *l != "## Exit codes")
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            let cells: Vec<&str> = l.split(" | ").collect();
            (
                cells[0].trim_start_matches("| ").to_string(),
                cells[1].trim_end_matches(" |").replace('`', ""),
            )
        })
        .collect();
    assert_eq!(table, codes);
}

#[test]
fn the_quoted_usage_error_is_the_real_one() {
    let text = readme();
    let mut lines = text
        .lines()
        .skip_while(|l| !l.starts_with("$ kcurl --compressed"));
    let command = lines.next().expect("a quoted usage error in the README");
    let quoted = lines.next().unwrap();
    let args: Vec<&str> = command.trim_start_matches("$ kcurl ").split(' ').collect();
    let out = run(kcurl(&Env::new()).args(&args));
    assert_eq!(out.code, Some(2));
    assert_eq!(out.stderr, format!("{quoted}\n"));
    // And the README promises the format it has.
    assert!(text.contains("Errors are one line: `kcurl: error: <where>: <what>`"));
}

#[test]
fn demo_steps_are_numbered_and_build_once() {
    let text = readme();
    let steps = block_after(&text, "No cluster at hand?");
    assert!(!steps.is_empty());
    for (i, line) in steps.iter().enumerate() {
        let label = format!("# {}. ", i + 1);
        assert!(
            line.contains(&label),
            "step {} is not numbered {label:?}: {line}",
            i + 1
        );
    }
    let cargo: Vec<&&str> = steps.iter().filter(|l| l.starts_with("cargo ")).collect();
    assert_eq!(cargo.len(), 1, "one build: {cargo:?}");
    assert!(
        cargo[0].contains("--bin kcurl") && cargo[0].contains("--example demo_server"),
        "{}",
        cargo[0]
    );
    assert!(steps.last().unwrap().starts_with("kcurl /api "));
}

#[test]
fn the_demo_steps_reach_a_first_answer() {
    // Steps 2 to 4 of the README with the debug build of step 1: the demo server in a fresh
    // folder, its kubeconfig, kcurl /api.
    let demo = Demo::start();
    let kubeconfig = demo.dir().join("kubeconfig");
    assert_eq!(
        std::fs::canonicalize(demo.export.trim_start_matches("export KUBECONFIG=")).unwrap(),
        std::fs::canonicalize(&kubeconfig).unwrap()
    );
    let out = run(kcurl(&demo.env)
        .env("KUBECONFIG", &kubeconfig)
        .args(["-c", "/api"]));
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout.starts_with("{\"kind\":\"APIVersions\""),
        "{out:?}"
    );
    assert_eq!(out.stderr, "");
}

/// The kcurl command lines of a fenced block: comment lines dropped, `\` continuations joined.
fn kcurl_commands(block: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for line in block {
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head.trim_start());
            continue;
        }
        pending.push_str(line.trim_start());
        let command = std::mem::take(&mut pending);
        if command.starts_with("kcurl ") {
            out.push(command);
        }
    }
    out
}

/// The exit code a command line documents: `echo "exit $?"` with `exit N` in its comment.
fn documented_exit(command: &str) -> Option<i32> {
    if !command.contains("echo \"exit $?\"") {
        return None;
    }
    let (_, comment) = command.split_once(" # ")?;
    let (_, n) = comment.split_once("exit ")?;
    n.trim_end_matches(')')
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[test]
fn every_readme_command_runs_against_the_demo() {
    // Every kcurl line of the Quick start, of the demo steps and of the demo walk-through, in
    // README order, through sh (pipes, `&&`, `;` and comments as a user's shell reads them),
    // against one demo server. Two things a reader supplies are supplied: the README's example
    // address for `--server` (https://10.0.0.1:6443) is the demo's, $TOKEN is the demo's token,
    // and pod.yaml is a small pod. A watch or a following log is interrupted with SIGINT (the
    // README's Ctrl-C) after its first line and must exit 130.
    let text = readme();
    let mut commands = kcurl_commands(&block_after(&text, "## Quick start"));
    commands.extend(kcurl_commands(&block_after(&text, "No cluster at hand?")));
    commands.extend(kcurl_commands(&block_after(
        &text,
        "Then, against the same demo:",
    )));
    assert!(commands.len() >= 20, "{commands:#?}");
    let has_jq = Command::new("jq").arg("--version").output().is_ok();

    let demo = Demo::start();
    let dir = demo.dir();
    let token = std::fs::read_to_string(dir.join("token")).unwrap();
    write_file(
        &dir,
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: hello\n  labels: {app: hello}\nspec:\n  containers:\n  - {name: hello, image: busybox:1.36}\n",
    );
    let bin = kcurl_path().parent().unwrap();
    let mut path = vec![bin.to_path_buf()];
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let sh = |script: &str| {
        let mut cmd = Command::new("sh");
        cmd.env_clear()
            .env("HOME", demo.env.home())
            .env("XDG_CACHE_HOME", demo.env.home().join(".cache"))
            .env("PATH", std::env::join_paths(&path).unwrap())
            .env("KUBECONFIG", dir.join("kubeconfig"))
            .env("TOKEN", &token)
            .current_dir(&dir)
            .args(["-c", script]);
        cmd
    };
    let mut ran = Vec::new();
    for command in &commands {
        if command.contains("| jq") && !has_jq {
            eprintln!("notice: jq is not installed; skipping {command}");
            continue;
        }
        let script = command.replace("https://10.0.0.1:6443", &demo.url);
        if command.contains(" -w ") || command.contains("follow=true") {
            let mut running = spawn(&mut sh(&format!("exec {script}")));
            let first = running.next_line();
            assert!(
                first.as_deref().is_some_and(|l| !l.is_empty()),
                "{command}: no first line"
            );
            let pid = running.pid().to_string();
            let kill = Command::new("kill").args(["-INT", &pid]).status().unwrap();
            assert!(kill.success());
            let done = running.finish();
            assert_eq!(done.status.code(), Some(130), "{command}: {done:?}");
            ran.push(command.clone());
            continue;
        }
        let out: Out = sh(&script).output().expect("run sh").into();
        match documented_exit(command) {
            Some(code) => {
                assert_eq!(out.code, Some(0), "{command}:\n{out:?}");
                assert!(
                    out.stdout.ends_with(&format!("exit {code}\n")),
                    "{command}: documented exit {code}:\n{out:?}"
                );
            }
            None => {
                assert_eq!(out.code, Some(0), "{command}:\n{out:?}");
                assert!(!out.stdout.is_empty(), "{command}: no output");
                if !command.contains("--all-contexts") {
                    assert_eq!(out.stderr, "", "{command}:\n{out:?}");
                }
            }
        }
        ran.push(command.clone());
    }
    // Clients that went away (the interrupted watch and log) left nothing in the demo's terminal.
    assert_eq!(demo.stop(), "", "the demo server wrote on stderr");
    eprintln!("ran {} README commands: {ran:#?}", ran.len());
}

#[test]
fn the_man_page_install_line_is_found_by_man() {
    let Ok(probe) = Command::new("man").arg("--version").output() else {
        eprintln!("notice: man is not installed; skipping the install-path check");
        return;
    };
    assert!(probe.status.success());
    let text = readme();
    let line = text
        .lines()
        .find(|l| l.starts_with("install -Dm644 man/kcurl.1 "))
        .expect("a man-page install line");
    let dest = line
        .trim_start_matches("install -Dm644 man/kcurl.1 ")
        .trim();
    let env = Env::new();
    let dest = env
        .home()
        .join(dest.strip_prefix("~/").expect("a path under ~/"));
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("man/kcurl.1"),
        &dest,
    )
    .unwrap();
    // A user who ran `cargo install`: ~/.cargo/bin on PATH, no MANPATH.
    let bin = env.home().join(".cargo/bin");
    std::fs::create_dir_all(&bin).unwrap();
    let mut path = vec![bin];
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let out = Command::new("man")
        .args(["-w", "kcurl"])
        .env_clear()
        .env("HOME", env.home())
        .env("PATH", std::env::join_paths(path).unwrap())
        .output()
        .unwrap();
    assert!(out.status.success(), "man -w kcurl: {out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        dest.to_str().unwrap()
    );
}
