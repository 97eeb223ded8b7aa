//! A private REST query of an account, as the engine answers it: the
//! request's parameters already read and checked, so that the engine only
//! looks its state up.

/// One end of a range, as Kraken takes it: a time, or the id of a record
/// of the same history (an order's, a trade's, a ledger entry's), which
/// stands for that record's time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Bound {
    /// Nanoseconds since the Unix epoch.
    Time(i128),
    Id(String),
}

/// Which part of a time-ordered history a query wants: after `start`
/// and before `end` (both exclusive), newest first, skipping `ofs`
/// records, at most [`PAGE`] of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Range {
    pub(crate) start: Option<Bound>,
    pub(crate) end: Option<Bound>,
    pub(crate) ofs: usize,
}

/// Records per page, as Kraken's history endpoints return.
pub(crate) const PAGE: usize = 50;

/// A [`Range`] with its ids looked up: times only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    start: Option<i128>,
    end: Option<i128>,
}

impl Range {
    /// The range in times, ids read through `time_of`; an id it does not
    /// know is Kraken's `EGeneral:Invalid arguments`.
    pub(crate) fn window(
        &self,
        time_of: impl Fn(&str) -> Option<i128>,
    ) -> Result<Window, &'static str> {
        let resolve = |bound: &Option<Bound>| match bound {
            None => Ok(None),
            Some(Bound::Time(t)) => Ok(Some(*t)),
            Some(Bound::Id(id)) => time_of(id).map(Some).ok_or("EGeneral:Invalid arguments"),
        };
        Ok(Window {
            start: resolve(&self.start)?,
            end: resolve(&self.end)?,
        })
    }
}

impl Window {
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
