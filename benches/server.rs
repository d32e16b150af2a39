//! The team server under load: a store of generated events (1,000,000 by default, `FOLLOWUP_BENCH_EVENTS`),
//! served in process over a real socket; 64 concurrent HTTP clients (keep-alive, one connection each, driven
//! from one client thread) ask for the head, one report's status, one recommendation's timeline, append with
//! expected versions, and last ask for the summary and the status of every report. Each prints requests/s,
//! p50/p99 latency and CPU time per request; appends are set beside 64 in-process appenders on the same store in
//! the same run, the group commit's own rate.
//!
//! Run: `cargo bench --bench server` (`FOLLOWUP_BENCH_EVENTS=100000` for a shorter run). Figures, not asserts.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use events::{Line, StreamId};
use followup::access::{AccessFile, Role};
use followup::server::{self, Options};
use followup::{EventStore, ExpectedVersion, Pending};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

// The binary's allocator, so that the figures are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CLIENTS: usize = 64;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// The CPU time this process has used (user and system, every thread), from `/proc/self/stat` in clock ticks
/// of 10 ms; `None` where there is no such file.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// `, 0.41 ms CPU each` of `n` operations since `cpu_before`, clients' and server's together.
fn cpu_each(cpu_before: Option<f64>, n: usize) -> String {
    match (cpu_before, cpu_seconds()) {
        (Some(a), Some(b)) => format!(", {:.2} ms CPU each", (b - a) * 1e3 / n as f64),
        _ => String::new(),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// Runs `per_client` requests on each of `CLIENTS` keep-alive connections, driven from one client thread
/// asynchronously (hyper's HTTP/1 client): 64 blocking clients on threads took 0.17 ms of CPU per request of the
/// head, these 0.03 ms, so the server keeps the cores it is measured on. `request(client, i)` builds the request;
/// `answered(client, status)` sees each answer. Prints the rate, the latencies and the CPU time per request
/// (clients' and server's together) under `name`; returns the rate.
fn load_async(
    addr: std::net::SocketAddr,
    name: &str,
    per_client: usize,
    request: impl Fn(usize, usize) -> hyper::Request<Full<Bytes>>,
    answered: impl Fn(usize, u16),
) -> f64 {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("client runtime");
    let (t, cpu) = (Instant::now(), cpu_seconds());
    let (request, answered) = (&request, &answered);
    let results: Vec<(Vec<Duration>, usize)> = rt.block_on(async {
        let clients = (0..CLIENTS).map(|c| async move {
            let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
            stream.set_nodelay(true).expect("nodelay");
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("handshake");
            tokio::spawn(connection);
            let mut took = Vec::with_capacity(per_client);
            let mut bytes = 0;
            for i in 0..per_client {
                let t = Instant::now();
                sender.ready().await.expect("connection");
                let r = sender.send_request(request(c, i)).await.expect("request");
                let status = r.status().as_u16();
                let body = r.into_body().collect().await.expect("body").to_bytes();
                took.push(t.elapsed());
                assert!(status < 300, "{name}: status {status}: {}", String::from_utf8_lossy(&body));
                answered(c, status);
                bytes += body.len();
            }
            (took, bytes)
        });
        futures_util::future::join_all(clients).await
    });
    let elapsed = t.elapsed();
    let mut took: Vec<Duration> = results.iter().flat_map(|(t, _)| t.iter().copied()).collect();
    let bytes: usize = results.iter().map(|(_, b)| b).sum();
    took.sort();
    let rate = took.len() as f64 / elapsed.as_secs_f64();
    println!(
        "{:<52} {:>9.0} requests/s  p50 {:>10}  p99 {:>10}  ({} requests, {:.1} KiB{})",
        format!("{name} ({CLIENTS} connections)"),
        rate,
        ms(percentile(&took, 0.5)),
        ms(percentile(&took, 0.99)),
        took.len(),
        bytes as f64 / took.len() as f64 / 1024.0,
        cpu_each(cpu, took.len())
    );
    rate
}

fn body(mut r: ureq::http::Response<ureq::Body>) -> (u16, usize) {
    let mut buf = Vec::new();
    r.body_mut().as_reader().read_to_end(&mut buf).expect("body");
    (r.status().as_u16(), buf.len())
}

fn main() {
    let n: usize = std::env::var("FOLLOWUP_BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let base = PathBuf::from(std::env::var("FOLLOWUP_BENCH_DIR").unwrap_or_else(|_| "target/bench".into()));
    std::fs::create_dir_all(&base).expect("bench directory");
    let work = tempfile::tempdir_in(&base).expect("temporary directory");
    eprintln!("server benchmark: {n} events under {}", work.path().display());

    let input = work.path().join("history.jsonl");
    {
        let mut w = BufWriter::new(File::create(&input).expect("input"));
        for e in followup::generate(followup::GenerateOptions { reports: n.div_ceil(80) + 1, seed: 2026 }).take(n) {
            w.write_all(e.to_line().as_bytes()).expect("write");
            w.write_all(b"\n").expect("write");
        }
    }
    let dir = work.path().join("store");
    let store: Arc<dyn EventStore> = Arc::new(followup::SledStore::open(&dir).expect("store"));
    let t = Instant::now();
    followup::import(&*store, BufReader::with_capacity(1 << 20, File::open(&input).expect("input")), "bench", |_| {})
        .expect("import");
    eprintln!("imported {n} events in {:.1} s", t.elapsed().as_secs_f64());

    // The streams to read and append to: 64 recommendations of the log, and one report.
    let mut streams: Vec<StreamId> = Vec::new();
    for e in store.events(1).filter_map(|e| e.ok()) {
        if e.stream.recommendation().is_some() && !streams.contains(&e.stream) {
            streams.push(e.stream.clone());
            if streams.len() == CLIENTS {
                break;
            }
        }
    }
    let report = streams[0].report().to_owned();

    let access = AccessFile::in_dir(&dir);
    let now = jiff::Timestamp::now();
    access.add_user("bench", Role::Admin, "bench password", now).expect("user");
    let (token, _) = access.create_token("bench", 1, now).expect("token");
    let auth = format!("Bearer {token}");

    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let t = Instant::now();
    let running = rt
        .block_on(server::start(
            Arc::clone(&store),
            access,
            "127.0.0.1:0".parse().expect("address"),
            Options::default(),
        ))
        .expect("server");
    let base = format!("http://{}", running.addr);
    // The first answer waits for the live models to fold the log.
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let first = body(agent.get(format!("{base}/api/v1/head")).header("Authorization", &auth).call().expect("head"));
    assert_eq!(first.0, 200);
    let (status, _) =
        body(agent.get(format!("{base}/api/v1/summary")).header("Authorization", &auth).call().expect("summary"));
    assert_eq!(status, 200);
    println!("server started and live models folded {n} events: {:.1} s", t.elapsed().as_secs_f64());

    let host = running.addr.to_string();
    let get = |path: &str| {
        hyper::Request::get(path)
            .header("Host", &host)
            .header("Authorization", &auth)
            .body(Full::new(Bytes::new()))
            .expect("request")
    };
    // FOLLOWUP_BENCH_ONLY=append skips the reads (for profiling the appends).
    let reads = std::env::var("FOLLOWUP_BENCH_ONLY").map_or(true, |v| v != "append");
    let ok = |_: usize, status: u16| assert_eq!(status, 200);
    // The floor: the cheapest authenticated request, the head.
    load_async(running.addr, "head: HTTP and the token alone", 50, |_, _| get("/api/v1/head"), ok);
    if reads {
        let report_status = format!("/api/v1/status?report={report}&as_of=2030-12-31");
        load_async(running.addr, "status of one report", 50, |_, _| get(&report_status), ok);
        let paths: Vec<String> =
            streams.iter().map(|s| format!("/api/v1/timeline?rec={}", s.as_str().replace('/', "%2F"))).collect();
        load_async(running.addr, "timeline of one recommendation", 50, |c, _| get(&paths[c]), ok);
        load_async(running.addr, "the register's first page (HTML)", 10, |_, _| get("/?as_of=2030-12-31"), ok);
    }

    // Appends: each client to its own stream, with the version it last saw as If-Match.
    let action = |stream: &StreamId, i: usize| -> String {
        format!(
            r#"[{{"type":"action_taken","occurred":"2024-03","source":{{"document":"Bench","locator":"{i}"}},"data":{{"summary":"Appended action number {i}: the executive reported progress on the aftercare programme to the council committee {stream}.","amount":{{"value":{},"currency":"EUR"}}}}}}]"#,
            1000 + i
        )
    };
    let versions: Vec<std::sync::Mutex<u64>> =
        streams.iter().map(|s| std::sync::Mutex::new(store.stream_version(s).expect("version").unwrap_or(0))).collect();
    let per = 200;
    let http_rate = load_async(
        running.addr,
        "append with If-Match (one stream each)",
        per,
        |c, i| {
            let s = &streams[c];
            let v = *versions[c].lock().expect("version");
            hyper::Request::post(format!("/api/v1/streams/{}/events", s.as_str().replace('/', "%2F")))
                .header("Host", &host)
                .header("Authorization", &auth)
                .header("Content-Type", "application/json")
                .header("If-Match", format!("\"{v}\""))
                .body(Full::new(Bytes::from(action(s, 1_000_000 + c * per + i))))
                .expect("request")
        },
        |c, status| {
            assert_eq!(status, 201);
            *versions[c].lock().expect("version") += 1;
        },
    );

    // The same appends in process, on the same store, while the server runs (its live models follow them).
    let pending = |stream: &StreamId, i: usize| -> Pending {
        let mut line: serde_json::Value =
            serde_json::from_str::<Vec<serde_json::Value>>(&action(stream, i)).expect("json").remove(0);
        line["stream"] = stream.as_str().into();
        match events::decode(line.to_string().as_bytes()).expect("valid") {
            Line::New(e) => Pending::New(e),
            Line::Recorded(_) => unreachable!(),
        }
    };
    let (t, cpu) = (Instant::now(), cpu_seconds());
    std::thread::scope(|scope| {
        for (k, s) in streams.iter().enumerate() {
            let store = &store;
            let pending = &pending;
            scope.spawn(move || {
                for i in 0..per {
                    store
                        .write(
                            &mut std::iter::once(Some(pending(s, 2_000_000 + k * per + i))),
                            Some((s, ExpectedVersion::Any)),
                            "bench",
                        )
                        .expect("append");
                }
            });
        }
    });
    let in_process = (streams.len() * per) as f64 / t.elapsed().as_secs_f64();
    println!(
        "{:<52} {:>9.0} appends/s; HTTP appends are {:.0}% of it{}",
        "64 in-process appenders (the group commit's rate)",
        in_process,
        http_rate / in_process * 100.0,
        cpu_each(cpu, streams.len() * per)
    );
    // Last, the answers of the whole log: each takes hundreds of milliseconds of CPU, and they wait their turn for
    // the server's query slots.
    if reads {
        load_async(running.addr, "summary of every report", 5, |_, _| get("/api/v1/summary?as_of=2030-12-31"), ok);
        load_async(running.addr, "status of every report", 1, |_, _| get("/api/v1/status?as_of=2030-12-31"), ok);
    }
    rt.block_on(running.stop()).expect("stop");
}
