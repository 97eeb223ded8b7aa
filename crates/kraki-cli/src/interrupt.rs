//! The signals that stop a long-running command: Ctrl-C, and the SIGTERM
//! a service manager or `docker stop` sends, both answered with the same
//! orderly shutdown.

/// A future that completes on Ctrl-C (SIGINT) or SIGTERM, with the signal
/// handlers already installed when this returns.
#[cfg(unix)]
pub(crate) fn interrupt_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// A future that completes on Ctrl-C.
#[cfg(not(unix))]
pub(crate) fn interrupt_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
