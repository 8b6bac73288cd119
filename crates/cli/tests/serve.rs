//! `s3lab serve` as a learner (or a test harness) runs it: the real binary, real sockets on loopback.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use s3lab_server::ready::{read_ready_file, ReadyInfo};
use s3lab_server::tls;

/// Upper bound for the server to start or stop, so a bug fails the test instead of hanging it.
const PATIENCE: Duration = Duration::from_secs(60);
const READY_LINE: &str = "s3lab is ready.";

/// A running `s3lab` process, killed when dropped.
struct Serve {
    child: Child,
    lines: mpsc::Receiver<String>,
    stdout: Vec<String>,
    stderr: Arc<Mutex<String>>,
}

impl Serve {
    fn spawn(args: &[&str]) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_s3lab"))
            .args(args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("could not run s3lab");
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        let mut pipe = child.stderr.take().unwrap();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Serve {
            child,
            lines,
            stdout: Vec::new(),
            stderr,
        }
    }

    /// Reads stdout until the ready line; panics with stderr if the process stops first.
    fn wait_ready(&mut self) {
        loop {
            match self.lines.recv_timeout(PATIENCE) {
                Ok(line) => {
                    let done = line == READY_LINE;
                    self.stdout.push(line);
                    if done {
                        return;
                    }
                }
                Err(e) => panic!(
                    "s3lab did not get ready ({e}); stdout:\n{}\nstderr:\n{}",
                    self.stdout.join("\n"),
                    self.stderr()
                ),
            }
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits for the process to exit by itself: its stdout closes, then it is reaped.
    fn wait_exit(&mut self) -> ExitStatus {
        loop {
            match self.lines.recv_timeout(PATIENCE) {
                Ok(line) => self.stdout.push(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!("s3lab did not exit; stderr:\n{}", self.stderr())
                }
            }
        }
        self.child.wait().unwrap()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn addr_of(url: &str) -> SocketAddr {
    let rest = url.split_once("://").unwrap().1;
    rest.trim_end_matches('/').parse().unwrap()
}

/// One request with `Connection: close`; returns the whole raw response.
fn exchange<S: Read + Write>(stream: &mut S) -> String {
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut raw = Vec::new();
    match stream.read_to_end(&mut raw) {
        Ok(_) => {}
        // A peer may close without a TLS close_notify; what arrived is still the answer.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !raw.is_empty() => {}
        Err(e) => panic!("reading the response: {e}"),
    }
    String::from_utf8_lossy(&raw).into_owned()
}

fn get_http(url: &str) -> String {
    let mut tcp = TcpStream::connect(addr_of(url)).unwrap();
    tcp.set_read_timeout(Some(PATIENCE)).unwrap();
    exchange(&mut tcp)
}

fn get_https(url: &str, ca_pem: &Path) -> String {
    let addr = addr_of(url);
    let config = tls::client_config(ca_pem).unwrap();
    let name = rustls::pki_types::ServerName::IpAddress(addr.ip().into());
    let conn = rustls::ClientConnection::new(config, name).unwrap();
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut stream = rustls::StreamOwned::new(conn, tcp);
    exchange(&mut stream)
}

fn serve_args<'a>(data: &'a str, ready: &'a str) -> Vec<&'a str> {
    vec![
        "serve",
        "--data-dir",
        data,
        "--http-port",
        "0",
        "--https-port",
        "0",
        "--ready-file",
        ready,
    ]
}

#[test]
fn serve_announces_itself_and_answers_on_both_ports() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ready_path = dir.path().join("ready.json");
    let (data_s, ready_s) = (data.to_str().unwrap(), ready_path.to_str().unwrap());
    let mut serve = Serve::spawn(&serve_args(data_s, ready_s));
    serve.wait_ready();

    let ready: ReadyInfo = read_ready_file(&ready_path).unwrap();
    assert!(ready.http.starts_with("http://127.0.0.1:"), "{ready:?}");
    assert!(ready.https.starts_with("https://127.0.0.1:"), "{ready:?}");
    assert_eq!(ready.region, "us-east-1");
    assert_eq!(Path::new(&ready.ca_pem), data.join("tls").join("ca.pem"));
    assert!(Path::new(&ready.ca_pem).is_absolute());
    assert_eq!(ready.credentials[0].name, "admin");

    let banner = serve.stdout.join("\n");
    assert!(
        banner.contains(&ready.https)
            && banner.contains(&ready.http)
            && banner.contains(&ready.ca_pem),
        "{banner}"
    );
    assert!(
        banner.contains(&format!(
            "aws --endpoint-url {} kms create-key",
            ready.https
        )),
        "{banner}"
    );
    assert!(
        banner.contains(&format!("aws --endpoint-url {} s3 ls", ready.https)),
        "{banner}"
    );
    assert!(
        banner.contains(&format!(
            "AWS_ACCESS_KEY_ID={}",
            ready.credentials[0].access_key_id
        )),
        "{banner}"
    );

    // An unsigned ListBuckets is S3's anonymous request: 403 AccessDenied, on both listeners.
    let plain = get_http(&ready.http);
    assert!(plain.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{plain}");
    assert!(plain.contains("<Code>AccessDenied</Code>"), "{plain}");
    let secure = get_https(&ready.https, Path::new(&ready.ca_pem));
    assert!(secure.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{secure}");
    assert!(secure.contains("<Code>AccessDenied</Code>"), "{secure}");
}

/// A log line that cannot be written (stderr closed, or a log file on a full disk) must not stop
/// the lab: tracing-subscriber reports its own write errors with `eprintln!`, which panics when
/// stderr cannot be written either.
#[test]
fn a_closed_stderr_does_not_stop_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ready_path = dir.path().join("ready.json");
    let (data_s, ready_s) = (data.to_str().unwrap(), ready_path.to_str().unwrap());
    let mut child = Command::new(env!("CARGO_BIN_EXE_s3lab"))
        .args(serve_args(data_s, ready_s))
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("could not run s3lab");
    drop(child.stderr.take());
    let (tx, lines) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut serve = Serve {
        child,
        lines,
        stdout: Vec::new(),
        stderr: Arc::new(Mutex::new("(closed)".to_owned())),
    };
    serve.wait_ready();
    let ready: ReadyInfo = read_ready_file(&ready_path).unwrap();
    let plain = get_http(&ready.http);
    assert!(plain.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{plain}");
    assert!(
        serve.child.try_wait().unwrap().is_none(),
        "s3lab stopped after writing to a closed stderr"
    );
}

#[cfg(unix)]
#[test]
fn sigterm_stops_it_gracefully_with_exit_code_zero() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ready_path = dir.path().join("ready.json");
    let mut serve = Serve::spawn(&serve_args(
        data.to_str().unwrap(),
        ready_path.to_str().unwrap(),
    ));
    serve.wait_ready();
    assert!(ready_path.exists());
    let status = Command::new("kill")
        .args(["-TERM", &serve.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let status = serve.wait_exit();
    assert_eq!(status.code(), Some(0), "stderr:\n{}", serve.stderr());
    assert!(
        !ready_path.exists(),
        "the ready file should be removed on exit"
    );
    assert!(
        data.join("tls").join("ca.pem").exists(),
        "the data folder is kept"
    );
}

#[test]
fn a_busy_port_is_a_one_line_error_with_a_hint() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut serve = Serve::spawn(&[
        "serve",
        "--data-dir",
        data.to_str().unwrap(),
        "--http-port",
        "0",
        "--https-port",
        &port,
    ]);
    let status = serve.wait_exit();
    assert_eq!(status.code(), Some(1));
    let stderr = serve.stderr();
    assert!(
        stderr.contains(&format!(
            "error: could not bind 127.0.0.1:{port}: address in use — pass --https-port 0 for any free port"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_corrupt_ca_is_reported_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let tls_dir = dir.path().join("tls");
    std::fs::create_dir_all(&tls_dir).unwrap();
    std::fs::write(tls_dir.join("ca.pem"), "not a certificate").unwrap();
    std::fs::write(tls_dir.join("ca-key.pem"), "not a key").unwrap();
    let mut serve = Serve::spawn(&[
        "serve",
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--http-port",
        "0",
        "--https-port",
        "0",
    ]);
    assert_eq!(serve.wait_exit().code(), Some(1));
    let stderr = serve.stderr();
    assert!(
        stderr.contains("error: could not set up TLS: ") && stderr.contains("ca.pem"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(tls_dir.join("ca.pem")).unwrap(),
        "not a certificate"
    );
}

fn admin(ready: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_s3lab"))
        .args(["admin", "--ready", ready])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn admin_rotates_the_root_key_and_refuses_a_reader() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ready_path = dir.path().join("ready.json");
    let (data_s, ready_s) = (data.to_str().unwrap(), ready_path.to_str().unwrap());
    let mut serve = Serve::spawn(&serve_args(data_s, ready_s));
    serve.wait_ready();
    let out = admin(ready_s, &["root-key-versions"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let before: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(before["versions"].as_array().map(Vec::len), Some(1));
    let out = admin(ready_s, &["rotate-root-key"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(after["versions"][1]["version"], 2);
    let out = admin(ready_s, &["--identity", "reader", "rotate-root-key"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("AccessDenied") && stderr.contains("s3lab:Admin"),
        "{stderr}"
    );
    let out = admin(ready_s, &["history-unencrypted", "--bucket", "nope"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("NoSuchBucket"));
}
