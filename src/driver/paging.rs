//! Paging helpers every driver shares, so a cursor means the same thing in every driver:
//!
//! - the **offset cursor** `o:<n>`: the position of the next item in a list read by offset (a
//!   provider's numbered pages, or a list held in memory), bounded by [`MAX_OFFSET`];
//! - the **key cursor**: the sort key of the last item served (base64url, no padding), for
//!   lists that resume *after* a key rather than at a position (OCCI member paths);
//! - [`memory_page`]: a page of a list the provider does not page (regions, sizes, templates),
//!   through the offset cursor.
//!
//! A cursor the driver did not make is `invalid_request` ("malformed cursor"), never a panic
//! or an absurd provider request. A driver's own native paging (EC2's `NextToken`) stays in its
//! `paging.rs`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{DriverError, DriverResult, ErrorKind, ListRequest, Page};

/// The largest offset an offset cursor may carry: more than any provider list holds, small
/// enough that `offset + limit` never overflows and no provider is asked for billions of items.
pub const MAX_OFFSET: usize = u32::MAX as usize;

/// The error of a cursor this driver did not make.
pub fn malformed_cursor() -> DriverError {
    DriverError::new(ErrorKind::InvalidRequest, "malformed cursor")
}

/// The offset cursor of position `offset`.
pub fn encode_offset(offset: usize) -> String {
    format!("o:{offset}")
}

/// The position an offset cursor names (0 without a cursor). Only `o:` followed by decimal
/// digits up to [`MAX_OFFSET`] is accepted (no sign, no spaces).
pub fn decode_offset(cursor: Option<&str>) -> DriverResult<usize> {
    let Some(cursor) = cursor else { return Ok(0) };
    cursor
        .strip_prefix("o:")
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n <= MAX_OFFSET)
        .ok_or_else(malformed_cursor)
}

/// The key cursor resuming after `key`.
pub fn encode_key(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key)
}

/// The key a key cursor resumes after (`None` without a cursor). The driver checks the key's
/// shape itself (e.g. that it is a path) and answers [`malformed_cursor`] when it is not.
pub fn decode_key(cursor: Option<&str>) -> DriverResult<Option<String>> {
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .map(Some)
        .ok_or_else(malformed_cursor)
}

/// A page of a list held in memory, by offset cursor. A cursor past the end (the list shrank
/// since it was made) gives an empty last page; a list whose length is a multiple of the limit
/// ends without an empty page.
pub fn memory_page<T>(req: &ListRequest, all: Vec<T>) -> DriverResult<Page<T>> {
    let start = decode_offset(req.cursor.as_deref())?.min(all.len());
    let limit = req.limit.max(1);
    let end = start.saturating_add(limit).min(all.len());
    let next_cursor = (end < all.len()).then(|| encode_offset(end));
    let items = all.into_iter().skip(start).take(limit).collect();
    Ok(Page { items, next_cursor })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(limit: usize, cursor: Option<String>) -> ListRequest {
        ListRequest { limit, cursor }
    }

    #[test]
    fn offset_cursor_round_trips_and_rejects_what_no_driver_made() {
        assert_eq!(decode_offset(None).ok(), Some(0));
        assert_eq!(encode_offset(40), "o:40");
        assert_eq!(decode_offset(Some(&encode_offset(40))).ok(), Some(40));
        assert_eq!(
            decode_offset(Some(&encode_offset(MAX_OFFSET))).ok(),
            Some(MAX_OFFSET)
        );
        for bad in [
            "",
            "o:",
            "40",
            "o:-1",
            "o:+1",
            "o: 1",
            "o:4x",
            "x:4",
            "o:4294967296",
            "o:99999999999999",
            "o:99999999999999999999999",
        ] {
            let err = decode_offset(Some(bad)).err().map(|e| e.kind());
            assert_eq!(err, Some(ErrorKind::InvalidRequest), "{bad:?}");
        }
    }

    #[test]
    fn key_cursor_round_trips_and_rejects_non_base64_or_non_utf8() {
        let cursor = encode_key("/compute/abc");
        assert_eq!(
            decode_key(Some(&cursor)).ok().flatten().as_deref(),
            Some("/compute/abc")
        );
        assert_eq!(decode_key(None).ok(), Some(None));
        for bad in ["!!", "o:1", &URL_SAFE_NO_PAD.encode([0xff, 0xfe])] {
            let err = decode_key(Some(bad)).err().map(|e| e.kind());
            assert_eq!(err, Some(ErrorKind::InvalidRequest), "{bad:?}");
        }
    }

    #[test]
    fn memory_pages_walk_the_whole_list_without_an_empty_last_page() {
        for len in 0..7usize {
            for limit in 1..=4 {
                let all: Vec<usize> = (0..len).collect();
                let (mut seen, mut cursor, mut pages) = (Vec::new(), None, 0);
                loop {
                    let page = memory_page(&req(limit, cursor.take()), all.clone())
                        .unwrap_or_else(|e| panic!("{e}"));
                    assert!(page.items.len() <= limit);
                    assert!(len == 0 || !page.items.is_empty(), "empty page");
                    seen.extend(page.items);
                    pages += 1;
                    match page.next_cursor {
                        Some(c) => cursor = Some(c),
                        None => break,
                    }
                }
                assert_eq!(seen, all, "len {len} limit {limit}");
                assert_eq!(pages, len.div_ceil(limit).max(1), "len {len} limit {limit}");
            }
        }
    }

    #[test]
    fn memory_page_past_the_end_is_empty_and_last() {
        let page = memory_page(&req(2, Some("o:9".into())), vec![1, 2, 3]);
        let page = page.unwrap_or_else(|e| panic!("{e}"));
        assert!(page.items.is_empty());
        assert_eq!(page.next_cursor, None);
        let bad = memory_page(&req(2, Some("9".into())), vec![1, 2, 3]);
        assert_eq!(bad.err().map(|e| e.kind()), Some(ErrorKind::InvalidRequest));
    }
}
