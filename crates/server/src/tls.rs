//! The lab's own certificate authority and the server certificate it signs.
//!
//! The first start writes four files to the TLS folder: `ca.pem` (the certificate a learner points
//! `AWS_CA_BUNDLE` at), `ca-key.pem`, `server.pem` and `server-key.pem`. Later starts reuse them, so
//! a client configured once keeps working. The server certificate is re-issued by the stored CA when
//! it lacks a name that was asked for, no longer matches its key or the CA, or is close to expiry;
//! the CA itself is never replaced. A file that cannot be read or parsed is an error that names the
//! file, and s3lab leaves it as it is.

use std::fs;
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType, PKCS_ECDSA_P256_SHA256,
};
use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use s3lab_env::Clock;
use time::{Duration, OffsetDateTime};
use tracing::info;

/// The CA's common name, as browsers and `openssl x509 -text` show it.
pub const CA_COMMON_NAME: &str = "s3lab local CA";

/// Names every server certificate carries.
pub const DEFAULT_SANS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// The CA is valid for ten years.
const CA_VALIDITY: Duration = Duration::days(3650);

/// The server certificate is valid for 800 days, not ten years: Apple platforms reject any TLS server
/// certificate valid for more than 825 days, even under a private CA. It is re-issued automatically by
/// the stored CA, so clients that trust `ca.pem` never notice.
const SERVER_VALIDITY: Duration = Duration::days(800);

/// Re-issue the server certificate when less than this is left.
const SERVER_RENEW_BEFORE: Duration = Duration::days(30);

/// Where the TLS material lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// The CA certificate: what clients trust (`AWS_CA_BUNDLE`, `curl --cacert`).
    pub ca_pem: PathBuf,
    /// The CA's private key (mode 0600).
    pub ca_key_pem: PathBuf,
    pub server_cert_pem: PathBuf,
    /// The server's private key (mode 0600).
    pub server_key_pem: PathBuf,
}

