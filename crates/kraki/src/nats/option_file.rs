//! Reading the small files that NATS options name (PEM certificates and
//! keys, NKEY seeds, `.creds` files): bounded, so that a wrong path (a
//! device, a large file) cannot take memory, and wiped when dropped,
//! since most of them hold a secret.

use std::io::Read;
use std::path::Path;
use zeroize::Zeroizing;

/// The bytes of `path`, at most `max`. Errors name the file and what went
/// wrong, never what it holds.
pub(super) fn read(path: &Path, max: u64) -> Result<Zeroizing<Vec<u8>>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    // Room for the whole file at once: a buffer that grew would leave
    // unwiped copies behind.
    let size = file.metadata().map_or(0, |m| m.len()).min(max) + 1;
    let mut bytes = Zeroizing::new(Vec::with_capacity(usize::try_from(size).unwrap_or(0)));
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.len() as u64 > max {
        return Err(format!("{}: larger than {max} bytes", path.display()));
    }
    Ok(bytes)
}

/// [`read`], as text.
pub(super) fn read_text(path: &Path, max: u64) -> Result<Zeroizing<String>, String> {
    let mut bytes = read(path, max)?;
    match String::from_utf8(std::mem::take(&mut *bytes)) {
        Ok(text) => Ok(Zeroizing::new(text)),
        Err(e) => {
            drop(Zeroizing::new(e.into_bytes()));
            Err(format!("{}: not UTF-8 text", path.display()))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn bounded_named_and_never_quoting_the_contents() {
        let dir = std::env::temp_dir().join(format!("kraki-option-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("seed");
        std::fs::write(&path, "SUSECRETSEED\n").unwrap();
        assert_eq!(read_text(&path, 64).unwrap().as_str(), "SUSECRETSEED\n");
        let err = read(&path, 5).unwrap_err();
        assert_eq!(err, format!("{}: larger than 5 bytes", path.display()));
        std::fs::write(&path, b"SUSECRET\xff").unwrap();
        let err = read_text(&path, 64).unwrap_err();
        assert_eq!(err, format!("{}: not UTF-8 text", path.display()));
        let missing = dir.join("missing");
        let err = read(&missing, 64).unwrap_err();
        assert!(
            err.starts_with(&format!("{}: ", missing.display())),
            "{err}"
        );
        for err in [
            read(&path, 5).unwrap_err(),
            read_text(&path, 64).unwrap_err(),
        ] {
            assert!(!err.contains("SECRET"), "{err}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
