//! WebSocket frames (RFC 6455 §5): reading the head of a server frame,
//! writing a masked client frame.

use crate::transport_error::{Oversized, TransportError};

/// A continuation of a fragmented message.
pub(crate) const CONTINUATION: u8 = 0x0;
/// A text message (or its first fragment).
pub(crate) const TEXT: u8 = 0x1;
/// A binary message (or its first fragment).
pub(crate) const BINARY: u8 = 0x2;
/// The closing handshake.
pub(crate) const CLOSE: u8 = 0x8;
/// A ping, to be answered by a pong with the same payload.
pub(crate) const PING: u8 = 0x9;
/// A pong.
pub(crate) const PONG: u8 = 0xA;

/// Largest payload of a control frame (§5.5).
const MAX_CONTROL_PAYLOAD: usize = 125;

/// The head of one frame: what it is and where its payload lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Head {
    /// The last frame of its message.
    pub(crate) fin: bool,
    pub(crate) opcode: u8,
    /// Bytes of the head itself (2 to 10 for a server frame, unmasked).
    pub(crate) head_len: usize,
    pub(crate) payload_len: usize,
}

impl Head {
    /// Bytes of the whole frame.
    pub(crate) fn frame_len(&self) -> usize {
        self.head_len + self.payload_len
    }
}

/// The head at the start of `bytes`, read from a server: `Ok(None)` when
/// `bytes` holds less than a whole head. A head that breaks RFC 6455, or
/// announces a payload over `max_payload` bytes, is an error naming the
/// problem.
pub(crate) fn read_head(bytes: &[u8], max_payload: usize) -> Result<Option<Head>, TransportError> {
    let protocol = |what: String| Err(TransportError::Protocol(what));
    let [first, second, ..] = *bytes else {
        return Ok(None);
    };
    let fin = first & 0x80 != 0;
    // No extension was negotiated, so no reserved bit may be set.
    if first & 0x70 != 0 {
        return protocol(format!(
            "reserved bits set in a frame ({first:#04x}) with no extension negotiated"
        ));
    }
    let opcode = first & 0x0F;
    if second & 0x80 != 0 {
        return protocol("a frame from the server is masked".to_owned());
    }
    let (head_len, payload_len) = match second & 0x7F {
        126 => match bytes.get(2..4) {
            Some(&[a, b]) => (4, usize::from(u16::from_be_bytes([a, b]))),
            _ => return Ok(None),
        },
        127 => match bytes.get(2..10) {
            Some(len) => {
                let mut be = [0u8; 8];
                be.copy_from_slice(len);
                let len = u64::from_be_bytes(be);
                // Anything past usize is over every limit anyway.
                (10, usize::try_from(len).unwrap_or(usize::MAX))
            }
            None => return Ok(None),
        },
        len => (2, usize::from(len)),
    };
    match opcode {
        CONTINUATION | TEXT | BINARY => {
            if payload_len > max_payload {
                return Err(TransportError::TooLarge {
                    what: Oversized::Frame { size: payload_len },
                    limit: max_payload,
                });
            }
        }
        CLOSE | PING | PONG => {
            if !fin {
                return protocol("a fragmented control frame".to_owned());
            }
            if payload_len > MAX_CONTROL_PAYLOAD {
                return protocol(format!(
                    "a control frame of {payload_len} bytes (at most {MAX_CONTROL_PAYLOAD})"
                ));
            }
        }
        other => return protocol(format!("unknown opcode {other:#x}")),
    }
    Ok(Some(Head {
        fin,
        opcode,
        head_len,
        payload_len,
    }))
}

