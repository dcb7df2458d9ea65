//! tower-sessions' documented `Session` behaviours, through a real axum
//! `Router` behind `SealedSessionLayer`: one case table (as the engine's
//! `adapter_cases`), each case a request sequence and what the cookie and
//! the session must be afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use http_body_util::BodyExt;
use sealed_session::{CookieOptions, Key, KeyRing, RevocationSet, SessionStore, Sessions};
use sealed_session_tower::SealedSessionLayer;
use time::{Duration, OffsetDateTime};
use tower::ServiceExt;
use tower_sessions::{Expiry, Session};

const NAME: &str = "__Host-id";

async fn show(session: Session) -> String {
    let a: Option<String> = session.get("a").await.unwrap();
    let b: Option<String> = session.get("b").await.unwrap();
    format!("a={a:?} b={b:?}")
}

async fn op(session: Session, Path(op): Path<String>) -> Result<String, StatusCode> {
    let fail = |_| StatusCode::IM_A_TEAPOT;
    match op.as_str() {
        "insert_a" => session.insert("a", "1").await.map_err(fail)?,
        "insert_a2" => session.insert("a", "2").await.map_err(fail)?,
        "insert_b" => session.insert("b", "x").await.map_err(fail)?,
        "remove_a" => drop(session.remove::<String>("a").await.map_err(fail)?),
        "clear" => session.clear().await,
        "flush" => session.flush().await.map_err(fail)?,
        "delete" => session.delete().await.map_err(fail)?,
        "cycle_id" => session.cycle_id().await.map_err(fail)?,
        "expiry_session_end" => session.set_expiry(Some(Expiry::OnSessionEnd)),
        "expiry_inactivity" => {
            session.set_expiry(Some(Expiry::OnInactivity(Duration::minutes(30))))
        }
        "expiry_at_past" => {
            session.set_expiry(Some(Expiry::AtDateTime(
                OffsetDateTime::now_utc() - Duration::hours(1),
            )));
            // a write so the record (with its date) is saved
            session.insert("b", "x").await.map_err(fail)?;
        }
        "big" => {
            // 5000 characters of JSON: no longer fits 4096 bytes.
            session
                .insert("big", "y".repeat(5000))
                .await
                .map_err(fail)?
        }
        "fail" => {
            session.insert("b", "x").await.map_err(fail)?;
            return Err(StatusCode::INTERNAL_SERVER_ERROR);
        }
        "id" => return Ok(format!("{:?}", session.id().map(|id| id.0))),
        "noop" => {}
        _ => return Err(StatusCode::NOT_FOUND),
    }
    Ok(show(session).await)
}

fn app() -> Router {
    app_with(|layer| layer)
}

fn app_with(configure: impl FnOnce(SealedSessionLayer) -> SealedSessionLayer) -> Router {
    let store = SessionStore::builder(NAME, KeyRing::new(1, Key::generate()))
        .build()
        .unwrap();
    let revoked = RevocationSet::new(&store);
    let sessions = Sessions::new(store, CookieOptions::new())
        .unwrap()
        .with_revocations(revoked);
    Router::new()
        .route("/", get(show))
        .route("/op/{op}", get(op))
        .layer(configure(SealedSessionLayer::new(sessions)))
}

/// What a response did with the cookie.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Cookie {
    /// No `Set-Cookie`.
    Untouched,
    /// A sealed cookie (its attributes kept for the expiry cases).
    Set(String),
    /// The removal cookie.
    Removed,
}

struct Reply {
    status: StatusCode,
    cookie: Cookie,
    body: String,
}

