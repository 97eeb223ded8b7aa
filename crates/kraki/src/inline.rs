//! Subscriptions whose callback the socket reader runs itself: no queue,
//! no hand-over to another task or thread, for the lowest latency.

use crate::command::SubId;
use crate::connection_event::ConnectionEvent;
use crate::sink::{Deliver, Delivered};
use crate::spec::Subscribe;
use crate::subscription::Release;
use crate::{Client, Error, Event};
use kraki_proto::{Channel, Inbound};
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// An inline subscription, from [`Client::subscribe_inline`]: dropping it
/// (or [`InlineSubscription::unsubscribe`]) stops the callback and
/// releases the subscription.
#[must_use = "dropping it unsubscribes"]
pub struct InlineSubscription {
    _release: Release,
}

impl InlineSubscription {
    pub(crate) fn new(release: Release) -> Self {
        InlineSubscription { _release: release }
    }

    /// Unsubscribes now (the same as dropping it).
    pub fn unsubscribe(self) {}
}

impl std::fmt::Debug for InlineSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InlineSubscription").finish_non_exhaustive()
    }
}

/// The connection's end: calls the user's function in place.
struct InlineSink<S, F> {
    callback: F,
    /// The callback panicked once: it is not called again.
    broken: bool,
    _spec: PhantomData<fn() -> S>,
}

impl<S, F> InlineSink<S, F>
where
    S: Subscribe,
    F: FnMut(Event<S::Item>) + Send + 'static,
{
    fn call(&mut self, event: Event<S::Item>) {
        if self.broken {
            return;
        }
        // A panic must not take the connection, and every other
        // subscriber, down with it.
        if catch_unwind(AssertUnwindSafe(|| (self.callback)(event))).is_err() {
            self.broken = true;
            tracing::error!(
                channel = S::CHANNEL.as_str(),
                "an inline subscription's callback panicked; it is not called again"
            );
        }
    }
}

impl<S, F> Deliver for InlineSink<S, F>
where
    S: Subscribe,
    F: FnMut(Event<S::Item>) + Send + 'static,
{
    fn deliver(&mut self, msg: &Inbound, symbol: Option<&str>) -> Delivered {
        if let Some(item) = S::extract(msg, symbol) {
            self.call(Event::Data(item));
        }
        Delivered::Done
    }

    fn control(&mut self, control: ConnectionEvent) {
        self.call(control.into_event());
    }

    fn reads(&self, channel: &Channel) -> bool {
        S::CHANNEL == *channel
    }
}

impl Client {
    /// Subscribes like [`Client::subscribe`], with `callback` run by the
    /// socket reader itself for every event, as soon as the frame is
    /// decoded: no queue and no hand-over to another task or thread, so
    /// nothing is ever dropped and nothing waits for a wake-up.
    ///
    /// The callback runs on the connection's task: it **must not block**
    /// and should take microseconds, since every other subscription of
    /// the client waits meanwhile (hand slow work to a channel or a
    /// task). A callback that panics is not called again; the connection
    /// and the other subscriptions carry on.
    ///
    /// # Errors
    /// As [`Client::subscribe`].
    pub async fn subscribe_inline<S, F>(
        &self,
        spec: S,
        callback: F,
    ) -> Result<InlineSubscription, Error>
    where
        S: Subscribe,
        F: FnMut(Event<S::Item>) + Send + 'static,
    {
        let sink = InlineSink::<S, F> {
            callback,
            broken: false,
            _spec: PhantomData,
        };
        let id: SubId = self.attach(spec.params(), Box::new(sink)).await?;
        Ok(InlineSubscription::new(self.release_on_drop(id)))
    }
}
