//! An allocation-free pull parser for `book` and `level3` frames, the hot
//! path of a market-data client.
//!
//! It reads the frame once, byte by byte, into reusable buffers; numbers
//! become exact [`Decimal`]s straight from their digits. It is an
//! accelerator, not a second decoder: it recognises the frames Kraken
//! sends, and for anything else — another channel, an escape in a string,
//! a key it does not expect at the top level, a malformed value — it
//! returns `None` and the caller uses [`decode`](crate::decode), which also
//! gives the proper error. Whenever it returns a frame, that frame equals
//! what `decode` gives for the same text (property-tested in
//! `tests/fast_parse.rs`).

use super::time_reader::TimeReader;
use super::view::{BookUpdate, Level3Orders, Level3Update, OrderSlot};
use crate::channels::{Level3Event, PriceLevel};
use crate::scan::Cursor;
use crate::{MessageType, Timestamp};
use std::ops::Range;

/// Reusable buffers for parsing book and level3 frames; once they have
/// grown to the largest frame seen, parsing allocates nothing.
#[derive(Debug, Default, Clone)]
pub struct FrameParser {
    items: Vec<ItemSlot>,
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
    items: &'p [ItemSlot],
    levels: &'p [PriceLevel],
}

/// A `level3` frame: its type and its items.
#[derive(Debug, Clone, Copy)]
pub struct Level3Frame<'p> {
    kind: MessageType,
    text: &'p str,
    items: &'p [ItemSlot],
    orders: &'p [OrderSlot],
}

/// One data item: where its parts are in the frame and the buffers.
#[derive(Debug, Clone)]
struct ItemSlot {
    symbol: Range<usize>,
    bids: Range<usize>,
    asks: Range<usize>,
    checksum: u32,
    timestamp: Option<Timestamp>,
}

impl<'p> BookFrame<'p> {
    /// Snapshot or update.
    #[must_use]
    pub fn kind(&self) -> MessageType {
        self.kind
    }

    /// The items, in message order.
    pub fn updates(&self) -> impl ExactSizeIterator<Item = BookUpdate<'p>> + 'p {
        let (text, levels) = (self.text, self.levels);
        self.items.iter().map(move |item| BookUpdate {
            symbol: text.get(item.symbol.clone()).unwrap_or_default(),
            bids: levels.get(item.bids.clone()).unwrap_or_default(),
            asks: levels.get(item.asks.clone()).unwrap_or_default(),
            checksum: item.checksum,
            timestamp: item.timestamp,
        })
    }
}

impl<'p> Level3Frame<'p> {
    /// Snapshot or update.
    #[must_use]
    pub fn kind(&self) -> MessageType {
        self.kind
    }

