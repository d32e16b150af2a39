//! The module boundaries ARCHITECTURE.md states, checked on the source tree: only the sled backend names sled, only
//! the PostgreSQL backend names its client, only the server knows HTTP, only the command line reads argv or the
//! environment, and only the two front ends (the command line, the server) read the clock for a default.

use std::path::{Path, PathBuf};

/// Every Rust source file under `dir`, recursively.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The files of the library crates and the binary (not tests, benches or examples) holding any of `needles`
/// outside the directories `allowed`, relative to the workspace.
fn offenders(needles: &[&str], allowed: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in ["src", "events/src", "projections/src"] {
        for file in sources(&root.join(dir)) {
            let rel = file.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if allowed.iter().any(|a| rel.starts_with(a)) {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            for (n, line) in text.lines().enumerate() {
                if needles.iter().any(|needle| names(line, needle)) {
                    out.push(format!("{rel}:{}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    out
}

/// Whether `line` holds `needle` as a name of its own: not preceded by a letter, digit or `_`, and, when the
/// needle ends in a letter, not followed by one (`use sled` is sled, `use sled_backend` is not).
fn names(line: &str, needle: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    line.match_indices(needle).any(|(i, _)| {
        let before = line[..i].chars().next_back().is_none_or(|c| !word(c));
        let after = !needle.ends_with(word) || line[i + needle.len()..].chars().next().is_none_or(|c| !word(c));
        before && after
    })
}

#[test]
fn only_the_sled_backend_names_sled() {
    let found = offenders(&["sled::", "use sled", "::sled", "extern crate sled"], &["src/store/sled_backend/"]);
    assert!(found.is_empty(), "sled named outside src/store/sled_backend/:\n{}", found.join("\n"));
}

#[test]
fn only_the_command_line_reads_argv_the_environment_or_a_default_from_the_clock() {
    // `env::` catches `std::env::var`, `env::var_os`, `env::args_os`, and `use std::{env, ..}` followed by any of
    // them; the clock: calls of `now()` and the system clock. (A store's clock is passed as `Timestamp::now`,
    // uncalled: transaction time is the store's own.)
    let found = offenders(&["env::", "dirs::"], &["src/cli/"]);
    assert!(found.is_empty(), "argv or environment read outside src/cli/:\n{}", found.join("\n"));
    let clock = ["Timestamp::now()", "Zoned::now", "SystemTime", "UNIX_EPOCH"];
    let found = offenders(&clock, &["src/cli/", "src/server/"]);
    assert!(found.is_empty(), "the clock read outside src/cli/ and src/server/:\n{}", found.join("\n"));
}

#[test]
fn only_the_server_knows_http() {
    let found = offenders(&["axum", "tower_http", "askama", "http::", "ureq"], &["src/server/", "src/cli/remote.rs"]);
    assert!(found.is_empty(), "HTTP named outside src/server/ (and the CLI's client):\n{}", found.join("\n"));
}

#[test]
fn only_the_postgresql_backend_names_postgresql_s_client() {
    let found = offenders(&["tokio_postgres", "deadpool_postgres", "deadpool"], &["src/store/postgres.rs"]);
    assert!(found.is_empty(), "PostgreSQL's client named outside src/store/postgres.rs:\n{}", found.join("\n"));
}
