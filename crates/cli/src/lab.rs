//! `s3lab lab ...`: self-paced labs against the lab's own S3 and KMS, with checks, hints and
//! progress (the engine is the `s3lab-labs` crate).
//!
//! Exit statuses, for scripts: 0 success (for `check`: every goal met); 1 not done (a goal not
//! met, a refused confirmation, a solution asked for too early) or an error; 2 the check could
//! not look (the lab's server is not running).

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context as _};
use clap::{Args, Subcommand};
use s3lab_labs::{fingerprint, Lab, LabServerOptions, Labs, RunningLab};

use crate::banner::READY_LINE;

#[derive(Debug, Args)]
pub struct LabArgs {
    /// The lab set (default: S3LAB_LABS, else the `labs` folder of this checkout).
    #[arg(long, value_name = "DIR", global = true)]
    labs: Option<PathBuf>,

    #[command(subcommand)]
    command: LabCommand,
}

#[derive(Debug, Subcommand)]
enum LabCommand {
    /// Every lab, in order, with your progress.
    List,
    /// Start a lab's server (foreground, like `s3lab serve`) from the lab's fixed seed, and print
    /// the endpoint, the credentials and the `export` lines to paste.
    Start {
        /// The lab: its number, name or folder.
        lab: String,
        /// Port for plain HTTP (0 picks any free port).
        #[arg(long, default_value_t = 9080)]
        http_port: u16,
        /// Port for HTTPS (0 picks any free port).
        #[arg(long, default_value_t = 9443)]
        https_port: u16,
    },
    /// Check a lab (default: the one you are on). Exit status 0 when every goal is met, 1 when
    /// some is not, 2 when the check could not look (the lab's server is not running).
    Check { lab: Option<String> },
    /// Reveal the lab's next hint (one more each time).
    Hint { lab: String },
    /// Discard a lab's work folder, server data and progress (asks first).
    Reset {
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        lab: Option<String>,
        /// Every lab.
        #[arg(long)]
        all: bool,
        /// Do not ask (for scripts).
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Show the reference solution (only once the lab's check has passed).
    Solution { lab: String },
    /// Re-check a lab whenever its files or its server's state change (Ctrl-C to stop).
    Watch {
        lab: Option<String>,
        /// Poll every few seconds instead of watching files (for file systems that do not report
        /// changes, such as some containers and WSL mounts).
        #[arg(long)]
        poll: bool,
        /// Stop after this many checks (for scripts and tests).
        #[arg(long, hide = true)]
        max_checks: Option<u32>,
    },
}

pub fn run(args: LabArgs) -> anyhow::Result<ExitCode> {
    let labs = Labs::from_env(args.labs.as_deref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("could not start the async runtime")?;
    match args.command {
        LabCommand::List => list(&labs),
        LabCommand::Start {
            lab,
            http_port,
            https_port,
        } => {
            let lab = labs.registry().find(&lab)?;
            let options = LabServerOptions {
                http_port,
                https_port,
                ..LabServerOptions::default()
            };
            runtime.block_on(start(&labs, lab, &options))
        }
        LabCommand::Check { lab } => {
            let lab = current_or(&labs, lab.as_deref())?;
            runtime.block_on(check(&labs, lab))
        }
        LabCommand::Hint { lab } => hint(&labs, labs.registry().find(&lab)?),
        LabCommand::Reset { lab, all, yes } => {
            let targets: Vec<&Lab> = if all {
                labs.registry().labs().iter().collect()
            } else {
                vec![labs.registry().find(lab.as_deref().unwrap_or_default())?]
            };
            runtime.block_on(reset(&labs, &targets, all, yes))
        }
        LabCommand::Solution { lab } => solution(&labs, labs.registry().find(&lab)?),
        LabCommand::Watch {
            lab,
            poll,
            max_checks,
        } => {
            let lab = current_or(&labs, lab.as_deref())?;
            runtime.block_on(watch(&labs, lab, poll, max_checks))
        }
    }
}

/// The named lab, else the one last checked, else the first not done.
fn current_or<'a>(labs: &'a Labs, selector: Option<&str>) -> anyhow::Result<&'a Lab> {
    if let Some(s) = selector {
        return Ok(labs.registry().find(s)?);
    }
    let progress = labs.progress()?;
    if let Some(name) = progress.current.as_deref() {
        if let Ok(lab) = labs.registry().find(name) {
            return Ok(lab);
        }
    }
    match labs.next_pending()? {
        Some(lab) => Ok(lab),
        None => bail!("every lab is done; name one, e.g. `s3lab lab check 1`"),
    }
}

fn out(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .context("could not write to standard output")
}

/// `Progress: [#######>--------------]  5/18`, as rustlings draws it.
pub fn progress_bar(done: usize, total: usize, width: usize) -> String {
    let filled = (done * width).checked_div(total).unwrap_or(0);
    let mut bar = "#".repeat(filled);
    if filled < width {
        bar.push(if done > 0 { '>' } else { '-' });
        bar.push_str(&"-".repeat(width - filled - 1));
    }
    format!("Progress: [{bar}]  {done}/{total}")
}

fn progress_line(labs: &Labs) -> anyhow::Result<String> {
    let statuses = labs.list()?;
    let done = statuses.iter().filter(|s| s.done).count();
    Ok(progress_bar(done, statuses.len(), 40))
}

fn list(labs: &Labs) -> anyhow::Result<ExitCode> {
    let statuses = labs.list()?;
    let mut s = String::new();
    s.push_str(labs.registry().welcome_message.trim_end());
    s.push_str("\n\n");
    let width = statuses
        .iter()
        .map(|st| st.lab.name.len())
        .max()
        .unwrap_or(0);
    for st in &statuses {
        let mark = if st.done { "✓" } else { " " };
        let here = if st.current { "▶" } else { " " };
        s.push_str(&format!(
            "{here}{mark} {:>2}  {:<width$}  {:<13}  {}\n",
            st.lab.number,
            st.lab.name,
            st.lab.kind.as_str(),
            st.lab.title
        ));
    }
    s.push('\n');
    s.push_str(&progress_line(labs)?);
    s.push('\n');
    match labs.next_pending()? {
        Some(next) => s.push_str(&format!(
            "Next: lab {} — read {}, then `s3lab lab {} {}`.\n",
            next.number,
            display_path(&next.path.join("README.md")),
            if next.needs_server() {
                "start"
            } else {
                "check"
            },
            next.number
        )),
        None => s.push_str(&format!("{}\n", labs.registry().final_message.trim_end())),
    }
    out(&s)?;
    Ok(ExitCode::SUCCESS)
}

/// A path relative to the current folder when it is inside it.
fn display_path(p: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| p.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| p.to_path_buf())
        .display()
        .to_string()
}

