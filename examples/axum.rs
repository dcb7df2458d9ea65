//! The quick start as a server: login, counter, logout (revokes), log out everywhere.
//! `cargo run --example axum --features axum`, then
//! `curl -c jar -b jar -X POST http://127.0.0.1:3000/login` (and `/count`).

use axum::{Router, routing::post};
use sealed_session::axum::SessionLayer;
use sealed_session::cookie::CookieOptions;
use sealed_session::time::Duration;
use sealed_session::{
    Key, KeyRing, NoEpochs, RevocationSet, SessionHandle, SessionStore, Sessions,
};
use serde::{Deserialize, Serialize};

type Session = SessionHandle<Data>; // maybe anonymous; `UserSession`: signed-in only

#[derive(Serialize, Deserialize, Default, Clone)]
struct Data {
    counter: u64,
}

async fn count(s: Session) -> String {
    s.update(|d| d.counter += 1);
    let user = s.user_id().map_or("nobody".to_owned(), |u| u.to_string());
    format!("{user}: {}\n", s.get().counter)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // In production: KeyRing::from_config(&std::env::var(sealed_session::KEYS_ENV_VAR)?)
    let store = SessionStore::builder("__Host-session", KeyRing::new(1, Key::generate()))
        .idle_timeout(Duration::minutes(30))
        .build()?;
    let revoked = RevocationSet::new(&store);
    let sessions = Sessions::new(store, CookieOptions::new())?.with_revocations(revoked);
    let app = Router::new()
        .route(
            "/login",
            post(|s: Session| async move { s.login(7u64, 0, Data::default()) }),
        )
        .route("/count", post(count))
        .route("/logout", post(|s: Session| async move { s.logout() }))
        .route(
            "/logout-everywhere",
            post(|s: Session| async move { s.logout_everywhere() }),
        )
        .layer(SessionLayer::new(sessions, NoEpochs));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    axum::serve(listener, app).await?;
    Ok(())
}
