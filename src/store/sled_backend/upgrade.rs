//! The upgrade of a format-1 store (one sled value per event) to format 2, when it is opened.
//!
//! The new store is written beside the old one, from the old one's stored lines in position order, through the
//! same write path as an import of an export (each line kept byte for byte and checked to continue the chain);
//! only once it is complete and synced does it take the old one's place:
//!
//! 1. write `.followup-upgrade-*` beside the store, and sync it;
//! 2. rename the store to `.NAME.format-1` (kept until the new one is in place);
//! 3. rename the new store to NAME, sync the parent directory;
//! 4. remove `.NAME.format-1`.
//!
//! A process killed in step 1 leaves a temporary directory and the old store untouched; killed after step 2,
//! [`finish_interrupted`] puts the old store back (then the upgrade runs again) or, after step 3, removes it.

use std::fs::File;
use std::path::{Path, PathBuf};

use events::RecordedEvent;

use super::{keys, SledStore};
use crate::store::planner::Pending;
use crate::store::{EventStore, OpenError};

/// Where the old store waits while the new one takes its place.
fn kept(dir: &Path) -> PathBuf {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "store".into());
    dir.with_file_name(format!(".{name}.format-1"))
}

fn parent(dir: &Path) -> PathBuf {
    match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Finishes an upgrade a killed process left between its renames: puts the old store back when the new one did
/// not take its place, or removes it when it did.
///
/// # Errors
/// The renames or the removal failing.
pub fn finish_interrupted(dir: &Path) -> std::io::Result<()> {
    let old = kept(dir);
    if !old.join("conf").is_file() {
        return Ok(());
    }
    if SledStore::exists(dir) {
        tracing::info!(path = %old.display(), "removing the format-1 store an upgrade replaced");
        std::fs::remove_dir_all(&old)
    } else {
        tracing::info!(path = %dir.display(), "putting back the format-1 store of an upgrade that did not complete");
        if dir.exists() {
            std::fs::remove_dir(dir)?;
        }
        std::fs::rename(&old, dir)?;
        File::open(parent(dir))?.sync_all()
    }
}

/// Rewrites the format-1 store at `dir` (open as `db`, its tree `tree`) in format 2 and puts it in its place.
///
/// # Errors
/// [`OpenError::Corrupt`] when a stored line does not decode or does not continue the chain (nothing is
/// changed then); storage and IO errors naming the directory. Lines past the head (a write killed before its
/// final batch) are left out, as the format-1 release would have removed them.
pub fn from_format_1(dir: &Path, db: sled::Db, tree: sled::Tree) -> Result<(), OpenError> {
    let path = dir.display().to_string();
    let io = |source: std::io::Error| OpenError::Storage { path: path.clone(), source: source.into() };
    let storage = |e: sled::Error| OpenError::Storage { path: path.clone(), source: e.into() };
    // Lines past the head are a write that did not complete: they are not copied.
    let old_head = tree.get(keys::HEAD).map_err(storage)?.and_then(|v| keys::decode_head(&v)).map_or(0, |h| h.0);
    tracing::warn!(path = %dir.display(), "upgrading the store from format 1 to format 2");
    let tmp = tempfile::Builder::new().prefix(".followup-upgrade-").tempdir_in(parent(dir)).map_err(io)?;
    let new_dir = tmp.path().join("store");
    {
        let new = SledStore::open(&new_dir)?;
        let mut damage = None;
        let range = (old_head > 0).then(|| tree.range(keys::line(1)..=keys::line(old_head)));
        let mut lines = range.into_iter().flatten().map(|kv| match kv {
            Ok((k, line)) => {
                let position = keys::decode_u64(&k[1..]).unwrap_or(0);
                match RecordedEvent::decode(&line) {
                    Ok(e) if e.position == position => Some(Pending::Restored(e, line.to_vec())),
                    Ok(e) => {
                        damage.get_or_insert(format!("the line at position {position} says position {}", e.position));
                        None
                    }
                    Err(e) => {
                        damage.get_or_insert(format!("the line at position {position} does not decode: {e}"));
                        None
                    }
                }
            }
            Err(e) => {
                damage.get_or_insert(format!("sled failed while reading: {e}"));
                None
            }
        });
        let written = new.write(&mut lines, None, "upgrade");
        drop(lines);
        if let Some(reason) = damage {
            return Err(OpenError::Corrupt { path, reason: format!("it cannot be upgraded: {reason}") });
        }
        if let Err(refusals) = written {
            let reason = refusals.first().map(|(_, e)| e.to_string()).unwrap_or_default();
            return Err(OpenError::Corrupt { path, reason: format!("it cannot be upgraded: {reason}") });
        }
        if new.head().position != old_head {
            return Err(OpenError::Corrupt {
                path,
                reason: format!(
                    "it cannot be upgraded: its head is position {old_head}, its lines end at {}",
                    new.head().position
                ),
            });
        }
    }
    drop(tree);
    drop(db);
    // sled lets go of its files a moment after the last handle is dropped.
    std::thread::sleep(std::time::Duration::from_millis(100));
    let old = kept(dir);
    std::fs::rename(dir, &old).map_err(io)?;
    if let Err(e) = std::fs::rename(&new_dir, dir) {
        let _ = std::fs::rename(&old, dir);
        return Err(io(e));
    }
    File::open(parent(dir)).and_then(|f| f.sync_all()).map_err(io)?;
    std::fs::remove_dir_all(&old).map_err(io)?;
    tracing::warn!(path = %dir.display(), "the store is in format 2 now");
    Ok(())
}
