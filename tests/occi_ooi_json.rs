//! Third-party check of the GFD.226 JSON the `occi` driver sends: real OpenStack ooi 1.2.0
//! (`tests/python/ooi_server.py`, ooi's WSGI middleware over its own fake Nova) must accept the
//! driver's JSON create bodies, which carry the `id` GFD.226 makes mandatory
//! (`tests/occi_schema.rs` checks them against the schema). Actions in JSON are checked against
//! ooi by `tests/occi_ooi.rs`. Needs `.venv-ooi` (made by `scripts/test`); a missing one fails.

#[path = "common/occi.rs"]
mod occi_setup;

use cloudgw::driver::{Driver, ImageFilter, ListRequest};
use cloudgw::drivers::occi::Rendering;
use cloudgw::model::{CreateServerRequest, CreateVolumeRequest, ServerState};
use occi_setup::start_ooi;

fn page() -> ListRequest {
    ListRequest {
        limit: 50,
        cursor: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_ooi_accepts_the_json_creates_the_driver_sends() {
    let ooi = start_ooi();
    let d = ooi.driver("ooi-json", "foo", Rendering::Json);
    d.discover().await.expect("JSON discovery");
    let images = d
        .list_images(&page(), &ImageFilter::default())
        .await
        .expect("images")
        .items;
    let sizes = d.list_sizes(&page()).await.expect("sizes").items;
    let request = CreateServerRequest {
        name: "json-vm".into(),
        image_id: images[0].id.clone(),
        size_id: sizes[0].id.clone(),
        region: None,
        zone: None,
        key_name: None,
        user_data: None,
        tags: None,
    };
    // ooi's fake Nova names every new server `foo`, which it cannot read back: the driver
    // reports it as being provisioned.
    let server = d.create_server(&request, None).await.expect("ooi accepts");
    assert_eq!(server.id, "foo", "{server:?}");
    assert_eq!(server.name, "json-vm");
    assert_eq!(server.state, ServerState::Pending);
    let volume = d
        .create_volume(
            &CreateVolumeRequest {
                name: "json-vol".into(),
                size_gib: 1,
                zone: None,
                tags: None,
            },
            None,
        )
        .await
        .expect("ooi accepts");
    assert_eq!(volume.id, "foo", "{volume:?}");
}
