//! `s3lab list` and `s3lab run`: the curriculum's transcripts without a TUI, for demos, handouts,
//! the book and CI.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use s3lab_scenarios::{catalog, lookup, Scenario, Transcript, CLAIMS, DEFAULT_SEED};
use s3lab_transcript::{render_markdown, render_text};

/// Text is laid out for this many columns: a projector's or a laptop's default terminal.
const TEXT_WIDTH: usize = 80;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The scenario to run (see `s3lab list`).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    scenario: Option<String>,
    /// Run every scenario, in teaching order.
    #[arg(long)]
    all: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The seed of the lab's RNG (the clock then starts at 2026-06-01T09:00:00Z). The same seed
    /// gives the same transcript.
    #[arg(long, default_value_t = DEFAULT_SEED, conflicts_with = "live")]
    seed: u64,
    /// Real randomness and the real clock instead of a seed.
    #[arg(long)]
    live: bool,
}

/// `s3lab list`: every scenario by topic, with the seed claims it proves.
pub fn list() -> anyhow::Result<ExitCode> {
    let mut out = String::new();
    let mut topic = None;
    for s in catalog() {
        if topic != Some(s.topic) {
            topic = Some(s.topic);
            out.push_str(&format!("\n{}\n", s.topic.title()));
        }
        // Title, summary and claims are wrapped to fit 80 columns beside the id column.
        let proves = format!("proves: {}", s.claims.join(", "));
        let lines = [s.title, s.summary, proves.as_str()]
            .iter()
            .flat_map(|text| crate::lab::wrap(text, 80 - 23))
            .collect::<Vec<_>>();
        for (i, line) in lines.iter().enumerate() {
            let id = if i == 0 { s.id } else { "" };
            out.push_str(&format!("  {id:<20} {line}\n"));
        }
    }
    let closing = format!(
        "{} scenarios cover the seed's {} claims. Run one with `s3lab run <id>`, or all with \
         `s3lab run --all`.",
        catalog().len(),
        CLAIMS.len()
    );
    out.push('\n');
    for line in crate::lab::wrap(&closing, 80) {
        out.push_str(&line);
        out.push('\n');
    }
    write_out(out.trim_start())?;
    Ok(ExitCode::SUCCESS)
}

/// `s3lab run`: prints the transcripts; exits with 1 if a check failed.
pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let scenarios: Vec<&Scenario> = match &args.scenario {
        Some(id) => vec![lookup(id)?],
        None => catalog().iter().collect(),
    };
    let seed = (!args.live).then_some(args.seed);
    let mut transcripts: Vec<Transcript> = Vec::new();
    let mut failed = Vec::new();
    for scenario in scenarios {
        let transcript = s3lab_scenarios::run(scenario, seed)
            .with_context(|| format!("scenario {} could not run", scenario.id))?;
        for (step, check) in transcript.checks().filter(|(_, c)| !c.passed) {
            failed.push(format!(
                "{} step {}: {} (expected {}, observed {})",
                scenario.id,
                step + 1,
                check.name,
                check.expected,
                check.observed
            ));
        }
        if args.format != Format::Json {
            let text = match args.format {
                Format::Markdown => render_markdown(&transcript),
                _ => render_text(&transcript, TEXT_WIDTH),
            };
            write_out(&text)?;
            write_out("\n")?;
        }
        transcripts.push(transcript);
    }
    if args.format == Format::Json {
        let json = if args.all {
            serde_json::to_string_pretty(&transcripts)?
        } else {
            transcripts
                .first()
                .map(Transcript::to_json)
                .transpose()?
                .unwrap_or_default()
        };
        write_out(&json)?;
        write_out("\n")?;
    }
    if failed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "{} check(s) failed:", failed.len());
        for f in &failed {
            let _ = writeln!(stderr, "  ✗ {f}");
        }
        Ok(ExitCode::FAILURE)
    }
}

/// Writes to stdout; a closed pipe (`s3lab run --all | head`) ends quietly.
fn write_out(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("could not write to stdout"),
    }
}
