//! `cancel_all_orders_after`, the dead man's switch: one deadline per
//! account; when it passes every open order of the account is canceled
//! and the switch is off until armed again.

use std::collections::HashMap;
use std::time::Duration;
use tokio::time::Instant;

/// The armed deadlines, by account.
#[derive(Debug, Default)]
pub(crate) struct DeadMan {
    deadlines: HashMap<String, Instant>,
}

impl DeadMan {
    /// Arms (timeout > 0) or disarms (0) the account's switch; returns the
    /// deadline when armed.
    pub(crate) fn set(
        &mut self,
        account: &str,
        timeout_secs: u32,
        now: Instant,
    ) -> Option<Instant> {
        if timeout_secs == 0 {
            self.deadlines.remove(account);
            return None;
        }
        let at = now + Duration::from_secs(u64::from(timeout_secs));
        self.deadlines.insert(account.to_owned(), at);
        Some(at)
    }

    /// The earliest armed deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.deadlines.values().min().copied()
    }

    /// The accounts whose deadline has passed, disarmed.
    pub(crate) fn fire(&mut self, now: Instant) -> Vec<String> {
        let due: Vec<String> = self
            .deadlines
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(account, _)| account.clone())
            .collect();
        for account in &due {
            self.deadlines.remove(account);
        }
        due
    }
}
