//! A cloudgw scenario driven by the progenitor-generated client: list providers, create a
//! server, follow its operation until it runs, stop it, start it, delete it, and read a bad
//! request's problem as the typed `Error::ErrorResponse(Problem)`.
//!
//!     cargo run --manifest-path clients/rust/Cargo.toml --bin scenario -- http://127.0.0.1:8080

use std::process::ExitCode;
use std::time::{Duration, Instant};

use cloudgw_client::prelude::*;
use cloudgw_client::types::{
    CreateServerRequest, Operation, OperationStatus, Problem, ProblemCode, ServerOperationResponse,
    ServerState,
};
use cloudgw_client::{Client, Error, ResponseValue};

type Outcome<T> = Result<T, String>;

fn describe<E: std::fmt::Debug>(what: &str) -> impl FnOnce(E) -> String + '_ {
    move |e| format!("{what}: {e:?}")
}

/// Polls the operation until it ends (at most a minute).
async fn follow(client: &Client, operation: Operation) -> Outcome<Operation> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut current = operation;
    while matches!(
        current.status,
        OperationStatus::Pending | OperationStatus::Running
    ) {
        if Instant::now() > deadline {
            return Err(format!(
                "operation {} did not end within a minute",
                current.id
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        current = client
            .get_operation()
            .id(current.id.clone())
            .send()
            .await
            .map_err(describe("get_operation"))?
            .into_inner();
    }
    match current.status {
        OperationStatus::Succeeded => Ok(current),
        other => Err(format!(
            "operation {} ended {other:?}: {:?}",
            current.id, current.problem
        )),
    }
}

async fn expect_state(
    client: &Client,
    provider: &str,
    id: &str,
    state: ServerState,
) -> Outcome<()> {
    let server = client
        .get_server()
        .provider(provider)
        .id(id)
        .send()
        .await
        .map_err(describe("get_server"))?
        .into_inner();
    if server.state == state {
        Ok(())
    } else {
        Err(format!(
            "server {id} is {:?}, expected {state:?}",
            server.state
        ))
    }
}

/// Follows a power action's operation and checks the server's new state.
async fn settle(
    client: &Client,
    provider: &str,
    id: &str,
    action: &str,
    answer: Result<ResponseValue<ServerOperationResponse>, Error<Problem>>,
    state: ServerState,
) -> Outcome<()> {
    let answer = answer.map_err(describe(action))?.into_inner();
    follow(client, answer.operation).await?;
    expect_state(client, provider, id, state).await?;
    println!("{action}: server {id} is {state:?}");
    Ok(())
}

async fn scenario(base: &str, token: Option<&str>) -> Outcome<()> {
    let client = match token {
        None => Client::new(base),
        Some(token) => {
            let mut headers = reqwest::header::HeaderMap::new();
            let value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|e| format!("token: {e}"))?;
            headers.insert(reqwest::header::AUTHORIZATION, value);
            let http = reqwest::Client::builder()
                .default_headers(headers)
                .build()
                .map_err(|e| format!("http client: {e}"))?;
            Client::new_with_client(base, http)
        }
    };

    let providers = client
        .list_providers()
        .send()
        .await
        .map_err(describe("list_providers"))?
        .into_inner()
        .items;
    let provider = providers
        .iter()
        .find(|p| p.capabilities.create_server)
        .ok_or("no provider can create servers")?;
    let ids: Vec<&str> = providers.iter().map(|p| p.id.as_str()).collect();
    println!("providers: {ids:?}; using {}", provider.id);
    let p = provider.id.as_str();

    let images = client
        .list_images()
        .provider(p)
        .limit(std::num::NonZeroU64::MIN)
        .send()
        .await
        .map_err(describe("list_images"))?
        .into_inner()
        .items;
    let sizes = client
        .list_sizes()
        .provider(p)
        .send()
        .await
        .map_err(describe("list_sizes"))?
        .into_inner()
        .items;
    let image = images.first().ok_or("no images")?;
    // The largest size fits every image (some images need more memory than the smallest size).
    let size = sizes
        .iter()
        .max_by_key(|s| s.memory_mib)
        .ok_or("no sizes")?;

    let name = format!("rs-{:08x}", std::process::id() ^ 0x5eed);
    let body = CreateServerRequest::builder()
        .name(name)
        .image_id(image.id.clone())
        .size_id(size.id.clone());
    let created = client
        .create_server()
        .provider(p)
        .body(body)
        .send()
        .await
        .map_err(describe("create_server"))?
        .into_inner();
    follow(&client, created.operation).await?;
    let id = created.server.id;
    expect_state(&client, p, &id, ServerState::Running).await?;
    println!("created: server {id} is running");

    let stopped = client.stop_server().provider(p).id(&id).send().await;
    settle(
        &client,
        p,
        &id,
        "stop_server",
        stopped,
        ServerState::Stopped,
    )
    .await?;
    let started = client.start_server().provider(p).id(&id).send().await;
    settle(
        &client,
        p,
        &id,
        "start_server",
        started,
        ServerState::Running,
    )
    .await?;

    let deleted = client
        .delete_server()
        .provider(p)
        .id(&id)
        .send()
        .await
        .map_err(describe("delete_server"))?
        .into_inner();
    follow(&client, deleted.operation).await?;
    println!("deleted: server {id}");

    match client
        .list_servers()
        .provider(p)
        .cursor("not-a-cursor")
        .send()
        .await
    {
        Err(Error::ErrorResponse(answer)) => {
            let problem = answer.into_inner();
            if problem.status != 400 || problem.code != ProblemCode::InvalidRequest {
                return Err(format!("unexpected problem: {problem:?}"));
            }
            println!(
                "bad request: {} invalid_request: {}",
                problem.status, problem.detail
            );
        }
        other => return Err(format!("a bad cursor was not a typed problem: {other:?}")),
    }
    println!("scenario passed");
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let Some(base) = std::env::args().nth(1) else {
        eprintln!("usage: scenario BASE_URL [TOKEN]");
        return ExitCode::from(2);
    };
    let token = std::env::args().nth(2);
    match scenario(&base, token.as_deref()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}
