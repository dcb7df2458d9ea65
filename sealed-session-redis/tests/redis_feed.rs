//! The Redis feed against a real `redis-server` (Debian's 7.0), one per
//! test on a free loopback port: propagation between two servers' sets,
//! start-up from the snapshot, resync after trimming, Redis killed and
//! restarted, and bad feed messages.
//!
//! `cargo test -p sealed-session-redis --test redis_feed`

#[path = "common/redis.rs"]
mod redis_server;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis_server::RedisServer;
use sealed_session::time::{self, OffsetDateTime};
use sealed_session::{
    Key, KeyRing, Opened, Revocation, RevocationError, RevocationSet, SessionId, SessionStore,
    UserId,
};
use sealed_session_redis::{
    Client, FeedError, FeedEvent, RedisFeed, RedisFeedConfig, RejectReason,
};

/// The staleness bound of these tests (the default).
const BOUND: Duration = Duration::from_secs(1);

/// Generous: how long a test waits for something that must happen.
const PATIENCE: Duration = Duration::from_secs(10);

fn store() -> SessionStore {
    SessionStore::builder("__Host-sid", KeyRing::new(1, Key::generate()))
        .build()
        .unwrap()
}

/// The events a feed reported.
type Events = Arc<Mutex<Vec<FeedEvent>>>;

fn feed(server: &RedisServer, set: &RevocationSet) -> (RedisFeed, Events) {
    feed_with(server, set, RedisFeedConfig::default())
}

fn feed_with(
    server: &RedisServer,
    set: &RevocationSet,
    config: RedisFeedConfig,
) -> (RedisFeed, Events) {
    let events: Events = Arc::default();
    let sink = Arc::clone(&events);
    let config = config.on_event(move |event| sink.lock().unwrap().push(event.clone()));
    let feed = RedisFeed::start(Client::open(server.url()).unwrap(), set, config).unwrap();
    (feed, events)
}

