//! The same crate in a second framework: the small login / counter / logout /
//! log-out-everywhere app on actix-web 4, with sealed-session's
//! `SessionMiddleware` and extractors.
//!
//! ```text
//! cargo run --features actix-web --example actix   # http://127.0.0.1:3001 (PORT to change)
//! ```
//!
//! Users live in memory (`MemoryEpochs`: user → epoch) and log in by name,
//! without a password: this example is about the session, see the axum demo
//! for real accounts. Keys come from `SEALED_SESSION_KEYS` like the axum demo.

use std::net::Ipv4Addr;

use actix_web::http::header;
use actix_web::{App, HttpResponse, HttpServer, web};
use sealed_session::actix::SessionMiddleware;
use sealed_session::cookie::CookieOptions;
use sealed_session::time::Duration;
use sealed_session::{
    KEYS_ENV_VAR, Key, KeyRing, MemoryEpochs, SessionHandle, SessionStore, Sessions, UserId,
    UserSession,
};
use serde::{Deserialize, Serialize};

const COOKIE_NAME: &str = "__Host-actix-session";

#[derive(Serialize, Deserialize, Default)]
struct Data {
    counter: u64,
}

#[derive(Deserialize)]
struct LoginForm {
    user: String,
}

fn redirect() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .finish()
}

fn page(body: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(format!("<!doctype html><title>actix example</title>{body}"))
}

async fn index(session: SessionHandle<Data>) -> HttpResponse {
    match session.user_id() {
        Some(user) => page(&format!(
            "<p id=\"who\">{user}</p><p>Counter: <span id=\"counter\">{}</span></p>\
             <form method=\"post\" action=\"/count\"><button>+1</button></form>\
             <form method=\"post\" action=\"/logout\"><button>Log out</button></form>\
             <form method=\"post\" action=\"/logout-everywhere\"><button>Log out everywhere</button></form>",
            session.read(|d| d.counter)
        )),
        None => page(
            "<p id=\"who\">signed out</p><form method=\"post\" action=\"/login\">\
             <input name=\"user\"><button>Log in</button></form>",
        ),
    }
}

async fn login(
    session: SessionHandle<Data>,
    users: web::Data<MemoryEpochs>,
    form: web::Form<LoginForm>,
) -> HttpResponse {
    // A real app checks a password here.
    let Ok(user) = UserId::text(form.into_inner().user) else {
        return HttpResponse::BadRequest().body("user names are 1 to 128 bytes");
    };
    let epoch = users.get(&user).unwrap_or_else(|| {
        users.set(user.clone(), 0);
        0
    });
    session.login(user, epoch, Data::default());
    redirect()
}

async fn count(user: UserSession<Data>) -> HttpResponse {
    user.update(|d| d.counter = d.counter.saturating_add(1));
    redirect()
}

async fn logout(session: SessionHandle<Data>) -> HttpResponse {
    session.logout();
    redirect()
}

async fn logout_everywhere(
    user: UserSession<Data>,
    users: web::Data<MemoryEpochs>,
) -> HttpResponse {
    users.bump(user.user_id());
    user.logout();
    redirect()
}

fn app(
    sessions: Sessions,
    users: MemoryEpochs,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .wrap(SessionMiddleware::new(sessions, users.clone()))
        .app_data(web::Data::new(users))
        .route("/", web::get().to(index))
        .route("/login", web::post().to(login))
        .route("/count", web::post().to(count))
        .route("/logout", web::post().to(logout))
        .route("/logout-everywhere", web::post().to(logout_everywhere))
}

