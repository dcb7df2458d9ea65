//! The feed under faults, against real `redis-server` processes (Debian's
//! 7.0) on free loopback ports: a flood of 100 000 logouts, a partition
//! (SIGSTOP) during a flood, Redis refusing writes (`OOM` under
//! `noeviction`, a `READONLY` replica, exhausted stream ids), Redis
//! restarted empty and from an older snapshot. Each test runs a small fleet
//! ("servers" = a `RevocationSet` + `RedisFeed` pair each, in this
//! process), prints its figures, and asserts that **no revocation is lost**:
//! every one is in force on every server, and in Redis (a server that joins
//! afterwards learns all of them from the snapshot).
//!
//! Waits poll with generous deadlines; no assertion is on timing.
//!
//! `cargo test -p sealed-session-redis --test faults -- --nocapture`

#[path = "common/redis.rs"]
mod redis_server;

#[path = "common/fleet.rs"]
mod fleet;

use std::time::{Duration, Instant};

use fleet::{Fleet, PATIENCE, eventually, ids, run};
use redis_server::RedisServer;
use sealed_session_redis::{Client, Connector, FeedEvent, RedisFeedConfig};

fn client(server: &RedisServer) -> impl Fn() -> Connector {
    let url = server.url();
    move || Client::open(url.as_str()).unwrap().into()
}

async fn cmd(server: &RedisServer, args: &[&str]) -> redis::Value {
    let mut conn = Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query_async(&mut conn).await.unwrap()
}

