//! Paging over a collection's member paths, for every OCCI list: OCCI collections are not
//! paged, so the driver sorts the member paths and the cursor is the shared key cursor
//! ([`crate::driver::paging`]) of the last path served. A member created or deleted between
//! pages neither shifts nor repeats the others. Lists held in memory (templates, regions) use
//! the shared [`crate::driver::paging::memory_page`].

use std::future::Future;

use futures::future::join_all;

use crate::driver::paging::{decode_key, encode_key, malformed_cursor};
use crate::driver::{DriverResult, ErrorKind, ListRequest, Page};

/// A page over sorted member paths: reads members after the cursor (a member path), at most
/// `concurrency` at once, keeps those passing `keep`, stops at `req.limit`. Members that
/// vanish while the page is read are skipped.
pub(crate) async fn page<T, F, Fut>(
    req: &ListRequest,
    paths: Vec<String>,
    unfiltered: bool,
    concurrency: usize,
    read: F,
    keep: impl Fn(&T) -> bool,
) -> DriverResult<Page<T>>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = DriverResult<T>>,
{
    let limit = req.limit.max(1);
    let after = decode_cursor(req.cursor.as_deref())?;
    let rest: Vec<String> = paths
        .into_iter()
        .filter(|p| after.as_deref().is_none_or(|a| p.as_str() > a))
        .collect();
    let mut items = Vec::new();
    let mut consumed = 0;
    while consumed < rest.len() && items.len() < limit {
        let want = if unfiltered {
            limit - items.len()
        } else {
            concurrency
        };
        let end = (consumed + want.min(concurrency)).min(rest.len());
        let read_all = join_all(rest[consumed..end].iter().map(|p| read(p.clone()))).await;
        for result in read_all {
            if items.len() == limit {
                break;
            }
            consumed += 1;
            match result {
                Ok(item) if keep(&item) => items.push(item),
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    let next_cursor =
        (consumed < rest.len() && consumed > 0).then(|| encode_cursor(&rest[consumed - 1]));
    Ok(Page { items, next_cursor })
}

/// The cursor resuming after member `path`.
pub(crate) fn encode_cursor(path: &str) -> String {
    encode_key(path)
}

/// The member path a cursor resumes after; anything but a key cursor of a path is malformed.
pub(crate) fn decode_cursor(cursor: Option<&str>) -> DriverResult<Option<String>> {
    match decode_key(cursor)? {
        Some(path) if !path.starts_with('/') => Err(malformed_cursor()),
        after => Ok(after),
    }
}
