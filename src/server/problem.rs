//! Errors over HTTP: `application/problem+json` documents (RFC 9457), mapped once from the application layer's
//! error kinds.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::app::AppError;
use crate::store::{AppendError, ErrorKind};

/// A problem document: its status, a type naming the kind of problem, a title, a detail naming the value, and the
/// field or the lines at fault when there are some.
#[derive(Debug)]
pub struct Problem {
    /// The HTTP status.
    pub status: StatusCode,
    /// The kind, the last part of the `type` URI (`urn:followup:problem:<kind>`).
    pub kind: &'static str,
    /// What is wrong, naming the value.
    pub detail: String,
    /// The field at fault (a query parameter, a form field, a path into an event such as `data.verdict`).
    pub field: Option<String>,
    /// The bad lines of a refused import, `line N: why`, in file order.
    pub lines: Vec<String>,
    /// More members of the document (`actual_version`).
    pub extra: Vec<(&'static str, serde_json::Value)>,
    /// Headers to send with it (`ETag` of a 412, `Retry-After`, `WWW-Authenticate`).
    pub headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl Problem {
    /// A problem with `status`, `kind` and `detail`.
    pub fn new(status: StatusCode, kind: &'static str, detail: impl Into<String>) -> Problem {
        Problem {
            status,
            kind,
            detail: detail.into(),
            field: None,
            lines: Vec::new(),
            extra: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// A request parameter or field that is wrong: 400 naming it.
    pub fn param(field: impl Into<String>, detail: impl Into<String>) -> Problem {
        Problem { field: Some(field.into()), ..Problem::new(StatusCode::BAD_REQUEST, "invalid-parameter", detail) }
    }

    /// An anonymous request: 401.
    pub fn unauthenticated() -> Problem {
        let mut p = Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "sign in (POST /login) or give a bearer token (Authorization: Bearer fu_...)",
        );
        p.headers.push((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"followup\"")));
        p
    }

    /// A caller whose role does not allow the request: 403 naming the role needed.
    pub fn forbidden(name: &str, has: &str, needs: &str) -> Problem {
        Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("{name} has the role {has}; this needs the role {needs}"),
        )
    }

    /// A body over the route's limit: 413.
    pub fn too_large(limit: usize) -> Problem {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            format!("the body is larger than this route takes ({limit} bytes)"),
        )
    }

    /// A body of a media type the route does not take: 415 naming what it takes.
    pub fn media_type(given: &str, takes: &str) -> Problem {
        Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            format!("the body is `{given}`; this route takes {takes}"),
        )
    }

    /// The same problem with `field` named.
    pub fn with_field(mut self, field: impl Into<String>) -> Problem {
        self.field = Some(field.into());
        self
    }
}

impl From<AppError> for Problem {
    fn from(e: AppError) -> Problem {
        let detail = e.to_string();
        let lines = e.lines();
        let mut p = match &e {
            AppError::Append(AppendError::WrongExpectedVersion { actual, .. }) => {
                let mut p = Problem::new(StatusCode::PRECONDITION_FAILED, "wrong-expected-version", detail);
                p.extra.push(("actual_version", json!(actual)));
                if let Some(v) = actual {
                    if let Ok(tag) = HeaderValue::from_str(&format!("\"{v}\"")) {
                        p.headers.push((header::ETAG, tag));
                    }
                }
                p
            }
            AppError::Append(AppendError::IdConflict(_)) => Problem::new(StatusCode::CONFLICT, "id-conflict", detail),
            AppError::Append(AppendError::Invalid { error, .. }) => {
                let mut p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-event", detail);
                p.field.clone_from(&error.field);
                p
            }
            AppError::Append(
                AppendError::UnknownReference { field, .. } | AppendError::WrongReference { field, .. },
            ) => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-reference", detail).with_field(field.clone()),
            AppError::Param { name, .. } => Problem::param(*name, detail),
            AppError::EmptyRange { .. } => Problem::param("from", detail),
            AppError::Import(_) => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-import", detail),
            AppError::NotAnExport | AppError::NotJsonLines | AppError::Mapping(_) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", detail)
            }
            _ => match e.kind() {
                ErrorKind::Conflict => Problem::new(StatusCode::CONFLICT, "conflict", detail),
                ErrorKind::Invalid => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", detail),
                ErrorKind::NotFound => Problem::new(StatusCode::NOT_FOUND, "not-found", detail),
                ErrorKind::Unavailable => {
                    let mut p = Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail);
                    p.headers.push((header::RETRY_AFTER, HeaderValue::from_static("5")));
                    p
                }
                ErrorKind::Integrity => Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "integrity", detail),
                ErrorKind::Internal => Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", detail),
            },
        };
        p.lines = lines;
        p
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut doc = json!({
            "type": format!("urn:followup:problem:{}", self.kind),
            "title": self.status.canonical_reason().unwrap_or("error"),
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let Some(field) = &self.field {
            doc["field"] = json!(field);
        }
        if !self.lines.is_empty() {
            doc["lines"] = json!(self.lines);
        }
        for (name, value) in self.extra {
            doc[name] = value;
        }
        let mut response = (self.status, doc.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        for (name, value) in self.headers {
            headers.insert(name, value);
        }
        response
    }
}
