//! What an eavesdropper sees: the bytes of a plain HTTP connection as text lines, or the TLS
//! records of an HTTPS connection.
//!
//! These are pure functions over captured bytes; `s3lab-client`'s recorder feeds them.

use crate::preview::{as_text, hexdump_at};

/// Which way bytes went, seen from the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Client to server.
    Sent,
    /// Server to client.
    Received,
}

impl Direction {
    /// `→` for sent, `←` for received.
    pub fn arrow(self) -> &'static str {
        match self {
            Direction::Sent => "→",
            Direction::Received => "←",
        }
    }
}

/// The head of an HTTP/1.x message as it was on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpHead {
    /// `PUT /bucket/key HTTP/1.1` or `HTTP/1.1 200 OK`.
    pub start_line: String,
    /// In wire order, the names as sent.
    pub headers: Vec<(String, String)>,
    /// The head's length in bytes, the blank line included: where the body starts.
    pub len: usize,
}

/// Parses the head of the HTTP/1.x message at the start of `bytes`, if it is all there.
pub fn parse_http_head(bytes: &[u8]) -> Option<HttpHead> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let text = String::from_utf8_lossy(&bytes[..end]);
    let mut lines = text.split("\r\n");
    let start_line = lines.next()?.to_owned();
    let headers = lines
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            Some((name.to_owned(), value.trim().to_owned()))
        })
        .collect();
    Some(HttpHead {
        start_line,
        headers,
        len: end + 4,
    })
}

/// The bytes one side of a plain HTTP connection sent, as text lines prefixed with the
/// direction's arrow: the start line, the headers, a bare arrow for the blank line, then the
/// body as the socket carried it (chunked encoding included) as text lines or hex rows, at most
/// `body_limit` bytes of it. `captured` is what was kept of the `total` bytes that went that way.
pub fn http_wire_lines(
    direction: Direction,
    captured: &[u8],
    total: u64,
    body_limit: usize,
) -> Vec<String> {
    let arrow = direction.arrow();
    let mut lines = Vec::new();
    let body = match parse_http_head(captured) {
        Some(head) => {
            lines.push(format!("{arrow} {}", head.start_line));
            for (name, value) in &head.headers {
                lines.push(format!("{arrow} {name}: {value}"));
            }
            lines.push(arrow.to_owned());
            captured.get(head.len..).unwrap_or_default()
        }
        None => captured,
    };
    let shown = &body[..body.len().min(body_limit)];
    let shown_end = (captured.len() - body.len() + shown.len()) as u64;
    match as_text(shown, shown.len() < body.len()) {
        Some(text) => {
            if !text.is_empty() {
                for line in text.trim_end_matches('\n').split('\n') {
                    let line = line.strip_suffix('\r').unwrap_or(line);
                    if line.is_empty() {
                        lines.push(arrow.to_owned());
                    } else {
                        lines.push(format!("{arrow} {line}"));
                    }
                }
            }
        }
        None => {
            let offset = (captured.len() - body.len()) as u64;
            for row in hexdump_at(shown, offset) {
                lines.push(format!("{arrow} {row}"));
            }
        }
    }
    if total > shown_end {
        lines.push(format!(
            "{arrow} … {} more bytes ({total} in all)",
            total - shown_end
        ));
    }
    lines
}

/// One TLS record as an eavesdropper sees it: its header, and for a handshake record that is not
/// yet encrypted, the handshake message's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsRecord {
    pub direction: Direction,
    /// 20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data, 24 heartbeat.
    pub content_type: u8,
    /// The record layer's version (`0x0303` even for TLS 1.3).
    pub version: u16,
    /// The payload's length (the 5-byte header not included).
    pub length: u16,
    /// The first handshake message's type, for a handshake record before change_cipher_spec.
    pub handshake_type: Option<u8>,
}

impl TlsRecord {
    /// Bytes on the wire, the 5-byte header included.
    pub fn wire_len(&self) -> u64 {
        5 + u64::from(self.length)
    }

    /// `→ handshake 517 bytes (ClientHello)`; lengths count the record's header.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} {} {} bytes",
            self.direction.arrow(),
            content_type_name(self.content_type),
            self.wire_len()
        );
        if let Some(t) = self.handshake_type {
            s.push_str(&format!(" ({})", handshake_type_name(t)));
        }
        s
    }
}

