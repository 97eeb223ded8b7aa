//! A pair's trading state (`instrument`'s `pairs[].status`) as the
//! simulator keeps it: what [`crate::SimHandle::set_pair_status`] changes,
//! what the `instrument` channel reports and what the trading engine
//! checks new orders against.

use kraki_proto::OrderType;
use kraki_proto::channels::PairStatus;

/// Why [`crate::SimHandle::set_pair_status`] changed nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PairStatusError {
    /// The simulator trades no pair of this symbol; `known` lists those
    /// it trades, so the message says what would have worked.
    UnknownSymbol {
        /// The symbol asked for.
        symbol: String,
        /// The symbols the simulator trades.
        known: Vec<String>,
    },
    /// The simulator has stopped.
    Stopped,
}

impl std::fmt::Display for PairStatusError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnknownSymbol { symbol, known } => write!(
                f,
                "unknown symbol {symbol:?}: the simulator trades {}",
                known.join(", ")
            ),
            Self::Stopped => f.write_str("the simulator has stopped"),
        }
    }
}

impl std::error::Error for PairStatusError {}

/// The error a new order (add, edit, batch row) on a pair in `status` gets,
/// or `None` when the status lets it through.
///
/// Kraken documents `EService:Market in cancel_only|post_only|limit_only
/// mode` (§9.3). For `maintenance`, `delisted` and `work_in_progress` it
/// documents no wording; the sim answers `EService:Unavailable`, as for
/// the engine's own maintenance. The sim trades spot only, with no margin
/// positions, so on a `reduce_only` pair no order can reduce one:
/// `EOrder:Reduce only:No position exists`.
pub(crate) fn refusal(
    status: &PairStatus,
    order_type: &OrderType,
    post_only: bool,
) -> Option<&'static str> {
    let limit = matches!(order_type, OrderType::Limit | OrderType::Iceberg);
    match status {
        PairStatus::Online => None,
        PairStatus::CancelOnly => Some("EService:Market in cancel_only mode"),
        PairStatus::PostOnly if !(limit && post_only) => Some("EService:Market in post_only mode"),
        PairStatus::PostOnly => None,
        PairStatus::LimitOnly if !limit => Some("EService:Market in limit_only mode"),
        PairStatus::LimitOnly => None,
        PairStatus::ReduceOnly => Some("EOrder:Reduce only:No position exists"),
        // Maintenance, delisted, work in progress, and any state this
        // version does not know: nothing new is accepted.
        _ => Some("EService:Unavailable"),
    }
}

/// Whether an amend of a resting order is accepted on a pair in `status`:
/// only where new orders of some kind are.
pub(crate) fn amend_refusal(status: &PairStatus) -> Option<&'static str> {
    match status {
        PairStatus::Online | PairStatus::PostOnly | PairStatus::LimitOnly => None,
        PairStatus::CancelOnly => Some("EService:Market in cancel_only mode"),
        PairStatus::ReduceOnly => Some("EOrder:Reduce only:No position exists"),
        _ => Some("EService:Unavailable"),
    }
}

/// What the market's other participants may do on a pair: the statuses
/// that refuse new orders of every kind (or all but post-only ones) leave
/// nobody to take liquidity, so the pair prints no trades, and the user's
/// resting orders, which fill on prints, stay as they are.
pub(crate) struct Activity {
    /// New resting orders join the book.
    pub(crate) orders: bool,
    /// Resting orders leave it.
    pub(crate) cancels: bool,
    /// Takers trade against it.
    pub(crate) trades: bool,
}

pub(crate) fn activity(status: &PairStatus) -> Activity {
    let (orders, cancels, trades) = match status {
        PairStatus::Online | PairStatus::LimitOnly | PairStatus::ReduceOnly => (true, true, true),
        PairStatus::PostOnly => (true, true, false),
        PairStatus::CancelOnly => (false, true, false),
        // Maintenance, delisted, work in progress: the book stands still.
        _ => (false, false, false),
    };
    Activity {
        orders,
        cancels,
        trades,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_status_lets_through_what_kraken_does() {
        let limit = OrderType::Limit;
        let market = OrderType::Market;
        assert_eq!(refusal(&PairStatus::Online, &market, false), None);
        assert_eq!(
            refusal(&PairStatus::CancelOnly, &limit, true),
            Some("EService:Market in cancel_only mode")
        );
        assert_eq!(refusal(&PairStatus::PostOnly, &limit, true), None);
        assert_eq!(
            refusal(&PairStatus::PostOnly, &limit, false),
            Some("EService:Market in post_only mode")
        );
        assert_eq!(refusal(&PairStatus::LimitOnly, &limit, false), None);
        assert_eq!(
            refusal(&PairStatus::LimitOnly, &market, false),
            Some("EService:Market in limit_only mode")
        );
        assert_eq!(
            refusal(&PairStatus::Maintenance, &limit, true),
            Some("EService:Unavailable")
        );
        assert_eq!(
            refusal(&PairStatus::Delisted, &limit, true),
            Some("EService:Unavailable")
        );
        assert_eq!(
            amend_refusal(&PairStatus::CancelOnly),
            Some("EService:Market in cancel_only mode")
        );
        assert_eq!(amend_refusal(&PairStatus::PostOnly), None);
    }

    #[test]
    fn unknown_symbol_names_the_known_ones() {
        let e = PairStatusError::UnknownSymbol {
            symbol: "XBT/EUR".into(),
            known: vec!["BTC/USD".into(), "ETH/USD".into()],
        };
        assert_eq!(
            e.to_string(),
            "unknown symbol \"XBT/EUR\": the simulator trades BTC/USD, ETH/USD"
        );
    }
}
