//! Project chores. `cargo xtask test` is the one command that runs every test on a fresh machine
//! that has only the Rust toolchain and python3:
//!
//! 1. a Python venv in `target/py-venv` with the pinned clients from `tests/python/requirements.txt`
//!    (installed again only when that file changes);
//! 2. `cargo build --workspace --bins`, then `cargo test --workspace`;
//! 3. pytest on `tests/python`, against the freshly built `s3lab` binary;
//! 4. `mdbook build book` with a pinned mdbook, installed into `target/tools` on first use.
//!
//! It stops at the first stage that fails, prints one summary line per stage and exits non-zero if
//! anything failed. Only the standard library is used, so this builds in seconds.

use std::env;
use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: cargo xtask test [--rust-only | --python-only] [-- <extra pytest arguments>]

  test            set up target/py-venv, build the binaries, run `cargo test --workspace`,
                  run pytest on tests/python against target/debug/s3lab, then build the book
                  with a pinned mdbook (installed into target/tools on first use)
  --rust-only     skip the Python venv and pytest
  --python-only   skip `cargo test` (the binaries are still built, pytest needs them)
  -- ARGS         passed to pytest, e.g. `cargo xtask test --python-only -- -k rotation -x`";

/// Where the requirements live, relative to the workspace root.
const REQUIREMENTS: &str = "tests/python/requirements.txt";
/// The pytest suite, relative to the workspace root.
const PYTHON_TESTS: &str = "tests/python";
/// The stamp file inside the venv that records which requirements were installed.
const STAMP: &str = "s3lab-requirements.stamp";
/// The mdbook that builds `book/`, pinned so the book renders the same everywhere.
const MDBOOK_VERSION: &str = "0.5.4";
/// What `mdbook --version` prints for it.
const MDBOOK_VERSION_LINE: &str = "mdbook v0.5.4";
/// pytest's exit code when it collected no tests.
const PYTEST_NO_TESTS: i32 = 5;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    match parse_args(&args) {
        Ok(Cli::Help) => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Cli::Test(options)) => run_test(&options),
        Err(message) => {
            eprintln!("xtask: {message}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Cli {
    Help,
    Test(TestOptions),
}

#[derive(Debug, PartialEq, Eq, Default)]
struct TestOptions {
    rust: bool,
    python: bool,
    pytest_args: Vec<String>,
}

fn parse_args(args: &[String]) -> Result<Cli, String> {
    let Some((command, rest)) = args.split_first() else {
        return Err("missing command".to_owned());
    };
    match command.as_str() {
        "help" | "--help" | "-h" => return Ok(Cli::Help),
        "test" => {}
        other => return Err(format!("unknown command `{other}`")),
    }
    let (flags, pytest_args) = match rest.iter().position(|a| a == "--") {
        Some(i) => (&rest[..i], rest[i + 1..].to_vec()),
        None => (rest, Vec::new()),
    };
    let mut options = TestOptions {
        rust: true,
        python: true,
        pytest_args,
    };
    let (mut rust_only, mut python_only) = (false, false);
    for flag in flags {
        match flag.as_str() {
            "--rust-only" => rust_only = true,
            "--python-only" => python_only = true,
            "--help" | "-h" => return Ok(Cli::Help),
            other => {
                return Err(format!(
                    "unknown argument `{other}` (pytest arguments go after `--`)"
                ))
            }
        }
    }
    if rust_only && python_only {
        return Err("--rust-only and --python-only exclude each other".to_owned());
    }
    if rust_only && !options.pytest_args.is_empty() {
        return Err("pytest arguments were given, but --rust-only skips pytest".to_owned());
    }
    options.rust = !python_only;
    options.python = !rust_only;
    Ok(Cli::Test(options))
}

/// Why a stage failed.
#[derive(Debug)]
struct Failure {
    message: String,
    /// The exit code to leave with: the failing command's own, where it had one.
    code: u8,
}

impl Failure {
    fn new(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: 1,
        }
    }

    fn exit(message: impl Into<String>, code: Option<i32>) -> Self {
        let code = code
            .and_then(|c| u8::try_from(c).ok())
            .filter(|&c| c != 0)
            .unwrap_or(1);
        Failure {
            message: message.into(),
            code,
        }
    }
}

