//! One request, one response printed (also a watch: one long response).

use crate::error::Result;
use crate::http::{Client, Timings};
use crate::jq::Filter;
use crate::output;

/// Send the request once (with the client's retries) and print the answer.
pub fn run(client: &mut Client, opts: output::Options, filter: Option<&Filter>) -> Result<u8> {
    let mut timings = Timings::default();
    let url = client.url.clone();
    let mut response = client.send(&url, &mut timings)?;
    let shown = url.display();
    let code = match filter {
        Some(f) => output::print_filtered(&mut response, opts, &shown, f)?,
        None => output::print(&mut response, opts, &shown)?,
    };
    client.trace_timings(&timings);
    Ok(code)
}
