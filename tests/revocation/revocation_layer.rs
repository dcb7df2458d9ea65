//! The revocation set inside the session layer (axum, no network): a
//! logout revokes the session, so a copy of the cookie (and every later
//! re-seal of it) is refused; log out everywhere needs no epoch; a revoked
//! cookie costs no epoch lookup; a stale feed fails closed for user
//! sessions only, and recovers by itself. The case table in
//! tests/adapter_cases runs the same rules through the engine, axum and
//! actix-web.
#![cfg(feature = "axum")]

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{Request, StatusCode};
use axum::routing::{get, post};
use http_body_util::BodyExt as _;
use sealed_session::axum::SessionLayer;
use sealed_session::cookie::CookieOptions;
use sealed_session::testing::ClientCookies;
use sealed_session::time::Duration;
use sealed_session::{
    Clock, FeedOptions, Key, KeyRing, ManualClock, NoEpochs, Revocation, RevocationSet,
    SessionError, SessionHandle, SessionId, SessionStore, Sessions, UserId, UserSession,
};
use tower::ServiceExt as _;

const NAME: &str = "__Host-app";

#[derive(serde::Serialize, serde::Deserialize, Default, Clone)]
struct Data {
    counter: u64,
}

fn key(seed: u8) -> Key {
    let bytes: Vec<u8> = (0u8..32)
        .map(|i| i.wrapping_mul(13).wrapping_add(seed))
        .collect();
    Key::from_bytes(&bytes).unwrap()
}

struct Fixture {
    sessions: Sessions,
    revocations: RevocationSet,
    hand: ManualClock,
}

/// The fixture's store, on `clock`.
fn fixture_store(clock: Clock) -> SessionStore {
    SessionStore::builder(NAME, KeyRing::new(1, key(3)))
        .ttl(Duration::days(7))
        .idle_timeout(Duration::hours(12))
        .clock(clock)
        .build()
        .unwrap()
}

fn fixture() -> Fixture {
    let (clock, hand) = Clock::manual(common::t0());
    let store = fixture_store(clock);
    let revocations = RevocationSet::new(&store);
    let sessions = Sessions::new(store, CookieOptions::new())
        .unwrap()
        .with_revocations(revocations.clone());
    Fixture {
        sessions,
        revocations,
        hand,
    }
}

async fn home(session: SessionHandle<Data>) -> String {
    match session.user_id() {
        Some(user) => format!("{user}: {}", session.read(|d| d.counter)),
        None => "signed out".into(),
    }
}

async fn login(session: SessionHandle<Data>) -> String {
    session.login(7u64, 0, Data::default());
    session.session_id().map(|id| id.to_string()).unwrap()
}

async fn count(user: UserSession<Data>) {
    user.update(|d| d.counter += 1);
}

async fn logout(session: SessionHandle<Data>) {
    session.logout();
}

/// An anonymous visit: starts (or changes) a session without a user.
async fn visit(session: SessionHandle<Data>) {
    session.update(|d| d.counter += 1);
}

async fn everywhere(user: UserSession<Data>) -> Result<(), SessionError> {
    user.logout_everywhere()
}

fn routes() -> Router {
    Router::new()
        .route("/", get(home))
        .route("/login", post(login))
        .route("/count", post(count))
        .route("/visit", post(visit))
        .route("/logout", post(logout))
        .route("/logout-everywhere", post(everywhere))
}

fn app(sessions: &Sessions) -> Router {
    app_on(sessions.clone())
}

fn app_on(sessions: Sessions) -> Router {
    routes().layer(SessionLayer::new(sessions, NoEpochs))
}

struct Answer {
    status: u16,
    body: String,
    set_cookies: Vec<String>,
}

async fn browse(app: &Router, jar: &mut ClientCookies, method: &str, path: &str) -> Answer {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(cookie) = jar.cookie_header() {
        request = request.header(COOKIE, cookie);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let set_cookies: Vec<String> = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    jar.receive(&set_cookies);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        body: String::from_utf8(body.to_vec()).unwrap(),
        set_cookies,
    }
}

