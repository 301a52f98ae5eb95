//! Servers: listing with signatures and pages, reading by name while provisioning, creates with a
//! free public IP, power actions and deletes.

use super::fake::*;
use super::*;

#[tokio::test]
async fn list_servers_signs_pages_and_filters() {
    let fake = fake(|seen| server_list_answer(seen, 7)).await;
    let driver = driver(&fake);
    let mut names = Vec::new();
    let mut cursor = None;
    loop {
        let req = ListRequest { limit: 2, cursor };
        let page = driver
            .list_servers(&req, &ServerFilter::default())
            .await
            .unwrap();
        assert!(page.items.len() <= 2);
        names.extend(page.items.into_iter().map(|s| s.id));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(names, ["s0", "s1", "s2", "s3", "s4", "s5", "s6"]);
    let seen = fake.seen();
    assert_eq!(seen.len(), 4);
    assert_signed(&seen[0]);
    assert_eq!(
        (seen[0].verb.as_str(), seen[0].method()),
        ("GET", "grid/server/list")
    );
    assert_eq!(
        (seen[1].param("num_items"), seen[1].param("page")),
        (Some("2"), Some("1"))
    );

    let stopped = ServerFilter {
        state: Some(ServerState::Stopped),
        name: None,
    };
    let req = ListRequest {
        limit: 2,
        cursor: None,
    };
    let page = driver.list_servers(&req, &stopped).await.unwrap();
    let ids: Vec<_> = page.items.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["s0", "s3"]);
    assert_eq!(page.next_cursor.as_deref(), Some("o:4"));
}

#[tokio::test]
async fn get_server_falls_back_to_the_list_while_provisioning() {
    let fake = fake(|seen| match seen.method() {
        "grid/server/get" => fixture_answer(
            400,
            "deltacloud-recorded/server_get_while_provisioning_400.json",
        ),
        _ => fixture_answer(
            200,
            "deltacloud-recorded/server_list_while_provisioning.json",
        ),
    })
    .await;
    let server = driver(&fake).get_server("test-instance").await.unwrap();
    assert_eq!(
        (server.id.as_str(), server.state),
        ("test-instance", ServerState::Pending)
    );
    let seen = fake.seen();
    assert_eq!(seen[0].param("name"), Some("test-instance"));
    assert_eq!(seen[1].method(), "grid/server/list");
}

#[tokio::test]
async fn get_server_missing_everywhere_is_not_found_with_provider_and_operation() {
    let fake = fake(|seen| match seen.method() {
        "grid/server/get" => fixture_answer(400, "jclouds/test_error_handler.json"),
        _ => fixture_answer(200, "libcloud/compute/server_list.json"),
    })
    .await;
    let err = stacked(driver(&fake)).get_server("nope").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.provider(), Some("gg"));
    assert_eq!(err.operation(), Some(DriverOp::GetServer));
}

#[tokio::test]
async fn provisioned_server_is_read_with_get_by_name() {
    let fake = fake(|_| fixture_answer(200, "deltacloud-recorded/server_get_by_name.json")).await;
    let server = driver(&fake).get_server("test-instance").await.unwrap();
    assert_eq!(server.state, ServerState::Running);
    assert_eq!(fake.seen().len(), 1);
}

fn create_request(name: &str, region: Option<&str>) -> CreateServerRequest {
    CreateServerRequest {
        name: name.to_owned(),
        image_id: "1531".to_owned(),
        size_id: "512MB".to_owned(),
        region: region.map(str::to_owned),
        zone: None,
        key_name: None,
        user_data: None,
        tags: None,
    }
}

fn create_fake_answer(seen: &Seen) -> Answer {
    match seen.method() {
        "grid/ip/list" => fixture_answer(200, "libcloud/compute/ip_list.json"),
        "grid/server/add" => fixture_answer(200, "libcloud/compute/server_add.json"),
        "common/lookup/list" => {
            fixture_answer(200, "deltacloud-recorded/lookup_list_ip_datacenter.json")
        }
        other => answer(404, format!("unexpected {other}")),
    }
}