async fn int(server: &RedisServer, args: &[&str]) -> i64 {
    match cmd(server, args).await {
        redis::Value::Int(n) => n,
        other => panic!("{args:?}: {other:?}"),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[test]
fn a_flood_of_100_000_logouts_loses_none() {
    let server = RedisServer::start();
    run(async {
        let fleet = Fleet::start(3, client(&server), RedisFeedConfig::default()).await;
        let n = 100_000u64;
        let all = ids(1, n);
        // Every 100th revocation is timed to server B.
        let sampled: Vec<usize> = (0..all.len()).step_by(100).collect();
        let b = fleet.servers[1].set.clone();
        let watch_ids: Vec<_> = sampled.iter().map(|&i| all[i]).collect();
        let watcher = std::thread::spawn(move || {
            let mut seen = vec![None; watch_ids.len()];
            let mut left = watch_ids.len();
            let start = Instant::now();
            while left > 0 && start.elapsed() < PATIENCE * 6 {
                for (k, id) in watch_ids.iter().enumerate() {
                    if seen[k].is_none() && b.is_session_revoked(*id) {
                        seen[k] = Some(Instant::now());
                        left -= 1;
                    }
                }
                std::thread::sleep(Duration::from_micros(200));
            }
            seen
        });
        let a = &fleet.servers[0];
        let start = Instant::now();
        let mut at = Vec::with_capacity(sampled.len());
        for (i, id) in all.iter().enumerate() {
            if i % 100 == 0 {
                at.push(Instant::now());
            }
            a.set.revoke(fleet.revocation(*id));
        }
        let flooded = start.elapsed();
        let last = Instant::now();
        let last_id = *all.last().unwrap();
        eventually("B has the last revocation", || {
            fleet.servers[1].set.is_session_revoked(last_id)
        })
        .await;
        let last_propagation = last.elapsed();
        fleet.converge(&all).await;
        let everywhere = last.elapsed();
        let seen = watcher.join().unwrap();
        let mut lat: Vec<Duration> = seen
            .iter()
            .zip(&at)
            .map(|(s, t)| {
                s.expect("sampled revocation never reached B")
                    .duration_since(*t)
            })
            .collect();
        lat.sort();
        let snapshot = int(&server, &["ZCARD", &fleet.config.snapshot_key()]).await;
        assert_eq!(snapshot, n as i64, "every revocation is in the snapshot");
        assert_eq!(a.feed.stats().published, n);
        let joined = fleet.join(client(&server)()).await;
        assert_eq!(fleet::missing(&joined.set, &all), 0);
        let snap_bytes = int(
            &server,
            &[
                "MEMORY",
                "USAGE",
                &fleet.config.snapshot_key(),
                "SAMPLES",
                "0",
            ],
        )
        .await;
        let stream_len = int(&server, &["XLEN", &fleet.config.stream_key()]).await;
        let stream_bytes = int(
            &server,
            &[
                "MEMORY",
                "USAGE",
                &fleet.config.stream_key(),
                "SAMPLES",
                "0",
            ],
        )
        .await;
        let heap = fleet.servers[1].set.stats().heap_bytes;
        println!(
            "flood: {n} logouts in {:.0} ms ({:.0}/s) on A; last one on B after {:.1} ms, on all 3 after {:.1} ms; \
             propagation to B of every 100th: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; lost: 0",
            ms(flooded),
            n as f64 / flooded.as_secs_f64(),
            ms(last_propagation),
            ms(everywhere),
            ms(percentile(&lat, 0.5)),
            ms(percentile(&lat, 0.99)),
            ms(*lat.last().unwrap()),
        );
        println!(
            "memory at {n} entries: in process {} B/entry (heap_bytes {heap}); in Redis: snapshot {} B/entry \
             ({snap_bytes} B), stream {} B/entry ({stream_bytes} B for {stream_len} entries incl. heartbeats)",
            heap as u64 / n,
            snap_bytes as u64 / n,
            stream_bytes as u64 / stream_len.max(1) as u64,
        );
        fleet.assert_no_rejects();
    });
}

#[test]
fn a_partition_during_a_flood_loses_none() {
    let server = RedisServer::start();
    run(async {
        let fleet = Fleet::start(3, client(&server), RedisFeedConfig::default()).await;
        let all = ids(2, 30_000);
        // The flood, spread over about 3 s, on all three servers in turn.
        let flood = fleet.flood(&all, 300, Duration::from_millis(30));
        tokio::time::sleep(Duration::from_millis(500)).await;
        server.pause();
        let paused = Instant::now();
        fleet.all_stale().await;
        let stale = paused.elapsed();
        for s in &fleet.servers {
            let login = fleet.login(9);
            assert_eq!(
                s.set.check(login.info(), login.user_id()),
                Err(sealed_session::RevocationError::Stale)
            );
        }
        eventually("the write failure is reported past the bound", || {
            fleet
                .servers
                .iter()
                .all(|s| s.feed.health().write_error.is_some())
        })
        .await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        server.resume();
        let resumed = Instant::now();
        flood.join().unwrap();
        fleet.all_fresh().await;
        let fresh = resumed.elapsed();
        fleet.converge(&all).await;
        let converged = resumed.elapsed();
        let joined = fleet.join(client(&server)()).await;
        assert_eq!(fleet::missing(&joined.set, &all), 0);
        assert!(fleet.events_of(|e| matches!(e, FeedEvent::WriteFailing { .. })) >= 1);
        println!(
            "partition (SIGSTOP for ~{:.1} s during a flood of {}): all 3 stale {:.0} ms after the stop; \
             fresh {:.0} ms after SIGCONT, all revocations everywhere after {:.0} ms; lost: 0",
            ms(resumed.duration_since(paused)) / 1e3,
            all.len(),
            ms(stale),
            ms(fresh),
            ms(converged),
        );
    });
}

/// How Redis refuses writes while still answering reads.
#[derive(Clone, Copy, Debug)]
enum Refusal {
    /// `maxmemory` reached under `noeviction`: `OOM`.
    Oom,
    /// Made a replica of another server: `READONLY`.
    ReadOnly,
    /// Someone wrote the largest possible stream id.
    ExhaustedIds,
}

fn refused_writes(refusal: Refusal) {
    let server = RedisServer::start();
    let other = RedisServer::start();
    run(async {
        let fleet = Fleet::start(3, client(&server), RedisFeedConfig::default()).await;
        let before = ids(3, 3_000);
        let during = ids(4, 3_000);
        let flood = fleet.flood(&before, 300, Duration::ZERO);
        flood.join().unwrap();
        fleet.converge(&before).await;

        let stream = fleet.config.stream_key();
        match refusal {
            Refusal::Oom => {
                cmd(
                    &server,
                    &["CONFIG", "SET", "maxmemory-policy", "noeviction"],
                )
                .await;
                cmd(&server, &["CONFIG", "SET", "maxmemory", "1"]).await;
            }
            Refusal::ReadOnly => {
                cmd(
                    &server,
                    &["REPLICAOF", "127.0.0.1", &other.port().to_string()],
                )
                .await;
            }
            Refusal::ExhaustedIds => {
                cmd(
                    &server,
                    &[
                        "XADD",
                        &stream,
                        "18446744073709551615-18446744073709551615",
                        "m",
                        "x",
                    ],
                )
                .await;
            }
        }
        let refused = Instant::now();
        let flood = fleet.flood(&during, 300, Duration::ZERO);
        fleet.all_stale().await;
        let stale = refused.elapsed();
        flood.join().unwrap();
        for s in &fleet.servers {
            let login = fleet.login(9);
            assert_eq!(
                s.set.check(login.info(), login.user_id()),
                Err(sealed_session::RevocationError::Stale),
                "fail closed"
            );
        }
        eventually("every server reports the write failure", || {
            fleet
                .servers
                .iter()
                .all(|s| s.feed.health().write_error.is_some())
        })
        .await;
        let error = fleet.servers[0].feed.health().write_error.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(
            fleet.servers.iter().all(|s| s.set.is_stale()),
            "still stale"
        );

        match refusal {
            Refusal::Oom => {
                cmd(&server, &["CONFIG", "SET", "maxmemory", "0"]).await;
            }
            Refusal::ReadOnly => {
                cmd(&server, &["REPLICAOF", "NO", "ONE"]).await;
            }
            Refusal::ExhaustedIds => {
                // The operator removes the poisoned stream; the snapshot
                // keeps every revocation.
                cmd(&server, &["DEL", &stream]).await;
            }
        }
        let fixed = Instant::now();
        fleet.all_fresh().await;
        let fresh = fixed.elapsed();
        let mut all = before.clone();
        all.extend(&during);
        fleet.converge(&all).await;
        let converged = fixed.elapsed();
        let joined = fleet.join(client(&server)()).await;
        assert_eq!(fleet::missing(&joined.set, &all), 0);
        for s in &fleet.servers {
            assert_eq!(s.feed.health().write_error, None);
        }
        println!(
            "{refusal:?}: all 3 stale {:.0} ms after writes were refused (error seen: {error:.60}); \
             fresh {:.0} ms after the fix, all {} revocations everywhere after {:.0} ms; lost: 0",
            ms(stale),
            ms(fresh),
            all.len(),
            ms(converged),
        );
    });
}

#[test]
fn oom_under_noeviction_turns_every_server_stale_and_loses_none() {
    refused_writes(Refusal::Oom);
}

#[test]
fn a_readonly_replica_turns_every_server_stale_and_loses_none() {
    refused_writes(Refusal::ReadOnly);
}

#[test]
fn exhausted_stream_ids_turn_every_server_stale_and_lose_none() {
    refused_writes(Refusal::ExhaustedIds);
}

#[test]
fn redis_restarted_empty_gets_every_revocation_back() {
    let mut server = RedisServer::start();
    run(async {
        let fleet = Fleet::start(3, client(&server), RedisFeedConfig::default()).await;
        let before = ids(5, 3_000);
        let during = ids(6, 1_000);
        fleet.flood(&before, 300, Duration::ZERO).join().unwrap();
        fleet.converge(&before).await;
        server.kill();
        let killed = Instant::now();
        fleet.all_stale().await;
        let stale = killed.elapsed();
        fleet.flood(&during, 100, Duration::ZERO).join().unwrap();
        server.restart(); // empty: no persistence
        let restarted = Instant::now();
        fleet.all_fresh().await;
        let fresh = restarted.elapsed();
        let mut all = before.clone();
        all.extend(&during);
        fleet.converge(&all).await;
        let joined = fleet.join(client(&server)()).await;
        assert_eq!(fleet::missing(&joined.set, &all), 0);
        let snapshot = int(&server, &["ZCARD", &fleet.config.snapshot_key()]).await;
        assert_eq!(snapshot, all.len() as i64);
        println!(
            "restarted empty: all 3 stale {:.0} ms after the kill; fresh {:.0} ms after the restart; \
             snapshot rebuilt to {snapshot} entries by re-publishing; lost: 0",
            ms(stale),
            ms(fresh),
        );
    });
}

#[test]
fn redis_restarted_from_an_older_snapshot_gets_every_revocation_back() {
    let mut server = RedisServer::start();
    run(async {
        let fleet = Fleet::start(3, client(&server), RedisFeedConfig::default()).await;
        let saved = ids(7, 2_000);
        let after = ids(8, 2_000);
        fleet.flood(&saved, 200, Duration::ZERO).join().unwrap();
        fleet.converge(&saved).await;
        cmd(&server, &["SAVE"]).await;
        fleet.flood(&after, 200, Duration::ZERO).join().unwrap();
        fleet.converge(&after).await;
        fleet.flush().await;
        server.kill(); // SIGKILL: no save at shutdown
        let killed = Instant::now();
        server.restart(); // loads the older dump.rdb
        let in_rdb = int(&server, &["ZCARD", &fleet.config.snapshot_key()]).await;
        assert_eq!(in_rdb, saved.len() as i64, "the older snapshot");
        // (The kill and restart took less than the bound: the servers may
        // never have gone stale. Their readers resynchronise on reconnect.)
        eventually(
            "every server resynchronised with the restarted Redis",
            || fleet.servers.iter().all(|s| s.feed.stats().resyncs >= 2),
        )
        .await;
        fleet.all_fresh().await;
        let fresh = killed.elapsed();
        let mut all = saved.clone();
        all.extend(&after);
        fleet.converge(&all).await;
        let joined = fleet.join(client(&server)()).await;
        assert_eq!(fleet::missing(&joined.set, &all), 0);
        let snapshot = int(&server, &["ZCARD", &fleet.config.snapshot_key()]).await;
        assert_eq!(snapshot, all.len() as i64);
        println!(
            "restarted from an older RDB ({in_rdb} of {} entries): fresh {:.0} ms after the kill; \
             snapshot back to {snapshot} entries by re-publishing; lost: 0",
            all.len(),
            ms(fresh),
        );
    });
}