impl TlsFiles {
    pub fn in_dir(dir: &Path) -> Self {
        TlsFiles {
            ca_pem: dir.join("ca.pem"),
            ca_key_pem: dir.join("ca-key.pem"),
            server_cert_pem: dir.join("server.pem"),
            server_key_pem: dir.join("server-key.pem"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("could not read {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("could not write {}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A file is there but unusable. It is left untouched; `remedy` says what the learner can do.
    #[error("{} {problem}. s3lab leaves it as it is: {remedy}", .path.display())]
    Unusable {
        path: PathBuf,
        problem: String,
        remedy: String,
    },
    #[error("{0:?} cannot be a certificate name: it is neither an IP address nor a DNS name")]
    BadName(String),
    #[error("could not make a certificate")]
    Generate(#[from] rcgen::Error),
    #[error("rustls rejected the TLS configuration")]
    Rustls(#[from] rustls::Error),
}

fn ring() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Loads the lab's TLS material from `dir`, making what is missing, and returns the paths and a
/// rustls server configuration (ring provider, ALPN `http/1.1`).
///
/// The server certificate names `localhost`, `127.0.0.1`, `::1` and each of `extra_sans` (IP
/// addresses or DNS names).
pub fn load_or_create(
    dir: &Path,
    extra_sans: &[String],
) -> Result<(TlsFiles, Arc<rustls::ServerConfig>), TlsError> {
    create_private_dir(dir)?;
    let files = TlsFiles::in_dir(dir);
    let wanted = wanted_sans(extra_sans)?;
    let now = real_now();

    let ca = load_or_create_ca(&files, now)?;
    let (leaf_der, leaf_key_der) = load_or_issue_server_cert(&files, &ca, &wanted, now)?;

    let mut config = rustls::ServerConfig::builder_with_provider(ring())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![leaf_der], leaf_key_der)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    // No TLS 1.3 session tickets. After the handshake a server sends its NewSessionTicket
    // records on its own schedule, racing the client's request, so the order of records a wire
    // tap sees (the in-transit lesson, pinned by a snapshot) changed from run to run. A lab
    // loses nothing by it: every connection does a full handshake, which is what the lesson
    // shows anyway.
    config.send_tls13_tickets = 0;
    Ok((files, Arc::new(config)))
}

/// A rustls client configuration (ring provider, ALPN `http/1.1`) that trusts only the CA in
/// `ca_pem`: what a well-configured client of the lab uses.
pub fn client_config(ca_pem: &Path) -> Result<Arc<rustls::ClientConfig>, TlsError> {
    let text = read_required(ca_pem)?;
    let ca_der = parse_single_cert(ca_pem, &text)?;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(ca_der)
        .map_err(|e| unusable(ca_pem, format!("is not a usable trust anchor ({e})")))?;
    let mut config = rustls::ClientConfig::builder_with_provider(ring())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Certificate validity is checked by real clients against real time, so certificates are dated by
/// the real clock even when the lab runs on a seeded, simulated one.
fn real_now() -> OffsetDateTime {
    Clock::System.now()
}

fn unusable(path: &Path, problem: impl Into<String>) -> TlsError {
    let dir = path.parent().unwrap_or(Path::new(".")).display();
    let is_server_file = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("server"));
    let remedy = if is_server_file {
        format!("delete server.pem and server-key.pem in {dir}, and the next start issues new ones from the same CA")
    } else {
        format!(
            "restore it, or delete the folder {dir} to make a new CA \
             (clients that trust the old ca.pem then need the new one)"
        )
    };
    TlsError::Unusable {
        path: path.to_path_buf(),
        problem: problem.into(),
        remedy,
    }
}

fn wanted_sans(extra: &[String]) -> Result<Vec<SanType>, TlsError> {
    let mut sans: Vec<SanType> = Vec::new();
    for name in DEFAULT_SANS
        .iter()
        .copied()
        .chain(extra.iter().map(String::as_str))
    {
        let san = match name.parse::<IpAddr>() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => {
                let dns = name.trim().to_ascii_lowercase();
                let valid = !dns.is_empty()
                    && dns.len() <= 253
                    && dns.split('.').enumerate().all(|(i, label)| {
                        (label == "*" && i == 0)
                            || (!label.is_empty()
                                && label.len() <= 63
                                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
                    });
                if !valid {
                    return Err(TlsError::BadName(name.to_owned()));
                }
                SanType::DnsName(
                    dns.try_into()
                        .map_err(|_| TlsError::BadName(name.to_owned()))?,
                )
            }
        };
        if !sans.contains(&san) {
            sans.push(san);
        }
    }
    Ok(sans)
}

fn same_san(a: &SanType, b: &SanType) -> bool {
    match (a, b) {
        (SanType::DnsName(x), SanType::DnsName(y)) => x.as_str().eq_ignore_ascii_case(y.as_str()),
        _ => a == b,
    }
}

/// The CA: its parameters (as read back, for signing) and its key.
struct Ca {
    der: CertificateDer<'static>,
    issuer: rcgen::Certificate,
    key: KeyPair,
}

fn load_or_create_ca(files: &TlsFiles, now: OffsetDateTime) -> Result<Ca, TlsError> {
    let cert_text = read_optional(&files.ca_pem)?;
    let key_text = read_optional(&files.ca_key_pem)?;
    match (cert_text, key_text) {
        (None, None) => create_ca(files, now),
        (Some(_), None) => Err(unusable(
            &files.ca_key_pem,
            format!(
                "is missing, and {} cannot sign server certificates without it",
                files.ca_pem.display()
            ),
        )),
        (None, Some(_)) => Err(unusable(
            &files.ca_pem,
            format!(
                "is missing while its key {} is there; delete the key to make a new CA",
                files.ca_key_pem.display()
            ),
        )),
        (Some(cert_text), Some(key_text)) => {
            let der = parse_single_cert(&files.ca_pem, &cert_text)?;
            let params = CertificateParams::from_ca_cert_der(&der).map_err(|e| {
                unusable(
                    &files.ca_pem,
                    format!("is not a readable X.509 certificate ({e})"),
                )
            })?;
            if !matches!(params.is_ca, IsCa::Ca(_)) {
                return Err(unusable(
                    &files.ca_pem,
                    "is not a CA certificate (no CA basic constraint)",
                ));
            }
            if params.not_after <= now {
                return Err(unusable(
                    &files.ca_pem,
                    format!("expired on {}", params.not_after.date()),
                ));
            }
            let key = KeyPair::from_pem(&key_text).map_err(|e| {
                unusable(
                    &files.ca_key_pem,
                    format!("is not a readable private key ({e})"),
                )
            })?;
            check_key_matches(&files.ca_key_pem, &files.ca_pem, &der, &key)?;
            // rcgen signs with a `Certificate`; re-signing the parsed parameters gives one with the same
            // subject and key identifier. Its own bytes are not used: `ca.pem` stays as it is.
            let issuer = params.self_signed(&key)?;
            Ok(Ca { der, issuer, key })
        }
    }
}

fn create_ca(files: &TlsFiles, now: OffsetDateTime) -> Result<Ca, TlsError> {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, CA_COMMON_NAME);
    dn.push(DnType::OrganizationName, "s3lab");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = now - Duration::days(1);
    params.not_after = now + CA_VALIDITY;
    let cert = params.self_signed(&key)?;
    // Key first: a crash between the two writes leaves a key without a certificate, which the next
    // start reports, rather than a certificate nobody can sign with.
    write_private(&files.ca_key_pem, key.serialize_pem().as_bytes())?;
    write_public(&files.ca_pem, cert.pem().as_bytes())?;
    info!(path = %files.ca_pem.display(), "made a new local CA");
    Ok(Ca {
        der: cert.der().clone(),
        issuer: cert,
        key,
    })
}

fn load_or_issue_server_cert(
    files: &TlsFiles,
    ca: &Ca,
    wanted: &[SanType],
    now: OffsetDateTime,
) -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), TlsError> {
    let cert_text = read_optional(&files.server_cert_pem)?;
    let key_text = read_optional(&files.server_key_pem)?;
    if let (Some(cert_text), Some(key_text)) = (cert_text, key_text) {
        let der = parse_single_cert(&files.server_cert_pem, &cert_text)?;
        let params = CertificateParams::from_ca_cert_der(&der).map_err(|e| {
            unusable(
                &files.server_cert_pem,
                format!("is not a readable X.509 certificate ({e})"),
            )
        })?;
        let key_der = PrivateKeyDer::from_pem_slice(key_text.as_bytes()).map_err(|e| {
            unusable(
                &files.server_key_pem,
                format!("is not a readable private key ({e})"),
            )
        })?;
        match reason_to_reissue(&der, &params, &key_der, ca, wanted, now) {
            None => return Ok((der, key_der)),
            Some(why) => {
                info!(path = %files.server_cert_pem.display(), why, "re-issuing the server certificate")
            }
        }
    }
    issue_server_cert(files, ca, wanted, now)
}

/// Why a readable server certificate cannot be used as it is, if it cannot.
fn reason_to_reissue(
    der: &CertificateDer<'static>,
    params: &CertificateParams,
    key_der: &PrivateKeyDer<'static>,
    ca: &Ca,
    wanted: &[SanType],
    now: OffsetDateTime,
) -> Option<String> {
    if let Some(missing) = wanted.iter().find(|w| {
        !params
            .subject_alt_names
            .iter()
            .any(|have| same_san(w, have))
    }) {
        return Some(format!("it does not name {}", san_text(missing)));
    }
    if params.not_after - SERVER_RENEW_BEFORE <= now {
        return Some(format!("it expires on {}", params.not_after.date()));
    }
    let provider = rustls::crypto::ring::default_provider();
    if let Err(e) = CertifiedKey::from_der(vec![der.clone()], key_der.clone_key(), &provider) {
        return Some(format!("it does not match server-key.pem ({e})"));
    }
    if let Err(e) = verify_with_ca(der, &ca.der) {
        return Some(format!("the CA in ca.pem does not vouch for it ({e})"));
    }
    None
}

fn san_text(san: &SanType) -> String {
    match san {
        SanType::DnsName(n) => n.as_str().to_owned(),
        SanType::IpAddress(ip) => ip.to_string(),
        other => format!("{other:?}"),
    }
}

/// Checks `leaf` the way a client that trusts only `ca` would, for the name `localhost`, now.
fn verify_with_ca(
    leaf: &CertificateDer<'static>,
    ca: &CertificateDer<'static>,
) -> Result<(), rustls::Error> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone())?;
    let verifier =
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), ring())
            .build()
            .map_err(|e| rustls::Error::General(e.to_string()))?;
    let name =
        ServerName::try_from("localhost").map_err(|e| rustls::Error::General(e.to_string()))?;
    verifier.verify_server_cert(leaf, &[], &name, &[], UnixTime::now())?;
    Ok(())
}

