//! JSON rendering of GoGrid objects and the response envelope, key for key as the recordings in
//! `tests/fixtures/gogrid` show them.

use serde_json::{Map, Value, json};

use super::error::SimError;
use super::paging::Summary;
use super::seed::{self, Opt};
use super::state::{Image, Ip, Password, Server};

/// An option object.
pub fn option(o: &Opt) -> Value {
    json!({
        "id": o.id,
        "name": o.name,
        "description": o.description,
        "object": "option",
    })
}

/// An `ip` object. Its state is Assigned while a server holds it.
pub fn ip(ip: &Ip) -> Value {
    let state = if ip.assigned {
        seed::IP_ASSIGNED
    } else {
        seed::IP_UNASSIGNED
    };
    json!({
        "id": ip.id,
        "ip": ip.ip,
        "subnet": ip.subnet,
        "public": ip.public,
        "state": option(&state),
        "datacenter": option(&ip.datacenter),
        "object": "ip",
    })
}

/// A `serverimage` object; `createdTime` only where the image has one (old images did not).
pub fn image(img: &Image) -> Value {
    let datacenters: Vec<Value> = img
        .datacenters
        .iter()
        .map(|d| {
            let mut m = Map::new();
            m.insert("datacenter".into(), option(&d.datacenter));
            m.insert("state".into(), option(&d.state));
            if let Some(ms) = d.created_ms {
                m.insert("createdTime".into(), ms.into());
            }
            m.insert("updatedTime".into(), d.updated_ms.into());
            m.insert("object".into(), "image_datacenter_state".into());
            Value::Object(m)
        })
        .collect();
    let tokens: Vec<Value> = img
        .billingtokens
        .iter()
        .map(|t| json!({"id": t.id, "name": t.name, "price": t.price, "object": "billingtoken"}))
        .collect();
    let mut v = json!({
        "id": img.id,
        "name": img.name,
        "friendlyName": img.friendly_name,
        "description": img.description,
        "os": option(&img.os),
        "architecture": option(&img.architecture),
        "type": option(&img.image_type),
        "state": option(&img.state),
        "gsitype": option(&img.gsitype),
        "minram": option(&img.minram),
        "price": img.price,
        "location": img.location,
        "isActive": img.is_active,
        "isPublic": img.is_public,
        "updatedTime": img.updated_ms,
        "billingtokens": tokens,
        "owner": {"id": img.owner.id, "name": img.owner.name, "object": "customer"},
        "datacenterlist": datacenters,
        "object": "serverimage",
    });
    if let (Some(ms), Value::Object(m)) = (img.created_ms, &mut v) {
        m.insert("createdTime".into(), ms.into());
    }
    v
}

/// A `server` object. While provisioning it has no `id`, `cores` or `diskSize` (recorded);
/// `description` appears only when one was given.
pub fn server(s: &Server) -> Value {
    let mut m = Map::new();
    if let Some(id) = s.id {
        m.insert("id".into(), id.into());
    }
    m.insert("name".into(), s.name.clone().into());
    if let Some(d) = &s.description {
        m.insert("description".into(), d.clone().into());
    }
    m.insert("isSandbox".into(), false.into());
    m.insert("state".into(), option(&s.state().option()));
    m.insert("type".into(), option(&s.image.image_type));
    m.insert("ram".into(), option(&s.ram));
    m.insert("os".into(), option(&s.image.os));
    m.insert("ip".into(), ip(&s.ip));
    m.insert("image".into(), image(&s.image));
    m.insert("datacenter".into(), option(&s.datacenter()));
    if !s.is_provisioning() {
        let (cores, disk) = seed::ram_resources(s.ram.id);
        m.insert("cores".into(), cores.into());
        m.insert("diskSize".into(), disk.into());
    }
    m.insert("object".into(), "server".into());
    Value::Object(m)
}

/// A `password` object with its server embedded.
pub fn password(p: &Password, server_obj: &Server) -> Value {
    json!({
        "id": p.id,
        "username": p.username,
        "password": p.password,
        "applicationtype": "os",
        "server": server(server_obj),
        "object": "password",
    })
}

/// A success envelope for `method` (e.g. `/grid/server/list`).
pub fn success(method: &str, list: Vec<Value>, summary: Summary) -> Value {
    json!({
        "list": list,
        "method": method,
        "status": "success",
        "summary": summary,
    })
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
            option(&seed::SERVER_OFF),
            json!({"id":3,"name":"Off","description":null,"object":"option"})
        );
    }
}
