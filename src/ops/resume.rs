//! Resuming operations whose follower is gone.

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use super::{Goal, Operations, lease::Lease};
use crate::model::{Operation, OperationKind, ServerAction, ServerState, VolumeState};
use crate::registry::Registry;

impl Goal {
    /// Where an operation of `kind` is going (what its follower was started with).
    pub fn for_kind(kind: OperationKind) -> Goal {
        let server = |action| Goal::Server(ServerState::after(action));
        match kind {
            OperationKind::CreateServer => Goal::Server(ServerState::Running),
            OperationKind::StartServer => server(ServerAction::Start),
            OperationKind::StopServer => server(ServerAction::Stop),
            OperationKind::RebootServer => server(ServerAction::Reboot),
            OperationKind::DeleteServer => Goal::ServerGone,
            OperationKind::CreateVolume | OperationKind::DetachVolume => {
                Goal::Volume(VolumeState::Available)
            }
            OperationKind::AttachVolume => Goal::Volume(VolumeState::InUse),
            OperationKind::DeleteVolume => Goal::VolumeGone,
        }
    }
}

impl Operations {
    /// Looks for unfinished operations nobody follows, now and then every third of a lease,
    /// and follows those whose lease it gets. Runs until the process ends.
    pub fn spawn_resumer(&self, registry: Arc<Registry>) {
        let ops = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = ops.resume_once(&registry).await {
                    tracing::warn!(error = %e, "cannot look for unfinished operations");
                }
                tokio::time::sleep(ops.lease / 3).await;
            }
        });
    }

    /// One look: follows every unfinished operation whose lease this replica gets.
    pub async fn resume_once(
        &self,
        registry: &Registry,
    ) -> Result<usize, crate::store::StoreError> {
        let mut resumed = 0;
        for op in self.store.unfinished_operations().await? {
            let mine = self
                .following
                .lock()
                .map(|f| f.contains(&op.id))
                .unwrap_or(true);
            if mine {
                continue;
            }
            let Some(entry) = registry.get(&op.provider).cloned() else {
                tracing::warn!(operation = %op.id, provider = %op.provider, "unfinished operation of a provider no longer configured");
                continue;
            };
            let lease = Lease::new(self, &op.id);
            if !lease.try_take().await? {
                continue;
            }
            // Read again under the lease: the last holder may have finished it meanwhile.
            let Some(op) = self.store.get_operation(&op.id).await? else {
                continue;
            };
            if op.status.is_final() {
                lease.give_up().await;
                continue;
            }
            tracing::info!(operation = %op.id, provider = %op.provider, "resuming an unfinished operation");
            let goal = Goal::for_kind(op.kind);
            let age = age(&op);
            self.spawn_follower(entry, op, goal, lease, age);
            resumed += 1;
        }
        Ok(resumed)
    }
}

/// How long ago `op` began (zero if the clocks disagree).
fn age(op: &Operation) -> Duration {
    Duration::try_from(OffsetDateTime::now_utc() - op.created_at).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resumed_operation_goes_where_its_kind_went() {
        use OperationKind as K;
        assert_eq!(
            Goal::for_kind(K::CreateServer),
            Goal::Server(ServerState::Running)
        );
        assert_eq!(
            Goal::for_kind(K::StopServer),
            Goal::Server(ServerState::Stopped)
        );
        assert_eq!(
            Goal::for_kind(K::RebootServer),
            Goal::Server(ServerState::Running)
        );
        assert_eq!(Goal::for_kind(K::DeleteServer), Goal::ServerGone);
        assert_eq!(
            Goal::for_kind(K::AttachVolume),
            Goal::Volume(VolumeState::InUse)
        );
        assert_eq!(
            Goal::for_kind(K::DetachVolume),
            Goal::Volume(VolumeState::Available)
        );
        assert_eq!(Goal::for_kind(K::DeleteVolume), Goal::VolumeGone);
    }
}
