//! `s3lab-bench`: see the crate docs, or `s3lab-bench --help`.

fn main() -> std::process::ExitCode {
    s3lab_bench::main_with_args(std::env::args_os())
}
