//! Macro UI tests: what compiles, and the exact error for each misuse (`tests/ui/fail/*.stderr`).
//! Refresh the snapshots after a deliberate change with
//! `TRYBUILD=overwrite cargo test -p nestish-macros --test ui`,
//! then review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
