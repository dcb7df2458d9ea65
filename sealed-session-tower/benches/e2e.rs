//! End to end over loopback: the axum-login app of the tests (login, a
//! counter in the session, logout; SQLite + argon2) on `SealedSessionLayer`
//! with the Redis revocation feed, against the same app on tower-sessions'
//! Redis store (`tower-sessions-redis-store`, fred), each on its own
//! redis-server. Signed-in clients hammer `GET /counter` (a session change
//! on every request).
//!
//! Each contender runs 5 rounds, alternated with the other's; the median
//! round is printed: req/s, this process's CPU per request (server and the hyper
//! clients: the same client work on both sides) and redis-server's CPU per
//! request, and the ratio of req/s (goal: sealed >= 2.5x).
//! `cargo bench -p sealed-session-tower --bench e2e`; `SEALED_BENCH_QUICK=1`
//! for a short run. Needs /usr/bin/redis-server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::panic,
    missing_docs
)]

#[path = "../tests/common/app.rs"]
mod app;
#[path = "../../sealed-session-redis/tests/common/redis.rs"]
mod redis;

use std::time::{Duration, Instant};

use app::{Backend, Device, handlers, sealed_app, serve};
use http_body_util::{BodyExt as _, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use redis::RedisServer;
use sealed_session::{CookieOptions, Key, KeyRing, RevocationSet, SessionStore, Sessions};
use sealed_session_redis::{RedisFeed, RedisFeedConfig};
use tower_sessions_redis_store::RedisStore;
use tower_sessions_redis_store::fred::prelude::{ClientLike as _, Config, Pool};

const CLIENTS: usize = 8;
/// Rounds per contender, alternated; the median round is reported.
const ROUNDS: usize = 5;

/// CPU seconds (user + system) of a process, from /proc.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks as f64 / 100.0
}

struct Figures {
    rps: f64,
    cpu_us: f64,
    redis_cpu_us: f64,
}

/// The round with the median req/s.
fn median(mut rounds: Vec<Figures>) -> Figures {
    rounds.sort_by(|a, b| a.rps.total_cmp(&b.rps));
    rounds.swap_remove(rounds.len() / 2)
}

