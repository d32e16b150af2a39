//! Who is asking: a browser session (a cookie set at login) or a bearer token, each resolved to a user and its
//! role on every request; sessions held in memory, logins throttled, cross-site posts refused.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap, HeaderValue};

use super::problem::Problem;
use crate::access::{sha256_hex, Role};

/// The session cookie's name.
pub const COOKIE: &str = "followup_session";

/// How long a session lasts without a request: 12 hours.
const SESSION_IDLE: Duration = Duration::from_secs(12 * 3600);

/// Failed logins allowed per name within [`THROTTLE_WINDOW`] before further attempts for it are refused.
pub const THROTTLE_FAILURES: u32 = 5;

/// Failed logins allowed per address within [`THROTTLE_WINDOW`]: more than per name, since an office's users may
/// all come from one address.
pub const THROTTLE_ADDRESS_FAILURES: u32 = 50;

/// The window failed logins are counted in, and how long a throttled name or address waits: 15 minutes.
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The user a request acts as.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The user's name: `recorded_by` of what it records.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// How it signed in; a session carries the token its forms must send back.
    pub via: Via,
}

/// How a caller signed in.
#[derive(Clone, Debug)]
pub enum Via {
    /// A browser session, with its cross-site request forgery token.
    Session {
        /// The token every form posted in this session carries.
        csrf: String,
    },
    /// A bearer token.
    Token,
    /// Nobody: the server was started with `--public`, and anonymous callers read.
    Public,
}

impl Caller {
    /// The caller if its role is at least `role`: 403 naming both roles otherwise.
    pub fn needs(&self, role: Role) -> Result<&Caller, Problem> {
        if self.role >= role {
            Ok(self)
        } else if matches!(self.via, Via::Public) {
            // Anonymous on a public server: signing in may give the role, so 401, not 403.
            Err(Problem::unauthenticated())
        } else {
            Err(Problem::forbidden(&self.name, self.role.name(), role.name()))
        }
    }

    /// The session's forgery token, when the caller signed in by a session.
    pub fn csrf(&self) -> Option<&str> {
        match &self.via {
            Via::Session { csrf } => Some(csrf),
            _ => None,
        }
    }
}

/// One signed-in browser.
struct Session {
    user: String,
    csrf: String,
    /// The SHA-256 of the user's password hash at sign-in: a password changed since ends the session.
    credential: String,
    seen: Instant,
}

/// The signed-in browsers, by the SHA-256 of their cookie: in this process's memory, or in the backend's records
/// when it keeps them (a database shared by several server processes).
#[derive(Default)]
pub struct Sessions {
    by_digest: Mutex<HashMap<String, Session>>,
    records: Option<std::sync::Arc<dyn crate::access::AccessRecords>>,
}

impl Sessions {
    /// Sessions kept in `records` when given, else in memory.
    pub fn new(records: Option<std::sync::Arc<dyn crate::access::AccessRecords>>) -> Sessions {
        Sessions { by_digest: Mutex::default(), records }
    }

    /// Starts a session for `user`, whose password hash is now `credential`, ending `previous` (the cookie sent
    /// with the login, if any): returns the new cookie's value. A session id is 32 random bytes.
    pub fn start(&self, user: &str, credential: &str, previous: Option<&str>) -> String {
        let id = hex::encode(rand::random::<[u8; 32]>());
        let csrf = hex::encode(rand::random::<[u8; 16]>());
        if let Some(records) = &self.records {
            let record =
                crate::access::SessionRecord { user: user.to_owned(), csrf, credential: sha256_hex(credential) };
            let ended = previous.map(sha256_hex);
            if let Err(e) = records.start_session(&sha256_hex(&id), &record, ended.as_deref(), SESSION_IDLE) {
                tracing::warn!(error = %e, "a session could not be kept");
            }
            return id;
        }
        let mut map = self.by_digest.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = previous {
            map.remove(&sha256_hex(old));
        }
        map.retain(|_, s| s.seen.elapsed() < SESSION_IDLE);
        let credential = sha256_hex(credential);
        map.insert(sha256_hex(&id), Session { user: user.to_owned(), csrf, credential, seen: Instant::now() });
        id
    }

