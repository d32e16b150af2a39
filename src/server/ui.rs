//! The browser UI: server-rendered pages that work without JavaScript (forms post and redirect), in English or
//! Dutch, with one vendored script (`/static/live.js`) that refreshes a page's live parts when an event becomes
//! durable. Every text from the log is escaped (askama escapes template values; the pieces built here go through
//! [`escape`]); nothing is fetched from outside the server.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use askama::Template;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, RawQuery, State as St};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use events::{EventType, RecordedEvent, StreamId, Verdict};
use projections::{RecommendationStatus, Status};

use super::api::{self, blocking, body_bytes, Params};
use super::auth::{self, check_forgery, Caller};
use super::problem::Problem;
use super::State;
use crate::access::Role;
use crate::app::{self, AppError, Principal, TimelineQuery};
use crate::render::html::{escape, STYLE};
use crate::render::labels::{self, word, Word};
use crate::render::Lang;

type Shared = St<Arc<State>>;

/// The largest form body: 256 KiB.
const FORM_LIMIT: usize = 256 << 10;

/// The pages' routes.
pub fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/", get(register))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/lang", get(switch_lang))
        .route("/rec/{stream}", get(recommendation))
        .route("/rec/{report}/{number}", get(recommendation_by_path))
        .route("/rec/{stream}/record", get(record_form).post(record))
        .route("/summary", get(summary))
        .route("/verify", get(verify))
        .route("/report", get(report))
        .route(
            "/drafts",
            get(super::drafts::form)
                .post(super::drafts::upload)
                .layer(axum::extract::DefaultBodyLimit::max(super::drafts::UPLOAD_LIMIT)),
        )
        .route("/drafts/import", post(super::drafts::import))
        .route("/static/style.css", get(style))
        .route("/static/live.js", get(script))
}

/// The vendored script.
const LIVE_JS: &str = include_str!("../../static/live.js");
/// The UI's own styles, after the report pack's.
const UI_CSS: &str = include_str!("../../static/ui.css");

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], format!("{STYLE}\n{UI_CSS}")).into_response()
}

async fn script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], LIVE_JS).into_response()
}

/// The language of a page: `lang` in the query, else the `followup_lang` cookie, else the browser's first
/// choice when it is Dutch, else English.
pub(super) fn lang_of(headers: &HeaderMap, params: Option<&Params>) -> Lang {
    if let Some(l) = params.and_then(|p| p.text("lang")).and_then(|t| Lang::parse(t).ok()) {
        return l;
    }
    if let Some(l) = auth::cookie(headers, "followup_lang").and_then(|t| Lang::parse(t).ok()) {
        return l;
    }
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if accept.trim_start().to_ascii_lowercase().starts_with("nl") {
        Lang::Nl
    } else {
        Lang::En
    }
}

/// The navigation's words.
struct Nav {
    register: &'static str,
    summary: &'static str,
    verify: &'static str,
    report: &'static str,
    logout: &'static str,
}

#[derive(Template)]
#[template(path = "page.html")]
struct PageTemplate<'a> {
    lang: &'a str,
    title: &'a str,
    nav: Nav,
    admin: bool,
    auditor: bool,
    drafts: &'a str,
    user: &'a str,
    role: &'a str,
    csrf: Option<&'a str>,
    other_lang: &'a str,
    other_lang_name: &'a str,
    back: String,
    live_from: u64,
    body: &'a str,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginTemplate<'a> {
    lang: &'a str,
    title: &'a str,
    name_label: &'a str,
    password_label: &'a str,
    error: Option<String>,
    next: &'a str,
    name: &'a str,
}

/// A page: the layout around `body` (already HTML), for `caller`, with live updates from the event after
/// `position`.
pub(super) fn page(lang: Lang, caller: &Caller, title: &str, body: &str, position: u64, path: &str) -> Response {
    let other = match lang {
        Lang::En => Lang::Nl,
        Lang::Nl => Lang::En,
    };
    let t = PageTemplate {
        lang: lang.code(),
        title,
        nav: Nav {
            register: lang.pick("Register", "Register"),
            summary: word(lang, Word::VerdictSummary),
            verify: lang.pick("Verify", "Verificatie"),
            report: lang.pick("Report pack", "Rapportpakket"),
            logout: lang.pick("Sign out", "Afmelden"),
        },
        admin: caller.role >= Role::Admin,
        auditor: caller.role >= Role::Auditor,
        drafts: lang.pick("Drafts", "Concepten"),
        user: &caller.name,
        role: caller.role.name(),
        csrf: caller.csrf(),
        other_lang: other.code(),
        other_lang_name: other.pick("English", "Nederlands"),
        back: percent(path),
        live_from: position + 1,
        body,
    };
    match t.render() {
        Ok(html) => with_forms(Html(html).into_response()),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// A page that holds forms: under the server's `Referrer-Policy: no-referrer` a browser posts its forms with
/// `Origin: null`, which the forgery check refuses; `same-origin` sends the origin (and the referrer) to this
/// server only.
fn with_forms(mut r: Response) -> Response {
    r.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    r
}

/// A problem shown as a page (a refused form, a missing recommendation): its status kept, its detail escaped.
pub(super) fn problem_page(lang: Lang, caller: &Caller, p: &Problem, path: &str) -> Response {
    let title = status_title(lang, p.status);
    // The lines a refused import names, each on a line of its own.
    let text =
        std::iter::once(p.detail.as_str()).chain(p.lines.iter().map(String::as_str)).collect::<Vec<_>>().join("\n");
    let body = format!("<p class=\"error\" role=\"alert\">{}</p>", escape(&text).replace('\n', "<br>"));
    let mut r = page(lang, caller, title, &body, 0, path);
    *r.status_mut() = p.status;
    r
}

/// The title of a page that refuses a request, in the page's language.
fn status_title(lang: Lang, status: StatusCode) -> &'static str {
    let english = status.canonical_reason().unwrap_or("Error");
    match (lang, status.as_u16()) {
        (Lang::En, _) => english,
        (Lang::Nl, 400) => "Ongeldig verzoek",
        (Lang::Nl, 401) => "Niet aangemeld",
        (Lang::Nl, 403) => "Geen toegang",
        (Lang::Nl, 404) => "Niet gevonden",
        (Lang::Nl, 408) => "Verzoek te traag",
        (Lang::Nl, 409) => "Conflict",
        (Lang::Nl, 412) => "Versie klopt niet",
        (Lang::Nl, 413) => "Verzoek te groot",
        (Lang::Nl, 415) => "Verkeerd formaat",
        (Lang::Nl, 421) => "Onbekende host",
        (Lang::Nl, 422) => "Niet aanvaard",
        (Lang::Nl, 429) => "Te veel pogingen",
        (Lang::Nl, 503) => "Niet beschikbaar",
        (Lang::Nl, _) => "Fout",
    }
}

/// Text for a query string value.
fn percent(text: &str) -> String {
    serde_urlencoded::to_string([("", text)]).map(|s| s[1..].to_owned()).unwrap_or_default()
}

/// The caller of a page, or a redirect to the login form that comes back here.
pub(super) fn page_caller(headers: &HeaderMap, state: &State, path: &str) -> Result<Caller, Response> {
    match super::caller(headers, state) {
        Ok(Some(c)) => Ok(c),
        Ok(None) => Err(Redirect::to(&format!("/login?next={}", percent(path))).into_response()),
        // The users cannot be read (the database down): not a reason to sign in again.
        Err(p) => Err(p.into_response()),
    }
}

/// Only paths of this server are followed after a login.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/"
    }
}

