//! The conformance suite: one set of behaviour tests, written against the HTTP API and
//! `dyn Driver`, that every driver passes against a real server speaking its protocol.
//! Cases are chosen by capability: where a capability is false the case asserts the 501
//! `unsupported` answer instead of skipping.
//!
//! A driver's test file builds a [`Target`] and expands [`conformance_suite!`] with it.
#![allow(dead_code)]

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::common::{Answer, Gateway};
use cloudgw::driver::{Capabilities, ErrorKind, ListRequest, ServerFilter};
use cloudgw::registry::ProviderEntry;

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

pub async fn provider_lists_itself_with_its_capabilities(t: &Target) {
    let all = t.gw.get("/v1/providers").await;
    assert_eq!(all.status, 200);
    let listed = all.body["items"].as_array().cloned().unwrap_or_default();
    let me = listed.iter().find(|p| p["id"] == t.provider.as_str());
    let me = me.unwrap_or_else(|| panic!("{} not in {listed:?}", t.provider));
    assert_eq!(
        me["capabilities"],
        serde_json::to_value(t.caps()).unwrap_or_default()
    );
    let one = t.gw.get(&t.path("")).await;
    assert_eq!(one.status, 200);
    assert_eq!(&one.body, me);
}

pub async fn catalog_lists_page_without_gaps_or_repeats(t: &Target) {
    for list in ["/images", "/sizes", "/regions"] {
        let whole = t.gw.collect(&t.path(list), 1000).await;
        assert!(!whole.is_empty(), "{list} is empty");
        for item in &whole {
            assert_eq!(item["provider"], t.provider.as_str(), "{list}: {item}");
            assert!(
                item["id"].as_str().is_some_and(|s| !s.is_empty()),
                "{list}: {item}"
            );
        }
        for limit in [1, 2] {
            let paged = t.gw.collect(&t.path(list), limit).await;
            assert_same_items_no_repeats(&paged, &whole, &format!("{list} limit {limit}"));
        }
    }
    let first = t.gw.collect(&t.path("/images"), 1000).await;
    let id = first[0]["id"].as_str().unwrap_or_default();
    let one =
        t.gw.get(&t.path(&format!("/images/{}", cloudgw::api::path_segment(id))))
            .await;
    assert_eq!(one.status, 200, "{one:?}");
    assert_eq!(one.body["id"], first[0]["id"]);
}

pub async fn servers_page_without_gaps_or_repeats(t: &Target) {
    for _ in 0..3 {
        running_server(t).await;
    }
    let whole = t.gw.collect(&t.path("/servers"), 1000).await;
    assert!(whole.len() >= 3, "{whole:?}");
    for limit in [1, 2] {
        let paged = t.gw.collect(&t.path("/servers"), limit).await;
        assert_same_items_no_repeats(&paged, &whole, &format!("servers limit {limit}"));
    }
}

pub async fn server_filters_by_state_and_name(t: &Target) {
    let a = running_server(t).await;
    let b = running_server(t).await;
    act_and_wait(t, &b, "stop").await;
    let name = a["name"].as_str().unwrap_or_default();
    let by_name =
        t.gw.collect(&t.path(&format!("/servers?name={name}")), 1)
            .await;
    assert_eq!(
        ids(&by_name),
        vec![a["id"].as_str().unwrap_or_default().to_owned()]
    );
    let stopped = t.gw.collect(&t.path("/servers?state=stopped"), 1).await;
    assert!(
        stopped.iter().all(|s| s["state"] == "stopped"),
        "{stopped:?}"
    );
    assert!(ids(&stopped).contains(&b["id"].as_str().unwrap_or_default().to_owned()));
    assert!(!ids(&stopped).contains(&a["id"].as_str().unwrap_or_default().to_owned()));
    let bad = t.gw.get(&t.path("/servers?state=sleeping")).await;
    bad.assert_problem(400, "invalid_request");
}

