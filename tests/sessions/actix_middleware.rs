//! The actix-web middleware: every case of tests/adapter_cases through an
//! actix-web 4 `App` with `SessionMiddleware` (`actix_web::test`, no
//! network); the missing middleware; the error hook; and the cookies it
//! sets being actix-web's own (`cookie` 0.16) types.
#![cfg(feature = "actix-web")]

use crate::adapter_cases;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, COOKIE, SET_COOKIE, VARY};
use actix_web::test::{TestRequest, call_service, init_service, read_body};
use actix_web::{App, HttpResponse, web};
use adapter_cases::{
    CASES, Cache, Data, LOGIN_USER, NAME, Route, Sent, World, check, check_cache, too_big, view,
};
use sealed_session::actix::{SessionMiddleware, default_response};
use sealed_session::{SessionError, SessionHandle, UserId, UserSession};

fn seen(session: &SessionHandle<Data>) -> String {
    view(
        session.user_id().as_ref(),
        session.read(|d| d.counter),
        session.cookie_error(),
    )
}

async fn nothing() -> &'static str {
    "nothing"
}

async fn read(session: SessionHandle<Data>) -> String {
    seen(&session)
}

async fn change(session: SessionHandle<Data>) -> String {
    session.update(|d| d.counter += 1);
    seen(&session)
}

async fn user(user: UserSession<Data>) -> String {
    assert_eq!(user.user_id(), &UserId::from(LOGIN_USER));
    seen(&user)
}

async fn login(session: SessionHandle<Data>) -> String {
    session.login(LOGIN_USER, 1, adapter_cases::data(100));
    seen(&session)
}

async fn logout(session: SessionHandle<Data>) -> String {
    session.logout();
    seen(&session)
}

async fn grow(session: SessionHandle<Data>) -> String {
    session.update(|d| d.blob = too_big());
    seen(&session)
}

async fn preflight(session: SessionHandle<Data>) -> HttpResponse {
    let previous = session.get();
    session.update(|d| d.blob = too_big());
    match session.check_size() {
        Ok(()) => HttpResponse::Ok().body(seen(&session)),
        Err(_) => {
            session.set(previous);
            HttpResponse::PayloadTooLarge().body("too large")
        }
    }
}

async fn fail(session: SessionHandle<Data>) -> HttpResponse {
    session.update(|d| d.counter += 1);
    HttpResponse::InternalServerError().body("failed")
}

fn routes<T>(mut app: App<T>) -> App<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    for route in Route::ALL {
        let handler = match route {
            Route::Nothing => web::get().to(nothing),
            Route::Read => web::get().to(read),
            Route::Change => web::get().to(change),
            Route::User => web::get().to(user),
            Route::Login => web::get().to(login),
            Route::Logout => web::get().to(logout),
            Route::Grow => web::get().to(grow),
            Route::Preflight => web::get().to(preflight),
            Route::Fail => web::get().to(fail),
        };
        app = app.route(route.path(), handler);
    }
    app
}

fn middleware(world: &World) -> SessionMiddleware {
    let epochs = world.epochs.clone();
    SessionMiddleware::new(world.sessions.clone(), move |user: UserId| {
        let epochs = epochs.clone();
        async move { epochs.lookup(&user) }
    })
}

struct Answer {
    status: u16,
    body: String,
    set_cookies: Vec<String>,
    cache: Cache,
}

