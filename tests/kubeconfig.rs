//! Kubeconfig semantics through the real binary: locating files (--kubeconfig, KUBECONFIG,
//! ~/.kube/config), client-go's merge rules, relative paths, context selection, and the
//! validation errors — each naming the file and field, and sending no request.

use crate::support::*;

fn cluster(name: &str, server: &str, ca: &str) -> String {
    format!("- name: {name}\n  cluster:\n    server: {server}\n    certificate-authority: {ca}\n")
}

/// A file without `apiVersion`/`kind` (client-go needs neither) holding cluster `c` at `server`
/// trusting `ca`, user `u` (the flow mapping `user`) and context `context` (current) joining them.
fn one_context(server: &str, ca: &str, user: &str, context: &str) -> KubeconfigBuilder {
    KubeconfigBuilder::new()
        .without_header()
        .cluster("c", server)
        .ca(ca)
        .user("u", user)
        .context(context, "c", "u")
        .current_context(context)
}

#[test]
fn kubeconfig_list_merges_first_file_wins_per_entry_and_for_current_context() {
    let (pki, env) = (Pki::new(), Env::new());
    let first = ServerBuilder::new(&pki).start();
    let second = ServerBuilder::new(&pki).start();
    let ca = pki.ca.cert.display().to_string();
    let a = one_context(&first.url(), &ca, "{token: from-a}", "ca").write(&env, "a/config");
    let b = one_context(&second.url(), &ca, "{token: from-b}", "cb").write(&env, "b/config");
    let list = std::env::join_paths([&a, &b]).unwrap();
    kcurl(&env)
        .env("KUBECONFIG", &list)
        .arg("/api")
        .assert()
        .code(0);
    assert_eq!(
        first.only_request().header("authorization"),
        Some("Bearer from-a")
    );
    // The context defined only in b still uses a's cluster and user: entries merge by name.
    kcurl(&env)
        .env("KUBECONFIG", &list)
        .args(["--context", "cb", "/api"])
        .assert()
        .code(0);
    assert_eq!(first.requests().len(), 2);
    assert!(second.requests().is_empty());
}

#[test]
fn relative_paths_resolve_against_the_file_that_defines_them() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    std::fs::create_dir_all(env.home().join("conf/certs")).unwrap();
    std::fs::copy(&pki.ca.cert, env.home().join("conf/certs/ca.pem")).unwrap();
    env.write("conf/token", "tok-rel\n");
    let cfg = one_context(&server.url(), "certs/ca.pem", "{tokenFile: token}", "x")
        .write(&env, "conf/kubeconfig");
    // Run from another directory: paths must not be relative to the working directory.
    let elsewhere = tempfile::tempdir().unwrap();
    kcurl(&env)
        .current_dir(elsewhere.path())
        .arg("--kubeconfig")
        .arg(&cfg)
        .arg("/api")
        .assert()
        .code(0);
    assert_eq!(
        server.only_request().header("authorization"),
        Some("Bearer tok-rel")
    );
}

#[test]
fn default_location_json_config_and_null_lists() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let json = format!(
        r#"{{"apiVersion":"v1","kind":"Config","preferences":{{}},"clusters":[{{"name":"c","cluster":{{"server":"{}","certificate-authority-data":"{}"}}}}],"users":null,"contexts":[{{"name":"x","context":{{"cluster":"c"}}}}],"current-context":"x"}}"#,
        server.url(),
        b64(&pki.ca.cert_pem)
    );
    env.write(".kube/config", &json);
    kcurl(&env).arg("/version").assert().code(0).stderr("");
    assert_eq!(server.only_request().header("authorization"), None);
}

#[test]
fn server_path_prefix_is_kept_rancher_style() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    KubeconfigBuilder::new()
        .without_header()
        .cluster("c", &format!("{}/k8s/clusters/c-1/", server.url()))
        .ca(&pki.ca.cert)
        .context_without_user("x", "c")
        .current_context("x")
        .write(&env, ".kube/config");
    kcurl(&env)
        .arg("/api/v1/pods?limit=5&labelSelector=a%3Db")
        .assert()
        .code(4);
    assert_eq!(
        server.only_request().target,
        "/k8s/clusters/c-1/api/v1/pods?limit=5&labelSelector=a%3Db"
    );
}

#[test]
fn context_cluster_and_user_can_be_chosen_on_the_command_line() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let ca = pki.ca.cert.display().to_string();
    KubeconfigBuilder::new()
        .without_header()
        .cluster("dead", "https://127.0.0.1:1")
        .ca(&ca)
        .cluster("live", &server.url())
        .ca(&ca)
        .token_user("a", "ta")
        .token_user("b", "tb")
        .context("x", "dead", "a")
        .current_context("x")
        .write(&env, ".kube/config");
    kcurl(&env)
        .args(["--cluster", "live", "--user", "b", "/api"])
        .assert()
        .code(0);
    assert_eq!(
        server.only_request().header("authorization"),
        Some("Bearer tb")
    );
}

