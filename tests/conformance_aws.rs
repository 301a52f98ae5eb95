//! The conformance suite for the `aws` driver against moto's EC2 server, over real HTTP. Each
//! case gets its own moto (started from the project's `.venv`, see `tests/common/moto.rs`), so
//! cases run in parallel without sharing EC2 state. The suite's `Target` has no slot for a
//! backend process, so a case's moto lives in its test thread's local storage and stops when
//! that thread ends (or when the next case on the same thread replaces it).
//!
//! The suite walks every list with pages of 1 and 2, below EC2's smallest `MaxResults` (5), so
//! each gateway page ends inside an EC2 page; `servers_span_several_ec2_pages` below adds enough
//! instances for several EC2 pages (and a reservation holding three instances).

mod common;
mod conformance;
#[path = "common/moto.rs"]
mod moto;

use std::cell::RefCell;
use std::collections::HashSet;

use conformance::{MissingIds, Target};

/// Well-formed EC2 ids that name nothing in moto.
const MISSING_INSTANCE: &str = "i-0123456789abcdef0";
const MISSING_VOLUME: &str = "vol-0123456789abcdef0";
use moto::Moto;

/// Sizes offered by the test providers: a short list, so walking it one item per page stays
/// quick (moto knows ~1,400 instance types and, unlike EC2, answers them all on one page).
const INSTANCE_TYPES: &str = "instance_types = [\"t2.*\", \"t3.*\"]\n";

thread_local! {
    /// The moto of the case running on this thread.
    static CASE_MOTO: RefCell<Option<Moto>> = const { RefCell::new(None) };
}

/// A gateway with provider `aws` on its own moto.
async fn aws_target() -> Target {
    let (target, moto) = aws_target_and_moto().await;
    CASE_MOTO.with(|slot| *slot.borrow_mut() = Some(moto));
    target
}

async fn aws_target_and_moto() -> (Target, Moto) {
    let moto = Moto::start().await;
    let config = common::provider_config("aws", &moto.provider_file(INSTANCE_TYPES));
    let gw = common::Gateway::start(vec![config]).await;
    let image = linux_x86_image(&gw).await;
    let target = Target {
        image_and_size: Some((image, "t3.micro".to_owned())),
        gw,
        provider: "aws".into(),
        // moto changes states at once: stopping is never seen.
        observable_transitions: false,
        // EC2-shaped ids, so that the driver asks moto and EC2's own NotFound codes answer.
        missing: MissingIds {
            server: MISSING_INSTANCE.into(),
            volume: MISSING_VOLUME.into(),
        },
        sim: None,
    };
    (target, moto)
}

/// An AMI from the driver's own listing that a t3.micro can run.
async fn linux_x86_image(gw: &common::Gateway) -> String {
    let images = gw.collect("/v1/providers/aws/images", 1000).await;
    images
        .iter()
        .find(|i| i["os_family"] == "linux" && i["architecture"] == "x86_64")
        .and_then(|i| i["id"].as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no x86_64 Linux AMI in {images:?}"))
}

conformance_suite!(aws_target; volumes);

/// The not-found answers of the suite come from EC2 itself (moto), not from the driver's id check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_ids_are_answered_by_ec2s_not_found_codes() {
    let (target, _moto) = aws_target_and_moto().await;
    let driver = target.entry();
    let server = driver.driver().get_server(MISSING_INSTANCE).await.err();
    assert_eq!(
        server.as_ref().and_then(|e| e.context("native_code")),
        Some("InvalidInstanceID.NotFound"),
        "{server:?}"
    );
    let volume = driver.driver().get_volume(MISSING_VOLUME).await.err();
    assert_eq!(
        volume.as_ref().and_then(|e| e.context("native_code")),
        Some("InvalidVolume.NotFound"),
        "{volume:?}"
    );
}

/// Fifteen instances made in moto directly (twelve reservations of one, one of three) are listed
/// through the gateway exactly once with every page size, across several EC2 pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_span_several_ec2_pages() {
    let (target, moto) = aws_target_and_moto().await;
    let image = linux_x86_image(&target.gw).await;
    let made = moto
        .boto3(&format!(
            "ids = []\n\
             for n in range(12):\n\
             \x20   r = ec2.run_instances(ImageId='{image}', InstanceType='t3.micro', MinCount=1, MaxCount=1)\n\
             \x20   ids += [i['InstanceId'] for i in r['Instances']]\n\
             r = ec2.run_instances(ImageId='{image}', InstanceType='t3.micro', MinCount=3, MaxCount=3)\n\
             ids += [i['InstanceId'] for i in r['Instances']]\n\
             print(json.dumps(ids))"
        ))
        .await;
    let made: HashSet<String> = serde_json::from_str(&made).unwrap_or_default();
    assert_eq!(made.len(), 15);
    for limit in [1, 2, 4, 5, 7, 1000] {
        let listed = target.gw.collect("/v1/providers/aws/servers", limit).await;
        let ids: Vec<String> = listed
            .iter()
            .map(|s| s["id"].as_str().unwrap_or_default().to_owned())
            .collect();
        let unique: HashSet<String> = ids.iter().cloned().collect();
        assert_eq!(unique.len(), ids.len(), "limit {limit}: repeated {ids:?}");
        assert_eq!(unique, made, "limit {limit}");
    }
}
