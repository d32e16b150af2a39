//! A reviewed draft file made ready for import: each draft accepted (`"draft": false`) or, when the auditor
//! says so, all of them; the draft markers removed.

use std::io::BufRead;

use crate::import::{ImportError, LineProblem, Lines};

/// The members a draft carries beside its event, removed before import.
pub const DRAFT_MEMBERS: [&str; 3] = ["draft", "confidence", "rule"];

/// The events of a draft file as JSON Lines an import reads, and how many of them were drafts.
#[derive(Clone, Debug, PartialEq)]
pub struct Reviewed {
    /// One event a line, without the draft members.
    pub lines: Vec<u8>,
    /// Lines that were marked as drafts (`"draft": true` or `false`).
    pub drafts: usize,
    /// Of those, the ones accepted by `--accept-drafts` rather than marked `"draft": false`.
    pub accepted_unreviewed: usize,
}

/// Reads a draft file (JSON Lines; a line may hold an event without draft members, an event the auditor added)
/// and returns its events for import. A line still marked `"draft": true` is refused unless `accept_all`.
///
/// # Errors
/// [`ImportError::Invalid`] naming every line that is not a JSON object, has a `draft` member that is not
/// `true` or `false`, or is an unreviewed draft (with its id and type); [`ImportError::Io`];
/// [`ImportError::Empty`] when no line holds an event.
pub fn reviewed(reader: impl BufRead, accept_all: bool) -> Result<Reviewed, ImportError> {
    let mut out = Reviewed { lines: Vec::new(), drafts: 0, accepted_unreviewed: 0 };
    let mut problems = Vec::new();
    // Read as an import reads (a byte order mark, CRLF line ends, blank lines skipped, the line limit).
    for item in Lines::new(reader, |_| {}) {
        let (number, line) = item.map_err(ImportError::Io)?;
        let Some(line) = line else {
            problems.push(LineProblem {
                line: number,
                message: format!("the line is longer than the limit of {} bytes", events::MAX_STORED_LINE_BYTES),
            });
            continue;
        };
        let text = String::from_utf8_lossy(&line);
        let mut value: serde_json::Value = match serde_json::from_str(text.trim()) {
            Ok(v) => v,
            Err(e) => {
                problems.push(LineProblem { line: number, message: format!("not JSON: {e}") });
                continue;
            }
        };
        let Some(object) = value.as_object_mut() else {
            problems.push(LineProblem { line: number, message: "not a JSON object".into() });
            continue;
        };
        match object.get("draft") {
            None => {}
            Some(serde_json::Value::Bool(false)) => out.drafts += 1,
            Some(serde_json::Value::Bool(true)) => {
                out.drafts += 1;
                if accept_all {
                    out.accepted_unreviewed += 1;
                } else {
                    let id = object.get("id").and_then(|v| v.as_str()).unwrap_or("without id");
                    let kind = object.get("type").and_then(|v| v.as_str()).unwrap_or("event");
                    problems.push(LineProblem {
                        line: number,
                        message: format!(
                            "field `draft`: the {kind} {id} is an unreviewed draft: set \"draft\": false once checked, \
                             delete the line to drop it, or give --accept-drafts"
                        ),
                    });
                }
            }
            Some(other) => problems
                .push(LineProblem { line: number, message: format!("field `draft`: {other} is not true or false") }),
        }
        for member in DRAFT_MEMBERS {
            object.remove(member);
        }
        out.lines.extend_from_slice(value.to_string().as_bytes());
        out.lines.push(b'\n');
    }
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }
    if out.lines.is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(out)
}

/// The `data` member that holds an event type's main text, the one a review edits: `text` of a
/// recommendation, `rationale` of a verdict, `title` of a report, `summary` of the others.
pub fn main_text_field(kind: &str) -> &'static str {
    match kind {
        "recommendation_issued" | "recommendation_reframed" => "text",
        "status_assessed" => "rationale",
        "report_published" => "title",
        "event_retracted" | "commitment_revised" => "reason",
        _ => "summary",
    }
}

