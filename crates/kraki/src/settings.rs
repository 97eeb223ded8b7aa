//! The settings a connection runs with, as [`crate::ClientBuilder`] set
//! them.

use std::time::Duration;

/// The timings and limits of one connection.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) connect_attempts: u32,
    pub(crate) backoff_initial: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) healthy_after: Duration,
    pub(crate) attempt_window: Duration,
    pub(crate) max_attempts_in_window: usize,
    pub(crate) idle_timeout: Duration,
    pub(crate) ping_interval: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) queue_capacity: usize,
}
