//! Work on batches read ahead, on worker threads, yielded in order: how a backend decodes a replay of the log on
//! every core while it reads the next batches.

use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;

use super::ReadError;

/// Applies `f` to each batch `source` yields, on worker threads (one per core, at most four), and yields the
/// results of every batch in the order of the batches. `source` runs on a thread of its own and deals the batches
/// to the workers in turn; each worker keeps at most two batches ahead, so memory stays bounded whatever the log's
/// size. A failed batch, or an error among a batch's results, ends the iteration after it. Dropping the iterator
/// stops the threads.
pub fn map_batches<B, T, S, F>(source: S, f: F) -> impl Iterator<Item = Result<T, ReadError>> + Send
where
    B: Send + 'static,
    T: Send + 'static,
    S: Iterator<Item = Result<B, ReadError>> + Send + 'static,
    F: Fn(B) -> Vec<Result<T, ReadError>> + Send + Sync + 'static,
{
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
    let f = Arc::new(f);
    let mut inputs = Vec::with_capacity(workers);
    let receivers: Vec<Receiver<Vec<Result<T, ReadError>>>> = (0..workers)
        .map(|_| {
            let (in_tx, in_rx) = sync_channel::<Result<B, ReadError>>(2);
            let (tx, rx) = sync_channel(2);
            inputs.push(in_tx);
            let f = Arc::clone(&f);
            std::thread::spawn(move || {
                for batch in in_rx {
                    let run = match batch {
                        Ok(batch) => f(batch),
                        Err(e) => vec![Err(e)],
                    };
                    if tx.send(run).is_err() {
                        return;
                    }
                }
            });
            rx
        })
        .collect();
    std::thread::spawn(move || {
        for (i, batch) in source.enumerate() {
            let stop = batch.is_err();
            if inputs[i % inputs.len()].send(batch).is_err() || stop {
                return;
            }
        }
    });
    let mut turn = 0;
    let mut stopped = false;
    std::iter::from_fn(move || {
        if stopped {
            return None;
        }
        let Ok(run) = receivers[turn % receivers.len()].recv() else {
            stopped = true;
            return None;
        };
        turn += 1;
        if run.iter().any(|r| r.is_err()) {
            stopped = true;
        }
        Some(run)
    })
    .flatten()
    .scan(false, |failed, item| {
        // Nothing after the first error.
        if *failed {
            return None;
        }
        *failed = item.is_err();
        Some(item)
    })
}
