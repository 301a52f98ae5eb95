//! The gateway and a second EC2 client (boto3, the AWS SDK for Python, from `.venv`) looking at
//! the same moto: instances made directly in moto appear through the gateway exactly once, and
//! what the gateway does (create with tags/key/user data/zone/ClientToken, power actions,
//! volume attach and detach) is what boto3 then sees.

mod common;
#[path = "common/moto.rs"]
mod moto;

use serde_json::{Value, json};

use common::Gateway;
use moto::Moto;

async fn setup() -> (Moto, Gateway, String) {
    let moto = Moto::start().await;
    let config = common::provider_config("aws", &moto.provider_file(""));
    let gw = Gateway::start(vec![config]).await;
    let images = gw
        .collect("/v1/providers/aws/images?owner=amazon", 100)
        .await;
    let image = images
        .iter()
        .find(|i| i["os_family"] == "linux" && i["architecture"] == "x86_64")
        .and_then(|i| i["id"].as_str())
        .unwrap_or_else(|| panic!("no x86_64 Linux AMI: {images:?}"))
        .to_owned();
    (moto, gw, image)
}

/// Runs a boto3 snippet that prints one JSON value, and parses it.
async fn boto3_json(moto: &Moto, snippet: &str) -> Value {
    let out = moto.boto3(snippet).await;
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"))
}

async fn describe_instance(moto: &Moto, id: &str) -> Value {
    boto3_json(
        moto,
        &format!(
            "r = ec2.describe_instances(InstanceIds=['{id}'])\n\
             print(json.dumps(r['Reservations'][0]['Instances'][0], default=str))"
        ),
    )
    .await
}