/// Runs kcurl with `config` as ~/.kube/config against a server that must receive nothing.
fn refused(config: &str, args: &[&str]) -> (i32, String) {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let config = config
        .replace("SERVER", &server.url())
        .replace("CAFILE", &pki.ca.cert.display().to_string());
    env.write(".kube/config", &config);
    let out = kcurl(&env).args(args).arg("/api").output().unwrap();
    assert!(server.requests().is_empty(), "no request may be sent");
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        out.status.code().unwrap(),
        stderr.replace(&env.home().display().to_string(), "HOME"),
    )
}

const BASE: &str = "clusters:\n- name: c\n  cluster: {server: SERVER, certificate-authority: CAFILE}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n- name: other\n  context: {cluster: c}\ncurrent-context: x\n";

#[test]
fn validation_errors_name_the_file_and_field_and_send_nothing() {
    let cases: &[(&str, &str)] = &[
        (
            "users:\n- name: u\n  user: {token: t, username: a, password: b}\n",
            "kcurl: error: ~/.kube/config: users[\"u\"]: more than one authentication method: token and username/password are both set; keep only one\n",
        ),
        (
            "users:\n- name: u\n  user: {client-certificate: /x.pem}\n",
            "kcurl: error: ~/.kube/config: users[\"u\"]: client-certificate is set but client-key is not; a client certificate needs its key\n",
        ),
        (
            "users:\n- name: u\n  user: {client-certificate: /a, client-certificate-data: YQ==, client-key: /k}\n",
            "kcurl: error: ~/.kube/config: users[\"u\"]: client-certificate and client-certificate-data are both set; keep only one\n",
        ),
        (
            "users:\n- name: u\n  user: {tokenFile: /nonexistent/token}\n",
            "kcurl: error: ~/.kube/config: users[\"u\"].tokenFile: cannot read /nonexistent/token: no such file\n",
        ),
        (
            "users:\n- name: u\n  user: {as-groups: [g]}\n",
            "kcurl: error: ~/.kube/config: users[\"u\"]: as-uid, as-groups or as-user-extra is set without as (the user to impersonate)\n",
        ),
    ];
    for (users, want) in cases {
        let (code, stderr) = refused(&format!("{BASE}{users}"), &[]);
        assert_eq!(code, 1, "{users}");
        assert_eq!(stderr, *want, "{users}");
    }
}

#[test]
fn cluster_validation_errors() {
    let (code, stderr) = refused(
        "clusters:\n- name: c\n  cluster: {server: SERVER, certificate-authority: CAFILE, certificate-authority-data: YQ==}\ncontexts:\n- name: x\n  context: {cluster: c}\ncurrent-context: x\n",
        &[],
    );
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "kcurl: error: ~/.kube/config: clusters[\"c\"]: certificate-authority and certificate-authority-data are both set; keep only one\n"
    );
    let (code, stderr) = refused(
        "clusters:\n- name: c\n  cluster: {server: SERVER, certificate-authority: CAFILE, insecure-skip-tls-verify: true}\ncontexts:\n- name: x\n  context: {cluster: c}\ncurrent-context: x\n",
        &[],
    );
    assert_eq!(code, 1);
    assert!(
        stderr.contains("insecure-skip-tls-verify is true and a certificate authority is set"),
        "{stderr}"
    );
    let (code, stderr) = refused(
        "clusters:\n- name: c\n  cluster: {certificate-authority: CAFILE}\ncontexts:\n- name: x\n  context: {cluster: c}\ncurrent-context: x\n",
        &[],
    );
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "kcurl: error: ~/.kube/config: clusters[\"c\"]: no server is set; add server: https://HOST:PORT or give --server URL\n"
    );
}

#[test]
fn missing_names_are_errors_that_list_what_exists() {
    let (code, stderr) = refused(&format!("{BASE}users: []\n"), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "kcurl: error: ~/.kube/config: contexts[\"x\"].user: user \"u\" not found in ~/.kube/config; available users: none (kcurl never falls back to sending no credentials)\n"
    );
    let (code, stderr) = refused(&format!("{BASE}users: []\n"), &["--context", "nope"]);
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "kcurl: error: --context: context \"nope\" not found in ~/.kube/config; available contexts: x, other\n"
    );
    let no_current = BASE.replace("current-context: x\n", "");
    let (code, stderr) = refused(&no_current, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "kcurl: error: ~/.kube/config: no current-context is set; use --context NAME (available contexts: x, other)\n"
    );
}

