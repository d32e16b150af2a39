//! The team server over a real socket, in process: every status code of the API, the same JSON as the command
//! line, users, sessions and tokens, cross-site posts, escaping, live events, a race of 32 appending clients,
//! and the command line against a running server.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use followup::access::AccessFile;
use followup::server::{self, Options, Running};

const CASE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/nazorg-amsterdam.jsonl");
const REC: &str = "ra-amsterdam-2013-nazorg/3";
const REC_PATH: &str = "ra-amsterdam-2013-nazorg%2F3";

/// Runs the command line on `store` with `args` and `stdin`; returns (exit code, stdout, stderr).
fn followup(store: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_followup"))
        .arg("--store")
        .arg(store)
        .args(args)
        .env_remove("FOLLOWUP_SERVER")
        .env_remove("FOLLOWUP_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A store holding the case, three users (Anna the auditor, Rita the reader, Ada the admin) with a token each,
/// and a server on it.
struct Fixture {
    _dir: tempfile::TempDir,
    store: PathBuf,
    rt: tokio::runtime::Runtime,
    running: Option<Running>,
    base: String,
    auditor: String,
    reader: String,
    admin: String,
    agent: ureq::Agent,
}

const PASSWORD: &str = "correct horse battery";

impl Fixture {
    fn new() -> Fixture {
        Fixture::with(|_| {})
    }

    /// A fixture whose store `prepare` may change (with the command line) before the server starts.
    fn with(prepare: impl FnOnce(&Path)) -> Fixture {
        Fixture::serving(prepare, Options { header_read_timeout: Duration::from_secs(1), ..Options::default() })
    }

    /// As [`Fixture::with`], the server run with `options`.
    fn serving(prepare: impl FnOnce(&Path), options: Options) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        assert_eq!(followup(&store, &["import", CASE], "").0, 0);
        let pw = format!("{PASSWORD}\n");
        for (name, role) in [("Anna", "auditor"), ("Rita", "reader"), ("Ada", "admin")] {
            let (code, _, err) = followup(&store, &["user", "add", name, "--role", role], &pw);
            assert_eq!(code, 0, "{err}");
        }
        let token = |name: &str| {
            let (code, out, err) = followup(&store, &["token", "create", name], "");
            assert_eq!(code, 0, "{err}");
            out.trim().to_owned()
        };
        let (auditor, reader, admin) = (token("Anna"), token("Rita"), token("Ada"));
        prepare(&store);
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let running = rt.block_on(async {
            let opened = followup::open(&followup::Location::Dir(store.clone())).unwrap();
            server::start(opened.store, AccessFile::in_dir(&store), "127.0.0.1:0".parse().unwrap(), options)
                .await
                .unwrap()
        });
        let base = format!("http://{}", running.addr);
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        Fixture { _dir: dir, store, rt, running: Some(running), base, auditor, reader, admin, agent }
    }

    fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            self.rt.block_on(r.stop()).unwrap();
        }
    }

    fn get(&self, path: &str, token: Option<&str>, headers: &[(&str, &str)]) -> Answer {
        let mut r = self.agent.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            r = r.header("Authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        Answer::of(r.call().unwrap())
    }

    fn post(&self, path: &str, token: Option<&str>, headers: &[(&str, &str)], body: &[u8]) -> Answer {
        let mut r = self.agent.post(format!("{}{path}", self.base));
        if let Some(t) = token {
            r = r.header("Authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        Answer::of(r.send(body).unwrap())
    }

    /// Appends `events` (a JSON array) to the case's recommendation 3 as the auditor, with `headers`.
    fn append(&self, headers: &[(&str, &str)], events: &str) -> Answer {
        let mut h = vec![("Content-Type", "application/json")];
        h.extend_from_slice(headers);
        self.post(&format!("/api/v1/streams/{REC_PATH}/events"), Some(&self.auditor), &h, events.as_bytes())
    }

    fn head(&self) -> u64 {
        self.get("/api/v1/head", Some(&self.reader), &[]).json()["position"].as_u64().unwrap()
    }

    /// Signs in through the login form: the session cookie (`name=value`).
    fn login(&self, name: &str, password: &str) -> Answer {
        let body = format!("name={name}&password={}&next=%2F", password.replace(' ', "+"));
        self.post("/login", None, &[("Content-Type", "application/x-www-form-urlencoded")], body.as_bytes())
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What the server answered.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn of(mut r: ureq::http::Response<ureq::Body>) -> Answer {
        let headers = r.headers().iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned())).collect();
        let mut body = Vec::new();
        r.body_mut().as_reader().read_to_end(&mut body).unwrap();
        Answer { status: r.status().as_u16(), headers, body }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The answer is a problem document with `status`, naming `field` if given.
    fn problem(&self, status: u16, field: Option<&str>) -> serde_json::Value {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(self.header("content-type"), Some("application/problem+json"), "{}", self.text());
        let doc = self.json();
        assert_eq!(doc["status"], status);
        assert!(doc["type"].as_str().unwrap().starts_with("urn:followup:problem:"));
        assert!(!doc["detail"].as_str().unwrap().is_empty());
        if let Some(f) = field {
            assert_eq!(doc["field"], f, "{doc}");
        }
        doc
    }
}

fn action(summary: &str) -> String {
    serde_json::json!([{"type": "action_taken", "occurred": "2018-02",
        "source": {"document": "Brief aan de raad", "locator": "p. 2"}, "data": {"summary": summary}}])
    .to_string()
}

#[test]
fn anonymous_requests_get_401_and_a_role_without_the_right_403() {
    let f = Fixture::new();
    for path in ["/api/v1/head", "/api/v1/status", "/api/v1/events", "/api/openapi.json", "/api/v1/events/live"] {
        let a = f.get(path, None, &[]);
        a.problem(401, None);
        assert!(a.header("www-authenticate").is_some_and(|v| v.starts_with("Bearer")));
    }
    f.get("/api/v1/head", Some("fu_00000000_nope"), &[]).problem(401, None);
    // A page sends an anonymous browser to the login form, which comes back to it.
    let page = f.get("/rec/x%2F1?as_of=2017", None, &[]);
    assert_eq!(page.status, 303);
    assert_eq!(page.header("location"), Some("/login?next=%2Frec%2Fx%252F1%3Fas_of%3D2017"));
    assert_eq!(f.get("/login", None, &[]).status, 200);
    // A reader's write is refused, and an auditor's verification and export.
    let a = f.post(
        &format!("/api/v1/streams/{REC_PATH}/events"),
        Some(&f.reader),
        &[("Content-Type", "application/json")],
        action("x").as_bytes(),
    );
    assert!(a.problem(403, None)["detail"].as_str().unwrap().contains("Rita has the role reader"));
    f.get("/api/v1/verify", Some(&f.auditor), &[]).problem(403, None);
    f.get("/api/v1/export", Some(&f.auditor), &[]).problem(403, None);
    f.get("/api/v1/users", Some(&f.auditor), &[]).problem(403, None);
    assert_eq!(f.head(), 79, "nothing was written");
}

#[test]
fn every_response_carries_the_security_headers_and_the_openapi_document_lists_the_routes() {
    let f = Fixture::new();
    let a = f.get("/api/openapi.json", Some(&f.reader), &[]);
    assert_eq!(a.status, 200);
    let csp = a.header("content-security-policy").unwrap();
    for part in ["default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"] {
        assert!(csp.contains(part), "{csp}");
    }
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(a.header("x-content-type-options"), Some("nosniff"));
    let doc = a.json();
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..2]), Some("3."));
    for path in ["/api/v1/head", "/api/v1/streams/{stream}/events", "/api/v1/events/live", "/api/v1/import"] {
        assert!(doc["paths"][path].is_object(), "{path} missing from the document");
    }
    assert!(doc["paths"]["/api/v1/streams/{stream}/events"]["post"]["responses"]["412"].is_object());
    let login = f.get("/login", None, &[]);
    assert!(login.header("content-security-policy").is_some());
    assert!(!login.text().contains("<script>"), "no inline script");
}

