//! The conformance suite: one set of behaviour tests, written against the HTTP API and
//! `dyn Driver`, that every driver passes against a real server speaking its protocol.
//! Cases are chosen by capability: where a capability is false the case asserts the 501
//! `unsupported` answer instead of skipping.
//!
//! A driver's test file builds a [`Target`] and expands [`conformance_suite!`] with it. The
//! cases are in `lists.rs` (providers, catalogs, paging, filters, aggregated lists),
//! `servers.rs` (the server lifecycle, power actions, errors, idempotency, waiting) and
//! `volumes.rs`; this file holds the target, the suite's macro and groups, and the helpers the
//! cases share.
#![allow(dead_code)]

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::common::{Answer, Gateway};
use cloudgw::driver::{Capabilities, ErrorKind, ListRequest, ServerFilter};
use cloudgw::registry::ProviderEntry;

mod lists;
mod servers;
mod volumes;

use volumes::volumes_supported;

// The cases, where conformance_suite! finds them (`conformance::<case>`).
pub use lists::*;
pub use servers::*;
// A driver without volumes expands none of these cases.
#[allow(unused_imports)]
pub use volumes::*;

/// One driver and its backend behind a running gateway.
pub struct Target {
    pub gw: Gateway,
    pub provider: String,
    /// Whether the backend keeps transitional states (stopping, …) long enough to be seen.
    pub observable_transitions: bool,
    /// The image and size servers are created from (an image may need a minimum size);
    /// `None`: the first the provider lists.
    pub image_and_size: Option<(String, String)>,
    /// Ids in the driver's own format that name no server and no volume, so that not-found
    /// cases are answered by the provider rather than refused by the driver's id check.
    pub missing: MissingIds,
    /// The simulator behind the gateway when the test started it itself: its hold lets a case
    /// look at a transitional state without racing the simulated delay.
    pub sim: Option<cloudgw::sim::RunningSimulator>,
}

/// Well-formed ids of resources that do not exist.
#[derive(Debug, Clone)]
pub struct MissingIds {
    /// A server id.
    pub server: String,
    /// A volume id.
    pub volume: String,
}

impl Target {
    pub fn entry(&self) -> Arc<ProviderEntry> {
        match self.gw.registry.get(&self.provider) {
            Some(e) => e.clone(),
            None => panic!("provider {} is not configured", self.provider),
        }
    }

    pub fn caps(&self) -> Capabilities {
        self.entry().capabilities()
    }

    fn path(&self, rest: &str) -> String {
        format!("/v1/providers/{}{rest}", self.provider)
    }
}

/// Expands to one `#[tokio::test]` per case that applies to the target, each with a fresh target
/// from `$setup`. The core cases apply to every driver; each group after `;` is named by the
/// driver's test file when its cases apply there (see [`Group`]). A generated
/// `groups_named_are_exactly_the_applicable_ones` test starts the target and fails unless the
/// named groups are exactly those whose condition holds, so a case can neither be left out where
/// it applies nor counted as a pass where it cannot apply; the cases left out are reported there
/// as not applicable, with the reason.
#[macro_export]
macro_rules! conformance_suite {
    ($setup:path $(; $($group:ident),* $(,)?)?) => {
        $crate::conformance_suite!(@cases $setup;
            provider_lists_itself_with_its_capabilities,
            catalog_lists_page_without_gaps_or_repeats,
            servers_page_without_gaps_or_repeats,
            server_filters_by_state_and_name,
            server_lifecycle_create_stop_start_reboot_delete,
            power_actions_are_idempotent,
            reboot_of_a_stopped_server_is_invalid_state,
            unknown_server_is_not_found,
            bad_create_input_is_a_4xx_problem,
            idempotency_key_replays_and_rejects_another_body,
            prefer_wait_answers_200_with_the_final_server,
            driver_pages_servers_directly,
            aggregated_lists_include_this_provider
        );
        $($($crate::conformance_suite!(@group $setup; $group);)*)?

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn groups_named_are_exactly_the_applicable_ones() {
            let target = $setup().await;
            let named: &[&str] = &[$($(stringify!($group)),*)?];
            $crate::conformance::check_groups(&target, named);
        }
    };
    (@group $setup:path; transitions) => {
        $crate::conformance_suite!(@cases $setup; transitional_states_are_observed);
    };
    (@group $setup:path; some_unsupported) => {
        $crate::conformance_suite!(@cases $setup; unsupported_operations_answer_501);
    };
    (@group $setup:path; volumes) => {
        $crate::conformance_suite!(@cases $setup;
            volume_lifecycle_create_attach_detach_delete,
            volumes_page_without_gaps_or_repeats,
            unknown_volume_is_not_found,
            bad_volume_input_is_a_4xx_problem
        );
    };
    (@cases $setup:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let target = $setup().await;
                $crate::conformance::$case(&target).await;
            }
        )*
    };
}

/// A set of cases that applies only where its condition holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// `transitional_states_are_observed`: the backend keeps transitional states (stopping, …)
    /// long enough to be seen.
    Transitions,
    /// `unsupported_operations_answer_501`: the driver lacks at least one capability.
    SomeUnsupported,
    /// The four volume cases: the driver has block volumes.
    Volumes,
}

impl Group {
    const ALL: [Group; 3] = [Group::Transitions, Group::SomeUnsupported, Group::Volumes];

