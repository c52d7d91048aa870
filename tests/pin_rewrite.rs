//! The in-place rewrite of `pin`, without a registry: the answers a registry would give are
//! made here, and the rewritten stack must differ from the original in the image strings only.
//! Tabs, CRLF line endings, trailing whitespace, comments, raw strings and non-ASCII text around
//! the image nodes are kept byte for byte. (`tests/registry.rs` runs the same through the real
//! binary against a real registry.)

use std::collections::BTreeMap;

use pmovesc::lang::source::SourceMap;
use pmovesc::registry::{self, remote::Digest};

fn digest(c: char) -> Digest {
    Digest::parse(&format!("sha256:{}", c.to_string().repeat(64))).unwrap()
}

/// Every lookup of the stack answered with a digest, in lookup order ('1', '2', ...).
fn rewrite(text: &str) -> (String, Vec<String>) {
    let mut sources = SourceMap::new();
    sources.add("stack/a.kdl", text);
    let (collected, diags) = registry::collect(&sources);
    assert!(!diags.has_errors(), "{diags:?}");
    let sites = collected.select(&[]).unwrap();
    let mut answers = BTreeMap::new();
    for (i, l) in registry::lookups(sites.iter().copied())
        .into_iter()
        .enumerate()
    {
        let c = char::from_digit(i as u32 + 1, 16).unwrap();
        answers.insert(l, Ok(digest(c)));
    }
    let results = registry::plan(&sites, &answers);
    let pinned: Vec<String> = results
        .iter()
        .filter_map(|r| r.outcome.new_image().map(str::to_string))
        .collect();
    let texts = registry::new_texts(&sources, &results).unwrap();
    (
        texts.get(&0).cloned().unwrap_or_else(|| text.to_string()),
        pinned,
    )
}

#[test]
fn pin_rewrite_keeps_tabs_crlf_comments_and_every_other_byte() {
    let text = "project \"t\"\r\n\
                // a comment with\ttabs and ünïcödé \r\n\
                service \"db\" {\r\n\
                \timage\t\"postgres:16\"   \t// trailing\ttab comment\r\n\
                \tenv {\r\n\
                \t\tGREETING \"grüße\tbeide\" \r\n\
                \t}\r\n\
                }\r\n\
                service \"cache\" {\n\
                \t  image #\"redis:7\"#\t\n\
                \twhen \"gpu\" {\n\
                \t\timage \"ghcr.io/x/cache-gpu:1\"\t/* block\tcomment */\n\
                \t}\n\
                }\n\t\n";
    let (after, pinned) = rewrite(text);
    assert_eq!(pinned.len(), 3, "{pinned:?}");
    // Put the old image strings back where the new ones are: the result is the original, byte
    // for byte (so nothing but the image tokens moved: not a tab, a space or a line ending).
    let mut restored = after.clone();
    for old_token in [
        "\"postgres:16\"",
        "#\"redis:7\"#",
        "\"ghcr.io/x/cache-gpu:1\"",
    ] {
        let image = old_token.trim_matches(['#', '"']);
        let new = pinned
            .iter()
            .find(|p| p.starts_with(&format!("{image}@sha256:")))
            .unwrap_or_else(|| panic!("{image} was not pinned: {pinned:?}"));
        let new_token = format!("\"{new}\"");
        assert!(
            restored.contains(&new_token),
            "{new_token} not in:\n{after}"
        );
        restored = restored.replacen(&new_token, old_token, 1);
    }
    assert_eq!(
        restored.as_bytes(),
        text.as_bytes(),
        "the rewrite changed other bytes:\n{after:?}"
    );
    assert_eq!(after.matches('\t').count(), text.matches('\t').count());
    assert_eq!(after.matches("\r\n").count(), text.matches("\r\n").count());
    assert!(pinned.iter().all(|p| p.contains("@sha256:")), "{pinned:?}");
}
