//! The anchors' session (`../shared/anchors.md`): what a web app typically
//! keeps per signed-in user, in the two sizes every comparison uses. One
//! definition for the benches, the demo's end-to-end bench and
//! sealed-session-tower's size test (included by path).

#![allow(dead_code)] // each includer uses a different part

use serde::{Deserialize, Serialize};

/// The session every bench seals.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct Session {
    pub user_id: u64,
    pub epoch: u32,
    pub issued_at: i64,
    pub expires_at: i64,
    pub roles: Vec<String>,
    pub csrf: [u8; 32],
    pub theme: String,
    pub cart: Vec<u32>,
}

/// Small: roles ["admin", "editor"], theme "dark", 10 cart items; 99 bytes
/// of postcard, 327 of JSON.
pub fn small() -> Session {
    let mut cart: Vec<u32> = (0..7).map(|i| 100_000 + i * 250_001).collect();
    cart.extend((0..3).map(|i| 2_200_000 + i * 111));
    Session {
        user_id: 1_234_567,
        epoch: 3,
        issued_at: 1_800_000_000,
        expires_at: 1_800_086_400,
        roles: vec!["admin".into(), "editor".into()],
        csrf: std::array::from_fn(|i| ((i * 61 + 9) % 256) as u8),
        theme: "dark".into(),
        cart,
    }
}

/// Large: 50 roles like "org-07:billing", 200 cart items; 1,318 bytes of
/// postcard, 2,487 of JSON.
pub fn large() -> Session {
    const ROLES: [&str; 5] = ["billing", "reports", "support", "finance", "invoice"];
    let roles = (0..50)
        .map(|i| format!("org-{i:02}:{}", ROLES[i % ROLES.len()]))
        .collect();
    let mut cart: Vec<u32> = (0..86).map(|i| 10_000 + i * 73).collect();
    cart.extend((0..25).map(|i| 100_000 + i * 35_000));
    cart.extend((0..89).map(|i| 1_000_000 + i * 12_001));
    Session {
        roles,
        cart,
        ..small()
    }
}
