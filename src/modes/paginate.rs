//! `--paginate`: follow `metadata.continue` across pages until the list is complete.
//!
//! Each page is fetched over the one [`Client`] (one connection, retries, `-v` timings per
//! page; `limit` was added by `plan`), parsed, and its items printed before the next page is
//! asked for, so memory is bounded by one page. The output is one list
//! object as if the server had answered in one page (kind, apiVersion, the first page's
//! metadata without `continue` and `remainingItemCount`, the items of every page), streamed
//! through the JSON printer; with `-c` one item per line; with `--jq` the program runs on each
//! page. Items are copied byte for byte (`RawValue`).
//!
//! A continue token that expired (410) ends the listing with exit 4 and a plain message; with
//! `--paginate=restart` kcurl continues with one full list (as client-go's pager falls back to
//! a full list) and skips the items it already printed, by uid.

use std::collections::HashSet;
use std::io::{self, BufWriter, Read, Write};

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::cli::PaginateMode;
use crate::diag::{error, notice};
use crate::error::{Error, Result, exit_code_for_status};
use crate::http::{Client, Timings};
use crate::jq::Program;
use crate::json;
use crate::output;

/// One page of a list, items kept as raw JSON.
#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default, rename = "apiVersion")]
    api_version: Option<String>,
    #[serde(default)]
    metadata: serde_json::Map<String, serde_json::Value>,
    /// Absent when the response is not a list at all.
    items: Option<Vec<Box<RawValue>>>,
}

#[derive(Deserialize)]
struct ItemMeta {
    #[serde(default)]
    metadata: Option<Uid>,
}

#[derive(Deserialize)]
struct Uid {
    #[serde(default)]
    uid: Option<String>,
}

/// What fetching a page gave.
enum Fetched {
    Page(Page),
    /// A non-2xx answer, already printed; its exit code, and whether it was a 410.
    Failed(u8, bool),
}

/// How items are written.
enum Sink<'p> {
    /// One list object, streamed through the printer.
    List,
    /// `-c`: one item per line.
    Lines,
    /// `--jq`: the program on each page.
    Jq(&'p Program),
}

/// Run a paginated list request.
pub fn run(
    client: &mut Client,
    opts: output::Options,
    mode: PaginateMode,
    program: Option<&Program>,
) -> Result<u8> {
    let sink = match (program, opts.layout()) {
        (Some(p), _) => Sink::Jq(p),
        (None, json::Layout::Compact) => Sink::Lines,
        (None, json::Layout::Pretty) => Sink::List,
    };
    let mut state = State {
        client,
        opts,
        mode,
        page: 0,
        printed: HashSet::new(),
        restarted: false,
    };
    match sink {
        Sink::List => state.as_list(),
        Sink::Lines => state.each_page(|page, out, st| {
            for item in page.items.iter().flatten() {
                if st.first_time(item) {
                    json::reformat(item.get().as_bytes(), out, st.opts.style())
                        .map_err(print_error)?;
                }
            }
            Ok(())
        }),
        Sink::Jq(p) => state.each_page(|page, out, st| {
            output::filter_and_print(p, page_value(&page), out, st.opts)
        }),
    }
}

fn page_value(page: &Page) -> serde_json::Value {
    let items: Vec<serde_json::Value> = page
        .items
        .iter()
        .flatten()
        .filter_map(|i| serde_json::from_str(i.get()).ok())
        .collect();
    serde_json::json!({
        "kind": page.kind,
        "apiVersion": page.api_version,
        "metadata": page.metadata,
        "items": items,
    })
}

fn print_error(e: json::PrintError) -> Error {
    match e {
        json::PrintError::Write(e) | json::PrintError::Read(e) => Error::Output(e),
    }
}

struct State<'a, 'b> {
    client: &'a mut Client<'b>,
    opts: output::Options,
    mode: PaginateMode,
    page: usize,
    /// UIDs printed so far: only kept in restart mode, to skip them after a restart.
    printed: HashSet<String>,
    restarted: bool,
}

impl State<'_, '_> {
    /// True the first time an item is seen (always true unless restarting is possible).
    fn first_time(&mut self, item: &RawValue) -> bool {
        if self.mode != PaginateMode::Restart {
            return true;
        }
        let uid = serde_json::from_str::<ItemMeta>(item.get())
            .ok()
            .and_then(|m| m.metadata)
            .and_then(|m| m.uid);
        match uid {
            Some(uid) => self.printed.insert(uid),
            None => true,
        }
    }

