//! The team server: one process holds the store and serves many clients, over an HTTP JSON API under `/api/v1`
//! ([`api`]) and server-rendered pages ([`ui`]). The one module that knows HTTP.
//!
//! The read models are kept current from the store's subscription ([`Live`]): the server folds the log once
//! when it starts, then applies each event as it becomes durable, and answers every query from the models.
//! Every write goes through the application layer, and so through the one commit planner. Who is asking is
//! checked on every route but the login form and the vendored assets ([`auth`]).

// A problem document is built once per refused request and answered at once: its size does not matter.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod auth;
mod drafts;
mod openapi;
pub mod problem;
pub mod ui;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::Router;
use tokio::sync::watch;

use crate::access::{AccessFile, Role};
use crate::app::{AppError, Folds, ReadModels};
use crate::store::EventStore;
use auth::{Caller, Sessions, Throttle, Via};
use problem::Problem;

/// How a server runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Anonymous callers may read (as readers); writes still need a user.
    pub public: bool,
    /// The server is reached over HTTPS (behind a proxy): session cookies are `Secure`.
    pub secure_cookies: bool,
    /// Host names the server answers to besides IP addresses and `localhost` (compared without the port,
    /// ignoring case); a request naming another host gets 421, so that a page from another site cannot reach
    /// the server by pointing its own name at the server's address (DNS rebinding).
    pub allowed_hosts: Vec<String>,
    /// How long a client may take to send a request's headers before its connection is closed (slow clients
    /// would otherwise hold connections for ever): [`HEADER_READ_TIMEOUT`] unless a test shortens it.
    pub header_read_timeout: std::time::Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            public: false,
            secure_cookies: false,
            allowed_hosts: Vec::new(),
            header_read_timeout: HEADER_READ_TIMEOUT,
        }
    }
}

/// Checks a name given to `--allowed-host`: a DNS name in ASCII (an internationalised one in its `xn--` form),
/// without scheme, port, path or wildcard; the name returned as given.
///
/// # Errors
/// What is wrong with it, naming the value.
pub fn allowed_host(name: &str) -> Result<String, String> {
    let fine = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if !name.is_ascii() {
        return Err(format!("`{name}` is not ASCII: give an internationalised name in its xn-- form"));
    }
    if name.is_empty() || name.len() > 253 || !name.split('.').all(fine) {
        return Err(format!(
            "`{name}` is not a host name: give the name alone, such as followup.example.org (no scheme, port or *)"
        ));
    }
    Ok(name.to_owned())
}

impl Options {
    /// Whether a request's `Host` header value names this server: an IP address, `localhost`, or an allowed
    /// name, with or without a port.
    pub fn answers_to(&self, host: &str) -> bool {
        let name = match host.strip_prefix('[') {
            // An IPv6 literal: `[::1]:8080`.
            Some(rest) => return rest.split_once(']').is_some_and(|(ip, _)| ip.parse::<std::net::Ipv6Addr>().is_ok()),
            // A port, possibly empty (`name:` is valid, RFC 3986).
            None => host.rsplit_once(':').map_or(host, |(name, port)| {
                if port.is_empty() || port.parse::<u16>().is_ok() {
                    name
                } else {
                    host
                }
            }),
        };
        name.parse::<std::net::Ipv4Addr>().is_ok()
            || name.eq_ignore_ascii_case("localhost")
            || self.allowed_hosts.iter().any(|h| h.eq_ignore_ascii_case(name))
    }
}

/// How long a client may take to send a request's headers before its connection is closed, by default.
pub const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// How long a shutdown waits for requests under way before it closes their connections.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// What every handler shares.
pub struct State {
    /// The store.
    pub store: Arc<dyn EventStore>,
    /// The live read models.
    pub live: Arc<Live>,
    /// Users and tokens.
    pub access: AccessFile,
    /// Signed-in browsers.
    pub sessions: Sessions,
    /// Failed logins.
    pub throttle: Throttle,
    /// How the server runs.
    pub options: Options,
    /// Becomes true when the server shuts down: live streams end.
    pub shutdown: watch::Receiver<bool>,
}

/// The live read models, and how far they are.
pub struct Live {
    models: RwLock<ReadModels>,
    /// The position applied, or why the models stopped.
    applied: watch::Sender<Result<u64, String>>,
    /// Queries running at once, at most: one answer of the whole log can take hundreds of megabytes, so the
    /// memory a burst of them takes is bounded by this many, and the rest wait their turn.
    running: tokio::sync::Semaphore,
}

/// How many queries run at once: twice the cores, at least 2.
fn query_slots() -> usize {
    std::thread::available_parallelism().map_or(2, |n| 2 * n.get()).max(2)
}

impl Live {
    fn new() -> Live {
        Live {
            models: RwLock::new(ReadModels::new(Folds::All)),
            applied: watch::Sender::new(Ok(0)),
            running: tokio::sync::Semaphore::new(query_slots()),
        }
    }

