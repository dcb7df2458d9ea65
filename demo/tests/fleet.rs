//! A fleet: three demo processes (A, B, C) with the same keys and database
//! on one real `redis-server`, and browsers as plain HTTP clients that keep
//! their session cookie by hand (a device talks to any instance, as behind
//! a load balancer).
//!
//! 1. Two devices log in on A.
//! 2. "Log out" (this device) on A: B and C refuse that cookie within the
//!    staleness bound; the other device stays signed in.
//! 3. "Log out everywhere" on B: every cookie of the user is refused by A,
//!    B and C.
//! 4. Redis is killed: after the bound, every instance fails closed for
//!    user sessions (503, cookie kept), and anonymous sessions still work.
//!    A logout made meanwhile is kept for later.
//! 5. Redis restarts (empty): the instances catch up and recover without a
//!    restart, and the logout made during the outage reaches them.
//! 6. Replay: cookies copied before each logout stay refused everywhere.
//!
//! Needs Debian's `redis-server` (`apt-get install redis-server`), so it is
//! not part of a plain `cargo test`: `cargo test -p demo --features redis --test fleet`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../sealed-session-redis/tests/common/redis.rs"]
mod redis_server;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use redis_server::RedisServer;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};
use sealed_session::cookie::Cookie;
use sealed_session::{Key, KeyRing};

const COOKIE_NAME: &str = "__Host-demo-session";
const PASSWORD: &str = "correct horse battery staple";
/// The demo's staleness bound (the default).
const BOUND: Duration = Duration::from_secs(1);
/// How long the test waits for something that must happen.
const PATIENCE: Duration = Duration::from_secs(20);

/// One demo process, killed on drop.
struct Instance {
    name: &'static str,
    child: Child,
    base: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn keys() -> String {
    // Fixed, varied bytes: every instance seals and opens with the same key.
    let bytes: Vec<u8> = (0u8..32)
        .map(|i| i.wrapping_mul(29).wrapping_add(5))
        .collect();
    KeyRing::new(1, Key::from_bytes(&bytes).unwrap())
        .to_config()
        .as_str()
        .to_owned()
}

fn start(name: &'static str, db: &std::path::Path, redis_url: &str) -> Instance {
    let mut child = Command::new(env!("CARGO_BIN_EXE_demo"))
        .env("PORT", "0")
        .env("DEMO_DB", db)
        .env("SEALED_SESSION_KEYS", keys())
        .env("DEMO_REDIS_URL", redis_url)
        .env_remove("DEMO_EPOCHS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if !sent && let Some(url) = line.strip_prefix("demo: listening on ") {
                let _ = tx.send(url.to_owned());
                sent = true;
            }
        }
    });
    let base = rx
        .recv_timeout(PATIENCE)
        .unwrap_or_else(|_| panic!("demo {name} did not start"));
    Instance { name, child, base }
}

/// What a page said about the session.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    /// Signed in as this user.
    SignedIn(String),
    /// The signed-out page.
    SignedOut,
    /// 503: the revocation list could not be confirmed (fail closed).
    Unavailable,
}

/// A browser: one session cookie, sent to whichever instance it talks to.
#[derive(Clone)]
struct Device {
    client: reqwest::Client,
    cookie: Option<String>,
}