#[test]
fn a_stream_reads_with_its_version_as_etag_and_if_none_match_gives_304() {
    let f = Fixture::new();
    let a = f.get(&format!("/api/v1/streams/{REC_PATH}"), Some(&f.reader), &[]);
    assert_eq!(a.status, 200);
    let doc = a.json();
    let version = doc["version"].as_u64().unwrap();
    assert_eq!(a.header("etag"), Some(format!("\"{version}\"").as_str()));
    assert_eq!(doc["events"].as_array().unwrap().len() as u64, version);
    assert_eq!(doc["events"][0]["stream"], REC);
    let tag = format!("\"{version}\"");
    let again = f.get(&format!("/api/v1/streams/{REC_PATH}"), Some(&f.reader), &[("If-None-Match", &tag)]);
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    f.get("/api/v1/streams/nobody-2020%2F1", Some(&f.reader), &[]).problem(404, None);
    f.get("/api/v1/streams/Not%20a%20stream", Some(&f.reader), &[]).problem(400, Some("stream"));
}

#[test]
fn an_append_answers_201_200_412_409_422_413_and_415_and_writes_nothing_when_refused() {
    let f = Fixture::new();
    let version =
        f.get(&format!("/api/v1/streams/{REC_PATH}"), Some(&f.reader), &[]).json()["version"].as_u64().unwrap();
    let tag = format!("\"{version}\"");
    // 412 with the actual version, for a wrong one and for "no stream".
    let a = f.append(&[("If-Match", "\"3\"")], &action("one"));
    assert_eq!(a.problem(412, None)["actual_version"], version);
    assert_eq!(a.header("etag"), Some(tag.as_str()));
    f.append(&[("If-None-Match", "*")], &action("one")).problem(412, None);
    // 201 with the new version; the events may be laid out over lines, with `stream` or without.
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(&action("one")).unwrap()).unwrap();
    assert!(pretty.contains('\n'));
    let a = f.append(&[("If-Match", &tag)], &pretty);
    assert_eq!(a.status, 201, "{}", a.text());
    let doc = a.json();
    assert_eq!(doc["version"], version + 1);
    assert_eq!(doc["appended"], 1);
    assert_eq!(doc["events"][0]["position"], 80);
    assert_eq!(a.header("etag"), Some(format!("\"{}\"", version + 1).as_str()));
    // 200 for a whole resend, even against the old version.
    let a = f.append(&[("If-Match", &tag)], &action("one"));
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.json()["appended"], 0);
    // 409: the id given again with other content.
    let id = doc["events"][0]["id"].as_str().unwrap();
    let other = serde_json::json!([{"id": id, "type": "action_taken", "occurred": "2018-03",
        "source": {"document": "Brief", "locator": "p. 3"}, "data": {"summary": "another"}}]);
    f.append(&[], &other.to_string()).problem(409, None);
    // 422 naming the field: a bad date, an unknown field, a recorder, a stream of its own, an unknown reference.
    let bad = action("x").replace("2018-02", "2018-13");
    f.append(&[], &bad).problem(422, Some("events[0].occurred"));
    let unknown = action("x").replace("\"summary\"", "\"colour\":\"red\",\"summary\"");
    let doc = f.append(&[], &unknown).problem(422, None);
    assert!(doc["detail"].as_str().unwrap().contains("colour"), "{doc}");
    let by = action("x").replace("\"type\"", "\"recorded_by\":\"Someone else\",\"type\"");
    f.append(&[], &by).problem(422, Some("events[0].recorded_by"));
    let elsewhere = action("x").replace("\"type\"", "\"stream\":\"ra-amsterdam-2013-nazorg/4\",\"type\"");
    f.append(&[], &elsewhere).problem(422, Some("events[0].stream"));
    let dangling = action("x")
        .replace("\"summary\":\"x\"", "\"summary\":\"x\",\"fulfils\":[\"00000000-0000-4000-8000-000000000001\"]");
    f.append(&[], &dangling).problem(422, Some("data.fulfils[0]"));
    // 400: not JSON, not an array, an empty batch; a malformed precondition.
    f.append(&[], "[{").problem(400, None);
    f.append(&[], "{}").problem(400, None);
    f.append(&[], "[]").problem(422, Some("events"));
    f.append(&[("If-Match", "7")], &action("x")).problem(400, Some("If-Match"));
    // 413 beyond the body limit, 415 for another media type.
    let huge = action(&"x".repeat(5 << 20));
    assert!(huge.len() > followup::server::api::APPEND_LIMIT);
    f.append(&[], &huge).problem(413, None);
    let too_many = format!("[{}]", vec![action("x").trim_matches(['[', ']']).to_owned(); 257].join(","));
    f.append(&[], &too_many).problem(413, Some("events"));
    let a = f.post(
        &format!("/api/v1/streams/{REC_PATH}/events"),
        Some(&f.auditor),
        &[("Content-Type", "text/plain")],
        action("x").as_bytes(),
    );
    a.problem(415, None);
    assert_eq!(f.head(), 80, "only the one append was written");
    // The recorder is who signed in.
    let stream = f.get(&format!("/api/v1/streams/{REC_PATH}"), Some(&f.reader), &[]).json();
    assert_eq!(stream["events"].as_array().unwrap().last().unwrap()["recorded_by"], "Anna");
}

#[test]
fn queries_answer_the_same_json_as_the_command_line_and_refuse_bad_parameters_naming_them() {
    let mut expected = Vec::new();
    let queries: [(&[&str], &str); 5] = [
        (&["status", "--as-of", "2017-12-31"], "/api/v1/status?as_of=2017-12-31"),
        (&["status", "--as-of", "2015", "--known-at", "2030-01-01"], "/api/v1/status?as_of=2015&known_at=2030-01-01"),
        (&["timeline", "--rec", REC], "/api/v1/timeline?rec=ra-amsterdam-2013-nazorg%2F3"),
        (&["summary", "--as-of", "2017-12-31"], "/api/v1/summary?as_of=2017-12-31"),
        (&["due", "--on", "2015-06-30"], "/api/v1/due?on=2015-06-30"),
    ];
    let f = Fixture::with(|store| {
        for (args, _) in &queries {
            let mut args = args.to_vec();
            args.extend(["--format", "json"]);
            let (code, out, err) = followup(store, &args, "");
            assert_eq!(code, 0, "{err}");
            expected.push(out);
        }
    });
    for ((_, path), cli) in queries.iter().zip(&expected) {
        let a = f.get(path, Some(&f.reader), &[]);
        assert_eq!(a.status, 200, "{path}: {}", a.text());
        assert_eq!(a.header("content-type"), Some("application/json"));
        assert_eq!(a.text(), *cli, "{path}");
    }
    // Any of the command line's formats, in either language.
    let md = f.get("/api/v1/status?as_of=2017-12-31&format=md&lang=nl", Some(&f.reader), &[]);
    assert_eq!(md.header("content-type"), Some("text/markdown; charset=utf-8"));
    assert!(md.text().contains("gedeeltelijk uitgevoerd"));
    f.get("/api/v1/summary?format=csv", Some(&f.reader), &[]).problem(400, Some("format"));
    f.get("/api/v1/status?as_of=2017-13", Some(&f.reader), &[]).problem(400, Some("as_of"));
    f.get("/api/v1/status?known_at=yesterday", Some(&f.reader), &[]).problem(400, Some("known_at"));
    f.get("/api/v1/status?report=a%2F1", Some(&f.reader), &[]).problem(400, Some("report"));
    f.get("/api/v1/status?colour=red", Some(&f.reader), &[]).problem(400, Some("colour"));
    f.get("/api/v1/status?as_of=2017&as_of=2018", Some(&f.reader), &[]).problem(400, Some("as_of"));
    f.get("/api/v1/status?report=nobody-2020", Some(&f.reader), &[]).problem(404, None);
    f.get("/api/v1/timeline?from=2017&to=2016", Some(&f.reader), &[]).problem(400, Some("from"));
    f.get("/api/v1/events?limit=0", Some(&f.reader), &[]).problem(400, Some("limit"));
    // Verification for the admin, with the command's exit code.
    let v = f.get("/api/v1/verify", Some(&f.admin), &[]);
    assert_eq!(v.status, 200);
    assert_eq!(v.header("followup-exit"), Some("0"));
    assert_eq!(v.json()["chain"]["ok"], true, "{}", v.text());
    assert_eq!(v.json()["chain"]["events"], 79);
}