async fn send(app: &Router, path: &str, cookie: Option<&str>) -> Reply {
    let mut request = Request::get(path);
    if let Some(value) = cookie {
        request = request.header(header::COOKIE, format!("{NAME}={value}"));
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let set: Vec<_> = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .collect();
    assert!(set.len() <= 1, "{path}: one Set-Cookie at most");
    let cookie = match set.first() {
        None => Cookie::Untouched,
        Some(value) => {
            let value = value.to_str().unwrap().to_owned();
            if value.contains("Max-Age=0") {
                Cookie::Removed
            } else {
                Cookie::Set(value)
            }
        }
    };
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        cookie,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

fn value_of(set_cookie: &str) -> String {
    let pair = set_cookie.split(';').next().unwrap();
    pair.split_once('=').unwrap().1.to_owned()
}

/// What the cookie must look like after the case's last request.
#[derive(Clone, Copy, Debug)]
enum Want {
    Untouched,
    Set,
    /// Set, with this attribute text in it.
    SetWith(&'static str),
    /// Set, and none of these attributes.
    SetWithout(&'static [&'static str]),
    Removed,
}

struct Case {
    name: &'static str,
    /// Requests made first (the browser keeps what they set).
    before: &'static [&'static str],
    /// The request under test.
    op: &'static str,
    status: StatusCode,
    cookie: Want,
    /// `GET /` with the browser's cookie afterwards.
    after: &'static str,
    /// `GET /` with a copy of the cookie from before `op`.
    copy_after: &'static str,
}

const NONE: &str = "a=None b=None";
const A1: &str = "a=Some(\"1\") b=None";

const CASES: &[Case] = &[
    Case {
        name: "get on no session writes nothing",
        before: &[],
        op: "/",
        status: StatusCode::OK,
        cookie: Want::Untouched,
        after: NONE,
        copy_after: NONE,
    },
    Case {
        name: "insert starts a session",
        before: &[],
        op: "/op/insert_a",
        status: StatusCode::OK,
        cookie: Want::Set,
        after: A1,
        copy_after: NONE,
    },
    Case {
        name: "get does not write",
        before: &["/op/insert_a"],
        op: "/",
        status: StatusCode::OK,
        cookie: Want::Untouched,
        after: A1,
        copy_after: A1,
    },
    Case {
        name: "no change, no write",
        before: &["/op/insert_a"],
        op: "/op/noop",
        status: StatusCode::OK,
        cookie: Want::Untouched,
        after: A1,
        copy_after: A1,
    },
    Case {
        name: "insert of the same value is no change",
        before: &["/op/insert_a"],
        op: "/op/insert_a",
        status: StatusCode::OK,
        cookie: Want::Untouched,
        after: A1,
        copy_after: A1,
    },
    Case {
        name: "insert replaces",
        before: &["/op/insert_a"],
        op: "/op/insert_a2",
        status: StatusCode::OK,
        cookie: Want::Set,
        after: "a=Some(\"2\") b=None",
        copy_after: A1,
    },
    Case {
        name: "insert adds",
        before: &["/op/insert_a"],
        op: "/op/insert_b",
        status: StatusCode::OK,
        cookie: Want::Set,
        after: "a=Some(\"1\") b=Some(\"x\")",
        copy_after: A1,
    },
    Case {
        name: "remove",
        before: &["/op/insert_a", "/op/insert_b"],
        op: "/op/remove_a",
        status: StatusCode::OK,
        cookie: Want::Set,
        after: "a=None b=Some(\"x\")",
        copy_after: "a=Some(\"1\") b=Some(\"x\")",
    },
    Case {
        name: "remove of the last key: the empty record is kept (its id is set)",
        before: &["/op/insert_a"],
        op: "/op/remove_a",
        status: StatusCode::OK,
        cookie: Want::Set,
        after: NONE,
        copy_after: A1,
    },
    Case {
        name: "clear: the empty record is kept, not revoked",
        before: &["/op/insert_a"],
        op: "/op/clear",
        status: StatusCode::OK,
        cookie: Want::Set,
        after: NONE,
        copy_after: A1,
    },
    Case {
        name: "flush removes and revokes: the copy is refused",
        before: &["/op/insert_a"],
        op: "/op/flush",
        status: StatusCode::OK,
        cookie: Want::Removed,
        after: NONE,
        copy_after: NONE,
    },
    Case {
        name: "delete: revoked, the cookie removed",
        before: &["/op/insert_a"],
        op: "/op/delete",
        status: StatusCode::OK,
        cookie: Want::Removed,
        after: NONE,
        copy_after: NONE,
    },
    Case {
        name: "flush of no session",
        before: &[],
        op: "/op/flush",
        status: StatusCode::OK,
        cookie: Want::Untouched,
        after: NONE,
        copy_after: NONE,
    },
    Case {
        name: "cycle_id keeps the data, new cookie, old one revoked",
        before: &["/op/insert_a"],
        op: "/op/cycle_id",
        status: StatusCode::OK,
        cookie: Want::Set,
        after: A1,
        copy_after: NONE,
    },
    Case {
        name: "set_expiry OnSessionEnd: a session cookie",
        before: &["/op/insert_a"],
        op: "/op/expiry_session_end",
        status: StatusCode::OK,
        cookie: Want::SetWithout(&["Max-Age", "Expires"]),
        after: A1,
        copy_after: A1,
    },
    Case {
        name: "set_expiry OnInactivity: Max-Age",
        before: &["/op/insert_a"],
        op: "/op/expiry_inactivity",
        status: StatusCode::OK,
        cookie: Want::SetWith("Max-Age=1800"),
        after: A1,
        copy_after: A1,
    },
    Case {
        name: "AtDateTime in the past: the record is expired",
        before: &[],
        op: "/op/expiry_at_past",
        status: StatusCode::OK,
        cookie: Want::Set,
        after: NONE,
        copy_after: NONE,
    },
    Case {
        name: "too big: an error at the response, the cookie kept",
        before: &["/op/insert_a"],
        op: "/op/big",
        status: StatusCode::INTERNAL_SERVER_ERROR,
        cookie: Want::Untouched,
        after: A1,
        copy_after: A1,
    },
    Case {
        name: "5xx keeps no change",
        before: &["/op/insert_a"],
        op: "/op/fail",
        status: StatusCode::INTERNAL_SERVER_ERROR,
        cookie: Want::Untouched,
        after: A1,
        copy_after: A1,
    },
];

#[tokio::test]
async fn session_behaviours() {
    let app = app();
    let mut failures = Vec::new();
    for case in CASES {
        let mut jar: Option<String> = None;
        for path in case.before {
            let reply = send(&app, path, jar.as_deref()).await;
            assert_eq!(reply.status, StatusCode::OK, "{}: {path}", case.name);
            match reply.cookie {
                Cookie::Set(value) => jar = Some(value_of(&value)),
                Cookie::Removed => jar = None,
                Cookie::Untouched => {}
            }
        }
        let copy = jar.clone();
        let reply = send(&app, case.op, jar.as_deref()).await;
        let cookie_ok = match (&reply.cookie, case.cookie) {
            (Cookie::Untouched, Want::Untouched) | (Cookie::Removed, Want::Removed) => true,
            (Cookie::Set(_), Want::Set) => true,
            (Cookie::Set(set), Want::SetWith(attr)) => set.contains(attr),
            (Cookie::Set(set), Want::SetWithout(attrs)) => !attrs.iter().any(|a| set.contains(a)),
            _ => false,
        };
        match &reply.cookie {
            Cookie::Set(value) => jar = Some(value_of(value)),
            Cookie::Removed => jar = None,
            Cookie::Untouched => {}
        }
        let after = send(&app, "/", jar.as_deref()).await.body;
        let copy_after = send(&app, "/", copy.as_deref()).await.body;
        if reply.status != case.status
            || !cookie_ok
            || after != case.after
            || copy_after != case.copy_after
        {
            failures.push(format!(
                "{}: status {} cookie {:?} after {after:?} copy {copy_after:?}",
                case.name, reply.status, reply.cookie
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// tower-sessions' id is the sealed session's id: stable across requests,
/// new after `cycle_id`.
#[tokio::test]
async fn id_is_stable_and_cycles() {
    let app = app();
    assert_eq!(send(&app, "/op/id", None).await.body, "None");
    let Cookie::Set(set) = send(&app, "/op/insert_a", None).await.cookie else {
        panic!("no cookie")
    };
    let first = value_of(&set);
    let id = send(&app, "/op/id", Some(&first)).await.body;
    assert!(id.starts_with("Some("), "{id}");
    assert_eq!(send(&app, "/op/id", Some(&first)).await.body, id);
    let Cookie::Set(set) = send(&app, "/op/cycle_id", Some(&first)).await.cookie else {
        panic!("no cookie")
    };
    let second = value_of(&set);
    let new_id = send(&app, "/op/id", Some(&second)).await.body;
    assert!(new_id.starts_with("Some(") && new_id != id, "{id} {new_id}");
}

/// A tampered cookie is no session, and is removed.
#[tokio::test]
async fn tampered_cookie_is_no_session() {
    let app = app();
    let Cookie::Set(set) = send(&app, "/op/insert_a", None).await.cookie else {
        panic!("no cookie")
    };
    let mut value = value_of(&set).into_bytes();
    let last = value.len() - 5;
    value[last] = if value[last] == b'A' { b'B' } else { b'A' };
    let value = String::from_utf8(value).unwrap();
    let reply = send(&app, "/", Some(&value)).await;
    assert_eq!(reply.body, NONE);
    assert_eq!(reply.cookie, Cookie::Removed);
}

/// A stale revocation feed fails closed: a request carrying a session gets
/// 503 (a revoked copy could not be told apart) and keeps its cookie; one
/// without a session is served. Once the feed confirms, the same cookie
/// opens. (No waiting: a fed set is stale until its first confirmation, and
/// then fresh for the hour-long bound.)
#[tokio::test]
async fn stale_feed_fails_closed() {
    let store = SessionStore::builder(NAME, KeyRing::new(1, Key::generate()))
        .build()
        .unwrap();
    let revoked = RevocationSet::new(&store);
    let options = sealed_session::FeedOptions::default()
        .staleness_bound(std::time::Duration::from_secs(3600));
    let feed = revoked.attach_feed(options, |_| {}).unwrap();
    let sessions = Sessions::new(store, CookieOptions::new())
        .unwrap()
        .with_revocations(revoked.clone());
    let app = Router::new()
        .route("/", get(show))
        .route("/op/{op}", get(op))
        .layer(SealedSessionLayer::new(sessions));
    assert!(revoked.is_stale(), "never confirmed");
    // A request without a session is not gated: it starts one.
    let Cookie::Set(set) = send(&app, "/op/insert_a", None).await.cookie else {
        panic!("no cookie")
    };
    let cookie = value_of(&set);
    let reply = send(&app, "/", Some(&cookie)).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.cookie, Cookie::Untouched, "the cookie is kept");
    assert_eq!(send(&app, "/", None).await.status, StatusCode::OK);
    feed.confirm(std::time::Instant::now());
    let reply = send(&app, "/", Some(&cookie)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.body, A1,
        "the same cookie opens once the feed is fresh"
    );
}

/// `with_always_save(true)`: every response re-seals a non-empty session
/// (rolling `OnInactivity` on reads too); an empty one still writes nothing.
#[tokio::test]
async fn always_save_reseals_on_reads() {
    let app = app_with(|layer| {
        layer
            .with_always_save(true)
            .with_expiry(Expiry::OnInactivity(Duration::minutes(10)))
    });
    assert_eq!(send(&app, "/", None).await.cookie, Cookie::Untouched);
    let Cookie::Set(set) = send(&app, "/op/insert_a", None).await.cookie else {
        panic!("no cookie")
    };
    let reply = send(&app, "/", Some(&value_of(&set))).await;
    assert_eq!(reply.body, A1);
    let Cookie::Set(again) = reply.cookie else {
        panic!("a read did not re-seal")
    };
    assert!(again.contains("Max-Age=600"), "{again}");
    // Without always_save the same read writes nothing (the case table).
}
