//! Tests of the simulated GoGrid account: provisioning, ids, power transitions with their delays,
//! deletes, and the refusals of bad input.

use super::*;

const DELAY: Duration = Duration::from_millis(200);

fn state() -> State {
    State::new(DELAY, DELAY)
}

fn add(st: &mut State, name: &str, now: Instant) -> Result<Server, SimError> {
    let ip = st
        .ips
        .iter()
        .find(|i| i.public && !i.assigned)
        .map(|i| i.ip.clone())
        .unwrap_or_default();
    st.add_server(
        AddServer {
            name: name.into(),
            image: "centos5.6_32_base".into(),
            ram: "512MB".into(),
            ip,
            description: None,
        },
        now,
    )
}

fn by_name(name: &str) -> ServerKey {
    ServerKey::Name(name.into())
}

#[test]
fn provisioning_gives_an_id_state_on_and_a_password_only_after_the_delay() {
    let mut st = state();
    let t0 = Instant::now();
    let added = add(&mut st, "web1", t0).unwrap();
    assert_eq!(added.id, None);
    assert_eq!(added.state(), ServerState::Off);
    assert!(st.get_servers(&[by_name("web1")]).is_empty());
    assert!(st.passwords.is_empty());

    st.advance(t0 + DELAY / 2);
    assert_eq!(st.servers[0].id, None);

    st.advance(t0 + DELAY);
    let server = &st.servers[0];
    assert_eq!(server.id, Some(FIRST_SERVER_ID));
    assert_eq!(server.state(), ServerState::On);
    assert_eq!(st.get_servers(&[by_name("web1")]).len(), 1);
    assert_eq!(st.passwords.len(), 1);
    assert_eq!(st.passwords[0].server_id, FIRST_SERVER_ID);
    assert_eq!(st.passwords[0].password.len(), 10);
}

#[test]
fn zero_provision_delay_add_answer_has_no_id_but_next_look_has_one() {
    let mut st = State::new(Duration::ZERO, Duration::ZERO);
    let t0 = Instant::now();
    let added = add(&mut st, "web1", t0).unwrap();
    assert_eq!(added.id, None);
    st.advance(t0);
    assert!(st.servers[0].id.is_some());
}

#[test]
fn ids_are_unique_and_follow_add_order() {
    let mut st = state();
    let t0 = Instant::now();
    for name in ["a", "b", "c"] {
        add(&mut st, name, t0).unwrap();
    }
    st.advance(t0 + DELAY);
    let ids: Vec<_> = st.servers.iter().filter_map(|s| s.id).collect();
    assert_eq!(
        ids,
        [FIRST_SERVER_ID, FIRST_SERVER_ID + 1, FIRST_SERVER_ID + 2]
    );
    st.delete_server(&ServerKey::Id(FIRST_SERVER_ID.to_string()))
        .unwrap();
    add(&mut st, "d", t0 + DELAY).unwrap();
    st.advance(t0 + DELAY * 2);
    assert_eq!(st.servers[2].id, Some(FIRST_SERVER_ID + 3));
}

#[test]
fn stop_goes_through_stopping_to_off_and_start_through_starting_to_on() {
    let mut st = state();
    let t0 = Instant::now();
    add(&mut st, "web1", t0).unwrap();
    let t1 = t0 + DELAY;
    st.advance(t1);

    let s = st.power(&by_name("web1"), PowerAction::Stop, t1).unwrap();
    assert_eq!(s.state(), ServerState::Stopping);
    st.advance(t1 + DELAY / 2);
    assert_eq!(st.servers[0].state(), ServerState::Stopping);
    st.advance(t1 + DELAY);
    assert_eq!(st.servers[0].state(), ServerState::Off);

    let t2 = t1 + DELAY;
    let s = st.power(&by_name("web1"), PowerAction::Start, t2).unwrap();
    assert_eq!(s.state(), ServerState::Starting);
    st.advance(t2 + DELAY);
    assert_eq!(st.servers[0].state(), ServerState::On);
}

#[test]
fn restart_goes_through_restarting_to_on() {
    let mut st = state();
    let t0 = Instant::now();
    add(&mut st, "web1", t0).unwrap();
    let t1 = t0 + DELAY;
    st.advance(t1);
    let id = ServerKey::Id(FIRST_SERVER_ID.to_string());
    let s = st.power(&id, PowerAction::Restart, t1).unwrap();
    assert_eq!(s.state(), ServerState::Restarting);
    st.advance(t1 + DELAY);
    assert_eq!(st.servers[0].state(), ServerState::On);
}

#[test]
fn power_to_the_current_state_succeeds_and_changes_nothing() {
    let mut st = state();
    let t0 = Instant::now();
    add(&mut st, "web1", t0).unwrap();
    let t1 = t0 + DELAY;
    st.advance(t1);
    let s = st.power(&by_name("web1"), PowerAction::Start, t1).unwrap();
    assert_eq!(s.state(), ServerState::On);
    st.power(&by_name("web1"), PowerAction::Stop, t1).unwrap();
    st.advance(t1 + DELAY);
    let s = st
        .power(&by_name("web1"), PowerAction::Stop, t1 + DELAY)
        .unwrap();
    assert_eq!(s.state(), ServerState::Off);
}

#[test]
fn zero_power_delay_answers_the_end_state() {
    let mut st = State::new(Duration::ZERO, Duration::ZERO);
    let t0 = Instant::now();
    add(&mut st, "web1", t0).unwrap();
    st.advance(t0);
    let s = st.power(&by_name("web1"), PowerAction::Stop, t0).unwrap();
    assert_eq!(s.state(), ServerState::Off);
}

