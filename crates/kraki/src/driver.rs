//! The driver: the one task that owns a socket. It moves frames between
//! the socket and the connection core ([`crate::connection`]), sleeps
//! until the core's next deadline, fetches tokens and reconnects. Every
//! decision is the core's.

use crate::command::Command;
use crate::connection::{Connection, Needs, WARM_GROUP};
use crate::error::Error;
use crate::settings::Settings;
use crate::token_source::TokenSource;
use crate::transport::Transport;
use crate::transport_error::TransportError;
use crate::websocket::{Frame, Socket};
use http::Uri;
use kraki_proto::Token;
use kraki_proto::channels::Status;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, sleep, sleep_until};

/// Buffered frames handled in one turn of the connection loop before the
/// commands and the timer are polled again.
const FRAMES_PER_TURN: usize = 32;

/// The gap between subscribes sent at once (after a reconnect), to stay
/// under Kraken's message rate.
const PACING: Duration = Duration::from_millis(5);

/// How long the timer sleeps when the core has no deadline (it has one
/// whenever connected; this only bounds the sleep).
const NO_DEADLINE: Duration = Duration::from_secs(3600);

pub(crate) struct Driver {
    url: Uri,
    transport: Transport,
    /// Authenticated connections: where each connection's token comes
    /// from.
    token_source: Option<Arc<dyn TokenSource>>,
    connect_timeout: Duration,
    commands: mpsc::UnboundedReceiver<Command>,
    core: Connection,
}

/// Why the connected loop ended.
enum Exit {
    Lost(String),
    Closed,
}

fn now() -> std::time::Instant {
    Instant::now().into_std()
}

impl Driver {
    pub(crate) fn new(
        url: Uri,
        transport: Transport,
        settings: Settings,
        commands: mpsc::UnboundedReceiver<Command>,
        status: watch::Sender<Option<Status>>,
        token_source: Option<Arc<dyn TokenSource>>,
    ) -> Self {
        let connect_timeout = settings.connect_timeout;
        let core = Connection::new(
            url.to_string(),
            settings,
            token_source.is_some(),
            status,
            now(),
        );
        Driver {
            url,
            transport,
            token_source,
            connect_timeout,
            commands,
            core,
        }
    }

