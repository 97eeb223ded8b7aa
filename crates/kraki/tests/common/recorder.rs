//! A `metrics` recorder that keeps every counter by its name and labels,
//! for the tests of the client's counters (feature `metrics`). It is
//! installed globally, so each test binary that uses it holds one test.

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Counters by name and labels in the order they were given, e.g.
/// `kraki_book_verified_total{channel=book,source=websocket}`.
#[derive(Default, Clone)]
pub(crate) struct Counts {
    counters: Arc<Mutex<HashMap<String, Arc<AtomicU64>>>>,
}

impl Counts {
    /// Installs a new one as the process's recorder.
    pub(crate) fn install() -> Counts {
        let counts = Counts::default();
        metrics::set_global_recorder(counts.clone()).expect("the only recorder of this binary");
        counts
    }

    /// A counter's value; 0 when it was never registered.
    pub(crate) fn get(&self, name: &str) -> u64 {
        self.counters
            .lock()
            .unwrap()
            .get(name)
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }

    /// Every counter registered, as `get` names them.
    pub(crate) fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.counters.lock().unwrap().keys().cloned().collect();
        names.sort();
        names
    }
}

fn shown(key: &Key) -> String {
    let labels: Vec<String> = key
        .labels()
        .map(|l| format!("{}={}", l.key(), l.value()))
        .collect();
    if labels.is_empty() {
        key.name().to_owned()
    } else {
        format!("{}{{{}}}", key.name(), labels.join(","))
    }
}

impl Recorder for Counts {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        let counter = self
            .counters
            .lock()
            .unwrap()
            .entry(shown(key))
            .or_default()
            .clone();
        Counter::from_arc(counter)
    }

    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }

    fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::noop()
    }
}
