//! Whole objects to and from S3, streamed with bounded memory.
//!
//! A PUT reads the source in 64 KiB pieces, encrypts each and sends it (a single PUT, or a
//! multipart upload whose parts are one GCM stream with the tag at the end of the last part).
//! A GET spools the *ciphertext* to a temporary file, reads the envelope, checks the tag over the
//! spool, and only then decrypts into the caller's writer: no plaintext before verification
//! (unless delayed authentication was chosen). A ranged GET (legacy, unauthenticated) fetches the
//! widened range of reference §4.6 and decrypts it with AES-CTR.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;

use crate::client::{ContentEncryptor, ContentKey, CseClient};
use crate::context::StringMap;
use crate::crypto::TAG_LEN;
use crate::error::{CseError, Result};
use crate::metadata::{
    needs_instruction_file, parse_instruction_file, Envelope, Location, MetadataMap,
    INSTRUCTION_FILE_MARKER, INSTRUCTION_SUFFIX,
};
use crate::remote::{ChannelBody, S3Remote};

const CHUNK: usize = 64 * 1024;
/// S3's smallest part (all but the last).
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;

/// What a transfer is doing, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Upload,
    Download,
    Verify,
    Decrypt,
}

/// A progress report: `done` of `total` bytes in `phase`.
pub type Progress = Arc<dyn Fn(Phase, u64, u64) + Send + Sync>;

/// How to write an object.
#[derive(Debug, Clone)]
pub struct PutOptions {
    /// The encryption context (KMS keyrings only).
    pub context: StringMap,
    /// Object metadata (the default) or an instruction file.
    pub location: Location,
    /// Above this size, a multipart upload in parts of this size (at least 5 MiB).
    pub part_size: Option<u64>,
}

impl Default for PutOptions {
    fn default() -> Self {
        PutOptions {
            context: StringMap::new(),
            location: Location::ObjectMetadata,
            part_size: None,
        }
    }
}

/// What a PUT stored.
#[derive(Debug, Clone)]
pub struct PutReport {
    pub envelope: Envelope,
    /// The object's user metadata as sent.
    pub metadata: MetadataMap,
    /// The instruction file's body, if one was written.
    pub instruction_file: Option<Vec<u8>>,
    /// The body length: plaintext + 16.
    pub stored_len: u64,
    /// 0 for a single PUT.
    pub parts: u32,
}

/// How to read an object.
#[derive(Debug, Clone, Default)]
pub struct GetOptions {
    pub context: StringMap,
    /// `bytes=A-B` or `bytes=A-`: legacy and unauthenticated, needs the opt-in.
    pub range: Option<String>,
    /// Where the ciphertext is spooled (default: the system's temporary folder).
    pub spool_dir: Option<PathBuf>,
    /// Default `.instruction`.
    pub instruction_suffix: Option<String>,
}

/// What a GET read.
#[derive(Debug, Clone)]
pub struct GetReport {
    pub envelope: Envelope,
    /// The plaintext bytes written.
    pub plaintext_len: u64,
    /// Whether the tag was verified before any plaintext was written.
    pub authenticated: bool,
    /// For a ranged GET: the bytes fetched (widened) as `(first, last)`.
    pub fetched_range: Option<(u64, u64)>,
}

fn report(progress: Option<&Progress>, phase: Phase, done: u64, total: u64) {
    if let Some(p) = progress {
        p(phase, done, total);
    }
}

type Frame = std::result::Result<http_body::Frame<Bytes>, std::io::Error>;

