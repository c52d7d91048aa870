//! The values of generated inputs: passwords, hex and base64 keys, and HS256 JWTs signed with
//! another input. Pure functions of the generator, a cryptographically secure random number
//! generator handed in by the caller (the command line passes the operating system's), and the
//! time for a token's `iat`.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use rand::distr::{Alphanumeric, Distribution};
use rand::{CryptoRng, RngCore};
use sha2::Sha256;

use crate::lang::model::Generator;

/// The value a generator makes. `signing_key` is the value of a JWT's `secret-input` (the
/// caller resolves it first); `now` is seconds since the Unix epoch.
pub fn generate<R: RngCore + CryptoRng + ?Sized>(
    generator: &Generator,
    rng: &mut R,
    signing_key: Option<&str>,
    now: u64,
) -> Result<String, String> {
    match generator {
        Generator::Password { length } => Ok(Alphanumeric
            .sample_iter(&mut *rng)
            .take(*length as usize)
            .map(char::from)
            .collect()),
        Generator::Hex { bytes } => {
            let raw = random_bytes(rng, *bytes);
            Ok(raw.iter().map(|b| format!("{b:02x}")).collect())
        }
        Generator::Base64 { bytes } => Ok(STANDARD.encode(random_bytes(rng, *bytes))),
        Generator::Jwt { claims, .. } => {
            let key = signing_key.ok_or("the signing input has no value")?;
            jwt_hs256(key.as_bytes(), claims, now)
        }
    }
}

fn random_bytes<R: RngCore + ?Sized>(rng: &mut R, n: u32) -> Vec<u8> {
    let mut raw = vec![0u8; n as usize];
    rng.fill_bytes(&mut raw);
    raw
}

/// The registered claims that are NumericDate values (RFC 7519 section 4.1).
const NUMERIC_CLAIMS: &[&str] = &["exp", "nbf", "iat"];

/// A claim value as JSON: a number for `exp`, `nbf` and `iat`, a string otherwise.
fn claim_value(k: &str, v: &str) -> serde_json::Value {
    match v.parse::<i64>() {
        Ok(i) if NUMERIC_CLAIMS.contains(&k) => i.into(),
        _ => v.into(),
    }
}

/// `header.payload.signature` (RFC 7519, HS256): the claims in their written order, then `iat`
/// unless a claim sets it.
pub fn jwt_hs256(key: &[u8], claims: &[(String, String)], now: u64) -> Result<String, String> {
    let mut payload = serde_json::Map::new();
    for (k, v) in claims {
        payload.insert(k.clone(), claim_value(k, v));
    }
    payload.entry("iat").or_insert(now.into());
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(serde_json::Value::Object(payload).to_string());
    let signing_input = format!("{header}.{body}");
    let mut mac = Hmac::<Sha256>::new_from_slice(key).map_err(|e| e.to_string())?;
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    Ok(format!("{signing_input}.{signature}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::TryRngCore;
    use rand::rngs::OsRng;

    #[test]
    fn sizes_and_alphabets() {
        let mut rng = OsRng.unwrap_err();
        let p = generate(&Generator::Password { length: 40 }, &mut rng, None, 0).unwrap();
        assert_eq!(p.len(), 40);
        assert!(p.bytes().all(|b| b.is_ascii_alphanumeric()));
        let h = generate(&Generator::Hex { bytes: 16 }, &mut rng, None, 0).unwrap();
        assert_eq!(h.len(), 32);
        assert!(
            h.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        let b = generate(&Generator::Base64 { bytes: 32 }, &mut rng, None, 0).unwrap();
        assert_eq!(STANDARD.decode(&b).unwrap().len(), 32);
        let again = generate(&Generator::Password { length: 40 }, &mut rng, None, 0).unwrap();
        assert_ne!(p, again);
    }

    #[test]
    fn jwt_matches_the_rfc_7519_reference_token() {
        // The HS256 example of jwt.io (RFC 7519 style), signed with "your-256-bit-secret".
        let claims = vec![
            ("sub".to_string(), "1234567890".to_string()),
            ("name".to_string(), "John Doe".to_string()),
            ("iat".to_string(), "1516239022".to_string()),
        ];
        assert_eq!(
            jwt_hs256(b"your-256-bit-secret", &claims, 99).unwrap(),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.\
             eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.\
             SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
        );
    }

    #[test]
    fn jwt_adds_iat_and_needs_its_key() {
        let claims = vec![("role".to_string(), "anon".to_string())];
        let g = Generator::Jwt {
            secret_input: None,
            claims: claims.clone(),
        };
        let mut rng = OsRng.unwrap_err();
        assert!(generate(&g, &mut rng, None, 5).is_err());
        let token = generate(&g, &mut rng, Some("k"), 1_700_000_000).unwrap();
        let payload = token.split('.').nth(1).unwrap();
        let payload: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        assert_eq!(
            payload,
            serde_json::json!({"role": "anon", "iat": 1_700_000_000})
        );
    }
}
