//! The command line against a running server (`--server URL`, `--token`): the reading and recording commands
//! send their request to the server's API and print what it answers, in the same formats as against the store,
//! so a team is never locked out by the server holding the store.

use std::io::{self, Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use followup::render::output::Format;
use followup::ErrorKind;

use super::Failure;

/// A server and how to reach it.
pub struct Remote {
    base: String,
    token: Option<String>,
    agent: ureq::Agent,
}

/// What the server answered: its status, its headers of interest and its body.
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The `Followup-Exit` header, when given (verify).
    pub exit: Option<u8>,
    /// The body.
    pub body: Vec<u8>,
}

impl Remote {
    /// The server at `url` (http://host:port), with `token` if given.
    ///
    /// # Errors
    /// A usage error for a URL that is not http://.
    pub fn new(url: &str, token: Option<String>) -> Result<Remote, Failure> {
        let base = url.trim_end_matches('/').to_owned();
        if !base.starts_with("http://") && !base.starts_with("https://") {
            return Err(Failure::usage(format!(
                "--server {url}: give the server's URL, such as http://127.0.0.1:8080"
            )));
        }
        if base.starts_with("https://") {
            return Err(Failure::usage(format!(
                "--server {url}: this build speaks plain HTTP; reach an HTTPS server through a local tunnel or proxy"
            )));
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .build()
            .into();
        Ok(Remote { base, token, agent })
    }

    fn unreachable(&self, e: ureq::Error) -> Failure {
        Failure::unavailable(format!("the server at {} cannot be reached: {e}", self.base))
    }

    fn answer(&self, mut response: ureq::http::Response<ureq::Body>) -> Result<Answer, Failure> {
        let status = response.status().as_u16();
        let exit = response.headers().get("followup-exit").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
        let mut body = Vec::new();
        response
            .body_mut()
            .as_reader()
            .read_to_end(&mut body)
            .map_err(|e| Failure::unavailable(format!("the server at {} stopped answering: {e}", self.base)))?;
        Ok(Answer { status, exit, body })
    }

    /// `GET path?query`.
    ///
    /// # Errors
    /// The server cannot be reached (exit 75).
    pub fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Answer, Failure> {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        for (k, v) in query {
            request = request.query(*k, v);
        }
        if let Some(t) = &self.token {
            request = request.header("Authorization", format!("Bearer {t}"));
        }
        let response = request.call().map_err(|e| self.unreachable(e))?;
        self.answer(response)
    }

    /// `POST path` with `body` of `media` type and more headers.
    ///
    /// # Errors
    /// The server cannot be reached (exit 75).
    pub fn post(&self, path: &str, media: &str, headers: &[(&str, String)], body: Vec<u8>) -> Result<Answer, Failure> {
        let mut request = self.agent.post(format!("{}{path}", self.base)).header("Content-Type", media);
        for (k, v) in headers {
            request = request.header(*k, v);
        }
        if let Some(t) = &self.token {
            request = request.header("Authorization", format!("Bearer {t}"));
        }
        let response = request.send(&body[..]).map_err(|e| self.unreachable(e))?;
        self.answer(response)
    }

    /// The answer's body when it succeeded; its problem as a failure otherwise.
    ///
    /// # Errors
    /// The problem the server gave, with the exit code its kind maps to.
    pub fn ok(&self, answer: Answer) -> Result<Answer, Failure> {
        if (200..300).contains(&answer.status) {
            return Ok(answer);
        }
        let doc: serde_json::Value = serde_json::from_slice(&answer.body).unwrap_or_default();
        let detail =
            doc["detail"].as_str().map_or_else(|| String::from_utf8_lossy(&answer.body).into_owned(), str::to_owned);
        let lines: Vec<String> = doc["lines"]
            .as_array()
            .map(|l| l.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        let kind = match answer.status {
            503 => ErrorKind::Unavailable,
            404 => ErrorKind::NotFound,
            409 | 412 => ErrorKind::Conflict,
            500 if doc["type"].as_str() == Some("urn:followup:problem:integrity") => ErrorKind::Integrity,
            500.. => ErrorKind::Internal,
            _ => ErrorKind::Invalid,
        };
        let hint = match answer.status {
            401 => " (give --token, or set FOLLOWUP_TOKEN; an admin creates one with `followup token create`)",
            _ => "",
        };
        Err(Failure::remote(format!("the server answered {}: {detail}{hint}", answer.status), kind, lines))
    }

    /// Prints a successful answer's body, adding a final newline where a JSON body lacks one.
    ///
    /// # Errors
    /// As [`Remote::ok`]; writing failed.
    pub fn print(&self, out: &mut impl Write, answer: Answer, format: Format) -> Result<ExitCode, Failure> {
        let exit = answer.exit;
        let answer = self.ok(answer)?;
        out.write_all(&answer.body)?;
        if format == Format::Json && !answer.body.ends_with(b"\n") {
            out.write_all(b"\n")?;
        }
        Ok(exit.map_or(ExitCode::SUCCESS, ExitCode::from))
    }
}

/// Reads a whole file, or standard input for `-`.
///
/// # Errors
/// When it cannot be read.
pub fn read_input(file: &std::path::Path) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    if file == std::path::Path::new("-") {
        io::stdin().read_to_end(&mut bytes)?;
    } else {
        bytes =
            std::fs::read(file).map_err(|e| Failure::from(e).context(format!("could not read {}", file.display())))?;
    }
    Ok(bytes)
}
