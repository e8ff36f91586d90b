//! `--table`: render a `meta.k8s.io/v1` Table the way `kubectl get` prints it.
//!
//! The server does the hard part (which columns, human-readable AGE, READY "1/1"); this module
//! only lays the cells out: upper-case headers, columns padded as kubectl's tabwriter does
//! (minimum width 6, padding 3, `' '`), priority-0 columns unless `wide`, `<none>` for null.
//! It does not fetch anything and does not decide when to use a table (`output`).

use serde_json::Value;

/// Render `table` (a parsed Table response); `None` when it is not a Table. An empty string
/// means the Table has no rows (`kubectl` says "No resources found").
pub fn render(table: &Value, wide: bool) -> Option<String> {
    if table.get("kind")?.as_str()? != "Table" {
        return None;
    }
    let defs = table.get("columnDefinitions")?.as_array()?;
    let shown: Vec<usize> = defs
        .iter()
        .enumerate()
        .filter(|(_, d)| wide || d.get("priority").and_then(Value::as_i64).unwrap_or(0) == 0)
        .map(|(i, _)| i)
        .collect();
    let rows = table
        .get("rows")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if rows.is_empty() {
        return Some(String::new());
    }
    let mut grid: Vec<Vec<String>> = Vec::with_capacity(rows.len() + 1);
    grid.push(
        shown
            .iter()
            .map(|&i| {
                // Titles come from the server like cells: escaped the same way.
                crate::diag::sanitize(
                    &defs[i]
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_uppercase(),
                )
            })
            .collect(),
    );
    for row in &rows {
        let cells = row.get("cells").and_then(Value::as_array);
        grid.push(
            shown
                .iter()
                .map(|&i| {
                    cells
                        .and_then(|c| c.get(i))
                        .map_or_else(|| "<none>".to_string(), cell)
                })
                .collect(),
        );
    }
    Some(layout(&grid))
}

/// One cell as kubectl prints it.
fn cell(v: &Value) -> String {
    let text = match v {
        Value::Null => "<none>".to_string(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    };
    crate::diag::sanitize(&text)
}

/// Go's `tabwriter.NewWriter(out, 6, 4, 3, ' ', 0)` as kubectl uses it: every column but the
/// last is padded to max(widest cell + 3, 6).
fn layout(grid: &[Vec<String>]) -> String {
    let columns = grid.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            let widest = grid.iter().map(|r| r[c].chars().count()).max().unwrap_or(0);
            (widest + 3).max(6)
        })
        .collect();
    let mut out = String::new();
    for row in grid {
        let mut line = String::new();
        for (c, text) in row.iter().enumerate() {
            line.push_str(text);
            if c + 1 < columns {
                let pad = widths[c] - text.chars().count();
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Value {
        serde_json::json!({
            "kind": "Table",
            "apiVersion": "meta.k8s.io/v1",
            "columnDefinitions": [
                {"name": "Name", "type": "string", "priority": 0},
                {"name": "Ready", "type": "string", "priority": 0},
                {"name": "Status", "type": "string", "priority": 0},
                {"name": "Restarts", "type": "string", "priority": 0},
                {"name": "Age", "type": "string", "priority": 0},
                {"name": "IP", "type": "string", "priority": 1}
            ],
            "rows": [
                {"cells": ["web-0", "1/1", "Running", 0, "5d", "10.244.0.5"]},
                {"cells": ["database-primary-0", "0/1", "Pending", 12, "12s", null]}
            ]
        })
    }

    #[test]
    fn renders_like_kubectl_get() {
        assert_eq!(
            render(&table(), false).unwrap(),
            "NAME                 READY   STATUS    RESTARTS   AGE\n\
             web-0                1/1     Running   0          5d\n\
             database-primary-0   0/1     Pending   12         12s\n"
        );
    }

    #[test]
    fn wide_adds_priority_columns() {
        let out = render(&table(), true).unwrap();
        assert_eq!(
            out.lines().next().unwrap(),
            "NAME                 READY   STATUS    RESTARTS   AGE   IP"
        );
        assert!(
            out.lines().nth(2).unwrap().ends_with("12s   <none>"),
            "{out}"
        );
    }

    #[test]
    fn non_tables_and_empty_tables() {
        assert_eq!(render(&serde_json::json!({"kind": "PodList"}), false), None);
        let mut t = table();
        t["rows"] = serde_json::json!([]);
        assert_eq!(render(&t, false).unwrap(), "");
    }
}