#[tokio::test]
async fn create_server_picks_a_free_public_ip_and_posts_a_form() {
    let fake = fake(create_fake_answer).await;
    let server = driver(&fake)
        .create_server(&create_request("test1", Some("US-West-1")), Some("token"))
        .await
        .unwrap();
    assert_eq!(
        (server.id.as_str(), server.state),
        ("test1", ServerState::Pending)
    );
    let seen = fake.seen();
    assert_eq!(seen[0].method(), "grid/ip/list");
    assert_eq!(seen[0].param("ip.state"), Some("Unassigned"));
    assert_eq!(seen[0].param("ip.type"), Some("Public"));
    let add = &seen[1];
    assert_eq!(
        (add.verb.as_str(), add.method()),
        ("POST", "grid/server/add")
    );
    assert_signed(add);
    let form: Vec<(&str, &str)> = add
        .form
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        form,
        [
            ("name", "test1"),
            ("image", "1531"),
            ("server.ram", "512MB"),
            ("ip", "192.168.75.66")
        ]
    );
}

#[tokio::test]
async fn create_server_without_a_free_ip_says_why() {
    let fake = fake(create_fake_answer).await;
    let driver = stacked(driver(&fake));
    let err = driver
        .create_server(&create_request("a", Some("US-East-1")), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidState);
    assert_eq!(err.operation(), Some(DriverOp::CreateServer));
    let err = driver
        .create_server(&create_request("a", Some("Mars-1")), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert!(fake.seen().iter().all(|s| s.method() != "grid/server/add"));
}

#[tokio::test]
async fn create_server_rejects_what_gogrid_cannot_do_before_calling() {
    let fake = fake(create_fake_answer).await;
    let driver = stacked(driver(&fake));
    let mut with_zone = create_request("a", None);
    with_zone.zone = Some("z".into());
    let mut with_key = create_request("a", None);
    with_key.key_name = Some("k".into());
    let mut with_data = create_request("a", None);
    with_data.user_data = Some("#!".into());
    let mut with_tags = create_request("a", None);
    with_tags.tags = Some([("k".to_owned(), "v".to_owned())].into());
    for req in [with_zone, with_key, with_data, with_tags] {
        let err = driver.create_server(&req, None).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{req:?}");
        assert_eq!(err.provider(), Some("gg"));
    }
    for name in ["", "  ", "a-name-longer-than-20c"] {
        let err = driver
            .create_server(&create_request(name, None), None)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{name:?}");
    }
    assert!(fake.seen().is_empty());
}

#[tokio::test]
async fn power_and_delete_address_the_server_by_name_with_post() {
    let fake = fake(|seen| match seen.method() {
        "grid/server/power" => fixture_answer(200, "libcloud/compute/server_power.json"),
        _ => fixture_answer(200, "libcloud/compute/server_delete.json"),
    })
    .await;
    let driver = driver(&fake);
    let server = driver.reboot_server("test1").await.unwrap();
    assert_eq!(server.state, ServerState::Running);
    driver.start_server("test1").await.unwrap();
    driver.stop_server("test1").await.unwrap();
    let deleted = driver.delete_server("test1").await.unwrap();
    assert_eq!(deleted.state, ServerState::Terminating);
    assert_eq!(deleted.extra["native_state"], json!("On"));
    let seen = fake.seen();
    let powers: Vec<_> = seen
        .iter()
        .filter_map(|s| s.form.iter().find(|(k, _)| k == "power"))
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(powers, ["restart", "start", "stop"]);
    assert!(
        seen.iter()
            .all(|s| s.verb == "POST" && s.param("name") == Some("test1"))
    );
    assert_eq!(seen[3].method(), "grid/server/delete");
}
