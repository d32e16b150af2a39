//! The report pack in a real browser: headless Chromium opens the case's `index.html`, which must render with no
//! console errors and no request for anything outside the file, show five lanes, and leave a PNG screenshot
//! (`target/tmp/nazorg-report-<lang>.png`) as an artifact.
//!
//! Needs Chromium: `/usr/bin/chromium` (Debian's package, which `.ci/run` installs) or `$FOLLOWUP_CHROMIUM`.
//!
//! The team server in the same browser, driven over WebDriver: an auditor records through the forms while a
//! reader's open page follows live, leaving `target/tmp/server-register.png` and
//! `target/tmp/server-recommendation.png`. Needs ChromeDriver too: `/usr/bin/chromedriver` (Debian's
//! `chromium-driver`) or `$FOLLOWUP_CHROMEDRIVER`.

use std::path::{Path, PathBuf};
use std::process::Command;

const CASE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/nazorg-amsterdam.jsonl");

fn chromium() -> PathBuf {
    let path =
        std::env::var_os("FOLLOWUP_CHROMIUM").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.exists(),
        "{} not found: install Debian's chromium (apt-get install chromium) or set FOLLOWUP_CHROMIUM",
        path.display()
    );
    path
}

/// Runs headless Chromium on `page` with `args`; returns (stdout, stderr).
fn browse(page: &Path, profile: &Path, args: &[&str]) -> (String, String) {
    let out = Command::new(chromium())
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"])
        .args(["--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"])
        .args(["--enable-logging=stderr", "--v=0", "--window-size=1200,1600"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Console messages and failed loads in Chromium's log.
fn page_errors(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| {
            l.contains("CONSOLE")
                || l.contains("Uncaught")
                || l.contains("Failed to load resource")
                || l.contains("net::ERR_")
        })
        .collect()
}

/// The case imported into a fresh store and its report pack written in `lang`, as of 2017-12-31: the temporary
/// directory holding both, and the pack's directory.
fn pack_of_the_case(lang: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let pack = dir.path().join("pack");
    let followup = |args: &[&str]| {
        let status =
            Command::new(env!("CARGO_BIN_EXE_followup")).arg("--store").arg(&store).args(args).status().unwrap();
        assert!(status.success(), "{args:?}");
    };
    followup(&["import", CASE]);
    followup(&["--lang", lang, "report", "--out", pack.to_str().unwrap(), "--as-of", "2017-12-31"]);
    (dir, pack)
}

#[test]
fn the_report_pack_renders_in_a_browser_with_five_lanes_and_no_errors() {
    for (lang, verdict_5) in [("en", "partially implemented"), ("nl", "gedeeltelijk uitgevoerd")] {
        let (dir, pack) = pack_of_the_case(lang);
        let page = pack.join("index.html");
        let html = std::fs::read_to_string(&page).unwrap();
        for outside in ["src=", "<link", "url(", "@import", "<script"] {
            assert!(!html.contains(outside), "{lang}: the page is self-contained, yet holds {outside}");
        }
        let addresses = html.matches("http").count();
        assert_eq!(
            addresses,
            html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count(),
            "{lang}: no address but the SVG namespace"
        );

        let (dom, log) = browse(&page, &dir.path().join("profile-dom"), &["--dump-dom"]);
        assert_eq!(page_errors(&log), Vec::<&str>::new(), "{lang}: console errors or failed loads");
        assert_eq!(dom.matches("<g class=\"lane\"").count(), 5, "{lang}: five lanes");
        for year in 2013..=2017 {
            assert!(dom.contains(&format!(">{year}</text>")), "{lang}: the axis shows {year}");
        }
        let row5 = dom.lines().find(|l| l.contains("<strong>5.</strong>")).unwrap_or_default();
        assert!(row5.contains(verdict_5), "{lang}: recommendation 5 reads {verdict_5}: {row5}");

        let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("nazorg-report-{lang}.png"));
        let _ = std::fs::remove_file(&shot);
        let (_, log) = browse(&page, &dir.path().join("profile-shot"), &[&format!("--screenshot={}", shot.display())]);
        assert_eq!(page_errors(&log), Vec::<&str>::new(), "{lang}: console errors while taking the screenshot");
        let png = std::fs::read(&shot).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
        assert!(png.len() > 50_000, "{lang}: a screenshot of a rendered page, {} bytes", png.len());
        eprintln!("screenshot: {}", shot.display());
    }
}

/// Measures the page as laid out in the browser: every word of two or more letters or digits in a table cell
/// (a `Range` over it has one client rectangle unless it is broken across lines), every date (`.date`: its
/// contents on one line), and the page's width. Written into a `<pre id="measure">` as JSON.
const MEASURE: &str = r#"<script>
(function () {
  var words = 0, broken = [], dates = 0, wrapped = [];
  document.querySelectorAll("td, th").forEach(function (cell) {
    var walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT), node;
    while ((node = walker.nextNode())) {
      var re = /[\p{L}\p{N}]{2,}/gu, m;
      while ((m = re.exec(node.data))) {
        var r = document.createRange();
        r.setStart(node, m.index);
        r.setEnd(node, m.index + m[0].length);
        words++;
        if (r.getClientRects().length > 1) broken.push(m[0]);
      }
    }
  });
  document.querySelectorAll(".date").forEach(function (cell) {
    var r = document.createRange();
    r.selectNodeContents(cell);
    var tops = new Set(Array.from(r.getClientRects()).map(function (x) { return Math.round(x.top); }));
    dates++;
    if (tops.size > 1) wrapped.push(cell.textContent);
  });
  var out = document.createElement("pre");
  out.id = "measure";
  out.textContent = JSON.stringify({ words: words, broken: broken, dates: dates, wrapped: wrapped,
    width: document.documentElement.scrollWidth, viewport: window.innerWidth });
  document.body.appendChild(out);
})();
</script>"#;

