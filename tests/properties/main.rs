//! Property tests (proptest): round trips, rotation and time arithmetic over
//! generated inputs. One module per property family.

#[path = "../common/mod.rs"]
mod common;

mod prop_rotation;
mod prop_seal_open;
mod prop_time;