#[tokio::test]
async fn a_cookie_copied_before_logout_is_refused_after_it() {
    let f = fixture();
    let app = app(&f.sessions);
    let mut laptop = ClientCookies::new();
    browse(&app, &mut laptop, "POST", "/login").await;
    browse(&app, &mut laptop, "POST", "/count").await;
    let copy = laptop.clone();

    browse(&app, &mut laptop, "POST", "/logout").await;
    assert_eq!(laptop.get(NAME), None, "the browser's cookie is removed");
    assert_eq!(
        f.revocations.stats().session_entries,
        1,
        "and the session revoked"
    );

    let mut thief = copy;
    let answer = browse(&app, &mut thief, "GET", "/").await;
    assert_eq!(answer.body, "signed out");
    assert_eq!(thief.get(NAME), None, "the copy gets the removal cookie");
}

#[tokio::test]
async fn every_later_reseal_of_a_revoked_session_is_refused_too() {
    let f = fixture();
    let app = app(&f.sessions);
    let mut phone = ClientCookies::new();
    browse(&app, &mut phone, "POST", "/login").await;
    let early_copy = phone.clone();
    // The phone keeps using the session: every change re-seals it.
    for i in 1..=3 {
        f.hand.advance(Duration::minutes(10));
        browse(&app, &mut phone, "POST", "/count").await;
        assert_eq!(
            browse(&app, &mut phone, "GET", "/").await.body,
            format!("7: {i}")
        );
    }
    // Log out from the early copy (same session id): the re-sealed cookie
    // the phone holds now is refused as well.
    let mut early = early_copy;
    browse(&app, &mut early, "POST", "/logout").await;
    assert_eq!(
        browse(&app, &mut phone, "GET", "/").await.body,
        "signed out"
    );
}

#[tokio::test]
async fn log_out_one_device_keeps_the_other() {
    let f = fixture();
    let app = app(&f.sessions);
    let mut laptop = ClientCookies::new();
    let mut phone = ClientCookies::new();
    let laptop_id = browse(&app, &mut laptop, "POST", "/login").await.body;
    let phone_id = browse(&app, &mut phone, "POST", "/login").await.body;
    assert_ne!(laptop_id, phone_id, "one session id per login");

    // "Log out that device" from a sessions page: by the id recorded at
    // login, with the session's deadline.
    let id = SessionId::from_u64(u64::from_str_radix(&phone_id, 16).unwrap());
    let deadline = common::t0() + Duration::days(7);
    f.revocations.revoke_at(
        Revocation::Session {
            id,
            expires_at: deadline,
        },
        common::t0(),
    );

    assert_eq!(
        browse(&app, &mut phone, "GET", "/").await.body,
        "signed out"
    );
    assert_eq!(browse(&app, &mut laptop, "GET", "/").await.body, "7: 0");
}

#[tokio::test]
async fn log_out_everywhere_needs_no_epoch_and_a_later_login_works() {
    let f = fixture();
    let app = app(&f.sessions);
    let mut laptop = ClientCookies::new();
    let mut phone = ClientCookies::new();
    browse(&app, &mut laptop, "POST", "/login").await;
    browse(&app, &mut phone, "POST", "/login").await;

    f.hand.advance(Duration::minutes(1));
    let phone_before = phone.clone();
    let answer = browse(&app, &mut phone, "POST", "/logout-everywhere").await;
    assert_eq!(answer.status, 200);
    assert_eq!(phone.get(NAME), None);
    assert_eq!(f.revocations.stats().user_entries, 1);
    assert_eq!(
        browse(&app, &mut laptop, "GET", "/").await.body,
        "signed out"
    );
    assert_eq!(laptop.get(NAME), None);

    // Logging in again a second later works at once: the revocation covers
    // every login up to its time plus the leeway (a server whose clock runs
    // ahead), so the layer seals that login just past it, which an opener
    // accepts from one second after the revocation on.
    f.hand.advance(Duration::seconds(1));
    browse(&app, &mut laptop, "POST", "/login").await;
    assert_eq!(browse(&app, &mut laptop, "GET", "/").await.body, "7: 0");
    browse(&app, &mut laptop, "POST", "/count").await;
    assert_eq!(browse(&app, &mut laptop, "GET", "/").await.body, "7: 1");
    // ... and keeps working as the clock moves on.
    f.hand.advance(Duration::minutes(5));
    browse(&app, &mut laptop, "POST", "/count").await;
    assert_eq!(browse(&app, &mut laptop, "GET", "/").await.body, "7: 2");
    // A copy of the phone's cookie from before stays revoked.
    let mut copy = phone_before;
    assert_eq!(browse(&app, &mut copy, "GET", "/").await.body, "signed out");
}

