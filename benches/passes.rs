//! Criterion benchmarks of every pass (parse, decode, resolve, validate, lower, emit), the whole
//! compile, and `check` on an unchanged output directory, at N = 100, 1,000 and 10,000
//! generated services (`pmovesc::stackgen`). Run: `cargo bench --bench passes`; one size:
//! `cargo bench --bench passes -- /1000`.

use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use pmovesc::analysis::{resolve, validate};
use pmovesc::diag::Diagnostics;
use pmovesc::lang::source::SourceMap;
use pmovesc::lang::{decode, syntax};
use pmovesc::output::{check, outdir, transaction};
use pmovesc::targets::compose::{emit, lower};
use pmovesc::{Options, analyze, compile};

const SIZES: &[usize] = &[100, 1_000, 10_000];

fn sources(n: usize) -> SourceMap {
    let mut s = SourceMap::new();
    for (name, text) in pmovesc::stackgen::generate(n) {
        s.add(name, text);
    }
    s
}

fn parse_all(s: &SourceMap) -> Vec<syntax::Document<'_>> {
    let mut d = Diagnostics::new();
    s.files()
        .map(|(id, _)| syntax::parse(s, id, &mut d).expect("parses"))
        .collect()
}

fn decode_all(docs: &[syntax::Document<'_>]) -> pmovesc::lang::model::Stack {
    let mut d = Diagnostics::new();
    let mut stack = pmovesc::lang::model::Stack::default();
    for doc in docs {
        stack.absorb(decode::decode(doc, &mut d));
    }
    stack
}

fn passes(c: &mut Criterion) {
    for &n in SIZES {
        let mut group = c.benchmark_group("pass");
        if n >= 10_000 {
            group
                .sample_size(10)
                .measurement_time(Duration::from_secs(20));
        } else if n >= 1_000 {
            group.sample_size(10);
        }
        let src = sources(n);
        let docs = parse_all(&src);
        let stack = decode_all(&docs);
        let resolved = resolve::resolve(stack.clone(), &mut Diagnostics::new()).expect("resolves");
        let models: Vec<_> = resolved
            .profiles
            .iter()
            .map(|p| lower::lower(&resolved, p))
            .collect();

        group.bench_with_input(BenchmarkId::new("parse", n), &src, |b, s| {
            b.iter(|| parse_all(s))
        });
        group.bench_with_input(BenchmarkId::new("decode", n), &docs, |b, d| {
            b.iter(|| decode_all(d))
        });
        group.bench_function(BenchmarkId::new("resolve", n), |b| {
            b.iter_batched(
                || stack.clone(),
                |s| resolve::resolve(s, &mut Diagnostics::new()),
                BatchSize::LargeInput,
            )
        });
        group.bench_with_input(BenchmarkId::new("validate", n), &resolved, |b, r| {
            b.iter(|| {
                let mut d = Diagnostics::new();
                validate::validate(r, &mut d);
                d
            })
        });
        group.bench_with_input(BenchmarkId::new("lower", n), &resolved, |b, r| {
            b.iter(|| {
                r.profiles
                    .iter()
                    .map(|p| lower::lower(r, p))
                    .collect::<Vec<_>>()
            })
        });
        group.bench_with_input(BenchmarkId::new("emit", n), &models, |b, m| {
            b.iter(|| {
                m.iter()
                    .map(|f| emit::compose_yaml(f, "pmovesc build s -o o"))
                    .collect::<Vec<_>>()
            })
        });
        group.finish();

        let mut group = c.benchmark_group("whole");
        group.sample_size(10);
        if n >= 10_000 {
            group.measurement_time(Duration::from_secs(30));
        }
        let options = Options {
            regenerate: "pmovesc build s -o o".into(),
            ..Default::default()
        };
        group.bench_with_input(BenchmarkId::new("analyze", n), &src, |b, s| {
            b.iter(|| analyze(s))
        });
        group.bench_with_input(BenchmarkId::new("compile", n), &src, |b, s| {
            b.iter(|| compile(s, &options))
        });
        // check on an unchanged output directory: compile, read OUT, compare.
        let out = tempfile::tempdir().expect("tempdir");
        let built = compile(&src, &options);
        transaction::write_outputs(out.path(), &built.files, &built.all_file_names, || {})
            .expect("write");
        group.bench_with_input(BenchmarkId::new("check", n), &src, |b, s| {
            b.iter(|| {
                let output = compile(s, &options);
                let on_disk = outdir::observe(out.path(), &output.files).expect("read");
                let findings = check::compare(&output.files, &on_disk, &output.all_file_names);
                assert!(findings.is_empty());
                findings
            })
        });
        group.finish();
    }
}

criterion_group!(benches, passes);
criterion_main!(benches);
