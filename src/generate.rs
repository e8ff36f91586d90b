//! `--generate`: the man page and the shell completion scripts.
//!
//! The completion scripts are clap_complete's dynamic ("env") registrations: at TAB time the
//! shell runs `KCURL_COMPLETE=<shell> kcurl -- <words>`, and [`complete_from_env`] (the first
//! thing `main` does) answers from the same clap definition that parses the flags, so the
//! scripts never go stale on flags, and `--context`, `--cluster` and `--user` complete the names
//! in the user's kubeconfig (`cli::context_names` …). The man page is clap_mangen's rendering of
//! that definition (every option with its long help) followed by hand-written sections; it has
//! no date, so its bytes only change when the text does.
//!
//! This module owns no flag (`cli` does) and sends nothing: its only I/O is reading the
//! kubeconfig while completing and writing to stdout.

use std::io::{self, Write};

use clap::CommandFactory;
use clap_complete::env::{Bash, CompleteEnv, Elvish, EnvCompleter, Fish, Powershell, Zsh};
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, italic, roman};

use crate::cli::{Args, EXIT_CODES, Generate};
use crate::error::{Error, Result};

/// The environment variable that turns a kcurl run into a completion request.
///
/// Not clap's default `COMPLETE`: that name is generic enough to be set for other reasons (a CI
/// variable), and kcurl would then print completions instead of sending the request.
pub const COMPLETE_VAR: &str = "KCURL_COMPLETE";

/// The command the completion scripts run and complete: `kcurl`, found on PATH.
const BIN: &str = "kcurl";

/// Answer a shell's completion request and exit, when `KCURL_COMPLETE` is set.
///
/// Does nothing (and costs nothing) otherwise. Must run before anything writes to stdout.
pub fn complete_from_env() {
    CompleteEnv::with_factory(Args::command)
        .var(COMPLETE_VAR)
        .bin(BIN)
        .completer(BIN)
        .complete();
}

/// Write the man page or a completion script to stdout.
pub fn write(kind: Generate) -> Result<()> {
    let mut buf = Vec::new();
    render(kind, &mut buf).map_err(Error::Output)?;
    let mut out = io::stdout().lock();
    out.write_all(&buf)
        .and_then(|()| out.flush())
        .map_err(Error::Output)
}

/// Render `kind` into `out`.
pub fn render(kind: Generate, out: &mut dyn Write) -> io::Result<()> {
    let shell: &dyn EnvCompleter = match kind {
        Generate::Man => return man_page(out),
        Generate::CompleteBash => &Bash,
        Generate::CompleteZsh => &Zsh,
        Generate::CompleteFish => &Fish,
        Generate::CompletePowershell => &Powershell,
        Generate::CompleteElvish => &Elvish,
    };
    shell.write_registration(COMPLETE_VAR, BIN, BIN, BIN, out)?;
    if kind == Generate::CompleteZsh {
        // clap's zsh script registers itself with `compdef`, which is right when it is sourced
        // but leaves the first TAB empty when zsh autoloads it from $fpath as `_kcurl`: then
        // this body *is* `_kcurl`, so it must also complete.
        writeln!(
            out,
            "if [[ \"${{funcstack[1]}}\" == _{BIN} ]]; then _clap_dynamic_completer_{BIN} \"$@\"; fi"
        )?;
    }
    Ok(())
}

/// The man page: clap_mangen's title, NAME, SYNOPSIS, DESCRIPTION and option sections, then
/// EXIT STATUS, ENVIRONMENT, FILES, EXAMPLES, SECURITY, SEE ALSO, and VERSION last.
fn man_page(out: &mut dyn Write) -> io::Result<()> {
    let man = Man::new(Args::command());
    // Not `Man::render_title`: it writes the empty date as nothing at all, which shifts the
    // source and manual into the date's place (`.TH KCURL 1  "kcurl 0.1.0"`).
    let title = format!(
        "{preamble}.TH KCURL 1 \"\" \"kcurl {}\" \"User Commands\"\n",
        env!("CARGO_PKG_VERSION"),
        preamble = Roff::new().render(),
    );
    type Part = fn(&Man, &mut dyn Write) -> io::Result<()>;
    let generated: [Part; 4] = [
        Man::render_name_section,
        Man::render_synopsis_section,
        Man::render_description_section,
        Man::render_options_section,
    ];
    let mut parts = vec![title.into_bytes()];
    for part in generated {
        let mut buf = Vec::new();
        part(&man, &mut buf)?;
        parts.push(buf);
    }
    parts.push(extra_sections().render().into_bytes());
    let mut buf = Vec::new();
    man.render_version_section(&mut buf)?;
    parts.push(buf);

    // Every rendered part starts with roff's apostrophe preamble; the page needs it once.
    let preamble = Roff::new().render();
    for (i, part) in parts.iter().enumerate() {
        let body = match part.strip_prefix(preamble.as_bytes()) {
            Some(rest) if i > 0 => rest,
            _ => part,
        };
        out.write_all(body)?;
    }
    Ok(())
}

