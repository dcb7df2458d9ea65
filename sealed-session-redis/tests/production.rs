//! Production connections against real processes: TLS (`rediss://`, a
//! throwaway CA made here with the `openssl` CLI) with an ACL user limited
//! to the feed's keys and commands, and a Redis Sentinel failover (three
//! sentinels, one replica, the primary SIGKILLed in the middle of a flood).
//! Each asserts that no revocation is lost and prints its figures.
//!
//! `cargo test -p sealed-session-redis --test production -- --nocapture`

#[path = "common/redis.rs"]
mod redis_server;

#[path = "common/fleet.rs"]
mod fleet;

use std::future::Future;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use fleet::{Fleet, eventually, ids, run};
use redis::Value;
use redis_server::{RedisServer, temp_dir};
use sealed_session_redis::{Client, Connector, RedisFeedConfig, TlsCertificates};

/// The minimal ACL of the README ("Trust model"), exactly.
const FEED_ACL: &[&str] = &[
    "feed",
    "reset",
    "on",
    ">feed-password",
    "~{sealed-session}:revocations:*",
    "resetchannels",
    "-@all",
    "+multi",
    "+exec",
    "+xadd",
    "+xread",
    "+xinfo|stream",
    "+zadd",
    "+zremrangebyscore",
    "+zscan",
    "+expire",
    "+client|setname",
];

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("cannot run openssl: apt-get install -y openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A throwaway CA and a server certificate for 127.0.0.1 signed by it.
fn certificates(dir: &Path) {
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=sealed-session test CA",
    ]);
    openssl(dir, &ca);
    let mut csr = vec!["req"];
    csr.extend(ec);
    csr.extend([
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    openssl(dir, &csr);
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "san.ext",
        ],
    );
}

#[test]
fn tls_with_an_acl_user_limited_to_the_feeds_keys() {
    let dir = temp_dir("certs");
    certificates(&dir);
    let server = RedisServer::start_tls(
        &dir.join("server.crt"),
        &dir.join("server.key"),
        &dir.join("ca.crt"),
        &[],
    );
    let ca = std::fs::read(dir.join("ca.crt")).unwrap();
    let tls = |url: String| {
        Client::build_with_tls(
            url,
            TlsCertificates {
                client_tls: None,
                root_cert: Some(ca.clone()),
            },
        )
        .unwrap()
    };
    let port = server.port();
    run(async {
        // The administrator (the default user) creates the feed's user.
        let admin = tls(format!("rediss://127.0.0.1:{port}/"));
        let mut conn = admin.get_multiplexed_async_connection().await.unwrap();
        let mut acl = redis::cmd("ACL");
        acl.arg("SETUSER").arg(FEED_ACL);
        let _: () = acl.query_async(&mut conn).await.unwrap();

        let feed_url = format!("rediss://feed:feed-password@127.0.0.1:{port}/");
        let connect = || -> Connector { tls(feed_url.clone()).into() };
        let fleet = Fleet::start(2, connect, RedisFeedConfig::default()).await;
        let all = ids(20, 5_000);
        let start = Instant::now();
        fleet.flood(&all, 500, Duration::ZERO).join().unwrap();
        fleet.converge(&all).await;
        let took = start.elapsed();
        let joined = fleet.join(connect()).await;
        assert_eq!(fleet::missing(&joined.set, &all), 0);
        for s in &fleet.servers {
            assert_eq!(
                s.feed.stats().publish_failures,
                0,
                "the ACL allows every write"
            );
        }

        // The feed's user can touch nothing else.
        let mut feed_conn = tls(feed_url.clone())
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        for (what, args) in [
            ("another key", vec!["SET", "app:other", "1"]),
            (
                "another key's stream",
                vec!["XADD", "app:stream", "*", "m", "x"],
            ),
            ("the keyspace", vec!["FLUSHALL"]),
            ("the configuration", vec!["CONFIG", "SET", "maxmemory", "1"]),
            (
                "deleting the feed's keys",
                vec!["DEL", "{sealed-session}:revocations:stream"],
            ),
        ] {
            let mut c = redis::cmd(args[0]);
            for a in &args[1..] {
                c.arg(*a);
            }
            let refused = c.query_async::<Value>(&mut feed_conn).await;
            assert!(
                refused
                    .as_ref()
                    .is_err_and(|e| e.to_string().to_lowercase().contains("permissions")),
                "{what}: {refused:?}"
            );
        }
        // Without the CA the client refuses the server: no feed at all.
        let untrusted = Client::open(format!("rediss://127.0.0.1:{port}/")).unwrap();
        assert!(untrusted.get_multiplexed_async_connection().await.is_err());
        println!(
            "tls + acl: {} revocations over rediss:// as user `feed` on 2 servers in {:.0} ms; \
             NOPERM for every other key and command; lost: 0",
            all.len(),
            took.as_secs_f64() * 1e3
        );
    });
    let _ = std::fs::remove_dir_all(&dir);
}

