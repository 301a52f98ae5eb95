use std::sync::Arc;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use time::OffsetDateTime;

use crate::driver::{DriverError, DriverResult, ErrorKind};
use crate::events::Events;
use crate::model::{
    CloudEvent, EventType, Operation, OperationStatus, Problem, ProblemCode, ResourceKind, Server,
    ServerState, Volume, VolumeState,
};
use crate::registry::ProviderEntry;
use crate::store::Store;

/// How operations are followed.
#[derive(Debug, Clone)]
pub struct FollowSettings {
    /// Give up (status failed, `provider_timeout`) after this long.
    pub timeout: Duration,
    /// First pause between polls; pauses grow up to `max_delay`.
    pub min_delay: Duration,
    /// Longest pause between polls.
    pub max_delay: Duration,
    /// How long after the start a `not_found` still means "not visible yet" (eventual
    /// consistency after a create) rather than "gone".
    pub not_found_grace: Duration,
}

impl Default for FollowSettings {
    fn default() -> Self {
        FollowSettings {
            timeout: Duration::from_secs(15 * 60),
            min_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            not_found_grace: Duration::from_secs(30),
        }
    }
}

/// Where an operation is going.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    /// The server settles in this state.
    Server(ServerState),
    /// The server is terminated or no longer exists.
    ServerGone,
    /// The volume settles in this state.
    Volume(VolumeState),
    /// The volume is deleted or no longer exists.
    VolumeGone,
}

impl Goal {
    pub(crate) fn resource_kind(self) -> ResourceKind {
        match self {
            Goal::Server(_) | Goal::ServerGone => ResourceKind::Server,
            Goal::Volume(_) | Goal::VolumeGone => ResourceKind::Volume,
        }
    }
}

/// What one look at the resource showed.
#[derive(Debug)]
enum Observation {
    Reached,
    InProgress,
    Failed(Problem),
}

/// What a follower works with.
pub(super) struct Follower {
    pub(super) store: Arc<dyn Store>,
    pub(super) settings: FollowSettings,
    pub(super) events: Events,
    pub(super) entry: Arc<ProviderEntry>,
    /// How long ago the operation began (more than zero when resumed after a restart): the
    /// grace period and the deadline count from its start, not from this follower's.
    pub(super) age: Duration,
}

/// A resource as one look saw it, for its state-change event.
struct Seen {
    state: &'static str,
    event_type: EventType,
    data: serde_json::Value,
}

pub(super) async fn follow(follower: Follower, mut op: Operation, goal: Goal) {
    let Follower {
        store,
        settings,
        events,
        entry,
        age,
    } = follower;
    let _in_flight = crate::metrics::operation_in_flight(entry.id());
    let started = tokio::time::Instant::now();
    let elapsed = || age + started.elapsed();
    let mut pauses = ExponentialBuilder::default()
        .with_min_delay(settings.min_delay)
        .with_max_delay(settings.max_delay)
        .with_factor(1.5)
        .without_max_times()
        .build();
    let mut last_state: Option<&'static str> = None;
    loop {
        let in_grace = elapsed() < settings.not_found_grace;
        let (observation, seen) = observe(&entry, &op.resource_id, goal, in_grace).await;
        if let Some(seen) = seen
            && last_state != Some(seen.state)
        {
            last_state = Some(seen.state);
            let subject = CloudEvent::subject_of(goal.resource_kind(), &op.resource_id);
            events
                .publish(CloudEvent::new(
                    seen.event_type,
                    entry.id(),
                    subject,
                    seen.data,
                ))
                .await;
        }
        let (status, problem) = match observation {
            Observation::Reached => (OperationStatus::Succeeded, None),
            Observation::Failed(problem) => (OperationStatus::Failed, Some(problem)),
            Observation::InProgress if elapsed() >= settings.timeout => {
                let detail = format!("the provider did not finish within {:?}", settings.timeout);
                let problem = Problem::new(ProblemCode::ProviderTimeout, 504, detail)
                    .with_provider(entry.id())
                    .with_retryable(true);
                (OperationStatus::Failed, Some(problem))
            }
            Observation::InProgress => (OperationStatus::Running, None),
        };
        if status != op.status || problem.is_some() {
            op.status = status;
            op.problem = problem;
            op.updated_at = OffsetDateTime::now_utc();
            // The event first: a process killed between the two leaves the operation
            // unfinished in the store, so it is resumed and its end told again. The other
            // order could record the end and lose its event for good.
            events.publish(super::operation_event(&op)).await;
            if let Err(e) = store.put_operation(&op).await {
                tracing::error!(operation = %op.id, error = %e, "cannot record operation status");
            }
        }
        if op.status.is_final() {
            return;
        }
        let pause = pauses.next().unwrap_or(settings.max_delay);
        tokio::time::sleep(pause).await;
    }
}

fn seen_server(entry: &ProviderEntry, server: Server) -> Seen {
    let server = crate::service::finish_server(entry, server);
    Seen {
        state: server.state.as_str(),
        event_type: EventType::ServerStateChanged,
        data: serde_json::to_value(&server).unwrap_or_default(),
    }
}

fn seen_volume(volume: &Volume) -> Seen {
    Seen {
        state: volume.state.as_str(),
        event_type: EventType::VolumeStateChanged,
        data: serde_json::to_value(volume).unwrap_or_default(),
    }
}

