//! Opaque cursors and page limits: the one place list paging rules live.
//!
//! A per-provider cursor wraps the driver's own cursor with the list it belongs to, so a
//! cursor from one list is rejected on another. An aggregated cursor holds, for every provider
//! not yet exhausted, where its next item is: the driver cursor of the page it is on and how
//! many of that page's items were already served.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::future::join_all;
use serde::{Deserialize, Serialize};

use super::problem::ApiError;
use crate::driver::{DriverResult, ListRequest, Page};
use crate::model::{AggregateError, Problem};
use crate::registry::ProviderEntry;

/// Items per page when the client does not say.
pub const DEFAULT_LIMIT: usize = 100;
/// The most items a page may hold.
pub const MAX_LIMIT: usize = 1000;

/// The page size for a request's `limit`.
pub fn page_limit(limit: Option<usize>) -> Result<usize, ApiError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(n) => Err(Problem::bad_request(format!(
            "limit must be between 1 and {MAX_LIMIT}, not {n}"
        ))
        .into()),
    }
}

#[derive(Serialize, Deserialize)]
struct ProviderCursor {
    /// The list: `servers@gogrid`, …
    l: String,
    /// The driver's cursor.
    c: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct Position {
    /// The driver cursor of the page the next item is on (`None`: the first page).
    c: Option<String>,
    /// How many items of that page were already served.
    s: usize,
}

#[derive(Serialize, Deserialize)]
struct AggregateCursor {
    l: String,
    a: BTreeMap<String, Position>,
}

fn encode<T: Serialize>(value: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default())
}

fn decode<T: for<'de> Deserialize<'de>>(raw: &str) -> Result<T, ApiError> {
    URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| Problem::bad_request("cursor is not one this gateway issued").into())
}

fn list_name(list: &str, provider: &str) -> String {
    format!("{list}@{provider}")
}

/// The driver request for a per-provider list page.
pub fn provider_request(
    list: &str,
    provider: &str,
    limit: Option<usize>,
    cursor: Option<&str>,
) -> Result<ListRequest, ApiError> {
    let limit = page_limit(limit)?;
    let cursor = match cursor {
        None => None,
        Some(raw) => {
            let decoded: ProviderCursor = decode(raw)?;
            if decoded.l != list_name(list, provider) {
                return Err(Problem::bad_request(format!(
                    "cursor belongs to another list, not {list} of {provider}"
                ))
                .into());
            }
            Some(decoded.c)
        }
    };
    Ok(ListRequest { limit, cursor })
}

/// The client's `next_cursor` for a driver's next cursor.
pub fn provider_next_cursor(list: &str, provider: &str, next: Option<String>) -> Option<String> {
    next.map(|c| {
        encode(&ProviderCursor {
            l: list_name(list, provider),
            c,
        })
    })
}

/// One page of an aggregated list: the items, the next cursor, and the providers that failed.
#[derive(Debug)]
pub struct AggregatePage<T> {
    /// At most `limit` items, in provider id order.
    pub items: Vec<T>,
    /// Cursor for the next page.
    pub next_cursor: Option<String>,
    /// Providers that failed this time (they are left out of later pages).
    pub errors: Vec<AggregateError>,
}

/// Reads one page across `providers` concurrently. `fetch` reads one provider's page.
pub async fn aggregate<T, F, Fut>(
    list: &str,
    providers: Vec<Arc<ProviderEntry>>,
    limit: Option<usize>,
    cursor: Option<&str>,
    fetch: F,
) -> Result<AggregatePage<T>, ApiError>
where
    F: Fn(Arc<ProviderEntry>, ListRequest) -> Fut,
    Fut: Future<Output = DriverResult<Page<T>>>,
{
    let limit = page_limit(limit)?;
    let positions = match cursor {
        None => providers
            .iter()
            .map(|p| (p.id().to_owned(), Position { c: None, s: 0 }))
            .collect(),
        Some(raw) => {
            let decoded: AggregateCursor = decode(raw)?;
            if decoded.l != list {
                return Err(Problem::bad_request(format!(
                    "cursor belongs to another list, not {list}"
                ))
                .into());
            }
            decoded.a
        }
    };
    let work: Vec<_> = providers
        .into_iter()
        .filter_map(|p| positions.get(p.id()).cloned().map(|pos| (p, pos)))
        .collect();
    let pages = join_all(work.into_iter().map(|(provider, pos)| {
        // Items before `s` were served already: read them again and drop them.
        let req = ListRequest {
            limit: limit + pos.s,
            cursor: pos.c.clone(),
        };
        let id = provider.id().to_owned();
        let call = fetch(provider, req);
        async move { (id, pos, call.await) }
    }))
    .await;
    Ok(merge(list, limit, pages))
}