/// Appends to `out` a complete client frame (FIN set) carrying `payload`,
/// masked with `mask` as every client frame must be (§5.3).
pub(crate) fn write_frame(out: &mut Vec<u8>, opcode: u8, payload: &[u8], mask: [u8; 4]) {
    out.push(0x80 | opcode);
    let len = payload.len();
    if len < 126 {
        // Fits in 7 bits: checked just above.
        out.push(0x80 | len as u8);
    } else if let Ok(len) = u16::try_from(len) {
        out.push(0x80 | 126);
        out.extend_from_slice(&len.to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(&mask);
    let start = out.len();
    out.extend_from_slice(payload);
    for (i, byte) in out[start..].iter_mut().enumerate() {
        *byte ^= mask[i % 4];
    }
}

/// The description of a close frame's payload: its status code (§7.4)
/// and reason, as far as they are given.
pub(crate) fn describe_close(payload: &[u8]) -> String {
    match payload {
        [] => "no status code".to_owned(),
        [a, b, reason @ ..] => {
            let code = u16::from_be_bytes([*a, *b]);
            match std::str::from_utf8(reason) {
                Ok("") => format!("code {code}"),
                Ok(reason) => format!("code {code}, {reason:?}"),
                Err(_) => format!("code {code}, a reason that is not UTF-8"),
            }
        }
        [_] => "a malformed close frame (one byte)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const MAX: usize = 16 << 20;

    fn head(bytes: &[u8]) -> Head {
        read_head(bytes, MAX).unwrap().unwrap()
    }

    #[test]
    fn heads_of_each_length_form() {
        let h = head(&[0x81, 5, b'h']);
        assert_eq!(
            (h.fin, h.opcode, h.head_len, h.payload_len),
            (true, TEXT, 2, 5)
        );
        let h = head(&[0x01, 126, 0x01, 0x00]);
        assert_eq!(
            (h.fin, h.opcode, h.head_len, h.payload_len),
            (false, TEXT, 4, 256)
        );
        let h = head(&[0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
        assert_eq!((h.opcode, h.head_len, h.payload_len), (BINARY, 10, 65536));
        assert_eq!(h.frame_len(), 65546);
    }

    #[test]
    fn partial_heads_ask_for_more() {
        for partial in [&[][..], &[0x81], &[0x81, 126, 1], &[0x81, 127, 0, 0, 0]] {
            assert_eq!(read_head(partial, MAX).unwrap(), None, "{partial:?}");
        }
    }

    #[test]
    fn broken_heads_are_named() {
        let err = |bytes: &[u8]| read_head(bytes, MAX).unwrap_err().to_string();
        assert!(err(&[0xC1, 0]).contains("reserved bits"));
        assert!(err(&[0x81, 0x85]).contains("masked"));
        assert!(err(&[0x83, 0]).contains("unknown opcode 0x3"));
        assert!(err(&[0x09, 0]).contains("fragmented control"));
        assert!(err(&[0x89, 126, 0, 126]).contains("control frame of 126 bytes"));
        assert!(err(&[0x81, 0x85]).starts_with("protocol error: "));
        let e = read_head(&[0x81, 126, 0x10, 0], 100)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "a frame of 4096 bytes is over the 100-byte limit");
        let e = read_head(&[0x81, 127, 0xFF, 0, 0, 0, 0, 0, 0, 0], MAX)
            .unwrap_err()
            .to_string();
        assert!(e.contains("over the"), "{e}");
    }

    #[test]
    fn written_frames_are_masked_and_read_back() {
        let mask = [0x37, 0xfa, 0x21, 0x3d];
        let mut out = Vec::new();
        // RFC 6455 §5.7: a masked "Hello".
        write_frame(&mut out, TEXT, b"Hello", mask);
        assert_eq!(
            out,
            [
                0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58
            ]
        );
        for len in [125, 126, 65535, 65536] {
            let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
            out.clear();
            write_frame(&mut out, BINARY, &payload, mask);
            // Unmask and check the head as the server would read it.
            let masked_head = out[1] & 0x80 != 0;
            assert!(masked_head);
            out[1] &= 0x7F;
            let h = head(&out);
            assert_eq!(h.payload_len, len);
            let body = &out[h.head_len + 4..];
            let unmasked: Vec<u8> = body
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ mask[i % 4])
                .collect();
            assert_eq!(unmasked, payload);
        }
    }

    #[test]
    fn close_descriptions() {
        assert_eq!(describe_close(&[]), "no status code");
        assert_eq!(describe_close(&[0x03, 0xE8]), "code 1000");
        assert_eq!(describe_close(b"\x03\xE9bye"), "code 1001, \"bye\"");
        assert_eq!(
            describe_close(&[0x03]),
            "a malformed close frame (one byte)"
        );
    }
}
