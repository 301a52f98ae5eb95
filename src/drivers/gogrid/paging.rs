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

#[cfg(test)]
mod tests {
    //! The paging arithmetic over a fake native list.

    use std::sync::Mutex;

    use super::*;

    // The offset cursor itself is tested in `crate::driver::paging`.

    /// Pages of `data` as a paging provider serves them, recording each (page, size) asked.
    fn pager(
        data: Vec<u32>,
        calls: &Mutex<Vec<(usize, usize)>>,
    ) -> impl FnMut(usize, usize) -> std::future::Ready<DriverResult<NativePage<u32>>> + '_ {
        move |page, size| {
            calls.lock().unwrap().push((page, size));
            let items = data.iter().skip(page * size).take(size).copied().collect();
            std::future::ready(Ok(NativePage {
                items,
                total: Some(data.len()),
            }))
        }
    }

    fn walk(data: &[u32], limit: usize, keep: impl Fn(&u32) -> bool + Copy) -> Vec<Vec<u32>> {
        let calls = Mutex::new(Vec::new());
        let mut pages = Vec::new();
        let mut cursor = None;
        loop {
            let req = ListRequest { limit, cursor };
            let page =
                futures::executor::block_on(list_page(&req, pager(data.to_vec(), &calls), keep))
                    .unwrap();
            assert!(page.items.len() <= limit);
            pages.push(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return pages,
            }
            assert!(pages.len() < 100, "paging does not end");
        }
    }

    #[test]
    fn paging_never_skips_or_repeats_and_never_exceeds_limit() {
        let data: Vec<u32> = (0..7).collect();
        for limit in 1..=8 {
            let pages = walk(&data, limit, |_| true);
            assert_eq!(pages.concat(), data, "limit {limit}");
            let evens = walk(&data, limit, |n| n % 2 == 0);
            assert_eq!(evens.concat(), vec![0, 2, 4, 6], "limit {limit}");
        }
        assert_eq!(
            walk(&data, 2, |_| true),
            [vec![0, 1], vec![2, 3], vec![4, 5], vec![6]]
        );
        // A list whose length is a multiple of the limit ends without an empty last page.
        assert_eq!(walk(&[1, 2, 3, 4], 2, |_| true), [vec![1, 2], vec![3, 4]]);
        assert_eq!(walk(&[], 3, |_| true), [Vec::<u32>::new()]);
    }

    #[test]
    fn paging_fetches_page_offset_div_limit_and_skips_the_remainder() {
        let calls = Mutex::new(Vec::new());
        let data: Vec<u32> = (0..10).collect();
        let req = ListRequest {
            limit: 3,
            cursor: Some("o:4".into()),
        };
        let page =
            futures::executor::block_on(list_page(&req, pager(data, &calls), |_| true)).unwrap();
        assert_eq!(page.items, [4, 5, 6]);
        assert_eq!(page.next_cursor.as_deref(), Some("o:7"));
        assert_eq!(*calls.lock().unwrap(), [(1, 3), (2, 3)]);
    }

    #[test]
    fn filtered_paging_keeps_reading_until_the_page_is_full() {
        let calls = Mutex::new(Vec::new());
        let data: Vec<u32> = (0..10).collect();
        let req = ListRequest {
            limit: 2,
            cursor: None,
        };
        let page =
            futures::executor::block_on(list_page(&req, pager(data, &calls), |n| *n >= 5)).unwrap();
        assert_eq!(page.items, [5, 6]);
        assert_eq!(page.next_cursor.as_deref(), Some("o:7"));
        assert_eq!(calls.lock().unwrap().len(), 4);
    }

    #[test]
    fn a_provider_ignoring_paging_is_indexed_from_zero() {
        let whole = |_: usize, _: usize| {
            std::future::ready(Ok(NativePage {
                items: (0..5).collect::<Vec<u32>>(),
                total: None,
            }))
        };
        let req = ListRequest {
            limit: 2,
            cursor: Some("o:2".into()),
        };
        let page = futures::executor::block_on(list_page(&req, whole, |_| true)).unwrap();
        assert_eq!(
            (page.items, page.next_cursor),
            (vec![2, 3], Some("o:4".into()))
        );
    }
}
