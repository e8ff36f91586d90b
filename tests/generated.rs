//! `--generate` and what it generates: the committed man page and completion scripts are what
//! the binary prints now, generating needs no kubeconfig, and the completion scripts really
//! complete kubeconfig names — through the protocol the scripts speak, and through bash and
//! fish themselves when they are installed.

use crate::support::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Every committed generated file and the `--generate` kind that produces it.
const GENERATED: &[(&str, &str)] = &[
    ("man", "man/kcurl.1"),
    ("complete-bash", "completions/kcurl.bash"),
    ("complete-zsh", "completions/_kcurl"),
    ("complete-fish", "completions/kcurl.fish"),
    ("complete-powershell", "completions/_kcurl.ps1"),
    ("complete-elvish", "completions/kcurl.elv"),
];

fn repo_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8 stdout")
}

#[test]
fn committed_files_are_what_the_binary_generates() {
    let env = Env::new();
    let mut stale = Vec::new();
    for (kind, file) in GENERATED {
        let out = kcurl(&env).args(["--generate", kind]).output().unwrap();
        assert!(out.status.success(), "--generate {kind}: {out:?}");
        assert!(
            out.stderr.is_empty(),
            "--generate {kind} wrote to stderr: {out:?}"
        );
        if std::fs::read(repo_file(file)).ok().as_deref() != Some(&out.stdout[..]) {
            stale.push(*file);
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files: {}\nrefresh them with: scripts/generate.sh",
        stale.join(", ")
    );
}

#[test]
fn generate_needs_no_kubeconfig_and_ignores_a_broken_one() {
    let env = Env::new();
    let broken = env.write("broken.yaml", "clusters: [ this is not yaml");
    for (kind, _) in GENERATED {
        kcurl(&env)
            .env("KUBECONFIG", &broken)
            .args(["--generate", kind])
            .assert()
            .success();
    }
}

#[test]
fn path_is_required_without_generate() {
    kcurl(&Env::new())
        .assert()
        .code(2)
        .stdout("")
        .stderr("kcurl: error: the following required arguments were not provided: <PATH|URL>\n");
}

#[test]
fn generate_is_in_long_help_only() {
    let env = Env::new();
    let short = stdout(&kcurl(&env).arg("-h").output().unwrap());
    let long = stdout(&kcurl(&env).arg("--help").output().unwrap());
    assert!(!short.contains("--generate"), "{short}");
    assert!(long.contains("--generate <KIND>"), "{long}");
    assert!(
        short.contains("Usage: kcurl [OPTIONS] <PATH|URL>"),
        "{short}"
    );
}

#[test]
fn short_help_is_short_with_the_most_used_flags_first() {
    let env = Env::new();
    let short = stdout(&kcurl(&env).arg("-h").output().unwrap());
    let long = stdout(&kcurl(&env).arg("--help").output().unwrap());
    // PATH|URL is required, and says so everywhere.
    assert!(short.contains("Arguments:\n  <PATH|URL>  "), "{short}");
    assert!(!short.contains("[PATH|URL]") && !long.contains("[PATH|URL]"));
    // The first heading after the argument: the five flags used most, in this order.
    let first = short
        .split("\n\n")
        .find(|p| p.starts_with("Most used:"))
        .expect("a Most used heading");
    let flags: Vec<&str> = first
        .lines()
        .skip(1)
        .filter_map(|l| l.trim_start().split("  ").next())
        .filter(|f| f.starts_with('-'))
        .collect();
    assert_eq!(
        flags,
        [
            "-X, --request <METHOD>",
            "-d, --data <DATA>",
            "--context <NAME>",
            "-n, --namespace <NAME>",
            "-q, --jq <EXPR>"
        ]
    );
    assert!(short.find("Most used:") < short.find("Request:"), "{short}");
    // Rarely used flags wait for --help; -h fits on two screens.
    for rare in [
        "--as-uid",
        "--service-account-dir",
        "--retry-max-time",
        "--color",
    ] {
        assert!(!short.contains(rare), "{rare} in -h");
        assert!(long.contains(rare), "{rare} not in --help");
    }
    assert!(
        short.lines().count() <= 90,
        "{} lines",
        short.lines().count()
    );
    assert!(short.contains("Every option, with examples: kcurl --help"));
    // --generate comes after every everyday option, with -h and -V.
    let generate = long.find("--generate <KIND>").unwrap();
    for everyday in ["--verbose", "--jq <EXPR>", "--timeout <SECS>", "--include"] {
        assert!(long.find(everyday).unwrap() < generate, "{everyday}");
    }
    assert!(generate < long.find("-h, --help").unwrap());
    // The example is safe to paste into zsh (an unquoted ? is a glob there).
    assert!(
        long.contains("kcurl --context prod '/readyz?verbose'"),
        "{long}"
    );
    assert!(!long.contains(" /readyz?verbose"), "{long}");
}

#[test]
fn man_page_renders_without_warnings() {
    let Ok(probe) = Command::new("man").arg("--version").output() else {
        eprintln!("notice: man is not installed; skipping the rendering check");
        return;
    };
    assert!(probe.status.success());
    let out = Command::new("man")
        .args(["--warnings", "-l"])
        .arg(repo_file("man/kcurl.1"))
        .env("MANWIDTH", "100")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "man warnings");
    let text = stdout(&out);
    for section in [
        "EXIT STATUS",
        "ENVIRONMENT",
        "FILES",
        "EXAMPLES",
        "SECURITY",
    ] {
        assert!(
            text.contains(&format!("\n{section}\n")),
            "{section} missing:\n{text}"
        );
    }
}

