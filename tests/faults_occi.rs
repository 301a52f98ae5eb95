//! Faults between the OCCI driver and the OCCI simulator (in-process, rOCCI profile), through
//! the gateway: the mapping cases of `tests/faults/mod.rs`.

mod common;
mod faults;

faults::mapping_cases!(Occi);
