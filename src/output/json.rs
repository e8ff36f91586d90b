//! TEMPORARY STUB (replaced by the streaming printer).
use std::io::{self, Read, Write};
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    Pretty,
    Compact,
}
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub layout: Layout,
    pub color: bool,
}
#[derive(Debug)]
pub struct Invalid {
    pub offset: u64,
    pub message: String,
}
#[derive(Debug)]
pub enum Outcome {
    Complete { values: u64 },
    Invalid(Invalid),
}
#[derive(Debug)]
pub enum PrintError {
    Read(io::Error),
    Write(io::Error),
}
pub fn reformat<R: Read, W: Write>(
    mut input: R,
    out: &mut W,
    _style: Style,
) -> Result<Outcome, PrintError> {
    let mut v = Vec::new();
    input.read_to_end(&mut v).map_err(PrintError::Read)?;
    out.write_all(&v).map_err(PrintError::Write)?;
    Ok(Outcome::Complete { values: 1 })
}
