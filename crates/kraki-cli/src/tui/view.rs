//! Drawing the live view: the verified ladder with depth bars (`Asks` over
//! `Bids`), ticker, trade tape, a small candle chart and the status line.

use super::state::ViewState;
use kraki::BookStatus;
use kraki::proto::Side;
use kraki::proto::book::Level;
use kraki::proto::channels::Candle;
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

/// Levels shown per side.
const LADDER: usize = 10;
/// Width of the depth bars, in cells.
const BAR: usize = 16;

pub(crate) fn draw(frame: &mut Frame<'_>, state: &ViewState, title: &str) {
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(3),
            Constraint::Min(12),
            Constraint::Length(9),
        ])
        .split(frame.area());
    frame.render_widget(status(state, title), rows[0]);
    let middle = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Percentage(55), Constraint::Percentage(45)])
        .split(rows[1]);
    draw_ladder(frame, state, middle[0]);
    let right = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Length(7), Constraint::Min(3)])
        .split(middle[1]);
    frame.render_widget(ticker(state), right[0]);
    frame.render_widget(tape(state, right[1].height), right[1]);
    frame.render_widget(candles(state, rows[2]), rows[2]);
}

fn status(state: &ViewState, title: &str) -> Paragraph<'static> {
    let (book, colour) = match state.status {
        Some(BookStatus::Live) => ("verified", Color::Green),
        Some(BookStatus::Resyncing) => ("resyncing", Color::Yellow),
        Some(BookStatus::Reconnecting) => ("reconnecting", Color::Yellow),
        Some(BookStatus::Syncing) | None => ("syncing", Color::Yellow),
        Some(_) => ("?", Color::Yellow),
    };
    let connection = if state.connected {
        Span::styled("connected", Style::default().fg(Color::Green))
    } else {
        Span::styled("reconnecting", Style::default().fg(Color::Red))
    };
    let line = Line::from(vec![
        Span::raw("connection: "),
        connection,
        Span::raw("  book: "),
        Span::styled(book, Style::default().fg(colour)),
        Span::raw(format!(
            "  checksums ok {} bad {}  resyncs {}  reconnects {}  {} msg/s",
            state.verified, state.mismatched, state.resyncs, state.reconnects, state.rate
        )),
    ]);
    Paragraph::new(line).block(Block::default().borders(Borders::ALL).title(format!(
        " {title} — {}  [←/→ symbol, q quit] ",
        state.symbol()
    )))
}

fn bar(qty: f64, max: f64) -> String {
    let cells = if max > 0.0 {
        ((qty / max) * BAR as f64).ceil() as usize
    } else {
        0
    };
    "█".repeat(cells.clamp(1, BAR))
}

fn ladder_lines(levels: &[Level], colour: Color, max: f64) -> Vec<Line<'static>> {
    levels
        .iter()
        .map(|l| {
            Line::from(vec![
                Span::styled(format!("{:>12} ", l.price), Style::default().fg(colour)),
                Span::raw(format!("{:>16} ", l.qty)),
                Span::styled(bar(l.qty.to_f64(), max), Style::default().fg(colour)),
            ])
        })
        .collect()
}

fn draw_ladder(frame: &mut Frame<'_>, state: &ViewState, area: Rect) {
    let halves = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
        .split(area);
    let (asks, bids): (Vec<Level>, Vec<Level>) = match &state.book {
        Some(b) => (
            b.book.asks().take(LADDER).collect(),
            b.book.bids().take(LADDER).collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let max = asks
        .iter()
        .chain(&bids)
        .map(|l| l.qty.to_f64())
        .fold(0.0, f64::max);
    // Asks read upwards from the spread: best ask at the bottom.
    let mut ask_lines = ladder_lines(&asks, Color::Red, max);
    ask_lines.reverse();
    let height = halves[0].height.saturating_sub(2) as usize;
    let pad = height.saturating_sub(ask_lines.len());
    let mut padded = vec![Line::raw(""); pad];
    padded.extend(ask_lines);
    frame.render_widget(
        Paragraph::new(padded).block(Block::default().borders(Borders::ALL).title(" Asks ")),
        halves[0],
    );
    frame.render_widget(
        Paragraph::new(ladder_lines(&bids, Color::Green, max))
            .block(Block::default().borders(Borders::ALL).title(" Bids ")),
        halves[1],
    );
}

fn ticker(state: &ViewState) -> Paragraph<'static> {
    let lines = match &state.ticker {
        Some(t) => vec![
            Line::from(vec![
                Span::styled("last ", Style::default().add_modifier(Modifier::BOLD)),
                Span::raw(format!(
                    "{}   change {} ({}%)",
                    t.last, t.change, t.change_pct
                )),
            ]),
            Line::raw(format!("bid {} x {}", t.bid, t.bid_qty)),
            Line::raw(format!("ask {} x {}", t.ask, t.ask_qty)),
            Line::raw(format!("24h low {}  high {}", t.low, t.high)),
            Line::raw(format!("volume {}  vwap {}", t.volume, t.vwap)),
        ],
        None => vec![Line::raw("waiting for the ticker…")],
    };
    Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" Ticker "))
}

