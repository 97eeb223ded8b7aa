//! Which channels' frames the connection may apply in place, without decoding
//! them: those that no subscriber and no handler reads as decoded
//! messages. Only the verified books (L2 and level3) take frames in
//! place; a raw subscription or a handler on the same channel makes every
//! frame of it decoded, for all of them (a frame applied in place for
//! some and decoded for others could reach some twice).

use kraki_proto::Channel;

/// Counts, per channel that can be applied in place, the readers that need
/// it decoded.
#[derive(Debug, Default)]
pub(crate) struct DecodedReaders {
    book: usize,
    level3: usize,
}

impl DecodedReaders {
    fn count(&mut self, channel: &Channel) -> Option<&mut usize> {
        match channel {
            Channel::Book => Some(&mut self.book),
            Channel::Level3 => Some(&mut self.level3),
            _ => None,
        }
    }

    /// A reader of `channel` that needs it decoded came.
    pub(crate) fn add(&mut self, channel: &Channel) {
        if let Some(n) = self.count(channel) {
            *n += 1;
        }
    }

    /// A reader counted by [`Self::add`] went.
    pub(crate) fn remove(&mut self, channel: &Channel) {
        if let Some(n) = self.count(channel) {
            *n = n.saturating_sub(1);
        }
    }

    /// Whether frames of `channel` may be applied in place.
    pub(crate) fn none_for(&self, channel: &Channel) -> bool {
        match channel {
            Channel::Book => self.book == 0,
            Channel::Level3 => self.level3 == 0,
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
        assert!(readers.none_for(&Channel::Book) && readers.none_for(&Channel::Level3));
        assert!(
            !readers.none_for(&Channel::Ticker),
            "only books are applied in place"
        );
        readers.add(&Channel::Book);
        readers.add(&Channel::Book);
        readers.add(&Channel::Ticker);
        assert!(!readers.none_for(&Channel::Book));
        assert!(readers.none_for(&Channel::Level3));
        readers.remove(&Channel::Book);
        assert!(!readers.none_for(&Channel::Book));
        readers.remove(&Channel::Book);
        assert!(readers.none_for(&Channel::Book));
        readers.add(&Channel::Level3);
        readers.clear();
        assert!(readers.none_for(&Channel::Level3));
    }
}
