//! The NATS client protocol as bytes, with no IO: what the publisher
//! writes (`CONNECT`, `SUB`, `HPUB`, `PING`, `PONG`) appended to one
//! output buffer, and what a server sends (`INFO`, `MSG`, `HMSG`, `PING`,
//! `PONG`, `+OK`, `-ERR`) read in place from the input buffer.
//!
//! Nothing here allocates per message: a publish is formatted straight
//! into the caller's buffer, and a parsed message borrows the bytes it
//! was read from. Every breach of the protocol by the peer is a
//! [`WireError`] naming it; sizes are bounded, so a hostile server can
//! make the connection fail, never make it grow without limit.

/// The longest control line read (an `INFO` of a large cluster lists
/// every server's URL; a `MSG` line is a few dozen bytes).
pub(crate) const MAX_LINE: usize = 64 << 10;

/// The largest message read. The publisher reads only JetStream's acks,
/// a hundred bytes each; this bounds what a broken server can make it
/// hold.
pub(crate) const MAX_PAYLOAD: usize = 1 << 20;

/// What a server sent that breaks the protocol, or a publish that cannot
/// be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum WireError {
    #[error("a control line longer than {MAX_LINE} bytes")]
    LineTooLong,
    #[error("a control line not ended by CRLF")]
    BareNewline,
    #[error("unknown operation {0:?}")]
    UnknownOperation(String),
    #[error("malformed {op} line: {problem}")]
    Malformed {
        op: &'static str,
        problem: &'static str,
    },
    #[error("a message of {0} bytes, above the {MAX_PAYLOAD} read")]
    TooLarge(u64),
    #[error("a message's payload not followed by CRLF")]
    MissingPayloadEnd,
    #[error("a subject or reply subject that is empty or holds whitespace")]
    BadSubject,
    #[error("a header name or value holding a line break (or a name holding ':')")]
    BadHeader,
}

/// A message delivered to a subscription (`MSG` or `HMSG`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Msg<'a> {
    pub(crate) subject: &'a [u8],
    pub(crate) sid: u64,
    pub(crate) reply: Option<&'a [u8]>,
    /// The header block of an `HMSG`, from `NATS/1.0` through the blank
    /// line.
    pub(crate) headers: Option<&'a [u8]>,
    pub(crate) payload: &'a [u8],
}

impl Msg<'_> {
    /// The status code of the header block's first line
    /// (`NATS/1.0 503`), if it has one: how the server says "no
    /// responders" or "timeout" instead of a payload.
    pub(crate) fn status(&self) -> Option<u16> {
        let first = self.headers?.split(|&b| b == b'\r').next()?;
        let rest = first.strip_prefix(b"NATS/1.0")?;
        let code = rest.trim_ascii_start().split(|&b| b == b' ').next()?;
        if code.len() != 3 {
            return None;
        }
        std::str::from_utf8(code).ok()?.parse().ok()
    }
}

/// One frame from the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Frame<'a> {
    /// The server's JSON description of itself.
    Info(&'a [u8]),
    Msg(Msg<'a>),
    Ping,
    Pong,
    Ok,
    /// The server's complaint, as it wrote it (quotes included).
    Err(&'a [u8]),
}

/// A frame and the bytes it took; `None` while only part of one is there.
pub(crate) type Parsed<'a> = Result<Option<(Frame<'a>, usize)>, WireError>;

/// The first whole frame of `buf` and how many bytes it took; `None`
/// while `buf` holds only part of one.
pub(crate) fn parse(buf: &[u8]) -> Parsed<'_> {
    if let Some(parsed) = plain_msg(buf) {
        return Ok(Some(parsed));
    }
    parse_line(buf)
}

/// The longest subject the one-pass reading of a `MSG` takes; longer
/// ones are read by [`parse_line`].
const PLAIN_SUBJECT_MAX: usize = 128;

/// A `MSG <subject> <sid> <#bytes>` written as servers write every ack
/// (no reply subject; one space apart, or two where the reply subject's
/// empty place is kept), read in one pass over the line. `None` for
/// anything else, a frame not all there yet included: [`parse_line`]
/// then reads it as it reads every frame, and names what is wrong.
/// Whatever this accepts, `parse_line` reads the same way; its
/// field-by-field search cost over twice this on every ack.
fn plain_msg(buf: &[u8]) -> Option<(Frame<'_>, usize)> {
    let line = buf.strip_prefix(b"MSG ")?;
    let subject_len = first_blank(&line[..line.len().min(PLAIN_SUBJECT_MAX + 1)])?;
    let (subject, rest) = line.split_at(subject_len);
    let rest = rest.strip_prefix(b" ")?;
    let (sid, rest) = digits_then(rest, b' ')?;
    // nats-server writes the reply subject's place even when it is
    // empty: `MSG <subject> <sid>  <#bytes>`.
    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
    let (size, rest) = digits_then(rest, b'\r')?;
    let body = rest.strip_prefix(b"\n")?;
    if subject.is_empty() || size > MAX_PAYLOAD as u64 {
        return None;
    }
    // Bounded by MAX_PAYLOAD above.
    let size = size as usize;
    if body.get(size..size + 2)? != b"\r\n" {
        return None;
    }
    let msg = Msg {
        subject,
        sid,
        reply: None,
        headers: None,
        payload: &body[..size],
    };
    Some((Frame::Msg(msg), buf.len() - body.len() + size + 2))
}