fn shell_quote(value: &str) -> String {
    let safe = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_.+-:=@%,".contains(c));
    if safe {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

fn start_banner(lab: &Lab, running: &RunningLab) -> String {
    let r = &running.ready;
    let mut s = String::new();
    s.push_str(&format!(
        "\nLab {} · {} — {}\n\n",
        lab.number, lab.name, lab.title
    ));
    s.push_str(&format!(
        "The lab's server is running mock Amazon S3 and AWS KMS (seed {}, clock at 2026-01-01).\n",
        running.seed
    ));
    if running.seeded_now {
        s.push_str("Its state was seeded for this lab just now.\n");
    } else {
        s.push_str("It kept its state from the last start (`s3lab lab reset N` starts afresh).\n");
    }
    s.push('\n');
    s.push_str(&format!(
        "  HTTPS    {}   (S3 and KMS; use this one)\n",
        r.https
    ));
    s.push_str(&format!(
        "  HTTP     {}   (plain text: every byte readable on the wire)\n",
        r.http
    ));
    s.push_str(&format!("  CA       {}\n", r.ca_pem));
    s.push_str(&format!("  Data     {}\n", running.data_dir.display()));
    s.push_str(&format!(
        "  Work     {}   (your files for this lab)\n",
        running.work_dir.display()
    ));
    s.push_str("\nCredentials:\n");
    for c in &r.credentials {
        s.push_str(&format!(
            "  {:<7} access key {}   secret {}\n",
            c.name, c.access_key_id, c.secret_access_key
        ));
    }
    if let Some(admin) = r.credentials.iter().find(|c| c.name == "admin") {
        s.push_str("\nIn another terminal, paste:\n");
        s.push_str(&format!(
            "  export AWS_ACCESS_KEY_ID={} AWS_SECRET_ACCESS_KEY={} AWS_DEFAULT_REGION={} AWS_CA_BUNDLE={}\n",
            shell_quote(&admin.access_key_id),
            shell_quote(&admin.secret_access_key),
            shell_quote(&r.region),
            shell_quote(&r.ca_pem)
        ));
        s.push_str(&format!(
            "  export E={} H={} S3LAB_READY={} S3LAB_DATA={}\n",
            shell_quote(&r.https),
            shell_quote(&r.http),
            shell_quote(&running.ready_path.display().to_string()),
            shell_quote(&running.data_dir.display().to_string())
        ));
        s.push_str(&format!(
            "  cd {}\n",
            shell_quote(&running.work_dir.display().to_string())
        ));
    }
    s.push_str(&format!(
        "\nThen follow {} and check with `s3lab lab check {}`.\n",
        lab.path.join("README.md").display(),
        lab.number
    ));
    s.push_str("Stop with Ctrl-C.\n");
    s.push_str(READY_LINE);
    s.push('\n');
    s
}

async fn start(labs: &Labs, lab: &Lab, options: &LabServerOptions) -> anyhow::Result<ExitCode> {
    let running = s3lab_labs::start_lab_server(lab, labs.home(), options).await?;
    labs.state()
        .update(|p| p.current = Some(lab.name.clone()))?;
    out(&start_banner(lab, &running))?;
    wait_for_signal().await;
    eprintln!("stopping lab {}'s server", lab.number);
    running.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C, or SIGTERM on unix.
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Runs one check, prints it, and returns the exit code it stands for.
async fn check_once(labs: &Labs, lab: &Lab) -> anyhow::Result<(ExitCode, bool)> {
    let outcome = labs.check(lab).await?;
    let report = &outcome.report;
    let mut s = report.render();
    s.push_str(&format!(
        "Work folder: {}\n\n",
        labs.home().work_dir(lab).display()
    ));
    let code = if report.passed() {
        if outcome.newly_done {
            s.push_str(&format!("Lab {} done ✓\n", lab.number));
        } else {
            s.push_str(&format!("Lab {} is done ✓\n", lab.number));
        }
        s.push_str(&format!(
            "`s3lab lab solution {}` shows the reference solution.\n",
            lab.number
        ));
        match labs.registry().labs().get(lab.number) {
            Some(next) => s.push_str(&format!(
                "Next: lab {} — {} (`s3lab lab {} {}`).\n",
                next.number,
                next.title,
                if next.needs_server() {
                    "start"
                } else {
                    "check"
                },
                next.number
            )),
            None => s.push_str(&format!("{}\n", labs.registry().final_message.trim_end())),
        }
        ExitCode::SUCCESS
    } else {
        let shown = labs
            .progress()?
            .lab(&lab.name)
            .hints_shown
            .min(lab.hints.len());
        if report.incomplete() {
            s.push_str("Some goals could not be checked.\n");
        } else {
            s.push_str("Not yet.");
            if shown < lab.hints.len() {
                s.push_str(&format!(
                    " `s3lab lab hint {}` reveals a hint ({shown} of {} shown).",
                    lab.number,
                    lab.hints.len()
                ));
            }
            s.push('\n');
        }
        if report.incomplete() {
            ExitCode::from(2)
        } else {
            ExitCode::FAILURE
        }
    };
    s.push_str(&progress_line(labs)?);
    s.push('\n');
    out(&s)?;
    Ok((code, report.passed()))
}

async fn check(labs: &Labs, lab: &Lab) -> anyhow::Result<ExitCode> {
    Ok(check_once(labs, lab).await?.0)
}

fn hint(labs: &Labs, lab: &Lab) -> anyhow::Result<ExitCode> {
    match labs.next_hint(lab)? {
        None => out(&format!("Lab {} has no hints.\n", lab.number))?,
        Some((n, text)) => {
            let total = lab.hints.len();
            let mut s = format!(
                "Hint {n} of {total} for lab {} ({}):\n\n",
                lab.number, lab.name
            );
            for line in text.trim_end().lines() {
                for wrapped in wrap(line, 92) {
                    s.push_str(&format!("  {wrapped}\n"));
                }
            }
            if n < total {
                s.push_str(&format!(
                    "\n`s3lab lab hint {}` again for the next one.\n",
                    lab.number
                ));
            } else {
                s.push_str("\nThat was the last hint.\n");
            }
            out(&s)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Splits `line` at spaces into lines of at most `width` characters (longer words stay whole).
pub(crate) fn wrap(line: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for word in line.split(' ') {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    out.push(current);
    out
}

/// Asks a yes/no question on the terminal; anything but y/yes is no.
fn confirm(question: &str) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        eprintln!("{question} — no terminal to ask on; pass --yes to confirm");
        return Ok(false);
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .context("could not read the answer")?;
    Ok(matches!(answer.trim().to_lowercase().as_str(), "y" | "yes"))
}

async fn reset(labs: &Labs, targets: &[&Lab], all: bool, yes: bool) -> anyhow::Result<ExitCode> {
    let with_data: Vec<&&Lab> = targets
        .iter()
        .filter(|l| {
            labs.home().has_data(l)
                || labs
                    .progress()
                    .map(|p| p.labs.contains_key(&l.name))
                    .unwrap_or(false)
        })
        .collect();
    if with_data.is_empty() {
        out("Nothing to reset: no work, server data or progress for that.\n")?;
        return Ok(ExitCode::SUCCESS);
    }
    for lab in &with_data {
        if let Some(url) = labs.server_running(lab).await {
            bail!(
                "lab {}'s server is running ({url}); stop it (Ctrl-C in its terminal) before resetting",
                lab.number
            );
        }
    }
    if !yes {
        let mut question = String::from("This discards");
        if all {
            question
                .push_str(" everything you did in every lab (work folders, server data, progress)");
        } else {
            let lab = with_data[0];
            question.push_str(&format!(
                " lab {}'s work folder {}, its server data and its progress",
                lab.number,
                labs.home().work_dir(lab).display()
            ));
        }
        question.push_str(". Go on?");
        if !confirm(&question)? {
            out("Nothing was discarded.\n")?;
            return Ok(ExitCode::FAILURE);
        }
    }
    for lab in &with_data {
        labs.reset(lab).await?;
        out(&format!(
            "Lab {} ({}) reset: it starts from its starter files and seed again.\n",
            lab.number, lab.name
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn solution(labs: &Labs, lab: &Lab) -> anyhow::Result<ExitCode> {
    let files = labs.solution(lab)?;
    let mut s = format!(
        "Reference solution of lab {} ({}), from {}:\n",
        lab.number,
        lab.name,
        lab.solution_path.display()
    );
    for (path, text) in files {
        s.push_str(&format!("\n==> {} <==\n", path.display()));
        s.push_str(&text);
        if !text.ends_with('\n') {
            s.push('\n');
        }
    }
    out(&s)?;
    Ok(ExitCode::SUCCESS)
}

async fn watch(
    labs: &Labs,
    lab: &Lab,
    poll: bool,
    max_checks: Option<u32>,
) -> anyhow::Result<ExitCode> {
    labs.home().prepare_work(lab)?;
    let dirs = labs.watched_dirs(lab);
    // The server's folder may not exist before its first start; the watcher needs it.
    for d in &dirs {
        std::fs::create_dir_all(d).with_context(|| format!("could not create {}", d.display()))?;
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let mut watcher = None;
    if !poll {
        use notify::Watcher as _;
        let sender = tx.clone();
        let made = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if event.is_ok() {
                let _ = sender.send(());
            }
        });
        match made {
            Ok(mut w) => {
                let mut ok = true;
                for d in &dirs {
                    if w.watch(d, notify::RecursiveMode::Recursive).is_err() {
                        ok = false;
                    }
                }
                if ok {
                    watcher = Some(w);
                } else {
                    eprintln!("file watching is not available here; polling every 2 s instead");
                }
            }
            Err(e) => {
                eprintln!("file watching is not available here ({e}); polling every 2 s instead")
            }
        }
    }
    let interactive = std::io::stdout().is_terminal();
    let mut checks = 0u32;
    loop {
        if interactive {
            out("\x1b[2J\x1b[H")?;
        }
        let (code, passed) = check_once(labs, lab).await?;
        checks += 1;
        if passed {
            return Ok(code);
        }
        if max_checks.is_some_and(|m| checks >= m) {
            return Ok(code);
        }
        out(&format!(
            "\nWatching {} for changes{} (Ctrl-C to stop)...\n",
            dirs.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(" and "),
            if watcher.is_some() {
                ""
            } else {
                ", polling every 2 s"
            }
        ))?;
        // What the check itself caused (KMS audit records of its own look-ups) is not a change.
        tokio::time::sleep(Duration::from_millis(300)).await;
        while rx.try_recv().is_ok() {}
        let before = fingerprint(&dirs);
        let signal = wait_for_signal();
        tokio::pin!(signal);
        loop {
            if watcher.is_some() {
                tokio::select! {
                    _ = rx.recv() => {
                        // Let a burst of writes settle, then re-check.
                        let settle = tokio::time::Instant::now() + Duration::from_millis(400);
                        while let Ok(Some(())) = tokio::time::timeout_at(settle, rx.recv()).await {}
                        break;
                    }
                    () = &mut signal => return Ok(code),
                }
            } else {
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(2)) => {
                        if fingerprint(&dirs) != before {
                            break;
                        }
                    }
                    () = &mut signal => return Ok(code),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_hints() {
        assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
        assert_eq!(
            wrap("averyveryverylongword x", 5),
            vec!["averyveryverylongword", "x"]
        );
        assert_eq!(wrap("", 5), vec![""]);
    }

    #[test]
    fn progress_bars() {
        assert_eq!(progress_bar(0, 4, 8), "Progress: [--------]  0/4");
        assert_eq!(progress_bar(2, 4, 8), "Progress: [####>---]  2/4");
        assert_eq!(progress_bar(4, 4, 8), "Progress: [########]  4/4");
    }
}