fn content_type_name(t: u8) -> String {
    match t {
        20 => "change_cipher_spec".into(),
        21 => "alert".into(),
        22 => "handshake".into(),
        23 => "application_data".into(),
        24 => "heartbeat".into(),
        other => format!("type {other}"),
    }
}

fn handshake_type_name(t: u8) -> String {
    match t {
        1 => "ClientHello".into(),
        2 => "ServerHello".into(),
        4 => "NewSessionTicket".into(),
        8 => "EncryptedExtensions".into(),
        11 => "Certificate".into(),
        12 => "ServerKeyExchange".into(),
        13 => "CertificateRequest".into(),
        14 => "ServerHelloDone".into(),
        15 => "CertificateVerify".into(),
        16 => "ClientKeyExchange".into(),
        20 => "Finished".into(),
        other => format!("handshake type {other}"),
    }
}

/// Reads TLS record headers from the bytes of a connection as they pass, in both directions, in
/// the order the headers arrive. It keeps no payload, so any amount of traffic costs the same
/// memory (at most `max_records` records are kept; the rest are counted).
#[derive(Debug, Clone)]
pub struct TlsRecordScanner {
    sent: DirectionState,
    received: DirectionState,
    records: Vec<TlsRecord>,
    max_records: usize,
    more_records: u64,
    more_bytes: u64,
}

#[derive(Debug, Clone, Default)]
struct DirectionState {
    header: [u8; 5],
    have: usize,
    /// Payload bytes of the current record still to pass.
    remaining: u64,
    /// The index of a record whose first payload byte (the handshake type) is still to come.
    pending: Option<usize>,
    /// change_cipher_spec was seen: handshake records from now on are encrypted.
    encrypted: bool,
    /// Bytes that are not TLS records appeared; nothing after them is parsed.
    not_tls: u64,
}

impl Default for TlsRecordScanner {
    fn default() -> Self {
        TlsRecordScanner::new(256)
    }
}

impl TlsRecordScanner {
    pub fn new(max_records: usize) -> Self {
        TlsRecordScanner {
            sent: DirectionState::default(),
            received: DirectionState::default(),
            records: Vec::new(),
            max_records,
            more_records: 0,
            more_bytes: 0,
        }
    }

    /// Passes bytes that went `direction`.
    pub fn feed(&mut self, direction: Direction, mut bytes: &[u8]) {
        let state = match direction {
            Direction::Sent => &mut self.sent,
            Direction::Received => &mut self.received,
        };
        while !bytes.is_empty() {
            if state.not_tls > 0 {
                state.not_tls += bytes.len() as u64;
                return;
            }
            if state.remaining > 0 {
                if let Some(i) = state.pending.take() {
                    if let Some(r) = self.records.get_mut(i) {
                        r.handshake_type = Some(bytes[0]);
                    }
                }
                let n = bytes
                    .len()
                    .min(usize::try_from(state.remaining).unwrap_or(usize::MAX));
                state.remaining -= n as u64;
                bytes = &bytes[n..];
                continue;
            }
            let n = (5 - state.have).min(bytes.len());
            state.header[state.have..state.have + n].copy_from_slice(&bytes[..n]);
            state.have += n;
            bytes = &bytes[n..];
            if state.have < 5 {
                continue;
            }
            state.have = 0;
            let h = state.header;
            if !(20..=24).contains(&h[0]) || h[1] != 3 {
                state.not_tls = 5 + bytes.len() as u64;
                return;
            }
            let record = TlsRecord {
                direction,
                content_type: h[0],
                version: u16::from_be_bytes([h[1], h[2]]),
                length: u16::from_be_bytes([h[3], h[4]]),
                handshake_type: None,
            };
            state.remaining = u64::from(record.length);
            if self.records.len() < self.max_records {
                if record.content_type == 22 && !state.encrypted && record.length > 0 {
                    state.pending = Some(self.records.len());
                }
                self.records.push(record);
            } else {
                self.more_records += 1;
                self.more_bytes += record.wire_len();
            }
            if record.content_type == 20 {
                state.encrypted = true;
            }
        }
    }

    /// The records seen so far, in order.
    pub fn records(&self) -> &[TlsRecord] {
        &self.records
    }

