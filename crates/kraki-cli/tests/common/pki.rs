//! A throwaway CA and a server certificate it signs for `localhost` and
//! 127.0.0.1, written as PEM files into a directory of the test, for
//! nats-server's `tls { … }`.

use base64::Engine;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use std::path::{Path, PathBuf};

/// The files of one CA and its server certificate.
pub struct Pki {
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
}

impl Pki {
    /// Generates one into `dir` (created when missing).
    pub fn generate(dir: &Path) -> Pki {
        std::fs::create_dir_all(dir).unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "kraki-cli test CA");
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "kraki-cli test server");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server = params.signed_by(&key, &ca).unwrap();
        let write = |name: &str, label: &str, der: &[u8]| {
            let path = dir.join(name);
            std::fs::write(&path, pem(label, der)).unwrap();
            path
        };
        Pki {
            ca: write("ca.pem", "CERTIFICATE", ca.der()),
            server_cert: write("server.pem", "CERTIFICATE", server.der()),
            server_key: write("server-key.pem", "PRIVATE KEY", &key.serialize_der()),
        }
    }
}

/// DER as PEM (rcgen's own `pem()` needs a feature not built here).
fn pem(label: &str, der: &[u8]) -> String {
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in text.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out + &format!("-----END {label}-----\n")
}
