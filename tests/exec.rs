//! exec credential plugins through the real binary: v1 and v1beta1 tokens and client
//! certificates, the client-go-style configuration and output errors, what the plugin receives
//! (args, env, `KUBERNETES_EXEC_INFO`, cluster info, no stdin), how its command is found, when
//! it does not run at all, kcurl's cross-invocation cache (expiry, opt-outs, permissions,
//! corruption, concurrent writers) and the refresh-and-retry-once after a 401.
//!
//! Fake plugins are `#!/bin/sh` scripts written by each test into its fake home; every run
//! appends a line to the plugin's log so tests can count runs. No output may contain a secret.

use crate::support::*;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

const V1: &str = "client.authentication.k8s.io/v1";
const V1BETA1: &str = "client.authentication.k8s.io/v1beta1";

/// A fake exec plugin: `<home>/<relative>`, a `#!/bin/sh` script that appends a line to its
/// log and then runs its body.
struct Plugin {
    path: PathBuf,
    log: PathBuf,
}

impl Plugin {
    fn new(env: &Env, relative: &str, body: &str) -> Plugin {
        let path = env.home().join(relative);
        let log = path.with_extension("calls");
        write_file(
            env.home(),
            relative,
            &format!("#!/bin/sh\necho run >> '{}'\n{body}\n", log.display()),
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        Plugin { path, log }
    }

    /// How many times the plugin has run.
    fn calls(&self) -> usize {
        std::fs::read_to_string(&self.log).map_or(0, |s| s.lines().count())
    }

    /// The command as written in the kubeconfig (absolute path).
    fn command(&self) -> String {
        self.path.display().to_string()
    }

    /// A file next to the plugin, for what it dumps.
    fn file(&self, name: &str) -> PathBuf {
        self.path.parent().unwrap().join(name)
    }
}

/// Shell that prints `json` verbatim.
fn prints(json: &str) -> String {
    format!("cat <<'EOF'\n{json}\nEOF")
}

/// An ExecCredential of `api` with this `status` object.
fn credential(api: &str, status: &str) -> String {
    format!(r#"{{"kind":"ExecCredential","apiVersion":"{api}","spec":{{}},"status":{status}}}"#)
}

/// A token status, with `expirationTimestamp` when `expires` is given.
fn token_status(token: &str, expires: Option<&str>) -> String {
    match expires {
        Some(t) => format!(r#"{{"token":"{token}","expirationTimestamp":"{t}"}}"#),
        None => format!(r#"{{"token":"{token}"}}"#),
    }
}

/// A plugin printing a v1 token credential.
fn token_plugin(env: &Env, token: &str, expires: Option<&str>) -> Plugin {
    Plugin::new(
        env,
        "plugins/kp",
        &prints(&credential(V1, &token_status(token, expires))),
    )
}

/// `secs` from now as RFC 3339 UTC with whole seconds, as Kubernetes writes it.
fn rfc3339_in(secs: i64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    rfc3339_at(i64::try_from(now).unwrap() + secs)
}

/// Unix time `t` as RFC 3339 UTC.
fn rfc3339_at(t: i64) -> String {
    jiff::Timestamp::from_second(t)
        .unwrap()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A one-context kubeconfig: cluster `test` at `server` with the test CA plus `cluster_extra`
/// (indented lines), user `dev` whose entry is the YAML flow mapping `user`.
fn kubeconfig(server: &str, pki: &Pki, cluster_extra: &str, user: &str) -> String {
    KubeconfigBuilder::single_context(server, &pki.ca.cert, user)
        .cluster_yaml(cluster_extra)
        .build()
}

/// The user entry `{exec: {apiVersion: api, command: 'command', <extra>}}`.
fn exec_user(api: &str, command: &str, extra: &str) -> String {
    format!("{{exec: {{apiVersion: {api}, command: '{command}'{extra}}}}}")
}

/// Writes `~/.kube/config` for `server` with a v1 exec user running `plugin` (interactiveMode
/// Never).
fn write_exec_config(env: &Env, pki: &Pki, server: &Server, plugin: &Plugin) -> PathBuf {
    env.write(
        ".kube/config",
        &kubeconfig(
            &server.url(),
            pki,
            "",
            &exec_user(V1, &plugin.command(), ", interactiveMode: Never"),
        ),
    )
}

/// kcurl's exec cache folder under the fake home (`XDG_CACHE_HOME` is `<home>/.cache`).
fn cache_dir(env: &Env) -> PathBuf {
    env.home().join(".cache/kcurl/exec")
}

/// The names of the entries of `dir`, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The one cache file (panics unless there is exactly one entry, a `.json` file).
fn the_cache_file(env: &Env) -> PathBuf {
    let names = entries(&cache_dir(env));
    assert!(
        names.len() == 1 && names[0].ends_with(".json"),
        "expected one cache file, found {names:?}"
    );
    cache_dir(env).join(&names[0])
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// The `Authorization` headers of every request the server received, in order.
fn authorizations(server: &Server) -> Vec<Option<String>> {
    server
        .requests()
        .iter()
        .map(|r| r.header("authorization").map(str::to_owned))
        .collect()
}

fn bearer(token: &str) -> Option<String> {
    Some(format!("Bearer {token}"))
}

#[test]
fn rfc3339_helper_formats_known_times() {
    assert_eq!(rfc3339_at(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339_at(951_868_800), "2000-03-01T00:00:00Z");
    assert_eq!(rfc3339_at(1_795_946_400), "2026-11-29T10:00:00Z");
    assert_eq!(rfc3339_at(1_709_164_799), "2024-02-28T23:59:59Z");
}

#[test]
fn v1_and_v1beta1_tokens_are_sent() {
    for (api, mode) in [
        (V1, ", interactiveMode: Never"),
        (V1, ", interactiveMode: IfAvailable"),
        (V1BETA1, ""), // interactiveMode defaults to IfAvailable for v1beta1
    ] {
        let (pki, env) = (Pki::new(), Env::new());
        let server = ServerBuilder::new(&pki).start();
        let token = format!("tok-{}", api.rsplit('/').next().unwrap());
        let plugin = Plugin::new(
            &env,
            "plugins/kp",
            &prints(&credential(api, &token_status(&token, None))),
        );
        env.write(
            ".kube/config",
            &kubeconfig(
                &server.url(),
                &pki,
                "",
                &exec_user(api, &plugin.command(), mode),
            ),
        );
        let out = run(kcurl(&env).arg("/version"));
        assert_eq!(
            (out.code, out.stderr.as_str()),
            (Some(0), ""),
            "{api}: {out:?}"
        );
        assert_eq!(authorizations(&server), [bearer(&token)], "{api}");
        assert_eq!(plugin.calls(), 1);
        assert_no_secret(&out, &[&token]);
    }
}

#[test]
fn client_certificate_from_the_plugin_is_used_for_mtls_and_cached() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).require_client_cert().start();
    let client = pki.client_cert("exec-user", Some("system:masters"), KeyKind::EcP256Sec1);
    let status = format!(
        r#"{{"clientCertificateData":{},"clientKeyData":{},"expirationTimestamp":"{}"}}"#,
        json_string(&client.cert_pem),
        json_string(&client.key_pem),
        rfc3339_in(3600)
    );
    let plugin = Plugin::new(&env, "plugins/kp", &prints(&credential(V1, &status)));
    write_exec_config(&env, &pki, &server, &plugin);
    // The key's base64 body lines: none may be printed.
    let key_lines: Vec<&str> = client
        .key_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    for _ in 0..2 {
        let out = run(kcurl(&env).arg("/version"));
        assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
        assert_no_secret(&out, &key_lines);
    }
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    for req in &reqs {
        assert_eq!(
            req.client_cert_der.as_deref(),
            Some(client.cert_der.as_slice())
        );
        assert_eq!(req.header("authorization"), None);
    }
    assert_eq!(
        plugin.calls(),
        1,
        "the second run used the cached certificate"
    );
    assert!(
        server.handshake_errors().is_empty(),
        "{:?}",
        server.handshake_errors()
    );
}

#[test]
fn configuration_errors_read_like_client_go_and_send_nothing() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    // Configured for v1, the plugin answers v1beta1.
    let plugin = Plugin::new(
        &env,
        "plugins/kp",
        &prints(&credential(V1BETA1, &token_status("tok-mismatch", None))),
    );
    let cmd = plugin.command();
    let place = "kcurl: error: ~/.kube/config: users[\"dev\"].exec";
    let cases = [
        (
            exec_user(V1, &cmd, ", interactiveMode: Never"),
            format!(
                "{place}: the plugin is configured to use API version {V1}, \"{cmd}\" returned \
                 version \"{V1BETA1}\"\n"
            ),
            1,
        ),
        (
            exec_user(
                "client.authentication.k8s.io/v1alpha1",
                &cmd,
                ", interactiveMode: Never",
            ),
            format!(
                "{place}.apiVersion: client.authentication.k8s.io/v1alpha1 is no longer \
                 supported (removed in Kubernetes 1.24); use {V1} or {V1BETA1}\n"
            ),
            0,
        ),
        (
            exec_user("client.authentication.k8s.io/v2", &cmd, ""),
            format!(
                "{place}.apiVersion: \"client.authentication.k8s.io/v2\" is not supported; use \
                 {V1} or {V1BETA1}\n"
            ),
            0,
        ),
        (
            exec_user(V1, &cmd, ""),
            format!(
                "{place}.interactiveMode: missing; {V1} requires it: use Never, IfAvailable or \
                 Always\n"
            ),
            0,
        ),
        (
            exec_user(V1, &cmd, ", interactiveMode: Always"),
            format!(
                "{place}: interactiveMode is Always but stdin is not a terminal; run kcurl from a \
                 terminal so the plugin can prompt\n"
            ),
            0,
        ),
        (
            format!("{{exec: {{command: '{cmd}', interactiveMode: Never}}}}"),
            format!(
                "{place}.apiVersion: missing; use {V1} (or {V1BETA1}, if the plugin needs it)\n"
            ),
            0,
        ),
    ];
    for (user, expected, runs) in cases {
        let before = plugin.calls();
        env.write(".kube/config", &kubeconfig(&server.url(), &pki, "", &user));
        let out = run(kcurl(&env).arg("/version"));
        assert_eq!(out.code, Some(1), "{user}: {out:?}");
        assert_eq!(out.stderr, expected, "{user}");
        assert_eq!(out.stdout, "");
        assert_eq!(plugin.calls() - before, runs, "{user}: plugin runs");
        assert_no_secret(&out, &["tok-mismatch"]);
    }
    assert!(server.requests().is_empty());
}

#[test]
fn a_missing_plugin_error_includes_the_install_hint() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    env.write(
        ".kube/config",
        &kubeconfig(
            &server.url(),
            &pki,
            "",
            &format!(
                "{{exec: {{apiVersion: {V1}, command: kcurl-test-no-such-plugin, \
                 interactiveMode: Never, installHint: \"kcurl-test-no-such-plugin is required.\\n  \
                 Install it with: brew install kcurl-test\\n\"}}}}"
            ),
        ),
    );
    let out = run(kcurl(&env).arg("/version"));
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "kcurl: error: ~/.kube/config: users[\"dev\"].exec.command: cannot run \
         \"kcurl-test-no-such-plugin\": not found on PATH; kcurl-test-no-such-plugin is \
         required. Install it with: brew install kcurl-test\n"
    );
    assert!(server.requests().is_empty());
}

#[test]
fn a_failing_plugin_shows_its_own_message_and_exit_code() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let plugin = Plugin::new(
        &env,
        "plugins/kp",
        "echo 'kp: your SSO session has expired; run: kp login' >&2\nexit 3",
    );
    write_exec_config(&env, &pki, &server, &plugin);
    let out = run(kcurl(&env).arg("/version"));
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "kp: your SSO session has expired; run: kp login\n\
             kcurl: error: ~/.kube/config: users[\"dev\"].exec: \"{}\" failed with exit code 3 \
             (see its message above)\n",
            plugin.command()
        )
    );
    assert_eq!(out.stdout, "");
    assert!(server.requests().is_empty(), "no unauthenticated request");
}

