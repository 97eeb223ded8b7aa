//! `ClientBuilder`: every setting with its documented default.

use crate::client::Client;
use crate::error::Error;
use std::time::Duration;

/// Kraken's public market-data endpoint.
pub const PUBLIC_URL: &str = "wss://ws.kraken.com/v2";
/// Kraken's authenticated endpoint (private channels and trading).
pub const AUTH_URL: &str = "wss://ws-auth.kraken.com/v2";
/// Kraken's level3 endpoint.
pub const LEVEL3_URL: &str = "wss://ws-l3.kraken.com/v2";

/// The settings the driver runs with.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) connect_attempts: u32,
    pub(crate) backoff_initial: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) attempt_window: Duration,
    pub(crate) max_attempts_in_window: usize,
    pub(crate) idle_timeout: Duration,
    pub(crate) ping_interval: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) queue_capacity: usize,
}

/// Builds a [`Client`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ClientBuilder {
    pub(crate) public_url: String,
    pub(crate) auth_url: String,
    pub(crate) level3_url: String,
    pub(crate) extra_roots: Vec<Vec<u8>>,
    pub(crate) settings: Settings,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            public_url: PUBLIC_URL.to_owned(),
            auth_url: AUTH_URL.to_owned(),
            level3_url: LEVEL3_URL.to_owned(),
            extra_roots: Vec::new(),
            settings: Settings {
                connect_attempts: 3,
                backoff_initial: Duration::from_millis(250),
                backoff_max: Duration::from_secs(30),
                attempt_window: Duration::from_secs(600),
                max_attempts_in_window: 150,
                idle_timeout: Duration::from_secs(10),
                ping_interval: Duration::from_secs(30),
                request_timeout: Duration::from_secs(10),
                queue_capacity: 4096,
            },
        }
    }
}

impl ClientBuilder {
    /// The public WebSocket URL. Default is [`PUBLIC_URL`].
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = url.into();
        self
    }

    /// The authenticated WebSocket URL. Default is [`AUTH_URL`].
    pub fn auth_url(mut self, url: impl Into<String>) -> Self {
        self.auth_url = url.into();
        self
    }

    /// The level3 WebSocket URL. Default is [`LEVEL3_URL`].
    pub fn level3_url(mut self, url: impl Into<String>) -> Self {
        self.level3_url = url.into();
        self
    }

    /// Trusts this root certificate (DER) in addition to the built-in
    /// webpki roots. Default is none.
    pub fn add_root_certificate(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.extra_roots.push(der.into());
        self
    }

    /// Attempts for the first connection before `connect` fails. Default is 3.
    /// Once connected, the client reconnects for as long as it lives.
    pub fn connect_attempts(mut self, attempts: u32) -> Self {
        self.settings.connect_attempts = attempts.max(1);
        self
    }

    /// First and largest reconnect delay. The first retry after a drop is
    /// immediate, then delays double from `initial` up to `max`, ±25 %
    /// jitter. Default is 250 ms and 30 s.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.settings.backoff_initial = initial;
        self.settings.backoff_max = max.max(initial);
        self
    }

    /// At most `attempts` connection attempts in any rolling `window`.
    /// Default is 150 per 10 minutes (Kraken's edge bans an IP beyond that).
    pub fn attempt_limit(mut self, attempts: usize, window: Duration) -> Self {
        self.settings.max_attempts_in_window = attempts.max(1);
        self.settings.attempt_window = window;
        self
    }

    /// With at least one subscription, a connection with no data and no
    /// heartbeat for this long is dead and is replaced. Answers to pings do
    /// not count as life. Default is 10 s.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.settings.idle_timeout = timeout;
        self
    }

    /// A ping is sent when nothing was sent for this long, so that Kraken
    /// does not close a quiet connection. Default is 30 s.
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.settings.ping_interval = interval;
        self
    }

    /// How long a request waits for its acks. Default is 10 s.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.settings.request_timeout = timeout;
        self
    }

    /// Events queued per subscription before the consumer counts as
    /// lagging. Backpressure policy: the socket reader never waits for a
    /// slow consumer; when a subscription's queue is full, further events
    /// for it are dropped and counted, and the count arrives as
    /// `Event::Lagged(n)` before the next event that fits. Nothing is
    /// dropped without a `Lagged`. Default is 4096.
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.settings.queue_capacity = capacity.max(1);
        self
    }

    /// Connects to the public endpoint.
    ///
    /// Cancel safety: dropping the future before it completes abandons the
    /// connection attempt; nothing is left running.
    ///
    /// # Errors
    /// [`Error::Config`] for a bad URL or certificate, [`Error::Connect`]
    /// when the configured attempts all fail. Must be called inside a Tokio
    /// runtime.
    pub async fn connect(self) -> Result<Client, Error> {
        Client::connect(self).await
    }
}
