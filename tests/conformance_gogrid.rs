//! The conformance suite for the `gogrid` driver against the GoGrid simulator, over real HTTP.

mod common;
mod conformance;

use conformance::Target;

async fn gogrid_target() -> Target {
    let config = common::provider_config(
        "gogrid",
        "driver = \"gogrid\"\nsimulate = true\nregion = \"US-West-1\"\n\n[simulator]\nprovision_delay_secs = 0\npower_delay_secs = 0.3\n",
    );
    let gw = common::Gateway::start(vec![config]).await;
    // GoGrid images carry a minimum RAM size (`minram`): create from one that fits the smallest.
    let images = gw.collect("/v1/providers/gogrid/images", 100).await;
    let fits = images
        .iter()
        .find(|i| i["extra"]["min_ram"].as_str().is_none_or(|m| m == "512MB"));
    let image = fits
        .and_then(|i| i["id"].as_str())
        .unwrap_or_else(|| panic!("no 512MB image in {images:?}"));
    Target {
        image_and_size: Some((image.to_owned(), "512MB".to_owned())),
        gw,
        provider: "gogrid".into(),
        observable_transitions: true,
    }
}

conformance_suite!(gogrid_target);