#[test]
fn unreadable_or_invalid_files_are_named() {
    let env = Env::new();
    let missing = env.home().join("nope.yaml");
    kcurl(&env)
        .arg("--kubeconfig")
        .arg(&missing)
        .arg("/api")
        .assert()
        .code(1)
        .stdout("")
        .stderr("kcurl: error: ~/nope.yaml: cannot read kubeconfig: no such file\n");
    env.write(
        ".kube/config",
        "clusters:\n- name: c\n  cluster: [unclosed\n",
    );
    let out = kcurl(&env).arg("/api").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("kcurl: error: ~/.kube/config: invalid kubeconfig: "),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn missing_files_in_the_kubeconfig_list_are_skipped_and_nothing_found_is_explained() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let real = KubeconfigBuilder::new()
        .without_header()
        .cluster("c", &server.url())
        .ca(&pki.ca.cert)
        .context_without_user("x", "c")
        .current_context("x")
        .write(&env, "real");
    let list = std::env::join_paths([env.home().join("gone"), real]).unwrap();
    kcurl(&env)
        .env("KUBECONFIG", &list)
        .arg("/api")
        .assert()
        .code(0);
    // No file at all and not in a pod: one line that says what was tried.
    kcurl(&env)
        .arg("/api")
        .assert()
        .code(1)
        .stderr(
            "kcurl: error: no configuration found: no kubeconfig (~/.kube/config), and not in a pod \
             (KUBERNETES_SERVICE_HOST is not set); use --kubeconfig FILE, set KUBECONFIG, or give --server URL\n",
        );
}

#[test]
fn a_name_listed_twice_in_one_file_is_refused_as_kubectl_does() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let ca = pki.ca.cert.display().to_string();
    env.write(
        ".kube/config",
        &format!(
            "clusters:\n{}{}users:\n- name: u\n  user: {{token: t}}\ncontexts:\n- name: c\n  context: {{cluster: c, user: u}}\ncurrent-context: c\n",
            cluster("c", &server.url(), &ca),
            cluster("c", "https://127.0.0.1:1", &ca)
        ),
    );
    let out = run(kcurl(&env).arg("/api"));
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "kcurl: error: ~/.kube/config: clusters: \"c\" is listed twice; kubectl refuses such a \
         file too: remove or rename one\n"
    );
    assert!(server.requests().is_empty());
}

#[test]
fn a_key_written_twice_keeps_the_last_value_as_kubectl_does() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let ca = pki.ca.cert.display().to_string();
    env.write(
        ".kube/config",
        &format!(
            "clusters:\n{}users:\n- name: u\n  user:\n    token: first\n    token: last\ncontexts:\n- name: c\n  context: {{cluster: c, user: u}}\ncurrent-context: c\n",
            cluster("c", &server.url(), &ca)
        ),
    );
    let out = run(kcurl(&env).arg("/api"));
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
    assert_eq!(
        server.only_request().header("authorization"),
        Some("Bearer last")
    );
}

#[test]
fn a_kubeconfig_with_30000_contexts_is_read() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = ServerBuilder::new(&pki).start();
    let ca = pki.ca.cert.display().to_string();
    let n = 30_000;
    let mut config = KubeconfigBuilder::new().without_header();
    for i in 0..n {
        config = config.cluster(&format!("c{i}"), &server.url()).ca(&ca);
    }
    for i in 0..n {
        config = config.user_yaml(&format!("u{i}"), &format!("    token: tok-{i}\n"));
    }
    for i in 0..n {
        config = config
            .context(&format!("ctx{i}"), &format!("c{i}"), &format!("u{i}"))
            .namespace(&format!("ns-{i}"));
    }
    config
        .current_context(&format!("ctx{}", n - 1))
        .write(&env, ".kube/config");
    let out = run(kcurl(&env).arg("/api"));
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
    assert_eq!(
        server.only_request().header("authorization"),
        Some(format!("Bearer tok-{}", n - 1).as_str())
    );
}

#[test]
fn a_kubeconfig_variable_naming_no_file_says_so() {
    let env = Env::new();
    env.write(".kube/config", "clusters: []\n");
    let out = run(kcurl(&env).env("KUBECONFIG", "::").arg("/api"));
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "kcurl: error: no configuration found: no kubeconfig (KUBECONFIG is set but names no \
         file), and not in a pod (KUBERNETES_SERVICE_HOST is not set); use --kubeconfig FILE, \
         set KUBECONFIG, or give --server URL\n"
    );
}