    /// The items, in message order.
    pub fn updates(&self) -> impl ExactSizeIterator<Item = Level3Update<'p>> + 'p {
        let (text, orders) = (self.text, self.orders);
        self.items.iter().map(move |item| Level3Update {
            symbol: text.get(item.symbol.clone()).unwrap_or_default(),
            bids: Level3Orders::parsed(text, orders.get(item.bids.clone()).unwrap_or_default()),
            asks: Level3Orders::parsed(text, orders.get(item.asks.clone()).unwrap_or_default()),
            checksum: item.checksum,
            timestamp: item.timestamp,
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Channel {
    Book,
    Level3,
}

/// The members of a data item.
enum ItemKey {
    Symbol,
    Bids,
    Asks,
    Checksum,
    Timestamp,
    Other,
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

    fn parse_at<'p>(&'p mut self, text: &'p str, one_line: bool) -> Option<(FastFrame<'p>, usize)> {
        self.items.clear();
        self.levels.clear();
        self.orders.clear();
        let (channel, kind, end) = self.frame(text, one_line)?;
        let frame = match channel {
            Channel::Book => FastFrame::Book(BookFrame {
                kind,
                text,
                items: &self.items,
                levels: &self.levels,
            }),
            Channel::Level3 => FastFrame::Level3(Level3Frame {
                kind,
                text,
                items: &self.items,
                orders: &self.orders,
            }),
        };
        Some((frame, end))
    }

    /// The top level: exactly `channel`, `type` and `data`, in any order.
    /// Returns where it ends: after the closing brace for a frame on one
    /// line, else at the end of the text (only whitespace may follow).
    fn frame(&mut self, text: &str, one_line: bool) -> Option<(Channel, MessageType, usize)> {
        let mut c = Cursor::new(text, one_line);
        let mut channel = None;
        let mut kind = None;
        // Where `data` starts, and whether it has been read (it can only
        // be read once the channel is known).
        let mut data: Option<(usize, bool)> = None;
        // Kraken's own key order and spacing, checked by a few comparisons.
        if let Some((ch, k)) = c.canonical_start() {
            self.data(&mut c, ch)?;
            c.ws();
            c.eat(b'}')?;
            return c.end().map(|end| (ch, k, end));
        }
        c.ws();
        c.eat(b'{')?;
        c.ws();
        loop {
            match c.key()? {
                b"channel" if channel.is_none() => {
                    channel = Some(match c.string()? {
                        b"book" => Channel::Book,
                        b"level3" => Channel::Level3,
                        _ => return None,
                    });
                }
                b"type" if kind.is_none() => {
                    kind = Some(match c.string()? {
                        b"snapshot" => MessageType::Snapshot,
                        b"update" => MessageType::Update,
                        _ => return None,
                    });
                }
                b"data" if data.is_none() => {
                    let start = c.pos;
                    match channel {
                        Some(ch) => self.data(&mut c, ch)?,
                        None => c.skip_value(0)?,
                    }
                    data = Some((start, channel.is_some()));
                }
                // Other envelope fields (and duplicates) are decode's.
                _ => return None,
            }
            if !c.comma_or_end(b'}')? {
                break;
            }
        }
        let end = c.end()?;
        let (channel, kind, (start, read)) = (channel?, kind?, data?);
        if !read {
            self.data(
                &mut Cursor {
                    s: c.s,
                    b: c.b,
                    pos: start,
                    one_line,
                },
                channel,
            )?;
        }
        Some((channel, kind, end))
    }

    fn data(&mut self, c: &mut Cursor<'_>, channel: Channel) -> Option<()> {
        self.items.clear();
        self.levels.clear();
        self.orders.clear();
        c.eat(b'[')?;
        c.ws();
        if c.peek()? == b']' {
            c.pos += 1;
            return Some(());
        }
        loop {
            self.item(c, channel)?;
            if !c.comma_or_end(b']')? {
                return Some(());
            }
        }
    }

    /// One data item: `symbol`, `bids`, `asks`, `checksum`, `timestamp`.
    fn item(&mut self, c: &mut Cursor<'_>, channel: Channel) -> Option<()> {
        let mut symbol = None;
        let mut bids = None;
        let mut asks = None;
        let mut checksum = None;
        let mut timestamp = None;
        c.eat(b'{')?;
        c.ws();
        if c.peek()? != b'}' {
            loop {
                match c.item_key()? {
                    ItemKey::Symbol if symbol.is_none() => symbol = Some(c.string_range()?),
                    ItemKey::Bids if bids.is_none() => bids = Some(self.side(c, channel)?),
                    ItemKey::Asks if asks.is_none() => asks = Some(self.side(c, channel)?),
                    ItemKey::Checksum if checksum.is_none() => checksum = Some(c.checksum()?),
                    ItemKey::Timestamp if timestamp.is_none() => {
                        timestamp = Some(c.timestamp(&mut self.times)?);
                    }
                    ItemKey::Other => c.skip_value(0)?,
                    // A duplicate: serde refuses those.
                    _ => return None,
                }
                if !c.comma_or_end(b'}')? {
                    break;
                }
            }
        } else {
            c.pos += 1;
        }
        self.items.push(ItemSlot {
            symbol: symbol?,
            bids: bids.unwrap_or(0..0),
            asks: asks.unwrap_or(0..0),
            checksum: checksum?,
            timestamp: timestamp.flatten(),
        });
        Some(())
    }

    /// An array of levels or orders; returns their range in the buffer.
    fn side(&mut self, c: &mut Cursor<'_>, channel: Channel) -> Option<Range<usize>> {
        let start = match channel {
            Channel::Book => self.levels.len(),
            Channel::Level3 => self.orders.len(),
        };
        c.eat(b'[')?;
        c.ws();
        if c.peek()? == b']' {
            c.pos += 1;
            return Some(start..start);
        }
        loop {
            match channel {
                Channel::Book => self.levels.push(c.level()?),
                Channel::Level3 => self.orders.push(c.order(&mut self.times)?),
            }
            if !c.comma_or_end(b']')? {
                break;
            }
        }
        let end = match channel {
            Channel::Book => self.levels.len(),
            Channel::Level3 => self.orders.len(),
        };
        Some(start..end)
    }
}

/// The parts of a cursor that know the frames' shapes.
impl Cursor<'_> {
    /// The head of a book or level3 frame as Kraken writes it (see
    /// [`Cursor::canonical_head`]).
    #[inline]
    fn canonical_start(&mut self) -> Option<(Channel, MessageType)> {
        self.canonical_head(|c| {
            if c.lit(br#"book","type":""#) {
                Some(Channel::Book)
            } else if c.lit(br#"level3","type":""#) {
                Some(Channel::Level3)
            } else {
                None
            }
        })
    }

    /// A data item's key and the colon after it: the five known ones are
    /// recognised by a direct comparison, anything else the long way.
    #[inline]
    fn item_key(&mut self) -> Option<ItemKey> {
        let known = match self.b.get(self.pos + 1) {
            Some(b's') if self.lit(br#""symbol":"#) => Some(ItemKey::Symbol),
            Some(b'b') if self.lit(br#""bids":"#) => Some(ItemKey::Bids),
            Some(b'a') if self.lit(br#""asks":"#) => Some(ItemKey::Asks),
            Some(b'c') if self.lit(br#""checksum":"#) => Some(ItemKey::Checksum),
            Some(b't') if self.lit(br#""timestamp":"#) => Some(ItemKey::Timestamp),
            _ => None,
        };
        if let Some(key) = known {
            self.ws();
            return Some(key);
        }
        Some(match self.key()? {
            b"symbol" => ItemKey::Symbol,
            b"bids" => ItemKey::Bids,
            b"asks" => ItemKey::Asks,
            b"checksum" => ItemKey::Checksum,
            b"timestamp" => ItemKey::Timestamp,
            _ => ItemKey::Other,
        })
    }

    /// An optional timestamp: a valid RFC 3339 string, or `null`.
    fn timestamp(&mut self, times: &mut TimeReader) -> Option<Option<Timestamp>> {
        if self.lit(b"null") {
            return Some(None);
        }
        // Kraken's times (`…:58.343415Z`, nine or no fractional digits
        // too) end in `Z"` at a known place; a valid time holds no quote,
        // so the one found there is the string's end.
        for len in [27, 30, 20] {
            let end = self.pos + 1 + len;
            if self.peek() == Some(b'"') && self.b.get(end - 1..=end) == Some(&b"Z\""[..]) {
                if let Some(time) = self.text(self.pos + 1..end).and_then(|t| times.read(t)) {
                    self.pos = end + 1;
                    return Some(Some(time));
                }
            }
        }
        let range = self.string_range()?;
        times.read(self.text(range)?).map(Some)
    }

    /// `{"price":…,"qty":…}` in either order, unknown members skipped.
    #[inline]
    fn level(&mut self) -> Option<PriceLevel> {
        // Kraken's form first; anything else is read again the long way.
        let start = self.pos;
        if self.lit(br#"{"price":"#) {
            if let Some(price) = self.decimal() {
                if self.lit(br#","qty":"#) {
                    if let Some(qty) = self.decimal() {
                        if self.eat(b'}').is_some() {
                            return Some(PriceLevel { price, qty });
                        }
                    }
                }
            }
            self.pos = start;
        }
        let mut price = None;
        let mut qty = None;
        self.eat(b'{')?;
        self.ws();
        loop {
            match self.key()? {
                b"price" if price.is_none() => price = Some(self.decimal()?),
                b"qty" if qty.is_none() => qty = Some(self.decimal()?),
                b"price" | b"qty" => return None,
                _ => self.skip_value(0)?,
            }
            if !self.comma_or_end(b'}')? {
                break;
            }
        }
        Some(PriceLevel {
            price: price?,
            qty: qty?,
        })
    }

    /// A level3 order or order event.
    fn order(&mut self, times: &mut TimeReader) -> Option<OrderSlot> {
        let mut event = None;
        let mut order_id = None;
        let mut limit_price = None;
        let mut order_qty = None;
        let mut timestamp = None;
        self.eat(b'{')?;
        self.ws();
        loop {
            match self.key()? {
                b"event" if event.is_none() => {
                    event = Some(if self.lit(b"null") {
                        None
                    } else {
                        Some(match self.string()? {
                            b"add" => Level3Event::Add,
                            b"modify" => Level3Event::Modify,
                            b"delete" => Level3Event::Delete,
                            other => Level3Event::from(std::str::from_utf8(other).ok()?),
                        })
                    });
                }
                b"order_id" if order_id.is_none() => order_id = Some(self.string_range()?),
                b"limit_price" if limit_price.is_none() => limit_price = Some(self.decimal()?),
                b"order_qty" if order_qty.is_none() => order_qty = Some(self.decimal()?),
                b"timestamp" if timestamp.is_none() => timestamp = Some(self.timestamp(times)?),
                b"event" | b"order_id" | b"limit_price" | b"order_qty" | b"timestamp" => {
                    return None;
                }
                _ => self.skip_value(0)?,
            }
            if !self.comma_or_end(b'}')? {
                break;
            }
        }
        Some(OrderSlot {
            event: event.flatten(),
            order_id: order_id?,
            limit_price: limit_price?,
            order_qty: order_qty?,
            timestamp: timestamp.flatten(),
        })
    }
}
