//! The store on its own: seal, open, expiry, keys and rotation, size cap,
//! tampering, schemas, the backends' known answers and the golden vectors.
//! One module per behaviour.

#[path = "../common/mod.rs"]
mod common;

mod backend_vectors;
mod config;
mod debug_redaction;
mod epoch;
mod errors;
mod expiry;
mod fuzz_regressions;
mod key;
mod key_hygiene;
mod keyring;
mod nonce;
mod reseal_deadline;
mod roundtrip;
mod schema_evolution;
mod session_identity;
mod size_cap;
mod tamper;
mod vectors;
mod wycheproof;
