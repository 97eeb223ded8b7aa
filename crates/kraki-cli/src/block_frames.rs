//! The book and level3 frames of a block of lines, parsed on the thread
//! that reads the block (`line_blocks`), to be checked in order on
//! another (`kraki verify`).
//!
//! Each line is read where it lies: a recorded line's prefix is
//! recognised without parsing ([`frame_start`]), and its frame, or a bare
//! one, is parsed by [`FrameParser::keep_prefix`], which finds the line's
//! end on the way. A line it does not take is left for the general path,
//! which also says what is wrong with it.

use kraki_proto::book::{FastFrame, FrameParser, KeptFrame, TimeReader};
use kraki_proto::recording::frame_start;
use std::ops::Range;

/// A block's lines: its frames kept in the parser, the other lines as
/// ranges of the block.
#[derive(Default)]
pub(crate) struct BlockFrames {
    parser: FrameParser,
    lines: Vec<Kept>,
    /// Reads the receive times of recorded lines.
    times: TimeReader,
}

/// A line as parsed.
enum Kept {
    Frame(KeptFrame),
    /// Its text, line break excluded.
    Other(Range<usize>),
}

/// A line of the block, in order.
pub(crate) enum BlockLine<'a> {
    /// A book or level3 frame, bare or recorded.
    Frame(FastFrame<'a>),
    /// Any other line, line break excluded: for the general path.
    Other(&'a str),
}

impl BlockFrames {
    /// Parses the lines of `text` (whole lines, see `line_blocks`),
    /// forgetting the block before.
    pub(crate) fn parse(&mut self, text: &str) {
        self.parser.clear();
        self.lines.clear();
        let mut at = 0;
        while at < text.len() {
            if let Some((frame, used)) = self.frame_line(text, at) {
                self.lines.push(Kept::Frame(frame));
                at += used;
                continue;
            }
            let rest = text.get(at..).unwrap_or_default();
            let (line_end, next) = match rest.find('\n') {
                Some(i) => (at + i, at + i + 1),
                None => (text.len(), text.len()),
            };
            self.lines.push(Kept::Other(at..line_end));
            at = next;
        }
    }

    /// The lines of the block last parsed, which is `text`.
    pub(crate) fn lines<'a>(&'a self, text: &'a str) -> impl Iterator<Item = BlockLine<'a>> + 'a {
        self.lines.iter().map(move |line| match line {
            Kept::Frame(frame) => BlockLine::Frame(self.parser.kept(text, frame)),
            Kept::Other(range) => BlockLine::Other(text.get(range.clone()).unwrap_or_default()),
        })
    }

    /// A book or level3 frame on a line of its own at `text[at..]`, bare
    /// or recorded; the bytes it took, line end included. `None` if it is
    /// not one (a frame kept before the line turned out otherwise stays
    /// in the parser's buffers, unreferenced, until the next block).
    fn frame_line(&mut self, text: &str, at: usize) -> Option<(KeptFrame, usize)> {
        let rest = text.get(at..)?;
        let start = match frame_start(rest) {
            // The receive time must be valid, as the general path requires.
            Some((recv, start)) if self.times.read(recv).is_some() => start,
            Some(_) => return None,
            None => 0,
        };
        let (frame, used) = self.parser.keep_prefix(text, at + start)?;
        // A recorded line closes its object; then the line ends.
        let mut end = start + used;
        let tail = rest.as_bytes().get(end..).unwrap_or_default();
        let tail = match (start > 0, tail) {
            (true, [b'}', after @ ..]) => {
                end += 1;
                after
            }
            (true, _) => return None,
            (false, _) => tail,
        };
        end += match tail {
            [] => 0,
            [b'\n', ..] => 1,
            [b'\r', b'\n', ..] => 2,
            _ => return None,
        };
        Some((frame, end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frame_summary(frame: FastFrame<'_>) -> String {
        match frame {
            FastFrame::Book(f) => {
                let u: Vec<_> = f.updates().map(|u| (u.symbol, u.checksum)).collect();
                format!("book {:?} {u:?}", f.kind())
            }
            FastFrame::Level3(f) => {
                let u: Vec<_> = f.updates().map(|u| (u.symbol, u.checksum)).collect();
                format!("level3 {:?} {u:?}", f.kind())
            }
        }
    }

    fn summary(block: &BlockFrames, text: &str) -> Vec<String> {
        block
            .lines(text)
            .map(|line| match line {
                BlockLine::Frame(frame) => frame_summary(frame),
                BlockLine::Other(line) => format!("other {line:?}"),
            })
            .collect()
    }

    /// What one line (its line break included) should give, judged line
    /// by line with the parser alone: a frame when a bare or recorded
    /// frame fills it, else the line for the general path.
    fn expected(raw: &str) -> String {
        let ends_line = |tail: &str| matches!(tail, "" | "\n" | "\r\n");
        let mut parser = FrameParser::new();
        if let Some((recv, start)) = frame_start(raw) {
            if TimeReader::new().read(recv).is_some() {
                if let Some((frame, used)) = parser.parse_prefix(&raw[start..]) {
                    if let Some(tail) = raw[start + used..].strip_prefix('}') {
                        if ends_line(tail) {
                            return frame_summary(frame);
                        }
                    }
                }
            }
        } else if let Some((frame, used)) = parser.parse_prefix(raw) {
            if ends_line(&raw[used..]) {
                return frame_summary(frame);
            }
        }
        format!("other {:?}", raw.strip_suffix('\n').unwrap_or(raw))
    }

    /// Lines of every kind a recording (or a file that is not one) holds.
    fn line() -> impl Strategy<Value = String> {
        let book = r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":1.5,"qty":2}],"asks":[],"checksum":7}]}"#;
        let level3 = r#"{"channel":"level3","type":"snapshot","data":[{"symbol":"ETH/USD","bids":[],"asks":[],"checksum":9}]}"#;
        let known = prop::sample::select(vec![
            book.to_owned(),
            level3.to_owned(),
            format!(r#"{{"recv":"2024-05-19T16:45:24.204654000Z","frame":{book}}}"#),
            format!(r#"{{"recv":"2024-13-99T16:45:24Z","frame":{book}}}"#),
            format!(r#"{{"recv":"2024-05-19T16:45:24Z","frame":{level3}}} "#),
            format!("{book} "),
            book[..book.len() / 2].to_owned(),
            r#"{"channel":"heartbeat"}"#.to_owned(),
            String::new(),
        ]);
        prop_oneof![
            3 => known,
            1 => "[{}\\[\\]\",:a-z0-9 \r\té]{0,40}",
        ]
    }

    proptest! {
        /// Whatever the lines, every one comes out once, in order, as a
        /// frame exactly when the parser alone takes the whole line, else
        /// as its text; nothing panics.
        #[test]
        fn every_line_once_in_order_as_the_parser_alone_judges_it(
            lines in prop::collection::vec(line(), 0..12),
            crlf in any::<bool>(),
            last_break in any::<bool>(),
        ) {
            let mut text = lines.join(if crlf { "\r\n" } else { "\n" });
            if last_break && !text.is_empty() {
                text.push('\n');
            }
            let mut block = BlockFrames::default();
            block.parse(&text);
            let want: Vec<String> = text.split_inclusive('\n').map(expected).collect();
            prop_assert_eq!(summary(&block, &text), want, "{:?}", text);
        }
    }

    #[test]
    fn every_line_in_order_frames_parsed_the_rest_left_whole() {
        let text = concat!(
            r#"{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD","bids":[{"price":1.5,"qty":2}],"asks":[],"checksum":7}]}"#,
            "\n",
            r#"{"recv":"2024-05-19T16:45:24.204654000Z","frame":{"channel":"book","type":"update","data":[{"symbol":"ETH/USD","bids":[],"asks":[],"checksum":9}]}}"#,
            "\r\n",
            "\n",
            r#"{"channel":"heartbeat"}"#,
            "\n",
            // A recorded line with an invalid receive time: the general
            // path says so.
            r#"{"recv":"yesterday","frame":{"channel":"book","type":"update","data":[]}}"#,
            "\n",
            // A frame followed by something on its line.
            r#"{"channel":"level3","type":"update","data":[{"symbol":"BTC/USD","bids":[],"asks":[],"checksum":3}]} x"#,
            "\n",
            r#"{"channel":"level3","type":"update","data":[{"symbol":"BTC/USD","bids":[],"asks":[],"checksum":4}]}"#,
        );
        let mut block = BlockFrames::default();
        // Twice: the second parse forgets the first.
        block.parse("garbage\n");
        block.parse(text);
        assert_eq!(
            summary(&block, text),
            [
                r#"book Snapshot [("BTC/USD", 7)]"#.to_owned(),
                r#"book Update [("ETH/USD", 9)]"#.to_owned(),
                r#"other """#.to_owned(),
                r#"other "{\"channel\":\"heartbeat\"}""#.to_owned(),
                format!(
                    "other {:?}",
                    r#"{"recv":"yesterday","frame":{"channel":"book","type":"update","data":[]}}"#
                ),
                format!(
                    "other {:?}",
                    r#"{"channel":"level3","type":"update","data":[{"symbol":"BTC/USD","bids":[],"asks":[],"checksum":3}]} x"#
                ),
                r#"level3 Update [("BTC/USD", 4)]"#.to_owned(),
            ]
        );
    }
}
