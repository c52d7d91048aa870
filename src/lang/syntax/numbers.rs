//! Number and keyword tokens (specification, "Number", "Keyword Numbers", "Boolean", "Null").

use super::tree::Value;

/// Whether a bare word is meant as a number: it starts with a digit, or with a sign and a digit.
pub(super) fn looks_numeric(word: &[u8]) -> bool {
    matches!(word, [b'0'..=b'9', ..] | [b'+' | b'-', b'0'..=b'9', ..])
}

/// Whether a bare word is the "almost a number" `.1`, `-.1`, `+.1`, which is neither a number
/// nor an identifier.
pub(super) fn looks_fractional(word: &[u8]) -> bool {
    matches!(
        word,
        [b'.', b'0'..=b'9', ..] | [b'+' | b'-', b'.', b'0'..=b'9', ..]
    )
}

/// Parses a numeric word: `decimal`, `hex`, `octal` or `binary`. The error says what is wrong.
pub(super) fn parse(word: &str) -> Result<Value<'static>, String> {
    let b = word.as_bytes();
    let (negative, digits) = match b {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, b),
    };
    let radix = match digits {
        [b'0', b'x', ..] => Some((16, "hexadecimal")),
        [b'0', b'o', ..] => Some((8, "octal")),
        [b'0', b'b', ..] => Some((2, "binary")),
        _ => None,
    };
    if let Some((radix, name)) = radix {
        return radix_integer(&digits[2..], radix, negative)
            .map(Value::Integer)
            .map_err(|e| match e {
                RadixError::Empty => {
                    format!("`{word}`: a {name} number needs a digit after the prefix")
                }
                RadixError::Digit(c) => format!("`{word}`: `{c}` is not a {name} digit"),
                RadixError::Overflow => {
                    format!("`{word}` is too large (integers are limited to 128 bits)")
                }
            });
    }
    decimal(digits, negative).map_err(|e| match e {
        DecimalError::Shape(msg) => format!("`{word}` is not a number: {msg}"),
        DecimalError::Overflow => {
            format!("`{word}` is too large (integers are limited to 128 bits; write it as a decimal with `.0` for a float)")
        }
    })
}

enum RadixError {
    Empty,
    Digit(char),
    Overflow,
}

fn radix_integer(digits: &[u8], radix: u32, negative: bool) -> Result<i128, RadixError> {
    let Some(first) = digits.first() else {
        return Err(RadixError::Empty);
    };
    if !(*first as char).is_digit(radix) {
        return Err(RadixError::Digit(*first as char));
    }
    let mut n: u128 = 0;
    for &c in digits {
        if c == b'_' {
            continue;
        }
        let d = (c as char)
            .to_digit(radix)
            .ok_or(RadixError::Digit(c as char))?;
        n = n
            .checked_mul(radix as u128)
            .and_then(|n| n.checked_add(d as u128))
            .ok_or(RadixError::Overflow)?;
    }
    signed(n, negative).ok_or(RadixError::Overflow)
}

fn signed(n: u128, negative: bool) -> Option<i128> {
    if negative {
        if n == 1u128 << 127 {
            Some(i128::MIN)
        } else {
            i128::try_from(n).ok().map(|n| -n)
        }
    } else {
        i128::try_from(n).ok()
    }
}

enum DecimalError {
    Shape(&'static str),
    Overflow,
}

/// `decimal := sign? integer ('.' integer)? exponent?`, `integer := digit (digit | '_')*`.
fn decimal(b: &[u8], negative: bool) -> Result<Value<'static>, DecimalError> {
    let mut i = integer_end(b, 0).ok_or(DecimalError::Shape("it needs a digit"))?;
    let mut float = false;
    if b.get(i) == Some(&b'.') {
        float = true;
        i = integer_end(b, i + 1).ok_or(DecimalError::Shape("a digit must follow the `.`"))?;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        float = true;
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        i = integer_end(b, j).ok_or(DecimalError::Shape("the exponent needs a digit"))?;
    }
    if i != b.len() {
        return Err(DecimalError::Shape(match b[i] {
            b'.' => "it has a second `.`",
            b'e' | b'E' => "it has a second exponent",
            _ => "it has characters that are not digits (quote it if it is a string)",
        }));
    }
    if float {
        let clean: String = b
            .iter()
            .filter(|c| **c != b'_')
            .map(|c| *c as char)
            .collect();
        let v: f64 = clean
            .parse()
            .map_err(|_| DecimalError::Shape("unreadable"))?;
        return Ok(Value::Float(if negative { -v } else { v }));
    }
    let mut n: u128 = 0;
    for &c in b {
        if c != b'_' {
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add((c - b'0') as u128))
                .ok_or(DecimalError::Overflow)?;
        }
    }
    signed(n, negative)
        .map(Value::Integer)
        .ok_or(DecimalError::Overflow)
}

/// The end of `digit (digit | '_')*` starting at `i`, or `None` when no digit starts there.
fn integer_end(b: &[u8], i: usize) -> Option<usize> {
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let mut j = i + 1;
    while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'_') {
        j += 1;
    }
    Some(j)
}

/// The value of a `#keyword` (the word after `#`), if it is one.
pub(super) fn keyword(word: &str) -> Option<Value<'static>> {
    Some(match word {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        "inf" => Value::Float(f64::INFINITY),
        "-inf" => Value::Float(f64::NEG_INFINITY),
        "nan" => Value::Float(f64::NAN),
        _ => return None,
    })
}

/// A bare word that is a keyword without its `#`.
pub(super) fn bare_keyword(word: &str) -> bool {
    matches!(word, "true" | "false" | "null" | "inf" | "-inf" | "nan")
}