fn merge<T>(
    list: &str,
    limit: usize,
    pages: Vec<(String, Position, DriverResult<Page<T>>)>,
) -> AggregatePage<T> {
    let mut items = Vec::new();
    let mut errors = Vec::new();
    let mut next = BTreeMap::new();
    for (provider, pos, result) in pages {
        let page = match result {
            Ok(page) => page,
            Err(e) => {
                errors.push(AggregateError {
                    provider,
                    problem: e.to_problem(),
                });
                continue;
            }
        };
        let fresh: Vec<T> = page.items.into_iter().skip(pos.s).collect();
        let room = limit - items.len();
        let fresh_len = fresh.len();
        items.extend(fresh.into_iter().take(room));
        let taken = fresh_len.min(room);
        if taken < fresh_len {
            next.insert(
                provider,
                Position {
                    c: pos.c,
                    s: pos.s + taken,
                },
            );
        } else if let Some(c) = page.next_cursor {
            next.insert(provider, Position { c: Some(c), s: 0 });
        }
    }
    let next_cursor = (!next.is_empty()).then(|| {
        encode(&AggregateCursor {
            l: list.to_owned(),
            a: next,
        })
    });
    AggregatePage {
        items,
        next_cursor,
        errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::{DriverError, ErrorKind};

    fn page(items: &[u32], next: Option<&str>) -> DriverResult<Page<u32>> {
        Ok(Page {
            items: items.to_vec(),
            next_cursor: next.map(str::to_owned),
        })
    }

    fn start() -> Position {
        Position { c: None, s: 0 }
    }

    #[test]
    fn limit_defaults_and_bounds() {
        assert_eq!(page_limit(None).ok(), Some(DEFAULT_LIMIT));
        assert!(page_limit(Some(0)).is_err());
        assert!(page_limit(Some(MAX_LIMIT + 1)).is_err());
    }

    #[test]
    fn provider_cursor_round_trips_and_is_bound_to_its_list() {
        let next = provider_next_cursor("servers", "gg", Some("o:2".into()));
        let req = provider_request("servers", "gg", Some(2), next.as_deref()).ok();
        assert_eq!(req.and_then(|r| r.cursor), Some("o:2".to_owned()));
        assert!(provider_request("images", "gg", Some(2), next.as_deref()).is_err());
        assert!(provider_request("servers", "gg", Some(2), Some("garbage!")).is_err());
    }

    #[test]
    fn merge_never_exceeds_limit_and_resumes_inside_a_page() {
        let pages = vec![
            ("a".into(), start(), page(&[1, 2, 3], Some("a2"))),
            ("b".into(), start(), page(&[10], None)),
        ];
        let out = merge("servers", 2, pages);
        assert_eq!(out.items, vec![1, 2]);
        let cursor: AggregateCursor = decode(out.next_cursor.as_deref().unwrap_or_default())
            .unwrap_or_else(|_| panic!("cursor"));
        assert_eq!(cursor.a.get("a"), Some(&Position { c: None, s: 2 }));
        assert_eq!(cursor.a.get("b"), Some(&Position { c: None, s: 0 }));
    }

    #[test]
    fn merge_skips_served_items_and_moves_to_the_next_page() {
        let pages = vec![(
            "a".into(),
            Position { c: None, s: 2 },
            page(&[1, 2, 3], Some("a2")),
        )];
        let out = merge("servers", 5, pages);
        assert_eq!(out.items, vec![3]);
        let cursor: AggregateCursor = decode(out.next_cursor.as_deref().unwrap_or_default())
            .unwrap_or_else(|_| panic!("cursor"));
        assert_eq!(
            cursor.a.get("a"),
            Some(&Position {
                c: Some("a2".into()),
                s: 0
            })
        );
    }

    #[test]
    fn failing_provider_is_reported_and_others_still_served() {
        let failed: DriverResult<Page<u32>> =
            Err(DriverError::new(ErrorKind::Unavailable, "down").with_provider("b"));
        let pages = vec![
            ("a".into(), start(), page(&[1], None)),
            ("b".into(), start(), failed),
        ];
        let out = merge("servers", 10, pages);
        assert_eq!(out.items, vec![1]);
        assert_eq!(out.errors.len(), 1);
        assert_eq!(out.errors[0].provider, "b");
        assert_eq!(out.next_cursor, None);
    }
}
