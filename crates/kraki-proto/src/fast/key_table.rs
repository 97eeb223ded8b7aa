//! Finding which field a key names, for objects read out of Kraken's order
//! (an execution report has some forty fields, in an order that depends on
//! the event): a small open-addressing table built when compiling, so that
//! a key costs one hash and usually one comparison instead of a comparison
//! with every field name in turn.

/// Slots in a table: a power of two, at least twice the number of fields
/// of any object read, so that probe runs stay short.
pub(crate) const SLOTS: usize = 128;

/// Field index + 1 per slot; 0 is an empty slot.
pub(crate) type KeyTable = [u8; SLOTS];

/// Where a key's probe run starts: from its length and three of its bytes,
/// which tell Kraken's field names apart well.
#[inline]
const fn home(key: &[u8]) -> usize {
    let len = key.len();
    if len == 0 {
        return 0;
    }
    let (first, mid, last) = (
        key[0] as usize,
        key[len / 2] as usize,
        key[len - 1] as usize,
    );
    (len * 31 + first * 7 + mid * 3 + last) % SLOTS
}

/// The table for `names`, in constant evaluation.
///
/// # Panics
/// At compile time, with more names than the table can index or half
/// fill.
pub(crate) const fn build(names: &[&[u8]]) -> KeyTable {
    assert!(names.len() <= SLOTS / 2, "too many fields for a key table");
    let mut table = [0u8; SLOTS];
    let mut i = 0;
    while i < names.len() {
        let mut slot = home(names[i]);
        while table[slot] != 0 {
            slot = (slot + 1) % SLOTS;
        }
        table[slot] = (i + 1) as u8;
        i += 1;
    }
    table
}

/// The index in `names` of `key`, if it is one of them.
#[inline]
pub(crate) fn find(table: &KeyTable, names: &[&[u8]], key: &[u8]) -> Option<usize> {
    let mut slot = home(key);
    // At least half the slots are empty, so the run ends.
    loop {
        let entry = usize::from(*table.get(slot)?);
        let index = entry.checked_sub(1)?;
        if names.get(index) == Some(&key) {
            return Some(index);
        }
        slot = (slot + 1) % SLOTS;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&[u8]; 6] = [b"qty", b"price", b"cum_qty", b"cum_cost", b"a", b"b"];
    const TABLE: KeyTable = build(&NAMES);

    #[test]
    fn finds_every_name_and_nothing_else() {
        for (i, name) in NAMES.iter().enumerate() {
            assert_eq!(find(&TABLE, &NAMES, name), Some(i));
        }
        for other in [&b""[..], b"pric", b"prices", b"cum_qtx", b"c", b"\xff"] {
            assert_eq!(find(&TABLE, &NAMES, other), None);
        }
    }
}