/// A draft line accepted after review: its `occurred` and main text set to what the auditor gave (when given),
/// `"draft": false`.
///
/// # Errors
/// A message when the line is not a JSON object with a `data` object.
pub fn accept(line: &str, occurred: Option<&str>, text: Option<&str>) -> Result<String, String> {
    let mut v: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let kind = v.get("type").and_then(|t| t.as_str()).unwrap_or("").to_owned();
    let o = v.as_object_mut().ok_or("not a JSON object")?;
    if let Some(d) = occurred.map(str::trim).filter(|d| !d.is_empty()) {
        o.insert("occurred".into(), d.into());
    }
    if let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) {
        let data = o.get_mut("data").and_then(|d| d.as_object_mut()).ok_or("the line has no data object")?;
        data.insert(main_text_field(&kind).into(), t.into());
    }
    o.insert("draft".into(), false.into());
    Ok(v.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_accepted_draft_takes_the_date_and_text_given_and_is_marked_reviewed() {
        let line = r#"{"type":"status_assessed","occurred":"2017-11","data":{"rationale":"old","verdict":"implemented"},"draft":true}"#;
        let out: serde_json::Value =
            serde_json::from_str(&accept(line, Some("2017-12"), Some(" new ")).unwrap()).unwrap();
        assert_eq!(
            (&out["occurred"], &out["data"]["rationale"], &out["draft"]),
            (&"2017-12".into(), &"new".into(), &false.into())
        );
        let kept: serde_json::Value = serde_json::from_str(&accept(line, Some(""), None).unwrap()).unwrap();
        assert_eq!((&kept["occurred"], &kept["data"]["rationale"]), (&"2017-11".into(), &"old".into()));
        assert!(accept("[1]", None, None).is_err());
    }

    use super::*;

    #[test]
    fn an_unreviewed_draft_is_refused_naming_its_line_and_accepted_ones_lose_their_markers() {
        let file = "{\"id\":\"a\",\"type\":\"action_taken\",\"draft\":true,\"confidence\":0.7,\"rule\":\"r\"}\n\n\
                    {\"id\":\"b\",\"type\":\"context_noted\",\"draft\":false,\"confidence\":0.4}\n{\"id\":\"c\"}\n";
        let Err(ImportError::Invalid(p)) = reviewed(file.as_bytes(), false) else { panic!("refused") };
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].line, 1);
        assert!(p[0].message.contains("action_taken a is an unreviewed draft"), "{}", p[0].message);
        let r = reviewed(file.as_bytes(), true).unwrap();
        assert_eq!((r.drafts, r.accepted_unreviewed), (2, 1));
        assert_eq!(
            String::from_utf8(r.lines).unwrap(),
            "{\"id\":\"a\",\"type\":\"action_taken\"}\n{\"id\":\"b\",\"type\":\"context_noted\"}\n{\"id\":\"c\"}\n"
        );
    }

    #[test]
    fn a_byte_order_mark_and_crlf_line_ends_are_read_as_an_import_reads_them() {
        let r = reviewed("\u{feff}{\"id\":\"a\",\"draft\":false}\r\n{\"id\":\"b\"}\r\n".as_bytes(), false).unwrap();
        assert_eq!(String::from_utf8(r.lines).unwrap(), "{\"id\":\"a\"}\n{\"id\":\"b\"}\n");
    }

    #[test]
    fn a_draft_marker_that_is_not_a_boolean_and_a_line_that_is_not_an_object_are_named() {
        let Err(ImportError::Invalid(p)) = reviewed("{\"draft\":\"no\"}\n[1]\n".as_bytes(), true) else {
            panic!("refused")
        };
        assert_eq!(p.iter().map(|p| p.line).collect::<Vec<_>>(), [1, 2]);
        assert!(p[0].message.contains("\"no\" is not true or false"));
    }
}
