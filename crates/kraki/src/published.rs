//! State a task keeps and any thread reads: the task changes it in place
//! (`Arc::make_mut`), so it is copied only when a reader still holds the
//! previous version, not once per change.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

pub(crate) struct Published<T> {
    current: Mutex<Current<T>>,
    /// Readers waiting right now: with none (the usual case on a hot
    /// book) a change costs no wake-up machinery at all.
    waiting: AtomicUsize,
    notify: Notify,
    /// No more changes will come (the client closed).
    closed: AtomicBool,
}

/// The state and its version, bumped on every change for readers that
/// wait for one. Under the one lock, a change costs a single lock and
/// unlock; the version needs no atomic of its own.
struct Current<T> {
    state: Arc<T>,
    version: u64,
}

/// A reader's place in the sequence of changes.
pub(crate) struct Changes<T> {
    published: Arc<Published<T>>,
    seen: u64,
}

impl<T: Clone> Published<T> {
    /// The shared state and a follower of its changes.
    pub(crate) fn new(initial: Arc<T>) -> (Arc<Self>, Changes<T>) {
        let published = Arc::new(Published {
            current: Mutex::new(Current {
                state: initial,
                version: 0,
            }),
            waiting: AtomicUsize::new(0),
            notify: Notify::new(),
            closed: AtomicBool::new(false),
        });
        let changes = Changes {
            published: published.clone(),
            seen: 0,
        };
        (published, changes)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Current<T>> {
        match self.current.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    pub(crate) fn read(&self) -> Arc<T> {
        self.lock().state.clone()
    }

    /// The state and its version, if the version is not `seen`.
    fn read_if_changed(&self, seen: u64) -> Option<(u64, Arc<T>)> {
        let current = self.lock();
        (current.version != seen).then(|| (current.version, current.state.clone()))
    }

    /// Changes the state in place and tells waiting readers.
    pub(crate) fn update<R>(&self, change: impl FnOnce(&mut T) -> R) -> R {
        let result = {
            let mut current = self.lock();
            current.version += 1;
            change(Arc::make_mut(&mut current.state))
        };
        // Either a reader's version check took the lock after this change
        // and sees it, or it took the lock before: then its count (made
        // before that lock) happens before this load, and it is woken.
        if self.waiting.load(SeqCst) > 0 {
            self.notify.notify_waiters();
        }
        result
    }

    /// No more changes will come: waiting readers get `None`.
    pub(crate) fn close(&self) {
        self.closed.store(true, SeqCst);
        self.notify.notify_waiters();
    }
}

impl<T: Clone> Changes<T> {
    /// Waits until the state changed since the last call, and returns it;
    /// `None` once closed with nothing new.
    ///
    /// Cancel safety: cancel safe.
    pub(crate) async fn changed(&mut self) -> Option<Arc<T>> {
        let published = &self.published;
        published.waiting.fetch_add(1, SeqCst);
        // Counted out on every exit, completion or cancellation.
        let _counted = CountedOut(&published.waiting);
        loop {
            let notified = published.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some((version, state)) = published.read_if_changed(self.seen) {
                self.seen = version;
                return Some(state);
            }
            if published.closed.load(SeqCst) {
                return None;
            }
            notified.await;
        }
    }
}

/// Closes a [`Published`] when dropped: held by whatever makes its
/// changes, so that waiting readers learn when no more will come.
pub(crate) struct CloseOnDrop<T: Clone>(pub(crate) Arc<Published<T>>);

impl<T: Clone> Drop for CloseOnDrop<T> {
    fn drop(&mut self) {
        self.0.close();
    }
}

struct CountedOut<'a>(&'a AtomicUsize);

impl Drop for CountedOut<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, SeqCst);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_waiting_reader_wakes_on_a_change_and_an_idle_one_sees_it_later() {
        let (published, mut changes) = Published::new(Arc::new(0u32));
        let waiter = tokio::spawn(async move {
            let seen = changes.changed().await.map(|n| *n);
            (changes, seen)
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        published.update(|n| *n = 7);
        let (mut changes, seen) = tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(seen, Some(7));
        // A change made while nobody waited is still seen by the next wait.
        published.update(|n| *n = 8);
        let seen = tokio::time::timeout(Duration::from_secs(5), changes.changed())
            .await
            .unwrap();
        assert_eq!(seen.as_deref(), Some(&8));
        // No change: the wait does not complete.
        assert!(
            tokio::time::timeout(Duration::from_millis(50), changes.changed())
                .await
                .is_err()
        );
        assert_eq!(
            published.waiting.load(SeqCst),
            0,
            "a canceled wait counts itself out"
        );
        // Closed: a wait ends with None instead of hanging.
        let closer = published.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            closer.close();
        });
        let end = tokio::time::timeout(Duration::from_secs(5), changes.changed())
            .await
            .unwrap();
        assert!(end.is_none());
    }
}