impl Device {
    fn new() -> Device {
        Device {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookie: None,
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> (StatusCode, String) {
        let request = match &self.cookie {
            Some(value) => request.header(COOKIE, format!("{COOKIE_NAME}={value}")),
            None => request,
        };
        let response = request.send().await.unwrap();
        let status = response.status();
        for value in response.headers().get_all(SET_COOKIE) {
            let cookie = Cookie::parse(value.to_str().unwrap().to_owned()).unwrap();
            if cookie.name() == COOKIE_NAME {
                self.cookie = (!cookie.value().is_empty()).then(|| cookie.value().to_owned());
            }
        }
        (status, response.text().await.unwrap())
    }

    async fn get(&mut self, at: &Instance, path: &str) -> (StatusCode, String) {
        let request = self.client.get(format!("{}{path}", at.base));
        self.send(request).await
    }

    async fn post(
        &mut self,
        at: &Instance,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let request = self.client.post(format!("{}{path}", at.base)).form(form);
        self.send(request).await
    }

    async fn seen(&mut self, at: &Instance) -> Seen {
        let (status, body) = self.get(at, "/").await;
        match status {
            StatusCode::SERVICE_UNAVAILABLE => Seen::Unavailable,
            StatusCode::OK => match text(&body, "whoami") {
                Some(user) => Seen::SignedIn(user),
                None => {
                    assert!(body.contains("You are not signed in"), "{body}");
                    Seen::SignedOut
                }
            },
            other => panic!("{}: unexpected status {other}: {body}", at.name),
        }
    }
}

/// Text of the element with this id.
fn text(body: &str, id: &str) -> Option<String> {
    let start = body.find(&format!("id=\"{id}\""))?;
    let rest = body.get(start..)?;
    let rest = rest.get(rest.find('>')? + 1..)?;
    Some(rest.get(..rest.find("</")?)?.to_owned())
}

fn signed_in(user: &str) -> Seen {
    Seen::SignedIn(user.to_owned())
}

/// Sends `device`'s cookie (a copy: its own is not changed) to `at` until
/// it is answered `want`, at most [`PATIENCE`]; how long that took.
async fn until(device: &Device, at: &Instance, want: &Seen) -> Duration {
    let start = Instant::now();
    loop {
        let mut copy = device.clone();
        let seen = copy.seen(at).await;
        if &seen == want {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < PATIENCE,
            "{}: still {seen:?}, waiting for {want:?}",
            at.name
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// What `device`'s cookie gets from `at` now, without changing the device.
async fn probe(device: &Device, at: &Instance) -> Seen {
    device.clone().seen(at).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_demo_instances_share_revocations_through_redis() {
    let mut redis = RedisServer::start();
    let dir = std::env::temp_dir().join(format!("sealed-session-fleet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("demo.sqlite3");
    let _ = std::fs::remove_file(&db);
    // A creates the database before the others open it.
    let a = start("A", &db, &redis.url());
    let b = start("B", &db, &redis.url());
    let c = start("C", &db, &redis.url());
    let fleet = [&a, &b, &c];

    // ---- 1. two devices log in on A ---------------------------------------
    let mut laptop = Device::new();
    let (status, _) = laptop
        .post(
            &a,
            "/signup",
            &[("username", "mallory"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let mut phone = Device::new();
    phone
        .post(
            &a,
            "/login",
            &[("username", "mallory"), ("password", PASSWORD)],
        )
        .await;
    for at in fleet {
        assert_eq!(laptop.seen(at).await, signed_in("mallory"), "{}", at.name);
        assert_eq!(phone.seen(at).await, signed_in("mallory"), "{}", at.name);
    }
    let (_, page) = laptop.get(&b, "/sessions").await;
    assert_eq!(page.matches("class=\"active\"").count(), 2, "{page}");

    // ---- 2. log out this device on A --------------------------------------
    let laptop_copy = laptop.clone();
    let logged_out_at = Instant::now();
    laptop.post(&a, "/logout", &[]).await;
    assert_eq!(laptop.cookie, None, "A removed the cookie");
    assert_eq!(probe(&laptop_copy, &a).await, Seen::SignedOut);
    for at in [&b, &c] {
        let took = until(&laptop_copy, at, &Seen::SignedOut).await;
        println!(
            "fleet: {}'s logout refused by {} after {took:?}",
            a.name, at.name
        );
    }
    // Whatever the timing, within the bound a copy is never served: either
    // the revocation arrived, or the instance is stale and fails closed.
    tokio::time::sleep(BOUND.saturating_sub(logged_out_at.elapsed())).await;
    for at in fleet {
        assert_eq!(
            probe(&laptop_copy, at).await,
            Seen::SignedOut,
            "{}",
            at.name
        );
        assert_eq!(
            phone.seen(at).await,
            signed_in("mallory"),
            "{}: the phone stays",
            at.name
        );
    }

    // ---- 3. log out everywhere on B ---------------------------------------
    let mut tablet = Device::new();
    tablet
        .post(
            &c,
            "/login",
            &[("username", "mallory"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(tablet.seen(&a).await, signed_in("mallory"));
    let phone_copy = phone.clone();
    let (status, _) = phone.post(&b, "/logout-everywhere", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(phone.cookie, None);
    for at in fleet {
        for device in [&phone_copy, &tablet] {
            let took = until(device, at, &Seen::SignedOut).await;
            println!(
                "fleet: log out everywhere on B reached {} after {took:?}",
                at.name
            );
        }
    }
    // Logging in again right after works (a new login, after the revocation;
    // a second later, since "log out everywhere" covers every login up to
    // its time plus the leeway, for servers whose clocks run ahead).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let mut laptop2 = Device::new();
    laptop2
        .post(
            &b,
            "/login",
            &[("username", "mallory"), ("password", PASSWORD)],
        )
        .await;
    for at in fleet {
        assert_eq!(laptop2.seen(at).await, signed_in("mallory"), "{}", at.name);
    }
    let mut desktop = Device::new();
    desktop
        .post(
            &a,
            "/login",
            &[("username", "mallory"), ("password", PASSWORD)],
        )
        .await;
    let desktop_copy = desktop.clone();

    // ---- 4. Redis down: fail closed for users, anonymous sessions work ----
    redis.kill();
    let killed_at = Instant::now();
    // A logout during the outage (before A's bound is up): in force on A at
    // once, queued for Redis.
    let (status, _) = desktop.post(&a, "/logout", &[]).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "logged out {:?} after the kill",
        killed_at.elapsed()
    );
    assert_eq!(probe(&desktop_copy, &a).await, Seen::SignedOut);
    let mut visitor = Device::new();
    let (status, _) = visitor.post(&a, "/visits", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    tokio::time::sleep((BOUND + Duration::from_millis(300)).saturating_sub(killed_at.elapsed()))
        .await;
    for at in fleet {
        let mut device = laptop2.clone();
        let (status, body) = device.get(at, "/").await;
        assert_eq!(
            status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}: {body}",
            at.name
        );
        assert_eq!(
            device.cookie, laptop2.cookie,
            "{}: the cookie is left alone",
            at.name
        );
        // Anonymous sessions still work, on every instance.
        let (status, _) = visitor.post(at, "/visits", &[]).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", at.name);
    }
    let (_, page) = visitor.get(&c, "/").await;
    assert_eq!(text(&page, "visits").as_deref(), Some("4"), "{page}");
    // A stale instance never serves the cookie logged out on A meanwhile.
    for at in [&b, &c] {
        assert_eq!(
            probe(&desktop_copy, at).await,
            Seen::Unavailable,
            "{}",
            at.name
        );
    }

    // ---- 5. Redis back (empty): catch up, no restart -----------------------
    redis.restart();
    let restarted_at = Instant::now();
    for at in fleet {
        let took = until(&laptop2, at, &signed_in("mallory")).await;
        println!(
            "fleet: {} serves users again {took:?} after Redis restarted",
            at.name
        );
    }
    println!(
        "fleet: all recovered {:?} after the restart",
        restarted_at.elapsed()
    );
    // The logout queued during the outage reached B and C.
    for at in fleet {
        assert_eq!(
            probe(&desktop_copy, at).await,
            Seen::SignedOut,
            "{}",
            at.name
        );
    }

    // ---- 6. replay: every copy made before a logout stays refused ----------
    for at in fleet {
        for (what, device) in [
            ("laptop", &laptop_copy),
            ("phone", &phone_copy),
            ("tablet", &tablet),
            ("desktop", &desktop_copy),
        ] {
            assert_eq!(
                probe(device, at).await,
                Seen::SignedOut,
                "{}: {what}",
                at.name
            );
        }
        assert_eq!(laptop2.seen(at).await, signed_in("mallory"), "{}", at.name);
    }
    drop((a, b, c));
    let _ = std::fs::remove_dir_all(&dir);
}
