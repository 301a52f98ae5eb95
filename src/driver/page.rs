use crate::model::ServerState;

/// How much of a list to read, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    /// The most items the page may hold (at least 1).
    pub limit: usize,
    /// A cursor the same driver returned as `next_cursor`, or `None` for the first page.
    pub cursor: Option<String>,
}

/// One page of a driver's list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// At most `limit` items.
    pub items: Vec<T>,
    /// The driver's cursor for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Filters on a server list; drivers pass them to the provider where it can filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerFilter {
    /// Only servers in this unified state.
    pub state: Option<ServerState>,
    /// Only servers with exactly this name.
    pub name: Option<String>,
}

impl ServerFilter {
    /// Whether a server passes the filter (for drivers whose provider cannot filter).
    pub fn matches(&self, server: &crate::model::Server) -> bool {
        self.state.is_none_or(|s| s == server.state)
            && self.name.as_deref().is_none_or(|n| n == server.name)
    }
}

/// Filters on an image list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageFilter {
    /// Only images owned by this account or alias (`self`, `amazon`, an account id, …).
    pub owner: Option<String>,
    /// Only images whose name contains this text.
    pub name: Option<String>,
}