/// One look at the resource towards `goal`: where it stands, and what was seen (for its event).
async fn observe(
    entry: &ProviderEntry,
    id: &str,
    goal: Goal,
    in_grace: bool,
) -> (Observation, Option<Seen>) {
    let looked = match goal {
        Goal::Server(target) => {
            look_at_server(entry, id, |s| server_progress(s, target, in_grace)).await
        }
        Goal::ServerGone => look_at_server(entry, id, server_gone_progress).await,
        Goal::Volume(target) => look_at_volume(entry, id, |s| volume_progress(s, target)).await,
        Goal::VolumeGone => look_at_volume(entry, id, volume_gone_progress).await,
    };
    let absence_is_goal = matches!(goal, Goal::ServerGone | Goal::VolumeGone);
    match looked {
        Ok((observation, seen)) => (observation, Some(seen)),
        Err(e) => (absent_or_failed(e, in_grace, absence_is_goal), None),
    }
}

async fn look_at_server(
    entry: &ProviderEntry,
    id: &str,
    progress: impl FnOnce(ServerState) -> Observation,
) -> DriverResult<(Observation, Seen)> {
    let server = entry.driver().get_server(id).await?;
    Ok((progress(server.state), seen_server(entry, server)))
}

async fn look_at_volume(
    entry: &ProviderEntry,
    id: &str,
    progress: impl FnOnce(VolumeState) -> Observation,
) -> DriverResult<(Observation, Seen)> {
    let volume = entry.driver().get_volume(id).await?;
    Ok((progress(volume.state), seen_volume(&volume)))
}

fn server_gone_progress(state: ServerState) -> Observation {
    match state {
        ServerState::Terminated => Observation::Reached,
        ServerState::Error => failed_state("server", "error"),
        _ => Observation::InProgress,
    }
}

fn volume_progress(state: VolumeState, target: VolumeState) -> Observation {
    match state {
        s if s == target => Observation::Reached,
        VolumeState::Error => failed_state("volume", "error"),
        VolumeState::Deleted | VolumeState::Deleting => failed_state("volume", "deleted"),
        _ => Observation::InProgress,
    }
}

fn volume_gone_progress(state: VolumeState) -> Observation {
    match state {
        VolumeState::Deleted => Observation::Reached,
        _ => Observation::InProgress,
    }
}

fn server_progress(state: ServerState, target: ServerState, in_grace: bool) -> Observation {
    match state {
        s if s == target => Observation::Reached,
        ServerState::Error => failed_state("server", "error"),
        ServerState::Terminated | ServerState::Terminating => failed_state("server", "terminated"),
        // Right after an action a provider may still show the old settled state; only once the
        // grace period is over does settling elsewhere than asked mean failure.
        s if s.is_settled() && !in_grace => failed_state("server", s.as_str()),
        _ => Observation::InProgress,
    }
}

fn failed_state(kind: &str, state: &str) -> Observation {
    Observation::Failed(Problem::new(
        ProblemCode::InvalidState,
        409,
        format!("the {kind} went to state {state} instead of the requested one"),
    ))
}

fn absent_or_failed(e: DriverError, in_grace: bool, absence_is_goal: bool) -> Observation {
    match e.kind() {
        ErrorKind::NotFound if absence_is_goal => Observation::Reached,
        ErrorKind::NotFound if in_grace => Observation::InProgress,
        _ if e.is_temporary() => {
            tracing::warn!(error = %e, "operation follower: temporary provider error, will retry");
            Observation::InProgress
        }
        _ => Observation::Failed(e.to_problem()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_reaching_target_succeeds_and_transitional_states_continue() {
        let progress = |s, t| server_progress(s, t, false);
        assert!(matches!(
            progress(ServerState::Running, ServerState::Running),
            Observation::Reached
        ));
        assert!(matches!(
            progress(ServerState::Pending, ServerState::Running),
            Observation::InProgress
        ));
        assert!(matches!(
            progress(ServerState::Stopping, ServerState::Stopped),
            Observation::InProgress
        ));
    }

    #[test]
    fn server_settling_elsewhere_fails() {
        let progress = |s, t, g| server_progress(s, t, g);
        assert!(matches!(
            progress(ServerState::Error, ServerState::Running, true),
            Observation::Failed(_)
        ));
        assert!(matches!(
            progress(ServerState::Terminated, ServerState::Running, true),
            Observation::Failed(_)
        ));
        assert!(matches!(
            progress(ServerState::Stopped, ServerState::Running, false),
            Observation::Failed(_)
        ));
        // A stale settled state right after the action is not yet a failure.
        assert!(matches!(
            progress(ServerState::Stopped, ServerState::Running, true),
            Observation::InProgress
        ));
    }

    #[test]
    fn not_found_is_pending_in_grace_and_failure_after() {
        let nf = || DriverError::new(ErrorKind::NotFound, "gone");
        assert!(matches!(
            absent_or_failed(nf(), true, false),
            Observation::InProgress
        ));
        assert!(matches!(
            absent_or_failed(nf(), false, false),
            Observation::Failed(_)
        ));
        assert!(matches!(
            absent_or_failed(nf(), false, true),
            Observation::Reached
        ));
        let busy = DriverError::new(ErrorKind::Unavailable, "503");
        assert!(matches!(
            absent_or_failed(busy, false, false),
            Observation::InProgress
        ));
    }
}
