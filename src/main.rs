use clap::Parser;

/// Rendering allocates and frees millions of small strings; mimalloc does
/// that in a fraction of glibc malloc's time (see bench/RESULTS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = commonthread::cli::Cli::parse();
    // Stopped midway (Ctrl-C, SIGTERM from CI), a build leaves nothing
    // behind beside OUT; 130 is what a shell reports for Ctrl-C.
    let _ = ctrlc::set_handler(|| {
        commonthread::output::interrupted();
        std::process::exit(130);
    });
    std::process::ExitCode::from(commonthread::run(cli))
}
