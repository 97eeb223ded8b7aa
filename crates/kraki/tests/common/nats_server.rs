//! A real `nats-server -js` for the tests of the `nats` feature, on a
//! free loopback port with its own store, killed (and the store removed)
//! when dropped.

#![allow(clippy::panic)]

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) struct NatsServer {
    child: Child,
    port: u16,
    dir: PathBuf,
    /// Its configuration file, in `dir`.
    file: PathBuf,
}

impl NatsServer {
    /// Starts one; `None` (and a message) when nats-server is missing
    /// and KRAKI_SKIP_NATS=1 asks to skip. Missing otherwise fails the
    /// test, as in the CLI's relay tests.
    pub(crate) fn start() -> Option<NatsServer> {
        NatsServer::start_configured("")
    }

    /// Starts one with `config` (nats-server's configuration syntax:
    /// `tls { … }`, `authorization { … }`) added to the port and the
    /// JetStream store, which it writes to a file of its own directory.
    pub(crate) fn start_configured(config: &str) -> Option<NatsServer> {
        if !nats_server_found() {
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir =
            std::env::temp_dir().join(format!("kraki-nats-lib-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("nats.conf");
        std::fs::write(
            &file,
            format!(
                "listen: \"127.0.0.1:{port}\"\njetstream {{ store_dir: {:?} }}\n{config}\n",
                dir.join("store")
            ),
        )
        .unwrap();
        let child = spawn(&file, &dir);
        let server = NatsServer {
            child,
            port,
            dir,
            file,
        };
        server.wait_listening();
        Some(server)
    }

    /// Kills the server (as a crash would) and starts it again on the
    /// same port, configuration and store.
    pub(crate) fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn(&self.file, &self.dir);
        self.wait_listening();
    }

    fn wait_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if Instant::now() > deadline {
                let said = std::fs::read_to_string(self.dir.join("nats.log")).unwrap_or_default();
                panic!("nats-server did not listen within 10 s:\n{said}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    pub(crate) fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

/// nats-server on the configuration `file`, its log in `dir`, for the
/// message of a server that does not start (a configuration it
/// refuses).
fn spawn(file: &Path, dir: &Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("nats.log"))
        .unwrap();
    Command::new("nats-server")
        .arg("-c")
        .arg(file)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

/// Whether nats-server is installed; `false` (and a message) only when
/// KRAKI_SKIP_NATS=1 asks to skip, a failed test otherwise, as in the
/// CLI's relay tests.
fn nats_server_found() -> bool {
    let found = Command::new("nats-server")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        if std::env::var("KRAKI_SKIP_NATS").as_deref() == Ok("1") {
            eprintln!("SKIPPED: nats-server not found and KRAKI_SKIP_NATS=1");
            return false;
        }
        panic!(
            "nats-server not found: install it with `apt-get install -y nats-server` \
             (or set KRAKI_SKIP_NATS=1 to skip the NATS tests)"
        );
    }
    true
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
