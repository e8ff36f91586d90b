//! Request bodies and the flags that shape a request, through the real binary: `-d` with YAML
//! (file, stdin, inline) converted to JSON, JSON and user-typed bodies sent byte for byte, bad
//! input refused before any request, `--patch-type` and its Content-Types, server-side apply's
//! `fieldManager`, `--dry-run`, `-P` query parameters, and `{ns}`/`{namespace}` placeholders
//! with `-n`.

use crate::support::*;

/// A kubeconfig for `server` trusting the test CA, with a token user; `namespace` is the
/// context's namespace, if any.
fn config(env: &Env, pki: &Pki, server: &Server, namespace: Option<&str>) {
    let mut config = KubeconfigBuilder::single_context(&server.url(), &pki.ca.cert, "{token: t}");
    if let Some(namespace) = namespace {
        config = config.namespace(namespace);
    }
    config.write(env, ".kube/config");
}

/// A server that answers every request `201 {}`, and a kubeconfig for it.
fn serve(pki: &Pki, env: &Env) -> Server {
    let server = ServerBuilder::new(pki)
        .handler(|_| Reply::json(201, "{}"))
        .start();
    config(env, pki, &server, None);
    server
}

/// The last request the server received.
fn last(server: &Server) -> Request {
    server.requests().pop().expect("a request")
}

const POD_YAML: &str = "\
# a comment
apiVersion: v1
kind: Pod
metadata:
  name: web-0
  labels: {app: web}
spec:
  containers:
  - name: web
    image: nginx:1.27
    args: [\"--port\", '80']
    ports:
    - containerPort: 80
  nodeSelector: ~
  hostNetwork: false
";

/// [`POD_YAML`] as compact JSON (serde_json orders keys alphabetically).
const POD_JSON: &str = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"labels":{"app":"web"},"name":"web-0"},"spec":{"containers":[{"args":["--port","80"],"image":"nginx:1.27","name":"web","ports":[{"containerPort":80}]}],"hostNetwork":false,"nodeSelector":null}}"#;

#[test]
fn yaml_from_a_file_is_sent_as_compact_json() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env);
    let file = env.write("pod.yaml", POD_YAML);
    kcurl(&env)
        .arg("-d")
        .arg(format!("@{}", file.display()))
        .arg("/api/v1/namespaces/default/pods")
        .assert()
        .code(0)
        .stdout("{}\n")
        .stderr("");
    let req = server.only_request();
    assert_eq!(req.method, "POST");
    assert_eq!(req.body_str(), POD_JSON);
    assert_eq!(req.header_all("content-type"), vec!["application/json"]);
}

#[test]
fn yaml_from_stdin_and_inline_is_sent_as_compact_json() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env);
    kcurl(&env)
        .args(["-d", "@-", "/api/v1/namespaces/default/pods"])
        .write_stdin(POD_YAML)
        .assert()
        .code(0)
        .stderr("");
    let req = last(&server);
    assert_eq!(
        (req.method.as_str(), req.body_str()),
        ("POST", POD_JSON.into())
    );
    assert_eq!(req.header_all("content-type"), vec!["application/json"]);

    kcurl(&env)
        .args(["-d", "spec: {replicas: 3}", "-X", "PUT", "/apis/apps/v1/x"])
        .assert()
        .code(0)
        .stderr("");
    let req = last(&server);
    assert_eq!(
        (req.method.as_str(), req.body_str()),
        ("PUT", r#"{"spec":{"replicas":3}}"#.into())
    );
    assert_eq!(req.header_all("content-type"), vec!["application/json"]);
}

#[test]
fn json_and_plain_text_bodies_are_sent_byte_for_byte() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env);
    for body in [
        "{\"a\": 1e3}",
        "{\"big\": 12345678901234567890123, \"f\": -0.50}\n",
        "[1,\t2]",
        "\"already a JSON string\"",
    ] {
        kcurl(&env).args(["-d", body, "/x"]).assert().code(0);
        let req = last(&server);
        assert_eq!(req.body_str(), body);
        assert_eq!(req.header_all("content-type"), vec!["application/json"]);
    }
    let file = env.write("pod.json", "{\n  \"kind\" : \"Pod\"\n}\n");
    kcurl(&env)
        .arg("-d")
        .arg(format!("@{}", file.display()))
        .arg("/x")
        .assert()
        .code(0);
    assert_eq!(last(&server).body_str(), "{\n  \"kind\" : \"Pod\"\n}\n");
    // A body that is not an object or a list is the user's data, not YAML to convert.
    kcurl(&env)
        .args(["-d", "hello world", "/x"])
        .assert()
        .code(0);
    assert_eq!(last(&server).body_str(), "hello world");
}

#[test]
fn a_user_content_type_sends_the_body_as_given() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env);
    kcurl(&env)
        .args(["-H", "Content-Type: text/plain", "-d", "a: b", "/x"])
        .assert()
        .code(0)
        .stderr("");
    let req = server.only_request();
    assert_eq!(req.body_str(), "a: b");
    assert_eq!(req.header_all("content-type"), vec!["text/plain"]);
}