#[tokio::test]
async fn a_login_in_the_very_second_of_log_out_everywhere_opens_a_second_later() {
    let f = fixture();
    let app = app(&f.sessions);
    let mut laptop = ClientCookies::new();
    browse(&app, &mut laptop, "POST", "/login").await;
    f.hand.advance(Duration::minutes(1));
    browse(&app, &mut laptop, "POST", "/logout-everywhere").await;
    // Same second: the new cookie is sealed past the revocation's reach,
    // ahead of this clock; it is kept (not removed) and opens a second later.
    browse(&app, &mut laptop, "POST", "/login").await;
    let fresh = laptop.get(NAME).expect("a cookie").to_owned();
    let answer = browse(&app, &mut laptop, "GET", "/").await;
    assert_eq!(answer.body, "signed out");
    assert!(answer.set_cookies.is_empty(), "{:?}", answer.set_cookies);
    assert_eq!(laptop.get(NAME), Some(fresh.as_str()));
    f.hand.advance(Duration::seconds(1));
    assert_eq!(browse(&app, &mut laptop, "GET", "/").await.body, "7: 0");
}

#[tokio::test]
async fn log_out_everywhere_covers_logins_from_a_clock_that_runs_ahead() {
    let f = fixture();
    let app = app(&f.sessions);
    // Another server of the fleet, same keys and set, its clock 59 s ahead
    // (inside the 60 s leeway the opener accepts).
    let (ahead, ahead_hand) = Clock::manual(common::t0() + Duration::seconds(59));
    let other = app_on(
        Sessions::new(fixture_store(ahead), CookieOptions::new())
            .unwrap()
            .with_revocations(f.revocations.clone()),
    );
    let mut phone = ClientCookies::new();
    browse(&other, &mut phone, "POST", "/login").await;
    assert_eq!(browse(&app, &mut phone, "GET", "/").await.body, "7: 0");
    let stolen = phone.clone();

    let mut laptop = ClientCookies::new();
    browse(&app, &mut laptop, "POST", "/login").await;
    browse(&app, &mut laptop, "POST", "/logout-everywhere").await;
    for server in [&app, &other] {
        let mut copy = stolen.clone();
        assert_eq!(
            browse(server, &mut copy, "GET", "/").await.body,
            "signed out"
        );
    }
    // Later, on both clocks, it stays revoked.
    f.hand.advance(Duration::hours(1));
    ahead_hand.advance(Duration::hours(1));
    let mut copy = stolen.clone();
    assert_eq!(browse(&app, &mut copy, "GET", "/").await.body, "signed out");
}

#[tokio::test]
async fn a_second_log_out_everywhere_in_the_same_second_ends_the_logins_between() {
    let f = fixture();
    let app = app(&f.sessions);
    let mut laptop = ClientCookies::new();
    browse(&app, &mut laptop, "POST", "/login").await;
    browse(&app, &mut laptop, "POST", "/logout-everywhere").await;
    // A login between the two, in the same second (sealed past the first).
    let mut phone = ClientCookies::new();
    browse(&app, &mut phone, "POST", "/login").await;
    let between = phone.clone();
    // The second one (an admin's, say) in the same second.
    f.sessions.revoke_user(&UserId::from(7u64)).unwrap();
    f.hand.advance(Duration::seconds(5));
    let mut copy = between;
    assert_eq!(browse(&app, &mut copy, "GET", "/").await.body, "signed out");
    // And a login after both still works.
    let mut desk = ClientCookies::new();
    browse(&app, &mut desk, "POST", "/login").await;
    assert_eq!(browse(&app, &mut desk, "GET", "/").await.body, "7: 0");
}

