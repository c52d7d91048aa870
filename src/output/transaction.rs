//! Writing a build into OUT all or nothing, even when killed at any moment or run twice at once.
//!
//! Under an exclusive lock on OUT (a second build waits for the first):
//!
//! 1. A journal left by a build that stopped after its commit point is finished first, and
//!    leftover temporary files are removed.
//! 2. Every changed file goes to a new temporary file (unpredictable name, created exclusively,
//!    synced).
//! 3. The journal, listing every rename and removal, is written the same way and renamed to
//!    `.pmovesc-journal`, and the directory is synced: the commit point.
//! 4. The renames and removals are done, the directory is synced, the journal is removed.
//!
//! Stopped before 3, OUT holds the old set (and temporary files the next build removes and
//! `check` reports); after it, the next build finishes the new set before anything else, and
//! `check` reports the unfinished build until then. Either way no file is ever half written.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use super::outdir::{Entry, JOURNAL_FILE, OutDir, TEMP_PREFIX};

const JOURNAL_MAGIC: &str = "pmovesc journal 1";
/// A journal is a list of names; a bigger file is not one pmovesc wrote.
const JOURNAL_LIMIT: u64 = 16 << 20;

/// One step of a committed build.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// A temporary file becomes a generated file.
    Rename { from: String, to: String },
    /// A file pmovesc generated that no build produces any more.
    Remove(String),
}

/// A name the journal may hold: one entry of OUT (no `/`, not `.` or `..`, one line).
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\0', '\n', '\r'])
        && name != JOURNAL_FILE
}

fn render(steps: &[Step]) -> String {
    let mut out = format!("{JOURNAL_MAGIC}\n");
    for step in steps {
        match step {
            Step::Rename { from, to } => out.push_str(&format!("rename {from} {to}\n")),
            Step::Remove(name) => out.push_str(&format!("remove {name}\n")),
        }
    }
    out
}

fn parse(text: &str) -> Option<Vec<Step>> {
    let mut lines = text.lines();
    if lines.next()? != JOURNAL_MAGIC {
        return None;
    }
    let mut steps = Vec::new();
    for line in lines {
        let step = match line.split(' ').collect::<Vec<_>>().as_slice() {
            ["rename", from, to]
                if from.starts_with(TEMP_PREFIX) && plain_name(from) && plain_name(to) =>
            {
                Step::Rename {
                    from: from.to_string(),
                    to: to.to_string(),
                }
            }
            ["remove", name] if plain_name(name) && !name.starts_with(TEMP_PREFIX) => {
                Step::Remove(name.to_string())
            }
            _ => return None,
        };
        steps.push(step);
    }
    Some(steps)
}

/// Does the steps of a committed build, then removes its journal. Every step may already have
/// been done (the build was killed in the middle of them): a temporary file that is gone was
/// renamed, a file that is gone was removed.
fn apply(dir: &OutDir, steps: &[Step]) -> io::Result<()> {
    for step in steps {
        match step {
            Step::Rename { from, to } => match dir.read(from, 0)? {
                Entry::Missing => {}
                _ => dir.rename(from, to)?,
            },
            // Only while it still carries the header: a file put there since is not ours.
            Step::Remove(name) => {
                if dir.read(name, 0)?.is_generated(name) {
                    dir.remove(name)?;
                }
            }
        }
    }
    dir.sync()?;
    dir.remove(JOURNAL_FILE)?;
    // Only the journal's removal is at stake: after a crash, a journal whose steps are all done
    // is finished by the next build at no cost.
    let _ = dir.sync();
    Ok(())
}

/// What a build found left by an earlier one, and finished or removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Recovered {
    /// A build stopped after its commit point was finished.
    pub finished: bool,
    /// Leftover temporary files removed.
    pub temps_removed: usize,
}

/// Finishes a committed build whose journal is still in OUT and removes leftover temporary
/// files. Call it with the exclusive lock held.
pub fn recover(dir: &OutDir) -> io::Result<Recovered> {
    let mut recovered = Recovered::default();
    match dir.read(JOURNAL_FILE, JOURNAL_LIMIT)? {
        Entry::Missing => {}
        Entry::Text(text) => {
            let steps = parse(&text).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{} is not a journal pmovesc wrote; look at it, remove it and build again",
                        dir.path().join(JOURNAL_FILE).display()
                    ),
                )
            })?;
            apply(dir, &steps)?;
            recovered.finished = true;
        }
        other => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{} is {}, not a journal pmovesc wrote; remove it and build again",
                    dir.path().join(JOURNAL_FILE).display(),
                    other.describe()
                ),
            ));
        }
    }
    for name in dir.scan()?.temps {
        dir.remove(&name)?;
        recovered.temps_removed += 1;
    }
    if recovered.temps_removed > 0 {
        dir.sync()?;
    }
    Ok(recovered)
}

