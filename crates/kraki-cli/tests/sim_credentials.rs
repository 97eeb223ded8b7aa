//! `kraki sim`'s API credentials: from the environment, and a warning
//! when the secret is on the command line, where every user of the
//! machine can read it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Sim, run_with_env};

/// Not the demo secret: any base64 will do.
const SECRET: &str = "c2ltIHNlY3JldCBmcm9tIHRoZSBlbnZpcm9ubWVudA==";

fn balances(sim: &Sim, key: &str, secret: &str) -> (i32, String) {
    let (code, out, err) = run_with_env(
        &[
            "balances",
            "--count",
            "1",
            "--url",
            sim.private_url(),
            "--rest-url",
            sim.rest_url(),
        ],
        &[("KRAKEN_API_KEY", key), ("KRAKEN_API_SECRET", secret)],
    );
    (code, format!("{out}{err}"))
}

#[test]
fn credentials_come_from_the_environment_without_a_warning() {
    let mut sim = Sim::start_controlled_with_env(
        &[],
        &[
            ("KRAKI_SIM_API_KEY", "env-key"),
            ("KRAKI_SIM_API_SECRET", SECRET),
        ],
    );
    let (code, text) = balances(&sim, "env-key", SECRET);
    assert_eq!(code, 0, "{text}");
    let (code, text) = balances(&sim, kraki_sim::DEMO_API_KEY, kraki_sim::DEMO_API_SECRET);
    assert_ne!(code, 0, "{text}");
    let (_, stderr) = sim.interrupt_and_read_stderr();
    assert!(!stderr.contains("warning"), "{stderr}");
    assert!(!stderr.contains(SECRET), "{stderr}");
}

#[test]
fn a_secret_on_the_command_line_is_warned_about() {
    let mut sim = Sim::start_controlled(&["--api-key", "argv-key", "--api-secret", SECRET]);
    let (code, text) = balances(&sim, "argv-key", SECRET);
    assert_eq!(code, 0, "{text}");
    let (_, stderr) = sim.interrupt_and_read_stderr();
    assert!(
        stderr.contains(
            "kraki sim: warning: --api-secret on the command line is visible to every user of this machine (ps, /proc); set KRAKI_SIM_API_SECRET instead"
        ),
        "{stderr}"
    );
}
