//! A real `nats-server -js` for the tests of the `nats` feature, on a
//! free loopback port with its own store, killed (and the store removed)
//! when dropped.

#![allow(clippy::panic)]

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) struct NatsServer {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl NatsServer {
    /// Starts one; `None` (and a message) when nats-server is missing
    /// and KRAKI_SKIP_NATS=1 asks to skip. Missing otherwise fails the
    /// test, as in the CLI's relay tests.
    pub(crate) fn start() -> Option<NatsServer> {
        let found = Command::new("nats-server")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            if std::env::var("KRAKI_SKIP_NATS").as_deref() == Ok("1") {
                eprintln!("SKIPPED: nats-server not found and KRAKI_SKIP_NATS=1");
                return None;
            }
            panic!(
                "nats-server not found: install it with `apt-get install -y nats-server` \
                 (or set KRAKI_SKIP_NATS=1 to skip the NATS tests)"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir =
            std::env::temp_dir().join(format!("kraki-nats-lib-{}-{port}", std::process::id()));
        let child = Command::new("nats-server")
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = NatsServer { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nats-server did not listen within 10 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(server)
    }

    pub(crate) fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
