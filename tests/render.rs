//! The case written for people and spreadsheets: Markdown, CSV and HTML snapshots, Dutch labels, the summary's
//! rates, CSV that re-imports to the same events, and text from the log that stays text.

use std::sync::Arc;

use events::{RecordedEvent, Timestamp};
use expect_test::expect_file;
use followup::render::{self, Lang};
use followup::{EventStore, SledStore};
use projections::{Status, Timeline, TimelineFilter, Window};

const CASE: &str = include_str!("../examples/nazorg-amsterdam.jsonl");

fn fixed_clock() -> Arc<dyn Fn() -> Timestamp + Send + Sync> {
    let now: Timestamp = "2024-03-01T09:30:00Z".parse().unwrap();
    Arc::new(move || now)
}

fn store_of(text: &str) -> (tempfile::TempDir, SledStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open_with_clock(dir.path(), fixed_clock()).unwrap();
    followup::import(&store, text.as_bytes(), "render test", |_| {}).unwrap();
    (dir, store)
}

fn events(store: &SledStore) -> Vec<RecordedEvent> {
    store.events(1).collect::<Result<_, _>>().unwrap()
}

fn case() -> (Vec<RecordedEvent>, Status, Timeline) {
    let (_dir, store) = store_of(CASE);
    let events = events(&store);
    // The status as every front end gets it: each verdict judged by verification.
    let status = followup::app::status(&store, Window::default(), None, None).unwrap();
    let timeline = projections::timeline(&events, Window::default(), TimelineFilter::default());
    (events, status, timeline)
}

#[test]
fn markdown_snapshots() {
    let (_, status, timeline) = case();
    expect_file!["snapshots/status.en.md"].assert_eq(&render::markdown::status(&status, Lang::En));
    expect_file!["snapshots/timeline.nl.md"].assert_eq(&render::markdown::timeline(&timeline, &status, Lang::Nl));
}

#[test]
fn csv_snapshots() {
    let (_, status, timeline) = case();
    // Records end in CRLF (RFC 4180); the snapshot files hold them as LF, as git keeps text.
    let status_csv = render::csv::status(&status, Lang::En, false);
    let timeline_csv = render::csv::timeline(&timeline, Lang::En, false);
    assert!(status_csv.ends_with("\r\n") && timeline_csv.ends_with("\r\n"));
    expect_file!["snapshots/status.en.csv"].assert_eq(&status_csv.replace("\r\n", "\n"));
    expect_file!["snapshots/timeline.en.csv"].assert_eq(&timeline_csv.replace("\r\n", "\n"));
}

#[test]
fn html_snapshot() {
    let (_, status, timeline) = case();
    let summary = projections::summary(&status, "2017-12-31".parse().unwrap());
    let page = render::html::report_page(
        &status,
        &timeline,
        &summary,
        Lang::En,
        "Nazorg aan gedetineerden",
        "State of the log as of 2017-12-31.",
    );
    expect_file!["snapshots/report.en.html"].assert_eq(&page);
}

#[test]
fn the_case_summary_is_3_of_5_implemented_and_4_of_5_implemented_or_partially() {
    let (_, status, _) = case();
    let s = projections::summary(&status, "2017-12-31".parse().unwrap()).overall;
    assert_eq!((s.assessed, s.implemented, s.implemented_or_partially), (5, 3, 4));
    assert_eq!((s.implementation_rate, s.implemented_or_partially_rate), (Some(0.6), Some(0.8)));
    assert_eq!(render::html::rate(s.implemented, s.assessed), "3/5 (60%)");
    assert_eq!(render::html::rate(s.implemented_or_partially, s.assessed), "4/5 (80%)");
}

#[test]
fn dutch_labels_name_recommendation_5_gedeeltelijk_uitgevoerd() {
    let (_, status, timeline) = case();
    let html = render::html::status_table(&status, Lang::Nl);
    let row5 = html.lines().find(|l| l.contains("<strong>5.</strong>")).unwrap();
    assert!(row5.contains("gedeeltelijk uitgevoerd"), "{row5}");
    assert!(row5.contains("november 2017"), "{row5}");
    let md = render::markdown::timeline(&timeline, &status, Lang::Nl);
    assert!(md.contains("| 4 juli 2013 | motie: aangenomen met algemene stemmen |"), "the motion in Dutch");
    assert!(md.contains("## Aanbeveling 5:"));
}

