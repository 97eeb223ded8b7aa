//! REST nonces: microseconds since the Unix epoch, strictly increasing.
//!
//! Kraken wants a nonce that increases per API key (§8.2). The choice for
//! processes that share a key: take it from the clock rather than from a
//! counter starting at 1 or from a file the processes lock. The clock
//! keeps nonces increasing across restarts and across every process on
//! one machine with nothing shared between them; a counter would start
//! below the last process's, and a locked file would have to be held
//! until Kraken has read the request to order anything. Within a process
//! two calls in the same microsecond still get distinct, increasing
//! values, and a clock stepping backwards never makes the nonce go down.
//!
//! What the clock cannot order is the moment between taking a nonce and
//! Kraken reading it: two processes calling at once may arrive in the
//! other order, and the later nonce wins. The overtaken call is refused
//! with `EAPI:Invalid nonce`; kraki's REST client makes a read, or a
//! WebSocket token request, again with a fresh nonce. Kraken's per-key "nonce
//! window" setting absorbs such races too. A key must keep one scale:
//! after a client with larger nonces (python-kraken-sdk counts 10 ns
//! units) has used it, these are refused; and a clock set back below the
//! last nonce used stalls the key until it catches up.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static LAST: AtomicU64 = AtomicU64::new(0);

/// The next nonce: the clock in microseconds, or one more than the last
/// nonce handed out if the clock has not moved past it.
pub fn next_nonce() -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0);
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let next = now.max(last + 1);
        match LAST.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(seen) => last = seen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_increase_strictly_from_many_threads() {
        let handles: Vec<_> = (0..4)
            .map(|_| std::thread::spawn(|| (0..10_000).map(|_| next_nonce()).collect::<Vec<_>>()))
            .collect();
        let mut all = Vec::new();
        for h in handles {
            let mine = h.join().unwrap_or_default();
            assert!(mine.windows(2).all(|w| w[0] < w[1]));
            all.extend(mine);
        }
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n, "a nonce was handed out twice");
    }

    #[test]
    fn nonces_are_microseconds_since_the_epoch() {
        let n = next_nonce();
        // 2020-01-01 and 2100-01-01 in microseconds.
        assert!(
            (1_577_836_800_000_000..4_102_444_800_000_000).contains(&n),
            "{n}"
        );
    }
}
