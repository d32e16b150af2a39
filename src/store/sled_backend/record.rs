//! The values of format 2: commit records (the sealed lines of consecutive positions, compressed), id segments
//! and stream segments. Plain byte layouts, no sled: [`super`] stores them.
//!
//! A commit record is one flag byte then its payload: flag 0, the payload as is; flag 1, the payload compressed
//! with LZ4 (block format, the uncompressed size first, as `lz4_flex` writes it). The payload is the count of
//! lines (u32), each line's length (u32), then the lines, each exactly as sealed (the hash chain is over them).
//! Integers are big-endian.

use events::EventId;

/// The most bytes of lines one commit record holds (the last line may not be cut, so a record holds at least one).
///
/// sled keeps at most 17 values in a leaf and writes a page larger than a quarter of its segment (2 MiB) to a
/// blob file it does not fsync: 17 records of at most 96 KiB (plus LZ4's worst-case growth) stay below that.
pub const RECORD_BYTES: usize = 96 * 1024;

/// The most entries an id segment holds: 2,048 entries of 24 bytes, 48 KiB, for the same reason.
pub const SEGMENT_ENTRIES: usize = 2048;

/// The bytes of one id segment entry: the id's 16 bytes and its position (u64).
const ENTRY: usize = 24;

const PLAIN: u8 = 0;
const LZ4: u8 = 1;

/// Encodes the lines of one commit record, compressed when that makes it smaller.
pub fn encode(lines: &[&[u8]]) -> Vec<u8> {
    let total: usize = lines.iter().map(|l| l.len()).sum();
    let mut payload = Vec::with_capacity(4 + 4 * lines.len() + total);
    payload.extend_from_slice(&(lines.len() as u32).to_be_bytes());
    for line in lines {
        payload.extend_from_slice(&(line.len() as u32).to_be_bytes());
    }
    for line in lines {
        payload.extend_from_slice(line);
    }
    let compressed = lz4_flex::compress_prepend_size(&payload);
    let mut out = Vec::with_capacity(1 + compressed.len().min(payload.len()));
    if compressed.len() < payload.len() {
        out.push(LZ4);
        out.extend_from_slice(&compressed);
    } else {
        out.push(PLAIN);
        out.extend_from_slice(&payload);
    }
    out
}

/// A decoded commit record: its lines, in position order.
#[derive(Debug)]
pub struct Record {
    payload: Vec<u8>,
    /// Each line's start and end in `payload`.
    bounds: Vec<(usize, usize)>,
}

impl Record {
    /// How many lines it holds.
    pub fn len(&self) -> usize {
        self.bounds.len()
    }

    /// The line at `index` (0 for the record's first position).
    pub fn line(&self, index: usize) -> Option<&[u8]> {
        self.bounds.get(index).map(|&(a, b)| &self.payload[a..b])
    }

    /// Every line, in order.
    pub fn lines(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.bounds.iter().map(|&(a, b)| &self.payload[a..b])
    }
}

/// Decodes a commit record.
///
/// # Errors
/// Why the bytes are not one (an unknown flag, a payload that does not decompress, lengths past its end).
pub fn decode(value: &[u8]) -> Result<Record, String> {
    let (&flag, rest) = value.split_first().ok_or("the record is empty")?;
    let payload = match flag {
        PLAIN => rest.to_vec(),
        LZ4 => lz4_flex::decompress_size_prepended(rest).map_err(|e| format!("the record does not decompress: {e}"))?,
        other => return Err(format!("the record has an unknown encoding {other}")),
    };
    let count = read_u32(&payload, 0).ok_or("the record is cut short")? as usize;
    let mut at = 4usize.saturating_add(count.checked_mul(4).ok_or("the record's count is damaged")?);
    if at > payload.len() {
        return Err("the record's count is damaged".into());
    }
    let mut bounds = Vec::with_capacity(count);
    for i in 0..count {
        let len = read_u32(&payload, 4 + 4 * i).ok_or("the record is cut short")? as usize;
        let end = at.checked_add(len).filter(|&e| e <= payload.len()).ok_or("a line runs past the record's end")?;
        bounds.push((at, end));
        at = end;
    }
    if at != payload.len() {
        return Err("the record holds bytes past its last line".into());
    }
    Ok(Record { payload, bounds })
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// Cuts lines (in position order) into runs of at most [`RECORD_BYTES`] each, none empty.
pub fn runs<'a>(lines: &[&'a [u8]]) -> Vec<Vec<&'a [u8]>> {
    let mut out: Vec<Vec<&[u8]>> = Vec::new();
    let mut bytes = 0;
    for &line in lines {
        match out.last_mut() {
            Some(run) if bytes + line.len() <= RECORD_BYTES => {
                run.push(line);
                bytes += line.len();
            }
            _ => {
                out.push(vec![line]);
                bytes = line.len();
            }
        }
    }
    out
}

