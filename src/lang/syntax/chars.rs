//! The code point classes of KDL 2.0 (specification, "Whitespace", "Newline", "Disallowed Literal
//! Code Points", "Identifier String"), with a byte table for the ASCII fast path.

/// What an ASCII byte is to the lexer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Class {
    /// Part of a bare identifier.
    Ident,
    /// Tab or space (a `unicode-space`).
    Space,
    /// LF, VT, FF or CR (a `newline`; CR may start CRLF).
    Newline,
    /// One of `\/(){};[]"#=`: never in an identifier.
    Punct,
    /// A byte that starts a multi-byte UTF-8 sequence or continues one.
    NonAscii,
}

const fn class_table() -> [Class; 256] {
    let mut t = [Class::NonAscii; 256];
    let mut b = 0;
    while b < 128 {
        t[b] = match b as u8 {
            b'\t' | b' ' => Class::Space,
            b'\n' | 0x0B | 0x0C | b'\r' => Class::Newline,
            b'\\' | b'/' | b'(' | b')' | b'{' | b'}' | b';' | b'[' | b']' | b'"' | b'#' | b'=' => {
                Class::Punct
            }
            // Disallowed control characters and DEL are reported by `disallowed` before parsing;
            // the parser reads them as identifier characters so that each is reported once.
            _ => Class::Ident,
        };
        b += 1;
    }
    t
}

pub(super) static CLASS: [Class; 256] = class_table();

/// `unicode-space`: the non-newline White_Space code points the specification lists.
pub(super) fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | ' ' | '\u{00A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// A single-code-point `newline` (CRLF is two code points and handled by the lexer).
pub(super) fn is_newline(c: char) -> bool {
    matches!(
        c,
        '\n' | '\u{000B}' | '\u{000C}' | '\r' | '\u{0085}' | '\u{2028}' | '\u{2029}'
    )
}

/// `identifier-char` for a non-ASCII code point (disallowed ones count as identifier characters
/// here; they are reported separately, see [`disallowed`]).
pub(super) fn is_ident_non_ascii(c: char) -> bool {
    !is_space(c) && !is_newline(c)
}

/// A code point that may not appear literally anywhere in a document.
pub(super) fn is_disallowed(c: char) -> bool {
    matches!(
        c,
        '\u{0000}'..='\u{0008}'
            | '\u{000E}'..='\u{001F}'
            | '\u{007F}'
            | '\u{200E}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// Bytes that may start a disallowed code point: C0 controls other than tab and the newlines,
/// DEL, and the lead bytes `E2` (U+200E.., U+202A.., U+2066..) and `EF` (U+FEFF).
static SUSPECT: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = matches!(b, 0x00..=0x08 | 0x0E..=0x1F | 0x7F | 0xE2 | 0xEF);
        b += 1;
    }
    t
};

/// Every disallowed literal code point of a text, as (byte offset, code point), skipping a BOM at
/// offset 0. One table lookup per byte; only suspect bytes are decoded.
pub(super) fn disallowed(text: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    let bytes = text.as_bytes();
    let mut i = usize::from(text.starts_with('\u{FEFF}')) * 3;
    std::iter::from_fn(move || {
        loop {
            let at = i + bytes[i..].iter().position(|b| SUSPECT[*b as usize])?;
            let c = text[at..].chars().next().unwrap_or('\0');
            i = at + c.len_utf8();
            if is_disallowed(c) {
                return Some((at, c));
            }
        }
    })
}

/// How a code point is named in a diagnostic: `U+0000 (NUL)`.
pub(super) fn describe(c: char) -> String {
    let name = match c {
        '\u{0000}' => " (NUL)",
        '\u{0008}' => " (backspace)",
        '\u{001B}' => " (escape)",
        '\u{007F}' => " (DEL)",
        '\u{200E}' => " (left-to-right mark)",
        '\u{200F}' => " (right-to-left mark)",
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => " (a bidirectional control)",
        '\u{FEFF}' => " (byte order mark, allowed only as the first code point)",
        _ if c.is_control() => " (a control character)",
        _ => "",
    };
    format!("U+{:04X}{name}", c as u32)
}
