//! jq programs (`--jq`, `--until`), compiled and run in-process by the jaq crates.
//!
//! This module owns three jobs: compile a jq program once, with jaq's standard library
//! (jaq-core, jaq-std and jaq-json definitions and native filters: `select`, `map`, `length`,
//! `keys`, `test`, `tojson`, …), reporting a syntax error or an undefined name with jaq's
//! message and its `line:column`; run the compiled program on any number of inputs (each page,
//! each watch event), given as [`serde_json::Value`]s or as JSON bytes parsed straight into
//! jaq's values ([`Input::parse`], faster); and print the results kcurl's way
//! ([`print_vals`]: strings raw, like `jq -r` and `gh api --jq`, everything else as JSON
//! through [`crate::json::reformat`]). It does not read responses, decide colour or
//! layout, or write to stderr (the caller does), except that a program's own `stderr` and
//! `halt_error` write there, as in jq; `debug` is silent (jaq sends it to the `log` crate).
//!
//! The library is jaq's, with kcurl's definitions on top ([`KCURL_DEFS`]) so that programs answer
//! what jq 1.7.1 answers: `$ENV`, `stderr`, `halt_error`, `del`/`delpaths`, `join`,
//! `ltrimstr`/`rtrimstr`, `from_entries`, `tostream`/`fromstream`, `INDEX`, `@csv`, `@tsv`,
//! `leaf_paths`, and a single input (`input` errors, `inputs` is empty). jaq-json is vendored
//! with jq 1.7's number printing, division by zero as an error and path creation through null
//! (vendor/jaq-json/PATCHES.md). `tests/jqdiff.rs` compares with libjq 1.7.1.
//!
//! Responses are parsed by jaq-json's reader ([`Input::parse`]): key order is kept, integers
//! of any size and decimal literals (`1.000`, `1e400`) are kept exactly and printed as jq 1.7
//! prints them ([`print_vals`]). Results can also come back as `serde_json::Value`
//! ([`Program::run`], for `--until`), where objects have sorted keys and numbers are what
//! serde_json can hold; a non-finite float becomes what jq prints (NaN → `null`, ±infinity →
//! ±`1.7976931348623157e308`).
//!
//! Errors: a compile error is [`Error::Usage`] (exit 2); a runtime error (`error("x")`, `.a` on
//! a number, `1 / 0`, …) is [`Error::Jq`] (exit 9), with jaq's message, control characters
//! escaped and long messages shortened. `halt` ends the output normally; `halt(N)` and
//! `halt_error(N)` are [`Error::Halt`]: exit N, `halt_error`'s message already on stderr.
//! Documents nested deeper than [`MAX_DEPTH`] levels are refused rather than overflowing the
//! stack (the binary runs on a [`STACK_SIZE`] thread).

pub mod path;
pub mod stream;

use std::io::{self, Write};

use jaq_core::compile::Undefined;
use jaq_core::load::{self, Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars, data::JustLut};
use jaq_json::{Num, Val};
use serde_json::Value;

use crate::diag::shorten;
use crate::error::{Error, Result};
use crate::json::{PrintError, Style, reformat};

/// `--jq`: the compiled program and its fast paths (a plain path scanned without building a
/// tree; a list program run item by item).
pub struct Filter {
    pub program: Program,
    pub path: Option<path::Path>,
    pub items: Option<stream::Items>,
}

impl Filter {
    /// Compile `source` (given with `flag`, for messages).
    pub fn compile(source: &str, flag: &str) -> Result<Filter> {
        Ok(Filter {
            program: Program::compile(source, flag)?,
            path: path::Path::parse(source),
            items: stream::Items::parse(source, flag),
        })
    }
}

/// Deepest nesting of arrays and objects converted between serde_json and jaq.
/// Responses nested deeper are refused before parsing (jq 1.7 handles 10,000 levels); the
/// binary runs on a thread with [`STACK_SIZE`] bytes of stack so that this depth fits.
pub const MAX_DEPTH: usize = 16_384;

/// Stack size of the thread that runs kcurl (see `main`): deep documents are parsed, run and
/// printed recursively.
pub const STACK_SIZE: usize = 512 << 20;

/// Longest runtime error message kept, in characters (jaq includes the offending value).
const MAX_MESSAGE: usize = 300;

/// Longest piece of program text quoted in a compile error, in characters.
const MAX_QUOTE: usize = 20;

type Data = JustLut<Val>;

/// Definitions the jaq crates leave to the jaq binary, which kcurl's users reach for: jq 1.7's
/// `@csv` and `@tsv` (jq's escaping and error messages), and `leaf_paths`.
const KCURL_DEFS: &str = r#"
def @csv:
  if type != "array" then error("\(type) (\(tojson)) cannot be csv-formatted, only an array can be")
  else map(
    if type == "string" then "\"" + (split("\"") | join("\"\"")) + "\""
    elif type == "number" or type == "boolean" then tojson
    elif . == null then ""
    else error("\(type) (\(tojson)) is not valid in a csv row")
    end) | join(",")
  end;
def @tsv:
  if type != "array" then error("\(type) (\(tojson)) cannot be tsv-formatted, only an array can be")
  else map(
    if type == "string" then
      split("\\") | join("\\\\") | split("\t") | join("\\t")
      | split("\n") | join("\\n") | split("\r") | join("\\r")
    elif type == "number" or type == "boolean" then tojson
    elif . == null then ""
    else error("\(type) (\(tojson)) is not valid in a tsv row")
    end) | join("\t")
  end;
def leaf_paths: paths(scalars);
def stderr: (_kcurl_stderr | empty), .;
def halt_error($code):
  (if type == "string" then _kcurl_stderr else (tojson + "\n" | _kcurl_stderr) end), halt($code);
def halt_error: halt_error(5);
def nan: "NaN" | tonumber;
def infinite: "Infinity" | tonumber;
def isnan: . < nan and nan < .;
def isinfinite: . == infinite or  . == -infinite;
def isfinite: isnumber and (isinfinite | not);
def isnormal: isnumber and ((. == 0 or isnan or isinfinite) | not);
def logb:
    if . == 0.0 then -infinite
  elif isinfinite then infinite
  elif isnan then .
  else ilogb | . + 0.0 end;
def significand:
    if isinfinite or isnan then .
  elif . == 0.0 then 0.0
  else scalbln(.; ilogb | -1 * .) end;
def delpaths($paths): reduce ($paths | unique | reverse)[] as $path (.; getpath($path) |= empty);
def del(f): delpaths([path(f)]);
def join($x): reduce .[] as $i (null;
    (if . == null then "" else . + $x end) +
    ($i | if . == null then "" elif type == "string" then . else tojson end)
  ) // "";
def ltrimstr($x):
  if type == "string" and ($x | type) == "string" and startswith($x) then .[($x | length):] end;
def rtrimstr($x):
  if type == "string" and ($x | type) == "string" and endswith($x) and ($x | length) > 0
  then .[:length - ($x | length)] end;
def from_entries: reduce .[] as $x ({};
  . + { ($x | .key // .name // .Name // .Key
          | if type == "string" then . else error("Cannot use \(type) (\(tojson)) as object key") end):
        ($x | if has("value") then .value else .Value end) });
def tostream: path(def r: (.[]? | r), .; r) as $p | getpath($p)
  | reduce path(.[]?) as $q ([$p, .]; [$p + $q]);
def fromstream(f): { x: null, e: false } as $init
  | foreach f as $i ($init;
      if .e then $init else . end
      | if $i | length == 2
        then setpath(["e"]; $i[0] | length == 0) | setpath(["x"] + $i[0]; $i[1])
        else setpath(["e"]; $i[0] | length == 1) end;
      if .e then .x else empty end);
