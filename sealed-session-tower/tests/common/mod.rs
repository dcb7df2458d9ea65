//! Shared test support: the axum-login app and real redis-server processes.
pub mod app;
pub mod redis;
