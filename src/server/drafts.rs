//! The browser's review of drafted events: a draft file (`followup draft`) uploaded, each draft shown beside its
//! quote to be accepted (its date and text edited) or dropped, and the accepted ones imported all or nothing.
//!
//! Stateless: the review page carries every draft line in the form, so nothing is held between requests; the
//! import goes through the same path as `followup import --drafts` ([`crate::draft::review`], [`app::import`]).

use std::fmt::Write as _;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, RawQuery, Request, State as St};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::auth::check_forgery;
use super::problem::Problem;
use super::ui::{page, page_caller, problem_page, FormFields};
use super::State;
use crate::access::Role;
use crate::app::{self, ImportFormat, ImportInput, Principal};
use crate::draft::review;
use crate::render::html::escape;
use crate::render::Lang;
use crate::store::Opened;

type Shared = St<Arc<State>>;

/// A draft file is at most this large.
const DRAFT_FILE_LIMIT: usize = 8 << 20;
/// The upload's body: the file and the form around it.
pub const UPLOAD_LIMIT: usize = DRAFT_FILE_LIMIT + (64 << 10);

/// GET /drafts: the upload form.
pub async fn form(St(state): Shared, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    super::ui::guarded(&headers, &state, "/drafts", q.as_deref(), &["lang"], async |caller, _, lang| {
        caller.needs(Role::Auditor)?;
        Ok(upload_form(lang, &caller))
    })
    .await
}

fn upload_form(lang: Lang, caller: &super::Caller) -> Response {
    let mut body = String::new();
    let _ = write!(
        body,
        "<p>{}</p><form method=\"post\" action=\"/drafts\" enctype=\"multipart/form-data\" class=\"drafts-upload\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\"><label>{} <input type=\"file\" name=\"file\" \
         accept=\".jsonl,application/jsonl,application/x-ndjson\" required></label> <button type=\"submit\">{}</button></form>",
        escape(lang.pick(
            "Upload a draft file written by `followup draft`: each draft is shown beside the words it rests on, to be accepted (its date and text corrected) or dropped. Nothing is imported until every draft is decided.",
            "Laad een bestand met concepten van `followup draft`: elk concept staat naast de tekst waarop het rust, om te aanvaarden (datum en tekst verbeterd) of te laten vallen. Er wordt niets ingelezen voordat over elk concept is beslist."
        )),
        escape(caller.csrf().unwrap_or("")),
        escape(lang.pick("Draft file", "Conceptbestand")),
        escape(lang.pick("Review", "Beoordelen")),
    );
    page(lang, caller, lang.pick("Drafts", "Concepten"), &body, 0, "/drafts")
}

/// One draft on the review page: its line and what the reviewer chose and typed.
struct Row {
    line: String,
    /// The line, parsed (`Null` when it is not JSON).
    value: serde_json::Value,
    choice: Option<bool>,
    occurred: String,
    text: String,
}

impl Row {
    fn of(line: String) -> Row {
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        let kind = v["type"].as_str().unwrap_or("");
        let text = v["data"][review::main_text_field(kind)].as_str().unwrap_or("").to_owned();
        let choice = (v["draft"] == serde_json::Value::Bool(false)).then_some(true);
        Row { occurred: v["occurred"].as_str().unwrap_or("").to_owned(), text, choice, line, value: v }
    }
}

/// POST /drafts: an uploaded draft file, shown for review.
pub async fn upload(St(state): Shared, headers: HeaderMap, request: Request<Body>) -> Response {
    let path = "/drafts";
    let caller = match page_caller(&headers, &state, path) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let lang = super::ui::lang_of(&headers, None);
    let outcome: Result<Response, Problem> = async {
        caller.needs(Role::Auditor)?;
        // Read whole first, under the server's limits of size and pace, then parsed.
        let (parts, body) = request.into_parts();
        let bytes = super::api::body_bytes(body, UPLOAD_LIMIT).await?;
        let request = Request::from_parts(parts, Body::from(bytes));
        let mut multipart = Multipart::from_request(request, &())
            .await
            .map_err(|e| Problem::param("file", format!("the upload is not a multipart form: {e}")))?;
        let (mut csrf, mut file) = (None, None);
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|e| Problem::param("file", format!("the upload could not be read: {e}")))?
        {
            match field.name() {
                Some("csrf") => csrf = field.text().await.ok(),
                Some("file") => {
                    let bytes = field
                        .bytes()
                        .await
                        .map_err(|e| Problem::param("file", format!("the file could not be read: {e}")))?;
                    if bytes.len() > DRAFT_FILE_LIMIT {
                        return Err(Problem::param(
                            "file",
                            format!("the file holds {} bytes; a draft file is at most {DRAFT_FILE_LIMIT}", bytes.len()),
                        ));
                    }
                    file = Some(bytes);
                }
                _ => {}
            }
        }
        check_forgery(Some(&caller), &headers, csrf.as_deref())?;
        let bytes = file.ok_or_else(|| Problem::param("file", "no file was uploaded".to_owned()))?;
        let text = String::from_utf8(bytes.to_vec()).map_err(|e| {
            Problem::param("file", format!("the file is not UTF-8 text (byte {} is not)", e.utf8_error().valid_up_to()))
        })?;
        // Every line a JSON object with a boolean marker, or the file is refused now, naming each bad line.
        if let Err(e) = review::reviewed(text.as_bytes(), true) {
            let mut p = Problem::from(app::AppError::from(e));
            p.detail =
                format!("{}: {}", lang.pick("the draft file is refused", "het conceptbestand is geweigerd"), p.detail);
            return Err(p);
        }
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let rows: Vec<Row> = text.lines().filter(|l| !l.trim().is_empty()).map(|l| Row::of(l.to_owned())).collect();
        Ok(review_page(lang, &caller, &rows, None, StatusCode::OK))
    }
    .await;
    outcome.unwrap_or_else(|p| problem_page(lang, &caller, &p, path))
}

