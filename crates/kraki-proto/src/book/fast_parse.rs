//! An allocation-free pull parser for `book` and `level3` frames, the hot
//! path of a market-data client.
//!
//! It reads the frame once, byte by byte, with the readers of `decode`'s
//! fast path (`crate::fast`: the envelope, the item, the level and the
//! order), into buffers kept between frames instead of owned lists;
//! numbers become exact [`Decimal`](crate::Decimal)s straight from their
//! digits. It is an accelerator, not a second decoder: it recognises the
//! frames Kraken sends, and for anything else — another channel, an escape
//! in a string, a member it does not expect at the top level, a malformed
//! value — it returns `None` and the caller uses [`decode`](crate::decode),
//! which also gives the proper error. Whenever it returns a frame, that
//! frame equals what `decode` gives for the same text (property-tested in
//! `tests/fast_parse.rs`; the shared readers against serde in
//! `src/fast/tests.rs`).

use super::view::{BookView, Level3Orders, Level3View};
use crate::MessageType;
use crate::channels::PriceLevel;
use crate::fast::book_item::{self, Item};
use crate::fast::envelope::{self, ChannelSet, Members};
use crate::fast::level::OrderSlot;
use crate::scan::Cursor;
use crate::time_reader::TimeReader;
use std::ops::Range;

/// Reusable buffers for parsing book and level3 frames; once they have
/// grown to the largest frame seen, parsing allocates nothing.
#[derive(Debug, Default, Clone)]
pub struct FrameParser {
    /// The items, their sides as ranges of `levels` or `orders`.
    items: Vec<Slot>,
    levels: Vec<PriceLevel>,
    orders: Vec<OrderSlot>,
    times: TimeReader,
}

/// A book or level3 frame, parsed.
#[derive(Debug, Clone, Copy)]
pub enum FastFrame<'p> {
    /// `{"channel":"book",…}`.
    Book(BookFrame<'p>),
    /// `{"channel":"level3",…}`.
    Level3(Level3Frame<'p>),
}

/// A `book` frame: its type and its items (one per pair, in practice one).
#[derive(Debug, Clone, Copy)]
pub struct BookFrame<'p> {
    kind: MessageType,
    text: &'p str,
    items: &'p [Slot],
    levels: &'p [PriceLevel],
}

/// A `level3` frame: its type and its items.
#[derive(Debug, Clone, Copy)]
pub struct Level3Frame<'p> {
    kind: MessageType,
    text: &'p str,
    items: &'p [Slot],
    orders: &'p [OrderSlot],
}

/// A frame kept in a [`FrameParser`]'s buffers with the others parsed
/// since its last [`clear`](FrameParser::clear): where to read it back
/// ([`FrameParser::kept`]).
#[derive(Debug, Clone)]
pub struct KeptFrame {
    channel: Channel,
    kind: MessageType,
    /// Where the frame starts in the text it was parsed from.
    at: usize,
    /// Its items in the parser's buffer.
    items: Range<usize>,
}

/// One data item: where its symbol is in the frame, where its sides are
/// in the parser's buffers.
type ItemSlot = Item<Range<usize>>;

/// An item and where its JSON object is in the frame.
#[derive(Debug, Clone)]
struct Slot {
    item: ItemSlot,
    text: Range<usize>,
}

/// Each item's JSON object as it stands in the frame, in message order.
fn item_texts<'p>(text: &'p str, items: &'p [Slot]) -> impl ExactSizeIterator<Item = &'p str> + 'p {
    items
        .iter()
        .map(move |slot| text.get(slot.text.clone()).unwrap_or_default())
}

impl<'p> BookFrame<'p> {
    /// Snapshot or update.
    #[must_use]
    pub fn kind(&self) -> MessageType {
        self.kind
    }

    /// The items, in message order.
    pub fn updates(&self) -> impl ExactSizeIterator<Item = BookView<'p>> + 'p {
        let (text, levels) = (self.text, self.levels);
        self.items
            .iter()
            .map(|slot| &slot.item)
            .map(move |item| BookView {
                symbol: text.get(item.symbol.clone()).unwrap_or_default(),
                bids: levels.get(item.bids.clone()).unwrap_or_default(),
                asks: levels.get(item.asks.clone()).unwrap_or_default(),
                checksum: item.checksum,
                timestamp: item.timestamp,
            })
    }

    /// Each item's JSON object as Kraken sent it (the bytes parsed, in
    /// the order of [`Self::updates`]): what a relay forwards without
    /// writing the item again.
    pub fn item_texts(&self) -> impl ExactSizeIterator<Item = &'p str> + 'p {
        item_texts(self.text, self.items)
    }
}

impl<'p> Level3Frame<'p> {
    /// Snapshot or update.
    #[must_use]
    pub fn kind(&self) -> MessageType {
        self.kind
    }

    /// The items, in message order.
    pub fn updates(&self) -> impl ExactSizeIterator<Item = Level3View<'p>> + 'p {
        let (text, orders) = (self.text, self.orders);
        self.items
            .iter()
            .map(|slot| &slot.item)
            .map(move |item| Level3View {
                symbol: text.get(item.symbol.clone()).unwrap_or_default(),
                bids: Level3Orders::parsed(text, orders.get(item.bids.clone()).unwrap_or_default()),
                asks: Level3Orders::parsed(text, orders.get(item.asks.clone()).unwrap_or_default()),
                checksum: item.checksum,
                timestamp: item.timestamp,
            })
    }

