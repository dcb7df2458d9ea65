//! The per-request engine and its adapters: one case table
//! (`adapter_cases`) through the engine, the axum layer and the actix-web
//! middleware, plus cookie options, cookie tossing, schema changes,
//! concurrency and the security events. One module per behaviour.

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
mod security_events;
