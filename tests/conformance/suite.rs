//! The conformance tests that hold on any Kubernetes API server kcurl is pointed at: run by
//! `real_apiserver` against a real kube-apiserver and by `demo_conformance` against the demo
//! server (`examples/demo_server`). Each function is one test body; each module has a thin
//! `#[test]` wrapper per function. What differs between the two servers on purpose is a field
//! of [`Cluster`] (or stays in `real_apiserver`), and the README's demo section lists it.
//!
//! Each test that writes makes its own namespace, so tests run in parallel against one server.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::support::{
    Demo, Env, KubeconfigBuilder, Out, assert_no_secret, kcurl, kcurl_std, spawn,
};

/// One `#[test]` per portable test body named, each calling `suite::NAME` with the server of the
/// module it is used in (its `cluster()`, which returns `None` when that server is unavailable).
macro_rules! portable_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let Some(k) = cluster() else { return };
                suite::$name(&k);
            }
        )*
    };
}
pub(crate) use portable_tests;

/// A test's view of one server: a clean HOME, KUBECONFIG pointing at the server's kubeconfig
/// (contexts: the admin's (current), `nobody` (no rights), `reader` (reads `reader_namespace`
/// only) and `cert` (a client certificate with every right)), and what differs between servers.
pub struct Cluster {
    pub env: Env,
    pub kubeconfig: PathBuf,
    /// `https://127.0.0.1:PORT`.
    pub server: String,
    /// The CA that signed the serving certificate.
    pub ca: PathBuf,
    pub admin_token: String,
    pub reader_token: String,
    pub nobody_token: String,
    /// The usernames the server gives the admin token, the reader, nobody and the certificate.
    pub admin_user: String,
    pub reader_user: String,
    pub nobody_user: String,
    pub cert_user: String,
    /// The one namespace the `reader` context may read.
    pub reader_namespace: String,
    /// `/version`'s `gitVersion`.
    pub git_version: String,
    /// The contexts with every right, as `--all-contexts` names them.
    pub admin_contexts: Vec<String>,
    /// The demo server, kept running while the test runs.
    pub _demo: Option<Demo>,
}

impl Cluster {
    pub fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = kcurl(&self.env);
        cmd.env("KUBECONFIG", &self.kubeconfig);
        cmd
    }

    pub fn std_cmd(&self) -> Command {
        let mut cmd = kcurl_std(&self.env);
        cmd.env("KUBECONFIG", &self.kubeconfig);
        cmd
    }

    /// Runs kcurl with `args` (stdin empty).
    pub fn run(&self, args: &[&str]) -> Out {
        self.cmd().args(args).output().expect("run kcurl").into()
    }

    /// Runs kcurl with `args` and `stdin` as standard input.
    pub fn run_stdin(&self, args: &[&str], stdin: &str) -> Out {
        self.cmd()
            .args(args)
            .write_stdin(stdin.to_string())
            .output()
            .expect("run kcurl")
            .into()
    }

    /// Runs kcurl, expects exit 0 and JSON on stdout, returns it.
    pub fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert_eq!(out.code, Some(0), "kcurl {args:?}:\n{out:?}");
        serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("kcurl {args:?}: stdout is not JSON ({e}):\n{out:?}"))
    }

    /// Creates a namespace named `name` (as the admin) and returns the name.
    pub fn namespace(&self, name: &str) -> String {
        let body =
            format!(r#"{{"apiVersion":"v1","kind":"Namespace","metadata":{{"name":"{name}"}}}}"#);
        let out = self.run(&["-d", &body, "/api/v1/namespaces"]);
        assert_eq!(out.code, Some(0), "create namespace {name}:\n{out:?}");
        name.to_string()
    }

    /// Creates ConfigMap `name` in `ns` with `data` (a JSON object's text).
    pub fn configmap(&self, ns: &str, name: &str, data: &str) -> Value {
        let body = format!(
            r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"{name}"}},"data":{data}}}"#
        );
        self.json(&["-n", ns, "-d", &body, "/api/v1/namespaces/{ns}/configmaps"])
    }

    /// Who the server thinks the caller is (a SelfSubjectReview), with extra kcurl arguments.
    pub fn whoami(&self, args: &[&str]) -> Out {
        let mut all = args.to_vec();
        all.extend([
            "-d",
            r#"{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"#,
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        ]);
        self.run(&all)
    }

    /// The `host:port` of the server.
    pub fn host_port(&self) -> &str {
        self.server.trim_start_matches("https://")
    }
}

