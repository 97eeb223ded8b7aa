//! A request body read whole under a size cap.
//!
//! hyper decodes `Content-Length` and chunked bodies (chunk sizes with
//! checked arithmetic, extensions and trailers capped); this adds the
//! simulator's own cap, checked from `Content-Length` before a byte of the
//! body is read, and while a chunked body arrives.

use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Body;

/// Largest request body accepted; the token request's is a few dozen
/// bytes.
pub(crate) const MAX_BODY: usize = 64 << 10;

/// Why a body was not read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyError {
    /// Longer than [`MAX_BODY`], announced or seen.
    #[error("request body larger than {MAX_BODY} bytes")]
    TooLarge,
    /// Not a valid body (e.g. a chunk size that is not a number), or the
    /// connection failed under it.
    #[error("malformed request body: {0}")]
    Malformed(String),
}

impl BodyError {
    /// The status the client is answered with.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            BodyError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::Malformed(_) => StatusCode::BAD_REQUEST,
        }
    }
}

/// Reads the whole body, at most [`MAX_BODY`] bytes.
///
/// # Errors
/// [`BodyError::TooLarge`] before reading when the announced length is
/// over the cap, or as soon as the bytes received pass it;
/// [`BodyError::Malformed`] when the body cannot be decoded.
pub(crate) async fn read<B>(body: B) -> Result<Bytes, BodyError>
where
    B: Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    // A `Content-Length` body's hint is exact; a chunked one's is 0.
    if body.size_hint().lower() > MAX_BODY as u64 {
        return Err(BodyError::TooLarge);
    }
    match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(BodyError::TooLarge),
        Err(e) => Err(BodyError::Malformed(with_causes(&*e))),
    }
}

/// The error and its causes, `outer: inner`: hyper's own message ("error
/// reading a body from connection") says where, its cause says what.
fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{Full, StreamBody};
    use hyper::body::Frame;

    #[tokio::test]
    async fn bodies_within_and_over_the_cap() {
        let ok = read(Full::new(Bytes::from_static(b"nonce=1"))).await;
        assert_eq!(ok.ok(), Some(Bytes::from_static(b"nonce=1")));
        let big = read(Full::new(Bytes::from(vec![0u8; MAX_BODY + 1]))).await;
        assert!(matches!(big, Err(BodyError::TooLarge)));
        // No announced length: cut once the bytes pass the cap.
        let chunks =
            (0..100).map(|_| Ok::<_, std::io::Error>(Frame::data(Bytes::from(vec![0u8; 1024]))));
        let streamed = read(StreamBody::new(futures_util::stream::iter(chunks))).await;
        assert_eq!(
            streamed.err().map(|e| e.to_string()),
            Some(String::from("request body larger than 65536 bytes"))
        );
    }
}
