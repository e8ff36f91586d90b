//! The benchmark routes of `bench/compare.sh` (`/bench/pods?n=N`, `/bench/bytes?mb=N`,
//! `/bench/watch?n=N`) and the pod generator the demo's seed data also uses. Nothing here
//! touches the store: these answers are generated, not stored.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::server::Reply;

/// The bench responses built so far, by pod count.
pub type Cache = Mutex<HashMap<usize, Arc<String>>>;

/// A realistic pod (~2.5 KB) named `name` in `ns`; `i` varies its details.
pub fn pod(ns: &str, name: &str, i: usize) -> String {
    format!(
        r#"{{"metadata":{{"name":"{name}","namespace":"{ns}","uid":"{:08x}-1e0f-4a9b-8c7d-6e5f4a3b2c1d","resourceVersion":"{}","creationTimestamp":"2026-11-01T00:00:00Z","labels":{{"app":"web","pod-template-hash":"7d9f8c6b5"}},"annotations":{{"kubectl.kubernetes.io/last-applied-configuration":"{{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{{\"name\":\"{name}\"}}}}\n"}},"ownerReferences":[{{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-7d9f8c6b5","uid":"6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f","controller":true,"blockOwnerDeletion":true}}]}},"spec":{{"containers":[{{"name":"web","image":"nginx:1.27","ports":[{{"containerPort":80,"protocol":"TCP"}}],"env":[{{"name":"MODE","value":"demo"}},{{"name":"REPLICA","value":"{i}"}}],"resources":{{"limits":{{"cpu":"500m","memory":"128Mi"}},"requests":{{"cpu":"100m","memory":"64Mi"}}}},"volumeMounts":[{{"name":"kube-api-access","mountPath":"/var/run/secrets/kubernetes.io/serviceaccount","readOnly":true}}],"terminationMessagePath":"/dev/termination-log","imagePullPolicy":"IfNotPresent"}}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"default","nodeName":"node-{}","schedulerName":"default-scheduler","priority":0}},"status":{{"phase":"Running","conditions":[{{"type":"Ready","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-01T00:00:05Z"}},{{"type":"PodScheduled","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-01T00:00:00Z"}}],"hostIP":"10.0.0.{}","podIP":"10.244.{}.{}","startTime":"2026-11-01T00:00:00Z","containerStatuses":[{{"name":"web","state":{{"running":{{"startedAt":"2026-11-01T00:00:04Z"}}}},"ready":true,"restartCount":0,"image":"docker.io/library/nginx:1.27","imageID":"docker.io/library/nginx@sha256:0a399eb16751829e1af26fea27b20c3ec28d7ab1fb72182879dcae1cca21206a","started":true}}],"qosClass":"Burstable"}}}}"#,
        i,
        1000 + i,
        i % 5,
        i % 250,
        (i / 250) % 250,
        i % 250
    )
}

fn pod_list(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    format!(
        r#"{{"kind":"PodList","apiVersion":"v1","metadata":{{"resourceVersion":"5000"}},"items":[{}]}}"#,
        items.join(",")
    )
}

/// A stream fed by a thread: `make(i)` gives the i-th chunk (None ends it), `pause` between.
pub fn stream(
    content_type: &str,
    pause: Duration,
    make: impl Fn(usize) -> Option<Vec<u8>> + Send + 'static,
) -> Reply {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut i = 0;
        while let Some(chunk) = make(i) {
            if tx.send(chunk).is_err() {
                return; // the client went away
            }
            i += 1;
            if !pause.is_zero() {
                std::thread::sleep(pause);
            }
        }
    });
    match Reply::stream(200, rx) {
        Reply::Stream {
            status,
            chunks,
            gzip,
            ..
        } => Reply::Stream {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            chunks,
            gzip,
        },
        other => other,
    }
}

/// The reply for `/bench/{what}`, or None for another path.
pub fn route(what: &str, query: impl Fn(&str) -> Option<String>, cache: &Cache) -> Option<Reply> {
    Some(match what {
        "pods" => {
            let n: usize = query("n").and_then(|v| v.parse().ok()).unwrap_or(10_000);
            let body = {
                let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
                cache
                    .entry(n)
                    .or_insert_with(|| {
                        Arc::new(pod_list(
                            (0..n).map(|i| pod("default", &format!("web-{i}"), i)),
                        ))
                    })
                    .clone()
            };
            Reply::json(200, body.as_str())
        }
        "bytes" => {
            // An N-MB PodList streamed in ~1 MB chunks, generated on the fly.
            let mb: usize = query("mb").and_then(|v| v.parse().ok()).unwrap_or(200);
            let per_chunk = 400; // pods per chunk, ~1 MB
            let chunk_pods: Arc<String> = Arc::new(
                (0..per_chunk)
                    .map(|i| pod("default", &format!("web-{i}"), i))
                    .collect::<Vec<_>>()
                    .join(","),
            );
            let chunks = (mb * 1024 * 1024).div_ceil(chunk_pods.len()).max(1);
            stream("application/json", Duration::ZERO, move |i| {
                if i == 0 {
                    Some(br#"{"kind":"PodList","apiVersion":"v1","metadata":{},"items":["#.to_vec())
                } else if i <= chunks {
                    let sep = if i == 1 { "" } else { "," };
                    Some(format!("{sep}{chunk_pods}").into_bytes())
                } else if i == chunks + 1 {
                    Some(b"]}\n".to_vec())
                } else {
                    None
                }
            })
        }
        "watch" => {
            // N events, each stamped with the time it is handed to the server (for latency).
            let n: usize = query("n").and_then(|v| v.parse().ok()).unwrap_or(50);
            let ms: u64 = query("interval_ms")
                .and_then(|v| v.parse().ok())
                .unwrap_or(20);
            stream("application/json", Duration::from_millis(ms), move |i| {
                (i < n).then(|| {
                    let sent = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_nanos())
                        .unwrap_or(0);
                    format!(
                        "{{\"type\":\"MODIFIED\",\"object\":{{\"kind\":\"Pod\",\"metadata\":{{\"name\":\"web-{i}\"}},\"sentNanos\":{sent}}}}}\n"
                    )
                    .into_bytes()
                })
            })
        }
        _ => return None,
    })
}