#[test]
fn invalid_plugin_output_is_reported_without_echoing_it() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let cases = [
        (
            "echo 'Bearer tok-garbage-77 (not json)'".to_owned(),
            "the output of \"CMD\" is not a valid ExecCredential: not JSON (error at line 1 \
             column 1)",
        ),
        (
            prints(r#"{"token":"tok-garbage-77"}"#),
            "the output of \"CMD\" is not a valid ExecCredential: apiVersion is missing",
        ),
        (
            prints(&credential(
                V1,
                r#"{"expirationTimestamp":"tok-garbage-77"}"#,
            )),
            "the output of \"CMD\" is not a valid ExecCredential: status.expirationTimestamp is \
             not an RFC 3339 time",
        ),
        (
            prints(&credential(V1, "{}")),
            "\"CMD\" returned neither a token nor a client certificate and key (status.token, or \
             status.clientCertificateData and status.clientKeyData)",
        ),
        (
            String::new(),
            "the output of \"CMD\" is not a valid ExecCredential: it is empty",
        ),
    ];
    for (body, message) in cases {
        let plugin = Plugin::new(&env, "plugins/kp", &body);
        write_exec_config(&env, &pki, &server, &plugin);
        let out = run(kcurl(&env).arg("/version"));
        assert_eq!(out.code, Some(1), "{body}: {out:?}");
        assert_eq!(
            out.stderr,
            format!(
                "kcurl: error: ~/.kube/config: users[\"dev\"].exec: {}\n",
                message.replace("CMD", &plugin.command())
            ),
            "{body}"
        );
        assert_no_secret(&out, &["tok-garbage-77"]);
    }
    assert!(server.requests().is_empty());
}