/// Reads `len` bytes of `src`, encrypts them and sends them down `tx`; after the last part, the
/// tag. Runs on a blocking thread; gives the source and the encryptor back for the next part.
#[allow(clippy::too_many_arguments)]
fn produce<R: Read>(
    mut src: R,
    mut enc: ContentEncryptor,
    len: u64,
    last: bool,
    tx: tokio::sync::mpsc::Sender<Frame>,
    progress: Option<Progress>,
    done_before: u64,
    total: u64,
) -> Result<(R, Option<ContentEncryptor>)> {
    let mut remaining = len;
    let mut buf = vec![0u8; CHUNK];
    let fail = |tx: &tokio::sync::mpsc::Sender<Frame>, e: CseError| {
        let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
        e
    };
    while remaining > 0 {
        let n = (remaining as usize).min(CHUNK);
        if let Err(e) = src.read_exact(&mut buf[..n]) {
            let e = if e.kind() == std::io::ErrorKind::UnexpectedEof {
                CseError::Io("the input got shorter while it was being read".into())
            } else {
                CseError::Io(format!("could not read the input: {e}"))
            };
            return Err(fail(&tx, e));
        }
        if let Err(e) = enc.update(&mut buf[..n]) {
            return Err(fail(&tx, e));
        }
        if tx
            .blocking_send(Ok(http_body::Frame::data(Bytes::copy_from_slice(
                &buf[..n],
            ))))
            .is_err()
        {
            return Err(CseError::Transport("the upload stopped".into()));
        }
        remaining -= n as u64;
        report(
            progress.as_ref(),
            Phase::Upload,
            done_before + len - remaining,
            total,
        );
    }
    if last {
        let tag = enc.finish();
        if tx
            .blocking_send(Ok(http_body::Frame::data(Bytes::copy_from_slice(&tag))))
            .is_err()
        {
            return Err(CseError::Transport("the upload stopped".into()));
        }
        Ok((src, None))
    } else {
        Ok((src, Some(enc)))
    }
}

/// Runs `produce` on a blocking thread while `send` consumes its frames.
#[allow(clippy::too_many_arguments)]
async fn pump<R, F, Fut, T>(
    src: R,
    enc: ContentEncryptor,
    len: u64,
    last: bool,
    progress: Option<Progress>,
    done_before: u64,
    total: u64,
    send: F,
) -> Result<(R, Option<ContentEncryptor>, T)>
where
    R: Read + Send + 'static,
    F: FnOnce(s3lab_client::BodyStream) -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Frame>(8);
    let producer = tokio::task::spawn_blocking(move || {
        produce(src, enc, len, last, tx, progress, done_before, total)
    });
    let sent = send(Box::pin(ChannelBody(rx))).await;
    let produced = producer
        .await
        .map_err(|e| CseError::Transport(format!("the encrypting thread failed: {e}")))?;
    // The reader's error explains a failed upload better than the aborted request does.
    let (src, enc) = produced?;
    let t = sent?;
    Ok((src, enc, t))
}

/// Encrypts `size` bytes of `source` and stores them at `s3://bucket/key`.
#[allow(clippy::too_many_arguments)]
pub async fn put_object<R: Read + Send + 'static>(
    client: &CseClient,
    s3: &S3Remote,
    bucket: &str,
    key: &str,
    source: R,
    size: u64,
    options: &PutOptions,
    progress: Option<Progress>,
) -> Result<PutReport> {
    if size > crate::crypto::GCM_MAX_PLAINTEXT {
        return Err(CseError::TooLarge);
    }
    let (envelope, enc) = client
        .begin_encryption(&options.context, options.location)
        .await?;
    let (metadata, file) = envelope.to_metadata();
    let instruction_file = file.map(|f| crate::metadata::instruction_file_body(&f));
    let stored_len = size + TAG_LEN as u64;
    let mut parts = 0u32;
    match options.part_size {
        Some(part) if size > part => {
            if part < MIN_PART_SIZE {
                return Err(CseError::Io(format!(
                    "a part must be at least {MIN_PART_SIZE} bytes (S3's minimum), not {part}"
                )));
            }
            let upload_id = s3.create_multipart(bucket, key, &metadata).await?;
            let result = upload_parts(
                s3, bucket, key, &upload_id, source, enc, size, part, progress,
            )
            .await;
            match result {
                Ok(etags) => {
                    parts = etags.len() as u32;
                    if let Err(e) = s3.complete_multipart(bucket, key, &upload_id, &etags).await {
                        let _ = s3.abort_multipart(bucket, key, &upload_id).await;
                        return Err(e);
                    }
                }
                Err(e) => {
                    let _ = s3.abort_multipart(bucket, key, &upload_id).await;
                    return Err(e);
                }
            }
        }
        _ => {
            pump(source, enc, size, true, progress, 0, size, |body| async {
                s3.put_stream(bucket, key, &metadata, body, stored_len)
                    .await
            })
            .await?;
        }
    }
    if let Some(body) = &instruction_file {
        let mut marker = MetadataMap::new();
        marker.insert(INSTRUCTION_FILE_MARKER.to_owned(), String::new());
        let name = format!("{key}{INSTRUCTION_SUFFIX}");
        s3.put_bytes(bucket, &name, &marker, body.clone()).await?;
    }
    Ok(PutReport {
        envelope,
        metadata,
        instruction_file,
        stored_len,
        parts,
    })
}