enum Outcome {
    Passed(Duration),
    Failed(Duration, Failure),
    Skipped(&'static str),
    NotRun,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Passed(t) => write!(f, "ok ({:.1}s)", t.as_secs_f64()),
            Outcome::Failed(t, failure) => {
                write!(f, "FAILED ({:.1}s): {}", t.as_secs_f64(), failure.message)
            }
            Outcome::Skipped(why) => write!(f, "skipped ({why})"),
            Outcome::NotRun => write!(f, "not run (an earlier stage failed)"),
        }
    }
}

type Stage<'a> = (
    &'static str,
    Option<&'static str>,
    Box<dyn FnOnce() -> Result<(), Failure> + 'a>,
);

fn run_test(options: &TestOptions) -> ExitCode {
    let root = workspace_root();
    let cargo = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let venv = root.join("target").join("py-venv");
    let target_dir = cargo_target_dir(&cargo, &root);

    let skip_python = (!options.python).then_some("--rust-only");
    let skip_rust_tests = (!options.rust).then_some("--python-only");

    let stages: Vec<Stage<'_>> = vec![
        (
            "python venv",
            skip_python,
            Box::new(|| ensure_venv(&root, &venv)),
        ),
        (
            "cargo build",
            None,
            Box::new(|| {
                cargo_stage(
                    &cargo,
                    &root,
                    &target_dir,
                    &["build", "--workspace", "--bins"],
                )
            }),
        ),
        (
            "cargo test",
            skip_rust_tests,
            Box::new(|| cargo_stage(&cargo, &root, &target_dir, &["test", "--workspace"])),
        ),
        (
            "pytest",
            skip_python,
            Box::new(|| run_pytest(&root, &venv, &target_dir, &options.pytest_args)),
        ),
        (
            "mdbook build",
            skip_rust_tests,
            Box::new(|| build_book(&cargo, &root)),
        ),
    ];

    let mut results: Vec<(&'static str, Outcome)> = Vec::new();
    let mut exit = None;
    for (name, skip, stage) in stages {
        let outcome = if let Some(why) = skip {
            Outcome::Skipped(why)
        } else if exit.is_some() {
            Outcome::NotRun
        } else {
            eprintln!("\nxtask: ==> {name}");
            let start = Instant::now();
            match stage() {
                Ok(()) => Outcome::Passed(start.elapsed()),
                Err(failure) => {
                    eprintln!("xtask: {name} failed: {}", failure.message);
                    exit = Some(failure.code);
                    Outcome::Failed(start.elapsed(), failure)
                }
            }
        };
        results.push((name, outcome));
    }

    eprintln!("\nxtask: summary");
    for (name, outcome) in &results {
        eprintln!("xtask:   {name:<12} {outcome}");
    }
    match exit {
        None => {
            eprintln!("xtask: all stages passed");
            ExitCode::SUCCESS
        }
        Some(code) => {
            eprintln!("xtask: FAILED");
            ExitCode::from(code)
        }
    }
}

/// The workspace root: the xtask crate lives in `<root>/xtask`.
fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// The target directory cargo really uses (it honours `CARGO_TARGET_DIR` and `build.target-dir`),
/// so `S3LAB_BIN` points at the binary that `cargo build` just made.
fn cargo_target_dir(cargo: &OsString, root: &Path) -> PathBuf {
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root)
        .stderr(Stdio::null())
        .output();
    output
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| json_string_field(&String::from_utf8_lossy(&o.stdout), "target_directory"))
        .map(PathBuf::from)
        .or_else(|| {
            env::var_os("CARGO_TARGET_DIR")
                .filter(|d| !d.is_empty())
                .map(|d| {
                    env::current_dir()
                        .map(|cwd| cwd.join(&d))
                        .unwrap_or_else(|_| d.into())
                })
        })
        .unwrap_or_else(|| root.join("target"))
}

