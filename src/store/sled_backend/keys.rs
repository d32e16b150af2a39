//! Every key of the sled store, in one place: one tree, five key spaces told apart by their first byte.
//!
//! Integers are big-endian so that byte order is numeric order. Stream ids never contain a NUL byte
//! ([`events::StreamId`] allows `a-z 0-9 . _ - /` only), so a NUL ends a stream id inside a key.
//!
//! | key                                  | value                                   |
//! |--------------------------------------|-----------------------------------------|
//! | `L` position:u64                     | the event's stored line (JSON, sealed)  |
//! | `S` stream `\0` version:u64          | position:u64                            |
//! | `V` stream                           | the stream's version:u64                |
//! | `I` id:16 bytes                      | position:u64                            |
//! | `M` `head`                           | position:u64, hash:32 bytes, recorded_at:i128 nanoseconds |
//! | `M` `format`                         | store format version:u32                |
//! | `M` `uncommitted`                    | first position of a write not yet committed:u64 (absent when none) |

/// The one sled tree that holds the store.
pub const TREE: &[u8] = b"followup";

/// The store format this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// The key of the line at `position`.
pub fn line(position: u64) -> [u8; 9] {
    let mut k = [b'L'; 9];
    k[1..].copy_from_slice(&position.to_be_bytes());
    k
}

/// The key mapping `version` of `stream` to its position.
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

/// The key of event `id`.
pub fn id(id: &events::EventId) -> [u8; 17] {
    let mut k = [b'I'; 17];
    k[1..].copy_from_slice(id.as_bytes());
    k
}

/// The key of the log head.
pub const HEAD: &[u8] = b"Mhead";

/// The key of the marker of a write whose chunks are applied but whose final batch is not: its first position.
pub const UNCOMMITTED: &[u8] = b"Muncommitted";

/// The key of the store format version.
pub const FORMAT: &[u8] = b"Mformat";

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