#[test]
fn plugin_gets_its_args_env_and_exec_info_but_not_stdin() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki)
        .handler(|_| Reply::json(201, "{}"))
        .start();
    let body = format!(
        "printf '%s\\n' \"$@\" > '{args}'\n\
         printf '%s|%s|%s' \"$KCURL_TEST_A\" \"$KCURL_TEST_SECRET\" \"$HOME\" > '{vars}'\n\
         printf '%s' \"$KUBERNETES_EXEC_INFO\" > '{info}'\n\
         readlink /proc/self/fd/0 > '{stdin_is}' 2>/dev/null\n\
         cat > '{stdin}'\n\
         {}",
        prints(&credential(V1, &token_status("tok-env", None))),
        args = env.home().join("plugins/args").display(),
        vars = env.home().join("plugins/vars").display(),
        info = env.home().join("plugins/info").display(),
        stdin = env.home().join("plugins/stdin").display(),
        stdin_is = env.home().join("plugins/stdin-is").display(),
    );
    let plugin = Plugin::new(&env, "plugins/kp", &body);
    env.write(
        ".kube/config",
        &kubeconfig(
            &server.url(),
            &pki,
            "",
            &exec_user(
                V1,
                &plugin.command(),
                ", interactiveMode: IfAvailable, args: [--flag, 'two words'], \
                 env: [{name: KCURL_TEST_A, value: alpha}, \
                 {name: KCURL_TEST_SECRET, value: env-secret-v}]",
            ),
        ),
    );
    // The body comes from kcurl's stdin: the (non-interactive) plugin must not consume it.
    let out = run(kcurl(&env)
        .args(["-d", "@-", "/api/v1/namespaces/default/pods"])
        .write_stdin(r#"{"from":"stdin"}"#));
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
    let read = |name: &str| std::fs::read_to_string(plugin.file(name)).unwrap();
    assert_eq!(read("args"), "--flag\ntwo words\n");
    assert_eq!(
        read("vars"),
        format!("alpha|env-secret-v|{}", env.home().display())
    );
    assert_eq!(
        read("info"),
        format!(
            r#"{{"kind":"ExecCredential","apiVersion":"{V1}","spec":{{"interactive":false}}}}"#
        )
    );
    assert_eq!(read("stdin"), "");
    if Path::new("/proc/self/fd/0").exists() {
        assert_eq!(
            read("stdin-is"),
            "/dev/null\n",
            "stdin is not handed to the plugin"
        );
    }
    let req = server.only_request();
    assert_eq!(req.body_str(), r#"{"from":"stdin"}"#);
    assert_eq!(req.header("authorization"), Some("Bearer tok-env"));
    assert_no_secret(&out, &["tok-env", "env-secret-v"]);
}

#[test]
fn provide_cluster_info_hands_the_plugin_the_cluster() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let info = env.home().join("plugins/info");
    let plugin = Plugin::new(
        &env,
        "plugins/kp",
        &format!(
            "printf '%s' \"$KUBERNETES_EXEC_INFO\" > '{}'\n{}",
            info.display(),
            prints(&credential(V1, &token_status("tok-cluster", None)))
        ),
    );
    let cluster_extra = "    tls-server-name: localhost
    extensions:
    - name: something-else
      extension: {ignored: true}
    - name: client.authentication.k8s.io/exec
      extension: {audience: sts.test, nested: {n: 1, list: [a, b]}}
";
    env.write(
        ".kube/config",
        &kubeconfig(
            &server.url(),
            &pki,
            cluster_extra,
            &exec_user(
                V1,
                &plugin.command(),
                ", interactiveMode: Never, provideClusterInfo: true",
            ),
        ),
    );
    let out = run(kcurl(&env).arg("/version"));
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
    let got: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&info).unwrap()).unwrap();
    let want = serde_json::json!({
        "kind": "ExecCredential",
        "apiVersion": V1,
        "spec": {
            "cluster": {
                "server": server.url(),
                "tls-server-name": "localhost",
                "certificate-authority-data": b64(&pki.ca.cert_pem),
                "config": {"audience": "sts.test", "nested": {"n": 1, "list": ["a", "b"]}},
            },
            "interactive": false,
        },
    });
    assert_eq!(got, want);
    assert_eq!(server.only_request().sni.as_deref(), Some("localhost"));
    assert_no_secret(&out, &["tok-cluster"]);
}