async fn raw(server: &RedisServer) -> MultiplexedConnection {
    Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// Polls `done` every 2 ms until it holds; panics after [`PATIENCE`].
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < PATIENCE, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn fresh(feed: &RedisFeed) {
    feed.wait_fresh(PATIENCE).await.unwrap();
}

/// A user cookie of `user`, opened.
fn login(store: &SessionStore, user: u64) -> Opened<()> {
    let cookie = store.seal_for_user(&UserId::from(user), 0, &()).unwrap();
    store.open::<()>(cookie.value()).unwrap()
}

fn anonymous(store: &SessionStore) -> Opened<()> {
    let cookie = store.seal(&()).unwrap();
    store.open::<()>(cookie.value()).unwrap()
}

/// Sleeps until `bound` after `since`: by then every set either applied a
/// revocation acknowledged at `since`, or is stale.
async fn sleep_past_bound(since: Instant) {
    tokio::time::sleep_until((since + BOUND + Duration::from_millis(1)).into()).await;
}

fn run<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

#[test]
fn a_revocation_on_a_reaches_b_within_the_bound() {
    let server = RedisServer::start();
    run(async {
        let store = store();
        let (set_a, set_b) = (RevocationSet::new(&store), RevocationSet::new(&store));
        let (feed_a, _) = feed(&server, &set_a);
        let (feed_b, events_b) = feed(&server, &set_b);
        fresh(&feed_a).await;
        fresh(&feed_b).await;

        let phone = login(&store, 1);
        let laptop = login(&store, 1);
        let other = login(&store, 2);
        for opened in [&phone, &laptop, &other] {
            assert_eq!(set_b.check(opened.info(), opened.user_id()), Ok(()));
        }

        // "log out this device" on A, durably
        feed_a
            .revoke(Revocation::of_session(phone.info()))
            .await
            .unwrap();
        let acknowledged = Instant::now();
        assert_eq!(
            set_a.check(phone.info(), phone.user_id()),
            Err(RevocationError::Revoked)
        ); // at once
        sleep_past_bound(acknowledged).await;
        // Past the bound B never accepts it: revoked, or (if it could not
        // keep up) stale.
        assert_ne!(set_b.check(phone.info(), phone.user_id()), Ok(()));
        eventually("B refuses the phone", || {
            set_b.check(phone.info(), phone.user_id()) == Err(RevocationError::Revoked)
        })
        .await;
        fresh(&feed_b).await;
        assert_eq!(
            set_b.check(laptop.info(), laptop.user_id()),
            Ok(()),
            "the other device stays"
        );

        // "log out everywhere" on B, through the set (queued, not awaited)
        set_b.revoke(Revocation::User {
            user: UserId::from(1u64),
            logged_in_until: OffsetDateTime::now_utc(),
        });
        assert_eq!(
            set_b.check(laptop.info(), laptop.user_id()),
            Err(RevocationError::Revoked)
        );
        feed_b.flush(PATIENCE).await.unwrap();
        let acknowledged = Instant::now();
        sleep_past_bound(acknowledged).await;
        assert_ne!(set_a.check(laptop.info(), laptop.user_id()), Ok(()));
        eventually("A refuses the laptop", || {
            set_a.check(laptop.info(), laptop.user_id()) == Err(RevocationError::Revoked)
        })
        .await;
        fresh(&feed_a).await;
        assert_eq!(
            set_a.check(other.info(), other.user_id()),
            Ok(()),
            "another user stays"
        );

        assert_eq!(feed_a.stats().published, 1);
        assert_eq!(feed_b.stats().published, 1);
        assert_eq!(feed_b.stats().rejected, 0);
        assert!(
            !events_b.lock().unwrap().iter().any(FeedEvent::is_warning),
            "{:?}",
            events_b.lock().unwrap()
        );
    });
}

#[test]
fn a_new_reader_starts_from_the_snapshot() {
    let server = RedisServer::start();
    run(async {
        let store = store();
        let set_a = RevocationSet::new(&store);
        let (feed_a, _) = feed(&server, &set_a);
        fresh(&feed_a).await;
        let device = login(&store, 7);
        let everywhere = login(&store, 8);
        feed_a
            .revoke(Revocation::of_session(device.info()))
            .await
            .unwrap();
        feed_a
            .revoke_user(&UserId::from(8u64), OffsetDateTime::now_utc())
            .await
            .unwrap();
        // A later login of user 8 is not revoked; one second later so that
        // its login time is after the revocation's.
        let later_at = OffsetDateTime::now_utc() + time::Duration::seconds(2);
        let later = store
            .seal_for_user_at(&UserId::from(8u64), 0, &(), later_at)
            .unwrap();
        let later = store.open_at::<()>(later.value(), later_at).unwrap();

        // The stream is gone: only the snapshot can tell a new server.
        let mut conn = raw(&server).await;
        let _: () = redis::cmd("DEL")
            .arg(RedisFeedConfig::default().stream_key())
            .query_async(&mut conn)
            .await
            .unwrap();

        let set_c = RevocationSet::new(&store);
        let (feed_c, _) = feed(&server, &set_c);
        fresh(&feed_c).await;
        assert_eq!(
            set_c.check(device.info(), device.user_id()),
            Err(RevocationError::Revoked)
        );
        assert_eq!(
            set_c.check(everywhere.info(), everywhere.user_id()),
            Err(RevocationError::Revoked)
        );
        assert_eq!(set_c.check(later.info(), later.user_id()), Ok(()));
        let stats = feed_c.stats();
        assert_eq!((stats.resyncs, stats.applied, stats.rejected), (1, 2, 0));

        // The snapshot key has a TTL (the latest entry's remaining life).
        let ttl: i64 = redis::cmd("TTL")
            .arg(RedisFeedConfig::default().snapshot_key())
            .query_async(&mut conn)
            .await
            .unwrap();
        let lifetime = store.ttl() + store.leeway();
        assert!(ttl > 0 && ttl <= lifetime.whole_seconds(), "ttl {ttl}");
    });
}

#[test]
fn a_reader_whose_last_id_was_trimmed_away_resyncs_from_the_snapshot() {
    let server = RedisServer::start();
    run(async {
        let store = store();
        let set_b = RevocationSet::new(&store);
        let (feed_b, _) = feed(&server, &set_b);
        fresh(&feed_b).await;
        let config = RedisFeedConfig::default();
        let expires_at = OffsetDateTime::now_utc() + time::Duration::hours(1);
        let ids: Vec<SessionId> = (1..=50u64).map(|i| SessionId::from_u64(i << 32)).collect();

        // Another publisher writes 50 revocations in one transaction,
        // trimming the stream to one entry (exact MAXLEN) as it goes: B's
        // blocked read wakes after it and finds only the last entry.
        let mut pipe = redis::pipe();
        pipe.atomic();
        for id in &ids {
            let msg = format!("1:s:{id}:{}", expires_at.unix_timestamp());
            pipe.cmd("ZADD")
                .arg(config.snapshot_key())
                .arg(expires_at.unix_timestamp() + 60)
                .arg(&msg)
                .ignore();
            pipe.cmd("XADD")
                .arg(config.stream_key())
                .arg("MAXLEN")
                .arg(1)
                .arg("*")
                .arg("m")
                .arg(&msg)
                .ignore();
        }
        let mut conn = raw(&server).await;
        let _: () = pipe.query_async(&mut conn).await.unwrap();
        let len: usize = redis::cmd("XLEN")
            .arg(config.stream_key())
            .query_async(&mut conn)
            .await
            .unwrap();
        assert_eq!(len, 1);

        eventually("B resynchronised after the gap", || {
            feed_b.stats().gaps == 1
        })
        .await;
        fresh(&feed_b).await;
        for id in &ids {
            assert!(set_b.is_session_revoked(*id), "{id} missed");
        }
        assert_eq!(set_b.stats().session_entries, 50);
        assert!(feed_b.stats().resyncs >= 2); // start-up and the gap
    });
}

#[test]
fn redis_killed_fails_closed_for_users_then_recovers_without_a_restart() {
    let mut server = RedisServer::start();
    run(async {
        let store = store();
        let (set_a, set_b) = (RevocationSet::new(&store), RevocationSet::new(&store));
        let (feed_a, _) = feed(&server, &set_a);
        let (feed_b, events_b) = feed(&server, &set_b);
        fresh(&feed_a).await;
        fresh(&feed_b).await;
        let user = login(&store, 3);
        let guest = anonymous(&store);
        let revoked_guest = anonymous(&store);
        feed_a
            .revoke(Revocation::of_session(revoked_guest.info()))
            .await
            .unwrap();
        eventually("B has it", || {
            set_b.is_session_revoked(revoked_guest.info().session_id())
        })
        .await;

        server.kill();
        let killed = Instant::now();
        sleep_past_bound(killed).await;
        for set in [&set_a, &set_b] {
            assert!(set.is_stale());
            assert_eq!(
                set.check(user.info(), user.user_id()),
                Err(RevocationError::Stale),
                "fail closed"
            );
            assert_eq!(
                set.check(guest.info(), guest.user_id()),
                Ok(()),
                "anonymous sessions unaffected"
            );
            assert_eq!(
                set.check(revoked_guest.info(), revoked_guest.user_id()),
                Err(RevocationError::Revoked)
            );
        }
        // Revoked during the outage, on A: in force on A, queued for Redis.
        let during = login(&store, 4);
        set_a.revoke(Revocation::of_session(during.info()));
        assert!(matches!(
            feed_a.revoke(Revocation::of_session(during.info())).await,
            Err(FeedError::NotAcknowledged)
        ));
        assert!(feed_a.health().unacknowledged >= 1);
        assert_eq!(
            set_a.check(during.info(), during.user_id()),
            Err(RevocationError::Revoked)
        );
        assert!(
            events_b
                .lock()
                .unwrap()
                .iter()
                .any(|e| matches!(e, FeedEvent::Disconnected { .. }))
        );

        server.restart(); // empty: no persistence
        fresh(&feed_a).await;
        fresh(&feed_b).await;
        assert_eq!(set_b.check(user.info(), user.user_id()), Ok(()));
        // What B knew stays known; what A queued during the outage arrives.
        assert_eq!(
            set_b.check(revoked_guest.info(), revoked_guest.user_id()),
            Err(RevocationError::Revoked)
        );
        eventually("the queued revocation reaches B", || {
            set_b.check(during.info(), during.user_id()) == Err(RevocationError::Revoked)
        })
        .await;
        // And new ones flow again.
        feed_a
            .revoke(Revocation::of_session(user.info()))
            .await
            .unwrap();
        eventually("B refuses the user", || {
            set_b.check(user.info(), user.user_id()) == Err(RevocationError::Revoked)
        })
        .await;
        assert!(feed_b.stats().connections >= 2);
        assert!(feed_a.stats().publish_failures >= 1);
        // Redis came back empty: the servers re-published what they knew,
        // so a server that joins now learns it all from the snapshot.
        let set_c = RevocationSet::new(&store);
        let (feed_c, _) = feed(&server, &set_c);
        fresh(&feed_c).await;
        for opened in [&revoked_guest, &during, &user] {
            assert_eq!(
                set_c.check(opened.info(), opened.user_id()),
                Err(RevocationError::Revoked)
            );
        }
    });
}

#[test]
fn bad_feed_messages_are_rejected_counted_and_never_applied() {
    let server = RedisServer::start();
    run(async {
        let store = store();
        let config = RedisFeedConfig::default();
        let expires = (OffsetDateTime::now_utc() + time::Duration::hours(1)).unix_timestamp();
        let mut conn = raw(&server).await;

        // Bad members in the snapshot, met by a new reader's start-up.
        let bad_members: Vec<Vec<u8>> = vec![
            b"garbage".to_vec(),
            format!("2:s:00000000000000aa:{expires}").into_bytes(),
            format!("1:s:00000000000000bb:{expires}:{}", "x".repeat(300)).into_bytes(),
        ];
        for member in &bad_members {
            let _: () = redis::cmd("ZADD")
                .arg(config.snapshot_key())
                .arg(expires + 60)
                .arg(member.as_slice())
                .query_async(&mut conn)
                .await
                .unwrap();
        }
        let set = RevocationSet::new(&store);
        let (feed_b, events) = feed(&server, &set);
        fresh(&feed_b).await;
        assert_eq!(feed_b.stats().rejected, 3);

        // Bad stream entries, met by the running reader.
        let id = |n: u64| SessionId::from_u64(0xdead_0000 + n);
        let entries: Vec<Vec<(&str, Vec<u8>)>> = vec![
            vec![("m", b"not a revocation".to_vec())],
            vec![("m", vec![0xff, 0xfe, 0x00])],
            vec![(
                "m",
                format!("1:s:{}:{expires}", "a".repeat(1000)).into_bytes(),
            )],
            vec![("m", format!("9:s:{}:{expires}", id(1)).into_bytes())],
            vec![("message", format!("1:s:{}:{expires}", id(2)).into_bytes())],
            vec![
                ("m", format!("1:s:{}:{expires}", id(3)).into_bytes()),
                ("v", b"1".to_vec()),
            ],
            vec![(
                "m",
                format!("1:s:{}:{expires}", id(4).to_string().to_uppercase()).into_bytes(),
            )],
            vec![(
                "m",
                format!("1:u:{expires}:t:{}", "u".repeat(129)).into_bytes(),
            )],
        ];
        for fields in &entries {
            let mut cmd = redis::cmd("XADD");
            cmd.arg(config.stream_key()).arg("*");
            for (field, value) in fields {
                cmd.arg(*field).arg(value.as_slice());
            }
            let _: String = cmd.query_async(&mut conn).await.unwrap();
        }
        // A good one after them: the reader is alive and went past them.
        let good = Revocation::Session {
            id: id(5),
            expires_at: OffsetDateTime::from_unix_timestamp(expires).unwrap(),
        };
        let writer = RevocationSet::new(&store);
        let (feed_a, _) = feed(&server, &writer);
        feed_a.revoke(good).await.unwrap();
        eventually("the good one arrives", || set.is_session_revoked(id(5))).await;

        let stats = feed_b.stats();
        assert_eq!(stats.rejected, 3 + 8);
        assert_eq!(set.stats().entries, 1, "nothing bad was applied");
        for n in 1..=4 {
            assert!(!set.is_session_revoked(id(n)));
        }
        fresh(&feed_b).await;
        let mut reasons: Vec<RejectReason> = events
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                FeedEvent::Rejected { reason, .. } => Some(*reason),
                _ => None,
            })
            .collect();
        use RejectReason::{Malformed, Oversized, UnknownVersion};
        // The snapshot's three first, in ZSCAN's order (sorted here)...
        reasons[..3].sort_by_key(|r| format!("{r:?}"));
        assert_eq!(
            reasons,
            vec![
                Malformed,
                Oversized,
                UnknownVersion,
                // ...then the stream's, in order
                Malformed,
                Malformed,
                Oversized,
                UnknownVersion,
                Malformed,
                Malformed,
                Malformed,
                Malformed,
            ]
        );
    });
}

