//! The PostgreSQL server the tests of the PostgreSQL backend use: `$FOLLOWUP_TEST_DATABASE`, a `postgres://`
//! URL (`.ci/run` starts a throwaway cluster and sets it, with `FOLLOWUP_REQUIRE_PG=1`). Without it these tests
//! pass without running, saying so, unless `FOLLOWUP_REQUIRE_PG=1` makes a missing server a failure.
//!
//! Each test works in a schema of its own, named after a key the test gives, so tests running at once never see
//! each other's tables.

#![allow(dead_code)]

use sha2::{Digest, Sha256};

/// The server's URL, or `None` when the tests of PostgreSQL are to be skipped.
///
/// # Panics
/// When `FOLLOWUP_REQUIRE_PG=1` and `FOLLOWUP_TEST_DATABASE` is unset.
pub fn server() -> Option<String> {
    match std::env::var("FOLLOWUP_TEST_DATABASE").ok().filter(|u| !u.trim().is_empty()) {
        Some(url) => Some(url),
        None if std::env::var("FOLLOWUP_REQUIRE_PG").as_deref() == Ok("1") => {
            panic!("FOLLOWUP_REQUIRE_PG=1 but FOLLOWUP_TEST_DATABASE names no PostgreSQL server")
        }
        None => {
            eprintln!("skipped: set FOLLOWUP_TEST_DATABASE to a postgres:// URL to run the tests of PostgreSQL");
            None
        }
    }
}

/// The schema name for `key`: `t_` and 20 hexadecimal digits of its SHA-256.
pub fn schema_name(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().take(10).map(|b| format!("{b:02x}")).collect();
    format!("t_{hex}")
}

/// A connection string for `base` whose search path is the schema for `key`, created if absent (empty if new).
pub fn schema_url(base: &str, key: &str) -> String {
    let schema = schema_name(key);
    run_sql(base, &format!("CREATE SCHEMA IF NOT EXISTS {schema}"));
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-csearch_path%3D{schema}")
}

/// Runs `sql` (one or more statements) on `url`, on a thread and runtime of its own.
///
/// # Panics
/// When the server cannot be reached or the statements fail.
pub fn run_sql(url: &str, sql: &str) {
    query(url, sql);
}

/// Runs `sql` on `url` and returns each row's columns as text.
///
/// # Panics
/// When the server cannot be reached or the statements fail.
pub fn query(url: &str, sql: &str) -> Vec<Vec<Option<String>>> {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.expect("connect");
            tokio::spawn(connection);
            let mut rows = Vec::new();
            for m in client.simple_query(&sql).await.unwrap_or_else(|e| panic!("{sql}: {e}")) {
                if let tokio_postgres::SimpleQueryMessage::Row(r) = m {
                    rows.push((0..r.len()).map(|i| r.get(i).map(str::to_owned)).collect());
                }
            }
            rows
        })
    })
    .join()
    .expect("the query thread")
}

/// Watches `pg_stat_activity` on one connection, in a loop, until a backend of `application` runs (or has just
/// run) a statement starting with `prefix`, and terminates it; gives up at `patience`. Returns the state and
/// statement of the backend it terminated (`None`: none met).
pub fn terminate_at(url: &str, application: &str, prefix: &str, patience: std::time::Duration) -> Option<String> {
    let (url, application, prefix) = (url.to_owned(), application.to_owned(), prefix.to_owned());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.expect("connect");
            tokio::spawn(connection);
            let sql = "SELECT pid, state, query FROM pg_stat_activity WHERE application_name = $1 \
                       AND pid <> pg_backend_pid() AND starts_with(query, $2)";
            let statement = client.prepare(sql).await.unwrap();
            let deadline = std::time::Instant::now() + patience;
            while std::time::Instant::now() < deadline {
                let rows = client.query(&statement, &[&application, &prefix]).await.unwrap();
                if let Some(row) = rows.first() {
                    let pid: i32 = row.get(0);
                    let state: Option<String> = row.get(1);
                    client.query("SELECT pg_terminate_backend($1)", &[&pid]).await.unwrap();
                    return Some(format!("{} {}", state.unwrap_or_default(), row.get::<_, String>(2)));
                }
            }
            None
        })
    })
    .join()
    .expect("the watching thread")
}