    /// The user and forgery token of the session with cookie `id`, if it is open and the user's password hash is
    /// still `credential(user)` (`None` for a user removed); the request keeps it open. A session whose user was
    /// removed or changed password is ended.
    pub fn get(&self, id: &str, credential: impl FnOnce(&str) -> Option<String>) -> Option<(String, String)> {
        if let Some(records) = &self.records {
            let digest = sha256_hex(id);
            let s = records.use_session(&digest, SESSION_IDLE).ok()??;
            if credential(&s.user).is_none_or(|now| sha256_hex(&now) != s.credential) {
                let _ = records.end_session(&digest);
                return None;
            }
            return Some((s.user, s.csrf));
        }
        let mut map = self.by_digest.lock().unwrap_or_else(|p| p.into_inner());
        let digest = sha256_hex(id);
        let s = map.get_mut(&digest)?;
        if s.seen.elapsed() >= SESSION_IDLE {
            map.remove(&digest);
            return None;
        }
        if credential(&s.user).is_none_or(|now| sha256_hex(&now) != s.credential) {
            map.remove(&digest);
            return None;
        }
        s.seen = Instant::now();
        Some((s.user.clone(), s.csrf.clone()))
    }

    /// Ends the session with cookie `id`.
    pub fn end(&self, id: &str) {
        if let Some(records) = &self.records {
            let _ = records.end_session(&sha256_hex(id));
            return;
        }
        self.by_digest.lock().unwrap_or_else(|p| p.into_inner()).remove(&sha256_hex(id));
    }
}

/// Failed logins, per name and per address.
#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Throttle {
    fn keys(name: &str, ip: Option<IpAddr>) -> Vec<String> {
        let mut keys = vec![format!("name:{name}")];
        if let Some(ip) = ip {
            keys.push(format!("ip:{ip}"));
        }
        keys
    }

    /// How long `name` from `ip` must wait before trying again, if it has failed too often.
    pub fn wait(&self, name: &str, ip: Option<IpAddr>) -> Option<Duration> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        Throttle::keys(name, ip)
            .iter()
            .filter_map(|k| map.get(k).map(|v| (k.starts_with("ip:"), v)))
            .filter(|(address, (n, first))| {
                let limit = if *address { THROTTLE_ADDRESS_FAILURES } else { THROTTLE_FAILURES };
                *n >= limit && first.elapsed() < THROTTLE_WINDOW
            })
            .map(|(_, v)| v)
            .map(|(_, first)| THROTTLE_WINDOW.saturating_sub(first.elapsed()))
            .max()
    }

    /// Counts a failed login of `name` from `ip`.
    pub fn failed(&self, name: &str, ip: Option<IpAddr>) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, (_, first)| first.elapsed() < THROTTLE_WINDOW);
        for k in Throttle::keys(name, ip) {
            let entry = map.entry(k).or_insert((0, Instant::now()));
            entry.0 += 1;
        }
    }

    /// Forgets the failures of `name` after a successful login.
    pub fn succeeded(&self, name: &str) {
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).remove(&format!("name:{name}"));
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The `Set-Cookie` value that opens a session: HttpOnly, SameSite=Strict, the whole site, and Secure when the
/// server is reached over HTTPS (`secure`).
pub fn session_cookie(id: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict{secure}"))
        .unwrap_or_else(|_| HeaderValue::from_static("followup_session=; Path=/"))
}

/// The `Set-Cookie` value that ends a session.
pub fn cleared_cookie() -> HeaderValue {
    HeaderValue::from_static("followup_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// Refuses a state-changing request that comes from another site: a browser's `Sec-Fetch-Site: cross-site` or
/// `same-site`, or an `Origin` that is not this server's host. A session's form must also carry the session's
/// token (`given`); a bearer token's request needs neither, since no browser sends it by itself.
pub fn check_forgery(caller: Option<&Caller>, headers: &HeaderMap, given: Option<&str>) -> Result<(), Problem> {
    let refused = |why: &str| {
        Problem::new(axum::http::StatusCode::FORBIDDEN, "cross-site", format!("a cross-site request is refused: {why}"))
    };
    if caller.is_some_and(|c| matches!(c.via, Via::Token)) {
        return Ok(());
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site != "same-origin" && site != "none" {
            return Err(refused(&format!("Sec-Fetch-Site is {site}")));
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
        let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
        if origin_host != host {
            return Err(refused(&format!("its origin {origin} is not this server ({host})")));
        }
    }
    if let Some(expected) = caller.and_then(Caller::csrf) {
        let header_token = headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
        match given.or(header_token) {
            Some(t) if t == expected => {}
            _ => return Err(refused("the form does not carry this session's token; reload the page")),
        }
    }
    Ok(())
}
