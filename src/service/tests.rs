//! The service over a fake driver: the capability check is made here, once, before any driver
//! call, and the layered driver is then called exactly once per verb.

use std::sync::Arc;

use super::*;
use crate::driver::ErrorKind;
use crate::layers::fake::{Fake, Step};
use crate::model::ProblemCode;
use crate::ops::FollowSettings;
use crate::store::MemoryStore;

/// A service over one provider `p` backed by `fake` (which lists and gets servers only).
fn service_over(fake: Fake) -> (Service, Arc<Fake>) {
    let fake = Arc::new(fake);
    let entry = ProviderEntry::new("p", "fake", None, false, fake.clone());
    let registry = Arc::new(Registry::from_entries([entry]));
    let ops = Operations::new(Arc::new(MemoryStore::new()), FollowSettings::default());
    (
        Service::new(registry, ops, ServiceSettings::default()),
        fake,
    )
}

#[tokio::test]
async fn unsupported_operation_is_answered_without_calling() {
    let (service, fake) = service_over(Fake::new(Step::Answer));
    let page = PageQuery::default();
    let err = service
        .list_volumes(&Caller::Anonymous, "p", &page)
        .await
        .err();
    let err = err.map(|e| (e.problem.code, e.problem.provider));
    assert_eq!(err, Some((ProblemCode::Unsupported, Some("p".to_owned()))));
    assert_eq!(fake.calls(), 0);
    let listed = service
        .list_servers(&Caller::Anonymous, "p", &ServerQuery::default(), &page)
        .await;
    assert!(listed.is_ok(), "{listed:?}");
    assert_eq!(fake.calls(), 1);
}

#[tokio::test]
async fn calls_are_made_once_by_call_and_retried_by_the_stack_only() {
    let (service, fake) = service_over(Fake::new(Step::fail(ErrorKind::NotFound)));
    let err = service
        .get_server(&Caller::Anonymous, "p", "s1")
        .await
        .err();
    assert_eq!(fake.calls(), 1);
    let err = err.map(|e| (e.problem.code, e.problem.provider));
    assert_eq!(err, Some((ProblemCode::NotFound, Some("p".to_owned()))));
}
