//! Reading one JSON value into a field, exactly as the field's serde
//! `Deserialize` would, or `None` for anything this path does not take
//! (the frame then goes the general way, which gives the same value or
//! the error).

use crate::channels::{Contingent, ExecTriggers, Fee};
use crate::scan::Cursor;
use crate::time_reader::TimeReader;
use crate::{Asset, ClOrdId, Decimal, OrderId, Symbol, Timestamp};

/// A field type the fast path can read.
pub(crate) trait FastValue: Sized {
    /// Reads the value at the cursor, consuming it.
    fn read(c: &mut Cursor<'_>) -> Option<Self>;
}

/// A string without escapes, as text.
fn text<'a>(c: &mut Cursor<'a>) -> Option<&'a str> {
    let range = c.string_range()?;
    c.text(range)
}

impl FastValue for Decimal {
    // Inlined into each field read: returned through memory, the value is
    // written and read back in different widths, which stalls.
    #[inline(always)]
    fn read(c: &mut Cursor<'_>) -> Option<Self> {
        c.decimal()
    }
}

impl FastValue for String {
    #[inline]
    fn read(c: &mut Cursor<'_>) -> Option<Self> {
        text(c).map(str::to_owned)
    }
}

impl FastValue for bool {
    #[inline]
    fn read(c: &mut Cursor<'_>) -> Option<Self> {
        if c.lit(b"true") {
            Some(true)
        } else if c.lit(b"false") {
            Some(false)
        } else {
            None
        }
    }
}

impl FastValue for Timestamp {
    #[inline]
    fn read(c: &mut Cursor<'_>) -> Option<Self> {
        // A fresh reader: there is nothing to share between frames here.
        c.time(&mut TimeReader::new())
    }
}

/// Integers as `flex_int` reads them: a plain JSON integer, or a string
/// of digits. Fractions, exponents and signs in strings go the general
/// way. Inlined: its result, returned through memory, stalls when read
/// back.
#[inline(always)]
fn flex_integer(c: &mut Cursor<'_>) -> Option<(bool, u64)> {
    if let Some(value) = c.short_integer() {
        return Some((false, value));
    }
    let quoted = c.peek()? == b'"';
    c.pos += usize::from(quoted);
    let negative = !quoted && c.peek() == Some(b'-');
    c.pos += usize::from(negative);
    let start = c.pos;
    let mut value = 0u64;
    let len = c.digits_into(&mut value);
    if len == 0 || len > 18 || (!quoted && len > 1 && c.b.get(start) == Some(&b'0')) {
        return None;
    }
    if quoted {
        c.eat(b'"')?;
    } else if let Some(b'.' | b'e' | b'E') = c.peek() {
        return None;
    }
    Some((negative, value))
}

impl FastValue for u64 {
    #[inline]
    fn read(c: &mut Cursor<'_>) -> Option<Self> {
        match flex_integer(c)? {
            (false, v) => Some(v),
            (true, _) => None,
        }
    }
}

impl FastValue for u32 {
    #[inline]
    fn read(c: &mut Cursor<'_>) -> Option<Self> {
        u32::try_from(u64::read(c)?).ok()
    }
}

impl FastValue for i64 {
    #[inline]
    fn read(c: &mut Cursor<'_>) -> Option<Self> {
        let (negative, v) = flex_integer(c)?;
        // At most 18 digits: below 10^18, so the cast is exact.
        let v = v as i64;
        Some(if negative { -v } else { v })
    }
}

/// String newtypes and enums: read like their `Deserialize`, which takes
/// a string and converts it.
macro_rules! from_text {
    ($($ty:ty => $convert:expr),* $(,)?) => {
        $(impl FastValue for $ty {
            #[inline]
            fn read(c: &mut Cursor<'_>) -> Option<Self> {
                let convert: fn(&str) -> Option<$ty> = $convert;
                convert(text(c)?)
            }
        })*
    };
}

from_text! {
    // Recycled strings: a symbol comes with every book frame.
    Symbol => |s| Some(Symbol::new(super::pool::text(s))),
    Asset => |s| Some(Asset::from(s)),
    OrderId => |s| Some(OrderId::from(s)),
    ClOrdId => |s| Some(ClOrdId::from(s)),
    crate::Side => |s| s.parse().ok(),
    crate::OrderType => |s| s.parse().ok(),
    crate::PriceType => |s| s.parse().ok(),
    crate::TriggerReference => |s| s.parse().ok(),
    crate::TimeInForce => |s| Some(crate::TimeInForce::from(s)),
    crate::channels::ExecType => |s| s.parse().ok(),
    crate::channels::OrderStatus => |s| s.parse().ok(),
    crate::channels::LiquidityInd => |s| s.parse().ok(),
    crate::channels::PositionStatus => |s| s.parse().ok(),
    crate::channels::TradeOrderType => |s| s.parse().ok(),
    crate::channels::TriggerStatus => |s| s.parse().ok(),
}