/// Reads the string value of a top-level `"key":"value"` pair out of compact JSON (what
/// `cargo metadata` prints), undoing JSON escapes. Enough for one known field; not a JSON parser.
fn json_string_field(json: &str, key: &str) -> Option<String> {
    let needle = format!("\"{key}\":\"");
    let start = json.find(&needle)? + needle.len();
    let mut value = String::new();
    let mut chars = json[start..].chars();
    loop {
        match chars.next()? {
            '"' => return Some(value),
            '\\' => match chars.next()? {
                'n' => value.push('\n'),
                't' => value.push('\t'),
                'r' => value.push('\r'),
                'b' => value.push('\u{8}'),
                'f' => value.push('\u{c}'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    value.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                other => value.push(other),
            },
            c => value.push(c),
        }
    }
}

fn cargo_stage(
    cargo: &OsString,
    root: &Path,
    target_dir: &Path,
    args: &[&str],
) -> Result<(), Failure> {
    let mut command = Command::new(cargo);
    command
        .args(args)
        .current_dir(root)
        .env("CARGO_TARGET_DIR", target_dir);
    isolate_aws_env(&mut command, root)?;
    run_inherited(&mut command, &format!("cargo {}", args.join(" ")))
}

/// Runs a command with the terminal as its stdout and stderr and turns its exit into a result.
fn run_inherited(command: &mut Command, what: &str) -> Result<(), Failure> {
    let status = command
        .status()
        .map_err(|e| Failure::new(format!("could not start `{what}`: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Failure::exit(
            format!("`{what}` exited with {status}"),
            status.code(),
        ))
    }
}

/// Installs the pinned mdbook into `target/tools` (once; `cargo install` skips an installed
/// version) and builds the book, so a broken include or chapter fails the test command.
fn build_book(cargo: &OsString, root: &Path) -> Result<(), Failure> {
    let tools = root.join("target").join("tools");
    let mdbook = tools.join("bin").join(if cfg!(windows) {
        "mdbook.exe"
    } else {
        "mdbook"
    });
    let installed = Command::new(&mdbook)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    if installed.as_deref() != Some(MDBOOK_VERSION_LINE) {
        let mut install = Command::new(cargo);
        install
            .args(["install", "mdbook", "--locked", "--version", MDBOOK_VERSION])
            // The book needs neither `mdbook serve` nor `watch`: without them it builds in half
            // the time.
            .args(["--no-default-features", "--features", "search", "--root"])
            .arg(&tools)
            .current_dir(root)
            // Its own target dir under target/, so the workspace's build is untouched.
            .env("CARGO_TARGET_DIR", tools.join("build"));
        run_inherited(
            &mut install,
            &format!("cargo install mdbook {MDBOOK_VERSION}"),
        )?;
    }
    let mut build = Command::new(&mdbook);
    build.args(["build", "book"]).current_dir(root);
    run_inherited(&mut build, "mdbook build book")
}

fn venv_bin(venv: &Path) -> PathBuf {
    venv.join(if cfg!(windows) { "Scripts" } else { "bin" })
}

fn venv_python(venv: &Path) -> PathBuf {
    venv_bin(venv).join(if cfg!(windows) {
        "python.exe"
    } else {
        "python"
    })
}

fn system_python() -> OsString {
    if cfg!(windows) {
        OsString::from("python")
    } else {
        OsString::from("python3")
    }
}

/// Creates the venv if it is missing or broken, and installs the requirements into it when they
/// changed since the last successful install.
fn ensure_venv(root: &Path, venv: &Path) -> Result<(), Failure> {
    let requirements_path = root.join(REQUIREMENTS);
    let requirements = fs::read(&requirements_path)
        .map_err(|e| Failure::new(format!("cannot read {}: {e}", requirements_path.display())))?;
    let python = venv_python(venv);

    if venv.exists() && !runs_ok(Command::new(&python).args(["-c", "import pip"])) {
        eprintln!(
            "xtask: {} is broken (its python or pip does not start); creating it again",
            venv.display()
        );
        fs::remove_dir_all(venv)
            .map_err(|e| Failure::new(format!("cannot remove {}: {e}", venv.display())))?;
    }
    if !venv.exists() {
        create_venv(venv)?;
    }

    let stamp_path = venv.join(STAMP);
    let wanted = stamp_for(&requirements);
    if fs::read_to_string(&stamp_path).ok().as_deref() == Some(wanted.as_str()) {
        eprintln!("xtask: {REQUIREMENTS} unchanged since the last install; venv is up to date");
        return Ok(());
    }

    eprintln!(
        "xtask: installing {REQUIREMENTS} into {} (quiet; the first run downloads from PyPI)",
        venv.display()
    );
    // An install that stops half way must not look finished next time.
    let _ = fs::remove_file(&stamp_path);
    let output = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--quiet",
            "--requirement",
        ])
        .arg(&requirements_path)
        .current_dir(root)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Failure::new(format!("could not start {}: {e}", python.display())))?;
    if !output.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&output.stdout));
        eprintln!("{}", String::from_utf8_lossy(&output.stderr));
        return Err(Failure::exit(
            format!(
                "pip could not install {REQUIREMENTS} ({}); its output is above",
                output.status
            ),
            output.status.code(),
        ));
    }
    fs::write(&stamp_path, wanted)
        .map_err(|e| Failure::new(format!("cannot write {}: {e}", stamp_path.display())))?;
    Ok(())
}

