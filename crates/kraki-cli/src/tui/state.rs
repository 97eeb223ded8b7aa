//! The live view's state and its pure `update`: every input is a value,
//! so the whole behaviour is testable without a terminal or a socket.

use kraki::proto::channels::{Candle, Ticker, Trade};
use kraki::{BookEvent, BookState, BookStatus};
use std::collections::VecDeque;
use std::sync::Arc;

/// Trades kept on the tape.
const TAPE: usize = 30;
/// Candles kept for the chart.
const CANDLES: usize = 60;

/// Everything the view draws.
#[derive(Debug, Clone)]
pub(crate) struct ViewState {
    pub(crate) symbols: Vec<String>,
    pub(crate) selected: usize,
    pub(crate) book: Option<Arc<BookState>>,
    pub(crate) status: Option<BookStatus>,
    pub(crate) connected: bool,
    pub(crate) trades: VecDeque<Trade>,
    pub(crate) ticker: Option<Ticker>,
    pub(crate) candles: VecDeque<Candle>,
    pub(crate) msgs: u64,
    pub(crate) verified: u64,
    pub(crate) mismatched: u64,
    pub(crate) reconnects: u64,
    pub(crate) resyncs: u64,
    /// Messages per second over the last tick.
    pub(crate) rate: u64,
    msgs_at_last_tick: u64,
    pub(crate) quit: bool,
}

/// A key the view acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    Quit,
    NextSymbol,
    PreviousSymbol,
}

/// An input to the view.
#[derive(Debug, Clone)]
pub(crate) enum Input {
    Book(BookEvent, Arc<BookState>),
    Trades(Vec<Trade>),
    Ticker(Ticker),
    Candles(Vec<Candle>),
    Disconnected,
    Key(Key),
    /// One second passed.
    Tick,
}

/// What the driver of the view must do after an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Follow another symbol.
    Switch(String),
}

impl ViewState {
    pub(crate) fn new(symbols: Vec<String>) -> Self {
        ViewState {
            symbols,
            selected: 0,
            book: None,
            status: None,
            connected: true,
            trades: VecDeque::with_capacity(TAPE),
            ticker: None,
            candles: VecDeque::with_capacity(CANDLES),
            msgs: 0,
            verified: 0,
            mismatched: 0,
            reconnects: 0,
            resyncs: 0,
            rate: 0,
            msgs_at_last_tick: 0,
            quit: false,
        }
    }

    /// The symbol followed.
    pub(crate) fn symbol(&self) -> &str {
        self.symbols.get(self.selected).map_or("", String::as_str)
    }

    pub(crate) fn update(&mut self, input: Input) -> Option<Effect> {
        match input {
            Input::Book(event, state) => {
                self.msgs += 1;
                match event {
                    BookEvent::Applied { ok: true, .. } => self.verified += 1,
                    BookEvent::Applied { ok: false, .. } => self.mismatched += 1,
                    BookEvent::Resyncing { .. } => self.resyncs += 1,
                    BookEvent::Reconnecting => {
                        self.connected = false;
                        self.reconnects += 1;
                    }
                    BookEvent::Reconnected => self.connected = true,
                    _ => {}
                }
                self.status = Some(state.status);
                self.book = Some(state);
            }
            Input::Trades(trades) => {
                self.msgs += 1;
                for t in trades {
                    if self.trades.len() == TAPE {
                        self.trades.pop_back();
                    }
                    self.trades.push_front(t);
                }
            }
            Input::Ticker(t) => {
                self.msgs += 1;
                self.ticker = Some(t);
            }
            Input::Candles(candles) => {
                self.msgs += 1;
                for c in candles {
                    match self.candles.back_mut() {
                        // The running candle is updated in place.
                        Some(last) if last.interval_begin == c.interval_begin => *last = c,
                        _ => {
                            if self.candles.len() == CANDLES {
                                self.candles.pop_front();
                            }
                            self.candles.push_back(c);
                        }
                    }
                }
            }
            Input::Disconnected => self.connected = false,
            Input::Tick => {
                self.rate = self.msgs - self.msgs_at_last_tick;
                self.msgs_at_last_tick = self.msgs;
            }
            Input::Key(Key::Quit) => self.quit = true,
            Input::Key(key @ (Key::NextSymbol | Key::PreviousSymbol)) => {
                if self.symbols.len() < 2 {
                    return None;
                }
                let n = self.symbols.len();
                self.selected = match key {
                    Key::NextSymbol => (self.selected + 1) % n,
                    _ => (self.selected + n - 1) % n,
                };
                self.book = None;
                self.status = None;
                self.trades.clear();
                self.ticker = None;
                self.candles.clear();
                return Some(Effect::Switch(self.symbol().to_owned()));
            }
        }
        None
    }

