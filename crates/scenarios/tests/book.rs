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

/// What `s3lab run <id>` prints, with TLS record lengths redacted.
fn transcript_text(id: &str) -> String {
    let scenario = s3lab_scenarios::lookup(id).expect("scenario");
    let transcript = run(scenario, Some(DEFAULT_SEED)).expect("runs");
    render_text(&without_tls_lengths(&transcript), 80)
}

#[test]
fn every_transcript_in_the_book_is_what_s3lab_run_prints_today() {
    let dir = root().join("book/src/transcripts");
    let update = std::env::var_os("S3LAB_UPDATE_BOOK").is_some();
    let mut stale = Vec::new();
    for scenario in catalog() {
        let path = dir.join(format!("{}.txt", scenario.id));
        let fresh = transcript_text(scenario.id);
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
