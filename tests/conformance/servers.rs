//! Cases on servers: the lifecycle and its transitional states, idempotent power actions, state
//! and input errors, 501 for what the driver lacks, Idempotency-Key and `Prefer: wait`.

use super::*;

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
