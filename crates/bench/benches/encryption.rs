//! `cargo bench -p s3lab-bench [-- OPTIONS]`: the same run as the `s3lab-bench` binary (cargo adds
//! `--bench`, which is ignored). Options after `--`, e.g. `-- --quick` or
//! `-- --against https://127.0.0.1:5000 --against-name moto`.

fn main() -> std::process::ExitCode {
    s3lab_bench::main_with_args(std::env::args_os())
}
