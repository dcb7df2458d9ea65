//! Seal, open and round trip of a typical `Session` (small and large, defined
//! below), for both algorithms, side by side with the raw floor (postcard,
//! the same AEAD, base64url) and the incumbent (`cookie` 0.18 PrivateJar +
//! serde_json).
//! Ends with the ratio table (ours/floor, ours/PrivateJar) and the cookie
//! lengths, from the medians of this run. "ours" is the default backend
//! (RustCrypto); with `--features ring` the ring backend is measured too, per
//! message (the bare AEAD, 128 bytes) and per round trip, and a second table
//! puts the backends side by side.
//!
//! `cargo bench --bench seal_open [--features ring]`; `SEALED_BENCH_QUICK=1`
//! for a short run.

mod common;

use std::hint::black_box;
use std::time::SystemTime;

use common::{Floor, Jar, NAME, Ours};
use criterion::{Criterion, Throughput};
use sealed_session::__backend::{Aead, Backend};
use sealed_session::Algorithm;

use common::anchors::Session;
use common::sessions;

const ALGORITHMS: [(&str, Algorithm); 2] = [
    ("xaes", Algorithm::XAes256Gcm),
    ("xchacha", Algorithm::XChaCha20Poly1305),
];

fn bench_ours_and_floor(c: &mut Criterion, sessions: &[(&'static str, Session, usize)]) {
    for (alg_name, alg) in ALGORITHMS {
        let ours = Ours::new(alg);
        let floor = Floor::new(alg);
        for (size, session, bytes) in sessions {
            let (user, epoch) = (session.user_id, u64::from(session.epoch));
            let sealed = ours.seal(user, epoch, session);
            let floor_sealed = floor.seal(session);
            assert_eq!(&ours.open::<Session>(&sealed, epoch), session);
            assert_eq!(&floor.open::<Session>(&floor_sealed), session);

            let mut g = c.benchmark_group(format!("{alg_name}-{size}"));
            g.throughput(Throughput::Bytes(*bytes as u64));
            g.bench_function("ours-seal", |b| {
                b.iter(|| ours.seal(user, epoch, black_box(session)))
            });
            g.bench_function("ours-open", |b| {
                b.iter(|| ours.open::<Session>(black_box(&sealed), epoch))
            });
            g.bench_function("ours-roundtrip", |b| {
                b.iter(|| ours.open::<Session>(&ours.seal(user, epoch, black_box(session)), epoch))
            });
            g.bench_function("floor-seal", |b| b.iter(|| floor.seal(black_box(session))));
            g.bench_function("floor-open", |b| {
                b.iter(|| floor.open::<Session>(black_box(&floor_sealed)))
            });
            g.bench_function("floor-roundtrip", |b| {
                b.iter(|| floor.open::<Session>(&floor.seal(black_box(session))))
            });
            // The other backends ("ours" is RustCrypto), same envelope.
            for &backend in &Backend::ALL[1..] {
                let other = Ours::on(alg, backend);
                let sealed = other.seal(user, epoch, session);
                assert_eq!(&other.open::<Session>(&sealed, epoch), session);
                let name = backend.name();
                g.bench_function(format!("{name}-seal"), |b| {
                    b.iter(|| other.seal(user, epoch, black_box(session)))
                });
                g.bench_function(format!("{name}-open"), |b| {
                    b.iter(|| other.open::<Session>(black_box(&sealed), epoch))
                });
                g.bench_function(format!("{name}-roundtrip"), |b| {
                    b.iter(|| {
                        other.open::<Session>(&other.seal(user, epoch, black_box(session)), epoch)
                    })
                });
            }
            g.finish();
        }
    }
}

/// The bare AEAD of each backend on one 128-byte message (fixed nonce and
/// AAD; the cipher built once, as a store does).
const AEAD_MESSAGE: usize = 128;

fn bench_aead(c: &mut Criterion) {
    let key = [0x42u8; 32];
    let nonce = [0x24u8; 24];
    let aad = [0x5au8; 40];
    for (alg_name, alg) in ALGORITHMS {
        let mut g = c.benchmark_group(format!("aead-{alg_name}"));
        g.throughput(Throughput::Bytes(AEAD_MESSAGE as u64));
        for &backend in Backend::ALL {
            let aead = Aead::new(backend, alg, &key);
            let mut ct = [0x11u8; AEAD_MESSAGE];
            let tag = aead.seal_in_place(&nonce, &aad, &mut ct).unwrap();
            let name = backend.name();
            g.bench_function(format!("{name}-seal"), |b| {
                let mut buf = [0x11u8; AEAD_MESSAGE];
                b.iter(|| aead.seal_in_place(black_box(&nonce), &aad, black_box(&mut buf)))
            });
            g.bench_function(format!("{name}-open"), |b| {
                b.iter(|| {
                    let mut buf = ct;
                    assert!(aead.open_in_place(black_box(&nonce), &aad, &mut buf, &tag));
                    buf
                })
            });
        }
        g.finish();
    }
}

fn bench_jar(c: &mut Criterion, sessions: &[(&'static str, Session, usize)]) {
    let jar = Jar::new();
    for (size, session, bytes) in sessions {
        let sealed = jar.seal(session);
        assert_eq!(&jar.open::<Session>(&sealed), session);
        let mut g = c.benchmark_group(format!("privatejar-{size}"));
        g.throughput(Throughput::Bytes(*bytes as u64));
        g.bench_function("seal", |b| b.iter(|| jar.seal(black_box(session))));
        g.bench_function("open", |b| {
            b.iter(|| jar.open::<Session>(black_box(&sealed)))
        });
        g.bench_function("roundtrip", |b| {
            b.iter(|| jar.open::<Session>(&jar.seal(black_box(session))))
        });
        g.finish();
    }
}

fn fmt_ns(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |ns| format!("{ns:.0}"))
}

fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(a? / b?)
}

fn fmt_ratio(r: Option<f64>) -> String {
    r.map_or_else(|| "-".to_owned(), |r| format!("{r:.2}"))
}

fn verdict(r: Option<f64>, bar: f64) -> &'static str {
    match r {
        Some(r) if r <= bar => "meets",
        Some(_) => "MISSES",
        None => "not measured",
    }
}

/// The table every run prints (criterion medians of this run only).
fn summary(sessions: &[(&'static str, Session, usize)], since: SystemTime) {
    let m = |group: &str, f: &str| common::median_ns(group, f, since);
    println!();
    println!("==== sealed-session bench summary (criterion medians of this run, ns/op) ====");
    println!(
        "{:<8} {:<6} {:<10} {:>9} {:>9} {:>11} {:>11} {:>9}",
        "alg", "size", "op", "ours", "floor", "ours/floor", "PrivateJar", "ours/jar"
    );
    for (alg_name, _) in ALGORITHMS {
        for (size, _, _) in sessions {
            let group = format!("{alg_name}-{size}");
            let jar_group = format!("privatejar-{size}");
            for op in ["seal", "open", "roundtrip"] {
                let ours = m(&group, &format!("ours-{op}"));
                let floor = m(&group, &format!("floor-{op}"));
                let jar = m(&jar_group, op);
                println!(
                    "{:<8} {:<6} {:<10} {:>9} {:>9} {:>11} {:>11} {:>9}",
                    alg_name,
                    size,
                    op,
                    fmt_ns(ours),
                    fmt_ns(floor),
                    fmt_ratio(ratio(ours, floor)),
                    fmt_ns(jar),
                    fmt_ratio(ratio(ours, jar)),
                );
            }
        }
    }

    println!();
    println!(
        "cookie value lengths (bytes; the cookie name \"{NAME}\" adds {} + '='):",
        NAME.len()
    );
    let jar = Jar::new();
    for (alg_name, alg) in ALGORITHMS {
        let ours = Ours::new(alg);
        let floor = Floor::new(alg);
        for (size, session, bytes) in sessions {
            println!(
                "  {alg_name:<8} {size:<6} payload {bytes:>5} B postcard: ours {:>5}, floor {:>5}",
                ours.seal(session.user_id, u64::from(session.epoch), session)
                    .len(),
                floor.seal(session).len(),
            );
        }
    }
    for (size, session, _) in sessions {
        println!(
            "  PrivateJar {size:<6} ({} B JSON): {:>5}",
            serde_json::to_string(session).unwrap().len(),
            jar.seal(session).len()
        );
    }

    // The speed bars (default algorithm, full envelope and epoch).
    let ours_rt = |size: &str| m(&format!("xaes-{size}"), "ours-roundtrip");
    let floor_rt = |size: &str| m(&format!("xaes-{size}"), "floor-roundtrip");
    let jar_rt = |size: &str| m(&format!("privatejar-{size}"), "roundtrip");
    let ours_default = Ours::new(Algorithm::default());
    let len = |i: usize| {
        let s = &sessions[i].1;
        ours_default.seal(s.user_id, u64::from(s.epoch), s).len()
    };
    println!();
    println!("speed bar (xaes-256-gcm, seal_for_user + open + verify_epoch), informational:");
    for (size, bar_jar) in [("small", 0.45), ("large", 0.55)] {
        let r = ratio(ours_rt(size), jar_rt(size));
        println!(
            "  {size} round trip ours/PrivateJar = {} (bar <= {bar_jar}): {}",
            fmt_ratio(r),
            verdict(r, bar_jar)
        );
        let r = ratio(ours_rt(size), floor_rt(size));
        println!(
            "  {size} round trip ours/floor      = {} (bar <= 1.15): {}",
            fmt_ratio(r),
            verdict(r, 1.15)
        );
    }
    for (i, (size, bar)) in [("small", 200usize), ("large", 1850)]
        .into_iter()
        .enumerate()
    {
        let l = len(i);
        println!(
            "  {size} cookie value {l} bytes (bar <= {bar}): {}",
            if l <= bar { "meets" } else { "MISSES" }
        );
    }
    println!("  2-thread scaling: see the `threads` bench");
    backend_summary(sessions, since);
}

/// Per message and per round trip, every backend of this build side by
/// side, with the goals for each (informational).
fn backend_summary(sessions: &[(&'static str, Session, usize)], since: SystemTime) {
    let m = |group: &str, f: &str| common::median_ns(group, f, since);
    // "ours-*" is the RustCrypto backend; the others are "<name>-*".
    let rt = |alg: &str, size: &str, backend: Backend| {
        let f = match backend {
            Backend::RustCrypto => "ours-roundtrip".to_owned(),
            other => format!("{}-roundtrip", other.name()),
        };
        m(&format!("{alg}-{size}"), &f)
    };
    println!();
    println!("==== backends: the bare AEAD, one {AEAD_MESSAGE}-byte message (ns) ====");
    println!("{:<8} {:<11} {:>9} {:>9}", "alg", "backend", "seal", "open");
    for (alg_name, _) in ALGORITHMS {
        for &backend in Backend::ALL {
            let group = format!("aead-{alg_name}");
            println!(
                "{:<8} {:<11} {:>9} {:>9}",
                alg_name,
                backend.name(),
                fmt_ns(m(&group, &format!("{}-seal", backend.name()))),
                fmt_ns(m(&group, &format!("{}-open", backend.name()))),
            );
        }
    }
    println!();
    println!("==== backends: round trip (seal_for_user + open + verify_epoch, ns) ====");
    println!(
        "{:<8} {:<6} {:<11} {:>9} {:>9} {:>11} {:>11} {:>9}",
        "alg", "size", "backend", "ours", "floor", "ours/floor", "PrivateJar", "ours/jar"
    );
    for (alg_name, _) in ALGORITHMS {
        for (size, _, _) in sessions {
            let floor = m(&format!("{alg_name}-{size}"), "floor-roundtrip");
            let jar = m(&format!("privatejar-{size}"), "roundtrip");
            for &backend in Backend::ALL {
                let ours = rt(alg_name, size, backend);
                println!(
                    "{:<8} {:<6} {:<11} {:>9} {:>9} {:>11} {:>11} {:>9}",
                    alg_name,
                    size,
                    backend.name(),
                    fmt_ns(ours),
                    fmt_ns(floor),
                    fmt_ratio(ratio(ours, floor)),
                    fmt_ns(jar),
                    fmt_ratio(ratio(ours, jar)),
                );
            }
        }
    }
    println!("(floor: postcard + the `xaes-256-gcm` / `chacha20poly1305` crate + base64url)");
    println!();
    println!("backend goals (round trips, this run), informational:");
    for (size, bar) in [("small", 1.10), ("large", 1.05)] {
        let r = ratio(
            rt("xaes", size, Backend::RustCrypto),
            m(&format!("xaes-{size}"), "floor-roundtrip"),
        );
        println!(
            "  {size} default backend (rustcrypto) / raw-XAES floor = {} (bar <= {bar}): {}",
            fmt_ratio(r),
            verdict(r, bar)
        );
    }
    let Some(&ring) = Backend::ALL.get(1) else {
        println!("  ring: not in this build (`--features ring`)");
        return;
    };
    for (size, _, _) in sessions {
        let r = ratio(
            rt("xaes", size, ring),
            m(&format!("privatejar-{size}"), "roundtrip"),
        );
        println!(
            "  {size} {} xaes / PrivateJar = {} (bar <= 0.45): {}",
            ring.name(),
            fmt_ratio(r),
            verdict(r, 0.45)
        );
    }
    for (size, _, _) in sessions {
        let r = ratio(rt("xchacha", size, ring), rt("xaes", size, ring));
        println!(
            "  {size} {} xchacha / {} xaes = {} (bar <= 1.3): {}",
            ring.name(),
            ring.name(),
            fmt_ratio(r),
            verdict(r, 1.3)
        );
    }
}

fn main() {
    let since = SystemTime::now();
    let sessions = sessions();
    let mut c = common::criterion();
    bench_aead(&mut c);
    bench_ours_and_floor(&mut c, &sessions);
    bench_jar(&mut c, &sessions);
    c.final_summary();
    summary(&sessions, since);
}