/// A home with a kubeconfig holding contexts prod-eu, prod-us and staging (in that scrambled
/// order, to show the candidates come out sorted), and its path.
fn kubeconfig_home() -> (Env, PathBuf) {
    let env = Env::new();
    let config = KubeconfigBuilder::new()
        .cluster("eu", "https://eu.example:6443")
        .cluster("us", "https://us.example:6443")
        .token_user("admin", "t")
        .token_user("viewer", "v")
        .context("staging", "eu", "viewer")
        .context("prod-us", "us", "admin")
        .context("prod-eu", "eu", "admin")
        .current_context("staging")
        .write(&env, "kube/contexts.yaml");
    (env, config)
}

/// What kcurl answers when a completion script asks for `words` with the cursor on the last
/// word, exactly as the bash (and zsh) script calls it: `KCURL_COMPLETE=<shell>
/// _CLAP_COMPLETE_INDEX=<cursor word> _CLAP_IFS=<separator> kcurl -- <words>`.
fn complete(env: &Env, shell: &str, kubeconfig: Option<&Path>, words: &[&str]) -> Vec<String> {
    let mut cmd = kcurl(env);
    if let Some(k) = kubeconfig {
        cmd.env("KUBECONFIG", k);
    }
    let out = cmd
        .env("KCURL_COMPLETE", shell)
        .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string())
        .env("_CLAP_IFS", "\n")
        .arg("--")
        .args(words)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");
    stdout(&out)
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

#[test]
fn context_names_complete_from_kubeconfig() {
    let (env, config) = kubeconfig_home();
    let k = Some(config.as_path());
    for shell in ["bash", "zsh"] {
        assert_eq!(
            complete(&env, shell, k, &["kcurl", "--context", "prod-"]),
            ["prod-eu", "prod-us"],
            "{shell}"
        );
    }
    assert_eq!(
        complete(&env, "bash", k, &["kcurl", "--context", ""]),
        ["prod-eu", "prod-us", "staging"]
    );
    assert_eq!(
        complete(&env, "bash", k, &["kcurl", "--cluster", ""]),
        ["eu", "us"]
    );
    assert_eq!(
        complete(&env, "bash", k, &["kcurl", "--user", "v"]),
        ["viewer"]
    );
    // Flags complete too, from the same definition that parses them.
    assert_eq!(
        complete(&env, "bash", k, &["kcurl", "--conte"]),
        ["--context"]
    );
}

#[test]
fn context_names_come_from_the_kubeconfig_flag_on_the_line() {
    let (env, config) = kubeconfig_home();
    let flag = config.to_str().unwrap();
    assert_eq!(
        complete(
            &env,
            "bash",
            None,
            &["kcurl", "--kubeconfig", flag, "--context", "p"]
        ),
        ["prod-eu", "prod-us"]
    );
    // Without it (no KUBECONFIG, no ~/.kube/config) there is nothing to offer.
    assert!(complete(&env, "bash", None, &["kcurl", "--context", ""]).is_empty());
}

#[test]
fn unreadable_kubeconfig_completes_nothing_silently() {
    let env = Env::new();
    let broken = env.write("broken.yaml", "contexts: [ this is not yaml");
    assert!(complete(&env, "bash", Some(&broken), &["kcurl", "--context", ""]).is_empty());
}

/// A PATH whose `kcurl` is the binary under test (the scripts call `kcurl` by name).
fn path_with_kcurl(env: &Env) -> std::ffi::OsString {
    let bin = env.home().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(kcurl_path(), bin.join("kcurl")).unwrap();
    let mut dirs = vec![bin];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).unwrap()
}

/// `shell` with a clean environment: HOME, PATH (with kcurl), KUBECONFIG.
fn shell(name: &str, env: &Env, kubeconfig: &Path) -> Option<Command> {
    let found = Command::new(name).arg("--version").output().is_ok();
    if !found {
        eprintln!("notice: {name} is not installed; skipping its completion test");
        return None;
    }
    let mut cmd = Command::new(name);
    cmd.env_clear()
        .env("HOME", env.home())
        .env("PATH", path_with_kcurl(env))
        .env("KUBECONFIG", kubeconfig)
        .current_dir(env.home());
    Some(cmd)
}

#[cfg(unix)]
#[test]
fn bash_completes_contexts_through_the_committed_script() {
    let (env, config) = kubeconfig_home();
    let Some(mut bash) = shell("bash", &env, &config) else {
        return;
    };
    // What bash does on `kcurl --context prod-<TAB>`: set COMP_* and call the function that
    // `complete -F` registered, with the command, the current word and the previous word.
    let script = r#"
        source "$1"
        COMP_WORDS=(kcurl --context prod-)
        COMP_CWORD=2
        COMP_LINE='kcurl --context prod-'
        COMP_POINT=${#COMP_LINE}
        COMP_TYPE=9
        fn=$(complete -p kcurl | sed -n 's/.* -F \([^ ]*\) .*/\1/p')
        "$fn" kcurl prod- --context
        printf '%s\n' "${COMPREPLY[@]}"
    "#;
    let out = bash
        .args(["--norc", "--noprofile", "-c", script, "bash"])
        .arg(repo_file("completions/kcurl.bash"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout(&out), "prod-eu\nprod-us\n", "{out:?}");
}

#[cfg(unix)]
#[test]
fn fish_completes_contexts_through_the_committed_script() {
    let (env, config) = kubeconfig_home();
    let Some(mut fish) = shell("fish", &env, &config) else {
        return;
    };
    let out = fish
        .args([
            "--no-config",
            "-c",
            "source $argv[1]; complete -C 'kcurl --context prod-'",
        ])
        .arg(repo_file("completions/kcurl.fish"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout(&out), "prod-eu\nprod-us\n", "{out:?}");
}