    /// The one-line summary printed each second when not on a terminal.
    pub(crate) fn summary(&self) -> String {
        format!(
            "msgs={} verified={} mismatched={} reconnects={} resyncs={} rate={}/s",
            self.msgs, self.verified, self.mismatched, self.reconnects, self.resyncs, self.rate
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kraki::proto::book::{L2Book, Precision};
    use kraki::proto::{Decimal, MessageType, Side, Symbol, Timestamp};

    fn book_state() -> Arc<BookState> {
        Arc::new(BookState {
            status: BookStatus::Live,
            book: L2Book::new("BTC/USD", Precision::new(1, 8), 10),
            verified: 1,
            mismatches: 0,
            resyncs: 0,
        })
    }

    fn applied(ok: bool) -> BookEvent {
        BookEvent::Applied {
            kind: MessageType::Update,
            checksum: 1,
            computed: if ok { 1 } else { 2 },
            ok,
            best_bid: None,
            best_ask: None,
        }
    }

    fn trade(id: u64) -> Trade {
        Trade {
            symbol: Symbol::from("BTC/USD"),
            side: Side::Buy,
            price: Decimal::parse("65000.1").unwrap(),
            qty: Decimal::parse("0.5").unwrap(),
            ord_type: kraki::proto::channels::TradeOrderType::Limit,
            trade_id: id,
            timestamp: Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn counts_checksums_reconnects_and_rate() {
        let mut s = ViewState::new(vec!["BTC/USD".into()]);
        s.update(Input::Book(applied(true), book_state()));
        s.update(Input::Book(applied(false), book_state()));
        s.update(Input::Book(BookEvent::Reconnecting, book_state()));
        assert!(!s.connected);
        s.update(Input::Book(BookEvent::Reconnected, book_state()));
        assert!(s.connected);
        s.update(Input::Tick);
        assert_eq!(s.rate, 4);
        assert_eq!(
            s.summary(),
            "msgs=4 verified=1 mismatched=1 reconnects=1 resyncs=0 rate=4/s"
        );
        s.update(Input::Tick);
        assert_eq!(s.rate, 0);
    }

    #[test]
    fn tape_is_newest_first_and_bounded() {
        let mut s = ViewState::new(vec!["BTC/USD".into()]);
        for id in 0..(TAPE as u64 + 5) {
            s.update(Input::Trades(vec![trade(id)]));
        }
        assert_eq!(s.trades.len(), TAPE);
        assert_eq!(s.trades[0].trade_id, TAPE as u64 + 4);
    }

    #[test]
    fn keys_switch_symbols_and_quit() {
        let mut s = ViewState::new(vec!["BTC/USD".into(), "ETH/USD".into()]);
        s.update(Input::Trades(vec![trade(1)]));
        assert_eq!(
            s.update(Input::Key(Key::NextSymbol)),
            Some(Effect::Switch("ETH/USD".into()))
        );
        assert!(s.trades.is_empty(), "the old symbol's tape is cleared");
        assert_eq!(
            s.update(Input::Key(Key::NextSymbol)),
            Some(Effect::Switch("BTC/USD".into()))
        );
        assert_eq!(
            s.update(Input::Key(Key::PreviousSymbol)),
            Some(Effect::Switch("ETH/USD".into()))
        );
        assert!(!s.quit);
        s.update(Input::Key(Key::Quit));
        assert!(s.quit);
    }
}
