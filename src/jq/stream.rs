//! Item-by-item evaluation of the `--jq` programs people run on lists: `.items[] | F`,
//! `[.items[] | F]`, `.items | map(F)`, `[.items[] | F] | length` and `.items | length`.
//!
//! Each of these depends only on `.items`, and on each item separately. So instead of parsing
//! the whole response into one tree (which costs ten times the response's size), the response
//! is scanned once, each item is parsed on its own, `F` runs on it, its results are printed (or
//! collected, or counted), and the item is dropped: memory is the response's bytes plus one
//! item. Whenever the response is not the plain shape (no `items`, `items` not an array, a
//! duplicated `items` key, not one JSON object) [`Items::run`] returns `None` before printing
//! anything and the caller runs the whole program as usual, so the answer is always jq's. This
//! module does not read responses or decide the layout; it owns recognising the shapes and
//! running them.

use std::io::Write;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::{Error, Result};
use crate::jq::{Input, Program, print_vals};
use crate::json::Style;

/// A recognised program shape, with `F` compiled on its own.
#[derive(Debug)]
pub enum Items {
    /// `.items[] | F`: print F's results for each item as they come.
    Each(Program),
    /// `[.items[] | F]` and `.items | map(F)`: one array of all of F's results.
    Collect(Program),
    /// `[.items[] | F] | length`: how many results F gives over all items.
    Count(Program),
    /// `.items | length` and `[.items[]] | length`: how many items.
    Length,
}

/// The top-level object, keeping only the items' raw text.
#[derive(Deserialize)]
struct List<'a> {
    #[serde(borrow)]
    items: Vec<&'a RawValue>,
}

impl Items {
    /// Recognise one of the shapes in `source`; `None` for anything else (it then runs whole).
    ///
    /// `F` must compile on its own (otherwise the whole program's own error is the right one).
    pub fn parse(source: &str, flag: &str) -> Option<Items> {
        let s = source.trim();
        let compile = |f: &str| Program::compile(f.trim(), flag).ok();
        let after_items = |s: &str| {
            let rest = s.trim_start().strip_prefix(".items")?;
            let rest = rest.trim_start().strip_prefix("[]")?;
            Some(rest.trim_start().to_owned())
        };
        if let Some(rest) = s.strip_prefix(".items") {
            let rest = rest.trim_start();
            if let Some(rest) = rest.strip_prefix('|') {
                let rest = rest.trim();
                if rest == "length" {
                    return Some(Items::Length);
                }
                let inner = rest.strip_prefix("map(")?.strip_suffix(')')?;
                return balanced(inner).then(|| compile(inner).map(Items::Collect))?;
            }
            let rest = rest.strip_prefix("[]")?.trim_start().strip_prefix('|')?;
            return compile(rest).map(Items::Each);
        }
        // `[.items[] | F]` or `[.items[] | F] | length`, where the first `[` closes last.
        let inner = s.strip_prefix('[')?;
        let close = matching_close(inner)?;
        let (body, tail) = (&inner[..close], inner[close + 1..].trim());
        let body = after_items(body)?;
        let count = match tail {
            "" => false,
            t if t.strip_prefix('|').map(str::trim) == Some("length") => true,
            _ => return None,
        };
        if body.is_empty() {
            return count.then_some(Items::Length);
        }
        let f = body.strip_prefix('|')?;
        let program = compile(f)?;
        Some(if count {
            Items::Count(program)
        } else {
            Items::Collect(program)
        })
    }

    /// Run on a whole response held in memory; `None` (nothing printed) when the response is
    /// not a JSON object with one `items` array, so the caller must run the whole program.
    pub fn run<W: Write + ?Sized>(
        &self,
        body: &[u8],
        out: &mut W,
        style: Style,
    ) -> Option<Result<()>> {
        let list: List = serde_json::from_slice(body).ok()?;
        // Every item must be valid for jaq too before anything is printed.
        Some(self.each(&list.items, out, style))
    }

    fn each<W: Write + ?Sized>(
        &self,
        items: &[&RawValue],
        out: &mut W,
        style: Style,
    ) -> Result<()> {
        let parse = |raw: &RawValue| {
            Input::parse(raw.get().as_bytes())
                .map_err(|e| Error::Response(format!("--jq: the response is not valid JSON ({e})")))
        };
        const BATCH: usize = 1024;
        match self {
            Items::Length => {
                print_vals(&[jaq_json::Val::from(items.len())], out, style).map_err(Error::Output)
            }
            Items::Each(f) => {
                let mut batch = Vec::with_capacity(BATCH);
                for raw in items {
                    let result = f.for_each_val(parse(raw)?, |v| {
                        batch.push(v);
                        if batch.len() == BATCH {
                            print_vals(&batch, out, style).map_err(Error::Output)?;
                            batch.clear();
                        }
                        Ok(())
                    });
                    if let Err(e) = result {
                        print_vals(&batch, out, style).map_err(Error::Output)?;
                        return Err(e);
                    }
                }
                print_vals(&batch, out, style).map_err(Error::Output)
            }
            Items::Collect(f) => {
                let mut all = Vec::new();
                for raw in items {
                    f.for_each_val(parse(raw)?, |v| {
                        all.push(v);
                        Ok(())
                    })?;
                }
                print_vals(&[all.into_iter().collect()], out, style).map_err(Error::Output)
            }
            Items::Count(f) => {
                let mut n = 0usize;
                for raw in items {
                    f.for_each_val(parse(raw)?, |_| {
                        n += 1;
                        Ok(())
                    })?;
                }
                print_vals(&[jaq_json::Val::from(n)], out, style).map_err(Error::Output)
            }
        }
    }
}