async fn run(base: &str, cookie: &'static str, redis: &RedisServer, per_client: usize) -> Figures {
    let mut devices = Vec::new();
    for _ in 0..CLIENTS {
        let mut device = Device::new(cookie);
        // The counter-only app has no /login (404): its session starts at
        // the first /counter.
        let login = device.login(base, "ferris", "hunter42").await.as_u16();
        assert!(login == 200 || login == 404);
        assert_eq!(device.counter(base).await.0.as_u16(), 200);
        devices.push(device);
    }
    let me = std::process::id();
    let redis_pid = redis.pid().unwrap();
    let (cpu0, rcpu0) = (cpu_seconds(me), cpu_seconds(redis_pid));
    let start = Instant::now();
    let tasks: Vec<_> = devices
        .into_iter()
        .map(|device| {
            let url: hyper::Uri = format!("{base}/counter").parse().unwrap();
            tokio::spawn(async move {
                let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
                let mut cookie = format!("{}={}", device.name, device.cookie.unwrap());
                for _ in 0..per_client {
                    let request = hyper::Request::get(url.clone())
                        .header("cookie", &cookie)
                        .body(Empty::new())
                        .unwrap();
                    let response = client.request(request).await.unwrap();
                    assert_eq!(response.status().as_u16(), 200);
                    if let Some(set) = response.headers().get("set-cookie") {
                        cookie = set.to_str().unwrap().split(';').next().unwrap().to_owned();
                    }
                    response.into_body().collect().await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let wall = start.elapsed().as_secs_f64();
    let n = (CLIENTS * per_client) as f64;
    Figures {
        rps: n / wall,
        cpu_us: (cpu_seconds(me) - cpu0) / n * 1e6,
        redis_cpu_us: (cpu_seconds(redis_pid) - rcpu0) / n * 1e6,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let per_client = if std::env::var_os("SEALED_BENCH_QUICK").is_some() {
        500
    } else {
        2_500
    };
    let backend = Backend::new();
    backend.add_user("ferris", "hunter42");

    // sealed-session: the cookie, and the revocation feed on Redis.
    let redis_a = RedisServer::start();
    let (sessions, _feed) = fed_sessions(&redis_a, "sealed").await;
    let sealed_base = serve(sealed_app(backend.clone(), sessions)).await;

    // tower-sessions on its Redis store.
    let redis_b = RedisServer::start();
    let session_layer = tower_sessions::SessionManagerLayer::new(redis_store(&redis_b).await);
    let auth_layer =
        axum_login::AuthManagerLayerBuilder::new(backend.clone(), session_layer).build();
    let redis_base = serve(handlers().layer(auth_layer)).await;

    // The same counter without axum-login (the session alone).
    let (plain_sessions, _plain_feed) = fed_sessions(&redis_a, "plain").await;
    let plain_sealed = serve(
        axum::Router::new()
            .route("/counter", axum::routing::get(plain_counter))
            .layer(sealed_session_tower::SealedSessionLayer::new(
                plain_sessions,
            )),
    )
    .await;
    let plain_redis = serve(
        axum::Router::new()
            .route("/counter", axum::routing::get(plain_counter))
            .layer(tower_sessions::SessionManagerLayer::new(
                redis_store(&redis_b).await,
            )),
    )
    .await;

    for (what, sealed_base, redis_base) in [
        ("axum-login app", &sealed_base, &redis_base),
        ("counter only", &plain_sealed, &plain_redis),
    ] {
        // Warm up both, then alternate them for ROUNDS rounds and keep each
        // side's median: a burst of other work on the machine lands on one
        // round, not on one contender.
        run(sealed_base, "__Host-id", &redis_a, per_client / 5).await;
        run(redis_base, "id", &redis_b, per_client / 5).await;
        let (mut sealed_rounds, mut tower_rounds) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            sealed_rounds.push(run(sealed_base, "__Host-id", &redis_a, per_client).await);
            tower_rounds.push(run(redis_base, "id", &redis_b, per_client).await);
        }
        let (sealed, tower) = (median(sealed_rounds), median(tower_rounds));
        for (name, f) in [
            ("sealed-session-tower + Redis feed", &sealed),
            ("tower-sessions + RedisStore", &tower),
        ] {
            println!(
                "e2e {what:14} {name:34} {:8.0} req/s  process CPU {:6.1} us/req  redis-server CPU {:5.1} us/req",
                f.rps, f.cpu_us, f.redis_cpu_us
            );
        }
        println!(
            "e2e {what:14} req/s ratio sealed / tower-sessions-redis {:.2} (goal >= 2.5); CPU/req ratio {:.2}",
            sealed.rps / tower.rps,
            (tower.cpu_us + tower.redis_cpu_us) / (sealed.cpu_us + sealed.redis_cpu_us)
        );
    }
}

/// `Sessions` with a fresh revocation set fed through `redis` (under
/// `prefix`); keep the feed alive for as long as the server runs.
async fn fed_sessions(redis: &RedisServer, prefix: &str) -> (Sessions, RedisFeed) {
    let store = SessionStore::builder("__Host-id", KeyRing::new(1, Key::generate()))
        .build()
        .unwrap();
    let revoked = RevocationSet::new(&store);
    let feed = RedisFeed::start(
        sealed_session_redis::Client::open(redis.url()).unwrap(),
        &revoked,
        RedisFeedConfig::default().key_prefix(prefix),
    )
    .unwrap();
    feed.wait_fresh(Duration::from_secs(60)).await.unwrap();
    let sessions = Sessions::new(store, CookieOptions::new())
        .unwrap()
        .with_revocations(revoked);
    (sessions, feed)
}

/// tower-sessions' Redis store on `redis`, connected (fred, a pool of 6).
async fn redis_store(redis: &RedisServer) -> RedisStore<Pool> {
    let pool = Pool::new(Config::from_url(&redis.url()).unwrap(), None, None, None, 6).unwrap();
    pool.connect();
    pool.wait_for_connect().await.unwrap();
    RedisStore::new(pool)
}

/// The counter alone, on a tower-sessions `Session`.
async fn plain_counter(session: tower_sessions::Session) -> String {
    let n: u64 = session.get("n").await.unwrap().unwrap_or(0) + 1;
    session.insert("n", n).await.unwrap();
    format!("count {n}")
}
