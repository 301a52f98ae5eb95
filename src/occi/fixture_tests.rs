//! Every file under `../shared/fixtures/occi` parsed by the protocol module (filled in below).