/// Encodes an id segment: entries sorted by id.
pub fn encode_ids(entries: &[(EventId, u64)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * ENTRY);
    for (id, position) in entries {
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(&position.to_be_bytes());
    }
    out
}

/// Every entry of an id segment; entries of a damaged segment's ragged end are left out.
pub fn id_entries(value: &[u8]) -> impl Iterator<Item = (EventId, u64)> + '_ {
    value.chunks_exact(ENTRY).map(|e| {
        let id: [u8; 16] = e[..16].try_into().unwrap_or([0; 16]);
        let position = u64::from_be_bytes(e[16..].try_into().unwrap_or([0; 8]));
        (EventId::from_uuid(uuid::Uuid::from_bytes(id)), position)
    })
}

/// How many entries an id segment holds.
pub fn id_count(value: &[u8]) -> usize {
    value.len() / ENTRY
}

/// The position of `id` in a sorted id segment, by binary search.
pub fn find_id(value: &[u8], id: &EventId) -> Option<u64> {
    let want = id.as_bytes();
    let (mut lo, mut hi) = (0, id_count(value));
    while lo < hi {
        let mid = (lo + hi) / 2;
        let e = &value[mid * ENTRY..(mid + 1) * ENTRY];
        match e[..16].cmp(&want[..]) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return Some(u64::from_be_bytes(e[16..].try_into().ok()?)),
        }
    }
    None
}

/// Encodes a stream segment: the positions of consecutive versions.
pub fn encode_positions(positions: &[u64]) -> Vec<u8> {
    positions.iter().flat_map(|p| p.to_be_bytes()).collect()
}

/// The positions of a stream segment, in version order.
pub fn positions(value: &[u8]) -> impl DoubleEndedIterator<Item = u64> + '_ {
    value.chunks_exact(8).map(|p| u64::from_be_bytes(p.try_into().unwrap_or([0; 8])))
}

/// A 64-bit mix of some bytes (FNV-1a, then the SplitMix64 finaliser): for the order-free digests that compare an
/// index with the log. Not a cryptographic hash; the hash chain is.
pub fn mix(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_compressed_or_not() {
        let text = b"{\"summary\":\"de gemeente neemt de aanbeveling over\"}".repeat(20);
        for lines in [vec![&b"a"[..]], vec![&text[..], b"", &text[..]], vec![]] {
            let encoded = encode(&lines);
            let record = decode(&encoded).unwrap();
            assert_eq!(record.lines().collect::<Vec<_>>(), lines);
        }
        assert_eq!(encode(&[&text[..]])[0], LZ4, "repetitive text is stored compressed");
        assert_eq!(encode(&[b"ab"])[0], PLAIN, "two bytes do not compress");
    }

    #[test]
    fn a_damaged_record_is_refused_not_misread() {
        let text = b"een regel tekst die zich herhaalt ".repeat(30);
        let mut encoded = encode(&[&text[..], &text[..]]);
        assert!(decode(&encoded[..encoded.len() - 3]).is_err());
        encoded[0] = 9;
        assert!(decode(&encoded).unwrap_err().contains("unknown encoding"));
        assert!(decode(&[]).is_err());
        assert!(decode(&[PLAIN, 0, 0, 0, 2, 0, 0, 0, 1]).is_err());
    }

    #[test]
    fn runs_hold_at_most_the_record_bytes_and_keep_every_line() {
        let line = vec![b'x'; 40_000];
        let lines: Vec<&[u8]> = vec![&line; 7];
        let runs = runs(&lines);
        assert_eq!(runs.iter().map(Vec::len).collect::<Vec<_>>(), vec![2, 2, 2, 1]);
        assert!(runs.iter().all(|r| r.iter().map(|l| l.len()).sum::<usize>() <= RECORD_BYTES));
    }

    #[test]
    fn ids_are_found_by_binary_search() {
        let mut entries: Vec<(EventId, u64)> =
            (1..=300u64).map(|p| (EventId::from_uuid(uuid::Uuid::from_u128(u128::from(p) * 7919)), p)).collect();
        entries.sort();
        let value = encode_ids(&entries);
        for (id, p) in &entries {
            assert_eq!(find_id(&value, id), Some(*p));
        }
        assert_eq!(find_id(&value, &EventId::from_uuid(uuid::Uuid::from_u128(5))), None);
        assert_eq!(id_entries(&value).collect::<Vec<_>>(), entries);
    }
}
