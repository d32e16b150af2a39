//! A catch-up subscription: stored events first, then live ones, each once and in position order, over any
//! backend.

use std::collections::VecDeque;
use std::sync::Arc;

use events::RecordedEvent;
use tokio::sync::broadcast::{self, error::RecvError};

use super::{EventStore, ReadError};

/// How many stored events a catching-up subscription reads at a time.
const CATCH_UP_BATCH: usize = 1024;

/// Every event from a position on: first those already stored, then each new one as it becomes durable.
///
/// The receiver of live events is taken before the first read of the store, so an event committed while the
/// subscription catches up is either read from the store or received live, and duplicates are dropped by
/// position. A subscriber that falls more than the channel's capacity behind reads the missed events from the
/// store. Reads of the store run on tokio's blocking pool, never on an async worker.
pub struct Subscription {
    store: Arc<dyn EventStore>,
    next: u64,
    rx: broadcast::Receiver<Arc<RecordedEvent>>,
    backlog: VecDeque<Arc<RecordedEvent>>,
}

impl Subscription {
    /// A subscription from position `from` (1 for the start) to `store`, whose backend broadcasts each durable
    /// event on the channel `rx` was taken from, in position order.
    pub fn new(store: Arc<dyn EventStore>, rx: broadcast::Receiver<Arc<RecordedEvent>>, from: u64) -> Subscription {
        Subscription { store, next: from.max(1), rx, backlog: VecDeque::new() }
    }

    /// The position of the next event this subscription will yield.
    pub fn next_position(&self) -> u64 {
        self.next
    }

    /// The next event, waiting for it to become durable if need be.
    ///
    /// # Errors
    /// Storage failure or a damaged line while catching up; [`ReadError::Closed`] when the store is gone.
    pub async fn next(&mut self) -> Result<Arc<RecordedEvent>, ReadError> {
        loop {
            if let Some(e) = self.backlog.pop_front() {
                self.next = e.position + 1;
                return Ok(e);
            }
            if self.next <= self.store.head().position {
                let (store, from) = (Arc::clone(&self.store), self.next);
                let read = tokio::task::spawn_blocking(move || store.read_range(from, CATCH_UP_BATCH))
                    .await
                    .map_err(|_| ReadError::Closed)??;
                self.backlog.extend(read.into_iter().map(Arc::new));
                continue;
            }
            match self.rx.recv().await {
                Ok(e) if e.position == self.next => {
                    self.next += 1;
                    return Ok(e);
                }
                Ok(_) | Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return Err(ReadError::Closed),
            }
        }
    }
}
