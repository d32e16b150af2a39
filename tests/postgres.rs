//! What only a database shared by several processes can show: 64 appenders over 4 server processes on one
//! database, a connection killed in the middle of a commit, a server restarted under live clients, and `copy`
//! from sled to PostgreSQL and back with byte-identical exports. The conformance suite (`tests/store.rs`) runs
//! on PostgreSQL too. Every test here needs `$FOLLOWUP_TEST_DATABASE` (see `tests/support/postgres.rs`) and works
//! in a schema of its own.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use followup::{EventStore, GenerateOptions, Pending, PgStore};

#[path = "support/postgres.rs"]
mod pg;

const CASE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/nazorg-amsterdam.jsonl");
const REPORT: &str = "ra-amsterdam-2013-nazorg";
const PASSWORD: &str = "correct horse battery";

/// A schema of its own for the test `name`, as a connection string; `None` when PostgreSQL tests are skipped.
fn database(name: &str) -> Option<String> {
    let base = pg::server()?;
    let key = format!("{name} {}", std::process::id());
    let schema = pg::schema_name(&key);
    pg::run_sql(&base, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
    Some(pg::schema_url(&base, &key))
}

/// Runs the command line on the store in `database`, with `stdin`; returns the exit code, stdout and stderr.
fn followup(database: &str, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_followup"))
        .args(args)
        .env("FOLLOWUP_DATABASE", database)
        .env_remove("FOLLOWUP_STORE")
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

/// A store of the case in `database` with an auditor, Anna, and her token.
fn case_with_auditor(database: &str) -> String {
    let (code, _, err) = followup(database, &["import", CASE], "");
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = followup(database, &["user", "add", "Anna", "--role", "auditor"], &format!("{PASSWORD}\n"));
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = followup(database, &["token", "create", "Anna"], "");
    assert_eq!(code, 0, "{err}");
    out.trim().to_owned()
}

/// A `followup serve` process on `database`, and its address.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    /// Starts a server on `listen` (`127.0.0.1:0` for any port) and waits until it serves.
    fn start(database: &str, listen: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_followup"))
            .args(["serve", "--listen", listen])
            .env("FOLLOWUP_DATABASE", database)
            .env_remove("FOLLOWUP_STORE")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        err.read_line(&mut line).unwrap();
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("the server did not say where it serves: {line}"))
            .to_owned();
        // The rest of its messages are drained, so that it never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
        Server { child, base }
    }

    fn stop(mut self) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

fn action(summary: &str) -> String {
    serde_json::json!([{"type": "action_taken", "occurred": "2018-02",
        "source": {"document": "Brief aan de raad", "locator": "p. 2"}, "data": {"summary": summary}}])
    .to_string()
}

fn stream_path(rec: u32) -> String {
    format!("/api/v1/streams/{REPORT}%2F{rec}")
}

/// Reads `n` events of a live stream: (position, event) each.
fn read_live(reader: &mut impl BufRead, n: usize) -> Vec<u64> {
    let mut out = Vec::new();
    let mut line = String::new();
    while out.len() < n {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        if let Some(v) = line.trim_end().strip_prefix("id:") {
            out.push(v.trim().parse::<u64>().unwrap());
        }
    }
    out
}

fn export(database: &str) -> String {
    let (code, out, err) = followup(database, &["export"], "");
    assert_eq!(code, 0, "{err}");
    out
}

#[test]
fn sixty_four_appenders_over_four_server_processes_leave_no_gap_and_win_one_version_each() {
    let Some(db) = database("sixty four appenders") else { return };
    let token = case_with_auditor(&db);
    let servers: Vec<Server> = (0..4).map(|_| Server::start(&db, "127.0.0.1:0")).collect();
    let bases: Arc<Vec<String>> = Arc::new(servers.iter().map(|s| s.base.clone()).collect());
    // A live client of the last server, connected before the race, sees every event of every server.
    const RACERS: usize = 32;
    const RACES: usize = 3;
    const WRITERS: usize = 32;
    const WRITES: usize = 5;
    let total = RACERS * RACES + WRITERS * WRITES;
    let live = agent()
        .get(format!("{}/api/v1/events/live", bases[3]))
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .unwrap();
    let mut live = BufReader::new(live.into_body().into_reader());
    let watcher = std::thread::spawn(move || read_live(&mut live, total));
    let version_of = |base: &str, token: &str| -> u64 {
        let a =
            agent().get(format!("{base}{}", stream_path(3))).header("Authorization", format!("Bearer {token}")).call();
        let mut a = a.unwrap();
        let doc: serde_json::Value = serde_json::from_str(&a.body_mut().read_to_string().unwrap()).unwrap();
        doc["version"].as_u64().unwrap()
    };
    let before = version_of(&bases[0], &token);
    let mut threads = Vec::new();
    // 32 clients race on one recommendation with expected versions, over all four servers.
    for c in 0..RACERS {
        let (bases, token) = (Arc::clone(&bases), token.clone());
        threads.push(std::thread::spawn(move || {
            let base = &bases[c % 4];
            let (mut won, mut refused) = (Vec::new(), 0);
            for i in 0..RACES {
                loop {
                    let v = version_of(base, &token);
                    let mut a = agent()
                        .post(format!("{base}{}/events", stream_path(3)))
                        .header("Authorization", format!("Bearer {token}"))
                        .header("Content-Type", "application/json")
                        .header("If-Match", format!("\"{v}\""))
                        .send(action(&format!("racer {c} event {i}")))
                        .unwrap();
                    let status = a.status().as_u16();
                    let body = a.body_mut().read_to_string().unwrap();
                    match status {
                        201 => {
                            let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
                            assert_eq!(doc["version"], v + 1, "the version after is the one expected plus one");
                            won.push(v + 1);
                            break;
                        }
                        412 => refused += 1,
                        other => panic!("unexpected {other}: {body}"),
                    }
                }
            }
            (won, refused)
        }));
    }
    // 32 more append without expectations to the other recommendations.
    for c in 0..WRITERS {
        let (bases, token) = (Arc::clone(&bases), token.clone());
        threads.push(std::thread::spawn(move || {
            let base = &bases[c % 4];
            let rec = [1, 2, 4, 5][c % 4];
            for i in 0..WRITES {
                let mut a = agent()
                    .post(format!("{base}{}/events", stream_path(rec)))
                    .header("Authorization", format!("Bearer {token}"))
                    .header("Content-Type", "application/json")
                    .send(action(&format!("writer {c} event {i}")))
                    .unwrap();
                let body = a.body_mut().read_to_string().unwrap();
                assert_eq!(a.status().as_u16(), 201, "{body}");
            }
            (Vec::new(), 0)
        }));
    }
    let mut versions = Vec::new();
    let mut refusals = 0;
    for t in threads {
        let (won, refused) = t.join().unwrap();
        versions.extend(won);
        refusals += refused;
    }
    versions.sort_unstable();
    let raced = (RACERS * RACES) as u64;
    assert_eq!(versions, (before + 1..=before + raced).collect::<Vec<_>>(), "one winner per version, no gap");
    let seen = watcher.join().unwrap();
    assert_eq!(seen, (80..80 + total as u64).collect::<Vec<_>>(), "the live client saw every event once, in order");
    for s in servers {
        s.stop();
    }
    // Positions 1..N without a gap, each stream's versions without a gap, and the chain intact.
    let exported = export(&db);
    let lines: Vec<serde_json::Value> = exported.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let positions: Vec<u64> = lines.iter().map(|e| e["position"].as_u64().unwrap()).collect();
    assert_eq!(positions, (1..=79 + total as u64).collect::<Vec<_>>());
    let mut by_stream: std::collections::BTreeMap<String, Vec<u64>> = Default::default();
    for e in &lines {
        by_stream.entry(e["stream"].as_str().unwrap().to_owned()).or_default().push(e["version"].as_u64().unwrap());
    }
    for (stream, v) in by_stream {
        assert_eq!(v, (1..=v.len() as u64).collect::<Vec<_>>(), "{stream}");
    }
    let (code, out, err) = followup(&db, &["verify"], "");
    assert_eq!(code, 0, "{out}{err}");
    println!("{total} appends over 4 processes, {refusals} refused with 412 and retried");
    assert!(refusals > 0, "the clients raced");
}

#[test]
fn a_connection_killed_mid_commit_leaves_all_or_nothing_and_the_appender_gets_an_error() {
    let Some(db) = database("killed connection") else { return };
    let base = pg::server().unwrap();
    let application = format!("followup_kill_{}", std::process::id());
    let url = format!("{db}&application_name={application}");
    let history =
        |seed: u64| -> Vec<events::NewEvent> { followup::generate(GenerateOptions { reports: 60, seed }).collect() };
    let mut outcomes = Vec::new();
    // Cut off at each statement of a write: while it stages a chunk, as it sets the streams' versions and the
    // head, during its COMMIT (or just after it).
    let statements =
        ["INSERT INTO events", "INSERT INTO events", "INSERT INTO streams", "WITH h AS", "COMMIT", "COMMIT"];
    for (i, statement) in statements.into_iter().enumerate() {
        let store = PgStore::open(&url, true).unwrap();
        let before = store.head();
        let items = history(100 + i as u64);
        let n = items.len() as u64;
        let writer = {
            let store = store.clone();
            std::thread::spawn(move || {
                let mut items = items.into_iter().map(|e| Some(Pending::New(e)));
                store.write(&mut items, None, "tester")
            })
        };
        let killed = pg::terminate_at(&base, &application, statement, Duration::from_secs(30));
        let written = writer.join().unwrap();
        drop(store);
        // Whatever the moment, the log holds all of the write or none of it, and its chain is whole.
        let store = PgStore::open(&db, false).unwrap();
        let after = store.head();
        let report = store.check_integrity(&mut |_| {}).unwrap();
        assert!(report.ok(), "{report:?}");
        match &written {
            Ok(w) => {
                assert_eq!(after.position, before.position + w.appended as u64, "an acknowledged write is stored");
                assert!(w.appended == 0 || w.appended as u64 == n);
            }
            Err(refusals) => {
                assert!(after.position == before.position || after.position == before.position + n);
                let (_, e) = &refusals[0];
                assert_eq!(e.kind(), followup::ErrorKind::Unavailable, "{e}");
            }
        }
        outcomes.push((statement, killed, written.is_ok(), after.position - before.position));
    }
    println!("(statement watched, backend terminated, acknowledged, events added): {outcomes:#?}");
    assert!(outcomes.iter().any(|o| !o.2), "at least one write was cut off");
}

#[test]
fn a_server_restarted_while_clients_stream_live_updates_misses_nothing() {
    let Some(db) = database("restarted server") else { return };
    let token = case_with_auditor(&db);
    let writer = Server::start(&db, "127.0.0.1:0");
    let watched = Server::start(&db, "127.0.0.1:0");
    let watched_at = watched.base.trim_start_matches("http://").to_owned();
    const EVENTS: usize = 60;
    // Appends go on through the other server while the watched one restarts.
    let appender = {
        let (base, token) = (writer.base.clone(), token.clone());
        std::thread::spawn(move || {
            for i in 0..EVENTS {
                let mut a = agent()
                    .post(format!("{base}{}/events", stream_path(1 + (i % 5) as u32)))
                    .header("Authorization", format!("Bearer {token}"))
                    .header("Content-Type", "application/json")
                    .send(action(&format!("event {i}")))
                    .unwrap();
                let body = a.body_mut().read_to_string().unwrap();
                assert_eq!(a.status().as_u16(), 201, "{body}");
                std::thread::sleep(Duration::from_millis(25));
            }
        })
    };
    // The live client reads, loses the server, and comes back with the last id it saw, as a browser does.
    let mut seen: Vec<u64> = Vec::new();
    let mut watched = Some(watched);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut restarts = 0;
    while seen.len() < EVENTS && Instant::now() < deadline {
        let base = format!("http://{watched_at}");
        let mut request =
            agent().get(format!("{base}/api/v1/events/live")).header("Authorization", format!("Bearer {token}"));
        if let Some(last) = seen.last() {
            request = request.header("Last-Event-ID", last.to_string());
        } else {
            request = request.header("Last-Event-ID", "79");
        }
        let Ok(response) = request.call() else {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        let mut reader = BufReader::new(response.into_body().into_reader());
        let want = if restarts == 0 { 15 } else { EVENTS - seen.len() };
        seen.extend(read_live(&mut reader, want));
        if restarts == 0 && seen.len() >= 15 {
            restarts += 1;
            watched.take().unwrap().stop();
            watched = Some(Server::start(&db, &watched_at));
        }
    }
    appender.join().unwrap();
    assert_eq!(restarts, 1);
    assert_eq!(seen, (80..80 + EVENTS as u64).collect::<Vec<_>>(), "every event once, in order, across the restart");
    drop(watched);
    drop(writer);
}

#[test]
fn copy_from_sled_to_postgresql_and_back_keeps_every_byte_of_the_case_and_of_a_generated_history() {
    let Some(db) = database("copy round trip") else { return };
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_followup"))
            .args(args)
            .env_remove("FOLLOWUP_DATABASE")
            .env_remove("FOLLOWUP_STORE")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    let text = |p: &Path| p.display().to_string();
    let sled = dir.path().join("sled");
    let back = dir.path().join("back");
    let history = dir.path().join("history.jsonl");
    std::fs::write(&history, run(&["generate", "--reports", "1400"])).unwrap();
    run(&["--store", &text(&sled), "import", CASE]);
    run(&["--store", &text(&sled), "import", &text(&history)]);
    let original = run(&["--store", &text(&sled), "export"]);
    let n = original.iter().filter(|b| **b == b'\n').count();
    assert!(n > 100_000, "a history of more than 100k events: {n}");
    run(&["copy", "--from", &text(&sled), "--to", &db]);
    run(&["copy", "--from", &db, "--to", &text(&back)]);
    let on_pg = run(&["--database", &db, "export"]);
    let returned = run(&["--store", &text(&back), "export"]);
    assert!(on_pg == original, "the PostgreSQL export differs from the sled one");
    assert!(returned == original, "the export after the round trip differs");
    // The generated history holds verdicts its evidence undermines, so verify's exit code is 1 on every store;
    // its whole report is the same on both, chain intact.
    let verify = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_followup")).args(args).arg("verify").output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let on_pg = verify(&["--database", &db]);
    assert!(on_pg.contains(&format!("Hash chain intact: {n} events")), "{on_pg}");
    assert_eq!(on_pg, verify(&["--store", &text(&back)]));
    assert_eq!(on_pg, verify(&["--store", &text(&sled)]));
    // Copying again adds nothing; into a store holding another log, it is refused and writes nothing.
    let again = String::from_utf8(run(&["copy", "--from", &text(&sled), "--to", &db])).unwrap();
    assert!(again.starts_with("copied 0 events"), "{again}");
    let other = dir.path().join("other");
    let small = dir.path().join("small.jsonl");
    std::fs::write(&small, run(&["generate", "--reports", "1", "--seed", "9"])).unwrap();
    run(&["--store", &text(&other), "import", &text(&small)]);
    let out = Command::new(env!("CARGO_BIN_EXE_followup"))
        .args(["copy", "--from", &text(&sled), "--to", &text(&other)])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn a_browser_signed_in_on_one_server_process_is_signed_in_on_the_others_until_its_password_changes() {
    let Some(db) = database("shared sessions") else { return };
    case_with_auditor(&db);
    let (a, b) = (Server::start(&db, "127.0.0.1:0"), Server::start(&db, "127.0.0.1:0"));
    let no_redirects: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let body = format!("name=Anna&password={}&next=%2F", PASSWORD.replace(' ', "+"));
    let login = no_redirects
        .post(format!("{}/login", a.base))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(body)
        .unwrap();
    assert_eq!(login.status().as_u16(), 303);
    let cookie = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("followup_session="))
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let page = |server: &Server| {
        no_redirects.get(format!("{}/", server.base)).header("Cookie", &cookie).call().unwrap().status().as_u16()
    };
    assert_eq!(page(&a), 200);
    assert_eq!(page(&b), 200, "the other process knows the session");
    let (code, _, err) = followup(&db, &["user", "add", "Anna", "--role", "auditor"], "another long password\n");
    assert_eq!(code, 0, "{err}");
    assert_eq!(page(&b), 303, "a changed password ends the session everywhere");
    assert_eq!(page(&a), 303);
}

#[test]
fn a_subscription_whose_listening_connection_is_cut_catches_up_without_a_gap_or_a_repeat() {
    let Some(db) = database("listener cut") else { return };
    let base = pg::server().unwrap();
    let application = format!("followup_listen_{}", std::process::id());
    let url = format!("{db}&application_name={application}");
    let store = PgStore::open(&url, true).unwrap();
    let note = |i: usize| -> Pending {
        let line = format!(
            r#"{{"stream":"ra-test-2013-x/1","type":"context_noted","occurred":"2015","source":{{"document":"D","locator":"{i}"}},"data":{{"summary":"note {i}"}}}}"#
        );
        match events::decode(line.as_bytes()).unwrap() {
            events::Line::New(e) => Pending::New(e),
            events::Line::Recorded(_) => unreachable!(),
        }
    };
    let append = |from: usize, to: usize| {
        for i in from..to {
            store.write(&mut std::iter::once(Some(note(i))), None, "tester").expect("append");
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut sub = store.subscribe(1);
    append(0, 5);
    let mut seen = Vec::new();
    rt.block_on(async {
        while seen.len() < 5 {
            let e = tokio::time::timeout(Duration::from_secs(10), sub.next()).await.expect("in time").unwrap();
            seen.push(e.position);
        }
    });
    // Every connection of the store is cut, the listening one among them; what is committed meanwhile comes
    // through once the listener is back.
    let cut = pg::query(
        &base,
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{application}' \
             AND pid <> pg_backend_pid()"
        ),
    );
    assert!(!cut.is_empty(), "connections were cut");
    std::thread::sleep(Duration::from_millis(100));
    // The pool's cut connections fail once; the appends retry as a client would.
    for i in 5..15 {
        let mut tries = 0;
        while store.write(&mut std::iter::once(Some(note(i))), None, "tester").is_err() {
            tries += 1;
            assert!(tries < 20, "the store reconnects");
        }
    }
    rt.block_on(async {
        while seen.len() < 15 {
            let e = tokio::time::timeout(Duration::from_secs(10), sub.next()).await.expect("in time").unwrap();
            seen.push(e.position);
        }
    });
    assert_eq!(seen, (1..=15).collect::<Vec<_>>(), "every event once, in order");
}

#[test]
fn copy_reaches_a_key_value_connection_string_and_its_refusal_names_the_database_without_its_password() {
    let Some(db) = database("copy key value") else { return };
    let base = pg::server().unwrap();
    let schema = pg::schema_name(&format!("copy key value {}", std::process::id()));
    let host = base.split("host=").nth(1).and_then(|h| h.split('&').next()).unwrap().to_owned();
    let keywords = format!("host={host} user=postgres dbname=postgres options='-csearch_path={schema}'");
    let dir = tempfile::tempdir().unwrap();
    let sled = dir.path().join("sled");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_followup"))
            .args(args)
            .env_remove("FOLLOWUP_DATABASE")
            .env_remove("FOLLOWUP_STORE")
            .output()
            .unwrap()
    };
    let sled_dir = sled.display().to_string();
    assert!(run(&["--store", &sled_dir, "import", CASE]).status.success());
    let out = run(&["copy", "--from", &sled_dir, "--to", &keywords]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("copied 79 events"), "{out:?}");
    assert_eq!(export(&db), String::from_utf8(run(&["--store", &sled_dir, "export"]).stdout).unwrap());
    // Onto a database holding another log: refused, nothing written, and the message names the database
    // and its host but never the password in the connection string.
    let other = dir.path().join("other");
    let small = dir.path().join("small.jsonl");
    std::fs::write(&small, run(&["generate", "--reports", "1", "--seed", "9"]).stdout).unwrap();
    assert!(run(&["--store", &other.display().to_string(), "import", &small.display().to_string()]).status.success());
    let with_password = format!("{db}&password=s3cret-word");
    let out = run(&["copy", "--from", &other.display().to_string(), "--to", &with_password]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("nothing was copied to"), "{err}");
    assert!(!err.contains("s3cret-word"), "the password is not shown: {err}");
    assert_eq!(export(&db).lines().count(), 79, "nothing written");
}

#[test]
fn listing_users_of_a_database_without_a_store_creates_no_table() {
    let Some(db) = database("list creates nothing") else { return };
    let base = pg::server().unwrap();
    let schema = pg::schema_name(&format!("list creates nothing {}", std::process::id()));
    for args in [&["user", "list"][..], &["token", "list"], &["status"]] {
        let (code, _, err) = followup(&db, args, "");
        assert_ne!(code, 0, "{args:?} on an empty schema fails");
        assert!(!err.is_empty(), "{args:?} says why");
    }
    let tables =
        pg::query(&base, &format!("SELECT count(*) FROM information_schema.tables WHERE table_schema = '{schema}'"));
    assert_eq!(tables[0][0].as_deref(), Some("0"), "a listing created nothing");
}

#[test]
fn a_report_column_changed_behind_the_store_is_caught_by_verify() {
    let Some(db) = database("report column tamper") else { return };
    let (code, _, err) = followup(&db, &["import", CASE], "");
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = followup(&db, &["verify"], "");
    assert_eq!(code, 0, "{out}");
    pg::run_sql(&db, "UPDATE events SET report = 'another-report' WHERE position = 3");
    let (code, out, err) = followup(&db, &["verify"], "");
    assert_ne!(code, 0, "a tampered index column fails verify: {out}");
    let said = format!("{out}{err}");
    assert!(said.contains("position 3") || said.contains("event 3"), "{said}");
}

#[test]
fn a_database_that_cannot_be_read_gives_503_and_a_sign_in_meanwhile_does_not_count_as_failed() {
    let Some(db) = database("access outage") else { return };
    let token = case_with_auditor(&db);
    let server = Server::start(&db, "127.0.0.1:0");
    let http = agent();
    let status = |t: &str| {
        http.get(format!("{}/api/v1/status", server.base))
            .header("Authorization", format!("Bearer {t}"))
            .call()
            .unwrap()
    };
    assert_eq!(status(&token).status().as_u16(), 200);
    pg::run_sql(&db, "ALTER TABLE access_changes RENAME TO access_changes_away");
    let mut r = status(&token);
    assert_eq!(r.status().as_u16(), 503);
    assert!(r.headers().get("retry-after").is_some());
    let body = r.body_mut().read_to_string().unwrap();
    assert!(!body.contains("access_changes"), "nothing of the database's insides: {body}");
    // Sign-ins during the outage are refused as unavailable, not counted against the name.
    let sign_in = |password: &str| {
        http.post(format!("{}/login", server.base))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(format!("name=Anna&password={}&next=%2F", password.replace(' ', "+")))
            .unwrap()
            .status()
            .as_u16()
    };
    for _ in 0..8 {
        assert_eq!(sign_in(PASSWORD), 503);
    }
    pg::run_sql(&db, "ALTER TABLE access_changes_away RENAME TO access_changes");
    assert_eq!(status(&token).status().as_u16(), 200);
    let no_redirects: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into();
    let r = no_redirects
        .post(format!("{}/login", server.base))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(format!("name=Anna&password={}&next=%2F", PASSWORD.replace(' ', "+")))
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "not throttled by the sign-ins of the outage");
}
