//! Athenz "Yahoo base64" (ybase64 / Y64): the URL-friendly base64 that Athenz uses for
//! signatures of canonical JSON and for service public keys stored in ZMS.
//!
//! Wire fact (Athenz `libs/java/auth_core/src/main/java/com/yahoo/athenz/auth/util/YBase64.java`):
//! the alphabet is the standard base64 one (RFC 4648 §4) with `+` replaced by `.`, `/` by `_`,
//! and the padding character `=` replaced by `-`. Unlike base64url, padding is kept: Java's
//! `YBase64.decode` refuses any input whose length is not a multiple of 4, and it refuses
//! non-zero bits in the unused low bits of the last symbol, so this decoder does both too.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Why a string could not be decoded as ybase64.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Ybase64Error {
    /// A character outside `A–Z a–z 0–9 . _` and the trailing `-` padding.
    #[error("invalid ybase64 character {character:?} at byte offset {offset}")]
    InvalidCharacter {
        /// The offending character.
        character: char,
        /// Its byte offset in the input.
        offset: usize,
    },
    /// The input length is not a multiple of 4 (ybase64 always pads with `-`).
    #[error("invalid ybase64 length {length}: must be a multiple of 4 (padded with '-')")]
    InvalidLength {
        /// The input length in bytes.
        length: usize,
    },
    /// Padding (`-`) in the wrong place or of the wrong amount.
    #[error("invalid ybase64 padding")]
    InvalidPadding,
    /// The last symbol before the padding carries non-zero unused bits, so the text is not the
    /// canonical encoding of any byte string (Java's decoder rejects this too).
    #[error("non-canonical ybase64: trailing bits set in the symbol at byte offset {offset}")]
    NonCanonical {
        /// Byte offset of the symbol with stray bits.
        offset: usize,
    },
}

/// Maps a standard-base64 output byte to its ybase64 form.
fn to_y64(b: u8) -> u8 {
    match b {
        b'+' => b'.',
        b'/' => b'_',
        b'=' => b'-',
        other => other,
    }
}

/// Encodes `bytes` as ybase64 (padded with `-`). Empty input gives the empty string, as in
/// Java's `YBase64.encode`.
pub fn encode(bytes: &[u8]) -> String {
    let standard = STANDARD.encode(bytes);
    // Every byte of standard base64 output is ASCII, and the mapping keeps it ASCII, so the
    // char-by-char mapping below is exact.
    standard.bytes().map(|b| char::from(to_y64(b))).collect()
}

/// Decodes ybase64 text. Strict: padding is required, characters of the standard or base64url
/// alphabets that ybase64 replaced (`+ / =`, and `-` anywhere but the tail) are refused.
pub fn decode(text: &str) -> Result<Vec<u8>, Ybase64Error> {
    if !text.len().is_multiple_of(4) {
        return Err(Ybase64Error::InvalidLength { length: text.len() });
    }
    // Translate to the standard alphabet, refusing the characters ybase64 replaced so that a
    // standard-base64 string is never silently accepted as ybase64.
    let mut standard = Vec::with_capacity(text.len());
    for (offset, ch) in text.char_indices() {
        let mapped = match ch {
            'A'..='Z' | 'a'..='z' | '0'..='9' => ch as u8,
            '.' => b'+',
            '_' => b'/',
            '-' => b'=',
            character => return Err(Ybase64Error::InvalidCharacter { character, offset }),
        };
        standard.push(mapped);
    }
    STANDARD.decode(&standard).map_err(|err| match err {
        base64::DecodeError::InvalidByte(offset, _) => {
            // Only '=' can be "invalid" here (all other bytes are in the standard alphabet):
            // it is a '-' that is not trailing padding.
            if standard.get(offset) == Some(&b'=') {
                Ybase64Error::InvalidPadding
            } else {
                let character = text
                    .get(offset..)
                    .and_then(|rest| rest.chars().next())
                    .unwrap_or('\u{fffd}');
                Ybase64Error::InvalidCharacter { character, offset }
            }
        }
        base64::DecodeError::InvalidLength(length) => Ybase64Error::InvalidLength { length },
        base64::DecodeError::InvalidLastSymbol(offset, _) => Ybase64Error::NonCanonical { offset },
        base64::DecodeError::InvalidPadding => Ybase64Error::InvalidPadding,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_vectors() {
        // 0xfb 0xff is "+/8=" in standard base64: exercises all three substitutions.
        assert_eq!(encode(&[0xfb, 0xff]), "._8-");
        assert_eq!(decode("._8-").unwrap(), vec![0xfb, 0xff]);
        assert_eq!(encode(b"hello"), "aGVsbG8-");
        assert_eq!(encode(b"hi"), "aGk-");
        assert_eq!(encode(b"h"), "aA--");
        assert_eq!(encode(b"abc"), "YWJj");
        assert_eq!(encode(b""), "");
        assert_eq!(decode("").unwrap(), Vec::<u8>::new());
        assert_eq!(decode("aA--").unwrap(), b"h".to_vec());
        // Value bytes 0xf8..0xff produce '_' and '.' in the middle of the text, too.
        assert_eq!(encode(&[0xff, 0xff, 0xff, 0xfb, 0xef, 0xbe]), "____....");
    }

    #[test]
    fn pem_like_text_roundtrips() {
        let pem = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n";
        let y = encode(pem.as_bytes());
        assert!(!y.contains(['+', '/', '=']));
        assert_eq!(decode(&y).unwrap(), pem.as_bytes());
    }

    #[test]
    fn rejects_standard_and_url_alphabets() {
        assert!(matches!(
            decode("+/8="),
            Err(Ybase64Error::InvalidCharacter {
                character: '+',
                offset: 0
            })
        ));
        assert!(matches!(
            decode("aGk="),
            Err(Ybase64Error::InvalidCharacter { character: '=', .. })
        ));
        assert!(matches!(
            decode("aé-"),
            Err(Ybase64Error::InvalidCharacter {
                character: 'é',
                offset: 1
            })
        ));
    }

    #[test]
    fn rejects_bad_length_padding_and_stray_bits() {
        assert_eq!(
            decode("aGk"),
            Err(Ybase64Error::InvalidLength { length: 3 })
        );
        assert_eq!(
            decode("aGVsbG8"),
            Err(Ybase64Error::InvalidLength { length: 7 })
        );
        assert!(decode("a-Gk").is_err());
        assert!(decode("aG-k").is_err());
        assert!(decode("a---").is_err());
        // "aGl-" has non-zero bits in the last symbol ('l' = 37, low 2 bits set).
        assert!(matches!(
            decode("aGl-"),
            Err(Ybase64Error::NonCanonical { .. })
        ));
    }

    #[test]
    fn error_messages_are_readable() {
        let msg = decode("ab+c").unwrap_err().to_string();
        assert!(msg.contains("'+'") && msg.contains("offset 2"), "{msg}");
    }

    proptest! {
        #[test]
        fn roundtrip(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let text = encode(&bytes);
            prop_assert_eq!(text.len() % 4, 0);
            prop_assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-'));
            prop_assert_eq!(decode(&text).unwrap(), bytes);
        }

        #[test]
        fn matches_standard_base64_with_substitutions(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let expected = STANDARD.encode(&bytes).replace('+', ".").replace('/', "_").replace('=', "-");
            prop_assert_eq!(encode(&bytes), expected);
        }

        #[test]
        fn decode_never_panics(text in "\\PC{0,40}") {
            let _ = decode(&text);
        }
    }
}
