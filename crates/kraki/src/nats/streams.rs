//! The two JetStream streams, created when missing.

use super::error::NatsError;
use super::names::{SNAPSHOT_STREAM, SNAPSHOT_SUBJECTS, STREAM, STREAM_SUBJECTS};
use super::options::Secured;
use async_nats::jetstream::{self, stream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long JetStream remembers message ids: a relay restarted, or a
/// second relay behind the first, within this window stores nothing
/// twice.
pub(crate) const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// Connects to `url`, retrying the connection forever once made (the
/// relay outlives NATS restarts); losses and returns are logged. The
/// relay publishes over its own connection (`connection.rs`), which
/// counts its reconnects; this one serves JetStream's management calls
/// and the consumers. `secured` and the URL's user info give it the
/// publisher's TLS setup and credentials.
pub(crate) async fn connect(url: &str, secured: &Secured) -> Result<jetstream::Context, NatsError> {
    // The publisher's rules for the URL, a password sent without TLS
    // among them, before async-nats connects; and its reading of the
    // URL's credentials, which async-nats is given as options.
    let endpoint = super::connection::Endpoint::parse(url, secured.clone())?;
    let shown = super::error::shown(url);
    let shown_host = shown.clone();
    // The first `Connected` is the connection itself, not a return.
    let lost = Arc::new(AtomicBool::new(false));
    let client = endpoint
        .connect_options()
        .max_reconnects(None)
        .event_callback(move |event| {
            let shown = shown.clone();
            let lost = lost.clone();
            async move {
                match event {
                    async_nats::Event::Disconnected => {
                        lost.store(true, Ordering::Relaxed);
                        tracing::warn!(url = %shown, "NATS connection (JetStream management and reading) lost; reconnecting");
                    }
                    async_nats::Event::Connected if lost.swap(false, Ordering::Relaxed) => {
                        tracing::warn!(url = %shown, "NATS connection (JetStream management and reading) re-established");
                    }
                    other => tracing::info!(url = %shown, event = %other, "NATS event"),
                }
            }
        })
        .connection_timeout(Duration::from_secs(5))
        .connect(endpoint.server_urls())
        .await
        .map_err(|e| NatsError::connect(url, in_words(&shown_host, &e)))?;
    Ok(jetstream::new(client))
}

/// async-nats's connection error, a TLS refusal told in the words of
/// the publisher's (`tls.rs`) rather than as rustls's enum.
fn in_words(host: &str, error: &async_nats::ConnectError) -> String {
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        if let Some(why) = inner
            .downcast_ref::<std::io::Error>()
            .and_then(|io| super::tls::tls_reason(host, io))
        {
            return format!("TLS with {host}: {why}");
        }
        source = inner.source();
    }
    error.to_string()
}

/// Makes sure both streams exist. An existing stream is used as it is
/// (an operator may have given it limits or replicas).
pub(crate) async fn ensure(js: &jetstream::Context) -> Result<(), NatsError> {
    js.get_or_create_stream(stream::Config {
        name: STREAM.to_owned(),
        subjects: vec![STREAM_SUBJECTS.to_owned()],
        storage: stream::StorageType::File,
        duplicate_window: DUPLICATE_WINDOW,
        ..Default::default()
    })
    .await
    .map_err(|e| NatsError::stream(STREAM, e))?;
    js.get_or_create_stream(stream::Config {
        name: SNAPSHOT_STREAM.to_owned(),
        subjects: vec![SNAPSHOT_SUBJECTS.to_owned()],
        storage: stream::StorageType::File,
        max_messages_per_subject: 1,
        ..Default::default()
    })
    .await
    .map_err(|e| NatsError::stream(SNAPSHOT_STREAM, e))?;
    Ok(())
}
