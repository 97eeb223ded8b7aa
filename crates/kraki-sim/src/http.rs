//! One port, served by hyper, for both the REST endpoints and the
//! WebSocket upgrades, with explicit limits.
//!
//! hyper (`server::conn::http1`) reads the heads and bodies: the code the
//! ecosystem runs and fuzzes, rather than a reader of our own. The limits
//! are the simulator's: a head of at most [`MAX_HEAD`] bytes and
//! [`MAX_HEADERS`] fields (431 beyond), a body of at most
//! [`request_body::MAX_BODY`] (413), the head within the request timeout
//! (hyper closes the connection otherwise, and that also ends an idle
//! keep-alive connection) and then the body and the answer within it
//! again (408). A WebSocket request is answered with `101` here and then
//! served past hyper ([`handshake::serve`]), in the same task, so the
//! connection's slot and the shutdown of the simulator cover it.

use crate::endpoint::Endpoint;
use crate::handshake;
use crate::request_body;
use crate::rest;
use crate::shared::Shared;
use crate::socket::SimSocket;
use bytes::Bytes;
use http::header::{CONNECTION, CONTENT_TYPE};
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::json;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::OwnedSemaphorePermit;

/// Longest request head accepted (request line and headers); Kraken's
/// edge answers 431 beyond about this size too.
pub(crate) const MAX_HEAD: usize = 16 << 10;
/// Most header fields accepted in a request head.
pub(crate) const MAX_HEADERS: usize = 64;
/// hyper's read buffer: it holds the largest head (16 KiB, plus what
/// follows it in the same read) and bounds what one connection buffers.
const READ_BUFFER: usize = 64 << 10;

/// The upgrade a request asked for, taken by the connection task once
/// hyper is done with the socket.
type PendingUpgrade = Arc<Mutex<Option<(OnUpgrade, Endpoint)>>>;

/// Serves one accepted connection until it closes: HTTP requests, then,
/// after an upgrade, the WebSocket. `permit` is its slot under the
/// connection cap, held until the socket is dropped.
pub(crate) async fn serve<S>(
    stream: S,
    permit: Option<OwnedSemaphorePermit>,
    shared: Arc<Shared>,
    id: u64,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let socket = TokioIo::new(SimSocket::new(stream, permit));
    let pending: PendingUpgrade = Arc::default();
    let service = {
        let (shared, pending) = (shared.clone(), pending.clone());
        service_fn(move |request| {
            let (shared, pending) = (shared.clone(), pending.clone());
            async move { Ok::<_, Infallible>(respond(request, &shared, &pending).await) }
        })
    };
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(shared.request_timeout)
        .max_buf_size(READ_BUFFER)
        .max_header_size(MAX_HEAD)
        .max_headers(MAX_HEADERS)
        .serve_connection(socket, service)
        .with_upgrades();
    if let Err(e) = connection.await {
        tracing::debug!(error = %e, "HTTP connection ended");
    }
    let upgrade = pending
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    if let Some((upgrade, endpoint)) = upgrade {
        handshake::serve::<S>(upgrade, shared, endpoint, id).await;
    }
}

/// The answer to one request: a WebSocket handshake, or REST within the
/// request timeout.
async fn respond(
    mut request: Request<Incoming>,
    shared: &Shared,
    pending: &PendingUpgrade,
) -> Response<Full<Bytes>> {
    if handshake::wants_websocket(request.headers()) {
        return match handshake::accept(&request) {
            Ok((endpoint, response)) => {
                let upgrade = hyper::upgrade::on(&mut request);
                *pending.lock().unwrap_or_else(PoisonError::into_inner) = Some((upgrade, endpoint));
                response
            }
            Err((status, why)) => closing(status, "text/plain", why),
        };
    }
    let timeout = shared.request_timeout;
    match tokio::time::timeout(timeout, answer_rest(request, shared)).await {
        Ok(response) => response,
        Err(_) => error(
            StatusCode::REQUEST_TIMEOUT,
            &format!("request not complete within {timeout:?}"),
        ),
    }
}

async fn answer_rest(request: Request<Incoming>, shared: &Shared) -> Response<Full<Bytes>> {
    let (head, body) = request.into_parts();
    match request_body::read(body).await {
        Ok(body) => {
            let (status, answer) = rest::answer(&head, &body, shared).await;
            let mut response = Response::new(Full::new(Bytes::from(answer.to_string())));
            *response.status_mut() = status;
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        Err(e) => error(e.status(), &e.to_string()),
    }
}

/// A REST error in Kraken's envelope, after which the connection closes:
/// the request's bytes may not all have been read, so the stream is out of
/// step with the requests.
fn error(status: StatusCode, why: &str) -> Response<Full<Bytes>> {
    let body = json!({ "error": [format!("EGeneral:Invalid arguments:{why}")] });
    closing(status, "application/json", body.to_string())
}

fn closing(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CONNECTION, HeaderValue::from_static("close"));
    response
}
