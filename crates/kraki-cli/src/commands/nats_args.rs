//! The flags of every command that reaches NATS (`kraki relay`, `kraki
//! book --nats`): TLS and credentials beyond what the URL says. Only
//! paths: the files are read, and a bad one reported, before anything
//! connects.

use kraki::nats::NatsOptions;
use std::path::PathBuf;

/// TLS and authentication flags for `--nats`.
#[derive(clap::Args, Clone, Debug, Default)]
pub(crate) struct NatsArgs {
    /// PEM file of the CA certificates that sign the NATS server's
    /// certificate (instead of the public web CAs); requires TLS.
    #[arg(long, value_name = "FILE", requires = "nats")]
    nats_ca: Option<PathBuf>,
    /// PEM client certificate chain, for a NATS server that asks for one
    /// (mutual TLS); with --nats-key.
    #[arg(long, value_name = "FILE", requires_all = ["nats", "nats_key"])]
    nats_cert: Option<PathBuf>,
    /// PEM private key of --nats-cert.
    #[arg(long, value_name = "FILE", requires_all = ["nats", "nats_cert"])]
    nats_key: Option<PathBuf>,
    /// NATS credentials file (.creds: a user JWT and its NKEY seed).
    #[arg(
        long,
        value_name = "FILE",
        requires = "nats",
        conflicts_with = "nats_nkey"
    )]
    nats_creds: Option<PathBuf>,
    /// File holding the user's NKEY seed (SU…), for servers that list the
    /// user's public key.
    #[arg(long, value_name = "FILE", requires = "nats")]
    nats_nkey: Option<PathBuf>,
    /// Send a password or token of the --nats URL to a host that is not
    /// this machine without TLS (refused otherwise): anyone on the path
    /// can read it.
    #[arg(long, requires = "nats")]
    nats_danger_send_credentials_unencrypted: bool,
}

impl NatsArgs {
    /// The options, their files checked (an error names the file and the
    /// problem: missing, not PEM, no key, a bad seed), and with them the
    /// NATS URL when one is given (a password that would travel
    /// unencrypted is refused).
    pub(crate) fn options(&self, url: Option<&str>) -> anyhow::Result<NatsOptions> {
        let mut options = NatsOptions::new();
        if let Some(ca) = &self.nats_ca {
            options = options.ca_file(ca);
        }
        if let (Some(cert), Some(key)) = (&self.nats_cert, &self.nats_key) {
            options = options.client_cert(cert, key);
        }
        if let Some(creds) = &self.nats_creds {
            options = options.creds_file(creds);
        }
        if let Some(nkey) = &self.nats_nkey {
            options = options.nkey_file(nkey);
        }
        if self.nats_danger_send_credentials_unencrypted {
            options = options.danger_send_credentials_unencrypted();
        }
        match url {
            Some(url) => options.check_with_url(url)?,
            None => options.check()?,
        }
        Ok(options)
    }
}