/// Where the first space, tab, line end or other control byte is (all
/// of them below `!`), eight bytes at a time: a byte-by-byte search cost
/// more than the rest of reading an ack.
fn first_blank(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        let mut w = [0; 8];
        w.copy_from_slice(word);
        let w = u64::from_le_bytes(w);
        // A byte's high bit is set where it is below `!`; a borrow can
        // set it above such a byte as well, never below the first one.
        let below = w.wrapping_sub(ONES * u64::from(b'!')) & !w & HIGHS;
        if below != 0 {
            return Some(at + below.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    let rest = words.remainder().iter().position(|&b| b <= b' ')?;
    Some(at + rest)
}

/// The number at the start of `bytes` (1 to 19 digits) and what follows
/// the `end` byte right after it.
fn digits_then(bytes: &[u8], end: u8) -> Option<(u64, &[u8])> {
    let len = bytes.iter().take(20).position(|&b| !b.is_ascii_digit())?;
    if bytes[len] != end {
        return None;
    }
    Some((number(&bytes[..len])?, &bytes[len + 1..]))
}

/// Any frame, its control line split into fields.
fn parse_line(buf: &[u8]) -> Parsed<'_> {
    let scan = &buf[..buf.len().min(MAX_LINE + 1)];
    let Some(newline) = memchr::memchr(b'\n', scan) else {
        return if scan.len() > MAX_LINE {
            Err(WireError::LineTooLong)
        } else {
            Ok(None)
        };
    };
    let line = buf[..newline]
        .strip_suffix(b"\r")
        .ok_or(WireError::BareNewline)?;
    let after_line = newline + 1;
    // The operation is a few bytes: found byte by byte sooner than by a
    // vector search, which pays its set-up first.
    let (op, args) = match line.iter().position(|&b| b == b' ' || b == b'\t') {
        Some(space) => (&line[..space], line[space + 1..].trim_ascii()),
        None => (line, &line[line.len()..]),
    };
    let frame = match op {
        op if op.eq_ignore_ascii_case(b"MSG") => return message(buf, after_line, args, false),
        op if op.eq_ignore_ascii_case(b"HMSG") => return message(buf, after_line, args, true),
        op if op.eq_ignore_ascii_case(b"PING") => Frame::Ping,
        op if op.eq_ignore_ascii_case(b"PONG") => Frame::Pong,
        op if op.eq_ignore_ascii_case(b"+OK") => Frame::Ok,
        op if op.eq_ignore_ascii_case(b"-ERR") => Frame::Err(args),
        op if op.eq_ignore_ascii_case(b"INFO") => Frame::Info(args),
        other => {
            // Shown short and escaped: it is the peer's bytes.
            let shown = other.get(..16).unwrap_or(other);
            return Err(WireError::UnknownOperation(
                shown.escape_ascii().to_string(),
            ));
        }
    };
    Ok(Some((frame, after_line)))
}

/// `MSG <subject> <sid> [reply] <#bytes>` or
/// `HMSG <subject> <sid> [reply] <#header bytes> <#total bytes>`, then
/// the bytes and CRLF.
fn message<'a>(buf: &'a [u8], body_at: usize, args: &'a [u8], with_headers: bool) -> Parsed<'a> {
    let op = if with_headers { "HMSG" } else { "MSG" };
    let malformed = |problem| WireError::Malformed { op, problem };
    let mut fields = [&args[..0]; 5];
    let mut count = 0;
    let mut rest = args;
    while !rest.is_empty() {
        let end = memchr::memchr2(b' ', b'\t', rest).unwrap_or(rest.len());
        if end > 0 {
            *fields.get_mut(count).ok_or(malformed("too many fields"))? = &rest[..end];
            count += 1;
        }
        rest = rest.get(end + 1..).unwrap_or_default();
    }
    let sizes = if with_headers { 2 } else { 1 };
    let (reply, size_fields) = match count - sizes.min(count) {
        2 => (None, &fields[2..2 + sizes]),
        3 => (Some(fields[2]), &fields[3..3 + sizes]),
        _ => return Err(malformed("wrong number of fields")),
    };
    let sid = number(fields[1]).ok_or(malformed("a sid that is not a number"))?;
    let total = number(size_fields[sizes - 1]).ok_or(malformed("a size that is not a number"))?;
    let header_len = if with_headers {
        let header_len = number(size_fields[0]).ok_or(malformed("a size that is not a number"))?;
        if header_len > total {
            return Err(malformed("more header bytes than bytes"));
        }
        header_len
    } else {
        0
    };
    if total > MAX_PAYLOAD as u64 {
        return Err(WireError::TooLarge(total));
    }
    // Both fit in usize: bounded by MAX_PAYLOAD above.
    let (total, header_len) = (total as usize, header_len as usize);
    let end = body_at + total;
    if buf.len() < end + 2 {
        return Ok(None);
    }
    if &buf[end..end + 2] != b"\r\n" {
        return Err(WireError::MissingPayloadEnd);
    }
    let body = &buf[body_at..end];
    let msg = Msg {
        subject: fields[0],
        sid,
        reply,
        headers: with_headers.then(|| &body[..header_len]),
        payload: &body[header_len..],
    };
    Ok(Some((Frame::Msg(msg), end + 2)))
}

/// A decimal number of at most 19 digits (so it fits a u64).
pub(crate) fn number(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        d.is_ascii_digit().then(|| n * 10 + u64::from(d - b'0'))
    })
}

