//! `kraki verify FILE [--price-precision P --qty-precision Q] [--depth D]
//! [--json]`: replays every book and level3 message of a recording through
//! the verified books.

use crate::lines;
use kraki_proto::book::{L2Book, L3Book, Precision, Verification};
use kraki_proto::recording::RecordLine;
use kraki_proto::{Channel, Inbound, MessageType, Response, decode};
use serde::Serialize;
use std::collections::HashMap;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

/// Arguments of `kraki verify`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// A recording (`kraki record`) or raw frames, one per line; `-` reads
    /// standard input.
    file: String,
    /// Price decimals (default: from instrument messages in the file).
    #[arg(long, requires = "qty_precision")]
    price_precision: Option<u8>,
    /// Quantity decimals (default: from instrument messages in the file).
    #[arg(long, requires = "price_precision")]
    qty_precision: Option<u8>,
    /// Levels per side (default: the subscribe ack in the file, else the
    /// snapshot's levels per side).
    #[arg(long)]
    depth: Option<usize>,
    /// One JSON line per checksum-bearing message.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Line<'a> {
    symbol: &'a str,
    #[serde(rename = "type")]
    kind: MessageType,
    checksum: u32,
    computed: u32,
    ok: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    skipped: bool,
}

#[derive(Default)]
struct Tally {
    verified: u64,
    mismatched: u64,
    skipped: u64,
}

/// What the recording has told so far.
#[derive(Default)]
struct Context {
    precisions: HashMap<String, Precision>,
    /// (channel, symbol) → depth from subscribe acks.
    depths: HashMap<(Channel, String), usize>,
    books: HashMap<String, L2Book>,
    l3: HashMap<String, L3Book>,
}

/// Verifies every checksum; the last line written is the tally.
pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let input = lines::open(Some(&args.file))?;
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let mut ctx = Context::default();
    let mut tally = Tally::default();
    let flag_precision = args
        .price_precision
        .zip(args.qty_precision)
        .map(|(p, q)| Precision::new(p, q));
    let mut failure: Option<anyhow::Error> = None;
    let result = lines::for_each(input, |number, line| {
        if failure.is_some() {
            return Ok(());
        }
        let line = match line {
            Ok(l) if l.trim().is_empty() => return Ok(()),
            Ok(l) => l,
            Err(e) => {
                out.flush()?;
                eprintln!("line {number}: {e}");
                return Ok(());
            }
        };
        let frame = match RecordLine::parse(line) {
            Ok(RecordLine::Frame { text, .. }) => text,
            Ok(RecordLine::Header { .. }) => return Ok(()),
            Err(e) => {
                out.flush()?;
                eprintln!("line {number}: {e}");
                return Ok(());
            }
        };
        // Frames that are not Kraken messages (e.g. a proxy's notice) are
        // not book data; they are reported and skipped.
        let msg = match decode(&frame) {
            Ok(m) => m,
            Err(e) => {
                out.flush()?;
                eprintln!("line {number}: {e}");
                return Ok(());
            }
        };
        if let Err(e) = on_message(msg, &mut ctx, flag_precision, args, &mut tally, &mut out) {
            failure = Some(e.context(format!("line {number}")));
        }
        Ok(())
    });
    if let Err(e) = result.and_then(|()| out.flush()) {
        if e.kind() != io::ErrorKind::BrokenPipe {
            return Err(e.into());
        }
    }
    if let Some(e) = failure {
        return Err(e);
    }
    let mut summary = format!(
        "{} verified, {} mismatched",
        tally.verified, tally.mismatched
    );
    if tally.skipped > 0 {
        summary.push_str(&format!(", {} skipped", tally.skipped));
    }
    println!("{summary}");
    Ok(if tally.mismatched > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn on_message(
    msg: Inbound,
    ctx: &mut Context,
    flag_precision: Option<Precision>,
    args: &Args,
    tally: &mut Tally,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    match msg {
        Inbound::Instrument(m) => {
            for pair in &m.data.pairs {
                ctx.precisions
                    .insert(pair.symbol.to_string(), Precision::from(pair));
            }
        }
        Inbound::Response(r) => {
            if let Response::Subscribe(ack) = *r {
                if let Some(result) = ack.result.filter(|_| ack.success) {
                    if let (Some(symbol), Some(depth)) = (result.symbol, result.depth) {
                        ctx.depths
                            .insert((result.channel, symbol.to_string()), depth as usize);
                    }
                }
            }
        }
        Inbound::Book(m) => {
            for data in &m.data {
                let symbol = data.symbol.as_str();
                if !ctx.books.contains_key(symbol) {
                    let precision = precision_for(ctx, flag_precision, symbol)?;
                    let depth = args
                        .depth
                        .or_else(|| ctx.depths.get(&(Channel::Book, symbol.to_owned())).copied())
                        .unwrap_or_else(|| data.bids.len().max(data.asks.len()).max(1));
                    ctx.books
                        .insert(symbol.to_owned(), L2Book::new(symbol, precision, depth));
                }
                let book = ctx
                    .books
                    .get_mut(symbol)
                    .ok_or_else(|| anyhow::anyhow!("book for {symbol} vanished"))?;
                let verdict = book
                    .apply(m.kind, data)
                    .map_err(|e| anyhow::anyhow!("{symbol}: {e}"))?;
                report(
                    out,
                    tally,
                    args.json,
                    symbol,
                    m.kind,
                    data.checksum,
                    verdict,
                )?;
            }
        }
        Inbound::Level3(m) => {
            for data in &m.data {
                let symbol = data.symbol.as_str();
                if !ctx.l3.contains_key(symbol) {
                    let precision = precision_for(ctx, flag_precision, symbol)?;
                    let depth = args
                        .depth
                        .or_else(|| {
                            ctx.depths
                                .get(&(Channel::Level3, symbol.to_owned()))
                                .copied()
                        })
                        .unwrap_or(10);
                    ctx.l3
                        .insert(symbol.to_owned(), L3Book::new(symbol, precision, depth));
                }
                let book = ctx
                    .l3
                    .get_mut(symbol)
                    .ok_or_else(|| anyhow::anyhow!("book for {symbol} vanished"))?;
                let verdict = book
                    .apply(m.kind, data)
                    .map_err(|e| anyhow::anyhow!("{symbol}: {e}"))?;
                report(
                    out,
                    tally,
                    args.json,
                    symbol,
                    m.kind,
                    data.checksum,
                    verdict,
                )?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn precision_for(
    ctx: &Context,
    flags: Option<Precision>,
    symbol: &str,
) -> anyhow::Result<Precision> {
    flags
        .or_else(|| ctx.precisions.get(symbol).copied())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no precision for {symbol}: the recording has no instrument data for it; \
                 pass --price-precision and --qty-precision"
            )
        })
}

fn report(
    out: &mut impl Write,
    tally: &mut Tally,
    json: bool,
    symbol: &str,
    kind: MessageType,
    checksum: u32,
    verdict: Verification,
) -> io::Result<()> {
    // A skipped update was not applied: there is nothing computed for it.
    let (ok, skipped, computed) = match verdict {
        Verification::Verified => {
            tally.verified += 1;
            (true, false, checksum)
        }
        Verification::Mismatch { computed, .. } => {
            tally.mismatched += 1;
            (false, false, computed)
        }
        Verification::Skipped => {
            tally.skipped += 1;
            (false, true, 0)
        }
    };
    if json {
        let line = Line {
            symbol,
            kind,
            checksum,
            computed,
            ok,
            skipped,
        };
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
