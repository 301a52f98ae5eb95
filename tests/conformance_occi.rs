//! The conformance suite for the `occi` driver against the OCCI simulator over real HTTP, once
//! per simulated server (rOCCI-server, ooi, pyssf) and rendering: text and, where the profile
//! speaks OCCI 1.2, GFD.226 JSON. ooi's text variant writes text/occi, because ooi (like the
//! real one, captured in `29-…400.http`) refuses text/plain request bodies.

mod common;
mod conformance;

use conformance::{MissingIds, Target};

/// Ids shaped as each simulated server makes them (rOCCI numbers, ooi UUIDs, pyssf hex UUIDs).
fn missing_ids(profile: &str) -> MissingIds {
    let (server, volume) = match profile {
        "rocci" => ("999999", "999998"),
        "ooi" => (
            "00000000-0000-4000-8000-000000000001",
            "00000000-0000-4000-8000-000000000002",
        ),
        _ => (
            "00000000000040008000000000000001",
            "00000000000040008000000000000002",
        ),
    };
    MissingIds {
        server: server.into(),
        volume: volume.into(),
    }
}

/// A gateway with one simulated OCCI provider `occi`.
async fn occi_target(profile: &str, rendering: &str) -> Target {
    let config = common::provider_config(
        "occi",
        &format!(
            "driver = \"occi\"\nsimulate = true\nrendering = \"{rendering}\"\n\n[simulator]\nprofile = \"{profile}\"\nprovision_delay_secs = 0.2\npower_delay_secs = 0.3\n"
        ),
    );
    Target {
        gw: common::Gateway::start(vec![config]).await,
        provider: "occi".into(),
        observable_transitions: false,
        image_and_size: None,
        missing: missing_ids(profile),
        sim: None,
    }
}

mod rocci_text {
    use super::*;

    async fn target() -> Target {
        occi_target("rocci", "text-plain").await
    }

    conformance_suite!(target; some_unsupported, volumes);
}

mod rocci_json {
    use super::*;

    async fn target() -> Target {
        occi_target("rocci", "json").await
    }

    conformance_suite!(target; some_unsupported, volumes);
}

mod ooi_text {
    use super::*;

    async fn target() -> Target {
        occi_target("ooi", "text-occi").await
    }

    conformance_suite!(target; some_unsupported, volumes);
}

mod ooi_json {
    use super::*;

    async fn target() -> Target {
        occi_target("ooi", "json").await
    }

    conformance_suite!(target; some_unsupported, volumes);
}

mod pyssf_text {
    use super::*;

    async fn target() -> Target {
        occi_target("pyssf", "text-plain").await
    }

    conformance_suite!(target; some_unsupported, volumes);
}

/// A gateway with provider `occi` at a separately started simulator, authenticating with
/// `auth` (a provider file's `[auth]` table).
async fn gateway_at(sim: &cloudgw::sim::occi::RunningSimulator, auth: &str) -> common::Gateway {
    let config = common::provider_config(
        "occi",
        &format!(
            "driver = \"occi\"\nendpoint = \"{}\"\nrendering = \"text-occi\"\n\n[auth]\n{auth}\n",
            sim.endpoint()
        ),
    );
    common::Gateway::start(vec![config]).await
}

async fn simulator_with(
    profile: cloudgw::sim::occi::Profile,
    auth: cloudgw::sim::occi::SimAuth,
) -> cloudgw::sim::occi::RunningSimulator {
    let options = cloudgw::sim::occi::SimOptions {
        auth,
        ..cloudgw::sim::occi::SimOptions::new(profile)
    };
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    match cloudgw::sim::occi::spawn(options, loopback).await {
        Ok(sim) => sim,
        Err(e) => panic!("simulator: {e}"),
    }
}

