//! One module per subcommand.

pub(crate) mod decode;
pub(crate) mod sim;
