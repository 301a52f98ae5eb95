use std::sync::Arc;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use time::OffsetDateTime;

use crate::driver::{DriverError, DriverOp, ErrorKind};
use crate::model::{
    Operation, OperationStatus, Problem, ProblemCode, ResourceKind, ServerState, VolumeState,
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

pub(super) async fn follow(
    store: Arc<dyn Store>,
    settings: FollowSettings,
    entry: Arc<ProviderEntry>,
    mut op: Operation,
    goal: Goal,
) {
    let started = tokio::time::Instant::now();
    let mut pauses = ExponentialBuilder::default()
        .with_min_delay(settings.min_delay)
        .with_max_delay(settings.max_delay)
        .with_factor(1.5)
        .without_max_times()
        .build();
    loop {
        let in_grace = started.elapsed() < settings.not_found_grace;
        let (status, problem) = match observe(&entry, &op.resource_id, goal, in_grace).await {
            Observation::Reached => (OperationStatus::Succeeded, None),
            Observation::Failed(problem) => (OperationStatus::Failed, Some(problem)),
            Observation::InProgress if started.elapsed() >= settings.timeout => {
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

async fn observe(entry: &ProviderEntry, id: &str, goal: Goal, in_grace: bool) -> Observation {
    match goal {
        Goal::Server(target) => {
            let seen = entry
                .call(DriverOp::GetServer, || entry.driver().get_server(id))
                .await;
            match seen {
                Ok(server) => server_progress(server.state, target, in_grace),
                Err(e) => absent_or_failed(e, in_grace, false),
            }
        }
        Goal::ServerGone => {
            let seen = entry
                .call(DriverOp::GetServer, || entry.driver().get_server(id))
                .await;
            match seen {
                Ok(server) if server.state == ServerState::Terminated => Observation::Reached,
                Ok(server) if server.state == ServerState::Error => failed_state("server", "error"),
                Ok(_) => Observation::InProgress,
                Err(e) => absent_or_failed(e, in_grace, true),
            }
        }
        Goal::Volume(target) => {
            let seen = entry
                .call(DriverOp::GetVolume, || entry.driver().get_volume(id))
                .await;
            match seen {
                Ok(volume) if volume.state == target => Observation::Reached,
                Ok(volume) if volume.state == VolumeState::Error => failed_state("volume", "error"),
                Ok(volume)
                    if matches!(volume.state, VolumeState::Deleted | VolumeState::Deleting) =>
                {
                    failed_state("volume", "deleted")
                }
                Ok(_) => Observation::InProgress,
                Err(e) => absent_or_failed(e, in_grace, false),
            }
        }
        Goal::VolumeGone => {
            let seen = entry
                .call(DriverOp::GetVolume, || entry.driver().get_volume(id))
                .await;
            match seen {
                Ok(volume) if volume.state == VolumeState::Deleted => Observation::Reached,
                Ok(_) => Observation::InProgress,
                Err(e) => absent_or_failed(e, in_grace, true),
            }
        }
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