def INDEX(stream; idx_expr): reduce stream as $row ({}; .[$row | idx_expr | tostring] |= $row);
def INDEX(idx_expr): INDEX(.[]; idx_expr);
def input_line_number: 0;
def input: error("No more inputs");
def inputs: empty;
"#;

/// The definitions every program sees: jaq's standard library, then [`KCURL_DEFS`].
fn definitions() -> impl Iterator<Item = load::parse::Def<&'static str>> {
    let kcurl: Vec<_> = load::parse(KCURL_DEFS, |p| p.defs()).unwrap_or_default();
    jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs())
        .chain(kcurl)
}

/// One input document for a [`Program`]: a [`serde_json::Value`], or JSON bytes parsed straight
/// into jaq's values by [`Input::parse`].
///
/// Parsing straight into jaq's values skips building and freeing a `serde_json::Value` tree:
/// about 25–30% faster on a 25 MB PodList, and the document's key order is kept while the
/// program runs (`keys_unsorted`, `to_entries`). Any `Value` converts with `.into()`.
#[derive(Debug)]
pub struct Input(Repr);

#[derive(Debug)]
enum Repr {
    Json(Value),
    Jaq(Val),
}

impl Input {
    /// Parse one JSON document (surrounding whitespace allowed) with serde_json's parser.
    ///
    /// Numbers are kept as jq 1.7 keeps them: integers of any size exactly, other numbers as
    /// their decimal text (`1.000`, `1e400`). Nesting is limited to [`MAX_DEPTH`] levels.
    pub fn parse(json: &[u8]) -> std::result::Result<Input, String> {
        parse_val(json).map(|v| Input(Repr::Jaq(v)))
    }
}

/// Parse one JSON document into a jaq value, as [`Input::parse`] does.
pub fn parse_val(json: &[u8]) -> std::result::Result<Val, String> {
    let (depth, plain_numbers) = scan_json(json);
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    // serde_json is faster than jaq-json's reader, and gives the same values when every number
    // is an integer of at most 15 digits (no `.`, no exponent, no `-0`, nothing rounded) and
    // the nesting is within its 128 levels.
    if plain_numbers && depth < 128 {
        if let Ok(v) = serde_json::from_slice::<Val>(json) {
            return Ok(v);
        }
    }
    jaq_json::read::parse_single(json).map_err(|e| e.to_string())
}

impl From<Value> for Input {
    fn from(value: Value) -> Input {
        Input(Repr::Json(value))
    }
}

/// Run on a borrowed input: a cheap reference-count copy for a parsed [`Input`] (a deep copy
/// for one made from a `Value`).
///
/// The caller keeps the document, so freeing it is not part of the run. Freeing a 25 MB tree
/// costs more than running `.items[].metadata.name` on it (measured: ~140–480 ms against
/// ~20 ms with glibc's allocator), so a one-shot caller that exits right after printing may
/// `std::mem::forget` the input instead of dropping it.
impl From<&Input> for Input {
    fn from(input: &Input) -> Input {
        Input(match &input.0 {
            Repr::Json(v) => Repr::Json(v.clone()),
            Repr::Jaq(v) => Repr::Jaq(v.clone()),
        })
    }
}

/// A compiled jq program (jaq), reusable for many inputs (each watch event, each page).
pub struct Program {
    filter: jaq_core::Filter<Data>,
    /// `$ENV`: the environment, as jq gives it.
    env: Val,
    /// The flag the program came from (`--jq`, `--until`), to start messages with.
    flag: String,
}

impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Program")
            .field("flag", &self.flag)
            .finish_non_exhaustive()
    }
}

impl Program {
    /// Compile `source`; `flag` (`--jq`, `--until`) starts every message about it.
    ///
    /// A syntax error or an undefined filter or variable is [`Error::Usage`] with jaq's message
    /// and the 1-based `line:column` (columns count characters) of the offending text, e.g.
    /// `--jq: expected term, found end of input at 1:9`.
    pub fn compile(source: &str, flag: &str) -> Result<Program> {
        let defs = definitions();
        let funs = jaq_core::funs()
            .chain(jaq_std::funs())
            .chain(jaq_json::funs())
            .chain(kcurl_funs());
        let arena = Arena::default();
        let file = File {
            code: source,
            path: (),
        };
        let modules = Loader::new(defs)
            .load(&arena, file)
            .map_err(|errs| compile_error(flag, load_messages(errs)))?;
        let filter = Compiler::default()
            .with_funs(funs)
            .with_global_vars(["$ENV"])
            .compile(modules)
            .map_err(|errs| compile_error(flag, undefined_messages(errs)))?;
        let env = Val::obj(
            std::env::vars_os()
                .map(|(k, v)| {
                    (
                        Val::utf8_str(k.to_string_lossy().into_owned().into_bytes()),
                        Val::utf8_str(v.to_string_lossy().into_owned().into_bytes()),
                    )
                })
                .collect(),
        );
        Ok(Program {
            filter,
            env,
            flag: flag.to_owned(),
        })
    }

    /// Run on one input; returns every output value in order.
    ///
    /// All outputs are collected first: a program with endless output grows memory until it is
    /// killed. [`Program::for_each`] streams instead.
    ///
    /// A runtime error is [`Error::Config`] with jaq's message (`--jq: cannot index 1 with "a"`);
    /// the outputs before it are dropped (see [`Program::run_partial`] to keep them).
    pub fn run(&self, input: impl Into<Input>) -> Result<Vec<Value>> {
        match self.run_partial(input) {
            (values, None) => Ok(values),
            (_, Some(e)) => Err(e),
        }
    }

    /// Run on one input, handing each output to `f` as soon as it is computed.
    ///
    /// Stops at the first runtime error or the first error from `f`, and returns it. Unlike
    /// [`Program::run`], memory does not grow with the number of outputs, and a program with
    /// endless output (`repeat(1)`, `range(0; 1; 0)`) runs until `f` fails (a closed pipe).
    pub fn for_each(
        &self,
        input: impl Into<Input>,
        mut f: impl FnMut(Value) -> Result<()>,
    ) -> Result<()> {
        for output in self.outputs(input)? {
            f(output?)?;
        }
        Ok(())
    }

    /// [`Program::for_each`] with jaq's own values, for [`print_vals`]: key order, big integers
    /// and decimal literals are kept as they are.
    pub fn for_each_val(
        &self,
        input: impl Into<Input>,
        mut f: impl FnMut(Val) -> Result<()>,
    ) -> Result<()> {
        for output in self.raw_outputs(input)? {
            f(output?)?;
        }
        Ok(())
    }

    /// Run on one input; returns the outputs made before the first error, and that error.
    ///
    /// This is what `jq` prints: every value up to a runtime error, then the error.
    pub fn run_partial(&self, input: impl Into<Input>) -> (Vec<Value>, Option<Error>) {
        let mut values = Vec::new();
        let outputs = match self.outputs(input) {
            Ok(outputs) => outputs,
            Err(e) => return (values, Some(e)),
        };
        for output in outputs {
            match output {
                Ok(v) => values.push(v),
                Err(e) => return (values, Some(e)),
            }
        }
        (values, None)
    }

    /// Run and say whether the first output is truthy (not `false` or `null`), for `--until`.
    ///
    /// Only the first output is computed. No output is `(false, None)`; otherwise the first
    /// output is returned with the answer, so the caller can show the last value on a timeout.
    /// A runtime error before the first output is [`Error::Config`], as for [`Program::run`].
    pub fn truthy(&self, input: impl Into<Input>) -> Result<(bool, Option<Value>)> {
        match self.outputs(input)?.next() {
            None => Ok((false, None)),
            Some(v) => {
                let v = v?;
                let truthy = !matches!(v, Value::Null | Value::Bool(false));
                Ok((truthy, Some(v)))
            }
        }
    }

