//! `kraki balances [--count N]` and `kraki executions [--count N]`: one
//! line per message of a private channel (JSON lines with `--json`), until
//! `--count` data messages or Ctrl-C.

use crate::commands::auth_args::AuthArgs;
use crate::commands::stream::print;
use kraki::{Balances, Executions};
use std::process::ExitCode;

/// Arguments of `kraki balances`.
#[derive(clap::Args)]
pub(crate) struct BalancesArgs {
    /// Stop after this many messages (1: the snapshot only).
    #[arg(long)]
    count: Option<u64>,
    #[command(flatten)]
    auth: AuthArgs,
}

/// Arguments of `kraki executions`.
#[derive(clap::Args)]
pub(crate) struct ExecutionsArgs {
    /// Stop after this many messages (1: the snapshot only).
    #[arg(long)]
    count: Option<u64>,
    /// Include the last 50 fills in the snapshot.
    #[arg(long)]
    snap_trades: bool,
    #[command(flatten)]
    auth: AuthArgs,
}

pub(crate) fn balances(args: &BalancesArgs) -> anyhow::Result<ExitCode> {
    crate::logging::init();
    tokio::runtime::Runtime::new()?.block_on(async {
        let client = args.auth.connect().await?;
        print(
            &client,
            Balances::new(),
            "balances",
            args.auth.json,
            args.count,
        )
        .await
    })
}

pub(crate) fn executions(args: &ExecutionsArgs) -> anyhow::Result<ExitCode> {
    crate::logging::init();
    tokio::runtime::Runtime::new()?.block_on(async {
        let client = args.auth.connect().await?;
        let spec = Executions::new().snap_trades(args.snap_trades);
        print(&client, spec, "executions", args.auth.json, args.count).await
    })
}
