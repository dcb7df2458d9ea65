//! The revocation set on its own and behind the axum layer.

#[path = "../common/mod.rs"]
mod common;

mod revocation;
mod revocation_layer;
