//! Recorded and simulated answers compared by shape: for an entity its kind, attribute names,
//! inline link kinds, implemented actions and templates; for the query interface its OGF kinds,
//! implemented actions and templates.

use std::collections::BTreeSet;

use cloudgw::occi::{self, CategoryClass, CategoryId, Entity, QueryInterface};
use cloudgw::sim::occi::Catalog;

use super::replay::Got;
use super::{Exchange, entity_of, query_interface_of};

/// The compute and storage actions the simulator implements.
fn implemented_action(id: &CategoryId) -> bool {
    let compute = ["start", "stop", "restart", "suspend"];
    let storage = ["online", "offline"];
    (id.scheme == occi::ids::COMPUTE_ACTION && compute.contains(&id.term.as_str()))
        || (id.scheme == occi::ids::STORAGE_ACTION && storage.contains(&id.term.as_str()))
}

pub fn compare_entities(ex: &Exchange, got: &Got, catalog: &Catalog) -> Vec<String> {
    let Some(want) = entity_of(&ex.response_headers, &ex.response_body) else {
        return Vec::new();
    };
    let Some(have) = entity_of(&got.headers, &got.body) else {
        return vec![format!("no entity in the simulator's answer: {}", got.body)];
    };
    let mut diffs = Vec::new();
    let names = |e: &Entity| -> BTreeSet<String> {
        e.attributes
            .iter()
            .map(|(n, _)| n.to_owned())
            // OGF attributes only: `org.opennebula.*` and the like belong to the backend.
            // `occi.core.summary` is optional free text, rendered by some rOCCI backends only.
            .filter(|n| n.starts_with("occi.") && n != "occi.compute.state.message")
            .filter(|n| n != "occi.core.summary")
            .collect()
    };
    let link_kinds = |e: &Entity| -> BTreeSet<String> {
        e.links
            .iter()
            .filter_map(|l| l.kind().map(|k| k.term.clone()))
            .collect()
    };
    let actions = |e: &Entity| -> BTreeSet<String> {
        e.actions
            .iter()
            .filter(|a| implemented_action(a))
            .map(|a| a.term.clone())
            .collect()
    };
    // pyssf's dummy backend has no networking; the simulator gives every compute interfaces,
    // so a recorded rendering's link kinds must be among the simulator's.
    if !link_kinds(&want).is_subset(&link_kinds(&have)) {
        diffs.push(format!(
            "inline link kinds: recorded {:?}, simulator {:?}",
            link_kinds(&want),
            link_kinds(&have)
        ));
    }
    let templates = |e: &Entity| -> BTreeSet<String> {
        e.mixins
            .iter()
            .filter(|m| m.scheme == catalog.os_scheme || m.scheme == catalog.resource_scheme)
            .map(CategoryId::type_id)
            .collect()
    };
    // rOCCI-server 1.x rendered no action links at all; where one is rendered, the
    // implemented ones must match.
    if !want.actions.is_empty() && actions(&want) != actions(&have) {
        diffs.push(format!(
            "implemented actions: recorded {:?}, simulator {:?}",
            actions(&want),
            actions(&have)
        ));
    }
    // rOCCI-server 1.x rendered no template mixins on a compute.
    if !templates(&want).is_empty() && templates(&want) != templates(&have) {
        diffs.push(format!(
            "template mixins: recorded {:?}, simulator {:?}",
            templates(&want),
            templates(&have)
        ));
    }
    for (what, w, h) in [
        (
            "kind",
            BTreeSet::from([want.kind.type_id()]),
            BTreeSet::from([have.kind.type_id()]),
        ),
        ("attribute names", names(&want), names(&have)),
    ] {
        if w != h {
            diffs.push(format!("{what}: recorded {w:?}, simulator {h:?}"));
        }
    }
    diffs
}

pub fn compare_query_interfaces(ex: &Exchange, got: &Got) -> Vec<String> {
    let Some(want) = query_interface_of(&ex.response_headers, &ex.response_body) else {
        return Vec::new();
    };
    let Some(have) = query_interface_of(&got.headers, &got.body) else {
        return vec![format!(
            "no query interface in the simulator's answer: {}",
            got.body
        )];
    };
    let infra = |qi: &QueryInterface, class: CategoryClass| -> BTreeSet<String> {
        qi.of_class(class)
            .filter(|c| c.id.scheme.starts_with("http://schemas.ogf.org/occi/"))
            .filter(|c| class != CategoryClass::Action || implemented_action(&c.id))
            .map(|c| c.id.type_id())
            .collect()
    };
    let templates = |qi: &QueryInterface| -> BTreeSet<String> {
        ["os_tpl", "resource_tpl"]
            .iter()
            .flat_map(|t| {
                let base = occi::ids::infra(t);
                qi.mixins_related_to(&base)
                    .map(|m| m.id.type_id())
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let mut diffs = Vec::new();
    // Every template the recorded server offered is offered (the rOCCI cassettes were recorded
    // at different times with different images; pyssf's example backend had none, and the
    // simulator offers some so servers can be created).
    if !templates(&want).is_subset(&templates(&have)) {
        diffs.push(format!(
            "templates: recorded {:?}, simulator {:?}",
            templates(&want),
            templates(&have)
        ));
    }
    let want_kinds = infra(&want, CategoryClass::Kind);
    let have_kinds = infra(&have, CategoryClass::Kind);
    // Kinds the recorded servers had that the simulator does not serve.
    let not_simulated = [
        "http://schemas.ogf.org/occi/infrastructure#ipreservation",
        "http://schemas.ogf.org/occi/infrastructure/compute#console",
    ];
    let want_kinds: BTreeSet<String> = want_kinds
        .into_iter()
        .filter(|k| !not_simulated.contains(&k.as_str()))
        .collect();
    for (what, w, h) in [
        ("OGF kinds", want_kinds, have_kinds),
        (
            "implemented actions",
            infra(&want, CategoryClass::Action),
            infra(&have, CategoryClass::Action),
        ),
    ] {
        if w != h {
            diffs.push(format!("{what}: recorded {w:?}, simulator {h:?}"));
        }
    }
    diffs
}