#[test]
fn the_log_reads_by_pages_linked_by_rel_next_and_exports_byte_for_byte() {
    let f = Fixture::with(|_| {});
    let mut lines = Vec::new();
    let mut path = "/api/v1/events?from=1&limit=30".to_owned();
    loop {
        let a = f.get(&path, Some(&f.reader), &[]);
        assert_eq!(a.status, 200);
        let doc = a.json();
        for e in doc["events"].as_array().unwrap() {
            lines.push(e.clone());
        }
        match a.header("link") {
            Some(link) => {
                assert!(link.ends_with("; rel=\"next\""));
                path = link[1..link.find('>').unwrap()].to_owned();
            }
            None => {
                assert!(doc["next"].is_null());
                break;
            }
        }
    }
    assert_eq!(lines.len(), 79);
    let export = f.get("/api/v1/export", Some(&f.admin), &[]);
    assert_eq!(export.status, 200);
    let exported: Vec<serde_json::Value> = export.text().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(exported, lines);
    let positions: Vec<u64> = lines.iter().map(|l| l["position"].as_u64().unwrap()).collect();
    assert_eq!(positions, (1..=79).collect::<Vec<_>>());
}

#[test]
fn an_import_is_all_or_nothing_names_every_bad_line_and_adds_nothing_twice() {
    let f = Fixture::new();
    let good = std::fs::read_to_string(CASE).unwrap();
    let lines: Vec<String> =
        followup::generate(followup::GenerateOptions { reports: 1, seed: 5 }).map(|e| e.to_line()).collect();
    let n = lines.len();
    let jsonl = [("Content-Type", "application/jsonl")];
    // Bad lines are named, nothing is written.
    let mut bad = lines.clone();
    bad[2] = bad[2].replace("\"occurred\":\"", "\"occurred\":\"x");
    bad.push("not json".into());
    let a = f.post("/api/v1/import", Some(&f.auditor), &jsonl, bad.join("\n").as_bytes());
    let doc = a.problem(422, None);
    let named: Vec<&str> = doc["lines"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    assert_eq!(named.len(), 2, "{doc}");
    assert!(named[0].starts_with("line 3:"), "{named:?}");
    assert!(named[1].starts_with(&format!("line {}:", n + 1)), "{named:?}");
    assert_eq!(f.head(), 79);
    // Imported once, then nothing added.
    let a = f.post("/api/v1/import", Some(&f.auditor), &jsonl, lines.join("\n").as_bytes());
    assert_eq!(a.status, 201, "{}", a.text());
    assert_eq!(a.json()["appended"], n);
    let a = f.post("/api/v1/import", Some(&f.auditor), &jsonl, lines.join("\n").as_bytes());
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["already_present"], n);
    let a = f.post("/api/v1/import", Some(&f.auditor), &jsonl, good.as_bytes());
    assert_eq!(a.json()["appended"], 0);
    // The recorder of lines that name none is who imports.
    let log = f.get("/api/v1/events?from=80&limit=1", Some(&f.reader), &[]).json();
    assert_eq!(log["events"][0]["recorded_by"], "Anna");
    // A line cannot name another recorder, nor bring a store's seal (an exported line): the importer records.
    let before = f.head();
    let forged =
        lines[0].replacen('{', r#"{"recorded_by":"Mallory","#, 1).replace("\"summary\":\"", "\"summary\":\"forged ");
    let export = f.get("/api/v1/export", Some(&f.admin), &[]).text();
    let exported = export.lines().last().unwrap();
    let a =
        f.post("/api/v1/import", Some(&f.auditor), &jsonl, format!("{}\n{forged}\n{exported}", lines[1]).as_bytes());
    let doc = a.problem(422, None);
    let named: Vec<&str> = doc["lines"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    assert_eq!(named.len(), 2, "{doc}");
    assert!(named[0].starts_with("line 2:") && named[0].contains("recorded_by"), "{named:?}");
    assert!(named[1].starts_with("line 3:") && named[1].contains("exported line"), "{named:?}");
    assert_eq!(f.head(), before);
    // Wrong media type, and a reader's import.
    f.post("/api/v1/import", Some(&f.auditor), &[("Content-Type", "application/json")], b"{}").problem(415, None);
    f.post("/api/v1/import", Some(&f.reader), &jsonl, good.as_bytes()).problem(403, None);
}

#[test]
fn sessions_are_httponly_samesite_rotated_at_login_ended_at_logout_and_logins_are_throttled() {
    let f = Fixture::new();
    let a = f.login("Anna", PASSWORD);
    assert_eq!(a.status, 303, "{}", a.text());
    let cookie = a.header("set-cookie").unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"));
    let session = cookie.split(';').next().unwrap().to_owned();
    let b = f.login("Anna", PASSWORD);
    let second = b.header("set-cookie").unwrap().split(';').next().unwrap().to_owned();
    assert_ne!(session, second, "a new session at every login");
    let page = f.get("/", None, &[("Cookie", &session)]);
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Anna"));
    let html = page.text();
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    // Logout needs the session's token, then ends it.
    let form = [("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", session.as_str())];
    assert_eq!(f.post("/logout", None, &form, b"csrf=wrong").status, 403);
    let out = f.post("/logout", None, &form, format!("csrf={csrf}").as_bytes());
    assert_eq!(out.status, 303);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(f.get("/", None, &[("Cookie", &session)]).status, 303, "the session is over");
    assert_eq!(f.get("/api/v1/head", None, &[("Cookie", &second)]).status, 200, "the other session lives");
    // Wrong passwords: 401, then 429 after five.
    for _ in 0..5 {
        assert_eq!(f.login("Rita", "not her password").status, 401);
    }
    let throttled = f.login("Rita", PASSWORD);
    assert_eq!(throttled.status, 429);
    assert!(throttled.header("retry-after").is_some());
    assert_eq!(f.login("Nobody", PASSWORD).status, 401, "other names from the same address are not throttled yet");
}

#[test]
fn cross_site_posts_are_refused_and_a_reader_gets_no_record_form() {
    let f = Fixture::new();
    let anna = f.login("Anna", PASSWORD).header("set-cookie").unwrap().split(';').next().unwrap().to_owned();
    let page = f.get(&format!("/rec/{REC_PATH}"), None, &[("Cookie", &anna)]);
    assert_eq!(page.status, 200);
    assert!(page.text().contains("/record?type=action_taken"), "an auditor sees the record links");
    let form = f.get(&format!("/rec/{REC_PATH}/record?type=action_taken"), None, &[("Cookie", &anna)]);
    assert_eq!(form.status, 200);
    let csrf = form.text().split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let body = format!("csrf={csrf}&type=action_taken&occurred=2018-04&document=Brief&locator=p.+1&data.summary=Done");
    let post = |headers: &[(&str, &str)], body: &str| {
        let mut h = vec![("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", anna.as_str())];
        h.extend_from_slice(headers);
        f.post(&format!("/rec/{REC_PATH}/record"), None, &h, body.as_bytes())
    };
    assert_eq!(post(&[("Origin", "http://evil.example")], &body).status, 403);
    assert_eq!(post(&[("Sec-Fetch-Site", "cross-site")], &body).status, 403);
    assert_eq!(post(&[], &body.replace(&csrf, "forged")).status, 403);
    assert_eq!(f.head(), 79, "nothing was written");
    let done = post(&[("Origin", &f.base)], &body);
    assert_eq!(done.status, 303, "{}", done.text());
    assert_eq!(f.head(), 80);
    // A reader sees no form and gets 403 for one.
    let rita = f.login("Rita", PASSWORD).header("set-cookie").unwrap().split(';').next().unwrap().to_owned();
    let page = f.get(&format!("/rec/{REC_PATH}"), None, &[("Cookie", &rita)]);
    assert_eq!(page.status, 200);
    assert!(!page.text().contains("/record?type="));
    assert_eq!(f.get(&format!("/rec/{REC_PATH}/record?type=action_taken"), None, &[("Cookie", &rita)]).status, 403);
    let rita_csrf = page.text().split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let h = [("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", rita.as_str())];
    let refused = f.post(&format!("/rec/{REC_PATH}/record"), None, &h, body.replace(&csrf, &rita_csrf).as_bytes());
    assert_eq!(refused.status, 403);
    assert_eq!(f.head(), 80);
}

#[test]
fn a_refused_form_names_the_field_and_keeps_what_was_typed_and_log_texts_are_escaped() {
    let f = Fixture::new();
    let anna = f.login("Anna", PASSWORD).header("set-cookie").unwrap().split(';').next().unwrap().to_owned();
    let form = f.get(&format!("/rec/{REC_PATH}/record?type=action_taken"), None, &[("Cookie", &anna)]);
    let csrf = form.text().split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let h = [("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", anna.as_str())];
    let body =
        format!("csrf={csrf}&type=action_taken&occurred=2018-13&document=Brief&locator=p.+1&data.summary=Kept+text");
    let refused = f.post(&format!("/rec/{REC_PATH}/record"), None, &h, body.as_bytes());
    assert_eq!(refused.status, 422);
    let html = refused.text();
    assert!(html.contains("class=\"field-error\"><label") || html.contains("<label class=\"field-error\">"));
    assert!(html.contains("2018-13") && html.contains("has no month"), "the error names the value");
    assert!(html.contains(">Kept text</textarea>"), "what was typed is kept");
    assert_eq!(f.head(), 79);
    let script = "<script>alert(1)</script>";
    let body = format!(
        "csrf={csrf}&type=action_taken&occurred=2018-04&document=Brief&locator=p.+1&data.summary={}",
        script.replace('<', "%3C").replace('>', "%3E").replace('(', "%28").replace(')', "%29")
    );
    assert_eq!(f.post(&format!("/rec/{REC_PATH}/record"), None, &h, body.as_bytes()).status, 303);
    let page = f.get(&format!("/rec/{REC_PATH}"), None, &[("Cookie", &anna)]).text();
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the summary is shown as text");
    assert!(!page.contains(script));
    assert_eq!(page.matches("<script").count(), 1, "only the vendored script: {page}");
}

/// Reads `n` events of a live stream (ids and data), or fewer if it ends.
fn read_events(reader: &mut impl BufRead, n: usize) -> Vec<(u64, serde_json::Value)> {
    let mut out = Vec::new();
    let mut id = None;
    let mut line = String::new();
    while out.len() < n {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        let l = line.trim_end();
        if let Some(v) = l.strip_prefix("id:") {
            id = Some(v.trim().parse::<u64>().unwrap());
        } else if let Some(d) = l.strip_prefix("data:") {
            out.push((id.take().unwrap(), serde_json::from_str(d.trim()).unwrap()));
        }
    }
    out
}

#[test]
fn live_events_resume_after_the_last_event_id_and_end_when_the_server_stops() {
    let mut f = Fixture::new();
    let live = |headers: &[(&str, &str)], q: &str| {
        let mut r = f.agent.get(format!("{}/api/v1/events/live{q}", f.base));
        r = r.header("Authorization", format!("Bearer {}", f.reader));
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        let resp = r.call().unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "text/event-stream");
        BufReader::new(resp.into_body().into_reader())
    };
    let mut from_start = live(&[], "?from=1");
    let first = read_events(&mut from_start, 79);
    assert_eq!(first.iter().map(|(p, _)| *p).collect::<Vec<_>>(), (1..=79).collect::<Vec<_>>());
    assert_eq!(first[0].1["position"], 1);
    let mut resumed = live(&[("Last-Event-ID", "77")], "?from=1");
    let mut fresh = live(&[], "");
    assert_eq!(f.append(&[], &action("live one")).status, 201);
    let r = read_events(&mut resumed, 3);
    assert_eq!(r.iter().map(|(p, _)| *p).collect::<Vec<_>>(), [78, 79, 80]);
    assert_eq!(r[2].1["data"]["summary"], "live one");
    assert_eq!(read_events(&mut fresh, 1)[0].0, 80);
    assert_eq!(read_events(&mut from_start, 1)[0].0, 80);
    f.get("/api/v1/events/live", Some(&f.reader), &[("Last-Event-ID", "x")]).problem(400, Some("Last-Event-ID"));
    // An id past the head comes from another log (a store restored to an earlier point): resuming there would
    // skip events, so it is refused.
    f.get("/api/v1/events/live", Some(&f.reader), &[("Last-Event-ID", "81")]).problem(400, Some("Last-Event-ID"));
    // Shutting down ends every open stream.
    let ended = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = fresh.read_to_string(&mut rest);
        rest
    });
    f.stop();
    let rest = ended.join().unwrap();
    assert!(!rest.contains("data:"), "no event after the last: {rest}");
}

