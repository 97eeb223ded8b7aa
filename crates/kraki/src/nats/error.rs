//! What can go wrong between kraki and NATS. URLs are shown without user
//! info, so a password in a NATS URL never reaches a log.

/// An error of the NATS relay or of a consumer reading from NATS.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NatsError {
    /// The NATS server could not be reached or refused the connection.
    #[error("cannot connect to NATS at {url}: {reason}")]
    Connect {
        /// The URL, user info removed.
        url: String,
        /// The client's reason.
        reason: String,
    },
    /// A JetStream stream could not be created, found or read.
    #[error("JetStream stream {stream}: {reason}")]
    Stream {
        /// The stream's name.
        stream: &'static str,
        /// The server's or client's reason.
        reason: String,
    },
    /// The Kraken side failed (subscribe refused, connection closed, …).
    #[error(transparent)]
    Kraken(#[from] crate::Error),
    /// The instrument data has no such pair, so its book cannot be
    /// verified.
    #[error("unknown symbol {0}: the instrument channel has no such pair")]
    UnknownSymbol(String),
    /// A file of [`super::NatsOptions`] cannot be used (missing, not
    /// PEM, no key, a bad seed); found before any connection is made.
    /// The message names the file and the problem, never its contents.
    #[error("NATS TLS or credentials setup: {0}")]
    Options(String),
    /// The relay cannot publish this channel.
    #[error("channel {0:?} cannot be relayed; relayed channels: book, level3, trade, ticker, ohlc")]
    Channel(String),
}

impl NatsError {
    pub(crate) fn connect(url: &str, reason: impl std::fmt::Display) -> NatsError {
        NatsError::Connect {
            url: shown(url),
            reason: reason.to_string(),
        }
    }

    pub(crate) fn stream(stream: &'static str, reason: impl std::fmt::Display) -> NatsError {
        NatsError::Stream {
            stream,
            reason: reason.to_string(),
        }
    }
}

/// A NATS URL as errors and logs show it: every server of a
/// comma-separated list without its user info, as a later server's
/// password is as secret as the first's.
pub(crate) fn shown(url: &str) -> String {
    url.split(',')
        .map(crate::shown_url::shown)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_server_of_a_list_is_shown_without_its_user_info() {
        assert_eq!(
            super::shown("nats://bus:4222,nats://desk:hunter2@bus2, tls://s3cret@bus3/x"),
            "nats://bus:4222,nats://<redacted>@bus2, tls://<redacted>@bus3/x"
        );
        assert_eq!(super::shown("nats://bus"), "nats://bus");
    }
}
