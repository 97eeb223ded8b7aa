//! The relay's one-thread runtime, optionally coalescing (`kraki relay
//! --coalesce MICROS`): whenever every task is done with what has
//! arrived, the thread sleeps for the period before it waits on the
//! sockets, so the next pass finds many frames and acks ready and one
//! wake-up, with its system calls, serves them all.
//!
//! While a pair is behind (more messages waiting for JetStream than one
//! pass sends: see `RelayCounters::is_behind`), the sleep is cut to a
//! millisecond: a subject sends one message per ack, so with a sleep of
//! the whole period per pass a busy pair would publish one message per
//! period and fall further behind. Not to nothing: without any sleep
//! every process on a loaded host wakes more often, acks come later, and
//! the whole relay fell further behind than it did sleeping (60,000
//! events/s with 5 ms: 39,200 published/s of 43,500 verified, against
//! all of them with the millisecond).
//!
//! The sleep is taken only when the runtime would otherwise park, never
//! between two tasks' turns: a connection's reader hands the thread back
//! after a few dozen frames or one 64 KiB read, and a sleep at every
//! hand-off capped what a pass could read (with a 5 ms period, a relay
//! fed 120,000 events/s published under a third of them).

use std::time::Duration;

/// How long idle waits are stretched while a pair is behind.
const CATCHING_UP: Duration = Duration::from_millis(1);

/// A current-thread runtime with every driver enabled; with a non-zero
/// `period`, idle waits are stretched to at least that long, or to
/// [`CATCHING_UP`] while `behind` says work is piling up.
pub(crate) fn runtime(
    period: Duration,
    behind: impl Fn() -> bool + Send + Sync + 'static,
) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_current_thread();
    builder.enable_all();
    if !period.is_zero() {
        builder.on_thread_park(move || {
            let pause = if behind() {
                period.min(CATCHING_UP)
            } else {
                period
            };
            std::thread::sleep(pause);
        });
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;
    use tokio::sync::mpsc;

    /// Tasks handing work to each other, as the reader hands messages to
    /// the publisher, never wait for the period: the thread is never idle
    /// between them.
    #[test]
    fn work_ready_to_run_never_waits_for_the_period() {
        let period = Duration::from_millis(200);
        let runtime = runtime(period, || false).unwrap();
        let started = Instant::now();
        let rounds = runtime.block_on(async {
            let (to_echo, mut echo_in) = mpsc::unbounded_channel::<u32>();
            let (to_main, mut main_in) = mpsc::unbounded_channel::<u32>();
            tokio::spawn(async move {
                while let Some(n) = echo_in.recv().await {
                    // A turn handed back, as a reader does after a batch.
                    tokio::task::yield_now().await;
                    let _ = to_main.send(n + 1);
                }
            });
            let mut n = 0;
            for _ in 0..500 {
                to_echo.send(n).unwrap();
                n = main_in.recv().await.unwrap();
            }
            n
        });
        assert_eq!(rounds, 500);
        // A sleep per hand-off would take 500 periods (100 s).
        let took = started.elapsed();
        assert!(took < period * 10, "500 hand-offs took {took:?}");
    }

    /// Five messages, each sent only once the previous one was taken, so
    /// each arrives while the thread is idle: with `behind` false, every
    /// wait is stretched to the period; true, to a millisecond.
    fn idle_waits(behind: bool) -> Duration {
        let period = Duration::from_millis(200);
        let runtime = runtime(period, move || behind).unwrap();
        let started = Instant::now();
        runtime.block_on(async {
            let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
            let (taken_tx, taken) = std::sync::mpsc::channel::<u32>();
            std::thread::spawn(move || {
                for n in 0..5 {
                    std::thread::sleep(Duration::from_millis(5));
                    if tx.send(n).is_err() || taken.recv() != Ok(n) {
                        return;
                    }
                }
            });
            for n in 0..5 {
                assert_eq!(rx.recv().await, Some(n));
                taken_tx.send(n).unwrap();
            }
        });
        started.elapsed()
    }

    #[test]
    fn while_behind_the_period_is_cut_short() {
        // Five idle waits: at least five periods (1 s) when sleeping.
        let sleeping = idle_waits(false);
        assert!(sleeping >= Duration::from_millis(1000), "{sleeping:?}");
        let behind = idle_waits(true);
        assert!(behind < Duration::from_millis(500), "{behind:?}");
    }

    /// What arrives while the thread sleeps is taken in one pass.
    #[test]
    fn arrivals_during_the_period_are_taken_together() {
        let runtime = runtime(Duration::from_millis(300), || false).unwrap();
        let batches = runtime.block_on(async {
            let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
            // From another thread, 20 messages over about 20 ms.
            std::thread::spawn(move || {
                for n in 0..20 {
                    let _ = tx.send(n);
                    std::thread::sleep(Duration::from_millis(1));
                }
            });
            let mut batches = 0;
            let mut got = Vec::new();
            while got.len() < 20 {
                if rx.recv_many(&mut got, 20).await == 0 {
                    break;
                }
                batches += 1;
            }
            assert_eq!(got, (0..20).collect::<Vec<_>>());
            batches
        });
        // Without the period, nearly every message is a wake-up of its
        // own; a sender thread held up past the period can split them.
        assert!(batches <= 3, "{batches} batches for 20 messages");
    }
}