/// Environment variables kcurl reads: (names, meaning).
const ENVIRONMENT: &[(&[&str], &str)] = &[
    (
        &["KUBECONFIG"],
        "Kubeconfig files to merge, separated by : (; on Windows), as kubectl does: the first \
         file to set a value wins and files that do not exist are skipped. Ignored when \
         --kubeconfig is given; when unset or empty, ~/.kube/config is read.",
    ),
    (
        &["HOME"],
        "The home directory, for ~/.kube/config and the cache directory.",
    ),
    (
        &["NO_COLOR"],
        "When set and not empty, --color=auto does not colour (https://no-color.org).",
    ),
    (&["TERM"], "When dumb, --color=auto does not colour."),
    (
        &["HTTPS_PROXY", "https_proxy"],
        "Proxy for https:// servers (the upper-case name wins), unless the cluster sets \
         proxy-url. A value without a scheme means http://; http, https, socks5 and socks5h \
         proxies work.",
    ),
    (&["HTTP_PROXY", "http_proxy"], "Proxy for http:// servers."),
    (
        &["NO_PROXY", "no_proxy"],
        "Comma-separated hosts not to proxy: host names, domain suffixes (.example.com, \
         *.example.com), IP addresses, CIDR ranges, :port, or * for all. localhost and \
         loopback addresses are never proxied. These are Go's ProxyFromEnvironment rules, which \
         kubectl follows.",
    ),
    (
        &["KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"],
        "Set by Kubernetes in every pod. With both set and no kubeconfig found (or with \
         --in-cluster), kcurl uses the pod's service account and sends the request to \
         https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT.",
    ),
    (
        &["POD_NAMESPACE"],
        "The namespace in a pod; else the service account's namespace file, else default.",
    ),
    (
        &["KCURL_NO_CACHE"],
        "Any value but empty, 0, false, no or off acts as --no-cache: the exec credential cache \
         is neither read nor written.",
    ),
    (
        &["XDG_CACHE_HOME"],
        "An absolute path: the exec credential cache is in $XDG_CACHE_HOME/kcurl/exec \
         (default ~/.cache/kcurl/exec on Linux).",
    ),
    (
        &[COMPLETE_VAR],
        "Set by the shell completion scripts: kcurl then prints completions for the words \
         after -- instead of sending a request. Not for interactive use.",
    ),
];

