//! Shared by the `roundtrip` and `tamper` targets: an arbitrary session
//! struct exercising every serde shape postcard encodes (integers of every
//! width, bool, char, strings, byte vectors, options, nested sequences,
//! maps, tuples, arrays, unit/newtype/tuple/struct enum variants).

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use serde::{Deserialize, Serialize};

#[derive(Arbitrary, Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Guest,
    Member(u32),
    Admin { org: String, level: u8 },
    Pair(i16, Option<bool>),
}

#[derive(Arbitrary, Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Unit;

#[derive(Arbitrary, Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Newtype(pub i64);

#[derive(Arbitrary, Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    pub user_id: u64,
    pub epoch: u32,
    pub small: (u8, i8, u16, i16),
    pub wide: (u128, i128),
    pub flag: bool,
    pub letter: char,
    pub theme: String,
    pub csrf: [u8; 16],
    pub bytes: Vec<u8>,
    pub cart: Vec<u32>,
    pub roles: Vec<Role>,
    pub nested: Vec<Vec<Option<String>>>,
    pub map: BTreeMap<String, i32>,
    pub unit: Unit,
    pub newtype: Newtype,
    pub maybe: Option<Box<Payload>>,
}
