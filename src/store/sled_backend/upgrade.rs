//! The upgrade of a format-1 store (one sled value per event) to format 2, in place, when it is opened.
//!
//! The store stays open, and so locked, throughout: no other process sees it half done, and nothing but its sled
//! tree changes (its directory, files, permissions and owner stay as they are).
//!
//! 1. A write the format-1 release left uncommitted is removed (lines past the head, with the index entries that
//!    point at them), as that release would have; what an earlier, killed upgrade wrote is removed too.
//! 2. The lines up to the head, byte for byte, are written as commit records, and their ids as id segments, in
//!    batches, while the format record still says 1: a process killed here leaves a format-1 store whose extra keys
//!    no format-1 reader looks at, and the next open starts again. Format 1's stream entries (one position per
//!    version) are already format-2 stream segments, and its stream versions stay as they are.
//! 3. One batch sets the format to 2 and a leftovers marker.
//! 4. Format 1's line and id keys are removed in batches; then the marker. A process killed here leaves a format-2
//!    store (whose readers skip those keys) that the next open finishes cleaning.

use events::{EventId, RecordedEvent};

use super::keys;
use crate::store::OpenError;

/// How many lines a batch of the upgrade holds.
const BATCH: usize = 8192;

/// Upgrades the format-1 store in `tree` (at `path`, for messages) to format 2.
///
/// # Errors
/// [`OpenError::Storage`] when sled fails; the store is then still format 1, or format 2 with leftovers, either
/// of which the next open takes up again.
pub fn from_format_1(tree: &sled::Tree, path: &str) -> Result<(), OpenError> {
    let storage = |e: sled::Error| OpenError::Storage { path: path.to_owned(), source: e.into() };
    tracing::warn!(path, "upgrading the store from format 1 to format 2");
    let head = tree.get(keys::HEAD).map_err(storage)?.and_then(|v| keys::decode_head(&v)).map_or(0, |h| h.0);
    remove_format_1_uncommitted(tree, head).map_err(storage)?;
    // What a killed upgrade wrote: commit records and id segments (format 1's id keys are longer).
    let mut batch = sled::Batch::default();
    for kv in tree.scan_prefix(b"C") {
        batch.remove(kv.map_err(storage)?.0);
    }
    for kv in tree.scan_prefix(b"I") {
        let (k, _) = kv.map_err(storage)?;
        if k.len() == keys::ID_SEGMENT_KEY {
            batch.remove(k);
        }
    }
    tree.apply_batch(batch).map_err(storage)?;

    let mut ids: Vec<(EventId, u64)> = Vec::new();
    let mut lines: Vec<(u64, sled::IVec)> = Vec::with_capacity(BATCH);
    let range = (head > 0).then(|| tree.range(keys::line(1)..=keys::line(head)));
    let put = |lines: &mut Vec<(u64, sled::IVec)>| -> Result<(), sled::Error> {
        let mut batch = sled::Batch::default();
        let bytes: Vec<&[u8]> = lines.iter().map(|(_, l)| l.as_ref()).collect();
        super::put_records(&mut batch, lines.first().map_or(1, |(p, _)| *p), &bytes);
        lines.clear();
        tree.apply_batch(batch)
    };
    let mut expected = 1;
    for kv in range.into_iter().flatten() {
        let (k, line) = kv.map_err(storage)?;
        let position = keys::decode_u64(&k[1..]).unwrap_or(0);
        if position != expected {
            // A line missing under the store: the records keep the gap, which verify then names.
            put(&mut lines).map_err(storage)?;
        }
        expected = position + 1;
        // A line that does not decode is kept as it is (verify names it); it has no id to index.
        if let Ok(e) = RecordedEvent::decode(&line) {
            ids.push((e.id, position));
        }
        lines.push((position, line));
        if lines.len() == BATCH {
            put(&mut lines).map_err(storage)?;
        }
    }
    put(&mut lines).map_err(storage)?;
    // The id index is empty here (cleared above), so this writes each bucket's segments afresh.
    let mut batch = sled::Batch::default();
    super::put_ids(tree, &mut batch, ids).map_err(storage)?;
    tree.apply_batch(batch).map_err(storage)?;

    let mut batch = sled::Batch::default();
    batch.insert(keys::FORMAT, &keys::FORMAT_VERSION.to_be_bytes());
    batch.insert(keys::LEFTOVERS, &[]);
    tree.apply_batch(batch).map_err(storage)?;
    remove_leftovers(tree).map_err(storage)?;
    tree.flush().map_err(storage)?;
    tracing::warn!(path, "the store is in format 2 now");
    Ok(())
}

/// Removes format 1's line and id keys from a store upgraded to format 2, then the marker that says some remain.
///
/// # Errors
/// sled failing; the marker stays, and the next open tries again.
pub fn remove_leftovers(tree: &sled::Tree) -> Result<(), sled::Error> {
    let mut batch = sled::Batch::default();
    let mut n = 0;
    let old_ids =
        tree.scan_prefix(b"I").filter(|kv| kv.as_ref().map_or(true, |(k, _)| k.len() != keys::ID_SEGMENT_KEY));
    for kv in tree.scan_prefix(b"L").chain(old_ids) {
        batch.remove(kv?.0);
        n += 1;
        if n % BATCH == 0 {
            tree.apply_batch(std::mem::take(&mut batch))?;
        }
    }
    batch.remove(keys::LEFTOVERS);
    tree.apply_batch(batch)
}

/// Removes what a format-1 write killed before its final batch left past `head`: its lines, and the id and stream
/// entries that point at them (the format-1 release did this on open).
fn remove_format_1_uncommitted(tree: &sled::Tree, head: u64) -> Result<(), sled::Error> {
    if !tree.contains_key(keys::UNCOMMITTED)? {
        return Ok(());
    }
    let mut batch = sled::Batch::default();
    for kv in tree.range(keys::line(head + 1)..=keys::line(u64::MAX)) {
        let (k, line) = kv?;
        let position = keys::decode_u64(&k[1..]).unwrap_or(0);
        if let Ok(e) = RecordedEvent::decode(&line) {
            let points_here = |v: Option<sled::IVec>| v.and_then(|v| keys::decode_u64(&v)) == Some(position);
            let mut id = vec![b'I'];
            id.extend_from_slice(e.id.as_bytes());
            if points_here(tree.get(&id)?) {
                batch.remove(id);
            }
            let sv = keys::stream_version(e.stream.as_str(), e.version);
            if points_here(tree.get(&sv)?) {
                batch.remove(sv);
            }
        }
        batch.remove(k);
    }
    batch.remove(keys::UNCOMMITTED);
    tree.apply_batch(batch)
}