async fn login_form(headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q.as_deref(), &["next", "lang"]).ok();
    let lang = lang_of(&headers, p.as_ref());
    let next = p.as_ref().and_then(|p| p.text("next")).unwrap_or("/").to_owned();
    login_page(lang, None, safe_next(&next), "", StatusCode::OK)
}

fn login_page(lang: Lang, error: Option<String>, next: &str, name: &str, status: StatusCode) -> Response {
    let t = LoginTemplate {
        lang: lang.code(),
        title: lang.pick("Sign in", "Aanmelden"),
        name_label: lang.pick("Name", "Naam"),
        password_label: lang.pick("Password", "Wachtwoord"),
        error,
        next,
        name,
    };
    match t.render() {
        Ok(html) => with_forms((status, Html(html)).into_response()),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// The fields of a posted form, in order; a name may repeat (a multiple choice).
pub(super) struct FormFields(Vec<(String, String)>);

impl FormFields {
    async fn read(headers: &HeaderMap, body: Body) -> Result<FormFields, Problem> {
        FormFields::read_limited(headers, body, FORM_LIMIT).await
    }

    /// As [`FormFields::read`], with a limit of the caller's (a review form carries every draft).
    pub(super) async fn read_limited(headers: &HeaderMap, body: Body, limit: usize) -> Result<FormFields, Problem> {
        let media = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
            .unwrap_or_default();
        if media != "application/x-www-form-urlencoded" {
            return Err(Problem::media_type(&media, "application/x-www-form-urlencoded (a form)"));
        }
        let bytes = body_bytes(body, limit).await?;
        serde_urlencoded::from_bytes(&bytes)
            .map(FormFields)
            .map_err(|e| Problem::param("form", format!("the form is not URL-encoded: {e}")))
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty()).collect()
    }
}

async fn login(
    St(state): Shared,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let lang = lang_of(&headers, None);
    if let Err(p) = check_forgery(None, &headers, None) {
        return p.into_response();
    }
    let form = match FormFields::read(&headers, body).await {
        Ok(f) => f,
        Err(p) => return p.into_response(),
    };
    let name = form.get("name").unwrap_or("").to_owned();
    let password = form.get("password").unwrap_or("").to_owned();
    let next = safe_next(form.get("next").unwrap_or("/")).to_owned();
    if let Some(wait) = state.throttle.wait(&name, Some(peer.ip())) {
        let minutes = wait.as_secs().div_ceil(60);
        let error = match lang {
            Lang::En => format!("Too many failed sign-ins: try again in {minutes} minutes."),
            Lang::Nl => format!("Te vaak mislukt: probeer het over {minutes} minuten opnieuw."),
        };
        let mut r = login_page(lang, Some(error), &next, &name, StatusCode::TOO_MANY_REQUESTS);
        if let Ok(v) = HeaderValue::from_str(&wait.as_secs().to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    let st = Arc::clone(&state);
    let (n, pw) = (name.clone(), password);
    let signed_in = tokio::task::spawn_blocking(move || {
        st.access.current().map(|a| a.sign_in(&n, &pw).map(|u| (u.name.clone(), u.password.clone())))
    })
    .await
    .unwrap_or(Ok(None));
    match signed_in {
        // The users cannot be read: not a failed sign-in, so nothing counts against the name.
        Err(e) => {
            tracing::error!(error = %e, "the users and tokens could not be read for a sign-in");
            let error = lang.pick(
                "Signing in is not possible just now: try again shortly.",
                "Aanmelden kan nu even niet: probeer het zo opnieuw.",
            );
            let mut r = login_page(lang, Some(error.into()), &next, &name, StatusCode::SERVICE_UNAVAILABLE);
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            r
        }
        Ok(Some((user, credential))) => {
            state.throttle.succeeded(&user);
            let previous = auth::cookie(&headers, auth::COOKIE);
            let id = state.sessions.start(&user, &credential, previous);
            let mut r = Redirect::to(&next).into_response();
            r.headers_mut().insert(header::SET_COOKIE, auth::session_cookie(&id, state.options.secure_cookies));
            r
        }
        Ok(None) => {
            state.throttle.failed(&name, Some(peer.ip()));
            let error = lang.pick("That name and password do not match.", "Naam en wachtwoord passen niet bij elkaar.");
            login_page(lang, Some(error.into()), &next, &name, StatusCode::UNAUTHORIZED)
        }
    }
}

async fn logout(St(state): Shared, headers: HeaderMap, body: Body) -> Response {
    let caller = match super::caller(&headers, &state) {
        Ok(Some(c)) => c,
        _ => return Redirect::to("/login").into_response(),
    };
    let form = match FormFields::read(&headers, body).await {
        Ok(f) => f,
        Err(p) => return p.into_response(),
    };
    if let Err(p) = check_forgery(Some(&caller), &headers, form.get("csrf")) {
        return p.into_response();
    }
    if let Some(id) = auth::cookie(&headers, auth::COOKIE) {
        state.sessions.end(id);
    }
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().insert(header::SET_COOKIE, auth::cleared_cookie());
    r
}

async fn switch_lang(RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q.as_deref(), &["to", "back"]).ok();
    let to = p.as_ref().and_then(|p| p.text("to")).and_then(|t| Lang::parse(t).ok()).unwrap_or_default();
    let back = safe_next(p.as_ref().and_then(|p| p.text("back")).unwrap_or("/")).to_owned();
    let mut r = Redirect::to(&back).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("followup_lang={}; Path=/; SameSite=Strict", to.code())) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// The window a page shows: `as_of` (an EDTF date; today by default) and `known_at` (an instant).
struct WindowParams {
    as_of: Option<events::PartialDate>,
    known_at: Option<events::Timestamp>,
    as_of_text: String,
    known_at_text: String,
}

impl WindowParams {
    fn of(p: &Params) -> Result<WindowParams, Problem> {
        Ok(WindowParams {
            as_of: p.date("as_of")?,
            known_at: p.instant("known_at")?,
            as_of_text: p.text("as_of").unwrap_or("").to_owned(),
            known_at_text: p.text("known_at").unwrap_or("").to_owned(),
        })
    }

    fn day(&self) -> events::Date {
        self.as_of.as_ref().map_or_else(api::today, |d| d.end())
    }

    fn window(&self) -> projections::Window {
        projections::Window { as_of: Some(self.day()), known_at: self.known_at }
    }

    /// A form of the window's fields alone, submitted by a button labelled `button`, to the same page.
    fn form(&self, lang: Lang, button: &str) -> String {
        format!(
            "<form class=\"filters\" method=\"get\">{}<button type=\"submit\">{}</button></form>",
            self.fields(lang),
            escape(button)
        )
    }

    /// The window as form fields.
    fn fields(&self, lang: Lang) -> String {
        format!(
            "<label>{} <input name=\"as_of\" value=\"{}\" placeholder=\"2017-12-31\"></label>\
             <label>{} <input name=\"known_at\" value=\"{}\" placeholder=\"2017-12-31T12:00:00Z\"></label>",
            lang.pick("As of (EDTF date)", "Peildatum (EDTF)"),
            escape(&self.as_of_text),
            lang.pick("As known at (UTC instant)", "Bekend op (UTC-tijdstip)"),
            escape(&self.known_at_text)
        )
    }

    /// The window as a query string (`as_of=..&known_at=..`), for links.
    fn query(&self) -> String {
        let mut pairs = Vec::new();
        if !self.as_of_text.is_empty() {
            pairs.push(("as_of", self.as_of_text.as_str()));
        }
        if !self.known_at_text.is_empty() {
            pairs.push(("known_at", self.known_at_text.as_str()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// Runs a page's handler, showing its problem as a page.
pub(super) async fn guarded(
    headers: &HeaderMap,
    state: &Arc<State>,
    path: &str,
    q: Option<&str>,
    allowed: &[&str],
    f: impl AsyncFnOnce(Caller, Params, Lang) -> Result<Response, Problem>,
) -> Response {
    let caller = match page_caller(headers, state, path) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let params = Params::parse(q, allowed);
    let lang = lang_of(headers, params.as_ref().ok());
    match params {
        Ok(p) => match f(caller.clone(), p, lang).await {
            Ok(r) => r,
            Err(p) => problem_page(lang, &caller, &p, path),
        },
        Err(p) => problem_page(lang, &caller, &p, path),
    }
}

fn path_and_query(path: &str, q: Option<&str>) -> String {
    match q {
        Some(q) if !q.is_empty() => format!("{path}?{q}"),
        _ => path.to_owned(),
    }
}

use crate::render::html::verdict_badge;

/// The register lists at least this many recommendations on a page (whole reports), then links to the next.
const REGISTER_ROWS: usize = 200;

/// A recommendation's link on the register.
fn rec_link(r: &RecommendationStatus, window: &str) -> String {
    let q = if window.is_empty() { String::new() } else { format!("?{window}") };
    format!("/rec/{}{q}", percent(r.id.as_str()))
}

async fn register(St(state): Shared, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let path = path_and_query("/", q.as_deref());
    let allowed = ["as_of", "known_at", "report", "verdict", "overdue", "from", "lang"];
    guarded(&headers, &state, &path, q.as_deref(), &allowed, async |caller, p, lang| {
        let w = WindowParams::of(&p)?;
        let report = p.report("report")?;
        let verdict = match p.text("verdict") {
            None => None,
            Some("none") => Some(None),
            Some(t) => Some(Some(
                Verdict::ALL
                    .into_iter()
                    .find(|v| v.code() == t)
                    .ok_or_else(|| Problem::param("verdict", format!("verdict `{t}` is not a verdict")))?,
            )),
        };
        let overdue_only = match p.text("overdue") {
            None | Some("") => false,
            Some("1") => true,
            Some(other) => {
                return Err(Problem::param("overdue", format!("overdue is 1 (only overdue commitments) or absent, not `{other}`")))
            }
        };
        let from = p.text("from").map(str::to_owned);
        let (window, day) = (w.window(), w.day());
        let r = report.clone();
        let (page_of, position) = state
            .live
            .query::<_, AppError>(&state.store, move |m, s| {
                let keep = |rec: &RecommendationStatus, late: usize| {
                    verdict.is_none_or(|v| rec.verdict == v) && (!overdue_only || late > 0)
                };
                Ok((m.register(s, window, day, r.as_ref(), from.as_deref(), REGISTER_ROWS, keep)?, m.position()))
            })
            .await?;
        let mut body = String::new();
        // Filters and window.
        let _ = write!(body, "<form class=\"filters\" method=\"get\" action=\"/\">{}", w.fields(lang));
        let _ = write!(body, "<label>{} <select name=\"report\"><option value=\"\">{}</option>", escape(word(lang, Word::Report)), lang.pick("all", "alle"));
        for r in &page_of.reports {
            let selected = if report.as_ref().is_some_and(|x| x.as_str() == r.id) { " selected" } else { "" };
            let _ = write!(body, "<option value=\"{}\"{selected}>{}</option>", escape(&r.id), escape(&labels::report(lang, r)));
        }
        let _ = write!(body, "</select></label><label>{} <select name=\"verdict\"><option value=\"\">{}</option>", escape(word(lang, Word::Verdict)), lang.pick("any", "alle"));
        for v in Verdict::ALL {
            let selected = if verdict == Some(Some(v)) { " selected" } else { "" };
            let _ = write!(body, "<option value=\"{}\"{selected}>{}</option>", v.code(), escape(labels::verdict(lang, v)));
        }
        let none_selected = if verdict == Some(None) { " selected" } else { "" };
        let _ = write!(body, "<option value=\"none\"{none_selected}>{}</option></select></label>", lang.pick("not assessed", "niet beoordeeld"));
        let checked = if overdue_only { " checked" } else { "" };
        let _ = write!(body, "<label>{} <input type=\"checkbox\" name=\"overdue\" value=\"1\"{checked}></label>", lang.pick("Overdue only", "Alleen te laat"));
        let _ = write!(body, "<button type=\"submit\">{}</button></form>", lang.pick("Show", "Toon"));
        // The register.
        let window_q = w.query();
        let mut late_of: std::collections::HashMap<&StreamId, usize> = std::collections::HashMap::new();
        for o in &page_of.overdue {
            *late_of.entry(&o.recommendation).or_default() += 1;
        }
        let rows = &page_of.rows;
        let _ = write!(
            body,
            "<section id=\"register\" data-live><p class=\"muted\">{} {}</p><table class=\"register\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            rows.len(),
            lang.pick("recommendations", "aanbevelingen"),
            escape(word(lang, Word::Recommendation)),
            escape(word(lang, Word::Stance)),
            escape(word(lang, Word::Verdict)),
            lang.pick("As of", "Peildatum"),
            format_args!("{} ({})", escape(word(lang, Word::Commitments)), lang.pick("open / made", "open / gedaan")),
            lang.pick("Overdue", "Te laat"),
        );
        for r in rows.iter() {
            // Open as the summary counts them: not kept by an action, of a recommendation not closed.
            let closed = matches!(r.verdict, Some(Verdict::Implemented | Verdict::NoLongerRelevant));
            let open = if closed { 0 } else { r.commitments.iter().filter(|c| c.kept_by.is_none()).count() };
            let late = late_of.get(&r.id).copied().unwrap_or(0);
            let _ = write!(
                body,
                "<tr><td><a href=\"{}\">{} {}</a><br><span class=\"muted\">{}</span></td><td>{}</td><td>{}</td><td class=\"date\">{}</td><td class=\"num\">{} / {}</td><td class=\"num{}\">{}</td></tr>",
                escape(&rec_link(r, &window_q)),
                escape(&r.report),
                r.number,
                escape(r.text.as_deref().unwrap_or("")),
                r.stance.map_or(String::from("–"), |s| escape(labels::stance(lang, s))),
                verdict_badge(lang, r.verdict, r.verdict_label.as_deref()),
                r.verdict_as_of.as_ref().map_or(String::from("–"), |d| escape(&labels::date(lang, d))),
                open,
                r.commitments.len(),
                if late > 0 { " overdue" } else { "" },
                late,
            );
        }
        body.push_str("</tbody></table>");
        // The next page begins at a report: the same filters and window, from there.
        if let Some(next) = &page_of.next {
            let mut pairs: Vec<(&str, &str)> = Vec::new();
            for key in ["as_of", "known_at", "verdict", "overdue"] {
                if let Some(v) = p.text(key) {
                    pairs.push((key, v));
                }
            }
            pairs.push(("from", next));
            let q = serde_urlencoded::to_string(pairs).unwrap_or_default();
            let _ = write!(body, "<p class=\"pages\"><a rel=\"next\" href=\"/?{}\">{} →</a></p>", escape(&q), lang.pick("Next reports", "Volgende rapporten"));
        }
        body.push_str("</section>");
        Ok(page(lang, &caller, lang.pick("Register of recommendations", "Register van aanbevelingen"), &body, position, &path))
    })
    .await
}

/// Parses a recommendation's stream id from the path.
fn rec_stream(text: &str) -> Result<StreamId, Problem> {
    let s = StreamId::parse(text).map_err(|e| Problem::param("stream", format!("`{text}`: {e}")))?;
    if s.recommendation().is_none() {
        return Err(Problem::param("stream", format!("`{text}` is a report, not a recommendation (report/N)")));
    }
    Ok(s)
}

async fn recommendation(
    St(state): Shared,
    headers: HeaderMap,
    Path(stream): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let path = path_and_query(&format!("/rec/{}", percent(&stream)), q.as_deref());
    guarded(&headers, &state, &path, q.as_deref(), &["as_of", "known_at", "lang"], async |caller, p, lang| {
        let stream = rec_stream(&stream)?;
        let w = WindowParams::of(&p)?;
        let window = w.window();
        let s = stream.clone();
        let (status, timeline, position) = state
            .live
            .query::<_, AppError>(&state.store, move |m, store| {
                let status = m.status(store, window, Some(&s.report_stream()), None)?;
                let q = TimelineQuery { stream: Some(s.clone()), from: None, to: None, window };
                let (timeline, _) = m.timeline(store, &q)?;
                Ok((status, timeline, m.position()))
            })
            .await?;
        let Some(rec) = status.recommendations.iter().find(|r| r.id == stream) else {
            return Err(Problem::new(
                StatusCode::NOT_FOUND,
                "not-found",
                format!("{stream} has no event in this window"),
            ));
        };
        let body = recommendation_body(lang, &caller, &status, rec, &timeline, &w);
        let title = format!("{} {} {}", word(lang, Word::Recommendation), rec.number, rec.report);
        Ok(page(lang, &caller, &title, &body, position, &path))
    })
    .await
}

/// `/rec/{report}/{number}`, the id with a plain slash as one may type it: a redirect to the page
/// (`/rec/report%2Fnumber`), with the same query.
async fn recommendation_by_path(
    St(state): Shared,
    headers: HeaderMap,
    Path((report, number)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    let q = q.map(|q| format!("?{q}")).unwrap_or_default();
    let page = format!("/rec/{}{q}", percent(&format!("{report}/{number}")));
    match page_caller(&headers, &state, &page) {
        Ok(_) => Redirect::permanent(&page).into_response(),
        Err(to_login) => to_login,
    }
}

/// The parts of a recommendation's page: its wording, stance and verdict, the executive's claim beside the
/// verdict, commitments with their due-date lineage, verification of its verdicts, the chart and the timeline.
fn recommendation_body(
    lang: Lang,
    caller: &Caller,
    status: &Status,
    rec: &RecommendationStatus,
    timeline: &projections::Timeline,
    w: &WindowParams,
) -> String {
    let mut body = String::new();
    let _ = write!(
        body,
        "<form class=\"filters\" method=\"get\">{}<button type=\"submit\">{}</button></form>",
        w.fields(lang),
        lang.pick("Show", "Toon")
    );
    let _ = write!(
        body,
        "<section id=\"standing\" data-live><p class=\"quote\">{}</p>",
        escape(rec.text.as_deref().unwrap_or(""))
    );
    if let Some(owner) = &rec.owner {
        let _ = write!(body, "<p>{}: {}</p>", escape(word(lang, Word::Owner)), escape(owner));
    }
    let _ = write!(
        body,
        "<div class=\"claim\"><div><h3>{}</h3><p>{}</p>",
        lang.pick("The executive says", "Het college zegt"),
        rec.stance.map_or(String::from("–"), |s| escape(labels::stance(lang, s)))
    );
    match (rec.claim, &rec.claim_occurred) {
        (Some(c), Some(d)) => {
            let _ = write!(body, "<p>{} ({})</p>", escape(labels::claim(lang, c)), escape(&labels::date(lang, d)));
        }
        _ => body.push_str("<p class=\"muted\">–</p>"),
    }
    let _ = write!(
        body,
        "</div><div><h3>{}</h3><p>{}",
        lang.pick("The auditors judge", "De rekenkamer oordeelt"),
        verdict_badge(lang, rec.verdict, rec.verdict_label.as_deref())
    );
    if let Some(d) = &rec.verdict_as_of {
        let _ = write!(body, " {} {}", lang.pick("as of", "per"), escape(&labels::date(lang, d)));
    }
    body.push_str("</p>");
    if rec.claim_disagrees == Some(true) {
        let _ = write!(
            body,
            "<p class=\"overdue\">{}</p>",
            lang.pick("The claim disagrees with the verdict.", "De claim wijkt af van het oordeel.")
        );
    }
    body.push_str("</div></div>");
    // Verification of the verdicts.
    let _ = write!(body, "<h2>{}</h2>", lang.pick("Verdicts and their verification", "Oordelen en hun verificatie"));
    if rec.verdicts.is_empty() {
        let _ = write!(body, "<p class=\"muted\">{}</p>", lang.pick("Not assessed yet.", "Nog niet beoordeeld."));
    } else {
        let _ = write!(
            body,
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            escape(word(lang, Word::Verdict)),
            lang.pick("As of", "Peildatum"),
            lang.pick("Assessor", "Beoordelaar"),
            lang.pick("Verification", "Verificatie")
        );
        for v in &rec.verdicts {
            let judged = v.judgement.map_or(String::from("–"), |j| escape(labels::judgement(lang, j)));
            let superseded = if v.superseded_by.is_some() { lang.pick(" (superseded)", " (vervangen)") } else { "" };
            let _ = write!(
                body,
                "<tr><td>{}{superseded}</td><td class=\"date\">{}</td><td>{}</td><td>{judged}</td></tr>",
                verdict_badge(lang, Some(v.verdict), v.label.as_deref()),
                escape(&labels::date(lang, &v.as_of)),
                escape(&v.assessor)
            );
        }
        body.push_str("</tbody></table>");
    }
    // Commitments with their due-date lineage.
    let _ = write!(body, "<h2>{}</h2>", escape(word(lang, Word::Commitments)));
    if rec.commitments.is_empty() {
        body.push_str("<p class=\"muted\">–</p>");
    }
    for c in &rec.commitments {
        let _ =
            write!(body, "<p><strong>{}</strong> ({})", escape(&c.summary), escape(&labels::date(lang, &c.occurred)));
        let mut lineage: Vec<String> = c.due.iter().map(|d| escape(&labels::date(lang, d))).collect();
        for r in &c.revisions {
            lineage.push(format!(
                "{} <span class=\"muted\">({})</span>",
                escape(&labels::date(lang, &r.due)),
                escape(&r.reason)
            ));
        }
        if !lineage.is_empty() {
            let _ = write!(body, "<br>{}: {}", lang.pick("Due", "Streefdatum"), lineage.join(" → "));
        }
        if let Some(owner) = &c.current_owner {
            let _ = write!(body, "<br>{}: {}", escape(word(lang, Word::Owner)), escape(owner));
        }
        if c.kept_by.is_some() {
            let _ = write!(body, "<br>✓ {}", lang.pick("kept by an action", "nagekomen met een actie"));
        }
        body.push_str("</p>");
    }
    body.push_str("</section>");
    // The record forms' entry point.
    if caller.role >= Role::Auditor {
        let _ = write!(
            body,
            "<h2>{}</h2><p class=\"types\">",
            lang.pick("Record what happened", "Leg vast wat er gebeurde")
        );
        for t in recordable_types() {
            let _ = write!(
                body,
                "<a href=\"/rec/{}/record?type={}\">{}</a> ",
                percent(rec.id.as_str()),
                t.code(),
                escape(labels::kind(lang, t))
            );
        }
        body.push_str("</p>");
    }
    // The chart and the timeline of this recommendation alone: the report's others have no entries here.
    let only = Status { reports: status.reports.clone(), recommendations: vec![rec.clone()], anomalies: Vec::new() };
    let _ = write!(
        body,
        "<section id=\"timeline\" data-live><h2>{}</h2>{}{}</section>",
        escape(word(lang, Word::Timeline)),
        crate::render::html::chart(&only, timeline, lang),
        crate::render::html::timeline_sections(timeline, &only, lang)
    );
    body
}

/// The event types a recommendation's page records: all but those that issue a report or a recommendation, which
/// a report's import records.
fn recordable_types() -> impl Iterator<Item = EventType> {
    EventType::ALL.into_iter().filter(|t| {
        !matches!(t, EventType::ReportPublished | EventType::RecommendationIssued | EventType::RecommendationReframed)
    })
}

/// How a field of an event's data is entered.
#[derive(Clone, Copy)]
enum Input {
    /// One line of text.
    Line,
    /// Several lines.
    Area,
    /// An EDTF date.
    Date,
    /// One of the codes of an enumeration, each shown by its label: `(code, label)` in the enumeration's order.
    Choice(fn(Lang) -> Vec<(&'static str, &'static str)>),
    /// An amount in euros (`480000`, `12,50`).
    Amount,
    /// `unanimous`, or `for-against` such as `27-15`.
    Votes,
    /// Events of the recommendation, any number, of these types (all when empty).
    Refs(&'static [EventType]),
    /// One event of the recommendation, of these types (all when empty).
    Ref(&'static [EventType]),
    /// Yes, no, or not said.
    YesNo,
}

/// A field of an event's data: its key, how it is entered, whether it is required.
struct Field {
    key: &'static str,
    input: Input,
    required: bool,
}

fn stances(lang: Lang) -> Vec<(&'static str, &'static str)> {
    events::Stance::ALL.into_iter().map(|s| (s.code(), labels::stance(lang, s))).collect()
}
fn verdicts(lang: Lang) -> Vec<(&'static str, &'static str)> {
    Verdict::ALL.into_iter().map(|v| (v.code(), labels::verdict(lang, v))).collect()
}
fn results(lang: Lang) -> Vec<(&'static str, &'static str)> {
    events::MotionResult::ALL.into_iter().map(|r| (r.code(), labels::motion_result(lang, r))).collect()
}
fn claims(lang: Lang) -> Vec<(&'static str, &'static str)> {
    events::Claim::ALL.into_iter().map(|c| (c.code(), labels::claim(lang, c))).collect()
}

/// The data fields of each recordable type.
fn fields(t: EventType) -> &'static [Field] {
    use Input::*;
    match t {
        EventType::ExecutiveResponded => &[
            Field { key: "stance", input: Choice(stances), required: true },
            Field { key: "summary", input: Area, required: true },
        ],
        EventType::AuditorCommented | EventType::ContextNoted => {
            &[Field { key: "summary", input: Area, required: true }]
        }
        EventType::CommitteeDiscussed => &[
            Field { key: "committee", input: Line, required: true },
            Field { key: "summary", input: Area, required: true },
        ],
        EventType::CouncilDecided => &[
            Field { key: "summary", input: Area, required: true },
            Field { key: "votes", input: Votes, required: false },
        ],
        EventType::CouncilMotionVoted => &[
            Field { key: "motion", input: Line, required: true },
            Field { key: "result", input: Choice(results), required: true },
            Field { key: "votes", input: Votes, required: true },
            Field { key: "summary", input: Area, required: true },
        ],
        EventType::CommitmentMade => &[
            Field { key: "summary", input: Area, required: true },
            Field { key: "due", input: Date, required: false },
            Field { key: "owner", input: Line, required: false },
        ],
        EventType::ActionTaken => &[
            Field { key: "summary", input: Area, required: true },
            Field { key: "amount", input: Amount, required: false },
            Field { key: "fulfils", input: Refs(&[EventType::CommitmentMade]), required: false },
        ],
        EventType::StatusAssessed => &[
            Field { key: "verdict", input: Choice(verdicts), required: true },
            Field { key: "as_of", input: Date, required: true },
            Field { key: "assessor", input: Line, required: true },
            Field { key: "rationale", input: Area, required: true },
            Field { key: "evidence", input: Refs(&[]), required: true },
            Field { key: "attributable", input: YesNo, required: false },
            Field { key: "supersedes", input: Ref(&[EventType::StatusAssessed]), required: false },
        ],
        EventType::EventRetracted => &[
            Field { key: "target", input: Ref(&[]), required: true },
            Field { key: "reason", input: Area, required: true },
        ],
        EventType::CommitmentRevised => &[
            Field { key: "commitment", input: Ref(&[EventType::CommitmentMade]), required: true },
            Field { key: "due", input: Date, required: true },
            Field { key: "reason", input: Area, required: true },
            Field { key: "owner", input: Line, required: false },
        ],
        EventType::ExecutiveReported => &[
            Field { key: "claim", input: Choice(claims), required: true },
            Field { key: "summary", input: Area, required: true },
        ],
        _ => &[],
    }
}

/// A field's label.
fn field_label(lang: Lang, key: &str) -> &'static str {
    match key {
        "summary" => lang.pick("Summary", "Samenvatting"),
        "stance" => lang.pick("Stance", "Standpunt"),
        "committee" => lang.pick("Committee", "Commissie"),
        "votes" => lang
            .pick("Votes (unanimous, or for-against such as 27-15)", "Stemmen (unanimous, of voor-tegen zoals 27-15)"),
        "motion" => lang.pick("Motion", "Motie"),
        "result" => lang.pick("Result", "Uitslag"),
        "due" => lang.pick("Due (EDTF date)", "Streefdatum (EDTF)"),
        "owner" => lang.pick("Owner", "Verantwoordelijke"),
        "amount" => lang.pick("Amount in euros", "Bedrag in euro"),
        "fulfils" => lang.pick("Keeps the commitments", "Komt toezeggingen na"),
        "verdict" => lang.pick("Verdict", "Oordeel"),
        "as_of" => lang.pick("As of (EDTF date)", "Peildatum (EDTF)"),
        "assessor" => lang.pick("Assessor", "Beoordelaar"),
        "rationale" => lang.pick("Rationale", "Onderbouwing"),
        "evidence" => lang.pick("Evidence", "Bewijs"),
        "attributable" => {
            lang.pick("Shortfall attributable to the executive", "Tekortkoming toe te rekenen aan het college")
        }
        "supersedes" => lang.pick("Supersedes", "Vervangt"),
        "target" => lang.pick("Retracts", "Trekt in"),
        "reason" => lang.pick("Reason", "Reden"),
        "commitment" => lang.pick("Commitment", "Toezegging"),
        "claim" => lang.pick("Claim", "Claim"),
        _ => "",
    }
}

/// The accepted EDTF forms, shown under every date field.
fn edtf_hint(lang: Lang) -> &'static str {
    lang.pick(
        "EDTF: 2016, 2016-05, 2016-05-12, 2016-23 (autumn), 2016-33 (first quarter), 2016~ (about), 2016? (uncertain), 201X, 2015/2016",
        "EDTF: 2016, 2016-05, 2016-05-12, 2016-23 (najaar), 2016-33 (eerste kwartaal), 2016~ (circa), 2016? (onzeker), 201X, 2015/2016",
    )
}

/// The form's state: what was typed, and the error and the field it names, if the last post was refused.
#[derive(Default)]
struct Typed {
    values: Vec<(String, String)>,
    error: Option<(Option<String>, String)>,
}

impl Typed {
    fn value(&self, name: &str) -> &str {
        self.values.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    fn chosen(&self, name: &str, v: &str) -> bool {
        self.values.iter().any(|(k, x)| k == name && x == v)
    }

    fn error_at(&self, name: &str) -> Option<&str> {
        match &self.error {
            Some((Some(field), m)) if field == name => Some(m),
            _ => None,
        }
    }
}

/// The record form of type `t` for `stream`, with `events` to choose references from.
fn record_form_html(
    lang: Lang,
    csrf: &str,
    stream: &StreamId,
    t: EventType,
    events: &[RecordedEvent],
    typed: &Typed,
) -> String {
    let mut out = String::new();
    if let Some((field, message)) = &typed.error {
        let at = field.as_deref().map(|f| format!(" ({f})")).unwrap_or_default();
        let _ =
            write!(out, "<p class=\"error\" role=\"alert\" id=\"form-error\">{}{}</p>", escape(message), escape(&at));
    }
    let _ = write!(out, "<form class=\"record\" method=\"post\" action=\"/rec/{}/record\">", percent(stream.as_str()));
    let _ = write!(
        out,
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"type\" value=\"{}\">",
        escape(csrf),
        t.code()
    );
    let line = |out: &mut String, name: &str, label: &str, required: bool, hint: Option<&str>| {
        let class = if typed.error_at(name).is_some() { " class=\"field-error\"" } else { "" };
        let req = if required { " required" } else { "" };
        let _ = write!(
            out,
            "<label{class}>{} <input name=\"{name}\" value=\"{}\"{req}>",
            escape(label),
            escape(typed.value(name))
        );
        if let Some(h) = hint {
            let _ = write!(out, "<span class=\"hint\">{}</span>", escape(h));
        }
        if let Some(e) = typed.error_at(name) {
            let _ = write!(out, "<span class=\"error\">{}</span>", escape(e));
        }
        out.push_str("</label>");
    };
    line(&mut out, "occurred", lang.pick("Occurred (EDTF date)", "Datum (EDTF)"), true, Some(edtf_hint(lang)));
    line(&mut out, "document", lang.pick("Source document", "Brondocument"), true, None);
    line(&mut out, "locator", lang.pick("Where in it (section, page)", "Vindplaats (paragraaf, pagina)"), true, None);
    line(&mut out, "quote", lang.pick("Quote", "Citaat"), false, None);
    for field in fields(t) {
        let name = format!("data.{}", field.key);
        let label = field_label(lang, field.key);
        let class = if typed.error_at(&name).is_some() { " class=\"field-error\"" } else { "" };
        let req = if field.required { " required" } else { "" };
        match field.input {
            Input::Line | Input::Amount | Input::Votes => line(&mut out, &name, label, field.required, None),
            Input::Date => line(&mut out, &name, label, field.required, Some(edtf_hint(lang))),
            Input::Area => {
                let _ = write!(
                    out,
                    "<label{class}>{} <textarea name=\"{name}\"{req}>{}</textarea>",
                    escape(label),
                    escape(typed.value(&name))
                );
                if let Some(e) = typed.error_at(&name) {
                    let _ = write!(out, "<span class=\"error\">{}</span>", escape(e));
                }
                out.push_str("</label>");
            }
            Input::Choice(choices) => {
                let _ = write!(
                    out,
                    "<label{class}>{} <select name=\"{name}\"{req}><option value=\"\"></option>",
                    escape(label)
                );
                for (code, label) in choices(lang) {
                    let sel = if typed.chosen(&name, code) { " selected" } else { "" };
                    let _ = write!(out, "<option value=\"{code}\"{sel}>{}</option>", escape(label));
                }
                out.push_str("</select>");
                if let Some(e) = typed.error_at(&name) {
                    let _ = write!(out, "<span class=\"error\">{}</span>", escape(e));
                }
                out.push_str("</label>");
            }
            Input::YesNo => {
                let _ = write!(
                    out,
                    "<label{class}>{} <select name=\"{name}\"><option value=\"\">{}</option>",
                    escape(label),
                    lang.pick("not said", "niet gezegd")
                );
                for (code, text) in [("true", lang.pick("yes", "ja")), ("false", lang.pick("no", "nee"))] {
                    let sel = if typed.chosen(&name, code) { " selected" } else { "" };
                    let _ = write!(out, "<option value=\"{code}\"{sel}>{text}</option>");
                }
                out.push_str("</select></label>");
            }
            Input::Refs(types) | Input::Ref(types) => {
                let multiple = if matches!(field.input, Input::Refs(_)) { " multiple size=\"6\"" } else { "" };
                let _ = write!(out, "<label{class}>{} <select name=\"{name}\"{multiple}{req}>", escape(label));
                if multiple.is_empty() {
                    out.push_str("<option value=\"\"></option>");
                }
                // A recommendation's page retracts its own stream's events; its report's are retracted on the report.
                let own_only = t == EventType::EventRetracted && field.key == "target";
                let offered = events
                    .iter()
                    .filter(|e| types.is_empty() || types.contains(&e.body.event_type()))
                    .filter(|e| !own_only || e.stream == *stream);
                for e in offered {
                    let id = e.id.to_string();
                    let sel = if typed.chosen(&name, &id) { " selected" } else { "" };
                    let summary: String = e.body.summary().chars().take(90).collect();
                    let _ = write!(
                        out,
                        "<option value=\"{id}\"{sel}>{} · {} · {}</option>",
                        escape(&labels::date(lang, &e.occurred)),
                        escape(labels::kind(lang, e.body.event_type())),
                        escape(&summary)
                    );
                }
                out.push_str("</select>");
                if let Some(e) = typed.error_at(&name) {
                    let _ = write!(out, "<span class=\"error\">{}</span>", escape(e));
                }
                out.push_str("</label>");
            }
        }
    }
    let _ = write!(out, "<button type=\"submit\">{}</button></form>", lang.pick("Record", "Vastleggen"));
    out
}

/// The events a recommendation's references may name: its own and its report's, in position order, without
/// retractions and the events they retracted.
fn referable(store: &dyn crate::store::EventStore, stream: &StreamId) -> Result<Vec<RecordedEvent>, AppError> {
    let mut events = store.read_stream(stream, 1)?.unwrap_or_default();
    events.extend(store.read_stream(&stream.report_stream(), 1)?.unwrap_or_default());
    events.sort_by_key(|e| e.position);
    // Neither a retraction nor what one took back can be named again: not as evidence, nor retracted twice. (A
    // retraction lives on its target's stream or its report's, so both streams hold every one that matters.)
    let retracted: std::collections::HashSet<events::EventId> = events
        .iter()
        .filter_map(|e| match &e.body {
            events::Body::EventRetracted(r) => Some(r.target),
            _ => None,
        })
        .collect();
    events.retain(|e| !matches!(e.body, events::Body::EventRetracted(_)) && !retracted.contains(&e.id));
    Ok(events)
}

/// Parses the type a form records.
fn recordable(text: Option<&str>) -> Result<EventType, Problem> {
    let text = text.unwrap_or("");
    recordable_types().find(|t| t.code() == text).ok_or_else(|| {
        Problem::param(
            "type",
            format!(
                "type `{text}`: a recommendation's page records {}",
                recordable_types().map(|t| t.code()).collect::<Vec<_>>().join(", ")
            ),
        )
    })
}

async fn record_form(
    St(state): Shared,
    headers: HeaderMap,
    Path(stream): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let path = path_and_query(&format!("/rec/{}/record", percent(&stream)), q.as_deref());
    guarded(&headers, &state, &path, q.as_deref(), &["type", "lang"], async |caller, p, lang| {
        caller.needs(Role::Auditor)?;
        let stream = rec_stream(&stream)?;
        let t = recordable(p.text("type"))?;
        form_page(&state, lang, &caller, &stream, t, &Typed::default(), StatusCode::OK, &path).await
    })
    .await
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    state: &Arc<State>,
    lang: Lang,
    caller: &Caller,
    stream: &StreamId,
    t: EventType,
    typed: &Typed,
    status: StatusCode,
    path: &str,
) -> Result<Response, Problem> {
    let store = Arc::clone(&state.store);
    let s = stream.clone();
    let events = blocking(move || {
        if store.stream_version(&s)?.is_none() {
            return Err(AppError::NotFound(format!("the store holds no recommendation {s}")));
        }
        referable(&*store, &s)
    })
    .await?;
    let csrf = caller.csrf().unwrap_or("");
    let mut body = format!("<p><a href=\"/rec/{}\">← {}</a></p>", percent(stream.as_str()), escape(stream.as_str()));
    body.push_str(&record_form_html(lang, csrf, stream, t, &events, typed));
    let title = format!("{}: {}", lang.pick("Record", "Vastleggen"), labels::kind(lang, t));
    let mut r = page(lang, caller, &title, &body, state.live.position(), path);
    *r.status_mut() = status;
    Ok(r)
}

/// The event a record form describes, as the JSON object of an input line (without `stream`).
fn form_event(lang: Lang, t: EventType, form: &FormFields) -> Result<serde_json::Value, (String, String)> {
    use serde_json::{json, Value};
    // Every field posted is one of the form's, and only a multiple choice repeats.
    let data = |name: &str| fields(t).iter().find(|f| name.strip_prefix("data.") == Some(f.key));
    let mut seen = std::collections::HashSet::new();
    for (name, _) in &form.0 {
        let known = ["csrf", "type", "occurred", "document", "locator", "quote"].contains(&name.as_str());
        let field = data(name);
        if !known && field.is_none() {
            return Err((name.clone(), format!("a {} form has no field `{name}`", t.code())));
        }
        let repeats = field.is_some_and(|f| matches!(f.input, Input::Refs(_)));
        if !seen.insert(name.as_str()) && !repeats {
            return Err((name.clone(), format!("the field `{name}` is given twice")));
        }
    }
    let mut source =
        json!({"document": form.get("document").unwrap_or(""), "locator": form.get("locator").unwrap_or("")});
    if let Some(q) = form.get("quote").filter(|q| !q.trim().is_empty()) {
        source["quote"] = q.into();
    }
    let mut data = serde_json::Map::new();
    for field in fields(t) {
        let name = format!("data.{}", field.key);
        let text = form.get(&name).unwrap_or("").trim();
        let value = match field.input {
            Input::Refs(_) => {
                let all = form.all(&name);
                if all.is_empty() {
                    if field.required {
                        Some(Value::Array(Vec::new()))
                    } else {
                        None
                    }
                } else {
                    Some(Value::Array(all.into_iter().map(|v| Value::String(v.to_owned())).collect()))
                }
            }
            _ if text.is_empty() && field.required => {
                return Err((name.clone(), lang.pick("this field is required", "dit veld is verplicht").into()))
            }
            _ if text.is_empty() => None,
            Input::Amount => {
                let refused = || {
                    let example = lang.pick("480000, 480,000 or 12.50", "480000, 480.000 of 12,50");
                    (name.clone(), format!("`{text}` is not an amount in euros: write it as {example}"))
                };
                let normal = euro_amount(lang, text).ok_or_else(refused)?;
                let number: serde_json::Number = normal.parse().map_err(|_| refused())?;
                Some(json!({"value": number, "currency": "EUR"}))
            }
            Input::Votes => {
                if text.eq_ignore_ascii_case("unanimous") || text.eq_ignore_ascii_case("unaniem") {
                    Some(json!("unanimous"))
                } else {
                    let parsed = text
                        .split_once('-')
                        .and_then(|(a, b)| Some((a.trim().parse::<u32>().ok()?, b.trim().parse::<u32>().ok()?)));
                    let (yes, no) = parsed.ok_or_else(|| {
                        (name.clone(), format!("`{text}` is not `unanimous` nor for-against such as 27-15"))
                    })?;
                    Some(json!({"for": yes, "against": no}))
                }
            }
            Input::YesNo => match text {
                "true" => Some(Value::Bool(true)),
                "false" => Some(Value::Bool(false)),
                _ => return Err((name.clone(), format!("`{text}` is neither true nor false"))),
            },
            _ => Some(Value::String(text.to_owned())),
        };
        if let Some(v) = value {
            data.insert(field.key.to_owned(), v);
        }
    }
    Ok(json!({"type": t.code(), "occurred": form.get("occurred").unwrap_or("").trim(), "source": source, "data": data}))
}

/// An amount in euros as typed in `lang` (`1,234.50` in English, `1.234,50` in Dutch; spaces between thousands
/// too) as a plain decimal (`1234.50`), or `None` when it is not one: thousands only in groups of three, one decimal
/// separator, digits on both sides of it. A separator that could be either (`12,50` in English) is refused, never
/// guessed: a wrong guess would be recorded for good.
fn euro_amount(lang: Lang, text: &str) -> Option<String> {
    let (group, decimal) = match lang {
        Lang::En => (',', '.'),
        Lang::Nl => ('.', ','),
    };
    let text = text.trim();
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (whole, fraction) = match unsigned.split_once(decimal) {
        Some((w, f)) => (w, Some(f)),
        None => (unsigned, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let groups: Vec<&str> = whole.split([group, ' ', '\u{a0}']).collect();
    let grouped = groups.len() == 1
        || (groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3) && groups.iter().all(|g| digits(g)));
    if !grouped || !groups.iter().all(|g| digits(g)) || fraction.is_some_and(|f| !digits(f)) {
        return None;
    }
    let whole: String = groups.concat();
    Some(match fraction {
        Some(f) => format!("{sign}{whole}.{f}"),
        None => format!("{sign}{whole}"),
    })
}

/// The form field a refused event's field is entered in: `data.evidence[1]` in `data.evidence`,
/// `source.document` in `document`.
fn form_field(field: &str) -> String {
    let field = field.strip_prefix("events[0].").unwrap_or(field);
    let base = field.split('[').next().unwrap_or(field);
    match base.strip_prefix("source.") {
        Some(rest) => rest.to_owned(),
        None => base.to_owned(),
    }
}

async fn record(St(state): Shared, headers: HeaderMap, Path(stream_text): Path<String>, body: Body) -> Response {
    let path = format!("/rec/{}", percent(&stream_text));
    let caller = match page_caller(&headers, &state, &path) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let lang = lang_of(&headers, None);
    let outcome: Result<Response, Problem> = async {
        let form = FormFields::read(&headers, body).await?;
        check_forgery(Some(&caller), &headers, form.get("csrf"))?;
        caller.needs(Role::Auditor)?;
        let stream = rec_stream(&stream_text)?;
        let t = recordable(form.get("type"))?;
        let typed = |error: (Option<String>, String)| Typed {
            values: form.0.iter().filter(|(k, _)| k != "csrf" && k != "password").cloned().collect(),
            error: Some(error),
        };
        let event = match form_event(lang, t, &form) {
            Ok(e) => e,
            Err((field, message)) => {
                let typed = typed((Some(field), message));
                return form_page(&state, lang, &caller, &stream, t, &typed, StatusCode::UNPROCESSABLE_ENTITY, &path)
                    .await;
            }
        };
        let body = serde_json::to_vec(&[event]).unwrap_or_default();
        let decoded = api::decode_batch(&stream, &body);
        let recorded = match decoded {
            Ok(events) => {
                let principal = Principal::signed_in(caller.name.clone()).map_err(Problem::from)?;
                let (store, s) = (Arc::clone(&state.store), stream.clone());
                blocking(move || app::record_batch(&*store, &principal, &s, events, crate::store::ExpectedVersion::Any))
                    .await
            }
            Err(p) => Err(p),
        };
        match recorded {
            Ok(r) => {
                // The page shown next includes the event: wait for the live models to hold it.
                state.live.reach(r.head.position).await.map_err(Problem::from)?;
                Ok(Redirect::to(&format!("/rec/{}#timeline", percent(stream.as_str()))).into_response())
            }
            Err(p)
                if p.status == StatusCode::UNPROCESSABLE_ENTITY
                    || p.status == StatusCode::BAD_REQUEST
                    || p.status == StatusCode::CONFLICT =>
            {
                let field = p.field.as_deref().map(form_field);
                // The API's path to the event is no part of a form's message.
                let detail = p.detail.strip_prefix("events[0]: ").unwrap_or(&p.detail).to_owned();
                let typed = typed((field, detail));
                form_page(&state, lang, &caller, &stream, t, &typed, p.status, &path).await
            }
            Err(p) => Err(p),
        }
    }
    .await;
    match outcome {
        Ok(r) => r,
        Err(p) => problem_page(lang, &caller, &p, &path),
    }
}

async fn summary(St(state): Shared, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let path = path_and_query("/summary", q.as_deref());
    guarded(&headers, &state, &path, q.as_deref(), &["as_of", "known_at", "lang"], async |caller, p, lang| {
        let w = WindowParams::of(&p)?;
        let (day, known_at) = (w.day(), w.known_at);
        let (summary, position) = state
            .live
            .query::<_, AppError>(&state.store, move |m, s| Ok((m.summary(s, None, day, known_at)?, m.position())))
            .await?;
        let mut body = w.form(lang, lang.pick("Show", "Toon"));
        let _ = write!(
            body,
            "<section id=\"summary\" data-live>{}</section>",
            crate::render::html::summary(&summary, lang)
        );
        Ok(page(lang, &caller, word(lang, Word::VerdictSummary), &body, position, &path))
    })
    .await
}

async fn verify(St(state): Shared, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let path = path_and_query("/verify", q.as_deref());
    guarded(&headers, &state, &path, q.as_deref(), &["as_of", "known_at", "lang"], async |caller, p, lang| {
        caller.needs(Role::Admin)?;
        let w = WindowParams::of(&p)?;
        let window = app::window(w.as_of.as_ref(), w.known_at);
        let store = Arc::clone(&state.store);
        let outcome = blocking(move || app::verify_store(&*store, window, None)).await?;
        let mut text = Vec::new();
        crate::render::verification::write(&mut text, crate::render::output::Format::Text, lang, &outcome)
            .map_err(|e| Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
        let head = state.store.head();
        let mut body = w.form(lang, lang.pick("Verify", "Verifieer"));
        let _ = write!(
            body,
            "<p>{}: {} · {} {}</p>",
            lang.pick("Chain head", "Kop van de keten"),
            escape(&head.hash.to_string()),
            lang.pick("position", "positie"),
            head.position
        );
        let _ = write!(body, "<pre>{}</pre>", escape(&String::from_utf8_lossy(&text)));
        Ok(page(lang, &caller, lang.pick("Verification", "Verificatie"), &body, head.position, &path))
    })
    .await
}

async fn report(St(state): Shared, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let path = path_and_query("/report", q.as_deref());
    guarded(&headers, &state, &path, q.as_deref(), &["lang"], async |caller, _p, lang| {
        let (status, position) = state
            .live
            .query::<_, AppError>(&state.store, |m, s| Ok((m.status(s, projections::Window::default(), None, None)?, m.position())))
            .await?;
        let mut body = format!("<form class=\"filters\" method=\"get\" action=\"/api/v1/report\">{}", WindowParams { as_of: None, known_at: None, as_of_text: String::new(), known_at_text: String::new() }.fields(lang));
        let _ = write!(body, "<label>{} <select name=\"report\"><option value=\"\">{}</option>", escape(word(lang, Word::Report)), lang.pick("all", "alle"));
        for r in &status.reports {
            let _ = write!(body, "<option value=\"{}\">{}</option>", escape(&r.id), escape(&labels::report(lang, r)));
        }
        let _ = write!(body, "</select></label><label>{} <select name=\"file\">", lang.pick("File", "Bestand"));
        for file in app::PACK_FILES {
            let _ = write!(body, "<option>{file}</option>");
        }
        let _ = write!(body, "</select></label><input type=\"hidden\" name=\"lang\" value=\"{}\"><button type=\"submit\">{}</button></form>", lang.code(), lang.pick("Download", "Downloaden"));
        Ok(page(lang, &caller, lang.pick("Report pack", "Rapportpakket"), &body, position, &path))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_amount_is_read_as_its_language_writes_it_and_an_ambiguous_one_is_refused() {
        for (lang, text, expected) in [
            (Lang::En, "480000", Some("480000")),
            (Lang::En, "480,000", Some("480000")),
            (Lang::En, "1,234.50", Some("1234.50")),
            (Lang::En, "1 234.50", Some("1234.50")),
            (Lang::En, "12.50", Some("12.50")),
            (Lang::En, "-3.5", Some("-3.5")),
            (Lang::En, "1234,50", None),
            (Lang::En, "12,3", None),
            (Lang::En, "1,2,3", None),
            (Lang::En, ",5", None),
            (Lang::En, "1.234,50", None),
            (Lang::En, "12.", None),
            (Lang::En, "", None),
            (Lang::En, "1,2345", None),
            (Lang::Nl, "1234,50", Some("1234.50")),
            (Lang::Nl, "1.234,50", Some("1234.50")),
            (Lang::Nl, "480.000", Some("480000")),
            (Lang::Nl, "12.50", None),
            (Lang::Nl, "1,234.50", None),
        ] {
            assert_eq!(euro_amount(lang, text).as_deref(), expected, "{lang:?} {text:?}");
        }
    }
}
