//! The change verbs: creates, power actions, deletes, attach and detach. Each one: checks (once),
//! idempotency, the driver call, the operation with its goal, and the caller's wait.

use std::future::Future;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::check;
use super::error::{ServiceError, ServiceResult};
use super::idempotency::{self, Identity};
use super::outcome::{Change, ChangeOptions, MAX_WAIT};
use super::reads::{read_server, read_volume};
use super::{Caller, Role, Service, finish_server};
use crate::driver::{DriverOp, DriverResult};
use crate::model::{
    ActionAdmission, AttachVolumeRequest, CreateServerRequest, CreateVolumeRequest, Operation,
    OperationKind, OperationStatus, Problem, ProblemCode, ResourceKind, Server, ServerAction,
    ServerState, Volume, VolumeState,
};
use crate::ops::Goal;
use crate::registry::ProviderEntry;

/// How the final resource is read once its operation succeeded within the wait.
enum Finally {
    /// Read it again from the provider.
    Read,
    /// It is gone: show the last sight as deleted.
    Gone,
}

/// What an operation follows: its kind, the resource's id, where it should end up, and how the
/// resource is shown once it got there.
struct Plan<'a> {
    kind: OperationKind,
    id: &'a str,
    goal: Goal,
    finally: Finally,
}

/// A resource a change follows (a server or a volume): its id, how its last sight shows once it
/// is gone, and how it is read again.
trait Followed: Sized {
    fn id(&self) -> &str;
    /// The last sight of the resource, shown as deleted.
    fn gone(self) -> Self;
    /// The resource as its provider shows it now.
    async fn read(entry: &ProviderEntry, id: &str) -> DriverResult<Self>;
}

impl Followed for Server {
    fn id(&self) -> &str {
        &self.id
    }

    fn gone(self) -> Server {
        Server {
            state: ServerState::Terminated,
            actions: Vec::new(),
            ..self
        }
    }

    async fn read(entry: &ProviderEntry, id: &str) -> DriverResult<Server> {
        read_server(entry, id).await
    }
}

impl Followed for Volume {
    fn id(&self) -> &str {
        &self.id
    }

    fn gone(self) -> Volume {
        Volume {
            state: VolumeState::Deleted,
            attachments: Vec::new(),
            ..self
        }
    }

    async fn read(entry: &ProviderEntry, id: &str) -> DriverResult<Volume> {
        read_volume(entry, id).await
    }
}

/// The identity of one change for idempotency.
fn identity<'a>(
    op: DriverOp,
    entry: &'a ProviderEntry,
    target: Option<&'a str>,
    input: &impl Serialize,
) -> Identity<'a> {
    Identity {
        operation: op.name(),
        provider: entry.id(),
        target,
        input: serde_json::to_value(input).unwrap_or_default(),
    }
}

impl Service {
    /// Runs `change` once per idempotency key of `caller`.
    async fn once<T, F, Fut>(
        &self,
        caller: &Caller,
        options: &ChangeOptions,
        identity: Identity<'_>,
        change: F,
    ) -> ServiceResult<Change<T>>
    where
        T: Serialize + DeserializeOwned + Clone,
        F: FnOnce() -> Fut,
        Fut: Future<Output = ServiceResult<Change<T>>>,
    {
        let store = self.ops().store();
        let change = idempotency::once(
            store,
            self.ops().lease(),
            caller,
            options.idempotency_key.as_ref(),
            identity,
            change,
        )
        .await?;
        self.own(caller, &change.operation.id);
        Ok(change)
    }

    /// The provider of a change: 403 unless the caller may change things, 404 outside its
    /// scope.
    fn changeable(&self, caller: &Caller, provider: &str) -> ServiceResult<Arc<ProviderEntry>> {
        caller.require(Role::Operator, "changing resources")?;
        self.entry(caller, provider)
    }

    /// Starts the operation of `plan`, waits as the caller asked, and says how it stands.
    /// `seen` is the resource as the driver call returned it.
    async fn follow<T: Followed>(
        &self,
        entry: &Arc<ProviderEntry>,
        plan: Plan<'_>,
        seen: T,
        options: &ChangeOptions,
    ) -> ServiceResult<Change<T>> {
        let op = self
            .ops()
            .begin(entry.clone(), plan.kind, plan.id, plan.goal)
            .await?;
        let op = match options.wait {
            Some(wait) if !op.status.is_final() => self.ops().wait(op, wait.min(MAX_WAIT)).await?,
            _ => op,
        };
        match op.status {
            OperationStatus::Succeeded => {
                let resource = match plan.finally {
                    Finally::Gone => seen.gone(),
                    Finally::Read => T::read(entry, seen.id()).await?,
                };
                Ok(Change {
                    resource,
                    operation: op,
                    done: true,
                    replayed: false,
                })
            }
            OperationStatus::Failed => Err(failure(op)),
            OperationStatus::Pending | OperationStatus::Running => Ok(Change {
                operation: op,
                resource: seen,
                done: false,
                replayed: false,
            }),
        }
    }