#[test]
fn the_chart_has_a_lane_per_recommendation_across_2013_to_2017() {
    let (_, status, timeline) = case();
    let svg = render::html::chart(&status, &timeline, Lang::En);
    assert_eq!(svg.matches("<g class=\"lane\"").count(), 5);
    for year in 2013..=2017 {
        assert!(svg.contains(&format!(">{year}</text>")), "{year}");
    }
    assert!(!svg.contains(">2012</text>") && !svg.contains(">2018</text>"));
    // A year-precision event is a bar across its year with its shape in the middle, not a point.
    assert!(
        mark_groups(&svg).iter().any(|m| m.starts_with("k-action_taken\"") && m.contains("<rect class=\"span\"")),
        "an action of year precision is drawn as a bar"
    );
    assert_eq!(svg.matches("class=\"verdict-band").count(), 5);
}

#[test]
fn the_case_csv_keeps_accents_and_re_imports_to_the_same_events() {
    let (original, _, timeline) = case();
    // English CSV is comma-separated; Dutch CSV semicolon-separated, as spreadsheets in a comma-decimal locale
    // read and save it; and an English file saved again by such a spreadsheet has semicolons too.
    for (lang, bom, resaved) in [(Lang::Nl, true, false), (Lang::En, false, false), (Lang::En, true, true)] {
        let mut csv = render::csv::timeline(&timeline, lang, bom);
        assert_eq!(csv.starts_with('\u{feff}'), bom);
        assert!(csv.contains("Justitiële") && csv.contains("één"), "accented characters intact");
        let header = csv.trim_start_matches('\u{feff}').lines().next().unwrap();
        assert_eq!(header.starts_with("position;event_id;stream;"), lang == Lang::Nl, "{header}");
        if resaved {
            let mut r = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
            let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(Vec::new());
            w.write_record(r.headers().unwrap()).unwrap();
            for rec in r.records() {
                w.write_record(&rec.unwrap()).unwrap();
            }
            csv = String::from_utf8(w.into_inner().unwrap()).unwrap();
        }
        let pending = followup::read_csv(csv.as_bytes()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let copy = SledStore::open(dir.path()).unwrap();
        followup::import_events(&copy, pending, "csv").unwrap();
        let reread = events(&copy);
        let key = |e: &RecordedEvent| (e.id, e.content_bytes());
        let mut a: Vec<_> = original.iter().map(key).collect();
        let mut b: Vec<_> = reread.iter().map(key).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "the same events");
        // And into the store that holds them already, it adds nothing.
        let again = followup::read_csv(csv.as_bytes()).unwrap();
        assert_eq!(followup::import_events(&copy, again, "csv").unwrap().appended, 0);
    }
}

#[test]
fn a_csv_missing_a_column_or_with_a_bad_row_is_refused_naming_it() {
    let missing = "stream,type,occurred,document,locator\nr,context_noted,2015,D,L\n";
    let err = followup::read_csv(missing.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("invalid line"), "{err}");
    match err {
        followup::ImportError::Invalid(p) => assert_eq!(p[0].message, "the header row lacks the column data"),
        other => panic!("{other}"),
    }
    let bad = "stream,type,occurred,document,locator,data\nr,context_noted,2015,D,L,\"{\"\"summary\"\":\"\"ok\"\"}\"\nr,context_noted,2015-02-30,D,L,\"{\"\"summary\"\":\"\"x\"\"}\"\n";
    match followup::read_csv(bad.as_bytes()).unwrap_err() {
        followup::ImportError::Invalid(p) => {
            assert_eq!(p.len(), 1);
            assert_eq!(p[0].line, 3);
            assert!(p[0].message.contains("field `occurred`"), "{}", p[0].message);
        }
        other => panic!("{other}"),
    }
}

