//! The Redis feed over a loopback `redis-server` (started here on a free
//! port, persistence off, killed at the end), two servers A and B (each a
//! `RevocationSet` + `RedisFeed`):
//!
//! 1. **publish throughput**: A revokes N sessions through its set (queued,
//!    as a logout does) as fast as it can; the time until Redis
//!    acknowledged all of them (goal: at least 50 000 revocations/s);
//! 2. **propagation under a 10 000/s flood**: A revokes 10 per millisecond
//!    for a few seconds; for each, the time from A's call to B's set
//!    refusing it: p50 / p99 / max (goal: p99 at most 50 ms);
//! 3. **one at a time**: `RedisFeed::revoke` (acknowledged) and the time to
//!    B, for single revocations spaced out;
//! 4. **memory per revoked session**, in process (`heap_bytes`) and in
//!    Redis (`MEMORY USAGE` of the snapshot and the stream).
//!
//! Timing is printed, never asserted. `SEALED_BENCH_QUICK=1` runs a
//! smaller version (CI's bench smoke).
//!
//! `cargo bench -p sealed-session-redis --bench redis_propagation`

#[path = "../tests/common/redis.rs"]
mod redis_server;

use std::time::{Duration, Instant};

use redis_server::RedisServer;
use sealed_session::time::{Duration as TimeDuration, OffsetDateTime};
use sealed_session::{Revocation, RevocationSet, SessionId};
use sealed_session_redis::{Client, RedisFeed, RedisFeedConfig};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{what:<44} n={:<6} p50 {:>7.3} ms   p90 {:>7.3} ms   p99 {:>7.3} ms   max {:>7.3} ms",
        samples.len(),
        ms(percentile(&samples, 0.50)),
        ms(percentile(&samples, 0.90)),
        ms(percentile(&samples, 0.99)),
        ms(*samples.last().unwrap()),
    );
}

