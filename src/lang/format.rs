//! The canonical layout of stack files (`pmovesc fmt`, and what `pmovesc import` writes): one
//! node per line, four spaces per level, one space between a node's name and each entry, `{` on
//! the node's line and `}` on its own, at most one blank line between nodes and none at the
//! start or end of a block, no trailing whitespace, one newline at the end.
//!
//! The meaning never changes: names, values and type annotations are written exactly as they
//! were (`0o755` stays `0o755`, a raw string stays raw), entries keep their order, and every
//! comment and slashdashed node stays where it was, re-indented. A node whose line holds a
//! comment or a slashdashed entry between its entries keeps that line as written.

use std::fmt::Write;

use super::syntax::{Document, Node, Nodes};

const INDENT: &str = "    ";

/// The canonical text of a parsed document (`source` is the text it was parsed from).
pub fn format(doc: &Document<'_>, source: &str) -> String {
    let mut out = String::new();
    block(&mut out, source, doc.nodes(), 0, 0, source.len());
    let trimmed = out.trim_end_matches('\n').len();
    out.truncate(trimmed);
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// The nodes of a block (or the document), with the comments between them and after the last.
fn block(
    out: &mut String,
    source: &str,
    nodes: Nodes<'_>,
    depth: usize,
    mut at: usize,
    end: usize,
) {
    let mut first = true;
    // Inside a block the text starts on the line of `{`; the document starts on a line of its own.
    let mut on_a_line = at > 0;
    for node in nodes {
        let start = node.span().start as usize;
        between(out, &source[at..start], depth, first, on_a_line, true);
        // Recursion is bounded by the parser's nesting limit.
        one_node(out, source, node, depth);
        at = (node.span().start + node.span().len) as usize;
        first = false;
        on_a_line = true;
    }
    between(out, &source[at..end], depth, first, on_a_line, false);
}

/// The text between two nodes (or before the first, or after the last): a comment on the line
/// of what came before stays on that line; the other comment lines (and slashdashed nodes) keep
/// their place, and blank lines between them become one; none at the start or end of a block.
fn between(
    out: &mut String,
    text: &str,
    depth: usize,
    first: bool,
    on_a_line: bool,
    node_follows: bool,
) {
    let mut parts: Vec<&str> = text.split('\n').collect();
    if on_a_line {
        trailing_comment(out, parts.remove(0));
    }
    // What precedes the next node on its own line is indentation; at the end it may be a last
    // comment without a newline.
    let last = parts.pop().unwrap_or("");
    if !clean(last).is_empty() {
        parts.push(last);
    }
    // Runs of comment lines, each with whether a blank line came before it.
    let mut chunks: Vec<(bool, Vec<&str>)> = Vec::new();
    let mut blank = false;
    let mut open = false;
    for line in parts {
        if clean(line).is_empty() {
            blank = true;
            open = false;
            continue;
        }
        if open {
            if let Some((_, lines)) = chunks.last_mut() {
                lines.push(line);
            }
        } else {
            chunks.push((blank, vec![line]));
            blank = false;
            open = true;
        }
    }
    let mut emitted = !first;
    for (blank_before, lines) in &chunks {
        if *blank_before && emitted {
            out.push('\n');
        }
        indented(out, lines, depth);
        emitted = true;
    }
    if node_follows && blank && emitted {
        out.push('\n');
    }
}

/// A line without spaces, the `;` that ends a node and a line continuation `\` left between
/// nodes.
fn clean(line: &str) -> &str {
    line.trim_start_matches(|c: char| c == ';' || c == '\\' || c.is_whitespace())
        .trim_end()
}

/// A comment on the line of what came before, kept after it with one space.
fn trailing_comment(out: &mut String, same_line: &str) {
    let t = clean(same_line);
    if t.is_empty() {
        return;
    }
    if out.ends_with('\n') {
        out.pop();
    }
    out.push(' ');
    out.push_str(t);
    out.push('\n');
}

/// Lines re-indented to `depth`, their relative indentation kept.
fn indented(out: &mut String, lines: &[&str], depth: usize) {
    let common = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    for line in lines {
        let line = line.trim_end();
        let body = if line.len() >= common {
            &line[common..]
        } else {
            line.trim_start()
        };
        let body = match body.strip_prefix(';') {
            Some(rest) => rest.trim_start(),
            None => body,
        };
        for _ in 0..depth {
            out.push_str(INDENT);
        }
        out.push_str(body);
        out.push('\n');
    }
}

fn one_node(out: &mut String, source: &str, node: Node<'_>, depth: usize) {
    for _ in 0..depth {
        out.push_str(INDENT);
    }
    let span = node.span();
    let start = span.start as usize;
    let header_end = node
        .children_span()
        .map_or((span.start + span.len) as usize, |b| b.start as usize);
    if header_is_plain(source, node, start, header_end) {
        if let Some(ty) = node.ty() {
            let s = ty.span.start as usize;
            // The annotation's span is its string: write it with its parentheses.
            let _ = write!(out, "({})", &source[s..s + ty.span.len as usize]);
        }
        let name = node.name().span;
        out.push_str(&source[name.start as usize..(name.start + name.len) as usize]);
        for e in node.entries() {
            let s = e.span();
            out.push(' ');
            out.push_str(&source[s.start as usize..(s.start + s.len) as usize]);
        }
    } else {
        out.push_str(source[start..header_end].trim());
    }
    match (node.children(), node.children_span()) {
        (Some(children), Some(b)) => {
            let inner_start = b.start as usize + 1;
            let inner_end = (b.start + b.len) as usize - 1;
            let inner = &source[inner_start..inner_end];
            if children.is_empty() && inner.trim().is_empty() {
                out.push_str(" {}\n");
                return;
            }
            out.push_str(" {\n");
            block(out, source, children, depth + 1, inner_start, inner_end);
            while out.ends_with("\n\n") {
                out.pop();
            }
            for _ in 0..depth {
                out.push_str(INDENT);
            }
            out.push_str("}\n");
        }
        _ => out.push('\n'),
    }
}

/// Whether a node's line holds only its name, type annotation and entries (and the spaces, `=`
/// and parentheses between them): no comment, slashdash or line continuation to keep.
fn header_is_plain(source: &str, node: Node<'_>, start: usize, end: usize) -> bool {
    let mut covered: Vec<(usize, usize)> = Vec::new();
    let name = node.name().span;
    covered.push((name.start as usize, (name.start + name.len) as usize));
    if let Some(ty) = node.ty() {
        covered.push((
            ty.span.start as usize,
            (ty.span.start + ty.span.len) as usize,
        ));
    }
    for e in node.entries() {
        let s = e.span();
        covered.push((s.start as usize, (s.start + s.len) as usize));
    }
    covered.sort();
    let mut at = start;
    for (s, e) in covered {
        if s > at
            && !source[at..s]
                .chars()
                .all(|c| c.is_whitespace() || c == '(' || c == ')')
        {
            return false;
        }
        at = at.max(e);
    }
    at >= end || source[at..end].chars().all(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::syntax::{canonical, parse_text};

    fn fmt(text: &str) -> String {
        let (doc, errors) = parse_text(text, 0);
        assert!(errors.is_empty(), "{errors:?}");
        let out = format(&doc, text);
        let (again, errors) = parse_text(&out, 0);
        assert!(errors.is_empty(), "formatted text must parse:\n{out}");
        assert_eq!(
            canonical(&doc, text),
            canonical(&again, &out),
            "meaning changed:\n{out}"
        );
        let (doc2, _) = parse_text(&out, 0);
        assert_eq!(format(&doc2, &out), out, "not idempotent");
        out
    }

    #[test]
    fn layout_is_normalised() {
        let text = "service   \"web\"   {\n  image \"nginx:1.27\"\n\n\n\n        port 80   host=8080\n  env {\n A \"1\"\n }\n}\nnetwork \"api\"\n";
        assert_eq!(
            fmt(text),
            "service \"web\" {\n    image \"nginx:1.27\"\n\n    port 80 host=8080\n    env {\n        A \"1\"\n    }\n}\nnetwork \"api\"\n"
        );
    }

    #[test]
    fn comments_stay_where_they_were() {
        let text = "// head\n\n// about web\nservice \"web\" { // trailing\n    // inside\n    image \"x:1\" // why\n    /-port 80\n    /* block\n       comment */\n}\n// end\n";
        let out = fmt(text);
        assert_eq!(
            out,
            "// head\n\n// about web\nservice \"web\" { // trailing\n    // inside\n    image \"x:1\" // why\n    /-port 80\n    /* block\n       comment */\n}\n// end\n"
        );
    }

    #[test]
    fn values_are_written_as_they_were() {
        let out = fmt("tmpfs \"/t\" mode=0o755 size=#\"raw\"#\n(ty)node (u8)1 #true #null\n");
        assert_eq!(
            out,
            "tmpfs \"/t\" mode=0o755 size=#\"raw\"#\n(ty)node (u8)1 #true #null\n"
        );
    }

    #[test]
    fn a_header_with_a_comment_is_kept_as_written() {
        let out = fmt("node 1 /* one */ 2\nother /-3 4\n");
        assert_eq!(out, "node 1 /* one */ 2\nother /-3 4\n");
    }

    #[test]
    fn empty_blocks_and_semicolons() {
        assert_eq!(fmt("a {}\nb {  }\nc; d\n"), "a {}\nb {}\nc\nd\n");
        assert_eq!(fmt(""), "");
        assert_eq!(fmt("\n\n// only\n\n"), "// only\n");
    }
}
