//! TLS to NATS: the client setup (trusted CAs, the client certificate)
//! and the upgrade of a connection after the server's cleartext `INFO`.
//! The same setup is handed to async-nats, so the relay's publisher and
//! its management connection trust the same servers.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::path::Path;
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use zeroize::Zeroizing;

/// The largest PEM file read: a CA bundle of a few hundred certificates
/// fits many times over.
const MAX_PEM: u64 = 4 << 20;

/// The client's TLS setup, and whether it requires TLS of every server
/// (a CA or a client certificate was given: a server that does not
/// offer TLS must not get the connection in cleartext).
pub(crate) struct Tls {
    config: Arc<rustls::ClientConfig>,
    required: bool,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("required", &self.required)
            .finish_non_exhaustive()
    }
}

impl Tls {
    /// Trusts the CAs of `ca` (PEM), or the public web CAs without it;
    /// presents `client` (certificate chain, key; PEM) when asked.
    pub(crate) fn load(
        ca: Option<&Path>,
        client: Option<&(std::path::PathBuf, std::path::PathBuf)>,
    ) -> Result<Tls, String> {
        let mut roots = rustls::RootCertStore::empty();
        match ca {
            Some(path) => {
                let pem = read_pem(path)?;
                for cert in CertificateDer::pem_slice_iter(&pem) {
                    let cert = cert.map_err(|e| format!("CA file {}: {e}", path.display()))?;
                    roots
                        .add(cert)
                        .map_err(|e| format!("CA file {}: {e}", path.display()))?;
                }
                if roots.is_empty() {
                    return Err(format!(
                        "CA file {}: no PEM certificate in it",
                        path.display()
                    ));
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup: {e}"))?
            .with_root_certificates(roots);
        let config = match client {
            Some((cert_path, key_path)) => {
                let pem = read_pem(cert_path)?;
                let chain = CertificateDer::pem_slice_iter(&pem)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| format!("client certificate {}: {e}", cert_path.display()))?;
                if chain.is_empty() {
                    return Err(format!(
                        "client certificate {}: no PEM certificate in it",
                        cert_path.display()
                    ));
                }
                // The key's parse errors say what was wrong, not what the
                // key holds.
                let key = PrivateKeyDer::from_pem_slice(&read_pem(key_path)?).map_err(|e| {
                    format!(
                        "client key {}: no usable PEM private key ({e})",
                        key_path.display()
                    )
                })?;
                builder.with_client_auth_cert(chain, key).map_err(|e| {
                    format!(
                        "client certificate {} and key {}: {e}",
                        cert_path.display(),
                        key_path.display()
                    )
                })?
            }
            None => builder.with_no_client_auth(),
        };
        Ok(Tls {
            config: Arc::new(config),
            required: ca.is_some() || client.is_some(),
        })
    }

    /// Whether every server must speak TLS, whatever its URL says.
    pub(crate) fn required(&self) -> bool {
        self.required
    }

    /// The setup, for async-nats.
    pub(crate) fn client_config(&self) -> rustls::ClientConfig {
        (*self.config).clone()
    }

    /// The TLS handshake with `host` over `tcp`; a refusal says why in
    /// words (an unknown CA, a wrong host name, an expired certificate).
    pub(crate) async fn connect(
        &self,
        host: &str,
        tcp: TcpStream,
    ) -> Result<TlsStream<TcpStream>, String> {
        let name = ServerName::try_from(host.to_owned())
            .map_err(|e| format!("{host} is not a name TLS can check ({e})"))?;
        tokio_rustls::TlsConnector::from(self.config.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| explained(host, &e))
    }
}

/// A failed TLS handshake in words. rustls's error travels inside the
/// `io::Error`.
pub(crate) fn explained(host: &str, error: &std::io::Error) -> String {
    format!("TLS handshake with {host} failed: {}", why(host, error))
}

/// rustls's reason inside `error`, in words, or `None` when `error` is
/// not a TLS error.
pub(crate) fn tls_reason(host: &str, error: &std::io::Error) -> Option<String> {
    use rustls::AlertDescription as Alert;
    use rustls::CertificateError as Cert;
    let rustls = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())?;
    Some(match rustls {
        rustls::Error::InvalidCertificate(Cert::UnknownIssuer) => {
            "the server's certificate is not signed by a trusted CA (give the CA that signed it)"
                .to_owned()
        }
        rustls::Error::InvalidCertificate(
            Cert::NotValidForName | Cert::NotValidForNameContext { .. },
        ) => format!("the server's certificate is not valid for the name {host}"),
        rustls::Error::InvalidCertificate(Cert::Expired | Cert::ExpiredContext { .. }) => {
            "the server's certificate has expired".to_owned()
        }
        // TLS 1.3 says the server's verdict on the client's certificate
        // only after the handshake, as an alert.
        rustls::Error::AlertReceived(
            Alert::CertificateRequired | Alert::BadCertificate | Alert::UnknownCA,
        ) => "the server wants a client certificate signed by a CA it trusts (mutual TLS), \
              and none was given or it refused the one given"
            .to_owned(),
        other => format!("{other}"),
    })
}

fn why(host: &str, error: &std::io::Error) -> String {
    tls_reason(host, error).unwrap_or_else(|| error.to_string())
}

/// A PEM file's bytes, bounded, wiped when dropped (a key is a secret).
fn read_pem(path: &Path) -> Result<Zeroizing<Vec<u8>>, String> {
    super::option_file::read(path, MAX_PEM)
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// DER as PEM (rcgen's own `pem()` needs a feature not built here).
    pub(crate) fn pem(label: &str, der: &[u8]) -> String {
        use base64::Engine;
        let text = base64::engine::general_purpose::STANDARD.encode(der);
        let mut out = format!("-----BEGIN {label}-----\n");
        for line in text.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(line).unwrap());
            out.push('\n');
        }
        out + &format!("-----END {label}-----\n")
    }

    #[test]
    fn bad_files_are_named_and_their_contents_never_shown() {
        let dir = std::env::temp_dir().join(format!("kraki-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let junk = dir.join("junk.pem");
        std::fs::write(&junk, "not a certificate hunter2").unwrap();
        let e = Tls::load(Some(&junk), None).unwrap_err();
        assert!(
            e.contains("junk.pem") && e.contains("no PEM certificate"),
            "{e}"
        );
        assert!(!e.contains("hunter2"), "{e}");
        let key = dir.join("key.pem");
        std::fs::write(
            &key,
            "-----BEGIN PRIVATE KEY-----\naHVudGVyMg==\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        let cert = rcgen::generate_simple_self_signed(["a".to_owned()]).unwrap();
        let cert_file = dir.join("cert.pem");
        std::fs::write(&cert_file, pem("CERTIFICATE", cert.cert.der())).unwrap();
        let e = Tls::load(None, Some(&(cert_file.clone(), key.clone()))).unwrap_err();
        assert!(e.contains("key.pem"), "{e}");
        assert!(!e.contains("hunter2") && !e.contains("aHVudGVyMg"), "{e}");
        let e = Tls::load(Some(&dir.join("missing.pem")), None).unwrap_err();
        assert!(e.contains("missing.pem"), "{e}");
        let tls = Tls::load(Some(&cert_file), None).unwrap();
        assert!(tls.required());
        assert!(!Tls::load(None, None).unwrap().required());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