#[tokio::test]
async fn a_store_swapped_in_with_a_longer_lifetime_keeps_its_revocations() {
    // Seen in review: a 1-day store replaced by a 7-day one; "log out
    // everywhere" entries were purged after a day and the phone came back.
    let (clock, hand) = Clock::manual(common::t0());
    let store = |ttl| {
        SessionStore::builder(NAME, KeyRing::new(1, key(3)))
            .ttl(ttl)
            .clock(clock.clone())
            .build()
            .unwrap()
    };
    let short = store(Duration::days(1));
    let revocations = RevocationSet::new(&short);
    let sessions = Sessions::new(short, CookieOptions::new())
        .unwrap()
        .with_revocations(revocations.clone());
    sessions.replace(store(Duration::days(7))).unwrap();
    let app = app(&sessions);
    let mut phone = ClientCookies::new();
    let mut laptop = ClientCookies::new();
    browse(&app, &mut phone, "POST", "/login").await;
    browse(&app, &mut laptop, "POST", "/login").await;
    let phone_copy = phone.clone();
    hand.advance(Duration::minutes(1));
    browse(&app, &mut laptop, "POST", "/logout-everywhere").await;
    // A day and more later (past the old lifetime), the entry is still kept.
    for days in [2, 6] {
        hand.set(common::t0() + Duration::days(days));
        revocations.purge(); // at the store's clock
        assert_eq!(revocations.stats().user_entries, 1, "day {days}");
        let mut copy = phone_copy.clone();
        assert_eq!(
            browse(&app, &mut copy, "GET", "/").await.body,
            "signed out",
            "day {days}"
        );
    }

    // A session entry keeps the cookie's own deadline: a logout (7-day
    // cookie) is kept past the first store's day too.
    hand.set(common::t0() + Duration::days(7));
    let mut tablet = ClientCookies::new();
    browse(&app, &mut tablet, "POST", "/login").await;
    let tablet_copy = tablet.clone();
    browse(&app, &mut tablet, "POST", "/logout").await;
    hand.set(common::t0() + Duration::days(10));
    revocations.purge(); // at the store's clock
    let mut copy = tablet_copy;
    assert_eq!(browse(&app, &mut copy, "GET", "/").await.body, "signed out");
}

#[tokio::test]
async fn an_anonymous_logout_adds_no_revocation_entry() {
    let f = fixture();
    let app = app(&f.sessions);
    let mut visitor = ClientCookies::new();
    browse(&app, &mut visitor, "POST", "/visit").await;
    assert!(visitor.get(NAME).is_some());
    for _ in 0..100 {
        let mut copy = visitor.clone();
        browse(&app, &mut copy, "POST", "/logout").await;
        assert_eq!(copy.get(NAME), None, "the cookie is dropped");
    }
    assert_eq!(f.revocations.stats().entries, 0);
    // A user's logout still revokes.
    browse(&app, &mut visitor, "POST", "/login").await;
    browse(&app, &mut visitor, "POST", "/logout").await;
    assert_eq!(f.revocations.stats().session_entries, 1);
}

#[tokio::test]
async fn log_out_everywhere_without_a_revocation_set_is_an_error_and_ends_nothing() {
    let store = SessionStore::builder(NAME, KeyRing::new(1, key(5)))
        .build()
        .unwrap();
    let sessions = Sessions::new(store, CookieOptions::new()).unwrap();
    let app = app(&sessions);
    let mut laptop = ClientCookies::new();
    browse(&app, &mut laptop, "POST", "/login").await;
    let answer = browse(&app, &mut laptop, "POST", "/logout-everywhere").await;
    assert_eq!(answer.status, 500);
    assert!(answer.set_cookies.is_empty(), "{:?}", answer.set_cookies);
    assert_eq!(browse(&app, &mut laptop, "GET", "/").await.body, "7: 0");
}

#[tokio::test]
async fn a_revoked_cookie_costs_no_epoch_lookup() {
    let f = fixture();
    let lookups = Arc::new(AtomicUsize::new(0));
    let epochs = {
        let lookups = Arc::clone(&lookups);
        move |_user: UserId| {
            lookups.fetch_add(1, Ordering::SeqCst);
            async { Ok::<_, std::io::Error>(Some(0)) }
        }
    };
    let app = routes().layer(SessionLayer::new(f.sessions.clone(), epochs));
    let mut laptop = ClientCookies::new();
    browse(&app, &mut laptop, "POST", "/login").await;
    assert_eq!(browse(&app, &mut laptop, "GET", "/").await.body, "7: 0");
    assert_eq!(lookups.load(Ordering::SeqCst), 1);

    let copy = laptop.clone();
    browse(&app, &mut laptop, "POST", "/logout").await; // one more lookup
    let mut thief = copy;
    assert_eq!(
        browse(&app, &mut thief, "GET", "/").await.body,
        "signed out"
    );
    assert_eq!(
        lookups.load(Ordering::SeqCst),
        2,
        "none for the revoked copy"
    );
}