#[test]
fn thirty_two_clients_race_with_expected_versions_one_winner_per_version_no_gap_and_live_clients_see_all_once() {
    const CLIENTS: usize = 32;
    const EACH: usize = 4;
    let f = Arc::new(Fixture::new());
    let stream_path = format!("/api/v1/streams/{REC_PATH}");
    let start = f.get(&stream_path, Some(&f.reader), &[]).json()["version"].as_u64().unwrap();
    // Live clients, connected before the race.
    let watchers: Vec<_> = (0..4)
        .map(|_| {
            let f = Arc::clone(&f);
            let resp = f
                .agent
                .get(format!("{}/api/v1/events/live", f.base))
                .header("Authorization", format!("Bearer {}", f.reader))
                .call()
                .unwrap();
            let mut reader = BufReader::new(resp.into_body().into_reader());
            std::thread::spawn(move || read_events(&mut reader, CLIENTS * EACH))
        })
        .collect();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let f = Arc::clone(&f);
            let path = stream_path.clone();
            std::thread::spawn(move || {
                let mut won = Vec::new();
                let mut refused = 0;
                for i in 0..EACH {
                    loop {
                        let v = f.get(&path, Some(&f.auditor), &[]).json()["version"].as_u64().unwrap();
                        let a =
                            f.append(&[("If-Match", &format!("\"{v}\""))], &action(&format!("client {c} event {i}")));
                        match a.status {
                            201 => {
                                let doc = a.json();
                                assert_eq!(doc["version"], v + 1, "the version after is the one expected plus one");
                                won.push(v + 1);
                                break;
                            }
                            412 => refused += 1,
                            other => panic!("unexpected {other}: {}", a.text()),
                        }
                    }
                }
                (won, refused)
            })
        })
        .collect();
    let mut versions = Vec::new();
    let mut refusals = 0;
    for c in clients {
        let (won, refused) = c.join().unwrap();
        versions.extend(won);
        refusals += refused;
    }
    versions.sort_unstable();
    let total = (CLIENTS * EACH) as u64;
    assert_eq!(versions, (start + 1..=start + total).collect::<Vec<_>>(), "one winner per version, no gap");
    let stream = f.get(&stream_path, Some(&f.reader), &[]).json();
    let stored: Vec<u64> =
        stream["events"].as_array().unwrap().iter().map(|e| e["version"].as_u64().unwrap()).collect();
    assert_eq!(stored, (1..=start + total).collect::<Vec<_>>());
    for w in watchers {
        let seen = w.join().unwrap();
        let positions: Vec<u64> = seen.iter().map(|(p, _)| *p).collect();
        assert_eq!(positions, (80..80 + total).collect::<Vec<_>>(), "every event once, in order");
    }
    println!("{CLIENTS} clients, {total} appends, {refusals} refused with 412 and retried");
    assert!(refusals > 0, "the clients raced");
}