/// A server's text (an `-ERR` reason) as shown in errors and logs:
/// printable ASCII kept, anything else `?`, at most 200 characters.
pub(crate) fn printable(text: &[u8]) -> String {
    text.iter()
        .take(200)
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                char::from(b)
            } else {
                '?'
            }
        })
        .collect()
}

/// A u64's decimal digits, formatted on the stack.
#[derive(Clone, Copy)]
pub(crate) struct Digits {
    digits: [u8; 20],
    start: usize,
}

impl Digits {
    pub(crate) fn new(mut n: u64) -> Digits {
        // Two digits per division: four numbers go into every publish.
        const PAIRS: [u8; 200] = {
            let mut pairs = [0u8; 200];
            let mut i = 0;
            while i < 100 {
                pairs[2 * i] = b'0' + (i / 10) as u8;
                pairs[2 * i + 1] = b'0' + (i % 10) as u8;
                i += 1;
            }
            pairs
        };
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        while n >= 100 {
            let pair = (n % 100) as usize * 2;
            n /= 100;
            start -= 2;
            digits[start..start + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
        }
        if n >= 10 {
            let pair = n as usize * 2;
            start -= 2;
            digits[start..start + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
        } else {
            start -= 1;
            digits[start] = b'0' + n as u8;
        }
        Digits { digits, start }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.digits[self.start..]
    }
}

/// What `CONNECT` says of the client. Credentials are written only into
/// the frame, never shown.
#[derive(Default)]
pub(crate) struct Connect<'a> {
    pub(crate) name: &'a str,
    /// The connection went through TLS.
    pub(crate) tls: bool,
    pub(crate) user: Option<&'a str>,
    pub(crate) pass: Option<&'a str>,
    pub(crate) token: Option<&'a str>,
    /// The user's JWT, from a `.creds` file.
    pub(crate) jwt: Option<&'a str>,
    /// The user's public NKEY (`U…`), when there is no JWT.
    pub(crate) nkey: Option<&'a str>,
    /// The server's nonce signed by the user's key, base64url.
    pub(crate) sig: Option<&'a str>,
}

impl Connect<'_> {
    /// Bytes the `CONNECT` frame can take at most: the fixed members,
    /// and every string escaped at its worst (`\u00XX`, six bytes for
    /// one).
    pub(crate) fn room(&self) -> usize {
        let strings = [
            self.user, self.pass, self.token, self.jwt, self.nkey, self.sig,
        ]
        .into_iter()
        .flatten()
        .chain([self.name])
        .map(str::len)
        .sum::<usize>();
        512 + 6 * strings
    }
}

/// `CONNECT {…}`: quiet (no `+OK` per frame), headers on, and a "no
/// responders" status instead of silence for a subject no stream takes.
pub(crate) fn connect(out: &mut Vec<u8>, c: &Connect<'_>) {
    #[derive(serde::Serialize)]
    struct Options<'a> {
        verbose: bool,
        pedantic: bool,
        tls_required: bool,
        name: &'a str,
        lang: &'a str,
        version: &'a str,
        protocol: u8,
        headers: bool,
        no_responders: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        user: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pass: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        auth_token: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        jwt: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        nkey: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        sig: Option<&'a str>,
    }
    out.extend_from_slice(b"CONNECT ");
    let options = Options {
        verbose: false,
        pedantic: false,
        tls_required: c.tls,
        name: c.name,
        lang: "rust",
        version: env!("CARGO_PKG_VERSION"),
        // 1: the server may send INFO updates and cluster URLs.
        protocol: 1,
        headers: true,
        no_responders: true,
        user: c.user,
        pass: c.pass,
        auth_token: c.token,
        jwt: c.jwt,
        nkey: c.nkey,
        sig: c.sig,
    };
    // Writing a struct of strings and bools into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, &options);
    out.extend_from_slice(b"\r\n");
}

/// `SUB <subject> <sid>`.
pub(crate) fn sub(out: &mut Vec<u8>, subject: &str, sid: u64) -> Result<(), WireError> {
    check_subject(subject.as_bytes())?;
    out.extend_from_slice(b"SUB ");
    out.extend_from_slice(subject.as_bytes());
    out.push(b' ');
    out.extend_from_slice(Digits::new(sid).as_bytes());
    out.extend_from_slice(b"\r\n");
    Ok(())
}