#[tokio::test]
async fn a_stale_feed_fails_closed_for_users_and_recovers_without_a_restart() {
    let store = SessionStore::builder(NAME, KeyRing::new(1, key(9)))
        .build()
        .unwrap();
    let revocations = RevocationSet::new(&store);
    // An hour-long bound: once confirmed, the set stays fresh for the
    // rest of the test however slow the machine (no timing luck).
    let bound = std::time::Duration::from_secs(3600);
    let feed = revocations
        .attach_feed(FeedOptions::default().staleness_bound(bound), |_| {})
        .unwrap();
    let sessions = Sessions::new(store.clone(), CookieOptions::new())
        .unwrap()
        .with_revocations(revocations.clone());
    let app = app(&sessions);

    let user = store
        .seal_for_user(&UserId::from(7u64), 0, &Data::default())
        .unwrap();
    let anonymous = store.seal(&Data { counter: 4 }).unwrap();
    let mut signed_in = ClientCookies::new();
    signed_in.set(NAME, user.value());
    let mut visitor = ClientCookies::new();
    visitor.set(NAME, anonymous.value());

    // Never confirmed: stale. The user session is refused with 503 and its
    // cookie left alone; the anonymous one works.
    let answer = browse(&app, &mut signed_in, "GET", "/").await;
    assert_eq!(answer.status, 503);
    assert!(answer.set_cookies.is_empty());
    assert_eq!(signed_in.get(NAME), Some(user.value()));
    let answer = browse(&app, &mut visitor, "GET", "/").await;
    assert_eq!((answer.status, answer.body.as_str()), (200, "signed out"));
    assert!(revocations.stats().stale_answers >= 1);

    // The feed catches up: the same cookie works again.
    feed.confirm(std::time::Instant::now());
    let answer = browse(&app, &mut signed_in, "GET", "/").await;
    assert_eq!((answer.status, answer.body.as_str()), (200, "7: 0"));
}

#[tokio::test]
async fn a_failed_login_over_a_user_session_revokes_nothing() {
    let f = fixture();
    let app = routes()
        .route(
            "/fail-login",
            post(|session: SessionHandle<Data>| async move {
                session.login(8u64, 0, Data::default());
                (StatusCode::INTERNAL_SERVER_ERROR, "failed")
            }),
        )
        .layer(SessionLayer::new(f.sessions.clone(), NoEpochs));
    let mut laptop = ClientCookies::new();
    browse(&app, &mut laptop, "POST", "/login").await;
    let answer = browse(&app, &mut laptop, "POST", "/fail-login").await;
    assert_eq!(answer.status, 500);
    assert_eq!(f.revocations.stats().session_entries, 0);
    assert_eq!(browse(&app, &mut laptop, "GET", "/").await.body, "7: 0");

    // A login that succeeds over it revokes the session it replaces.
    let before = laptop.clone();
    browse(&app, &mut laptop, "POST", "/login").await;
    assert_eq!(f.revocations.stats().session_entries, 1);
    let mut old = before;
    assert_eq!(browse(&app, &mut old, "GET", "/").await.body, "signed out");
    assert_eq!(browse(&app, &mut laptop, "GET", "/").await.body, "7: 0");
}

#[tokio::test]
async fn a_logout_entry_keeps_the_cookies_own_deadline_not_a_local_cap() {
    // Server A caps sessions at one day, server B (same keys, same set, as
    // with a shared feed) at seven. A cookie sealed by B for seven days and
    // logged out on A must stay refused on B after A's day is over.
    let (clock, hand) = Clock::manual(common::t0());
    let store = |ttl| {
        SessionStore::builder(NAME, KeyRing::new(1, key(3)))
            .ttl(ttl)
            .clock(clock.clone())
            .build()
            .unwrap()
    };
    let (short, long) = (store(Duration::days(1)), store(Duration::days(7)));
    let revocations = RevocationSet::new(&long);
    let on = |store: SessionStore| {
        app_on(
            Sessions::new(store, CookieOptions::new())
                .unwrap()
                .with_revocations(revocations.clone()),
        )
    };
    let (a, b) = (on(short), on(long));
    let mut phone = ClientCookies::new();
    browse(&b, &mut phone, "POST", "/login").await;
    let copy = phone.clone();
    hand.advance(Duration::hours(1));
    browse(&a, &mut phone, "POST", "/logout").await;
    assert_eq!(revocations.stats().session_entries, 1);
    hand.advance(Duration::days(3));
    revocations.purge(); // at the store's clock
    assert_eq!(
        revocations.stats().session_entries,
        1,
        "kept for the cookie's own week"
    );
    let mut copy = copy;
    assert_eq!(browse(&b, &mut copy, "GET", "/").await.body, "signed out");
}