    fn name(self) -> &'static str {
        match self {
            Group::Transitions => "transitions",
            Group::SomeUnsupported => "some_unsupported",
            Group::Volumes => "volumes",
        }
    }

    fn cases(self) -> &'static [&'static str] {
        match self {
            Group::Transitions => &["transitional_states_are_observed"],
            Group::SomeUnsupported => &["unsupported_operations_answer_501"],
            Group::Volumes => &[
                "volume_lifecycle_create_attach_detach_delete",
                "volumes_page_without_gaps_or_repeats",
                "unknown_volume_is_not_found",
                "bad_volume_input_is_a_4xx_problem",
            ],
        }
    }

    /// `None` when the group applies to `t`, else why not.
    fn not_applicable(self, t: &Target) -> Option<&'static str> {
        let caps = t.caps();
        match self {
            Group::Transitions if !t.observable_transitions => {
                Some("the backend reaches the end state at once: no transitional state to see")
            }
            Group::SomeUnsupported if all_supported(&caps) => {
                Some("the driver supports every capability: nothing answers 501")
            }
            Group::Volumes if !volumes_supported(t) => {
                Some("no block volumes (unsupported_operations_answer_501 asserts their 501s)")
            }
            _ => None,
        }
    }
}

fn all_supported(caps: &Capabilities) -> bool {
    let flags = serde_json::to_value(caps).unwrap_or_default();
    flags
        .as_object()
        .is_some_and(|f| f.values().all(|v| v == &Value::Bool(true)))
}

/// Fails unless `named` are exactly the groups that apply to `t`; prints the cases that do not
/// apply, with the reason.
pub fn check_groups(t: &Target, named: &[&str]) {
    for group in Group::ALL {
        let listed = named.contains(&group.name());
        match group.not_applicable(t) {
            None => assert!(
                listed,
                "group `{}` applies to {} but its cases do not run: name it in conformance_suite!",
                group.name(),
                t.provider
            ),
            Some(why) => {
                assert!(
                    !listed,
                    "group `{}` cannot apply to {}: {why}",
                    group.name(),
                    t.provider
                );
                for case in group.cases() {
                    println!("not applicable on {}: {case}: {why}", t.provider);
                }
            }
        }
    }
    for name in named {
        assert!(
            Group::ALL.iter().any(|g| g.name() == *name),
            "unknown group {name}"
        );
    }
}

fn unique_name() -> String {
    format!("cg{}", &uuid::Uuid::new_v4().simple().to_string()[..10])
}

/// The first image and size the provider offers.
async fn image_and_size(t: &Target) -> (String, String) {
    if let Some(chosen) = &t.image_and_size {
        return chosen.clone();
    }
    let images = t.gw.get(&t.path("/images?limit=1")).await;
    assert_eq!(images.status, 200, "{images:?}");
    let sizes = t.gw.get(&t.path("/sizes?limit=1")).await;
    assert_eq!(sizes.status, 200, "{sizes:?}");
    let image = images.body["items"][0]["id"].as_str().map(str::to_owned);
    let size = sizes.body["items"][0]["id"].as_str().map(str::to_owned);
    match (image, size) {
        (Some(i), Some(s)) => (i, s),
        _ => panic!("provider offers no image or no size: {images:?} {sizes:?}"),
    }
}

async fn create_body(t: &Target) -> Value {
    let (image, size) = image_and_size(t).await;
    json!({"name": unique_name(), "image_id": image, "size_id": size})
}

/// Creates a server and waits until it runs; returns it.
async fn running_server(t: &Target) -> Value {
    let created = t.gw.post(&t.path("/servers"), &create_body(t).await).await;
    assert!(
        created.status == 202 || created.status == 200,
        "{created:?}"
    );
    let op =
        t.gw.wait_operation(created.body["operation"]["id"].as_str().unwrap_or_default())
            .await;
    assert_eq!(op["status"], "succeeded", "create failed: {op}");
    let id = created.body["server"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let server = t.gw.get(&t.path(&format!("/servers/{id}"))).await;
    assert_eq!(server.status, 200, "{server:?}");
    assert_eq!(server.body["state"], "running", "{server:?}");
    server.body
}

fn server_path(t: &Target, server: &Value) -> String {
    let id = server["id"].as_str().unwrap_or_default();
    t.path(&format!("/servers/{}", cloudgw::api::path_segment(id)))
}

/// Runs an action and waits for its operation; returns the 202/200 answer.
async fn act_and_wait(t: &Target, server: &Value, action: &str) -> Answer {
    let answer =
        t.gw.post_empty(&format!("{}/{action}", server_path(t, server)))
            .await;
    assert!(
        answer.status == 202 || answer.status == 200,
        "{action}: {answer:?}"
    );
    let op_id = answer.body["operation"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let op = t.gw.wait_operation(&op_id).await;
    assert_eq!(op["status"], "succeeded", "{action} failed: {op}");
    answer
}

async fn state_of(t: &Target, server: &Value) -> String {
    let got = t.gw.get(&server_path(t, server)).await;
    assert_eq!(got.status, 200, "{got:?}");
    got.body["state"].as_str().unwrap_or_default().to_owned()
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn assert_same_items_no_repeats(paged: &[Value], whole: &[Value], what: &str) {
    let paged_ids = ids(paged);
    let unique: HashSet<&String> = paged_ids.iter().collect();
    assert_eq!(
        unique.len(),
        paged_ids.len(),
        "{what}: an item was repeated across pages: {paged_ids:?}"
    );
    let mut a = paged_ids.clone();
    let mut b = ids(whole);
    a.sort();
    b.sort();
    assert_eq!(a, b, "{what}: paging lost or added items");
}
