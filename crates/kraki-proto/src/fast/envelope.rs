//! The top level of a channel frame, read in place: `channel`, `type` and
//! `data` in any order, Kraken's own order and spacing recognised by a few
//! constant compares. Every in-place reader goes through it: the decoded
//! messages of the hot channels and the book parser behind
//! [`FrameParser`](crate::book::FrameParser); each says which channels it
//! takes and reads `data` its own way.

use super::value::FastValue;
use crate::scan::Cursor;
use crate::{MessageType, Timestamp};

/// The channels a reader takes.
pub(crate) trait ChannelSet: Copy {
    /// The channel whose name is at the cursor, in Kraken's frame head,
    /// with the `","type":"` after it consumed (see
    /// [`Cursor::canonical_head`]).
    fn head(c: &mut Cursor<'_>) -> Option<Self>;

    /// The channel called `name`, if this reader takes it.
    fn named(name: &[u8]) -> Option<Self>;
}

/// Which members besides `channel`, `type` and `data` a reader accepts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Members {
    /// None: any other member declines the frame (the book parser has no
    /// place for them).
    DataOnly,
    /// `sequence` and `timestamp` read, unknown members skipped, as the
    /// general path's envelope does; the members that envelope reads
    /// otherwise decline the frame, so that it judges them.
    Envelope,
}

/// A frame's top level, its data read.
pub(crate) struct Frame<C, D> {
    pub(crate) channel: C,
    pub(crate) kind: MessageType,
    pub(crate) data: D,
    pub(crate) sequence: Option<u64>,
    pub(crate) timestamp: Option<Timestamp>,
    /// Where the frame ends (see [`Cursor::end`]).
    pub(crate) end: usize,
}

/// The data, read at once when the channel came before it (Kraken's
/// order), else where it starts, to be read once the channel is known.
enum Data<D> {
    Read(D),
    At(usize),
}

/// Reads the frame at the start of `text` (on one line, see
/// [`Cursor::end`]), its data by `read_data` for the channel named.
/// Inlined: the data, returned through memory, stalls when read back.
#[inline(always)]
pub(crate) fn read<C: ChannelSet, D>(
    text: &str,
    one_line: bool,
    members: Members,
    mut read_data: impl FnMut(&mut Cursor<'_>, C) -> Option<D>,
) -> Option<Frame<C, D>> {
    let mut c = Cursor::new(text, one_line);
    let mut channel = None;
    let mut kind = None;
    let mut data = None;
    let mut sequence: Option<Option<u64>> = None;
    let mut timestamp: Option<Option<Timestamp>> = None;
    // Whether members remain to be read key by key.
    let mut open = true;
    if let Some((ch, k)) = c.canonical_head(C::head) {
        (channel, kind) = (Some(ch), Some(k));
        data = Some(Data::Read(read_data(&mut c, ch)?));
        open = c.comma_or_end(b'}')?;
    } else {
        c.ws();
        c.eat(b'{')?;
        c.ws();
    }
    let envelope = members == Members::Envelope;
    while open {
        match c.key()? {
            b"channel" if channel.is_none() => channel = Some(C::named(c.string()?)?),
            b"type" if kind.is_none() => {
                kind = Some(match c.string()? {
                    b"snapshot" => MessageType::Snapshot,
                    b"update" => MessageType::Update,
                    _ => return None,
                });
            }
            b"data" if data.is_none() => {
                data = Some(match channel {
                    Some(ch) => Data::Read(read_data(&mut c, ch)?),
                    None => {
                        let at = c.pos;
                        c.skip_value(1)?;
                        Data::At(at)
                    }
                });
            }
            b"sequence" if envelope && sequence.is_none() => {
                sequence = Some(if c.lit(b"null") {
                    None
                } else {
                    Some(u64::read(&mut c)?)
                });
            }
            b"timestamp" if envelope && timestamp.is_none() => {
                timestamp = Some(if c.lit(b"null") {
                    None
                } else {
                    Some(Timestamp::read(&mut c)?)
                });
            }
            // A repeated member, or one the general path's envelope types
            // (and so may reject): that path decides.
            b"channel" | b"type" | b"data" | b"sequence" | b"timestamp" | b"method" | b"result"
            | b"params" | b"req_id" | b"success" | b"error" | b"symbol" | b"status"
            | b"time_in" | b"time_out" | b"orders_cancelled" => return None,
            _ if envelope => c.skip_value(1)?,
            _ => return None,
        }
        open = c.comma_or_end(b'}')?;
    }
    let end = c.end()?;
    let (channel, kind) = (channel?, kind?);
    let data = match data? {
        Data::Read(data) => data,
        Data::At(at) => {
            let mut d = Cursor::new(text, one_line);
            d.pos = at;
            read_data(&mut d, channel)?
        }
    };
    Some(Frame {
        channel,
        kind,
        data,
        sequence: sequence.flatten(),
        timestamp: timestamp.flatten(),
        end,
    })
}
