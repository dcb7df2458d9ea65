//! A plain program for instruction-level profiling (not a criterion bench):
//! `PROFILE_ROUNDTRIPS` (default 1000) round trips of the small `Session`
//! defined below — seal_for_user, open, verify_epoch — with the default
//! algorithm, optionally only seals (`PROFILE_OP=seal`) or only opens
//! (`PROFILE_OP=open`). `PROFILE_IMPL=floor` runs the raw floor (postcard +
//! XAES-256-GCM + base64url) instead, to compare instruction counts.
//! `PROFILE_IMPL=jar` runs the incumbent (`cookie`'s PrivateJar + JSON).
//! `PROFILE_BACKEND=ring` (built with `--features ring`) runs the store on
//! the ring backend; `PROFILE_ALG=xchacha` uses XChaCha20-Poly1305;
//! `PROFILE_SIZE=large` uses the large session of the `seal_open` bench
//! (1,318 bytes of postcard) instead of the small one.
//!
//! Instructions per round trip, without the set-up:
//! ```sh
//! cargo bench --no-run --bench profile_roundtrip   # prints the binary's path
//! for n in 1000 2000; do
//!   PROFILE_ROUNDTRIPS=$n valgrind --tool=callgrind --callgrind-out-file=cg.$n <binary>
//! done
//! # (total(2000) - total(1000)) / 1000; callgrind_annotate --inclusive=yes cg.2000
//! ```

mod common;

use std::hint::black_box;

use common::{Floor, Jar, Ours};
use sealed_session::__backend::Backend;
use sealed_session::Algorithm;

use common::anchors::{Session, large, small};

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
    let session = if std::env::var("PROFILE_SIZE").is_ok_and(|v| v == "large") {
        let session = large();
        common::check_size("large", &session, 1318, 2487);
        session
    } else {
        let session = small();
        common::check_size("small", &session, 99, 327);
        session
    };
    let (user, epoch) = (session.user_id, u64::from(session.epoch));
    let mut total = 0usize;
    if imp == "jar" {
        let jar = Jar::new();
        let sealed = jar.seal(&session);
        for _ in 0..n {
            match op.as_str() {
                "seal" => total += jar.seal(black_box(&session)).len(),
                "open" => total += jar.open::<Session>(black_box(&sealed)).cart.len(),
                _ => {
                    total += jar
                        .open::<Session>(&jar.seal(black_box(&session)))
                        .cart
                        .len()
                }
            }
        }
        println!("profile_roundtrip: jar {n} x {op:?} done ({total})");
        return;
    }
    if floor {
        let floor = Floor::new(alg);
        let sealed = floor.seal(&session);
        for _ in 0..n {
            match op.as_str() {
                "seal" => total += floor.seal(black_box(&session)).len(),
                "open" => total += floor.open::<Session>(black_box(&sealed)).cart.len(),
                _ => {
                    total += floor
                        .open::<Session>(&floor.seal(black_box(&session)))
                        .cart
                        .len()
                }
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
    let sealed = ours.seal(user, epoch, &session);
    for _ in 0..n {
        match op.as_str() {
            "seal" => total += ours.seal(user, epoch, black_box(&session)).len(),
            "open" => total += ours.open::<Session>(black_box(&sealed), epoch).cart.len(),
            _ => {
                let value = ours.seal(user, epoch, black_box(&session));
                total += ours.open::<Session>(&value, epoch).cart.len();
            }
        }
    }
    println!("profile_roundtrip: {n} x {op:?} done ({total})");
}
