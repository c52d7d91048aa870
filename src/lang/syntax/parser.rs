//! Nodes, entries, children blocks and slashdashes (specification, "Full Grammar"), with error
//! recovery: an error abandons the current node, the parser skips to where the node ends (a
//! newline, `;`, `{` or `}` outside strings and comments) and goes on, so one pass reports every
//! syntax error of a file.
//!
//! Children blocks do not recurse: open blocks are a stack of [`Level`]s, so no input can
//! overflow the call stack. Blocks nested deeper than [`MAX_DEPTH`] are a diagnostic and are
//! skipped by counting braces, which also bounds the recursion of every later pass over the tree.

use super::error::SyntaxError;
use super::strings::{Reported, Token};
use super::tree::{Document, Entry, NO_BLOCK, NodeData, Str, Value};
use crate::diag::Code;
use crate::lang::source::{FileId, Span};

/// The deepest nesting of children blocks a document may have. A stack uses four or five levels
/// (a service, its `when`, a healthcheck inside it); every pass over the tree recurses at most
/// this deep.
pub const MAX_DEPTH: usize = 64;

/// Syntax errors reported one by one per file; beyond this they are counted in one summary.
const MAX_ERRORS: usize = 100;

/// Where a node is in the sequence entries, slashdashed children blocks, children block.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Entries,
    AfterSlashdashedBlock,
    AfterBlock,
}

/// A node being parsed. Its [`NodeData`] is pushed when its name is read (document order), and
/// completed, or truncated away with everything after it, when the node ends.
struct Building {
    /// Where its `NodeData` is, when one was pushed (not for slashdashed or broken heads).
    slot: Option<u32>,
    name_span: Span,
    entries_start: u32,
    /// Set when the first children block opens: entries after it belong to the children.
    entries_end: Option<u32>,
    children: u32,
    block: Span,
    start: usize,
    end: usize,
    /// False when slashdashed, inside something slashdashed, or broken by an error.
    keep: bool,
    phase: Phase,
    /// Columns of whitespace before the node, when it starts its line.
    indent: Option<usize>,
}

/// An open children block (or the document itself, at the bottom of the stack).
struct Level {
    node: Option<Building>,
    open: usize,
    keep: bool,
    slashdashed: bool,
    /// Kept nodes directly inside.
    count: u32,
    /// The first child that starts its line no further right than the block's node: where a
    /// `}` is probably missing when the block is never closed.
    misplaced: Option<Span>,
}

pub(super) struct Parser<'a> {
    pub(super) text: &'a str,
    pub(super) bytes: &'a [u8],
    pub(super) pos: usize,
    pub(super) line_start: usize,
    file: FileId,
    errors: Vec<SyntaxError>,
    suppressed: usize,
    nodes: Vec<NodeData<'a>>,
    entries: Vec<Entry<'a>>,
    levels: Vec<Level>,
    too_deep: bool,
    /// Per number of `#`: a position after which no raw string closes (so that a file of
    /// unclosed raw strings is searched once, not once per string).
    pub(super) no_raw_close: std::collections::HashMap<usize, usize>,
}

/// Parses a whole document. The document holds what parsed; it is complete only when there is
/// no error.
pub(super) fn parse(text: &str, file: FileId) -> (Document<'_>, Vec<SyntaxError>) {
    let mut p = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        line_start: 0,
        file,
        errors: Vec::new(),
        suppressed: 0,
        // Generous: capacity that is never touched costs no memory, a reallocation copies.
        nodes: Vec::with_capacity(text.len() / 16 + 4),
        entries: Vec::with_capacity(text.len() / 8 + 4),
        levels: Vec::new(),
        too_deep: false,
        no_raw_close: std::collections::HashMap::new(),
    };
    if text.starts_with('\u{FEFF}') {
        p.pos = 3;
        p.line_start = 3;
    }
    p.run()
}

