//! Cases on lists: the provider lists itself, catalogs and servers page without gaps or repeats
//! (through the API and the driver directly), filters, and aggregated lists.

use super::*;

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
