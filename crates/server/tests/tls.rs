//! The lab's CA and server certificate on disk.

use std::fs;
use std::sync::Arc;

use rustls::pki_types::ServerName;
use s3lab_server::tls::{self, TlsError};
use s3lab_server::{full_body, start, ConnInfo, ListenConfig};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

#[test]
fn first_start_writes_four_files_and_later_starts_reuse_them() {
    let dir = tempfile::tempdir().unwrap();
    let (files, _) = tls::load_or_create(dir.path(), &[]).unwrap();
    let ca = fs::read(&files.ca_pem).unwrap();
    let ca_key = fs::read(&files.ca_key_pem).unwrap();
    let server = fs::read(&files.server_cert_pem).unwrap();
    assert!(String::from_utf8_lossy(&ca).starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(String::from_utf8_lossy(&ca_key).contains("PRIVATE KEY"));

    let (again, _) = tls::load_or_create(dir.path(), &[]).unwrap();
    assert_eq!(again, files);
    assert_eq!(
        fs::read(&files.ca_pem).unwrap(),
        ca,
        "the CA must be reused"
    );
    assert_eq!(fs::read(&files.ca_key_pem).unwrap(), ca_key);
    assert_eq!(
        fs::read(&files.server_cert_pem).unwrap(),
        server,
        "a good server certificate is kept"
    );

    let mut names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["ca-key.pem", "ca.pem", "server-key.pem", "server.pem"]
    );
}

#[cfg(unix)]
#[test]
fn key_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (files, _) = tls::load_or_create(&dir.path().join("tls"), &[]).unwrap();
    for key in [&files.ca_key_pem, &files.server_key_pem] {
        assert_eq!(
            fs::metadata(key).unwrap().permissions().mode() & 0o777,
            0o600,
            "{}",
            key.display()
        );
    }
    assert_eq!(
        fs::metadata(dir.path().join("tls"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o700
    );
}

#[test]
fn corrupt_ca_is_a_clear_error_and_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (files, _) = tls::load_or_create(dir.path(), &[]).unwrap();
    let garbage = b"-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n";
    fs::write(&files.ca_pem, garbage).unwrap();
    let err = tls::load_or_create(dir.path(), &[]).unwrap_err();
    assert!(
        matches!(err, TlsError::Unusable { ref path, .. } if *path == files.ca_pem),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains(&files.ca_pem.display().to_string()), "{text}");
    assert!(text.contains("not valid PEM"), "{text}");
    assert_eq!(
        fs::read(&files.ca_pem).unwrap(),
        garbage,
        "the file must not be touched"
    );

    // Not PEM at all, and a certificate that is not X.509: the same.
    fs::write(&files.ca_pem, b"hello").unwrap();
    let text = tls::load_or_create(dir.path(), &[])
        .unwrap_err()
        .to_string();
    assert!(text.contains("no PEM certificate"), "{text}");
    let not_x509 = "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n";
    fs::write(&files.ca_pem, not_x509).unwrap();
    let text = tls::load_or_create(dir.path(), &[])
        .unwrap_err()
        .to_string();
    assert!(text.contains("not a readable X.509 certificate"), "{text}");
    assert_eq!(fs::read_to_string(&files.ca_pem).unwrap(), not_x509);
}

#[test]
fn corrupt_keys_and_server_certificates_are_errors_too() {
    let dir = tempfile::tempdir().unwrap();
    let (files, _) = tls::load_or_create(dir.path(), &[]).unwrap();
    let good_ca_key = fs::read(&files.ca_key_pem).unwrap();

    fs::write(
        &files.ca_key_pem,
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let text = tls::load_or_create(dir.path(), &[])
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("ca-key.pem") && text.contains("private key"),
        "{text}"
    );

    // A valid key that belongs to another CA.
    let other = tempfile::tempdir().unwrap();
    let (other_files, _) = tls::load_or_create(other.path(), &[]).unwrap();
    fs::copy(&other_files.ca_key_pem, &files.ca_key_pem).unwrap();
    let text = tls::load_or_create(dir.path(), &[])
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("does not belong to the certificate"),
        "{text}"
    );
    fs::write(&files.ca_key_pem, &good_ca_key).unwrap();

    fs::write(&files.server_cert_pem, b"garbage").unwrap();
    let text = tls::load_or_create(dir.path(), &[])
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("server.pem") && text.contains("issues new ones from the same CA"),
        "{text}"
    );
    assert_eq!(fs::read(&files.server_cert_pem).unwrap(), b"garbage");
}

