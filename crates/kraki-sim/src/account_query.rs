//! A private REST query of an account, as the engine answers it: the
//! request's parameters already read and checked, so that the engine only
//! looks its state up.

/// Which part of a time-ordered history a query wants: after `start`
/// and before `end` (both exclusive, nanoseconds since the Unix epoch),
/// newest first, skipping `ofs` records, at most [`PAGE`] of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Range {
    pub(crate) start: Option<i128>,
    pub(crate) end: Option<i128>,
    pub(crate) ofs: usize,
}

/// Records per page, as Kraken's history endpoints return.
pub(crate) const PAGE: usize = 50;

impl Range {
    /// Whether a record at `time_ns` is inside.
    pub(crate) fn holds(&self, time_ns: i128) -> bool {
        self.start.is_none_or(|s| time_ns > s) && self.end.is_none_or(|e| time_ns < e)
    }
}

/// Which time of a closed order `ClosedOrders` filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CloseTime {
    Open,
    Close,
    Both,
}

/// One private REST query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AccountQuery {
    Balance,
    BalanceEx,
    /// `asset`: the v2 code to value the account in.
    TradeBalance {
        asset: String,
    },
    OpenOrders {
        userref: Option<i64>,
        trades: bool,
    },
    ClosedOrders {
        range: Range,
        userref: Option<i64>,
        trades: bool,
        closetime: CloseTime,
    },
    QueryOrders {
        txids: Vec<String>,
        userref: Option<i64>,
        trades: bool,
    },
    TradesHistory {
        range: Range,
    },
    /// `assets`: v2 codes, or every asset for `None`; `kind`: a ledger
    /// type, or every type for `None`.
    Ledgers {
        range: Range,
        assets: Option<Vec<String>>,
        kind: Option<String>,
    },
    /// `pairs`: v2 symbols whose fees to give.
    TradeVolume {
        pairs: Vec<String>,
    },
}