fn create_venv(venv: &Path) -> Result<(), Failure> {
    let python = system_python();
    let python_name = python.to_string_lossy().into_owned();
    eprintln!(
        "xtask: creating {} with `{python_name} -m venv`",
        venv.display()
    );
    let output = Command::new(&python)
        .args(["-m", "venv"])
        .arg(venv)
        .stdin(Stdio::null())
        .output();
    let output = match output {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Failure::new(format!(
                "`{python_name}` was not found on PATH; install Python 3 (3.10 or newer) with its \
                 venv module, then run `cargo xtask test` again"
            )))
        }
        Err(e) => {
            return Err(Failure::new(format!(
                "could not start `{python_name}`: {e}"
            )))
        }
    };
    if output.status.success() {
        return Ok(());
    }
    // Leave nothing half made behind: the next run would take it for a working venv.
    let _ = fs::remove_dir_all(venv);
    eprintln!("{}", String::from_utf8_lossy(&output.stdout));
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let no_ensurepip = stderr.contains("ensurepip")
        || !runs_ok(Command::new(&python).args(["-c", "import ensurepip"]));
    if no_ensurepip {
        let version = Command::new(&python)
            .args([
                "-c",
                "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')",
            ])
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "3.X".to_owned());
        return Err(Failure::new(format!(
            "`{python_name} -m venv` failed because this Python has no ensurepip module, so it \
             cannot create virtual environments; install your system's venv package (on Debian \
             or Ubuntu: `apt-get install python3-venv` or `apt-get install python{version}-venv`) \
             and run `cargo xtask test` again"
        )));
    }
    Err(Failure::exit(
        format!(
            "`{python_name} -m venv` failed ({}); its output is above",
            output.status
        ),
        output.status.code(),
    ))
}