impl<T: FastValue> FastValue for Vec<T> {
    fn read(c: &mut Cursor<'_>) -> Option<Self> {
        // What the first push would allocate for small elements, without
        // going through the growth path.
        super::records::list(c, T::read, || Vec::with_capacity(4))
    }
}

/// Reads a JSON object into a struct, field by field, the way serde's
/// derive does: unknown keys are skipped, a repeated key or a missing
/// `required` field is left to the general path (which reports it), `null`
/// in an `optional` field is `None`; a `defaulted` field (serde `default`
/// on a non-`Option`) takes its default when absent.
///
/// Fields are listed in the order Kraken writes them. When the object
/// starts with the first, the rest are tried in that order, each once, a
/// comparison with a constant (`,"qty":`) and no key scanning or lookup:
/// a field not next is taken as absent there. Whatever is left after that
/// pass, or the whole object if it starts another way, is read key by key
/// (each found in a table, see `key_table`), with the fields read so far
/// counting as seen.
macro_rules! read_object {
    ($c:expr, $ty:ident {
        $first:ident: $first_kind:ident $(, $f:ident: $kind:ident)* $(,)?
    }) => {{
        let c: &mut $crate::scan::Cursor<'_> = $c;
        // The fields by their index in the list, for the key table and the
        // bits of `seen`.
        #[allow(non_camel_case_types)]
        enum Field {
            $first,
            $($f,)*
        }
        let mut $first = None;
        $(let mut $f = None;)*
        // The fields met so far, one bit each (the key table holds at most
        // 64), to refuse a repeated one as serde does.
        let mut seen: u64 = 0;
        c.eat(b'{')?;
        c.ws();
        if c.eat(b'}').is_none() {
            // Whether members remain, the cursor at a key.
            let mut open = true;
            if c.lit_slice(concat!("\"", stringify!($first), "\":").as_bytes()) {
                c.ws();
                $crate::fast::value::read_object!(@store $first_kind, $first, c);
                seen |= 1 << Field::$first as u32;
                $(
                    if c.lit_slice(concat!(",\"", stringify!($f), "\":").as_bytes()) {
                        c.ws();
                        $crate::fast::value::read_object!(@store $kind, $f, c);
                        seen |= 1 << Field::$f as u32;
                    }
                )*
                open = c.comma_or_end(b'}')?;
            }
            const NAMES: &[&[u8]] = &[
                stringify!($first).as_bytes(),
                $(stringify!($f).as_bytes(),)*
            ];
            const TABLE: $crate::fast::key_table::KeyTable =
                $crate::fast::key_table::build(NAMES);
            while open {
                let key = c.key()?;
                match $crate::fast::key_table::find(&TABLE, NAMES, key) {
                    Some(i) => {
                        // Below 64 (the table's limit), so `None` never.
                        let bit = 1u64.checked_shl(u32::try_from(i).ok()?)?;
                        if seen & bit != 0 {
                            return None;
                        }
                        seen |= bit;
                        match i {
                            i if i == Field::$first as usize => {
                                $crate::fast::value::read_object!(@store $first_kind, $first, c);
                            }
                            $(i if i == Field::$f as usize => {
                                $crate::fast::value::read_object!(@store $kind, $f, c);
                            })*
                            _ => return None,
                        }
                    }
                    None => c.skip_value(1)?,
                }
                open = c.comma_or_end(b'}')?;
            }
        }
        $ty {
            $first: $crate::fast::value::read_object!(@finish $first_kind, $first),
            $($f: $crate::fast::value::read_object!(@finish $kind, $f),)*
        }
    }};
    (@store required, $f:ident, $c:ident) => {
        $f = Some($crate::fast::value::FastValue::read($c)?)
    };
    (@store defaulted, $f:ident, $c:ident) => {
        $f = Some($crate::fast::value::FastValue::read($c)?)
    };
    (@store optional, $f:ident, $c:ident) => {
        $f = if $c.lit(b"null") {
            None
        } else {
            Some($crate::fast::value::FastValue::read($c)?)
        }
    };
    (@finish required, $f:ident) => { $f? };
    (@finish defaulted, $f:ident) => { $f.unwrap_or_default() };
    (@finish optional, $f:ident) => { $f };
}
pub(crate) use read_object;

impl FastValue for Fee {
    fn read(c: &mut Cursor<'_>) -> Option<Self> {
        Some(read_object!(
            c,
            Fee {
                asset: required,
                qty: required,
            }
        ))
    }
}

impl FastValue for ExecTriggers {
    fn read(c: &mut Cursor<'_>) -> Option<Self> {
        Some(read_object!(
            c,
            ExecTriggers {
                reference: optional,
                price: optional,
                price_type: optional,
                actual_price: optional,
                peak_price: optional,
                last_price: optional,
                status: optional,
                timestamp: optional,
            }
        ))
    }
}

impl FastValue for Contingent {
    fn read(c: &mut Cursor<'_>) -> Option<Self> {
        Some(read_object!(
            c,
            Contingent {
                order_type: optional,
                trigger_price: optional,
                trigger_price_type: optional,
                limit_price: optional,
                limit_price_type: optional,
            }
        ))
    }
}
