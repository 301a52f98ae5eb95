//! The GoGrid driver against the in-process GoGrid simulator, through `dyn Driver` only: a server
//! followed by name from its create (while it has no GoGrid id) to its delete, and paging.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cloudgw::config::parse_provider;
use cloudgw::driver::{Driver, ErrorKind, ImageFilter, ListRequest, ServerFilter};
use cloudgw::model::{CreateServerRequest, ServerState};
use cloudgw::sim::gogrid::{RunningSimulator, SimOptions, spawn};

/// The simulator, and the driver built for it the way the gateway builds one: from a provider
/// file, through its row of the driver table (`DriverSettings::build`).
async fn setup(provision_delay: Duration) -> (RunningSimulator, Arc<dyn Driver>) {
    let options = SimOptions {
        provision_delay,
        power_delay: Duration::from_millis(100),
        ..SimOptions::new("sim-key", "sim-secret")
    };
    let sim = spawn(options, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("simulator starts");
    let file = format!(
        "driver = \"gogrid\"\nendpoint = \"{}\"\napi_key = \"sim-key\"\nshared_secret = \"sim-secret\"\napi_version = \"1.9\"\ntimeout_secs = 5\n",
        sim.endpoint()
    );
    let config = parse_provider(Path::new("providers/gg.toml"), &file, &|_| None)
        .expect("a valid provider file");
    let built = config
        .settings
        .build(&config.id)
        .await
        .expect("driver builds");
    (sim, built.driver)
}

/// An image a 512MB server can run (GoGrid images carry a minimum RAM step).
async fn small_image(driver: &dyn Driver) -> String {
    let req = ListRequest {
        limit: 1000,
        cursor: None,
    };
    let images = driver
        .list_images(&req, &ImageFilter::default())
        .await
        .expect("images");
    images
        .items
        .iter()
        .find(|i| i.extra.get("min_ram").is_none_or(|r| r == "512MB"))
        .map(|i| i.id.clone())
        .expect("an image for 512MB")
}

async fn wait_for(driver: &dyn Driver, name: &str, state: ServerState) {
    for _ in 0..100 {
        if driver.get_server(name).await.map(|s| s.state).ok() == Some(state) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{name} never reached {state:?}");
}

#[tokio::test]
async fn a_server_is_followed_by_name_from_create_to_delete() {
    let (sim, driver) = setup(Duration::ZERO).await;
    let driver = driver.as_ref();
    let req = CreateServerRequest {
        name: "drv-life".into(),
        image_id: small_image(driver).await,
        size_id: "512MB".into(),
        region: Some("US-West-1".into()),
        zone: None,
        key_name: None,
        user_data: None,
        tags: None,
    };
    // Held, the server stays in provisioning until released, however slowly this test runs.
    sim.control().hold();
    let created = driver.create_server(&req, None).await.expect("created");
    assert_eq!(
        (created.id.as_str(), created.state),
        ("drv-life", ServerState::Pending)
    );
    assert_eq!(created.region.as_deref(), Some("US-West-1"));
    // While provisioning, get by name still finds it (through the list).
    let early = driver
        .get_server("drv-life")
        .await
        .expect("seen while provisioning");
    assert_eq!(early.state, ServerState::Pending);
    sim.control().release();
    wait_for(driver, "drv-life", ServerState::Running).await;
    let running = driver.get_server("drv-life").await.expect("running");
    assert!(running.extra.contains_key("gogrid_id"));
    driver.stop_server("drv-life").await.expect("stop");
    wait_for(driver, "drv-life", ServerState::Stopped).await;
    driver.start_server("drv-life").await.expect("start");
    wait_for(driver, "drv-life", ServerState::Running).await;
    driver.reboot_server("drv-life").await.expect("reboot");
    wait_for(driver, "drv-life", ServerState::Running).await;
    let deleted = driver.delete_server("drv-life").await.expect("delete");
    assert_eq!(deleted.state, ServerState::Terminating);
    for _ in 0..100 {
        match driver.get_server("drv-life").await {
            Err(e) if e.kind() == ErrorKind::NotFound => return,
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    panic!("deleted server never disappeared");
}

#[tokio::test]
async fn server_pages_of_one_and_two_neither_skip_nor_repeat() {
    let (_sim, driver) = setup(Duration::ZERO).await;
    let driver = driver.as_ref();
    let image = small_image(driver).await;
    for i in 0..5 {
        let req = CreateServerRequest {
            name: format!("drv-page-{i}"),
            image_id: image.clone(),
            size_id: "512MB".into(),
            region: None,
            zone: None,
            key_name: None,
            user_data: None,
            tags: None,
        };
        driver.create_server(&req, None).await.expect("created");
    }
    let all = read_all(driver, 1000).await;
    for limit in [1, 2] {
        assert_eq!(read_all(driver, limit).await, all, "limit {limit}");
    }
    let mine = all.iter().filter(|n| n.starts_with("drv-page-")).count();
    assert_eq!(mine, 5);
}

async fn read_all(driver: &dyn Driver, limit: usize) -> Vec<String> {
    let mut names = Vec::new();
    let mut cursor = None;
    loop {
        let req = ListRequest { limit, cursor };
        let page = driver
            .list_servers(&req, &ServerFilter::default())
            .await
            .expect("page");
        assert!(page.items.len() <= limit);
        names.extend(page.items.into_iter().map(|s| s.id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return names,
        }
    }
}