    /// Each item's JSON object as Kraken sent it, in the order of
    /// [`Self::updates`].
    pub fn item_texts(&self) -> impl ExactSizeIterator<Item = &'p str> + 'p {
        item_texts(self.text, self.items)
    }
}

/// The channels this parser takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Channel {
    Book,
    Level3,
}

impl ChannelSet for Channel {
    #[inline]
    fn head(c: &mut Cursor<'_>) -> Option<Self> {
        if c.lit(br#"book","type":""#) {
            Some(Channel::Book)
        } else if c.lit(br#"level3","type":""#) {
            Some(Channel::Level3)
        } else {
            None
        }
    }

    fn named(name: &[u8]) -> Option<Self> {
        match name {
            b"book" => Some(Channel::Book),
            b"level3" => Some(Channel::Level3),
            _ => None,
        }
    }
}

impl FrameParser {
    /// Empty buffers.
    #[must_use]
    pub fn new() -> Self {
        FrameParser::default()
    }

    /// Parses a `book` or `level3` frame. `None` means "not one this parser
    /// recognises": use [`decode`](crate::decode) on the text instead.
    pub fn parse<'p>(&'p mut self, text: &'p str) -> Option<FastFrame<'p>> {
        self.parse_at(text, false).map(|(frame, _)| frame)
    }

    /// Parses a `book` or `level3` frame written on one line at the start
    /// of `text`, and says how many bytes it took; what follows is not
    /// looked at. A line break inside the frame, which `parse` would
    /// accept as whitespace, gives `None`: this is for reading a frame in
    /// place in a buffer of lines, without finding the line's end first.
    pub fn parse_prefix<'p>(&'p mut self, text: &'p str) -> Option<(FastFrame<'p>, usize)> {
        self.parse_at(text, true)
    }

    /// Empties the buffers of the frames kept by [`Self::keep_prefix`].
    pub fn clear(&mut self) {
        self.items.clear();
        self.levels.clear();
        self.orders.clear();
    }

    /// [`Self::parse_prefix`] on `text[at..]`, keeping the frames parsed
    /// before it since [`Self::clear`]: a whole block of lines is parsed
    /// first, on one thread, and its frames read back with
    /// [`Self::kept`], on another. The frame, and how many bytes from
    /// `at` it took; `None` (nothing kept) as for `parse_prefix`.
    pub fn keep_prefix(&mut self, text: &str, at: usize) -> Option<(KeptFrame, usize)> {
        let items = self.items.len();
        let (channel, kind, used) = self.read(text.get(at..)?, true)?;
        let kept = KeptFrame {
            channel,
            kind,
            at,
            items: items..self.items.len(),
        };
        Some((kept, used))
    }

    /// A frame kept by [`Self::keep_prefix`] since the last
    /// [`Self::clear`], read back from the same `text`.
    #[must_use]
    pub fn kept<'p>(&'p self, text: &'p str, frame: &KeptFrame) -> FastFrame<'p> {
        let text = text.get(frame.at..).unwrap_or_default();
        self.frame(text, frame.channel, frame.kind, frame.items.clone())
    }

    fn parse_at<'p>(&'p mut self, text: &'p str, one_line: bool) -> Option<(FastFrame<'p>, usize)> {
        self.clear();
        let (channel, kind, used) = self.read(text, one_line)?;
        Some((self.frame(text, channel, kind, 0..self.items.len()), used))
    }

    fn frame<'p>(
        &'p self,
        text: &'p str,
        channel: Channel,
        kind: MessageType,
        items: Range<usize>,
    ) -> FastFrame<'p> {
        let items = self.items.get(items).unwrap_or_default();
        match channel {
            Channel::Book => FastFrame::Book(BookFrame {
                kind,
                text,
                items,
                levels: &self.levels,
            }),
            Channel::Level3 => FastFrame::Level3(Level3Frame {
                kind,
                text,
                items,
                orders: &self.orders,
            }),
        }
    }

    /// The frame: exactly `channel`, `type` and `data`, in any order (other
    /// envelope members are `decode`'s to judge), its items and their
    /// sides appended to the buffers; its channel, type and end. On `None`
    /// the buffers are as they were.
    fn read(&mut self, text: &str, one_line: bool) -> Option<(Channel, MessageType, usize)> {
        let before = (self.items.len(), self.levels.len(), self.orders.len());
        let FrameParser {
            items,
            levels,
            orders,
            times,
        } = self;
        let frame = envelope::read(text, one_line, Members::DataOnly, |c, channel| {
            c.array(|c| {
                let start = c.pos;
                let item = match channel {
                    Channel::Book => {
                        book_item::read(c, times, |c, _| side(c, levels, |c| c.level()))
                    }
                    Channel::Level3 => {
                        book_item::read(c, times, |c, times| side(c, orders, |c| c.order(times)))
                    }
                }?;
                items.push(Slot {
                    item,
                    text: start..c.pos,
                });
                Some(())
            })
        });
        match frame {
            Some(frame) => Some((frame.channel, frame.kind, frame.end)),
            None => {
                self.items.truncate(before.0);
                self.levels.truncate(before.1);
                self.orders.truncate(before.2);
                None
            }
        }
    }
}

/// A side's levels or orders, each read by `one`, appended to `buffer`;
/// their range there.
#[inline(always)]
fn side<T>(
    c: &mut Cursor<'_>,
    buffer: &mut Vec<T>,
    mut one: impl FnMut(&mut Cursor<'_>) -> Option<T>,
) -> Option<Range<usize>> {
    let start = buffer.len();
    c.array(|c| {
        buffer.push(one(c)?);
        Some(())
    })?;
    Some(start..buffer.len())
}
