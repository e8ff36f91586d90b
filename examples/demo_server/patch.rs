//! Patches: JSON merge patch (RFC 7386), a strategic merge patch reduced to its common case
//! (lists of objects with a `name`, such as containers and env, are merged by name; no
//! `$patch` directives) and JSON patch (RFC 6902: add, remove, replace, move, copy, test).

use serde_json::Value;

/// Applies a JSON merge patch to `target`.
pub fn merge(target: &mut Value, patch: &Value) {
    merge_with(target, patch, false);
}

/// Applies a strategic merge patch to `target`: a merge patch whose lists of named objects are
/// merged element by element, by `name`.
pub fn strategic(target: &mut Value, patch: &Value) {
    merge_with(target, patch, true);
}

fn named(list: &[Value]) -> bool {
    !list.is_empty() && list.iter().all(|v| v["name"].is_string())
}

fn merge_with(target: &mut Value, patch: &Value, by_name: bool) {
    if let (true, Value::Array(old), Value::Array(new)) = (by_name, &mut *target, patch) {
        if named(new) && (old.is_empty() || named(old)) {
            for item in new {
                match old.iter_mut().find(|o| o["name"] == item["name"]) {
                    Some(o) => merge_with(o, item, true),
                    None => old.push(item.clone()),
                }
            }
            return;
        }
    }
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    let Value::Object(map) = target else { return };
    for (k, v) in patch {
        if v.is_null() {
            map.remove(k);
        } else {
            merge_with(map.entry(k.clone()).or_insert(Value::Null), v, by_name);
        }
    }
}

/// Unescapes one JSON pointer token (`~1` is `/`, `~0` is `~`).
fn token(t: &str) -> String {
    t.replace("~1", "/").replace("~0", "~")
}

/// The parent of the value at `pointer`, and the last token.
fn parent<'a>(doc: &'a mut Value, pointer: &str) -> Result<(&'a mut Value, String), String> {
    let (head, last) = pointer
        .rsplit_once('/')
        .ok_or_else(|| format!("invalid JSON pointer {pointer:?}"))?;
    let parent = if head.is_empty() {
        doc
    } else {
        doc.pointer_mut(head)
            .ok_or_else(|| format!("doc is missing path: {pointer:?}"))?
    };
    Ok((parent, token(last)))
}

fn remove(doc: &mut Value, path: &str) -> Result<Value, String> {
    let missing = || format!("doc is missing path: {path:?}");
    let (parent, last) = parent(doc, path)?;
    match parent {
        Value::Object(m) => m.remove(&last).ok_or_else(missing),
        Value::Array(a) => {
            let i: usize = last.parse().map_err(|_| missing())?;
            (i < a.len()).then(|| a.remove(i)).ok_or_else(missing)
        }
        _ => Err(missing()),
    }
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    if path.is_empty() {
        *doc = value;
        return Ok(());
    }
    let (parent, last) = parent(doc, path)?;
    match parent {
        Value::Object(m) => {
            m.insert(last, value);
            Ok(())
        }
        Value::Array(a) => {
            let i = if last == "-" {
                a.len()
            } else {
                last.parse().ok().filter(|i| *i <= a.len()).ok_or_else(|| {
                    format!("add operation does not apply: doc is missing path: {path:?}")
                })?
            };
            a.insert(i, value);
            Ok(())
        }
        _ => Err(format!("doc is missing path: {path:?}")),
    }
}

/// Applies a JSON patch (an array of operations) to `doc`.
pub fn json_patch(doc: &mut Value, ops: &Value) -> Result<(), String> {
    let ops = ops
        .as_array()
        .ok_or("json patch must be an array of operations")?;
    for op in ops {
        let path = op["path"].as_str().ok_or("operation has no \"path\"")?;
        let value = || op.get("value").cloned().ok_or("operation has no \"value\"");
        match op["op"].as_str().unwrap_or("") {
            "add" => add(doc, path, value()?)?,
            "remove" => {
                remove(doc, path)?;
            }
            "replace" => {
                remove(doc, path)?;
                add(doc, path, value()?)?;
            }
            "move" | "copy" => {
                let from = op["from"].as_str().ok_or("operation has no \"from\"")?;
                let v = if op["op"] == "move" {
                    remove(doc, from)?
                } else {
                    doc.pointer(from)
                        .cloned()
                        .ok_or_else(|| format!("doc is missing from path: {from:?}"))?
                };
                add(doc, path, v)?;
            }
            "test" => {
                if doc.pointer(path) != Some(&value()?) {
                    return Err(format!("testing value {path} failed"));
                }
            }
            other => return Err(format!("Unexpected kind: {other}")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn merge_and_json_patch() {
        let mut doc = json!({"data": {"a": "1", "b": "2"}});
        super::merge(&mut doc, &json!({"data": {"a": null, "c": "3"}}));
        assert_eq!(doc, json!({"data": {"b": "2", "c": "3"}}));
        super::json_patch(
            &mut doc,
            &json!([{"op": "add", "path": "/data/d", "value": "4"}, {"op": "remove", "path": "/data/b"}]),
        )
        .unwrap();
        assert_eq!(doc, json!({"data": {"c": "3", "d": "4"}}));
        assert!(super::json_patch(&mut doc, &json!([{"op": "remove", "path": "/x"}])).is_err());
    }
}