#[test]
fn command_with_a_separator_is_relative_to_the_kubeconfig_and_a_bare_name_uses_path() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let token = |t: &str| prints(&credential(V1, &token_status(t, None)));
    let right = Plugin::new(&env, "conf/bin/kp", &token("tok-next-to-kubeconfig"));
    // Decoys: relative to the working directory (the home), and a bare name there.
    let wrong = Plugin::new(&env, "bin/kp", &token("tok-cwd"));
    let on_path = Plugin::new(&env, "path-bin/kcurl-test-kp", &token("tok-on-path"));
    let beside = Plugin::new(&env, "conf/kcurl-test-kp", &token("tok-beside"));
    let user = |command: &str| exec_user(V1, command, ", interactiveMode: Never");
    let config = env.write(
        "conf/config",
        &kubeconfig(&server.url(), &pki, "", &user("bin/kp")),
    );
    let out = run(kcurl(&env).arg("--kubeconfig").arg(&config).arg("/version"));
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
    assert_eq!((right.calls(), wrong.calls()), (1, 0));

    env.write(
        "conf/config",
        &kubeconfig(&server.url(), &pki, "", &user("kcurl-test-kp")),
    );
    let path = std::env::join_paths(
        std::iter::once(env.home().join("path-bin"))
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let out = run(kcurl(&env)
        .env("PATH", path)
        .arg("--kubeconfig")
        .arg(&config)
        .arg("/version"));
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
    assert_eq!((on_path.calls(), beside.calls()), (1, 0));
    assert_eq!(
        authorizations(&server),
        [bearer("tok-next-to-kubeconfig"), bearer("tok-on-path")]
    );
}

