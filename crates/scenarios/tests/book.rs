//! The book's freshness and links.
//!
//! Each chapter includes `book/src/transcripts/<scenario>.txt`, which must be exactly what
//! `s3lab run <scenario>` prints today (TLS record lengths aside, as in the snapshots). When a
//! scenario changes, regenerate them with
//! `S3LAB_UPDATE_BOOK=1 cargo test -p s3lab-scenarios --test book` and read the diff.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use s3lab_scenarios::{catalog, run, without_tls_lengths, DEFAULT_SEED};
use s3lab_transcript::render_text;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// What `s3lab run <id>` prints, with TLS record lengths redacted, or why it could not run.
fn transcript_text(id: &str) -> Result<String, String> {
    let scenario = s3lab_scenarios::lookup(id).map_err(|e| e.to_string())?;
    let transcript = run(scenario, Some(DEFAULT_SEED)).map_err(|e| e.to_string())?;
    Ok(render_text(&without_tls_lengths(&transcript), 80))
}

#[test]
fn every_transcript_in_the_book_is_what_s3lab_run_prints_today() {
    let dir = root().join("book/src/transcripts");
    let update = std::env::var_os("S3LAB_UPDATE_BOOK").is_some();
    let mut stale = Vec::new();
    let mut failed = Vec::new();
    for scenario in catalog() {
        let path = dir.join(format!("{}.txt", scenario.id));
        // A scenario that does not run yet is reported, and the others are still compared (and,
        // when updating, written).
        let fresh = match transcript_text(scenario.id) {
            Ok(text) => text,
            Err(e) => {
                failed.push(format!("{}: {e}", scenario.id));
                continue;
            }
        };
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != fresh {
            if update {
                std::fs::write(&path, &fresh).expect("write transcript");
            } else {
                stale.push(scenario.id);
            }
        }
    }
    assert!(
        failed.is_empty(),
        "these scenarios did not run, so their transcripts could not be checked:\n{}",
        failed.join("\n")
    );
    assert!(
        stale.is_empty(),
        "the book's transcripts of {stale:?} differ from what `s3lab run` prints today; \
         regenerate with S3LAB_UPDATE_BOOK=1 cargo test -p s3lab-scenarios --test book, \
         and read the diff"
    );
}

#[test]
fn every_scenario_has_a_chapter_that_includes_its_transcript() {
    let src = root().join("book/src");
    let summary = std::fs::read_to_string(src.join("SUMMARY.md")).expect("SUMMARY.md");
    for scenario in catalog() {
        let chapter = format!("{}.md", scenario.id);
        assert!(
            summary.contains(&format!("]({chapter})")),
            "SUMMARY.md has no chapter {chapter}"
        );
        let text = std::fs::read_to_string(src.join(&chapter))
            .unwrap_or_else(|e| panic!("book/src/{chapter}: {e}"));
        let include = format!("{{{{#include transcripts/{}.txt}}}}", scenario.id);
        assert!(
            text.contains(&include),
            "{chapter} does not include its transcript ({include})"
        );
    }
}

/// Every markdown file of the book and of the labs.
fn markdown_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![root().join("book/src"), root().join("labs")];
    // Bounded: the tree is small; a cycle of symlinks would stop here.
    let mut budget = 10_000;
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            budget -= 1;
            assert!(budget > 0, "too many files under book/ and labs/");
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n == "target") {
                    continue;
                }
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The targets of `[text](target)` links and `{{#include target}}` directives in `text`.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code && !line.contains("{{#include") {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let Some(end) = after.find(')') else { break };
            out.push(after[..end].trim().to_owned());
            rest = &after[end..];
        }
        if let Some(i) = line.find("{{#include ") {
            let after = &line[i + "{{#include ".len()..];
            if let Some(end) = after.find("}}") {
                out.push(
                    after[..end]
                        .split(':')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_owned(),
                );
            }
        }
    }
    out
}

#[test]
fn no_link_in_the_book_or_the_labs_is_broken() {
    let mut broken = BTreeSet::new();
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).expect("read");
        let dir = file.parent().expect("a folder");
        for link in links(&text) {
            if link.is_empty()
                || link.starts_with('#')
                || link.contains("://")
                || link.starts_with("mailto:")
            {
                continue;
            }
            let path = link.split('#').next().unwrap_or("");
            if !dir.join(path).exists() {
                broken.insert(format!("{} → {link}", file.display()));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", {
        let v: Vec<_> = broken.into_iter().collect();
        v.join("\n")
    });
}

#[test]
fn the_link_finder_finds_links_and_includes() {
    let found = links(
        "See [a](a.md) and [b](../b.md#x).\n```text\n{{#include t/x.txt}}\n[not](a link)\n```\n",
    );
    assert_eq!(found, vec!["a.md", "../b.md#x", "t/x.txt"]);
}

