//! NATS's NKEY authentication: a user's Ed25519 seed, read from a seed
//! file or from a credentials file (`.creds`, which adds the user's
//! JWT), signs the nonce of the server's `INFO`; `CONNECT` carries the
//! signature (`sig`, base64url without padding) with the public key
//! (`nkey`) or the JWT (`jwt`). The seed is a secret: it is never shown
//! by `Debug`, an error or a log, the file's text is wiped once read, and
//! the key pair's signing key wipes itself when dropped (ed25519-dalek's
//! feature `zeroize`, turned on in the workspace's Cargo.toml).

use base64::Engine;
use std::path::Path;
use zeroize::Zeroizing;

/// The largest credentials or seed file read: a user JWT with many
/// permissions is a few kilobytes.
const MAX_FILE: u64 = 64 << 10;

/// A user's key, and its JWT when it came from a credentials file.
pub(crate) struct Signer {
    key: nkeys::KeyPair,
    jwt: Option<String>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("jwt", &self.jwt.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// The JWT and seed of a NATS credentials file: the first block
    /// between `-----BEGIN … JWT-----` and its end line, and the block
    /// of the `… NKEY SEED` lines.
    pub(crate) fn from_creds_file(path: &Path) -> Result<Signer, String> {
        let text = read(path, "credentials file")?;
        let blocks = blocks(&text);
        let jwt = blocks.iter().find(|(label, _)| label.contains("JWT"));
        let seed = blocks.iter().find(|(label, _)| label.contains("SEED"));
        let (Some((_, jwt)), Some((_, seed))) = (jwt, seed) else {
            return Err(format!(
                "credentials file {}: no user JWT and NKEY seed blocks in it",
                path.display()
            ));
        };
        let key =
            user_key(seed).map_err(|why| format!("credentials file {}: {why}", path.display()))?;
        Ok(Signer {
            key,
            jwt: Some((*jwt).to_owned()),
        })
    }

    /// The seed of a seed file: its first line that is neither blank, a
    /// comment nor a `-----` decoration.
    pub(crate) fn from_seed_file(path: &Path) -> Result<Signer, String> {
        let text = read(path, "NKEY seed file")?;
        let seed = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with(['#', '-']) && !l.starts_with("//"))
            .unwrap_or_default();
        let key =
            user_key(seed).map_err(|why| format!("NKEY seed file {}: {why}", path.display()))?;
        Ok(Signer { key, jwt: None })
    }

    /// The user's JWT, from a credentials file.
    pub(crate) fn jwt(&self) -> Option<&str> {
        self.jwt.as_deref()
    }

    /// The user's public key (`U…`), which the server's configuration
    /// lists; not a secret.
    pub(crate) fn public_key(&self) -> String {
        self.key.public_key()
    }

    /// The raw Ed25519 signature of `nonce`.
    pub(crate) fn sign_raw(&self, nonce: &[u8]) -> Result<Vec<u8>, String> {
        self.key
            .sign(nonce)
            .map_err(|_| "signing the server's nonce failed".to_owned())
    }

    /// The signature of `nonce` as `CONNECT`'s `sig` wants it.
    pub(crate) fn sign(&self, nonce: &[u8]) -> Result<String, String> {
        Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.sign_raw(nonce)?))
    }
}

/// A user's key pair from its encoded seed. The reasons name the
/// problem, never a character of the seed.
fn user_key(seed: &str) -> Result<nkeys::KeyPair, String> {
    use nkeys::error::ErrorKind as Kind;
    if !seed.starts_with('S') {
        return Err("not an NKEY seed (a seed starts with S)".to_owned());
    }
    let key = nkeys::KeyPair::from_seed(seed).map_err(|e| {
        match e.kind() {
            Kind::InvalidKeyLength => "an NKEY seed of the wrong length",
            Kind::ChecksumFailure => "an NKEY seed whose checksum is wrong (mistyped or cut?)",
            Kind::InvalidPrefix => "not an NKEY seed (wrong prefix)",
            _ => "not a valid NKEY seed",
        }
        .to_owned()
    })?;
    if key.key_pair_type() != nkeys::KeyPairType::User {
        return Err(format!(
            "the NKEY seed is of a {:?} key, not of a user (SU…)",
            key.key_pair_type()
        ));
    }
    Ok(key)
}