async fn answer<B: MessageBody>(response: ServiceResponse<B>) -> Answer {
    let status = response.status().as_u16();
    let set_cookies = response
        .headers()
        .get_all(SET_COOKIE)
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let header = |name| {
        response
            .headers()
            .get_all(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let cache = Cache {
        cache_control: header(CACHE_CONTROL),
        vary: header(VARY),
    };
    let body = read_body(response).await;
    Answer {
        status,
        body: String::from_utf8(body.to_vec()).unwrap(),
        set_cookies,
        cache,
    }
}

fn request(path: &str, cookie: Option<&str>) -> TestRequest {
    let mut request = TestRequest::get().uri(path);
    if let Some(cookie) = cookie {
        request = request.insert_header((COOKIE, cookie));
    }
    request
}

#[test]
fn every_case_of_the_table() {
    actix_web::rt::System::new().block_on(async {
        for case in CASES {
            let world = World::for_case(case);
            let service = init_service(routes(App::new()).wrap(middleware(&world))).await;
            let header = world.cookie_header(case.sent);
            let response = call_service(
                &service,
                request(case.route.path(), header.as_deref()).to_request(),
            )
            .await;
            let got = answer(response).await;
            check(&world, case, got.status, &got.body, &got.set_cookies);
            check_cache(case, &got.cache);
        }
    });
}

#[test]
fn without_the_middleware_the_extractor_says_so() {
    actix_web::rt::System::new().block_on(async {
        let service = init_service(routes(App::new())).await;
        let got = answer(call_service(&service, request("/read", None).to_request()).await).await;
        assert_eq!(got.status, 500);
        assert!(
            got.body.contains("session layer is missing"),
            "{}",
            got.body
        );
        let got =
            answer(call_service(&service, request("/nothing", None).to_request()).await).await;
        assert_eq!(got.status, 200);
    });
}

#[test]
fn the_error_hook_and_the_removal_on_a_rejected_request() {
    actix_web::rt::System::new().block_on(async {
        let world = World::new();
        let hooked = middleware(&world).on_error(|err: &SessionError| match err {
            SessionError::SignInRequired => HttpResponse::SeeOther()
                .insert_header(("location", "/login"))
                .finish(),
            other => default_response(other),
        });
        let service = init_service(routes(App::new()).wrap(hooked)).await;
        let stale = world.cookie_header(Sent::User {
            user: LOGIN_USER,
            epoch: 0,
        });
        let got =
            answer(call_service(&service, request("/user", stale.as_deref()).to_request()).await)
                .await;
        assert_eq!(got.status, 303);
        assert_eq!(got.set_cookies.len(), 1);
        assert!(got.set_cookies[0].starts_with(&format!("{NAME}=;")));
    });
}

#[test]
fn the_cookies_are_actix_webs_own_types() {
    actix_web::rt::System::new().block_on(async {
        let world = World::new();
        let service = init_service(routes(App::new()).wrap(middleware(&world))).await;
        let response = call_service(&service, request("/login", None).to_request()).await;
        assert_eq!(response.status(), StatusCode::OK);
        // actix-web parses its own Set-Cookie back into its `cookie` 0.16 type.
        let cookies: Vec<actix_web::cookie::Cookie<'_>> = response.response().cookies().collect();
        assert_eq!(cookies.len(), 1);
        let cookie = &cookies[0];
        assert_eq!(cookie.name(), NAME);
        assert_eq!(cookie.http_only(), Some(true));
        assert_eq!(cookie.secure(), Some(true));
        assert_eq!(
            cookie.same_site(),
            Some(actix_web::cookie::SameSite::Strict)
        );
        assert_eq!(cookie.domain(), Some("app.example"));
        assert_eq!(cookie.max_age(), Some(adapter_cases::IDLE));
    });
}

async fn two_extractors(a: SessionHandle<Data>, b: UserSession<Data>) -> String {
    a.update(|d| d.counter += 1);
    b.update(|d| d.counter += 1);
    format!("{}", b.read(|d| d.counter))
}

#[test]
fn two_extractors_share_the_session() {
    actix_web::rt::System::new().block_on(async {
        let world = World::new();
        let service = init_service(
            App::new()
                .wrap(middleware(&world))
                .route("/two", web::get().to(two_extractors)),
        )
        .await;
        let cookie = world.cookie_header(Sent::User {
            user: LOGIN_USER,
            epoch: 1,
        });
        let got =
            answer(call_service(&service, request("/two", cookie.as_deref()).to_request()).await)
                .await;
        assert_eq!(got.body, "7");
        assert_eq!(got.set_cookies.len(), 1);
    });
}
