//! The OpenAPI document of the API (`GET /api/openapi.json`), built with utoipa from the table of operations
//! below, which names each route's method, parameters, role and answers.

use axum::response::{IntoResponse, Response};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItemBuilder};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApiBuilder, PathsBuilder, Required, ResponseBuilder,
};

use super::auth::Caller;

/// One operation: method, path, summary, the role it needs, its query parameters, its request body's media
/// types, and its answers (status, description).
struct Op {
    method: HttpMethod,
    path: &'static str,
    summary: &'static str,
    role: &'static str,
    query: &'static [(&'static str, &'static str)],
    body: &'static [&'static str],
    answers: &'static [(&'static str, &'static str)],
}

const WINDOW: [(&str, &str); 2] = [
    ("as_of", "only events that certainly occurred by this EDTF date (its last day counts); today by default"),
    ("known_at", "only what the log held at this UTC instant (RFC 3339, or a date: the end of that day)"),
];
const STYLE: [(&str, &str); 2] =
    [("format", "json (default), text, md, csv or html: the CLI's --format"), ("lang", "en (default) or nl")];
const ERRORS: [(&str, &str); 4] = [
    ("400", "a parameter is wrong (problem+json naming it)"),
    ("401", "no session or token"),
    ("403", "the caller's role does not allow it"),
    ("404", "the stream or report is not in the store"),
];

const OPS: &[Op] = &[
    Op {
        method: HttpMethod::Get,
        path: "/api/v1/head",
        summary: "The log's head: {position, hash}",
        role: "reader",
        query: &[],
        body: &[],
        answers: &[("200", "the head")],
    },
    Op {
        method: HttpMethod::Get,
        path: "/api/v1/streams/{stream}",
        summary: "A stream's events and version (ETag \"<version>\"; If-None-Match gives 304)",
        role: "reader",
        query: &[],
        body: &[],
        answers: &[("200", "{stream, version, events}"), ("304", "not modified")],
    },
    Op {
        method: HttpMethod::Post,
        path: "/api/v1/streams/{stream}/events",
        summary: "Append a batch (a JSON array of input lines without stream); If-Match: \"<v>\" exact version, \
                  If-None-Match: * no stream, neither any",
        role: "auditor",
        query: &[],
        body: &["application/json"],
        answers: &[
            ("201", "appended: {stream, version, appended, events, head, warnings}, ETag the new version"),
            ("200", "the whole batch was recorded before with the same content"),
            ("409", "an id is stored with other content"),
            ("412", "wrong expected version: the problem gives actual_version"),
            ("413", "the body or batch is too large"),
            ("415", "not application/json"),
            ("422", "an invalid event: the problem names the field (events[i].data.verdict)"),
        ],
    },
    Op {
        method: HttpMethod::Get,
        path: "/api/v1/events",
        summary: "A page of the global log (Link: rel=\"next\")",
        role: "reader",
        query: &[("from", "the first position (1 by default)"), ("limit", "1 to 1000 events (100 by default)")],
        body: &[],
        answers: &[("200", "{head, from, events, next}")],
    },
    Op {
        method: HttpMethod::Get,
        path: "/api/v1/events/live",
        summary: "Server-Sent Events: each durable event once, id = its position; resumes after Last-Event-ID",
        role: "reader",
        query: &[("from", "the first position (the next event by default)")],
        body: &[],
        answers: &[("200", "text/event-stream")],
    },
    Op {
        method: HttpMethod::Get,
        path: "/api/v1/status",
        summary: "Where each recommendation stands (followup status --format json)",
        role: "reader",
        query: &[
            WINDOW[0],
            WINDOW[1],
            ("report", "only this report"),
            ("owner", "only what this owner is responsible for"),
            STYLE[0],
            STYLE[1],
        ],
        body: &[],
        answers: &[("200", "the status")],
    },
    Op {
        method: HttpMethod::Get,
        path: "/api/v1/timeline",
        summary: "Dated entries in timeline order (followup timeline --format json)",
        role: "reader",
        query: &[
            ("rec", "a recommendation (report/N) or a report"),
            ("from", "entries that reach this EDTF date or later"),
            ("to", "entries that start by this EDTF date"),
            WINDOW[0],
            WINDOW[1],
            STYLE[0],
            STYLE[1],
        ],
        body: &[],
        answers: &[("200", "the timeline")],
    },
    Op {
        method: HttpMethod::Get,
        path: "/api/v1/summary",
        summary: "Verdict counts, implementation rates, commitments (followup summary --format json); with scale, \
                  the counts on another office's scale (followup summary --scale)",
        role: "reader",
        query: &[
            ("report", "only this report"),
            WINDOW[0],
            WINDOW[1],
            ("scale", "gao, eca, ar, iia or followup: counts and rate on that scale"),
            STYLE[0],
            STYLE[1],
        ],
        body: &[],
        answers: &[("200", "the summary")],
    },
    Op {
        method: HttpMethod::Get,
        path: "/api/v1/due",
        summary: "Commitments overdue on a date (followup due --format json)",
        role: "reader",
        query: &[
            ("on", "the EDTF date to judge on (today by default)"),
            WINDOW[1],
            ("owner", "only this owner's"),
            STYLE[0],
            STYLE[1],
        ],
        body: &[],
        answers: &[("200", "the overdue commitments")],
    },
    Op {
        method: HttpMethod::Get,
        path: "/api/v1/verify",
        summary: "Replay the log: judge every verdict, check the chain (followup verify); header Followup-Exit",
        role: "admin",
        query: &[WINDOW[0], WINDOW[1], ("expect_head", "the head hash the log must end at"), STYLE[0], STYLE[1]],
        body: &[],
        answers: &[("200", "the verification")],
    },
    Op {
        method: HttpMethod::Get,
        path: "/api/v1/report",
        summary: "One file of the report pack, as a download",
        role: "reader",
        query: &[
            WINDOW[0],
            WINDOW[1],
            ("report", "only this report"),
            ("title", "the page's title"),
            ("lang", "en or nl"),
            ("file", "index.html (default), timeline.md or status.csv"),
        ],
        body: &[],
        answers: &[("200", "the file")],
    },
    Op {
        method: HttpMethod::Get,
        path: "/api/v1/export",
        summary: "The whole log as JSON Lines (followup export)",
        role: "admin",
        query: &[],
        body: &[],
        answers: &[("200", "application/jsonl")],
    },
    Op {
        method: HttpMethod::Post,
        path: "/api/v1/import",
        summary: "Import JSON Lines or CSV, all or nothing (followup import)",
        role: "auditor",
        query: &[],
        body: &["application/jsonl", "text/csv"],
        answers: &[
            ("201", "{events, appended, already_present, head, warnings}"),
            ("200", "nothing new"),
            ("413", "larger than 64 MiB"),
            ("415", "neither JSON Lines nor CSV"),
            ("422", "refused: the problem lists every bad line"),
        ],
    },
    Op {
        method: HttpMethod::Get,
        path: "/api/v1/users",
        summary: "Users and tokens (without secrets)",
        role: "admin",
        query: &[],
        body: &[],
        answers: &[("200", "{users, tokens}")],
    },
    Op {
        method: HttpMethod::Post,
        path: "/api/v1/users",
        summary: "Add a user, or change its role and password: {name, role, password}",
        role: "admin",
        query: &[],
        body: &["application/json"],
        answers: &[("201", "added"), ("200", "changed"), ("422", "refused, naming the field")],
    },
    Op {
        method: HttpMethod::Delete,
        path: "/api/v1/users/{name}",
        summary: "Remove a user and its tokens",
        role: "admin",
        query: &[],
        body: &[],
        answers: &[("204", "removed")],
    },
    Op {
        method: HttpMethod::Post,
        path: "/api/v1/tokens",
        summary: "Create a bearer token for a user: {user, days}; shown once",
        role: "admin",
        query: &[],
        body: &["application/json"],
        answers: &[("201", "{token, id, user, expires}")],
    },
    Op {
        method: HttpMethod::Delete,
        path: "/api/v1/tokens/{id}",
        summary: "Revoke a token",
        role: "admin",
        query: &[],
        body: &[],
        answers: &[("204", "revoked")],
    },
];

