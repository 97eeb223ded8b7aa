//! Parameters and results of every trading method.

mod add_order;
mod amend_order;
mod batch_add;
mod batch_cancel;
mod cancel_after;
mod cancel_all;
mod cancel_order;
mod edit_order;

pub use add_order::*;
pub use amend_order::*;
pub use batch_add::*;
pub use batch_cancel::*;
pub use cancel_after::*;
pub use cancel_all::*;
pub use cancel_order::*;
pub use edit_order::*;