#[test]
fn at_800_px_no_word_breaks_across_lines_and_no_date_wraps() {
    for lang in ["en", "nl"] {
        let (dir, pack) = pack_of_the_case(lang);
        // A copy of the page with the measuring script: the pack itself holds no script.
        let html = std::fs::read_to_string(pack.join("index.html")).unwrap();
        let measured = dir.path().join("measured.html");
        std::fs::write(&measured, html.replace("</body>", &format!("{MEASURE}\n</body>"))).unwrap();
        let (dom, log) = browse(&measured, &dir.path().join("profile"), &["--window-size=800,3000", "--dump-dom"]);
        assert_eq!(page_errors(&log), Vec::<&str>::new(), "{lang}: console errors");
        let json = dom.split("<pre id=\"measure\">").nth(1).and_then(|s| s.split("</pre>").next()).unwrap();
        let m: serde_json::Value = serde_json::from_str(&json.replace("&amp;", "&")).unwrap();
        eprintln!("{lang} at 800 px: {m}");
        assert_eq!(m["viewport"], 800, "{lang}: the window is 800 px wide");
        assert!(m["words"].as_u64().unwrap() > 1000, "{lang}: the cells' words are measured");
        assert_eq!(m["broken"], serde_json::json!([]), "{lang}: words broken across lines");
        assert!(m["dates"].as_u64().unwrap() > 80, "{lang}: date cells measured");
        assert_eq!(m["wrapped"], serde_json::json!([]), "{lang}: date cells on more than one line");
        assert!(m["width"].as_u64().unwrap() <= 800, "{lang}: nothing wider than the window: {}", m["width"]);

        let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("nazorg-report-{lang}-800.png"));
        let _ = std::fs::remove_file(&shot);
        browse(
            &pack.join("index.html"),
            &dir.path().join("profile-shot"),
            &["--window-size=800,3000", &format!("--screenshot={}", shot.display())],
        );
        assert!(std::fs::read(&shot).unwrap().len() > 50_000, "{lang}: a screenshot at 800 px");
    }
}