pub async fn server_lifecycle_create_stop_start_reboot_delete(t: &Target) {
    let body = create_body(t).await;
    let created = t.gw.post(&t.path("/servers"), &body).await;
    assert_eq!(created.status, 202, "{created:?}");
    let op_id = created.body["operation"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        created.header("location"),
        Some(format!("/v1/operations/{op_id}").as_str())
    );
    assert_eq!(created.body["operation"]["kind"], "create_server");
    assert_eq!(created.body["server"]["name"], body["name"]);
    assert_eq!(created.body["server"]["provider"], t.provider.as_str());
    let op = t.gw.wait_operation(&op_id).await;
    assert_eq!(op["status"], "succeeded", "{op}");
    let server = created.body["server"].clone();
    assert_eq!(state_of(t, &server).await, "running");
    let fetched = t.gw.get(&server_path(t, &server)).await;
    assert_eq!(fetched.body["image_id"], body["image_id"], "{fetched:?}");
    assert_eq!(fetched.body["size_id"], body["size_id"], "{fetched:?}");
    assert!(
        fetched.body["actions"]
            .as_array()
            .is_some_and(|a| a.contains(&json!("stop"))),
        "{fetched:?}"
    );

    act_and_wait(t, &server, "stop").await;
    assert_eq!(state_of(t, &server).await, "stopped");
    act_and_wait(t, &server, "start").await;
    assert_eq!(state_of(t, &server).await, "running");
    act_and_wait(t, &server, "reboot").await;
    assert_eq!(state_of(t, &server).await, "running");

    let deleted = t.gw.delete(&server_path(t, &server)).await;
    assert!(
        deleted.status == 202 || deleted.status == 200,
        "{deleted:?}"
    );
    let op =
        t.gw.wait_operation(deleted.body["operation"]["id"].as_str().unwrap_or_default())
            .await;
    assert_eq!(op["status"], "succeeded", "{op}");
    let gone = t.gw.get(&server_path(t, &server)).await;
    if gone.status == 200 {
        assert_eq!(gone.body["state"], "terminated", "{gone:?}");
    } else {
        gone.assert_problem(404, "not_found");
    }
}

pub async fn transitional_states_are_observed(t: &Target) {
    let hold = match &t.sim {
        Some(sim) => sim.control().clone(),
        None => panic!(
            "transitions are observed through a simulator hold: start the simulator in the target"
        ),
    };
    let server = running_server(t).await;
    // Held, the stop stays in progress however slowly this machine runs.
    hold.hold();
    let stop =
        t.gw.post_empty(&format!("{}/stop", server_path(t, &server)))
            .await;
    assert_eq!(stop.status, 202, "{stop:?}");
    assert_eq!(stop.body["server"]["state"], "stopping", "{stop:?}");
    assert_eq!(
        state_of(t, &server).await,
        "stopping",
        "a later look while held"
    );
    let op_id = stop.body["operation"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let op = t.gw.get(&format!("/v1/operations/{op_id}")).await;
    assert!(
        op.body["status"] == "pending" || op.body["status"] == "running",
        "the operation must not finish while the provider holds the change: {op:?}"
    );
    hold.release();
    let op = t.gw.wait_operation(&op_id).await;
    assert_eq!(op["status"], "succeeded", "{op}");
    assert_eq!(state_of(t, &server).await, "stopped");
}

pub async fn power_actions_are_idempotent(t: &Target) {
    let server = running_server(t).await;
    let start =
        t.gw.post_empty(&format!("{}/start", server_path(t, &server)))
            .await;
    assert_eq!(
        start.status, 200,
        "start on running must succeed at once: {start:?}"
    );
    assert_eq!(start.body["operation"]["status"], "succeeded");
    assert_eq!(start.body["server"]["state"], "running");
    act_and_wait(t, &server, "stop").await;
    let stop =
        t.gw.post_empty(&format!("{}/stop", server_path(t, &server)))
            .await;
    assert_eq!(
        stop.status, 200,
        "stop on stopped must succeed at once: {stop:?}"
    );
    assert_eq!(stop.body["operation"]["status"], "succeeded");
}

pub async fn reboot_of_a_stopped_server_is_invalid_state(t: &Target) {
    let server = running_server(t).await;
    act_and_wait(t, &server, "stop").await;
    let reboot =
        t.gw.post_empty(&format!("{}/reboot", server_path(t, &server)))
            .await;
    reboot.assert_problem(409, "invalid_state");
    assert_eq!(reboot.body["provider"], t.provider.as_str());
}

pub async fn unknown_server_is_not_found(t: &Target) {
    let gone = &t.missing.server;
    let missing = t.gw.get(&t.path(&format!("/servers/{gone}"))).await;
    missing.assert_problem(404, "not_found");
    assert_eq!(missing.body["provider"], t.provider.as_str());
    for action in ["start", "stop", "reboot"] {
        let answer =
            t.gw.post_empty(&t.path(&format!("/servers/{gone}/{action}")))
                .await;
        answer.assert_problem(404, "not_found");
    }
    t.gw.delete(&t.path(&format!("/servers/{gone}")))
        .await
        .assert_problem(404, "not_found");
    let entry = t.entry();
    let err = entry.driver().get_server(gone).await.err();
    assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::NotFound));
    t.gw.get("/v1/providers/no-such-provider/servers")
        .await
        .assert_problem(404, "not_found");
}

