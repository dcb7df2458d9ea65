//! The tests' axum-login app (SQLite + argon2, user "ferris" / "hunter42")
//! on `SealedSessionLayer`, served for a browser: `/login-page` and
//! `/logout-page` hold the forms that post to the app's `/login` and
//! `/logout`; `/counter` is the protected page. The e2e run
//! (`e2e/tower_login.py`) drives it in headless Chromium.
//!
//! `cargo run -p sealed-session-tower --example axum_login` (PORT=0 for a
//! free port; it prints `listening on http://127.0.0.1:<port>`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/common/app.rs"]
mod app;

use axum::response::Html;
use axum::routing::get;
use sealed_session::{CookieOptions, Key, KeyRing, RevocationSet, SessionStore, Sessions};

const LOGIN: &str = r#"<!doctype html><title>log in</title>
<form method="post" action="/login">
<input id="username" name="username"> <input id="password" name="password" type="password">
<button id="go" type="submit">Log in</button></form>"#;

const LOGOUT: &str = r#"<!doctype html><title>log out</title>
<form method="post" action="/logout"><button id="go" type="submit">Log out</button></form>"#;

#[tokio::main]
async fn main() {
    let backend = app::Backend::new();
    backend.add_user("ferris", "hunter42");
    let store = SessionStore::builder("__Host-id", KeyRing::new(1, Key::generate()))
        .build()
        .unwrap();
    let revoked = RevocationSet::new(&store);
    let sessions = Sessions::new(store, CookieOptions::new())
        .unwrap()
        .with_revocations(revoked);
    let pages = axum::Router::new()
        .route("/login-page", get(|| async { Html(LOGIN) }))
        .route("/logout-page", get(|| async { Html(LOGOUT) }));
    let app = app::sealed_app(backend, sessions).merge(pages);
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}"))
        .await
        .unwrap();
    println!("listening on http://{}", listener.local_addr().unwrap());
    axum::serve(listener, app).await.unwrap();
}
