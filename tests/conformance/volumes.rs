//! Cases on block volumes: the lifecycle with attach and detach, paging, not found, and bad
//! input.

use super::*;

/// Where volumes are unsupported the volume cases assert the 501 and stop: the driver must
/// not half-support them.
pub(super) fn volumes_supported(t: &Target) -> bool {
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
