//! The command line's parts: argument parsing for `record`, the demo, and output for people and machines.

pub mod demo;
pub mod output;
pub mod record;
pub mod report;
pub mod verify;

/// A progress bar on standard error for reading `size` bytes; drawn only on a terminal and for files over 4 MiB.
pub fn progress_bar(size: u64) -> indicatif::ProgressBar {
    if size < 4 << 20 {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(Some(size), indicatif::ProgressDrawTarget::stderr());
    let style = indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style.progress_chars("=> "));
    bar.set_message("importing");
    bar
}