async fn wait_ok(gw: &Gateway, answer: &common::Answer) {
    assert!(answer.status == 202 || answer.status == 200, "{answer:?}");
    let op = gw
        .wait_operation(answer.body["operation"]["id"].as_str().unwrap_or_default())
        .await;
    assert_eq!(op["status"], "succeeded", "{op}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_made_in_moto_appear_exactly_once() {
    let (moto, gw, image) = setup().await;
    let made = boto3_json(
        &moto,
        &format!(
            "ids = []\n\
             for n in range(3):\n\
             \x20   r = ec2.run_instances(ImageId='{image}', InstanceType='t3.small', MinCount=1, MaxCount=1,\n\
             \x20       TagSpecifications=[{{'ResourceType': 'instance', 'Tags': [{{'Key': 'Name', 'Value': 'boto-%d' % n}}, {{'Key': 'made-by', 'Value': 'boto3'}}]}}])\n\
             \x20   ids.append(r['Instances'][0]['InstanceId'])\n\
             print(json.dumps(ids))"
        ),
    )
    .await;
    let made: Vec<String> = serde_json::from_value(made).unwrap_or_default();
    assert_eq!(made.len(), 3);
    for limit in [1, 100] {
        let listed = gw.collect("/v1/providers/aws/servers", limit).await;
        for (n, id) in made.iter().enumerate() {
            let matches: Vec<&Value> = listed.iter().filter(|s| s["id"] == id.as_str()).collect();
            assert_eq!(
                matches.len(),
                1,
                "{id} listed {} times: {listed:?}",
                matches.len()
            );
            let server = matches[0];
            assert_eq!(server["name"], format!("boto-{n}"));
            assert_eq!(server["state"], "running");
            assert_eq!(server["image_id"], image.as_str());
            assert_eq!(server["size_id"], "t3.small");
            assert_eq!(server["tags"], json!({"made-by": "boto3"}));
        }
        assert_eq!(listed.len(), 3, "{listed:?}");
    }
    let by_name = gw.collect("/v1/providers/aws/servers?name=boto-1", 1).await;
    assert_eq!(by_name.len(), 1);
    assert_eq!(by_name[0]["id"], made[1].as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_create_and_actions_are_what_moto_holds() {
    let (moto, gw, image) = setup().await;
    moto.boto3("ec2.create_key_pair(KeyName='ops-key')").await;
    let body = json!({
        "name": "gw-web-1",
        "image_id": image,
        "size_id": "t3.micro",
        "zone": "us-east-1b",
        "key_name": "ops-key",
        "user_data": "#!/bin/sh\necho hello\n",
        "tags": {"team": "ops", "env": "test"},
    });
    let created = gw
        .send(
            gw.client
                .post(gw.url("/v1/providers/aws/servers"))
                .header("idempotency-key", "crosscheck-key-1")
                .json(&body),
        )
        .await;
    wait_ok(&gw, &created).await;
    let id = created.body["server"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let seen = describe_instance(&moto, &id).await;
    let tags: Vec<(String, String)> = seen["Tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            (
                t["Key"].as_str().unwrap_or_default().to_owned(),
                t["Value"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    for pair in [("Name", "gw-web-1"), ("team", "ops"), ("env", "test")] {
        assert!(
            tags.contains(&(pair.0.to_owned(), pair.1.to_owned())),
            "{pair:?} not in {tags:?}"
        );
    }
    assert_eq!(seen["KeyName"], "ops-key");
    assert_eq!(seen["Placement"]["AvailabilityZone"], "us-east-1b");
    assert_eq!(seen["InstanceType"], "t3.micro");
    assert_eq!(seen["ClientToken"], "crosscheck-key-1");
    let user_data = boto3_json(
        &moto,
        &format!(
            "import base64\n\
             r = ec2.describe_instance_attribute(InstanceId='{id}', Attribute='userData')\n\
             print(json.dumps(base64.b64decode(r['UserData']['Value']).decode()))"
        ),
    )
    .await;
    assert_eq!(user_data, "#!/bin/sh\necho hello\n");

    let path = format!("/v1/providers/aws/servers/{id}");
    for (action, native) in [("stop", "stopped"), ("start", "running")] {
        let answer = gw.post_empty(&format!("{path}/{action}")).await;
        wait_ok(&gw, &answer).await;
        let seen = describe_instance(&moto, &id).await;
        assert_eq!(seen["State"]["Name"], native, "after {action}");
    }
    let deleted = gw.delete(&path).await;
    wait_ok(&gw, &deleted).await;
    let seen = describe_instance(&moto, &id).await;
    assert_eq!(seen["State"]["Name"], "terminated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_volume_attach_and_detach_are_what_moto_holds() {
    let (moto, gw, image) = setup().await;
    let server = gw
        .send(
            gw.client
                .post(gw.url("/v1/providers/aws/servers"))
                .header("prefer", "wait=30")
                .json(&json!({"name": "vol-host", "image_id": image, "size_id": "t3.micro", "zone": "us-east-1a"})),
        )
        .await;
    assert_eq!(server.status, 200, "{server:?}");
    let server_id = server.body["server"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let volume = gw
        .send(
            gw.client
                .post(gw.url("/v1/providers/aws/volumes"))
                .header("prefer", "wait=30")
                .json(&json!({"name": "data-1", "size_gib": 8, "zone": "us-east-1a", "tags": {"team": "ops"}})),
        )
        .await;
    assert_eq!(volume.status, 200, "{volume:?}");
    let volume_id = volume.body["volume"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let describe_volume = format!(
        "r = ec2.describe_volumes(VolumeIds=['{volume_id}'])\n\
         print(json.dumps(r['Volumes'][0], default=str))"
    );
    let seen = boto3_json(&moto, &describe_volume).await;
    assert_eq!(seen["Size"], 8);
    assert_eq!(seen["VolumeType"], "gp3");
    assert_eq!(seen["AvailabilityZone"], "us-east-1a");
    let tags = seen["Tags"].to_string();
    assert!(
        tags.contains("\"data-1\"") && tags.contains("\"ops\""),
        "{tags}"
    );

    let path = format!("/v1/providers/aws/volumes/{volume_id}");
    let attach = gw
        .post(&format!("{path}/attach"), &json!({"server_id": server_id}))
        .await;
    wait_ok(&gw, &attach).await;
    let seen = boto3_json(&moto, &describe_volume).await;
    assert_eq!(seen["State"], "in-use");
    assert_eq!(seen["Attachments"][0]["InstanceId"], server_id.as_str());
    assert_eq!(
        seen["Attachments"][0]["Device"], "/dev/sdf",
        "the first free EBS device"
    );
    let through_gw = gw.get(&path).await;
    assert_eq!(through_gw.body["state"], "in_use");
    assert_eq!(through_gw.body["attachments"][0]["device"], "/dev/sdf");

    let detach = gw.post_empty(&format!("{path}/detach")).await;
    wait_ok(&gw, &detach).await;
    let seen = boto3_json(&moto, &describe_volume).await;
    assert_eq!(seen["State"], "available");
    assert_eq!(seen["Attachments"], json!([]));

    let deleted = gw.delete(&path).await;
    wait_ok(&gw, &deleted).await;
    let left = boto3_json(
        &moto,
        "print(json.dumps([v['VolumeId'] for v in ec2.describe_volumes()['Volumes']]))",
    )
    .await;
    assert!(
        !left.to_string().contains(&volume_id),
        "{volume_id} still in moto: {left}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_owner_and_name_filters_match_what_moto_answers() {
    let (moto, gw, _) = setup().await;
    let expected = boto3_json(
        &moto,
        "r = ec2.describe_images(Owners=['099720109477'])\n\
         print(json.dumps(sorted(i['ImageId'] for i in r['Images'])))",
    )
    .await;
    let by_owner = gw
        .collect("/v1/providers/aws/images?owner=099720109477", 1)
        .await;
    let mut ids: Vec<&str> = by_owner.iter().filter_map(|i| i["id"].as_str()).collect();
    ids.sort_unstable();
    assert!(!ids.is_empty());
    assert_eq!(json!(ids), expected);
    let by_name = gw.collect("/v1/providers/aws/images?name=ubuntu", 2).await;
    assert!(!by_name.is_empty());
    for image in &by_name {
        assert!(
            image["name"].as_str().is_some_and(|n| n.contains("ubuntu")),
            "{image}"
        );
        assert_eq!(image["os_family"], "linux");
    }
}
