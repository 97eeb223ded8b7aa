//! `kraki decode [FILE|-] [--json]`: decode frames, one per line.

use crate::lines;
use kraki_proto::decode;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

/// Arguments of `kraki decode`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// File of frames, one per line; `-` or nothing reads standard input.
    file: Option<String>,
    /// Print each frame's typed value as normalized JSON instead of its kind.
    #[arg(long)]
    json: bool,
}

/// Prints one line per frame; bad lines go to stderr as `line N: <error>`,
/// then `N decoded, M failed` is the last line written. Blank lines are
/// skipped.
pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let input = lines::open(args.file.as_deref())?;
    let mut out = BufWriter::new(io::stdout().lock());
    let (mut decoded, mut failed) = (0u64, 0u64);
    let result = lines::for_each(input, |number, line| {
        let line = match line {
            Ok(l) if l.trim().is_empty() => return Ok(()),
            Ok(l) => l,
            Err(e) => {
                failed += 1;
                out.flush()?;
                eprintln!("line {number}: {e}");
                return Ok(());
            }
        };
        match decode(line) {
            Ok(msg) => {
                decoded += 1;
                if args.json {
                    match msg.to_json() {
                        Ok(json) => writeln!(out, "{json}")?,
                        Err(e) => {
                            failed += 1;
                            decoded -= 1;
                            out.flush()?;
                            eprintln!("line {number}: cannot write JSON: {e}");
                        }
                    }
                } else {
                    writeln!(out, "{}", msg.kind())?;
                }
            }
            Err(e) => {
                failed += 1;
                // Keep stdout and stderr in input order for a reader of both.
                out.flush()?;
                eprintln!("line {number}: {e}");
            }
        }
        Ok(())
    });
    let flushed = out.flush();
    match result.and(flushed) {
        Ok(()) => {}
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(e.into()),
    }
    eprintln!("{decoded} decoded, {failed} failed");
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
