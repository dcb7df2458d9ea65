//! What the session layer costs per request on top of a bare seal + open,
//! for the anchors' small session (a user session: open, epoch check,
//! change, re-seal):
//!
//! * `bare`: `SessionStore::open_at` + `verify_epoch` + `reseal_at`.
//! * `sessions`: the same through `Sessions` and the engine, from the
//!   `Cookie` header field to the `Set-Cookie` string.
//! * `axum-layer`: an axum `Router` with `SessionLayer`, a handler taking
//!   `UserSession` and changing it (tower `oneshot`, no network).
//! * `axum-noop`: the same router and request without the layer and
//!   without a session (the framework's own cost).
//! * `axum-layer-untouched`: the layer on a route whose handler never asks
//!   for the session.
//!
//! The summary prints `sessions - bare` (the engine) and
//! `axum-layer - axum-noop - bare` (the layer) from this run's medians.
//!
//! `cargo bench --bench layer --features axum`; `SEALED_BENCH_QUICK=1` for a
//! short run.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::panic,
    missing_docs
)]

mod common;

use std::hint::black_box;
use std::time::SystemTime;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::routing::get;
use common::NAME;
use sealed_session::axum::SessionLayer;
use sealed_session::cookie::CookieOptions;
use sealed_session::engine::Arrival;
use sealed_session::time::OffsetDateTime;
use sealed_session::{
    Key, KeyRing, MemoryEpochs, Opened, SessionStore, Sessions, UserId, UserSession,
};
use tower::ServiceExt as _;

use common::anchors::{Session, small};

async fn change(user: UserSession<Session>) -> &'static str {
    user.update(|s| s.cart[0] = s.cart[0].wrapping_add(1));
    "ok"
}

async fn noop() -> &'static str {
    "ok"
}

fn main() {
    let since = SystemTime::now();
    let session = small();
    common::check_size("small", &session, 99, 327);
    let user = UserId::from(session.user_id);
    let epoch = u64::from(session.epoch);
    let store = SessionStore::builder(NAME, KeyRing::new(1, Key::generate()))
        .build()
        .unwrap();
    let sealed = store.seal_for_user(&user, epoch, &session).unwrap();
    let value = sealed.value().to_owned();
    let header = format!("theme=dark; {NAME}={value}; lang=en");
    // The same cookie name as the PrivateJar benches (sizes compare), so not
    // `__Host-`: the loud opt-out.
    let options = CookieOptions::new().dangerously_allow_unprefixed_name();
    let sessions = Sessions::new(store.clone(), options).unwrap();
    let epochs = MemoryEpochs::new();
    epochs.set(user.clone(), epoch);
    let now = OffsetDateTime::now_utc();

    let mut c = common::criterion();
    let mut g = c.benchmark_group("layer-small");
    g.bench_function("bare", |b| {
        b.iter(|| {
            let Opened::User(pending) = store.open_at::<Session>(black_box(&value), now).unwrap()
            else {
                panic!("a user session")
            };
            let mut s = pending.verify_epoch(epoch).unwrap();
            s.data_mut().cart[0] = s.data().cart[0].wrapping_add(1);
            store.reseal_at(&s, now).unwrap().into_value()
        });
    });
    g.bench_function("sessions", |b| {
        b.iter(|| {
            let Arrival::NeedsEpoch(pending) = sessions.open::<Session>([black_box(&header)])
            else {
                panic!("a user session")
            };
            let current = epochs.get(pending.user_id());
            let mut state = pending.verify(current);
            let data = state.data_mut();
            data.cart[0] = data.cart[0].wrapping_add(1);
            sessions.finish(&state, 200).unwrap().unwrap().to_string()
        });
    });

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let layered = Router::new()
        .route("/", get(change))
        .layer(SessionLayer::new(sessions.clone(), epochs.clone()));
    let plain = Router::new().route("/", get(noop));
    let untouched = Router::new()
        .route("/", get(noop))
        .layer(SessionLayer::new(sessions.clone(), epochs.clone()));
    let request = || {
        Request::get("/")
            .header(COOKIE, header.as_str())
            .body(Body::empty())
            .unwrap()
    };
    // Both answer as expected before they are timed.
    runtime.block_on(async {
        let response = layered.clone().oneshot(request()).await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers().get(SET_COOKIE).is_some(), "re-sealed");
        assert_eq!(
            plain.clone().oneshot(request()).await.unwrap().status(),
            200
        );
    });
    g.bench_function("axum-layer", |b| {
        b.iter(|| {
            runtime
                .block_on(layered.clone().oneshot(request()))
                .unwrap()
        });
    });
    g.bench_function("axum-noop", |b| {
        b.iter(|| runtime.block_on(plain.clone().oneshot(request())).unwrap());
    });
    g.bench_function("axum-layer-untouched", |b| {
        b.iter(|| {
            runtime
                .block_on(untouched.clone().oneshot(request()))
                .unwrap()
        });
    });
    g.finish();
    c.final_summary();

    let m = |f: &str| common::median_ns("layer-small", f, since);
    let fmt = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |ns| format!("{ns:.0}"));
    let (bare, sessions_ns, layer, noop) =
        (m("bare"), m("sessions"), m("axum-layer"), m("axum-noop"));
    let untouched_ns = m("axum-layer-untouched");
    let engine = sessions_ns.zip(bare).map(|(s, b)| s - b);
    let overhead = layer.zip(noop).zip(bare).map(|((l, n), b)| l - n - b);
    println!();
    println!("==== session layer overhead (criterion medians of this run, ns/request) ====");
    println!("  bare open + verify + reseal        {:>8}", fmt(bare));
    println!(
        "  through Sessions (header → cookie) {:>8}",
        fmt(sessions_ns)
    );
    println!("  axum router with SessionLayer      {:>8}", fmt(layer));
    println!("  axum router, no session            {:>8}", fmt(noop));
    println!(
        "  the layer on a route without one   {:>8}",
        fmt(untouched_ns)
    );
    println!("  engine + Sessions: sessions - bare {:>8}", fmt(engine));
    println!(
        "  layer: layer - noop - bare         {:>8}  (aim <= 1000)",
        fmt(overhead)
    );
    println!(
        "  a route that never asks: untouched - noop {:>5}",
        fmt(untouched_ns.zip(noop).map(|(u, n)| u - n))
    );
}
