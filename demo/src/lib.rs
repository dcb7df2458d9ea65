//! The `sealed-session` demo: a small axum app with sign-up, login, a counter
//! kept in the session cookie, logout, "log out everywhere" and a page that
//! shows the session's expiry and key id. Users, argon2 password hashes and
//! each user's session epoch live in SQLite.
//!
//! The router is built from an [`AppState`] whose [`Sessions`] hold the
//! cookie's name, options, live store and clock, so tests can fix the clock
//! ([`Clock::manual`]) and swap the store mid-run ([`Sessions::replace`], for
//! key rotation).

pub mod app;
pub mod db;
pub mod html;
pub mod size_cap;

pub use app::{AppState, COOKIE_NAME, SessionData, build_store, router};
pub use db::Db;
pub use sealed_session::{Clock, ManualClock, Sessions};
pub use size_cap::SizeCap;
