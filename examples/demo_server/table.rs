//! `meta.k8s.io/v1` Table responses (what `kubectl get` and `kcurl --table` ask for with
//! `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), with the columns kube-apiserver's
//! printers define for each resource the demo serves.

use serde_json::{Value, json};

use crate::time;

/// Whether the request's Accept header asks for a Table.
pub fn wanted(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| {
        a.split(',').any(|media| {
            let params: Vec<&str> = media.split(';').map(str::trim).collect();
            params.contains(&"as=Table") && params.contains(&"g=meta.k8s.io")
        })
    })
}

/// `(name, type, format, priority)` of each column of `plural`.
fn columns(plural: &str) -> &'static [(&'static str, &'static str, &'static str, u8)] {
    match plural {
        "pods" => &[
            ("Name", "string", "name", 0),
            ("Ready", "string", "", 0),
            ("Status", "string", "", 0),
            ("Restarts", "string", "", 0),
            ("Age", "string", "", 0),
            ("IP", "string", "", 1),
            ("Node", "string", "", 1),
            ("Nominated Node", "string", "", 1),
            ("Readiness Gates", "string", "", 1),
        ],
        "namespaces" => &[
            ("Name", "string", "name", 0),
            ("Status", "string", "", 0),
            ("Age", "string", "", 0),
        ],
        "configmaps" => &[
            ("Name", "string", "name", 0),
            ("Data", "string", "", 0),
            ("Age", "string", "", 0),
        ],
        "deployments" => &[
            ("Name", "string", "name", 0),
            ("Ready", "string", "", 0),
            ("Up-to-date", "string", "", 0),
            ("Available", "string", "", 0),
            ("Age", "string", "", 0),
            ("Containers", "string", "", 1),
            ("Images", "string", "", 1),
            ("Selector", "string", "", 1),
        ],
        "services" => &[
            ("Name", "string", "name", 0),
            ("Type", "string", "", 0),
            ("Cluster-IP", "string", "", 0),
            ("External-IP", "string", "", 0),
            ("Port(s)", "string", "", 0),
            ("Age", "string", "", 0),
            ("Selector", "string", "", 1),
        ],
        // The CRD's additionalPrinterColumns.
        "crontabs" => &[
            ("Name", "string", "name", 0),
            ("Spec", "string", "", 0),
            ("Replicas", "integer", "", 0),
            ("Image", "string", "", 1),
            ("Age", "date", "", 0),
        ],
        _ => &[("Name", "string", "name", 0), ("Age", "string", "", 0)],
    }
}

fn map_text(m: &Value) -> String {
    m.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn joined(items: &Value, field: &str) -> String {
    items
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c[field].as_str())
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

/// The cells of one row.
fn cells(plural: &str, o: &Value) -> Vec<Value> {
    let name = json!(o["metadata"]["name"].as_str().unwrap_or(""));
    let age = json!(time::age(
        o["metadata"]["creationTimestamp"].as_str().unwrap_or("")
    ));
    match plural {
        "pods" => {
            let statuses = o["status"]["containerStatuses"].as_array();
            let total = o["spec"]["containers"].as_array().map_or(0, Vec::len);
            let ready = statuses.map_or(0, |s| s.iter().filter(|c| c["ready"] == true).count());
            let restarts: i64 =
                statuses.map_or(0, |s| s.iter().map(|c| int(&c["restartCount"])).sum());
            let or_none = |v: &Value| json!(v.as_str().unwrap_or("<none>"));
            vec![
                name,
                json!(format!("{ready}/{total}")),
                json!(o["status"]["phase"].as_str().unwrap_or("Pending")),
                json!(restarts.to_string()),
                age,
                or_none(&o["status"]["podIP"]),
                or_none(&o["spec"]["nodeName"]),
                json!("<none>"),
                json!("<none>"),
            ]
        }
        "namespaces" => vec![
            name,
            json!(o["status"]["phase"].as_str().unwrap_or("Active")),
            age,
        ],
        "configmaps" => {
            let data = o["data"].as_object().map_or(0, |m| m.len())
                + o["binaryData"].as_object().map_or(0, |m| m.len());
            vec![name, json!(data), age]
        }
        "deployments" => {
            let (spec, status) = (&o["spec"], &o["status"]);
            let containers = &spec["template"]["spec"]["containers"];
            let selector = map_text(&spec["selector"]["matchLabels"]);
            vec![
                name,
                json!(format!(
                    "{}/{}",
                    int(&status["readyReplicas"]),
                    int(&spec["replicas"])
                )),
                json!(int(&status["updatedReplicas"])),
                json!(int(&status["availableReplicas"])),
                age,
                json!(joined(containers, "name")),
                json!(joined(containers, "image")),
                json!(selector),
            ]
        }
        "services" => {
            let spec = &o["spec"];
            let ports: Vec<String> = spec["ports"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .map(|p| {
                            format!(
                                "{}/{}",
                                int(&p["port"]),
                                p["protocol"].as_str().unwrap_or("TCP")
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let selector = map_text(&spec["selector"]);
            vec![
                name,
                json!(spec["type"].as_str().unwrap_or("ClusterIP")),
                json!(spec["clusterIP"].as_str().unwrap_or("<none>")),
                json!("<none>"),
                json!(if ports.is_empty() {
                    "<none>".to_string()
                } else {
                    ports.join(",")
                }),
                age,
                json!(if selector.is_empty() {
                    "<none>".to_string()
                } else {
                    selector
                }),
            ]
        }
        "crontabs" => vec![
            name,
            o["spec"]["cronSpec"].clone(),
            o["spec"]["replicas"].clone(),
            o["spec"]["image"].clone(),
            age,
        ],
        _ => vec![name, age],
    }
}

/// The Table of `objects` (one for a GET of one object), at list resourceVersion `rv`.
pub fn render(plural: &str, objects: &[Value], list_meta: Value) -> Value {
    let definitions: Vec<Value> = columns(plural)
        .iter()
        .map(|(name, ty, format, priority)| {
            json!({"name": name, "type": ty, "format": format, "description": "", "priority": priority})
        })
        .collect();
    let rows: Vec<Value> = objects
        .iter()
        .map(|o| {
            json!({
                "cells": cells(plural, o),
                "object": {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": o["metadata"],
                },
            })
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": definitions,
        "rows": rows,
    })
}
