//! The demo's seed objects and its one background loop, standing in for the controllers and
//! kubelets of a cluster: once a second a Deployment whose status lags its spec gets one
//! replica closer (so `--until '.status.readyReplicas == .spec.replicas'` has something to
//! wait for), and a Pending pod becomes Running.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::bench;
use crate::store::{Key, Store};
use crate::time;

/// The namespaces the demo starts with.
pub const NAMESPACES: [&str; 3] = ["default", "kube-system", "demo"];

/// Fills `store` with the namespaces, three `web-N` pods, a `web` Deployment (2 replicas,
/// ready) and a `web` Service in each namespace, and in `demo` a `settings` ConfigMap and a
/// `nightly` CronTab.
pub fn seed(store: &Store) {
    let create = |key: Key, object: Value| {
        let _ = store.create(key, object, false);
    };
    for ns in NAMESPACES {
        create(
            ("namespaces".into(), String::new(), ns.into()),
            json!({"kind": "Namespace", "apiVersion": "v1",
                "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}},
                "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}),
        );
    }
    for ns in NAMESPACES {
        for i in 0..3 {
            let name = format!("web-{i}");
            let Ok(mut pod) = serde_json::from_str::<Value>(&bench::pod(ns, &name, i)) else {
                continue;
            };
            pod["kind"] = json!("Pod");
            pod["apiVersion"] = json!("v1");
            create(("pods".into(), ns.into(), name), pod);
        }
        create(
            ("deployments".into(), ns.into(), "web".into()),
            json!({"kind": "Deployment", "apiVersion": "apps/v1",
                "metadata": {"name": "web", "namespace": ns, "labels": {"app": "web"}},
                "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}},
                        "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}},
                "status": {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2,
                    "readyReplicas": 2, "availableReplicas": 2}}),
        );
    }
    for (i, ns) in NAMESPACES.iter().enumerate() {
        create(
            ("services".into(), ns.to_string(), "web".into()),
            json!({"kind": "Service", "apiVersion": "v1",
                "metadata": {"name": "web", "namespace": ns, "labels": {"app": "web"}},
                "spec": {"type": "ClusterIP", "clusterIP": format!("10.96.0.{}", 10 + i),
                    "selector": {"app": "web"},
                    "ports": [{"port": 80, "targetPort": 80, "protocol": "TCP"}]},
                "status": {"loadBalancer": {}}}),
        );
    }
    create(
        ("crontabs".into(), "demo".into(), "nightly".into()),
        json!({"kind": "CronTab", "apiVersion": "stable.example.com/v1",
            "metadata": {"name": "nightly", "namespace": "demo"},
            "spec": {"cronSpec": "0 3 * * *", "image": "backup:2", "replicas": 3}}),
    );
    create(
        ("configmaps".into(), "demo".into(), "settings".into()),
        json!({"kind": "ConfigMap", "apiVersion": "v1",
            "metadata": {"name": "settings", "namespace": "demo", "labels": {"app": "web"}},
            "data": {"MODE": "demo", "LOG_LEVEL": "info"}}),
    );
}

/// One step of the loop: the changed objects, to be stored.
fn step(store: &Store) -> Vec<(Key, Value)> {
    let data = store.read();
    let mut changes = Vec::new();
    for (key, o) in &data.objects {
        match key.0.as_str() {
            "deployments" => {
                let want = o["spec"]["replicas"].as_i64().unwrap_or(1).max(0);
                let ready = o["status"]["readyReplicas"].as_i64().unwrap_or(0);
                let generation = o["metadata"]["generation"].clone();
                if ready == want && o["status"]["observedGeneration"] == generation {
                    continue;
                }
                let next = ready + (want - ready).signum();
                let mut o = o.clone();
                o["status"] = json!({
                    "observedGeneration": generation,
                    "replicas": want,
                    "updatedReplicas": want,
                    "readyReplicas": next,
                    "availableReplicas": next,
                });
                if next == 0 {
                    // The API server omits zero counts.
                    for f in ["readyReplicas", "availableReplicas"] {
                        o["status"].as_object_mut().map(|s| s.remove(f));
                    }
                }
                changes.push((key.clone(), o));
            }
            "pods" if o["status"]["phase"] == "Pending" => {
                let mut o = o.clone();
                let now = time::now_rfc3339();
                let statuses: Vec<Value> = o["spec"]["containers"]
                    .as_array()
                    .map(|cs| {
                        cs.iter()
                            .map(|c| {
                                json!({"name": c["name"], "image": c["image"], "ready": true,
                                "restartCount": 0, "started": true,
                                "state": {"running": {"startedAt": now}}})
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                o["status"]["phase"] = json!("Running");
                o["status"]["podIP"] = json!("10.244.0.99");
                o["status"]["startTime"] = json!(now);
                o["status"]["containerStatuses"] = json!(statuses);
                o["status"]["conditions"] =
                    json!([{"type": "Ready", "status": "True", "lastTransitionTime": now}]);
                changes.push((key.clone(), o));
            }
            _ => {}
        }
    }
    changes
}

/// Runs the loop on its own thread, forever.
pub fn start(store: Arc<Store>) {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_secs(1));
            for (key, object) in step(&store) {
                // A concurrent write wins; the next step looks again.
                let _ = store.replace(key, object, false);
            }
        }
    });
}
