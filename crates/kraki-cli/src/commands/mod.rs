//! One module per subcommand.

pub(crate) mod auth_args;
pub(crate) mod book;
pub(crate) mod candles;
pub(crate) mod channel_args;
pub(crate) mod check;
pub(crate) mod decode;
pub(crate) mod demo;
pub(crate) mod history;
pub(crate) mod nats_args;
pub(crate) mod order;
pub(crate) mod private_stream;
pub(crate) mod record;
pub(crate) mod relay;
pub(crate) mod relay_metrics;
pub(crate) mod replay;
pub(crate) mod sim;
pub(crate) mod sim_control;
pub(crate) mod stream;
pub(crate) mod verify;
