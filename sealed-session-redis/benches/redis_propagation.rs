//! Propagation latency A -> B over a loopback `redis-server` (started here
//! on a free port, persistence off, killed at the end): server A revokes a
//! session (`RedisFeed::revoke`: applied locally, then XADD + snapshot in one
//! MULTI), server B's feed reads it (`XREAD BLOCK`) and applies it; the time
//! from A's call to B's set refusing the session, over a bounded number of
//! revocations (`PROPAGATION_REVOCATIONS`, default 1 000, at least 1 000
//! unless set lower), one at a time. Prints p50, p90, p99 and the maximum, and
//! the same for A's acknowledged write alone.
//!
//! `cargo bench -p sealed-session --features redis --bench redis_propagation`

#[path = "../tests/common/redis.rs"]
mod redis_server;

use std::time::{Duration, Instant};

use redis_server::RedisServer;
use sealed_session::redis::{Client, RedisFeed, RedisFeedConfig};
use sealed_session::time::OffsetDateTime;
use sealed_session::{Revocation, RevocationSet, SessionId};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{what:<34} n={:<5} p50 {:>7.3} ms   p90 {:>7.3} ms   p99 {:>7.3} ms   max {:>7.3} ms",
        samples.len(),
        ms(percentile(&samples, 0.50)),
        ms(percentile(&samples, 0.90)),
        ms(percentile(&samples, 0.99)),
        ms(*samples.last().unwrap()),
    );
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    let n: u64 = std::env::var("PROPAGATION_REVOCATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    let server = RedisServer::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let lifetime = time::Duration::hours(8);
    let leeway = time::Duration::seconds(60);
    let (set_a, set_b) = (
        RevocationSet::with_lifetime(lifetime, leeway),
        RevocationSet::with_lifetime(lifetime, leeway),
    );
    let quiet = || RedisFeedConfig::default().on_event(|_| {});
    let (feed_a, feed_b) = runtime.block_on(async {
        let a = RedisFeed::start(Client::open(server.url()).unwrap(), &set_a, quiet()).unwrap();
        let b = RedisFeed::start(Client::open(server.url()).unwrap(), &set_b, quiet()).unwrap();
        a.wait_fresh(Duration::from_secs(10)).await.unwrap();
        b.wait_fresh(Duration::from_secs(10)).await.unwrap();
        (a, b)
    });

    let expires_at = OffsetDateTime::now_utc() + time::Duration::hours(1);
    let mut propagated = Vec::new();
    let mut acknowledged = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    for i in 0..n {
        let id = SessionId::from_u64(0x5eed_0000_0000 + i);
        let start = Instant::now();
        runtime
            .block_on(feed_a.revoke(Revocation::session(id, expires_at)))
            .unwrap();
        acknowledged.push(start.elapsed());
        while !set_b.is_session_revoked(id) {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "revocation {i} did not reach B within 5 s"
            );
            std::thread::sleep(Duration::from_micros(20));
        }
        propagated.push(start.elapsed());
        assert!(Instant::now() < deadline, "bench ran over 120 s");
        // Spread them a little, as real revocations are.
        std::thread::sleep(Duration::from_micros(200));
    }
    let stats = feed_b.stats();
    assert_eq!(stats.applied, n, "{stats:?}");
    assert_eq!(stats.rejected, 0);

    println!(
        "redis propagation over loopback (redis-server {})",
        server.port()
    );
    report("A -> B (call to B refusing)", propagated);
    report("A's durable write (MULTI acked)", acknowledged);
    runtime.block_on(async {
        feed_a.shutdown().await;
        feed_b.shutdown().await;
    });
}
