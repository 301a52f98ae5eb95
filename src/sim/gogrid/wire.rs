//! JSON rendering of GoGrid objects and the response envelope, key for key as the recordings in
//! `tests/fixtures/gogrid` show them.

use serde::Serialize;
use serde_json::value::{RawValue, to_raw_value};
use serde_json::{Value, json};

use super::error::SimError;
use super::paging::Summary;
use super::seed::{self, Opt};
use super::state::{Image, Ip, Password, Server};

/// One object of an envelope's list, rendered to JSON text once. Objects are written straight
/// from borrowed structs: building a `Value` tree per object made a list of 100 servers cost
/// ~10 ms of the simulator's CPU under its state lock, which serialised concurrent lists.
pub type Item = Box<RawValue>;

fn item(object: &impl Serialize) -> Result<Item, SimError> {
    to_raw_value(object).map_err(|e| SimError::unexpected(&format!("rendering an object: {e}")))
}

/// An option object.
#[derive(Serialize)]
pub struct OptionWire {
    id: i64,
    name: &'static str,
    description: Option<&'static str>,
    object: &'static str,
}

/// An option object.
pub fn option(o: &Opt) -> OptionWire {
    OptionWire {
        id: o.id,
        name: o.name,
        description: o.description,
        object: "option",
    }
}

/// An option object, rendered.
pub fn option_item(o: &Opt) -> Result<Item, SimError> {
    item(&option(o))
}

/// An `ip` object. Its state is Assigned while a server holds it.
#[derive(Serialize)]
pub struct IpWire<'a> {
    id: i64,
    ip: &'a str,
    subnet: &'a str,
    public: bool,
    state: OptionWire,
    datacenter: OptionWire,
    object: &'static str,
}

fn ip_wire(ip: &Ip) -> IpWire<'_> {
    let state = if ip.assigned {
        seed::IP_ASSIGNED
    } else {
        seed::IP_UNASSIGNED
    };
    IpWire {
        id: ip.id,
        ip: &ip.ip,
        subnet: &ip.subnet,
        public: ip.public,
        state: option(&state),
        datacenter: option(&ip.datacenter),
        object: "ip",
    }
}

/// An `ip` object, rendered.
pub fn ip(ip: &Ip) -> Result<Item, SimError> {
    item(&ip_wire(ip))
}

#[derive(Serialize)]
struct DatacenterStateWire {
    datacenter: OptionWire,
    state: OptionWire,
    #[serde(rename = "createdTime", skip_serializing_if = "Option::is_none")]
    created_ms: Option<i64>,
    #[serde(rename = "updatedTime")]
    updated_ms: i64,
    object: &'static str,
}

#[derive(Serialize)]
struct BillingTokenWire {
    id: i64,
    name: &'static str,
    price: i64,
    object: &'static str,
}

#[derive(Serialize)]
struct OwnerWire {
    id: i64,
    name: &'static str,
    object: &'static str,
}

/// A `serverimage` object; `createdTime` only where the image has one (old images did not).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImageWire {
    id: i64,
    name: &'static str,
    friendly_name: &'static str,
    description: &'static str,
    os: OptionWire,
    architecture: OptionWire,
    #[serde(rename = "type")]
    image_type: OptionWire,
    state: OptionWire,
    #[serde(rename = "gsitype")]
    gsitype: OptionWire,
    #[serde(rename = "minram")]
    minram: OptionWire,
    price: i64,
    location: &'static str,
    is_active: bool,
    is_public: bool,
    #[serde(rename = "updatedTime")]
    updated_ms: i64,
    #[serde(rename = "billingtokens")]
    billingtokens: Vec<BillingTokenWire>,
    owner: OwnerWire,
    #[serde(rename = "datacenterlist")]
    datacenters: Vec<DatacenterStateWire>,
    object: &'static str,
    #[serde(rename = "createdTime", skip_serializing_if = "Option::is_none")]
    created_ms: Option<i64>,
}

