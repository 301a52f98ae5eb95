//! GoGrid's native paging (`num_items` + 0-based `page`) behind the shared offset cursor
//! ([`crate::driver::paging`]), for every list: the cursor holds the native offset of the next
//! item, and a page is read from the native page that offset falls in, so a page size of 1 or a
//! filter that drops items never skips or repeats one.

use std::future::Future;

use crate::driver::{DriverResult, ListRequest, Page, paging};

/// `num_items` and `page` (0-based) of a native list call.
pub(crate) fn paging_params(page: usize, size: usize) -> Vec<(&'static str, String)> {
    vec![("num_items", size.to_string()), ("page", page.to_string())]
}

/// One native page: the items answered for (page, num_items) and the list's total, when said.
pub(crate) struct NativePage<T> {
    pub(crate) items: Vec<T>,
    pub(crate) total: Option<usize>,
}

/// What [`collect`] gathered, and the native offset of the first unconsumed item (`None` when
/// the list has ended).
pub(crate) struct Collected<T> {
    pub(crate) items: Vec<T>,
    pub(crate) next: Option<usize>,
}

/// Collects up to `limit` items passing `keep`, starting at native offset `start`, reading
/// native pages of `page_size` (page = offset / page_size, skipping offset % page_size). Keeps
/// reading pages until `limit` items are kept or the list ends, so a filter never shortens a page
/// early, and never skips or repeats an item across calls.
pub(crate) async fn collect<T, F, Fut>(
    start: usize,
    limit: usize,
    page_size: usize,
    mut fetch: F,
    keep: impl Fn(&T) -> bool,
) -> DriverResult<Collected<T>>
where
    F: FnMut(usize, usize) -> Fut,
    Fut: Future<Output = DriverResult<NativePage<T>>>,
{
    let (limit, page_size) = (limit.max(1), page_size.max(1));
    let mut offset = start;
    let mut items = Vec::new();
    loop {
        let page = offset / page_size;
        let batch = fetch(page, page_size).await?;
        let len = batch.items.len();
        // A provider that ignored paging sent the whole list: index it from 0.
        let whole = len > page_size;
        let base = if whole { 0 } else { page * page_size };
        let end = base.saturating_add(len);
        if end <= offset {
            return Ok(Collected { items, next: None });
        }
        for (pos, item) in (base..end).zip(batch.items) {
            if pos < offset {
                continue;
            }
            if items.len() == limit {
                return Ok(Collected {
                    items,
                    next: Some(pos),
                });
            }
            offset = pos + 1;
            if keep(&item) {
                items.push(item);
            }
        }
        let ended = whole || batch.total.map_or(len < page_size, |total| end >= total);
        if ended {
            return Ok(Collected { items, next: None });
        }
        if items.len() == limit {
            return Ok(Collected {
                items,
                next: Some(end),
            });
        }
    }
}

/// A page for `req` over a native list read through `fetch`.
pub(crate) async fn list_page<T, F, Fut>(
    req: &ListRequest,
    fetch: F,
    keep: impl Fn(&T) -> bool,
) -> DriverResult<Page<T>>
where
    F: FnMut(usize, usize) -> Fut,
    Fut: Future<Output = DriverResult<NativePage<T>>>,
{
    let limit = req.limit.max(1);
    let start = paging::decode_offset(req.cursor.as_deref())?;
    let found = collect(start, limit, limit, fetch, keep).await?;
    Ok(Page {
        items: found.items,
        next_cursor: found.next.map(paging::encode_offset),
    })
}
