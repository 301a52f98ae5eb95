//! The conformance suite for the `occi` driver against the OCCI simulator over real HTTP, once
//! per simulated server (rOCCI-server, ooi, pyssf) and rendering: text and, where the profile
//! speaks OCCI 1.2, GFD.226 JSON. ooi's text variant writes text/occi, because ooi (like the
//! real one, captured in `29-…400.http`) refuses text/plain request bodies.

mod common;
mod conformance;

use conformance::Target;

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
    }
}

mod rocci_text {
    use super::*;

    async fn target() -> Target {
        occi_target("rocci", "text-plain").await
    }

    conformance_suite!(target);
}

mod rocci_json {
    use super::*;

    async fn target() -> Target {
        occi_target("rocci", "json").await
    }

    conformance_suite!(target);
}

mod ooi_text {
    use super::*;

    async fn target() -> Target {
        occi_target("ooi", "text-occi").await
    }

    conformance_suite!(target);
}

mod ooi_json {
    use super::*;

    async fn target() -> Target {
        occi_target("ooi", "json").await
    }

    conformance_suite!(target);
}

mod pyssf_text {
    use super::*;

    async fn target() -> Target {
        occi_target("pyssf", "text-plain").await
    }

    conformance_suite!(target);
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