/// The simulator checks the credentials a provider file configures: the right ones are served;
/// wrong ones are the provider rejecting the gateway, which the gateway answers as 502
/// `provider_unavailable` saying so (the client's own credentials were fine).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_credentials_are_checked_by_the_simulator() {
    use cloudgw::sim::occi::{Profile, SimAuth};
    let basic = simulator_with(
        Profile::Rocci,
        SimAuth::Basic {
            username: "alice".into(),
            password: "right".into(),
        },
    )
    .await;
    let token = simulator_with(Profile::Ooi, SimAuth::Token("t-right".into())).await;
    let cases = [
        (
            &basic,
            "type = \"basic\"\nusername = \"alice\"\npassword = \"right\"",
            200,
        ),
        (
            &basic,
            "type = \"basic\"\nusername = \"alice\"\npassword = \"wrong\"",
            502,
        ),
        (&token, "type = \"token\"\ntoken = \"t-right\"", 200),
        (
            &token,
            "type = \"token\"\ntoken = \"t-right\"\nheader = \"Authorization\"",
            200,
        ),
        (&token, "type = \"token\"\ntoken = \"t-wrong\"", 502),
    ];
    for (sim, auth, status) in cases {
        let gw = gateway_at(sim, auth).await;
        let answer = gw.get("/v1/providers/occi/servers").await;
        if status == 200 {
            assert_eq!(answer.status, 200, "{auth}: {answer:?}");
        } else {
            assert_eq!(status, 502);
            answer.assert_problem(502, "provider_unavailable");
            assert!(
                answer.body["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("credentials")),
                "{auth}: {answer:?}"
            );
        }
    }
}

/// OCCI has no transitional compute states; the simulator's OCCI 1.2 profiles say what is under
/// way in `occi.compute.state.message`, which the gateway shows as `extra.state_message` while
/// the power delay runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_stop_is_visible_until_it_takes_effect() {
    let config = common::provider_config(
        "occi",
        "driver = \"occi\"\nsimulate = true\n\n[simulator]\nprofile = \"rocci\"\npower_delay_secs = 2\n",
    );
    let gw = common::Gateway::start(vec![config]).await;
    let sizes = gw.get("/v1/providers/occi/sizes?limit=1").await;
    let images = gw.get("/v1/providers/occi/images?limit=1").await;
    let body = serde_json::json!({
        "name": "timed",
        "image_id": images.body["items"][0]["id"],
        "size_id": sizes.body["items"][0]["id"],
    });
    let created = gw.post("/v1/providers/occi/servers", &body).await;
    assert_eq!(created.status, 202, "{created:?}");
    let op = gw
        .wait_operation(created.body["operation"]["id"].as_str().unwrap_or_default())
        .await;
    assert_eq!(op["status"], "succeeded", "{op}");
    let id = created.body["server"]["id"].as_str().unwrap_or_default();
    let path = format!(
        "/v1/providers/occi/servers/{}",
        cloudgw::api::path_segment(id)
    );
    let stop = gw.post_empty(&format!("{path}/stop")).await;
    assert_eq!(stop.status, 202, "{stop:?}");
    let during = gw.get(&path).await;
    assert_eq!(during.body["state"], "running", "{during:?}");
    assert_eq!(
        during.body["extra"]["state_message"], "stopping",
        "{during:?}"
    );
    let op = gw
        .wait_operation(stop.body["operation"]["id"].as_str().unwrap_or_default())
        .await;
    assert_eq!(op["status"], "succeeded", "{op}");
    let after = gw.get(&path).await;
    assert_eq!(after.body["state"], "stopped", "{after:?}");
    assert!(after.body["extra"]["state_message"].is_null(), "{after:?}");
}

/// rOCCI and ooi offer user-data and SSH-key mixins: a create with both succeeds through the
/// gateway (pyssf has none, which the suite's 501 case covers).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_are_created_with_user_data_and_a_key_where_offered() {
    for (profile, rendering) in [("rocci", "json"), ("ooi", "text-occi")] {
        let t = occi_target(profile, rendering).await;
        let caps = t.caps();
        assert!(
            caps.create_server_with_user_data && caps.create_server_with_key_name,
            "{profile}: {caps:?}"
        );
        let images = t.gw.get("/v1/providers/occi/images?limit=1").await;
        let sizes = t.gw.get("/v1/providers/occi/sizes?limit=1").await;
        let body = serde_json::json!({
            "name": format!("ctx-{profile}"),
            "image_id": images.body["items"][0]["id"],
            "size_id": sizes.body["items"][0]["id"],
            "user_data": "#!/bin/sh\necho hi\n",
            "key_name": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKqx user@host",
        });
        let created = t.gw.post("/v1/providers/occi/servers", &body).await;
        assert_eq!(created.status, 202, "{profile}: {created:?}");
        let op =
            t.gw.wait_operation(created.body["operation"]["id"].as_str().unwrap_or_default())
                .await;
        assert_eq!(op["status"], "succeeded", "{profile}: {op}");
    }
}
