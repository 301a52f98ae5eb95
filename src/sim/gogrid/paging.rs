//! `num_items` / `page` paging of list calls and the `summary` block it produces.

use serde::Serialize;

use super::error::SimError;
use super::params::Params;

/// The envelope's `summary`. `numpages` is absent from failure bodies, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Items matching the request, across all pages.
    pub total: usize,
    /// Index of the first returned item (`page * num_items`).
    pub start: usize,
    /// `ceil(total / num_items)`, or 0 when no `num_items` was given (as the recordings show).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub numpages: Option<usize>,
    /// Items in this answer.
    pub returned: usize,
}

impl Summary {
    /// The summary of an answer that is not paged (get/add/delete/power): all of `n` items.
    pub fn whole(n: usize) -> Summary {
        Summary {
            total: n,
            start: 0,
            numpages: Some(0),
            returned: n,
        }
    }

    /// The summary of a failure body carrying `n` error items.
    pub fn failure(n: usize) -> Summary {
        Summary {
            numpages: None,
            ..Summary::whole(n)
        }
    }
}

/// A requested page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Paging {
    /// Page size; `None` returns everything.
    pub num_items: Option<usize>,
    /// 0-based page number; ignored without `num_items`.
    pub page: usize,
}

impl Paging {
    /// Reads `num_items` and `page`. `num_items` must be a positive integer and `page` a
    /// non-negative one; anything else is a 400.
    pub fn from_params(params: &Params) -> Result<Paging, SimError> {
        let num_items = match params.get("num_items") {
            None => None,
            Some(raw) => match raw.trim().parse::<usize>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    return Err(SimError::bad_input(format!(
                        "num_items must be a positive integer, not '{raw}'"
                    )));
                }
            },
        };
        let page = match params.get("page") {
            None => 0,
            Some(raw) => raw.trim().parse::<usize>().map_err(|_| {
                SimError::bad_input(format!(
                    "page must be a non-negative integer (0-based), not '{raw}'"
                ))
            })?,
        };
        Ok(Paging { num_items, page })
    }

    /// Cuts `items` to the requested page and describes the cut. A page past the end is empty,
    /// not an error.
    pub fn apply<T>(self, items: Vec<T>) -> (Vec<T>, Summary) {
        let total = items.len();
        let Some(size) = self.num_items else {
            return (items, Summary::whole(total));
        };
        let start = self.page.saturating_mul(size);
        let page: Vec<T> = items.into_iter().skip(start).take(size).collect();
        let summary = Summary {
            total,
            start,
            numpages: Some(total.div_ceil(size)),
            returned: page.len(),
        };
        (page, summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paging(q: &str) -> Result<Paging, SimError> {
        Paging::from_params(&Params::parse(Some(q), None, b"")?)
    }

    #[test]
    fn no_num_items_returns_all_with_numpages_zero() {
        let (items, s) = paging("").unwrap().apply((0..7).collect());
        assert_eq!(items.len(), 7);
        assert_eq!(s, Summary::whole(7));
        // `page` alone is ignored.
        let (items, _) = paging("page=3").unwrap().apply((0..7).collect());
        assert_eq!(items.len(), 7);
    }

    #[test]
    fn pages_cut_the_list_and_report_start_and_numpages() {
        let p = paging("num_items=3&page=1").unwrap();
        let (items, s) = p.apply((0..7).collect::<Vec<_>>());
        assert_eq!(items, [3, 4, 5]);
        assert_eq!(
            s,
            Summary {
                total: 7,
                start: 3,
                numpages: Some(3),
                returned: 3
            }
        );
        let (items, s) = paging("num_items=3&page=2")
            .unwrap()
            .apply((0..7).collect());
        assert_eq!(items, [6]);
        assert_eq!(s.returned, 1);
        let (items, s) = paging("num_items=3&page=9")
            .unwrap()
            .apply((0..7).collect::<Vec<i32>>());
        assert!(items.is_empty());
        assert_eq!((s.start, s.numpages, s.returned), (27, Some(3), 0));
        let (_, s) = paging("num_items=1").unwrap().apply(Vec::<i32>::new());
        assert_eq!((s.total, s.numpages), (0, Some(0)));
        let (_, s) = paging("num_items=2").unwrap().apply(vec![1, 2]);
        assert_eq!(s.numpages, Some(1));
    }

    #[test]
    fn bad_paging_values_are_rejected() {
        for q in [
            "num_items=0",
            "num_items=-1",
            "num_items=x",
            "page=-1",
            "page=1.5",
            "num_items=",
        ] {
            let err = paging(q).unwrap_err();
            assert_eq!(err.code, "IllegalArgumentException", "{q}");
        }
    }

    #[test]
    fn huge_page_numbers_do_not_overflow() {
        let p = paging(&format!("num_items=1000&page={}", usize::MAX)).unwrap();
        let (items, s) = p.apply(vec![1]);
        assert!(items.is_empty());
        assert_eq!(s.start, usize::MAX);
    }
}
