//! Reading a file in large blocks of whole lines, for the commands that
//! read recordings at full speed (`kraki verify`).
//!
//! The reads run on a thread of their own: copying a recording out of the
//! page cache costs the kernel about a tenth of what parsing and checking
//! it costs, and on its own thread that copy overlaps the parse of the
//! block before instead of adding to it. Two blocks wait at most, so memory
//! stays at a few blocks whatever the file's size.

use std::io::{self, Read};
use std::sync::mpsc;

/// Bytes read at a time.
const BLOCK: usize = 1 << 18;

/// Blocks read ahead of the one being parsed.
const AHEAD: usize = 2;

/// The longest line taken. A recorded frame is a few hundred kilobytes at
/// most (a depth-1000 snapshot); a file with a longer "line" is not a
/// recording, and reading it whole would only take memory.
const MAX_LINE: usize = 64 << 20;

/// A block for the parsing side: `bytes[..end]` are whole lines (the last
/// one unterminated only at the end of the input).
struct Block {
    bytes: Vec<u8>,
    end: usize,
}

/// Reads `input` and calls `each` with whole lines at a time, as valid
/// UTF-8 text ending at a line break (or at the end of the input), or with
/// an error for a line that is not UTF-8; stops when `each` returns
/// `false`.
///
/// Unlike `lines::for_each`, which copies each line and checks its UTF-8
/// on its own, this checks a block at once and leaves the lines in place,
/// where a caller can parse them without looking for each line's end
/// first.
pub(crate) fn for_each_block(
    input: Box<dyn Read + Send>,
    mut each: impl FnMut(Result<&str, String>) -> bool,
) -> io::Result<()> {
    let (filled_tx, filled) = mpsc::sync_channel::<io::Result<Block>>(AHEAD);
    let (spent, spent_rx) = mpsc::channel::<Vec<u8>>();
    // Not joined: when `each` stops early the reader may be blocked on a
    // pipe that never ends; it goes when its next block finds no taker,
    // or with the process.
    std::thread::Builder::new()
        .name("kraki-read".to_owned())
        .spawn(move || read_blocks(input, &filled_tx, &spent_rx))?;
    for block in filled {
        let Block { bytes, end } = block?;
        let lines = bytes.get(..end).unwrap_or_default();
        let go_on = match simdutf8::basic::from_utf8(lines) {
            Ok(text) => each(Ok(text)),
            // Somewhere in the block: line by line, to say where.
            Err(_) => {
                lines
                    .split_inclusive(|&b| b == b'\n')
                    .all(|raw| match std::str::from_utf8(raw) {
                        Ok(line) => each(Ok(line)),
                        Err(e) => each(Err(format!("not UTF-8 at byte {}", e.valid_up_to()))),
                    })
            }
        };
        if !go_on {
            return Ok(());
        }
        // Gone only once the reader has finished; nothing to give back then.
        let _ = spent.send(bytes);
    }
    Ok(())
}

