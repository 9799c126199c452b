use clap::Parser;

/// Rendering allocates and frees millions of small strings; mimalloc does
/// that in a fraction of glibc malloc's time (see bench/RESULTS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = commonthread::cli::Cli::parse();
    std::process::ExitCode::from(commonthread::run(cli))
}