/// True when the brackets, braces and parentheses in `s` (outside strings) balance.
fn balanced(s: &str) -> bool {
    scan(s) == Scan::End(0)
}

/// The byte index of the `]` closing a `[` just before `s`.
fn matching_close(s: &str) -> Option<usize> {
    match scan(s) {
        Scan::Close(i) => Some(i),
        _ => None,
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Scan {
    /// The end of the text, at this nesting depth.
    End(usize),
    /// A `]` at depth 0, at this byte index.
    Close(usize),
    /// Something this simple scan does not follow: a comment, a string interpolation (its
    /// parentheses), an unterminated string, a `)` or `}` at depth 0.
    Unsure,
}

/// Follow the nesting of `s` (outside strings) until a `]` at depth 0 or the end.
fn scan(s: &str) -> Scan {
    let b = s.as_bytes();
    let (mut i, mut depth) = (0, 0usize);
    while i < b.len() {
        match b[i] {
            b'"' => loop {
                i += 1;
                match b.get(i) {
                    None => return Scan::Unsure,
                    Some(b'\\') if b.get(i + 1) == Some(&b'(') => return Scan::Unsure,
                    Some(b'\\') => i += 1,
                    Some(b'"') => break,
                    Some(_) => {}
                }
            },
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' if depth > 0 => depth -= 1,
            b']' => return Scan::Close(i),
            b')' | b'}' | b'#' => return Scan::Unsure,
            _ => {}
        }
        i += 1;
    }
    Scan::End(depth)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Layout;

    fn shape(p: &str) -> &'static str {
        match Items::parse(p, "--jq") {
            Some(Items::Each(_)) => "each",
            Some(Items::Collect(_)) => "collect",
            Some(Items::Count(_)) => "count",
            Some(Items::Length) => "length",
            None => "none",
        }
    }

    #[test]
    fn recognises_the_list_shapes() {
        assert_eq!(shape(".items[] | .metadata.name"), "each");
        assert_eq!(shape(" .items[]|select(.a == \"]\") | .b "), "each");
        assert_eq!(shape("[.items[] | .metadata.name]"), "collect");
        assert_eq!(shape(".items | map(.metadata.name)"), "collect");
        assert_eq!(shape("[.items[] | select(.x)] | length"), "count");
        assert_eq!(shape(".items | length"), "length");
        assert_eq!(shape("[.items[]] | length"), "length");
        // Not the shapes: the whole program runs.
        assert_eq!(shape(".items[]"), "none");
        assert_eq!(shape(".items[] as $x | $x"), "none");
        assert_eq!(shape("[.items[] | .a] | sort"), "none");
        assert_eq!(shape("[.items[] | .a], 1"), "none");
        assert_eq!(shape(".items | map(.a) | length"), "none");
        assert_eq!(shape(".items | map(.a), 1"), "none");
        assert_eq!(shape(".items[] | .a) | (.b"), "none");
        assert_eq!(shape("[.items[] | \"\\(.a)]\"]"), "none");
    }

    fn run(p: &str, body: &str) -> Option<String> {
        let items = Items::parse(p, "--jq")?;
        let mut out = Vec::new();
        let style = Style {
            layout: Layout::Compact,
            color: false,
            terminal: false,
        };
        match items.run(body.as_bytes(), &mut out, style)? {
            Ok(()) => Some(String::from_utf8_lossy(&out).into_owned()),
            Err(e) => Some(format!("{}error: {e}", String::from_utf8_lossy(&out))),
        }
    }

    #[test]
    fn runs_item_by_item_as_jq() {
        let list = r#"{"kind":"L","items":[{"n":"a","v":1},{"n":"b","v":2}],"metadata":{}}"#;
        assert_eq!(run(".items[] | .n", list).as_deref(), Some("a\nb\n"));
        assert_eq!(run("[.items[] | .v]", list).as_deref(), Some("[1,2]\n"));
        assert_eq!(
            run(".items | map({v, n})", list).as_deref(),
            Some("[{\"v\":1,\"n\":\"a\"},{\"v\":2,\"n\":\"b\"}]\n")
        );
        assert_eq!(
            run("[.items[] | select(.v > 1)] | length", list).as_deref(),
            Some("1\n")
        );
        assert_eq!(run(".items | length", list).as_deref(), Some("2\n"));
        // Output before a runtime error is printed, then the error.
        assert_eq!(
            run(".items[] | if .v == 2 then error(\"x\") else .n end", list).as_deref(),
            Some("a\nerror: --jq: x")
        );
        // Anything but the plain shape: the caller runs the whole program.
        assert_eq!(run(".items[] | .n", r#"{"items":null}"#), None);
        assert_eq!(run(".items[] | .n", r#"{"items":[1],"items":[2]}"#), None);
        assert_eq!(run(".items[] | .n", r#"[1]"#), None);
        assert_eq!(run(".items | length", r#"{}"#), None);
        assert_eq!(run(".items | length", r#"{"items":[]} {}"#), None);
    }
}