pub fn parse(out: &Out) -> Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{out:?}"))
}

/// The username in a SelfSubjectReview answer (which must be a success).
pub fn username(out: &Out) -> String {
    assert_eq!(out.code, Some(0), "SelfSubjectReview:\n{out:?}");
    parse(out)["status"]["userInfo"]["username"]
        .as_str()
        .unwrap_or_else(|| panic!("no username in:\n{}", out.stdout))
        .to_string()
}

#[cfg(unix)]
pub fn make_executable(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

pub fn tokens_are_authenticated_and_authorised_by_the_server(k: &Cluster) {
    assert_eq!(username(&k.whoami(&[])), k.admin_user.as_str());
    let reader = k.whoami(&["--context", "reader"]);
    assert_eq!(username(&reader), k.reader_user.as_str());

    // No RBAC rights: the server's 403 Status is printed, exit 4.
    let out = k.run(&["--context", "nobody", "/api/v1/namespaces"]);
    assert_eq!(out.code, Some(4), "{out:?}");
    let status = parse(&out);
    assert_eq!(status["kind"], "Status");
    assert_eq!(status["reason"], "Forbidden");
    assert_eq!(status["code"], 403);
    assert_eq!(
        status["message"],
        format!(
            "namespaces is forbidden: User \"{}\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope",
            k.nobody_user
        )
    );
    assert!(out.stderr.contains("403 Forbidden"), "{out:?}");

    // The reader may read its namespace and nothing else.
    let ok = k.run(&["--context", "reader", "/api/v1/namespaces/{ns}/configmaps"]);
    assert_eq!(ok.code, Some(0), "{ok:?}");
    let denied = k.run(&[
        "--context",
        "reader",
        "-n",
        "default",
        "/api/v1/namespaces/{ns}/configmaps",
    ]);
    assert_eq!(denied.code, Some(4), "{denied:?}");
    assert_eq!(parse(&denied)["reason"], "Forbidden");

    // A token the server does not know: 401, exit 4, and the token is never echoed.
    let out = k.run(&["--token", "not-a-real-token", "/api"]);
    assert_eq!(out.code, Some(4), "{out:?}");
    assert_eq!(parse(&out)["reason"], "Unauthorized");
    assert!(out.stderr.contains("401 Unauthorized"), "{out:?}");
    assert_no_secret(&out, &["not-a-real-token"]);
    for token in [&k.admin_token, &k.nobody_token, &k.reader_token] {
        assert_no_secret(&reader, &[token]);
    }
}

pub fn client_certificate_user(k: &Cluster) {
    let out = k.whoami(&["--context", "cert"]);
    assert_eq!(username(&out), k.cert_user.as_str());
    let groups = parse(&out)["status"]["userInfo"]["groups"].clone();
    assert!(
        groups
            .as_array()
            .unwrap()
            .contains(&Value::from("system:masters")),
        "{groups}"
    );
}

pub fn exec_plugin_token(k: &Cluster) {
    let plugin = k.env.write(
        "bin/token-plugin",
        &format!(
            "#!/bin/sh\nprintf '%s' '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"{}\"}}}}'\n",
            k.admin_token
        ),
    );
    make_executable(&plugin);
    let config = KubeconfigBuilder::new()
        .cluster("real", &k.server)
        .ca(&k.ca)
        .exec_user(
            "exec",
            "client.authentication.k8s.io/v1",
            &plugin.display().to_string(),
            ", interactiveMode: Never",
        )
        .context("exec", "real", "exec")
        .current_context("exec")
        .write(&k.env, "exec-kubeconfig");
    let out = k.whoami(&["--kubeconfig", config.to_str().unwrap()]);
    assert_eq!(username(&out), k.admin_user.as_str());
    assert_no_secret(&out, &[&k.admin_token]);
}

/// Creates `count` ConfigMaps named `cm-00000`… in `ns`, four kcurl processes at a time.
pub fn many_configmaps(k: &Cluster, ns: &str, count: usize, payload: &str) {
    let workers = 4;
    std::thread::scope(|s| {
        for w in 0..workers {
            s.spawn(move || {
                for i in (w..count).step_by(workers) {
                    let body = format!(
                        r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"cm-{i:05}"}},"data":{{"payload":"{payload}"}}}}"#
                    );
                    let out = k.run(&["-n", ns, "-o", "json", "-c", "-d", &body, "/api/v1/namespaces/{ns}/configmaps"]);
                    assert_eq!(out.code, Some(0), "{out:?}");
                }
            });
        }
    });
}