/// `(label, value)` of each decorated block: a `---…BEGIN label…---`
/// line, then the value on the next line.
fn blocks(text: &str) -> Vec<(&str, &str)> {
    let mut found = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if line.starts_with("---") && line.contains("BEGIN") {
            if let Some(value) = lines.next() {
                found.push((line, value));
            }
        }
    }
    found
}

/// A file's text, bounded, wiped when dropped.
fn read(path: &Path, what: &str) -> Result<Zeroizing<String>, String> {
    super::option_file::read_text(path, MAX_FILE).map_err(|e| format!("{what} {e}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A seed file that is removed when the test ends, passed or failed:
    /// the seeds are throwaway, but a test leaves no key material behind.
    struct SeedFile(std::path::PathBuf);

    impl std::ops::Deref for SeedFile {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for SeedFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    fn file(name: &str, text: &str) -> SeedFile {
        let path = std::env::temp_dir().join(format!("kraki-nkey-{}-{name}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        SeedFile(path)
    }

    #[test]
    fn seeds_and_creds_are_read_and_sign_the_nonce_never_showing_secrets() {
        let user = nkeys::KeyPair::new_user();
        let seed = user.seed().unwrap();
        let signer = Signer::from_seed_file(&file("u.nk", &format!("{seed}\n"))).unwrap();
        assert_eq!(signer.public_key(), user.public_key());
        assert!(signer.jwt().is_none());
        let sig = signer.sign(b"nonce-from-INFO").unwrap();
        assert!(!sig.contains(['=', '+', '/']), "{sig}");
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&sig)
            .unwrap();
        user.verify(b"nonce-from-INFO", &raw).unwrap();

        let creds = format!(
            "-----BEGIN NATS USER JWT-----\neyJhbGciOiJlZDI1NTE5.the-jwt.sig\n------END NATS USER JWT------\n\n\
             ************************* IMPORTANT *************************\n\
             NKEY Seed printed below can be used to sign and prove identity.\n\n\
             -----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n"
        );
        let signer = Signer::from_creds_file(&file("u.creds", &creds)).unwrap();
        assert_eq!(signer.jwt(), Some("eyJhbGciOiJlZDI1NTE5.the-jwt.sig"));
        assert_eq!(signer.public_key(), user.public_key());
        let shown = format!("{signer:?}");
        assert!(
            !shown.contains(&seed[1..]) && !shown.contains("the-jwt"),
            "{shown}"
        );

        // A wrong character, a cut seed, an account's seed, no seed: named
        // problems, without the seed's text.
        let mut typo = seed.clone().into_bytes();
        typo[20] = if typo[20] == b'A' { b'B' } else { b'A' };
        let typo = String::from_utf8(typo).unwrap();
        let account = nkeys::KeyPair::new_account().seed().unwrap();
        for (text, why) in [
            (typo.as_str(), "checksum"),
            (&seed[..40], "length"),
            (account.as_str(), "not of a user"),
            ("", "not an NKEY seed"),
        ] {
            let e = Signer::from_seed_file(&file("bad.nk", text)).unwrap_err();
            assert!(e.contains(why) && e.contains("bad.nk"), "{e}");
            assert!(text.is_empty() || !e.contains(&text[2..12]), "{e}");
        }
        let e = Signer::from_creds_file(&file("bad.creds", &seed)).unwrap_err();
        assert!(e.contains("no user JWT") && !e.contains(&seed[2..]), "{e}");
    }
}
