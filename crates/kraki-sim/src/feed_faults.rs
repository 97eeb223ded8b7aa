//! The faults that subscription feeds read for themselves, as opposed to
//! the ones the connection task applies to its socket (`FaultPlan`).

/// Faults read by the feeds rather than by the connection task. Shared
/// through a watch channel, so every feed sees a change at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FeedFaults {
    /// While set, new subscriptions are acknowledged but get no data.
    pub(crate) mute: bool,
    /// Each increment makes every executions subscription skip one
    /// sequence number on its next update.
    pub(crate) sequence_gap: u64,
}
