//! Replays the Amsterdam case through the library API: import into a temporary store, read the log back
//! through the backend-neutral `EventStore` trait (on tokio's blocking pool, as async code must) and a catch-up
//! subscription, and fold status and timeline.
//!
//! Run: `cargo run --example nazorg`

use followup::{EventStore, Location};
use projections::{StatusFold, TimelineFilter, TimelineFold, Window};

const CASE: &str = include_str!("nazorg-amsterdam.jsonl");

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = followup::open(&Location::Dir(dir.path().join("store")))?.store;
    let report = followup::import(&*store, CASE.as_bytes(), "example", |_| {})?;
    println!("imported {} events, log head {}", report.appended, report.head.hash);

    // Fold the status from pages of the log read through the trait.
    let mut status = StatusFold::new();
    let mut from = 1;
    loop {
        let reader = store.clone();
        let page = tokio::task::spawn_blocking(move || reader.read_range(from, 32)).await??;
        let Some(last) = page.last() else { break };
        from = last.position + 1;
        for e in &page {
            status.apply(e);
        }
    }
    for r in status.snapshot(Window::default()).recommendations {
        let verdict = r.verdict.map_or("not assessed", |v| v.code());
        let as_of = r.verdict_as_of.as_ref().map_or("", |d| d.as_str());
        println!("{} {:?}: {verdict} as of {as_of}", r.id, r.stance);
    }

    // The same log through a subscription: every stored event once, in position order.
    let mut subscription = store.subscribe(1);
    let mut timeline = TimelineFold::new();
    while subscription.next_position() <= store.head().position {
        timeline.apply(&*subscription.next().await?);
    }
    let timeline = timeline.snapshot(Window::default(), &TimelineFilter::default()).entries(|p| store.event(p))?;
    let (first, last) = (&timeline.entries[0], &timeline.entries[timeline.entries.len() - 1]);
    println!("timeline: {} entries from {} to {}", timeline.entries.len(), first.occurred, last.occurred);
    Ok(())
}