    /// Fetch one page; `token` is the continue token (None for the first page, or a restart).
    fn fetch(&mut self, token: Option<&str>) -> Result<Fetched> {
        let url = match token {
            Some(t) => self.client.url.with_param("continue", t)?,
            // The list URL without `limit` and `continue`: one full list (restart mode).
            None if self.restarted => self.client.url.without_params(&["limit", "continue"])?,
            None => self.client.url.clone(),
        };
        let mut timings = Timings::default();
        let mut response = self.client.send(&url, &mut timings)?;
        let status = response.status();
        if !status.is_success() && self.page > 0 {
            // Items are already on stdout (an open list, or lines): the Status would break
            // them, so a later page's failure is said on stderr only.
            let mut head = Vec::new();
            let _ = response
                .body_mut()
                .as_reader()
                .take(64 * 1024)
                .read_to_end(&mut head);
            let expired = status.as_u16() == 410;
            if !(expired && self.mode == PaginateMode::Restart && !self.restarted) {
                error(&format!("kcurl: {}", output::summary(status, &head, None)));
            }
            return Ok(Fetched::Failed(
                exit_code_for_status(status.as_u16()),
                expired,
            ));
        }
        if !status.is_success() {
            let code = output::print(&mut response, self.opts, &url.display())?;
            return Ok(Fetched::Failed(
                code.max(exit_code_for_status(status.as_u16())),
                status.as_u16() == 410,
            ));
        }
        let mut body = Vec::new();
        crate::limit::read_to_end(
            response.body_mut().as_reader(),
            &mut body,
            self.opts.max_body,
            "a page of --paginate",
        )
        .map_err(|e| match crate::limit::Exceeded::in_io(&e) {
            Some(x) => x.to_error(&url.display()),
            None => Error::Connect(format!("{}: the page was cut off: {e}", url.display())),
        })?;
        let page: Page = serde_json::from_slice(&body).map_err(|e| {
            Error::Response(format!(
                "{}: --paginate: the page is not a JSON list ({e})",
                url.display()
            ))
        })?;
        if page.items.is_none() {
            return Err(Error::Usage(format!(
                "{}: --paginate needs a list, and the server returned {} (no items); drop --paginate",
                url.display(),
                page.kind
                    .as_deref()
                    .map_or("an object".to_string(), |k| format!("a {k}"))
            )));
        }
        self.client.trace_timings(&timings);
        self.page += 1;
        Ok(Fetched::Page(page))
    }

    /// Handle a failed page: a 410 after the first page restarts (restart mode) or explains.
    fn failed(&mut self, code: u8, expired: bool) -> Result<Option<u8>> {
        if expired && self.page > 0 {
            if self.mode == PaginateMode::Restart && !self.restarted {
                notice(&format!(
                    "kcurl: the continue token expired after {} page(s); continuing with a full list \
                     (--paginate=restart), skipping items already printed",
                    self.page
                ));
                self.restarted = true;
                return Ok(None);
            }
            error(&format!(
                "kcurl: the continue token expired after {} page(s) (410 Expired): the list changed \
                 too much while paging; run again, or use --paginate=restart",
                self.page
            ));
        }
        Ok(Some(code))
    }

    /// `-c` and `--jq`: print each page as it comes.
    fn each_page(
        &mut self,
        mut emit: impl FnMut(Page, &mut dyn Write, &mut Self) -> Result<()>,
    ) -> Result<u8> {
        let stdout = io::stdout();
        let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
        let mut token: Option<String> = None;
        loop {
            match self.fetch(token.as_deref())? {
                Fetched::Failed(code, expired) => match self.failed(code, expired)? {
                    Some(code) => {
                        out.flush().map_err(Error::Output)?;
                        return Ok(code);
                    }
                    None => token = None,
                },
                Fetched::Page(mut page) => {
                    let next = continue_token(&mut page);
                    emit(page, &mut out, self)?;
                    out.flush().map_err(Error::Output)?;
                    match next {
                        Some(t) if !self.restarted => token = Some(t),
                        _ => return Ok(0),
                    }
                }
            }
        }
    }