/// The OpenAPI 3.1 document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut paths = PathsBuilder::new();
    for op in OPS {
        let mut b = OperationBuilder::new()
            .summary(Some(op.summary))
            .description(Some(format!("Needs the role {} (or a higher one).", op.role)));
        for name in op.path.split('{').skip(1).filter_map(|s| s.split('}').next()) {
            b = b
                .parameter(ParameterBuilder::new().name(name).parameter_in(ParameterIn::Path).required(Required::True));
        }
        for (name, description) in op.query {
            b = b.parameter(
                ParameterBuilder::new()
                    .name(*name)
                    .parameter_in(ParameterIn::Query)
                    .required(Required::False)
                    .description(Some(*description)),
            );
        }
        if !op.body.is_empty() {
            let mut body = RequestBodyBuilder::new().required(Some(Required::True));
            for media in op.body {
                body = body.content(*media, ContentBuilder::new().build());
            }
            b = b.request_body(Some(body.build()));
        }
        for (code, description) in op.answers.iter().chain(ERRORS.iter()) {
            b = b.response(*code, ResponseBuilder::new().description(*description));
        }
        paths = paths.path(op.path, PathItemBuilder::new().operation(op.method.clone(), b.build()).build());
    }
    let components = ComponentsBuilder::new()
        .security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()))
        .build();
    OpenApiBuilder::new()
        .info(InfoBuilder::new().title("followup").version(env!("CARGO_PKG_VERSION")).build())
        .paths(paths.build())
        .components(Some(components))
        .build()
}

/// `GET /api/openapi.json`.
pub async fn document(_caller: Caller) -> Response {
    axum::Json(openapi()).into_response()
}