#[test]
fn missing_ca_key_is_an_error_and_the_ca_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (files, _) = tls::load_or_create(dir.path(), &[]).unwrap();
    let ca = fs::read(&files.ca_pem).unwrap();
    fs::remove_file(&files.ca_key_pem).unwrap();
    let text = tls::load_or_create(dir.path(), &[])
        .unwrap_err()
        .to_string();
    assert!(text.contains("ca-key.pem is missing"), "{text}");
    assert_eq!(fs::read(&files.ca_pem).unwrap(), ca);
}

#[test]
fn a_missing_server_key_gets_a_new_server_certificate_from_the_same_ca() {
    let dir = tempfile::tempdir().unwrap();
    let (files, _) = tls::load_or_create(dir.path(), &[]).unwrap();
    let ca = fs::read(&files.ca_pem).unwrap();
    let server = fs::read(&files.server_cert_pem).unwrap();
    fs::remove_file(&files.server_key_pem).unwrap();
    tls::load_or_create(dir.path(), &[]).unwrap();
    assert_eq!(fs::read(&files.ca_pem).unwrap(), ca);
    assert_ne!(fs::read(&files.server_cert_pem).unwrap(), server);
    assert!(files.server_key_pem.exists());
}

#[test]
fn bad_extra_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = tls::load_or_create(dir.path(), &["no spaces please".to_owned()]).unwrap_err();
    assert!(matches!(err, TlsError::BadName(_)), "{err:?}");
}

/// Completes a handshake with a client that trusts only `ca_pem`, for `name`, to `addr`.
async fn handshake(
    addr: std::net::SocketAddr,
    name: &str,
    ca_pem: &std::path::Path,
) -> std::io::Result<()> {
    let connector = TlsConnector::from(tls::client_config(ca_pem).unwrap());
    let tcp = TcpStream::connect(addr).await?;
    connector
        .connect(ServerName::try_from(name.to_owned()).unwrap(), tcp)
        .await
        .map(drop)
}

#[tokio::test]
async fn a_missing_name_is_added_by_reissuing_from_the_stored_ca() {
    let dir = tempfile::tempdir().unwrap();
    let (files, _) = tls::load_or_create(dir.path(), &[]).unwrap();
    let ca = fs::read(&files.ca_pem).unwrap();
    let server = fs::read(&files.server_cert_pem).unwrap();

    let (_, config) = tls::load_or_create(
        dir.path(),
        &["lab.s3lab.test".to_owned(), "10.1.2.3".to_owned()],
    )
    .unwrap();
    assert_eq!(fs::read(&files.ca_pem).unwrap(), ca, "the CA stays");
    let reissued = fs::read(&files.server_cert_pem).unwrap();
    assert_ne!(reissued, server, "the server certificate is re-issued");

    // A client that trusted ca.pem before the re-issue accepts the new certificate under every name.
    let handler = |_req: http::Request<hyper::body::Incoming>, _c: ConnInfo| async {
        http::Response::new(full_body(""))
    };
    let server = start(&ListenConfig::default(), config, Arc::new(handler))
        .await
        .unwrap();
    for name in [
        "lab.s3lab.test",
        "10.1.2.3",
        "localhost",
        "127.0.0.1",
        "::1",
    ] {
        handshake(server.https_addr, name, &files.ca_pem)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    assert!(
        handshake(server.https_addr, "elsewhere.test", &files.ca_pem)
            .await
            .is_err()
    );
    server.shutdown().await;

    // Asking again for names it has changes nothing.
    tls::load_or_create(dir.path(), &["lab.s3lab.test".to_owned()]).unwrap();
    assert_eq!(fs::read(&files.server_cert_pem).unwrap(), reissued);
}
