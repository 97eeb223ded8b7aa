//! What `kraki stream` and `kraki record` share: the public channel to
//! subscribe to, its symbols and parameters, and the endpoint.

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

impl ChannelArgs {
    /// Every channel but `instrument` is per symbol: subscribing to one
    /// without a symbol is a mistake to name, not a request to send.
    pub(crate) fn require_symbols(&self) -> anyhow::Result<()> {
        if self.channel != "instrument" && self.symbols.is_empty() {
            anyhow::bail!("{} needs at least one --symbol", self.channel);
        }
        Ok(())
    }
}