/// What a write did.
#[derive(Debug, Default)]
pub struct WriteReport {
    pub written: Vec<String>,
    pub unchanged: Vec<String>,
    pub removed: Vec<String>,
    pub recovered: Recovered,
}

/// Why a write failed, and what state it left OUT in.
#[derive(Debug)]
pub struct WriteError {
    pub error: io::Error,
    /// The build passed its commit point: OUT holds part of it until the next build finishes it
    /// (`check` says so meanwhile). Otherwise no generated file was changed.
    pub committed: bool,
}

impl From<io::Error> for WriteError {
    fn from(error: io::Error) -> Self {
        WriteError {
            error,
            committed: false,
        }
    }
}

/// Writes `files` into OUT (created if missing) all or nothing. A file that is there but was not
/// generated by pmovesc (or is a link, a FIFO, ...) is never replaced: the build is refused
/// before anything is written. Files carrying the header that no build of the stack produces
/// (`known` lists every name a full build writes) are removed. Unchanged files are not touched.
/// `on_wait` is called when another build holds OUT and this one waits for it.
pub fn write_outputs(
    out: &Path,
    files: &BTreeMap<String, String>,
    known: &[String],
    on_wait: impl FnOnce(),
) -> Result<WriteReport, WriteError> {
    let dir = OutDir::create(out)?;
    dir.lock(true, on_wait)?;
    let mut report = WriteReport {
        recovered: recover(&dir)?,
        ..WriteReport::default()
    };
    let mut changed: Vec<(&str, &str)> = Vec::new();
    let mut foreign: Vec<String> = Vec::new();
    for (name, contents) in files {
        // Nothing longer than the new file needs reading: it differs anyway.
        match dir.read(name, contents.len() as u64)? {
            Entry::Missing => changed.push((name, contents)),
            Entry::Text(text) if text == *contents => report.unchanged.push(name.clone()),
            entry @ (Entry::Text(_) | Entry::Unread { .. }) if entry.is_generated(name) => {
                changed.push((name, contents));
            }
            Entry::NotRegular(kind) => foreign.push(format!("{name} ({kind})")),
            _ => foreign.push(name.clone()),
        }
    }
    // Never overwrite a file pmovesc did not write (a hand-kept env.shared full of credentials,
    // say): refuse before anything is written.
    if !foreign.is_empty() {
        let one = foreign.len() == 1;
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} already exist{} in {} and {} not generated by pmovesc; move {} away (or delete {}) and build again",
                foreign.join(", "),
                if one { "s" } else { "" },
                out.display(),
                if one { "was" } else { "were" },
                if one { "it" } else { "them" },
                if one { "it" } else { "them" },
            ),
        )
        .into());
    }
    let removals: Vec<String> = dir
        .scan()?
        .ours
        .into_iter()
        .filter(|name| !files.contains_key(name) && !known.contains(name))
        .collect();
    if changed.is_empty() && removals.is_empty() {
        return Ok(report);
    }
    let mut steps = Vec::new();
    let mut temps = Vec::new();
    let staged = (|| {
        for (name, contents) in &changed {
            let from = dir.write_temp(contents.as_bytes())?;
            temps.push(from.clone());
            steps.push(Step::Rename {
                from,
                to: name.to_string(),
            });
        }
        steps.extend(removals.iter().cloned().map(Step::Remove));
        let journal = dir.write_temp(render(&steps).as_bytes())?;
        temps.push(journal.clone());
        dir.rename(&journal, JOURNAL_FILE)?;
        dir.sync()
    })();
    if let Err(error) = staged {
        // Before the commit point (or at it, if the directory sync failed, and then the next
        // build finishes it): what is there is the old set.
        let committed = !matches!(dir.read(JOURNAL_FILE, 0), Ok(Entry::Missing));
        if !committed {
            for temp in &temps {
                let _ = dir.remove(temp);
            }
        }
        return Err(WriteError { error, committed });
    }
    apply(&dir, &steps).map_err(|error| WriteError {
        error,
        committed: true,
    })?;
    report.written = changed.iter().map(|(name, _)| name.to_string()).collect();
    report.removed = removals;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journals_round_trip_and_planted_ones_are_refused() {
        let steps = vec![
            Step::Rename {
                from: format!("{TEMP_PREFIX}00ff"),
                to: "compose.yml".into(),
            },
            Step::Remove("old.yml".into()),
        ];
        assert_eq!(parse(&render(&steps)), Some(steps));
        for bad in [
            "rename .pmovesc-tmp-1 ../x",
            "rename .pmovesc-tmp-1 a/b",
            "rename other compose.yml",
            "rename .pmovesc-tmp-1 .pmovesc-journal",
            "remove ..",
            "remove .pmovesc-tmp-1",
            "remove",
            "chmod x",
        ] {
            assert_eq!(parse(&format!("{JOURNAL_MAGIC}\n{bad}\n")), None, "{bad}");
        }
        assert_eq!(parse("rename .pmovesc-tmp-1 a\n"), None);
    }
}
