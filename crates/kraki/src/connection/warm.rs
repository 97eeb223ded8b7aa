//! Warming the caches for the frames about to be handled. Among hundreds
//! of pairs, each frame's subscription, subscriber and book are cold:
//! handled one frame after another, the reader waits for them one load
//! after another, and those waits were about half of the client's CPU
//! per update with 506 books (against 26 books at the same rate). Looked
//! up for a group of frames first, stage by stage, the loads of the group
//! are in flight together and the wait is paid about once per stage.
//! Nothing here changes state: a frame it misreads is only not warmed.

use super::Connection;
use crate::command::SubId;
use crate::verified_book::WarmStage;

/// Frames warmed together.
pub(crate) const WARM_GROUP: usize = 8;

/// How Kraken starts a book update, up to its symbol.
const BOOK_UPDATE_START: &[u8] = br#"{"channel":"book","type":"update","data":[{"symbol":""#;

/// The longest symbol looked for.
const SYMBOL_MAX: usize = 32;

impl Connection {
    /// Loads what handling `texts` (frames' payloads, up to
    /// [`WARM_GROUP`]) will read: their subscriptions, their first
    /// subscribers and those subscribers' books.
    pub(crate) fn warm<'a>(&self, texts: impl Iterator<Item = &'a [u8]>) {
        let mut ids: [Option<SubId>; WARM_GROUP] = [None; WARM_GROUP];
        for (id, text) in ids.iter_mut().zip(texts) {
            *id = book_update_symbol(text).and_then(|symbol| {
                let wire = self.wire.routed("book", Some(symbol)).next()?;
                wire.subscribers.first().copied()
            });
        }
        let mut locals = [None; WARM_GROUP];
        for (local, id) in locals.iter_mut().zip(ids) {
            *local = id.and_then(|id| self.locals.get(&id));
        }
        for stage in [WarmStage::Near, WarmStage::Far] {
            for local in locals.iter().flatten() {
                local.sink.warm(stage);
            }
        }
    }
}

/// The symbol of a book update written as Kraken writes it.
fn book_update_symbol(text: &[u8]) -> Option<&[u8]> {
    let rest = text.strip_prefix(BOOK_UPDATE_START)?;
    let rest = rest.get(..rest.len().min(SYMBOL_MAX + 1))?;
    let end = rest.iter().position(|&b| b == b'"')?;
    Some(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_book_updates_symbol_is_found_and_nothing_else() {
        let update =
            br#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[]}]}"#;
        assert_eq!(book_update_symbol(update), Some(&b"BTC/USD"[..]));
        for other in [
            &br#"{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD"}]}"#[..],
            br#"{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD"}]}"#,
            br#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD"#,
            br#"{"channel":"book","type":"update","data":[{"symbol":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/USD"}]}"#,
            b"",
        ] {
            assert_eq!(book_update_symbol(other), None, "{}", other.escape_ascii());
        }
    }
}
