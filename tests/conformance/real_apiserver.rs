//! kcurl against a real kube-apiserver v1.36 (see `support::apiserver`): discovery, auth, writes,
//! reads, streams, many contexts, and a differential check against kubectl on the same server.
//!
//! The bodies of the tests that hold on any API server are in `suite` (this module has a thin
//! wrapper for each, as `demo_conformance` has); the rest is here: impersonation, TokenRequest,
//! etcd compaction, kubectl, and the RBAC group in discovery.
//!
//! Each test that writes makes its own namespace, so tests run in parallel against one server.
//! Without Go on PATH every test here returns at once after `real_apiserver()` printed the one
//! line saying the suite was skipped (under CI=true that is a failure instead).

use std::process::{Command, Stdio};

use serde_json::Value;

use super::suite::{self, Cluster, parse, username};
use crate::support::apiserver::{
    ADMIN_TOKEN, KUBERNETES_VERSION, NOBODY_TOKEN, READER_NAMESPACE, READER_TOKEN, RealApiserver,
    real_apiserver,
};
use crate::support::{Env, Out, assert_no_secret, kcurl};

/// The real kube-apiserver of this test binary, as the suite sees it.
fn cluster() -> Option<Cluster> {
    let api: &'static RealApiserver = real_apiserver()?;
    Some(Cluster {
        env: Env::new(),
        kubeconfig: api.kubeconfig(),
        server: api.server.clone(),
        ca: api.ca(),
        admin_token: ADMIN_TOKEN.to_string(),
        reader_token: READER_TOKEN.to_string(),
        nobody_token: NOBODY_TOKEN.to_string(),
        admin_user: "kcurl-admin".to_string(),
        reader_user: "kcurl-reader".to_string(),
        nobody_user: "kcurl-nobody".to_string(),
        cert_user: "kcurl-cert-admin".to_string(),
        reader_namespace: READER_NAMESPACE.to_string(),
        git_version: KUBERNETES_VERSION.to_string(),
        admin_contexts: vec!["admin".to_string(), "cert".to_string()],
        _demo: None,
    })
}

// The portable part of the suite (tests/conformance/suite.rs), against this server.
suite::portable_tests!(
    tokens_are_authenticated_and_authorised_by_the_server,
    client_certificate_user,
    exec_plugin_token,
    create_from_json_and_yaml,
    every_patch_type,
    dry_run_persists_nothing_and_delete_deletes,
    strict_field_validation_reaches_the_user,
    tables_for_built_in_and_custom_resources,
    yaml_output_round_trips_through_put,
    paginate_over_real_continue_tokens_and_gzip,
    watch_sees_real_changes,
    watch_bookmarks_and_initial_events,
    until_waits_for_a_concurrent_change_and_until_deleted_for_a_delete,
    all_contexts_each_get_their_own_answer,
    bounded_watch_ends_cleanly_and_fail_keeps_stdout_empty,
    resource_references_resolve_like_paths,
);

// ---------------------------------------------------------------------------------------------
// Discovery and basics

