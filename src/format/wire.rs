//! The whole outer wire format (FORMAT.md sections 1 and 5):
//!
//! ```text
//! value  = base64url-nopad(header ‖ nonce ‖ ciphertext ‖ tag)
//! header = version ‖ varint(key_id)
//! ```
//!
//! plus the browser size cap. [`decode`] turns a cookie value into a
//! [`Frame`] (its parts, borrowed from a fixed buffer), [`Layout`] and
//! [`encode`] go the other way. Decoding is pre-authentication parsing of
//! attacker-controlled bytes: no panics, no allocation, and one `None` for
//! every kind of failure.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The version byte of format v2, the only format (FORMAT.md section 1).
pub(crate) const V2: u8 = 0x02;
/// The byte bound into subkey derivation (FORMAT.md section 3): `0x01`, a
/// constant of the key schedule (not the format's version byte, which the
/// header in the associated data carries).
pub(crate) const VERSION: u8 = 0x01;
/// Nonce length of both AEADs (192 bits).
pub(crate) const NONCE_LEN: usize = 24;
/// Tag length of both AEADs.
pub(crate) const TAG_LEN: usize = 16;
/// Longest header: version byte and a 5-byte varint.
pub(crate) const MAX_HEADER_LEN: usize = 6;
/// What browsers keep: `len(name) + len(value) <= 4096` (measured in Chromium).
pub const BROWSER_COOKIE_LIMIT: usize = 4096;
/// Largest decoded cookie: base64 of 3072 bytes is 4096 characters.
pub(crate) const MAX_DECODED_LEN: usize = BROWSER_COOKIE_LIMIT / 4 * 3;

/// A header as bytes: `version ‖ varint(key_id)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    bytes: [u8; MAX_HEADER_LEN],
    len: u8,
}

impl Header {
    pub(crate) fn new(key_id: u32) -> Header {
        let mut bytes = [0u8; MAX_HEADER_LEN];
        bytes[0] = V2;
        let mut len = 1usize;
        let mut rest = key_id;
        for slot in bytes.iter_mut().skip(1) {
            // `rest & 0x7f` fits a byte by construction.
            let low = u8::try_from(rest & 0x7f).unwrap_or(0);
            rest >>= 7;
            len = len.saturating_add(1);
            if rest == 0 {
                *slot = low;
                break;
            }
            *slot = low | 0x80;
        }
        Header {
            bytes,
            len: u8::try_from(len).unwrap_or(0),
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }

    pub(crate) fn len(&self) -> usize {
        usize::from(self.len)
    }
}

/// Parses `version ‖ varint(key_id)` at the start of `input`; returns the
/// key id and the header length. `None` for any version byte but v2's, a
/// truncated or non-canonical varint, or an id over `u32::MAX`.
pub(crate) fn parse_header(input: &[u8]) -> Option<(u32, usize)> {
    let (&version, rest) = input.split_first()?;
    if version != V2 {
        return None;
    }
    let mut value: u64 = 0;
    for (i, &byte) in rest.iter().take(MAX_HEADER_LEN - 1).enumerate() {
        let shift = u32::try_from(i).ok()?.checked_mul(7)?;
        value |= u64::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            // Canonical: no trailing zero group (except the single byte 0x00).
            if byte == 0 && i > 0 {
                return None;
            }
            let id = u32::try_from(value).ok()?;
            return Some((id, i.checked_add(2)?));
        }
    }
    None
}

/// A decoded cookie value, split into its parts (still unauthenticated).
#[derive(Debug)]
pub(crate) struct Frame<'a> {
    pub(crate) key_id: u32,
    pub(crate) nonce: &'a [u8; NONCE_LEN],
    /// Decrypted in place by the opener.
    pub(crate) ciphertext: &'a mut [u8],
    pub(crate) tag: &'a [u8; TAG_LEN],
}

/// Decodes `value` into `buf` and splits it (FORMAT.md section 6, steps 1
/// to 5 except the key look-up): the length cap before any decoding,
/// canonical base64url, the version, the canonical key id, and room for a
/// nonce and a tag. `None` for any failure, with no hint of which.
pub(crate) fn decode<'a>(
    value: &str,
    max_value_len: usize,
    buf: &'a mut [u8; MAX_DECODED_LEN],
) -> Option<Frame<'a>> {
    if value.len() > max_value_len {
        return None;
    }
    let n = URL_SAFE_NO_PAD
        .decode_slice(value, buf.as_mut_slice())
        .ok()?;
    let data = buf.get_mut(..n)?;
    let (key_id, header_len) = parse_header(data)?;
    let body = data.get_mut(header_len..)?;
    let (nonce, rest) = body.split_first_chunk_mut::<NONCE_LEN>()?;
    let (ciphertext, tag) = rest.split_last_chunk_mut::<TAG_LEN>()?;
    Some(Frame {
        key_id,
        nonce,
        ciphertext,
        tag,
    })
}

/// Where the parts of a sealed value go in a buffer, for one header.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Layout {
    header: Header,
}

impl Layout {
    pub(crate) fn new(header: Header) -> Layout {
        Layout { header }
    }

