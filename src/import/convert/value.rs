//! Small value helpers of the conversion: decimals as KDL writes them, names that look like
//! credentials.

/// A float as a KDL decimal: always with a fraction (`1.0`, `0.5`), never an exponent.
pub(super) fn decimal(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.1}")
    } else {
        let s = format!("{f}");
        if s.contains('.') { s } else { format!("{s}.0") }
    }
}

/// Words in a variable name that say it holds a credential.
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASS",
    "SECRET",
    "TOKEN",
    "KEY",
    "APIKEY",
    "CREDENTIAL",
    "CREDENTIALS",
    "PRIVATE",
    "AUTH",
    "SALT",
    "HMAC",
    "JWT",
    "DSN",
    "COOKIE",
    "SESSION",
];

/// Whether a variable name looks like a credential (`POSTGRES_PASSWORD`, `OPENAI_API_KEY`,
/// `JWT_SECRET`): one of its `_`-separated words is a credential word. `KEYCLOAK_URL` is not.
pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper
        .split(['_', '-', '.'])
        .any(|w| SECRET_WORDS.contains(&w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        assert_eq!(decimal(1.0), "1.0");
        assert_eq!(decimal(0.5), "0.5");
        assert_eq!(decimal(2.25), "2.25");
    }

    #[test]
    fn secret_names() {
        for n in [
            "POSTGRES_PASSWORD",
            "OPENAI_API_KEY",
            "JWT_SECRET",
            "github_token",
            "SECRET",
        ] {
            assert!(looks_secret(n), "{n}");
        }
        for n in [
            "KEYCLOAK_URL",
            "PORT",
            "PASSAGE_DIR",
            "MONKEY",
            "TOKENIZER_PATH",
        ] {
            assert!(!looks_secret(n), "{n}");
        }
    }
}
