//! Opaque, tamper-evident cursors and page limits: the one place list paging rules live.
//!
//! A cursor is `base64url(JSON payload) "." base64url(HMAC-SHA256(key, payload))`. The key is
//! shared by every replica (`serve --cursor-key`, env `CLOUDGW_CURSOR_KEY`) so a cursor issued by
//! one replica is honoured by the others; without it each process draws a random key, and cursors
//! do not survive a restart. A cursor whose tag does not verify (forged, altered, from another
//! key) is a 400 — it never reaches a driver.
//!
//! A per-provider cursor wraps the driver's own cursor with the list it belongs to, so a cursor
//! from one list is rejected on another. An aggregated cursor holds, for every provider not yet
//! exhausted, where its next item is: the driver cursor of the page it is on and how many of that
//! page's items were already served (`s`, at most [`MAX_SKIP`]).

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::{ServiceError, ServiceResult};

/// Items per page when the client does not say.
pub const DEFAULT_LIMIT: usize = 100;
/// The most items a page may hold.
pub const MAX_LIMIT: usize = 1000;
/// The most items of one provider page an aggregated cursor may have served already. The
/// gateway never issues more (see `aggregate::merge`), so a larger one is refused: a driver is
/// never asked for more than `MAX_LIMIT + MAX_SKIP` items.
pub const MAX_SKIP: usize = 4 * MAX_LIMIT;
/// The longest cursor accepted (a driver cursor is short; this bounds the work before the MAC).
const MAX_CURSOR_LEN: usize = 8 * 1024;

/// The page size for a request's `limit`.
pub fn page_limit(limit: Option<usize>) -> ServiceResult<usize> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(n) => Err(ServiceError::bad_request(format!(
            "limit must be between 1 and {MAX_LIMIT}, not {n}"
        ))),
    }
}

/// The key cursors are authenticated with. Its `Debug` never shows it.
#[derive(Clone)]
pub struct CursorKey([u8; 32]);

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(******)")
    }
}

/// The shortest `--cursor-key` accepted.
pub const MIN_KEY_LEN: usize = 16;

impl CursorKey {
    /// A key derived from an operator's secret (every replica given the same secret derives the
    /// same key). Secrets shorter than [`MIN_KEY_LEN`] are refused.
    pub fn from_secret(secret: &str) -> Result<CursorKey, String> {
        if secret.len() < MIN_KEY_LEN {
            return Err(format!(
                "the cursor key must be at least {MIN_KEY_LEN} characters long"
            ));
        }
        let mut hash = Sha256::new();
        hash.update(b"cloudgw cursor key v1\0");
        hash.update(secret.as_bytes());
        Ok(CursorKey(hash.finalize().into()))
    }

    /// A key of this process alone (random): cursors work only against this process.
    pub fn random() -> CursorKey {
        let mut key = [0u8; 32];
        key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        CursorKey(key)
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes keys of any length; this cannot fail for 32 bytes.
        <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"))
    }

    /// Signs and encodes `value`.
    fn seal<T: Serialize>(&self, value: &T) -> String {
        let payload = serde_json::to_vec(value).unwrap_or_default();
        let mut mac = self.mac();
        mac.update(&payload);
        let tag = mac.finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// Verifies and decodes a cursor this key sealed.
    fn open<T: for<'de> Deserialize<'de>>(&self, raw: &str) -> ServiceResult<T> {
        let not_ours = || ServiceError::bad_request("cursor is not one this gateway issued");
        if raw.len() > MAX_CURSOR_LEN {
            return Err(not_ours());
        }
        let (payload, tag) = raw.split_once('.').ok_or_else(not_ours)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| not_ours())?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| not_ours())?;
        let mut mac = self.mac();
        mac.update(&payload);
        // Constant-time comparison: the tag cannot be guessed byte by byte.
        mac.verify_slice(&tag).map_err(|_| not_ours())?;
        serde_json::from_slice(&payload).map_err(|_| not_ours())
    }
}

/// A position in a list the gateway keeps itself (deliveries, …): the list's name and the
/// position of the last item served.
#[derive(Serialize, Deserialize)]
struct StoredListCursor {
    l: String,
    p: i64,
}

impl CursorKey {
    /// The cursor of the page after the item at `position` of the stored list `list`.
    pub(crate) fn stored_list_cursor(&self, list: &str, position: i64) -> String {
        self.seal(&StoredListCursor {
            l: list.to_owned(),
            p: position,
        })
    }

    /// The position a cursor of the stored list `list` stands at; 400 for any other cursor.
    pub(crate) fn open_stored_list_cursor(&self, list: &str, raw: &str) -> ServiceResult<i64> {
        let cursor: StoredListCursor = self.open(raw)?;
        if cursor.l != list {
            return Err(ServiceError::bad_request("cursor belongs to another list"));
        }
        Ok(cursor.p)
    }
}

#[derive(Serialize, Deserialize)]
struct ProviderCursor {
    /// The list: `servers@gogrid`, …
    l: String,
    /// The driver's cursor.
    c: String,
}

/// Where one provider stands in an aggregated list.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub(crate) struct Position {
    /// The driver cursor of the page the next item is on (`None`: the first page).
    pub(crate) c: Option<String>,
    /// How many items of that page were already served.
    pub(crate) s: usize,
}

impl Position {
    pub(crate) fn start() -> Position {
        Position { c: None, s: 0 }
    }
}

#[derive(Serialize, Deserialize)]
struct AggregateCursor {
    l: String,
    a: BTreeMap<String, Position>,
}

