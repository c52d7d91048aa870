//! String, number and keyword tokens: bare identifiers, quoted strings with escapes, raw strings
//! with any number of `#`, multi-line strings with their dedent (specification, "String" to
//! "Raw String"). A string borrows the source unless an escape or a dedent changed it.

use std::borrow::Cow;

use super::chars::is_space;
use super::error::SyntaxError;
use super::numbers;
use super::parser::Parser;
use super::tree::Value;

/// A token that can be a name, key or value.
pub(super) enum Token<'a> {
    /// Any string form (bare, quoted, raw, multi-line).
    Str(Cow<'a, str>),
    /// A number or a `#` keyword.
    Other(Value<'a>),
}

/// What failed: reported already, the caller recovers.
pub(super) struct Reported;

impl<'a> Parser<'a> {
    /// The string, number or keyword at the cursor. `Ok(None)`: nothing here starts one (the
    /// cursor has not moved).
    pub(super) fn token(&mut self) -> Result<Option<Token<'a>>, Reported> {
        match self.peek() {
            Some(b'"') => self.quoted().map(|s| Some(Token::Str(s))),
            Some(b'#') => match self.raw_hashes(self.pos) {
                Some(hashes) => self.raw(hashes).map(|s| Some(Token::Str(s))),
                None => self.keyword().map(|v| Some(Token::Other(v))),
            },
            _ => self.bare(),
        }
    }

    /// A bare word: identifier string or number.
    fn bare(&mut self) -> Result<Option<Token<'a>>, Reported> {
        let start = self.pos;
        let end = self.word_end(start);
        if end == start {
            return Ok(None);
        }
        let word = &self.text[start..end];
        let span = self.span(start, end);
        self.pos = end;
        let wb = word.as_bytes();
        if numbers::looks_numeric(wb) {
            return match numbers::parse(word) {
                Ok(v) => Ok(Some(Token::Other(v))),
                Err(msg) => {
                    self.error(SyntaxError::new(span, msg, "not a number").help(
                        "a bare word that starts with a digit must be a number; quote it to make it a string",
                    ));
                    Err(Reported)
                }
            };
        }
        if numbers::looks_fractional(wb) {
            let fixed = match wb[0] {
                b'.' => format!("0{word}"),
                sign => format!("{}0{}", sign as char, &word[1..]),
            };
            self.error(
                SyntaxError::new(
                    span,
                    format!("`{word}` is neither a number nor a string"),
                    "a number needs a digit before the `.`",
                )
                .help(format!(
                    "write the number `{fixed}`, or quote it for a string: `\"{word}\"`"
                )),
            );
            return Err(Reported);
        }
        if numbers::bare_keyword(word) {
            let e = match word {
                "true" | "false" | "null" => SyntaxError::new(
                    span,
                    format!("`{word}` is a KDL 1 keyword"),
                    "bare keywords are not values in KDL 2.0",
                )
                .help(format!(
                    "KDL 2.0 writes `{word}` as `#{word}` (or `\"{word}\"` for the string)"
                )),
                _ => SyntaxError::new(
                    span,
                    format!("`{word}` is reserved"),
                    "a keyword number without its `#`",
                )
                .help(format!(
                    "write `#{word}` for the number, or `\"{word}\"` for the string"
                )),
            };
            self.error(e);
            return Err(Reported);
        }
        if word == "r" && matches!(self.peek(), Some(b'"' | b'#')) {
            let at = self.pos;
            if self.peek() == Some(b'"') {
                self.skip_quoted_lenient();
            } else {
                self.skip_raw_lenient();
            }
            let raw = &self.text[at..self.pos];
            let hashes = raw.bytes().take_while(|b| *b == b'#').count().max(1);
            let inner = raw
                .trim_start_matches('#')
                .trim_end_matches('#')
                .trim_matches('"');
            let h = "#".repeat(hashes);
            self.error(
                SyntaxError::new(
                    self.span(start, self.pos),
                    "`r\"...\"` is a KDL 1 raw string",
                    "KDL 1 syntax",
                )
                .help(format!("KDL 2.0 writes raw strings as `{h}\"{inner}\"{h}`")),
            );
            return Err(Reported);
        }
        Ok(Some(Token::Str(Cow::Borrowed(word))))
    }

    /// `#true`, `#false`, `#null`, `#inf`, `#-inf`, `#nan`.
    fn keyword(&mut self) -> Result<Value<'a>, Reported> {
        let start = self.pos;
        let end = self.word_end(start + 1);
        let word = &self.text[start + 1..end];
        self.pos = end;
        if let Some(v) = numbers::keyword(word) {
            return Ok(v);
        }
        let span = self.span(start, end.max(start + 1));
        let e = if word.is_empty() {
            SyntaxError::new(span, "a lone `#`", "expected a keyword or a raw string").help(
                "`#` starts `#true`, `#false`, `#null`, `#inf`, `#-inf`, `#nan` or a raw string `#\"...\"#`",
            )
        } else {
            SyntaxError::new(span, format!("`#{word}` is not a KDL keyword"), "unknown keyword")
                .help(format!(
                    "the keywords are `#true`, `#false`, `#null`, `#inf`, `#-inf` and `#nan`; for a string, quote it: `\"#{word}\"`"
                ))
        };
        self.error(e);
        Err(Reported)
    }

    /// A quoted string `"..."` or a multi-line string `"""` newline ... `"""`.
    fn quoted(&mut self) -> Result<Cow<'a, str>, Reported> {
        if self.starts_with(b"\"\"\"") {
            return self.multi_line(0);
        }
        let start = self.pos;
        let body = start + 1;
        let b = self.bytes;
        let mut i = body;
        // Fast path: no escape, borrow the source.
        while i < b.len() {
            match b[i] {
                b'"' => {
                    self.pos = i + 1;
                    return Ok(Cow::Borrowed(&self.text[body..i]));
                }
                b'\\' => break,
                b'\n' | b'\r' | 0x0B | 0x0C | 0xC2 | 0xE2 if self.newline_len(i) > 0 => {
                    return Err(self.newline_in_quoted(start, i));
                }
                _ => i += 1,
            }
        }
        if i >= b.len() {
            return Err(self.unclosed_quoted(start));
        }
        let mut out = String::with_capacity(i - body + 16);
        out.push_str(&self.text[body..i]);
        let mut ok = true;
        loop {
            let Some(c) = self.char_at(i) else {
                return Err(self.unclosed_quoted(start));
            };
            match c {
                '"' => {
                    self.pos = i + 1;
                    return if ok {
                        Ok(Cow::Owned(out))
                    } else {
                        Err(Reported)
                    };
                }
                '\\' => match self.escape(i) {
                    Ok((len, ch)) => {
                        if let Some(ch) = ch {
                            out.push(ch);
                        }
                        i += len;
                    }
                    Err(len) => {
                        ok = false;
                        i += len;
                    }
                },
                _ if self.newline_len(i) > 0 => return Err(self.newline_in_quoted(start, i)),
                c => {
                    out.push(c);
                    i += c.len_utf8();
                }
            }
        }
    }

    fn newline_in_quoted(&mut self, start: usize, at: usize) -> Reported {
        self.pos = at;
        self.error(
            SyntaxError::new(
                self.span(start, at),
                "this string is not closed on its line",
                "a quoted string ends on the line it starts",
            )
            .help("close it with `\"`; for a string over several lines write `\"\"\"`, a newline, the lines, and `\"\"\"` on a line of its own"),
        );
        Reported
    }

    fn unclosed_quoted(&mut self, start: usize) -> Reported {
        self.pos = self.bytes.len();
        self.error(
            SyntaxError::new(
                self.span(start, start + 1),
                "this string is never closed",
                "string opened here",
            )
            .help("close it with `\"`"),
        );
        Reported
    }

    /// The escape at `i` (a `\`): its length and the code point it stands for (`None` for a
    /// whitespace escape). `Err(len)`: an invalid escape, reported.
    fn escape(&mut self, i: usize) -> Result<(usize, Option<char>), usize> {
        let Some(next) = self.byte_at(i + 1) else {
            return Ok((1, None));
        };
        let simple = match next {
            b'n' => Some('\n'),
            b'r' => Some('\r'),
            b't' => Some('\t'),
            b'\\' => Some('\\'),
            b'"' => Some('"'),
            b'b' => Some('\u{8}'),
            b'f' => Some('\u{c}'),
            b's' => Some(' '),
            _ => None,
        };
        if let Some(c) = simple {
            return Ok((2, Some(c)));
        }
        if next == b'u' {
            return self.unicode_escape(i);
        }
        // Whitespace escape: `\` followed by spaces and newlines, all discarded.
        let mut j = i + 1;
        loop {
            let n = self.space_len(j).max(self.newline_len(j));
            if n == 0 {
                break;
            }
            if self.newline_len(j) > 0 {
                self.line_start = j + n;
            }
            j += n;
        }
        if j > i + 1 {
            return Ok((j - i, None));
        }
        let c = self.char_at(i + 1).unwrap_or('?');
        let help = match c {
            '/' => "KDL 2.0 has no `\\/` escape: write `/`".to_string(),
            _ => "the escapes are `\\n`, `\\r`, `\\t`, `\\\\`, `\\\"`, `\\b`, `\\f`, `\\s`, `\\u{...}` and `\\` before whitespace; for a backslash write `\\\\`".to_string(),
        };
        self.error(
            SyntaxError::new(
                self.span(i, i + 1 + c.len_utf8()),
                format!("`\\{c}` is not an escape"),
                "invalid escape",
            )
            .help(help),
        );
        Err(1 + c.len_utf8())
    }

    /// `\u{` 1-6 hex digits `}`, a Unicode scalar value.
    fn unicode_escape(&mut self, i: usize) -> Result<(usize, Option<char>), usize> {
        let b = self.bytes;
        let bad = |this: &mut Self, end: usize, msg: &str| {
            this.error(
                SyntaxError::new(this.span(i, end), msg.to_string(), "invalid unicode escape")
                    .help("write `\\u{` with 1 to 6 hexadecimal digits of a Unicode scalar value and `}`, e.g. `\\u{1F600}`"),
            );
            Err(end - i)
        };
        if b.get(i + 2) != Some(&b'{') {
            return bad(self, i + 2, "`\\u` must be followed by `{`");
        }
        let mut j = i + 3;
        while j < b.len() && b[j].is_ascii_hexdigit() {
            j += 1;
        }
        let digits = &self.text[i + 3..j];
        if b.get(j) != Some(&b'}') {
            return bad(
                self,
                j,
                "a unicode escape needs 1 to 6 hex digits and a closing `}`",
            );
        }
        if digits.is_empty() || digits.len() > 6 {
            return bad(self, j + 1, "a unicode escape has 1 to 6 hex digits");
        }
        let n = u32::from_str_radix(digits, 16).unwrap_or(u32::MAX);
        match char::from_u32(n) {
            Some(c) => Ok((j + 1 - i, Some(c))),
            None => bad(
                self,
                j + 1,
                &format!(
                    "U+{n:X} is not a Unicode scalar value (surrogates and values above U+10FFFF are not)"
                ),
            ),
        }
    }

    /// A raw string: `hashes` `#`, then `"` ... `"` or `"""` ... `"""`, then as many `#`.
    fn raw(&mut self, hashes: usize) -> Result<Cow<'a, str>, Reported> {
        let start = self.pos;
        let quote = start + hashes;
        if self.bytes[quote..].starts_with(b"\"\"\"") {
            return self.multi_line(hashes);
        }
        let body = quote + 1;
        let b = self.bytes;
        let mut i = body;
        while i < b.len() {
            if b[i] == b'"'
                && b.len() - i > hashes
                && b[i + 1..=i + hashes].iter().all(|c| *c == b'#')
            {
                self.pos = i + 1 + hashes;
                return Ok(Cow::Borrowed(&self.text[body..i]));
            }
            if self.newline_len(i) > 0 {
                let h = "#".repeat(hashes);
                let close = match self.no_raw_close.get(&hashes) {
                    Some(&none_after) if none_after <= i => None,
                    _ => self.find_raw_close(i, hashes),
                };
                if close.is_none() {
                    self.no_raw_close.insert(hashes, i);
                }
                let end = close.unwrap_or(i);
                self.pos = end;
                self.error(
                    SyntaxError::new(
                        self.span(start, i),
                        "this raw string is not closed on its line",
                        "a raw string ends on the line it starts",
                    )
                    .help(format!(
                        "close it with `\"{h}`; for a raw string over several lines write `{h}\"\"\"`, a newline, the lines, and `\"\"\"{h}` on a line of its own"
                    )),
                );
                return Err(Reported);
            }
            i += 1;
        }
        self.pos = b.len();
        let h = "#".repeat(hashes);
        self.error(
            SyntaxError::new(
                self.span(start, body),
                "this raw string is never closed",
                "raw string opened here",
            )
            .help(format!(
                "close it with `\"{h}` (as many `#` as it opened with)"
            )),
        );
        Err(Reported)
    }

    /// A multi-line string, raw when `hashes > 0`: the opening `"""` must end its line, the
    /// closing `"""` stands on a line of whitespace, and that whitespace is removed from every
    /// other line. Whitespace escapes are resolved before the dedent, other escapes after it.
    fn multi_line(&mut self, hashes: usize) -> Result<Cow<'a, str>, Reported> {
        let start = self.pos;
        let open_end = start + hashes + 3;
        let h = "#".repeat(hashes);
        let nl = self.newline_len(open_end);
        let close = self.find_multi_close(open_end, hashes);
        if nl == 0 {
            self.pos = close.map_or(self.bytes.len(), |(_, end)| end);
            self.forward_to_boundary();
            self.error(
                SyntaxError::new(
                    self.span(start, open_end),
                    format!("`{h}\"\"\"` opens a multi-line string: it must end its line"),
                    "text follows on the same line",
                )
                .help(format!(
                    "for a one-line string write `{h}\"...\"{h}`; a multi-line string starts on the line after `{h}\"\"\"`"
                )),
            );
            return Err(Reported);
        }
        let Some((close_start, close_end)) = close else {
            self.pos = self.bytes.len();
            self.error(
                SyntaxError::new(
                    self.span(start, open_end),
                    "this multi-line string is never closed",
                    "string opened here",
                )
                .help(format!("close it with `\"\"\"{h}` on a line of its own")),
            );
            return Err(Reported);
        };
        self.pos = close_end;
        let body_start = open_end + nl;
        // Stage 1: newlines normalised to LF and whitespace escapes removed; other escapes stay
        // as written. `line_at` holds the source offset where each resulting line starts.
        let mut text = String::with_capacity(close_start.saturating_sub(body_start));
        let mut line_at = vec![body_start];
        let mut ok = true;
        let mut i = body_start;
        while i < close_start {
            let b = self.bytes[i];
            if b == b'\\' && hashes == 0 {
                match self.escape(i) {
                    Ok((len, None)) => {
                        // A whitespace escape keeps nothing, not even its newlines.
                        i += len;
                    }
                    Ok((len, Some(_))) => {
                        text.push_str(&self.text[i..i + len]);
                        i += len;
                    }
                    Err(len) => {
                        ok = false;
                        i += len;
                    }
                }
                continue;
            }
            let n = self.newline_len(i);
            if n > 0 {
                text.push('\n');
                i += n;
                line_at.push(i);
                continue;
            }
            let c = self.char_at(i).unwrap_or('\u{FFFD}');
            text.push(c);
            i += c.len_utf8();
        }
        // The last line is the closing line: whitespace only.
        let (body, last) = match text.rfind('\n') {
            Some(k) => (&text[..k], &text[k + 1..]),
            None => ("", text.as_str()),
        };
        let last_line_at = *line_at.last().unwrap_or(&body_start);
        if !last.chars().all(is_space) {
            self.error(
                SyntaxError::new(
                    self.span(last_line_at, close_end),
                    format!("the closing `\"\"\"{h}` must stand on a line of its own"),
                    "text before the closing quotes",
                )
                .help(format!(
                    "put `\"\"\"{h}` on the next line, indented as far as the string's lines"
                )),
            );
            return Err(Reported);
        }
        let prefix = last;
        let mut out = String::with_capacity(body.len());
        if text.contains('\n') {
            for (k, line) in body.split('\n').enumerate() {
                if k > 0 {
                    out.push('\n');
                }
                if line.chars().all(is_space) {
                    continue;
                }
                match line.strip_prefix(prefix) {
                    Some(rest) => out.push_str(rest),
                    None => {
                        let at = line_at.get(k).copied().unwrap_or(body_start);
                        let end = at + self.text[at..].find(['\n', '\r']).unwrap_or(0);
                        self.error(
                            SyntaxError::new(
                                self.span(at, end.max(at + 1)),
                                "this line of a multi-line string is indented less than its closing quotes",
                                "does not start with the closing line's whitespace",
                            )
                            .help("every line must start with exactly the whitespace (same characters) that precedes the closing `\"\"\"`"),
                        );
                        return Err(Reported);
                    }
                }
            }
        }
        if !ok {
            return Err(Reported);
        }
        if hashes > 0 {
            return Ok(Cow::Owned(out));
        }
        Ok(Cow::Owned(unescape(&out)))
    }

    /// The closing delimiter of a multi-line string opened before `from`: `"""` and `hashes`
    /// `#`, skipping escaped characters when the string is not raw. Returns (start, end).
    fn find_multi_close(&self, from: usize, hashes: usize) -> Option<(usize, usize)> {
        let b = self.bytes;
        let mut i = from;
        while i < b.len() {
            match b[i] {
                b'\\' if hashes == 0 => i += 2,
                b'"' if b[i..].starts_with(b"\"\"\"")
                    && b.len() - i >= 3 + hashes
                    && b[i + 3..i + 3 + hashes].iter().all(|c| *c == b'#') =>
                {
                    return Some((i, i + 3 + hashes));
                }
                _ => i += 1,
            }
        }
        None
    }
}

/// Resolves the (already validated) non-whitespace escapes of a multi-line string's text.
fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('s') => out.push(' '),
            Some('u') => {
                let rest: String = chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                if let Some(c) = u32::from_str_radix(&rest, 16).ok().and_then(char::from_u32) {
                    out.push(c);
                }
            }
            Some(c) => out.push(c),
            None => {}
        }
    }
    out
}
