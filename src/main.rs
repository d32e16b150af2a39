//! The `followup` command line: record, import, export, and read the status and timelines of audit
//! recommendations. Parsing, calling the application layer and printing are in [`cli`].

mod cli;

/// mimalloc: replays allocate and free many small strings, on two threads; glibc's allocator spent a third of a
/// replay's time on them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