// The team server in a real browser: two WebDriver sessions of Debian's ChromeDriver, an auditor who records
// through the forms and a reader whose open page follows the log live.

/// A child process stopped when dropped (SIGTERM, then SIGKILL after five seconds): the server and ChromeDriver
/// end even when an assertion fails.
struct Stopped(std::process::Child, &'static str);

impl Drop for Stopped {
    fn drop(&mut self) {
        // SAFETY: `kill` only sends a signal to the child this struct owns.
        unsafe {
            libc::kill(self.0.id() as libc::pid_t, libc::SIGTERM);
        }
        let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::time::Instant::now() < until {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        eprintln!("{} did not stop on SIGTERM: killed", self.1);
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The recommendation the test works on, as its page's path names it.
const REC3: &str = "/rec/ra-amsterdam-2013-nazorg%2F3";
/// A password of each user.
const PASSWORD: &str = "correct horse battery staple";
/// What the auditor's action says: markup that must show as text.
const ACTION: &str = "Browser test action <script>alert(1)</script> & \"quoted\"";
/// Why the auditor judges it implemented.
const RATIONALE: &str = "The action of the browser test settles it: <b>implemented</b>.";

/// The case imported into a fresh store with an auditor and a reader, served by the binary on a free port: the
/// temporary directory, the server (stopped when dropped), its address and what it writes to stderr.
fn served_case() -> (tempfile::TempDir, Stopped, String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, Write};
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let followup = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_followup"));
        c.arg("--store").arg(&store);
        c
    };
    assert!(followup().args(["import", CASE]).status().unwrap().success(), "import");
    for (name, role) in [("auditor", "auditor"), ("reader", "reader")] {
        let mut child = followup().args(["user", "add", name, "--role", role]).stdin(Stdio::piped()).spawn().unwrap();
        writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
        assert!(child.wait().unwrap().success(), "user add {name}");
    }
    let mut child = followup()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let server = Stopped(child, "the server");
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let lines = std::sync::Arc::clone(&log);
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(addr) = line.split("on http://").nth(1).and_then(|a| a.split_whitespace().next()) {
                let _ = tx.send(addr.to_owned());
            }
            lines.lock().unwrap().push(line);
        }
    });
    let addr = rx.recv_timeout(std::time::Duration::from_secs(30)).unwrap_or_else(|_| {
        panic!("the server did not say where it serves: {:?}", log.lock().unwrap());
    });
    (dir, server, format!("http://{addr}"), log)
}

/// ChromeDriver on a free port, stopped when dropped, once it accepts connections: it and its address.
fn chromedriver() -> (Stopped, String) {
    let driver = std::env::var_os("FOLLOWUP_CHROMEDRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"));
    assert!(
        driver.exists(),
        "{} not found: install Debian's chromium-driver or set FOLLOWUP_CHROMEDRIVER",
        driver.display()
    );
    let port = free_port();
    let child = Command::new(&driver)
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stopped = Stopped(child, "chromedriver");
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < until, "chromedriver does not listen on {port}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    (stopped, format!("http://127.0.0.1:{port}"))
}

/// A new browser session (its own profile, so its own cookies): headless Chromium, its console logged.
async fn session(driver: &str) -> Result<fantoccini::Client, fantoccini::error::NewSessionError> {
    let caps = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium(),
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,1600"],
        },
        "goog:loggingPrefs": { "browser": "ALL" },
    });
    let serde_json::Value::Object(caps) = caps else { unreachable!() };
    fantoccini::ClientBuilder::native().capabilities(caps).connect(driver).await
}