    /// One line per record (`→ handshake 517 bytes (ClientHello)`), then a line for records past
    /// the limit and for bytes that were not TLS.
    pub fn summary(&self) -> Vec<String> {
        let mut lines: Vec<String> = self.records.iter().map(TlsRecord::describe).collect();
        if self.more_records > 0 {
            lines.push(format!(
                "… {} more records, {} bytes",
                self.more_records, self.more_bytes
            ));
        }
        for (direction, state) in [
            (Direction::Sent, &self.sent),
            (Direction::Received, &self.received),
        ] {
            if state.not_tls > 0 {
                lines.push(format!(
                    "{} {} bytes that are not TLS records",
                    direction.arrow(),
                    state.not_tls
                ));
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_head() {
        let head =
            parse_http_head(b"HTTP/1.1 200 OK\r\nETag: \"x\"\r\ncontent-length: 2\r\n\r\nhi")
                .unwrap_or_else(|| panic!("no head"));
        assert_eq!(head.start_line, "HTTP/1.1 200 OK");
        assert_eq!(
            head.headers,
            vec![
                ("ETag".to_owned(), "\"x\"".to_owned()),
                ("content-length".to_owned(), "2".to_owned())
            ]
        );
        assert_eq!(head.len, 49);
        assert_eq!(parse_http_head(b"HTTP/1.1 200 OK\r\n"), None);
    }

    #[test]
    fn http_lines_show_head_and_body() {
        let wire = b"PUT /b/k HTTP/1.1\r\nhost: x\r\n\r\nhello\r\nworld";
        let lines = http_wire_lines(Direction::Sent, wire, wire.len() as u64, 512);
        assert_eq!(
            lines,
            [
                "→ PUT /b/k HTTP/1.1",
                "→ host: x",
                "→",
                "→ hello",
                "→ world"
            ]
        );
    }

    #[test]
    fn http_lines_truncate_and_hex() {
        let mut wire = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
        wire.extend([0u8, 1, 2, 3, 4, 5]);
        let lines = http_wire_lines(Direction::Received, &wire, 1000, 4);
        assert_eq!(lines[0], "← HTTP/1.1 200 OK");
        assert_eq!(lines[1], "←");
        assert_eq!(
            lines[2],
            "← 00000013  00 01 02 03                                       |....|"
        );
        assert_eq!(lines[3], "← … 977 more bytes (1000 in all)");
    }

    fn record(t: u8, len: u16, first: u8) -> Vec<u8> {
        let mut r = vec![t, 3, 3];
        r.extend(len.to_be_bytes());
        r.push(first);
        r.extend(std::iter::repeat_n(0xaa, usize::from(len) - 1));
        r
    }

    #[test]
    fn scans_records_split_anywhere() {
        let mut client = record(22, 512, 1);
        client.extend(record(20, 1, 1));
        client.extend(record(22, 53, 20)); // encrypted Finished (TLS 1.2 style): no type shown
        client.extend(record(23, 100, 0x17));
        let mut server = record(22, 122, 2);
        server.extend(record(23, 2000, 0x42));

        let mut scanner = TlsRecordScanner::default();
        // Interleaved, in pieces of awkward sizes.
        scanner.feed(Direction::Sent, &client[..3]);
        scanner.feed(Direction::Sent, &client[3..517]);
        scanner.feed(Direction::Received, &server[..130]);
        for piece in client[517..].chunks(7) {
            scanner.feed(Direction::Sent, piece);
        }
        scanner.feed(Direction::Received, &server[130..]);
        assert_eq!(
            scanner.summary(),
            [
                "→ handshake 517 bytes (ClientHello)",
                "← handshake 127 bytes (ServerHello)",
                "→ change_cipher_spec 6 bytes",
                "→ handshake 58 bytes",
                "→ application_data 105 bytes",
                "← application_data 2005 bytes",
            ]
        );
    }

    #[test]
    fn not_tls_is_reported() {
        let mut scanner = TlsRecordScanner::default();
        scanner.feed(Direction::Sent, b"GET / HTTP/1.1\r\n\r\n");
        assert_eq!(scanner.summary(), ["→ 18 bytes that are not TLS records"]);
    }

    #[test]
    fn records_past_the_limit_are_counted() {
        let mut scanner = TlsRecordScanner::new(1);
        let mut bytes = record(23, 10, 0);
        bytes.extend(record(23, 10, 0));
        bytes.extend(record(23, 20, 0));
        scanner.feed(Direction::Received, &bytes);
        assert_eq!(
            scanner.summary(),
            ["← application_data 15 bytes", "… 2 more records, 40 bytes"]
        );
    }
}