    /// The default: one list object, streamed through the printer page by page.
    fn as_list(&mut self) -> Result<u8> {
        let stdout = io::stdout();
        let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
        let mut reader = ListReader {
            state: self,
            buf: Vec::new(),
            pos: 0,
            token: None,
            phase: Phase::Start,
            outcome: None,
        };
        let style = reader.state.opts.style();
        let result = json::reformat(&mut reader, &mut out, style);
        let outcome = reader.outcome.take();
        out.flush().map_err(Error::Output)?;
        match result {
            Err(json::PrintError::Write(e)) => return Err(Error::Output(e)),
            Err(json::PrintError::Read(_)) | Ok(_) => {}
        }
        match outcome {
            Some(Err(e)) => Err(e),
            Some(Ok(code)) => Ok(code),
            None => Ok(0),
        }
    }
}

enum Phase {
    Start,
    Items { first: bool },
    Done,
}

/// A `Read` that yields one list object, fetching pages only as the printer asks for bytes.
struct ListReader<'s, 'a, 'b> {
    state: &'s mut State<'a, 'b>,
    buf: Vec<u8>,
    pos: usize,
    token: Option<String>,
    phase: Phase,
    /// How the listing ended: Ok(exit code) or the error (the JSON is closed either way).
    outcome: Option<Result<u8>>,
}

impl ListReader<'_, '_, '_> {
    /// Fill `buf` with the next piece of the list object; false at the end.
    fn refill(&mut self) -> bool {
        self.buf.clear();
        self.pos = 0;
        let first_page = matches!(self.phase, Phase::Start);
        if matches!(self.phase, Phase::Done) {
            return false;
        }
        let fetched = self.state.fetch(self.token.as_deref());
        let (mut page, first_item) = match fetched {
            Ok(Fetched::Page(page)) => {
                let first = match self.phase {
                    Phase::Items { first } => first,
                    _ => true,
                };
                (page, first)
            }
            Ok(Fetched::Failed(code, expired)) => match self.state.failed(code, expired) {
                Ok(None) => {
                    self.token = None;
                    return self.refill_keep_phase();
                }
                Ok(Some(code)) => return self.finish(Ok(code), first_page),
                Err(e) => return self.finish(Err(e), first_page),
            },
            Err(e) => return self.finish(Err(e), first_page),
        };
        let next = continue_token(&mut page);
        if first_page {
            // kind, apiVersion, metadata, items: the order the API server writes them in.
            let text =
                |v: &Option<String>| serde_json::to_string(v).unwrap_or_else(|_| "null".into());
            let metadata = serde_json::to_string(&page.metadata).unwrap_or_else(|_| "{}".into());
            self.buf.extend_from_slice(
                format!(
                    "{{\"kind\":{},\"apiVersion\":{},\"metadata\":{metadata},\"items\":[",
                    text(&page.kind),
                    text(&page.api_version)
                )
                .as_bytes(),
            );
        }
        let mut first = first_item;
        for item in page.items.iter().flatten() {
            if self.state.first_time(item) {
                if !first {
                    self.buf.push(b',');
                }
                self.buf.extend_from_slice(item.get().as_bytes());
                first = false;
            }
        }
        match next {
            Some(t) if !self.state.restarted => {
                self.token = Some(t);
                self.phase = Phase::Items { first };
            }
            _ => {
                self.buf.extend_from_slice(b"]}\n");
                self.phase = Phase::Done;
                self.outcome = Some(Ok(0));
            }
        }
        true
    }

    /// After a restart decision the next fetch is the full list; keep the list open.
    fn refill_keep_phase(&mut self) -> bool {
        if matches!(self.phase, Phase::Start) {
            // A 410 on the very first page is not a pagination problem; cannot happen here.
            return false;
        }
        self.refill()
    }

    /// End the listing: close the JSON (if it was opened) and remember the outcome.
    fn finish(&mut self, outcome: Result<u8>, first_page: bool) -> bool {
        self.outcome = Some(outcome);
        self.phase = Phase::Done;
        if first_page {
            return false;
        }
        self.buf.extend_from_slice(b"]}\n");
        true
    }
}

impl Read for ListReader<'_, '_, '_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.buf.len() {
            if !self.refill() {
                return Ok(0);
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Take `metadata.continue` (and `remainingItemCount`) out of the page's metadata.
fn continue_token(page: &mut Page) -> Option<String> {
    page.metadata.remove("remainingItemCount");
    page.metadata
        .remove("continue")
        .and_then(|v| v.as_str().map(str::to_string))
        .filter(|t| !t.is_empty())
}
