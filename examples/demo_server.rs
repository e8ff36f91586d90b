//! A small Kubernetes-like API server over TLS, for trying kcurl without a cluster and for the
//! benchmarks in `bench/`. It reuses the black-box tests' server and PKI (`tests/support`).
//!
//! ```text
//! cargo run --release --example demo_server            # writes ./kcurl-demo/, prints the export line
//! cargo run --release --example demo_server -- DIR     # writes DIR/ instead
//! ```
//!
//! It writes `DIR/kubeconfig`, `DIR/ca.crt` and `DIR/token`, listens on 127.0.0.1 only, and runs
//! until Ctrl-C. Routes: `/version`, `/api`, `/apis`, `/api/v1/namespaces`,
//! `/api/v1/namespaces/{ns}/pods[/{name}[/log]]` (`?watch=1` streams events, `follow=true` streams
//! log lines), `/api/v1/pods`, and for benchmarks `/bench/pods?n=N` (an N-pod PodList, ~2.5 KB a
//! pod), `/bench/bytes?mb=N` (an N-MB PodList streamed in chunks) and `/bench/watch?n=N` (N
//! watch events stamped with the time the server sent them).

#[allow(dead_code, unused_imports)]
#[path = "../tests/support"]
mod support {
    pub mod http;
    pub mod kube;
    pub mod net;
    pub mod pki;
    pub mod server;
}

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::kube::{API_VERSIONS_JSON, VERSION_JSON, status_reply};
use support::pki::Pki;
use support::server::{Reply, Request, ServerBuilder};

const NAMESPACES: [&str; 3] = ["default", "kube-system", "demo"];

fn pod(ns: &str, name: &str, i: usize) -> String {
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

fn demo_pods(ns: &str) -> Vec<(String, String)> {
    (0..3)
        .map(|i| (format!("web-{i}"), pod(ns, &format!("web-{i}"), i)))
        .collect()
}

fn query_param<'a>(req: &'a Request, key: &str) -> Option<&'a str> {
    req.query()?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == key).then_some(v)
    })
}

/// A stream fed by a thread: `make(i)` gives the i-th chunk (None ends it), `pause` between.
fn stream(
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

fn route(req: &Request, token: &str, cache: &Mutex<HashMap<usize, Arc<String>>>) -> Reply {
    if req.header("authorization") != Some(&format!("Bearer {token}")) {
        return status_reply(401, "Unauthorized", "Unauthorized");
    }
    let path = req.path().trim_end_matches('/');
    let parts: Vec<&str> = path.split('/').collect();
    let watch = matches!(query_param(req, "watch"), Some("1" | "true"));
    match parts.as_slice() {
        ["", "version"] => Reply::json(200, VERSION_JSON),
        ["", "api"] => Reply::json(200, API_VERSIONS_JSON),
        ["", "apis"] => Reply::json(
            200,
            r#"{"kind":"APIGroupList","apiVersion":"v1","groups":[]}"#,
        ),
        ["", "api", "v1", "namespaces"] => Reply::json(
            200,
            format!(
                r#"{{"kind":"NamespaceList","apiVersion":"v1","metadata":{{"resourceVersion":"5000"}},"items":[{}]}}"#,
                NAMESPACES
                    .iter()
                    .map(|n| format!(
                        r#"{{"metadata":{{"name":"{n}"}},"status":{{"phase":"Active"}}}}"#
                    ))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        ),
        ["", "api", "v1", "pods"] => Reply::json(
            200,
            pod_list(
                NAMESPACES
                    .iter()
                    .flat_map(|ns| demo_pods(ns).into_iter().map(|(_, p)| p)),
            ),
        ),
        ["", "api", "v1", "namespaces", ns, "pods"] if NAMESPACES.contains(ns) => {
            let pods = demo_pods(ns);
            if watch {
                // The current pods as ADDED, then a MODIFIED event every two seconds.
                stream("application/json", Duration::from_secs(1), move |i| {
                    let (_, p) = &pods[i % pods.len()];
                    let kind = if i < pods.len() { "ADDED" } else { "MODIFIED" };
                    Some(format!("{{\"type\":\"{kind}\",\"object\":{p}}}\n").into_bytes())
                })
            } else {
                Reply::json(200, pod_list(pods.into_iter().map(|(_, p)| p)))
            }
        }
        ["", "api", "v1", "namespaces", ns, "pods", name] if NAMESPACES.contains(ns) => {
            match demo_pods(ns).into_iter().find(|(n, _)| n == name) {
                Some((_, p)) => Reply::json(200, p),
                None => status_reply(404, "NotFound", &format!("pods \"{name}\" not found")),
            }
        }
        ["", "api", "v1", "namespaces", ns, "pods", name, "log"] if NAMESPACES.contains(ns) => {
            let name = name.to_string();
            if matches!(query_param(req, "follow"), Some("true" | "1")) {
                stream("text/plain", Duration::from_secs(1), move |i| {
                    Some(format!("{name}: request {i} served in {}ms\n", 3 + i % 7).into_bytes())
                })
            } else {
                Reply::text(200, format!("{name}: started\n{name}: ready\n"))
            }
        }
        ["", "bench", "pods"] => {
            let n: usize = query_param(req, "n")
                .and_then(|v| v.parse().ok())
                .unwrap_or(10_000);
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
        ["", "bench", "bytes"] => {
            // An N-MB PodList streamed in ~1 MB chunks, generated on the fly.
            let mb: usize = query_param(req, "mb")
                .and_then(|v| v.parse().ok())
                .unwrap_or(200);
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
        ["", "bench", "watch"] => {
            // N events, each stamped with the time it is handed to the server (for latency).
            let n: usize = query_param(req, "n")
                .and_then(|v| v.parse().ok())
                .unwrap_or(50);
            let ms: u64 = query_param(req, "interval_ms")
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
        _ => status_reply(
            404,
            "NotFound",
            "the server could not find the requested resource",
        ),
    }
}

fn main() {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "kcurl-demo".into()),
    );
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("demo_server: cannot create {}: {e}", dir.display());
        std::process::exit(1);
    }
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
    let pki = Pki::new();
    let token = format!(
        "demo-{:016x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(42)
    );
    let cache = Mutex::new(HashMap::new());
    let route_token = token.clone();
    let server = ServerBuilder::new(&pki)
        .handler(move |req| route(req, &route_token, &cache))
        .start();
    let ca = dir.join("ca.crt");
    let token_file = dir.join("token");
    let kubeconfig = dir.join("kubeconfig");
    let write = |path: &PathBuf, text: &str| {
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("demo_server: cannot write {}: {e}", path.display());
            std::process::exit(1);
        }
    };
    write(&ca, &pki.ca.cert_pem);
    write(&token_file, &token);
    write(
        &kubeconfig,
        &format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: demo\n  cluster:\n    server: {}\n    certificate-authority: ca.crt\nusers:\n- name: demo\n  user:\n    tokenFile: token\ncontexts:\n- name: demo\n  context:\n    cluster: demo\n    user: demo\n    namespace: demo\ncurrent-context: demo\n",
            server.url()
        ),
    );
    println!(
        "kcurl demo API server on {} (loopback only; Ctrl-C to stop)",
        server.url()
    );
    println!("export KUBECONFIG={}", kubeconfig.display());
    let _ = std::io::stdout().flush();
    // Serve until killed (Ctrl-C ends the process and with it every connection).
    loop {
        std::thread::park();
    }
}
