//! The same crate in a second framework: an actix-web visit counter kept in
//! an anonymous sealed session.
//!
//! ```text
//! cargo run -p demo --example actix        # http://127.0.0.1:3001 (PORT to change)
//! ```
//!
//! `GET /` counts your visits in the cookie (re-sealed on every change);
//! `POST /reset` sends the removal cookie. A cookie that does not open
//! (tampered, expired, sealed under a removed key) is cleared and counting
//! starts over. Keys come from `SEALED_SESSION_KEYS` like the axum demo.

use std::net::Ipv4Addr;

use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use sealed_session::cookie::{Cookie, CookieOptions};
use sealed_session::time::{Duration, OffsetDateTime};
use sealed_session::{KEYS_ENV_VAR, Key, KeyRing, Opened, SessionStore};
use serde::{Deserialize, Serialize};

const COOKIE_NAME: &str = "__Host-visits";

#[derive(Serialize, Deserialize, Default)]
struct Visits {
    count: u64,
}

/// Shared by all workers: the store is `Clone + Send + Sync` (an `Arc` inside).
#[derive(Clone)]
struct Sessions {
    store: SessionStore,
    cookie: CookieOptions,
}

impl Sessions {
    fn new(ring: KeyRing) -> Result<Sessions, String> {
        let store = SessionStore::builder(COOKIE_NAME, ring)
            .ttl(Duration::days(30))
            .build()
            .map_err(|e| e.to_string())?;
        let cookie = CookieOptions::new();
        cookie.validate(COOKIE_NAME).map_err(|e| e.to_string())?;
        Ok(Sessions { store, cookie })
    }
}

fn cookie_header(req: &HttpRequest) -> String {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join("; ")
}

fn set_cookie(response: &mut actix_web::HttpResponseBuilder, cookie: &Cookie<'_>) {
    response.append_header((header::SET_COOKIE, cookie.to_string()));
}

async fn index(req: HttpRequest, sessions: web::Data<Sessions>) -> HttpResponse {
    let store = &sessions.store;
    let now = OffsetDateTime::now_utc();
    let mut response = HttpResponse::Ok();
    response.content_type("text/html; charset=utf-8");
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    let opened = store.open_cookie_header_at::<Visits>(&cookie_header(&req), now);
    let (count, sealed) = match opened {
        // An existing visitor: count, and re-seal (same absolute expiry).
        // (A cookie that opened only thanks to the clock-skew leeway cannot
        // be re-sealed, so it starts over below.)
        Ok(Some(Opened::Anonymous(mut session))) if !session.info().in_leeway() => {
            let count = session.data().count.saturating_add(1);
            session.data_mut().count = count;
            (count, store.reseal_at(&session, now))
        }
        // No cookie yet, or one that did not open (replaced by the new one).
        Ok(_) | Err(_) => (1, store.seal_at(&Visits { count: 1 }, now)),
    };
    let cookie = sealed.map_err(|err| err.to_string()).and_then(|sealed| {
        (sessions.cookie.cookie_at(&sealed, now)).map_err(|err| err.to_string())
    });
    match cookie {
        Ok(cookie) => {
            set_cookie(&mut response, &cookie);
            response.body(format!(
                "<!doctype html><title>visits</title><p>Visits: <span id=\"visits\">{count}</span></p>\
                 <form method=\"post\" action=\"/reset\"><button>Reset</button></form>"
            ))
        }
        Err(err) => HttpResponse::InternalServerError().body(format!("could not seal: {err}")),
    }
}

async fn reset(sessions: web::Data<Sessions>) -> HttpResponse {
    let mut response = HttpResponse::SeeOther();
    response.insert_header((header::LOCATION, "/"));
    match sessions.cookie.removal(sessions.store.cookie_name()) {
        Ok(removal) => set_cookie(&mut response, &removal),
        Err(err) => return HttpResponse::InternalServerError().body(err.to_string()),
    }
    response.finish()
}

fn app(
    sessions: Sessions,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(sessions))
        .route("/", web::get().to(index))
        .route("/reset", web::post().to(reset))
}

fn main() -> std::io::Result<()> {
    let ring = match std::env::var(KEYS_ENV_VAR) {
        Ok(config) => KeyRing::from_config(&config)
            .map_err(|e| std::io::Error::other(format!("{KEYS_ENV_VAR}: {e}")))?,
        Err(_) => {
            eprintln!("actix example: WARNING: {KEYS_ENV_VAR} not set, using a random key");
            KeyRing::new(1, Key::try_generate().map_err(std::io::Error::other)?)
        }
    };
    let sessions = Sessions::new(ring).map_err(std::io::Error::other)?;
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(3001);
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(move || app(sessions.clone()))
            .workers(2)
            .bind((Ipv4Addr::LOCALHOST, port))?;
        for addr in server.addrs() {
            println!("actix example: listening on http://{addr}");
        }
        server.run().await
    })
}

#[cfg(test)]
mod tests {
    use actix_web::http::StatusCode;
    use actix_web::test::{TestRequest, call_service, init_service, read_body};

    use super::*;

    fn visits(body: &[u8]) -> u64 {
        let body = std::str::from_utf8(body).unwrap();
        let start = body.find("id=\"visits\">").unwrap() + "id=\"visits\">".len();
        let end = start + body[start..].find('<').unwrap();
        body[start..end].parse().unwrap()
    }

    fn session_set_cookie(res: &actix_web::dev::ServiceResponse) -> Cookie<'static> {
        let header = res
            .headers()
            .get_all(header::SET_COOKIE)
            .find_map(|v| v.to_str().ok().filter(|v| v.starts_with(COOKIE_NAME)))
            .expect("a session Set-Cookie");
        Cookie::parse(header.to_owned()).unwrap()
    }

    #[test]
    fn counts_visits_in_the_cookie_and_resets() {
        actix_web::rt::System::new().block_on(async {
            let sessions = Sessions::new(KeyRing::new(1, Key::generate())).unwrap();
            let service = init_service(app(sessions)).await;

            let mut cookie = None::<Cookie<'static>>;
            for expected in 1..=3u64 {
                let mut req = TestRequest::get().uri("/");
                if let Some(c) = &cookie {
                    req = req.insert_header((header::COOKIE, format!("other=1; {}", c.stripped())));
                }
                let res = call_service(&service, req.to_request()).await;
                assert_eq!(res.status(), StatusCode::OK);
                let set = session_set_cookie(&res);
                assert_eq!(set.http_only(), Some(true));
                assert_eq!(set.secure(), Some(true));
                assert_eq!(visits(&read_body(res).await), expected);
                cookie = Some(set);
            }

            // A tampered cookie starts over.
            let req = TestRequest::get()
                .uri("/")
                .insert_header((header::COOKIE, format!("{COOKIE_NAME}=tampered")))
                .to_request();
            let res = call_service(&service, req).await;
            assert_eq!(visits(&read_body(res).await), 1);

            // Reset sends the removal cookie.
            let res = call_service(&service, TestRequest::post().uri("/reset").to_request()).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
            let removal = session_set_cookie(&res);
            assert_eq!(removal.value(), "");
            assert_eq!(removal.max_age(), Some(Duration::ZERO));
        });
    }
}