pub async fn bad_create_input_is_a_4xx_problem(t: &Target) {
    let mut body = create_body(t).await;
    body["name"] = json!("");
    t.gw.post(&t.path("/servers"), &body)
        .await
        .assert_problem(422, "invalid_request");
    let mut body = create_body(t).await;
    body["colour"] = json!("blue");
    t.gw.post(&t.path("/servers"), &body)
        .await
        .assert_problem(422, "invalid_request");
    let mut body = create_body(t).await;
    body["image_id"] = json!("no-such-image-x");
    let answer = t.gw.post(&t.path("/servers"), &body).await;
    assert!(
        (400..500).contains(&answer.status),
        "unknown image must be a 4xx: {answer:?}"
    );
    assert_eq!(
        answer.header("content-type"),
        Some("application/problem+json")
    );
    let raw =
        t.gw.send(
            t.gw.client
                .post(t.gw.url(&t.path("/servers")))
                .header("content-type", "application/json")
                .body("{\"name\":"),
        )
        .await;
    raw.assert_problem(400, "invalid_request");
    let untyped =
        t.gw.send(
            t.gw.client
                .post(t.gw.url(&t.path("/servers")))
                .body("name=x"),
        )
        .await;
    untyped.assert_problem(415, "invalid_request");
    t.gw.get(&t.path("/servers?limit=0"))
        .await
        .assert_problem(400, "invalid_request");
    t.gw.get(&t.path("/servers?limit=abc"))
        .await
        .assert_problem(400, "invalid_request");
    t.gw.get(&t.path("/servers?cursor=not-a-cursor"))
        .await
        .assert_problem(400, "invalid_request");
}