fn issue_server_cert(
    files: &TlsFiles,
    ca: &Ca,
    wanted: &[SanType],
    now: OffsetDateTime,
) -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), TlsError> {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "s3lab server");
    dn.push(DnType::OrganizationName, "s3lab");
    params.distinguished_name = dn;
    params.subject_alt_names = wanted.to_vec();
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.not_before = now - Duration::days(1);
    params.not_after = now + SERVER_VALIDITY;
    let cert = params.signed_by(&key, &ca.issuer, &ca.key)?;
    // Key first: a crash between the writes leaves a key that does not match the old certificate,
    // and the next start re-issues.
    write_private(&files.server_key_pem, key.serialize_pem().as_bytes())?;
    write_public(&files.server_cert_pem, cert.pem().as_bytes())?;
    info!(path = %files.server_cert_pem.display(), "issued a server certificate");
    let key_der = PrivateKeyDer::try_from(key.serialize_der())
        .map_err(|e| rustls::Error::General(e.to_owned()))?;
    Ok((cert.der().clone(), key_der))
}

fn check_key_matches(
    key_path: &Path,
    cert_path: &Path,
    der: &CertificateDer<'static>,
    key: &KeyPair,
) -> Result<(), TlsError> {
    let key_der = PrivateKeyDer::try_from(key.serialize_der())
        .map_err(|e| unusable(key_path, format!("is not a usable private key ({e})")))?;
    CertifiedKey::from_der(
        vec![der.clone()],
        key_der,
        &rustls::crypto::ring::default_provider(),
    )
    .map(|_| ())
    .map_err(|e| {
        unusable(
            key_path,
            format!(
                "does not belong to the certificate in {} ({e})",
                cert_path.display()
            ),
        )
    })
}