pub fn discovery_documents_and_version(k: &Cluster) {
    let api = k.json(&["/api"]);
    assert_eq!(api["kind"], "APIVersions");
    assert_eq!(api["versions"], serde_json::json!(["v1"]));

    let apis = k.json(&["/apis"]);
    assert_eq!(apis["kind"], "APIGroupList");
    let groups: Vec<&str> = apis["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| g["name"].as_str())
        .collect();
    // (kube-apiserver also serves rbac.authorization.k8s.io: checked in `real_apiserver`.)
    for group in ["apps", "stable.example.com"] {
        assert!(
            groups.contains(&group),
            "{group} missing from /apis: {groups:?}"
        );
    }

    let version = k.json(&["/version"]);
    assert_eq!(version["gitVersion"], k.git_version.as_str());
    assert_eq!(version["major"], "1");

    // Non-JSON bodies pass through unchanged.
    let healthz = k.run(&["/healthz"]);
    assert_eq!(
        (healthz.code, healthz.stdout.as_str()),
        (Some(0), "ok"),
        "{healthz:?}"
    );
    let readyz = k.run(&["/readyz?verbose"]);
    assert_eq!(readyz.code, Some(0), "{readyz:?}");
    assert!(
        readyz
            .stdout
            .contains("[+]poststarthook/rbac/bootstrap-roles ok"),
        "{readyz:?}"
    );
    assert!(
        readyz.stdout.ends_with("readyz check passed\n"),
        "{readyz:?}"
    );

    let openapi = k.json(&["/openapi/v3"]);
    assert!(
        openapi["paths"]["api/v1"]["serverRelativeURL"].is_string(),
        "{openapi}"
    );
}

pub fn create_from_json_and_yaml(k: &Cluster) {
    let ns = k.namespace("writes");
    let cm = k.configmap(&ns, "from-json", r#"{"a":"1"}"#);
    assert_eq!(cm["metadata"]["namespace"], ns.as_str());
    assert!(cm["metadata"]["uid"].is_string());

    let yaml = k.env.write(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\n  labels: {app: web}\ndata:\n  port: \"8080\"\n",
    );
    let created = k.json(&[
        "-n",
        &ns,
        "-d",
        &format!("@{}", yaml.display()),
        "/api/v1/namespaces/{ns}/configmaps",
    ]);
    assert_eq!(created["data"]["port"], "8080");
    assert_eq!(created["metadata"]["labels"]["app"], "web");

    let deployment = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: nginx:1.27}
      - {name: sidecar, image: busybox:1.36}
";
    let out = k.run_stdin(
        &[
            "-n",
            &ns,
            "-d",
            "@-",
            "/apis/apps/v1/namespaces/{ns}/deployments",
        ],
        deployment,
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(parse(&out)["spec"]["replicas"], 2);

    let list = k.json(&[
        "-n",
        &ns,
        "-P",
        "labelSelector=app=web",
        "/api/v1/namespaces/{ns}/configmaps",
    ]);
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["from-yaml"]);
}

pub fn every_patch_type(k: &Cluster) {
    let ns = k.namespace("patches");
    k.configmap(&ns, "cm", r#"{"a":"1"}"#);
    let path = "/api/v1/namespaces/{ns}/configmaps/cm";

    let merged = k.json(&[
        "-n",
        &ns,
        "--patch-type",
        "merge",
        "-d",
        r#"{"data":{"b":"2"}}"#,
        path,
    ]);
    assert_eq!(merged["data"], serde_json::json!({"a": "1", "b": "2"}));
    // -X PATCH alone is a merge patch.
    let merged = k.json(&[
        "-n",
        &ns,
        "-X",
        "PATCH",
        "-d",
        r#"{"data":{"a":null}}"#,
        path,
    ]);
    assert_eq!(merged["data"], serde_json::json!({"b": "2"}));

    let json = k.json(&[
        "-n",
        &ns,
        "--patch-type",
        "json",
        "-d",
        r#"[{"op":"add","path":"/data/c","value":"3"},{"op":"test","path":"/data/b","value":"2"}]"#,
        path,
    ]);
    assert_eq!(json["data"], serde_json::json!({"b": "2", "c": "3"}));
    // A failing JSON patch test is the server's 422.
    let out = k.run(&[
        "-n",
        &ns,
        "--patch-type",
        "json",
        "-d",
        r#"[{"op":"test","path":"/data/b","value":"x"}]"#,
        path,
    ]);
    assert_eq!(out.code, Some(4), "{out:?}");
    assert_eq!(parse(&out)["code"], 422);

    // Strategic merge: the containers list is merged by name (a merge patch would replace it).
    let deployment = r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
      "spec":{"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
      "spec":{"containers":[{"name":"web","image":"nginx:1.27"},{"name":"sidecar","image":"busybox:1.36"}]}}}}"#;
    k.json(&[
        "-n",
        &ns,
        "-d",
        deployment,
        "/apis/apps/v1/namespaces/{ns}/deployments",
    ]);
    let patched = k.json(&[
        "-n",
        &ns,
        "--patch-type",
        "strategic",
        "-d",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.28"}]}}}}"#,
        "/apis/apps/v1/namespaces/{ns}/deployments/web",
    ]);
    let containers = &patched["spec"]["template"]["spec"]["containers"];
    assert_eq!(containers.as_array().unwrap().len(), 2, "{containers}");
    assert_eq!(containers[0]["image"], "nginx:1.28");
    assert_eq!(containers[1]["name"], "sidecar");

    // Server-side apply creates, records kcurl as the field manager, and reports conflicts.
    let applied = k.json(&[
        "-n",
        &ns,
        "--patch-type",
        "apply",
        "-d",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  owner: kcurl\n",
        "/api/v1/namespaces/{ns}/configmaps/applied",
    ]);
    assert_eq!(applied["data"]["owner"], "kcurl");
    assert_eq!(applied["metadata"]["managedFields"][0]["manager"], "kcurl");
    assert_eq!(
        applied["metadata"]["managedFields"][0]["operation"],
        "Apply"
    );
    let conflict = k.run(&[
        "-n", &ns, "--patch-type", "apply", "-P", "fieldManager=other", "-d",
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"applied"},"data":{"owner":"other"}}"#,
        "/api/v1/namespaces/{ns}/configmaps/applied",
    ]);
    assert_eq!(conflict.code, Some(4), "{conflict:?}");
    let status = parse(&conflict);
    assert_eq!(
        (status["code"].clone(), status["reason"].clone()),
        (409.into(), "Conflict".into())
    );
    assert_eq!(
        status["message"],
        "Apply failed with 1 conflict: conflict with \"kcurl\": .data.owner"
    );
    assert!(conflict.stderr.contains("409 Conflict"), "{conflict:?}");
}

