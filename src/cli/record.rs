//! `followup record`: one event from a JSON line or from its fields, decoded by the same rules as an import.

use std::io::Read;

use super::Failure;

type Result<T> = std::result::Result<T, Failure>;
use events::{Line, NewEvent};
use followup::ExpectedVersion;

/// The arguments of `record`.
#[derive(clap::Args)]
pub struct RecordArgs {
    /// The event as one JSON line (as in an import file); `-` reads it from standard input
    #[arg(value_name = "JSON", conflicts_with_all = ["stream", "kind", "occurred", "document", "locator", "quote", "data", "id"])]
    line: Option<String>,
    /// The stream: a report, or `report/N` for recommendation N
    #[arg(long)]
    stream: Option<String>,
    /// The event type, such as `action_taken`
    #[arg(long = "type", value_name = "TYPE")]
    kind: Option<String>,
    /// When it happened (EDTF: 2013, 2013-05, 2013-07-04, 2016-23, 2015-36, with ~ or ?)
    #[arg(long, value_name = "DATE")]
    occurred: Option<String>,
    /// The source document
    #[arg(long)]
    document: Option<String>,
    /// Where in the source document: section, page
    #[arg(long)]
    locator: Option<String>,
    /// The source's words
    #[arg(long)]
    quote: Option<String>,
    /// The event's data, a JSON object
    #[arg(long, value_name = "JSON")]
    data: Option<String>,
    /// The event's id (a UUID); derived from the content when absent
    #[arg(long)]
    id: Option<String>,
    /// Who is responsible (`data.owner`): for recommendation_issued, commitment_made, and commitment_revised
    /// (the new owner from then on); with a JSON line too
    #[arg(long, value_name = "NAME")]
    owner: Option<String>,
    /// Restore a fact that was recorded and retracted: record it anew (with an id derived from the retraction)
    #[arg(long)]
    pub restore: bool,
    /// The stream's expected version: a number, `any`, or `no-stream` (also `0`)
    #[arg(long, default_value = "any", value_parser = ExpectedVersion::parse)]
    expect: ExpectedVersion,
}

impl RecordArgs {
    /// The event to append and the expected version.
    pub fn event(&self) -> Result<(NewEvent, ExpectedVersion)> {
        let line = match &self.line {
            Some(l) if l == "-" => {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .map_err(|e| Failure::from(e).context("could not read the event from standard input"))?;
                text
            }
            Some(l) => l.clone(),
            None => {
                let need = |v: &Option<String>, flag: &str| -> Result<String> {
                    v.clone().ok_or_else(|| {
                        Failure::usage(format!("--{flag} is missing: give the event as one JSON line, or all of --stream, --type, --occurred, --document, --locator and --data"))
                    })
                };
                let data: serde_json::Value = serde_json::from_str(&need(&self.data, "data")?)
                    .map_err(|e| Failure::from(e).context("--data is not JSON"))?;
                let mut source = serde_json::json!({"document": need(&self.document, "document")?, "locator": need(&self.locator, "locator")?});
                if let Some(q) = &self.quote {
                    source["quote"] = q.clone().into();
                }
                let mut obj = serde_json::json!({
                    "stream": need(&self.stream, "stream")?,
                    "type": need(&self.kind, "type")?,
                    "occurred": need(&self.occurred, "occurred")?,
                    "source": source,
                    "data": data,
                });
                if let Some(id) = &self.id {
                    obj["id"] = id.clone().into();
                }
                obj.to_string()
            }
        };
        let mut trimmed = line.trim_start_matches('\u{feff}').trim().to_owned();
        if let Some(owner) = &self.owner {
            trimmed = with_owner(&trimmed, owner)?;
        }
        match events::decode(trimmed.as_bytes()) {
            Ok(Line::New(e)) => Ok((e, self.expect)),
            Ok(Line::Recorded(_)) => Err(Failure::invalid("the event carries store fields (version, position, hash...): record takes a new event; use import for an exported log")),
            Err(e) => Err(Failure::invalid(format!("invalid event: {e}"))),
        }
    }
}

/// The types whose `data` has an `owner`.
const OWNED: [&str; 3] = ["recommendation_issued", "commitment_made", "commitment_revised"];

/// The event line `line` with `data.owner` set to `owner` (`--owner`).
///
/// # Errors
/// A usage error when the line is not a JSON object, its type has no owner, or it names another owner.
fn with_owner(line: &str, owner: &str) -> Result<String> {
    let mut obj: serde_json::Value =
        serde_json::from_str(line).map_err(|e| Failure::from(e).context("the event is not JSON"))?;
    let kind = obj.get("type").and_then(|t| t.as_str()).unwrap_or("").to_owned();
    if !OWNED.contains(&kind.as_str()) {
        return Err(Failure::usage(format!("--owner applies to {}, not to `{kind}`", OWNED.join(", "))));
    }
    match obj.get_mut("data").and_then(|d| d.as_object_mut()) {
        Some(data) => match data.get("owner").and_then(|o| o.as_str()) {
            Some(given) if given != owner => {
                return Err(Failure::usage(format!(
                    "--owner `{owner}` and the line's data.owner `{given}` disagree: give the owner once"
                )))
            }
            _ => {
                data.insert("owner".into(), owner.into());
            }
        },
        None => return Err(Failure::invalid("invalid event: data: is not a JSON object")),
    }
    Ok(obj.to_string())
}