#[test]
fn discovery_documents_and_version() {
    let Some(k) = cluster() else { return };
    suite::discovery_documents_and_version(&k);
    // RBAC objects are kube-apiserver's (the demo's rights are fixed).
    let apis = k.json(&["/apis"]);
    let groups: Vec<&str> = apis["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| g["name"].as_str())
        .collect();
    assert!(
        groups.contains(&"rbac.authorization.k8s.io"),
        "rbac.authorization.k8s.io missing from /apis: {groups:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Auth

#[test]
fn impersonation_allowed_and_refused_by_rbac() {
    let Some(k) = cluster() else { return };
    // system:masters may impersonate anyone.
    let out = k.whoami(&["--as", "someone", "--as-group", "kcurl-readers"]);
    assert_eq!(username(&out), "someone");
    assert_eq!(
        parse(&out)["status"]["userInfo"]["groups"],
        serde_json::json!(["kcurl-readers", "system:authenticated"])
    );
    // The reader may not.
    let out = k.whoami(&["--context", "reader", "--as", "kcurl-admin"]);
    assert_eq!(out.code, Some(4), "{out:?}");
    let status = parse(&out);
    assert_eq!(status["reason"], "Forbidden");
    assert_eq!(
        status["message"],
        // v1.36's constrained impersonation names the verb it checked first.
        "selfsubjectreviews.authentication.k8s.io is forbidden: User \"kcurl-reader\" cannot impersonate-on:user-info:create resource \"selfsubjectreviews\" in API group \"authentication.k8s.io\" at the cluster scope"
    );
}

#[test]
fn in_cluster_service_account_token_from_token_request() {
    let Some(k) = cluster() else { return };
    let ns = k.namespace("incluster");
    k.json(&[
        "-n",
        &ns,
        "-d",
        r#"{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"robot"}}"#,
        "/api/v1/namespaces/{ns}/serviceaccounts",
    ]);
    let request = k.json(&[
        "-n",
        &ns,
        "-d",
        r#"{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":600}}"#,
        "/api/v1/namespaces/{ns}/serviceaccounts/robot/token",
    ]);
    let token = request["status"]["token"]
        .as_str()
        .expect("a token")
        .to_string();
    let sa = k.env.write("sa/token", &token);
    k.env.write("sa/namespace", &ns);
    std::fs::copy(&k.ca, sa.with_file_name("ca.crt")).unwrap();
    let (host, port) = k.host_port().rsplit_once(':').unwrap();

    let in_pod = |args: &[&str]| -> Out {
        let mut cmd = kcurl(&k.env);
        cmd.env("KUBERNETES_SERVICE_HOST", host)
            .env("KUBERNETES_SERVICE_PORT", port)
            .args(["--in-cluster", "--service-account-dir"])
            .arg(sa.parent().unwrap())
            .args(args);
        cmd.output().unwrap().into()
    };
    let who = in_pod(&[
        "-d",
        r#"{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"#,
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
    ]);
    assert_eq!(username(&who), format!("system:serviceaccount:{ns}:robot"));
    assert_no_secret(&who, &[&token]);
    // {ns} comes from the namespace file; the account has no rights there.
    let denied = in_pod(&["/api/v1/namespaces/{ns}/pods"]);
    assert_eq!(denied.code, Some(4), "{denied:?}");
    assert_eq!(
        parse(&denied)["message"],
        format!(
            "pods is forbidden: User \"system:serviceaccount:{ns}:robot\" cannot list resource \"pods\" in API group \"\" in the namespace \"{ns}\""
        )
    );
}

// ---------------------------------------------------------------------------------------------
// Writes

// ---------------------------------------------------------------------------------------------
// Reads

// ---------------------------------------------------------------------------------------------
// Streams

#[test]
fn watch_from_a_compacted_resource_version_gets_410() {
    let Some(k) = cluster() else { return };
    let ns = k.namespace("expired");
    let template = r#"{"apiVersion":"v1","kind":"PodTemplate","metadata":{"name":"old"},
      "template":{"spec":{"containers":[{"name":"c","image":"busybox"}]}}}"#;
    let old = k.json(&[
        "-n",
        &ns,
        "-d",
        template,
        "/api/v1/namespaces/{ns}/podtemplates",
    ])["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    // The fixture compacts etcd every 5 s and serves PodTemplate watches from etcd (no watch
    // cache); keep writing until a watch from `old` is refused.
    // Each watch is bounded on the server side (timeoutSeconds=1), so a try never hangs.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        k.json(&[
            "-n",
            &ns,
            "--patch-type",
            "merge",
            "-d",
            r#"{"metadata":{"labels":{"tick":"x"}}}"#,
            "/api/v1/namespaces/{ns}/podtemplates/old",
        ]);
        k.json(&[
            "-n",
            &ns,
            "--patch-type",
            "merge",
            "-d",
            r#"{"metadata":{"labels":{"tick":null}}}"#,
            "/api/v1/namespaces/{ns}/podtemplates/old",
        ]);
        let out = k.run(&[
            "-n",
            &ns,
            "-w",
            "-c",
            "-P",
            &format!("resourceVersion={old}"),
            "-P",
            "timeoutSeconds=1",
            "/api/v1/namespaces/{ns}/podtemplates",
        ]);
        let last: Value = out
            .stdout
            .lines()
            .last()
            .map(|l| serde_json::from_str(l).unwrap())
            .unwrap_or(Value::Null);
        if last["type"] == "ERROR" {
            assert_eq!(last["object"]["code"], 410, "{out:?}");
            assert_eq!(last["object"]["reason"], "Expired", "{out:?}");
            assert_eq!(out.code, Some(4), "{out:?}");
            assert!(
                out.stderr.contains("watch ended with an ERROR event"),
                "{out:?}"
            );
            assert!(out.stderr.contains("410"), "{out:?}");
            return;
        }
        assert_eq!(out.code, Some(0), "{out:?}");
        assert!(
            std::time::Instant::now() < deadline,
            "no 410 within 90 s; last watch: exit {:?}, {} lines",
            out.code,
            out.stdout.lines().count()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Many contexts

// ---------------------------------------------------------------------------------------------
// kubectl on the same server: the same bytes and the same objects

fn kubectl(k: &Cluster, args: &[&str]) -> Option<Vec<u8>> {
    let out = Command::new("kubectl")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", k.env.home())
        .env("KUBECONFIG", &k.kubeconfig)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(out.stdout)
}

#[test]
fn same_bytes_and_objects_as_kubectl() {
    let Some(k) = cluster() else { return };
    if Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .is_err()
    {
        eprintln!("real_apiserver: kubectl differential skipped (no kubectl on PATH)");
        return;
    }
    let ns = k.namespace("kubectl");
    k.configmap(&ns, "same", r#"{"k":"v","n":"1e3"}"#);
    for path in [
        "/version".to_string(),
        "/api".to_string(),
        "/apis/apps/v1".to_string(),
        format!("/api/v1/namespaces/{ns}"),
        format!("/api/v1/namespaces/{ns}/configmaps/same"),
        "/healthz".to_string(),
    ] {
        let theirs = kubectl(&k, &["get", "--raw", &path]).unwrap();
        let ours = k.cmd().args(["--raw", &path]).output().unwrap();
        assert!(ours.status.success(), "{path}: {ours:?}");
        assert_eq!(
            String::from_utf8_lossy(&ours.stdout),
            String::from_utf8_lossy(&theirs),
            "kcurl --raw {path} differs from kubectl get --raw"
        );
    }
    let theirs: Value = serde_json::from_slice(
        &kubectl(&k, &["get", "-n", &ns, "configmap", "same", "-o", "json"]).unwrap(),
    )
    .unwrap();
    let mut ours = k.json(&["-n", &ns, "/api/v1/namespaces/{ns}/configmaps/same"]);
    // kubectl's printer drops managedFields (--show-managed-fields=false); kcurl shows the object.
    assert_eq!(ours["metadata"]["managedFields"][0]["manager"], "kcurl");
    ours["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("managedFields");
    assert_eq!(ours, theirs);
}

// ---------------------------------------------------------------------------------------------
// CI habits, against the real server's answers

/// Moves the `fetched` time of every discovery cache file under `home` `secs` into the past.
fn age_discovery_cache(home: &std::path::Path, secs: u64) {
    let dir = home.join(".cache/kcurl/discovery");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let mut v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let fetched = v["fetched"].as_u64().unwrap();
        v["fetched"] = (fetched - secs).into();
        std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
    }
}

/// Cluster-scoped types, core-first and preferred-version choices, and a CRD created after the
/// discovery cache was written: not found while the cache is younger than a minute, found by
/// the refresh a miss triggers once it is older, and by --refresh-discovery at any time.
#[test]
fn references_follow_discovery_and_a_new_crd_refreshes_the_cache() {
    let Some(k) = cluster() else { return };
    let line = |out: &Out| {
        out.stderr
            .lines()
            .find(|l| l.contains(" → /"))
            .unwrap_or_else(|| panic!("no resolved line:\n{out:?}"))
            .to_string()
    };
    let out = k.run(&["-v", "nodes", "--jq", ".kind"]);
    assert_eq!(out.stdout, "NodeList\n", "{out:?}");
    assert_eq!(
        line(&out),
        "* nodes → /api/v1/nodes (discovery fetched, aggregated v2)"
    );
    let out = k.run(&["-v", "events", "-n", "default"]);
    assert!(
        line(&out).starts_with("* events → /api/v1/namespaces/default/events (discovery cache, "),
        "core first: {out:?}"
    );
    let out = k.run(&["-v", "hpa", "-n", "default"]);
    assert!(
        line(&out).starts_with(
            "* hpa → /apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers ("
        ),
        "preferred version: {out:?}"
    );
    let out = k.run(&["-v", "hpa.v1.autoscaling", "-n", "default"]);
    assert!(
        line(&out).starts_with(
            "* hpa.v1.autoscaling → /apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers ("
        ),
        "{out:?}"
    );

    let crd = r#"{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
      "metadata":{"name":"gadgets.refresh.kcurl.test"},
      "spec":{"group":"refresh.kcurl.test","scope":"Namespaced",
        "names":{"plural":"gadgets","singular":"gadget","kind":"Gadget","shortNames":["gdg"]},
        "versions":[{"name":"v1","served":true,"storage":true,
          "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}}"#;
    k.json(&[
        "-d",
        crd,
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
    ]);
    // Wait until aggregated discovery lists the new group.
    let listed = k.run(&[
        "-H",
        "Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
        "--until",
        r#"[.items[].metadata.name] | index("refresh.kcurl.test")"#,
        "--interval",
        "0.2",
        "--timeout",
        "60",
        "-c",
        "--jq",
        ".kind",
        "/apis",
    ]);
    assert_eq!(listed.code, Some(0), "{listed:?}");

    // The cache is younger than a minute: trusted, the new type is not there.
    let out = k.run(&["gdg"]);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(
        out.stderr
            .starts_with("kcurl: error: no resource type \"gdg\" on this server"),
        "{out:?}"
    );
    // Older than a minute: the miss refreshes it.
    age_discovery_cache(k.env.home(), 120);
    let out = k.run(&["-v", "gdg", "-n", "default", "--jq", ".kind"]);
    assert_eq!(out.stdout, "GadgetList\n", "{out:?}");
    assert_eq!(
        line(&out),
        "* gdg → /apis/refresh.kcurl.test/v1/namespaces/default/gadgets (discovery fetched, \
         aggregated v2 (the cached table missed it))"
    );
    let out = k.run(&[
        "-v",
        "--refresh-discovery",
        "gadget.v1.refresh.kcurl.test",
        "-A",
    ]);
    assert_eq!(
        line(&out),
        "* gadget.v1.refresh.kcurl.test → /apis/refresh.kcurl.test/v1/gadgets (discovery \
         fetched, aggregated v2)"
    );
    let out = k.run(&[
        "-X",
        "DELETE",
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.refresh.kcurl.test",
    ]);
    assert_eq!(out.code, Some(0), "{out:?}");
}