    /// Waits until the models have applied `position`.
    ///
    /// # Errors
    /// [`AppError::Integrity`] when the models stopped, since the log could not be read.
    pub async fn reach(&self, position: u64) -> Result<(), AppError> {
        let mut rx = self.applied.subscribe();
        let reached = rx.wait_for(|a| a.as_ref().map_or(true, |p| *p >= position)).await;
        match reached.as_deref() {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(why)) => Err(AppError::Integrity(why.clone())),
            Err(_) => Err(AppError::Integrity("the read models stopped".into())),
        }
    }

    /// The position the models have applied.
    pub fn position(&self) -> u64 {
        self.models.read().unwrap_or_else(|p| p.into_inner()).position()
    }

    /// Runs `query` on the models once they hold every event the store holds now, on a blocking thread, when
    /// one of the query slots is free. A query that renders its answer inside `query` holds its slot until the
    /// bytes are ready.
    ///
    /// # Errors
    /// What `query` returns; [`AppError::Integrity`] when the models stopped.
    pub async fn query<T: Send + 'static, E: From<AppError> + Send + 'static>(
        self: &Arc<Live>,
        store: &Arc<dyn EventStore>,
        query: impl FnOnce(&ReadModels, &dyn EventStore) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E> {
        let _slot = self.running.acquire().await.map_err(|_| AppError::Integrity("the server is stopping".into()))?;
        self.reach(store.head().position).await?;
        let (live, store) = (Arc::clone(self), Arc::clone(store));
        tokio::task::spawn_blocking(move || {
            let models = live.models.read().unwrap_or_else(|p| p.into_inner());
            query(&models, &*store)
        })
        .await
        .map_err(|e| AppError::Integrity(format!("a query failed: {e}")))?
    }

    /// Folds the log into the models, then applies each event the store's subscription yields, until
    /// `shutdown`.
    async fn follow(self: Arc<Live>, store: Arc<dyn EventStore>, mut shutdown: watch::Receiver<bool>) {
        let folded = {
            let store = Arc::clone(&store);
            tokio::task::spawn_blocking(move || ReadModels::fold(store.events(1), Folds::All)).await
        };
        let models = match folded {
            Ok(Ok(models)) => models,
            Ok(Err(e)) => return self.stop(format!("the log could not be read: {e}")),
            Err(e) => return self.stop(format!("the log could not be read: {e}")),
        };
        let mut next = models.position() + 1;
        *self.models.write().unwrap_or_else(|p| p.into_inner()) = models;
        let _ = self.applied.send_replace(Ok(next - 1));
        let mut subscription = store.subscribe(next);
        loop {
            tokio::select! {
                e = subscription.next() => match e {
                    Ok(e) if e.position == next => {
                        self.models.write().unwrap_or_else(|p| p.into_inner()).apply(&e);
                        next += 1;
                        let _ = self.applied.send_replace(Ok(e.position));
                    }
                    Ok(_) => {}
                    Err(e) => return self.stop(format!("the log could not be read: {e}")),
                },
                _ = shutdown.wait_for(|s| *s) => return,
            }
        }
    }

    fn stop(&self, why: String) {
        tracing::error!("{why}");
        let _ = self.applied.send_replace(Err(why));
    }
}

impl FromRequestParts<Arc<State>> for Caller {
    type Rejection = Problem;

    /// The user a request acts as: by `Authorization: Bearer`, else by the session cookie, else (with `--public`)
    /// an anonymous reader; 401 otherwise, and for a token or cookie that is not known.
    async fn from_request_parts(parts: &mut Parts, state: &Arc<State>) -> Result<Caller, Problem> {
        caller(&parts.headers, state)?.ok_or_else(Problem::unauthenticated)
    }
}

/// The caller a request's headers name, `None` for an anonymous request.
///
/// # Errors
/// 401 for a bearer token that is unknown or expired; 500 when the access file cannot be read.
/// The answer when the users and tokens cannot be read (the database down, the file unreadable): 503 with
/// Retry-After, a detail that names nothing of the server's insides; the cause goes to the server's log.
pub fn access_unreadable(e: crate::access::AccessError) -> Problem {
    tracing::error!(error = %e, "the users and tokens are out of reach");
    let mut p = Problem::new(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "the users and tokens are out of reach just now: try again shortly",
    );
    p.headers.push((header::RETRY_AFTER, HeaderValue::from_static("5")));
    p
}

