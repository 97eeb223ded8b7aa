//! Reading a file in large blocks of whole lines, for the commands that
//! read recordings at full speed (`kraki verify`).
//!
//! The reads run on a thread of their own, and so does whatever the caller
//! can do to a block before it needs it in order (`kraki verify` parses
//! its book frames there): copying a recording out of the page cache and
//! parsing it cost about as much as checking its books, and on the reading
//! thread they overlap the checking of the block before instead of adding
//! to it. Blocks wait at most `AHEAD` at a time, so memory stays at a few
//! blocks whatever the file's size.

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

/// Lines handed to the caller, in the order of the input.
pub(crate) enum Lines<'a, P> {
    /// Whole lines of valid UTF-8, ending at a line break (or at the end
    /// of the input), with what `prepare` made of them.
    Block(&'a str, &'a P),
    /// One line, line break included, of a block that is not all UTF-8:
    /// nothing was prepared for it.
    Line(&'a str),
    /// A line that is not UTF-8, and where it goes wrong.
    NotUtf8(String),
}

/// A block: `bytes[..end]` are whole lines (the last one unterminated
/// only at the end of the input); `prepared` is what `prepare` made of
/// them when they are UTF-8. Both go back to the reading thread to be
/// filled again.
struct Block<P> {
    bytes: Vec<u8>,
    end: usize,
    utf8: bool,
    prepared: P,
}

/// Reads `input` and calls `each` with whole lines at a time (see
/// [`Lines`]), after `prepare` has made what it makes of each block on
/// the reading thread; stops when `each` returns `false`.
///
/// Unlike `lines::for_each`, which copies each line and checks its UTF-8
/// on its own, this checks a block at once and leaves the lines in place,
/// where a caller can parse them without looking for each line's end
/// first.
pub(crate) fn for_each_block<P: Default + Send + 'static>(
    input: Box<dyn Read + Send>,
    prepare: impl FnMut(&str, &mut P) + Send + 'static,
    mut each: impl FnMut(Lines<'_, P>) -> bool,
) -> io::Result<()> {
    let (filled_tx, filled) = mpsc::sync_channel::<io::Result<Block<P>>>(AHEAD);
    let (spent, spent_rx) = mpsc::channel::<Block<P>>();
    // Not joined: when `each` stops early the reader may be blocked on a
    // pipe that never ends; it goes when its next block finds no taker,
    // or with the process.
    std::thread::Builder::new()
        .name("kraki-read".to_owned())
        .spawn(move || read_blocks(input, prepare, &filled_tx, &spent_rx))?;
    for block in filled {
        let block = block?;
        let lines = block.bytes.get(..block.end).unwrap_or_default();
        // Checked on the reading thread too, which had to read it as
        // text; checked again here rather than trusted without a check,
        // at a few per cent of the cost of checking the books.
        let go_on = match simdutf8::basic::from_utf8(lines) {
            Ok(text) if block.utf8 => each(Lines::Block(text, &block.prepared)),
            // Somewhere in the block: line by line, to say where.
            _ => lines
                .split_inclusive(|&b| b == b'\n')
                .all(|raw| match std::str::from_utf8(raw) {
                    Ok(line) => each(Lines::Line(line)),
                    Err(e) => each(Lines::NotUtf8(format!(
                        "not UTF-8 at byte {}",
                        e.valid_up_to()
                    ))),
                }),
        };
        if !go_on {
            return Ok(());
        }
        // Gone only once the reader has finished; nothing to give back then.
        let _ = spent.send(block);
    }
    Ok(())
}
/// The reading thread: fills blocks, cuts each after its last line break,
/// carries the rest over to the next one, prepares it and hands them on in
/// order.
fn read_blocks<P: Default>(
    mut input: Box<dyn Read + Send>,
    mut prepare: impl FnMut(&str, &mut P),
    filled: &mpsc::SyncSender<io::Result<Block<P>>>,
    spent: &mpsc::Receiver<Block<P>>,
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
            return Some(Block {
                bytes: vec![0u8; BLOCK],
                end: 0,
                utf8: false,
                prepared: P::default(),
            });
        }
        // Fails only when the parsing side has stopped.
        spent.recv().ok()
    };
    let Some(mut block) = fresh() else { return };
    let mut len = 0;
    loop {
        let buf = &mut block.bytes;
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
        if next.bytes.len() < carried {
            next.bytes.resize(carried.max(BLOCK), 0);
        }
        next.bytes[..carried].copy_from_slice(&block.bytes[end..len]);
        let mut ready = std::mem::replace(&mut block, next);
        ready.end = end;
        ready.utf8 = match simdutf8::basic::from_utf8(&ready.bytes[..end]) {
            Ok(text) => {
                prepare(text, &mut ready.prepared);
                true
            }
            Err(_) => false,
        };
        len = carried;
        if (end > 0 && filled.send(Ok(ready)).is_err()) || eof {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_preparing(_: &str, (): &mut ()) {}

    /// Collects what `for_each_block` hands out, line by line.
    fn lines_of(input: Vec<u8>) -> Vec<Result<String, String>> {
        let mut out = Vec::new();
        for_each_block(Box::new(io::Cursor::new(input)), no_preparing, |lines| {
            match lines {
                Lines::Block(text, ()) => {
                    out.extend(text.split_inclusive('\n').map(|l| Ok(l.to_owned())));
                }
                Lines::Line(line) => out.push(Ok(line.to_owned())),
                Lines::NotUtf8(e) => out.push(Err(e)),
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
    fn each_block_arrives_with_what_was_prepared_from_it() {
        let text: String = (0..40_000usize)
            .map(|i| format!("{i}:{}\n", "y".repeat(i % 50)))
            .collect();
        let prepare = |block: &str, made: &mut (usize, usize, u64)| {
            *made = (block.len(), block.matches('\n').count(), fnv(block));
        };
        let mut blocks = 0;
        let mut bytes = 0;
        for_each_block(Box::new(io::Cursor::new(text.clone())), prepare, |lines| {
            let Lines::Block(block, made) = lines else {
                panic!("valid UTF-8 arrives in blocks");
            };
            assert_eq!(
                *made,
                (block.len(), block.matches('\n').count(), fnv(block))
            );
            blocks += 1;
            bytes += block.len();
            true
        })
        .unwrap();
        assert!(blocks >= 3, "{blocks} blocks");
        assert_eq!(bytes, text.len());
    }

    /// A hash of the text, so that a block prepared from another block's
    /// bytes of the same length shows.
    fn fnv(text: &str) -> u64 {
        text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        })
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
        let err = for_each_block(Box::new(endless), no_preparing, |_| {
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
        let err = for_each_block(Box::new(Failing), no_preparing, |_| true).unwrap_err();
        assert_eq!(err.to_string(), "disk on fire");
    }

    #[test]
    fn stopping_early_leaves_the_rest_unread() {
        let input = "a\n".repeat(BLOCK); // two blocks' worth
        let mut calls = 0;
        for_each_block(
            Box::new(io::Cursor::new(input.into_bytes())),
            no_preparing,
            |_| {
                calls += 1;
                false
            },
        )
        .unwrap();
        assert_eq!(calls, 1);
    }
}
