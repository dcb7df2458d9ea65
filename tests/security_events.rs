//! Security events through `tracing` (feature `tracing`): every rejected
//! cookie says why (before authentication one class), login, logout and
//! log out everywhere are reported, a re-seal that a hint alone asked for
//! and that failed is reported, and no event ever carries a cookie value,
//! a key or a payload.
#![cfg(all(feature = "axum", feature = "tracing"))]
// Its own test binary: tracing caches each call site's interest process-wide,
// so events of other tests' threads must not race the subscribers here.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::routing::{get, post};
use http_body_util::BodyExt as _;
use sealed_session::axum::SessionLayer;
use sealed_session::cookie::CookieOptions;
use sealed_session::testing::ClientCookies;
use sealed_session::time::Duration;
use sealed_session::{
    Clock, Key, KeyRing, ManualClock, NoEpochs, RevocationSet, SessionError, SessionHandle,
    SessionStore, Sessions, UserSession,
};
use tower::ServiceExt as _;

const NAME: &str = "__Host-app";
const SECRET: &str = "the-payload-secret";

#[derive(serde::Serialize, serde::Deserialize, Default, Clone)]
struct Data {
    note: String,
}

/// Everything the subscriber wrote, as text, and how much of it was
/// already looked at.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>, Arc<Mutex<usize>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    /// What was written since the last call.
    fn take(&self) -> String {
        let text = self.text();
        let mut mark = self.1.lock().unwrap();
        let new = text[*mark..].to_owned();
        *mark = text.len();
        new
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn key() -> Key {
    let bytes: Vec<u8> = (0u8..32)
        .map(|i| i.wrapping_mul(29).wrapping_add(5))
        .collect();
    Key::from_bytes(&bytes).unwrap()
}

async fn home(session: SessionHandle<Data>) -> String {
    session.user_id().map_or("-".into(), |u| u.to_string())
}

async fn login(session: SessionHandle<Data>) {
    session.login(
        7u64,
        0,
        Data {
            note: SECRET.into(),
        },
    );
}

async fn logout(session: SessionHandle<Data>) {
    session.logout();
}

async fn everywhere(user: UserSession<Data>) -> Result<(), SessionError> {
    user.logout_everywhere()
}

fn app() -> (Router, ManualClock, Sessions) {
    let (clock, hand) = Clock::manual(common::t0());
    let store = SessionStore::builder(NAME, KeyRing::new(1, key()))
        .ttl(Duration::days(1))
        .clock(clock)
        .build()
        .unwrap();
    let revocations = RevocationSet::new(&store);
    let sessions = Sessions::new(store, CookieOptions::new())
        .unwrap()
        .with_revocations(revocations);
    let router = Router::new()
        .route("/", get(home))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/logout-everywhere", post(everywhere))
        .layer(SessionLayer::new(sessions.clone(), NoEpochs));
    (router, hand, sessions)
}

async fn browse(app: &Router, jar: &mut ClientCookies, method: &str, path: &str) -> String {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(cookie) = jar.cookie_header() {
        request = request.header(COOKIE, cookie);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let set_cookies: Vec<String> = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    jar.receive(&set_cookies);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(body.to_vec()).unwrap()
}

fn jar_with(value: &str) -> ClientCookies {
    let mut jar = ClientCookies::new();
    jar.receive([format!("{NAME}={value}; Path=/")]);
    jar
}

/// The one line of `log` for `event`, panicking if there is not exactly one.
fn line<'a>(log: &'a str, event: &str) -> &'a str {
    let needle = format!("event=\"{event}\"");
    let lines: Vec<&str> = log.lines().filter(|l| l.contains(&needle)).collect();
    assert_eq!(lines.len(), 1, "one {event} event in:\n{log}");
    lines[0]
}

