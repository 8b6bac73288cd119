//! The authoring check, Rust side: `labs/info.toml` and the folders agree, every README links to
//! files that exist (book chapters once `book/src` exists), and every code lab's starter fails its
//! check while its reference solution passes, through the real checker and `cargo test`.
//! (Command and investigation labs are driven by the AWS CLI in `tests/python/test_labs.py`.)

use std::path::{Path, PathBuf};

use http::Method;
use s3lab_client::RequestSpec;
use s3lab_labs::conn::LabConn;
use s3lab_labs::{check_lab, GoalStatus, Home, LabKind, LabServerOptions, Registry};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn registry() -> Registry {
    Registry::load(&workspace().join("labs")).expect("labs/info.toml and every lab folder load")
}

/// One Cargo target folder for every code lab of every test run, so their few dependencies
/// build once.
fn labs_target_dir() -> PathBuf {
    workspace().join("target").join("labs-target")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn info_toml_and_the_folders_agree() {
    let reg = registry();
    assert!(
        reg.labs().len() >= 14,
        "the issue asks for at least 14 labs"
    );
    assert_eq!(
        reg.unlisted_folders().unwrap(),
        Vec::<String>::new(),
        "lab folders not in info.toml"
    );
    let solutions = reg.root().join("solutions");
    let mut solution_dirs: Vec<String> = std::fs::read_dir(&solutions)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    solution_dirs.sort();
    let mut lab_dirs: Vec<String> = reg.labs().iter().map(|l| l.dir.clone()).collect();
    lab_dirs.sort();
    assert_eq!(
        solution_dirs, lab_dirs,
        "every lab has exactly one solutions/ folder"
    );
    for lab in reg.labs() {
        let what = format!("lab {} ({})", lab.number, lab.dir);
        assert!(!lab.hints.is_empty(), "{what} has no hints");
        let readme = lab.readme().unwrap();
        assert!(
            readme.starts_with(&format!("# Lab {} · ", lab.number)),
            "{what}: README title"
        );
        assert!(
            readme.contains("## Observe"),
            "{what}: README has no Observe section"
        );
        assert!(
            readme.contains("## Actions") || readme.contains("## Tasks"),
            "{what}: README has no numbered actions"
        );
        assert!(
            readme.contains(&format!("s3lab lab check {}", lab.number)),
            "{what}: README check command"
        );
        assert!(
            readme.contains(&format!("(../../book/src/{}.md)", lab.chapter)),
            "{what}: README must link its book chapter book/src/{}.md",
            lab.chapter
        );
        match lab.kind {
            LabKind::Code => {
                assert!(
                    lab.spec.server.is_none(),
                    "{what}: a code lab needs no server"
                );
                let manifest =
                    std::fs::read_to_string(lab.starter_path().join("Cargo.toml")).unwrap();
                assert!(
                    manifest.contains("\n[workspace]"),
                    "{what}: its crate must be its own workspace"
                );
                assert!(
                    lab.starter_path().join("Cargo.lock").is_file(),
                    "{what}: Cargo.lock pins its dependencies"
                );
                assert!(
                    lab.starter_path().join("tests").is_dir(),
                    "{what}: tests/ is the check"
                );
                let lib = std::fs::read_to_string(lab.starter_path().join("src/lib.rs")).unwrap();
                assert!(
                    lib.contains("// TODO"),
                    "{what}: the starter has no // TODO"
                );
            }
            LabKind::Command | LabKind::Investigation => {
                assert!(
                    lab.spec.server.is_some(),
                    "{what}: needs a [server] in check.toml"
                );
                assert!(
                    lab.solution_path.join("solution.sh").is_file(),
                    "{what}: solution.sh"
                );
                assert!(
                    readme.contains(&format!("s3lab lab start {}", lab.number)),
                    "{what}: README start command"
                );
            }
        }
    }
    let seeds: std::collections::BTreeSet<u64> = reg
        .labs()
        .iter()
        .filter_map(|l| l.spec.server.as_ref().map(|s| s.seed))
        .collect();
    let servers = reg.labs().iter().filter(|l| l.needs_server()).count();
    assert_eq!(seeds.len(), servers, "every lab has its own seed");
}

/// Relative link targets of a Markdown text: `[text](target)`, without `#anchors`.
fn relative_links(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = markdown;
    while let Some(i) = rest.find("](") {
        rest = &rest[i + 2..];
        if let Some(end) = rest.find(')') {
            let target = rest[..end].split('#').next().unwrap_or("").trim();
            if !target.is_empty() && !target.contains("://") && !target.starts_with("mailto:") {
                out.push(target.to_owned());
            }
            rest = &rest[end..];
        }
    }
    out
}

#[test]
fn readme_links_resolve() {
    let reg = registry();
    let book_src = workspace().join("book/src");
    let book_exists = book_src.is_dir();
    let mut missing = Vec::new();
    for lab in reg.labs() {
        for target in relative_links(&lab.readme().unwrap()) {
            let path = lab.path.join(&target);
            let into_book = path.components().any(|c| c.as_os_str() == "book");
            if into_book && !book_exists {
                // The book is written later; once book/src exists, every chapter link must resolve.
                continue;
            }
            if !path.exists() {
                missing.push(format!("{}: {target}", lab.dir));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "README links to missing files:\n{}",
        missing.join("\n")
    );
}

#[test]
fn relative_links_are_found() {
    assert_eq!(
        relative_links("see [a](../b.md#x), [web](https://x.org) and [c](c.txt)."),
        vec!["../b.md", "c.txt"]
    );
}

#[test]
fn code_labs_starter_fails_and_solution_passes() {
    let reg = registry();
    let rt = runtime();
    for lab in reg.labs().iter().filter(|l| l.kind == LabKind::Code) {
        let home_dir = tempfile::tempdir().unwrap();
        let home = Home::at(home_dir.path()).with_target_dir(labs_target_dir());
        let report = rt.block_on(check_lab(lab, &home));
        assert!(
            !report.passed(),
            "lab {}: the starter passes its check:\n{}",
            lab.number,
            report.render()
        );
        for goal in &report.goals {
            assert_eq!(
                goal.status,
                GoalStatus::NotMet,
                "lab {}: every goal of the starter fails, with what was observed:\n{}",
                lab.number,
                report.render()
            );
        }
        home.apply_solution(lab).unwrap();
        let report = rt.block_on(check_lab(lab, &home));
        assert!(
            report.passed(),
            "lab {}: the reference solution fails:\n{}",
            lab.number,
            report.render()
        );
    }
}

#[test]
fn a_code_lab_restores_its_tests_before_checking() {
    let reg = registry();
    let lab = reg.find("sse_c_headers").unwrap();
    let home_dir = tempfile::tempdir().unwrap();
    let home = Home::at(home_dir.path()).with_target_dir(labs_target_dir());
    home.apply_solution(lab).unwrap();
    // A learner "fixes" a test instead of the code: the check does not count it.
    let work = home.work_dir(lab);
    std::fs::write(work.join("src/lib.rs"), "pub fn nothing() {}\n").unwrap();
    std::fs::write(
        work.join("tests/check.rs"),
        "#[test]\nfn the_three_headers() {}\n",
    )
    .unwrap();
    let report = runtime().block_on(check_lab(lab, &home));
    assert!(!report.passed(), "{}", report.render());
    let text = report.render();
    assert!(text.contains("the crate does not build"), "{text}");
}

#[test]
fn a_command_lab_against_its_own_seeded_server() {
    let reg = registry();
    let lab = reg.find("enforce_policy").unwrap();
    let home_dir = tempfile::tempdir().unwrap();
    let home = Home::at(home_dir.path());
    let rt = runtime();
    rt.block_on(async {
        // Without a server, nothing can be checked: `?`, and a sentence saying what to do.
        let report = check_lab(lab, &home).await;
        assert!(report.incomplete());
        assert!(
            report.render().contains("s3lab lab start 4"),
            "{}",
            report.render()
        );

        let options = LabServerOptions {
            http_port: 0,
            https_port: 0,
            ..LabServerOptions::default()
        };
        let running = s3lab_labs::start_lab_server(lab, &home, &options)
            .await
            .unwrap();
        assert!(running.seeded_now);
        let report = check_lab(lab, &home).await;
        let text = report.render();
        assert!(!report.passed() && !report.incomplete(), "{text}");
        assert!(
            text.contains("✗ an upload without x-amz-server-side-encryption is refused"),
            "{text}"
        );
        assert!(text.contains("answered 200 (it was allowed)"), "{text}");
        assert!(
            text.contains("there is no object s3://enforce-lab/signed-off.txt"),
            "{text}"
        );

        // The reference solution's policy, applied as the learner would.
        let conn = LabConn::open(&running.data_dir).unwrap().unwrap();
        let policy = std::fs::read_to_string(lab.solution_path.join("policy.json")).unwrap();
        let put = |spec: RequestSpec| {
            let conn = conn.clone();
            async move { conn.s3("admin", true, &spec).await.unwrap() }
        };
        assert_eq!(
            put(RequestSpec::new(Method::PUT, "/enforce-lab?policy").body(policy))
                .await
                .status,
            204
        );
        let signed = RequestSpec::new(Method::PUT, "/enforce-lab/signed-off.txt")
            .header("x-amz-server-side-encryption", "AES256")
            .body("ok");
        assert_eq!(put(signed).await.status, 200);
        let report = check_lab(lab, &home).await;
        assert!(report.passed(), "{}", report.render());
        // The probes cleaned up after themselves.
        assert_eq!(
            conn.list("enforce-lab", "probe/").await.unwrap(),
            Some(vec![])
        );
        running.shutdown().await;

        // A restart keeps the state and does not seed it again.
        let again = s3lab_labs::start_lab_server(lab, &home, &options)
            .await
            .unwrap();
        assert!(!again.seeded_now);
        assert!(check_lab(lab, &home).await.passed());
        again.shutdown().await;
    });
}
