//! The simulated server's query interface: OCCI Core's and the infrastructure kinds (as the
//! profile lists them), the actions the simulator implements, and the catalog's template and
//! zone mixins.

use super::*;

fn def(name: &str, mutable: bool, kind: &str) -> AttributeDef {
    AttributeDef {
        mutable,
        kind: Some(kind.to_owned()),
        ..AttributeDef::named(name)
    }
}

fn category(
    id: CategoryId,
    class: CategoryClass,
    title: &str,
    parent: Option<CategoryId>,
    location: Option<String>,
) -> Category {
    Category {
        title: Some(title.to_owned()),
        parent,
        location,
        ..Category::new(id, class)
    }
}

fn kind_category(
    loc: &Locator,
    term: &str,
    title: &str,
    parent: &str,
    collection: Collection,
) -> Category {
    category(
        kind(term),
        CategoryClass::Kind,
        title,
        Some(CategoryId::new(ids::CORE, parent)),
        Some(loc.local(loc.profile().location(collection))),
    )
}

/// The query interface: core and infrastructure kinds, the actions implemented, the template
/// and zone mixins of the catalog.
pub fn query_interface(loc: &Locator, catalog: &Catalog) -> QueryInterface {
    let profile = loc.profile();
    let mut cats = Vec::new();
    let core = |term: &str, parent: Option<&str>| {
        category(
            CategoryId::new(ids::CORE, term),
            CategoryClass::Kind,
            term,
            parent.map(|p| CategoryId::new(ids::CORE, p)),
            Some(loc.local(&format!("/{term}/"))),
        )
    };
    if profile.lists_core_kinds() {
        let mut entity = core("entity", None);
        entity.attributes = vec![
            def(attr::ID, false, "string"),
            def(attr::TITLE, true, "string"),
        ];
        cats.push(entity);
        let mut resource = core("resource", Some("entity"));
        resource.attributes = vec![def(attr::SUMMARY, true, "string")];
        cats.push(resource);
        let mut link = core("link", Some("entity"));
        link.attributes = vec![
            def(attr::SOURCE, true, "string"),
            def(attr::TARGET, true, "string"),
        ];
        cats.push(link);
    }

    let mut compute = kind_category(
        loc,
        "compute",
        "compute resource",
        "resource",
        Collection::Compute,
    );
    compute.attributes = vec![
        def("occi.compute.architecture", true, "string"),
        def("occi.compute.cores", true, "number"),
        def("occi.compute.hostname", true, "string"),
        def("occi.compute.speed", true, "number"),
        def("occi.compute.memory", true, "number"),
        def("occi.compute.state", false, "string"),
    ];
    if profile.speaks_occi_1_2() {
        compute
            .attributes
            .push(def("occi.compute.state.message", false, "string"));
    }
    compute.actions = ComputeAction::ALL.iter().map(|a| action_id(*a)).collect();
    cats.push(compute);
    let mut storage = kind_category(
        loc,
        "storage",
        "storage resource",
        "resource",
        Collection::Storage,
    );
    storage.attributes = vec![
        def("occi.storage.size", true, "number"),
        def("occi.storage.state", false, "string"),
    ];
    storage.actions = vec![storage_action_id("online"), storage_action_id("offline")];
    cats.push(storage);
    let mut slink = kind_category(
        loc,
        "storagelink",
        "storage link",
        "link",
        Collection::StorageLink,
    );
    slink.attributes = vec![
        def("occi.storagelink.deviceid", true, "string"),
        def("occi.storagelink.mountpoint", true, "string"),
        def("occi.storagelink.state", false, "string"),
    ];
    cats.push(slink);
    let mut net = kind_category(
        loc,
        "network",
        "network resource",
        "resource",
        Collection::Network,
    );
    net.attributes = vec![
        def("occi.network.vlan", true, "number"),
        def("occi.network.label", true, "string"),
        def("occi.network.state", false, "string"),
    ];
    cats.push(net);
    let mut nic = kind_category(
        loc,
        "networkinterface",
        "network interface link",
        "link",
        Collection::NetworkInterface,
    );
    nic.attributes = vec![
        def("occi.networkinterface.interface", false, "string"),
        def("occi.networkinterface.mac", true, "string"),
        def("occi.networkinterface.state", false, "string"),
    ];
    cats.push(nic);

    for a in ComputeAction::ALL {
        let mut c = category(
            action_id(a),
            CategoryClass::Action,
            &format!("{} a compute resource", a.term()),
            None,
            None,
        );
        if !a.methods().is_empty() {
            c.attributes = vec![def("method", true, "string")];
        }
        cats.push(c);
    }
    for term in ["online", "offline"] {
        cats.push(category(
            storage_action_id(term),
            CategoryClass::Action,
            &format!("bring storage {term}"),
            None,
            None,
        ));
    }

    let mut ipnic = category(
        CategoryId::new(IPNETWORKINTERFACE, "ipnetworkinterface"),
        CategoryClass::Mixin,
        "IP network interface mixin",
        None,
        Some(loc.local("/ipnetworkinterface/")),
    );
    ipnic.attributes = vec![
        def("occi.networkinterface.address", true, "string"),
        def("occi.networkinterface.gateway", true, "string"),
        def("occi.networkinterface.allocation", true, "string"),
    ];
    cats.push(ipnic);
    let mut ipnet = category(
        CategoryId::new(IPNETWORK, "ipnetwork"),
        CategoryClass::Mixin,
        "IP networking mixin",
        None,
        Some(loc.local("/ipnetwork/")),
    );
    ipnet.attributes = vec![
        def("occi.network.address", true, "string"),
        def("occi.network.gateway", true, "string"),
        def("occi.network.allocation", true, "string"),
    ];
    cats.push(ipnet);

    let base_mixin = |id: CategoryId, title: &str, collection| {
        category(
            id,
            CategoryClass::Mixin,
            title,
            None,
            Some(loc.local(profile.location(collection))),
        )
    };
    let os_base = ids::infra("os_tpl");
    let size_base = ids::infra("resource_tpl");
    cats.push(base_mixin(
        os_base.clone(),
        "operating system template",
        Collection::OsTpl,
    ));
    cats.push(base_mixin(
        size_base.clone(),
        "resource template",
        Collection::ResourceTpl,
    ));
    for t in catalog.os_templates {
        let mut c = base_mixin(os_tpl_id(catalog, t.term), t.title, Collection::OsTpl);
        c.location = Some(loc.local(&profile.mixin_location(Collection::OsTpl, t.term)));
        c.depends = vec![os_base.clone()];
        c.applies = vec![kind("compute")];
        cats.push(c);
    }
    for t in catalog.resource_templates {
        let mut c = base_mixin(
            resource_tpl_id(catalog, t.term),
            t.title,
            Collection::ResourceTpl,
        );
        c.location = Some(loc.local(&profile.mixin_location(Collection::ResourceTpl, t.term)));
        c.depends = vec![size_base.clone()];
        c.applies = vec![kind("compute")];
        let mut cores = def("occi.compute.cores", false, "number");
        cores.default = Some(AttributeValue::int(i64::from(t.cores)));
        let mut memory = def("occi.compute.memory", false, "number");
        memory.default = Some(number(profile, rendered_memory(profile, t.memory_gib)));
        c.attributes = vec![cores, memory];
        if let Some(disk) = t.disk_gb {
            let mut d = def("occi.compute.ephemeral_storage.size", false, "number");
            d.default = Some(AttributeValue::int(i64::from(disk)));
            c.attributes.push(d);
        }
        cats.push(c);
    }
    for m in catalog.contexts {
        let mut c = category(
            CategoryId::new(m.scheme, m.term),
            CategoryClass::Mixin,
            m.title,
            None,
            Some(loc.local(m.location)),
        );
        c.applies = vec![kind("compute")];
        c.attributes = std::iter::once(AttributeDef {
            required: true,
            ..def(m.attribute, false, "string")
        })
        .chain(m.optional.iter().map(|o| def(o, false, "string")))
        .collect();
        cats.push(c);
    }
    if !catalog.zones.is_empty() {
        let zone_base = CategoryId::new(FEDCLOUD_INFRA, "availability_zone");
        cats.push(base_mixin(
            zone_base.clone(),
            "Availablity zone within the target infrastructure",
            Collection::Zone,
        ));
        for z in catalog.zones {
            let mut c = base_mixin(zone_id(catalog, z.term), z.title, Collection::Zone);
            c.location = Some(loc.local(&profile.mixin_location(Collection::Zone, z.term)));
            c.depends = vec![zone_base.clone()];
            c.applies = vec![kind("compute")];
            cats.push(c);
        }
    }
    QueryInterface { categories: cats }
}