pub fn dry_run_persists_nothing_and_delete_deletes(k: &Cluster) {
    let ns = k.namespace("dryrun");
    let body =
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ghost"},"data":{"a":"1"}}"#;
    let created = k.json(&[
        "-n",
        &ns,
        "--dry-run",
        "-d",
        body,
        "/api/v1/namespaces/{ns}/configmaps",
    ]);
    assert_eq!(created["metadata"]["name"], "ghost");
    let out = k.run(&["-n", &ns, "/api/v1/namespaces/{ns}/configmaps/ghost"]);
    assert_eq!(out.code, Some(4), "{out:?}");
    assert_eq!(parse(&out)["reason"], "NotFound");
    assert_eq!(parse(&out)["message"], "configmaps \"ghost\" not found");

    k.configmap(&ns, "doomed", r#"{"a":"1"}"#);
    let dry = k.run(&[
        "-n",
        &ns,
        "-X",
        "DELETE",
        "--dry-run",
        "/api/v1/namespaces/{ns}/configmaps/doomed",
    ]);
    assert_eq!(dry.code, Some(0), "{dry:?}");
    k.json(&["-n", &ns, "/api/v1/namespaces/{ns}/configmaps/doomed"]);
    let deleted = k.json(&[
        "-n",
        &ns,
        "-X",
        "DELETE",
        "/api/v1/namespaces/{ns}/configmaps/doomed",
    ]);
    assert_eq!(deleted["status"], "Success");
    let gone = k.run(&["-n", &ns, "/api/v1/namespaces/{ns}/configmaps/doomed"]);
    assert_eq!(gone.code, Some(4), "{gone:?}");
}

pub fn strict_field_validation_reaches_the_user(k: &Cluster) {
    let ns = k.namespace("strict");
    let out = k.run(&[
        "-n",
        &ns,
        "-P",
        "fieldValidation=Strict",
        "-d",
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"bogus":1}"#,
        "/api/v1/namespaces/{ns}/configmaps",
    ]);
    assert_eq!(out.code, Some(4), "{out:?}");
    let status = parse(&out);
    assert_eq!(status["reason"], "BadRequest");
    assert_eq!(
        status["message"],
        "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"bogus\""
    );
    // Without Strict the server only warns, and kcurl shows the warning like kubectl.
    let out = k.run(&[
        "-n",
        &ns,
        "-d",
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"bogus":1}"#,
        "/api/v1/namespaces/{ns}/configmaps",
    ]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stderr.contains("Warning: unknown field \"bogus\""),
        "{out:?}"
    );
}