pub fn caller(headers: &axum::http::HeaderMap, state: &State) -> Result<Option<Caller>, Problem> {
    let access = state.access.current().map_err(access_unreadable)?;
    if let Some(auth) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let token = auth.strip_prefix("Bearer ").map(str::trim).unwrap_or("");
        return match access.by_token(token, jiff::Timestamp::now()) {
            Some(user) => Ok(Some(Caller { name: user.name.clone(), role: user.role, via: Via::Token })),
            None => {
                let mut p = Problem::unauthenticated();
                p.detail = "the bearer token is not known, or has expired or been revoked".into();
                Err(p)
            }
        };
    }
    // A user removed, or whose password changed, since they signed in is signed out.
    let credential = |name: &str| access.user(name).map(|u| u.password.clone());
    if let Some((name, csrf)) = auth::cookie(headers, auth::COOKIE).and_then(|id| state.sessions.get(id, credential)) {
        if let Some(user) = access.user(&name) {
            return Ok(Some(Caller { name, role: user.role, via: Via::Session { csrf } }));
        }
    }
    if state.options.public {
        return Ok(Some(Caller { name: "anonymous".into(), role: Role::Reader, via: Via::Public }));
    }
    Ok(None)
}

/// The content security policy of every response: nothing from outside the server, no inline script, no
/// framing.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The whole application: the API, the pages, the security headers every response carries.
pub fn router(state: Arc<State>) -> Router {
    use tower_http::set_header::SetResponseHeaderLayer;
    let set = |name: &'static str, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(header::HeaderName::from_static(name), HeaderValue::from_static(value))
    };
    let options = state.options.clone();
    Router::new()
        .merge(api::routes())
        .merge(ui::routes())
        .with_state(state)
        .layer(axum::middleware::from_fn(move |request: axum::extract::Request, next: axum::middleware::Next| {
            let hosts: Vec<&str> =
                request.headers().get_all(header::HOST).iter().map(|v| v.to_str().unwrap_or("\u{fffd}")).collect();
            // The authority of an absolute request target stands for Host (RFC 9112, 3.2.2); both are checked.
            let authority = request.uri().authority().map(|a| a.as_str());
            let refused = if hosts.len() > 1 {
                Some(Problem::param("Host", "a request names its host once: it has several Host headers"))
            } else {
                let host = hosts.first().copied().unwrap_or("");
                authority.into_iter().chain([host]).find(|h| !options.answers_to(h)).map(|h| {
                    Problem::new(
                        axum::http::StatusCode::MISDIRECTED_REQUEST,
                        "unknown-host",
                        format!("this server does not answer to the host `{h}`: start it with --allowed-host NAME"),
                    )
                    .with_field("Host")
                })
            };
            async move {
                match refused {
                    Some(p) => axum::response::IntoResponse::into_response(p),
                    None => next.run(request).await,
                }
            }
        }))
        .layer(set("content-security-policy", CSP))
        .layer(set("x-content-type-options", "nosniff"))
        .layer(set("x-frame-options", "DENY"))
        .layer(set("referrer-policy", "no-referrer"))
        .layer(set("cache-control", "no-store"))
}

/// A server started in this process.
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Shuts the server down (open live streams end, requests under way finish) and waits for it.
    ///
    /// # Errors
    /// When serving failed.
    pub async fn stop(self) -> std::io::Result<()> {
        self.shutdown.send_replace(true);
        self.task.await.map_err(std::io::Error::other)?
    }
}

/// Starts serving `store` on `listen` with the users of `access`, in the background of the current tokio runtime.
///
/// # Errors
/// When the address cannot be bound.
pub async fn start(
    store: Arc<dyn EventStore>,
    access: AccessFile,
    listen: SocketAddr,
    options: Options,
) -> std::io::Result<Running> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let (shutdown, rx) = watch::channel(false);
    let live = Arc::new(Live::new());
    tokio::spawn(Arc::clone(&live).follow(Arc::clone(&store), rx.clone()));
    let sessions = Sessions::new(access.records());
    let state =
        Arc::new(State { store, live, access, sessions, throttle: Throttle::default(), options, shutdown: rx.clone() });
    let header_read_timeout = state.options.header_read_timeout;
    let app = router(state);
    let task = tokio::spawn(accept(listener, app, header_read_timeout, rx));
    Ok(Running { addr, shutdown, task })
}

/// Accepts connections until `stopping`, serving each with `app` (HTTP/1.1, headers within
/// `header_read_timeout`); then lets the requests under way finish, for at most [`SHUTDOWN_GRACE`].
async fn accept(
    listener: tokio::net::TcpListener,
    app: Router,
    header_read_timeout: std::time::Duration,
    mut stopping: watch::Receiver<bool>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt as _;
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors, or a connection reset before it was accepted: wait, then go on.
                Err(e) => {
                    tracing::warn!("accepting a connection failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = async { drop(stopping.wait_for(|s| *s).await) } => break,
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            app.clone().oneshot(request)
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_read_timeout)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still under way after {} s were cut off", SHUTDOWN_GRACE.as_secs());
    }
    Ok(())
}

/// Serves until `signal` completes, then shuts down gracefully.
///
/// # Errors
/// When the address cannot be bound or serving fails.
pub async fn serve(
    store: Arc<dyn EventStore>,
    access: AccessFile,
    listen: SocketAddr,
    options: Options,
    signal: impl Future<Output = ()>,
    ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let running = start(store, access, listen, options).await?;
    ready(running.addr);
    signal.await;
    running.stop().await
}
