//! axum-login unchanged on `SealedSessionLayer`: its documented API
//! (`AuthnBackend`, `AuthSession`, `login_required!`, login, logout), a SQLite
//! user table and argon2 hashes, over real HTTP (reqwest). Then the same
//! with two servers sharing revocations through a real redis-server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::app::{Backend, Device, memory_store_app, sealed_app, serve};
use common::redis::RedisServer;
use sealed_session::{CookieOptions, Key, KeyRing, RevocationSet, SessionStore, Sessions};
use sealed_session_redis::{Client, RedisFeed, RedisFeedConfig};

const NAME: &str = "__Host-id";
/// Generous: how long a test waits for something that must happen.
const PATIENCE: Duration = Duration::from_secs(60);

fn store() -> SessionStore {
    SessionStore::builder(NAME, KeyRing::new(1, Key::generate()))
        .build()
        .unwrap()
}

fn backend() -> Backend {
    let backend = Backend::new();
    backend.add_user("ferris", "hunter42");
    backend
}

/// One server: the app, its only session line our layer.
async fn server(backend: &Backend, store: &SessionStore, revoked: RevocationSet) -> String {
    let sessions = Sessions::new(store.clone(), CookieOptions::new())
        .unwrap()
        .with_revocations(revoked);
    serve(sealed_app(backend.clone(), sessions)).await
}

#[tokio::test]
async fn login_protected_logout_and_password_change() {
    let backend = backend();
    let store = store();
    flow(
        &server(&backend, &store, RevocationSet::new(&store)).await,
        NAME,
    )
    .await;
}

/// The same flow, the same handlers, on tower-sessions' `MemoryStore`:
/// the app is unchanged but for its session lines.
#[tokio::test]
async fn same_flow_on_tower_sessions_memory_store() {
    flow(&serve(memory_store_app(backend())).await, "id").await;
}

async fn flow(base: &str, cookie_name: &'static str) {
    let base = base.to_owned();
    let mut phone = Device::new(cookie_name);

    // Signed out: the protected route refuses; a wrong password too.
    assert_eq!(phone.counter(&base).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        phone.login(&base, "ferris", "wrong").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(phone.cookie, None, "a failed login sets no cookie");

    assert_eq!(
        phone.login(&base, "ferris", "hunter42").await,
        StatusCode::OK
    );
    assert!(phone.cookie.is_some());
    assert_eq!(
        phone.counter(&base).await,
        (StatusCode::OK, "user 1 count 1".into())
    );
    assert_eq!(
        phone.counter(&base).await,
        (StatusCode::OK, "user 1 count 2".into())
    );

    // Logout: the cookie is removed, and a copy of it is refused.
    let copy = phone.clone();
    assert_eq!(phone.logout(&base).await, StatusCode::OK);
    assert_eq!(phone.cookie, None);
    assert_eq!(phone.counter(&base).await.0, StatusCode::UNAUTHORIZED);
    let mut copy = copy;
    assert_eq!(copy.counter(&base).await.0, StatusCode::UNAUTHORIZED);

    // Login cycles the id: a cookie from before the login no longer works.
    let mut laptop = Device::new(cookie_name);
    assert_eq!(laptop.counter(&base).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        phone.login(&base, "ferris", "hunter42").await,
        StatusCode::OK
    );
    assert_eq!(
        laptop.login(&base, "ferris", "hunter42").await,
        StatusCode::OK
    );
    assert_eq!(laptop.counter(&base).await.0, StatusCode::OK);

    // A password change on the phone ends the laptop's session (axum-login's
    // session auth hash); the phone stays signed in.
    let (status, _) = phone
        .send(&base, true, "/password", &[("password", "correct horse")])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(phone.counter(&base).await.0, StatusCode::OK);
    assert_eq!(laptop.counter(&base).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        laptop.login(&base, "ferris", "hunter42").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        laptop.login(&base, "ferris", "correct horse").await,
        StatusCode::OK
    );
}

/// How long until `device`'s request to `base` gets `want` (at most PATIENCE).
async fn until(device: &Device, base: &str, want: StatusCode) -> Duration {
    let start = Instant::now();
    loop {
        let mut probe = device.clone();
        if probe.counter(base).await.0 == want {
            return start.elapsed();
        }
        assert!(start.elapsed() < PATIENCE, "{base} never answered {want}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn two_servers_share_logout_through_redis() {
    let redis = RedisServer::start();
    let backend = backend();
    let store = store();
    let mut feeds = Vec::new();
    let mut bases = Vec::new();
    for _ in 0..2 {
        let revoked = RevocationSet::new(&store);
        let client = Client::open(redis.url()).unwrap();
        let feed = RedisFeed::start(client, &revoked, RedisFeedConfig::default()).unwrap();
        feed.wait_fresh(PATIENCE).await.unwrap();
        bases.push(server(&backend, &store, revoked).await);
        feeds.push(feed);
    }
    let (a, b) = (&bases[0], &bases[1]);

    let mut phone = Device::new(NAME);
    assert_eq!(phone.login(a, "ferris", "hunter42").await, StatusCode::OK);
    assert_eq!(
        phone.counter(b).await.0,
        StatusCode::OK,
        "server B opens A's cookie"
    );
    let copy = phone.clone();

    // Logout on A: the copy is refused on A at once, and on B once the
    // revocation came through Redis.
    assert_eq!(phone.logout(a).await, StatusCode::OK);
    feeds[0].flush(PATIENCE).await.unwrap();
    assert_eq!(copy.clone().counter(a).await.0, StatusCode::UNAUTHORIZED);
    let took = until(&copy, b, StatusCode::UNAUTHORIZED).await;
    println!("logout on A reached B in {took:?}");

    // The copy stays refused on B (not just a moment's miss).
    assert_eq!(copy.clone().counter(b).await.0, StatusCode::UNAUTHORIZED);

    // A login on B is good on A.
    let mut laptop = Device::new(NAME);
    assert_eq!(laptop.login(b, "ferris", "hunter42").await, StatusCode::OK);
    assert_eq!(laptop.counter(a).await.0, StatusCode::OK);

    // A password change on A ends the laptop's session on B.
    let mut phone = Device::new(NAME);
    assert_eq!(phone.login(a, "ferris", "hunter42").await, StatusCode::OK);
    let (status, _) = phone
        .send(a, true, "/password", &[("password", "correct horse")])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(laptop.counter(b).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(phone.counter(b).await.0, StatusCode::OK);
}
