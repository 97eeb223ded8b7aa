//! The fast decode path for the messages that make up almost all traffic
//! (book, level3, ticker, trade, executions): one pass over the bytes,
//! numbers straight into [`Decimal`](crate::Decimal), no intermediate
//! values. Book and level3 items are read by the same readers as in
//! [`FrameParser`](crate::book::FrameParser), into owned lists.
//!
//! It takes only what it can read exactly as the general (serde) path
//! would, and answers `None` for anything else — an escape in a string, a
//! repeated key, a missing field, an unknown channel, malformed JSON — so
//! that the general path decodes the frame or reports the error. The two
//! paths are checked equal on every fixture and on mutated ones.

pub(crate) mod book_item;
pub(crate) mod envelope;
pub(crate) mod key_table;
pub(crate) mod level;
pub(crate) mod pool;
mod records;
#[cfg(test)]
mod tests;
pub(crate) mod value;

use crate::scan::Cursor;
use crate::time_reader::TimeReader;
use crate::{ChannelMessage, Inbound};
use envelope::{ChannelSet, Frame, Members};

/// The frame as one typed message, or `None` to take the general path.
pub(crate) fn decode(text: &str) -> Option<Inbound> {
    let Frame {
        kind,
        data,
        sequence,
        timestamp,
        ..
    } = envelope::read(text, false, Members::Envelope, Channel::read)?;
    macro_rules! message {
        ($variant:ident, $data:expr) => {
            Inbound::$variant(ChannelMessage {
                kind,
                data: $data,
                sequence,
                timestamp,
            })
        };
    }
    Some(match data {
        Records::Book(d) => message!(Book, d),
        Records::Ticker(d) => message!(Ticker, d),
        Records::Trade(d) => message!(Trade, d),
        Records::Executions(d) => message!(Executions, d),
        Records::Level3(d) => message!(Level3, d),
    })
}

/// A list for one record.
fn one<T>() -> Vec<T> {
    Vec::with_capacity(1)
}

/// The channels this path takes.
#[derive(Clone, Copy)]
enum Channel {
    Book,
    Ticker,
    Trade,
    Executions,
    Level3,
}

impl ChannelSet for Channel {
    #[inline]
    fn head(c: &mut Cursor<'_>) -> Option<Self> {
        if c.lit(br#"book","type":""#) {
            Some(Channel::Book)
        } else if c.lit(br#"ticker","type":""#) {
            Some(Channel::Ticker)
        } else if c.lit(br#"trade","type":""#) {
            Some(Channel::Trade)
        } else if c.lit(br#"executions","type":""#) {
            Some(Channel::Executions)
        } else if c.lit(br#"level3","type":""#) {
            Some(Channel::Level3)
        } else {
            None
        }
    }

    fn named(name: &[u8]) -> Option<Self> {
        Some(match name {
            b"book" => Channel::Book,
            b"ticker" => Channel::Ticker,
            b"trade" => Channel::Trade,
            b"executions" => Channel::Executions,
            b"level3" => Channel::Level3,
            _ => return None,
        })
    }
}

impl Channel {
    /// The records of a frame of this channel. Inlined (a function, not a
    /// closure, so that it can be forced): the records, returned through
    /// memory, stall when read back.
    #[inline(always)]
    fn read(c: &mut Cursor<'_>, channel: Channel) -> Option<Records> {
        Some(match channel {
            // Kraken sends one record per frame, nearly always.
            Channel::Book => Records::Book(records::list(c, records::book, pool::books)?),
            Channel::Ticker => Records::Ticker(records::list(c, records::ticker, one)?),
            Channel::Trade => Records::Trade(records::list(c, records::trade, one)?),
            Channel::Executions => Records::Executions(records::list(c, records::execution, one)?),
            Channel::Level3 => {
                // One per frame: consecutive orders mostly fall in the
                // same second.
                let mut times = TimeReader::new();
                Records::Level3(records::list(c, |c| records::level3(c, &mut times), one)?)
            }
        })
    }
}

enum Records {
    Book(Vec<crate::channels::BookData>),
    Ticker(Vec<crate::channels::Ticker>),
    Trade(Vec<crate::channels::Trade>),
    Executions(Vec<crate::channels::ExecutionReport>),
    Level3(Vec<crate::channels::Level3Data>),
}
