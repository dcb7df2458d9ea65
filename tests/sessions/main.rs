//! The per-request engine and its adapters: one case table
//! (`adapter_cases`) through the engine, the axum layer and the actix-web
//! middleware, plus cookie options, cookie tossing, schema changes,
//! concurrency. One module per behaviour (the security events are their own
//! binary: `tests/security_events.rs`).

#[cfg(feature = "cookie")]
mod adapter_cases;
#[path = "../common/mod.rs"]
mod common;

mod actix_middleware;
mod axum_concurrency;
mod axum_layer;
mod cookie_glue;
mod cookie_options;
mod cookie_tossing;
mod engine;
mod schema_middleware;
