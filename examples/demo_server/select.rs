//! Label and field selectors, with the grammar of apimachinery's `labels.Parse` (`a=b`, `a==b`,
//! `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x,y)`, comma = and) and `fields.ParseSelector`
//! (`metadata.name=x`, `!=`; the fields each resource supports).

use serde_json::Value;

/// One requirement of a selector.
#[derive(Debug, PartialEq)]
enum Req {
    Eq(String, String),
    Ne(String, String),
    Exists(String),
    Absent(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

/// A parsed label or field selector; the empty selector matches everything.
#[derive(Debug, Default)]
pub struct Selector(Vec<Req>);

/// Splits on commas outside parentheses.
fn terms(s: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

impl Selector {
    /// Parses a label selector; the error is the message kube-apiserver would put in its 400.
    pub fn labels(s: &str) -> Result<Selector, String> {
        let mut reqs = Vec::new();
        for term in terms(s)
            .into_iter()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            let set = |rest: &str| -> Result<Vec<String>, String> {
                let inner = rest
                    .trim()
                    .strip_prefix('(')
                    .and_then(|r| r.strip_suffix(')'))
                    .ok_or_else(|| format!("unable to parse requirement: {term}"))?;
                Ok(inner.split(',').map(|v| v.trim().to_string()).collect())
            };
            let req = if let Some((k, v)) = term.split_once("!=") {
                Req::Ne(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                Req::Eq(k.trim().into(), v.trim().into())
            } else if let Some((k, rest)) = term.split_once(" notin ") {
                Req::NotIn(k.trim().into(), set(rest)?)
            } else if let Some((k, rest)) = term.split_once(" in ") {
                Req::In(k.trim().into(), set(rest)?)
            } else if let Some(k) = term.strip_prefix('!') {
                Req::Absent(k.trim().into())
            } else if term.contains(char::is_whitespace) || term.contains(['(', ')']) {
                return Err(format!("unable to parse requirement: {term}"));
            } else {
                Req::Exists(term.into())
            };
            reqs.push(req);
        }
        Ok(Selector(reqs))
    }

    /// Parses a field selector for `plural`; only `=`, `==` and `!=` on supported fields.
    pub fn fields(s: &str, plural: &str) -> Result<Selector, String> {
        let mut reqs = Vec::new();
        for term in terms(s)
            .into_iter()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            let req = if let Some((k, v)) = term.split_once("!=") {
                Req::Ne(k.into(), v.into())
            } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                Req::Eq(k.into(), v.into())
            } else {
                return Err(format!(
                    "invalid selector: '{s}'; can't understand '{term}'"
                ));
            };
            let (Req::Eq(field, _) | Req::Ne(field, _)) = &req else {
                unreachable!()
            };
            if field_value(plural, field, &Value::Null).is_none() {
                return Err(format!(
                    "\"{field}\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
                ));
            }
            reqs.push(req);
        }
        Ok(Selector(reqs))
    }

    /// Whether `object`'s labels match.
    pub fn matches_labels(&self, object: &Value) -> bool {
        let labels = &object["metadata"]["labels"];
        self.matches(|k| labels.get(k).and_then(Value::as_str).map(str::to_string))
    }

    /// Whether `object`'s fields match.
    pub fn matches_fields(&self, plural: &str, object: &Value) -> bool {
        self.matches(|k| field_value(plural, k, object).flatten())
    }

    fn matches(&self, get: impl Fn(&str) -> Option<String>) -> bool {
        self.0.iter().all(|req| match req {
            Req::Eq(k, v) => get(k).as_deref() == Some(v.as_str()),
            Req::Ne(k, v) => get(k).as_deref() != Some(v.as_str()),
            Req::Exists(k) => get(k).is_some(),
            Req::Absent(k) => get(k).is_none(),
            Req::In(k, vs) => get(k).is_some_and(|v| vs.contains(&v)),
            Req::NotIn(k, vs) => get(k).is_none_or(|v| !vs.contains(&v)),
        })
    }
}

/// The value of a field-selector field of `plural` (`None` if the resource does not support
/// the field; `Some(None)` if the object lacks it).
fn field_value(plural: &str, field: &str, object: &Value) -> Option<Option<String>> {
    let path: &[&str] = match (plural, field) {
        (_, "metadata.name") => &["metadata", "name"],
        (_, "metadata.namespace") => &["metadata", "namespace"],
        ("pods", "status.phase") => &["status", "phase"],
        ("pods", "spec.nodeName") => &["spec", "nodeName"],
        ("namespaces", "status.phase") => &["status", "phase"],
        _ => return None,
    };
    let mut v = object;
    for p in path {
        v = &v[*p];
    }
    Some(match v {
        Value::String(s) => Some(s.clone()),
        // A missing field selects as the empty string, as in the API server.
        _ => Some(String::new()),
    })
}

#[cfg(test)]
mod tests {
    use super::Selector;
    use serde_json::json;

    #[test]
    fn label_grammar() {
        let pod = json!({"metadata": {"labels": {"app": "web", "tier": "front"}}});
        for (sel, want) in [
            ("app=web", true),
            ("app==web,tier=front", true),
            ("app!=web", false),
            ("app in (db, web)", true),
            ("app notin (web)", false),
            ("tier", true),
            ("!tier", false),
            ("", true),
        ] {
            assert_eq!(
                Selector::labels(sel).unwrap().matches_labels(&pod),
                want,
                "{sel}"
            );
        }
    }
}