/// Exactly one `CERTIFICATE` block.
fn parse_single_cert(path: &Path, text: &str) -> Result<CertificateDer<'static>, TlsError> {
    let mut certs = Vec::new();
    for item in CertificateDer::pem_slice_iter(text.as_bytes()) {
        certs.push(item.map_err(|e| unusable(path, format!("is not valid PEM ({e})")))?);
    }
    match certs.len() {
        1 => certs
            .pop()
            .ok_or_else(|| unusable(path, "holds no certificate")),
        0 => Err(unusable(
            path,
            "holds no PEM certificate (no -----BEGIN CERTIFICATE----- block)",
        )),
        n => Err(unusable(
            path,
            format!("holds {n} certificates where one was expected"),
        )),
    }
}

/// `None` when the file does not exist.
fn read_optional(path: &Path) -> Result<Option<String>, TlsError> {
    match fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| unusable(path, "is not a text (PEM) file")),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(TlsError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn read_required(path: &Path) -> Result<String, TlsError> {
    fs::read(path)
        .map_err(|source| TlsError::Read {
            path: path.to_path_buf(),
            source,
        })
        .and_then(|bytes| {
            String::from_utf8(bytes).map_err(|_| unusable(path, "is not a text (PEM) file"))
        })
}

fn create_private_dir(dir: &Path) -> Result<(), TlsError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|source| TlsError::Write {
        path: dir.to_path_buf(),
        source,
    })
}

fn write_public(path: &Path, bytes: &[u8]) -> Result<(), TlsError> {
    s3lab_durable::write_atomic(path, bytes).map_err(|source| TlsError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Like [`s3lab_durable::write_atomic`], but the file is created with mode 0600 on unix, so the key is
/// never readable by others, not even for a moment.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), TlsError> {
    write_private_inner(path, bytes).map_err(|source| TlsError::Write {
        path: path.to_path_buf(),
        source,
    })
}

fn write_private_inner(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = s3lab_durable::temp_path_for(path);
    let result = (|| {
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        s3lab_durable::sync_dir(&dir)
    })();
    if result.is_err() {
        // Best effort: the temp file is garbage either way, and the original error is what matters.
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sans_are_parsed_and_deduplicated() {
        let sans =
            wanted_sans(&["LOCALHOST".into(), "10.0.0.1".into(), "lab.example".into()]).unwrap();
        assert_eq!(sans.len(), 5, "{sans:?}");
        assert!(sans.contains(&SanType::IpAddress("::1".parse().unwrap())));
        assert!(matches!(
            wanted_sans(&["not a name".into()]),
            Err(TlsError::BadName(_))
        ));
        assert!(matches!(
            wanted_sans(&["".into()]),
            Err(TlsError::BadName(_))
        ));
    }

    #[test]
    fn the_server_sends_no_session_tickets() {
        // Tickets race the client's request on the wire, and the in-transit lesson pins the
        // order of TLS records an eavesdropper sees.
        let dir = tempfile::tempdir().unwrap();
        let (_, config) = load_or_create(dir.path(), &[]).unwrap();
        assert_eq!(config.send_tls13_tickets, 0);
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }
}
