//! `ClientBuilder`: every setting with its documented default.

use crate::error::Error;
use crate::keys::Credentials;
use crate::proxy::Proxy;
use crate::settings::Settings;
use crate::shown_url::shown;
use crate::token_source::TokenSource;
use std::sync::Arc;
use std::time::Duration;

/// Kraken's public market-data endpoint.
pub const PUBLIC_URL: &str = "wss://ws.kraken.com/v2";
/// Kraken's authenticated endpoint (private channels and trading).
pub const AUTH_URL: &str = "wss://ws-auth.kraken.com/v2";
/// Kraken's level3 endpoint.
pub const LEVEL3_URL: &str = "wss://ws-l3.kraken.com/v2";

/// Builds a [`crate::Client`].
#[derive(Clone)]
#[must_use]
pub struct ClientBuilder {
    pub(crate) public_url: String,
    pub(crate) auth_url: String,
    pub(crate) level3_url: String,
    pub(crate) rest_url: String,
    pub(crate) extra_roots: Vec<Vec<u8>>,
    /// The proxy, or why its URL was refused (reported by `connect`).
    pub(crate) proxy: Option<Result<Proxy, String>>,
    /// Hosts reached without the proxy, given with `no_proxy`.
    pub(crate) no_proxy: Option<String>,
    pub(crate) credentials: Option<Credentials>,
    pub(crate) token_source: Option<Arc<dyn TokenSource>>,
    pub(crate) rate_tier: crate::RateTier,
    /// Credentials and tokens may travel unencrypted (see
    /// [`ClientBuilder::danger_send_credentials_unencrypted`]).
    pub(crate) unencrypted_credentials: bool,
    pub(crate) settings: Settings,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("public_url", &shown(&self.public_url))
            .field("auth_url", &shown(&self.auth_url))
            .field("level3_url", &shown(&self.level3_url))
            .field("rest_url", &shown(&self.rest_url))
            .field("proxy", &self.proxy)
            .field("no_proxy", &self.no_proxy)
            .field("credentials", &self.credentials)
            .field(
                "token_source",
                &self.token_source.as_ref().map(|_| "custom"),
            )
            .field("unencrypted_credentials", &self.unencrypted_credentials)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            public_url: PUBLIC_URL.to_owned(),
            auth_url: AUTH_URL.to_owned(),
            level3_url: LEVEL3_URL.to_owned(),
            rest_url: crate::rest::REST_URL.to_owned(),
            extra_roots: Vec::new(),
            proxy: None,
            no_proxy: None,
            credentials: None,
            token_source: None,
            unencrypted_credentials: false,
            rate_tier: crate::RateTier::default(),
            settings: Settings {
                connect_attempts: 3,
                backoff_initial: Duration::from_millis(250),
                backoff_max: Duration::from_secs(30),
                healthy_after: Duration::from_secs(2),
                attempt_window: Duration::from_secs(600),
                max_attempts_in_window: 150,
                idle_timeout: Duration::from_secs(10),
                ping_interval: Duration::from_secs(30),
                request_timeout: Duration::from_secs(10),
                connect_timeout: Duration::from_secs(10),
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

    /// Kraken's REST base URL, for WebSocket tokens and asset pairs.
    /// Default is [`crate::rest::REST_URL`].
    pub fn rest_url(mut self, url: impl Into<String>) -> Self {
        self.rest_url = url.into();
        self
    }

    /// API credentials for the authenticated connection (see
    /// [`Credentials::from_env`]). Each (re)connect fetches a fresh token
    /// from REST `GetWebSocketsToken` with them, unless a
    /// [`ClientBuilder::token_source`] is set.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Where the authenticated connection gets its tokens, instead of
    /// REST with [`ClientBuilder::credentials`].
    pub fn token_source(mut self, source: impl TokenSource) -> Self {
        self.token_source = Some(Arc::new(source));
        self
    }

    /// Lets the API key, request signatures and WebSocket tokens travel
    /// unencrypted: over `ws://` and `http://` to a host that is not this
    /// machine, or through a proxy. Anyone on the path can then read
    /// them, and replay a signature for a token of the account's. Without
    /// it, [`ClientBuilder::connect_auth`] and
    /// [`ClientBuilder::connect_level3`] refuse such URLs with
    /// [`Error::Config`] before a byte is sent; `wss://` and `https://`,
    /// and a loopback host reached directly (the simulator), need nothing.
    /// Public market data may always use `ws://`. Default is off.
    pub fn danger_send_credentials_unencrypted(mut self) -> Self {
        self.unencrypted_credentials = true;
        self
    }

    /// The account's tier, for the local trading rate counter (§9.4) that
    /// warns before Kraken would answer `EOrder:Rate limit exceeded`.
    /// Default is [`crate::RateTier::Starter`], the strictest.
    pub fn rate_tier(mut self, tier: crate::RateTier) -> Self {
        self.rate_tier = tier;
        self
    }

    /// Trusts this root certificate (DER) in addition to the built-in
    /// webpki roots. Default is none.
    pub fn add_root_certificate(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.extra_roots.push(der.into());
        self
    }

    /// Connects through this HTTP proxy: `http://[user[:password]@]host[:port]`
    /// (port 1080 when left out, as for curl; user and password may be
    /// percent-encoded and are sent as `Proxy-Authorization: Basic`, never
    /// shown). Every connection, WebSocket and REST, is then a tunnel
    /// opened with `CONNECT host:port`; TLS runs through it end to end.
    /// A bad URL makes `connect` fail with [`Error::Config`]. Default is
    /// no proxy; see also [`Self::proxy_from_env`].
    pub fn proxy(mut self, url: &str) -> Self {
        self.proxy = Some(Proxy::parse(url));
        self
    }

    /// Hosts reached without the proxy, as `NO_PROXY` lists them:
    /// comma-separated names (each covering its subdomains), IP addresses,
    /// or `*`. Replaces the environment's list when the proxy comes from
    /// [`Self::proxy_from_env`]. Default is none.
    pub fn no_proxy(mut self, list: &str) -> Self {
        self.no_proxy = Some(list.to_owned());
        self
    }

    /// The proxy the environment names, as curl and most tools read it:
    /// `HTTPS_PROXY`, else `ALL_PROXY` (upper or lower case), bypassed for
    /// the hosts in `NO_PROXY` and always for loopback hosts (so a local
    /// simulator is reached directly). No change when none is set. The
    /// `kraki` command does this.
    pub fn proxy_from_env(mut self) -> Self {
        if let Some(proxy) = Proxy::from_env() {
            self.proxy = Some(proxy);
        }
        self
    }

    /// The proxy to connect through, if any.
    pub(crate) fn checked_proxy(&self) -> Result<Option<Proxy>, Error> {
        let proxy = self
            .proxy
            .clone()
            .transpose()
            .map_err(|e| Error::Config(format!("proxy: {e}")))?;
        Ok(match &self.no_proxy {
            Some(list) => proxy.map(|proxy| proxy.bypassing(list)),
            None => proxy,
        })
    }

    /// Attempts in a row that may come to nothing before what waits for a
    /// connection fails with [`Error::Connect`] and the last cause. An
    /// attempt comes to nothing when it cannot open a socket, or when its
    /// connection is lost before it was healthy (see
    /// [`Self::healthy_after`]); a healthy connection starts the count
    /// over. `connect` fails after this many attempts that cannot open a
    /// socket. Once connected, a `subscribe` waiting for its acks fails
    /// when this many in a row came to nothing (a server that accepts
    /// and drops every connection), rather than wait for a server that
    /// may never work; the client itself goes on reconnecting for as long
    /// as it lives, on the [`Self::backoff`] schedule, and subscriptions
    /// already made come back with it. Default is 3.
    pub fn connect_attempts(mut self, attempts: u32) -> Self {
        self.settings.connect_attempts = attempts.max(1);
        self
    }

    /// First and largest reconnect delay. The first attempt, and the first
    /// retry after losing a healthy connection, are immediate; every
    /// attempt that comes to nothing (it fails, or its connection is lost
    /// before it is healthy, see [`Self::healthy_after`]) doubles the
    /// delay from `initial` up to `max`, each delay ±25 % jitter (never
    /// above `max`). Only a healthy connection starts the schedule over.
    /// With the defaults, a server that accepts and drops every
    /// connection sees attempts at about 0, 0.25, 0.75, 1.75, 3.75, 7.75,
    /// 15.75 and 31.75 s, then one every 22.5–30 s. Default is 250 ms and
    /// 30 s.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.settings.backoff_initial = initial;
        self.settings.backoff_max = max.max(initial);
        self
    }