fn sessions(ring: KeyRing) -> Result<Sessions, String> {
    let store = SessionStore::builder(COOKIE_NAME, ring)
        .ttl(Duration::days(30))
        .idle_timeout(Duration::days(1))
        .build()
        .map_err(|e| e.to_string())?;
    Sessions::new(store, CookieOptions::new()).map_err(|e| e.to_string())
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
    let sessions = sessions(ring).map_err(std::io::Error::other)?;
    let users = MemoryEpochs::new();
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(3001);
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(move || app(sessions.clone(), users.clone()))
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
    use actix_web::test::{TestRequest, call_service, init_service, read_body};
    use sealed_session::testing::ClientCookies;

    use super::*;

    /// One browser: posts or gets `path` with its cookies, keeps the new
    /// ones, and follows a redirect to `/`; returns the page.
    async fn visit<S, B>(service: &S, jar: &mut ClientCookies, post: Option<&str>) -> String
    where
        S: actix_web::dev::Service<
                actix_http::Request,
                Response = actix_web::dev::ServiceResponse<B>,
                Error = actix_web::Error,
            >,
        B: actix_web::body::MessageBody,
    {
        let mut request = match post {
            Some(path) => TestRequest::post().uri(path),
            None => TestRequest::get().uri("/"),
        };
        if let Some(path) = post.filter(|p| *p == "/login") {
            request = TestRequest::post().uri(path).set_form([("user", "alice")]);
        }
        if let Some(cookie) = jar.cookie_header() {
            request = request.insert_header((header::COOKIE, cookie));
        }
        let response = call_service(service, request.to_request()).await;
        jar.receive(response.headers().get_all(header::SET_COOKIE));
        if response.status().is_redirection() {
            return Box::pin(visit(service, jar, None)).await;
        }
        String::from_utf8(read_body(response).await.to_vec()).unwrap()
    }

    fn who(page: &str) -> &str {
        let start = page.find("id=\"who\">").unwrap() + "id=\"who\">".len();
        &page[start..start + page[start..].find('<').unwrap()]
    }

    fn counter(page: &str) -> u64 {
        let start = page.find("id=\"counter\">").unwrap() + "id=\"counter\">".len();
        page[start..start + page[start..].find('<').unwrap()]
            .parse()
            .unwrap()
    }

    #[test]
    fn login_count_logout_and_log_out_everywhere() {
        actix_web::rt::System::new().block_on(async {
            let sessions = sessions(KeyRing::new(1, Key::generate())).unwrap();
            let service = init_service(app(sessions, MemoryEpochs::new())).await;
            let mut laptop = ClientCookies::new();
            let mut phone = ClientCookies::new();

            assert_eq!(who(&visit(&service, &mut laptop, None).await), "signed out");
            assert_eq!(
                visit(&service, &mut laptop, Some("/count")).await,
                "sign-in required"
            );
            assert_eq!(
                who(&visit(&service, &mut laptop, Some("/login")).await),
                "\"alice\""
            );
            visit(&service, &mut phone, Some("/login")).await;
            for expected in 1..=3 {
                let page = visit(&service, &mut laptop, Some("/count")).await;
                assert_eq!(counter(&page), expected);
            }
            assert_eq!(counter(&visit(&service, &mut phone, None).await), 0);

            // Log out here; a copied cookie stays valid (a stateless session)...
            let mut stolen = laptop.clone();
            visit(&service, &mut laptop, Some("/logout")).await;
            assert_eq!(laptop.get(COOKIE_NAME), None);
            assert_eq!(counter(&visit(&service, &mut stolen, None).await), 3);
            // ...until alice logs out everywhere.
            assert_eq!(
                who(&visit(&service, &mut phone, Some("/logout-everywhere")).await),
                "signed out"
            );
            assert_eq!(who(&visit(&service, &mut stolen, None).await), "signed out");
            assert_eq!(
                stolen.get(COOKIE_NAME),
                None,
                "the revoked cookie was removed"
            );
            // Tampered cookies are signed out and cleared.
            phone.set(COOKIE_NAME, "tampered");
            assert_eq!(who(&visit(&service, &mut phone, None).await), "signed out");
            assert_eq!(phone.get(COOKIE_NAME), None);
        });
    }
}
