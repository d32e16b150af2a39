//! What sled's `flush()` costs alone, and with the `fdatasync` that makes an append durable.
//!
//! sled 0.34's `flush()` ends in `sync_file_range(2)`, which writes the pages but neither the file's metadata
//! nor the disk's volatile cache: not durable across a power loss. `SledStore` follows every commit with an
//! `fdatasync(2)` of sled's log file. This example measures both on the disk under the given directory.
//!
//! Run: `cargo run --release --example durability -- [DIR] [N]` (default: a temporary directory, 300 appends).

use std::fs::File;
use std::time::Instant;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let base = args.next().map(std::path::PathBuf::from).unwrap_or_else(std::env::temp_dir);
    let n: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(300);
    let dir = tempfile::tempdir_in(base)?;
    let db = sled::Config::new().path(dir.path()).segment_size(8 << 20).open()?;
    let tree = db.open_tree("t")?;
    let log = File::open(dir.path().join("db"))?;
    let value = vec![b'x'; 900];
    let mut flush_only = Vec::with_capacity(n);
    let mut flush_and_sync = Vec::with_capacity(n);
    for i in 0..2 * n {
        tree.insert((i as u64).to_be_bytes(), value.as_slice())?;
        let t = Instant::now();
        db.flush()?;
        if i % 2 == 1 {
            log.sync_data()?;
            flush_and_sync.push(t.elapsed().as_secs_f64() * 1e6);
        } else {
            flush_only.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    let mut raw = Vec::with_capacity(n);
    let f = File::create(dir.path().join("raw"))?;
    for _ in 0..n {
        use std::io::Write;
        (&f).write_all(&value)?;
        let t = Instant::now();
        f.sync_data()?;
        raw.push(t.elapsed().as_secs_f64() * 1e6);
    }
    for v in [&mut flush_only, &mut flush_and_sync, &mut raw] {
        v.sort_by(f64::total_cmp);
    }
    println!("{n} appends of one 900-byte value each, microseconds:");
    println!("{:<42} {:>10} {:>10}", "", "p50", "p99");
    for (name, v) in [
        ("sled flush (sync_file_range)", &flush_only),
        ("sled flush + fdatasync(db)", &flush_and_sync),
        ("plain write + fdatasync (disk's limit)", &raw),
    ] {
        println!("{name:<42} {:>10.0} {:>10.0}", percentile(v, 0.5), percentile(v, 0.99));
    }
    Ok(())
}