#[test]
fn the_command_line_reads_and_records_through_a_running_server() {
    let f = Fixture::new();
    let remote = |args: &[&str], token: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_followup"))
            .args(args)
            .env("FOLLOWUP_SERVER", &f.base)
            .env("FOLLOWUP_TOKEN", token)
            .env_remove("FOLLOWUP_STORE")
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // The store is held by the server: the command line reads it through the server.
    let (code, _, err) = followup(&f.store, &["status"], "");
    assert_eq!(code, 75, "{err}");
    let (code, out, err) = remote(&["status", "--as-of", "2017-12-31"], &f.reader);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("partially implemented") && out.contains("ra-amsterdam-2013-nazorg/5"), "{out}");
    let (code, out, _) = remote(&["--format", "json", "timeline", "--rec", REC], &f.reader);
    assert_eq!(code, 0);
    assert!(serde_json::from_str::<serde_json::Value>(&out).unwrap()["entries"].is_array());
    // Recording: as the token's user, with the expected version; a reader is refused.
    let event = r#"{"stream":"ra-amsterdam-2013-nazorg/3","type":"context_noted","occurred":"2018-05","source":{"document":"Krant","locator":"p. 1"},"data":{"summary":"Nieuws"}}"#;
    let (code, _, err) = remote(&["record", event], &f.reader);
    assert_eq!(code, 1);
    assert!(err.contains("403") && err.contains("auditor"), "{err}");
    let (code, _, err) = remote(&["record", "--expect", "2", event], &f.auditor);
    assert_eq!(code, 1);
    assert!(err.contains("412"), "{err}");
    let (code, out, err) = remote(&["record", event], &f.auditor);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("recorded event ") && out.contains("position 80"), "{out}");
    let (code, out, _) = remote(&["record", event], &f.auditor);
    assert_eq!(code, 0);
    assert!(out.starts_with("already recorded"), "{out}");
    // FOLLOWUP_RECORDED_BY, set for local work, is not the recorder through a server and does not stand in the
    // way; --recorded-by given with --server is refused.
    let other = event.replace("Nieuws", "Nieuws van later");
    let out = Command::new(env!("CARGO_BIN_EXE_followup"))
        .args(["record", &other])
        .env("FOLLOWUP_SERVER", &f.base)
        .env("FOLLOWUP_TOKEN", &f.auditor)
        .env("FOLLOWUP_RECORDED_BY", "Mallory")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let last = f.get("/api/v1/events?from=81&limit=1", Some(&f.reader), &[]).json();
    assert_eq!(last["events"][0]["recorded_by"], "Anna");
    let (code, _, err) = remote(&["--recorded-by", "Mallory", "record", &other], &f.auditor);
    assert_eq!(code, 64, "{err}");
    // Verify needs an admin, and gives the command's exit code.
    assert_eq!(remote(&["verify"], &f.auditor).0, 3);
    let (code, out, _) = remote(&["verify"], &f.admin);
    assert_eq!(code, 0, "{out}");
    // No token: 401, said plainly.
    let (code, _, err) = remote(&["status"], "");
    assert_eq!(code, 1);
    assert!(err.contains("401") && err.contains("--token"), "{err}");
    // A server that is not there: 75.
    let out = Command::new(env!("CARGO_BIN_EXE_followup"))
        .args(["--server", "http://127.0.0.1:9", "status"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(75), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The cookie (`name=value`) a successful login sets.
fn session_of(a: &Answer) -> String {
    a.header("set-cookie").unwrap().split(';').next().unwrap().to_owned()
}

/// The forgery token in a page's forms.
fn csrf_of(page: &str) -> String {
    page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned()
}

#[test]
fn every_route_refuses_a_parameter_it_does_not_take_and_the_register_a_report_it_does_not_hold() {
    let f = Fixture::new();
    f.get("/api/v1/head?bogus=1", Some(&f.reader), &[]).problem(400, Some("bogus"));
    f.get(&format!("/api/v1/streams/{REC_PATH}?as_of=x"), Some(&f.reader), &[]).problem(400, Some("as_of"));
    f.get("/api/v1/users?all=1", Some(&f.admin), &[]).problem(400, Some("all"));
    // A refused user names the field, and a sealed field in an append is named, not taken for a missing id.
    let json = [("Content-Type", "application/json")];
    for (user, field) in [
        (r#"{"name":"Bea","role":"reader","password":"short"}"#, "password"),
        (r#"{"name":"Be\na","role":"reader","password":"long enough password"}"#, "name"),
        (r#"{"name":" Bea","role":"reader","password":"long enough password"}"#, "name"),
    ] {
        let doc = f.post("/api/v1/users", Some(&f.admin), &json, user.as_bytes()).problem(422, Some(field));
        assert!(!doc["detail"].as_str().unwrap().contains("recorded_by"), "{doc}");
    }
    let sealed = r#"[{"type":"context_noted","occurred":"2018","recorded_at":"2018-01-01T00:00:00Z","source":{"document":"D","locator":"L"},"data":{"summary":"x"}}]"#;
    f.post(&format!("/api/v1/streams/{REC_PATH}/events"), Some(&f.auditor), &json, sealed.as_bytes())
        .problem(422, Some("events[0].recorded_at"));
    let doc = f
        .post(&format!("/api/v1/streams/{REC_PATH}/events"), Some(&f.auditor), &json, b"[{\"type\":")
        .problem(400, None);
    assert_eq!(doc["detail"].as_str().unwrap().matches("line").count(), 1, "{doc}");
    let doc = f.get("/api/v1/export?as_of=x", Some(&f.admin), &[]).problem(400, Some("as_of"));
    assert!(doc["detail"].as_str().unwrap().ends_with("it takes none"), "{doc}");
    let jsonl = [("Content-Type", "application/jsonl")];
    // (A small body: the server answers before it reads one, and a client still sending a large one sees the
    // connection close.)
    let one = std::fs::read_to_string(CASE).unwrap().lines().next().unwrap().to_owned();
    f.post("/api/v1/import?dry_run=1", Some(&f.auditor), &jsonl, one.as_bytes()).problem(400, Some("dry_run"));
    f.post(
        &format!("/api/v1/streams/{REC_PATH}/events?x=1"),
        Some(&f.auditor),
        &[("Content-Type", "application/json")],
        action("x").as_bytes(),
    )
    .problem(400, Some("x"));
    assert_eq!(f.head(), 79);
    // An event naming the path's own stream is taken as one that names none.
    let named = action("with its stream").replacen('{', &format!("{{\"stream\":\"{REC}\","), 1);
    assert_eq!(f.append(&[], &named).status, 201);
    assert_eq!(f.head(), 80);
    let rita = session_of(&f.login("Rita", PASSWORD));
    assert_eq!(f.get("/?report=nope", None, &[("Cookie", &rita)]).status, 404);
    assert_eq!(f.get("/?report=ra-amsterdam-2013-nazorg", None, &[("Cookie", &rita)]).status, 200);
}

#[test]
fn a_record_form_refuses_a_field_it_does_not_have_or_one_given_twice_and_writes_nothing() {
    let f = Fixture::new();
    let anna = session_of(&f.login("Anna", PASSWORD));
    let csrf =
        csrf_of(&f.get(&format!("/rec/{REC_PATH}/record?type=context_noted"), None, &[("Cookie", &anna)]).text());
    let h = [("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", anna.as_str())];
    let base = format!("csrf={csrf}&type=context_noted&occurred=2018&document=D&locator=L&data.summary=Noted");
    for (extra, named) in [
        ("&recorded_by=Mallory", "recorded_by"),
        ("&stream=other%2F1", "stream"),
        ("&data.bogus=1", "data.bogus"),
        ("&type=action_taken", "type"),
        ("&data.summary=twice", "data.summary"),
    ] {
        let refused = f.post(&format!("/rec/{REC_PATH}/record"), None, &h, format!("{base}{extra}").as_bytes());
        assert_eq!(refused.status, 422, "{extra}");
        assert!(refused.text().contains(&format!("`{named}`")), "{extra}: {}", refused.text());
    }
    // A yes/no field takes yes or no only.
    let csrf =
        csrf_of(&f.get(&format!("/rec/{REC_PATH}/record?type=status_assessed"), None, &[("Cookie", &anna)]).text());
    let body = format!("csrf={csrf}&type=status_assessed&occurred=2018&document=D&locator=L&data.verdict=not_implemented&data.as_of=2018&data.assessor=A&data.rationale=R&data.attributable=maybe");
    let refused = f.post(&format!("/rec/{REC_PATH}/record"), None, &h, body.as_bytes());
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("`maybe` is neither true nor false"), "{}", refused.text());
    assert_eq!(f.head(), 79);
    assert_eq!(f.post(&format!("/rec/{REC_PATH}/record"), None, &h, base.as_bytes()).status, 303);
    assert_eq!(f.head(), 80);
}

#[test]
fn a_changed_password_ends_the_users_sessions_and_an_anonymous_write_on_a_public_server_gets_401() {
    let f = Fixture::serving(|_| {}, Options { public: true, ..Options::default() });
    let anna = session_of(&f.login("Anna", PASSWORD));
    assert_eq!(f.get("/", None, &[("Cookie", &anna)]).status, 200);
    assert!(f.get("/", None, &[("Cookie", &anna)]).text().contains("Anna"));
    let (code, _, err) = followup(&f.store, &["user", "add", "Anna", "--role", "auditor"], "another long password\n");
    assert_eq!(code, 0, "{err}");
    // The old cookie no longer signs Anna in: the public server shows the page to anonymous readers.
    let page = f.get("/", None, &[("Cookie", &anna)]);
    assert!(!page.text().contains(">Anna<") && page.text().contains("anonymous"), "{}", page.text());
    assert_eq!(f.get(&format!("/rec/{REC_PATH}/record?type=action_taken"), None, &[("Cookie", &anna)]).status, 401);
    assert!(f.login("Anna", "another long password").header("set-cookie").is_some());
    // Anonymous: reads, and a write asks to sign in (401), not 403.
    assert_eq!(f.get("/api/v1/head", None, &[]).status, 200);
    let a = f.post(
        &format!("/api/v1/streams/{REC_PATH}/events"),
        None,
        &[("Content-Type", "application/json")],
        action("x").as_bytes(),
    );
    a.problem(401, None);
    assert!(a.header("www-authenticate").is_some());
    assert_eq!(f.head(), 79);
}

#[test]
fn a_recommendations_page_shows_its_own_timeline_and_the_verification_page_streams_nothing_old() {
    let f = Fixture::new();
    let ada = session_of(&f.login("Ada", PASSWORD));
    let page = f.get(&format!("/rec/{REC_PATH}"), None, &[("Cookie", &ada)]).text();
    assert!(page.contains("id=\"rec-ra-amsterdam-2013-nazorg-3\""), "{page}");
    for other in [1, 2, 4, 5] {
        assert!(!page.contains(&format!("id=\"rec-ra-amsterdam-2013-nazorg-{other}\"")), "{other}");
    }
    let verify = f.get("/verify", None, &[("Cookie", &ada)]).text();
    assert!(verify.contains("data-live-from=\"80\""), "{verify}");
    // The register counts open commitments as the summary does, and says so.
    let register = f.get("/", None, &[("Cookie", &ada)]).text();
    assert!(register.contains("(open / made)"), "{register}");
}

#[test]
fn a_request_naming_another_host_gets_421_and_a_client_slow_to_send_its_headers_is_cut_off() {
    let f = Fixture::new();
    f.get("/api/v1/head", Some(&f.reader), &[("Host", "evil.example")]).problem(421, Some("Host"));
    f.get("/api/v1/head", Some(&f.reader), &[("Host", "evil.example:80")]).problem(421, Some("Host"));
    // A cross-site post from a rebound name is refused before it is looked at.
    let h = [("Host", "evil.example"), ("Origin", "http://evil.example"), ("Content-Type", "application/json")];
    f.post(&format!("/api/v1/streams/{REC_PATH}/events"), Some(&f.auditor), &h, action("x").as_bytes())
        .problem(421, None);
    for host in ["localhost", "LOCALHOST:8080", "127.0.0.1", "[::1]:8080", "10.0.0.7:80"] {
        assert_eq!(f.get("/api/v1/head", Some(&f.reader), &[("Host", host)]).status, 200, "{host}");
    }
    assert_eq!(f.head(), 79);
    let named = Options { allowed_hosts: vec!["followup.example.org".into()], ..Options::default() };
    assert!(named.answers_to("followup.example.org") && named.answers_to("FOLLOWUP.example.org:443"));
    assert!(named.answers_to("followup.example.org:"), "an empty port is a valid authority");
    for bad in ["followup.example.org:8443", "https://followup.example.org", "*", "", "ünïcode.nl", "-x.org", "a..b"]
    {
        assert!(server::allowed_host(bad).is_err(), "{bad}");
    }
    assert_eq!(server::allowed_host("xn--ncode-vua5ad.nl").as_deref(), Ok("xn--ncode-vua5ad.nl"));
    let (code, _, err) = followup(&f.store, &["serve", "--allowed-host", "https://x.org"], "");
    assert_eq!(code, 64, "{err}");
    assert!(err.contains("no scheme, port or *"), "{err}");
    let (code, _, err) = followup(&f.store, &["serve", "--listen", "nope"], "");
    assert_eq!(code, 64, "{err}");
    assert!(err.contains("localhost:8080"), "{err}");
    assert!(
        !named.answers_to("example.org") && !named.answers_to("followup.example.org.evil") && !named.answers_to("")
    );
    // Two Host headers, or a request target naming another host, are refused; raw requests, as a client may send.
    let raw = |request: &str| -> String {
        use std::io::{Read, Write};
        let mut socket = std::net::TcpStream::connect(f.base.trim_start_matches("http://")).unwrap();
        socket.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        let _ = socket.read_to_string(&mut answer);
        answer
    };
    let auth = format!("Authorization: Bearer {}\r\nConnection: close\r\n", f.reader);
    assert!(raw(&format!("GET /api/v1/head HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n{auth}\r\n"))
        .starts_with("HTTP/1.1 400"));
    assert!(raw(&format!("GET http://evil.example/api/v1/head HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n"))
        .starts_with("HTTP/1.1 421"));
    assert!(raw(&format!("GET /api/v1/head HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n")).starts_with("HTTP/1.1 200"));
    // Half a request's headers, then nothing: the connection is closed after the timeout (1 s here).
    use std::io::{Read, Write};
    let mut socket = std::net::TcpStream::connect(f.base.trim_start_matches("http://")).unwrap();
    socket.write_all(b"GET /api/v1/head HTTP/1.1\r\nHost: 127.0.0.1\r\n").unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let started = std::time::Instant::now();
    let mut rest = Vec::new();
    let read = socket.read_to_end(&mut rest);
    assert!(read.is_ok() || started.elapsed() < Duration::from_secs(9), "{read:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "closed after {:?}", started.elapsed());
}

#[test]
fn an_expired_token_gets_401_and_the_token_list_says_it_has_expired() {
    let f = Fixture::new();
    assert_eq!(f.get("/api/v1/head", Some(&f.reader), &[]).status, 200);
    // Rita's token expired yesterday (edited in the access file, which the server rereads).
    let path = f.store.join("access.json");
    let mut access: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let yesterday = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24)).to_string();
    for t in access["tokens"].as_array_mut().unwrap() {
        if t["user"] == "Rita" {
            t["expires"] = yesterday.clone().into();
        }
    }
    std::fs::write(&path, serde_json::to_vec_pretty(&access).unwrap()).unwrap();
    f.get("/api/v1/head", Some(&f.reader), &[]).problem(401, None);
    assert_eq!(f.get("/api/v1/head", Some(&f.auditor), &[]).status, 200);
    let (code, out, err) = followup(&f.store, &["token", "list"], "");
    assert_eq!(code, 0, "{err}");
    let rita: Vec<&str> = out.lines().filter(|l| l.contains("\tRita\t")).collect();
    assert_eq!(rita.len(), 1, "{out}");
    assert!(rita[0].contains("\texpired 20"), "{out}");
    assert!(out.lines().filter(|l| l.contains("\tAnna\t")).all(|l| l.contains("\texpires 20")), "{out}");
}

#[test]
fn the_register_lists_whole_reports_by_pages_that_together_hold_every_recommendation() {
    let f = Fixture::with(|store| {
        let lines: Vec<String> =
            followup::generate(followup::GenerateOptions { reports: 80, seed: 9 }).map(|e| e.to_line()).collect();
        let file = store.parent().unwrap().join("generated.jsonl");
        std::fs::write(&file, lines.join("\n")).unwrap();
        let (code, _, err) = followup(store, &["import", file.to_str().unwrap()], "");
        assert_eq!(code, 0, "{err}");
    });
    let status = f.get("/api/v1/status?as_of=2030-12-31", Some(&f.reader), &[]).json();
    let all: Vec<String> =
        status["recommendations"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect();
    assert!(all.len() > 400, "{}", all.len());
    let rita = session_of(&f.login("Rita", PASSWORD));
    let mut seen: Vec<String> = Vec::new();
    let mut next = Some("/?as_of=2030-12-31".to_owned());
    let mut pages = 0;
    while let Some(path) = next.take() {
        let page = f.get(&path, None, &[("Cookie", &rita)]);
        assert_eq!(page.status, 200, "{path}");
        let html = page.text();
        let rows: Vec<String> = html
            .split("<tr><td><a href=\"/rec/")
            .skip(1)
            .map(|r| r.split(['?', '"']).next().unwrap().replace("%2F", "/"))
            .collect();
        assert!(!rows.is_empty() && rows.len() < 260, "{} rows", rows.len());
        seen.extend(rows);
        next = html.split("<a rel=\"next\" href=\"").nth(1).map(|h| h.split('"').next().unwrap().replace("&amp;", "&"));
        assert!(next.as_ref().is_none_or(|n| n.contains("as_of=2030-12-31")), "{next:?}");
        pages += 1;
    }
    assert!(pages >= 2, "{pages} pages");
    assert_eq!(seen, all, "the pages hold every recommendation once, in order");
    // The report list offers every report, filtered or paged.
    let html = f.get("/?verdict=implemented", None, &[("Cookie", &rita)]).text();
    assert!(html.matches("<option value=\"ra-").count() >= 80);
}

#[test]
fn a_body_that_stops_arriving_gets_408_and_a_required_form_field_left_empty_is_named() {
    let f = Fixture::new();
    use std::io::{Read, Write};
    let mut socket = std::net::TcpStream::connect(f.base.trim_start_matches("http://")).unwrap();
    let head = format!(
        "POST /api/v1/streams/{REC_PATH}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[{{\"type\":",
        f.auditor
    );
    socket.write_all(head.as_bytes()).unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let started = std::time::Instant::now();
    let mut answer = String::new();
    let _ = socket.read_to_string(&mut answer);
    let waited = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(waited >= Duration::from_secs(9) && waited < Duration::from_secs(20), "{waited:?}");
    assert_eq!(f.head(), 79);
    // A retraction without its reason names the reason, at its field, in the form's words.
    let anna = session_of(&f.login("Anna", PASSWORD));
    let form = f.get(&format!("/rec/{REC_PATH}/record?type=event_retracted"), None, &[("Cookie", &anna)]).text();
    let csrf = csrf_of(&form);
    let target = form
        .split("name=\"data.target\"")
        .nth(1)
        .unwrap()
        .split("<option value=\"")
        .nth(2)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let h = [("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", anna.as_str())];
    let body = format!(
        "csrf={csrf}&type=event_retracted&occurred=2018&document=D&locator=L&data.target={target}&data.reason="
    );
    let refused = f.post(&format!("/rec/{REC_PATH}/record"), None, &h, body.as_bytes());
    assert_eq!(refused.status, 422);
    let html = refused.text();
    assert!(html.contains("this field is required"), "{html}");
    assert!(!html.contains("events[0]"), "{html}");
    // The register's overdue filter is 1 or absent.
    assert_eq!(f.get("/?overdue=maybe", None, &[("Cookie", &anna)]).status, 400);
    assert_eq!(f.get("/?overdue=1", None, &[("Cookie", &anna)]).status, 200);
    // An English amount with a comma that is no thousands separator is refused, not read as a hundred times it.
    let csrf = csrf_of(&f.get(&format!("/rec/{REC_PATH}/record?type=action_taken"), None, &[("Cookie", &anna)]).text());
    let body = format!(
        "csrf={csrf}&type=action_taken&occurred=2018&document=D&locator=L&data.summary=Paid&data.amount=1234%2C50"
    );
    let refused = f.post(&format!("/rec/{REC_PATH}/record"), None, &h, body.as_bytes());
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("`1234,50` is not an amount in euros"), "{}", refused.text());
    assert_eq!(f.head(), 79);
}

#[test]
fn a_retracted_event_and_its_retraction_are_no_longer_offered_as_references() {
    let f = Fixture::new();
    let anna = session_of(&f.login("Anna", PASSWORD));
    let form = |t: &str| f.get(&format!("/rec/{REC_PATH}/record?type={t}"), None, &[("Cookie", &anna)]).text();
    let options = |html: &str, field: &str| -> Vec<String> {
        let select = html.split(&format!("name=\"{field}\"")).nth(1).unwrap().split("</select>").next().unwrap();
        select
            .split("<option value=\"")
            .skip(1)
            .map(|o| o.split('"').next().unwrap().to_owned())
            .filter(|v| !v.is_empty())
            .collect()
    };
    let before = form("event_retracted");
    let targets = options(&before, "data.target");
    let target = targets[0].clone();
    let csrf = csrf_of(&before);
    let h = [("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", anna.as_str())];
    let body = format!("csrf={csrf}&type=event_retracted&occurred=2018&document=D&locator=L&data.target={target}&data.reason=Wrong+source");
    let posted = f.post(&format!("/rec/{REC_PATH}/record"), None, &h, body.as_bytes());
    assert_eq!(posted.status, 303, "{}", posted.text().split("class=\"error").nth(1).unwrap_or(""));
    let after = options(&form("event_retracted"), "data.target");
    assert_eq!(after.len(), targets.len() - 1, "the target is gone and the retraction is not offered");
    assert!(!after.contains(&target));
    assert!(!options(&form("status_assessed"), "data.evidence").contains(&target));
}

#[test]
fn a_recommendation_typed_with_a_plain_slash_is_redirected_and_a_dutch_refusal_has_a_dutch_title() {
    let f = Fixture::new();
    let rita = session_of(&f.login("Rita", PASSWORD));
    let a = f.get("/rec/ra-amsterdam-2013-nazorg/3?as_of=2017", None, &[("Cookie", &rita)]);
    assert_eq!(a.status, 308);
    assert_eq!(a.header("location"), Some("/rec/ra-amsterdam-2013-nazorg%2F3?as_of=2017"));
    assert_eq!(f.get("/rec/ra-amsterdam-2013-nazorg/3", None, &[]).status, 303, "to the login form first");
    assert_eq!(f.get(&format!("/rec/{REC_PATH}"), None, &[("Cookie", &rita)]).status, 200);
    let refused = f.get("/?overdue=maybe&lang=nl", None, &[("Cookie", &rita)]);
    assert_eq!(refused.status, 400);
    assert!(refused.text().contains("<title>Ongeldig verzoek"), "{}", refused.text());
}

#[test]
fn a_draft_file_uploaded_in_the_browser_is_reviewed_beside_its_quotes_and_only_a_decided_review_imports() {
    let f = Fixture::new();
    let anna = session_of(&f.login("Anna", PASSWORD));
    let rita = session_of(&f.login("Rita", PASSWORD));
    assert_eq!(f.get("/drafts", None, &[("Cookie", &rita)]).status, 403, "a reader reviews no drafts");
    let form = f.get("/drafts", None, &[("Cookie", &anna)]);
    assert_eq!(form.status, 200);
    let csrf = csrf_of(&form.text());
    // Drafts of the seed's report under a report id of their own, and one hostile line.
    let text = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/nazorg-amsterdam-2017.txt");
    let out = Command::new(env!("CARGO_BIN_EXE_followup"))
        .args(["draft", text, "--report", "ui-2013-nazorg"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut lines: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(str::to_owned).collect();
    lines.push(r#"{"stream":"ui-2013-nazorg","type":"context_noted","occurred":"2016","source":{"document":"D","locator":"L","quote":"<script>alert(1)</script>"},"data":{"summary":"x"},"draft":true,"confidence":0.4}"#.into());
    let boundary = "----followup-test-boundary";
    let multipart = |csrf: &str, lines: &[String]| {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"drafts.jsonl\"\r\nContent-Type: application/jsonl\r\n\r\n{}\n\r\n--{boundary}--\r\n",
            lines.join("\n")
        )
    };
    let media = format!("multipart/form-data; boundary={boundary}");
    let h = [("Content-Type", media.as_str()), ("Cookie", anna.as_str())];
    assert_eq!(
        f.post("/drafts", None, &h, multipart("wrong", &lines).as_bytes()).status,
        403,
        "the forgery token is checked"
    );
    // A line that is not a JSON object refuses the file at upload, naming the line, before any review.
    let broken = ["{\"draft\":true}".to_owned(), "not json".to_owned()];
    let refused = f.post("/drafts", None, &h, multipart(&csrf, &broken).as_bytes());
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("line 2: not JSON"), "{}", refused.text());
    let review = f.post("/drafts", None, &h, multipart(&csrf, &lines).as_bytes());
    assert_eq!(review.status, 200);
    let page = review.text();
    assert!(page.contains(&format!("id=\"draft-{}\"", lines.len())), "every draft on the page");
    assert!(page.contains(
        "Het college gaf aan deze aanbeveling over te nemen maar plaatste hier wel enkele kanttekeningen bij."
    ));
    assert!(
        !page.contains("<script>alert") && page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "quotes are escaped"
    );
    // The review: all accepted but the hostile line, dropped, and the report's title corrected; one left
    // undecided first, which refuses the whole review.
    let decide = |undecided: Option<usize>| {
        let mut pairs = vec![("csrf".to_owned(), csrf.clone()), ("count".to_owned(), lines.len().to_string())];
        for (i, l) in lines.iter().enumerate() {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            pairs.push((format!("line_{i}"), l.clone()));
            pairs.push((format!("occurred_{i}"), v["occurred"].as_str().unwrap().to_owned()));
            let text = if v["type"] == "report_published" {
                "Nazorg aan gedetineerden (reviewed)".to_owned()
            } else {
                String::new()
            };
            pairs.push((format!("text_{i}"), text));
            if Some(i) != undecided {
                let choice = if i == lines.len() - 1 { "drop" } else { "accept" };
                pairs.push((format!("choice_{i}"), choice.to_owned()));
            }
        }
        serde_urlencoded::to_string(pairs).unwrap()
    };
    let h = [("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", anna.as_str())];
    let refused = f.post("/drafts/import", None, &h, decide(Some(3)).as_bytes());
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("(drafts 4) are neither accepted nor dropped"), "{}", refused.text());
    assert_eq!(f.head(), 79, "nothing imported");
    let done = f.post("/drafts/import", None, &h, decide(None).as_bytes());
    assert_eq!(done.status, 200, "{}", done.text());
    let accepted = lines.len() - 1;
    assert!(
        done.text().contains(&format!("{accepted} drafts accepted: {accepted} events appended")),
        "{}",
        done.text()
    );
    assert_eq!(f.head(), 79 + accepted as u64);
    let status = f.get("/api/v1/status?report=ui-2013-nazorg&as_of=2017-12-31", Some(&f.reader), &[]).json();
    assert_eq!(status["recommendations"].as_array().unwrap().len(), 5);
    let export = f.get("/api/v1/events?from=80", Some(&f.reader), &[]).text();
    assert!(
        export.contains("Nazorg aan gedetineerden (reviewed)") && !export.contains("\"draft\""),
        "edited and unmarked"
    );
}

#[test]
fn the_summary_on_another_offices_scale_is_served_and_an_unknown_scale_is_named() {
    let f = Fixture::new();
    let gao = f.get("/api/v1/summary?scale=gao&as_of=2017-12-31", Some(&f.reader), &[]).json();
    assert_eq!(gao["overall"]["counts"]["closed_implemented"], 3);
    assert_eq!(gao["overall"]["counts"]["closed_not_implemented"], 1);
    assert_eq!(gao["overall"]["counts"]["open_partially_addressed"], 1);
    f.get("/api/v1/summary?scale=nao", Some(&f.reader), &[]).problem(400, Some("scale"));
    let out = Command::new(env!("CARGO_BIN_EXE_followup"))
        .args(["--server", &f.base, "--token", &f.reader, "summary", "--scale", "eca", "--format", "json"])
        .env_remove("FOLLOWUP_STORE")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let eca: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((eca["scale"].as_str(), &eca["overall"]["counts"]["fully_implemented"]), (Some("eca"), &3.into()));
}
