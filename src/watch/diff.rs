//! What changed between what the gateway last knew of a provider's resources and one listing.

use std::collections::{HashMap, HashSet};

use crate::model::ResourceKind;

/// A resource at one provider.
pub type Key = (ResourceKind, String);

/// One resource as a listing showed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    /// Its unified state (`running`, `in_use`, …).
    pub state: String,
    /// The resource as the API renders it.
    pub data: serde_json::Value,
}

/// What the gateway last knew of a resource.
#[derive(Debug, Clone, PartialEq)]
pub enum Known {
    /// Seen (by a listing or an event) in this state, as this resource.
    Seen(Seen),
    /// Deleted through the gateway: its disappearance is not news.
    DeletedByGateway,
}

/// A change to publish: the resource's new state and what it now is.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Which resource.
    pub key: Key,
    /// Its state now (`terminated` or `deleted` when it is gone from the listing).
    pub seen: Seen,
}

/// The state a resource that vanished from its listing is reported in.
fn gone_state(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Server => "terminated",
        ResourceKind::Volume => "deleted",
    }
}

/// Changes between `known` and a complete `listing` of one kind, skipping `busy` resources (an
/// operation of the gateway's is changing them, and its follower reports what it sees), and
/// updates `known` to the listing. A resource first seen already gone (a terminated instance
/// still listed) is not news either.
pub fn diff(
    kind: ResourceKind,
    known: &mut HashMap<Key, Known>,
    listing: HashMap<String, Seen>,
    busy: &HashSet<Key>,
) -> Vec<Change> {
    let mut changes = Vec::new();
    let vanished: Vec<Key> = known
        .keys()
        .filter(|key| key.0 == kind && !listing.contains_key(&key.1))
        .cloned()
        .collect();
    for key in vanished {
        if let Some(Known::Seen(last)) = known.remove(&key)
            && !busy.contains(&key)
            && last.state != gone_state(kind)
        {
            changes.push(Change {
                seen: gone(kind, last),
                key,
            });
        }
    }
    for (id, seen) in listing {
        let key = (kind, id);
        let news = match known.get(&key) {
            _ if busy.contains(&key) => false,
            Some(Known::DeletedByGateway) => false,
            Some(Known::Seen(last)) => last.state != seen.state,
            None => seen.state != gone_state(kind),
        };
        if news {
            changes.push(Change {
                key: key.clone(),
                seen: seen.clone(),
            });
        }
        if !matches!(known.get(&key), Some(Known::DeletedByGateway)) {
            known.insert(key, Known::Seen(seen));
        }
    }
    changes
}

/// The last seen resource, now gone: its state set to the gone state, no actions left.
fn gone(kind: ResourceKind, mut last: Seen) -> Seen {
    let state = gone_state(kind);
    if let Some(object) = last.data.as_object_mut() {
        object.insert("state".into(), state.into());
        if object.contains_key("actions") {
            object.insert("actions".into(), serde_json::json!([]));
        }
    }
    last.state = state.to_owned();
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(state: &str) -> Seen {
        Seen {
            state: state.into(),
            data: serde_json::json!({"state": state, "actions": ["stop"]}),
        }
    }

    fn listing(items: &[(&str, &str)]) -> HashMap<String, Seen> {
        items
            .iter()
            .map(|(id, state)| ((*id).to_owned(), seen(state)))
            .collect()
    }

    fn key(id: &str) -> Key {
        (ResourceKind::Server, id.to_owned())
    }

    #[test]
    fn created_changed_and_vanished_resources_are_changes() {
        let mut known = HashMap::new();
        let none = HashSet::new();
        let kind = ResourceKind::Server;
        let first = diff(
            kind,
            &mut known,
            listing(&[("a", "running"), ("b", "running")]),
            &none,
        );
        assert_eq!(first.len(), 2, "both new");
        let second = diff(
            kind,
            &mut known,
            listing(&[("a", "stopped"), ("c", "pending")]),
            &none,
        );
        let mut got: Vec<_> = second
            .iter()
            .map(|c| (c.key.1.as_str(), c.seen.state.as_str()))
            .collect();
        got.sort();
        assert_eq!(
            got,
            [("a", "stopped"), ("b", "terminated"), ("c", "pending")]
        );
        let b = second.iter().find(|c| c.key == key("b")).unwrap();
        assert_eq!(b.seen.data["actions"], serde_json::json!([]));
        assert!(
            diff(
                kind,
                &mut known,
                listing(&[("a", "stopped"), ("c", "pending")]),
                &none
            )
            .is_empty()
        );
    }

    #[test]
    fn busy_resources_and_gateway_deletes_are_not_news() {
        let kind = ResourceKind::Server;
        let mut known = HashMap::from([
            (key("a"), Known::Seen(seen("running"))),
            (key("d"), Known::DeletedByGateway),
        ]);
        let busy = HashSet::from([key("a"), key("n")]);
        let changes = diff(
            kind,
            &mut known,
            listing(&[("a", "stopping"), ("n", "pending"), ("d", "terminating")]),
            &busy,
        );
        assert!(changes.is_empty(), "{changes:?}");
        assert_eq!(
            known[&key("a")],
            Known::Seen(seen("stopping")),
            "still tracked"
        );
        assert_eq!(known[&key("d")], Known::DeletedByGateway);
        assert!(
            diff(
                kind,
                &mut known,
                listing(&[("a", "stopping"), ("n", "pending")]),
                &HashSet::new()
            )
            .is_empty()
        );
        assert!(!known.contains_key(&key("d")), "forgotten once gone");
    }

    #[test]
    fn a_resource_first_seen_gone_is_not_a_creation() {
        let mut known = HashMap::new();
        let changes = diff(
            ResourceKind::Server,
            &mut known,
            listing(&[("t", "terminated")]),
            &HashSet::new(),
        );
        assert!(changes.is_empty());
        let vanished = diff(
            ResourceKind::Server,
            &mut known,
            HashMap::new(),
            &HashSet::new(),
        );
        assert!(vanished.is_empty(), "was already terminated");
    }

    #[test]
    fn kinds_are_kept_apart() {
        let mut known = HashMap::from([(
            (ResourceKind::Volume, "v".to_owned()),
            Known::Seen(seen("available")),
        )]);
        let changes = diff(
            ResourceKind::Server,
            &mut known,
            HashMap::new(),
            &HashSet::new(),
        );
        assert!(
            changes.is_empty(),
            "a server listing says nothing of volumes"
        );
    }
}