impl<'a> Parser<'a> {
    pub(super) fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end.saturating_sub(start))
    }

    pub(super) fn error(&mut self, e: SyntaxError) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(e);
        } else {
            self.suppressed += 1;
        }
    }

    fn run(mut self) -> (Document<'a>, Vec<SyntaxError>) {
        self.levels.push(Level {
            node: None,
            open: 0,
            keep: true,
            slashdashed: false,
            count: 0,
            misplaced: None,
        });
        loop {
            self.skip_line_space();
            let Some(b) = self.peek() else { break };
            match b {
                b'}' if self.levels.len() > 1 => self.close_block(),
                b'}' => {
                    self.error(
                        SyntaxError::new(
                            self.span(self.pos, self.pos + 1),
                            "this `}` closes no block",
                            "no `{` is open here",
                        )
                        .help("remove it, or look above for the `{` it was meant to close"),
                    );
                    self.pos += 1;
                }
                b';' => {
                    self.error(
                        SyntaxError::new(
                            self.span(self.pos, self.pos + 1),
                            "a `;` with no node before it",
                            "`;` ends a node",
                        )
                        .help("remove it"),
                    );
                    self.pos += 1;
                }
                _ => self.node(),
            }
        }
        while self.levels.len() > 1 {
            let level = self.levels.pop().expect("an open block");
            self.unclosed(&level);
        }
        let top = self.levels.pop().expect("the document level");
        let doc = Document {
            top: top.count,
            nodes: self.nodes,
            entries: self.entries,
        };
        let mut errors = self.errors;
        if self.suppressed > 0
            && let Some(last) = errors.last().map(|e| e.span)
        {
            errors.push(
                SyntaxError::new(
                    last,
                    format!(
                        "{} more syntax errors in this file are not shown",
                        self.suppressed
                    ),
                    "the last error shown",
                )
                .help("fix the errors above first: later ones are often caused by them"),
            );
        }
        (doc, errors)
    }

    /// The name of a node as written (for messages).
    fn name_of(&self, n: &Building) -> &'a str {
        let s = n.name_span;
        &self.text[s.start as usize..(s.start + s.len) as usize]
    }

    fn unclosed(&mut self, level: &Level) {
        let name = level.node.as_ref().map_or("", |n| self.name_of(n));
        let mut e = SyntaxError::new(
            self.span(level.open, level.open + 1),
            format!("the children block of `{name}` is never closed"),
            "opened here",
        );
        e = match level.misplaced {
            Some(span) => e
                .related(
                    span,
                    "indented like the block's node: is a `}` missing before it?",
                )
                .help(format!("add the `}}` that closes `{name}`")),
            None => e.help(format!("add `}}` after the last child of `{name}`")),
        };
        self.error(e);
    }

    /// Whitespace columns before `at` when nothing else precedes it on its line.
    fn indent_of(&self, at: usize) -> Option<usize> {
        let start = self.line_start.min(at);
        // Backwards, so that a long line of `;`-separated nodes stays linear.
        self.bytes[start..at]
            .iter()
            .rev()
            .all(|b| *b == b' ' || *b == b'\t')
            .then_some(at - start)
    }

    /// A node at the cursor (a slashdash, a type annotation and a name, then its tail).
    fn node(&mut self) {
        let level_keep = self.levels.last().is_some_and(|l| l.keep);
        let mut keep = level_keep;
        if self.starts_with(b"/-") {
            let sd = self.pos;
            self.pos += 2;
            self.skip_line_space();
            keep = false;
            match self.peek() {
                None | Some(b'}' | b';') => {
                    self.error(
                        SyntaxError::new(
                            self.span(sd, sd + 2),
                            "`/-` comments out nothing",
                            "expected a node after it",
                        )
                        .help("remove the `/-`, or put it right before the node to comment out"),
                    );
                    return;
                }
                _ if self.starts_with(b"/-") => {
                    self.error(
                        SyntaxError::new(
                            self.span(self.pos, self.pos + 2),
                            "a second `/-` right after `/-`",
                            "slashdash of a slashdash",
                        )
                        .help("one `/-` comments out the whole node: remove this one"),
                    );
                    self.recover();
                    return self.broken_tail(self.pos);
                }
                _ => {}
            }
        }
        let start = self.pos;
        let indent = self.indent_of(start);
        let ty = if self.peek() == Some(b'(') {
            match self.type_annotation() {
                Ok(t) => {
                    self.skip_node_space();
                    Some(t)
                }
                Err(Reported) => {
                    self.recover();
                    return self.broken_tail(start);
                }
            }
        } else {
            None
        };
        let name_start = self.pos;
        let name = match self.string("a node name") {
            Ok(s) => s,
            Err(Reported) => {
                self.recover();
                return self.broken_tail(start);
            }
        };
        if let Some(mine) = indent {
            // A node no further right than an open block's node is probably outside it: note it
            // on every open block it is not indented into.
            let here = Span::new(self.file, name_start, self.pos - name_start);
            for level in self.levels.iter_mut().rev() {
                match level.node.as_ref().and_then(|n| n.indent) {
                    Some(parent) if mine <= parent => {
                        level.misplaced.get_or_insert(here);
                    }
                    _ => break,
                }
            }
        }
        let name_span = name.span;
        let slot = keep.then(|| {
            self.nodes.push(NodeData {
                name,
                ty: ty.map(Box::new),
                entries: (0, 0),
                span: name_span,
                subtree_end: 0,
                children: NO_BLOCK,
                block: name_span,
            });
            self.nodes.len() as u32 - 1
        });
        let n = Building {
            slot,
            name_span,
            entries_start: self.entries.len() as u32,
            entries_end: None,
            children: NO_BLOCK,
            block: name_span,
            start,
            end: self.pos,
            keep,
            phase: Phase::Entries,
            indent,
        };
        self.tail(n, false);
    }

    /// Goes on after a node whose head did not parse: its children block, if any, is still
    /// read (and checked), then dropped.
    fn broken_tail(&mut self, start: usize) {
        let n = Building {
            slot: None,
            name_span: self.span(start, start),
            entries_start: self.entries.len() as u32,
            entries_end: None,
            children: NO_BLOCK,
            block: self.span(start, start),
            start,
            end: self.pos,
            keep: false,
            phase: Phase::Entries,
            indent: None,
        };
        self.tail(n, false);
    }

    /// `(type)`: a string between parentheses, whitespace allowed inside.
    fn type_annotation(&mut self) -> Result<Str<'a>, Reported> {
        let open = self.pos;
        self.pos += 1;
        self.skip_node_space();
        if self.peek() == Some(b')') {
            self.error(
                SyntaxError::new(
                    self.span(open, self.pos + 1),
                    "an empty type annotation",
                    "expected a type name between the parentheses",
                )
                .help("write the type, e.g. `(u8)`, or remove the parentheses"),
            );
            self.pos += 1;
            return Err(Reported);
        }
        let ty = self.string("a type name")?;
        self.skip_node_space();
        if self.peek() != Some(b')') {
            self.error(
                SyntaxError::new(
                    self.span(self.pos, self.pos + self.char_len(self.pos)),
                    format!(
                        "expected `)` to close the type annotation, found {}",
                        self.found(self.pos)
                    ),
                    "expected `)`",
                )
                .help(
                    "a type annotation is one string in parentheses, e.g. `(date)\"2024-01-01\"`",
                ),
            );
            return Err(Reported);
        }
        self.pos += 1;
        Ok(ty)
    }

    /// A string token (identifier, quoted, raw or multi-line) as a name, key or type.
    fn string(&mut self, what: &str) -> Result<Str<'a>, Reported> {
        let start = self.pos;
        match self.token()? {
            Some(Token::Str(value)) => Ok(Str {
                value,
                span: self.span(start, self.pos),
            }),
            Some(Token::Other(_)) => {
                let text = &self.text[start..self.pos];
                self.error(
                    SyntaxError::new(
                        self.span(start, self.pos),
                        format!("{what} must be a string, found `{text}`"),
                        "not a string",
                    )
                    .help(format!("quote it: `\"{text}\"`")),
                );
                Err(Reported)
            }
            None => {
                self.error(self.unexpected(what));
                Err(Reported)
            }
        }
    }

    /// "expected X, found Y" at the cursor, with a hint for the usual suspects.
    fn unexpected(&self, what: &str) -> SyntaxError {
        let at = self.pos;
        let len = self.char_len(at);
        let found = self.found(at);
        let e = SyntaxError::new(
            self.span(at, at + len),
            format!("expected {what}, found {found}"),
            format!("expected {what}"),
        );
        match self.peek() {
            Some(b'=') => {
                e.help("a property is written `key=value`, with the key right before `=`")
            }
            Some(b'[' | b']' | b')' | b'(') => {
                e.help("brackets and parentheses are not part of bare strings: quote the string")
            }
            Some(b'/') => e.help(
                "`/` starts a comment (`//`, `/*`) or a slashdash (`/-`); in a string, quote it",
            ),
            Some(b'\\') => e.help("`\\` continues a line; in a string, quote it and write `\\\\`"),
            _ if what.starts_with("a value") => e.help(
                "write the value right after `=`: a string, a number, `#true`, `#false` or `#null`",
            ),
            _ => e.help("see https://kdl.dev for the KDL 2.0 syntax"),
        }
    }

    /// The rest of a node after its name: entries, children blocks, the terminator.
    fn tail(&mut self, mut n: Building, mut space: bool) {
        loop {
            space |= self.skip_node_space();
            let Some(b) = self.peek() else {
                return self.finish(n);
            };
            match b {
                b';' => {
                    self.pos += 1;
                    return self.finish(n);
                }
                b'}' => return self.finish(n),
                b'{' => {
                    if n.phase == Phase::AfterBlock {
                        self.error(
                            SyntaxError::new(
                                self.span(self.pos, self.pos + 1),
                                format!("`{}` already has a children block", self.name_of(&n)),
                                "a second children block",
                            )
                            .help("put every child in one `{ ... }`"),
                        );
                        n.keep = false;
                    }
                    n.phase = Phase::AfterBlock;
                    return self.open_block(n, false);
                }
                b'/' if self.byte_at(self.pos + 1) == Some(b'/') => {
                    self.line_comment();
                    return self.finish(n);
                }
                b'/' if self.byte_at(self.pos + 1) == Some(b'-') => {
                    let sd = self.pos;
                    self.pos += 2;
                    self.skip_line_space();
                    match self.peek() {
                        Some(b'{') => {
                            if n.phase == Phase::Entries {
                                n.phase = Phase::AfterSlashdashedBlock;
                            }
                            return self.open_block(n, true);
                        }
                        None | Some(b'}' | b';') => {
                            self.error(
                                SyntaxError::new(
                                    self.span(sd, sd + 2),
                                    "`/-` comments out nothing",
                                    "expected an entry or a children block after it",
                                )
                                .help("remove the `/-`"),
                            );
                            n.keep = false;
                            space = false;
                        }
                        _ if n.phase != Phase::Entries => {
                            self.entry_after_block(&mut n);
                            space = false;
                        }
                        _ => match self.entry(false) {
                            Ok((_, trailing)) => space = trailing,
                            Err(Reported) => {
                                n.keep = false;
                                self.recover();
                                space = false;
                            }
                        },
                    }
                }
                _ => {
                    let nl = self.newline_len(self.pos);
                    if nl > 0 {
                        self.eat_newline(nl);
                        return self.finish(n);
                    }
                    if n.phase != Phase::Entries {
                        self.entry_after_block(&mut n);
                        space = false;
                        continue;
                    }
                    if !space {
                        self.adjacent(&n);
                        n.keep = false;
                        self.recover();
                        continue;
                    }
                    match self.entry(n.keep) {
                        Ok((end, trailing)) => {
                            n.end = end;
                            space = trailing;
                        }
                        Err(Reported) => {
                            n.keep = false;
                            self.recover();
                            space = false;
                        }
                    }
                }
            }
        }
    }

    fn entry_after_block(&mut self, n: &mut Building) {
        let what = if n.phase == Phase::AfterBlock {
            "its children block"
        } else {
            "a slashdashed children block"
        };
        self.error(
            SyntaxError::new(
                self.span(self.pos, self.pos + self.char_len(self.pos)),
                format!("`{}` has an entry after {what}", self.name_of(n)),
                "entries go before the children block",
            )
            .help(
                "move it before the `{`, or end the node with a newline or `;` to start a new one",
            ),
        );
        n.keep = false;
        self.recover();
    }

    /// An entry that touches what precedes it (`node"a"`, `a=1b=2`, `foo#bar`).
    fn adjacent(&mut self, n: &Building) {
        let at = self.pos;
        let c = self.char_at(at).unwrap_or('?');
        let prev = &self.text[n.start.max(self.line_start).min(at)..at];
        let prev_word: String = prev
            .rsplit([' ', '\t'])
            .next()
            .unwrap_or_default()
            .to_string();
        let starts_node =
            n.entries_start as usize == self.entries.len() && prev_word == self.name_of(n);
        let e = if c == '=' && starts_node {
            SyntaxError::new(
                self.span(n.start, at + 1),
                format!("`{prev_word}=` starts a new node: a property needs a node before it"),
                "a node name, not a property key",
            )
            .help("put the property on its node's line, or end the line before with `\\` to continue it")
        } else if matches!(c, '#' | '"' | '(' | ')' | '[' | ']' | '\\' | '/' | '=') {
            let end = self.word_end(at + c.len_utf8());
            let whole = format!("{prev_word}{}", &self.text[at..end]);
            SyntaxError::new(
                self.span(at, at + c.len_utf8()),
                format!("`{c}` cannot be part of the bare string `{prev_word}`"),
                "not allowed in a bare string",
            )
            .help(format!(
                "quote the string if `{c}` belongs to it (`\"{}\"`), or put a space before `{c}`",
                whole.replace('"', "\\\"")
            ))
        } else {
            SyntaxError::new(
                self.span(at, at + c.len_utf8()),
                "expected whitespace before this entry",
                "touches the value before it",
            )
            .help("separate arguments and properties with a space")
        };
        self.error(e);
    }

    /// One argument or property, pushed when `keep`. Returns where it ends and whether
    /// whitespace followed it (consumed while looking for `=`).
    fn entry(&mut self, keep: bool) -> Result<(usize, bool), Reported> {
        let start = self.pos;
        let mut key = None;
        let mut ty = None;
        if self.peek() == Some(b'(') {
            ty = Some(Box::new(self.type_annotation()?));
            self.skip_node_space();
        } else {
            let Some(tok) = self.token()? else {
                self.error(self.unexpected("an argument, a property or the end of the node"));
                return Err(Reported);
            };
            let value_span = self.span(start, self.pos);
            let trailing = self.skip_node_space();
            let s = match tok {
                Token::Str(s) if self.peek() == Some(b'=') => s,
                Token::Str(s) => {
                    return Ok(self.push_entry(
                        keep,
                        None,
                        None,
                        Value::String(s),
                        value_span,
                        start,
                        trailing,
                    ));
                }
                Token::Other(v) => {
                    return Ok(self.push_entry(keep, None, None, v, value_span, start, trailing));
                }
            };
            key = Some(Str {
                value: s,
                span: value_span,
            });
            self.pos += 1;
            self.skip_node_space();
            if self.starts_with(b"/-") {
                let k = &self.text[start..value_span.start as usize + value_span.len as usize];
                self.error(
                    SyntaxError::new(
                        self.span(self.pos, self.pos + 2),
                        "`/-` cannot comment out a property's value alone",
                        "slashdash after `=`",
                    )
                    .help(format!(
                        "put `/-` before `{k}` to comment out the whole property"
                    )),
                );
                return Err(Reported);
            }
            if self.peek() == Some(b'(') {
                ty = Some(Box::new(self.type_annotation()?));
                self.skip_node_space();
            }
        }
        let (value, value_span) = self.value(key.as_ref().map(|k| k.value.as_ref()))?;
        let trailing = self.skip_node_space();
        if key.is_none() && self.peek() == Some(b'=') && matches!(value, Value::String(_)) {
            self.error(
                SyntaxError::new(
                    self.span(start, self.pos + 1),
                    "a type annotation before a property key",
                    "types annotate values, not keys",
                )
                .help("write the type on the value: `key=(type)value`"),
            );
            return Err(Reported);
        }
        Ok(self.push_entry(keep, key, ty, value, value_span, start, trailing))
    }

    #[allow(clippy::too_many_arguments)]
    fn push_entry(
        &mut self,
        keep: bool,
        key: Option<Str<'a>>,
        ty: Option<Box<Str<'a>>>,
        value: Value<'a>,
        value_span: Span,
        start: usize,
        trailing: bool,
    ) -> (usize, bool) {
        if keep {
            self.entries.push(Entry {
                key,
                ty,
                value,
                value_span,
                start: start as u32,
            });
        }
        ((value_span.start + value_span.len) as usize, trailing)
    }

    /// A value token (string, number or keyword).
    fn value(&mut self, key: Option<&str>) -> Result<(Value<'a>, Span), Reported> {
        let start = self.pos;
        let what = || match key {
            Some(k) => format!("a value for `{k}=`"),
            None => "a value after the type annotation".to_string(),
        };
        if self.starts_with(b"/-") {
            self.error(
                SyntaxError::new(
                    self.span(start, start + 2),
                    format!("expected {}, found `/-`", what()),
                    "a slashdash cannot go here",
                )
                .help("`/-` goes before a whole node, entry or children block"),
            );
            return Err(Reported);
        }
        match self.token()? {
            Some(Token::Str(s)) => Ok((Value::String(s), self.span(start, self.pos))),
            Some(Token::Other(v)) => Ok((v, self.span(start, self.pos))),
            None => {
                self.error(self.unexpected(&what()));
                Err(Reported)
            }
        }
    }

    fn open_block(&mut self, mut n: Building, slashdashed: bool) {
        let open = self.pos;
        self.pos += 1;
        if n.entries_end.is_none() {
            n.entries_end = Some(self.entries.len() as u32);
        }
        if self.levels.len() > MAX_DEPTH {
            if !self.too_deep {
                self.too_deep = true;
                self.error(
                    SyntaxError::new(
                        self.span(open, open + 1),
                        format!("children blocks are nested more than {MAX_DEPTH} deep"),
                        format!("block {} levels deep", self.levels.len()),
                    )
                    .code(Code::KdlTooDeep)
                    .help("a stack needs a few levels of nesting; flatten this structure"),
                );
            }
            self.skip_block();
            n.keep = false;
            n.end = self.pos;
            return self.tail(n, false);
        }
        let keep = n.keep && !slashdashed;
        self.levels.push(Level {
            node: Some(n),
            open,
            keep,
            slashdashed,
            count: 0,
            misplaced: None,
        });
    }

    fn close_block(&mut self) {
        let close = self.pos;
        self.pos += 1;
        let level = self.levels.pop().expect("an open block");
        let mut n = level.node.expect("a block's node");
        if !level.slashdashed {
            n.children = level.count;
            n.block = self.span(level.open, close + 1);
            n.end = close + 1;
        }
        self.tail(n, false);
    }

    fn finish(&mut self, n: Building) {
        let Some(slot) = n.slot else { return };
        if !n.keep {
            // Broken after its name: drop it and everything read since.
            self.nodes.truncate(slot as usize);
            self.entries.truncate(n.entries_start as usize);
            return;
        }
        let end = n.entries_end.unwrap_or(self.entries.len() as u32);
        let subtree_end = self.nodes.len() as u32;
        let span = self.span(n.start, n.end);
        let d = &mut self.nodes[slot as usize];
        d.entries = (n.entries_start, end);
        d.span = span;
        d.subtree_end = subtree_end;
        d.children = n.children;
        d.block = n.block;
        if let Some(level) = self.levels.last_mut() {
            level.count += 1;
        }
    }
}
