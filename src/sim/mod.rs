//! Wire-level simulators of the clouds the drivers speak to. They are real HTTP servers, run by
//! `cloudgw simulate …` or in-process for providers with `simulate = true`.

pub mod gogrid;
pub mod occi;
