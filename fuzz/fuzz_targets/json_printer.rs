//! The streaming JSON printer (`kcurl::output::json::reformat`), checked against properties.
//!
//! Input: byte 0 picks the style (bit 0 compact, bit 1 colour), byte 1 is the split byte, the
//! rest is the response body. The body is formatted in one read and again read in pieces that end
//! after every occurrence of the split byte (with `Interrupted` errors in between); both must give
//! the same output and outcome. Then:
//! - only whitespace changes: the output without whitespace bytes equals the input without them
//!   (valid or not: on invalid input every byte is passed through);
//! - invalid input: the output ends with the input from the reported offset on, unchanged;
//! - complete input: string-aware, the non-whitespace text is byte-identical (every number and
//!   string token as written, in order); with colour, stripping the escapes gives the plain output;
//! - input serde_json accepts is complete, and the output parses to the same values. The printer
//!   also completes input serde_json refuses for lone surrogates, numbers out of f64 range and
//!   nesting past serde_json's recursion limit (the grammar allows all three).
#![no_main]

use std::io::{self, Read};

use kcurl::output::json::{Layout, Outcome, Style, reformat};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// Reads `data` in pieces ending after each `split` byte, with an `Interrupted` before each.
struct Split<'a> {
    data: &'a [u8],
    split: u8,
    interrupt: bool,
}

impl Read for Split<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.interrupt = !self.interrupt;
        if self.interrupt {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let end = self
            .data
            .iter()
            .position(|&b| b == self.split)
            .map_or(self.data.len(), |i| i + 1);
        let n = end.min(buf.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn run(input: impl Read, style: Style) -> (Vec<u8>, Outcome) {
    let mut out = Vec::new();
    match reformat(input, &mut out, style) {
        Ok(o) => (out, o),
        Err(e) => panic!("reading a slice or writing a Vec cannot fail, yet: {e}"),
    }
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn without_ws(b: &[u8]) -> Vec<u8> {
    b.iter().copied().filter(|&c| !is_ws(c)).collect()
}

/// The bytes outside whitespace, keeping whitespace inside strings (for complete JSON only).
fn text_without_ws(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let (mut in_str, mut escaped) = (false, false);
    for &c in b {
        if in_str {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_str = false;
            }
        } else if !is_ws(c) {
            out.push(c);
            in_str = c == b'"';
        }
    }
    out
}

fn strip_ansi(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == 0x1b && b.get(i + 1) == Some(&b'[') {
            while i < b.len() && b[i] != b'm' {
                i += 1;
            }
            i += 1;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

fn parse_all(b: &[u8]) -> Result<Vec<Value>, serde_json::Error> {
    serde_json::Deserializer::from_slice(b)
        .into_iter::<Value>()
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let [mode, split, body @ ..] = data else {
        return;
    };
    let style = Style {
        layout: if mode & 1 == 1 {
            Layout::Compact
        } else {
            Layout::Pretty
        },
        color: mode & 2 == 2,
        terminal: false,
    };
    let (out, outcome) = run(body, style);
    let (out2, outcome2) = run(
        Split {
            data: body,
            split: *split,
            interrupt: false,
        },
        style,
    );
    assert_eq!(outcome, outcome2, "split at {split:#04x}");
    assert!(out == out2, "split at {split:#04x}: output differs");

    let plain = if style.color {
        run(
            body,
            Style {
                color: false,
                ..style
            },
        )
        .0
    } else {
        out.clone()
    };
    assert!(
        without_ws(&plain) == without_ws(body),
        "a non-whitespace byte was lost, added or moved"
    );
    match &outcome {
        Outcome::Invalid(inv) => {
            let offset = usize::try_from(inv.offset).expect("offset fits");
            assert!(offset <= body.len(), "offset {offset} past the end");
            assert!(
                plain.ends_with(&body[offset..]),
                "the input from offset {offset} is not passed through unchanged"
            );
            assert!(!inv.message.is_empty());
        }
        Outcome::Complete { values } => {
            assert!(
                text_without_ws(&plain) == text_without_ws(body),
                "a token changed"
            );
            if style.color {
                assert!(
                    strip_ansi(&out) == plain,
                    "colour changed more than escapes"
                );
            }
            if !body.iter().all(|&b| is_ws(b)) {
                assert!(*values > 0);
                assert_eq!(plain.last(), Some(&b'\n'));
            }
        }
    }
    match (parse_all(body), &outcome) {
        (Ok(values), Outcome::Complete { values: n }) => {
            assert_eq!(values.len() as u64, *n);
            match parse_all(&plain) {
                Ok(again) => assert!(again == values, "the output parses to other values"),
                Err(e) => panic!("the output of valid JSON does not parse: {e}"),
            }
        }
        (Ok(_), Outcome::Invalid(inv)) => {
            panic!(
                "serde_json accepts what the printer calls invalid: {}",
                inv.message
            )
        }
        (Err(e), Outcome::Complete { .. }) => {
            let e = e.to_string();
            assert!(
                e.contains("surrogate")
                    || e.contains("hex escape")
                    || e.contains("out of range")
                    || e.contains("recursion limit"),
                "the printer completes what serde_json refuses: {e}"
            );
        }
        (Err(_), Outcome::Invalid(_)) => {}
    }
});
