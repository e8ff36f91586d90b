//! Kubeconfig parsing, merging, selection, validation and credential resolution, end to end up to
//! (and including) building the TLS configuration, without running any plugin or touching the
//! network.
//!
//! Input: byte 0 holds flags, the rest is split at NUL bytes into up to three kubeconfig files
//! (merged in order, as a `KUBECONFIG` list) followed by values for the flags that bits 0–4 turn
//! on: `--context`, `--cluster`, `--user`, `--server`, `--token` (bit 5: `--insecure`, bit 6:
//! `--as`). Relative paths resolve against a scratch directory holding a token file, an empty
//! file, a CA certificate and a non-PEM file; any other path is redirected there, so no input
//! can make the target read `/dev/zero` or block on a FIFO.
//!
//! Exec plugins are never run: a configuration that passes validation gets `interactiveMode:
//! Always`, which fails before running anything when stdin is not a terminal (the fuzzer
//! refuses to start on a terminal stdin for that reason).
//!
//! Checks: no panic; `Debug` of the merged kubeconfig and of the resolved target does not depend
//! on any secret value (it must be the same with every secret replaced).
#![no_main]

use std::io::IsTerminal;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

use clap::Parser;
use kcurl::auth::{HttpAuth, Secret};
use kcurl::cli::Args;
use kcurl::kubeconfig::{self, Kubeconfig};
use kcurl::tls::{Roots, Tls};
use libfuzzer_sys::fuzz_target;

/// A throwaway self-signed CA certificate (public data, no key).
const CA_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBezCCASGgAwIBAgIUf63d0jdj/Q3wjY9c13UohdQ7cswwCgYIKoZIzj0EAwIw
EjEQMA4GA1UEAwwHZnV6ei1jYTAgFw0yNjExMjkwOTUxMjBaGA8yMTI2MTEwNTA5
NTEyMFowEjEQMA4GA1UEAwwHZnV6ei1jYTBZMBMGByqGSM49AgEGCCqGSM49AwEH
A0IABAYvpgmz1L/j6m54B9LiQ79Z4qzRa9unmkoSjI/fTNMrbCyVs3fhr8kPLGco
HB8B3H9PH5F5dCdc/wFIZHtkAMyjUzBRMB0GA1UdDgQWBBTVqC6O6pDn841KuUht
Qa6GMUk/mjAfBgNVHSMEGDAWgBTVqC6O6pDn841KuUhtQa6GMUk/mjAPBgNVHRMB
Af8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIBdvfzu4jmWPrtesO3HGEtIu1Zpl
xjiXsGbY+byfwm8/AiEAmpLVe2ysn5ums6vNg4kOQVHw1e9g0712tUoI6LHtjdY=
-----END CERTIFICATE-----
";

/// The scratch directory with the files relative paths can reach.
fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        assert!(
            !std::io::stdin().is_terminal(),
            "run the fuzzer with stdin redirected (</dev/null): exec plugins must never run"
        );
        let dir = std::env::temp_dir().join(format!("kcurl-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        for (name, data) in [
            ("token", "fuzz-token\n"),
            ("empty", ""),
            ("ca.pem", CA_PEM),
            ("notpem", "\u{0}\u{1}not pem"),
        ] {
            std::fs::write(dir.join(name), data).expect("write scratch file");
        }
        dir
    })
}

/// Keeps `path` inside the scratch directory.
fn confine(path: &mut Option<PathBuf>) {
    let dir = scratch();
    if let Some(p) = path
        && (!p.starts_with(dir) || p.components().any(|c| c == Component::ParentDir))
    {
        *p = dir.join("outside");
    }
}

fn confine_all(kc: &mut Kubeconfig) {
    for c in &mut kc.clusters {
        confine(&mut c.value.certificate_authority);
    }
    for u in &mut kc.users {
        confine(&mut u.value.client_certificate);
        confine(&mut u.value.client_key);
        confine(&mut u.value.token_file);
        if let Some(exec) = &mut u.value.exec
            && kcurl::auth::exec::validate(exec, "fuzz").is_ok()
        {
            exec.interactive_mode = Some("Always".into());
        }
    }
}

