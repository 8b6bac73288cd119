//! `s3lab cse`: client-side encryption against any S3 and KMS endpoint (placeholder until the
//! client-side encryptor lands).

use clap::Args;

#[derive(Debug, Args)]
pub struct CseArgs {
    /// The rest of the command line.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

pub async fn run(args: CseArgs) -> anyhow::Result<()> {
    let _ = args;
    anyhow::bail!("s3lab cse is not available yet")
}
