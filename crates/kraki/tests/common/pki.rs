//! A throwaway PKI for TLS tests against nats-server: a CA, a server
//! certificate for `localhost` and 127.0.0.1, and a client certificate,
//! each written as PEM files into a directory of the test.

use base64::Engine;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use std::path::{Path, PathBuf};

/// The files of one PKI.
pub(crate) struct Pki {
    pub(crate) ca: PathBuf,
    pub(crate) server_cert: PathBuf,
    pub(crate) server_key: PathBuf,
    pub(crate) client_cert: PathBuf,
    pub(crate) client_key: PathBuf,
}

impl Pki {
    /// Generates one into `dir` (created when missing).
    pub(crate) fn generate(dir: &Path) -> Pki {
        std::fs::create_dir_all(dir).unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "kraki test CA");
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let leaf = |names: Vec<String>, usage: ExtendedKeyUsagePurpose, name: &str| {
            let key = KeyPair::generate().unwrap();
            let mut params = CertificateParams::new(names).unwrap();
            params.distinguished_name.push(DnType::CommonName, name);
            params.extended_key_usages = vec![usage];
            let cert = params.signed_by(&key, &ca).unwrap();
            (cert.der().to_vec(), key.serialize_der())
        };
        let server = leaf(
            vec!["localhost".to_owned(), "127.0.0.1".to_owned()],
            ExtendedKeyUsagePurpose::ServerAuth,
            "kraki test server",
        );
        let client = leaf(
            Vec::new(),
            ExtendedKeyUsagePurpose::ClientAuth,
            "kraki test client",
        );
        let write = |name: &str, label: &str, der: &[u8]| {
            let path = dir.join(name);
            std::fs::write(&path, pem(label, der)).unwrap();
            path
        };
        Pki {
            ca: write("ca.pem", "CERTIFICATE", ca.der()),
            server_cert: write("server.pem", "CERTIFICATE", &server.0),
            server_key: write("server-key.pem", "PRIVATE KEY", &server.1),
            client_cert: write("client.pem", "CERTIFICATE", &client.0),
            client_key: write("client-key.pem", "PRIVATE KEY", &client.1),
        }
    }
}

/// DER as PEM (rcgen's own `pem()` needs a feature not built here).
pub(crate) fn pem(label: &str, der: &[u8]) -> String {
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in text.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out + &format!("-----END {label}-----\n")
}