/// One lab of `labs/info.toml`.
#[derive(Debug, Default, Clone)]
struct LabInfo {
    dir: String,
    kind: String,
    chapter: String,
}

/// The labs of `labs/info.toml`, in order (lab N is element N-1). A small reader for the file's
/// flat `[[labs]]` tables of `key = "value"` lines, enough for the three keys the book checks.
fn labs_info() -> Vec<LabInfo> {
    let path = root().join("labs/info.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (the book names labs by number)", path.display()));
    let mut labs: Vec<LabInfo> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line == "[[labs]]" {
            labs.push(LabInfo::default());
            continue;
        }
        let (Some(lab), Some((key, value))) = (labs.last_mut(), line.split_once('=')) else {
            continue;
        };
        let value = value.trim().trim_matches('"').to_owned();
        match key.trim() {
            "dir" => lab.dir = value,
            "kind" => lab.kind = value,
            "chapter" => lab.chapter = value,
            _ => {}
        }
    }
    assert!(!labs.is_empty(), "{} lists no labs", path.display());
    labs
}

/// Every `lab <verb> <number>` in `text` (as in `s3lab lab start 2`), as (verb, number).
fn lab_commands(text: &str) -> Vec<(String, usize)> {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == '`' || c == '(' || c == ')')
        .filter(|w| !w.is_empty())
        .collect();
    let mut out = Vec::new();
    for w in words.windows(3) {
        if w[0] != "lab" {
            continue;
        }
        let number = w[2].trim_end_matches(|c: char| !c.is_ascii_digit());
        if let Ok(n) = number.parse::<usize>() {
            out.push((w[1].to_owned(), n));
        }
    }
    out
}

/// Every `labs/<folder>` the text names, as the folder.
fn lab_folders(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("labs/") {
        let after = &rest[i + "labs/".len()..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let folder = &after[..end];
        // Only numbered lab folders (`labs/02_sse_s3`), not `labs/info.toml` or `labs/solutions`.
        if folder.len() > 3 && folder.as_bytes()[..2].iter().all(u8::is_ascii_digit) {
            out.push(folder.to_owned());
        }
        rest = after;
    }
    out
}

#[test]
fn every_lab_the_book_names_exists_and_is_named_the_right_way() {
    let labs = labs_info();
    let mut wrong = BTreeSet::new();
    for file in markdown_files() {
        if !file.starts_with(root().join("book")) {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read");
        let name = file.display();
        for (verb, n) in lab_commands(&text) {
            let Some(lab) = n.checked_sub(1).and_then(|i| labs.get(i)) else {
                wrong.insert(format!(
                    "{name}: `lab {verb} {n}`, but labs/info.toml has {} labs",
                    labs.len()
                ));
                continue;
            };
            // A code lab has no server: it is checked, never started.
            if verb == "start" && lab.kind == "code" {
                wrong.insert(format!(
                    "{name}: `lab start {n}`, but lab {n} ({}) is a code lab: `lab check {n}`",
                    lab.dir
                ));
            }
        }
        for folder in lab_folders(&text) {
            if !labs.iter().any(|l| l.dir == folder) {
                wrong.insert(format!(
                    "{name}: labs/{folder} is not a lab of labs/info.toml"
                ));
            }
        }
    }
    // Each lab is named, with its command and its folder, by the chapter info.toml gives it.
    for (i, lab) in labs.iter().enumerate() {
        let n = i + 1;
        let chapter = root().join("book/src").join(format!("{}.md", lab.chapter));
        let Ok(text) = std::fs::read_to_string(&chapter) else {
            wrong.insert(format!(
                "lab {n} ({}) belongs to chapter {:?}, which the book does not have",
                lab.dir, lab.chapter
            ));
            continue;
        };
        let verb = if lab.kind == "code" { "check" } else { "start" };
        if !lab_commands(&text).contains(&(verb.to_owned(), n)) {
            wrong.insert(format!(
                "{}: does not say `lab {verb} {n}` for lab {n} ({})",
                chapter.display(),
                lab.dir
            ));
        }
        if !lab_folders(&text).contains(&lab.dir) {
            wrong.insert(format!(
                "{}: does not name lab {n}'s folder labs/{}",
                chapter.display(),
                lab.dir
            ));
        }
    }
    let wrong: Vec<_> = wrong.into_iter().collect();
    assert!(
        wrong.is_empty(),
        "the book and labs/info.toml disagree:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_lab_finders_find_commands_and_folders() {
    assert_eq!(
        lab_commands("Run `cargo run -p s3lab -- lab start 2` (then `s3lab lab check 3`), lab 4."),
        vec![("start".to_owned(), 2), ("check".to_owned(), 3)]
    );
    assert_eq!(
        lab_folders("see `labs/02_sse_s3/README.md`, labs/info.toml and labs/18_final_challenge."),
        vec!["02_sse_s3", "18_final_challenge"]
    );
}