pub fn tables_for_built_in_and_custom_resources(k: &Cluster) {
    let ns = k.namespace("tables");
    k.configmap(&ns, "one", r#"{"a":"1","b":"2"}"#);
    let out = k.run(&["-n", &ns, "--table", "/api/v1/namespaces/{ns}/configmaps"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].starts_with("NAME") && lines[0].contains("DATA") && lines[0].contains("AGE"),
        "{out:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("one ") && l.contains(" 2 ")),
        "{out:?}"
    );

    let crontab = r#"{"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"nightly"},
      "spec":{"cronSpec":"0 3 * * *","image":"backup:2","replicas":3}}"#;
    k.json(&[
        "-n",
        &ns,
        "-d",
        crontab,
        "/apis/stable.example.com/v1/namespaces/{ns}/crontabs",
    ]);
    let table = k.run(&[
        "-n",
        &ns,
        "--table",
        "/apis/stable.example.com/v1/namespaces/{ns}/crontabs",
    ]);
    assert_eq!(table.code, Some(0), "{table:?}");
    let header: Vec<&str> = table
        .stdout
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(header, ["NAME", "SPEC", "REPLICAS", "AGE"], "{table:?}");
    let row: Vec<&str> = table
        .stdout
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(
        &row[..7],
        ["nightly", "0", "3", "*", "*", "*", "3"],
        "{table:?}"
    );

    let wide = k.run(&[
        "-n",
        &ns,
        "--table",
        "--wide",
        "/apis/stable.example.com/v1/namespaces/{ns}/crontabs",
    ]);
    let header: Vec<&str> = wide
        .stdout
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    // The server's column order, as kubectl prints it: the priority-1 column where it was declared.
    assert_eq!(
        header,
        ["NAME", "SPEC", "REPLICAS", "IMAGE", "AGE"],
        "{wide:?}"
    );
    assert!(
        wide.stdout.lines().nth(1).unwrap().contains(" backup:2 "),
        "{wide:?}"
    );

    // A single object renders too.
    let one = k.run(&[
        "-n",
        &ns,
        "--table",
        "/apis/stable.example.com/v1/namespaces/{ns}/crontabs/nightly",
    ]);
    assert_eq!(one.stdout.lines().count(), 2, "{one:?}");
}

pub fn yaml_output_round_trips_through_put(k: &Cluster) {
    let ns = k.namespace("yaml");
    k.configmap(
        &ns,
        "cm",
        r#"{"multi":"line one\nline two\n","n":"007","yes":"true"}"#,
    );
    let path = "/api/v1/namespaces/{ns}/configmaps/cm";
    let yaml = k.run(&["-n", &ns, "-o", "yaml", path]);
    assert_eq!(yaml.code, Some(0), "{yaml:?}");
    assert!(yaml.stdout.starts_with("apiVersion: v1\n"), "{yaml:?}");
    let put = k.run_stdin(&["-n", &ns, "-X", "PUT", "-d", "@-", path], &yaml.stdout);
    assert_eq!(put.code, Some(0), "{put:?}");
    let after = parse(&put);
    assert_eq!(
        after["data"],
        serde_json::json!({"multi": "line one\nline two\n", "n": "007", "yes": "true"})
    );
}