#[tokio::test]
async fn every_security_event_is_reported_and_none_carries_a_secret() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .without_time()
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let (app, hand, sessions) = app();
    let mut seen_values = Vec::new();

    // Login.
    let mut laptop = ClientCookies::new();
    browse(&app, &mut laptop, "POST", "/login").await;
    let value = laptop.get(NAME).unwrap().to_owned();
    seen_values.push(value.clone());
    let log = captured.take();
    let login = line(&log, "login");
    assert!(
        login.contains("INFO") && login.contains("user=7"),
        "{login}"
    );

    // Forged, unknown key, garbage: one class, the same words.
    let mut forged = value.clone().into_bytes();
    forged[30] = if forged[30] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    let other_key = SessionStore::builder(NAME, KeyRing::new(9, Key::generate()))
        .build()
        .unwrap()
        .seal(&Data::default())
        .unwrap()
        .into_value();
    let mut invalid_lines = Vec::new();
    for bad in [forged.as_str(), other_key.as_str(), "garbage"] {
        seen_values.push(bad.to_owned());
        browse(&app, &mut jar_with(bad), "GET", "/").await;
        let log = captured.take();
        invalid_lines.push(line(&log, "cookie_rejected").to_owned());
    }
    assert!(
        invalid_lines[0].contains("reason=\"invalid\""),
        "{}",
        invalid_lines[0]
    );
    assert!(
        invalid_lines.iter().all(|l| *l == invalid_lines[0]),
        "pre-authentication failures are one class: {invalid_lines:?}"
    );

    // Logout, then the copy replayed: a warning.
    let copy = laptop.clone();
    browse(&app, &mut laptop, "POST", "/logout").await;
    let log = captured.take();
    let logout = line(&log, "logout");
    assert!(
        logout.contains("user=7") && logout.contains("revoked=true"),
        "{logout}"
    );
    let mut thief = copy;
    assert_eq!(browse(&app, &mut thief, "GET", "/").await, "-");
    let log = captured.take();
    let replay = line(&log, "cookie_rejected");
    assert!(
        replay.contains("WARN") && replay.contains("reason=\"revoked\""),
        "{replay}"
    );

    // Cookie tossing: two authentic cookies with the name.
    let mut phone = ClientCookies::new();
    browse(&app, &mut phone, "POST", "/login").await;
    let mut desk = ClientCookies::new();
    browse(&app, &mut desk, "POST", "/login").await;
    let (a, b) = (phone.get(NAME).unwrap(), desk.get(NAME).unwrap());
    seen_values.extend([a.to_owned(), b.to_owned()]);
    captured.take();
    let request = Request::builder()
        .uri("/")
        .header(COOKIE, format!("{NAME}={a}; {NAME}={b}"))
        .body(Body::empty())
        .unwrap();
    app.clone().oneshot(request).await.unwrap();
    let log = captured.take();
    let tossed = line(&log, "cookie_rejected");
    assert!(
        tossed.contains("WARN") && tossed.contains("reason=\"ambiguous\""),
        "{tossed}"
    );

    // Log out everywhere.
    browse(&app, &mut phone, "POST", "/logout-everywhere").await;
    let log = captured.take();
    assert!(line(&log, "logout_everywhere").contains("user=7"));

    // Expired.
    hand.advance(Duration::days(2));
    browse(&app, &mut desk, "GET", "/").await;
    let log = captured.take();
    assert!(line(&log, "cookie_rejected").contains("reason=\"expired\""));

    // Nothing secret anywhere: no cookie value, no key, no payload.
    let all = captured.text();
    assert!(all.lines().count() >= 10, "{all}");
    for value in &seen_values {
        assert!(!all.contains(value.as_str()));
    }
    assert!(!all.contains(SECRET));
    drop(sessions);
}

#[test]
fn a_reseal_a_hint_asked_for_that_does_not_fit_is_reported_and_served_unchanged() {
    use sealed_session::UserId;
    use sealed_session::engine::{Arrival, Outcome, SessionState};

    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .without_time()
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let store = SessionStore::builder(NAME, KeyRing::new(1, key()))
        .idle_timeout(Duration::hours(1))
        .build()
        .unwrap();
    let t0 = common::t0();
    // A fresh login as large as the cap allows: its login age is 0 (one
    // byte); 40 minutes later (idle window half used) it is 2400 (two).
    let seal = |len: usize| {
        let data = Data {
            note: "x".repeat(len),
        };
        store.seal_for_user_at(&UserId::from(7u64), 0, &data, t0)
    };
    let mut len = 0;
    while seal(len + 1).is_ok() {
        len += 1;
    }
    let value = seal(len).unwrap().into_value();
    let now = t0 + Duration::minutes(40);
    let header = format!("{NAME}={value}");
    let Arrival::NeedsEpoch(pending) = SessionState::<Data>::open(&store, [header], now) else {
        panic!("a user session")
    };
    let state = pending.verify(Some(0));
    assert!(state.info().unwrap().reseal_reasons().idle_half_used);
    assert_eq!(state.finish(now).unwrap(), Outcome::Unchanged);
    let log = captured.take();
    let skipped = line(&log, "reseal_skipped");
    assert!(
        skipped.contains("WARN") && skipped.contains("too large"),
        "{skipped}"
    );
    assert!(!log.contains(&value));
}
