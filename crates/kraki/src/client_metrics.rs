//! The client's counters through the `metrics` facade (feature
//! `metrics`; the names and what they count are in the crate's docs).
//! Registered with the recorder when a connection or a book is made;
//! without the feature these types are empty and every call compiles to
//! nothing.

#[cfg(feature = "metrics")]
mod counting {
    use kraki_proto::Channel;
    use metrics::{Counter, counter};

    /// A connection's counters.
    pub(crate) struct ConnectionMetrics {
        /// Data messages per channel, registered on the channel's first
        /// message.
        received: Vec<(&'static str, Counter)>,
        reconnects: Counter,
        /// A connection was open before: the next one is a reconnect.
        opened: bool,
    }

    impl ConnectionMetrics {
        pub(crate) fn new() -> Self {
            ConnectionMetrics {
                received: Vec::new(),
                reconnects: counter!("kraki_reconnects_total"),
                opened: false,
            }
        }

        /// One data message of `channel` read. A known channel's name only
        /// (`&'static`): a peer cannot grow the list of counters.
        pub(crate) fn received(&mut self, channel: &'static str) {
            if let Some((_, c)) = self.received.iter().find(|(ch, _)| *ch == channel) {
                c.increment(1);
                return;
            }
            let c = counter!("kraki_messages_received_total", "channel" => channel);
            c.increment(1);
            self.received.push((channel, c));
        }

        /// A socket opened (the first one is no reconnect).
        pub(crate) fn opened(&mut self) {
            if self.opened {
                self.reconnects.increment(1);
            }
            self.opened = true;
        }
    }

    /// A verified book's counters.
    pub(crate) struct BookMetrics {
        verified: Counter,
        mismatched: Counter,
        resyncs: Counter,
    }

    impl BookMetrics {
        /// The counters of a book of `channel` fed by `source`
        /// (`websocket`, `nats`).
        pub(crate) fn new(channel: &Channel, source: &'static str) -> Self {
            let label = channel.as_str().to_owned();
            BookMetrics {
                verified: counter!("kraki_book_verified_total", "channel" => label.clone(), "source" => source),
                mismatched: counter!("kraki_book_mismatched_total", "channel" => label.clone(), "source" => source),
                resyncs: counter!("kraki_book_resyncs_total", "channel" => label, "source" => source),
            }
        }

        pub(crate) fn verified(&self) {
            self.verified.increment(1);
        }

        pub(crate) fn mismatched(&self) {
            self.mismatched.increment(1);
        }

        pub(crate) fn resynced(&self) {
            self.resyncs.increment(1);
        }
    }
}

#[cfg(not(feature = "metrics"))]
mod counting {
    use kraki_proto::Channel;

    /// Nothing to count without the feature.
    pub(crate) struct ConnectionMetrics;

    impl ConnectionMetrics {
        #[inline(always)]
        pub(crate) fn new() -> Self {
            ConnectionMetrics
        }
        #[inline(always)]
        pub(crate) fn received(&mut self, _channel: &'static str) {}
        #[inline(always)]
        pub(crate) fn opened(&mut self) {}
    }

    /// Nothing to count without the feature.
    pub(crate) struct BookMetrics;

    impl BookMetrics {
        #[inline(always)]
        pub(crate) fn new(_channel: &Channel, _source: &'static str) -> Self {
            BookMetrics
        }
        #[inline(always)]
        pub(crate) fn verified(&self) {}
        #[inline(always)]
        pub(crate) fn mismatched(&self) {}
        #[inline(always)]
        pub(crate) fn resynced(&self) {}
    }
}

pub(crate) use counting::{BookMetrics, ConnectionMetrics};
