//! The `multipart/form-data` body of a POST Object request, read as it streams.
//!
//! The fields before `file` are read whole (S3 caps them at 20 KB); the `file` part is handed on
//! still unread, and its data flows to storage one chunk at a time through [`FileBody`]. Parts
//! after `file` are ignored, as S3 ignores them.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::HeaderMap;
use multer::Multipart;
use tokio::sync::mpsc;

use crate::error::{S3Error, S3Result};
use crate::stream::BodySource;

/// What S3 accepts before the file: "The form data and boundaries (excluding the contents of the
/// file) cannot exceed 20KB" (the reply names 20480 bytes).
pub const MAX_PRE_DATA: usize = 20 * 1024;
/// How far past [`MAX_PRE_DATA`] the parser may read ahead before the file part starts: a body
/// with no boundary at all is refused after this much, not buffered to its end.
const READ_AHEAD: u64 = 4 * 1024 * 1024;
/// Chunks in flight between the network and the storage thread.
const CHANNEL_DEPTH: usize = 4;
/// How much of what follows the file is read (and ignored) so that the client can finish sending.
const TRAILER_BUDGET: usize = 1024 * 1024;

/// 400 `MalformedPOSTRequest`, in AWS's words.
pub fn malformed() -> S3Error {
    S3Error::new(
        400,
        "MalformedPOSTRequest",
        "The body of your POST request is not well-formed multipart/form-data.",
    )
}

/// 400 `MaxPostPreDataLengthExceeded` (the code and its misspelt message are S3's as captured).
fn pre_data_too_large() -> S3Error {
    S3Error::new(
        400,
        "MaxPostPreDataLengthExceeded",
        "Your POST request fields preceeding the upload file was too large.",
    )
    .with("MaxPostPreDataLengthBytes", MAX_PRE_DATA.to_string())
}

/// The boundary of a form body, from `Content-Type`. Another media type is S3's 412; a form type
/// whose boundary is missing or unreadable is `MalformedPOSTRequest`.
pub fn boundary(headers: &HeaderMap) -> S3Result<String> {
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case("multipart/form-data") {
        return Err(S3Error::new(
            412,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
        )
        .with(
            "Condition",
            "Bucket POST must be of the enclosure-type multipart/form-data",
        ));
    }
    match multer::parse_boundary(content_type) {
        // RFC 2046: 1 to 70 characters.
        Ok(b) if !b.is_empty() && b.len() <= 70 => Ok(b),
        _ => Err(malformed()),
    }
}

/// The form fields before `file`. Names are matched without regard to case, as S3 does; a name
/// given twice has its values joined with commas (S3's rule for repeated fields).
#[derive(Debug, Clone, Default)]
pub struct Form {
    /// (name as first sent, value), in the order of the form.
    fields: Vec<(String, String)>,
}

impl Form {
    pub fn add(&mut self, name: String, value: String) {
        match self
            .fields
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(&name))
        {
            Some((_, v)) => {
                v.push(',');
                v.push_str(&value);
            }
            None => self.fields.push((name, value)),
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Every field: (name as sent, value).
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Replaces `${filename}` in every field with the name of the uploaded file: the text after
    /// its last `/` or `\`. A file part without a `filename` parameter leaves the variable as it
    /// is (S3, 2026); `filename=""` makes it empty.
    pub fn expand_filename(&mut self, file_name: Option<&str>) {
        let Some(name) = file_name else {
            return;
        };
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
        for (_, value) in &mut self.fields {
            if value.contains("${filename}") {
                *value = value.replace("${filename}", base);
            }
        }
    }
}

/// The request body as the parser's byte stream, refusing to run on past a budget while the
/// fields before the file are read.
struct FormStream {
    rx: mpsc::Receiver<Result<Bytes, S3Error>>,
    pulled: u64,
    budget: Arc<AtomicU64>,
}

impl futures_core::Stream for FormStream {
    type Item = Result<Bytes, S3Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(Ok(bytes))) => {
                self.pulled = self.pulled.saturating_add(bytes.len() as u64);
                if self.pulled > self.budget.load(Ordering::Relaxed) {
                    return Poll::Ready(Some(Err(pre_data_too_large())));
                }
                Poll::Ready(Some(Ok(bytes)))
            }
            other => other,
        }
    }
}