    /// Creates a server; the operation ends when it runs.
    pub async fn create_server(
        &self,
        caller: &Caller,
        provider: &str,
        body: &CreateServerRequest,
        options: &ChangeOptions,
    ) -> ServiceResult<Change<Server>> {
        let entry = self.changeable(caller, provider)?;
        check::require(&entry, DriverOp::CreateServer)?;
        check::create_server(&entry, body)?;
        let token = options.idempotency_key.as_ref().map(|k| k.as_str());
        let identity = identity(DriverOp::CreateServer, &entry, None, body);
        self.once(caller, options, identity, || async {
            let created = entry.driver().create_server(body, token).await?;
            let server = finish_server(&entry, created);
            let id = server.id.clone();
            let plan = Plan {
                kind: OperationKind::CreateServer,
                id: &id,
                goal: Goal::Server(ServerState::Running),
                finally: Finally::Read,
            };
            self.follow(&entry, plan, server, options).await
        })
        .await
    }

    /// Starts, stops, reboots or deletes a server, by the power-action rules for every driver
    /// ([`ServerState::admits`]): already there → done at once (start on running, stop on
    /// stopped, delete on terminated); not possible in this state → 409 (reboot on stopped, any
    /// action on terminated); otherwise ask the provider and follow.
    pub async fn server_action(
        &self,
        caller: &Caller,
        provider: &str,
        id: &str,
        action: ServerAction,
        options: &ChangeOptions,
    ) -> ServiceResult<Change<Server>> {
        let entry = self.changeable(caller, provider)?;
        let op = DriverOp::for_action(action);
        check::require(&entry, op)?;
        check::plain_text("id", id, check::Source::Url)?;
        let kind = OperationKind::for_action(action);
        self.once(
            caller,
            options,
            identity(op, &entry, Some(id), &()),
            || async {
                let server = read_server(&entry, id).await?;
                match server.state.admits(action) {
                    ActionAdmission::AlreadyDone => {
                        let operation = self
                            .ops()
                            .already_done(entry.id(), kind, &server.id, ResourceKind::Server)
                            .await?;
                        Ok(Change {
                            operation,
                            resource: server,
                            done: true,
                            replayed: false,
                        })
                    }
                    ActionAdmission::Conflict => Err(conflict(&entry, &server, action)),
                    ActionAdmission::Allowed => {
                        let driver = entry.driver();
                        let changed = match action {
                            ServerAction::Start => driver.start_server(id).await,
                            ServerAction::Stop => driver.stop_server(id).await,
                            ServerAction::Reboot => driver.reboot_server(id).await,
                            ServerAction::Delete => driver.delete_server(id).await,
                        };
                        let after = finish_server(&entry, changed?);
                        let (goal, finally) = match action {
                            ServerAction::Delete => (Goal::ServerGone, Finally::Gone),
                            other => (Goal::Server(ServerState::after(other)), Finally::Read),
                        };
                        let id = after.id.clone();
                        let plan = Plan {
                            kind,
                            id: &id,
                            goal,
                            finally,
                        };
                        self.follow(&entry, plan, after, options).await
                    }
                }
            },
        )
        .await
    }

    /// The one sequence of every volume change: provider, capability, `extra` checks,
    /// idempotency, the driver call, the operation towards its goal, the caller's wait.
    async fn change_volume<I, F, Fut>(
        &self,
        caller: &Caller,
        provider: &str,
        verb: VolumeVerb<'_, I>,
        options: &ChangeOptions,
        extra: impl FnOnce(&ProviderEntry) -> ServiceResult<()>,
        call: F,
    ) -> ServiceResult<Change<Volume>>
    where
        I: Serialize,
        F: FnOnce(Arc<ProviderEntry>) -> Fut,
        Fut: Future<Output = DriverResult<Volume>>,
    {
        let entry = self.changeable(caller, provider)?;
        check::require(&entry, verb.op)?;
        extra(&entry)?;
        if let Some(id) = verb.target {
            check::plain_text("id", id, check::Source::Url)?;
        }
        let identity = identity(verb.op, &entry, verb.target, verb.input);
        self.once(caller, options, identity, || async {
            let volume = call(entry.clone()).await?;
            let id = verb.target.map_or_else(|| volume.id.clone(), str::to_owned);
            let plan = Plan {
                kind: verb.kind,
                id: &id,
                goal: verb.goal,
                finally: verb.finally,
            };
            self.follow(&entry, plan, volume, options).await
        })
        .await
    }