    /// The offset of the plaintext (after header and nonce).
    pub(crate) fn plaintext_start(&self) -> usize {
        self.header.len().saturating_add(NONCE_LEN)
    }

    /// Bytes of a value with `plaintext_len` bytes of plaintext.
    pub(crate) fn total_len(&self, plaintext_len: usize) -> usize {
        self.plaintext_start()
            .saturating_add(plaintext_len)
            .saturating_add(TAG_LEN)
    }

    /// Characters of the encoded value for `plaintext_len` bytes of plaintext.
    pub(crate) fn encoded_len(&self, plaintext_len: usize) -> usize {
        encoded_len(self.total_len(plaintext_len))
    }

    /// Writes the header and `nonce` before the (already encrypted)
    /// `plaintext_len` bytes at [`Layout::plaintext_start`], `tag` after
    /// them, and encodes the whole value. `None` only if `buf` is too short.
    pub(crate) fn encode(
        &self,
        buf: &mut [u8],
        nonce: &[u8; NONCE_LEN],
        plaintext_len: usize,
        tag: &[u8; TAG_LEN],
    ) -> Option<String> {
        let header = self.header.as_bytes();
        let total = self.total_len(plaintext_len);
        let frame = buf.get_mut(..total)?;
        let (head, rest) = frame.split_at_mut(self.plaintext_start());
        let (hdr, nonce_out) = head.split_at_mut(header.len());
        hdr.copy_from_slice(header);
        nonce_out.copy_from_slice(nonce);
        rest.get_mut(plaintext_len..)?.copy_from_slice(tag);
        let mut value = String::with_capacity(encoded_len(total));
        URL_SAFE_NO_PAD.encode_string(&*frame, &mut value);
        Some(value)
    }
}

/// Base64url characters needed for `n` bytes, without padding.
pub(crate) const fn encoded_len(n: usize) -> usize {
    // ceil(4n / 3), saturating for absurd sizes.
    let full = (n / 3).saturating_mul(4);
    match n % 3 {
        0 => full,
        1 => full.saturating_add(2),
        _ => full.saturating_add(3),
    }
}

/// The most bytes whose base64url (no padding) fits in `chars` characters.
pub(crate) const fn max_decoded_len(chars: usize) -> usize {
    let full = (chars / 4).saturating_mul(3);
    match chars % 4 {
        2 => full.saturating_add(1),
        3 => full.saturating_add(2),
        _ => full,
    }
}

/// RFC 6265 `token`: visible ASCII except separators.
pub(crate) fn is_cookie_name(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| {
            b.is_ascii_graphic()
                && !matches!(
                    b,
                    b'(' | b')'
                        | b'<'
                        | b'>'
                        | b'@'
                        | b','
                        | b';'
                        | b':'
                        | b'\\'
                        | b'"'
                        | b'/'
                        | b'['
                        | b']'
                        | b'?'
                        | b'='
                        | b'{'
                        | b'}'
                )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips_at_varint_boundaries() {
        for id in [
            0u32,
            1,
            127,
            128,
            16_383,
            16_384,
            2_097_151,
            2_097_152,
            u32::MAX,
        ] {
            let header = Header::new(id);
            assert_eq!(parse_header(header.as_bytes()), Some((id, header.len())));
        }
        assert_eq!(Header::new(1).as_bytes(), &[2, 1]);
        assert_eq!(Header::new(300).as_bytes(), &[2, 0xac, 0x02]);
        assert_eq!(Header::new(u32::MAX).len(), 6);
    }

    #[test]
    fn header_rejects_non_canonical_and_oversized() {
        assert_eq!(parse_header(&[2, 0x80, 0x00]), None); // 0 in two bytes
        assert_eq!(parse_header(&[2, 0x81, 0x00]), None); // 1 in two bytes
        assert_eq!(parse_header(&[2, 0xff, 0xff, 0xff, 0xff, 0x10]), None); // 2^32
        assert_eq!(parse_header(&[2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), None);
        assert_eq!(parse_header(&[2, 0x80]), None); // truncated
        assert_eq!(parse_header(&[3, 0x01]), None); // unknown version
        assert_eq!(parse_header(&[1, 0x01]), None); // format v1: dropped
        assert_eq!(parse_header(&[1, 0x00]), None);
        assert_eq!(parse_header(&[0, 0x01]), None);
        assert_eq!(parse_header(&[]), None);
        assert_eq!(parse_header(&[2, 0x00]), Some((0, 2)));
    }

    #[test]
    fn base64_lengths_agree() {
        for n in 0..100 {
            let chars = encoded_len(n);
            assert_eq!(max_decoded_len(chars), n);
        }
        assert_eq!(max_decoded_len(4096), MAX_DECODED_LEN);
    }

    #[test]
    fn cookie_names() {
        assert!(is_cookie_name("__Host-sid"));
        for bad in ["", "a b", "a=b", "a;b", "é", "a\tb", "a,b"] {
            assert!(!is_cookie_name(bad), "{bad:?}");
        }
    }
}
