//! Which channels' frames the driver may apply in place, without decoding
//! them: those that no subscriber and no handler reads as decoded
//! messages. Only the verified books (L2 and level3) take frames in
//! place; a raw subscription or a handler on the same channel makes every
//! frame of it decoded, for all of them (a frame applied in place for
//! some and decoded for others could reach some twice).

/// Counts, per channel that can be applied in place, the readers that need
/// it decoded.
#[derive(Debug, Default)]
pub(crate) struct DecodedReaders {
    book: usize,
    level3: usize,
}

impl DecodedReaders {
    fn count(&mut self, channel: &str) -> Option<&mut usize> {
        match channel {
            "book" => Some(&mut self.book),
            "level3" => Some(&mut self.level3),
            _ => None,
        }
    }

    /// A reader of `channel` that needs it decoded came.
    pub(crate) fn add(&mut self, channel: &str) {
        if let Some(n) = self.count(channel) {
            *n += 1;
        }
    }

    /// A reader counted by [`Self::add`] went.
    pub(crate) fn remove(&mut self, channel: &str) {
        if let Some(n) = self.count(channel) {
            *n = n.saturating_sub(1);
        }
    }

    /// Whether frames of `channel` may be applied in place.
    pub(crate) fn none_for(&self, channel: &str) -> bool {
        match channel {
            "book" => self.book == 0,
            "level3" => self.level3 == 0,
            _ => false,
        }
    }

    /// Every reader went.
    pub(crate) fn clear(&mut self) {
        *self = DecodedReaders::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_channel() {
        let mut readers = DecodedReaders::default();
        assert!(readers.none_for("book") && readers.none_for("level3"));
        assert!(
            !readers.none_for("ticker"),
            "only books are applied in place"
        );
        readers.add("book");
        readers.add("book");
        readers.add("ticker");
        assert!(!readers.none_for("book"));
        assert!(readers.none_for("level3"));
        readers.remove("book");
        assert!(!readers.none_for("book"));
        readers.remove("book");
        assert!(readers.none_for("book"));
        readers.add("level3");
        readers.clear();
        assert!(readers.none_for("level3"));
    }
}