/// POST /drafts/import: the reviewed drafts, the accepted ones imported all or nothing.
pub async fn import(St(state): Shared, headers: HeaderMap, body: Body) -> Response {
    let path = "/drafts";
    let caller = match page_caller(&headers, &state, path) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let lang = super::ui::lang_of(&headers, None);
    let outcome: Result<Response, Problem> = async {
        let form = FormFields::read_limited(&headers, body, DRAFT_FILE_LIMIT * 2).await?;
        check_forgery(Some(&caller), &headers, form.get("csrf"))?;
        caller.needs(Role::Auditor)?;
        let count: usize = form.get("count").and_then(|c| c.parse().ok()).unwrap_or(0);
        let mut rows = Vec::with_capacity(count);
        for i in 0..count {
            let Some(line) = form.get(&format!("line_{i}")) else { continue };
            let mut row = Row::of(line.to_owned());
            row.choice = match form.get(&format!("choice_{i}")) {
                Some("accept") => Some(true),
                Some("drop") => Some(false),
                _ => None,
            };
            row.occurred = form.get(&format!("occurred_{i}")).unwrap_or("").to_owned();
            row.text = form.get(&format!("text_{i}")).unwrap_or("").to_owned();
            rows.push(row);
        }
        let undecided: Vec<usize> = rows.iter().enumerate().filter(|(_, r)| r.choice.is_none()).map(|(i, _)| i + 1).collect();
        if !undecided.is_empty() {
            let error = match lang {
                Lang::En => format!("Decide on every draft: {} of them (drafts {}) are neither accepted nor dropped. Nothing was imported.", undecided.len(), list(&undecided)),
                Lang::Nl => format!("Beslis over elk concept: {} ervan (concepten {}) zijn niet aanvaard en niet geschrapt. Er is niets ingelezen.", undecided.len(), list(&undecided)),
            };
            return Ok(review_page(lang, &caller, &rows, Some(error), StatusCode::UNPROCESSABLE_ENTITY));
        }
        // The accepted lines, and which draft each is, to name a refused one by its number on the page.
        let mut lines = String::new();
        let mut numbers = Vec::new();
        for (i, r) in rows.iter().enumerate().filter(|(_, r)| r.choice == Some(true)) {
            let accepted = review::accept(&r.line, Some(&r.occurred), Some(&r.text)).map_err(|m| Problem::param("line", format!("draft {}: {m}", i + 1)))?;
            lines.push_str(&accepted);
            lines.push('\n');
            numbers.push(i + 1);
        }
        if numbers.is_empty() {
            let error = lang.pick("Every draft was dropped: there is nothing to import.", "Alle concepten zijn geschrapt: er is niets in te lezen.");
            return Ok(review_page(lang, &caller, &rows, Some(error.into()), StatusCode::UNPROCESSABLE_ENTITY));
        }
        let principal = Principal::signed_in(caller.name.clone()).map_err(Problem::from)?;
        let store = Arc::clone(&state.store);
        let imported = super::api::blocking(move || {
            let reviewed = review::reviewed(lines.as_bytes(), false).map_err(app::AppError::from)?;
            let input = ImportInput::Stream(Box::new(std::io::Cursor::new(reviewed.lines)));
            app::import(|| Ok(Opened::existing(store)), input, ImportFormat::JsonLines, &principal, |_| {})
        })
        .await;
        match imported {
            Ok(r) => {
                state.live.reach(r.head.position).await.map_err(Problem::from)?;
                let mut body = String::new();
                let _ = write!(
                    body,
                    "<p class=\"done\" role=\"status\">{}</p><p><a href=\"/\">{}</a></p>",
                    escape(&match lang {
                        Lang::En => format!("{} drafts accepted: {} events appended, {} already present; the log ends at position {}.", numbers.len(), r.appended, r.already, r.head.position),
                        Lang::Nl => format!("{} concepten aanvaard: {} gebeurtenissen toegevoegd, {} al aanwezig; het log eindigt op positie {}.", numbers.len(), r.appended, r.already, r.head.position),
                    }),
                    escape(lang.pick("To the register", "Naar het register")),
                );
                Ok(page(lang, &caller, lang.pick("Drafts imported", "Concepten ingelezen"), &body, r.head.position, path))
            }
            Err(p) if p.status == StatusCode::UNPROCESSABLE_ENTITY || p.status == StatusCode::CONFLICT => {
                // The import names lines of the accepted file: name the drafts instead.
                let mut error = p.detail.clone();
                for l in &p.lines {
                    // `line N: why`, N counting the accepted lines.
                    let named = l.strip_prefix("line ").and_then(|rest| rest.split_once(": ")).and_then(|(n, why)| {
                        let draft = numbers.get(n.parse::<usize>().ok()?.checked_sub(1)?)?;
                        Some(format!("{} {draft}: {why}", lang.pick("draft", "concept")))
                    });
                    let _ = write!(error, "\n{}", named.unwrap_or_else(|| l.clone()));
                }
                Ok(review_page(lang, &caller, &rows, Some(error), p.status))
            }
            Err(p) => Err(p),
        }
    }
    .await;
    outcome.unwrap_or_else(|p| problem_page(lang, &caller, &p, path))
}

