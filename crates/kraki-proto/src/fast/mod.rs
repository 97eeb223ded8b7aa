//! The fast decode path for the messages that make up almost all traffic
//! (book, ticker, trade, executions): one pass over the bytes, numbers
//! straight into [`Decimal`](crate::Decimal), no intermediate values.
//!
//! It takes only what it can read exactly as the general (serde) path
//! would, and answers `None` for anything else — an escape in a string, a
//! repeated key, a missing field, an unknown channel, malformed JSON — so
//! that the general path decodes the frame or reports the error. The two
//! paths are checked equal on every fixture and on mutated ones.

pub(crate) mod key_table;
pub(crate) mod pool;
mod records;
#[cfg(test)]
mod tests;
pub(crate) mod value;

use crate::scan::Cursor;
use crate::{ChannelMessage, Inbound, MessageType, Timestamp};
use value::FastValue;

/// The frame as one typed message, or `None` to take the general path.
pub(crate) fn decode(text: &str) -> Option<Inbound> {
    let mut c = Cursor::new(text, false);
    let mut channel: Option<Channel> = None;
    let mut kind = None;
    // The data, read at once when the channel came first (Kraken's
    // order), else its position, read once the channel is known.
    let mut data: Option<Data> = None;
    let mut sequence: Option<Option<u64>> = None;
    let mut timestamp: Option<Option<Timestamp>> = None;
    // Whether members remain to be read key by key.
    let mut open = true;
    if let Some((ch, k)) = canonical_head(&mut c) {
        (channel, kind) = (Some(ch), Some(k));
        data = Some(Data::Read(ch.read(&mut c)?));
        open = c.comma_or_end(b'}')?;
    } else {
        c.ws();
        c.eat(b'{')?;
        c.ws();
    }
    while open {
        let key = c.key()?;
        match key {
            b"channel" if channel.is_none() => channel = Some(Channel::of(c.string()?)?),
            b"type" if kind.is_none() => {
                kind = Some(match c.string()? {
                    b"snapshot" => MessageType::Snapshot,
                    b"update" => MessageType::Update,
                    _ => return None,
                })
            }
            b"data" if data.is_none() => {
                data = Some(match channel {
                    Some(channel) => Data::Read(channel.read(&mut c)?),
                    None => {
                        let at = c.pos;
                        c.skip_value(1)?;
                        Data::At(at)
                    }
                });
            }
            b"sequence" if sequence.is_none() => {
                sequence = Some(if c.lit(b"null") {
                    None
                } else {
                    Some(u64::read(&mut c)?)
                });
            }
            b"timestamp" if timestamp.is_none() => {
                timestamp = Some(if c.lit(b"null") {
                    None
                } else {
                    Some(Timestamp::read(&mut c)?)
                });
            }
            // A repeated key, or a key the general path's envelope types
            // (and so may reject): that path decides.
            b"channel" | b"type" | b"data" | b"sequence" | b"timestamp" | b"method" | b"result"
            | b"params" | b"req_id" | b"success" | b"error" | b"symbol" | b"status"
            | b"time_in" | b"time_out" | b"orders_cancelled" => return None,
            _ => c.skip_value(1)?,
        }
        open = c.comma_or_end(b'}')?;
    }
    c.end()?;
    let (kind, channel) = (kind?, channel?);
    let data = match data? {
        Data::Read(records) => records,
        Data::At(at) => {
            let mut d = Cursor::new(text, false);
            d.pos = at;
            channel.read(&mut d)?
        }
    };
    let (sequence, timestamp) = (sequence.flatten(), timestamp.flatten());
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
    })
}

/// The head of a frame of the channels this path takes, as Kraken writes
/// it (see [`Cursor::canonical_head`]).
#[inline]
fn canonical_head(c: &mut Cursor<'_>) -> Option<(Channel, MessageType)> {
    c.canonical_head(|c| {
        if c.lit(br#"book","type":""#) {
            Some(Channel::Book)
        } else if c.lit(br#"ticker","type":""#) {
            Some(Channel::Ticker)
        } else if c.lit(br#"trade","type":""#) {
            Some(Channel::Trade)
        } else if c.lit(br#"executions","type":""#) {
            Some(Channel::Executions)
        } else {
            None
        }
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
}

impl Channel {
    fn of(name: &[u8]) -> Option<Channel> {
        Some(match name {
            b"book" => Channel::Book,
            b"ticker" => Channel::Ticker,
            b"trade" => Channel::Trade,
            b"executions" => Channel::Executions,
            _ => return None,
        })
    }

    // Inlined: the records, returned through memory, stall when read back.
    #[inline(always)]
    fn read(self, c: &mut Cursor<'_>) -> Option<Records> {
        Some(match self {
            // Kraken sends one record per frame, nearly always.
            Channel::Book => Records::Book(records::list(c, records::book, pool::books)?),
            Channel::Ticker => Records::Ticker(records::list(c, records::ticker, one)?),
            Channel::Trade => Records::Trade(records::list(c, records::trade, one)?),
            Channel::Executions => Records::Executions(records::list(c, records::execution, one)?),
        })
    }
}

enum Records {
    Book(Vec<crate::channels::BookData>),
    Ticker(Vec<crate::channels::Ticker>),
    Trade(Vec<crate::channels::Trade>),
    Executions(Vec<crate::channels::ExecutionReport>),
}

enum Data {
    Read(Records),
    At(usize),
}
