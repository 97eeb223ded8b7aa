//! What the fuzz targets share.

use std::future::Future;
use std::sync::OnceLock;

/// Runs `future` on one current-thread runtime kept for the whole run:
/// building a runtime per input would cost more than most inputs.
pub fn block_on<F: Future>(future: F) -> F::Output {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a current-thread runtime")
        })
        .block_on(future)
}
