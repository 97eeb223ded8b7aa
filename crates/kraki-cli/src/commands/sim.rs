//! `kraki sim [--port P] [--seed S] [--rate R] [--api-key K --api-secret S]`.

use kraki_sim::{Credentials, Simulator};
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
    /// API key the REST token endpoint accepts (default: the demo key).
    #[arg(long, requires = "api_secret")]
    api_key: Option<String>,
    /// Base64 API secret (default: the demo secret).
    #[arg(long, requires = "api_key")]
    api_secret: Option<String>,
}

/// Prints the four endpoint lines, then `ready`, and serves until Ctrl-C.
pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    if !(args.rate > 0.0 && args.rate.is_finite()) {
        anyhow::bail!("--rate must be a positive number of events per second");
    }
    crate::logging::init();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let mut sim = Simulator::builder()
            .port(args.port)
            .seed(args.seed)
            .rate(args.rate);
        if let (Some(key), Some(secret)) = (&args.api_key, &args.api_secret) {
            sim = sim.credentials(Credentials {
                api_key: key.clone(),
                api_secret: secret.clone(),
            });
        }
        let handle = sim.spawn().await?;
        println!("public {}", handle.public_url());
        println!("private {}", handle.private_url());
        println!("level3 {}", handle.level3_url());
        println!("rest {}", handle.rest_url());
        println!("ready");
        tokio::signal::ctrl_c().await?;
        tracing::info!("stopping");
        handle.shutdown().await;
        Ok(ExitCode::SUCCESS)
    })
}