/// What a `tracing` subscriber wrote, as text.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn security_events_go_through_tracing_and_carry_no_password() {
    const PASSWORD: &str = "s3cret-feed-password";
    let mut server = RedisServer::start_with(&["--requirepass", PASSWORD]);
    let url = format!("redis://:{PASSWORD}@127.0.0.1:{}/", server.port());
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .without_time()
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // One thread: the feed's tasks report on this thread's subscriber.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let store = store();
            let set = RevocationSet::new(&store);
            let feed = RedisFeed::start(
                Client::open(url.as_str()).unwrap(),
                &set,
                RedisFeedConfig::default(),
            )
            .unwrap();
            fresh(&feed).await;
            feed.revoke_session(login(&store, 1).info()).await.unwrap();
            let mut conn = Client::open(url.as_str())
                .unwrap()
                .get_multiplexed_async_connection()
                .await
                .unwrap();
            let _: String = redis::cmd("XADD")
                .arg(RedisFeedConfig::default().stream_key())
                .arg("*")
                .arg("m")
                .arg("not a revocation")
                .query_async(&mut conn)
                .await
                .unwrap();
            eventually("the bad entry is rejected", || feed.stats().rejected == 1).await;
            server.kill();
            eventually("the write failure is reported", || {
                feed.health().write_error.is_some()
            })
            .await;
            assert!(set.is_stale());
            server.restart();
            fresh(&feed).await;
            eventually("the writes recover", || feed.health().failing_for.is_none()).await;
            let seen = captured.clone();
            eventually("feed_fresh is reported", || {
                String::from_utf8_lossy(&seen.0.lock().unwrap()).contains("feed_fresh")
            })
            .await;
            feed.shutdown().await;
        });
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    for event in [
        "feed_connected",
        "feed_resynced",
        "revocations_published",
        "feed_message_rejected",
        "feed_disconnected",
        "revocation_write_failed",
        "revocation_write_failing",
        "feed_stale",
        "revocation_write_recovered",
        "feed_fresh",
    ] {
        assert!(text.contains(event), "no {event} in:\n{text}");
    }
    assert!(text.contains("sealed_session_redis"), "the target");
    assert!(
        !text.contains(PASSWORD),
        "a password in the events:\n{text}"
    );
}
