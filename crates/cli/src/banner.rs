//! What `s3lab serve` prints once it is ready.

use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::path::Path;

use s3lab_server::ready::ReadyInfo;

/// The banner's last line, exactly: test harnesses wait for it.
pub const READY_LINE: &str = "s3lab is ready.";

pub struct Banner<'a> {
    pub ready: &'a ReadyInfo,
    pub data_dir: &'a Path,
    pub data_dir_is_new_temp: bool,
    pub ready_file: &'a Path,
    pub account_id: &'a str,
    pub seed: Option<u64>,
}

impl Banner<'_> {
    /// Prints the banner to stdout and flushes it.
    pub fn print(&self) -> io::Result<()> {
        let mut out = io::stdout().lock();
        out.write_all(self.render().as_bytes())?;
        out.flush()
    }

    pub fn render(&self) -> String {
        let mut s = String::new();
        // Writing to a String cannot fail.
        let _ = self.render_into(&mut s);
        s
    }

    fn render_into(&self, s: &mut String) -> std::fmt::Result {
        let r = self.ready;
        writeln!(s)?;
        writeln!(
            s,
            "s3lab is serving mock Amazon S3 and AWS KMS on this machine."
        )?;
        writeln!(s)?;
        writeln!(s, "  HTTPS    {}   (S3 and KMS; use this one)", r.https)?;
        writeln!(
            s,
            "  HTTP     {}   (plain text: every byte readable on the wire)",
            r.http
        )?;
        writeln!(
            s,
            "  CA       {}   (what HTTPS clients must trust)",
            r.ca_pem
        )?;
        let kept = if self.data_dir_is_new_temp {
            "   (a new folder, kept after exit)"
        } else {
            ""
        };
        writeln!(s, "  Data     {}{kept}", self.data_dir.display())?;
        writeln!(s, "  Ready    {}", self.ready_file.display())?;
        writeln!(s, "  Region   {}   account {}", r.region, self.account_id)?;
        match self.seed {
            Some(seed) => writeln!(
                s,
                "  Mode     seeded ({seed}): ids, keys and the lab's clock repeat from run to run"
            )?,
            None => writeln!(s, "  Mode     live: fresh randomness and the real clock")?,
        }
        writeln!(s)?;
        writeln!(s, "Credentials:")?;
        let width = r
            .credentials
            .iter()
            .map(|c| c.name.len())
            .max()
            .unwrap_or(0);
        for c in &r.credentials {
            writeln!(
                s,
                "  {:width$}   access key {}   secret {}",
                c.name, c.access_key_id, c.secret_access_key
            )?;
        }
        writeln!(s)?;
        if let Some(first) = r.credentials.first() {
            writeln!(s, "Try it from another shell (as {}):", first.name)?;
            writeln!(
                s,
                "  export AWS_ACCESS_KEY_ID={} AWS_SECRET_ACCESS_KEY={} AWS_DEFAULT_REGION={} AWS_CA_BUNDLE={}",
                shell_quote(&first.access_key_id),
                shell_quote(&first.secret_access_key),
                shell_quote(&r.region),
                shell_quote(&r.ca_pem)
            )?;
            writeln!(s, "  aws --endpoint-url {} kms create-key", r.https)?;
            writeln!(s, "  aws --endpoint-url {} s3 ls", r.https)?;
            writeln!(s)?;
        }
        writeln!(s, "Stop with Ctrl-C.")?;
        writeln!(s, "{READY_LINE}")
    }
}

/// Quotes `value` for a POSIX shell, leaving it bare when that is safe.
fn shell_quote(value: &str) -> String {
    let safe = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_.+-:=@%,".contains(c));
    if safe {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3lab_server::ready::ReadyCredential;

    fn ready() -> ReadyInfo {
        ReadyInfo {
            http: "http://127.0.0.1:9080".into(),
            https: "https://127.0.0.1:9443".into(),
            ca_pem: "/tmp/s3lab-ab12/tls/ca.pem".into(),
            region: "us-east-1".into(),
            credentials: vec![ReadyCredential {
                name: "admin".into(),
                access_key_id: "AKIAIOSFODNN7S3LABAD".into(),
                secret_access_key: "s3lab/admin/wJalrXUtnFEMI/K7MDENG+bPxRfiCY".into(),
            }],
        }
    }

    #[test]
    fn banner_has_copy_paste_lines_and_ends_with_the_ready_line() {
        let r = ready();
        let text = Banner {
            ready: &r,
            data_dir: Path::new("/tmp/s3lab-ab12"),
            data_dir_is_new_temp: true,
            ready_file: Path::new("/tmp/s3lab-ab12/ready.json"),
            account_id: "111122223333",
            seed: None,
        }
        .render();
        assert!(text.contains(
            "  export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7S3LABAD \
             AWS_SECRET_ACCESS_KEY=s3lab/admin/wJalrXUtnFEMI/K7MDENG+bPxRfiCY \
             AWS_DEFAULT_REGION=us-east-1 AWS_CA_BUNDLE=/tmp/s3lab-ab12/tls/ca.pem\n"
        ));
        assert!(text.contains("  aws --endpoint-url https://127.0.0.1:9443 kms create-key\n"));
        assert!(text.contains("  aws --endpoint-url https://127.0.0.1:9443 s3 ls\n"));
        assert_eq!(text.lines().last(), Some(READY_LINE));
        assert!(text.ends_with("s3lab is ready.\n"));
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote("/tmp/a/ca.pem"), "/tmp/a/ca.pem");
        assert_eq!(shell_quote("/tmp/my lab/ca.pem"), "'/tmp/my lab/ca.pem'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
