//! Driving a [`Registry`] for many images at once: requests are grouped by registry, each
//! registry gets a bounded number of requests in flight, every request has a time limit, and a
//! registry that did not answer (unreachable, timed out) is not asked again in this run. One
//! slow registry therefore costs at most one time limit per request slot and never holds up
//! the others, which run alongside.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::Duration;

use futures_util::future::join_all;
use futures_util::stream::{self, StreamExt};
use tokio::sync::Semaphore;

use super::Lookup;
use super::remote::{Digest, ErrorKind, Registry, RegistryError, Repository};
use super::verify::{Answer, Probe, Target};

/// How hard to press the registries.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Requests in flight to one registry.
    pub per_registry: usize,
    /// Requests in flight overall.
    pub total: usize,
    /// Time limit of one request (connect, authenticate, answer).
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            per_registry: 4,
            total: 16,
            timeout: Duration::from_secs(30),
        }
    }
}

/// Runs `job` for every key, grouped by registry (the `String` of each pair), under `limits`.
pub async fn per_registry<K, T, F, Fut>(
    jobs: Vec<(String, K)>,
    limits: Limits,
    job: F,
) -> Vec<(K, Result<T, RegistryError>)>
where
    K: Clone,
    F: Fn(K) -> Fut,
    Fut: Future<Output = Result<T, RegistryError>>,
{
    let total = Semaphore::new(limits.total.max(1));
    let mut groups: BTreeMap<String, Vec<K>> = BTreeMap::new();
    for (registry, key) in jobs {
        groups.entry(registry).or_default().push(key);
    }
    let job = &job;
    let total = &total;
    let runs = groups.into_iter().map(|(registry, keys)| async move {
        let down: RefCell<Option<String>> = RefCell::new(None);
        let down = &down;
        let registry = &registry;
        stream::iter(keys)
            .map(|key| async move {
                // A registry that stopped answering is not asked again, checked both before and
                // after waiting for a permit (it may have gone down meanwhile).
                let not_asked = || {
                    down.borrow().clone().map(|first| {
                        RegistryError::new(
                            ErrorKind::Unreachable,
                            format!(
                                "not asked: {registry} did not answer an earlier request ({first})"
                            ),
                        )
                    })
                };
                if let Some(e) = not_asked() {
                    return (key, Err(e));
                }
                let _permit = total.acquire().await;
                if let Some(e) = not_asked() {
                    return (key, Err(e));
                }
                let result = match tokio::time::timeout(limits.timeout, job(key.clone())).await {
                    Ok(r) => r,
                    Err(_) => Err(RegistryError::new(
                        ErrorKind::Timeout,
                        format!("no answer within {}s", limits.timeout.as_secs_f64()),
                    )),
                };
                if let Err(e) = &result
                    && e.kind.registry_down()
                {
                    down.borrow_mut().get_or_insert_with(|| e.to_string());
                }
                (key, result)
            })
            .buffer_unordered(limits.per_registry.max(1))
            .collect::<Vec<_>>()
            .await
    });
    join_all(runs).await.into_iter().flatten().collect()
}

/// Resolves every lookup once.
pub async fn resolve_all<R: Registry>(
    registry: &R,
    lookups: &BTreeSet<Lookup>,
    limits: Limits,
) -> BTreeMap<Lookup, Result<Digest, RegistryError>> {
    let jobs = lookups
        .iter()
        .map(|l| (l.repo.registry.clone(), l.clone()))
        .collect();
    per_registry(jobs, limits, |l: Lookup| async move {
        registry.resolve(&l.repo, &l.tag).await
    })
    .await
    .into_iter()
    .collect()
}