/// A parser error as S3 reports it: a failure of the client's connection keeps its own error
/// (`IncompleteBody`), anything else is a malformed form.
fn form_error(e: multer::Error, seen_a_part: bool) -> S3Error {
    match e {
        multer::Error::StreamReadFailed(inner) => match inner.downcast::<S3Error>() {
            // No part yet: not a form at all, rather than a form with too much before the file.
            Ok(e) if e.code == "MaxPostPreDataLengthExceeded" && !seen_a_part => malformed(),
            Ok(e) => *e,
            Err(_) => malformed(),
        },
        _ => malformed(),
    }
}

/// The `file` part, its data not read yet.
pub struct FilePart {
    multipart: Multipart<'static>,
    field: multer::Field<'static>,
    /// The part's `filename` parameter, as sent.
    pub file_name: Option<String>,
}

impl std::fmt::Debug for FilePart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilePart")
            .field("file_name", &self.file_name)
            .finish()
    }
}

/// Reads the fields up to the `file` part (returned unread), or to the end of a form that has
/// none.
pub async fn read_fields(
    rx: mpsc::Receiver<Result<Bytes, S3Error>>,
    boundary: String,
) -> S3Result<(Form, Option<FilePart>)> {
    let budget = Arc::new(AtomicU64::new(MAX_PRE_DATA as u64 + READ_AHEAD));
    let stream = FormStream {
        rx,
        pulled: 0,
        budget: budget.clone(),
    };
    let mut multipart = Multipart::new(stream, boundary.clone());
    let mut form = Form::default();
    // The delimiter lines and part headers count towards the limit, as S3 says.
    let mut pre_data = 0usize;
    let mut seen_a_part = false;
    loop {
        let next = multipart
            .next_field()
            .await
            .map_err(|e| form_error(e, seen_a_part))?;
        let Some(mut field) = next else {
            return Ok((form, None));
        };
        seen_a_part = true;
        pre_data += boundary.len() + 6 + header_len(field.headers());
        if pre_data > MAX_PRE_DATA {
            return Err(pre_data_too_large());
        }
        // RFC 7578: every part names its field.
        let Some(name) = field.name().map(str::to_owned) else {
            return Err(malformed());
        };
        // Only a `form-data` part named `file` is the file: S3 read a `Content-Disposition: file`
        // part as one more field (and refused it as too much data before the file).
        if name.eq_ignore_ascii_case("file") && is_form_data(field.headers()) {
            budget.store(u64::MAX, Ordering::Relaxed);
            let file_name = field.file_name().map(str::to_owned);
            return Ok((
                form,
                Some(FilePart {
                    multipart,
                    field,
                    file_name,
                }),
            ));
        }
        let mut value = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| form_error(e, true))? {
            pre_data += chunk.len();
            if pre_data > MAX_PRE_DATA {
                return Err(pre_data_too_large());
            }
            value.extend_from_slice(&chunk);
        }
        // "The form and policy must be UTF-8 encoded."
        let value = String::from_utf8(value).map_err(|_| malformed())?;
        form.add(name, value);
    }
}

fn is_form_data(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("form-data"))
}

fn header_len(headers: &HeaderMap) -> usize {
    headers
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len() + 4)
        .sum::<usize>()
        + 2
}

/// The inclusive size range the policy allows for the file (`content-length-range`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeRange {
    pub min: u64,
    pub max: u64,
}

impl SizeRange {
    pub const ANY: SizeRange = SizeRange {
        min: 0,
        max: u64::MAX,
    };
}

/// One message from the network side to the storage thread.
enum Piece {
    Data(Bytes),
    /// The file part ended at its delimiter: the data is complete.
    End,
    Failed(S3Error),
}

