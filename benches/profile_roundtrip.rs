//! A plain program for instruction-level profiling (not a criterion bench):
//! `PROFILE_ROUNDTRIPS` (default 1000) small round trips — seal_for_user,
//! open, verify_epoch — with the default algorithm, optionally only seals
//! (`PROFILE_OP=seal`) or only opens (`PROFILE_OP=open`). `PROFILE_IMPL=floor`
//! runs the raw floor (postcard + XAES-256-GCM + base64url) instead, to
//! compare instruction counts, and `PROFILE_IMPL=jar` the `cookie` crate's
//! PrivateJar (round trips only). `PROFILE_BACKEND=ring` (built with
//! `--features ring`) runs the store on the ring backend;
//! `PROFILE_ALG=xchacha` uses XChaCha20-Poly1305 and `PROFILE_SIZE=large` the
//! large session.
//!
//! Instructions per round trip, without the set-up:
//! ```sh
//! cargo bench --no-run --bench profile_roundtrip   # prints the binary's path
//! for n in 1000 2000; do
//!   PROFILE_ROUNDTRIPS=$n valgrind --tool=callgrind --callgrind-out-file=cg.$n <binary>
//! done
//! # (total(2000) - total(1000)) / 1000; callgrind_annotate --inclusive=yes cg.2000
//! ```

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

mod common;

use std::hint::black_box;

use common::{Floor, Jar, Ours};
use sealed_session::__backend::Backend;
use sealed_session::Algorithm;

fn main() {
    let n: u64 = std::env::var("PROFILE_ROUNDTRIPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let op = std::env::var("PROFILE_OP").unwrap_or_default();
    let imp = std::env::var("PROFILE_IMPL").unwrap_or_default();
    let floor = imp == "floor";
    let alg = match std::env::var("PROFILE_ALG").ok().as_deref() {
        Some("xchacha") => Algorithm::XChaCha20Poly1305,
        _ => Algorithm::default(),
    };
    let session = match std::env::var("PROFILE_SIZE").ok().as_deref() {
        Some("large") => common::large(),
        _ => common::small(),
    };
    let epoch = u64::from(session.epoch);
    let mut total = 0usize;
    if imp == "jar" {
        let jar = Jar::new();
        for _ in 0..n {
            total += jar.open(&jar.seal(black_box(&session))).cart.len();
        }
        println!("profile_roundtrip: jar {n} round trips done ({total})");
        return;
    }
    if floor {
        let floor = Floor::new(alg);
        let sealed = floor.seal(&session);
        for _ in 0..n {
            match op.as_str() {
                "seal" => total += floor.seal(black_box(&session)).len(),
                "open" => total += floor.open(black_box(&sealed)).cart.len(),
                _ => total += floor.open(&floor.seal(black_box(&session))).cart.len(),
            }
        }
        println!("profile_roundtrip: floor {n} x {op:?} done ({total})");
        return;
    }
    let ours = match std::env::var("PROFILE_BACKEND").ok().as_deref() {
        None | Some("" | "rustcrypto") => Ours::new(alg),
        Some(name) => {
            let Some(&backend) = Backend::ALL.iter().find(|b| b.name() == name) else {
                panic!("PROFILE_BACKEND={name}: not in this build");
            };
            Ours::on(alg, backend)
        }
    };
    let sealed = ours.seal(&session);
    for _ in 0..n {
        match op.as_str() {
            "seal" => total += ours.seal(black_box(&session)).len(),
            "open" => total += ours.open(black_box(&sealed), epoch).cart.len(),
            _ => {
                let value = ours.seal(black_box(&session));
                total += ours.open(&value, epoch).cart.len();
            }
        }
    }
    println!("profile_roundtrip: {n} x {op:?} done ({total})");
}