fn list_name(list: &str, provider: &str) -> String {
    format!("{list}@{provider}")
}

impl CursorKey {
    /// The driver cursor inside a per-provider list cursor, checked to belong to that list.
    pub(crate) fn provider_cursor(
        &self,
        list: &str,
        provider: &str,
        cursor: Option<&str>,
    ) -> ServiceResult<Option<String>> {
        let Some(raw) = cursor else {
            return Ok(None);
        };
        let decoded: ProviderCursor = self.open(raw)?;
        if decoded.l != list_name(list, provider) {
            return Err(ServiceError::bad_request(format!(
                "cursor belongs to another list, not {list} of {provider}"
            )));
        }
        Ok(Some(decoded.c))
    }

    /// The client's `next_cursor` for a driver's next cursor.
    pub(crate) fn next_provider_cursor(
        &self,
        list: &str,
        provider: &str,
        next: Option<String>,
    ) -> Option<String> {
        next.map(|c| {
            self.seal(&ProviderCursor {
                l: list_name(list, provider),
                c,
            })
        })
    }

    /// The positions inside an aggregated cursor, checked to belong to `list` and bounded.
    pub(crate) fn aggregate_positions(
        &self,
        list: &str,
        raw: &str,
    ) -> ServiceResult<BTreeMap<String, Position>> {
        let decoded: AggregateCursor = self.open(raw)?;
        if decoded.l != list {
            return Err(ServiceError::bad_request(format!(
                "cursor belongs to another list, not {list}"
            )));
        }
        if decoded.a.values().any(|p| p.s > MAX_SKIP) {
            return Err(ServiceError::bad_request(
                "cursor is not one this gateway issued",
            ));
        }
        Ok(decoded.a)
    }

    /// The client's `next_cursor` of an aggregated list.
    pub(crate) fn next_aggregate_cursor(
        &self,
        list: &str,
        positions: BTreeMap<String, Position>,
    ) -> Option<String> {
        (!positions.is_empty()).then(|| {
            self.seal(&AggregateCursor {
                l: list.to_owned(),
                a: positions,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> CursorKey {
        CursorKey::from_secret("a key for the tests only").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn limit_defaults_and_bounds() {
        assert_eq!(page_limit(None).ok(), Some(DEFAULT_LIMIT));
        assert!(page_limit(Some(0)).is_err());
        assert!(page_limit(Some(MAX_LIMIT + 1)).is_err());
    }

    #[test]
    fn provider_cursor_round_trips_and_is_bound_to_its_list() {
        let k = key();
        let next = k.next_provider_cursor("servers", "gg", Some("o:2".into()));
        let back = k.provider_cursor("servers", "gg", next.as_deref()).ok();
        assert_eq!(back, Some(Some("o:2".to_owned())));
        assert!(k.provider_cursor("images", "gg", next.as_deref()).is_err());
        assert!(
            k.provider_cursor("servers", "gg", Some("garbage!"))
                .is_err()
        );
    }

    #[test]
    fn unsigned_forged_or_other_key_cursors_are_400() {
        let k = key();
        // The old, unsigned format: base64 JSON alone.
        let forged = URL_SAFE_NO_PAD.encode(br#"{"l":"servers@gg","c":"o:1000000000"}"#);
        let err = k.provider_cursor("servers", "gg", Some(&forged)).err();
        assert_eq!(err.map(|e| e.problem.status), Some(400));
        // A real cursor with its payload altered and the tag kept.
        let good = k
            .next_provider_cursor("servers", "gg", Some("o:2".into()))
            .unwrap_or_default();
        let (_, tag) = good.split_once('.').unwrap_or_default();
        let altered = format!(
            "{}.{tag}",
            URL_SAFE_NO_PAD.encode(br#"{"l":"servers@gg","c":"o:999999"}"#)
        );
        assert!(k.provider_cursor("servers", "gg", Some(&altered)).is_err());
        // A cursor another gateway (another key) issued.
        let other = CursorKey::random().next_provider_cursor("servers", "gg", Some("o:2".into()));
        assert!(
            k.provider_cursor("servers", "gg", other.as_deref())
                .is_err()
        );
    }

    #[test]
    fn aggregate_cursor_with_a_skip_past_the_bound_is_refused_even_when_signed() {
        let k = key();
        for s in [MAX_SKIP + 1, 1_000_000_000, usize::MAX] {
            let positions = BTreeMap::from([("lg".to_owned(), Position { c: None, s })]);
            let raw = k
                .next_aggregate_cursor("servers", positions)
                .unwrap_or_default();
            let err = k.aggregate_positions("servers", &raw).err();
            assert_eq!(err.map(|e| e.problem.status), Some(400), "s = {s}");
        }
        let ok = BTreeMap::from([(
            "lg".to_owned(),
            Position {
                c: None,
                s: MAX_SKIP,
            },
        )]);
        let raw = k.next_aggregate_cursor("servers", ok).unwrap_or_default();
        assert!(k.aggregate_positions("servers", &raw).is_ok());
        assert!(k.aggregate_positions("images", &raw).is_err());
    }

    #[test]
    fn keys_from_the_same_secret_agree_and_never_print() {
        let a = key();
        let b = key();
        let c = a.next_provider_cursor("sizes", "p", Some("x".into()));
        assert!(b.provider_cursor("sizes", "p", c.as_deref()).is_ok());
        assert_eq!(format!("{a:?}"), "CursorKey(******)");
        assert!(CursorKey::from_secret("short").is_err());
    }
}