impl FilePart {
    /// Starts moving the file's data off the network; the storage thread reads it through the
    /// returned [`BodySource`], which holds the file to `range`.
    pub fn stream(self, range: SizeRange) -> FileBody {
        let (tx, rx) = mpsc::channel(CHANNEL_DEPTH);
        let FilePart {
            mut multipart,
            mut field,
            ..
        } = self;
        tokio::spawn(async move {
            loop {
                match field.chunk().await {
                    Ok(Some(bytes)) if bytes.is_empty() => {}
                    Ok(Some(bytes)) => {
                        if tx.send(Piece::Data(bytes)).await.is_err() {
                            return;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        let _ = tx.send(Piece::Failed(form_error(e, true))).await;
                        return;
                    }
                }
            }
            drop(field);
            if tx.send(Piece::End).await.is_err() {
                return;
            }
            drop(tx);
            // Fields after the file are ignored; reading them lets the client finish its request.
            let mut budget = TRAILER_BUDGET;
            while let Ok(Some(mut part)) = multipart.next_field().await {
                while let Ok(Some(chunk)) = part.chunk().await {
                    match budget.checked_sub(chunk.len()) {
                        Some(left) => budget = left,
                        None => return,
                    }
                }
            }
        });
        FileBody {
            rx,
            received: 0,
            range,
            finished: false,
        }
    }
}

/// The file's data for [`crate::S3::put_object`]. It ends (`None`) only once the part's closing
/// delimiter has been seen, so a cut-off upload is never stored; sizes outside the policy's
/// `content-length-range` fail the write with S3's `EntityTooLarge` / `EntityTooSmall`.
pub struct FileBody {
    rx: mpsc::Receiver<Piece>,
    received: u64,
    range: SizeRange,
    finished: bool,
}

impl FileBody {
    /// Past the maximum: counts the rest of the file (discarding it) so that the error can give
    /// its whole size, as S3's does.
    fn too_large(&mut self) -> S3Error {
        let mut total = self.received;
        loop {
            match self.rx.blocking_recv() {
                Some(Piece::Data(b)) => total = total.saturating_add(b.len() as u64),
                Some(Piece::End) => break,
                Some(Piece::Failed(e)) => return e,
                None => return incomplete(),
            }
        }
        S3Error::new(
            400,
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size",
        )
        .with("ProposedSize", total.to_string())
        .with("MaxSizeAllowed", self.range.max.to_string())
    }
}

fn incomplete() -> S3Error {
    S3Error::new(
        400,
        "IncompleteBody",
        "You did not provide the number of bytes specified by the Content-Length HTTP header",
    )
}

impl BodySource for FileBody {
    fn next_chunk(&mut self) -> S3Result<Option<Vec<u8>>> {
        if self.finished {
            return Ok(None);
        }
        match self.rx.blocking_recv() {
            Some(Piece::Data(bytes)) => {
                self.received = self.received.saturating_add(bytes.len() as u64);
                if self.received > self.range.max {
                    return Err(self.too_large());
                }
                Ok(Some(bytes.to_vec()))
            }
            Some(Piece::End) => {
                self.finished = true;
                if self.received < self.range.min {
                    return Err(S3Error::new(
                        400,
                        "EntityTooSmall",
                        "Your proposed upload is smaller than the minimum allowed size",
                    )
                    .with("ProposedSize", self.received.to_string())
                    .with("MinSizeAllowed", self.range.min.to_string()));
                }
                Ok(None)
            }
            Some(Piece::Failed(e)) => Err(e),
            // The reading task ended without saying the file was complete.
            None => Err(incomplete()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> mpsc::Receiver<Result<Bytes, S3Error>> {
        // Small pieces, so that delimiters straddle chunks.
        let pieces: Vec<&[u8]> = text.as_bytes().chunks(7).collect();
        let (tx, rx) = mpsc::channel(pieces.len().max(1));
        for piece in pieces {
            tx.try_send(Ok(Bytes::copy_from_slice(piece)))
                .expect("channel has room");
        }
        rx
    }

    fn headers(content_type: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_str(content_type).expect("header"),
        );
        h
    }

    #[test]
    fn boundary_rules() {
        assert_eq!(
            boundary(&headers("multipart/form-data; boundary=abc")).expect("ok"),
            "abc"
        );
        assert_eq!(
            boundary(&headers("Multipart/Form-Data; boundary=\"a b\"")).expect("ok"),
            "a b"
        );
        let e = boundary(&headers("text/plain")).expect_err("412");
        assert_eq!((e.status, e.code), (412, "PreconditionFailed"));
        let e = boundary(&HeaderMap::new()).expect_err("412");
        assert_eq!(e.status, 412);
        let e = boundary(&headers("multipart/form-data")).expect_err("400");
        assert_eq!((e.status, e.code), (400, "MalformedPOSTRequest"));
    }

    #[test]
    fn repeated_names_join_and_match_without_case() {
        let mut f = Form::default();
        f.add("X-Amz-Meta-Tag".into(), "Ninja".into());
        f.add("x-amz-meta-tag".into(), "Stallman".into());
        assert_eq!(f.get("x-amz-meta-TAG"), Some("Ninja,Stallman"));
        assert_eq!(f.fields().count(), 1);
        assert_eq!(f.fields().next().map(|(n, _)| n), Some("X-Amz-Meta-Tag"));
    }

    #[test]
    fn filename_is_the_last_path_segment() {
        let mut f = Form::default();
        f.add("key".into(), "user/${filename}".into());
        let mut g = f.clone();
        f.expand_filename(Some("C:\\Program Files\\directory1\\file.txt"));
        assert_eq!(f.get("key"), Some("user/file.txt"));
        g.expand_filename(None);
        assert_eq!(g.get("key"), Some("user/${filename}"));
    }

    #[tokio::test]
    async fn reads_fields_then_streams_the_file() {
        let text = "preamble\r\n--XB\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\na/${filename}\r\n\
                    --XB\r\nContent-Disposition: form-data; name=\"File\"; filename=\"dir/f.txt\"\r\nContent-Type: text/plain\r\n\r\n\
                    hello\r\n-XB world\r\n--XB\r\nContent-Disposition: form-data; name=\"submit\"\r\n\r\nUpload\r\n--XB--\r\n";
        let (mut form, file) = read_fields(body(text), "XB".into()).await.expect("form");
        let file = file.expect("file part");
        form.expand_filename(file.file_name.as_deref());
        assert_eq!(form.get("key"), Some("a/f.txt"));
        let mut source = file.stream(SizeRange::ANY);
        let data = tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            while let Some(c) = source.next_chunk()? {
                out.extend(c);
            }
            S3Result::Ok(out)
        })
        .await
        .expect("join")
        .expect("data");
        assert_eq!(data, b"hello\r\n-XB world");
    }

