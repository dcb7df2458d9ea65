//! A fleet of servers in one test process: each a `RevocationSet` with its
//! own `RedisFeed`, all on one key ring; floods of logouts, and the waits
//! and counts the fault tests share.
#![allow(dead_code)] // each user takes what it needs

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sealed_session::time::{Duration as TimeDuration, OffsetDateTime};
use sealed_session::{
    Key, KeyRing, Opened, Revocation, RevocationSet, SessionId, SessionStore, UserId,
};
use sealed_session_redis::{Connector, FeedEvent, RedisFeed, RedisFeedConfig};

/// Generous: how long a test waits for something that must happen.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// The events a feed reported.
pub type Events = Arc<Mutex<Vec<FeedEvent>>>;

/// One server: its set and its feed.
pub struct Server {
    pub set: RevocationSet,
    pub feed: RedisFeed,
    pub events: Events,
}

/// Several servers on one key ring and one Redis (or Sentinel setup).
pub struct Fleet {
    pub store: SessionStore,
    pub servers: Vec<Server>,
    pub config: RedisFeedConfig,
    expires_at: OffsetDateTime,
}

/// `n` distinct session ids, tagged so tests never share one.
pub fn ids(tag: u64, n: u64) -> Vec<SessionId> {
    (0..n)
        .map(|i| SessionId::from_u64((tag << 40) | i))
        .collect()
}

/// How many of `ids` `set` does not hold.
pub fn missing(set: &RevocationSet, ids: &[SessionId]) -> usize {
    ids.iter()
        .filter(|id| !set.is_session_revoked(**id))
        .count()
}

/// Polls `done` every 5 ms until it holds; panics after [`PATIENCE`].
pub async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < PATIENCE, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Runs `future` on a two-thread runtime.
pub fn run<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

fn start_one(store: &SessionStore, connector: Connector, config: &RedisFeedConfig) -> Server {
    let set = RevocationSet::new(store);
    let events: Events = Arc::default();
    let sink = Arc::clone(&events);
    let config = config
        .clone()
        .on_event(move |event| sink.lock().unwrap().push(event.clone()));
    let feed = RedisFeed::start(connector, &set, config).unwrap();
    Server { set, feed, events }
}

impl Fleet {
    /// `n` servers, each with a connector from `connect`, fresh.
    pub async fn start(
        n: usize,
        connect: impl Fn() -> Connector,
        config: RedisFeedConfig,
    ) -> Fleet {
        let store = SessionStore::builder("__Host-sid", KeyRing::new(1, Key::generate()))
            .build()
            .unwrap();
        let servers = (0..n)
            .map(|_| start_one(&store, connect(), &config))
            .collect();
        let fleet = Fleet {
            store,
            servers,
            config,
            expires_at: OffsetDateTime::now_utc() + TimeDuration::hours(1),
        };
        fleet.all_fresh().await;
        fleet
    }

    /// A new server that joins now (it learns everything from Redis), fresh.
    pub async fn join(&self, connector: Connector) -> Server {
        // Whatever the fleet queued (re-published entries included) is
        // written first.
        self.flush().await;
        let server = start_one(&self.store, connector, &self.config);
        server.feed.wait_fresh(PATIENCE).await.unwrap();
        server
    }

    /// "Log out this device" of session `id`.
    pub fn revocation(&self, id: SessionId) -> Revocation {
        Revocation::Session {
            id,
            expires_at: self.expires_at,
        }
    }

    /// A user cookie, opened.
    pub fn login(&self, user: u64) -> Opened<()> {
        let cookie = self
            .store
            .seal_for_user(&UserId::from(user), 0, &())
            .unwrap();
        self.store.open::<()>(cookie.value()).unwrap()
    }

    /// Revokes `ids` through the sets (queued, as a logout does), `chunk`
    /// at a time on each server in turn, pausing `pause` between chunks,
    /// on a thread of its own.
    pub fn flood(
        &self,
        ids: &[SessionId],
        chunk: usize,
        pause: Duration,
    ) -> std::thread::JoinHandle<()> {
        let sets: Vec<RevocationSet> = self.servers.iter().map(|s| s.set.clone()).collect();
        let ids = ids.to_vec();
        let expires_at = self.expires_at;
        std::thread::spawn(move || {
            for (k, part) in ids.chunks(chunk).enumerate() {
                let set = &sets[k % sets.len()];
                for id in part {
                    set.revoke(Revocation::Session {
                        id: *id,
                        expires_at,
                    });
                }
                if !pause.is_zero() {
                    std::thread::sleep(pause);
                }
            }
        })
    }

    /// Waits until every server is stale.
    pub async fn all_stale(&self) {
        eventually("every server is stale", || {
            self.servers.iter().all(|s| s.set.is_stale())
        })
        .await;
    }

    /// Waits until every server is fresh.
    pub async fn all_fresh(&self) {
        eventually("every server is fresh", || {
            self.servers.iter().all(|s| !s.set.is_stale())
        })
        .await;
    }

    /// Waits until every server holds every one of `ids` (panics, with the
    /// counts, if not within [`PATIENCE`]).
    pub async fn converge(&self, ids: &[SessionId]) {
        let start = Instant::now();
        loop {
            let lost: Vec<usize> = self.servers.iter().map(|s| missing(&s.set, ids)).collect();
            if lost.iter().all(|n| *n == 0) {
                return;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "revocations missing per server: {lost:?} of {}",
                ids.len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until every server's queue is written.
    pub async fn flush(&self) {
        for s in &self.servers {
            s.feed.flush(PATIENCE).await.unwrap();
        }
    }

    /// How many events of all servers match.
    pub fn events_of(&self, matches: impl Fn(&FeedEvent) -> bool) -> usize {
        self.servers
            .iter()
            .map(|s| {
                s.events
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|e| matches(e))
                    .count()
            })
            .sum()
    }

    /// No server rejected a message.
    pub fn assert_no_rejects(&self) {
        for s in &self.servers {
            assert_eq!(s.feed.stats().rejected, 0);
        }
    }
}