#[test]
fn text_from_the_log_stays_text_in_every_format() {
    let evil = r#"{"stream":"x-2020","type":"report_published","occurred":"2020","source":{"document":"<b>doc</b>","locator":"| 1 |"},"data":{"title":"<script>alert(1)</script>","auditor":"A & B","summary":"=HYPERLINK(\"http://x\")"}}
{"stream":"x-2020/1","type":"recommendation_issued","occurred":"2020","source":{"document":"D","locator":"L"},"data":{"number":1,"text":"<img src=x onerror=alert(1)>"}}
{"stream":"x-2020/1","type":"context_noted","occurred":"2020","source":{"document":"D","locator":"L"},"data":{"summary":"=HYPERLINK(\"http://x\")"}}"#;
    let (_dir, store) = store_of(evil);
    let events = events(&store);
    let status = projections::status(&events, Window::default());
    let timeline = projections::timeline(&events, Window::default(), TimelineFilter::default());
    let summary = projections::summary(&status, "2021-01-01".parse().unwrap());
    let html = render::html::report_page(&status, &timeline, &summary, Lang::En, "<script>t</script>", "g");
    assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("<b>"), "no markup from the log");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let md = render::markdown::timeline(&timeline, &status, Lang::En);
    assert!(md.contains("\\| 1 \\|") && md.contains("&lt;img"), "{md}");
    let csv = render::csv::timeline(&timeline, Lang::En, false);
    assert!(csv.contains("\"'=HYPERLINK("), "a formula is neutralised: {csv}");
}

// ---------------------------------------------------------------------------------------------------------------
// Regressions found by trying to break the presentation.
// ---------------------------------------------------------------------------------------------------------------

/// A log whose references point at events dated later (an action dated 2016 keeping a commitment of June 2016;
/// a 2017 verdict citing evidence of March 2017), and a retraction.
const OUT_OF_DATE_ORDER: &str = r#"{"stream":"o-2015","type":"report_published","occurred":"2015","source":{"document":"D","locator":"L"},"data":{"title":"T","auditor":"A","summary":"S"}}
{"stream":"o-2015/1","type":"recommendation_issued","occurred":"2015","source":{"document":"D","locator":"L"},"data":{"number":1,"text":"Do it"}}
{"id":"00000000-0000-5000-8000-0000000000c1","stream":"o-2015/1","type":"commitment_made","occurred":"2016-06","source":{"document":"D","locator":"L"},"data":{"summary":"will"}}
{"id":"00000000-0000-5000-8000-0000000000a1","stream":"o-2015/1","type":"action_taken","occurred":"2016","source":{"document":"D","locator":"L"},"data":{"summary":"did","fulfils":["00000000-0000-5000-8000-0000000000c1"]}}
{"id":"00000000-0000-5000-8000-0000000000a2","stream":"o-2015/1","type":"action_taken","occurred":"2016-03","source":{"document":"D","locator":"L"},"data":{"summary":"more"}}
{"stream":"o-2015/1","type":"status_assessed","occurred":"2017","source":{"document":"D","locator":"L"},"data":{"verdict":"implemented","as_of":"2017","assessor":"A","rationale":"R","evidence":["00000000-0000-5000-8000-0000000000a1","00000000-0000-5000-8000-0000000000a2"]}}
{"id":"00000000-0000-5000-8000-0000000000a3","stream":"o-2015/1","type":"action_taken","occurred":"2017","source":{"document":"D","locator":"L"},"data":{"summary":"wrong"}}
{"stream":"o-2015/1","type":"event_retracted","occurred":"2018","source":{"document":"D","locator":"L"},"data":{"target":"00000000-0000-5000-8000-0000000000a3","reason":"wrong"}}"#;

fn ids_and_content(events: &[RecordedEvent]) -> Vec<(events::EventId, Vec<u8>)> {
    let mut v: Vec<_> = events.iter().map(|e| (e.id, e.content_bytes())).collect();
    v.sort();
    v
}