pub fn paginate_over_real_continue_tokens_and_gzip(k: &Cluster) {
    let ns = k.namespace("paginate");
    many_configmaps(k, &ns, 1200, &"x".repeat(200));
    let expected: Vec<String> = (0..1200).map(|i| format!("cm-{i:05}")).collect();

    // -c: one item per line, every item exactly once, in three pages of 500.
    let out = k.run(&[
        "-n",
        &ns,
        "--paginate",
        "-c",
        "-v",
        "/api/v1/namespaces/{ns}/configmaps",
    ]);
    assert_eq!(out.code, Some(0), "{:?}", out.stderr);
    let names: Vec<String> = out
        .stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["metadata"]["name"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(names, expected);
    let gets = out.stderr.lines().filter(|l| l.contains("> GET ")).count();
    assert_eq!(gets, 3, "{}", out.stderr);
    assert_eq!(out.stderr.matches("continue=").count(), 2, "{}", out.stderr);

    // Pretty: one list object with all the items.
    let list = k.json(&[
        "-n",
        &ns,
        "--paginate",
        "-P",
        "limit=300",
        "/api/v1/namespaces/{ns}/configmaps",
    ]);
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, expected);
    assert_eq!(list["kind"], "ConfigMapList");

    // The whole list is ~400 KB, more than the 128 KiB above which kube-apiserver gzips for a
    // client that accepts it. kcurl asks for gzip and inflates while printing. (ureq drops the
    // Content-Encoding header once it decodes, so -v cannot show it; curl checks the server did.)
    let out = k.run(&["-n", &ns, "-v", "-c", "/api/v1/namespaces/{ns}/configmaps"]);
    assert_eq!(out.code, Some(0));
    assert!(
        out.stderr.contains("> accept-encoding: gzip\n"),
        "{}",
        out.stderr
    );
    let list: Value = serde_json::from_str(&out.stdout).unwrap();
    // (No kube-root-ca.crt: there is no controller manager to publish it.)
    assert_eq!(list["items"].as_array().unwrap().len(), 1200);
    if let Ok(curl) = Command::new("curl")
        .args([
            "-sS",
            "-o",
            "/dev/null",
            "-D",
            "-",
            "-H",
            "Accept-Encoding: gzip",
            "--cacert",
        ])
        .arg(&k.ca)
        .arg("-H")
        .arg(format!("Authorization: Bearer {}", k.admin_token))
        .arg(format!("{}/api/v1/namespaces/{ns}/configmaps", k.server))
        .output()
    {
        let head = String::from_utf8_lossy(&curl.stdout).to_ascii_lowercase();
        assert!(head.contains("content-encoding: gzip"), "{head}");
    }
}

