//! Shared test support: the axum-login app, and real redis-server processes
//! (the feed crate's own helper, shared rather than copied).
pub mod app;
#[path = "../../../sealed-session-redis/tests/common/redis.rs"]
pub mod redis;