/// Asks the registry the probes each pinned target needs; returns them per target index.
pub async fn gather<R: Registry>(
    registry: &R,
    targets: &[Target],
    probes: impl Fn(&Digest) -> Vec<Probe>,
    limits: Limits,
) -> BTreeMap<usize, Vec<(Probe, Result<Answer, RegistryError>)>> {
    let mut jobs = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        let (Some(repo), Some(digest)) = (&t.repo, &t.digest) else {
            continue;
        };
        for p in probes(digest) {
            jobs.push((repo.registry.clone(), (i, repo.clone(), digest.clone(), p)));
        }
    }
    let answers = per_registry(
        jobs,
        limits,
        |(_, repo, digest, probe): (usize, Repository, Digest, Probe)| async move {
            match probe {
                Probe::Exists => registry
                    .manifest_exists(&repo, digest.as_str())
                    .await
                    .map(Answer::Found),
                Probe::Tag(tag) => registry
                    .manifest_exists(&repo, &tag)
                    .await
                    .map(Answer::Found),
                Probe::Referrers => registry
                    .referrer_types(&repo, &digest)
                    .await
                    .map(Answer::Types),
            }
        },
    )
    .await;
    let mut out: BTreeMap<usize, Vec<_>> = BTreeMap::new();
    for ((i, _, _, probe), answer) in answers {
        out.entry(i).or_default().push((probe, answer));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    /// A registry where `slow.example` never answers and the others answer at once.
    struct Fake {
        calls: Cell<usize>,
    }

    impl Registry for Fake {
        async fn resolve(&self, repo: &Repository, tag: &str) -> Result<Digest, RegistryError> {
            self.calls.set(self.calls.get() + 1);
            if repo.registry == "slow.example" {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            if tag == "missing" {
                return Err(RegistryError::new(ErrorKind::NotFound, "no such tag"));
            }
            Ok(Digest::parse(&format!("sha256:{}", "0".repeat(64))).unwrap())
        }
        async fn manifest_exists(&self, _: &Repository, _: &str) -> Result<bool, RegistryError> {
            Ok(true)
        }
        async fn referrer_types(
            &self,
            _: &Repository,
            _: &Digest,
        ) -> Result<Vec<String>, RegistryError> {
            Ok(vec![])
        }
    }

    fn lookup(registry: &str, repo: &str, tag: &str) -> Lookup {
        Lookup {
            repo: Repository {
                registry: registry.into(),
                path: repo.into(),
            },
            tag: tag.into(),
        }
    }

    #[test]
    fn a_slow_registry_does_not_stall_the_others() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut lookups = BTreeSet::new();
        for i in 0..10 {
            lookups.insert(lookup("slow.example", &format!("r{i}"), "1"));
            lookups.insert(lookup("fast.example", &format!("r{i}"), "1"));
        }
        lookups.insert(lookup("fast.example", "x", "missing"));
        let fake = Fake {
            calls: Cell::new(0),
        };
        let limits = Limits {
            per_registry: 2,
            total: 8,
            timeout: Duration::from_millis(300),
        };
        // No clock is read: that the slow registry held nothing up shows in the answers (every
        // fast lookup answered) and in the calls (the slow one was given up on, not waited out).
        let answers = rt.block_on(resolve_all(&fake, &lookups, limits));
        assert_eq!(answers.len(), 21);
        let fast_ok = answers
            .iter()
            .filter(|(l, r)| l.repo.registry == "fast.example" && r.is_ok())
            .count();
        assert_eq!(fast_ok, 10);
        let slow: Vec<_> = answers
            .iter()
            .filter(|(l, _)| l.repo.registry == "slow.example")
            .map(|(_, r)| r.as_ref().unwrap_err().kind)
            .collect();
        assert!(slow.iter().all(|k| k.registry_down()), "{slow:?}");
        // Only the first requests in flight waited; the rest were not sent.
        assert!(fake.calls.get() <= 11 + 2, "{} calls", fake.calls.get());
        let missing = &answers[&lookup("fast.example", "x", "missing")];
        assert_eq!(missing.as_ref().unwrap_err().kind, ErrorKind::NotFound);
    }
}