pub fn watch_sees_real_changes(k: &Cluster) {
    let ns = k.namespace("watch");
    let list = k.json(&["-n", &ns, "/api/v1/namespaces/{ns}/configmaps"]);
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let mut watch = spawn(k.std_cmd().args([
        "-n",
        &ns,
        "-w",
        "-c",
        "-P",
        &format!("resourceVersion={rv}"),
        "-P",
        "fieldSelector=metadata.name=w",
        "/api/v1/namespaces/{ns}/configmaps",
    ]));
    k.configmap(&ns, "w", r#"{"step":"1"}"#);
    k.json(&[
        "-n",
        &ns,
        "--patch-type",
        "merge",
        "-d",
        r#"{"data":{"step":"2"}}"#,
        "/api/v1/namespaces/{ns}/configmaps/w",
    ]);
    k.json(&[
        "-n",
        &ns,
        "-X",
        "DELETE",
        "/api/v1/namespaces/{ns}/configmaps/w",
    ]);
    let mut seen = Vec::new();
    for _ in 0..3 {
        let line = watch.next_line().expect("an event");
        let event: Value = serde_json::from_str(&line).unwrap();
        seen.push((
            event["type"].as_str().unwrap().to_string(),
            event["object"]["data"]["step"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        ));
    }
    assert_eq!(
        seen,
        [
            ("ADDED".into(), "1".into()),
            ("MODIFIED".into(), "2".into()),
            ("DELETED".into(), "2".into())
        ]
    );
    watch.kill();
}

pub fn watch_bookmarks_and_initial_events(k: &Cluster) {
    let ns = k.namespace("bookmarks");
    k.configmap(&ns, "a", "{}");
    k.configmap(&ns, "b", "{}");
    let mut watch = spawn(k.std_cmd().args([
        "-n",
        &ns,
        "-w",
        "-c",
        "-P",
        "sendInitialEvents=true",
        "-P",
        "resourceVersionMatch=NotOlderThan",
        "-P",
        "allowWatchBookmarks=true",
        "-P",
        "timeoutSeconds=30",
        "/api/v1/namespaces/{ns}/configmaps",
    ]));
    let mut types = Vec::new();
    loop {
        let event: Value = serde_json::from_str(&watch.next_line().expect("an event")).unwrap();
        let kind = event["type"].as_str().unwrap().to_string();
        if kind == "BOOKMARK" {
            assert_eq!(
                event["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"], "true",
                "{event}"
            );
            break;
        }
        types.push((
            kind,
            event["object"]["metadata"]["name"]
                .as_str()
                .unwrap()
                .to_string(),
        ));
    }
    types.sort();
    assert_eq!(
        types,
        [
            ("ADDED".to_string(), "a".to_string()),
            ("ADDED".into(), "b".into())
        ]
    );
    watch.kill();
}

pub fn until_waits_for_a_concurrent_change_and_until_deleted_for_a_delete(k: &Cluster) {
    let ns = k.namespace("until");
    k.configmap(&ns, "gate", r#"{"ready":"no"}"#);
    let path = "/api/v1/namespaces/{ns}/configmaps/gate";
    let waiter = spawn(k.std_cmd().args([
        "-n",
        &ns,
        "--until",
        r#".data.ready == "yes""#,
        "--interval",
        "0.2",
        "--timeout",
        "60",
        "--jq",
        ".data.ready",
        path,
    ]));
    k.json(&[
        "-n",
        &ns,
        "--patch-type",
        "merge",
        "-d",
        r#"{"data":{"ready":"yes"}}"#,
        path,
    ]);
    let done = waiter.finish();
    assert_eq!(
        (done.status.code(), done.stdout.as_str()),
        (Some(0), "yes\n"),
        "{done:?}"
    );

    let unmet = k.run(&[
        "-n",
        &ns,
        "--until",
        ".data.ready == \"never\"",
        "--interval",
        "0.2",
        "--timeout",
        "1",
        path,
    ]);
    assert_eq!(unmet.code, Some(8), "{unmet:?}");

    let waiter = spawn(k.std_cmd().args([
        "-n",
        &ns,
        "--until-deleted",
        "--interval",
        "0.2",
        "--timeout",
        "60",
        path,
    ]));
    k.json(&["-n", &ns, "-X", "DELETE", path]);
    let done = waiter.finish();
    assert_eq!(done.status.code(), Some(0), "{done:?}");
}

pub fn all_contexts_each_get_their_own_answer(k: &Cluster) {
    let out = k.run(&[
        "--all-contexts",
        "-c",
        &format!("/api/v1/namespaces/{}/configmaps", k.reader_namespace),
    ]);
    assert_eq!(out.code, Some(4), "{out:?}");
    let mut statuses: Vec<(String, i64)> = out
        .stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["context"].as_str().unwrap().to_string(),
                v["status"].as_i64().unwrap(),
            )
        })
        .collect();
    statuses.sort();
    let mut expected: Vec<(String, i64)> = k
        .admin_contexts
        .iter()
        .map(|c| (c.clone(), 200))
        .chain([("nobody".into(), 403), ("reader".into(), 200)])
        .collect();
    expected.sort();
    assert_eq!(statuses, expected);
}

