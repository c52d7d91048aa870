//! The one place an oracle may be skipped. A test whose oracle (an outside tool, a schema file,
//! a kernel feature) cannot run here calls [`oracle_missing`]; nothing else may skip.
//!
//! What happens then:
//! - by default the test **fails**, naming the oracle and how to install it: a plain
//!   `cargo test` on a machine without the tools shows every missing oracle by test name;
//! - with `PMOVESC_ALLOW_SKIPS=1` (a developer's explicit opt-out) the oracle part is skipped
//!   and a `SKIPPED <test>: <oracle>` line is written straight to the terminal (past libtest's
//!   output capture, so it shows in plain `cargo test` output); the spec runner reports such a
//!   case as `ignored (<reason>)`;
//! - with `PMOVESC_REQUIRE_ORACLES=1` (set by `.ci/run`) it always fails, whatever else is set.
//!
//! `.ci/run` also fails when its test log holds a `SKIPPED` line.

use std::cell::RefCell;
use std::io::Write;

/// The marker `.ci/run` looks for in the test log.
pub const SKIP_MARKER: &str = "SKIPPED (oracle did not run)";

fn env_is(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "1")
}

/// Whether missing oracles may be skipped here (and are not required).
pub fn skips_allowed() -> bool {
    !env_is("PMOVESC_REQUIRE_ORACLES") && env_is("PMOVESC_ALLOW_SKIPS")
}

thread_local! {
    /// The test running on this thread, for harnesses that do not name their threads.
    static TEST_NAME: RefCell<Option<String>> = const { RefCell::new(None) };
    /// Oracles skipped on this thread since the last [`take_skipped`] (the spec runner turns
    /// them into an `ignored` outcome).
    static SKIPPED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Names the test running on this thread (the spec runner's worker threads are not named).
pub fn set_current_test(name: &str) {
    TEST_NAME.with(|t| *t.borrow_mut() = Some(name.to_string()));
}

/// The name of the running test (libtest names its threads after it).
pub fn current_test() -> String {
    TEST_NAME
        .with(|t| t.borrow().clone())
        .or_else(|| std::thread::current().name().map(str::to_string))
        .unwrap_or_else(|| "(unnamed test)".to_string())
}

/// Reports that `what` (an oracle, with how to get it) cannot run here. Fails the test unless
/// skips are allowed; then records and prints the skip and returns, and the caller goes on
/// without that oracle.
#[track_caller]
pub fn oracle_missing(what: &str) {
    let test = current_test();
    if !skips_allowed() {
        let why = if env_is("PMOVESC_REQUIRE_ORACLES") {
            "PMOVESC_REQUIRE_ORACLES=1: every oracle must run"
        } else {
            "install it, or set PMOVESC_ALLOW_SKIPS=1 to run the rest without it"
        };
        panic!("ORACLE MISSING in {test}: {what} is not available ({why})");
    }
    // Once per oracle per test (a spec case asks for the same oracle once per file).
    let first = SKIPPED.with(|s| {
        let mut s = s.borrow_mut();
        let first = !s.iter().any(|w| w == what);
        if first {
            s.push(what.to_string());
        }
        first
    });
    if !first {
        return;
    }
    // Straight to the terminal: libtest captures `eprintln!` of passing tests.
    let _ = writeln!(
        std::io::stderr().lock(),
        "{SKIP_MARKER}: {test}: {what} is not available"
    );
}

/// The oracles skipped on this thread since the last call.
pub fn take_skipped() -> Vec<String> {
    SKIPPED.with(|s| std::mem::take(&mut *s.borrow_mut()))
}