#[test]
fn several_yaml_documents_are_refused_before_any_request() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env);
    env.write(
        "two.yaml",
        "kind: ConfigMap\nmetadata: {name: a}\n---\nkind: ConfigMap\nmetadata: {name: b}\n",
    );
    kcurl(&env)
        .args(["-d", "@two.yaml", "/api/v1/namespaces/default/configmaps"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(
            "kcurl: error: --data @two.yaml: 2 YAML documents; one request takes one object \
             (split the file)\n",
        );
    assert!(server.requests().is_empty());
}

#[test]
fn invalid_yaml_is_refused_with_the_file_and_line_before_any_request() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env);
    env.write(
        "bad.yaml",
        "kind: Pod\nmetadata:\n  name: web-0\n  labels: [app: web\nspec: {}\n",
    );
    let out = kcurl(&env)
        .args(["-d", "@bad.yaml", "/api/v1/namespaces/default/pods"])
        .assert()
        .code(1)
        .stdout("")
        .get_output()
        .clone();
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "kcurl: error: --data @bad.yaml: invalid JSON or YAML: while parsing a flow mapping, \
         did not find expected ',' or '}' at line 5, column 5\n"
    );
    // Standard input and inline data are named as such.
    kcurl(&env)
        .args(["-d", "@-", "/x"])
        .write_stdin("a: [1,\nb: 2\n")
        .assert()
        .code(1)
        .stdout("")
        .stderr(
            "kcurl: error: --data @- (stdin): invalid JSON or YAML: unclosed bracket '[' at \
             line 1, column 4\n",
        );
    kcurl(&env)
        .args(["-d", "a: b: c", "/x"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(
            "kcurl: error: --data: invalid JSON or YAML: mapping values are not allowed in this \
             context at line 1, column 5\n",
        );
    assert!(server.requests().is_empty());
}

#[test]
fn patch_types_set_the_method_and_content_type() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env);
    for (flag, content_type, body, sent) in [
        (
            "merge",
            "application/merge-patch+json",
            "metadata: {labels: {a: b}}",
            r#"{"metadata":{"labels":{"a":"b"}}}"#,
        ),
        (
            "json",
            "application/json-patch+json",
            r#"[{"op": "remove", "path": "/metadata/labels/a"}]"#,
            r#"[{"op": "remove", "path": "/metadata/labels/a"}]"#,
        ),
        (
            "strategic",
            "application/strategic-merge-patch+json",
            r#"{"spec":{"containers":[{"name":"web","image":"nginx:1.28"}]}}"#,
            r#"{"spec":{"containers":[{"name":"web","image":"nginx:1.28"}]}}"#,
        ),
    ] {
        kcurl(&env)
            .args([
                "--patch-type",
                flag,
                "-d",
                body,
                "/api/v1/namespaces/default/pods/web-0",
            ])
            .assert()
            .code(0)
            .stderr("");
        let req = last(&server);
        assert_eq!(req.method, "PATCH", "{flag}");
        assert_eq!(req.header_all("content-type"), vec![content_type], "{flag}");
        assert_eq!(req.body_str(), sent, "{flag}");
        assert_eq!(
            req.target, "/api/v1/namespaces/default/pods/web-0",
            "{flag}"
        );
    }
    // -X PATCH alone is a merge patch (works for custom resources too).
    kcurl(&env)
        .args([
            "-X",
            "PATCH",
            "-d",
            "spec: {replicas: 2}",
            "/apis/example.com/v1/things/a",
        ])
        .assert()
        .code(0);
    let req = last(&server);
    assert_eq!(req.method, "PATCH");
    assert_eq!(
        req.header_all("content-type"),
        vec!["application/merge-patch+json"]
    );
    assert_eq!(req.body_str(), r#"{"spec":{"replicas":2}}"#);
    // --patch-type with an explicit -X PATCH is fine.
    kcurl(&env)
        .args(["-X", "PATCH", "--patch-type", "json", "-d", "[]", "/x"])
        .assert()
        .code(0);
    assert_eq!(
        last(&server).header_all("content-type"),
        vec!["application/json-patch+json"]
    );
}

#[test]
fn patch_type_with_another_method_is_a_usage_error() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env);
    kcurl(&env)
        .args(["--patch-type", "json", "-X", "PUT", "-d", "[]", "/x"])
        .assert()
        .code(2)
        .stdout("")
        .stderr("kcurl: error: --patch-type goes with PATCH requests, not -X PUT\n");
    assert!(server.requests().is_empty());
}

const APPLY_YAML: &str = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings   # kept as is, comment included
data:
  mode: fast
";