pub fn bounded_watch_ends_cleanly_and_fail_keeps_stdout_empty(k: &Cluster) {
    let ns = k.namespace("cihabits");
    k.configmap(&ns, "seen", "{}");
    // -w --timeout: the server ends the watch (timeoutSeconds), so the step succeeds.
    let started = std::time::Instant::now();
    let out = k.run(&[
        "-n",
        &ns,
        "-w",
        "-c",
        "--timeout",
        "2",
        "/api/v1/namespaces/{ns}/configmaps",
    ]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(7),
        "{:?}",
        started.elapsed()
    );
    let first: Value = serde_json::from_str(out.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(
        (
            first["type"].as_str(),
            first["object"]["metadata"]["name"].as_str()
        ),
        (Some("ADDED"), Some("seen"))
    );

    // -sSf: nothing on stdout for the real 403, one line on stderr, exit 4.
    let out = k.run(&["-sSf", "--context", "nobody", "/api/v1/namespaces"]);
    assert_eq!((out.code, out.stdout.as_str()), (Some(4), ""), "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
    assert!(out.stderr.contains("403 Forbidden"), "{out:?}");
    // -s alone: silent, only the exit code speaks.
    let out = k.run(&["-s", "-f", "--context", "nobody", "/api/v1/namespaces"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (Some(4), "", ""),
        "{out:?}"
    );
    // The 401 names the credential's source, never its value.
    let out = k.run(&["--token", "wrong-token-value", "/api"]);
    assert_eq!(out.code, Some(4), "{out:?}");
    assert!(out.stderr.contains("--token"), "{out:?}");
    assert_no_secret(&out, &["wrong-token-value"]);
}

/// Resource references resolve through the server's own discovery to the paths kubectl uses:
/// plural, singular, short name, kind, `resource.group`, `resource.version.group`, names,
/// subresources, cluster-scoped types, CRDs, `-A`; unknown types are usage errors.
pub fn resource_references_resolve_like_paths(k: &Cluster) {
    let ns = k.namespace("references");
    let run = |args: &[&str]| {
        let mut all = vec!["-n", ns.as_str()];
        all.extend_from_slice(args);
        k.run(&all)
    };
    let stdout = |args: &[&str]| {
        let out = run(args);
        assert_eq!(out.code, Some(0), "kcurl {args:?}:\n{out:?}");
        out.stdout
    };
    let body = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"made-by-ref"},"data":{"a":"1"}}"#;
    assert_eq!(
        stdout(&["cm", "-d", body, "--jq", ".metadata.namespace"]),
        format!("{ns}\n")
    );
    for t in [
        "configmaps",
        "configmap",
        "cm",
        "ConfigMap",
        "configmaps.v1.",
    ] {
        assert_eq!(
            stdout(&[t, "-c", "--jq", ".items[].metadata.name"]),
            "made-by-ref\n",
            "{t}"
        );
    }
    assert_eq!(stdout(&["cm/made-by-ref", "--jq", ".data.a"]), "1\n");
    for t in [
        "deployments",
        "deploy",
        "deployments.apps",
        "deploy.v1.apps",
        "Deployment",
    ] {
        assert_eq!(stdout(&[t, "--jq", ".kind"]), "DeploymentList\n", "{t}");
    }
    for t in [
        "crontabs",
        "ct",
        "crontabs.stable.example.com",
        "ct.v1.stable.example.com",
    ] {
        assert_eq!(stdout(&[t, "--jq", ".kind"]), "CronTabList\n", "{t}");
    }
    assert_eq!(
        stdout(&[&format!("ns/{ns}"), "--jq", ".metadata.name"]),
        format!("{ns}\n")
    );
    let all = stdout(&["cm", "-A", "-c", "--jq", ".items[].metadata.namespace"]);
    assert!(all.lines().any(|l| l == ns), "{all}");
    // The path a subresource resolves to, as -v says (the pod does not exist: 404, exit 4).
    let out = run(&["-v", "pod/nope/log"]);
    assert_eq!(out.code, Some(4), "{out:?}");
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains(" → /"))
        .unwrap_or_default();
    assert!(
        line.starts_with(&format!(
            "* pod/nope/log → /api/v1/namespaces/{ns}/pods/nope/log ("
        )),
        "{out:?}"
    );
    let out = run(&["podz"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            Some(2),
            "",
            "kcurl: error: no resource type \"podz\" on this server; did you mean pods?\n"
        )
    );
    let out = run(&["deploy/web/scalez"]);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(
        out.stderr
            .starts_with("kcurl: error: deployments has no subresource \"scalez\" on this server"),
        "{out:?}"
    );
}