#[test]
fn explicit_credentials_disable_the_plugin() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).request_client_cert().start();
    let plugin = token_plugin(&env, "tok-should-not-run", None);
    let client = pki.client_cert("dev", None, KeyKind::EcP256Pkcs8);
    let exec = format!(
        "exec: {{apiVersion: {V1}, command: '{}', interactiveMode: Never}}",
        plugin.command()
    );
    let cases = [
        (
            format!("{{token: tok-explicit, {exec}}}"),
            vec![],
            bearer("tok-explicit"),
            false,
        ),
        (
            format!("{{{exec}}}"),
            vec!["--token", "tok-flag"],
            bearer("tok-flag"),
            false,
        ),
        (
            format!("{{username: admin, password: pw-basic, {exec}}}"),
            vec![],
            Some("Basic YWRtaW46cHctYmFzaWM=".to_owned()),
            false,
        ),
        (
            format!(
                "{{client-certificate: {}, client-key: {}, {exec}}}",
                client.cert.display(),
                client.key.display()
            ),
            vec![],
            None,
            true,
        ),
    ];
    for (user, flags, authorization, cert) in cases {
        env.write(".kube/config", &kubeconfig(&server.url(), &pki, "", &user));
        let out = run(kcurl(&env).args(flags).arg("/version"));
        assert_eq!(
            (out.code, out.stderr.as_str()),
            (Some(0), ""),
            "{user}: {out:?}"
        );
        let req = server.requests().pop().unwrap();
        assert_eq!(
            req.header("authorization").map(str::to_owned),
            authorization,
            "{user}"
        );
        assert_eq!(req.client_cert_der.is_some(), cert, "{user}");
        assert_no_secret(
            &out,
            &["tok-explicit", "tok-flag", "pw-basic", "tok-should-not-run"],
        );
    }
    assert_eq!(plugin.calls(), 0);
}

#[test]
fn a_credential_with_an_expiry_is_reused_across_runs() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let plugin = token_plugin(&env, "tok-cached", Some(&rfc3339_in(3600)));
    write_exec_config(&env, &pki, &server, &plugin);
    for _ in 0..2 {
        let out = run(kcurl(&env).arg("/version"));
        assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
        assert_no_secret(&out, &["tok-cached"]);
    }
    assert_eq!(plugin.calls(), 1);
    assert_eq!(
        authorizations(&server),
        [bearer("tok-cached"), bearer("tok-cached")]
    );
}

