//! What the tower-sessions compatibility layer costs per request against
//! sealed-session's own `SessionLayer`, in-process (tower `oneshot`, no
//! network), for a counter session: one request reads it (`read`), one
//! reads and changes it (`change`, a re-seal).
//!
//! * `own`: `sealed_session::axum::SessionLayer`, a `SessionHandle<u64>`.
//! * `compat`: `SealedSessionLayer`, a `tower_sessions::Session` holding
//!   `"n"` (its JSON record).
//!
//! Prints the median ns per request of 5 rounds and `compat / own` (the
//! goal: ≤ 1.3). `cargo bench -p sealed-session-tower --bench compat`;
//! `SEALED_BENCH_QUICK=1` for a short run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    missing_docs
)]

use std::hint::black_box;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::routing::get;
use sealed_session::axum::SessionLayer;
use sealed_session::{
    CookieOptions, Key, KeyRing, NoEpochs, SessionHandle, SessionStore, Sessions,
};
use sealed_session_tower::SealedSessionLayer;
use tower::ServiceExt as _;
use tower_sessions::Session;

const NAME: &str = "__Host-id";

fn sessions() -> Sessions {
    let store = SessionStore::builder(NAME, KeyRing::new(1, Key::generate()))
        .build()
        .unwrap();
    Sessions::new(store, CookieOptions::new()).unwrap()
}

async fn own_change(session: SessionHandle<u64>) -> String {
    session.update(|n| {
        *n += 1;
        n.to_string()
    })
}

async fn own_read(session: SessionHandle<u64>) -> String {
    session.get().to_string()
}

async fn compat_change(session: Session) -> String {
    let n: u64 = session.get("n").await.unwrap().unwrap_or(0) + 1;
    session.insert("n", n).await.unwrap();
    n.to_string()
}

async fn compat_read(session: Session) -> String {
    let n: u64 = session.get("n").await.unwrap().unwrap_or(0);
    n.to_string()
}

fn own() -> Router {
    Router::new()
        .route("/change", get(own_change))
        .route("/read", get(own_read))
        .layer(SessionLayer::new(sessions(), NoEpochs))
}

fn compat() -> Router {
    Router::new()
        .route("/change", get(compat_change))
        .route("/read", get(compat_read))
        .layer(SealedSessionLayer::new(sessions()))
}

async fn request(app: &Router, path: &str, cookie: Option<&str>) -> Option<String> {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert!(response.status().is_success());
    response.headers().get(SET_COOKIE).map(|value| {
        value
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    })
}

/// Median ns per request over 5 rounds of `n` requests.
async fn measure(app: &Router, path: &str, n: u32) -> f64 {
    let cookie = request(app, "/change", None).await.unwrap();
    let mut rounds = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        for _ in 0..n {
            black_box(request(app, path, Some(&cookie)).await);
        }
        rounds.push(start.elapsed().as_nanos() as f64 / f64::from(n));
    }
    rounds.sort_by(f64::total_cmp);
    rounds[2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let n = if std::env::var_os("SEALED_BENCH_QUICK").is_some() {
        2_000
    } else {
        20_000
    };
    let (own, compat) = (own(), compat());
    for path in ["/read", "/change"] {
        let a = measure(&own, path, n).await;
        let b = measure(&compat, path, n).await;
        println!(
            "compat {path:8} own {a:8.0} ns/req  compat {b:8.0} ns/req  compat/own {:.2} (goal <= 1.3)",
            b / a
        );
    }
}