    /// The lazy stream of outputs for `input`, each converted to serde_json.
    fn outputs(&self, input: impl Into<Input>) -> Result<impl Iterator<Item = Result<Value>> + '_> {
        Ok(self.raw_outputs(input)?.map(move |item| {
            item.and_then(|v| from_val(&v, 0).map_err(|e| self.runtime_error(&e)))
        }))
    }

    /// The lazy stream of outputs for `input`, as jaq values.
    fn raw_outputs(
        &self,
        input: impl Into<Input>,
    ) -> Result<impl Iterator<Item = Result<Val>> + '_> {
        let input = match input.into().0 {
            Repr::Json(v) => to_val(v, 0).map_err(|e| self.runtime_error(&e))?,
            Repr::Jaq(v) => v,
        };
        let ctx = Ctx::<Data>::new(&self.filter.lut, Vars::new([self.env.clone()]));
        let mut raw = self.filter.id.run((ctx, input));
        let mut done = false;
        Ok(std::iter::from_fn(move || {
            if done {
                return None;
            }
            let item = match raw.next()? {
                Ok(v) => Ok(v),
                Err(exn) => match exn.get_err() {
                    Ok(e) => Err(self.runtime_error(&error_text(e))),
                    Err(exn) => match exn.get_halt() {
                        // `halt`: the program ends here, successfully.
                        Ok(0) => {
                            done = true;
                            return None;
                        }
                        // `halt(N)`, `halt_error(N)`: jq exits with N (its message, if any,
                        // was already written to stderr).
                        Ok(code) => Err(Error::Halt(u8::try_from(code & 0xff).unwrap_or(5))),
                        Err(_) => Err(self.runtime_error("internal jaq exception escaped")),
                    },
                },
            };
            // Nothing after an error: jq stops the program there.
            done = item.is_err();
            Some(item)
        }))
    }

    fn runtime_error(&self, message: &str) -> Error {
        Error::Jq(escape_controls(&format!(
            "{}: {}",
            self.flag,
            shorten(message, MAX_MESSAGE)
        )))
    }
}

