//! One function per GoGrid method: reads its parameters, acts on the [`State`] and returns the
//! objects for the envelope.

use std::time::Instant;

use super::error::SimError;
use super::paging::{Paging, Summary};
use super::params::Params;
use super::seed::{self, Opt};
use super::state::{AddServer, PowerAction, ServerKey, State};
use super::wire;

/// The objects of a success envelope and its summary.
pub type Answer = (Vec<wire::Item>, Summary);

/// Real GoGrid methods the simulator does not implement; they get a 400 that says so rather than
/// the unknown-method answer.
const UNSIMULATED: &[&str] = &[
    "grid/server/edit",
    "grid/image/save",
    "grid/image/edit",
    "grid/image/delete",
    "grid/image/restore",
    "grid/loadbalancer/list",
    "grid/loadbalancer/get",
    "grid/loadbalancer/add",
    "grid/loadbalancer/edit",
    "grid/loadbalancer/delete",
    "grid/job/list",
    "grid/job/get",
    "myaccount/billing/get",
];

/// Serves `method` (the path after `/api/`, without a trailing slash).
pub fn dispatch(
    method: &str,
    params: &Params,
    state: &mut State,
    now: Instant,
) -> Result<Answer, SimError> {
    match method {
        "grid/server/list" => server_list(params, state),
        "grid/server/get" => server_get(params, state),
        "grid/server/add" => server_add(params, state, now),
        "grid/server/delete" => server_delete(params, state),
        "grid/server/power" => server_power(params, state, now),
        "grid/image/list" => image_list(params, state),
        "grid/image/get" => image_get(params, state),
        "grid/ip/list" => ip_list(params, state),
        "common/lookup/list" => lookup_list(params, state),
        "support/password/list" => password_list(params, state),
        // jclouds calls the second path.
        "support/password/get" | "support/grid/password/get" => password_get(params, state),
        m if UNSIMULATED.contains(&m) => Err(SimError::bad_input(format!(
            "Method /{m} is not supported by the cloudgw GoGrid simulator"
        ))),
        m => Err(SimError::bad_input(format!("Unknown method: /{m}"))),
    }
}

fn one(v: wire::Item) -> Answer {
    (vec![v], Summary::whole(1))
}

fn all(list: Vec<wire::Item>) -> Answer {
    let n = list.len();
    (list, Summary::whole(n))
}

/// The page `paging` asks for of `items`, rendering only the objects on it.
fn page_of<T>(
    paging: Paging,
    items: Vec<T>,
    render: impl Fn(T) -> Result<wire::Item, SimError>,
) -> Result<Answer, SimError> {
    let (page, summary) = paging.apply(items);
    let rendered = page.into_iter().map(render).collect::<Result<_, _>>()?;
    Ok((rendered, summary))
}

/// Resolves an option parameter given by id or (case-insensitive) name.
fn resolve_opt(param: &str, raw: &str, options: &[Opt]) -> Result<Opt, SimError> {
    let raw = raw.trim();
    let id: Option<i64> = raw.parse().ok();
    options
        .iter()
        .find(|o| Some(o.id) == id || o.name.eq_ignore_ascii_case(raw))
        .copied()
        .ok_or_else(|| {
            let known: Vec<String> = options
                .iter()
                .map(|o| format!("{} ({})", o.id, o.name))
                .collect();
            SimError::bad_input(format!(
                "Unknown {param} '{raw}'; use one of: {}",
                known.join(", ")
            ))
        })
}

fn opt_filter(params: &Params, keys: &[&str], options: &[Opt]) -> Result<Option<Opt>, SimError> {
    keys.iter()
        .find_map(|k| params.get(k).map(|v| (*k, v)))
        .map(|(k, v)| resolve_opt(k, v, options))
        .transpose()
}

fn datacenter_filter(params: &Params) -> Result<Option<Opt>, SimError> {
    opt_filter(params, &["datacenter"], &seed::DATACENTERS)
}

fn bool_param(params: &Params, key: &str) -> Result<Option<bool>, SimError> {
    params
        .get(key)
        .map(|raw| match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err(SimError::bad_input(format!(
                "{key} must be true or false, not '{raw}'"
            ))),
        })
        .transpose()
}

