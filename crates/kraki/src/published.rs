//! State a task keeps and any thread reads: the task changes it in place
//! (`Arc::make_mut`), so it is copied only when a reader still holds the
//! previous version, not once per change.

use std::sync::{Arc, Mutex};
use tokio::sync::watch;

pub(crate) struct Published<T> {
    current: Mutex<Arc<T>>,
    /// Bumped on every change, for readers that wait for one.
    changes: watch::Sender<u64>,
}

impl<T: Clone> Published<T> {
    /// The shared state and a receiver of its changes.
    pub(crate) fn new(initial: Arc<T>) -> (Arc<Self>, watch::Receiver<u64>) {
        let (changes, rx) = watch::channel(0);
        let published = Published {
            current: Mutex::new(initial),
            changes,
        };
        (Arc::new(published), rx)
    }

    pub(crate) fn read(&self) -> Arc<T> {
        match self.current.lock() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Changes the state in place and tells waiting readers.
    pub(crate) fn update<R>(&self, change: impl FnOnce(&mut T) -> R) -> R {
        let result = {
            let mut guard = match self.current.lock() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            change(Arc::make_mut(&mut guard))
        };
        self.changes.send_modify(|n| *n += 1);
        result
    }
}
