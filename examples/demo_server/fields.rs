//! Field ownership (`metadata.managedFields`) and server-side apply, reduced to what a user of
//! the demo sees: every write records which manager set which fields (`Update`, named by
//! `fieldManager` or the client's User-Agent), an apply (`Apply`) owns exactly the fields of its
//! configuration, drops the ones it no longer sets, and conflicts with another manager that
//! owns a field it would change (409, unless `force=true`). Lists are atomic (owned whole);
//! `status` is not tracked.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::patch;
use crate::time;

/// A field path, `["data", "owner"]`.
type Path = Vec<String>;

/// The tracked leaf fields of `object`.
pub fn leaves(object: &Value) -> BTreeSet<Path> {
    fn walk(v: &Value, path: &mut Path, out: &mut BTreeSet<Path>) {
        match v {
            Value::Object(m) if !m.is_empty() => {
                for (k, child) in m {
                    path.push(k.clone());
                    walk(child, path, out);
                    path.pop();
                }
            }
            _ => {
                out.insert(path.clone());
            }
        }
    }
    let mut out = BTreeSet::new();
    let Some(map) = object.as_object() else {
        return out;
    };
    for (k, v) in map {
        match k.as_str() {
            "apiVersion" | "kind" | "status" => {}
            "metadata" => {
                for tracked in ["labels", "annotations"] {
                    if let Some(m) = v.get(tracked) {
                        walk(m, &mut vec!["metadata".into(), tracked.into()], &mut out);
                    }
                }
            }
            _ => walk(v, &mut vec![k.clone()], &mut out),
        }
    }
    out
}

fn at<'a>(v: &'a Value, path: &Path) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

fn remove_at(v: &mut Value, path: &Path) {
    let Some((last, head)) = path.split_last() else {
        return;
    };
    let mut cur = v;
    for k in head {
        match cur.get_mut(k) {
            Some(next) => cur = next,
            None => return,
        }
    }
    if let Some(m) = cur.as_object_mut() {
        m.remove(last);
    }
}

/// `.data.owner`, as conflict messages print a path.
fn dotted(path: &Path) -> String {
    path.iter().map(|k| format!(".{k}")).collect()
}

/// FieldsV1 (`{"f:data":{".":{},"f:owner":{}}}`) of a set of paths.
fn to_fields_v1(paths: &BTreeSet<Path>) -> Value {
    let mut root = Map::new();
    for path in paths {
        let mut cur = &mut root;
        for (i, k) in path.iter().enumerate() {
            let entry = cur
                .entry(format!("f:{k}"))
                .or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(m) = entry else { break };
            if i + 1 < path.len() {
                m.entry(".").or_insert_with(|| json!({}));
            }
            cur = m;
        }
    }
    Value::Object(root)
}

/// The paths a FieldsV1 value names.
fn from_fields_v1(v: &Value) -> BTreeSet<Path> {
    fn walk(v: &Value, path: &mut Path, out: &mut BTreeSet<Path>) {
        let children: Vec<(&String, &Value)> = v
            .as_object()
            .map(|m| m.iter().filter(|(k, _)| k.starts_with("f:")).collect())
            .unwrap_or_default();
        if children.is_empty() {
            if !path.is_empty() {
                out.insert(path.clone());
            }
            return;
        }
        for (k, child) in children {
            path.push(k[2..].to_string());
            walk(child, path, out);
            path.pop();
        }
    }
    let mut out = BTreeSet::new();
    walk(v, &mut Vec::new(), &mut out);
    out
}

/// One managedFields entry, decoded.
struct Entry {
    manager: String,
    operation: String,
    api_version: String,
    time: String,
    paths: BTreeSet<Path>,
}

