//! Sequence numbers of the private channels (executions, balances): a
//! snapshot starts the count and each update must carry the next number.
//! The numbers come from the server, so "the next number" is computed
//! checked: after `u64::MAX` there is none, and whatever follows is a gap
//! (answered with a fresh snapshot), never an overflow.

use kraki_proto::MessageType;

/// Numbers were skipped: the one due and the one that came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Gap {
    /// The number due; `u64::MAX` when the last one already was
    /// `u64::MAX` and no number can follow it.
    pub(crate) expected: u64,
    pub(crate) received: u64,
}

/// Checks a message's number against the `last` one seen on its channel.
/// Snapshots, and the first message after a (re)subscription, start the
/// count and are never a gap.
pub(crate) fn check(kind: MessageType, last: Option<u64>, received: u64) -> Option<Gap> {
    let (MessageType::Update, Some(last)) = (kind, last) else {
        return None;
    };
    match last.checked_add(1) {
        Some(next) if next == received => None,
        Some(next) => Some(Gap {
            expected: next,
            received,
        }),
        None => Some(Gap {
            expected: u64::MAX,
            received,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gap(expected: u64, received: u64) -> Option<Gap> {
        Some(Gap { expected, received })
    }

    #[test]
    fn the_next_number_is_no_gap() {
        assert_eq!(check(MessageType::Update, Some(1), 2), None);
        assert_eq!(
            check(MessageType::Update, Some(u64::MAX - 1), u64::MAX),
            None
        );
    }

    #[test]
    fn skipped_repeated_or_earlier_numbers_are_gaps() {
        assert_eq!(check(MessageType::Update, Some(1), 3), gap(2, 3));
        assert_eq!(check(MessageType::Update, Some(5), 5), gap(6, 5));
        assert_eq!(check(MessageType::Update, Some(5), 0), gap(6, 0));
        assert_eq!(
            check(MessageType::Update, Some(0), u64::MAX),
            gap(1, u64::MAX)
        );
    }

    #[test]
    fn after_the_largest_number_everything_is_a_gap() {
        for received in [0, 1, u64::MAX - 1, u64::MAX] {
            assert_eq!(
                check(MessageType::Update, Some(u64::MAX), received),
                gap(u64::MAX, received)
            );
        }
    }

    #[test]
    fn snapshots_and_first_messages_start_the_count() {
        assert_eq!(check(MessageType::Snapshot, Some(u64::MAX), 7), None);
        assert_eq!(check(MessageType::Snapshot, Some(3), 9), None);
        assert_eq!(check(MessageType::Update, None, u64::MAX), None);
    }
}