#[test]
fn a_timeline_csv_imports_in_position_order_even_when_dates_say_otherwise() {
    let (_dir, store) = store_of(OUT_OF_DATE_ORDER);
    let events = events(&store);
    let timeline = projections::timeline(&events, Window::default(), TimelineFilter::default());
    // The timeline leaves out the retracted action but keeps its retraction, whose target is then missing: without
    // the retraction, the rest comes back in an order the store accepts.
    let kept: Vec<RecordedEvent> = events
        .iter()
        .filter(|e| e.body.event_type() != events::EventType::EventRetracted && e.body.summary() != "wrong")
        .cloned()
        .collect();
    let shown = projections::timeline(&kept, Window::default(), TimelineFilter::default());
    assert_ne!(
        shown.entries.iter().map(|e| e.position).collect::<Vec<_>>(),
        (1..=6).collect::<Vec<u64>>(),
        "dates reorder the rows"
    );
    let (_copy_dir, copy) = store_of_csv(&render::csv::timeline(&shown, Lang::En, true));
    assert_eq!(ids_and_content(&self::events(&copy.unwrap())), ids_and_content(&kept));
    let (_d, with_retraction) = store_of_csv(&render::csv::timeline(&timeline, Lang::En, true));
    assert!(with_retraction.is_err(), "a retraction without its target is refused");
}

fn store_of_csv(csv: &str) -> (tempfile::TempDir, Result<SledStore, followup::ImportError>) {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let result = followup::read_csv(csv.as_bytes()).and_then(|p| followup::import_events(&store, p, "csv").map(|_| ()));
    (dir, result.map(|()| store))
}

#[test]
fn the_log_as_csv_re_imports_to_the_same_events_retractions_and_all() {
    let (_dir, store) = store_of(OUT_OF_DATE_ORDER);
    let events = events(&store);
    let csv = render::csv::log(&events, Lang::Nl, true);
    let (_copy_dir, copy) = store_of_csv(&csv);
    let copy = copy.unwrap();
    assert_eq!(ids_and_content(&self::events(&copy)), ids_and_content(&events));
}

#[test]
fn words_wrap_whole_dates_not_at_all_and_several_reports_are_told_apart() {
    let (_dir, store) = store_of(&format!("{CASE}\n{OUT_OF_DATE_ORDER}"));
    let events = events(&store);
    let status = projections::status(&events, Window::default());
    let timeline = projections::timeline(&events, Window::default(), TimelineFilter::default());
    let summary = projections::summary(&status, "2020-01-01".parse().unwrap());
    let page = render::html::report_page(&status, &timeline, &summary, Lang::En, "t", "g");
    // Words wrap whole: a cell breaks between words (and at hyphens), never inside one; dates do not wrap.
    assert!(page.contains("th, td, h1, h2, h3 { overflow-wrap: break-word; word-break: normal; hyphens: manual; }"));
    assert!(!page.contains("td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--rule); overflow-wrap: anywhere"));
    assert!(
        page.contains(".date { white-space: nowrap;")
            && page.contains("<span class=\"date muted\">as of November 2017</span>")
    );
    assert!(
        page.contains(">o-2015/1</tspan>") && page.contains(">ra-amsterdam-2013-nazorg/1</tspan>"),
        "lanes name their report"
    );
    let ids: Vec<&str> = page.match_indices("id=\"rec-").map(|(i, _)| page[i..].split('"').nth(1).unwrap()).collect();
    let unique: std::collections::HashSet<&&str> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "element ids are unique: {ids:?}");
    assert!(page.contains("<th colspan=\"5\">Report T (A, 2015)</th>"), "the status table groups by report, named");
}

