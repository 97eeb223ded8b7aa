//! Kraken-shaped order ids (`OZYA6B-OE3BH-YJ4PY5`), made from a sequence
//! number: the market's resting orders and the exchange's user orders,
//! executions and ledger entries all look like Kraken's.

/// A Kraken-style id of a sequence number: the splitmix64 finalizer is a
/// bijection, so distinct sequence numbers (under one salt) give distinct
/// ids.
pub(crate) fn order_id(salt: u64, sequence: u64) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut z = sequence ^ salt;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    // 13 characters carry the 64 bits; 4 more from the salt fill 17.
    let mut bits = (u128::from(z) << 20) | u128::from(salt & 0xF_FFFF);
    let mut chars = Vec::with_capacity(19);
    for i in 0..17 {
        if i == 6 || i == 11 {
            chars.push(b'-');
        }
        chars.push(ALPHABET[(bits & 31) as usize]);
        bits >>= 5;
    }
    String::from_utf8_lossy(&chars).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_ids_look_like_krakens_and_differ() {
        let a = order_id(7, 1);
        assert_eq!(a.len(), 19);
        assert_eq!(a.as_bytes()[6], b'-');
        assert_eq!(a.as_bytes()[12], b'-');
        assert!(
            a.bytes()
                .all(|c| c == b'-' || c.is_ascii_uppercase() || c.is_ascii_digit())
        );
        let ids: std::collections::HashSet<String> = (0..10_000).map(|n| order_id(7, n)).collect();
        assert_eq!(ids.len(), 10_000);
        assert_ne!(order_id(8, 1), a);
    }
}