fn image_wire(img: &Image) -> ImageWire {
    let datacenters = img
        .datacenters
        .iter()
        .map(|d| DatacenterStateWire {
            datacenter: option(&d.datacenter),
            state: option(&d.state),
            created_ms: d.created_ms,
            updated_ms: d.updated_ms,
            object: "image_datacenter_state",
        })
        .collect();
    let billingtokens = img
        .billingtokens
        .iter()
        .map(|t| BillingTokenWire {
            id: t.id,
            name: t.name,
            price: t.price,
            object: "billingtoken",
        })
        .collect();
    ImageWire {
        id: img.id,
        name: img.name,
        friendly_name: img.friendly_name,
        description: img.description,
        os: option(&img.os),
        architecture: option(&img.architecture),
        image_type: option(&img.image_type),
        state: option(&img.state),
        gsitype: option(&img.gsitype),
        minram: option(&img.minram),
        price: img.price,
        location: img.location,
        is_active: img.is_active,
        is_public: img.is_public,
        updated_ms: img.updated_ms,
        billingtokens,
        owner: OwnerWire {
            id: img.owner.id,
            name: img.owner.name,
            object: "customer",
        },
        datacenters,
        object: "serverimage",
        created_ms: img.created_ms,
    }
}

/// A `serverimage` object, rendered.
pub fn image(img: &Image) -> Result<Item, SimError> {
    item(&image_wire(img))
}

/// A `server` object. While provisioning it has no `id`, `cores` or `diskSize` (recorded);
/// `description` appears only when one was given.
#[derive(Serialize)]
struct ServerWire<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<i64>,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(rename = "isSandbox")]
    is_sandbox: bool,
    state: OptionWire,
    #[serde(rename = "type")]
    server_type: OptionWire,
    ram: OptionWire,
    os: OptionWire,
    ip: IpWire<'a>,
    image: ImageWire,
    datacenter: OptionWire,
    #[serde(skip_serializing_if = "Option::is_none")]
    cores: Option<f64>,
    #[serde(rename = "diskSize", skip_serializing_if = "Option::is_none")]
    disk_size: Option<i64>,
    object: &'static str,
}

fn server_wire(s: &Server) -> ServerWire<'_> {
    let resources = (!s.is_provisioning()).then(|| seed::ram_resources(s.ram.id));
    ServerWire {
        id: s.id,
        name: &s.name,
        description: s.description.as_deref(),
        is_sandbox: false,
        state: option(&s.state().option()),
        server_type: option(&s.image.image_type),
        ram: option(&s.ram),
        os: option(&s.image.os),
        ip: ip_wire(&s.ip),
        image: image_wire(&s.image),
        datacenter: option(&s.datacenter()),
        cores: resources.map(|(cores, _)| cores),
        disk_size: resources.map(|(_, disk)| disk),
        object: "server",
    }
}

/// A `server` object, rendered.
pub fn server(s: &Server) -> Result<Item, SimError> {
    item(&server_wire(s))
}

/// A `password` object with its server embedded.
#[derive(Serialize)]
struct PasswordWire<'a> {
    id: i64,
    username: &'static str,
    password: &'a str,
    applicationtype: &'static str,
    server: ServerWire<'a>,
    object: &'static str,
}

/// A `password` object with its server embedded, rendered.
pub fn password(p: &Password, server_obj: &Server) -> Result<Item, SimError> {
    item(&PasswordWire {
        id: p.id,
        username: p.username,
        password: &p.password,
        applicationtype: "os",
        server: server_wire(server_obj),
        object: "password",
    })
}

/// A success envelope: its objects are written as they were rendered.
#[derive(Serialize)]
pub struct Success<'a> {
    list: Vec<Item>,
    method: &'a str,
    status: &'static str,
    summary: Summary,
}

/// A success envelope for `method` (e.g. `/grid/server/list`).
pub fn success(method: &str, list: Vec<Item>, summary: Summary) -> Success<'_> {
    Success {
        list,
        method,
        status: "success",
        summary,
    }
}

/// A failure envelope: one `error` item, summary without `numpages`.
pub fn failure(method: &str, err: &SimError) -> Value {
    json!({
        "list": [{"object": "error", "errorcode": err.code, "message": err.message}],
        "method": method,
        "status": "failure",
        "summary": Summary::failure(1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_envelope_matches_the_recorded_one() {
        let body = failure("/grid/image/get", &SimError::not_found());
        let recorded = json!({"summary":{"total":1,"start":0,"returned":1},"status":"failure",
            "method":"/grid/image/get","list":[{"message":"No object found that matches your \
            input criteria.","object":"error","errorcode":"IllegalArgumentException"}]});
        assert_eq!(body, recorded);
    }

    #[test]
    fn off_option_has_null_description() {
        assert_eq!(
            serde_json::to_value(option(&seed::SERVER_OFF)).unwrap(),
            json!({"id":3,"name":"Off","description":null,"object":"option"})
        );
    }
}