#[test]
fn credentials_without_expiry_or_about_to_expire_are_not_reused() {
    for expires in [None, Some(rfc3339_in(30))] {
        let (pki, env) = (Pki::new(), Env::new());
        let server = ServerBuilder::new(&pki).start();
        let plugin = token_plugin(&env, "tok-short", expires.as_deref());
        write_exec_config(&env, &pki, &server, &plugin);
        for _ in 0..2 {
            let out = run(kcurl(&env).arg("/version"));
            assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
            assert_no_secret(&out, &["tok-short"]);
        }
        assert_eq!(plugin.calls(), 2, "expires: {expires:?}");
        assert_eq!(
            authorizations(&server),
            [bearer("tok-short"), bearer("tok-short")]
        );
        assert!(!cache_dir(&env).exists(), "nothing cached for {expires:?}");
    }
}

#[test]
fn no_cache_flag_and_variable_turn_the_cache_off() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let plugin = token_plugin(&env, "tok-nocache", Some(&rfc3339_in(3600)));
    write_exec_config(&env, &pki, &server, &plugin);
    let runs = [
        (Some("--no-cache"), None),
        (None, Some("1")),
        (None, Some("true")),
    ];
    for (flag, var) in runs {
        for _ in 0..2 {
            let mut cmd = kcurl(&env);
            cmd.args(flag);
            if let Some(v) = var {
                cmd.env("KCURL_NO_CACHE", v);
            }
            let out = run(cmd.arg("/version"));
            assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
            assert_no_secret(&out, &["tok-nocache"]);
        }
    }
    assert_eq!(plugin.calls(), 6);
    assert!(
        !cache_dir(&env).exists(),
        "nothing written with the cache off"
    );

    // KCURL_NO_CACHE=0 leaves it on.
    for _ in 0..2 {
        let out = run(kcurl(&env).env("KCURL_NO_CACHE", "0").arg("/version"));
        assert_eq!(out.code, Some(0), "{out:?}");
    }
    assert_eq!(plugin.calls(), 7);
    assert_eq!(server.requests().len(), 8);
}

#[test]
fn cache_folder_is_0700_and_its_file_0600() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let plugin = token_plugin(&env, "tok-private", Some(&rfc3339_in(3600)));
    write_exec_config(&env, &pki, &server, &plugin);
    let out = run(kcurl(&env).arg("/version"));
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(mode(&cache_dir(&env)), 0o700);
    assert_eq!(mode(&env.home().join(".cache/kcurl")), 0o700);
    let file = the_cache_file(&env);
    assert_eq!(mode(&file), 0o600);
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(stored["token"], "tok-private");
    assert_no_secret(&out, &["tok-private"]);
}

#[test]
fn a_corrupted_cache_file_is_a_miss_and_is_rewritten() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let plugin = token_plugin(&env, "tok-rewritten", Some(&rfc3339_in(3600)));
    write_exec_config(&env, &pki, &server, &plugin);
    let ok = |env: &Env| {
        let out = run(kcurl(env).arg("/version"));
        assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
        assert_no_secret(&out, &["tok-rewritten"]);
    };
    ok(&env);
    let file = the_cache_file(&env);
    std::fs::write(&file, "{\"format\":1,\"expirationTim\u{0}garbage").unwrap();
    assert_eq!(mode(&file), 0o600, "still private: only the content is bad");
    ok(&env);
    assert_eq!(plugin.calls(), 2, "the corrupted file was a miss");
    assert_eq!(the_cache_file(&env), file);
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(stored["token"], "tok-rewritten");
    ok(&env);
    assert_eq!(plugin.calls(), 2, "the rewritten file is a hit");
    assert_eq!(server.requests().len(), 3);
}