#[allow(clippy::too_many_arguments)]
async fn upload_parts<R: Read + Send + 'static>(
    s3: &S3Remote,
    bucket: &str,
    key: &str,
    upload_id: &str,
    source: R,
    enc: ContentEncryptor,
    size: u64,
    part: u64,
    progress: Option<Progress>,
) -> Result<Vec<(u32, String)>> {
    let mut etags = Vec::new();
    let mut src = source;
    let mut enc = Some(enc);
    let mut done = 0u64;
    let mut number = 1u32;
    while done < size {
        let len = part.min(size - done);
        let last = done + len == size;
        let wire_len = len + if last { TAG_LEN as u64 } else { 0 };
        let current = enc
            .take()
            .ok_or_else(|| CseError::Transport("the encryptor was already finished".into()))?;
        let (s, e, etag) = pump(
            src,
            current,
            len,
            last,
            progress.clone(),
            done,
            size,
            |body| async move {
                s3.upload_part(bucket, key, upload_id, number, body, wire_len)
                    .await
            },
        )
        .await?;
        src = s;
        enc = e;
        etags.push((number, etag));
        done += len;
        number += 1;
    }
    Ok(etags)
}

/// `bytes=A-B` or `bytes=A-`.
pub fn parse_range(range: &str) -> Result<(u64, Option<u64>)> {
    let bad = || CseError::Range(range.to_owned());
    let spec = range.trim().strip_prefix("bytes=").ok_or_else(bad)?;
    let (a, b) = spec.split_once('-').ok_or_else(bad)?;
    let a: u64 = a.trim().parse().map_err(|_| bad())?;
    let b = match b.trim() {
        "" => None,
        v => Some(v.parse::<u64>().map_err(|_| bad())?),
    };
    if b.is_some_and(|b| b < a) {
        return Err(bad());
    }
    Ok((a, b))
}

/// The range to fetch for plaintext `[a, b]` (reference §4.6): from the block before `a`'s block
/// to the block after `b`'s.
pub fn widened_range(a: u64, b: Option<u64>) -> (u64, Option<u64>) {
    let start = a.saturating_sub(a % 16).saturating_sub(16);
    let end = b.map(|b| b + (16 - b % 16) + 16);
    (start, end)
}