/// Replaces every secret in the users with another value.
fn swap_secrets(kc: &mut Kubeconfig) {
    let other = |s: &mut Option<Secret>| {
        if let Some(v) = s {
            *v = Secret::new(format!("{}-other", v.expose()));
        }
    };
    for u in &mut kc.users {
        other(&mut u.value.token);
        other(&mut u.value.password);
        other(&mut u.value.client_key_data);
        if let Some(config) = u
            .value
            .auth_provider
            .as_mut()
            .and_then(|a| a.config.as_mut())
        {
            for v in config.values_mut() {
                *v = Secret::new(format!("{}-other", v.expose()));
            }
        }
        if let Some(env) = u.value.exec.as_mut().and_then(|e| e.env.as_mut()) {
            for e in env {
                e.value = Secret::new(format!("{}-other", e.value.expose()));
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let [flags, rest @ ..] = data else {
        return;
    };
    let mut parts = rest.split(|&b| b == 0);
    let dir = scratch();
    let names = [
        dir.join("config-a"),
        dir.join("config-b"),
        dir.join("config-c"),
    ];
    let files: Vec<(&Path, &[u8])> = names
        .iter()
        .zip(parts.by_ref().take(3))
        .map(|(n, t)| (n.as_path(), t))
        .collect();
    let Ok(mut kc) = kubeconfig::from_texts(&files) else {
        return;
    };
    confine_all(&mut kc);
    let mut swapped = kubeconfig::from_texts(&files).expect("parses twice");
    confine_all(&mut swapped);
    swap_secrets(&mut swapped);
    assert_eq!(
        format!("{kc:?}"),
        format!("{swapped:?}"),
        "Debug of a kubeconfig shows a secret"
    );

    let mut argv = vec!["kcurl".to_string(), "--no-cache".into()];
    for (bit, flag) in [
        (1, "--context"),
        (2, "--cluster"),
        (4, "--user"),
        (8, "--server"),
        (16, "--token"),
        (64, "--as"),
    ] {
        if flags & bit != 0 {
            let value = parts.next().unwrap_or_default();
            argv.push(format!("{flag}={}", String::from_utf8_lossy(value)));
        }
    }
    if flags & 32 != 0 {
        argv.push("--insecure".into());
    }
    argv.push("/api".into());
    let Ok(args) = Args::try_parse_from(&argv) else {
        return;
    };
    let context = args.context.first().map(String::as_str);
    let Ok(target) = kcurl::config::resolve_with(&args, &kc, context) else {
        return;
    };
    // Debug of the target must not depend on the credentials' secret values either.
    let shown = format!("{target:?}");
    let mut other = kcurl::config::resolve_with(&args, &kc, context).expect("resolves twice");
    other.credentials.http = match other.credentials.http.take() {
        Some(HttpAuth::Bearer(t)) => {
            Some(HttpAuth::Bearer(Secret::new(t.expose().to_owned() + "x")))
        }
        Some(HttpAuth::Basic { username, password }) => Some(HttpAuth::Basic {
            username,
            password: Secret::new(password.expose().to_owned() + "x"),
        }),
        None => None,
    };
    for id in [&mut other.credentials.identity, &mut other.tls.identity]
        .into_iter()
        .flatten()
    {
        id.key_pem = Secret::new(id.key_pem.expose().to_owned() + "x");
    }
    assert_eq!(
        shown,
        format!("{other:?}"),
        "Debug of a target shows a secret"
    );
    // The system trust store is slow to load and not fuzz input: build TLS only for PEM roots.
    if matches!(target.tls.roots, Roots::Pem { .. }) {
        let _ = Tls::new(&target.tls);
    }
});
