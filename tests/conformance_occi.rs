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
