//! The open WebSocket connections and how faults reach them: every
//! connection registers a control channel here, so a fault can target one
//! connection, all of them, or the next ones to open.

use crate::fault_plan::FaultPlan;
use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use tokio::sync::{mpsc, oneshot};

/// A fault for one connection, acted on by its task.
#[derive(Debug, Clone)]
pub(crate) enum Control {
    /// Close with a close frame.
    Close,
    /// Drop the TCP connection without a close frame.
    Cut,
    /// Send nothing more, keep the socket open.
    Stall,
    /// Send one text frame that is not JSON.
    Garbage,
    /// Follow this plan from now on.
    Plan(FaultPlan),
}

/// One open WebSocket connection, to fault it alone. Cloning gives another
/// handle to the same connection. Every method returns false once the
/// connection has ended.
#[derive(Debug, Clone)]
pub struct Connection {
    id: u64,
    path: &'static str,
    control: mpsc::UnboundedSender<Control>,
}

impl Connection {
    /// The id the connection's `status` message carries as `connection_id`
    /// (the authenticated endpoints send it only with
    /// [`crate::Simulator::status_on_private`]).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The endpoint it connected to: `/v2`, `/auth/v2` or `/l3/v2`.
    pub fn path(&self) -> &str {
        self.path
    }

    /// Whether the connection is still open.
    pub fn is_open(&self) -> bool {
        !self.control.is_closed()
    }

    /// Fault: closes this connection with a close frame.
    pub fn close(&self) -> bool {
        self.send(Control::Close)
    }

    /// Fault: drops this connection without a close frame, as a network
    /// failure would.
    pub fn cut(&self) -> bool {
        self.send(Control::Cut)
    }

    /// Fault: this connection sends nothing more (no data, no heartbeats, no
    /// acks) while staying open, until the client gives up on it.
    pub fn stall(&self) -> bool {
        self.send(Control::Stall)
    }

    /// Fault: this connection sends one text frame that is not JSON.
    pub fn send_garbage(&self) -> bool {
        self.send(Control::Garbage)
    }

    /// This connection follows `plan` from now on, in place of the one it
    /// had; [`FaultPlan::default`] clears its lasting faults.
    pub fn set_faults(&self, plan: FaultPlan) -> bool {
        self.send(Control::Plan(plan))
    }

    fn send(&self, control: Control) -> bool {
        self.control.send(control).is_ok()
    }
}

/// Every open connection, the plan new ones start with, and who waits for
/// the next one.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// The plan of every new connection.
    plan: FaultPlan,
    /// Plans for the next connections to open, first in line first.
    queued: VecDeque<FaultPlan>,
    /// Open connections, oldest first.
    open: Vec<Connection>,
    /// Callers of `SimHandle::next_connection`.
    waiters: Vec<oneshot::Sender<Connection>>,
}

/// What a connection gets when it registers.
pub(crate) struct Registered {
    pub(crate) plan: FaultPlan,
    pub(crate) control: mpsc::UnboundedReceiver<Control>,
    /// Removes the connection from the registry when dropped, however the
    /// connection task ends.
    pub(crate) _guard: Deregister,
}

pub(crate) struct Deregister {
    registry: std::sync::Arc<Registry>,
    id: u64,
}

impl Drop for Deregister {
    fn drop(&mut self) {
        self.registry.lock().open.retain(|c| c.id != self.id);
    }
}

impl Registry {
    pub(crate) fn new(plan: FaultPlan) -> Registry {
        Registry {
            inner: Mutex::new(Inner {
                plan,
                ..Inner::default()
            }),
        }
    }

    // A panic while the lock was held leaves plain data that is still
    // consistent, so a poisoned lock is used as it is.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds a connection that is about to send its first frame.
    pub(crate) fn register(self: &std::sync::Arc<Self>, id: u64, path: &'static str) -> Registered {
        let (tx, control) = mpsc::unbounded_channel();
        let connection = Connection {
            id,
            path,
            control: tx,
        };
        let mut inner = self.lock();
        let plan = match inner.queued.pop_front() {
            Some(plan) => plan,
            None => inner.plan.clone(),
        };
        for waiter in inner.waiters.drain(..) {
            let _ = waiter.send(connection.clone());
        }
        inner.open.push(connection);
        Registered {
            plan,
            control,
            _guard: Deregister {
                registry: self.clone(),
                id,
            },
        }
    }

    /// The open connections, oldest first.
    pub(crate) fn open(&self) -> Vec<Connection> {
        self.lock().open.clone()
    }

    /// Sends `control` to every open connection.
    pub(crate) fn broadcast(&self, control: &Control) {
        for connection in &self.lock().open {
            connection.send(control.clone());
        }
    }

    /// New connections start with `plan`, and every open one follows it.
    pub(crate) fn set_plan(&self, plan: FaultPlan) {
        let mut inner = self.lock();
        inner.plan = plan.clone();
        for connection in &inner.open {
            connection.send(Control::Plan(plan.clone()));
        }
    }

    /// The next connection to open that finds no earlier queued plan
    /// starts with `plan`.
    pub(crate) fn queue_plan(&self, plan: FaultPlan) {
        self.lock().queued.push_back(plan);
    }

    /// Resolves with the next connection to register.
    pub(crate) fn next(&self) -> oneshot::Receiver<Connection> {
        let (tx, rx) = oneshot::channel();
        let mut inner = self.lock();
        inner.waiters.retain(|w| !w.is_closed());
        inner.waiters.push(tx);
        rx
    }
}
