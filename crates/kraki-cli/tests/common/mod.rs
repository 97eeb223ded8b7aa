//! Helpers for tests on the real binary: a `kraki sim` child process and
//! running `kraki` with arguments.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub mod nats;
pub mod pki;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub const KRAKI: &str = env!("CARGO_BIN_EXE_kraki");

/// A running `kraki sim`, stopped with Ctrl-C (SIGINT) when dropped.
pub struct Sim {
    child: Child,
    pub lines: Vec<String>,
    /// A controlled sim's stderr, read all along so that it never fills.
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Sim {
    pub fn start() -> Sim {
        Sim::start_at(300)
    }

    /// A sim moving its markets at `rate` events a second (300 for
    /// [`Sim::start`]).
    pub fn start_at(rate: u32) -> Sim {
        Sim::spawn_at(rate, Stdio::null(), Stdio::null(), &[], &[])
    }

    /// A sim whose standard input and error the test holds (the child's
    /// `stdin` and `stderr`), started with `extra` arguments.
    pub fn start_controlled(extra: &[&str]) -> Sim {
        Sim::spawn(Stdio::piped(), Stdio::piped(), extra, &[])
    }

    /// `start_controlled` with extra environment variables (the sim's own
    /// credential variables are cleared first).
    pub fn start_controlled_with_env(extra: &[&str], env: &[(&str, &str)]) -> Sim {
        Sim::spawn(Stdio::piped(), Stdio::piped(), extra, env)
    }

    fn spawn(stdin: Stdio, stderr: Stdio, extra: &[&str], env: &[(&str, &str)]) -> Sim {
        Sim::spawn_at(300, stdin, stderr, extra, env)
    }

    fn spawn_at(
        rate: u32,
        stdin: Stdio,
        stderr: Stdio,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Sim {
        let mut child = Command::new(KRAKI)
            .args(["sim", "--port", "0", "--rate", &rate.to_string()])
            .args(extra)
            .env_remove("KRAKI_SIM_API_KEY")
            .env_remove("KRAKI_SIM_API_SECRET")
            .envs(env.iter().copied())
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut lines = Vec::new();
        for _ in 0..5 {
            let mut line = String::new();
            out.read_line(&mut line).unwrap();
            lines.push(line.trim_end().to_owned());
        }
        let stderr = child.stderr.take().map(|mut err| {
            std::thread::spawn(move || {
                use std::io::Read;
                let mut text = String::new();
                let _ = err.read_to_string(&mut text);
                text
            })
        });
        Sim {
            child,
            lines,
            stderr,
        }
    }

    pub fn public_url(&self) -> &str {
        self.lines[0].strip_prefix("public ").unwrap()
    }

    pub fn private_url(&self) -> &str {
        self.lines[1].strip_prefix("private ").unwrap()
    }

    pub fn level3_url(&self) -> &str {
        self.lines[2].strip_prefix("level3 ").unwrap()
    }

    pub fn rest_url(&self) -> &str {
        self.lines[3].strip_prefix("rest ").unwrap()
    }

    /// Sends one command line to a controlled sim.
    pub fn command(&mut self, line: &str) {
        use std::io::Write;
        let stdin = self.child.stdin.as_mut().expect("a controlled sim");
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    /// Stops a controlled sim with Ctrl-C; returns its exit status and
    /// everything it wrote on stderr.
    pub fn interrupt_and_read_stderr(&mut self) -> (std::process::ExitStatus, String) {
        let status = self.interrupt();
        let stderr = self.stderr.take().expect("a controlled sim");
        (status, stderr.join().unwrap())
    }

    pub fn interrupt(&mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

pub fn run(args: &[&str]) -> (i32, String, String) {
    run_with_env(args, &[])
}

/// `run` with extra environment variables (the API credentials and proxy
/// settings are cleared first, so tests never pick up a developer's).
pub fn run_with_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = Command::new(KRAKI);
    command.args(args);
    for name in [
        "KRAKEN_API_KEY",
        "KRAKEN_API_SECRET",
        "KRAKEN_REST_API_KEY",
        "KRAKEN_REST_API_PRIVATE_KEY",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    let out = command.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// A running `kraki replay FILE --speed 0`, killed when dropped.
pub struct Replay {
    child: Child,
    pub url: String,
}

impl Replay {
    pub fn start(file: &str) -> Replay {
        let mut child = Command::new(KRAKI)
            .args(["replay", file, "--port", "0", "--speed", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        let mut ready = String::new();
        out.read_line(&mut ready).unwrap();
        assert_eq!(ready.trim_end(), "ready");
        let url = first.trim_end().strip_prefix("public ").unwrap().to_owned();
        Replay { child, url }
    }
}

impl Drop for Replay {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
