//! sealed-session on plain hyper 1, through `Sessions` (no adapter): the
//! small login / counter / logout / log-out-everywhere app.
//!
//! ```text
//! cargo run --example hyper --features cookie     # http://127.0.0.1:3002
//! curl -c jar -b jar -X POST localhost:3002/login; curl -c jar -b jar -X POST localhost:3002/count
//! ```
//!
//! The session glue is the two marked blocks in `serve`: about 20 lines.
//! Rocket, Poem and Salvo look the same: open from the request's `Cookie`
//! fields, look the epoch up, let the handler work, finish into `Set-Cookie`.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{CACHE_CONTROL, COOKIE, HeaderValue, SET_COOKIE, VARY};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use sealed_session::cookie::{CACHE_CONTROL_PRIVATE, CookieOptions, needs_vary_cookie};
use sealed_session::engine::{Arrival, SessionState};
use sealed_session::{Key, KeyRing, MemoryEpochs, SessionStore, Sessions, UserId};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Default)]
struct Data {
    counter: u64,
}

/// The app: what each route does with the session.
fn app(
    method: &Method,
    path: &str,
    session: &mut SessionState<Data>,
    epochs: &MemoryEpochs,
) -> (StatusCode, String) {
    let user = UserId::from(7u64);
    match (method, path) {
        (&Method::GET, "/") => match (session.user_id(), session.data()) {
            (Some(user), Some(data)) => (StatusCode::OK, format!("{user}: {}\n", data.counter)),
            _ => (StatusCode::OK, "signed out\n".to_owned()),
        },
        (&Method::POST, "/login") => {
            // A real app checks a password here, and has its users table.
            let epoch = epochs.get(&user).unwrap_or_else(|| {
                epochs.set(user.clone(), 0);
                0
            });
            session.login(user, epoch, Data::default());
            (StatusCode::OK, "welcome\n".to_owned())
        }
        (&Method::POST, "/count") if session.user_id().is_some() => {
            let data = session.data_mut();
            data.counter = data.counter.saturating_add(1);
            (StatusCode::OK, format!("{}\n", data.counter))
        }
        (&Method::POST, "/logout") => {
            session.logout();
            (StatusCode::OK, "bye\n".to_owned())
        }
        (&Method::POST, "/logout-everywhere") if session.user_id().is_some() => {
            epochs.bump(&user);
            session.logout();
            (StatusCode::OK, "bye everywhere\n".to_owned())
        }
        (&Method::POST, _) => (StatusCode::UNAUTHORIZED, "sign in first\n".to_owned()),
        _ => (StatusCode::NOT_FOUND, "not found\n".to_owned()),
    }
}