/// The identifiers of a get/delete/power call. The kinds may not be mixed, as documented.
fn identifiers<'p>(
    params: &'p Params,
    kinds: [&'static str; 3],
) -> Result<(&'static str, Vec<&'p str>), SimError> {
    let given: Vec<(&'static str, Vec<&str>)> = kinds
        .iter()
        .map(|k| (*k, params.all(k)))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let [a, b, c] = kinds;
    match given.as_slice() {
        [(kind, values)] => Ok((*kind, values.clone())),
        [] => Err(SimError::bad_input(format!(
            "Missing required parameter: one of {a}, {b} or {c}"
        ))),
        _ => Err(SimError::bad_input(format!(
            "Use only one of {a}, {b} or {c}, not several"
        ))),
    }
}

fn server_key(kind: &str, value: &str) -> ServerKey {
    match kind {
        "id" => ServerKey::Id(value.trim().to_string()),
        "name" => ServerKey::Name(value.to_string()),
        _ => ServerKey::IdOrName(value.to_string()),
    }
}

/// The single server a delete/power call names.
fn single_server_key(params: &Params, method: &str) -> Result<ServerKey, SimError> {
    let (kind, values) = identifiers(params, ["id", "name", "server"])?;
    match values.as_slice() {
        [value] => Ok(server_key(kind, value)),
        _ => Err(SimError::bad_input(format!(
            "{method} takes exactly one server; {kind} was given {} times",
            values.len()
        ))),
    }
}

fn server_list(params: &Params, state: &State) -> Result<Answer, SimError> {
    let paging = Paging::from_params(params)?;
    let server_type = opt_filter(params, &["server.type"], &seed::SERVER_TYPES)?;
    let datacenter = datacenter_filter(params)?;
    // No sandboxes are ever created, so isSandbox=true lists nothing.
    let sandbox = bool_param(params, "isSandbox")?;
    let list: Vec<_> = state
        .servers
        .iter()
        .filter(|s| server_type.is_none_or(|t| s.image.image_type.id == t.id))
        .filter(|s| datacenter.is_none_or(|d| s.datacenter().id == d.id))
        .filter(|_| sandbox != Some(true))
        .collect();
    page_of(paging, list, wire::server)
}

fn server_get(params: &Params, state: &State) -> Result<Answer, SimError> {
    let (kind, values) = identifiers(params, ["id", "name", "server"])?;
    let keys: Vec<ServerKey> = values.iter().map(|v| server_key(kind, v)).collect();
    let found: Vec<wire::Item> = state
        .get_servers(&keys)
        .into_iter()
        .map(wire::server)
        .collect::<Result<_, _>>()?;
    if found.is_empty() {
        return Err(SimError::not_found());
    }
    Ok(all(found))
}

fn server_add(params: &Params, state: &mut State, now: Instant) -> Result<Answer, SimError> {
    if bool_param(params, "isSandbox")? == Some(true) {
        return Err(SimError::bad_input(
            "Sandbox servers (isSandbox=true) are not supported by the cloudgw GoGrid simulator",
        ));
    }
    let text = |k: &str| params.get(k).unwrap_or_default().to_string();
    let req = AddServer {
        name: text("name"),
        image: text("image"),
        ram: text("server.ram"),
        ip: text("ip"),
        description: params.get("description").map(str::to_string),
    };
    let server = state.add_server(req, now)?;
    Ok(one(wire::server(&server)?))
}

fn server_delete(params: &Params, state: &mut State) -> Result<Answer, SimError> {
    let key = single_server_key(params, "grid/server/delete")?;
    let server = state.delete_server(&key)?;
    Ok(one(wire::server(&server)?))
}

fn server_power(params: &Params, state: &mut State, now: Instant) -> Result<Answer, SimError> {
    let key = single_server_key(params, "grid/server/power")?;
    let action = match params.get("power") {
        None => {
            return Err(SimError::bad_input(
                "Missing required parameter: power (on|start, off|stop, cycle|restart|reboot)",
            ));
        }
        Some(raw) => PowerAction::parse(raw.trim()).ok_or_else(|| {
            SimError::bad_input(format!(
                "Unknown power '{raw}'; use on|start, off|stop or cycle|restart|reboot"
            ))
        })?,
    };
    let server = state.power(&key, action, now)?;
    Ok(one(wire::server(&server)?))
}

fn image_list(params: &Params, state: &State) -> Result<Answer, SimError> {
    let paging = Paging::from_params(params)?;
    let is_public = bool_param(params, "isPublic")?;
    let image_state = opt_filter(params, &["state", "image.state"], &seed::IMAGE_STATES)?;
    let image_type = opt_filter(params, &["type", "image.type"], &seed::SERVER_TYPES)?;
    let datacenter = datacenter_filter(params)?;
    let list: Vec<_> = state
        .images
        .iter()
        .filter(|i| is_public.is_none_or(|p| i.is_public == p))
        .filter(|i| image_state.is_none_or(|s| i.state.id == s.id))
        .filter(|i| image_type.is_none_or(|t| i.image_type.id == t.id))
        .filter(|i| {
            datacenter.is_none_or(|d| i.datacenters.iter().any(|x| x.datacenter.id == d.id))
        })
        .collect();
    page_of(paging, list, wire::image)
}

fn image_get(params: &Params, state: &State) -> Result<Answer, SimError> {
    let (kind, values) = identifiers(params, ["id", "name", "image"])?;
    let found: Vec<wire::Item> = state
        .images
        .iter()
        .filter(|img| {
            values.iter().any(|v| {
                let by_id = v.trim().parse() == Ok(img.id);
                match kind {
                    "id" => by_id,
                    "name" => img.name == *v,
                    _ => by_id || img.name == *v,
                }
            })
        })
        .map(wire::image)
        .collect::<Result<_, _>>()?;
    if found.is_empty() {
        return Err(SimError::not_found());
    }
    Ok(all(found))
}

fn ip_list(params: &Params, state: &State) -> Result<Answer, SimError> {
    let paging = Paging::from_params(params)?;
    let ip_state = opt_filter(
        params,
        &["ip.state"],
        &[seed::IP_UNASSIGNED, seed::IP_ASSIGNED],
    )?;
    let ip_type = opt_filter(params, &["ip.type"], &seed::IP_TYPES)?;
    let datacenter = datacenter_filter(params)?;
    let list: Vec<_> = state
        .ips
        .iter()
        .filter(|i| ip_state.is_none_or(|s| (s.id == seed::IP_ASSIGNED.id) == i.assigned))
        .filter(|i| ip_type.is_none_or(|t| (t.id == seed::IP_TYPES[0].id) == i.public))
        .filter(|i| datacenter.is_none_or(|d| i.datacenter.id == d.id))
        .collect();
    page_of(paging, list, wire::ip)
}

fn lookup_list(params: &Params, state: &State) -> Result<Answer, SimError> {
    let name = params.get("lookup").map(str::trim).unwrap_or_default();
    if name.is_empty() {
        return Err(SimError::bad_input(
            "Missing required parameter: lookup (lookup=lookups lists the names)",
        ));
    }
    let mut options = seed::lookup(name, &state.images).ok_or_else(|| {
        SimError::bad_input(format!(
            "Unknown lookup '{name}'; use one of: {}",
            seed::LOOKUP_NAMES.join(", ")
        ))
    })?;
    let asc = bool_param(params, "asc")?.unwrap_or(true);
    let sort = params.get("sort").map(|s| s.trim().to_ascii_lowercase());
    match sort.as_deref() {
        None | Some("id") => options.sort_by_key(|o| o.id),
        Some("name") => options.sort_by_key(|o| o.name.to_ascii_lowercase()),
        Some("description") => options.sort_by_key(|o| o.description.map(str::to_ascii_lowercase)),
        Some(other) => {
            return Err(SimError::bad_input(format!(
                "Unknown sort '{other}'; use id, name or description"
            )));
        }
    }
    if !asc {
        options.reverse();
    }
    let list = options.iter().map(wire::option_item);
    Ok(all(list.collect::<Result<_, _>>()?))
}

fn password_list(params: &Params, state: &State) -> Result<Answer, SimError> {
    let paging = Paging::from_params(params)?;
    let datacenter = datacenter_filter(params)?;
    let list: Vec<_> = state
        .passwords
        .iter()
        .filter_map(|p| state.server_by_id(p.server_id).map(|s| (p, s)))
        .filter(|(_, s)| datacenter.is_none_or(|d| s.datacenter().id == d.id))
        .collect();
    page_of(paging, list, |(p, s)| wire::password(p, s))
}

fn password_get(params: &Params, state: &State) -> Result<Answer, SimError> {
    let ids = params.all("id");
    if ids.is_empty() {
        return Err(SimError::bad_input("Missing required parameter: id"));
    }
    let found: Vec<wire::Item> = state
        .passwords
        .iter()
        .filter(|p| ids.iter().any(|v| v.trim().parse() == Ok(p.id)))
        .filter_map(|p| {
            state
                .server_by_id(p.server_id)
                .map(|s| wire::password(p, s))
        })
        .collect::<Result<_, _>>()?;
    if found.is_empty() {
        return Err(SimError::not_found());
    }
    Ok(all(found))
}
