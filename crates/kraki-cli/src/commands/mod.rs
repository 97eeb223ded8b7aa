//! One module per subcommand.

pub(crate) mod book;
pub(crate) mod decode;
pub(crate) mod demo;
pub(crate) mod record;
pub(crate) mod replay;
pub(crate) mod sim;
pub(crate) mod stream;
pub(crate) mod verify;
