//! `kraki demo [--duration SECS]`: the embedded simulator on loopback, the
//! real client against it over a real socket, and the live view.
//!
//! On a terminal it shows the verified book, trades, ticker and candles;
//! otherwise it prints a one-line summary per second.

use crate::tui::state::{Effect, Input, Key, ViewState};
use crate::tui::view;
use futures_util::StreamExt;
use kraki::{Client, Event, Ohlc, Ticker, Trades};
use kraki_sim::Simulator;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// Arguments of `kraki demo`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Stop after this many seconds (default: until `q`, or forever when
    /// not on a terminal).
    #[arg(long)]
    duration: Option<u64>,
    /// Seed of the simulated markets.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Market events per second in the simulator.
    #[arg(long, default_value_t = 60.0)]
    rate: f64,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let on_terminal = std::io::stdout().is_terminal();
    if !on_terminal {
        crate::logging::init();
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(demo(args, on_terminal))
}

async fn demo(args: &Args, on_terminal: bool) -> anyhow::Result<ExitCode> {
    let sim = Simulator::builder()
        .seed(args.seed)
        .rate(args.rate)
        .spawn()
        .await?;
    let client = Client::builder()
        .public_url(sim.public_url())
        .connect()
        .await?;
    let symbols: Vec<String> = kraki_sim::default_markets()
        .into_iter()
        .map(|m| m.symbol)
        .collect();
    let deadline = args
        .duration
        .map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
    let result = live(&client, symbols, 10, "kraki demo", deadline, on_terminal).await;
    client.close().await;
    sim.shutdown().await;
    result?;
    Ok(ExitCode::SUCCESS)
}

/// Runs the live view of `symbols` (the first one shown) until `q`, the
/// deadline, or the end of the inputs; without a terminal, prints a
/// summary line a second instead.
pub(crate) async fn live(
    client: &Client,
    symbols: Vec<String>,
    depth: u32,
    title: &str,
    deadline: Option<tokio::time::Instant>,
    on_terminal: bool,
) -> anyhow::Result<()> {
    let mut state = ViewState::new(symbols);
    let (tx, mut inputs) = mpsc::unbounded_channel();
    let mut feeds = follow(client, state.symbol(), depth, &tx);
    let ticker_tx = tx.clone();
    let ticks = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(1));
        every.tick().await;
        loop {
            every.tick().await;
            if ticker_tx.send(Input::Tick).is_err() {
                return;
            }
        }
    });
    let mut terminal = if on_terminal {
        spawn_key_reader(tx.clone());
        Some(ratatui::init())
    } else {
        None
    };
    let result = async {
        loop {
            let input = match deadline {
                Some(d) => match tokio::time::timeout_at(d, inputs.recv()).await {
                    Ok(i) => i,
                    Err(_) => break,
                },
                None => inputs.recv().await,
            };
            let Some(input) = input else { break };
            let tick = matches!(input, Input::Tick);
            if let Some(Effect::Switch(symbol)) = state.update(input) {
                feeds.abort_all();
                feeds = follow(client, &symbol, depth, &tx);
            }
            if state.quit {
                break;
            }
            match terminal.as_mut() {
                Some(t) => {
                    t.draw(|f| view::draw(f, &state, title))?;
                }
                None if tick => println!("{}", state.summary()),
                None => {}
            }
        }
        anyhow::Ok(())
    }
    .await;
    if terminal.is_some() {
        ratatui::restore();
    }
    ticks.abort();
    feeds.abort_all();
    if !on_terminal {
        println!("{}", state.summary());
    }
    result
}

/// Starts the feeds of one symbol: its verified book, trades, ticker and
/// one-minute candles, all turned into view inputs.
fn follow(
    client: &Client,
    symbol: &str,
    depth: u32,
    tx: &mpsc::UnboundedSender<Input>,
) -> JoinSet<()> {
    let mut set = JoinSet::new();
    let (c, s, t) = (client.clone(), symbol.to_owned(), tx.clone());
    set.spawn(async move {
        let Ok(book) = c.book(&s, depth).await else {
            let _ = t.send(Input::Disconnected);
            return;
        };
        while let Some(event) = book.next_event().await {
            if t.send(Input::Book(event, book.state())).is_err() {
                return;
            }
        }
    });
    let (c, s, t) = (client.clone(), symbol.to_owned(), tx.clone());
    set.spawn(async move {
        let Ok(mut trades) = c.subscribe(Trades::new([s])).await else {
            return;
        };
        while let Some(e) = trades.next().await {
            if let Event::Data(u) = e {
                if t.send(Input::Trades(u.trades)).is_err() {
                    return;
                }
            }
        }
    });
    let (c, s, t) = (client.clone(), symbol.to_owned(), tx.clone());
    set.spawn(async move {
        let Ok(mut ticker) = c.subscribe(Ticker::new([s])).await else {
            return;
        };
        while let Some(e) = ticker.next().await {
            if let Event::Data(u) = e {
                if t.send(Input::Ticker(u.ticker)).is_err() {
                    return;
                }
            }
        }
    });
    let (c, s, t) = (client.clone(), symbol.to_owned(), tx.clone());
    set.spawn(async move {
        let Ok(mut candles) = c.subscribe(Ohlc::new([s], 1)).await else {
            return;
        };
        while let Some(e) = candles.next().await {
            if let Event::Data(u) = e {
                if t.send(Input::Candles(u.candles)).is_err() {
                    return;
                }
            }
        }
    });
    set
}

/// Reads keys on a plain thread (terminal input blocks) and forwards the
/// ones the view knows.
fn spawn_key_reader(tx: mpsc::UnboundedSender<Input>) {
    use ratatui::crossterm::event::{self, Event as TermEvent, KeyCode, KeyModifiers};
    std::thread::spawn(move || {
        while let Ok(event) = event::read() {
            let TermEvent::Key(key) = event else { continue };
            let mapped = match key.code {
                KeyCode::Char('q') | KeyCode::Esc => Some(Key::Quit),
                KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    Some(Key::Quit)
                }
                KeyCode::Right | KeyCode::Tab | KeyCode::Char('n') | KeyCode::Down => {
                    Some(Key::NextSymbol)
                }
                KeyCode::Left | KeyCode::BackTab | KeyCode::Char('p') | KeyCode::Up => {
                    Some(Key::PreviousSymbol)
                }
                _ => None,
            };
            if let Some(k) = mapped {
                if tx.send(Input::Key(k)).is_err() {
                    return;
                }
            }
        }
    });
}
