//! EC2's native paging (`MaxResults` + `NextToken`) behind the driver cursor, for every list.
//!
//! The driver cursor is `<skip>:<token>`: the `NextToken` of the EC2 page the next item is on
//! (empty: the first page) and how many items of that page were already served. A gateway page
//! may be smaller than EC2's smallest page (`MaxResults` ≥ 5) and EC2 may answer with more items
//! than asked (moto ignores `MaxResults` on most calls; DescribeInstances counts reservations,
//! which can hold several instances), so a page ends inside an EC2 page and the next one
//! re-reads that page (same token) and skips what was served. Nothing is lost or repeated as
//! long as EC2 answers a token with the same items, which it does for unchanged data. Lists EC2
//! does not page (regions) use the shared [`crate::driver::paging::memory_page`].

use std::future::Future;

use crate::driver::paging::malformed_cursor;
use crate::driver::{DriverResult, ListRequest, Page};

/// The most EC2 pages one gateway page reads (EC2 may answer empty pages with a token when
/// filters drop everything); after that the page ends early with a cursor that resumes there.
const MAX_NATIVE_CALLS: usize = 50;
/// The largest skip a cursor may carry (more than any EC2 page holds).
const MAX_SKIP: usize = 100_000;

/// The `MaxResults` range of an EC2 call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NativeLimits {
    /// EC2's smallest accepted `MaxResults`.
    pub(crate) min: usize,
    /// EC2's largest accepted `MaxResults`.
    pub(crate) max: usize,
}

/// DescribeInstances: 5–1000.
pub(crate) const INSTANCES: NativeLimits = NativeLimits { min: 5, max: 1000 };
/// DescribeImages: 5–1000.
pub(crate) const IMAGES: NativeLimits = NativeLimits { min: 5, max: 1000 };
/// DescribeInstanceTypes: 5–100.
pub(crate) const INSTANCE_TYPES: NativeLimits = NativeLimits { min: 5, max: 100 };
/// DescribeVolumes: 5–500.
pub(crate) const VOLUMES: NativeLimits = NativeLimits { min: 5, max: 500 };

/// One EC2 page: its items (flattened) and its `NextToken`.
pub(crate) struct NativePage<T> {
    pub(crate) items: Vec<T>,
    pub(crate) next_token: Option<String>,
}

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Position {
    pub(crate) token: Option<String>,
    pub(crate) skip: usize,
}

pub(crate) fn encode_cursor(pos: &Position) -> String {
    format!("{}:{}", pos.skip, pos.token.as_deref().unwrap_or_default())
}

pub(crate) fn decode_cursor(cursor: Option<&str>) -> DriverResult<Position> {
    let Some(cursor) = cursor else {
        return Ok(Position {
            token: None,
            skip: 0,
        });
    };
    let (skip, token) = cursor.split_once(':').ok_or_else(malformed_cursor)?;
    let skip = Some(skip)
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|s| *s <= MAX_SKIP)
        .ok_or_else(malformed_cursor)?;
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(malformed_cursor());
    }
    Ok(Position {
        token: (!token.is_empty()).then(|| token.to_owned()),
        skip,
    })
}

/// A page of at most `req.limit` items read through `fetch(token, max_results)`.
pub(crate) async fn page<T, F, Fut>(
    req: &ListRequest,
    limits: NativeLimits,
    mut fetch: F,
) -> DriverResult<Page<T>>
where
    F: FnMut(Option<String>, i32) -> Fut,
    Fut: Future<Output = DriverResult<NativePage<T>>>,
{
    let limit = req.limit.max(1);
    let mut pos = decode_cursor(req.cursor.as_deref())?;
    let mut items = Vec::new();
    for _ in 0..MAX_NATIVE_CALLS {
        let want = limit - items.len();
        let max_results = (pos.skip + want).clamp(limits.min, limits.max);
        let native = fetch(
            pos.token.clone(),
            i32::try_from(max_results).unwrap_or(i32::MAX),
        )
        .await?;
        let available = native.items.len().saturating_sub(pos.skip);
        let taken = available.min(want);
        items.extend(native.items.into_iter().skip(pos.skip).take(taken));
        if taken < available {
            pos.skip += taken;
            return Ok(Page {
                items,
                next_cursor: Some(encode_cursor(&pos)),
            });
        }
        let Some(token) = native.next_token.filter(|t| !t.is_empty()) else {
            return Ok(Page {
                items,
                next_cursor: None,
            });
        };
        pos = Position {
            token: Some(token),
            skip: 0,
        };
        if items.len() == limit {
            break;
        }
    }
    Ok(Page {
        items,
        next_cursor: Some(encode_cursor(&pos)),
    })
}

/// The page with each native item mapped (items `map` drops are left out).
pub(crate) fn map_items<T, U>(page: Page<T>, map: impl FnMut(&T) -> Option<U>) -> Page<U> {
    Page {
        items: page.items.iter().filter_map(map).collect(),
        next_cursor: page.next_cursor,
    }
}