/// Files kcurl reads or writes: (path, meaning).
fn files() -> [(String, &'static str); 3] {
    [
        (
            "~/.kube/config".into(),
            "The kubeconfig read when --kubeconfig is not given and KUBECONFIG is unset or \
             empty.",
        ),
        (
            "$XDG_CACHE_HOME/kcurl/exec/".into(),
            "The exec credential cache: credentials from exec plugins (aws eks get-token, \
             gke-gcloud-auth-plugin, kubelogin …) that carry an expiry, kept until 60 seconds \
             before they expire instead of running the plugin on every call. One file per \
             plugin configuration, directory mode 0700, files 0600; files with other \
             permissions or owners are ignored. ~/.cache/kcurl/exec/ on Linux, \
             ~/Library/Caches/kcurl/exec/ on macOS. Deleting it is always safe.",
        ),
        (
            format!("{}/", crate::incluster::DEFAULT_DIR),
            "The pod's service account, used in a cluster (see KUBERNETES_SERVICE_HOST): \
             ca.crt, token (read on every run: projected tokens rotate) and namespace. \
             --service-account-dir reads another directory.",
        ),
    ]
}

/// Examples: (what it does, command).
const EXAMPLES: &[(&str, &str)] = &[
    (
        "The server's version, with the current context of ~/.kube/config:",
        "kcurl /version",
    ),
    (
        "Pod names, through jq:",
        "kcurl /api/v1/namespaces/default/pods | jq -r '.items[].metadata.name'",
    ),
    (
        "Another context; the query string is sent as given:",
        "kcurl --context prod '/readyz?verbose'",
    ),
    (
        "Stream every event of a watch as it arrives:",
        "kcurl '/api/v1/namespaces/default/pods?watch=1'",
    ),
    (
        "Delete a pod:",
        "kcurl -X DELETE /api/v1/namespaces/default/pods/web-0",
    ),
    (
        "Create a pod from a file (POST is implied by -d):",
        "kcurl -d @pod.json /api/v1/namespaces/default/pods",
    ),
    (
        "Scale a deployment with a merge patch:",
        "kcurl -X PATCH -H 'Content-Type: application/merge-patch+json' \\\n      \
         -d '{\"spec\":{\"replicas\":3}}' /apis/apps/v1/namespaces/default/deployments/web",
    ),
    (
        "No kubeconfig at all:",
        "kcurl --server https://10.0.0.1:6443 --token \"$TOKEN\" \\\n      \
         --certificate-authority ca.crt /api",
    ),
    (
        "A CI smoke check, with curl's -sSf: nothing on stdout, an error line only on failure, \
         and the exit status 0 only for a 2xx answer:",
        "kcurl -sSf /readyz && echo ready",
    ),
];

/// Security notes, one paragraph each.
const SECURITY: &[&str] = &[
    "--insecure (and insecure-skip-tls-verify: true in a kubeconfig) turns off verification of \
     the server's certificate: the server's identity is not checked, so credentials may be sent \
     to an impostor. kcurl prints a warning on every such run. Prefer \
     --certificate-authority with the cluster's CA.",
    "Credentials are never sent over plain http:// (kubectl withholds them too; kcurl says so on \
     stderr), so kcurl --server http://127.0.0.1:8001 works through kubectl proxy without \
     exposing a token. Credentials go only to the cluster's own scheme, host and port; any other \
     URL is sent without them, and redirects are never followed.",
    "A token given with --token is visible to other local users in the process list; keep \
     long-lived tokens in a kubeconfig (token or tokenFile).",
    "The exec credential cache holds live credentials: it is as sensitive as a kubeconfig. Turn \
     it off with --no-cache or KCURL_NO_CACHE=1.",
    "Tokens, passwords and keys never appear in output or error messages, and text from the \
     server is stripped of terminal control characters before it reaches stderr.",
];

/// The hand-written sections that follow the generated ones.
fn extra_sections() -> Roff {
    let mut roff = Roff::new();

    roff.control("SH", ["EXIT STATUS"]);
    for line in EXIT_CODES.lines().skip(1) {
        let (code, meaning) = line.trim().split_once(' ').unwrap_or((line.trim(), ""));
        roff.control("TP", []).text([bold(code)]);
        roff.text([roman(meaning.trim())]);
    }

    roff.control("SH", ["ENVIRONMENT"]);
    for (names, meaning) in ENVIRONMENT {
        roff.control("TP", []);
        let mut term = Vec::new();
        for (i, name) in names.iter().enumerate() {
            if i > 0 {
                term.push(roman(", "));
            }
            term.push(bold(*name));
        }
        roff.text(term).text([roman(*meaning)]);
    }

    roff.control("SH", ["FILES"]);
    for (path, meaning) in files() {
        roff.control("TP", [])
            .text([italic(path)])
            .text([roman(meaning)]);
    }

    roff.control("SH", ["EXAMPLES"]);
    for (what, command) in EXAMPLES {
        roff.control("PP", []).text([roman(*what)]);
        roff.control("RS", ["4"]).control("nf", []);
        for line in command.lines() {
            roff.text([roman(line)]);
        }
        roff.control("fi", []).control("RE", []);
    }

    roff.control("SH", ["SECURITY"]);
    for (i, paragraph) in SECURITY.iter().enumerate() {
        if i > 0 {
            roff.control("PP", []);
        }
        roff.text([roman(*paragraph)]);
    }

    roff.control("SH", ["SEE ALSO"]);
    roff.text([
        bold("kubectl"),
        roman("(1), "),
        bold("curl"),
        roman("(1), "),
        bold("jq"),
        roman("(1)"),
    ]);
    roff
}

#[cfg(test)]
mod tests {
    use super::*;

    fn man() -> String {
        let mut buf = Vec::new();
        render(Generate::Man, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn man_page_has_every_section_once_in_order() {
        let page = man();
        let sections: Vec<&str> = page
            .lines()
            .filter_map(|l| l.strip_prefix(".SH "))
            .collect();
        let expected = [
            "NAME",
            "SYNOPSIS",
            "DESCRIPTION",
            "OPTIONS",
            "\"EXIT STATUS\"",
            "ENVIRONMENT",
            "FILES",
            "EXAMPLES",
            "SECURITY",
            "\"SEE ALSO\"",
            "VERSION",
        ];
        let mut at = 0;
        for want in expected {
            let found = sections[at..].iter().position(|s| *s == want);
            assert!(
                found.is_some(),
                "{want} missing or out of order in {sections:?}"
            );
            at += found.unwrap() + 1;
        }
        assert_eq!(page.matches(".ie \\n(.g .ds Aq").count(), 1, "one preamble");
        assert!(page.starts_with(".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n.TH KCURL 1"));
    }

    #[test]
    fn man_page_carries_the_exit_code_table() {
        let page = man();
        for line in EXIT_CODES.lines().skip(1) {
            let (code, meaning) = line.trim().split_once("  ").unwrap();
            let entry = format!(".TP\n\\fB{code}\\fR\n{}\n", meaning.replace('-', "\\-"));
            assert!(page.contains(&entry), "missing {entry:?}");
        }
    }

    #[test]
    fn man_page_has_every_option_with_its_long_help() {
        let page = man();
        let cmd = Args::command();
        for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            if let Some(long) = arg.get_long() {
                let flag = format!("\\fB\\-\\-{}\\fR", long.replace('-', "\\-"));
                assert!(page.contains(&flag), "--{long} missing");
            }
        }
        // --generate is hidden from -h only, and has its long help in the page.
        assert!(page.contains("Needs no kubeconfig."));
        assert!(page.contains("kcurl uses the pod"));
    }
}
