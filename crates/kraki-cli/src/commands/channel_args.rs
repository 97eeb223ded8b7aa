//! What `kraki stream` and `kraki record` share: the public channel to
//! subscribe to, its symbols and parameters, and the endpoint.

use super::check;

/// `CHANNEL --symbol S … [--depth D] [--interval I] [--url URL]`.
#[derive(clap::Args)]
pub(crate) struct ChannelArgs {
    /// ticker, book, trade, ohlc or instrument.
    pub(crate) channel: String,
    /// A pair, e.g. BTC/USD (repeat for several).
    #[arg(long = "symbol")]
    pub(crate) symbols: Vec<String>,
    /// Book depth (10, 25, 100, 500, 1000).
    #[arg(long)]
    pub(crate) depth: Option<u32>,
    /// Candle interval in minutes (ohlc); default 1.
    #[arg(long)]
    pub(crate) interval: Option<u32>,
    /// Public WebSocket URL (default: Kraken's).
    #[arg(long, default_value = kraki::PUBLIC_URL)]
    pub(crate) url: String,
}

/// The public channels `stream` and `record` subscribe to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PublicChannel {
    Ticker,
    Book,
    Trade,
    Ohlc,
    Instrument,
}

impl PublicChannel {
    /// The wire name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            PublicChannel::Ticker => "ticker",
            PublicChannel::Book => "book",
            PublicChannel::Trade => "trade",
            PublicChannel::Ohlc => "ohlc",
            PublicChannel::Instrument => "instrument",
        }
    }
}

impl ChannelArgs {
    /// Everything that can be wrong with these arguments without asking
    /// the exchange, found before connecting: the channel name, whether
    /// it takes symbols and their syntax, and which parameters apply.
    pub(crate) fn check(&self) -> anyhow::Result<PublicChannel> {
        let channel = match self.channel.as_str() {
            "ticker" => PublicChannel::Ticker,
            "book" => PublicChannel::Book,
            "trade" => PublicChannel::Trade,
            "ohlc" => PublicChannel::Ohlc,
            "instrument" => PublicChannel::Instrument,
            other => anyhow::bail!(
                "unknown channel {other:?}: expected ticker, book, trade, ohlc or instrument"
            ),
        };
        let name = channel.name();
        match (channel, self.symbols.is_empty()) {
            (PublicChannel::Instrument, false) => {
                anyhow::bail!("instrument takes no --symbol: it lists every pair")
            }
            (PublicChannel::Instrument, true) => {}
            (_, true) => anyhow::bail!("{name} needs at least one --symbol"),
            (_, false) => {}
        }
        for symbol in &self.symbols {
            check::symbol(symbol)?;
        }
        match (channel, self.depth) {
            (PublicChannel::Book, Some(depth)) => check::book_depth(depth)?,
            (_, Some(_)) => anyhow::bail!("--depth is for book, not {name}"),
            (_, None) => {}
        }
        match (channel, self.interval) {
            (PublicChannel::Ohlc, Some(minutes)) => check::ohlc_interval(minutes)?,
            (_, Some(_)) => anyhow::bail!("--interval is for ohlc, not {name}"),
            (_, None) => {}
        }
        Ok(channel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: ChannelArgs,
    }

    fn check(args: &[&str]) -> anyhow::Result<PublicChannel> {
        let cli = Cli::try_parse_from(std::iter::once("test").chain(args.iter().copied()))?;
        cli.args.check()
    }

    fn error(args: &[&str]) -> String {
        check(args).unwrap_err().to_string()
    }

    #[test]
    fn good_arguments_pass() {
        assert_eq!(
            check(&["book", "--symbol", "BTC/USD", "--depth", "25"]).unwrap(),
            PublicChannel::Book
        );
        assert_eq!(
            check(&["ohlc", "--symbol", "ETH/USD", "--interval", "60"]).unwrap(),
            PublicChannel::Ohlc
        );
        assert_eq!(check(&["instrument"]).unwrap(), PublicChannel::Instrument);
        assert_eq!(
            check(&["trade", "--symbol", "BTC/USD", "--symbol", "SOL/USD"]).unwrap(),
            PublicChannel::Trade
        );
    }

    #[test]
    fn each_mistake_is_named() {
        assert_eq!(
            error(&["tickr", "--symbol", "BTC/USD"]),
            "unknown channel \"tickr\": expected ticker, book, trade, ohlc or instrument"
        );
        assert_eq!(error(&["ticker"]), "ticker needs at least one --symbol");
        assert!(error(&["instrument", "--symbol", "BTC/USD"]).contains("takes no --symbol"));
        assert!(error(&["ticker", "--symbol", "BTCUSD"]).contains("invalid symbol \"BTCUSD\""));
        assert!(error(&["book", "--symbol", "BTC/USD", "--depth", "20"]).contains("--depth 20"));
        assert_eq!(
            error(&["ticker", "--symbol", "BTC/USD", "--depth", "10"]),
            "--depth is for book, not ticker"
        );
        assert!(
            error(&["ohlc", "--symbol", "BTC/USD", "--interval", "2"]).contains("--interval 2")
        );
        assert_eq!(
            error(&["trade", "--symbol", "BTC/USD", "--interval", "5"]),
            "--interval is for ohlc, not trade"
        );
    }
}