fn list(numbers: &[usize]) -> String {
    let shown: Vec<String> = numbers.iter().take(20).map(usize::to_string).collect();
    if numbers.len() > 20 {
        format!("{} …", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// The review page: every draft beside its quote, with its choice, date and text, and the error if any.
fn review_page(
    lang: Lang,
    caller: &super::Caller,
    rows: &[Row],
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let mut body = String::new();
    if let Some(e) = &error {
        let _ = write!(body, "<p class=\"error\" role=\"alert\">{}</p>", escape(e).replace('\n', "<br>"));
    }
    let _ = write!(
        body,
        "<p>{}</p><form method=\"post\" action=\"/drafts/import\" class=\"drafts\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"count\" value=\"{}\">",
        escape(lang.pick(
            "Accept each draft that the quote bears out, correcting its date (EDTF) and text where needed, or drop it. Dropping a fact a verdict names as evidence refuses the import.",
            "Aanvaard elk concept dat het citaat draagt, met datum (EDTF) en tekst verbeterd waar nodig, of schrap het. Een feit schrappen dat een oordeel als bewijs noemt, weigert het inlezen."
        )),
        escape(caller.csrf().unwrap_or("")),
        rows.len()
    );
    for (i, r) in rows.iter().enumerate() {
        let v = &r.value;
        let s = |k: &str| v[k].as_str().unwrap_or("").to_owned();
        let confidence = v["confidence"].as_f64().map_or(String::new(), |c| format!("{:.0}%", c * 100.0));
        let checked = |want: bool| if r.choice == Some(want) { " checked" } else { "" };
        let _ = write!(
            body,
            "<fieldset class=\"draft\" id=\"draft-{n}\"><legend>{n}. {kind} · {stream} <span class=\"muted\">{conf_label} {confidence}</span></legend>\
             <blockquote>{quote}</blockquote><p class=\"muted\">{locator}</p>\
             <input type=\"hidden\" name=\"line_{i}\" value=\"{line}\">\
             <label>{date_label} <input name=\"occurred_{i}\" value=\"{occurred}\" size=\"12\"></label>\
             <label class=\"wide\">{text_label} <textarea name=\"text_{i}\" rows=\"3\">{text}</textarea></label>\
             <p class=\"choice\"><label><input type=\"radio\" name=\"choice_{i}\" value=\"accept\"{a}> {accept}</label> \
             <label><input type=\"radio\" name=\"choice_{i}\" value=\"drop\"{d}> {drop}</label></p></fieldset>",
            n = i + 1,
            kind = escape(&s("type")),
            stream = escape(&s("stream")),
            conf_label = escape(lang.pick("confidence", "zekerheid")),
            quote = escape(v["source"]["quote"].as_str().unwrap_or("")),
            locator = escape(v["source"]["locator"].as_str().unwrap_or("")),
            line = escape(&r.line),
            date_label = escape(lang.pick("Occurred", "Datum")),
            occurred = escape(&r.occurred),
            text_label = escape(lang.pick("Text", "Tekst")),
            text = escape(&r.text),
            a = checked(true),
            d = checked(false),
            accept = escape(lang.pick("accept", "aanvaarden")),
            drop = escape(lang.pick("drop", "schrappen")),
        );
    }
    let _ = write!(
        body,
        "<p><button type=\"submit\">{}</button></p></form>",
        escape(lang.pick("Import the accepted drafts", "Aanvaarde concepten inlezen"))
    );
    let mut r = page(lang, caller, lang.pick("Review drafts", "Concepten beoordelen"), &body, 0, "/drafts");
    *r.status_mut() = status;
    r
}