pub(crate) fn ping(out: &mut Vec<u8>) {
    out.extend_from_slice(b"PING\r\n");
}

pub(crate) fn pong(out: &mut Vec<u8>) {
    out.extend_from_slice(b"PONG\r\n");
}

/// `HPUB <subject> [reply] <#header bytes> <#total bytes>`, the header
/// block and the payload. The reply subject is given in pieces written
/// one after the other (`inbox`, `.`, digits, …), so none has to be
/// built first; no pieces, no reply. Nothing is written when a subject or
/// header would break the frame.
pub(crate) fn hpub(
    out: &mut Vec<u8>,
    subject: &[u8],
    reply: &[&[u8]],
    headers: &[(&[u8], &[u8])],
    payload: &[u8],
) -> Result<(), WireError> {
    check_subject(subject)?;
    check_reply(reply)?;
    let header_len = header_block_len(headers)?;
    out.extend_from_slice(b"HPUB ");
    out.extend_from_slice(subject);
    out.push(b' ');
    if !reply.is_empty() {
        for piece in reply {
            out.extend_from_slice(piece);
        }
        out.push(b' ');
    }
    out.extend_from_slice(Digits::new(header_len as u64).as_bytes());
    out.push(b' ');
    out.extend_from_slice(Digits::new((header_len + payload.len()) as u64).as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(HEADER_VERSION);
    write_headers(out, headers);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(payload);
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// What every publish of one subject begins with: `HPUB`, the subject
/// and the fixed start of its reply subject. Checked once, when made, so
/// a publish copies it in one piece without looking at it again.
#[derive(Debug)]
pub(crate) struct PublishStart(Box<[u8]>);

impl PublishStart {
    pub(crate) fn new(subject: &[u8], reply_start: &[&[u8]]) -> Result<PublishStart, WireError> {
        check_subject(subject)?;
        check_reply(reply_start)?;
        let mut bytes = b"HPUB ".to_vec();
        bytes.extend_from_slice(subject);
        bytes.push(b' ');
        for piece in reply_start {
            bytes.extend_from_slice(piece);
        }
        Ok(PublishStart(bytes.into_boxed_slice()))
    }
}

/// A JetStream publish: what [`hpub`] writes, for a subject whose start
/// was checked already and a reply subject ending in `attempt`, with the
/// message id, the expected last subject sequence if any, and `more`
/// headers. Written in few pieces, most of them of a length known here:
/// one is written for every message the relay publishes. JetStream's
/// header names (ADR-31) are case-sensitive to it.
pub(crate) fn jetstream_hpub(
    out: &mut Vec<u8>,
    start: &PublishStart,
    attempt: u32,
    msg_id: &[u8],
    expected: Option<u64>,
    more: &[(&[u8], &[u8])],
    payload: &[u8],
) -> Result<(), WireError> {
    const ID_START: &[u8] = b"NATS/1.0\r\nNats-Msg-Id: ";
    const EXPECTED_START: &[u8] = b"\r\nNats-Expected-Last-Subject-Sequence: ";
    if msg_id.is_empty() || any_byte(msg_id, breaks_line) {
        return Err(WireError::BadHeader);
    }
    let expected = expected.map(Digits::new);
    let expected = expected.as_ref().map_or(&[][..], Digits::as_bytes);
    let mut header_len = ID_START.len() + msg_id.len() + 2 + 2;
    if !expected.is_empty() {
        header_len += EXPECTED_START.len() + expected.len();
    }
    for (name, value) in more {
        header_len += header_len_of(name, value)?;
    }
    let attempt = Digits::new(attempt.into());
    let (header_digits, total_digits) = (
        Digits::new(header_len as u64),
        Digits::new((header_len + payload.len()) as u64),
    );
    out.reserve(start.0.len() + 64 + header_len + payload.len());
    out.extend_from_slice(&start.0);
    out.extend_from_slice(attempt.as_bytes());
    out.push(b' ');
    out.extend_from_slice(header_digits.as_bytes());
    out.push(b' ');
    out.extend_from_slice(total_digits.as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(ID_START);
    out.extend_from_slice(msg_id);
    if !expected.is_empty() {
        out.extend_from_slice(EXPECTED_START);
        out.extend_from_slice(expected);
    }
    out.extend_from_slice(b"\r\n");
    write_headers(out, more);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(payload);
    out.extend_from_slice(b"\r\n");
    Ok(())
}

const HEADER_VERSION: &[u8] = b"NATS/1.0\r\n";

/// The header block's length, or why a header would break it.
fn header_block_len(headers: &[(&[u8], &[u8])]) -> Result<usize, WireError> {
    let mut len = HEADER_VERSION.len() + 2;
    for (name, value) in headers {
        len += header_len_of(name, value)?;
    }
    Ok(len)
}

/// `name: value` and its line end, or why it would break the block.
fn header_len_of(name: &[u8], value: &[u8]) -> Result<usize, WireError> {
    if name.is_empty()
        || any_byte(name, |b| breaks_line(b) || b == b':' || b == b' ')
        || any_byte(value, breaks_line)
    {
        return Err(WireError::BadHeader);
    }
    Ok(name.len() + 2 + value.len() + 2)
}

fn breaks_line(b: u8) -> bool {
    b == b'\r' || b == b'\n'
}

fn write_headers(out: &mut Vec<u8>, headers: &[(&[u8], &[u8])]) {
    for (name, value) in headers {
        out.extend_from_slice(name);
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
}

fn check_subject(subject: &[u8]) -> Result<(), WireError> {
    if subject.is_empty() || any_byte(subject, |b| b.is_ascii_whitespace()) {
        return Err(WireError::BadSubject);
    }
    Ok(())
}

/// A reply subject in pieces: none (no reply), or pieces that are not
/// all empty and hold no white space.
fn check_reply(reply: &[&[u8]]) -> Result<(), WireError> {
    if reply.is_empty() {
        return Ok(());
    }
    let mut empty = true;
    for piece in reply {
        if any_byte(piece, |b| b.is_ascii_whitespace()) {
            return Err(WireError::BadSubject);
        }
        empty &= piece.is_empty();
    }
    if empty {
        return Err(WireError::BadSubject);
    }
    Ok(())
}

/// Whether any byte is a `hit`, looked at 16 at a time without stopping
/// early: for the short subjects and ids of every publish the compiler
/// then tests a chunk in a few vector instructions, where `any` tests
/// byte by byte.
fn any_byte(bytes: &[u8], hit: impl Fn(u8) -> bool) -> bool {
    let mut chunks = bytes.chunks_exact(16);
    let mut found = false;
    for chunk in &mut chunks {
        found |= chunk.iter().fold(false, |found, &b| found | hit(b));
    }
    found || chunks.remainder().iter().any(|&b| hit(b))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn whole(bytes: &[u8]) -> (Frame<'_>, usize) {
        parse(bytes).unwrap().unwrap()
    }

    #[test]
    fn a_publish_is_written_byte_for_byte() {
        let mut out = Vec::new();
        let attempt = Digits::new(7);
        hpub(
            &mut out,
            b"kraki.book.BTC_USD",
            &[
                b"_INBOX.ab",
                b".",
                Digits::new(3).as_bytes(),
                b".",
                attempt.as_bytes(),
            ],
            &[
                (b"Nats-Msg-Id", b"f00d"),
                (b"Nats-Expected-Last-Subject-Sequence", b"42"),
            ],
            b"{\"a\":1}",
        )
        .unwrap();
        let headers =
            "NATS/1.0\r\nNats-Msg-Id: f00d\r\nNats-Expected-Last-Subject-Sequence: 42\r\n\r\n";
        let expected = format!(
            "HPUB kraki.book.BTC_USD _INBOX.ab.3.7 {} {}\r\n{headers}{{\"a\":1}}\r\n",
            headers.len(),
            headers.len() + 7
        );
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }

    #[test]
    fn a_publish_from_a_checked_start_is_the_same_frame() {
        let headers: [(&[u8], &[u8]); 2] = [
            (b"Nats-Msg-Id", b"f00d"),
            (b"Nats-Expected-Last-Subject-Sequence", b"42"),
        ];
        let mut whole = Vec::new();
        let reply: [&[u8]; 5] = [b"_INBOX.ab", b".", b"3", b".", b"7"];
        hpub(&mut whole, b"kraki.book.BTC_USD", &reply, &headers, b"{}").unwrap();
        let start = PublishStart::new(b"kraki.book.BTC_USD", &reply[..4]).unwrap();
        let mut out = b"PING\r\n".to_vec();
        jetstream_hpub(&mut out, &start, 7, b"f00d", Some(42), &[], b"{}").unwrap();
        assert_eq!(out[6..], whole[..]);

        // No expected sequence; more headers after the id.
        let mut whole = Vec::new();
        let more: [(&[u8], &[u8]); 1] = [(b"Kraki-Depth", b"10")];
        let headers = [(&b"Nats-Msg-Id"[..], &b"f00d"[..]), more[0]];
        hpub(&mut whole, b"kraki.book.BTC_USD", &reply, &headers, b"{}").unwrap();
        let mut out = Vec::new();
        jetstream_hpub(&mut out, &start, 7, b"f00d", None, &more, b"{}").unwrap();
        assert_eq!(out, whole);

        // The start is checked once, the rest at every publish.
        assert!(PublishStart::new(b"kraki.book.BTC USD", &[b"r."]).is_err());
        assert!(PublishStart::new(b"a", &[b"_INBOX\r\n."]).is_err());
        let mut out = Vec::new();
        for (id, more) in [
            (&b"f00d\r\nInjected: 1"[..], &[][..]),
            (b"", &[]),
            (b"f00d", &[(&b"N"[..], &b"v\nInjected: 1"[..])]),
            (b"f00d", &[(b"N: x", b"v")]),
        ] {
            assert!(jetstream_hpub(&mut out, &start, 7, id, None, more, b"").is_err());
        }
        assert!(out.is_empty());
    }

    #[test]
    fn a_line_break_is_found_in_every_chunk_and_in_the_rest() {
        for len in 0..50 {
            let clean = vec![b'a'; len];
            assert!(!any_byte(&clean, breaks_line));
            for at in 0..len {
                let mut bytes = clean.clone();
                bytes[at] = b'\n';
                assert!(any_byte(&bytes, breaks_line), "{len} {at}");
            }
        }
    }

    #[test]
    fn a_publish_without_reply_or_headers_has_the_bare_header_block() {
        let mut out = b"PING\r\n".to_vec();
        hpub(&mut out, b"a.b", &[], &[], b"").unwrap();
        assert_eq!(out, b"PING\r\nHPUB a.b 12 12\r\nNATS/1.0\r\n\r\n\r\n");
    }

    #[test]
    fn a_publish_that_would_break_the_frame_writes_nothing() {
        let mut out = Vec::new();
        for (subject, reply, header) in [
            (&b"a b"[..], &[&b"r"[..]][..], (&b"N"[..], &b"v"[..])),
            (b"", &[], (b"N", b"v")),
            (b"a", &[b"r\r\n"], (b"N", b"v")),
            (b"a", &[b"", b""], (b"N", b"v")),
            (b"a", &[], (b"N", b"v\r\nInjected: 1")),
            (b"a", &[], (b"N: x", b"v")),
            (b"a", &[], (b"", b"v")),
        ] {
            assert!(hpub(&mut out, subject, reply, &[header], b"x").is_err());
        }
        assert!(out.is_empty());
        assert_eq!(sub(&mut out, "a\r\nb", 1), Err(WireError::BadSubject));
    }

    #[test]
    fn a_connect_never_outgrows_its_room() {
        let awkward = "\u{1}\"\\\n\u{7f}é";
        for n in [0, 1, 100, 5_000] {
            let text = awkward.repeat(n);
            let c = Connect {
                name: &text,
                tls: true,
                user: Some(&text),
                pass: Some(&text),
                token: Some(&text),
                jwt: Some(&text),
                nkey: Some(&text),
                sig: Some(&text),
            };
            let mut out = Vec::with_capacity(c.room());
            connect(&mut out, &c);
            assert!(out.len() <= c.room(), "{} > {}", out.len(), c.room());
        }
    }

    #[test]
    fn connect_sub_ping_pong_are_written_byte_for_byte() {
        let mut out = Vec::new();
        connect(
            &mut out,
            &Connect {
                name: "kraki relay",
                user: Some("desk"),
                pass: Some("p\"w"),
                ..Default::default()
            },
        );
        sub(&mut out, "_INBOX.x.>", 1).unwrap();
        ping(&mut out);
        pong(&mut out);
        let expected = format!(
            "CONNECT {{\"verbose\":false,\"pedantic\":false,\"tls_required\":false,\"name\":\"kraki relay\",\
             \"lang\":\"rust\",\"version\":\"{}\",\"protocol\":1,\"headers\":true,\"no_responders\":true,\
             \"user\":\"desk\",\"pass\":\"p\\\"w\"}}\r\nSUB _INBOX.x.> 1\r\nPING\r\nPONG\r\n",
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(String::from_utf8(out).unwrap(), expected);
        let mut token = Vec::new();
        connect(
            &mut token,
            &Connect {
                name: "n",
                token: Some("t"),
                ..Default::default()
            },
        );
        let text = String::from_utf8(token).unwrap();
        assert!(
            text.ends_with(",\"auth_token\":\"t\"}\r\n") && !text.contains("user"),
            "{text}"
        );
        // NKEY and JWT authentication: the public key or the JWT, and the
        // signed nonce; TLS said.
        let mut signed = Vec::new();
        connect(
            &mut signed,
            &Connect {
                name: "n",
                tls: true,
                jwt: Some("eyJ.jwt.x"),
                sig: Some("c2ln"),
                ..Default::default()
            },
        );
        let text = String::from_utf8(signed).unwrap();
        assert!(text.contains("\"tls_required\":true"), "{text}");
        assert!(
            text.ends_with(",\"jwt\":\"eyJ.jwt.x\",\"sig\":\"c2ln\"}\r\n")
                && !text.contains("nkey"),
            "{text}"
        );
        let mut nkey = Vec::new();
        connect(
            &mut nkey,
            &Connect {
                name: "n",
                nkey: Some("UABC"),
                sig: Some("c2ln"),
                ..Default::default()
            },
        );
        let text = String::from_utf8(nkey).unwrap();
        assert!(
            text.ends_with(",\"nkey\":\"UABC\",\"sig\":\"c2ln\"}\r\n") && !text.contains("jwt"),
            "{text}"
        );
    }

    #[test]
    fn a_servers_text_is_shown_printable_and_short() {
        assert_eq!(
            printable(b"'Authorization Violation'"),
            "'Authorization Violation'"
        );
        assert_eq!(printable(b"a\x1b[2Jb\n\xff"), "a?[2Jb??");
        assert_eq!(printable(&[b'x'; 500]).len(), 200);
    }

    #[test]
    fn decimals() {
        for n in [
            0,
            7,
            9,
            10,
            42,
            99,
            100,
            999,
            1_000_000,
            10_000_001,
            u64::MAX,
        ] {
            assert_eq!(Digits::new(n).as_bytes(), n.to_string().as_bytes());
        }
    }

    #[test]
    fn server_frames_are_read_in_place() {
        assert_eq!(whole(b"PING\r\n"), (Frame::Ping, 6));
        assert_eq!(whole(b"pong\r\nPING\r\n"), (Frame::Pong, 6));
        assert_eq!(whole(b"+OK\r\n"), (Frame::Ok, 5));
        assert_eq!(
            whole(b"-ERR 'Authorization Violation'\r\n"),
            (Frame::Err(b"'Authorization Violation'"), 32)
        );
        assert_eq!(
            whole(b"INFO {\"max_payload\":1048576}\r\n"),
            (Frame::Info(b"{\"max_payload\":1048576}"), 30)
        );
        let ack = b"MSG _INBOX.x.3.7 1 27\r\n{\"stream\":\"KRAKI\",\"seq\":42}\r\nPING\r\n";
        assert_eq!(
            whole(ack),
            (
                Frame::Msg(Msg {
                    subject: b"_INBOX.x.3.7",
                    sid: 1,
                    reply: None,
                    headers: None,
                    payload: b"{\"stream\":\"KRAKI\",\"seq\":42}",
                }),
                ack.len() - 6
            )
        );
        let replied = whole(b"MSG a 2 r.1 0\r\n\r\n").0;
        assert!(matches!(
            replied,
            Frame::Msg(Msg {
                reply: Some(b"r.1"),
                payload: b"",
                ..
            })
        ));
    }

    #[test]
    fn a_no_responders_status_is_read_from_the_header_block() {
        let frame = b"HMSG _INBOX.x.3.7 1 16 16\r\nNATS/1.0 503\r\n\r\n\r\n";
        let (Frame::Msg(msg), used) = whole(frame) else {
            panic!("not a message")
        };
        assert_eq!(used, frame.len());
        assert_eq!(msg.headers, Some(&b"NATS/1.0 503\r\n\r\n"[..]));
        assert_eq!(msg.payload, b"");
        assert_eq!(msg.status(), Some(503));
        let described = b"HMSG s 1 r 32 34\r\nNATS/1.0 408 Request Timeout\r\n\r\nhi\r\n";
        let (Frame::Msg(msg), _) = whole(described) else {
            panic!("not a message")
        };
        assert_eq!(
            (msg.status(), msg.reply, msg.payload),
            (Some(408), Some(&b"r"[..]), &b"hi"[..])
        );
        let plain = b"HMSG s 1 18 20\r\nNATS/1.0\r\nA: b\r\n\r\nhi\r\n";
        let (Frame::Msg(msg), _) = whole(plain) else {
            panic!("not a message")
        };
        assert_eq!(msg.status(), None);
    }

    /// Every frame cut at every byte: no frame until the last byte, then
    /// the same frame as read whole.
    #[test]
    fn frames_split_at_every_byte_wait_for_the_rest() {
        for frame in [
            &b"PING\r\n"[..],
            b"INFO {\"a\":1}\r\n",
            b"-ERR 'x'\r\n",
            b"MSG _INBOX.x.3.7 1 27\r\n{\"stream\":\"KRAKI\",\"seq\":42}\r\n",
            b"MSG a 1 r 4\r\n\r\n\r\n\r\n",
            b"HMSG _INBOX.x.3.7 1 16 16\r\nNATS/1.0 503\r\n\r\n\r\n",
        ] {
            for cut in 0..frame.len() {
                assert_eq!(
                    parse(&frame[..cut]),
                    Ok(None),
                    "{:?} cut at {cut}",
                    frame.escape_ascii().to_string()
                );
            }
            assert_eq!(parse(frame).unwrap().unwrap().1, frame.len());
        }
    }

    #[test]
    fn hostile_input_is_a_typed_error() {
        let malformed = |op, problem| Err(WireError::Malformed { op, problem });
        let cases: &[(&[u8], Parsed<'_>)] = &[
            (
                b"HELLO\r\n",
                Err(WireError::UnknownOperation("HELLO".into())),
            ),
            (
                b"\x00\xff\r\n",
                Err(WireError::UnknownOperation("\\x00\\xff".into())),
            ),
            (b"\r\n", Err(WireError::UnknownOperation(String::new()))),
            (b"PING\n", Err(WireError::BareNewline)),
            (
                b"MSG a 1 99999999999999999999\r\n",
                malformed("MSG", "a size that is not a number"),
            ),
            (b"MSG a 1 2000000\r\n", Err(WireError::TooLarge(2_000_000))),
            (
                b"MSG a 1 -1\r\n",
                malformed("MSG", "a size that is not a number"),
            ),
            (
                b"MSG a x 1\r\n",
                malformed("MSG", "a sid that is not a number"),
            ),
            (b"MSG a 1\r\n", malformed("MSG", "wrong number of fields")),
            (b"MSG\r\n", malformed("MSG", "wrong number of fields")),
            (
                b"MSG a 1 r s 2\r\n",
                malformed("MSG", "wrong number of fields"),
            ),
            (b"MSG a 1 r s t 2\r\n", malformed("MSG", "too many fields")),
            (
                b"HMSG a 1 5 4\r\n",
                malformed("HMSG", "more header bytes than bytes"),
            ),
            (
                b"HMSG a 1 4\r\n",
                malformed("HMSG", "wrong number of fields"),
            ),
            (b"MSG a 1 2\r\nabXY", Err(WireError::MissingPayloadEnd)),
        ];
        for (input, expected) in cases {
            assert_eq!(&parse(input), expected, "{}", input.escape_ascii());
        }
        assert_eq!(
            WireError::Malformed {
                op: "MSG",
                problem: "wrong number of fields"
            }
            .to_string(),
            "malformed MSG line: wrong number of fields"
        );
    }

    /// The one-pass reading of an ack agrees with the full one on every
    /// input, whole, cut short or bent out of shape, and is the one taken
    /// for an ack as servers write it.
    #[test]
    fn a_plain_msg_is_read_as_the_full_parser_reads_it() {
        let ack = b"MSG _INBOX.x.3.7 1 27\r\n{\"stream\":\"KRAKI\",\"seq\":42}\r\n";
        assert!(plain_msg(ack).is_some());
        // As nats-server writes it: the empty reply subject's place kept.
        let served = b"MSG _INBOX.cd9893ae3f25563848589f333f979158.155.38 1  31\r\n{\"stream\":\"KRAKI\", \"seq\":12178}\r\n";
        assert!(plain_msg(served).is_some());
        let long_subject = format!("MSG {} 1 0\r\n\r\n", "s".repeat(PLAIN_SUBJECT_MAX + 1));
        let frames: Vec<Vec<u8>> = vec![
            ack.to_vec(),
            served.to_vec(),
            b"MSG a 1   2\r\nhi\r\n".to_vec(),
            b"MSG a 1 0\r\n\r\n".to_vec(),
            b"MSG a 18446744073709551615 2\r\nhi\r\n".to_vec(),
            b"MSG a 99999999999999999999 2\r\nhi\r\n".to_vec(),
            b"MSG a 1 2000000\r\n".to_vec(),
            b"MSG a 1 1048576\r\n".to_vec(),
            b"MSG a\t1 2\r\nhi\r\n".to_vec(),
            b"MSG  a 1 2\r\nhi\r\n".to_vec(),
            b"MSG a  1 2\r\nhi\r\n".to_vec(),
            b"MSG a 1 2 \r\nhi\r\n".to_vec(),
            b"MSG a 1 r 2\r\nhi\r\n".to_vec(),
            b"MSG a 1 2\nhi\r\n".to_vec(),
            b"MSG a 1 2\r\nhiX\n".to_vec(),
            b"MSG a 1 -2\r\nhi\r\n".to_vec(),
            b"MSG \x7f\xff 1 2\r\nhi\r\n".to_vec(),
            b"msg a 1 2\r\nhi\r\n".to_vec(),
            long_subject.into_bytes(),
        ];
        for frame in &frames {
            for cut in 0..=frame.len() {
                let input = &frame[..cut];
                assert_eq!(parse(input), parse_line(input), "{}", input.escape_ascii());
            }
            // Every byte replaced by a space, a tab, a digit or a line end.
            for at in 0..frame.len() {
                for b in [b' ', b'\t', b'7', b'\r', b'\n'] {
                    let mut bent = frame.clone();
                    bent[at] = b;
                    assert_eq!(parse(&bent), parse_line(&bent), "{}", bent.escape_ascii());
                }
            }
        }
    }

    #[test]
    fn the_first_blank_is_found_in_every_word_and_in_the_rest() {
        for len in 0..40 {
            for blank in [b' ', b'\t', b'\r', b'\n', 0] {
                for at in 0..len {
                    // High bytes and `!` around it: neither is blank.
                    let mut bytes: Vec<u8> = (0..len).map(|i| [b'!', 0xff, b'a'][i % 3]).collect();
                    bytes[at] = blank;
                    if at + 1 < len {
                        bytes[at + 1] = b' ';
                    }
                    assert_eq!(first_blank(&bytes), Some(at), "{}", bytes.escape_ascii());
                }
                let none: Vec<u8> = (0..len).map(|i| [b'!', 0x80, b'~'][i % 3]).collect();
                assert_eq!(first_blank(&none), None);
            }
        }
    }

    #[test]
    fn a_line_without_end_is_refused_once_longer_than_the_bound() {
        let mut long = b"INFO ".to_vec();
        long.resize(MAX_LINE, b'x');
        assert_eq!(parse(&long), Ok(None));
        long.push(b'x');
        assert_eq!(parse(&long), Err(WireError::LineTooLong));
        long.extend_from_slice(b"\r\n");
        assert_eq!(parse(&long), Err(WireError::LineTooLong));
    }
}