/// The reading thread: fills blocks, cuts each after its last line break,
/// carries the rest over to the next one, and hands them on in order.
fn read_blocks(
    mut input: Box<dyn Read + Send>,
    filled: &mpsc::SyncSender<io::Result<Block>>,
    spent: &mpsc::Receiver<Vec<u8>>,
) {
    // Blocks are zeroed once, when made, and reused after that: the one
    // being filled, the one being parsed, and those waiting between.
    let mut made = 0;
    let mut fresh = || {
        if let Ok(block) = spent.try_recv() {
            return Some(block);
        }
        if made < AHEAD + 2 {
            made += 1;
            return Some(vec![0u8; BLOCK]);
        }
        // Fails only when the parsing side has stopped.
        spent.recv().ok()
    };
    let Some(mut buf) = fresh() else { return };
    let mut len = 0;
    loop {
        if len == buf.len() {
            if len >= MAX_LINE {
                let _ = filled.send(Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("a line longer than {} MiB: not a recording", MAX_LINE >> 20),
                )));
                return;
            }
            // A line longer than the block.
            buf.resize((2 * buf.len()).min(MAX_LINE), 0);
        }
        let n = match input.read(&mut buf[len..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let _ = filled.send(Err(e));
                return;
            }
        };
        let before = len;
        len += n;
        let eof = n == 0;
        // What was there before holds no line break (else it would have
        // gone): only the new bytes are searched, so a long line costs
        // one pass, not one per read.
        let end = match buf[before..len].iter().rposition(|&b| b == b'\n') {
            Some(i) => before + i + 1,
            None if eof => len,
            None => continue,
        };
        let Some(mut next) = fresh() else { return };
        let carried = len - end;
        if next.len() < carried {
            next.resize(carried.max(BLOCK), 0);
        }
        next[..carried].copy_from_slice(&buf[end..len]);
        let block = Block {
            bytes: std::mem::replace(&mut buf, next),
            end,
        };
        len = carried;
        if (end > 0 && filled.send(Ok(block)).is_err()) || eof {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Collects what `for_each_block` hands out, line by line.
    fn lines_of(input: Vec<u8>) -> Vec<Result<String, String>> {
        let mut out = Vec::new();
        for_each_block(Box::new(io::Cursor::new(input)), |block| {
            match block {
                Ok(text) => out.extend(text.split_inclusive('\n').map(|l| Ok(l.to_owned()))),
                Err(e) => out.push(Err(e)),
            }
            true
        })
        .unwrap();
        out
    }

    #[test]
    fn every_line_arrives_once_in_order_across_blocks() {
        // Lines of many lengths, some longer than a block, so that blocks
        // end inside lines and carry them over.
        let mut text = String::new();
        let mut expected = Vec::new();
        for i in 0..3_000usize {
            let line = format!(
                "{i}:{}\n",
                "x".repeat((i * 7919) % 700 + if i % 997 == 0 { BLOCK + 3 } else { 0 })
            );
            text.push_str(&line);
            expected.push(Ok(line));
        }
        text.push_str("last line without a break");
        expected.push(Ok("last line without a break".to_owned()));
        assert_eq!(lines_of(text.into_bytes()), expected);
    }

    #[test]
    fn a_line_that_is_not_utf8_is_reported_where_it_is() {
        let mut input = b"good\n".to_vec();
        input.extend_from_slice(b"ab\xffcd\n");
        input.extend_from_slice(b"after\n");
        assert_eq!(
            lines_of(input),
            vec![
                Ok("good\n".to_owned()),
                Err("not UTF-8 at byte 2".to_owned()),
                Ok("after\n".to_owned()),
            ]
        );
    }

    #[test]
    fn a_line_past_the_bound_is_an_error_that_says_so_not_memory_taken() {
        // An endless line: a reader with no bound would grow without end.
        let endless = io::repeat(b'x');
        let mut calls = 0;
        let err = for_each_block(Box::new(endless), |_| {
            calls += 1;
            true
        })
        .unwrap_err();
        assert_eq!(calls, 0);
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert_eq!(
            err.to_string(),
            "a line longer than 64 MiB: not a recording"
        );
    }

    #[test]
    fn an_empty_input_hands_out_nothing() {
        assert!(lines_of(Vec::new()).is_empty());
    }

    #[test]
    fn a_read_error_reaches_the_caller() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk on fire"))
            }
        }
        let err = for_each_block(Box::new(Failing), |_| true).unwrap_err();
        assert_eq!(err.to_string(), "disk on fire");
    }

    #[test]
    fn stopping_early_leaves_the_rest_unread() {
        let input = "a\n".repeat(BLOCK); // two blocks' worth
        let mut calls = 0;
        for_each_block(Box::new(io::Cursor::new(input.into_bytes())), |_| {
            calls += 1;
            false
        })
        .unwrap();
        assert_eq!(calls, 1);
    }
}