    /// When a connection counts as healthy, the only thing that resets the
    /// reconnect backoff: every subscription acknowledged, and frames
    /// still arriving (data or heartbeats; with no subscriptions, any
    /// frame, pongs included) this long after the last ack (or, with no
    /// subscriptions, after the first frame). A socket that opens proves
    /// nothing: a server in maintenance, or a load balancer with no
    /// healthy backend, accepts the upgrade and closes at once, and
    /// resetting on open would hammer it. Default is 2 s.
    pub fn healthy_after(mut self, threshold: Duration) -> Self {
        self.settings.healthy_after = threshold;
        self
    }

    /// At most `attempts` connection attempts in any rolling `window`.
    /// Default is 150 per 10 minutes (Kraken's edge bans an IP beyond that).
    pub fn attempt_limit(mut self, attempts: usize, window: Duration) -> Self {
        self.settings.max_attempts_in_window = attempts.max(1);
        self.settings.attempt_window = window;
        self
    }

    /// With at least one subscription (acked, or waiting for its ack), a
    /// connection with no data and no heartbeat for this long is dead and
    /// is replaced. Answers to pings do not count as life. Default is 10 s.
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

    /// How long a request waits for its acks. Default is 10 s. A request
    /// that got no frame at all back in this time (not even a pong) also
    /// means the connection is dead: it is replaced.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.settings.request_timeout = timeout;
        self
    }

    /// How long opening a connection may take: TCP, the proxy's `CONNECT`,
    /// TLS and the WebSocket upgrade together (the token's REST call has
    /// its own limit). An attempt that takes longer failed, and the next
    /// one follows the backoff. Default is 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.settings.connect_timeout = timeout;
        self
    }

    /// Data events queued per subscription (and per handler) before the
    /// consumer counts as lagging. Backpressure policy: the socket reader
    /// never waits for a slow consumer; when a queue holds this many data
    /// events, further data for it is dropped and counted, and the count
    /// arrives as `Event::Lagged(n)` before the next event that goes in.
    /// Nothing is dropped without a `Lagged`, and connection events
    /// (`Reconnecting`, `Reconnected`, `Status`, `Gap`) are not dropped
    /// with the data: they go in whatever the queue holds, in order, up to
    /// 1,024 unread beyond the data. Default is 4096.
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.settings.queue_capacity = capacity.max(1);
        self
    }
}
