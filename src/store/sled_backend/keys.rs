//! Every key of the sled store, in one place: one tree, five key spaces told apart by their first byte.
//!
//! Integers are big-endian so that byte order is numeric order. Stream ids never contain a NUL byte
//! ([`events::StreamId`] allows `a-z 0-9 . _ - /` only), so a NUL ends a stream id inside a key.
//!
//! Format 2 (what this code writes):
//!
//! | key                                     | value                                                        |
//! |-----------------------------------------|--------------------------------------------------------------|
//! | `C` first position:u64                  | a commit record: the sealed lines from that position on ([`super::record`]) |
//! | `I` bucket:u16 least position:u64       | an id segment: ids of that bucket, sorted, each with its position |
//! | `S` stream `\0` first version:u64       | a stream segment: the positions of consecutive versions from that one |
//! | `V` stream                              | the stream's version:u64                                     |
//! | `M` `head`                              | position:u64, hash:32 bytes, recorded_at:i128 nanoseconds    |
//! | `M` `format`                            | store format version:u32                                     |
//! | `M` `uncommitted`                       | first position of a write not yet committed:u64 (absent when none) |
//! | `M` `format-1-leftovers`                | present while an upgrade's removal of format 1's keys is unfinished |
//!
//! Format 1 kept one value per event: `L` position:u64 → the line, `S` stream `\0` version:u64 → its position,
//! `I` id → position, and `V` and `M` as now. Only [`line`] and [`FORMAT_1`] of it remain, to upgrade such a store.

/// The one sled tree that holds the store.
pub const TREE: &[u8] = b"followup";

/// The store format this code writes and reads.
pub const FORMAT_VERSION: u32 = 2;

/// The format of one value per event, which this code upgrades.
pub const FORMAT_1: u32 = 1;

/// How many buckets the id index has: an id's bucket is [`id_bucket`].
pub const ID_BUCKETS: u16 = 16384;

/// Format 1's key of the line at `position`.
pub fn line(position: u64) -> [u8; 9] {
    let mut k = [b'L'; 9];
    k[1..].copy_from_slice(&position.to_be_bytes());
    k
}

/// The key of the commit record whose first line is at `position`.
pub fn record(position: u64) -> [u8; 9] {
    let mut k = [b'C'; 9];
    k[1..].copy_from_slice(&position.to_be_bytes());
    k
}

/// The bucket of the id index that holds `id`: a fixed mix of its bytes, so it never changes for a store.
pub fn id_bucket(id: &events::EventId) -> u16 {
    (super::record::mix(&[id.as_bytes()]) % u64::from(ID_BUCKETS)) as u16
}

/// The prefix of every segment of id bucket `bucket`.
pub fn id_bucket_prefix(bucket: u16) -> [u8; 3] {
    let b = bucket.to_be_bytes();
    [b'I', b[0], b[1]]
}

/// The key of the segment of `bucket` whose least position is `position`.
pub fn id_segment(bucket: u16, position: u64) -> [u8; 11] {
    let mut k = [0u8; 11];
    k[..3].copy_from_slice(&id_bucket_prefix(bucket));
    k[3..].copy_from_slice(&position.to_be_bytes());
    k
}

/// The key of the segment of `stream` whose first version is `version`.
pub fn stream_version(stream: &str, version: u64) -> Vec<u8> {
    let mut k = stream_prefix(stream);
    k.extend_from_slice(&version.to_be_bytes());
    k
}

/// The prefix of every version key of `stream`.
pub fn stream_prefix(stream: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(stream.len() + 10);
    k.push(b'S');
    k.extend_from_slice(stream.as_bytes());
    k.push(0);
    k
}

/// The key of the current version of `stream`.
pub fn stream_head(stream: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(stream.len() + 1);
    k.push(b'V');
    k.extend_from_slice(stream.as_bytes());
    k
}

/// The key of the log head.
pub const HEAD: &[u8] = b"Mhead";

/// The key of the marker of a write whose chunks are applied but whose final batch is not: its first position.
pub const UNCOMMITTED: &[u8] = b"Muncommitted";

/// The key of the store format version.
pub const FORMAT: &[u8] = b"Mformat";

/// The key of the marker of an upgrade from format 1 whose leftovers (format 1's line and id keys) are not all
/// removed yet.
pub const LEFTOVERS: &[u8] = b"Mformat-1-leftovers";

/// The length of an id segment's key (format 1's id keys are 17 bytes).
pub const ID_SEGMENT_KEY: usize = 11;

/// Decodes a big-endian u64 value.
pub fn decode_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?))
}

/// Encodes the head: position, hash, recorded_at as nanoseconds since the Unix epoch.
pub fn encode_head(position: u64, hash: &events::Hash, recorded_at_ns: i128) -> [u8; 56] {
    let mut v = [0u8; 56];
    v[..8].copy_from_slice(&position.to_be_bytes());
    v[8..40].copy_from_slice(&hash.0);
    v[40..].copy_from_slice(&recorded_at_ns.to_be_bytes());
    v
}

/// Decodes the head written by [`encode_head`].
pub fn decode_head(bytes: &[u8]) -> Option<(u64, events::Hash, i128)> {
    if bytes.len() != 56 {
        return None;
    }
    let position = decode_u64(&bytes[..8])?;
    let hash = events::Hash(bytes[8..40].try_into().ok()?);
    let ns = i128::from_be_bytes(bytes[40..].try_into().ok()?);
    Some((position, hash, ns))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_keys_sort_by_position() {
        assert!(line(255) < line(256));
        assert!(line(1) < line(u64::MAX));
        assert!(stream_version("a", 9) < stream_version("a", 10));
        assert!(
            stream_version("a", u64::MAX) < stream_version("a/1", 1),
            "a stream's keys do not interleave with another's"
        );
    }

    #[test]
    fn head_round_trips() {
        let h = events::Hash([7; 32]);
        assert_eq!(decode_head(&encode_head(42, &h, -5)), Some((42, h, -5)));
    }
}
