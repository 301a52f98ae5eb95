//! GoGrid's failures as `DriverError`s: credentials, rate limits, server errors, timeouts and
//! refused connections, without a secret in any message.

use super::fake::*;
use super::*;

#[tokio::test]
async fn auth_failure_and_rate_limit_and_server_errors_map() {
    let fake = fake(|seen| match seen.param("page") {
        Some("0") => fixture_answer(403, "deltacloud-recorded/auth_failure_403.txt"),
        Some("1") => {
            let mut a = answer(429, "");
            a.headers.push(("retry-after", "3"));
            a
        }
        Some("2") => answer(502, "<html>bad gateway</html>"),
        _ => answer(504, ""),
    })
    .await;
    let driver = driver(&fake);
    let req = |n: usize| ListRequest {
        limit: 1,
        cursor: Some(crate::driver::paging::encode_offset(n)),
    };
    let filter = ServerFilter::default();
    let err = driver.list_servers(&req(0), &filter).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains(KEY) && !text.contains(SECRET) && !text.contains("sig="),
        "{text}"
    );
    let err = driver.list_servers(&req(1), &filter).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3)));
    let err = driver.list_servers(&req(2), &filter).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    let err = driver.list_servers(&req(3), &filter).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
}

#[tokio::test]
async fn slow_answer_is_a_timeout_and_no_secret_leaks() {
    let fake = fake(|_| {
        let mut a = fixture_answer(200, "libcloud/compute/server_list.json");
        a.delay = Duration::from_secs(3);
        a
    })
    .await;
    let driver = driver_with(&fake.endpoint, "1.9", Duration::from_millis(200));
    let err = driver.get_server("test1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.is_temporary());
    let mut text = format!("{err} {err:?}");
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        text.push_str(&format!(" {s} {s:?}"));
        source = s.source();
    }
    assert!(!text.contains(KEY) && !text.contains("sig="), "{text}");
}

#[tokio::test]
async fn connection_refused_is_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let driver = stacked(driver_with(
        &format!("http://{addr}/api"),
        "1.9",
        Duration::from_secs(2),
    ));
    let err = driver.get_image("1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert!(err.is_temporary());
    assert_eq!(err.operation(), Some(DriverOp::GetImage));
    assert!(!format!("{err:?}").contains(KEY));
}
