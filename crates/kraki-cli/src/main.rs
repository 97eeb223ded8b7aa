//! The `kraki` command.

mod commands;
mod lines;
mod logging;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Tools for Kraken's WebSocket API v2.
#[derive(Parser)]
#[command(name = "kraki", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode frames (one per line) and print each one's kind or typed JSON.
    Decode(commands::decode::Args),
    /// Run the local Kraken simulator (public, private, level3 and REST on one port).
    Sim(commands::sim::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Decode(args) => commands::decode::run(&args),
        Command::Sim(args) => commands::sim::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("kraki: {err:#}");
            ExitCode::from(2)
        }
    }
}