    /// Makes the first connection, failing fast after the configured
    /// attempts.
    pub(crate) async fn first_connect(&mut self) -> Result<Socket, Error> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            sleep_until(self.core.next_attempt(now()).into()).await;
            match self.open().await {
                Ok((socket, token)) => {
                    self.core.handle_connected(now(), token);
                    return Ok(socket);
                }
                // Kraken refused the credentials: trying again cannot help.
                Err(e @ (Error::Rest(_) | Error::Credentials(_))) => return Err(e),
                Err(e) => {
                    tracing::debug!(url = %self.url, attempt, error = %e, "connect failed");
                    if self.core.handle_connect_failed(&e.to_string()) {
                        return Err(self.core.connect_error(e.to_string()));
                    }
                }
            }
        }
    }

    /// Fetches a token for an authenticated connection, then opens the
    /// socket.
    async fn open(&mut self) -> Result<(Socket, Option<Token>), Error> {
        let token = match &self.token_source {
            Some(source) => Some(source.token().await?),
            None => None,
        };
        // A server (or proxy) that accepts and then says nothing would
        // otherwise hold the attempt, and every later one, forever.
        let limit = self.connect_timeout;
        let socket = tokio::time::timeout(limit, self.transport.connect(&self.url))
            .await
            .map_err(|_| {
                Error::WebSocket(TransportError::Timeout {
                    peer: self.url.to_string(),
                    limit,
                })
            })?
            .map_err(Error::WebSocket)?;
        Ok((socket, token))
    }

    /// Runs until the client is closed, reconnecting for as long as it lives.
    pub(crate) async fn run(mut self, mut socket: Socket) {
        loop {
            match self.connected(&mut socket).await {
                Exit::Closed => {
                    socket.close().await;
                    return;
                }
                Exit::Lost(reason) => {
                    self.core.handle_disconnect(now(), &reason);
                    match self.reconnect().await {
                        Some(s) => socket = s,
                        None => return,
                    }
                }
            }
        }
    }

    /// The loop while a socket is up.
    async fn connected(&mut self, socket: &mut Socket) -> Exit {
        let timer = sleep(NO_DEADLINE);
        tokio::pin!(timer);
        if let Some(exit) = self.after_core(socket, timer.as_mut()).await {
            return exit;
        }
        loop {
            tokio::select! {
                // Commands and the timer first: they are rare and cheap to
                // poll, and a socket that always has frames buffered must
                // not starve them. Fixed order also spares a random draw
                // per frame.
                biased;
                command = self.commands.recv() => {
                    let Some(command) = command else { return Exit::Closed };
                    self.core.handle_command(command, now());
                    if self.core.is_closed() {
                        return Exit::Closed;
                    }
                }
                () = &mut timer => self.core.handle_timeout(now()),
                ready = socket.ready() => {
                    if let Err(e) = ready {
                        return Exit::Lost(e.to_string());
                    }
                    if let Some(exit) = self.read_turn(socket, timer.as_mut()).await {
                        return exit;
                    }
                }
            }
            if let Some(exit) = self.after_core(socket, timer.as_mut()).await {
                return exit;
            }
        }
    }

    /// Hands the frames already buffered to the core, up to
    /// FRAMES_PER_TURN: commands and the timer are polled once per turn,
    /// not once per frame. One clock read per turn: the frames of a turn
    /// arrive within microseconds, the watchdogs count seconds.
    async fn read_turn(
        &mut self,
        socket: &mut Socket,
        mut timer: std::pin::Pin<&mut tokio::time::Sleep>,
    ) -> Option<Exit> {
        let now = now();
        for n in 0..FRAMES_PER_TURN {
            if n % WARM_GROUP == 0 {
                self.core.warm(socket.buffered_texts().take(WARM_GROUP));
            }
            let frame = match socket.next_buffered() {
                Ok(Some(frame)) => frame,
                Ok(None) => break,
                Err(e) => return Some(Exit::Lost(e.to_string())),
            };
            match frame {
                Frame::Text(text) => self.core.handle_text(text, now),
                Frame::Ping => {
                    self.core.handle_other_frame(now);
                    if let Err(e) = socket.answer_ping().await {
                        return Some(Exit::Lost(e.to_string()));
                    }
                }
                Frame::Other => self.core.handle_other_frame(now),
                Frame::Close(why) => {
                    socket.close().await;
                    return Some(Exit::Lost(format!("closed by the server: {why}")));
                }
            }
            if self.core.has_output() {
                if let Some(exit) = self.after_core(socket, timer.as_mut()).await {
                    return Some(exit);
                }
            }
            // Without this the reader could run through thousands of
            // buffered frames before the tasks consuming its queues (on
            // the same worker) get a turn, and they would lag for no
            // reason.
            tokio::task::consume_budget().await;
        }
        None
    }

    /// Does what the core asked for: sends its transmits, fetches a token,
    /// gives up a lost connection, and re-arms the timer if a deadline
    /// moved.
    async fn after_core(
        &mut self,
        socket: &mut Socket,
        timer: std::pin::Pin<&mut tokio::time::Sleep>,
    ) -> Option<Exit> {
        loop {
            while let Some(transmit) = self.core.poll_transmit() {
                if transmit.paced {
                    sleep(PACING).await;
                }
                if let Err(e) = socket.send_text(&transmit.text).await {
                    return Some(Exit::Lost(e.to_string()));
                }
            }
            match self.core.poll_event() {
                Some(Needs::Token) => {
                    let token = match &self.token_source {
                        Some(source) => source.token().await,
                        None => Err(Error::Credentials(
                            "a token is needed and no credentials were given".to_owned(),
                        )),
                    };
                    self.core.handle_token(token, now());
                }
                Some(Needs::Reconnect(reason)) => return Some(Exit::Lost(reason.to_string())),
                None => break,
            }
        }
        if self.core.timer_moved() {
            let next = self
                .core
                .poll_timeout()
                .map_or_else(|| Instant::now() + NO_DEADLINE, Instant::from_std);
            timer.reset(next);
        }
        None
    }

    /// Reconnects with backoff, serving commands meanwhile. `None` when the
    /// client was closed.
    async fn reconnect(&mut self) -> Option<Socket> {
        loop {
            let at: Instant = self.core.next_attempt(now()).into();
            loop {
                tokio::select! {
                    () = sleep_until(at) => break,
                    command = self.commands.recv() => {
                        // Commands change state only until the connection
                        // is back: nothing is sent without a socket.
                        self.core.handle_command(command?, now());
                        if self.core.is_closed() {
                            return None;
                        }
                    }
                }
            }
            match self.open().await {
                Ok((socket, token)) => {
                    tracing::info!(url = %self.url, "reconnected");
                    self.core.handle_connected(now(), token);
                    return Some(socket);
                }
                Err(e) => {
                    tracing::warn!(url = %self.url, error = %e, "reconnect failed");
                    self.core.handle_connect_failed(&e.to_string());
                }
            }
        }
    }
}
