//! The demo API server (`examples/demo_server/`) answers as kube-apiserver does for what the
//! README shows: Status bodies byte for byte, create/replace/patch/delete with resourceVersions,
//! conflicts, dry-run, label and field selectors, limit/continue, Tables, watches of real
//! changes, the deployment controller, health endpoints. Each test starts its own demo server
//! and talks to it through the kcurl binary. The expected bodies and messages are the ones the
//! real-apiserver conformance suite (`tests/conformance/real_apiserver.rs`) sees.

use crate::support::*;

use serde_json::Value;

fn json(out: &Out) -> Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {out:?}"))
}

/// kcurl `args` must exit 0 with JSON on stdout; returns it.
fn ok(demo: &Demo, args: &[&str]) -> Value {
    let out = demo.kcurl(args);
    assert_eq!(out.code, Some(0), "kcurl {args:?}: {out:?}");
    json(&out)
}

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {list}"))
        .iter()
        .map(|i| {
            let m = &i["metadata"];
            match m["namespace"].as_str() {
                Some(ns) => format!("{ns}/{}", m["name"].as_str().unwrap()),
                None => m["name"].as_str().unwrap().to_string(),
            }
        })
        .collect()
}

const CM: &str = "/api/v1/namespaces/{ns}/configmaps";

#[test]
fn status_bodies_are_kube_apiservers() {
    let demo = Demo::start();
    let out = demo.kcurl(&["-X", "DELETE", "/api/v1/namespaces/default/pods/web-0"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let deleted = json(&out);
    assert_eq!(deleted["kind"], "Pod");
    assert!(
        deleted["metadata"]["deletionTimestamp"].is_string(),
        "{deleted}"
    );

    let out = demo.kcurl(&["/api/v1/namespaces/default/pods/web-0"]);
    assert_eq!(out.code, Some(4));
    assert_eq!(
        out.stdout,
        concat!(
            "{\n",
            "  \"kind\": \"Status\",\n",
            "  \"apiVersion\": \"v1\",\n",
            "  \"metadata\": {},\n",
            "  \"status\": \"Failure\",\n",
            "  \"message\": \"pods \\\"web-0\\\" not found\",\n",
            "  \"reason\": \"NotFound\",\n",
            "  \"details\": {\n",
            "    \"name\": \"web-0\",\n",
            "    \"kind\": \"pods\"\n",
            "  },\n",
            "  \"code\": 404\n",
            "}\n"
        )
    );
    assert_eq!(
        out.stderr,
        "kcurl: 404 NotFound: pods \"web-0\" not found\n"
    );
    let out = demo.kcurl(&[
        "-c",
        "-X",
        "DELETE",
        "/api/v1/namespaces/default/pods/web-0",
    ]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (
            Some(4),
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"pods \\\"web-0\\\" not found\",\"reason\":\"NotFound\",\"details\":{\"name\":\"web-0\",\"kind\":\"pods\"},\"code\":404}\n"
        )
    );
    // Outside the core group the message and details name the group.
    let out = demo.kcurl(&["-c", "/apis/apps/v1/namespaces/{ns}/deployments/nope"]);
    assert_eq!(
        out.stdout,
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"deployments.apps \\\"nope\\\" not found\",\"reason\":\"NotFound\",\"details\":{\"name\":\"nope\",\"group\":\"apps\",\"kind\":\"deployments\"},\"code\":404}\n"
    );
    // A wrong token: 401 without details, as the authenticator writes it.
    let out = demo.kcurl(&["-c", "--token", "wrong", "/api"]);
    assert_eq!(out.code, Some(4));
    assert_eq!(
        out.stdout,
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\",\"code\":401}\n"
    );
    // An unknown path.
    let out = demo.kcurl(&["-c", "/api/v1/widgets"]);
    assert_eq!(out.code, Some(4));
    assert_eq!(
        json(&out)["message"],
        "the server could not find the requested resource"
    );
}

#[test]
fn create_answers_201_with_identity_and_409_for_a_duplicate() {
    let demo = Demo::start();
    let yaml = demo.env.write(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\n  labels: {app: web}\ndata:\n  port: \"8080\"\n",
    );
    let body = format!("@{}", yaml.display());
    let out = demo.kcurl(&["-i", "-c", "-d", &body, CM]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout.starts_with("HTTP/1.1 201 Created\r\n"),
        "{out:?}"
    );
    let created: Value = serde_json::from_str(out.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(created["kind"], "ConfigMap");
    assert_eq!(created["metadata"]["namespace"], "demo");
    assert_eq!(created["data"]["port"], "8080");
    for field in ["uid", "creationTimestamp", "resourceVersion"] {
        assert!(created["metadata"][field].is_string(), "{field}: {created}");
    }
    let got = ok(&demo, &["/api/v1/namespaces/{ns}/configmaps/from-yaml"]);
    assert_eq!(got, created);

    let out = demo.kcurl(&["-c", "-d", &body, CM]);
    assert_eq!(out.code, Some(4));
    assert_eq!(
        out.stdout,
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"configmaps \\\"from-yaml\\\" already exists\",\"reason\":\"AlreadyExists\",\"details\":{\"name\":\"from-yaml\",\"kind\":\"configmaps\"},\"code\":409}\n"
    );
    // No name: 422 Invalid; a namespace that does not exist: 404 for the namespace.
    let out = demo.kcurl(&["-d", r#"{"kind":"ConfigMap","metadata":{}}"#, CM]);
    assert_eq!(out.code, Some(4));
    assert_eq!(json(&out)["code"], 422);
    let out = demo.kcurl(&["-n", "nowhere", "-d", r#"{"metadata":{"name":"x"}}"#, CM]);
    assert_eq!(out.code, Some(4));
    assert_eq!(json(&out)["message"], "namespaces \"nowhere\" not found");
}

#[test]
fn resource_versions_grow_and_a_stale_put_conflicts() {
    let demo = Demo::start();
    let cm = ok(
        &demo,
        &["-d", r#"{"metadata":{"name":"cm"},"data":{"a":"1"}}"#, CM],
    );
    let rv0: u64 = cm["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let mut edited = cm.clone();
    edited["data"]["a"] = "2".into();
    let put = ok(
        &demo,
        &["-X", "PUT", "-d", &edited.to_string(), &format!("{CM}/cm")],
    );
    let rv1: u64 = put["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(rv1 > rv0, "{rv0} -> {rv1}");
    assert_eq!(put["metadata"]["uid"], cm["metadata"]["uid"]);
    assert_eq!(put["data"]["a"], "2");
    // The same body again carries the old resourceVersion: 409 Conflict, nothing changed.
    let out = demo.kcurl(&[
        "-c",
        "-X",
        "PUT",
        "-d",
        &edited.to_string(),
        &format!("{CM}/cm"),
    ]);
    assert_eq!(out.code, Some(4));
    assert_eq!(
        out.stdout,
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"Operation cannot be fulfilled on configmaps \\\"cm\\\": the object has been modified; please apply your changes to the latest version and try again\",\"reason\":\"Conflict\",\"details\":{\"name\":\"cm\",\"kind\":\"configmaps\"},\"code\":409}\n"
    );
    assert_eq!(ok(&demo, &[&format!("{CM}/cm")]), put);
    // The list's resourceVersion is the newest.
    let list = ok(&demo, &[CM]);
    let list_rv: u64 = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(list_rv >= rv1);
}

#[test]
fn label_and_field_selectors() {
    let demo = Demo::start();
    ok(
        &demo,
        &[
            "-d",
            r#"{"metadata":{"name":"db","labels":{"app":"db"}}}"#,
            CM,
        ],
    );
    let web = ok(&demo, &["-P", "labelSelector=app=web", CM]);
    assert_eq!(names(&web), ["demo/settings"]);
    let not_web = ok(&demo, &["-P", "labelSelector=app!=web", CM]);
    assert_eq!(names(&not_web), ["demo/db"]);
    let set = ok(&demo, &["-P", "labelSelector=app in (db,web)", CM]);
    assert_eq!(names(&set), ["demo/db", "demo/settings"]);
    let one = ok(
        &demo,
        &["-P", "fieldSelector=metadata.name=web-1", "/api/v1/pods"],
    );
    assert_eq!(
        names(&one),
        ["default/web-1", "demo/web-1", "kube-system/web-1"]
    );
    let both = ok(
        &demo,
        &[
            "-P",
            "fieldSelector=metadata.namespace=demo,metadata.name!=web-0",
            "/api/v1/pods",
        ],
    );
    assert_eq!(names(&both), ["demo/web-1", "demo/web-2"]);
    let out = demo.kcurl(&["-P", "fieldSelector=spec.bogus=1", "/api/v1/pods"]);
    assert_eq!(out.code, Some(4), "{out:?}");
    assert_eq!(json(&out)["reason"], "BadRequest");
}

#[test]
fn lists_page_with_limit_and_continue() {
    let demo = Demo::start();
    let first = ok(&demo, &["-P", "limit=4", "/api/v1/pods"]);
    assert_eq!(
        names(&first),
        [
            "default/web-0",
            "default/web-1",
            "default/web-2",
            "demo/web-0"
        ]
    );
    assert_eq!(first["metadata"]["remainingItemCount"], 5);
    let token = first["metadata"]["continue"].as_str().unwrap();
    let second = ok(
        &demo,
        &[
            "-P",
            "limit=4",
            "-P",
            &format!("continue={token}"),
            "/api/v1/pods",
        ],
    );
    assert_eq!(
        names(&second),
        [
            "demo/web-1",
            "demo/web-2",
            "kube-system/web-0",
            "kube-system/web-1"
        ]
    );
    // --paginate follows the tokens to the end: 9 pods, 3 pages of 4.
    let out = demo.kcurl(&["-v", "--paginate", "-c", "-P", "limit=4", "/api/v1/pods"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.stdout.lines().count(), 9, "{out:?}");
    assert_eq!(out.stderr.matches("continue=").count(), 2, "{}", out.stderr);
    let out = demo.kcurl(&["-P", "continue=garbage", "/api/v1/pods"]);
    assert_eq!(out.code, Some(4));
    assert_eq!(json(&out)["reason"], "BadRequest");
}

#[test]
fn every_patch_type_and_dry_run() {
    let demo = Demo::start();
    ok(
        &demo,
        &["-d", r#"{"metadata":{"name":"cm"},"data":{"a":"1"}}"#, CM],
    );
    let path = format!("{CM}/cm");
    let merged = ok(
        &demo,
        &["-X", "PATCH", "-d", r#"{"data":{"a":null,"b":"2"}}"#, &path],
    );
    assert_eq!(merged["data"], serde_json::json!({"b": "2"}));
    let patched = ok(
        &demo,
        &[
            "--patch-type",
            "json",
            "-d",
            r#"[{"op":"add","path":"/data/c","value":"3"},{"op":"test","path":"/data/b","value":"2"}]"#,
            &path,
        ],
    );
    assert_eq!(patched["data"], serde_json::json!({"b": "2", "c": "3"}));
    let out = demo.kcurl(&[
        "--patch-type",
        "json",
        "-d",
        r#"[{"op":"test","path":"/data/b","value":"x"}]"#,
        &path,
    ]);
    assert_eq!(out.code, Some(4), "{out:?}");
    assert_eq!(json(&out)["code"], 422);
    // Strategic merge: containers merge by name.
    let deploy = "/apis/apps/v1/namespaces/{ns}/deployments/web";
    let out = ok(
        &demo,
        &[
            "--patch-type",
            "strategic",
            "-d",
            r#"{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.36"}]}}}}"#,
            deploy,
        ],
    );
    let containers = &out["spec"]["template"]["spec"]["containers"];
    assert_eq!(containers.as_array().unwrap().len(), 2, "{containers}");
    assert_eq!(out["metadata"]["generation"], 2);
    // --dry-run persists nothing.
    let dry = ok(
        &demo,
        &["--dry-run", "-d", r#"{"metadata":{"name":"ghost"}}"#, CM],
    );
    assert_eq!(dry["metadata"]["name"], "ghost");
    assert_eq!(demo.kcurl(&[&format!("{CM}/ghost")]).code, Some(4));
    ok(&demo, &["-X", "DELETE", "--dry-run", &path]);
    ok(&demo, &[&path]);
    let deleted = ok(&demo, &["-X", "DELETE", &path]);
    assert_eq!(deleted["status"], "Success");
    assert_eq!(deleted["details"]["name"], "cm");
    assert_eq!(demo.kcurl(&[&path]).code, Some(4));
}

#[test]
fn the_controller_rolls_a_deployment_out() {
    let demo = Demo::start();
    let deploy = "/apis/apps/v1/namespaces/{ns}/deployments/web";
    let patched = ok(
        &demo,
        &["-X", "PATCH", "-d", r#"{"spec":{"replicas":4}}"#, deploy],
    );
    assert_eq!(patched["status"]["readyReplicas"], 2);
    let done = ok(
        &demo,
        &[
            deploy,
            "--interval",
            "0.2",
            "--until",
            ".status.readyReplicas == .spec.replicas",
            "--timeout",
            "30",
        ],
    );
    assert_eq!(done["status"]["readyReplicas"], 4);
    assert_eq!(
        done["status"]["observedGeneration"],
        done["metadata"]["generation"]
    );
}

#[test]
fn tables_for_every_resource() {
    let demo = Demo::start();
    let header = |args: &[&str]| -> Vec<String> {
        let out = demo.kcurl(args);
        assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:?}");
        out.stdout
            .lines()
            .next()
            .unwrap()
            .split("   ")
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect()
    };
    assert_eq!(header(&["--table", CM]), ["NAME", "DATA", "AGE"]);
    assert_eq!(
        header(&["--table", "/api/v1/namespaces"]),
        ["NAME", "STATUS", "AGE"]
    );
    assert_eq!(
        header(&["--table", "/api/v1/namespaces/{ns}/pods"]),
        ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    );
    assert_eq!(
        header(&[
            "--table",
            "--wide",
            "/apis/apps/v1/namespaces/{ns}/deployments"
        ]),
        [
            "NAME",
            "READY",
            "UP-TO-DATE",
            "AVAILABLE",
            "AGE",
            "CONTAINERS",
            "IMAGES",
            "SELECTOR"
        ]
    );
    assert_eq!(
        header(&["--table", "--wide", "/api/v1/namespaces/{ns}/services"]),
        [
            "NAME",
            "TYPE",
            "CLUSTER-IP",
            "EXTERNAL-IP",
            "PORT(S)",
            "AGE",
            "SELECTOR"
        ]
    );
    // The custom resource's printer columns, the priority-1 one where it was declared (as the
    // conformance suite sees them on kube-apiserver).
    let crontabs = "/apis/stable.example.com/v1/namespaces/{ns}/crontabs";
    assert_eq!(
        header(&["--table", crontabs]),
        ["NAME", "SPEC", "REPLICAS", "AGE"]
    );
    assert_eq!(
        header(&["--table", "--wide", crontabs]),
        ["NAME", "SPEC", "REPLICAS", "IMAGE", "AGE"]
    );
    let row = demo.kcurl(&["--table", crontabs]);
    let cells: Vec<&str> = row
        .stdout
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(
        &cells[..7],
        ["nightly", "0", "3", "*", "*", "*", "3"],
        "{row:?}"
    );
    let one = demo.kcurl(&["--table", "/api/v1/namespaces/{ns}/pods/web-0"]);
    assert_eq!(one.stdout.lines().count(), 2, "{one:?}");
    assert!(
        one.stdout.lines().nth(1).unwrap().starts_with("web-0 "),
        "{one:?}"
    );
}

#[test]
fn a_watch_delivers_real_changes_and_ends_at_its_timeout() {
    let demo = Demo::start();
    let mut watch = spawn(&mut demo.kcurl_std(&[
        "-w",
        "-c",
        "--jq",
        r#""\(.type) \(.object.metadata.name)""#,
        CM,
    ]));
    assert_eq!(watch.next_line().as_deref(), Some("ADDED settings"));
    ok(&demo, &["-d", r#"{"metadata":{"name":"new"}}"#, CM]);
    assert_eq!(watch.next_line().as_deref(), Some("ADDED new"));
    ok(
        &demo,
        &[
            "-X",
            "PATCH",
            "-d",
            r#"{"data":{"k":"v"}}"#,
            &format!("{CM}/new"),
        ],
    );
    assert_eq!(watch.next_line().as_deref(), Some("MODIFIED new"));
    ok(&demo, &["-X", "DELETE", &format!("{CM}/new")]);
    assert_eq!(watch.next_line().as_deref(), Some("DELETED new"));
    watch.kill();
    // The next changes go to a client that is gone (the first write after the peer closed
    // still succeeds; the next ones fail): the demo says nothing about it.
    for name in ["after-1", "after-2", "after-3"] {
        ok(
            &demo,
            &["-d", &format!(r#"{{"metadata":{{"name":"{name}"}}}}"#), CM],
        );
    }
    // -w --timeout: the server ends the watch (timeoutSeconds) and kcurl exits 0.
    let out = demo.kcurl(&["-w", "-c", "--timeout", "1", CM]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.stdout.lines().count(), 4, "{out:?}");
    assert_eq!(demo.stop(), "");
}

#[test]
fn health_endpoints() {
    let demo = Demo::start();
    for path in ["/healthz", "/livez", "/readyz", "/readyz/etcd"] {
        let out = demo.kcurl(&[path]);
        assert_eq!((out.code, out.stdout.as_str()), (Some(0), "ok"), "{path}");
    }
    let out = demo.kcurl(&["/readyz?verbose"]);
    assert!(
        out.stdout
            .starts_with("[+]ping ok\n[+]log ok\n[+]etcd ok\n"),
        "{out:?}"
    );
    assert!(
        out.stdout
            .contains("[+]poststarthook/rbac/bootstrap-roles ok\n"),
        "{out:?}"
    );
    assert!(
        out.stdout
            .ends_with("[+]shutdown ok\nreadyz check passed\n"),
        "{out:?}"
    );
    let out = demo.kcurl(&["/livez?verbose"]);
    assert!(out.stdout.ends_with("livez check passed\n"), "{out:?}");
    // Discovery names what is served.
    let apps = ok(&demo, &["/apis/apps/v1"]);
    assert_eq!(apps["resources"][0]["name"], "deployments");
    let apis = ok(&demo, &["/apis"]);
    let groups: Vec<&str> = apis["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| g["name"].as_str())
        .collect();
    assert_eq!(groups, ["apps", "stable.example.com"]);
    let v3 = ok(&demo, &["/openapi/v3"]);
    assert!(
        v3["paths"]["apis/apps/v1"]["serverRelativeURL"].is_string(),
        "{v3}"
    );
    let v2 = ok(&demo, &["/openapi/v2"]);
    assert!(
        v2["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"].is_object(),
        "{v2}"
    );
    let crd = ok(&demo, &["/apis/stable.example.com/v1"]);
    assert_eq!(crd["resources"][0]["kind"], "CronTab");
}

#[test]
fn a_watch_list_ends_its_initial_events_with_a_bookmark() {
    let demo = Demo::start();
    let mut watch = spawn(&mut demo.kcurl_std(&[
        "-w",
        "-c",
        "-P",
        "sendInitialEvents=true",
        "-P",
        "resourceVersionMatch=NotOlderThan",
        "-P",
        "allowWatchBookmarks=true",
        "--jq",
        r#""\(.type) \(.object.metadata.name) \(.object.metadata.annotations["k8s.io/initial-events-end"])""#,
        CM,
    ]));
    assert_eq!(watch.next_line().as_deref(), Some("ADDED settings null"));
    assert_eq!(watch.next_line().as_deref(), Some("BOOKMARK null true"));
    watch.kill();
}

#[test]
fn a_reader_reads_one_namespace_and_a_client_certificate_is_a_user() {
    let demo = Demo::start();
    let list = ok(&demo, &["--context", "reader", CM]);
    assert_eq!(names(&list), ["demo/settings"]);
    let out = demo.kcurl(&["-c", "--context", "reader", "-n", "default", CM]);
    assert_eq!(out.code, Some(4), "{out:?}");
    assert_eq!(
        out.stdout,
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"configmaps is forbidden: User \\\"demo-reader\\\" cannot list resource \\\"configmaps\\\" in API group \\\"\\\" in the namespace \\\"default\\\"\",\"reason\":\"Forbidden\",\"details\":{\"kind\":\"configmaps\"},\"code\":403}\n"
    );
    let out = demo.kcurl(&[
        "-c",
        "--context",
        "reader",
        "-X",
        "DELETE",
        "/apis/apps/v1/namespaces/{ns}/deployments/web",
    ]);
    assert_eq!(out.code, Some(4), "{out:?}");
    assert_eq!(
        json(&out)["message"],
        "deployments.apps \"web\" is forbidden: User \"demo-reader\" cannot delete resource \"deployments\" in API group \"apps\" in the namespace \"demo\""
    );
    assert_eq!(
        json(&out)["details"],
        serde_json::json!({"name": "web", "group": "apps", "kind": "deployments"})
    );
    let out = demo.kcurl(&["--context", "reader", "/api/v1/namespaces"]);
    assert_eq!(json(&out)["reason"], "Forbidden");
    // Discovery and health are for every authenticated user.
    ok(&demo, &["--context", "reader", "/apis"]);
    // The client certificate context is the admin.
    let created = ok(
        &demo,
        &[
            "--context",
            "cert",
            "-d",
            r#"{"metadata":{"name":"c"}}"#,
            CM,
        ],
    );
    assert_eq!(created["metadata"]["name"], "c");
    // Every context answers /readyz.
    let out = demo.kcurl(&["--all-contexts", "-c", "/readyz"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let contexts: Vec<String> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["context"].to_string())
        .collect();
    assert_eq!(
        contexts,
        [
            "\"demo\"",
            "\"prod\"",
            "\"reader\"",
            "\"nobody\"",
            "\"cert\""
        ]
    );
}

#[test]
fn unknown_fields_warn_or_with_strict_validation_fail() {
    let demo = Demo::start();
    let body = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"bogus":1}"#;
    let out = demo.kcurl(&["-P", "fieldValidation=Strict", "-d", body, CM]);
    assert_eq!(out.code, Some(4), "{out:?}");
    assert_eq!(
        json(&out)["message"],
        "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"bogus\""
    );
    assert_eq!(json(&out)["reason"], "BadRequest");
    let out = demo.kcurl(&["-d", body, CM]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.stderr, "Warning: unknown field \"bogus\"\n");
    assert!(json(&out).get("bogus").is_none(), "{out:?}");
}

#[test]
fn server_side_apply_records_managers_and_reports_conflicts() {
    let demo = Demo::start();
    let path = "/api/v1/namespaces/{ns}/configmaps/applied";
    let out = demo.kcurl(&[
        "-i",
        "-c",
        "--patch-type",
        "apply",
        "-d",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  owner: kcurl\n  extra: x\n",
        path,
    ]);
    assert!(
        out.stdout.starts_with("HTTP/1.1 201 Created\r\n"),
        "{out:?}"
    );
    let applied: Value = serde_json::from_str(out.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(applied["data"]["owner"], "kcurl");
    let entry = &applied["metadata"]["managedFields"][0];
    assert_eq!(
        (&entry["manager"], &entry["operation"], &entry["fieldsType"]),
        (&"kcurl".into(), &"Apply".into(), &"FieldsV1".into())
    );
    assert_eq!(
        entry["fieldsV1"],
        serde_json::json!({"f:data": {".": {}, "f:extra": {}, "f:owner": {}}})
    );
    let body = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"applied"},"data":{"owner":"other"}}"#;
    let conflict = demo.kcurl(&[
        "-c",
        "--patch-type",
        "apply",
        "-P",
        "fieldManager=other",
        "-d",
        body,
        path,
    ]);
    assert_eq!(conflict.code, Some(4), "{conflict:?}");
    assert_eq!(
        conflict.stdout,
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"Apply failed with 1 conflict: conflict with \\\"kcurl\\\": .data.owner\",\"reason\":\"Conflict\",\"details\":{\"causes\":[{\"reason\":\"FieldManagerConflict\",\"message\":\"conflict with \\\"kcurl\\\"\",\"field\":\".data.owner\"}]},\"code\":409}\n"
    );
    // force=true takes the field over; re-applying without `extra` drops it.
    let forced = ok(
        &demo,
        &[
            "--patch-type",
            "apply",
            "-P",
            "fieldManager=other",
            "-P",
            "force=true",
            "-d",
            body,
            path,
        ],
    );
    assert_eq!(forced["data"]["owner"], "other");
    let again = ok(
        &demo,
        &[
            "--patch-type",
            "apply",
            "-d",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n",
            path,
        ],
    );
    assert_eq!(again["data"], serde_json::json!({"owner": "other"}));
    // A plain update is recorded under the client's name.
    let merged = ok(&demo, &["-X", "PATCH", "-d", r#"{"data":{"b":"1"}}"#, path]);
    let managers: Vec<(&str, &str)> = merged["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["manager"].as_str().unwrap(),
                e["operation"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(managers, [("other", "Apply"), ("kcurl", "Update")]);
}

#[test]
fn expired_continue_tokens_and_watch_points_get_410() {
    // Keep two changes: the demo's stand-in for an etcd compaction.
    let demo = Demo::start_with(&["--history", "2"]);
    let first = ok(&demo, &["-P", "limit=1", CM]);
    let token = first["metadata"]["continue"].as_str().map(str::to_string);
    let rv = first["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    // One configmap, one page: no token yet.
    assert_eq!(token, None);
    ok(&demo, &["-d", r#"{"metadata":{"name":"b"}}"#, CM]);
    let first = ok(&demo, &["-P", "limit=1", CM]);
    let token = first["metadata"]["continue"].as_str().unwrap().to_string();
    for name in ["c", "d", "e"] {
        ok(
            &demo,
            &["-d", &format!(r#"{{"metadata":{{"name":"{name}"}}}}"#), CM],
        );
    }
    let out = demo.kcurl(&["-P", "limit=1", "-P", &format!("continue={token}"), CM]);
    assert_eq!(out.code, Some(4), "{out:?}");
    let status = json(&out);
    assert_eq!(
        (&status["code"], &status["reason"]),
        (&410.into(), &"Expired".into())
    );
    // A watch from before the kept changes: an ERROR event with the 410, exit 4.
    let out = demo.kcurl(&["-w", "-c", "-P", &format!("resourceVersion={rv}"), CM]);
    assert_eq!(out.code, Some(4), "{out:?}");
    let event: Value = serde_json::from_str(out.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(event["type"], "ERROR");
    assert_eq!(event["object"]["code"], 410);
    assert!(out.stderr.contains("410"), "{out:?}");
    // A watch from a kept point replays what followed it.
    let latest = ok(&demo, &[CM])["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let before: u64 = latest.parse::<u64>().unwrap() - 1;
    let out = demo.kcurl(&[
        "-w",
        "-c",
        "--timeout",
        "1",
        "-P",
        &format!("resourceVersion={before}"),
        "--jq",
        r#""\(.type) \(.object.metadata.name)""#,
        CM,
    ]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (Some(0), "ADDED e\n"),
        "{out:?}"
    );
}
