//! `-o yaml`: JSON values written as YAML, the way kubectl writes them (keys sorted), with
//! numbers kept as exactly as YAML can hold them, and a list written item by item.
//!
//! Values are read with jaq-json's reader, which keeps integers of any size and numbers serde_json
//! refuses (`1e400`). Integers up to 128 bits are written exactly; larger integers and decimals
//! are written as the nearest float (`1e400` becomes `.inf`). A JSON object with an `items`
//! array (a Kubernetes list) is written one item at a time: each item is parsed, converted and
//! dropped before the next, so memory is the response's bytes plus one item, not a tree of the
//! whole list. Layout (indentation, quoting, block scalars) is serde-saphyr's; this module does
//! not read responses or decide when YAML is wanted.

use std::collections::BTreeMap;
use std::io::Write;

use jaq_json::{Num, Val};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::value::RawValue;

use crate::error::{Error, Result};

/// A jaq value as serde sees it for YAML: object keys sorted, numbers as exact as they fit.
struct Yaml<'a>(&'a Val);

impl Serialize for Yaml<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self.0 {
            Val::Null => s.serialize_unit(),
            Val::Bool(b) => s.serialize_bool(*b),
            Val::Num(n) => serialize_num(n, s),
            Val::TStr(b) | Val::BStr(b) => s.serialize_str(&String::from_utf8_lossy(b)),
            Val::Arr(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for v in a.iter() {
                    seq.serialize_element(&Yaml(v))?;
                }
                seq.end()
            }
            Val::Obj(o) => {
                // Sorted as kubectl (Go's encoding of maps) sorts them; the last of duplicated
                // keys wins, as when reading JSON into a map.
                let sorted: BTreeMap<String, &Val> =
                    o.iter().map(|(k, v)| (key_text(k), v)).collect();
                let mut map = s.serialize_map(Some(sorted.len()))?;
                for (k, v) in &sorted {
                    map.serialize_entry(k, &Yaml(v))?;
                }
                map.end()
            }
        }
    }
}

fn key_text(k: &Val) -> String {
    match k {
        Val::TStr(b) | Val::BStr(b) => String::from_utf8_lossy(b).into_owned(),
        other => other.to_string(),
    }
}

fn serialize_num<S: Serializer>(n: &Num, s: S) -> std::result::Result<S::Ok, S::Error> {
    let text = n.to_string();
    if let Some(i) = n.as_isize() {
        return s.serialize_i64(i as i64);
    }
    if matches!(n, Num::BigInt(_)) {
        if let Ok(i) = text.parse::<i128>() {
            return s.serialize_i128(i);
        }
        if let Ok(u) = text.parse::<u128>() {
            return s.serialize_u128(u);
        }
    }
    // Floats print as jq prints them (`null` for NaN); read that text back as a float.
    s.serialize_f64(text.parse().unwrap_or(f64::NAN))
}