fn int(conn: &mut redis::Connection, args: &[&str]) -> i64 {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(conn).unwrap()
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    let quick = std::env::var_os("SEALED_BENCH_QUICK").is_some();
    let (burst, flood_secs, singles) = if quick {
        (50_000u64, 1u64, 200u64)
    } else {
        (200_000, 5, 1_000)
    };
    let server = RedisServer::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let lifetime = TimeDuration::hours(8);
    let leeway = TimeDuration::seconds(60);
    let (set_a, set_b) = (
        RevocationSet::with_lifetime(lifetime, leeway),
        RevocationSet::with_lifetime(lifetime, leeway),
    );
    let (feed_a, feed_b) = runtime.block_on(async {
        let a = RedisFeed::start(
            Client::open(server.url()).unwrap(),
            &set_a,
            RedisFeedConfig::default(),
        )
        .unwrap();
        let b = RedisFeed::start(
            Client::open(server.url()).unwrap(),
            &set_b,
            RedisFeedConfig::default(),
        )
        .unwrap();
        a.wait_fresh(Duration::from_secs(10)).await.unwrap();
        b.wait_fresh(Duration::from_secs(10)).await.unwrap();
        (a, b)
    });
    let expires_at = OffsetDateTime::now_utc() + TimeDuration::hours(1);
    println!(
        "redis feed over loopback (redis-server on port {}){}",
        server.port(),
        if quick { ", quick mode" } else { "" }
    );

    // 1. publish throughput
    let start = Instant::now();
    for i in 0..burst {
        set_a.revoke(Revocation::Session {
            id: SessionId::from_u64(1 << 40 | i),
            expires_at,
        });
    }
    let queued = start.elapsed();
    runtime
        .block_on(feed_a.flush(Duration::from_secs(120)))
        .unwrap();
    let acked = start.elapsed();
    let last = SessionId::from_u64(1 << 40 | (burst - 1));
    while !set_b.is_session_revoked(last) {
        std::thread::sleep(Duration::from_micros(100));
    }
    let on_b = start.elapsed();
    println!(
        "publish throughput: {burst} revocations queued in {:.1} ms, acknowledged by Redis after {:.1} ms \
         = {:.0} revocations/s; all on B after {:.1} ms",
        queued.as_secs_f64() * 1e3,
        acked.as_secs_f64() * 1e3,
        burst as f64 / acked.as_secs_f64(),
        on_b.as_secs_f64() * 1e3,
    );

    // 2. propagation under a 10 000/s flood
    let n = flood_secs * 10_000;
    let ids: Vec<SessionId> = (0..n).map(|i| SessionId::from_u64(2 << 40 | i)).collect();
    let watch = ids.clone();
    let b = set_b.clone();
    let watcher = std::thread::spawn(move || {
        let mut seen = Vec::with_capacity(watch.len());
        let start = Instant::now();
        for id in &watch {
            while !b.is_session_revoked(*id) {
                assert!(
                    start.elapsed() < Duration::from_secs(120),
                    "flood never reached B"
                );
                std::thread::sleep(Duration::from_micros(50));
            }
            seen.push(Instant::now());
        }
        seen
    });
    let mut sent = Vec::with_capacity(ids.len());
    let start = Instant::now();
    for (k, chunk) in ids.chunks(10).enumerate() {
        // 10 per millisecond
        let due = start + Duration::from_millis(k as u64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        for id in chunk {
            sent.push(Instant::now());
            set_a.revoke(Revocation::Session {
                id: *id,
                expires_at,
            });
        }
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    let seen = watcher.join().unwrap();
    let latencies: Vec<Duration> = seen
        .iter()
        .zip(&sent)
        .map(|(s, t)| s.saturating_duration_since(*t))
        .collect();
    report(&format!("flood at {rate:.0}/s: A -> B"), latencies);

    // 3. one at a time
    let mut propagated = Vec::new();
    let mut acknowledged = Vec::new();
    for i in 0..singles {
        let id = SessionId::from_u64(3 << 40 | i);
        let start = Instant::now();
        runtime
            .block_on(feed_a.revoke(Revocation::Session { id, expires_at }))
            .unwrap();
        acknowledged.push(start.elapsed());
        while !set_b.is_session_revoked(id) {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "revocation {i} lost"
            );
            std::thread::sleep(Duration::from_micros(20));
        }
        propagated.push(start.elapsed());
        std::thread::sleep(Duration::from_micros(200));
    }
    report("one at a time: A -> B (call to B refusing)", propagated);
    report("one at a time: A's write acknowledged", acknowledged);

    // 4. memory per revoked session
    let entries = set_b.stats().entries as u64;
    let mut conn = Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let config = RedisFeedConfig::default();
    let zcard = int(&mut conn, &["ZCARD", &config.snapshot_key()]);
    let snapshot = int(
        &mut conn,
        &["MEMORY", "USAGE", &config.snapshot_key(), "SAMPLES", "0"],
    );
    let xlen = int(&mut conn, &["XLEN", &config.stream_key()]);
    let stream = int(
        &mut conn,
        &["MEMORY", "USAGE", &config.stream_key(), "SAMPLES", "0"],
    );
    println!(
        "memory per revoked session at {entries} entries: in process {:.1} B (heap_bytes {}); \
         in Redis: snapshot {:.1} B ({snapshot} B / {zcard}), stream {:.1} B per entry ({stream} B / {xlen}, \
         trimmed at MAXLEN ~{})",
        set_b.stats().heap_bytes as f64 / entries as f64,
        set_b.stats().heap_bytes,
        snapshot as f64 / zcard as f64,
        stream as f64 / xlen as f64,
        sealed_session_redis::DEFAULT_STREAM_MAXLEN,
    );
    let stats = feed_b.stats();
    assert_eq!(stats.rejected, 0);
    assert_eq!(
        set_b.stats().entries as u64,
        burst + n + singles,
        "nothing lost"
    );
    runtime.block_on(async {
        feed_a.shutdown().await;
        feed_b.shutdown().await;
    });
}