fn entries(object: Option<&Value>) -> Vec<Entry> {
    object
        .and_then(|o| o["metadata"]["managedFields"].as_array())
        .map(|list| {
            list.iter()
                .map(|e| Entry {
                    manager: e["manager"].as_str().unwrap_or("").into(),
                    operation: e["operation"].as_str().unwrap_or("").into(),
                    api_version: e["apiVersion"].as_str().unwrap_or("").into(),
                    time: e["time"].as_str().unwrap_or("").into(),
                    paths: from_fields_v1(&e["fieldsV1"]),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn store_entries(object: &mut Value, list: Vec<Entry>) {
    let list: Vec<Value> = list
        .into_iter()
        .filter(|e| !e.paths.is_empty())
        .map(|e| {
            json!({"manager": e.manager, "operation": e.operation, "apiVersion": e.api_version,
                "time": e.time, "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(&e.paths)})
        })
        .collect();
    if list.is_empty() {
        if let Some(m) = object["metadata"].as_object_mut() {
            m.remove("managedFields");
        }
    } else {
        object["metadata"]["managedFields"] = Value::Array(list);
    }
}

/// Records a create or update by `manager`: it owns the fields it set or changed, which
/// leave every other manager.
pub fn record_update(old: Option<&Value>, new: &mut Value, manager: &str, api_version: &str) {
    let mut list = entries(old);
    let changed: BTreeSet<Path> = leaves(new)
        .into_iter()
        .filter(|p| old.is_none_or(|o| at(o, p) != at(new, p)))
        .collect();
    let present = leaves(new);
    for e in &mut list {
        e.paths.retain(|p| present.contains(p));
        if !(e.manager == manager && e.operation == "Update") {
            e.paths.retain(|p| !changed.contains(p));
        }
    }
    match list
        .iter_mut()
        .find(|e| e.manager == manager && e.operation == "Update")
    {
        Some(e) => {
            e.paths.extend(changed);
            e.time = time::now_rfc3339();
        }
        None => list.push(Entry {
            manager: manager.into(),
            operation: "Update".into(),
            api_version: api_version.into(),
            time: time::now_rfc3339(),
            paths: changed,
        }),
    }
    store_entries(new, list);
}

/// Server-side apply of `config` by `manager` to `current` (None: the object is created).
/// Err: the 409's message and its conflicts (manager, `.dotted.path`).
pub fn apply(
    current: Option<&Value>,
    config: &Value,
    manager: &str,
    force: bool,
    api_version: &str,
) -> Result<Value, (String, Vec<(String, String)>)> {
    let wanted = leaves(config);
    let mut list = entries(current);
    let mut conflicts: Vec<(String, Path)> = Vec::new();
    if let Some(cur) = current {
        for e in list.iter().filter(|e| e.manager != manager) {
            for p in wanted.intersection(&e.paths) {
                if at(cur, p) != at(config, p) {
                    conflicts.push((e.manager.clone(), p.clone()));
                }
            }
        }
    }
    if !conflicts.is_empty() && !force {
        let n = conflicts.len();
        let plural = if n == 1 { "" } else { "s" };
        let detail: Vec<String> = conflicts
            .iter()
            .map(|(m, p)| format!("conflict with \"{m}\": {}", dotted(p)))
            .collect();
        let message = format!(
            "Apply failed with {n} conflict{plural}: {}",
            detail.join(", ")
        );
        let list = conflicts
            .iter()
            .map(|(m, p)| (m.clone(), dotted(p)))
            .collect();
        return Err((message, list));
    }
    let mut object = current.cloned().unwrap_or_else(|| json!({}));
    // Fields this manager applied before and no longer sets, and no one else owns, go.
    let mine_before: BTreeSet<Path> = list
        .iter()
        .filter(|e| e.manager == manager && e.operation == "Apply")
        .flat_map(|e| e.paths.iter().cloned())
        .collect();
    for p in mine_before.difference(&wanted) {
        let others = list
            .iter()
            .any(|e| e.manager != manager && e.paths.contains(p));
        if !others {
            remove_at(&mut object, p);
        }
    }
    for e in &mut list {
        if e.manager != manager {
            e.paths.retain(|p| !wanted.contains(p));
        }
    }
    list.retain(|e| !(e.manager == manager && e.operation == "Apply"));
    let mut config = config.clone();
    if let Some(m) = config["metadata"].as_object_mut() {
        m.remove("managedFields");
    }
    patch::strategic(&mut object, &config);
    list.insert(
        0,
        Entry {
            manager: manager.into(),
            operation: "Apply".into(),
            api_version: api_version.into(),
            time: time::now_rfc3339(),
            paths: wanted,
        },
    );
    store_entries(&mut object, list);
    Ok(object)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn fields_v1_round_trip_and_conflicts() {
        let cm =
            json!({"metadata": {"name": "a", "labels": {"x": "1"}}, "data": {"owner": "kcurl"}});
        let paths = super::leaves(&cm);
        assert_eq!(super::from_fields_v1(&super::to_fields_v1(&paths)), paths);
        let applied = super::apply(None, &cm, "kcurl", false, "v1").unwrap();
        assert_eq!(applied["metadata"]["managedFields"][0]["manager"], "kcurl");
        let other = json!({"metadata": {"name": "a"}, "data": {"owner": "other"}});
        let err = super::apply(Some(&applied), &other, "other", false, "v1")
            .unwrap_err()
            .0;
        assert_eq!(
            err,
            "Apply failed with 1 conflict: conflict with \"kcurl\": .data.owner"
        );
        let forced = super::apply(Some(&applied), &other, "other", true, "v1").unwrap();
        assert_eq!(forced["data"]["owner"], "other");
        // Re-applying without the label drops it.
        let again = super::apply(
            Some(&applied),
            &json!({"metadata": {"name": "a"}, "data": {"owner": "kcurl"}}),
            "kcurl",
            false,
            "v1",
        )
        .unwrap();
        assert!(
            again["metadata"]
                .get("labels")
                .is_none_or(|l| l.get("x").is_none()),
            "{again}"
        );
    }
}
