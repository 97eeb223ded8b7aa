//! `kraki sim [--port P] [--seed S] [--rate R] [--api-key K --api-secret S]
//! [--faults SPEC]`, controlled at runtime by commands on standard input
//! (see [`super::sim_control`]).
//!
//! The key and secret come from `KRAKI_SIM_API_KEY` / `KRAKI_SIM_API_SECRET`
//! or the flags; a secret on the command line is warned about, as every
//! user of the machine can read a process's arguments.
//!
//! Without a key, the REST token endpoint accepts the demo account:
//! key `kraki-demo-key`, secret
//! `a3Jha2ktc2ltIGRlbW8gc2VjcmV0OiBmb3Igb2ZmbGluZSB0ZXN0aW5nIG9ubHksIG5ldmVyIGEgcmVhbCBrZXku`
//! (`kraki_sim::DEMO_API_KEY` / `kraki_sim::DEMO_API_SECRET`).

use super::sim_control;
use kraki_sim::{Credentials, DEMO_API_KEY, FaultPlan, Simulator};
use std::io::BufRead;
use std::process::ExitCode;

/// Arguments of `kraki sim`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Seed of the markets: the same seed gives the same market.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Market events per second across all pairs.
    #[arg(long, default_value_t = 40.0)]
    rate: f64,
    /// Serve this many synthetic pairs (SYN000/USD, …) besides the six,
    /// with different precisions and activity.
    #[arg(long, default_value_t = 0)]
    pairs: usize,
    /// API key the REST token endpoint accepts. Default: the demo key
    /// `kraki-demo-key`, with the demo secret
    /// `a3Jha2ktc2ltIGRlbW8gc2VjcmV0OiBmb3Igb2ZmbGluZSB0ZXN0aW5nIG9ubHksIG5ldmVyIGEgcmVhbCBrZXku`.
    #[arg(
        long,
        env = "KRAKI_SIM_API_KEY",
        hide_env_values = true,
        requires = "api_secret"
    )]
    api_key: Option<String>,
    /// Base64 API secret that signs requests for --api-key. Prefer the
    /// environment variable: a command line is visible to every user of
    /// the machine.
    #[arg(
        long,
        env = "KRAKI_SIM_API_SECRET",
        hide_env_values = true,
        requires = "api_key"
    )]
    api_secret: Option<String>,
    /// Faults every connection follows from the start, e.g.
    /// "close-after=100 delay-acks=300" (also drop-acks,
    /// reject-subscriptions). At runtime, type `help` on standard input
    /// for the commands (cut, stall, status maintenance, trade, …).
    #[arg(long)]
    faults: Option<String>,
}

/// Prints the four endpoint lines, then `ready`, and serves until Ctrl-C.
pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    if !(args.rate > 0.0 && args.rate.is_finite()) {
        anyhow::bail!("--rate must be a positive number of events per second");
    }
    let faults = match &args.faults {
        Some(spec) => {
            let words: Vec<&str> = spec.split_whitespace().collect();
            sim_control::fault_plan(&words).map_err(|e| anyhow::anyhow!("--faults: {e}"))?
        }
        None => FaultPlan::new(),
    };
    if secret_on_command_line(std::env::args_os()) {
        eprintln!(
            "kraki sim: warning: --api-secret on the command line is visible to every user of this machine (ps, /proc); set KRAKI_SIM_API_SECRET instead"
        );
    }
    crate::logging::init();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let mut sim = Simulator::builder()
            .port(args.port)
            .seed(args.seed)
            .rate(args.rate)
            .faults(faults);
        if args.pairs > 0 {
            let mut markets = kraki_sim::default_markets();
            let mut activity = vec![kraki_sim::DEFAULT_ACTIVITY; markets.len()];
            markets.extend(kraki_sim::synthetic_markets(args.pairs));
            activity.extend((0..args.pairs).map(kraki_sim::synthetic_activity));
            sim = sim.markets(markets).activity(activity);
        }
        if let (Some(key), Some(secret)) = (&args.api_key, &args.api_secret) {
            // The key may be logged, the secret never.
            tracing::info!(api_key = %key, "REST accepts the given credentials");
            sim = sim.credentials(Credentials {
                api_key: key.clone(),
                api_secret: secret.clone(),
            });
        } else {
            tracing::info!(
                api_key = DEMO_API_KEY,
                "REST accepts the demo credentials (see kraki sim --help)"
            );
        }
        let handle = sim.spawn().await?;
        // Register for Ctrl-C before announcing `ready`: a script that
        // sends SIGINT right after reading `ready` must stop us cleanly.
        let interrupted = crate::interrupt::interrupt_signal()?;
        println!("public {}", handle.public_url());
        println!("private {}", handle.private_url());
        println!("level3 {}", handle.level3_url());
        println!("rest {}", handle.rest_url());
        println!("ready");
        let mut commands = stdin_lines();
        let mut line_number = 0u64;
        tokio::pin!(interrupted);
        loop {
            tokio::select! {
                () = &mut interrupted => break,
                Some(line) = commands.recv() => {
                    line_number += 1;
                    let answer = match sim_control::parse(&line) {
                        Ok(None) => continue,
                        Ok(Some(control)) => sim_control::apply(&handle, control).await,
                        Err(e) => Err(e),
                    };
                    match answer {
                        Ok(done) => eprintln!("kraki sim: {done}"),
                        Err(e) => eprintln!("kraki sim: line {line_number}: {e}"),
                    }
                }
            }
        }
        tracing::info!("stopping");
        handle.shutdown().await;
        Ok(ExitCode::SUCCESS)
    })
}

/// Whether the secret was given as an argument rather than through the
/// environment (which only the same user can read).
fn secret_on_command_line(args: impl IntoIterator<Item = std::ffi::OsString>) -> bool {
    args.into_iter().any(|a| {
        let a = a.to_string_lossy();
        a == "--api-secret" || a.starts_with("--api-secret=")
    })
}

/// Standard input's lines, read on a thread of their own: a blocking read
/// there never holds up the runtime or the exit. The channel closes at the
/// end of input (or on a read error), and the simulator goes on serving.
fn stdin_lines() -> tokio::sync::mpsc::UnboundedReceiver<String> {
    let (lines, receiver) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Args as _;

    /// The help names the demo credentials the library really accepts.
    #[test]
    fn help_documents_the_demo_credentials() {
        let help = Args::augment_args(clap::Command::new("sim"))
            .render_long_help()
            .to_string();
        assert!(help.contains(DEMO_API_KEY), "{help}");
        assert!(help.contains(kraki_sim::DEMO_API_SECRET), "{help}");
        assert!(help.contains("[env: KRAKI_SIM_API_SECRET]"), "{help}");
    }

    #[test]
    fn a_secret_in_argv_is_noticed() {
        let args = |list: &[&str]| {
            list.iter()
                .map(std::ffi::OsString::from)
                .collect::<Vec<_>>()
        };
        assert!(secret_on_command_line(args(&[
            "kraki",
            "sim",
            "--api-secret",
            "c2VjcmV0"
        ])));
        assert!(secret_on_command_line(args(&[
            "kraki",
            "sim",
            "--api-secret=c2VjcmV0"
        ])));
        assert!(!secret_on_command_line(args(&[
            "kraki",
            "sim",
            "--api-key",
            "k"
        ])));
    }
}
