//! Order vocabulary shared by the trading methods and the executions channel.

use crate::wire_enum::{closed_enum, open_enum};

closed_enum! {
    /// Buy or sell.
    pub enum Side {
        /// Buy the base asset.
        Buy = "buy",
        /// Sell the base asset.
        Sell = "sell",
    }
}

open_enum! {
    /// Order types of `add_order` and of execution reports.
    pub enum OrderType {
        /// Limit order.
        Limit = "limit",
        /// Market order.
        Market = "market",
        /// Iceberg order (shows `display_qty`).
        Iceberg = "iceberg",
        /// Stop-loss market order.
        StopLoss = "stop-loss",
        /// Stop-loss limit order.
        StopLossLimit = "stop-loss-limit",
        /// Take-profit market order.
        TakeProfit = "take-profit",
        /// Take-profit limit order.
        TakeProfitLimit = "take-profit-limit",
        /// Trailing stop market order.
        TrailingStop = "trailing-stop",
        /// Trailing stop limit order.
        TrailingStopLimit = "trailing-stop-limit",
        /// Closes a margin position.
        SettlePosition = "settle-position",
    }
}

impl OrderType {
    /// True for the types that need a `limit_price`.
    pub fn needs_limit_price(&self) -> bool {
        matches!(
            self,
            OrderType::Limit
                | OrderType::Iceberg
                | OrderType::StopLossLimit
                | OrderType::TakeProfitLimit
                | OrderType::TrailingStopLimit
        )
    }

    /// True for the types that need `triggers`.
    pub fn needs_trigger(&self) -> bool {
        matches!(
            self,
            OrderType::StopLoss
                | OrderType::StopLossLimit
                | OrderType::TakeProfit
                | OrderType::TakeProfitLimit
                | OrderType::TrailingStop
                | OrderType::TrailingStopLimit
        )
    }
}

open_enum! {
    /// How a price or trigger price is expressed.
    pub enum PriceType {
        /// An absolute price.
        Static = "static",
        /// A percentage offset.
        Pct = "pct",
        /// An offset in the quote currency.
        Quote = "quote",
    }
}

open_enum! {
    /// The price a trigger watches.
    pub enum TriggerReference {
        /// The index price.
        Index = "index",
        /// The last traded price.
        Last = "last",
    }
}

open_enum! {
    /// Which currency fees are taken in.
    pub enum FeePreference {
        /// Fees in the base currency.
        Base = "base",
        /// Fees in the quote currency.
        Quote = "quote",
    }
}

open_enum! {
    /// Self-trade prevention (underscores on the WebSocket API).
    pub enum StpType {
        /// Cancel the newer order (default).
        CancelNewest = "cancel_newest",
        /// Cancel the older order.
        CancelOldest = "cancel_oldest",
        /// Cancel both orders.
        CancelBoth = "cancel_both",
    }
}

/// Time in force. Requests send it lowercase (`gtc`), execution reports
/// carry it uppercase (`GTC`); both read as the same value, and it is
/// written lowercase.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeInForce {
    /// Good till canceled (default).
    Gtc,
    /// Good till date (`expire_time`).
    Gtd,
    /// Immediate or cancel.
    Ioc,
    /// Fill or kill.
    Fok,
    /// A value this version of kraki does not know, kept verbatim.
    Other(Box<str>),
}

impl TimeInForce {
    /// The request spelling (lowercase).
    pub fn as_str(&self) -> &str {
        match self {
            TimeInForce::Gtc => "gtc",
            TimeInForce::Gtd => "gtd",
            TimeInForce::Ioc => "ioc",
            TimeInForce::Fok => "fok",
            TimeInForce::Other(s) => s,
        }
    }
}

impl From<&str> for TimeInForce {
    fn from(s: &str) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "gtc" => TimeInForce::Gtc,
            "gtd" => TimeInForce::Gtd,
            "ioc" => TimeInForce::Ioc,
            "fok" => TimeInForce::Fok,
            _ => TimeInForce::Other(s.into()),
        }
    }
}

impl std::fmt::Display for TimeInForce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for TimeInForce {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for TimeInForce {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s: std::borrow::Cow<'de, str> = serde::Deserialize::deserialize(deserializer)?;
        Ok(TimeInForce::from(&*s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_in_force_reads_both_cases() {
        let a: TimeInForce = serde_json::from_str("\"GTC\"").unwrap();
        let b: TimeInForce = serde_json::from_str("\"gtc\"").unwrap();
        assert_eq!(a, b);
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"gtc\"");
    }

    #[test]
    fn closed_enum_names_the_allowed_values() {
        let err = serde_json::from_str::<Side>("\"hold\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown Side \"hold\""), "{err}");
        assert!(err.contains("buy"), "{err}");
    }

    #[test]
    fn open_enum_keeps_unknown_values() {
        let t: OrderType = serde_json::from_str("\"moon-order\"").unwrap();
        assert_eq!(t, OrderType::Other("moon-order".into()));
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"moon-order\"");
    }
}