pub async fn unsupported_operations_answer_501(t: &Target) {
    let caps = t.caps();
    let mut checked = 0;
    let expect = |answer: Answer, what: &str| {
        assert_eq!(answer.status, 501, "{what}: {answer:?}");
        answer.assert_problem(501, "unsupported");
    };
    if !caps.list_volumes {
        expect(t.gw.get(&t.path("/volumes")).await, "list volumes");
        checked += 1;
    }
    if !caps.get_volume {
        expect(t.gw.get(&t.path("/volumes/v-1")).await, "get volume");
        checked += 1;
    }
    if !caps.create_volume {
        expect(
            t.gw.post(&t.path("/volumes"), &json!({"name": "v", "size_gib": 1}))
                .await,
            "create volume",
        );
        checked += 1;
    }
    if !caps.delete_volume {
        expect(t.gw.delete(&t.path("/volumes/v-1")).await, "delete volume");
        checked += 1;
    }
    if !caps.attach_volume {
        expect(
            t.gw.post(&t.path("/volumes/v-1/attach"), &json!({"server_id": "s"}))
                .await,
            "attach volume",
        );
        checked += 1;
    }
    if !caps.detach_volume {
        expect(
            t.gw.post_empty(&t.path("/volumes/v-1/detach")).await,
            "detach volume",
        );
        checked += 1;
    }
    if !caps.list_images_by_owner {
        expect(
            t.gw.get(&t.path("/images?owner=someone")).await,
            "images by owner",
        );
        checked += 1;
    }
    let options = [
        (caps.create_server_in_zone, "zone", json!("zone-a")),
        (
            caps.create_server_with_key_name,
            "key_name",
            json!("my-key"),
        ),
        (
            caps.create_server_with_user_data,
            "user_data",
            json!("#!/bin/sh\n"),
        ),
        (caps.create_server_with_tags, "tags", json!({"team": "x"})),
    ];
    for (supported, field, value) in options {
        if !supported {
            let mut body = create_body(t).await;
            body[field] = value;
            let answer = t.gw.post(&t.path("/servers"), &body).await;
            assert!(
                answer.body["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains(field)),
                "{answer:?}"
            );
            expect(answer, field);
            checked += 1;
        }
    }
    // Nothing was created by the refused requests.
    let servers = t.gw.collect(&t.path("/servers"), 1000).await;
    assert!(
        servers.is_empty(),
        "a refused create left a server: {servers:?}"
    );
    assert!(
        checked > 0,
        "no unsupported capability was checked: {caps:?}"
    );
}

pub async fn idempotency_key_replays_and_rejects_another_body(t: &Target) {
    let body = create_body(t).await;
    let key = uuid::Uuid::new_v4().to_string();
    let send = |body: &Value| {
        t.gw.client
            .post(t.gw.url(&t.path("/servers")))
            .header("idempotency-key", &key)
            .json(body)
    };
    let first = t.gw.send(send(&body)).await;
    assert_eq!(first.status, 202, "{first:?}");
    let again = t.gw.send(send(&body)).await;
    assert_eq!(again.status, 202, "{again:?}");
    assert_eq!(again.body["operation"]["id"], first.body["operation"]["id"]);
    assert_eq!(again.header("location"), first.header("location"));
    let mut other = body.clone();
    other["name"] = json!(unique_name());
    t.gw.send(send(&other))
        .await
        .assert_problem(422, "invalid_request");
    t.gw.wait_operation(first.body["operation"]["id"].as_str().unwrap_or_default())
        .await;
    let named =
        t.gw.collect(
            &t.path(&format!(
                "/servers?name={}",
                body["name"].as_str().unwrap_or_default()
            )),
            10,
        )
        .await;
    assert_eq!(
        named.len(),
        1,
        "the repeated create made another server: {named:?}"
    );
}

pub async fn prefer_wait_answers_200_with_the_final_server(t: &Target) {
    let body = create_body(t).await;
    let req =
        t.gw.client
            .post(t.gw.url(&t.path("/servers")))
            .header("prefer", "wait=60")
            .json(&body);
    let answer = t.gw.send(req).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body["operation"]["status"], "succeeded");
    assert_eq!(answer.body["server"]["state"], "running");
    let server = answer.body["server"].clone();
    let stop =
        t.gw.send(
            t.gw.client
                .post(t.gw.url(&format!("{}/stop", server_path(t, &server))))
                .header("prefer", "wait=60"),
        )
        .await;
    assert_eq!(stop.status, 200, "{stop:?}");
    assert_eq!(stop.body["server"]["state"], "stopped");
}

