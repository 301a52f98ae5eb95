//! Images, sizes and regions (paged in memory where GoGrid does not page), and volumes, which
//! GoGrid does not have.

use super::fake::*;
use super::*;

#[tokio::test]
async fn get_image_uses_image_get_and_lists_on_old_api_versions() {
    let fake = fake(|seen| match (seen.method(), seen.param("id")) {
        ("grid/image/get", Some("13834")) => {
            fixture_answer(200, "deltacloud-recorded/image_get_id_13834.json")
        }
        ("grid/image/get", _) => {
            fixture_answer(400, "deltacloud-recorded/image_get_not_found_400.json")
        }
        _ => fixture_answer(200, "libcloud/compute/image_list.json"),
    })
    .await;
    let image = driver(&fake).get_image("13834").await.unwrap();
    assert_eq!(image.name, "Basho Riak 1.1.4");
    let err = driver(&fake).get_image("unknown").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let old = driver_with(&fake.endpoint, "1.2", Duration::from_secs(5));
    assert_eq!(old.get_image("1533").await.unwrap().id, "1533");
    assert_eq!(
        old.get_image("9").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[tokio::test]
async fn list_images_filters_in_memory() {
    let fake =
        fake(|_| fixture_answer(200, "deltacloud-recorded/image_list_state_available.json")).await;
    let filter = ImageFilter {
        owner: Some("gogrid".into()),
        name: Some("Windows".into()),
    };
    let req = ListRequest {
        limit: 500,
        cursor: None,
    };
    let page = driver(&fake).list_images(&req, &filter).await.unwrap();
    assert!(!page.items.is_empty() && page.next_cursor.is_none());
    assert!(page.items.iter().all(|i| i.name.contains("Windows")));
    assert_eq!(fake.seen()[0].param("num_items"), Some("500"));
}

#[tokio::test]
async fn sizes_and_regions_page_in_memory() {
    let fake = fake(|seen| match seen.param("lookup") {
        Some("server.ram") => {
            fixture_answer(200, "deltacloud-recorded/lookup_list_server_ram.json")
        }
        _ => fixture_answer(200, "deltacloud-recorded/lookup_list_ip_datacenter.json"),
    })
    .await;
    let driver = stacked(driver(&fake));
    let req = ListRequest {
        limit: 2,
        cursor: Some("o:6".into()),
    };
    let sizes = driver.list_sizes(&req).await.unwrap();
    assert_eq!(sizes.items.len(), 1);
    assert_eq!(
        (sizes.items[0].id.as_str(), sizes.next_cursor),
        ("24GB", None)
    );
    let req = ListRequest {
        limit: 2,
        cursor: None,
    };
    let regions = driver.list_regions(&req).await.unwrap();
    let ids: Vec<_> = regions.items.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        (ids, regions.next_cursor.as_deref()),
        (vec!["US-West-1", "US-East-1"], Some("o:2"))
    );
    let bad = ListRequest {
        limit: 2,
        cursor: Some("garbage".into()),
    };
    let err = driver.list_regions(&bad).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert_eq!(err.operation(), Some(DriverOp::ListRegions));
}

#[tokio::test]
async fn volumes_are_unsupported_and_capabilities_say_so() {
    let driver = stacked(driver_with(
        "http://127.0.0.1:9/api",
        "1.9",
        Duration::from_secs(1),
    ));
    let caps = driver.capabilities();
    assert!(
        caps.list_servers && caps.create_server_in_region && caps.get_image && caps.list_regions
    );
    assert!(!caps.create_server_in_zone && !caps.create_server_with_key_name);
    assert!(!caps.create_server_with_user_data && !caps.create_server_with_tags);
    assert!(!caps.list_volumes && !caps.create_volume && !caps.attach_volume);
    let req = ListRequest {
        limit: 1,
        cursor: None,
    };
    let err = driver.list_volumes(&req).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert_eq!(err.operation(), Some(DriverOp::ListVolumes));
    assert_eq!(err.provider(), Some("gg"));
    let err = driver.detach_volume("v").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
}