    /// Creates a volume; the operation ends when it is available.
    pub async fn create_volume(
        &self,
        caller: &Caller,
        provider: &str,
        body: &CreateVolumeRequest,
        options: &ChangeOptions,
    ) -> ServiceResult<Change<Volume>> {
        let token = options.idempotency_key.as_ref().map(|k| k.as_str());
        let verb = VolumeVerb {
            op: DriverOp::CreateVolume,
            kind: OperationKind::CreateVolume,
            target: None,
            input: body,
            goal: Goal::Volume(VolumeState::Available),
            finally: Finally::Read,
        };
        let extra = |entry: &ProviderEntry| check::create_volume(entry, body);
        self.change_volume(caller, provider, verb, options, extra, |entry| async move {
            entry.driver().create_volume(body, token).await
        })
        .await
    }

    /// Deletes a volume; the operation ends when it is gone.
    pub async fn delete_volume(
        &self,
        caller: &Caller,
        provider: &str,
        id: &str,
        options: &ChangeOptions,
    ) -> ServiceResult<Change<Volume>> {
        let verb = VolumeVerb {
            op: DriverOp::DeleteVolume,
            kind: OperationKind::DeleteVolume,
            target: Some(id),
            input: &(),
            goal: Goal::VolumeGone,
            finally: Finally::Gone,
        };
        self.change_volume(
            caller,
            provider,
            verb,
            options,
            |_| Ok(()),
            |entry| async move { entry.driver().delete_volume(id).await },
        )
        .await
    }

    /// Attaches a volume to a server; the operation ends when it is in use.
    pub async fn attach_volume(
        &self,
        caller: &Caller,
        provider: &str,
        id: &str,
        body: &AttachVolumeRequest,
        options: &ChangeOptions,
    ) -> ServiceResult<Change<Volume>> {
        let verb = VolumeVerb {
            op: DriverOp::AttachVolume,
            kind: OperationKind::AttachVolume,
            target: Some(id),
            input: body,
            goal: Goal::Volume(VolumeState::InUse),
            finally: Finally::Read,
        };
        let extra = |_: &ProviderEntry| check::attach_volume(body);
        self.change_volume(caller, provider, verb, options, extra, |entry| async move {
            let device = body.device.as_deref();
            entry
                .driver()
                .attach_volume(id, &body.server_id, device)
                .await
        })
        .await
    }

    /// Detaches a volume; the operation ends when it is available again.
    pub async fn detach_volume(
        &self,
        caller: &Caller,
        provider: &str,
        id: &str,
        options: &ChangeOptions,
    ) -> ServiceResult<Change<Volume>> {
        let verb = VolumeVerb {
            op: DriverOp::DetachVolume,
            kind: OperationKind::DetachVolume,
            target: Some(id),
            input: &(),
            goal: Goal::Volume(VolumeState::Available),
            finally: Finally::Read,
        };
        self.change_volume(
            caller,
            provider,
            verb,
            options,
            |_| Ok(()),
            |entry| async move { entry.driver().detach_volume(id).await },
        )
        .await
    }
}

/// What one volume change is: the driver operation, the operation kind, the volume (none for a
/// create), the input that identifies it, and where it should end up.
struct VolumeVerb<'a, I> {
    op: DriverOp,
    kind: OperationKind,
    target: Option<&'a str>,
    input: &'a I,
    goal: Goal,
    finally: Finally,
}

/// The problem of an operation that failed while the caller waited.
fn failure(op: Operation) -> ServiceError {
    op.problem
        .unwrap_or_else(|| {
            Problem::new(
                ProblemCode::Internal,
                500,
                "the operation failed without a reason",
            )
        })
        .into()
}

fn conflict(entry: &ProviderEntry, server: &Server, action: ServerAction) -> ServiceError {
    let detail = format!(
        "cannot {} server {} in state {}",
        action.as_str(),
        server.id,
        server.state.as_str()
    );
    Problem::new(ProblemCode::InvalidState, 409, detail)
        .with_provider(entry.id())
        .into()
}
