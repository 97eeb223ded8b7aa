//! Feeders of the channels without state (trade, ticker, ohlc): each
//! item goes out as it came, one symbol's item per message. Trades go
//! one per message with an id from their `trade_id`; the others with an
//! id from their content.

use super::counters::add;
use super::feed_queue::{FeedQueue, Offered};
use super::frames::{frame, frame_at};
use super::msg_id::MsgId;
use super::names::{content_id, trade_id};
use super::publisher::{ItemKind, Outgoing};
use crate::{CandleUpdate, Event, Subscription, TickerUpdate, TradeUpdate};
use bytes::Bytes;
use futures_util::StreamExt;

/// Messages with their `Nats-Msg-Id` and kind.
pub(crate) type Split = Vec<(String, MsgId, ItemKind)>;

/// How a channel's item becomes messages.
pub(crate) trait Splits {
    fn split(&self, subject: &str) -> Split;
}

impl Splits for TradeUpdate {
    fn split(&self, _subject: &str) -> Split {
        self.trades
            .iter()
            .map(|t| {
                let id = MsgId::from(trade_id(t.symbol.as_str(), t.trade_id));
                (
                    frame("trade", self.kind, t),
                    id,
                    ItemKind::Trade(t.trade_id),
                )
            })
            .collect()
    }
}

impl Splits for TickerUpdate {
    fn split(&self, subject: &str) -> Split {
        let payload = frame("ticker", self.kind, &self.ticker);
        let id = content_id(subject, payload.as_bytes());
        vec![(payload, id, ItemKind::Plain)]
    }
}

impl Splits for CandleUpdate {
    fn split(&self, subject: &str) -> Split {
        self.candles
            .iter()
            .map(|c| {
                let payload = frame_at("ohlc", self.kind, c, self.timestamp);
                let id = content_id(subject, payload.as_bytes());
                (payload, id, ItemKind::Plain)
            })
            .collect()
    }
}

pub(crate) struct PlainFeeder {
    pub(crate) subject: String,
    pub(crate) queue: FeedQueue,
}

impl PlainFeeder {
    /// Runs until the client closes.
    pub(crate) async fn run<T: Splits + Clone + Send + 'static>(self, mut sub: Subscription<T>) {
        let counters = self.queue.counters.clone();
        let mut dropped = 0u64;
        while let Some(event) = sub.next().await {
            let item = match event {
                Event::Data(item) => item,
                Event::Lagged(n) => {
                    tracing::warn!(subject = %self.subject, missed = n, "relay fell behind Kraken; items lost");
                    add(&counters.dropped, n);
                    continue;
                }
                Event::Reconnected => {
                    add(&counters.reconnects, 1);
                    continue;
                }
                _ => continue,
            };
            for (payload, id, kind) in item.split(&self.subject) {
                // Counted as split, one per item of the frame's `data`
                // (a frame may hold several trades): each is stored,
                // recognised as a duplicate or dropped, so the counters
                // add up.
                add(&counters.received, 1);
                let out = Outgoing::Item {
                    payload: Bytes::from(payload),
                    id,
                    kind,
                };
                match self.queue.offer(out) {
                    Offered::Queued if dropped > 0 => {
                        tracing::warn!(subject = %self.subject, dropped, "buffer towards NATS has room again; messages were dropped");
                        dropped = 0;
                    }
                    Offered::Queued => {}
                    Offered::Full => {
                        if dropped == 0 {
                            tracing::warn!(subject = %self.subject, "buffer towards NATS full; dropping messages until it has room");
                        }
                        dropped += 1;
                    }
                    Offered::Closed => return,
                }
            }
        }
    }
}