fn tape(state: &ViewState, height: u16) -> Paragraph<'static> {
    let rows = height.saturating_sub(2) as usize;
    let lines: Vec<Line<'static>> = state
        .trades
        .iter()
        .take(rows)
        .map(|t| {
            let colour = if t.side == Side::Buy {
                Color::Green
            } else {
                Color::Red
            };
            let time = t.timestamp.to_string();
            Line::from(vec![
                Span::raw(format!("{} ", time.get(11..19).unwrap_or(""))),
                // `Side`'s `Display` ignores width flags: pad its text.
                Span::styled(
                    format!("{:<4} ", t.side.as_str()),
                    Style::default().fg(colour),
                ),
                Span::raw(format!("{:>14} @ {}", t.qty, t.price)),
            ])
        })
        .collect();
    Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" Trades "))
}

/// One character column per candle: `│` spans low to high, `█` the body.
fn candles(state: &ViewState, area: Rect) -> Paragraph<'static> {
    let rows = area.height.saturating_sub(2) as usize;
    let cols = area.width.saturating_sub(2) as usize;
    let shown: Vec<&Candle> = state
        .candles
        .iter()
        .skip(state.candles.len().saturating_sub(cols))
        .collect();
    let lo = shown
        .iter()
        .map(|c| c.low.to_f64())
        .fold(f64::INFINITY, f64::min);
    let hi = shown
        .iter()
        .map(|c| c.high.to_f64())
        .fold(f64::NEG_INFINITY, f64::max);
    let mut lines = Vec::with_capacity(rows);
    if rows > 0 && !shown.is_empty() {
        let span = (hi - lo).max(f64::EPSILON);
        // Row 0 is the top; a price maps to the row whose band holds it.
        let row_of = |p: f64| (((hi - p) / span) * (rows - 1) as f64).round() as usize;
        for row in 0..rows {
            let spans: Vec<Span<'static>> = shown
                .iter()
                .map(|c| {
                    let (open, close) = (c.open.to_f64(), c.close.to_f64());
                    let colour = if close >= open {
                        Color::Green
                    } else {
                        Color::Red
                    };
                    let body = (row_of(open.max(close))..=row_of(open.min(close))).contains(&row);
                    let wick = (row_of(c.high.to_f64())..=row_of(c.low.to_f64())).contains(&row);
                    let ch = if body {
                        "█"
                    } else if wick {
                        "│"
                    } else {
                        " "
                    };
                    Span::styled(ch, Style::default().fg(colour))
                })
                .collect();
            lines.push(Line::from(spans));
        }
    }
    let title = match (shown.first(), shown.last()) {
        (Some(_), Some(last)) => format!(" 1m candles  close {} ", last.close),
        _ => " 1m candles ".to_owned(),
    };
    Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(title))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::state::Input;
    use kraki::proto::book::{L2Book, Precision};
    use kraki::proto::{Inbound, decode};
    use kraki::{BookEvent, BookState};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use std::sync::Arc;

    fn live_book() -> Arc<BookState> {
        let mut book = L2Book::new("BTC/USD", Precision::new(1, 8), 10);
        let frame = r#"{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD","bids":[{"price":45283.5,"qty":0.10000000},{"price":45283.4,"qty":1.54582015}],"asks":[{"price":45285.2,"qty":0.00100000},{"price":45286.4,"qty":1.54571953}],"checksum":0}]}"#;
        let Inbound::Book(m) = decode(frame).unwrap() else {
            panic!()
        };
        let _ = book.apply(m.kind, &m.data[0]).unwrap();
        Arc::new(BookState {
            status: BookStatus::Live,
            book,
            verified: 1,
            mismatches: 0,
            resyncs: 0,
        })
    }

    fn screen(state: &ViewState) -> String {
        let mut terminal = Terminal::new(TestBackend::new(100, 32)).unwrap();
        terminal.draw(|f| draw(f, state, "kraki demo")).unwrap();
        let buffer = terminal.backend().buffer().clone();
        let mut text = String::new();
        for y in 0..buffer.area.height {
            for x in 0..buffer.area.width {
                text.push_str(buffer[(x, y)].symbol());
            }
            text.push('\n');
        }
        text
    }

    #[test]
    fn renders_both_sides_with_exact_prices_and_the_status() {
        let mut state = ViewState::new(vec!["BTC/USD".into(), "ETH/USD".into()]);
        let applied = BookEvent::Applied {
            kind: kraki::proto::MessageType::Snapshot,
            checksum: 1,
            computed: 1,
            ok: true,
            best_bid: None,
            best_ask: None,
        };
        state.update(Input::Book(applied, live_book()));
        let text = screen(&state);
        assert!(text.contains(" Asks "), "{text}");
        assert!(text.contains(" Bids "), "{text}");
        assert!(text.contains("45283.5"), "{text}");
        assert!(text.contains("0.00100000"), "{text}");
        assert!(text.contains("book: verified"), "{text}");
        assert!(text.contains("BTC/USD"), "{text}");
        // The best ask sits just above the Bids box: asks read upwards.
        let ask_row = text.lines().position(|l| l.contains("45285.2")).unwrap();
        let other_ask = text.lines().position(|l| l.contains("45286.4")).unwrap();
        assert!(other_ask < ask_row, "{text}");
        let bid_row = text.lines().position(|l| l.contains("45283.5")).unwrap();
        assert!(ask_row < bid_row);
    }

    #[test]
    fn buy_and_sell_rows_of_the_tape_align_column_for_column() {
        use kraki::proto::channels::{Trade, TradeOrderType};
        use kraki::proto::{Decimal, Symbol, Timestamp};
        let trade = |side, qty: &str, id| Trade {
            symbol: Symbol::from("BTC/USD"),
            side,
            price: Decimal::parse("65000.1").unwrap(),
            qty: Decimal::parse(qty).unwrap(),
            ord_type: TradeOrderType::Limit,
            trade_id: id,
            timestamp: Timestamp::UNIX_EPOCH,
        };
        let mut state = ViewState::new(vec!["BTC/USD".into()]);
        state.update(Input::Trades(vec![
            trade(Side::Buy, "0.5", 1),
            trade(Side::Sell, "12.25", 2),
        ]));
        let text = screen(&state);
        let row = |side: &str| {
            text.lines()
                .find(|l| l.contains(" @ ") && l.contains(side))
                .unwrap_or_else(|| panic!("no {side} row in\n{text}"))
                .chars()
                .collect::<Vec<char>>()
        };
        let (buy, sell) = (row(" buy "), row(" sell "));
        let column = |row: &[char], word: &str| {
            let word: Vec<char> = word.chars().collect();
            row.windows(word.len()).position(|w| w == word.as_slice())
        };
        // Time, side, quantity (right-aligned) and price start in the same
        // columns on both rows.
        assert_eq!(
            column(&buy, "00:00:00"),
            column(&sell, "00:00:00"),
            "{text}"
        );
        assert_eq!(column(&buy, "buy"), column(&sell, "sell"), "{text}");
        assert_eq!(column(&buy, " @ "), column(&sell, " @ "), "{text}");
        assert_eq!(
            column(&buy, "0.5 @"),
            column(&sell, "12.25 @").map(|c| c + 2),
            "{text}"
        );
        assert_eq!(column(&buy, "65000.1"), column(&sell, "65000.1"), "{text}");
        assert!(column(&buy, "65000.1").is_some(), "{text}");
    }

    #[test]
    fn renders_before_any_data() {
        let state = ViewState::new(vec!["BTC/USD".into()]);
        let text = screen(&state);
        assert!(text.contains("book: syncing"), "{text}");
        assert!(text.contains("waiting for the ticker"), "{text}");
    }
}