#[test]
fn sections_of_many_reports_hold_each_recommendations_entries_and_each_reports_own_in_order() {
    let lines: Vec<String> =
        followup::generate(followup::GenerateOptions { reports: 30, seed: 4 }).map(|e| e.to_line()).collect();
    let (_dir, store) = store_of(&lines.join("\n"));
    let events = events(&store);
    let status = projections::status(&events, Window::default());
    let timeline = projections::timeline(&events, Window::default(), TimelineFilter::default());
    let sections = render::sections(&timeline, &status);
    let positions = |entries: &[&projections::TimelineEntry]| entries.iter().map(|e| e.position).collect::<Vec<_>>();
    // Every recommendation once, with what its own definition selects, in timeline order.
    let mut recommendations = 0;
    for s in &sections {
        let expected: Vec<&projections::TimelineEntry> = timeline
            .entries
            .iter()
            .filter(|e| {
                e.stream.report() == s.report
                    && match (s.recommendation, e.stream.recommendation()) {
                        (None, own) => own.is_none(),
                        (Some(r), Some(n)) => n == r.number,
                        (Some(r), None) => e.recommendations.contains(&r.number),
                    }
            })
            .collect();
        assert_eq!(
            positions(&s.entries),
            positions(&expected),
            "{} {:?}",
            s.report,
            s.recommendation.map(|r| r.number)
        );
        recommendations += usize::from(s.recommendation.is_some());
    }
    assert_eq!(recommendations, status.recommendations.len());
    assert!(sections.iter().filter(|s| s.recommendation.is_none()).count() >= 30, "each report's own entries");
}

// ---------------------------------------------------------------------------------------------------------------
// The chart: report-level events once, thinned years, a key that reads in black and white.
// ---------------------------------------------------------------------------------------------------------------

/// Each mark of a chart: what follows its `<g class="mark ` up to its `</g>`.
fn mark_groups(svg: &str) -> Vec<&str> {
    svg.split("<g class=\"mark ").skip(1).map(|m| m.split("</g>").next().unwrap()).collect()
}

/// The marks of a chart that draw event `id`.
fn marks_of<'a>(svg: &'a str, id: &str) -> Vec<&'a str> {
    mark_groups(svg).into_iter().filter(|m| m.contains(&format!("data-event=\"{id}\""))).collect()
}

#[test]
fn a_report_level_event_is_drawn_once_in_the_report_s_lane_not_in_each_recommendation_s() {
    let (events, status, timeline) = case();
    let svg = render::html::chart(&status, &timeline, Lang::En);
    assert_eq!(svg.matches("<g class=\"report-lane\"").count(), 1, "a lane of its own for the report");
    assert_eq!(svg.matches("<g class=\"lane\"").count(), 5);
    let report_level = |t: &str| {
        events.iter().find(|e| e.stream.recommendation().is_none() && e.body.event_type().code() == t).unwrap()
    };
    // The council's motion concerns all five recommendations; the auditor's comment names recommendation 2.
    let motion = report_level("council_motion_voted");
    let marks = marks_of(&svg, &motion.id.to_string());
    assert_eq!(marks.len(), 1, "the motion once: {marks:?}");
    assert!(marks[0].contains("Recommendations: all"), "its title says whom it concerns");
    let comment = report_level("auditor_commented");
    let marks = marks_of(&svg, &comment.id.to_string());
    assert_eq!(marks.len(), 1);
    assert!(marks[0].contains("Recommendations: 2"), "{}", marks[0]);
    // Every report-level entry of the drawn years once, and the report lane holds exactly those.
    let report_lane =
        svg.split("<g class=\"report-lane\"").nth(1).unwrap().split("</g>\n<g class=\"lane\"").next().unwrap();
    let drawn =
        timeline.entries.iter().filter(|e| e.stream.recommendation().is_none() && e.occurred.end().year() >= 2013);
    for e in drawn {
        assert_eq!(marks_of(&svg, &e.event_id.to_string()).len(), 1, "{} once", e.event_id);
        assert!(report_lane.contains(&e.event_id.to_string()), "{} in the report's lane", e.event_id);
    }
    // A recommendation's own entries stay in its lane.
    let lane_4 = svg
        .split("data-recommendation=\"ra-amsterdam-2013-nazorg/4\"")
        .nth(1)
        .unwrap()
        .split("\n<g class=\"lane\"")
        .next()
        .unwrap();
    assert!(!lane_4.contains(&motion.id.to_string()));
    assert!(lane_4.contains("k-commitment_made"));
}