#[test]
fn while_provisioning_start_is_a_no_op_and_stop_or_restart_fail() {
    let mut st = state();
    let t0 = Instant::now();
    add(&mut st, "web1", t0).unwrap();
    let s = st.power(&by_name("web1"), PowerAction::Start, t0).unwrap();
    assert!(s.is_provisioning());
    for action in [PowerAction::Stop, PowerAction::Restart] {
        let err = st.power(&by_name("web1"), action, t0).unwrap_err();
        assert!(err.message.contains("provisioned"), "{}", err.message);
    }
    // An id does not exist yet, so it cannot name the server.
    let err = st
        .power(
            &ServerKey::Id(FIRST_SERVER_ID.to_string()),
            PowerAction::Start,
            t0,
        )
        .unwrap_err();
    assert_eq!(err, SimError::not_found());
}

#[test]
fn conflicting_power_change_while_busy_fails() {
    let mut st = state();
    let t0 = Instant::now();
    add(&mut st, "web1", t0).unwrap();
    let t1 = t0 + DELAY;
    st.advance(t1);
    st.power(&by_name("web1"), PowerAction::Stop, t1).unwrap();
    let err = st
        .power(&by_name("web1"), PowerAction::Start, t1)
        .unwrap_err();
    assert!(err.message.contains("Stopping"), "{}", err.message);
    // Same target: accepted.
    st.power(&by_name("web1"), PowerAction::Stop, t1).unwrap();
}

#[test]
fn delete_while_provisioning_by_name_frees_the_ip() {
    let mut st = state();
    let t0 = Instant::now();
    let added = add(&mut st, "web1", t0).unwrap();
    assert!(st.ips.iter().any(|i| i.ip == added.ip.ip && i.assigned));
    let gone = st.delete_server(&by_name("web1")).unwrap();
    assert_eq!(gone.name, "web1");
    assert!(st.servers.is_empty());
    assert!(st.ips.iter().any(|i| i.ip == added.ip.ip && !i.assigned));
    assert_eq!(
        st.delete_server(&by_name("web1")).unwrap_err(),
        SimError::not_found()
    );
}

#[test]
fn delete_forgets_the_password() {
    let mut st = state();
    let t0 = Instant::now();
    add(&mut st, "web1", t0).unwrap();
    st.advance(t0 + DELAY);
    assert_eq!(st.passwords.len(), 1);
    st.delete_server(&ServerKey::IdOrName(FIRST_SERVER_ID.to_string()))
        .unwrap();
    assert!(st.passwords.is_empty());
}

#[test]
fn add_rejects_bad_input_with_clear_messages() {
    let mut st = state();
    let t0 = Instant::now();
    let good = AddServer {
        name: "ok".into(),
        image: "9928".into(),
        ram: "1".into(),
        ip: "192.0.2.2".into(),
        description: None,
    };
    let cases = [
        (
            AddServer {
                name: "".into(),
                ..good.clone()
            },
            "name",
        ),
        (
            AddServer {
                name: "x".repeat(21),
                ..good.clone()
            },
            "too long",
        ),
        (
            AddServer {
                image: "nope".into(),
                ..good.clone()
            },
            "image",
        ),
        (
            AddServer {
                ram: "3TB".into(),
                ..good.clone()
            },
            "server.ram",
        ),
        (
            AddServer {
                ip: "".into(),
                ..good.clone()
            },
            "ip",
        ),
        (
            AddServer {
                ip: "1.2.3.4".into(),
                ..good.clone()
            },
            "not an IP",
        ),
        (
            AddServer {
                ip: "10.100.0.2".into(),
                ..good.clone()
            },
            "private",
        ),
        (
            AddServer {
                image: "20001".into(),
                ip: "198.51.100.2".into(),
                ..good.clone()
            },
            "not available in datacenter US-East-1",
        ),
        (
            AddServer {
                image: "20002".into(),
                ..good.clone()
            },
            "not available",
        ),
        (
            AddServer {
                image: "win2k8r2_64_base".into(),
                ..good.clone()
            },
            "at least 2GB",
        ),
    ];
    for (req, needle) in cases {
        let err = st.add_server(req.clone(), t0).unwrap_err();
        assert_eq!(err.code, "IllegalArgumentException");
        assert!(err.message.contains(needle), "{req:?}: {}", err.message);
    }
    st.add_server(good.clone(), t0).unwrap();
    let err = st.add_server(good.clone(), t0).unwrap_err();
    assert!(err.message.contains("already exists"), "{}", err.message);
    let err = st
        .add_server(
            AddServer {
                name: "other".into(),
                ..good
            },
            t0,
        )
        .unwrap_err();
    assert!(err.message.contains("already assigned"), "{}", err.message);
}

#[test]
fn twenty_char_names_and_ram_by_name_or_id_are_accepted() {
    let mut st = state();
    let t0 = Instant::now();
    let s = st
        .add_server(
            AddServer {
                name: "x".repeat(20),
                image: "centos6.2_64_base".into(),
                ram: "8".into(),
                ip: "203.0.113.5".into(),
                description: Some("d".into()),
            },
            t0,
        )
        .unwrap();
    assert_eq!(s.ram.name, "16GB");
    assert_eq!(s.datacenter().name, "EU-West-1");
}