pub async fn driver_pages_servers_directly(t: &Target) {
    for _ in 0..3 {
        running_server(t).await;
    }
    let entry = t.entry();
    let driver = entry.driver();
    let mut seen = Vec::new();
    let mut cursor = None;
    for _ in 0..100 {
        let req = ListRequest {
            limit: 1,
            cursor: cursor.take(),
        };
        let page = match driver.list_servers(&req, &ServerFilter::default()).await {
            Ok(p) => p,
            Err(e) => panic!("list_servers: {e}"),
        };
        assert!(page.items.len() <= 1);
        seen.extend(page.items.into_iter().map(|s| s.id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "{seen:?}");
    assert!(seen.len() >= 3, "{seen:?}");
    let bad = driver
        .list_servers(
            &ListRequest {
                limit: 1,
                cursor: Some("bogus".into()),
            },
            &ServerFilter::default(),
        )
        .await;
    assert_eq!(bad.err().map(|e| e.kind()), Some(ErrorKind::InvalidRequest));
}

pub async fn aggregated_lists_include_this_provider(t: &Target) {
    let server = running_server(t).await;
    let all = t.gw.collect("/v1/servers", 1).await;
    assert!(
        all.iter()
            .any(|s| s["id"] == server["id"] && s["provider"] == t.provider.as_str()),
        "{all:?}"
    );
    let page = t.gw.get("/v1/servers").await;
    assert_eq!(page.body["errors"], json!([]), "{page:?}");
    let images = t.gw.get("/v1/images?limit=5").await;
    assert_eq!(images.status, 200);
    assert!(
        images.body["items"]
            .as_array()
            .is_some_and(|i| !i.is_empty() && i.len() <= 5)
    );
}

/// Where volumes are unsupported the volume cases assert the 501 and stop: the driver must
/// not half-support them.
fn volumes_supported(t: &Target) -> bool {
    let caps = t.caps();
    let all = [
        caps.list_volumes,
        caps.get_volume,
        caps.create_volume,
        caps.delete_volume,
    ];
    assert!(
        all.iter().all(|c| *c) || all.iter().all(|c| !*c),
        "volume capabilities must come as a set: {caps:?}"
    );
    caps.create_volume
}

fn volume_path(t: &Target, volume: &Value) -> String {
    let id = volume["id"].as_str().unwrap_or_default();
    t.path(&format!("/volumes/{}", cloudgw::api::path_segment(id)))
}

/// Follows the operation of a 202/200 volume answer to success; returns the answer.
async fn volume_op_succeeds(answer: Answer, t: &Target, what: &str) -> Answer {
    assert!(
        answer.status == 202 || answer.status == 200,
        "{what}: {answer:?}"
    );
    let op_id = answer.body["operation"]["id"].as_str().unwrap_or_default();
    let op = t.gw.wait_operation(op_id).await;
    assert_eq!(op["status"], "succeeded", "{what} failed: {op}");
    answer
}

/// Creates a 1 GiB volume and waits until it is available; returns it as listed by GET.
async fn available_volume(t: &Target) -> Value {
    let body = json!({"name": unique_name(), "size_gib": 1});
    let created = t.gw.post(&t.path("/volumes"), &body).await;
    let created = volume_op_succeeds(created, t, "create volume").await;
    let got = t.gw.get(&volume_path(t, &created.body["volume"])).await;
    assert_eq!(got.status, 200, "{got:?}");
    assert_eq!(got.body["state"], "available", "{got:?}");
    got.body
}

async fn volume_now(t: &Target, volume: &Value) -> Value {
    let got = t.gw.get(&volume_path(t, volume)).await;
    assert_eq!(got.status, 200, "{got:?}");
    got.body
}

pub async fn volume_lifecycle_create_attach_detach_delete(t: &Target) {
    let body = json!({"name": unique_name(), "size_gib": 1});
    let created = t.gw.post(&t.path("/volumes"), &body).await;
    assert_eq!(created.status, 202, "{created:?}");
    let op_id = created.body["operation"]["id"].as_str().unwrap_or_default();
    assert_eq!(
        created.header("location"),
        Some(format!("/v1/operations/{op_id}").as_str())
    );
    assert_eq!(created.body["operation"]["kind"], "create_volume");
    assert_eq!(created.body["volume"]["provider"], t.provider.as_str());
    let created = volume_op_succeeds(created, t, "create volume").await;
    let volume = volume_now(t, &created.body["volume"]).await;
    assert_eq!(volume["state"], "available", "{volume}");
    assert_eq!(volume["name"], body["name"], "{volume}");
    assert!(
        volume["size_gib"].as_u64().is_some_and(|s| s >= 1),
        "{volume}"
    );
    assert_eq!(volume["attachments"], json!([]), "{volume}");
    let listed = t.gw.collect(&t.path("/volumes"), 1000).await;
    assert!(ids(&listed).contains(&volume["id"].as_str().unwrap_or_default().to_owned()));

    if t.caps().attach_volume {
        let server = running_server(t).await;
        let attach_path = format!("{}/attach", volume_path(t, &volume));
        let attach =
            t.gw.post(&attach_path, &json!({"server_id": server["id"]}))
                .await;
        volume_op_succeeds(attach, t, "attach").await;
        let attached = volume_now(t, &volume).await;
        assert_eq!(attached["state"], "in_use", "{attached}");
        assert_eq!(
            attached["attachments"][0]["server_id"], server["id"],
            "{attached}"
        );
        assert!(
            t.caps().detach_volume,
            "attach without detach: {:?}",
            t.caps()
        );
        let detach_path = format!("{}/detach", volume_path(t, &volume));
        let detach = t.gw.post_empty(&detach_path).await;
        volume_op_succeeds(detach, t, "detach").await;
        let detached = volume_now(t, &volume).await;
        assert_eq!(detached["state"], "available", "{detached}");
        assert_eq!(detached["attachments"], json!([]), "{detached}");
    }

    let deleted = t.gw.delete(&volume_path(t, &volume)).await;
    volume_op_succeeds(deleted, t, "delete volume").await;
    let gone = t.gw.get(&volume_path(t, &volume)).await;
    if gone.status == 200 {
        assert_eq!(gone.body["state"], "deleted", "{gone:?}");
    } else {
        gone.assert_problem(404, "not_found");
    }
}

pub async fn volumes_page_without_gaps_or_repeats(t: &Target) {
    for _ in 0..3 {
        available_volume(t).await;
    }
    let whole = t.gw.collect(&t.path("/volumes"), 1000).await;
    assert!(whole.len() >= 3, "{whole:?}");
    for limit in [1, 2] {
        let paged = t.gw.collect(&t.path("/volumes"), limit).await;
        assert_same_items_no_repeats(&paged, &whole, &format!("volumes limit {limit}"));
    }
    let all = t.gw.collect("/v1/volumes", 1).await;
    for volume in &whole {
        assert!(
            all.iter()
                .any(|v| v["id"] == volume["id"] && v["provider"] == t.provider.as_str()),
            "{volume} missing from /v1/volumes"
        );
    }
}

pub async fn unknown_volume_is_not_found(t: &Target) {
    let missing = t.path(&format!("/volumes/{}", t.missing.volume));
    let got = t.gw.get(&missing).await;
    got.assert_problem(404, "not_found");
    assert_eq!(got.body["provider"], t.provider.as_str());
    t.gw.delete(&missing).await.assert_problem(404, "not_found");
    if t.caps().detach_volume {
        t.gw.post_empty(&format!("{missing}/detach"))
            .await
            .assert_problem(404, "not_found");
    }
    if t.caps().attach_volume {
        let volume = available_volume(t).await;
        let answer =
            t.gw.post(
                &format!("{}/attach", volume_path(t, &volume)),
                &json!({"server_id": t.missing.server}),
            )
            .await;
        answer.assert_problem(404, "not_found");
        let still = volume_now(t, &volume).await;
        assert_eq!(still["state"], "available", "{still}");
    }
    let err = t.entry().driver().get_volume(&t.missing.volume).await.err();
    assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::NotFound));
}

pub async fn bad_volume_input_is_a_4xx_problem(t: &Target) {
    let bad_bodies = [
        json!({"name": "", "size_gib": 1}),
        json!({"name": "v", "size_gib": 0}),
        json!({"name": "v", "size_gib": -1}),
        json!({"name": "v", "size_gib": 1, "colour": "blue"}),
        json!({"size_gib": 1}),
    ];
    for body in bad_bodies {
        let answer = t.gw.post(&t.path("/volumes"), &body).await;
        assert!(
            answer.status == 400 || answer.status == 422,
            "{body}: {answer:?}"
        );
        answer.assert_problem(answer.status, "invalid_request");
    }
    let volumes = t.gw.collect(&t.path("/volumes"), 1000).await;
    assert!(
        volumes.is_empty(),
        "a refused create left a volume: {volumes:?}"
    );
    if t.caps().attach_volume {
        let volume = available_volume(t).await;
        t.gw.post(
            &format!("{}/attach", volume_path(t, &volume)),
            &json!({"server_id": ""}),
        )
        .await
        .assert_problem(422, "invalid_request");
    }
}
