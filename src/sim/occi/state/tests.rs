//! Tests of the simulated OCCI account: provisioning and power delays, the OCCI state diagram,
//! storage links, and network interfaces.

use super::*;

fn state(provision: u64, power: u64) -> State {
    State::new(
        Profile::Ooi,
        Duration::from_secs(provision),
        Duration::from_secs(power),
    )
}

#[test]
fn a_new_compute_is_inactive_until_provisioned() {
    let mut s = state(5, 1);
    let t0 = Instant::now();
    let id = s.create_compute(NewCompute::default(), t0).id.clone();
    assert_eq!(s.compute(&id).map(|c| c.state), Ok(ComputeState::Inactive));
    assert!(s.compute(&id).is_ok_and(|c| c.pending.is_some()));
    s.advance(t0 + Duration::from_secs(4));
    assert_eq!(s.compute(&id).map(|c| c.state), Ok(ComputeState::Inactive));
    s.advance(t0 + Duration::from_secs(5));
    assert_eq!(s.compute(&id).map(|c| c.state), Ok(ComputeState::Active));
}

#[test]
fn stop_takes_the_power_delay_and_blocks_other_actions_meanwhile() {
    let mut s = state(0, 2);
    let t0 = Instant::now();
    let id = s.create_compute(NewCompute::default(), t0).id.clone();
    assert_eq!(
        s.act(&id, ComputeAction::Stop, Some("graceful"), t0),
        Ok(())
    );
    let busy = s.act(&id, ComputeAction::Start, None, t0);
    assert!(busy.is_err_and(|e| e.kind == super::super::error::ErrorKind::NotApplicable));
    s.advance(t0 + Duration::from_secs(1));
    assert_eq!(s.compute(&id).map(|c| c.state), Ok(ComputeState::Active));
    s.advance(t0 + Duration::from_secs(2));
    assert_eq!(s.compute(&id).map(|c| c.state), Ok(ComputeState::Inactive));
}

#[test]
fn actions_follow_the_occi_state_diagram() {
    let mut s = state(0, 0);
    let t0 = Instant::now();
    let id = s.create_compute(NewCompute::default(), t0).id.clone();
    let not_applicable = |r: Result<(), SimError>| {
        r.is_err_and(|e| e.kind == super::super::error::ErrorKind::NotApplicable)
    };
    assert!(not_applicable(s.act(&id, ComputeAction::Start, None, t0)));
    assert_eq!(s.act(&id, ComputeAction::Restart, Some("warm"), t0), Ok(()));
    assert_eq!(s.act(&id, ComputeAction::Stop, None, t0), Ok(()));
    assert!(not_applicable(s.act(&id, ComputeAction::Restart, None, t0)));
    assert!(not_applicable(s.act(&id, ComputeAction::Stop, None, t0)));
    assert_eq!(s.act(&id, ComputeAction::Start, None, t0), Ok(()));
    assert_eq!(s.act(&id, ComputeAction::Suspend, None, t0), Ok(()));
    assert_eq!(s.compute(&id).map(|c| c.state), Ok(ComputeState::Suspended));
    let bad_method = s.act(&id, ComputeAction::Stop, Some("yank"), t0);
    assert!(bad_method.is_err_and(|e| e.message.contains("graceful")));
}

#[test]
fn storage_is_attached_once_and_not_deleted_while_attached() {
    let mut s = state(0, 0);
    let t0 = Instant::now();
    let c = s.create_compute(NewCompute::default(), t0).id.clone();
    let v = s.create_storage(Some("v".into()), 1.0).id.clone();
    let link = s.create_link(&c, &v, None).cloned();
    let link = link.unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(link.deviceid, "/dev/vdb");
    assert_eq!(
        link.id,
        format!("{c}_{v}"),
        "ooi names links <server>_<volume>"
    );
    assert!(s.create_link(&c, &v, None).is_err());
    assert!(s.delete_storage(&v).is_err());
    assert_eq!(s.delete_link(&link.id), Ok(()));
    assert_eq!(s.delete_storage(&v), Ok(()));
    assert!(
        s.create_link(&c, "missing", None)
            .is_err_and(|e| e.kind == super::super::error::ErrorKind::NotFound)
    );
}

#[test]
fn deleting_a_compute_detaches_its_storage() {
    let mut s = state(0, 0);
    let t0 = Instant::now();
    let c = s.create_compute(NewCompute::default(), t0).id.clone();
    let v = s.create_storage(None, 1.0).id.clone();
    assert!(s.create_link(&c, &v, Some("/dev/vdc".into())).is_ok());
    assert_eq!(s.delete_compute(&c), Ok(()));
    assert!(s.link_of_storage(&v).is_none());
    assert!(s.storage(&v).is_ok());
}

#[test]
fn computes_get_a_public_and_a_private_interface() {
    let mut s = state(0, 0);
    let c = s
        .create_compute(NewCompute::default(), Instant::now())
        .clone();
    let public: Vec<bool> = c
        .nics
        .iter()
        .map(|n| s.catalog().networks[n.network].public)
        .collect();
    assert_eq!(public, vec![true, false]);
    assert!(s.nic(&c.nics[1].id).is_ok());
}
