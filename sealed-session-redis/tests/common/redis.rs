//! Real `redis-server` / `redis-sentinel` processes for one test (or
//! bench): started on 127.0.0.1 on free ports, each in its own temporary
//! directory, killed when the guard drops. Panics with an install hint when
//! Debian's binaries are missing: no test skips silently.
#![allow(dead_code)] // each user takes what it needs

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Where Debian's package puts it (`apt-get install redis-server`).
pub const REDIS_SERVER: &str = "/usr/bin/redis-server";
/// Debian's `redis-sentinel` package.
pub const REDIS_SENTINEL: &str = "/usr/bin/redis-sentinel";

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// A fresh temporary directory (removed by [`RedisServer`]'s drop).
pub fn temp_dir(what: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "sealed-session-redis-{what}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// Whether a server on `port` answers `PING` (`+PONG`, or `-NOAUTH` /
/// `-NOPERM`: up, but wants a password).
fn answers(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    if stream.write_all(b"*1\r\n$4\r\nPING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 7];
    stream.read_exact(&mut buf).is_ok() && (&buf == b"+PONG\r\n" || buf.starts_with(b"-NO"))
}

/// A running `redis-server` (or sentinel), killed on drop.
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    /// Listening port to probe for readiness (the TLS port has no plain PING).
    probe: Option<u16>,
    dir: PathBuf,
    binary: &'static str,
    args: Vec<String>,
}

impl RedisServer {
    /// A server on a free port, persistence off, empty.
    pub fn start() -> RedisServer {
        RedisServer::start_with(&[])
    }

    /// The same with more `redis-server` arguments (`--name value` pairs).
    pub fn start_with(extra: &[&str]) -> RedisServer {
        for _ in 0..5 {
            let port = free_port();
            let dir = temp_dir("server");
            let mut args: Vec<String> = [
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                &dir.display().to_string(),
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            args.extend(extra.iter().map(|s| s.to_string()));
            let mut server = RedisServer {
                child: None,
                port,
                probe: Some(port),
                dir,
                binary: REDIS_SERVER,
                args,
            };
            if server.launch() {
                return server;
            }
        }
        panic!("redis-server did not start on any of 5 free ports");
    }

    /// A TLS-only server (`--port 0 --tls-port <port>`) with the given
    /// certificate files; clients need no certificate of their own.
    pub fn start_tls(cert: &Path, key: &Path, ca: &Path, extra: &[&str]) -> RedisServer {
        for _ in 0..5 {
            let port = free_port();
            let dir = temp_dir("tls");
            let mut args: Vec<String> = vec![
                "--port".into(),
                "0".into(),
                "--tls-port".into(),
                port.to_string(),
                "--bind".into(),
                "127.0.0.1".into(),
                "--save".into(),
                "".into(),
                "--appendonly".into(),
                "no".into(),
                "--dir".into(),
                dir.display().to_string(),
                "--tls-cert-file".into(),
                cert.display().to_string(),
                "--tls-key-file".into(),
                key.display().to_string(),
                "--tls-ca-cert-file".into(),
                ca.display().to_string(),
                "--tls-auth-clients".into(),
                "no".into(),
            ];
            args.extend(extra.iter().map(|s| s.to_string()));
            let mut server = RedisServer {
                child: None,
                port,
                probe: None,
                dir,
                binary: REDIS_SERVER,
                args,
            };
            if server.launch() {
                return server;
            }
        }
        panic!("redis-server (TLS) did not start on any of 5 free ports");
    }

    /// A sentinel monitoring `master_port` as `name` (quorum 2, down after
    /// 1 s).
    pub fn start_sentinel(name: &str, master_port: u16) -> RedisServer {
        for _ in 0..5 {
            let port = free_port();
            let dir = temp_dir("sentinel");
            let conf = dir.join("sentinel.conf");
            std::fs::write(
                &conf,
                format!(
                    "port {port}\nbind 127.0.0.1\ndaemonize no\ndir {}\n\
                     sentinel monitor {name} 127.0.0.1 {master_port} 2\n\
                     sentinel down-after-milliseconds {name} 1000\n\
                     sentinel failover-timeout {name} 10000\n\
                     sentinel parallel-syncs {name} 1\n",
                    dir.display()
                ),
            )
            .expect("write sentinel.conf");
            let mut server = RedisServer {
                child: None,
                port,
                probe: Some(port),
                dir,
                binary: REDIS_SENTINEL,
                args: vec![conf.display().to_string()],
            };
            if server.launch() {
                return server;
            }
        }
        panic!("redis-sentinel did not start on any of 5 free ports");
    }

    fn launch(&mut self) -> bool {
        let mut child = Command::new(self.binary)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| {
                panic!(
                    "cannot run {} ({err}): apt-get install -y redis-server redis-sentinel",
                    self.binary
                )
            });
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            let up = match self.probe {
                Some(port) => answers(port),
                // TLS: the port accepts connections
                None => TcpStream::connect(("127.0.0.1", self.port)).is_ok(),
            };
            if up {
                self.child = Some(child);
                return true;
            }
            if let Ok(Some(_)) = child.try_wait() {
                return false; // exited: the port was taken meanwhile
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its directory (where `SAVE` writes `dump.rdb`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Its process id, while it runs (benches read its CPU time).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kills it (SIGKILL) and waits until it is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn signal(&self, sig: &str) {
        let pid = self.child.as_ref().expect("running").id();
        let status = Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {sig} {pid}");
    }

    /// SIGSTOP: a partition that keeps the connections open.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// SIGCONT.
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    /// Starts it again on the same port and directory: empty without
    /// persistence, or from the `dump.rdb` a `SAVE` left there.
    pub fn restart(&mut self) {
        self.kill();
        assert!(
            self.launch(),
            "{} did not restart on port {}",
            self.binary,
            self.port
        );
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if self.child.is_some() {
            // A paused process does not die of SIGKILL until continued on
            // some kernels' accounting: continue it first.
            let _ = Command::new("kill")
                .args([
                    "-CONT",
                    &self.child.as_ref().map_or(0, Child::id).to_string(),
                ])
                .status();
        }
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