/// Print jq results kcurl's way: strings raw, everything else as JSON, each followed by `"\n"`.
///
/// A string is written as its bytes without quotes or escapes, like `jq -r` and `gh api --jq`,
/// so `--jq '.items[].metadata.name'` feeds `while read` loops. Every other value goes through
/// [`reformat`] with `style` (pretty or compact, colour or not). Output is collected in a buffer
/// and written in pieces of about 64 KiB, with one flush at the end.
pub fn print_results<W: Write>(values: &[Value], out: &mut W, style: Style) -> io::Result<()> {
    const CHUNK: usize = 64 * 1024;
    let mut buf = Vec::with_capacity(CHUNK);
    for value in values {
        match value {
            Value::String(s) if style.terminal => {
                buf.extend_from_slice(crate::diag::sanitize(s).as_bytes());
                buf.push(b'\n');
            }
            Value::String(s) => {
                buf.extend_from_slice(s.as_bytes());
                buf.push(b'\n');
            }
            _ => {
                let json = serde_json::to_vec(value).map_err(io::Error::other)?;
                // serde_json's output is valid JSON, so the outcome is always Complete.
                reformat(json.as_slice(), &mut buf, style).map_err(|e| match e {
                    PrintError::Read(e) | PrintError::Write(e) => e,
                })?;
            }
        }
        if buf.len() >= CHUNK {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    out.write_all(&buf)?;
    out.flush()
}

/// Print jaq values kcurl's way, as [`print_results`] does: strings raw, everything else as
/// JSON through [`reformat`], with the keys in the order the program made them and numbers as
/// jq 1.7 prints them (big integers and decimal literals of the input kept exactly).
pub fn print_vals<W: Write + ?Sized>(values: &[Val], out: &mut W, style: Style) -> io::Result<()> {
    const CHUNK: usize = 64 * 1024;
    let pp = jaq_json::write::Pp::default();
    let mut buf = Vec::with_capacity(CHUNK);
    let mut json = Vec::new();
    for value in values {
        match value {
            Val::TStr(b) | Val::BStr(b) if style.terminal => {
                let text = String::from_utf8_lossy(b);
                buf.extend_from_slice(crate::diag::sanitize(&text).as_bytes());
                buf.push(b'\n');
            }
            Val::TStr(b) | Val::BStr(b) => {
                buf.extend_from_slice(b);
                buf.push(b'\n');
            }
            _ => {
                json.clear();
                jaq_json::write::write(&mut json, &pp, 0, value)?;
                reformat(json.as_slice(), &mut buf, style).map_err(|e| match e {
                    PrintError::Read(e) | PrintError::Write(e) => e,
                })?;
            }
        }
        if buf.len() >= CHUNK {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    out.write_all(&buf)?;
    out.flush()
}

/// Native filters kcurl adds: `_kcurl_stderr` writes its input to stderr as jq 1.7's `stderr`
/// does (a string raw, anything else as compact JSON, no newline) and yields nothing.
fn kcurl_funs() -> impl Iterator<Item = jaq_core::native::Fun<Data>> {
    fn to_stderr<'a>(cv: jaq_core::Cv<'a, Data>) -> jaq_core::ValXs<'a, Val> {
        let mut err = io::stderr().lock();
        let _ = match &cv.1 {
            Val::TStr(b) | Val::BStr(b) => err.write_all(b),
            v => jaq_json::write::write(&mut err, &jaq_json::write::Pp::default(), 0, v),
        };
        let _ = err.flush();
        Box::new(std::iter::empty())
    }
    [jaq_core::native::run::<Data>((
        "_kcurl_stderr",
        jaq_core::native::v(0),
        to_stderr,
    ))]
    .into_iter()
}

/// The deepest nesting of `[` and `{` in JSON text (brackets inside strings do not count), and
/// whether every number in it is a plain integer of at most 15 digits (`-0` excluded), which
/// serde_json reads exactly as jaq-json's reader does.
fn scan_json(json: &[u8]) -> (usize, bool) {
    let (mut depth, mut max, mut in_str, mut escaped) = (0usize, 0usize, false, false);
    let (mut plain, mut digits, mut minus) = (true, 0usize, false);
    for &b in json {
        if in_str {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_str = false;
            }
            continue;
        }
        if b.is_ascii_digit() {
            digits += 1;
            if digits > 15 || (minus && digits == 1 && b == b'0') {
                plain = false;
            }
            continue;
        }
        match b {
            b'.' | b'e' | b'E' if digits > 0 => plain = false,
            _ => {}
        }
        digits = 0;
        minus = b == b'-';
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    (max, plain)
}

/// serde_json → jaq.
fn to_val(v: Value, depth: usize) -> Result<Val, String> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    Ok(match v {
        Value::Null => Val::Null,
        Value::Bool(b) => Val::Bool(b),
        Value::Number(n) => Val::Num(if let Some(i) = n.as_i64() {
            Num::from_integral(i)
        } else if let Some(u) = n.as_u64() {
            Num::from_integral(u)
        } else {
            Num::Float(n.as_f64().unwrap_or(f64::NAN))
        }),
        Value::String(s) => Val::utf8_str(s.into_bytes()),
        Value::Array(a) => a
            .into_iter()
            .map(|v| to_val(v, depth + 1))
            .collect::<Result<Val, String>>()?,
        Value::Object(o) => Val::obj(
            o.into_iter()
                .map(|(k, v)| Ok((Val::utf8_str(k.into_bytes()), to_val(v, depth + 1)?)))
                .collect::<Result<jaq_json::Map, String>>()?,
        ),
    })
}

/// jaq → serde_json.
fn from_val(v: &Val, depth: usize) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    Ok(match v {
        Val::Null => Value::Null,
        Val::Bool(b) => Value::Bool(*b),
        Val::Num(n) => from_num(n),
        Val::TStr(b) | Val::BStr(b) => Value::String(String::from_utf8_lossy(b).into_owned()),
        Val::Arr(a) => Value::Array(
            a.iter()
                .map(|v| from_val(v, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Val::Obj(o) => Value::Object(
            o.iter()
                .map(|(k, v)| {
                    let key = match k {
                        Val::TStr(b) | Val::BStr(b) => String::from_utf8_lossy(b).into_owned(),
                        other => other.to_string(),
                    };
                    Ok((key, from_val(v, depth + 1)?))
                })
                .collect::<Result<_, String>>()?,
        ),
    })
}

/// A jaq number as serde_json (without `arbitrary_precision`) can hold it.
fn from_num(n: &Num) -> Value {
    match n {
        Num::Int(i) => i64::try_from(*i).map_or_else(|_| from_text(&n.to_string()), Value::from),
        Num::Float(f) => from_f64(*f),
        // Big integers and decimal literals of the program (`1.5`, `1e400`): let serde_json
        // read their text, as it would read them in a response.
        Num::BigInt(_) | Num::Dec(_) => from_text(&n.to_string()),
    }
}

fn from_text(text: &str) -> Value {
    match serde_json::from_str::<serde_json::Number>(text) {
        Ok(n) => Value::Number(n),
        Err(_) => from_f64(text.parse().unwrap_or(f64::NAN)),
    }
}

/// jq's mapping of floats to JSON: NaN is `null`, infinities are the largest finite doubles.
fn from_f64(f: f64) -> Value {
    let f = if f.is_infinite() {
        f64::MAX.copysign(f)
    } else {
        f
    };
    serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
}

fn too_deep() -> String {
    format!("value nested deeper than {MAX_DEPTH} levels")
}

/// jq's text for a runtime error: a string error raw, any other value as JSON.
fn error_text(e: jaq_core::Error<Val>) -> String {
    match e.into_val() {
        Val::TStr(b) => String::from_utf8_lossy(&b).into_owned(),
        other => format!("{other} (not a string)"),
    }
}

/// A compile error, located in the program text.
struct Located {
    message: String,
    /// Byte offset into the source, when the offending text lies in it.
    at: Option<usize>,
}

fn compile_error(flag: &str, messages: Vec<(Located, &str)>) -> Error {
    let mut iter = messages.into_iter();
    let Some((first, code)) = iter.next() else {
        return Error::Usage(format!("{flag}: the program does not compile"));
    };
    let mut text = format!("{flag}: {}", first.message);
    if let Some(at) = first.at {
        let (line, col) = line_col(code, at);
        text.push_str(&format!(" at {line}:{col}"));
    }
    let more = iter.count();
    if more > 0 {
        text.push_str(&format!(
            " (and {more} more error{})",
            if more == 1 { "" } else { "s" }
        ));
    }
    Error::Usage(escape_controls(&text))
}

/// Lex, parse and import errors with their location, as jaq's own reports word them.
fn load_messages(errs: load::Errors<&str, ()>) -> Vec<(Located, &str)> {
    let mut out = Vec::new();
    for (file, err) in errs {
        let code = file.code;
        match err {
            load::Error::Io(errs) => {
                for (path, why) in errs {
                    out.push((
                        Located {
                            message: format!("cannot import {}: {why}", quote(path)),
                            at: offset_in(code, path),
                        },
                        code,
                    ));
                }
            }
            load::Error::Lex(errs) => {
                for (expect, found) in errs {
                    let what = match expect {
                        load::lex::Expect::Delim(open) => match open {
                            "(" => "closing parenthesis",
                            "[" => "closing bracket",
                            "{" => "closing brace",
                            _ => "closing quote",
                        },
                        other => other.as_str(),
                    };
                    let found_text = match found.chars().next() {
                        None => "end of input".to_owned(),
                        Some(c) => format!("unexpected character {}", quote(&c.to_string())),
                    };
                    out.push((
                        Located {
                            message: format!("expected {what}, found {found_text}"),
                            at: offset_in(code, found),
                        },
                        code,
                    ));
                }
            }
            load::Error::Parse(errs) => {
                for (expect, found) in errs {
                    let found_text = if found.is_empty() {
                        "end of input".to_owned()
                    } else {
                        quote(found)
                    };
                    out.push((
                        Located {
                            message: format!("expected {}, found {found_text}", expect.as_str()),
                            at: offset_in(code, found),
                        },
                        code,
                    ));
                }
            }
        }
    }
    out
}

/// Undefined names, as jaq's own reports word them.
fn undefined_messages(errs: jaq_core::compile::Errors<&str, ()>) -> Vec<(Located, &str)> {
    let mut out = Vec::new();
    for (file, errs) in errs {
        let code = file.code;
        for (name, undefined) in errs {
            let message = match (name, &undefined) {
                ("reduce", Undefined::Filter(n)) => {
                    format!("wrong number of arguments to reduce (expected 2, found {n})")
                }
                ("foreach", Undefined::Filter(n)) => {
                    format!("wrong number of arguments to foreach (expected 2 or 3, found {n})")
                }
                (_, Undefined::Filter(n)) => {
                    format!("undefined filter {}", quote(&format!("{name}/{n}")))
                }
                (_, other) => format!("undefined {} {}", other.as_str(), quote(name)),
            };
            out.push((
                Located {
                    message,
                    at: offset_in(code, name),
                },
                code,
            ));
        }
    }
    out
}

/// The byte offset of `part` in `whole`, when `part` is a slice of it.
fn offset_in(whole: &str, part: &str) -> Option<usize> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    (start + part.len() <= whole.len()).then_some(start)
}

/// 1-based line and column (in characters) of byte offset `at` in `code`.
fn line_col(code: &str, at: usize) -> (usize, usize) {
    let before = code.get(..at).unwrap_or(code);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, col)
}

/// `text` in double quotes, shortened to [`MAX_QUOTE`] characters.
fn quote(text: &str) -> String {
    format!("\"{}\"", shorten(text, MAX_QUOTE))
}

/// Control characters (from the program or the data) escaped, so a message is one safe line.
fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:04x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Layout;
    use serde_json::json;

    fn program(source: &str) -> Program {
        match Program::compile(source, "--jq") {
            Ok(p) => p,
            Err(e) => panic!("{source}: {e}"),
        }
    }

    fn run(source: &str, input: Value) -> Vec<Value> {
        match program(source).run(input) {
            Ok(v) => v,
            Err(e) => panic!("{source}: {e}"),
        }
    }

    fn compile_error(source: &str) -> String {
        match Program::compile(source, "--jq") {
            Ok(_) => panic!("{source} compiled"),
            Err(e) => {
                assert_eq!(e.exit_code(), 2, "{e}");
                e.to_string()
            }
        }
    }

    fn runtime_error(source: &str, input: Value) -> String {
        match program(source).run(input) {
            Ok(v) => panic!("{source} gave {v:?}"),
            Err(e) => {
                assert!(matches!(e, Error::Jq(_)), "{e:?}");
                assert_eq!(e.exit_code(), 9);
                e.to_string()
            }
        }
    }

    fn pod(name: &str, phase: &str) -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": "default"},
            "status": {"phase": phase},
        })
    }

    fn pod_list() -> Value {
        json!({
            "apiVersion": "v1",
            "items": [pod("web-1", "Running"), pod("web-2", "Pending")],
            "kind": "PodList",
            "metadata": {"resourceVersion": "42"},
        })
    }

    fn print(values: &[Value], layout: Layout, color: bool) -> String {
        let mut out = Vec::new();
        if let Err(e) = print_results(
            values,
            &mut out,
            Style {
                layout,
                color,
                terminal: false,
            },
        ) {
            panic!("{e}");
        }
        match String::from_utf8(out) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn names_of_a_pod_list() {
        assert_eq!(
            run(".items[].metadata.name", pod_list()),
            [json!("web-1"), json!("web-2")]
        );
    }

    #[test]
    fn standard_library_filters() {
        assert_eq!(
            run(
                r#".items[] | select(.status.phase == "Running") | .metadata.name"#,
                pod_list()
            ),
            [json!("web-1")]
        );
        assert_eq!(run(".items | length", pod_list()), [json!(2)]);
        assert_eq!(
            run("keys", pod_list()),
            [json!(["apiVersion", "items", "kind", "metadata"])]
        );
        assert_eq!(
            run(".items | map(.metadata.name)", pod_list()),
            [json!(["web-1", "web-2"])]
        );
        assert_eq!(
            run(r#"[.items[].metadata.name | test("-2$")]"#, pod_list()),
            [json!([false, true])]
        );
        assert_eq!(
            run(r#".metadata | tojson"#, pod_list()),
            [json!(r#"{"resourceVersion":"42"}"#)]
        );
        assert_eq!(
            run(r#""{\"a\":1}" | fromjson"#, Value::Null),
            [json!({"a": 1})]
        );
        assert_eq!(
            run("[.items[].status.phase] | unique | join(\",\")", pod_list()),
            [json!("Pending,Running")]
        );
    }

    #[test]
    fn csv_and_tsv_as_in_jq() {
        assert!(load::parse(KCURL_DEFS, |p| p.defs()).is_some());
        assert_eq!(
            run(
                ".items[] | [.metadata.name, .status.phase] | @tsv",
                pod_list()
            ),
            [json!("web-1\tRunning"), json!("web-2\tPending")]
        );
        assert_eq!(
            run(r#"["a,b", "x\"y", 1, 1.5, null, true] | @csv"#, Value::Null),
            [json!(r#""a,b","x""y",1,1.5,,true"#)]
        );
        assert_eq!(
            run(
                r#"["a\tb", "c\nd", "e\\f", "g\rh", 2, null, false] | @tsv"#,
                Value::Null
            ),
            [json!("a\\tb\tc\\nd\te\\\\f\tg\\rh\t2\t\tfalse")]
        );
        assert_eq!(
            runtime_error("[{}] | @csv", Value::Null),
            "--jq: object ({}) is not valid in a csv row"
        );
        assert_eq!(
            runtime_error("@tsv", json!("x")),
            "--jq: string (\"x\") cannot be tsv-formatted, only an array can be"
        );
        assert_eq!(
            run("[leaf_paths]", json!({"a": [1, {"b": null}]})),
            [json!([["a", 0]])]
        );
    }

    #[test]
    fn every_kind_of_result() {
        assert_eq!(
            run(".items[0].metadata", pod_list()),
            [json!({"name": "web-1", "namespace": "default"})]
        );
        assert_eq!(
            run(
                ".a, .b, .c, .d, .e",
                json!({"a": 1, "b": true, "c": null, "d": 1.5, "e": [1]})
            ),
            [json!(1), json!(true), Value::Null, json!(1.5), json!([1])]
        );
        assert_eq!(run(".missing", json!({})), [Value::Null]);
        assert_eq!(run("empty", pod_list()), Vec::<Value>::new());
        assert_eq!(run(".items[] | empty", pod_list()), Vec::<Value>::new());
    }

    #[test]
    fn numbers_round_trip() {
        let input = json!({
            "big": u64::MAX,
            "min": i64::MIN,
            "neg": -7,
            "float": 0.1,
            "exp": 1e300,
            "zero": 0,
        });
        assert_eq!(run(".", input.clone()), std::slice::from_ref(&input));
        let out = run(".big, .min, .neg, .zero", input);
        assert!(out[0].is_u64() && out[1].is_i64() && out[2].is_i64() && out[3].is_u64());
        // Integer arithmetic stays integral; division makes a float, as in jq.
        assert_eq!(
            run(".a + 1, .a * 2, .a / 2", json!({"a": 3})),
            [json!(4), json!(6), json!(1.5)]
        );
        assert_eq!(run("1.5, 2", Value::Null), [json!(1.5), json!(2)]);
        // Beyond u64: a float, as serde_json would parse it.
        assert_eq!(
            run(".a * .a", json!({"a": u64::MAX})),
            [json!(3.402823669209385e38)]
        );
        // jq's mapping of non-finite floats.
        assert_eq!(run("nan", Value::Null), [Value::Null]);
        assert_eq!(
            run("infinite, -infinite", Value::Null),
            [json!(f64::MAX), json!(-f64::MAX)]
        );
        assert_eq!(run("1e1000", Value::Null), [json!(f64::MAX)]);
    }

    #[test]
    fn strings_and_keys() {
        assert_eq!(run(".", json!("é\u{1}\"")), [json!("é\u{1}\"")]);
        assert_eq!(run("{(1): 2}", Value::Null), [json!({"1": 2})]);
        assert_eq!(run("\"YWJj\" | @base64d", Value::Null), [json!("abc")]);
        // Invalid UTF-8 made by the program becomes U+FFFD.
        assert_eq!(run("\"/w==\" | @base64d", Value::Null), [json!("\u{fffd}")]);
    }

    #[test]
    fn truthiness_for_until() {
        let p = program(".a == .b");
        let t = |p: &Program, v: Value| match p.truthy(v) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(t(&p, json!({"a": 1, "b": 1})), (true, Some(json!(true))));
        assert_eq!(t(&p, json!({"a": 1, "b": 2})), (false, Some(json!(false))));
        assert_eq!(
            t(&program(".a"), json!({"a": null})),
            (false, Some(Value::Null))
        );
        assert_eq!(t(&program(".a"), json!({"a": 0})), (true, Some(json!(0))));
        assert_eq!(t(&program(".a"), json!({"a": ""})), (true, Some(json!(""))));
        assert_eq!(t(&program("empty"), json!({})), (false, None));
        // Only the first output counts, and later ones are not even computed.
        assert_eq!(
            t(&program("true, error(\"x\")"), json!({})),
            (true, Some(json!(true)))
        );
        assert!(program("error(\"x\"), true").truthy(json!({})).is_err());
        let rollout = program(".status.readyReplicas == .spec.replicas");
        let deployment = json!({"spec": {"replicas": 3}, "status": {"readyReplicas": 3}});
        assert!(t(&rollout, deployment).0);
    }

    #[test]
    fn compile_errors_say_where() {
        assert_eq!(
            compile_error(".items[] |"),
            "--jq: expected term, found end of input at 1:11"
        );
        assert_eq!(
            compile_error(".a |\n  foo(1)"),
            "--jq: undefined filter \"foo/1\" at 2:3"
        );
        assert_eq!(
            compile_error("$x"),
            "--jq: undefined variable \"$x\" at 1:1"
        );
        assert_eq!(
            compile_error("if . then 1"),
            "--jq: expected else or end, found end of input at 1:12"
        );
        assert_eq!(
            compile_error(".a)"),
            "--jq: expected token, found unexpected character \")\" at 1:3"
        );
        assert_eq!(
            compile_error(".a 1"),
            "--jq: expected nothing, found \"1\" at 1:4"
        );
        assert_eq!(
            compile_error("[.a"),
            "--jq: expected closing bracket, found end of input at 1:4"
        );
        assert_eq!(
            compile_error("\"abc"),
            "--jq: expected closing quote, found end of input at 1:5"
        );
        assert_eq!(
            compile_error(".a & .b"),
            "--jq: expected token, found unexpected character \"&\" at 1:4"
        );
        assert_eq!(
            compile_error("import \"x\" as x; ."),
            "--jq: cannot import \"x\": module loading not supported at 1:9"
        );
        // The flag is the caller's; control characters are escaped.
        match Program::compile("é\u{1b}", "--until") {
            Err(e) => assert_eq!(
                e.to_string(),
                "--until: expected token, found unexpected character \"é\" at 1:1"
            ),
            Ok(_) => panic!("compiled"),
        }
        assert!(compile_error("\u{1b}[31m").contains("\\u{001b}"));
    }

    #[test]
    fn runtime_errors_carry_jaqs_message() {
        assert_eq!(
            runtime_error(".a.b", json!({"a": 5})),
            "--jq: cannot index 5 with \"b\""
        );
        assert_eq!(runtime_error("error(\"x\")", Value::Null), "--jq: x");
        assert_eq!(
            runtime_error("error({a: 1})", Value::Null),
            "--jq: {\"a\":1} (not a string)"
        );
        assert_eq!(
            runtime_error(".[]", json!(1)),
            "--jq: cannot use 1 as iterable (array or object)"
        );
        // A huge offending value is shortened; control characters are escaped.
        let long = runtime_error(".[]", json!("x".repeat(10_000)));
        assert!(long.ends_with('…') && long.chars().count() < 320, "{long}");
        assert_eq!(
            runtime_error("error(\"a\\nb\")", Value::Null),
            "--jq: a\\nb"
        );
        // The outputs before the error are kept by run_partial.
        let (values, err) =
            program(".[] | if . == 2 then error(\"two\") else . end").run_partial(json!([1, 2, 3]));
        assert_eq!(values, [json!(1)]);
        assert_eq!(err.map(|e| e.to_string()), Some("--jq: two".to_owned()));
    }

    #[test]
    fn for_each_streams_and_stops() {
        // Endless output stops when the consumer fails (a closed pipe).
        let mut seen = Vec::new();
        let result = program("repeat(1)").for_each(Value::Null, |v| {
            seen.push(v);
            if seen.len() == 3 {
                Err(Error::Output(io::ErrorKind::BrokenPipe.into()))
            } else {
                Ok(())
            }
        });
        assert!(result.is_err_and(|e| e.is_broken_pipe()));
        assert_eq!(seen, [json!(1), json!(1), json!(1)]);
        // A runtime error stops it after the outputs before it.
        let mut seen = Vec::new();
        let result = program(".[] | if . == 2 then error(\"two\") else . end").for_each(
            json!([1, 2, 3]),
            |v| {
                seen.push(v);
                Ok(())
            },
        );
        assert_eq!(
            result.map_err(|e| e.to_string()),
            Err("--jq: two".to_owned())
        );
        assert_eq!(seen, [json!(1)]);
        let mut n = 0;
        let result = program(".items[]").for_each(pod_list(), |_| {
            n += 1;
            Ok(())
        });
        assert!(result.is_ok() && n == 2);
    }

    #[test]
    fn halt_ends_the_program() {
        assert_eq!(run("1, halt, 2", Value::Null), [json!(1)]);
        // `halt_error(N)` exits with N (its message went to stderr).
        match program("halt_error(3)").run(json!("bye\n")) {
            Err(Error::Halt(3)) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn deep_values_are_an_error_not_a_crash() {
        // As in the binary, on a STACK_SIZE thread.
        let t = std::thread::Builder::new()
            .stack_size(STACK_SIZE)
            .spawn(|| runtime_error("reduce range(20000) as $i (0; [.])", Value::Null));
        let e = match t.map(|t| t.join()) {
            Ok(Ok(e)) => e,
            _ => panic!("the thread failed"),
        };
        assert_eq!(
            e,
            format!("--jq: value nested deeper than {MAX_DEPTH} levels")
        );
    }

    fn parsed(json: &str) -> Input {
        match Input::parse(json.as_bytes()) {
            Ok(i) => i,
            Err(e) => panic!("{json}: {e}"),
        }
    }

    #[test]
    fn parsed_input_runs_like_a_value() {
        let text = match serde_json::to_string(&pod_list()) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        };
        for source in [
            ".items[].metadata.name",
            r#".items[] | select(.status.phase == "Running")"#,
            "length, keys, .kind",
            "[paths] | length",
        ] {
            let p = program(source);
            let by_value = p.run(pod_list());
            let by_bytes = p.run(parsed(&text));
            match (by_value, by_bytes) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{source}"),
                (a, b) => panic!("{source}: {a:?} {b:?}"),
            }
        }
        // Numbers are read as jq 1.7 reads them: 1e400 is valid JSON (serde_json refuses it).
        assert!(Input::parse(b"[1e400]").is_ok());
        assert_eq!(
            run_parsed(".[0]", "[18446744073709551616]"),
            [json!(18446744073709551616.0)]
        );
        assert_eq!(
            run_parsed(
                ".",
                r#"[18446744073709551615, -9223372036854775808, 1.50, 1e2]"#
            ),
            [json!([u64::MAX, i64::MIN, 1.5, 100.0])]
        );
        assert_eq!(run_parsed(".[0] + 1", "[1]"), [json!(2)]);
    }

    fn run_parsed(source: &str, json: &str) -> Vec<Value> {
        match program(source).run(parsed(json)) {
            Ok(v) => v,
            Err(e) => panic!("{source}: {e}"),
        }
    }

    #[test]
    fn parsed_input_keeps_key_order_while_running() {
        assert_eq!(
            run_parsed("keys_unsorted", r#"{"b": 1, "a": 2, "c": 3}"#),
            [json!(["b", "a", "c"])]
        );
        assert_eq!(
            run_parsed("[to_entries[].value]", r#"{"b": 1, "a": 2}"#),
            [json!([1, 2])]
        );
    }

    #[test]
    fn parse_errors_are_serde_jsons() {
        for bad in ["", "{", "[1,]", "nul", "{} {}", "\"\\ud800\""] {
            assert!(Input::parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
        assert!(Input::parse(b" {\"a\": 1}\n").is_ok());
        // 10,000 levels parse and print (jq 1.7 does); beyond MAX_DEPTH is an error, not a
        // stack overflow. The binary runs on a STACK_SIZE thread; so does this test.
        let t = std::thread::Builder::new()
            .stack_size(STACK_SIZE)
            .spawn(|| {
                let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
                let input = Input::parse(deep.as_bytes()).map_err(|e| e.to_string())?;
                let mut out = Vec::new();
                program(".")
                    .for_each_val(input, |v| {
                        print_vals(
                            &[v],
                            &mut out,
                            Style {
                                layout: Layout::Compact,
                                color: false,
                                terminal: false,
                            },
                        )
                        .map_err(Error::Output)
                    })
                    .map_err(|e| e.to_string())?;
                let deeper = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
                Ok::<_, String>((
                    out == format!("{deep}\n").into_bytes(),
                    Input::parse(deeper.as_bytes()).is_err(),
                ))
            });
        match t.map(|t| t.join()) {
            Ok(Ok(Ok(r))) => assert_eq!(r, (true, true)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_borrowed_input_is_reusable() {
        let input = parsed(r#"{"a": [1, 2]}"#);
        let p = program(".a[]");
        for _ in 0..3 {
            match p.run(&input) {
                Ok(v) => assert_eq!(v, [json!(1), json!(2)]),
                Err(e) => panic!("{e}"),
            }
        }
        let value: Input = json!({"a": [3]}).into();
        assert_eq!(p.run(&value).ok(), Some(vec![json!(3)]));
        assert_eq!(p.run(&value).ok(), Some(vec![json!(3)]));
        assert_eq!(
            program(".a == [1, 2]").truthy(&input).ok(),
            Some((true, Some(json!(true))))
        );
    }

    #[test]
    fn a_program_is_reusable() {
        let p = program(".metadata.name");
        for name in ["a", "b", "c"] {
            match p.run(pod(name, "Running")) {
                Ok(v) => assert_eq!(v, [json!(name)]),
                Err(e) => panic!("{e}"),
            }
        }
    }

    #[test]
    fn print_strings_raw() {
        let values = [
            json!("web-1"),
            json!("web 2\twith tab"),
            json!(""),
            json!("é"),
        ];
        let expected = "web-1\nweb 2\twith tab\n\né\n";
        assert_eq!(print(&values, Layout::Pretty, false), expected);
        assert_eq!(print(&values, Layout::Compact, true), expected);
    }

    #[test]
    fn print_other_values_as_json() {
        let values = [
            json!({"name": "web-1", "ports": [80, 443], "ready": true}),
            json!(1.5),
            Value::Null,
            json!([]),
        ];
        assert_eq!(
            print(&values, Layout::Pretty, false),
            "{\n  \"name\": \"web-1\",\n  \"ports\": [\n    80,\n    443\n  ],\n  \"ready\": true\n}\n\
             1.5\nnull\n[]\n"
        );
        assert_eq!(
            print(&values, Layout::Compact, false),
            "{\"name\":\"web-1\",\"ports\":[80,443],\"ready\":true}\n1.5\nnull\n[]\n"
        );
        assert_eq!(
            print(&[json!({"a": null}), json!("raw")], Layout::Compact, true),
            "\x1b[1;39m{\x1b[0m\x1b[34;1m\"a\"\x1b[0m:\x1b[1;30mnull\x1b[0m\x1b[1;39m}\x1b[0m\nraw\n"
        );
        assert_eq!(print(&[], Layout::Pretty, false), "");
    }

    #[test]
    fn print_large_output_in_pieces() {
        let values: Vec<Value> = (0..20_000).map(|i| json!(format!("pod-{i}"))).collect();
        let text = print(&values, Layout::Compact, false);
        assert_eq!(text.lines().count(), 20_000);
        assert!(text.ends_with("pod-19999\n"));
    }

    /// A PodList of `n` pods shaped like a real one (~1.8 KB a pod), as JSON text.
    ///
    /// Built with `format!` into one string, so that the measurement below starts from a heap
    /// that has not just built and freed a big tree.
    fn big_pod_list(n: usize) -> String {
        use std::fmt::Write as _;
        let mut s = String::from(
            r#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"5000"},"items":["#,
        );
        for i in 0..n {
            if i > 0 {
                s.push(',');
            }
            let _ = write!(
                s,
                r#"{{"metadata":{{"name":"web-{i}","namespace":"default","uid":"{i:08x}-1e0f-4a9b-8c7d-6e5f4a3b2c1d","resourceVersion":"{rv}","creationTimestamp":"2026-11-01T00:00:00Z","labels":{{"app":"web","pod-template-hash":"7d9f8c6b5"}},"annotations":{{"kubectl.kubernetes.io/last-applied-configuration":"{{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{{}}}}\n"}},"ownerReferences":[{{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-7d9f8c6b5","uid":"6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f","controller":true,"blockOwnerDeletion":true}}]}},"spec":{{"containers":[{{"name":"web","image":"nginx:1.27","ports":[{{"containerPort":80,"protocol":"TCP"}}],"env":[{{"name":"MODE","value":"demo"}},{{"name":"REPLICA","value":"{i}"}}],"resources":{{"limits":{{"cpu":"500m","memory":"128Mi"}},"requests":{{"cpu":"100m","memory":"64Mi"}}}},"volumeMounts":[{{"name":"kube-api-access","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}}],"terminationMessagePath":"/dev/termination-log","imagePullPolicy":"IfNotPresent"}}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"default","nodeName":"node-{node}","schedulerName":"default-scheduler","priority":0}},"status":{{"phase":"Running","conditions":[{{"type":"Ready","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-01T00:00:05Z"}},{{"type":"PodScheduled","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-01T00:00:00Z"}}],"hostIP":"10.0.0.{host}","podIP":"10.244.{a}.{host}","startTime":"2026-11-01T00:00:00Z","containerStatuses":[{{"name":"web","ready":true,"restartCount":0,"state":{{"running":{{"startedAt":"2026-11-01T00:00:04Z"}}}},"image":"docker.io/library/nginx:1.27","imageID":"docker.io/library/nginx@sha256:0a399eb16751829e1af26fea27b20c3ec28d7ab1fb72182879dcae1cca21206a","started":true}}],"qosClass":"Burstable"}}}}"#,
                rv = 1000 + i,
                node = i % 5,
                host = i % 250,
                a = (i / 250) % 250,
            );
        }
        s.push_str("]}");
        s
    }

    /// How long `--jq '.items[].metadata.name'` takes on a ~25 MB PodList: parse, run, print.
    ///
    /// `cargo test --release --lib jq::tests::names_of_a_25_mb_pod_list -- --ignored --nocapture`
    /// with `PIPELINE=value` (`serde_json::from_reader` into a `Value`, then [`Program::run`]) or
    /// `PIPELINE=bytes` (the default: read the bytes, [`Input::parse`], [`Program::run`]) or
    /// `PIPELINE=keep` (as `bytes`, but run on `&input` and `mem::forget` it: no freeing), and
    /// `PODS=N` for another size (13,700 pods are 25 MB). The first round is what one kcurl
    /// process does; later rounds show the allocator's state after freeing a big tree.
    #[test]
    #[ignore = "a measurement, run by hand in release mode"]
    fn names_of_a_25_mb_pod_list() {
        use std::time::Instant;
        let n: usize = std::env::var("PODS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(13_700);
        let pipeline = std::env::var("PIPELINE").unwrap_or_default();
        let by_value = pipeline == "value";
        let keep = pipeline == "keep";
        let path = std::env::temp_dir().join(format!("kcurl-jq-bench-{}.json", std::process::id()));
        let size = {
            let text = big_pod_list(n);
            if let Err(e) = std::fs::write(&path, &text) {
                panic!("{e}");
            }
            text.len()
        };
        let p = program(".items[].metadata.name");
        let style = Style {
            layout: Layout::Pretty,
            color: false,
            terminal: false,
        };
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
        for round in 1..=3 {
            let t0 = Instant::now();
            let input: Input = if by_value {
                let file = match std::fs::File::open(&path) {
                    Ok(f) => std::io::BufReader::with_capacity(64 * 1024, f),
                    Err(e) => panic!("{e}"),
                };
                match serde_json::from_reader::<_, Value>(file) {
                    Ok(v) => v.into(),
                    Err(e) => panic!("{e}"),
                }
            } else {
                match std::fs::read(&path).map(|b| Input::parse(&b)) {
                    Ok(Ok(input)) => input,
                    Ok(Err(e)) => panic!("{e}"),
                    Err(e) => panic!("{e}"),
                }
            };
            let t1 = Instant::now();
            let result = if keep {
                // The one-shot trick: run on a borrowed input, then never free it.
                let result = p.run(&input);
                std::mem::forget(input);
                result
            } else {
                p.run(input)
            };
            let values = match result {
                Ok(v) => v,
                Err(e) => panic!("{e}"),
            };
            let t2 = Instant::now();
            let mut out = Vec::new();
            if let Err(e) = print_results(&values, &mut out, style) {
                panic!("{e}");
            }
            let t3 = Instant::now();
            assert_eq!(values.len(), n);
            eprintln!(
                "{:.1} MB, {n} pods, {}, round {round}: parse {:.0} ms, run {:.0} ms, \
                 print {:.1} ms, total {:.0} ms",
                size as f64 / 1e6,
                if by_value {
                    "from_reader → Value"
                } else if keep {
                    "read → Input::parse, kept"
                } else {
                    "read → Input::parse"
                },
                ms(t1 - t0),
                ms(t2 - t1),
                ms(t3 - t2),
                ms(t3 - t0)
            );
        }
        let _ = std::fs::remove_file(&path);
    }

    /// Odd corners of jaq's library, on inputs of every type: errors are fine, panics are not.
    #[test]
    fn jaq_edge_cases_do_not_panic() {
        let progs = [
            r#""a" | .[1:0]"#,
            "[] | implode",
            r#""x" | test("(")"#,
            "tostring",
            r#""!!" | @base32d"#,
            "ltrimstr(1)",
            r#""abc" | [splits("")]"#,
            ".[nan]",
            "[range(10)] | .[1.5]",
            "[limit(0; 1,2)]",
            "input",
            "$__loc__",
            r#"getpath(["a",0])"#,
            r#""{" | fromjson"#,
            "tojson",
            "[1114112] | implode",
            "[-1] | implode",
            r#""\(1,2)""#,
            r#"now | strftime("%Y") | length"#,
            r#""2015-03-05T23:51:47Z" | fromdate"#,
            "1e20 | todate",
            "pow(2; 1000)",
            "infinite | floor",
            "nan | tostring",
            "[.[]?]",
            r#"[splits("a"; "x")]"#,
            "[{a:2},{a:1}] | sort_by(.a)",
            "@sh",
            "{} | @sh",
            "@uri",
            "$ENV",
            "env | type",
            "input_filename",
            r#"getpath(["a"]) = 1"#,
            "del(.[0])",
            "{a:1} | .[] += 1",
            "to_entries",
            "[limit(-1; 1)]",
            "first(empty)",
            "label $out | 1, break $out",
            "1 as [$a] | $a",
            "[1,2] | .[1e300]",
            r#""abc" | .[1e300:]"#,
            "[1] | .[-1e300]",
            "infinite | tostring",
            "1e1000 | floor",
            r#""x" * -1"#,
            r#""x" * 0.5"#,
            "[1,2] - [2]",
            "{} - {}",
            "1 / 0",
            "0 / 0",
            "1 % 0",
            "[] | first",
            "[] | last",
            "[] | add",
            "null | not",
            "splits",
            "ascii",
            "[1,[2]] | flatten(-1)",
            "[1,[2]] | flatten(1e300)",
            "tojson | fromjson",
            "@base64d",
            "@html",
            "@csv",
            "[1,\"a\"] | @csv",
            "[[1]] | @tsv",
            "getpath([1e300])",
            "setpath([]; 1)",
            "paths(..)",
            "[paths]",
            "leaf_paths",
            "any",
            "all",
            "limit(3; repeat(1))",
            "[limit(3; range(1e300))]",
            "input_line_number",
            "halt_error",
            "\"x\" | halt_error(0)",
            "ltrimstr(\"\")",
            "significand",
            "1 | significand",
            "ldexp(1; 1e300)",
            "frexp",
            "1|frexp",
            "gamma",
            "0|lgamma_r",
            "1|modf",
            "tojson|.[0:1e18]",
            "\"é\"|.[1:]",
            "\"é\"|explode|implode",
            "[55296]|implode",
            "utf8bytelength",
            "\"é\" | utf8bytelength",
            "getpath([\"a\",\"b\",0,\"c\"])",
            "{(1):2} | keys",
            "{(1):2} | tojson",
            "{(null):2}",
            "[{(1):2}] | sort",
            "@text",
            "@json",
            "@base32",
            "tostream",
            "fromstream(tostream)",
            "truncate_stream(1; tostream)",
            "getpath([[]])",
            ".[[]]",
            "[1,2,1] | .[[1]]",
            "indices(1)",
            "\"abc\" | indices(\"\")",
            "inside(1)",
            "contains(1)",
            "\"a\" | contains(\"\")",
            "splits(1)",
            "ascii_downcase",
            "1|ascii_downcase",
            "@base64d | explode",
            "todate",
            "\"x\"|fromdate",
            "mktime",
            "[1,2,3,4,5,6,7,8] | mktime",
            "gmtime",
            "1e300|gmtime",
            "-1e300|gmtime",
            "nan|gmtime",
            "strptime(\"%Y\")",
            "\"2020\"|strptime(\"%Y\")",
            "\"x\"|strptime(\"%Q\")",
            "now|strftime(\"%Q%\")",
            "[1]|strftime(\"%Y\")",
            "\"a\"|test(\"a\"; \"zzz\")",
            "\"a\"|sub(\"(?<x>a)\"; \"\\(.x)\")",
            "\"aaa\"|gsub(\"\"; \"b\")",
            "\"a\"|capture(\"(?<n>a)\")",
            "\"a\"|[match(\"a*?\"; \"g\")]|length",
            "tojson|test(\"[\")",
            "@base32d",
            "\"====\"|@base32d",
            "\"=\"|@base64d",
            "getpath(null)",
            "error",
            "error(null)",
            "null|error",
            "try error(1) catch .",
            "[.[]?] | .[0]",
            "limit(1e300; 1)",
            "[range(-1e300; -1e300+1)] | length",
            "-(\"a\")",
            "[] | implode | length",
            "splits(\"\")",
            "input",
            "inputs",
            "debug",
            "stderr",
            "\"x\"|debug(\"msg\")",
            "$__prog_args",
            "getpath([\"a\"])|not",
            "abs",
            "-9223372036854775808 | abs",
            "-9223372036854775808 | -.",
            "9223372036854775807 + 1",
            "-9223372036854775808 - 1",
            "9223372036854775807 * 2",
            "-9223372036854775808 / -1",
            "-9223372036854775808 % -1",
            "5 % -9223372036854775808",
            "toarray",
            "have_literal_numbers",
            "pick(.a)",
            "[1]|pick(.[1e300])",
            "getpath([-1])",
            "[1]|getpath([-2])",
            "[1]|setpath([-2]; 1)",
            "[1]|.[-5] = 1",
            "[1]|.[1e300] = 1",
            "null|.[1e10] = 1 | length",
            "[1] | del(.[-5])",
            "[1] | to_entries",
            "splits(\"a\"; null)",
            "ltrimstr(null)",
            "tojson|ltrimstr(\"{\")",
            "\"x\" | .[0]",
            "{} | .[0]",
            "1 | .[0]",
            "1 | keys",
            "\"x\" | has(0)",
            "[1] | has(\"a\")",
            "[1] | has(-1)",
            "{} | has(1)",
            "[[1,2]] | transpose",
            "[[1],[1,2]] | transpose",
            "[1] | transpose",
            "min_by(.)",
            "[] | min",
            "[{}] | max_by(.a)",
            "[1] | combinations",
            "[[1,2],[3]] | [combinations]",
            "[1,2] | combinations(2)",
            "walk(1)",
            "env.PATH|type",
            "splits(\"(\")",
            "ascii(65)",
            "65|ascii",
            "@sh \"x\\(1)\"",
            "@json \"x\\(1)\"",
            "getpath([\"a\"]; 1)",
            "tojson(1)",
            "$x",
            "..|numbers",
            "[..]|length",
            "getpath([0,0,0,0])",
            "isvalid(1)",
            "isinfinite",
            "nan|isnan",
            "infinite|isinfinite",
            "isnormal",
            "0|isnormal",
            "\"a\"|isnormal",
            "trim",
            "1|trim",
            "ltrimstr",
            "abs(1)",
            "toarray(1)",
            "[1,2]|.[1:0] = [3]",
            "[1,2]|.[1e300:] = [3]",
            "\"ab\"|.[1:] = \"x\"",
            "null|.[1:] = [1]",
            "{}|.[1:] = 1",
            "[1]|.[:\"a\"]",
            "[1]|.[nan:]",
            "[1,2,3]|.[nan:nan]",
            "[1,2,3]|.[1.5:2.5]",
            "\"abc\"|.[nan:]",
            "\"abc\"|.[-1e300:1e300]",
        ];
        let inputs = [
            json!({"a": [1, {"b": "x"}], "c": "s"}),
            Value::Null,
            json!([1, "a", null]),
            json!("str"),
            json!(1.5),
        ];
        for source in progs {
            let Ok(p) = Program::compile(source, "--jq") else {
                continue;
            };
            for input in &inputs {
                let _ = p.run(input.clone());
                let _ = p.truthy(input.clone());
            }
        }
    }
}
