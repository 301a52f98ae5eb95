//! Aggregated lists: one page across every able provider, queried concurrently, each provider
//! bounded by the aggregate timeout. A provider that fails or misses the deadline is listed under
//! `errors` and never hides (or delays) the others.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;

use super::cursor::{CursorKey, MAX_SKIP, Position, page_limit};
use super::error::ServiceResult;
use crate::driver::{DriverResult, ListRequest, Page};
use crate::model::{AggregateError, Problem, ProblemCode};
use crate::registry::ProviderEntry;

/// One page of an aggregated list: the items, the next cursor, and the providers that failed.
#[derive(Debug)]
pub(crate) struct AggregatePage<T> {
    /// At most `limit` items, in provider id order.
    pub(crate) items: Vec<T>,
    /// Cursor for the next page.
    pub(crate) next_cursor: Option<String>,
    /// Providers that failed this time (they are left out of later pages).
    pub(crate) errors: Vec<AggregateError>,
}

/// What one aggregated list needs besides its providers.
pub(crate) struct Aggregate<'a> {
    /// `servers`, `images`, `volumes`: what a cursor is bound to.
    pub(crate) list: &'a str,
    pub(crate) limit: Option<usize>,
    pub(crate) cursor: Option<&'a str>,
    pub(crate) timeout: Duration,
    pub(crate) key: &'a CursorKey,
}

/// Reads one page across `providers` concurrently. `fetch` reads one provider's page.
pub(crate) async fn aggregate<T, F, Fut>(
    spec: Aggregate<'_>,
    providers: Vec<Arc<ProviderEntry>>,
    fetch: F,
) -> ServiceResult<AggregatePage<T>>
where
    F: Fn(Arc<ProviderEntry>, ListRequest) -> Fut,
    Fut: Future<Output = DriverResult<Page<T>>>,
{
    let limit = page_limit(spec.limit)?;
    let positions = match spec.cursor {
        None => providers
            .iter()
            .map(|p| (p.id().to_owned(), Position::start()))
            .collect(),
        Some(raw) => spec.key.aggregate_positions(spec.list, raw)?,
    };
    let work: Vec<_> = providers
        .into_iter()
        .filter_map(|p| positions.get(p.id()).cloned().map(|pos| (p, pos)))
        .collect();
    // The aggregate timeout, or the request's own deadline when that comes sooner.
    let timeout =
        crate::layers::deadline::remaining().map_or(spec.timeout, |left| spec.timeout.min(left));
    let pages = join_all(work.into_iter().map(|(provider, pos)| {
        // Items before `s` were served already: read them again and drop them.
        let req = ListRequest {
            limit: limit + pos.s,
            cursor: pos.c.clone(),
        };
        let id = provider.id().to_owned();
        let call = fetch(provider, req);
        async move {
            let result = match tokio::time::timeout(timeout, call).await {
                Ok(result) => result.map_err(|e| e.to_problem()),
                Err(_) => Err(missed_deadline(&id, timeout)),
            };
            (id, pos, result)
        }
    }))
    .await;
    let (items, next, errors) = merge(limit, pages);
    Ok(AggregatePage {
        items,
        next_cursor: spec.key.next_aggregate_cursor(spec.list, next),
        errors,
    })
}

fn missed_deadline(provider: &str, timeout: Duration) -> Problem {
    Problem::new(
        ProblemCode::ProviderTimeout,
        504,
        format!(
            "the provider did not answer within the aggregate timeout of {}s; its items are missing from this page",
            timeout.as_secs_f64()
        ),
    )
    .with_provider(provider)
    .with_retryable(true)
}

type Merged<T> = (Vec<T>, BTreeMap<String, Position>, Vec<AggregateError>);

/// Joins the providers' pages into at most `limit` items and where each provider goes on.
pub(crate) fn merge<T>(
    limit: usize,
    pages: Vec<(String, Position, Result<Page<T>, Problem>)>,
) -> Merged<T> {
    let mut items = Vec::new();
    let mut errors = Vec::new();
    let mut next = BTreeMap::new();
    for (provider, pos, result) in pages {
        let page = match result {
            Ok(page) => page,
            Err(problem) => {
                errors.push(AggregateError { provider, problem });
                continue;
            }
        };
        let fresh: Vec<T> = page.items.into_iter().skip(pos.s).collect();
        let fresh_len = fresh.len();
        let mut room = limit - items.len();
        // A skip never grows past the bound cursors are checked against: a provider that would
        // need it waits (serves nothing this page) until earlier providers leave it full room,
        // when it moves on to its next driver page.
        if pos.s + room.min(fresh_len) > MAX_SKIP && room < fresh_len {
            room = 0;
        }
        let taken = fresh_len.min(room);
        items.extend(fresh.into_iter().take(taken));
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
    (items, next, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(items: &[u32], next: Option<&str>) -> Result<Page<u32>, Problem> {
        Ok(Page {
            items: items.to_vec(),
            next_cursor: next.map(str::to_owned),
        })
    }

    #[test]
    fn merge_never_exceeds_limit_and_resumes_inside_a_page() {
        let pages = vec![
            ("a".into(), Position::start(), page(&[1, 2, 3], Some("a2"))),
            ("b".into(), Position::start(), page(&[10], None)),
        ];
        let (items, next, _) = merge(2, pages);
        assert_eq!(items, vec![1, 2]);
        assert_eq!(next.get("a"), Some(&Position { c: None, s: 2 }));
        assert_eq!(next.get("b"), Some(&Position::start()));
    }

    #[test]
    fn merge_skips_served_items_and_moves_to_the_next_page() {
        let pages = vec![(
            "a".into(),
            Position { c: None, s: 2 },
            page(&[1, 2, 3], Some("a2")),
        )];
        let (items, next, _) = merge(5, pages);
        assert_eq!(items, vec![3]);
        let expected = Position {
            c: Some("a2".into()),
            s: 0,
        };
        assert_eq!(next.get("a"), Some(&expected));
    }

    #[test]
    fn merge_never_issues_a_skip_past_the_bound() {
        let many: Vec<u32> = (0..(MAX_SKIP as u32 + 1000)).collect();
        let near = Position {
            c: None,
            s: MAX_SKIP - 1,
        };
        let pages = vec![
            ("a".into(), Position::start(), page(&[1], None)),
            ("b".into(), near.clone(), page(&many, Some("b2"))),
        ];
        let (items, next, _) = merge(1000, pages);
        assert_eq!(items, vec![1]);
        assert_eq!(next.get("b"), Some(&near));
    }

    #[test]
    fn failing_provider_is_reported_and_others_still_served() {
        let failed: Result<Page<u32>, Problem> =
            Err(Problem::new(ProblemCode::ProviderUnavailable, 503, "down"));
        let pages = vec![
            ("a".into(), Position::start(), page(&[1], None)),
            ("b".into(), Position::start(), failed),
        ];
        let (items, next, errors) = merge(10, pages);
        assert_eq!(items, vec![1]);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].provider, "b");
        assert!(next.is_empty());
    }
}