/// The browser's console messages and failed loads of `c` since they were last read, by ChromeDriver's log
/// endpoint; `None` when they cannot be read.
async fn console(c: &fantoccini::Client, driver: &str) -> Option<Vec<String>> {
    let id = c.session_id().await.ok()??;
    let url = format!("{driver}/session/{id}/se/log");
    let answer = tokio::task::spawn_blocking(move || {
        ureq::post(&url)
            .header("content-type", "application/json")
            .send(r#"{"type":"browser"}"#)
            .ok()
            .and_then(|mut r| r.body_mut().read_to_string().ok())
    })
    .await
    .ok()??;
    let v: serde_json::Value = serde_json::from_str(&answer).ok()?;
    let entries = v["value"].as_array()?;
    Some(
        entries
            .iter()
            .map(|e| format!("{} {}", e["level"].as_str().unwrap_or("?"), e["message"].as_str().unwrap_or("?")))
            .collect(),
    )
}

/// Polls `check` every 50 ms for up to `limit`: how long it took to hold, or `None`.
async fn within<F, Fut>(limit: std::time::Duration, mut check: F) -> Option<std::time::Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = std::time::Instant::now();
    loop {
        if check().await {
            return Some(start.elapsed());
        }
        if start.elapsed() >= limit {
            return None;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Runs `script` in `c`'s page.
async fn js(c: &fantoccini::Client, script: &str) -> serde_json::Value {
    c.execute(script, vec![]).await.unwrap_or_else(|e| panic!("{script}: {e}"))
}

/// `c`'s path (and query) now.
async fn path_of(c: &fantoccini::Client) -> String {
    let url = c.current_url().await.unwrap();
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

/// Waits until `c` shows `path`, loaded; panics with what the page says otherwise.
async fn arrives(c: &fantoccini::Client, path: &str) {
    let arrived = within(std::time::Duration::from_secs(10), || async {
        path_of(c).await == path && js(c, "return document.readyState").await == "complete"
    })
    .await;
    if arrived.is_none() {
        let page = js(c, "return document.title + ': ' + document.body.innerText.slice(0, 600)").await;
        panic!("expected {path}, the browser is at {}: {page}", path_of(c).await);
    }
}

/// Signs `c` in as `name` from the login form, coming back to `next`.
async fn sign_in(c: &fantoccini::Client, base: &str, name: &str, next: &str) {
    use fantoccini::Locator::Css;
    c.goto(&format!("{base}/login?next={}", next.replace('%', "%25"))).await.unwrap();
    c.find(Css("input[name=name]")).await.unwrap().send_keys(name).await.unwrap();
    c.find(Css("input[name=password]")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    c.find(Css("main.login button[type=submit]")).await.unwrap().click().await.unwrap();
    arrives(c, next).await;
}

/// Types `text` into the field named `name` of `c`'s record form.
async fn fill(c: &fantoccini::Client, name: &str, text: &str) {
    let field = c.find(fantoccini::Locator::Css(&format!("form.record [name='{name}']"))).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Submits the auditor's (`a`) record form while watching the reader's (`b`) open page: how long after the click
/// the auditor was back on the recommendation's page, and the reader's timeline showed `shown`.
async fn record_and_watch(
    a: &fantoccini::Client,
    b: &fantoccini::Client,
    shown: &str,
) -> (std::time::Duration, std::time::Duration) {
    let submit = a.find(fantoccini::Locator::Css("form.record button[type=submit]")).await.unwrap();
    let clicked = std::time::Instant::now();
    let back = async {
        submit.click().await.unwrap();
        arrives(a, REC3).await;
        clicked.elapsed()
    };
    let seen = async {
        within(std::time::Duration::from_secs(5), || async {
            let text = js(b, "return document.getElementById('timeline').textContent").await;
            text.as_str().unwrap().contains(shown)
        })
        .await
        .map(|_| clicked.elapsed())
    };
    let (back, seen) = tokio::join!(back, seen);
    let seen = seen.unwrap_or_else(|| panic!("the reader's timeline does not show {shown:?} within 5 s"));
    (back, seen)
}

#[test]
fn an_auditor_records_through_the_forms_and_a_second_session_sees_it_live() {
    let (dir, server, base, server_log) = served_case();
    let (driver_process, driver) = chromedriver();
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(shots).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let outcome = runtime.block_on(async {
        let (a, b) = (session(&driver).await, session(&driver).await);
        let outcome = match (&a, &b) {
            (Ok(a), Ok(b)) => {
                let flow = std::panic::AssertUnwindSafe(the_flow(a, b, &base, &driver, shots));
                futures_util::FutureExt::catch_unwind(flow).await
            }
            (a, b) => {
                let why = format!("no ChromeDriver session: {:?} {:?}", a.as_ref().err(), b.as_ref().err());
                Err(Box::new(why) as Box<dyn std::any::Any + Send>)
            }
        };
        // The sessions end (and their browsers with them) whatever happened.
        for c in [a, b].into_iter().flatten() {
            let _ = c.close().await;
        }
        outcome
    });
    drop(runtime);
    drop(driver_process);
    drop(server);
    if let Err(panic) = outcome {
        eprintln!("the server said:\n{}", server_log.lock().unwrap().join("\n"));
        std::panic::resume_unwind(panic);
    }
    drop(dir);
}

/// The auditor `a` and the reader `b` on the server at `base`, steered through ChromeDriver at `driver`.
async fn the_flow(a: &fantoccini::Client, b: &fantoccini::Client, base: &str, driver: &str, shots: &Path) {
    use fantoccini::Locator::Css;
    use std::time::Duration;

    // The auditor signs in and lands on the register; the reader opens recommendation 3.
    sign_in(a, base, "auditor", "/").await;
    assert_eq!(js(a, "return document.querySelectorAll('#register tbody tr').length").await, 5, "five rows");
    sign_in(b, base, "reader", REC3).await;
    let links = b.find_all(Css("a[href*='/record']")).await.unwrap();
    assert!(links.is_empty(), "a reader's page has no record links: {}", links.len());
    let text = js(b, "return document.body.textContent").await;
    assert!(!text.as_str().unwrap().contains("Record what happened"), "a reader is not offered to record");
    js(b, "window.__noReload = 1; return null").await;
    let rows_before = js(b, "return document.querySelectorAll('#timeline tbody tr').length").await;
    let rows_before = rows_before.as_u64().unwrap();

    // The auditor records an action through its form, from the recommendation's page.
    a.goto(&format!("{base}{REC3}")).await.unwrap();
    a.find(Css("a[href$='/record?type=action_taken']")).await.unwrap().click().await.unwrap();
    arrives(a, &format!("{REC3}/record?type=action_taken")).await;
    fill(a, "occurred", "2018-03").await;
    fill(a, "document", "Browser test memo").await;
    fill(a, "locator", "p. 1").await;
    fill(a, "data.summary", ACTION).await;
    fill(a, "data.amount", "12500").await;
    // The reader's open page shows it, without a reload; as text, on both pages.
    let (back, seen) = record_and_watch(a, b, ACTION).await;
    eprintln!(
        "the action, after the auditor's click: back on the auditor's page in {back:?}, on the reader's in {seen:?}"
    );
    for (who, c) in [("auditor", a), ("reader", b)] {
        assert!(c.get_alert_text().await.is_err(), "no dialog opens for the {who}");
        let scripts = js(c, "return document.querySelectorAll('main script').length").await;
        assert_eq!(scripts, 0, "no script element in the {who}'s page");
        let html = js(c, "return document.getElementById('timeline').innerHTML").await;
        assert!(html.as_str().unwrap().contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "escaped for the {who}");
    }
    let timeline = js(a, "return document.getElementById('timeline').textContent").await;
    assert!(timeline.as_str().unwrap().contains(ACTION), "the action shows as text on the auditor's page");

    // The auditor assesses the recommendation, citing the action as evidence.
    a.find(Css("a[href$='/record?type=status_assessed']")).await.unwrap().click().await.unwrap();
    arrives(a, &format!("{REC3}/record?type=status_assessed")).await;
    fill(a, "occurred", "2018-06-30").await;
    fill(a, "document", "Browser test memo").await;
    fill(a, "locator", "p. 2").await;
    a.find(Css("select[name='data.verdict']")).await.unwrap().select_by_value("implemented").await.unwrap();
    fill(a, "data.as_of", "2018-06").await;
    fill(a, "data.assessor", "Browser test auditor").await;
    fill(a, "data.rationale", RATIONALE).await;
    // The options are in the log's order, labelled by date, kind and summary: the action is the last.
    let options = a.find_all(Css("select[name='data.evidence'] option")).await.unwrap();
    let newest = options.last().expect("events are offered as evidence");
    let label = newest.prop("textContent").await.unwrap().unwrap_or_default();
    eprintln!("the action as an option of the evidence: {label}");
    assert!(label.contains("2018") && label.contains(ACTION), "the action is offered as evidence: {label}");
    let evidence = newest.attr("value").await.unwrap().expect("an option's value is an event id");
    let select = a.find(Css("select[name='data.evidence']")).await.unwrap();
    select.select_by_value(&evidence).await.unwrap();
    let chosen = js(
        a,
        "return Array.from(document.querySelector(\"select[name='data.evidence']\").selectedOptions).map(o => o.value)",
    )
    .await;
    assert_eq!(chosen, serde_json::json!([evidence]), "the action is chosen as evidence");
    let verdict = format!("implemented (as of June 2018){RATIONALE}");
    let (back, seen) = record_and_watch(a, b, &verdict).await;
    eprintln!(
        "the verdict, after the auditor's click: back on the auditor's page in {back:?}, on the reader's in {seen:?}"
    );
    let timeline = js(a, "return document.getElementById('timeline').textContent").await;
    assert!(timeline.as_str().unwrap().contains(&verdict), "the verdict on the auditor's page");
    assert_eq!(js(b, "return window.__noReload").await, 1, "the reader's page was not reloaded");
    let rows_after = js(b, "return document.querySelectorAll('#timeline tbody tr').length").await;
    assert_eq!(rows_after.as_u64().unwrap(), rows_before + 2, "two rows more in the reader's timeline");
    let standing = js(b, "return document.querySelector('#standing .v-implemented') !== null").await;
    assert_eq!(standing, true, "the reader's standing shows the new verdict");
    let links = b.find_all(Css("a[href*='/record']")).await.unwrap();
    assert!(links.is_empty(), "the live parts bring no record links to a reader");
    let shot = shots.join("server-recommendation.png");
    std::fs::write(&shot, b.screenshot().await.unwrap()).unwrap();
    eprintln!("screenshot: {}", shot.display());

    // The register shows the new verdict. Six pages with a live stream lie behind the auditor: the seventh loads
    // at once (a stream left open by each page would take all six connections the browser opens to the server).
    let started = std::time::Instant::now();
    a.goto(&format!("{base}/")).await.unwrap();
    arrives(a, "/").await;
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(5), "the register took {waited:?} to load");
    let row = js(a, "return document.querySelectorAll('#register tbody tr')[2].textContent").await;
    let row = row.as_str().unwrap();
    assert!(row.contains("nazorg 3") && row.contains("implemented") && row.contains("June 2018"), "row 3: {row}");
    let shot = shots.join("server-register.png");
    std::fs::write(&shot, a.screenshot().await.unwrap()).unwrap();
    eprintln!("screenshot: {}", shot.display());

    // No console errors in either browser.
    for (who, c) in [("auditor", a), ("reader", b)] {
        match console(c, driver).await {
            Some(log) => {
                eprintln!("{who}'s console: {log:?}");
                let errors: Vec<&String> = log.iter().filter(|l| l.starts_with("SEVERE")).collect();
                assert!(errors.is_empty(), "{who}'s console errors: {errors:?}");
            }
            None => eprintln!("{who}'s console could not be read"),
        }
    }

    // The reader is refused the record form, by its page and by a post.
    b.goto(&format!("{base}{REC3}/record?type=action_taken")).await.unwrap();
    let status = js(b, "return performance.getEntriesByType('navigation')[0].responseStatus").await;
    assert_eq!(status, 403, "a reader's record form");
    assert_eq!(js(b, "return document.title").await.as_str().unwrap().split(' ').next(), Some("Forbidden"));
    assert!(b.find_all(Css("form.record")).await.unwrap().is_empty(), "no form for a reader");
    let posted = js(
        b,
        "var csrf = document.querySelector(\"form[action='/logout'] input[name=csrf]\").value;\
         return fetch(location.pathname, { method: 'POST', body: new URLSearchParams({ csrf: csrf, \
         type: 'action_taken', occurred: '2018', document: 'd', locator: 'l', 'data.summary': 's' }) })\
         .then(r => r.status)",
    )
    .await;
    assert_eq!(posted, 403, "a reader's post of the record form");

    // The auditor reviews a draft file in the browser: the report and its five recommendations, drafted from the
    // seed's text under a report id of their own. Importing before deciding on each is refused.
    let drafted = Command::new(env!("CARGO_BIN_EXE_followup"))
        .args(["draft", concat!(env!("CARGO_MANIFEST_DIR"), "/examples/nazorg-amsterdam-2017.txt")])
        .args(["--report", "browser-2013-nazorg"])
        .output()
        .unwrap();
    let kept: Vec<&str> = std::str::from_utf8(&drafted.stdout)
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"type\":\"report_published\"") || l.contains("\"type\":\"recommendation_issued\""))
        .collect();
    assert_eq!(kept.len(), 6);
    let file = shots.join("browser-drafts.jsonl");
    std::fs::write(&file, kept.join("\n") + "\n").unwrap();
    a.goto(&format!("{base}/drafts")).await.unwrap();
    arrives(a, "/drafts").await;
    a.find(Css("input[type=file]")).await.unwrap().send_keys(file.to_str().unwrap()).await.unwrap();
    a.find(Css("form.drafts-upload button")).await.unwrap().click().await.unwrap();
    within(Duration::from_secs(10), || async {
        js(a, "return document.querySelectorAll('fieldset.draft').length").await == 6
    })
    .await
    .expect("the six drafts on the review page");
    let quote = js(a, "return document.querySelector('#draft-2 blockquote').textContent").await;
    assert!(quote.as_str().unwrap().starts_with("Zorg voor een centraal overzicht"), "{quote}");
    std::fs::write(shots.join("server-drafts-review.png"), a.screenshot().await.unwrap()).unwrap();
    a.find(Css("form.drafts button[type=submit]")).await.unwrap().click().await.unwrap();
    within(Duration::from_secs(10), || async {
        js(a, "return (document.querySelector('p.error') || {}).textContent || ''")
            .await
            .as_str()
            .unwrap_or("")
            .contains("neither accepted nor dropped")
    })
    .await
    .expect("an undecided review is refused");
    js(a, "document.querySelectorAll('input[value=accept]').forEach(r => r.click()); return null").await;
    a.find(Css("form.drafts button[type=submit]")).await.unwrap().click().await.unwrap();
    within(Duration::from_secs(10), || async {
        js(a, "return (document.querySelector('p.done') || {}).textContent || ''")
            .await
            .as_str()
            .unwrap_or("")
            .contains("6 drafts accepted")
    })
    .await
    .expect("the accepted drafts imported");
    let shot = shots.join("server-drafts.png");
    std::fs::write(&shot, a.screenshot().await.unwrap()).unwrap();
    a.goto(&format!("{base}/?report=browser-2013-nazorg")).await.unwrap();
    arrives(a, "/?report=browser-2013-nazorg").await;
    let rows = js(a, "return document.querySelectorAll('#register tbody tr').length").await;
    assert_eq!(rows, 5, "the drafted report's five recommendations in the register");
}