/// The YAML text of one value, ending with a newline.
fn to_yaml(v: &Val) -> Result<String> {
    let mut text = serde_saphyr::to_string(&Yaml(v))
        .map_err(|e| Error::Response(format!("-o yaml: cannot write the response as YAML: {e}")))?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// Write one JSON document (`json`) as YAML; `None` when it is not JSON (nothing written).
///
/// A JSON object whose `items` is an array is written item by item.
pub fn write_document<W: Write + ?Sized>(json: &[u8], out: &mut W) -> Option<Result<()>> {
    // A top-level object, field by field (the last of duplicated keys wins, as in a map).
    if let Ok(mut fields) = serde_json::from_slice::<BTreeMap<String, &RawValue>>(json) {
        let items = fields
            .get("items")
            .and_then(|raw| serde_json::from_str::<Vec<&RawValue>>(raw.get()).ok());
        if let Some(items) = items {
            fields.remove("items");
            return Some(write_list(&items, &fields, out));
        }
    }
    let v = crate::jq::parse_val(json).ok()?;
    Some(to_yaml(&v).and_then(|t| out.write_all(t.as_bytes()).map_err(Error::Output)))
}

fn parse(raw: &RawValue) -> Result<Val> {
    crate::jq::parse_val(raw.get().as_bytes())
        .map_err(|e| Error::Response(format!("-o yaml: the response is not valid JSON ({e})")))
}

/// A list as one YAML mapping, the fields around `items` in sorted order, the items one by one.
fn write_list<W: Write + ?Sized>(
    items: &[&RawValue],
    rest: &BTreeMap<String, &RawValue>,
    out: &mut W,
) -> Result<()> {
    let field = |k: &str, raw: &RawValue| -> Result<String> {
        let mut m = jaq_json::Map::default();
        m.insert(Val::utf8_str(k.as_bytes().to_vec()), parse(raw)?);
        to_yaml(&Val::obj(m))
    };
    for (k, raw) in rest.iter().filter(|(k, _)| k.as_str() < "items") {
        out.write_all(field(k, raw)?.as_bytes())
            .map_err(Error::Output)?;
    }
    if items.is_empty() {
        out.write_all(b"items: []\n").map_err(Error::Output)?;
    } else {
        out.write_all(b"items:\n").map_err(Error::Output)?;
    }
    for raw in items {
        let text = to_yaml(&parse(raw)?)?;
        let mut first = true;
        for line in text.split_inclusive('\n') {
            let prefix: &[u8] = if first { b"- " } else { b"  " };
            first = false;
            out.write_all(prefix).map_err(Error::Output)?;
            out.write_all(line.as_bytes()).map_err(Error::Output)?;
        }
    }
    for (k, raw) in rest.iter().filter(|(k, _)| k.as_str() > "items") {
        out.write_all(field(k, raw)?.as_bytes())
            .map_err(Error::Output)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(json: &str) -> String {
        let mut out = Vec::new();
        match write_document(json.as_bytes(), &mut out) {
            Some(Ok(())) => String::from_utf8(out).unwrap_or_default(),
            other => panic!("{other:?}"),
        }
    }

    fn whole(json: &str) -> String {
        match jaq_json::read::parse_single(json.as_bytes()).map(|v| to_yaml(&v)) {
            Ok(Ok(t)) => t,
            _ => panic!("not JSON"),
        }
    }

    #[test]
    fn numbers_are_exact() {
        assert_eq!(
            yaml(r#"{"big":123456789012345678901234567890,"f":1.5,"i":-7,"huge":1e400,"z":1.0}"#),
            "big: 123456789012345678901234567890\nf: 1.5\nhuge: .inf\ni: -7\nz: 1.0\n"
        );
    }

    #[test]
    fn a_list_item_by_item_is_the_same_yaml_as_the_whole() {
        let item = |i: usize| {
            format!(
                r#"{{"metadata":{{"name":"p-{i}","labels":{{"b":"1","a":"012"}},"annotations":{{"long":"{}","multi":"line one\nline two\n"}}}},"spec":{{"containers":[{{"name":"c","args":["--x","yes",""],"ports":[{{"containerPort":80}}]}}],"empty":{{}},"none":[]}},"status":{{"phase":"Running"}}}}"#,
                "word ".repeat(40)
            )
        };
        let items: Vec<String> = (0..3).map(item).collect();
        let list = format!(
            r#"{{"kind":"PodList","apiVersion":"v1","metadata":{{"resourceVersion":"1"}},"items":[{}],"zz":[[1,2],{{}}]}}"#,
            items.join(",")
        );
        assert_eq!(yaml(&list), whole(&list));
        let empty = r#"{"kind":"PodList","items":[],"metadata":{}}"#;
        assert_eq!(yaml(empty), whole(empty));
        // Not a list: written whole.
        assert_eq!(yaml(r#"{"items":5}"#), "items: 5\n");
        assert_eq!(yaml("[1]"), "- 1\n");
    }

    #[test]
    fn not_json_is_none() {
        assert!(write_document(b"{", &mut Vec::new()).is_none());
    }
}
