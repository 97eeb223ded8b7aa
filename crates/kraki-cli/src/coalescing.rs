//! The relay's one-thread runtime, optionally coalescing (`kraki relay
//! --coalesce MICROS`): whenever every task is done with what has
//! arrived, the thread sleeps for the period before it waits on the
//! sockets, so the next pass finds many frames and acks ready and one
//! wake-up, with its system calls, serves them all.
//!
//! The sleep is taken only when the runtime would otherwise park, never
//! between two tasks' turns: a connection's reader hands the thread back
//! after a few dozen frames or one 64 KiB read, and a sleep at every
//! hand-off capped what a pass could read (with a 5 ms period, a relay
//! fed 120,000 events/s published under a third of them).

use std::time::Duration;

/// A current-thread runtime with every driver enabled; with a non-zero
/// `period`, idle waits are stretched to at least that long.
pub(crate) fn runtime(period: Duration) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_current_thread();
    builder.enable_all();
    if !period.is_zero() {
        builder.on_thread_park(move || std::thread::sleep(period));
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
        let runtime = runtime(period).unwrap();
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

    /// What arrives while the thread sleeps is taken in one pass.
    #[test]
    fn arrivals_during_the_period_are_taken_together() {
        let runtime = runtime(Duration::from_millis(300)).unwrap();
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