/// Reads `s3://bucket/key`, decrypts it and writes the plaintext to `out`.
pub async fn get_object<W: Write>(
    client: &CseClient,
    s3: &S3Remote,
    bucket: &str,
    key: &str,
    out: &mut W,
    options: &GetOptions,
    progress: Option<Progress>,
) -> Result<GetReport> {
    let range = match &options.range {
        Some(r) => {
            if !client.config.legacy_unauthenticated_modes {
                return Err(CseError::LegacyDisabled(
                    "a ranged GET (AES-CTR over part of the object, with no tag to check)".into(),
                ));
            }
            Some(parse_range(r)?)
        }
        None => None,
    };
    let mut spool = match &options.spool_dir {
        Some(dir) => tempfile::tempfile_in(dir)?,
        None => tempfile::tempfile()?,
    };
    let range_header = range.map(|(a, b)| {
        let (s, e) = widened_range(a, b);
        match e {
            Some(e) => format!("bytes={s}-{e}"),
            None => format!("bytes={s}-"),
        }
    });
    let mut written = 0u64;
    let mut spool_error: Option<std::io::Error> = None;
    let head = {
        let spool_ref = &mut spool;
        let progress = progress.clone();
        s3.get_stream(bucket, key, range_header.as_deref(), |b| {
            if spool_error.is_none() {
                if let Err(e) = spool_ref.write_all(b) {
                    spool_error = Some(e);
                }
            }
            written += b.len() as u64;
            report(progress.as_ref(), Phase::Download, written, 0);
        })
        .await?
    };
    if let Some(e) = spool_error {
        return Err(CseError::Io(format!("could not spool the download: {e}")));
    }
    let instruction = if needs_instruction_file(&head.metadata) {
        let suffix = options
            .instruction_suffix
            .as_deref()
            .unwrap_or(INSTRUCTION_SUFFIX);
        let name = format!("{key}{suffix}");
        match s3.get_bytes(bucket, &name).await? {
            Some((_, body)) => Some(parse_instruction_file(&body, &name)?),
            None => None,
        }
    } else {
        None
    };
    let envelope = Envelope::parse(&head.metadata, instruction.as_ref())?;
    let content = client.open(&envelope, &options.context).await?;
    spool.seek(SeekFrom::Start(0))?;
    if let Some((a, b)) = range {
        let (first, last, total) = head.content_range.ok_or_else(|| {
            CseError::Contradictory("a ranged GET was answered without Content-Range".into())
        })?;
        let n = ranged_decrypt(&content, &mut spool, written, first, total, a, b, out)?;
        return Ok(GetReport {
            envelope,
            plaintext_len: n,
            authenticated: false,
            fetched_range: Some((first, last)),
        });
    }
    if head.content_range.is_some() || head.status == 206 {
        return Err(CseError::Contradictory(
            "S3 answered a whole-object GET with a partial body".into(),
        ));
    }
    let delayed = client.config.delayed_authentication || !content.is_authenticated();
    let plaintext_len = if delayed {
        let mut d = content.delayed_decryptor();
        let mut buf = vec![0u8; CHUNK];
        let mut pt = Vec::with_capacity(CHUNK + 16);
        let mut done = 0u64;
        let mut total = 0u64;
        loop {
            let n = spool.read(&mut buf)?;
            if n == 0 {
                break;
            }
            pt.clear();
            d.update(&buf[..n], &mut pt)?;
            out.write_all(&pt)?;
            total += pt.len() as u64;
            done += n as u64;
            report(progress.as_ref(), Phase::Decrypt, done, written);
        }
        pt.clear();
        d.finish(&mut pt)?;
        out.write_all(&pt)?;
        total + pt.len() as u64
    } else {
        let mut auth = content.authenticator()?;
        let mut buf = vec![0u8; CHUNK];
        let mut done = 0u64;
        loop {
            let n = spool.read(&mut buf)?;
            if n == 0 {
                break;
            }
            auth.update(&buf[..n])?;
            done += n as u64;
            report(progress.as_ref(), Phase::Verify, done, written);
        }
        let mut verified = auth.finish()?;
        let total = verified.remaining();
        spool.seek(SeekFrom::Start(0))?;
        let mut done = 0u64;
        while verified.remaining() > 0 {
            let n = (verified.remaining() as usize).min(CHUNK);
            spool.read_exact(&mut buf[..n])?;
            verified.apply(&mut buf[..n])?;
            out.write_all(&buf[..n])?;
            done += n as u64;
            report(progress.as_ref(), Phase::Decrypt, done, total);
        }
        total
    };
    out.flush()?;
    Ok(GetReport {
        envelope,
        plaintext_len,
        authenticated: !delayed,
        fetched_range: None,
    })
}