#[test]
fn server_side_apply_sends_the_yaml_itself_with_field_manager_kcurl() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env);
    env.write("cm.yaml", APPLY_YAML);
    kcurl(&env)
        .args([
            "--patch-type",
            "apply",
            "-d",
            "@cm.yaml",
            "/api/v1/namespaces/default/configmaps/settings",
        ])
        .assert()
        .code(0)
        .stderr("");
    let req = last(&server);
    assert_eq!(req.method, "PATCH");
    assert_eq!(
        req.header_all("content-type"),
        vec!["application/apply-patch+yaml"]
    );
    assert_eq!(req.body_str(), APPLY_YAML);
    assert_eq!(
        req.target,
        "/api/v1/namespaces/default/configmaps/settings?fieldManager=kcurl"
    );

    // The user's field manager wins, from -P or from the path.
    kcurl(&env)
        .args([
            "--patch-type",
            "apply",
            "-d",
            "@cm.yaml",
            "-P",
            "fieldManager=me",
            "/x",
        ])
        .assert()
        .code(0);
    assert_eq!(last(&server).target, "/x?fieldManager=me");
    kcurl(&env)
        .args([
            "--patch-type",
            "apply",
            "-d",
            "@cm.yaml",
            "/x?fieldManager=me&force=true",
        ])
        .assert()
        .code(0);
    assert_eq!(last(&server).target, "/x?fieldManager=me&force=true");
}

#[test]
fn dry_run_adds_dry_run_all_to_mutating_requests_only() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env);
    for (args, method, target) in [
        (&["-d", "{}", "/x"][..], "POST", "/x?dryRun=All"),
        (
            &["-X", "PUT", "-d", "{}", "/x?a=1"][..],
            "PUT",
            "/x?a=1&dryRun=All",
        ),
        (
            &["--patch-type", "merge", "-d", "{}", "/x"][..],
            "PATCH",
            "/x?dryRun=All",
        ),
        (&["-X", "DELETE", "/x"][..], "DELETE", "/x?dryRun=All"),
        (
            &["--patch-type", "apply", "-d", "a: 1", "/x"][..],
            "PATCH",
            "/x?dryRun=All&fieldManager=kcurl",
        ),
    ] {
        kcurl(&env)
            .arg("--dry-run")
            .args(args)
            .assert()
            .code(0)
            .stderr("");
        let req = last(&server);
        assert_eq!(
            (req.method.as_str(), req.target.as_str()),
            (method, target),
            "{args:?}"
        );
    }
    let before = server.requests().len();
    kcurl(&env)
        .args(["--dry-run", "/api/v1/pods"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            "kcurl: error: --dry-run applies to mutating requests (POST, PUT, PATCH, DELETE), \
             not GET\n",
        );
    assert_eq!(server.requests().len(), before);
}

#[test]
fn params_are_percent_encoded_and_merged_with_the_query() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env);
    kcurl(&env)
        .args([
            "-P",
            "labelSelector=app in (a,b)",
            "-P",
            "limit=5",
            "/api/v1/pods?x=1",
        ])
        .assert()
        .code(0)
        .stderr("");
    assert_eq!(
        last(&server).target,
        "/api/v1/pods?x=1&labelSelector=app%20in%20%28a%2Cb%29&limit=5"
    );
    kcurl(&env)
        .args([
            "-P",
            "fieldSelector=status.phase!=Running",
            "-P",
            "empty=",
            "/api/v1/pods",
        ])
        .assert()
        .code(0);
    assert_eq!(
        last(&server).target,
        "/api/v1/pods?fieldSelector=status.phase%21%3DRunning&empty="
    );
    kcurl(&env)
        .args(["-P", "novalue", "/api/v1/pods"])
        .assert()
        .code(2)
        .stderr(
            "kcurl: error: -P \"novalue\": expected KEY=VALUE (e.g. -P labelSelector=app=web)\n",
        );
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn namespace_placeholders_come_from_n_then_the_context_then_default() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env);
    kcurl(&env)
        .args(["/api/v1/namespaces/{ns}/pods"])
        .assert()
        .code(0)
        .stderr("");
    assert_eq!(last(&server).target, "/api/v1/namespaces/default/pods");

    config(&env, &pki, &server, Some("team-a"));
    kcurl(&env)
        .args(["/api/v1/namespaces/{namespace}/pods?limit=1"])
        .assert()
        .code(0)
        .stderr("");
    assert_eq!(
        last(&server).target,
        "/api/v1/namespaces/team-a/pods?limit=1"
    );

    kcurl(&env)
        .args(["-n", "kube-system", "/api/v1/namespaces/{ns}/pods"])
        .assert()
        .code(0)
        .stderr("");
    assert_eq!(last(&server).target, "/api/v1/namespaces/kube-system/pods");
    kcurl(&env)
        .args([
            "--namespace",
            "b",
            "/apis/apps/v1/namespaces/{namespace}/deployments",
        ])
        .assert()
        .code(0)
        .stderr("");
    assert_eq!(
        last(&server).target,
        "/apis/apps/v1/namespaces/b/deployments"
    );
}

#[test]
fn namespace_without_a_placeholder_warns_and_still_sends() {
    let (pki, env) = (Pki::new(), Env::new());
    let server = serve(&pki, &env);
    kcurl(&env)
        .args(["-n", "foo", "/api/v1/pods"])
        .assert()
        .code(0)
        .stdout("{}\n")
        .stderr(
            "kcurl: warning: -n foo has no effect: /api/v1/pods has no {namespace} or {ns} \
             placeholder\n",
        );
    assert_eq!(server.only_request().target, "/api/v1/pods");
}
