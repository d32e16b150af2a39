//! The report pack in a real browser: headless Chromium opens the case's `index.html`, which must render with no
//! console errors and no request for anything outside the file, show five lanes, and leave a PNG screenshot
//! (`target/tmp/nazorg-report-<lang>.png`) as an artifact.
//!
//! Needs Chromium: `/usr/bin/chromium` (Debian's package, which `.ci/run` installs) or `$FOLLOWUP_CHROMIUM`.

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