/// A plugin that returns `tok-1`, `tok-2`, … on successive runs.
fn counting_plugin(env: &Env, expires: Option<&str>) -> Plugin {
    let count = env.home().join("plugins/count");
    let status = match expires {
        Some(t) => format!(r#"{{"token":"tok-$n","expirationTimestamp":"{t}"}}"#),
        None => r#"{"token":"tok-$n"}"#.to_owned(),
    };
    Plugin::new(
        env,
        "plugins/kp",
        &format!(
            "n=$(cat '{count}' 2>/dev/null || echo 0)\nn=$((n + 1))\necho \"$n\" > '{count}'\n\
             cat <<EOF\n{}\nEOF",
            credential(V1, &status),
            count = count.display()
        ),
    )
}

#[test]
fn a_401_reruns_the_plugin_and_retries_once_with_the_same_body() {
    for expires in [Some(rfc3339_in(3600)), None] {
        let (pki, env) = (Pki::new(), Env::new());
        let server = ServerBuilder::new(&pki)
            .handler(|req| match req.header("authorization") {
                Some("Bearer tok-1") => status_reply(401, "Unauthorized", "Unauthorized"),
                _ => Reply::json(201, r#"{"kind":"Pod"}"#),
            })
            .start();
        let plugin = counting_plugin(&env, expires.as_deref());
        write_exec_config(&env, &pki, &server, &plugin);
        let out = run(kcurl(&env).args(["-d", r#"{"a":1}"#, "/api/v1/namespaces/default/pods"]));
        assert_eq!(out.code, Some(0), "{expires:?}: {out:?}");
        assert_eq!(out.stdout, "{\n  \"kind\": \"Pod\"\n}\n");
        assert_eq!(out.stderr, "");
        assert_eq!(plugin.calls(), 2);
        let reqs = server.requests();
        assert_eq!(authorizations(&server), [bearer("tok-1"), bearer("tok-2")]);
        for req in &reqs {
            assert_eq!(req.method, "POST");
            assert_eq!(req.target, "/api/v1/namespaces/default/pods");
            assert_eq!(req.body, br#"{"a":1}"#);
            assert_eq!(req.header("content-type"), Some("application/json"));
        }
        assert_no_secret(&out, &["tok-1", "tok-2"]);

        // The refreshed credential replaced the rejected one in the cache.
        let out = run(kcurl(&env).arg("/version"));
        assert_eq!(out.code, Some(0), "{out:?}");
        let third = server.requests().pop().unwrap();
        if expires.is_some() {
            assert_eq!(plugin.calls(), 2);
            assert_eq!(third.header("authorization"), Some("Bearer tok-2"));
        } else {
            assert_eq!(plugin.calls(), 3);
            assert_eq!(third.header("authorization"), Some("Bearer tok-3"));
        }
    }
}

#[test]
fn a_persistent_401_exits_4_after_exactly_one_retry_and_a_403_is_not_retried() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki)
        .handler(|req| match req.path() {
            "/forbidden" => status_reply(403, "Forbidden", "nope"),
            _ => status_reply(401, "Unauthorized", "Unauthorized"),
        })
        .start();
    let plugin = counting_plugin(&env, Some(&rfc3339_in(3600)));
    write_exec_config(&env, &pki, &server, &plugin);
    let out = run(kcurl(&env).args(["-d", "{}", "/api"]));
    assert_eq!(out.code, Some(4), "{out:?}");
    assert_eq!(
        out.stderr,
        "kcurl: 401 Unauthorized: Unauthorized: the server rejected the exec plugin's credential, \
         also after running the plugin again: log in again with the plugin's tool (kcurl -v names \
         it)\n"
    );
    assert_eq!(
        out.stdout,
        "{\n  \"kind\": \"Status\",\n  \"apiVersion\": \"v1\",\n  \"metadata\": {},\n  \
         \"status\": \"Failure\",\n  \"message\": \"Unauthorized\",\n  \"reason\": \
         \"Unauthorized\",\n  \"details\": {},\n  \"code\": 401\n}\n"
    );
    assert_eq!(plugin.calls(), 2);
    assert_eq!(authorizations(&server), [bearer("tok-1"), bearer("tok-2")]);
    assert_no_secret(&out, &["tok-1", "tok-2"]);

    let out = run(kcurl(&env).arg("/forbidden"));
    assert_eq!(out.code, Some(4), "{out:?}");
    assert_eq!(out.stderr, "kcurl: 403 Forbidden: nope\n");
    assert_eq!(plugin.calls(), 2, "a 403 is not a stale credential");
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn concurrent_runs_with_an_empty_cache_all_succeed() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let plugin = token_plugin(&env, "tok-race", Some(&rfc3339_in(3600)));
    write_exec_config(&env, &pki, &server, &plugin);
    let children: Vec<_> = (0..6)
        .map(|_| {
            kcurl_std(&env)
                .arg("/version")
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("start kcurl")
        })
        .collect();
    for child in children {
        let out = Out::from(child.wait_with_output().unwrap());
        assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
        assert_no_secret(&out, &["tok-race"]);
    }
    assert_eq!(authorizations(&server), vec![bearer("tok-race"); 6]);
    let runs = plugin.calls();
    assert!((1..=6).contains(&runs), "{runs} plugin runs");
    // One complete file, no temp files left behind, and it is a hit.
    let file = the_cache_file(&env);
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(stored["token"], "tok-race");
    let out = run(kcurl(&env).arg("/version"));
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(plugin.calls(), runs);
}

#[test]
fn a_plugin_that_never_exits_is_killed_at_the_timeout() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let pid_file = env.home().join("plugins/pid");
    let plugin = Plugin::new(
        &env,
        "plugins/kp",
        &format!("echo $$ > '{}'\nexec sleep 1000", pid_file.display()),
    );
    write_exec_config(&env, &pki, &server, &plugin);
    let out = run(kcurl(&env).args(["--timeout", "1", "/version"]));
    assert_eq!(out.code, Some(10), "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "kcurl: error: ~/.kube/config: users[\"dev\"].exec: \"{}\" did not finish within 1s \
             (--timeout); it was stopped\n",
            plugin.command()
        )
    );
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    assert!(
        !Path::new(&format!("/proc/{}", pid.trim())).exists(),
        "the plugin (pid {pid}) still runs"
    );
    assert!(server.requests().is_empty());
}

#[test]
fn plugin_output_is_capped() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let plugin = Plugin::new(
        &env,
        "plugins/kp",
        "exec yes '{\"kind\":\"ExecCredential\"}'",
    );
    write_exec_config(&env, &pki, &server, &plugin);
    let out = run(kcurl(&env).arg("/version"));
    assert_eq!(out.code, Some(10), "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "kcurl: error: ~/.kube/config: users[\"dev\"].exec: \"{}\" printed more than 1 MiB on \
             stdout; it was stopped\n",
            plugin.command()
        )
    );
}

#[test]
fn a_bare_command_is_not_run_from_the_current_directory_through_an_empty_path_entry() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    // In the working directory (the fake home), as a planted file would be.
    let plugin = Plugin::new(
        &env,
        "kcurl-test-local-kp",
        &prints(&credential(V1, &token_status("tok-local", None))),
    );
    env.write(
        ".kube/config",
        &kubeconfig(
            &server.url(),
            &pki,
            "",
            &exec_user(V1, "kcurl-test-local-kp", ", interactiveMode: Never"),
        ),
    );
    for path in [":/usr/bin:/bin", "/usr/bin:.:/bin"] {
        let out = run(kcurl(&env).env("PATH", path).arg("/version"));
        assert_eq!(out.code, Some(1), "{path}: {out:?}");
        assert_eq!(
            out.stderr,
            format!(
                "kcurl: error: ~/.kube/config: users[\"dev\"].exec.command: cannot run \
                 \"kcurl-test-local-kp\": found as ./kcurl-test-local-kp through a relative or empty PATH \
                 entry, which kubectl refuses to run too; give its absolute path\n"
            ),
            "{path}"
        );
    }
    assert_eq!(plugin.calls(), 0);
    assert!(server.requests().is_empty());
}

#[test]
fn a_usage_error_runs_no_plugin_and_says_nothing_else() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let plugin = token_plugin(&env, "tok", None);
    // TLS verification off: a run that reached the cluster would warn about it first.
    env.write(
        ".kube/config",
        &format!(
            "apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {{server: '{}', insecure-skip-tls-verify: true}}
users:
- name: dev
  user: {}
contexts:
- name: test
  context: {{cluster: test, user: dev}}
current-context: test
",
            server.url(),
            exec_user(V1, &plugin.command(), ", interactiveMode: Never")
        ),
    );
    for (args, line) in [
        (
            &["-X", "POST", "--paginate", "/api/v1/pods"][..],
            "--paginate follows list pages with GET, not -X POST",
        ),
        (
            &["-X", "POST", "--until", ".ok", "/api/v1/pods/x"][..],
            "--until and --until-deleted poll with GET, not -X POST",
        ),
        (
            &["-d", "{}", "--until-deleted", "/api/v1/pods/x"][..],
            "--until and --until-deleted poll with GET, not -X POST",
        ),
        (
            &["/api/v1/pods#x"][..],
            "\"/api/v1/pods#x\": '#' starts a URL fragment, which is never sent to the server; \
             write %23 if it belongs to the path or query",
        ),
        (
            &["https://u:p@127.0.0.1/api"][..],
            "the URL holds a user name or password (user:password@HOST), which kcurl never \
             sends; put credentials in the kubeconfig user, or use -H 'Authorization: …'",
        ),
    ] {
        let out = run(kcurl(&env).args(args));
        assert_eq!(out.code, Some(2), "{args:?}: {out:?}");
        assert_eq!(out.stdout, "");
        assert_eq!(out.stderr, format!("kcurl: error: {line}\n"), "{args:?}");
        assert_eq!(plugin.calls(), 0, "{args:?}: the plugin ran");
    }
    assert!(server.requests().is_empty());
}
