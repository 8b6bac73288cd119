//! The scenarios, one module each, and the helpers they share.

mod bucket_keys;
mod client_side;
mod common;
mod dsse_kms;
mod enforce_encryption;
mod in_transit;
mod kms_controls;
mod kms_rotation;
mod map;
mod metadata_and_mixed;
mod sse_c;
mod sse_kms;
mod sse_s3;

use crate::Scenario;

/// Every scenario, in teaching order.
pub(crate) const ALL: &[Scenario] = &[
    map::SCENARIO,
    in_transit::SCENARIO,
    sse_s3::SCENARIO,
    enforce_encryption::SCENARIO,
    sse_kms::SCENARIO,
    kms_controls::SCENARIO,
    kms_rotation::SCENARIO,
    bucket_keys::SCENARIO,
    sse_c::SCENARIO,
    client_side::SCENARIO,
    metadata_and_mixed::SCENARIO,
    dsse_kms::SCENARIO,
];