    #[tokio::test]
    async fn a_cut_off_file_never_ends_cleanly() {
        let text = "--XB\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nhalf of it";
        let (_, file) = read_fields(body(text), "XB".into()).await.expect("form");
        let mut source = file.expect("file").stream(SizeRange::ANY);
        let result = tokio::task::spawn_blocking(move || {
            while source.next_chunk()?.is_some() {}
            S3Result::Ok(())
        })
        .await
        .expect("join");
        assert_eq!(result.expect_err("cut off").code, "MalformedPOSTRequest");
    }

    #[tokio::test]
    async fn sizes_outside_the_range_fail_with_the_whole_size() {
        let text = "--XB\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n0123456789ab\r\n--XB--\r\n";
        for (range, code, extra) in [
            (
                SizeRange { min: 0, max: 10 },
                "EntityTooLarge",
                vec![("ProposedSize", "12"), ("MaxSizeAllowed", "10")],
            ),
            (
                SizeRange { min: 13, max: 20 },
                "EntityTooSmall",
                vec![("ProposedSize", "12"), ("MinSizeAllowed", "13")],
            ),
        ] {
            let (_, file) = read_fields(body(text), "XB".into()).await.expect("form");
            let mut source = file.expect("file").stream(range);
            let e = tokio::task::spawn_blocking(move || {
                while source.next_chunk()?.is_some() {}
                S3Result::Ok(())
            })
            .await
            .expect("join")
            .expect_err("out of range");
            assert_eq!(e.code, code);
            let got: Vec<(&str, &str)> = e.extra.iter().map(|(n, v)| (*n, v.as_str())).collect();
            assert_eq!(got, extra);
        }
    }

    #[tokio::test]
    async fn malformed_bodies() {
        for text in [
            "",
            "no boundary anywhere",
            "--XB\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nunterminated",
            "--XB\r\nContent-Disposition: form-data\r\n\r\nnameless\r\n--XB--\r\n",
        ] {
            let e = read_fields(body(text), "XB".into()).await.expect_err(text);
            assert_eq!(e.code, "MalformedPOSTRequest", "{text:?}");
        }
    }

    #[tokio::test]
    async fn only_a_form_data_part_is_the_file() {
        let text = "--XB\r\nContent-Disposition: file; name=\"file\"; filename=\"f\"\r\n\r\ndata\r\n--XB--\r\n";
        let (form, file) = read_fields(body(text), "XB".into()).await.expect("form");
        assert!(file.is_none());
        assert_eq!(form.get("file"), Some("data"));
    }

    #[tokio::test]
    async fn too_much_before_the_file() {
        let big = "v".repeat(MAX_PRE_DATA);
        let text = format!(
            "--XB\r\nContent-Disposition: form-data; name=\"x-ignore-big\"\r\n\r\n{big}\r\n--XB--\r\n"
        );
        let e = read_fields(body(&text), "XB".into())
            .await
            .expect_err("too large");
        assert_eq!(e.code, "MaxPostPreDataLengthExceeded");
    }
}