fn runs_ok(command: &mut Command) -> bool {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// What the stamp file holds after a successful install of these requirements.
fn stamp_for(requirements: &[u8]) -> String {
    format!("fnv1a64:{:016x}\n", fnv1a64(requirements))
}

/// 64-bit FNV-1a: a stable hash for noticing that a file changed (not a security check).
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Keeps the developer's own AWS setup out of the tests: every `AWS_*` variable is dropped, the
/// config and credentials files point at empty files, and instance metadata is never asked.
fn isolate_aws_env(command: &mut Command, root: &Path) -> Result<(), Failure> {
    let dir = root.join("target").join("xtask-aws");
    fs::create_dir_all(&dir)
        .map_err(|e| Failure::new(format!("cannot create {}: {e}", dir.display())))?;
    let config = dir.join("config");
    let credentials = dir.join("credentials");
    for file in [&config, &credentials] {
        fs::write(file, b"")
            .map_err(|e| Failure::new(format!("cannot write {}: {e}", file.display())))?;
    }
    for (key, _) in env::vars_os() {
        if key.to_string_lossy().starts_with("AWS_") {
            command.env_remove(&key);
        }
    }
    command
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .env("AWS_EC2_METADATA_DISABLED", "true");
    // The lab listens on loopback only; a developer's proxy must not see that traffic.
    for key in ["NO_PROXY", "no_proxy"] {
        let mut value = env::var(key).unwrap_or_default();
        if !value.is_empty() {
            value.push(',');
        }
        value.push_str("127.0.0.1,localhost,::1");
        command.env(key, value);
    }
    Ok(())
}

fn run_pytest(
    root: &Path,
    venv: &Path,
    target_dir: &Path,
    extra_args: &[String],
) -> Result<(), Failure> {
    let s3lab = target_dir
        .join("debug")
        .join(if cfg!(windows) { "s3lab.exe" } else { "s3lab" });
    if !s3lab.exists() {
        eprintln!(
            "xtask: warning: {} does not exist after `cargo build`; every test that needs the \
             server will fail",
            s3lab.display()
        );
    }
    let python = venv_python(venv);
    let mut path = vec![venv_bin(venv)];
    path.extend(
        env::var_os("PATH")
            .map(|p| env::split_paths(&p).collect::<Vec<_>>())
            .unwrap_or_default(),
    );
    let path = env::join_paths(path)
        .map_err(|e| Failure::new(format!("cannot build PATH for pytest: {e}")))?;

    let mut command = Command::new(&python);
    command
        .args(["-m", "pytest"])
        .arg(root.join(PYTHON_TESTS))
        // Keep pytest's cache (`--lf`, `--ff`) out of the source tree.
        .arg("-o")
        .arg(cache_dir_option(root))
        .args(extra_args)
        .current_dir(root)
        .stdin(Stdio::null())
        .env("S3LAB_BIN", &s3lab)
        .env("PATH", path)
        .env("VIRTUAL_ENV", venv)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("PYTHONHOME")
        .env_remove("PYTHONPATH");
    isolate_aws_env(&mut command, root)?;

    let status = command
        .status()
        .map_err(|e| Failure::new(format!("could not start {}: {e}", python.display())))?;
    match status.code() {
        Some(0) => Ok(()),
        Some(PYTEST_NO_TESTS) => Err(Failure::exit(
            format!(
                "pytest collected no tests in {PYTHON_TESTS}; the suite always has tests, so \
                 this counts as a failure (check the test file names and any -k/-m filter you \
                 passed after `--`)"
            ),
            Some(PYTEST_NO_TESTS),
        )),
        code => Err(Failure::exit(format!("pytest exited with {status}"), code)),
    }
}

fn cache_dir_option(root: &Path) -> OsString {
    let mut option = OsString::from("cache_dir=");
    option.push(root.join("target").join("pytest-cache"));
    option
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn plain_test_runs_everything() {
        assert_eq!(
            parse_args(&args(&["test"])),
            Ok(Cli::Test(TestOptions {
                rust: true,
                python: true,
                pytest_args: vec![],
            }))
        );
    }

    #[test]
    fn only_flags_and_pytest_args() {
        assert_eq!(
            parse_args(&args(&[
                "test",
                "--python-only",
                "--",
                "-k",
                "rotation",
                "--rust-only"
            ])),
            Ok(Cli::Test(TestOptions {
                rust: false,
                python: true,
                pytest_args: args(&["-k", "rotation", "--rust-only"]),
            }))
        );
        assert_eq!(
            parse_args(&args(&["test", "--rust-only"])),
            Ok(Cli::Test(TestOptions {
                rust: true,
                python: false,
                pytest_args: vec![],
            }))
        );
    }

    #[test]
    fn bad_arguments_are_refused() {
        assert!(parse_args(&[]).is_err());
        assert!(parse_args(&args(&["tset"])).is_err());
        assert!(parse_args(&args(&["test", "-k", "x"])).is_err());
        assert!(parse_args(&args(&["test", "--rust-only", "--python-only"])).is_err());
        assert!(parse_args(&args(&["test", "--rust-only", "--", "-x"])).is_err());
        assert_eq!(parse_args(&args(&["--help"])), Ok(Cli::Help));
    }

    #[test]
    fn fnv1a64_matches_reference_values() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
        assert_ne!(stamp_for(b"boto3==1\n"), stamp_for(b"boto3==2\n"));
    }

    #[test]
    fn reads_target_directory_from_cargo_metadata() {
        let json = r#"{"packages":[],"target_directory":"C:\\work\\tar\"get","version":1}"#;
        assert_eq!(
            json_string_field(json, "target_directory").as_deref(),
            Some("C:\\work\\tar\"get")
        );
        assert_eq!(
            json_string_field(r#"{"k":"a\u00e9b"}"#, "k").as_deref(),
            Some("aéb")
        );
        assert_eq!(json_string_field(r#"{"k":"unterminated"#, "k"), None);
        assert_eq!(json_string_field("{}", "k"), None);
    }
}
