//! Reading input one line at a time from a file or standard input.

use anyhow::Context;
use std::fs::File;
use std::io::{self, BufRead, BufReader};

/// Opens `path` for line reading; `-` or no path means standard input.
pub(crate) fn open(path: Option<&str>) -> anyhow::Result<Box<dyn BufRead + Send>> {
    match path {
        None | Some("-") => Ok(Box::new(BufReader::new(io::stdin()))),
        Some(p) => {
            let file = File::open(p).with_context(|| format!("cannot open {p}"))?;
            Ok(Box::new(BufReader::with_capacity(1 << 16, file)))
        }
    }
}

/// Calls `each(line_number, line)` for every line (1-based), without the
/// line ending. A line that is not UTF-8 is passed as an error.
pub(crate) fn for_each(
    mut input: impl BufRead,
    mut each: impl FnMut(usize, Result<&str, String>) -> io::Result<()>,
) -> io::Result<()> {
    let mut buf = Vec::with_capacity(4096);
    let mut number = 0;
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            return Ok(());
        }
        number += 1;
        let mut end = buf.len();
        while end > 0 && matches!(buf[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        match std::str::from_utf8(&buf[..end]) {
            Ok(line) => each(number, Ok(line))?,
            Err(e) => each(
                number,
                Err(format!("not UTF-8 at byte {}", e.valid_up_to())),
            )?,
        }
    }
}
