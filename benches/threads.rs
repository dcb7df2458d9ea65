//! Multi-thread scaling: one store, cloned into 1 or 2 threads, each thread
//! doing full round trips (seal_for_user, open, verify_epoch) of a typical
//! small and large `Session` (`common/anchors.rs`). One criterion iteration = one round
//! trip on every thread, so the throughput is in round trips per second and
//! `scaling = 2 × t(1 thread) / t(2 threads)`. Ends with the scaling table,
//! one row per size and backend (ring too with `--features ring`).
//!
//! `cargo bench --bench threads`; `SEALED_BENCH_QUICK=1` for a short run.

mod common;

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant, SystemTime};

use common::Ours;
use criterion::Throughput;
use sealed_session::__backend::Backend;
use sealed_session::Algorithm;

use common::anchors::Session;
use common::sessions;

const THREADS: [usize; 2] = [1, 2];

/// Runs `iters` round trips on each of `threads` threads sharing one store
/// (each holds a clone: an `Arc`), and returns the slowest thread's time
/// from the common start.
fn run(ours: &Ours, session: &Session, threads: usize, iters: u64) -> Duration {
    let (user, epoch) = (session.user_id, u64::from(session.epoch));
    let barrier = Barrier::new(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let store = ours.store.clone();
                let barrier = &barrier;
                scope.spawn(move || {
                    let mine = Ours { store };
                    barrier.wait();
                    let start = Instant::now();
                    for _ in 0..iters {
                        let value = mine.seal(user, epoch, black_box(session));
                        black_box(mine.open::<Session>(&value, epoch));
                    }
                    start.elapsed()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .max()
            .unwrap_or_default()
    })
}

fn main() {
    let since = SystemTime::now();
    let sessions = sessions();
    let mut c = common::criterion();
    // The default (RustCrypto) backend keeps the group names it always had.
    let group_of = |backend: Backend, size: &str| match backend {
        Backend::RustCrypto => format!("threads-{size}"),
        other => format!("threads-{}-{size}", other.name()),
    };
    for &backend in Backend::ALL {
        let ours = Ours::on(Algorithm::default(), backend);
        for (size, session, _) in &sessions {
            let mut g = c.benchmark_group(group_of(backend, size));
            for threads in THREADS {
                g.throughput(Throughput::Elements(threads as u64));
                g.bench_function(format!("roundtrip-{threads}"), |b| {
                    b.iter_custom(|iters| run(&ours, session, threads, iters))
                });
            }
            g.finish();
        }
    }
    c.final_summary();

    println!();
    println!("==== multi-thread scaling (one shared store, xaes-256-gcm round trips) ====");
    println!(
        "{:<6} {:<11} {:>14} {:>14} {:>9}",
        "size", "backend", "1 thread ns", "2 threads ns", "scaling"
    );
    for (size, _, _) in &sessions {
        for &backend in Backend::ALL {
            let group = group_of(backend, size);
            let t1 = common::median_ns(&group, "roundtrip-1", since);
            let t2 = common::median_ns(&group, "roundtrip-2", since);
            let scaling = t1.zip(t2).map(|(t1, t2)| 2.0 * t1 / t2);
            println!(
                "{:<6} {:<11} {:>14} {:>14} {:>9}",
                size,
                backend.name(),
                t1.map_or_else(|| "-".to_owned(), |v| format!("{v:.0}")),
                t2.map_or_else(|| "-".to_owned(), |v| format!("{v:.0}")),
                scaling.map_or_else(
                    || "-".to_owned(),
                    |s| format!("{s:.2}x{}", if s >= 1.8 { "" } else { " (bar 1.8)" })
                ),
            );
        }
    }
    println!(
        "(the machine's 2 cores are shared with other jobs: scaling measured here is a floor)"
    );
}