async fn serve(
    sessions: Sessions,
    epochs: MemoryEpochs,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    // ---- session glue: the request side ----
    let mut session = match sessions.open::<Data>(request.headers().get_all(COOKIE)) {
        Arrival::Ready(session) => session,
        // Your database, async or not; `None` if the user is gone.
        Arrival::NeedsEpoch(pending) => {
            let epoch = epochs.get(pending.user_id());
            pending.verify(epoch)
        }
        // The revocation feed is stale: fail closed, no handler, no cookie.
        Arrival::Unavailable(_) => {
            let mut response = Response::new(Full::from("try again in a moment\n"));
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            return Ok(response);
        }
    };
    let (status, body) = app(
        request.method(),
        request.uri().path(),
        &mut session,
        &epochs,
    );
    let mut response = Response::new(Full::from(body));
    *response.status_mut() = status;
    // ---- session glue: the response side ----
    match sessions
        .finish(&session, status.as_u16())
        .map(|cookie| cookie.map(|c| HeaderValue::try_from(c.to_string())))
    {
        Ok(None) => {}
        Ok(Some(Ok(set_cookie))) => {
            response.headers_mut().append(SET_COOKIE, set_cookie);
        }
        Ok(Some(Err(_))) | Err(_) => {
            // Too large for a cookie (say): an error, never a dropped cookie.
            eprintln!("hyper example: the session could not be sent");
            response = Response::new(Full::from("internal error\n"));
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        }
    }
    // This response depends on the session: no shared cache may keep it.
    let headers = response.headers_mut();
    if !headers.contains_key(CACHE_CONTROL) {
        headers.insert(
            CACHE_CONTROL,
            HeaderValue::from_static(CACHE_CONTROL_PRIVATE),
        );
    }
    if needs_vary_cookie(headers.get_all(VARY)) {
        headers.append(VARY, HeaderValue::from_static("Cookie"));
    }
    Ok(response)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let store =
        SessionStore::builder("__Host-session", KeyRing::new(1, Key::try_generate()?)).build()?;
    // `curl` on http://127.0.0.1 keeps Secure cookies; browsers do too on localhost.
    let sessions = Sessions::new(store, CookieOptions::new())?;
    let epochs = MemoryEpochs::new();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 3002));
        let listener = tokio::net::TcpListener::bind(addr).await?;
        println!("hyper example: listening on http://{addr}");
        loop {
            let (stream, _) = listener.accept().await?;
            let (sessions, epochs) = (sessions.clone(), epochs.clone());
            tokio::spawn(async move {
                let service =
                    service_fn(move |request| serve(sessions.clone(), epochs.clone(), request));
                if let Err(err) = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                {
                    eprintln!("hyper example: connection error: {err}");
                }
            });
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::arithmetic_side_effects
    )]

    use http_body_util::BodyExt as _;
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    use sealed_session::testing::ClientCookies;

    use super::*;

    /// The real server on 127.0.0.1:0, driven by hyper's client.
    #[test]
    fn login_count_logout_everywhere_over_loopback() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let store = SessionStore::builder("__Host-session", KeyRing::new(1, Key::generate()))
                .build()
                .unwrap();
            let sessions = Sessions::new(store, CookieOptions::new()).unwrap();
            let epochs = MemoryEpochs::new();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move {
                for _ in 0..64 {
                    let (stream, _) = listener.accept().await.unwrap();
                    let (sessions, epochs) = (sessions.clone(), epochs.clone());
                    tokio::spawn(async move {
                        let service =
                            service_fn(move |r| serve(sessions.clone(), epochs.clone(), r));
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
            let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
            let send = |jar: &ClientCookies, method: Method, path: &str| {
                let mut request = Request::builder()
                    .method(method)
                    .uri(format!("http://{addr}{path}"));
                if let Some(cookie) = jar.cookie_header() {
                    request = request.header(COOKIE, cookie);
                }
                client.request(request.body(Full::default()).unwrap())
            };
            let mut laptop = ClientCookies::new();
            let mut phone = ClientCookies::new();
            let call = async |jar: &mut ClientCookies, method: Method, path: &str| {
                let response = send(jar, method, path).await.unwrap();
                // Every answer depends on the session: private to caches.
                assert_eq!(response.headers()[CACHE_CONTROL], "private");
                assert_eq!(response.headers()[VARY], "Cookie");
                jar.receive(response.headers().get_all(SET_COOKIE));
                let body = response.into_body().collect().await.unwrap().to_bytes();
                String::from_utf8(body.to_vec()).unwrap()
            };
            assert_eq!(call(&mut laptop, Method::GET, "/").await, "signed out\n");
            assert_eq!(
                call(&mut laptop, Method::POST, "/count").await,
                "sign in first\n"
            );
            call(&mut laptop, Method::POST, "/login").await;
            call(&mut phone, Method::POST, "/login").await;
            assert_eq!(call(&mut laptop, Method::POST, "/count").await, "1\n");
            assert_eq!(call(&mut laptop, Method::POST, "/count").await, "2\n");
            assert_eq!(call(&mut laptop, Method::GET, "/").await, "7: 2\n");
            call(&mut phone, Method::POST, "/logout-everywhere").await;
            assert_eq!(call(&mut laptop, Method::GET, "/").await, "signed out\n");
            assert_eq!(laptop.get("__Host-session"), None, "revoked and removed");
        });
    }
}