/// Decrypts a fetched range `[first, ..]` (of an object of `total` stored bytes) with AES-CTR and
/// writes plaintext bytes `[a, b]`, never past the plaintext's end (the tag is not plaintext).
#[allow(clippy::too_many_arguments)]
fn ranged_decrypt<R: Read, W: Write>(
    content: &ContentKey,
    spool: &mut R,
    fetched: u64,
    first: u64,
    total: u64,
    a: u64,
    b: Option<u64>,
    out: &mut W,
) -> Result<u64> {
    if !first.is_multiple_of(16) {
        return Err(CseError::Contradictory(format!(
            "the range S3 returned starts at {first}, not on a block boundary"
        )));
    }
    let mut ctr = content.ctr_at_block(first / 16).ok_or_else(|| {
        CseError::LegacyDisabled("a ranged GET of CBC content is not supported; it".into())
    })?;
    let plaintext_len = total.saturating_sub(TAG_LEN as u64);
    if plaintext_len == 0 || a >= plaintext_len {
        return Ok(0);
    }
    let last = b.unwrap_or(u64::MAX).min(plaintext_len - 1);
    let mut pos = first;
    let mut buf = vec![0u8; CHUNK];
    let mut remaining = fetched;
    let mut written = 0u64;
    while remaining > 0 && pos <= last {
        let n = (remaining as usize).min(CHUNK);
        spool.read_exact(&mut buf[..n])?;
        remaining -= n as u64;
        ctr.apply(&mut buf[..n]);
        let chunk_end = pos + n as u64; // exclusive
        let from = a.max(pos);
        let to = (last + 1).min(chunk_end);
        if from < to {
            out.write_all(&buf[(from - pos) as usize..(to - pos) as usize])?;
            written += to - from;
        }
        pos = chunk_end;
    }
    out.flush()?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_widen_as_the_reference_says() {
        assert_eq!(parse_range("bytes=10-20").ok(), Some((10, Some(20))));
        assert_eq!(parse_range("bytes=10-").ok(), Some((10, None)));
        assert!(parse_range("bytes=20-10").is_err());
        assert!(parse_range("bytes=-10").is_err());
        assert!(parse_range("items=1-2").is_err());
        assert_eq!(widened_range(0, Some(0)), (0, Some(32)));
        assert_eq!(
            widened_range(1_000_003, Some(1_000_100)),
            (999_984, Some(1_000_128))
        );
        assert_eq!(widened_range(40, None), (16, None));
    }
}

#[cfg(test)]
mod ranged_tests {
    use super::*;
    use crate::client::ContentKey;
    use crate::crypto::GcmStream;
    use zeroize::Zeroizing;

    /// A GCM body, then every small range read the way a ranged GET reads it.
    #[test]
    fn ranged_reads_decrypt_exactly_the_asked_bytes() {
        let key = [4u8; 32];
        let iv = [6u8; 12];
        let pt: Vec<u8> = (0..300u32).map(|i| (i * 13 % 251) as u8).collect();
        let mut body = pt.clone();
        let mut g = GcmStream::new(&key, &iv, &[]);
        g.encrypt(&mut body).unwrap_or(());
        body.extend_from_slice(&g.tag());
        let total = body.len() as u64;
        let content = ContentKey::Gcm {
            key: Zeroizing::new(key),
            iv,
            aad: &[],
        };
        for (a, b) in [
            (0, Some(0)),
            (3, Some(40)),
            (17, None),
            (250, Some(400)),
            (299, None),
        ] {
            let (s, e) = widened_range(a, b);
            let e = e.unwrap_or(total - 1).min(total - 1);
            let fetched = &body[s as usize..=e as usize];
            let mut out = Vec::new();
            let n = ranged_decrypt(
                &content,
                &mut &fetched[..],
                fetched.len() as u64,
                s,
                total,
                a,
                b,
                &mut out,
            )
            .unwrap_or(0);
            let want_end = b.unwrap_or(u64::MAX).min(299) as usize;
            assert_eq!(out, pt[a as usize..=want_end], "{a}-{b:?}");
            assert_eq!(n as usize, out.len());
        }
    }
}