fn info_field(info: &str, field: &str) -> Option<String> {
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .map(|v| v.trim().to_owned())
}

async fn query(url: String, args: &'static [&'static str]) -> redis::RedisResult<Value> {
    let mut conn = Client::open(url)?
        .get_multiplexed_async_connection()
        .await?;
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query_async(&mut conn).await
}

fn text(value: &Value) -> String {
    match value {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::VerbatimString { text, .. } => text.clone(),
        Value::SimpleString(s) => s.clone(),
        other => format!("{other:?}"),
    }
}

/// The flat field list of `SENTINEL MASTER` as (name, value) pairs.
fn fields(value: &Value) -> Vec<(String, String)> {
    match value {
        Value::Array(items) => items
            .chunks(2)
            .filter_map(|p| match p {
                [k, v] => Some((text(k), text(v))),
                _ => None,
            })
            .collect(),
        Value::Map(pairs) => pairs.iter().map(|(k, v)| (text(k), text(v))).collect(),
        _ => Vec::new(),
    }
}

#[test]
fn a_sentinel_failover_mid_flood_loses_none() {
    let mut primary = RedisServer::start();
    let replica =
        RedisServer::start_with(&["--replicaof", "127.0.0.1", &primary.port().to_string()]);
    let sentinels: Vec<RedisServer> = (0..3)
        .map(|_| RedisServer::start_sentinel("feedmaster", primary.port()))
        .collect();
    run(async {
        // The replica is in sync, and every sentinel knows the replica and
        // the two other sentinels.
        eventually("the replica's link is up", || {
            futures_ready(query(replica.url(), &["INFO", "replication"])).is_some_and(|v| {
                info_field(&text(&v), "master_link_status").as_deref() == Some("up")
            })
        })
        .await;
        for s in &sentinels {
            eventually("the sentinel sees the replica and the others", || {
                futures_ready(query(s.url(), &["SENTINEL", "MASTER", "feedmaster"])).is_some_and(
                    |v| {
                        let f = fields(&v);
                        let get = |n: &str| f.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
                        get("num-slaves").as_deref() == Some("1")
                            && get("num-other-sentinels").as_deref() == Some("2")
                    },
                )
            })
            .await;
        }
        let urls: Vec<String> = sentinels.iter().map(RedisServer::url).collect();
        let connect = || -> Connector {
            Connector::from_sentinels(urls.clone(), "feedmaster", None).unwrap()
        };
        let fleet = Fleet::start(3, connect, RedisFeedConfig::default()).await;
        let all = ids(21, 20_000);
        // About 4 s of logouts on all three servers in turn.
        let flood = fleet.flood(&all, 200, Duration::from_millis(40));
        tokio::time::sleep(Duration::from_millis(1_000)).await;
        primary.kill(); // SIGKILL mid-flood
        let killed = Instant::now();
        fleet.all_stale().await;
        let stale = killed.elapsed();
        flood.join().unwrap();
        fleet.all_fresh().await;
        let fresh = killed.elapsed();
        fleet.converge(&all).await;
        let converged = killed.elapsed();
        // The promoted replica now holds every revocation.
        let role = text(
            &query(replica.url(), &["INFO", "replication"])
                .await
                .unwrap(),
        );
        assert_eq!(info_field(&role, "role").as_deref(), Some("master"));
        let joined = fleet.join(connect()).await;
        assert_eq!(fleet::missing(&joined.set, &all), 0);
        let republished: u64 = fleet
            .servers
            .iter()
            .map(|s| s.feed.stats().republished)
            .sum();
        println!(
            "sentinel failover (primary SIGKILLed mid-flood of {}): all 3 stale {:.0} ms after the kill, \
             fresh on the promoted replica {:.0} ms after it, every revocation everywhere after {:.0} ms \
             ({republished} re-published); lost: 0",
            all.len(),
            stale.as_secs_f64() * 1e3,
            fresh.as_secs_f64() * 1e3,
            converged.as_secs_f64() * 1e3,
        );
    });
}

/// Runs a short query to completion from a sync predicate (on a thread of
/// its own, with its own runtime): `None` on error.
fn futures_ready<F>(future: F) -> Option<Value>
where
    F: Future<Output = redis::RedisResult<Value>> + Send + 'static,
{
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(future)
            .ok()
    })
    .join()
    .unwrap()
}