/// A report of 1989 with its last action in 2023: 35 years on the axis.
const THIRTY_FIVE_YEARS: &str = r#"{"stream":"long-1989","type":"report_published","occurred":"1989-11","source":{"document":"D","locator":"L"},"data":{"title":"T","auditor":"A","summary":"S"}}
{"stream":"long-1989/1","type":"recommendation_issued","occurred":"1989-11","source":{"document":"D","locator":"L"},"data":{"number":1,"text":"Keep at it"}}
{"stream":"long-1989/1","type":"action_taken","occurred":"2001","source":{"document":"D","locator":"L"},"data":{"summary":"started"}}
{"stream":"long-1989","type":"context_noted","occurred":"2010-06-01","source":{"document":"D","locator":"L"},"data":{"summary":"a new law"}}
{"stream":"long-1989/1","type":"action_taken","occurred":"2023-03","source":{"document":"D","locator":"L"},"data":{"summary":"finished"}}"#;

fn year_labels(svg: &str) -> Vec<i32> {
    svg.lines()
        .filter(|l| l.starts_with("<text class=\"year\""))
        .map(|l| l.split('>').nth(1).unwrap().trim_end_matches("</text").parse().unwrap())
        .collect()
}

#[test]
fn year_labels_over_1989_to_2023_are_thinned_to_every_second_year() {
    let (_dir, store) = store_of(THIRTY_FIVE_YEARS);
    let events = events(&store);
    let status = projections::status(&events, Window::default());
    let timeline = projections::timeline(&events, Window::default(), TimelineFilter::default());
    let svg = render::html::chart(&status, &timeline, Lang::En);
    assert_eq!(year_labels(&svg), (1990..=2022).step_by(2).collect::<Vec<_>>());
    // A rule at every 1 January still: 35 years and the end.
    assert_eq!(svg.matches("<line ").count(), 36);
    // The case's five years keep a label each.
    let (_, status, timeline) = case();
    assert_eq!(year_labels(&render::html::chart(&status, &timeline, Lang::En)), (2013..=2017).collect::<Vec<_>>());
    // Longer spans: every 5th or 10th year on the chart's 788 units.
    let steps: Vec<i16> = [5, 20, 35, 60, 100, 200].map(|y| render::html::year_step(y, 788.0)).to_vec();
    assert_eq!(steps, [1, 1, 2, 5, 5, 10]);
}

#[test]
fn the_chart_reads_in_black_and_white_shapes_in_a_key_and_verdicts_in_words() {
    let (_, status, timeline) = case();
    let html = render::html::chart(&status, &timeline, Lang::En);
    // The key: a shape per kind group, drawn in inline SVG so it prints (backgrounds often do not).
    let key = html.split("<figcaption>").nth(1).unwrap();
    assert_eq!(key.matches("<svg class=\"key\"").count(), 7 + 6, "seven shapes and six verdict colours");
    for shape in ["<circle", "<rect", "<path d=\"M0.0 -5.0L5.0 4.0"] {
        assert!(key.contains(shape), "{shape}");
    }
    assert!(key.contains("committee, council decision, motion</span>"));
    // Each lane names its current verdict in words.
    let named: Vec<&str> = html
        .lines()
        .filter(|l| l.starts_with("<text class=\"lane-verdict\""))
        .map(|l| l.split('>').nth(1).unwrap().trim_end_matches("</text"))
        .collect();
    assert_eq!(
        named,
        ["not implemented", "implemented", "implemented", "implemented", "partially implemented"],
        "each lane names its current verdict"
    );
    // Every mark carries its kind's shape.
    let marks = mark_groups(&html);
    assert!(marks.len() > 60, "{} marks", marks.len());
    for m in &marks {
        assert!(["<circle", "<path", "<rect x="].iter().any(|s| m.contains(s)), "a shape in {m}");
    }
    // Printing keeps the colours where the printer has them.
    let page = render::html::page(Lang::En, "t", &html);
    assert!(page.contains("print-color-adjust: exact"));
    // In Dutch, too.
    let nl = render::html::chart(&status, &timeline, Lang::Nl);
    assert!(
        nl.contains(">gedeeltelijk uitgevoerd</text>") && nl.contains("<tspan font-weight=\"600\">Rapport</tspan>")
    );
    assert!(nl.contains("raadscommissie, besluit gemeenteraad, motie</span>"));
    assert!(nl.contains("Elke soort gebeurtenis heeft een eigen vorm"));
    assert!(nl.contains("Aanbevelingen: alle"));
}
