//! When a book subject's next checkpoint (its verified book, kept for
//! late consumers) is due: every so often by the feed's own time, read
//! from the exchange's timestamps, which come with every update for
//! free. A clock read at every message was a measurable part of the
//! relay's CPU per message. The wall clock decides before the first
//! timestamped checkpoint, when the timestamps go back, and every
//! [`UNCLOCKED_MAX`] messages in case they stand still.

use kraki_proto::Timestamp;
use std::time::{Duration, Instant};

/// Messages between two reads of the wall clock while the feed's time
/// says no checkpoint is due.
const UNCLOCKED_MAX: u32 = 256;

/// A timestamp as Unix seconds and nanoseconds.
type FeedTime = (i64, u32);

fn feed_time(at: Timestamp) -> FeedTime {
    (at.unix_seconds(), at.subsec_nanos())
}

pub(crate) struct CheckpointClock {
    every: Duration,
    /// The last checkpoint by the wall clock; by the feed's time, with
    /// the feed time the next one is due at (seconds, nanoseconds: two
    /// comparisons per message).
    wall: Instant,
    feed: Option<(FeedTime, FeedTime)>,
    /// Messages since the wall clock was last read.
    unclocked: u32,
}

impl CheckpointClock {
    /// Counting from now.
    pub(crate) fn new(every: Duration) -> Self {
        CheckpointClock {
            every,
            wall: Instant::now(),
            feed: None,
            unclocked: 0,
        }
    }

    /// Whether a checkpoint is due, the book standing at the feed's time
    /// `at`; asked once per verified message.
    pub(crate) fn due(&mut self, at: Option<Timestamp>) -> bool {
        self.unclocked += 1;
        if let (Some(at), Some((last, next))) = (at, self.feed) {
            let at = feed_time(at);
            if at >= next {
                return true;
            }
            if at >= last && self.unclocked < UNCLOCKED_MAX {
                return false;
            }
        }
        self.unclocked = 0;
        self.wall.elapsed() >= self.every
    }

    /// A checkpoint was taken of the book at the feed's time `at`.
    pub(crate) fn taken(&mut self, at: Option<Timestamp>) {
        self.wall = Instant::now();
        self.feed = at.map(|at| {
            let last = feed_time(at);
            let nanos = u64::from(last.1) + u64::from(self.every.subsec_nanos());
            let seconds = i64::try_from(self.every.as_secs().saturating_add(nanos / 1_000_000_000));
            let next = (
                last.0.saturating_add(seconds.unwrap_or(i64::MAX)),
                (nanos % 1_000_000_000) as u32,
            );
            (last, next)
        });
        self.unclocked = 0;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn second(s: i64) -> Option<Timestamp> {
        Timestamp::from_unix(1_700_000_000 + s, 0, 6)
    }

    #[test]
    fn the_feeds_time_decides_once_a_checkpoint_has_one() {
        let mut clock = CheckpointClock::new(Duration::from_secs(5));
        // Before any checkpoint: the wall clock, which says not yet.
        assert!(!clock.due(second(0)));
        clock.taken(second(0));
        for s in 1..5 {
            assert!(!clock.due(second(s)), "{s} s of feed time");
        }
        // Five seconds of feed time, however little wall time passed.
        assert!(clock.due(second(5)));
        clock.taken(second(5));
        assert!(!clock.due(second(6)));
        // Nanoseconds carry into seconds.
        let at = |s: i64, nanos| Timestamp::from_unix(1_700_000_000 + s, nanos, 9);
        let mut clock = CheckpointClock::new(Duration::from_millis(1500));
        clock.taken(at(0, 700_000_000));
        assert!(!clock.due(at(2, 199_999_999)));
        assert!(clock.due(at(2, 200_000_000)));
        // An interval too long to add stays never due by the feed's time.
        let mut clock = CheckpointClock::new(Duration::MAX);
        clock.taken(at(0, 999_999_999));
        assert!(!clock.due(at(1_000_000, 0)));
    }

    #[test]
    fn the_wall_clock_decides_when_the_feeds_time_stands_still_or_goes_back() {
        let every = Duration::from_millis(1);
        let mut clock = CheckpointClock::new(every);
        clock.taken(second(0));
        std::thread::sleep(every * 2);
        // Standing still: the wall clock is read at the 256th message.
        for n in 1..UNCLOCKED_MAX {
            assert!(!clock.due(second(0)), "message {n}");
        }
        assert!(clock.due(second(0)));
        // Going back: read at once.
        clock.taken(second(10));
        std::thread::sleep(every * 2);
        assert!(clock.due(second(9)));
        // Without timestamps: the wall clock every time.
        let mut clock = CheckpointClock::new(every);
        std::thread::sleep(every * 2);
        assert!(clock.due(None));
    }
}
