//! The wire format (FORMAT.md), crate-private: the cookie value's framing
//! ([`wire`]), the sealed envelope beside its AEAD call ([`envelope`]), the
//! HKDF subkeys and the associated data ([`kdf`]), the 192-bit nonces
//! ([`nonce`]) and the wiped scratch buffer ([`scratch`]).

pub(crate) mod envelope;
pub(crate) mod kdf;
pub(crate) mod nonce;
pub(crate) mod scratch;
pub(crate) mod wire;
