//! `kraki verify FILE [--price-precision P --qty-precision Q] [--depth D]
//! [--json]`: replays every book and level3 message of a recording through
//! the verified books.
//!
//! Output: with `--json`, one line per checksum-bearing message,
//! `{"symbol":…,"type":"snapshot"|"update","checksum":N,"computed":N,"ok":bool}`
//! (an update skipped because its book is out of sync has `"computed":null`
//! and `"skipped":true`; a message the book cannot take has
//! `"computed":null` and `"error":…`). Always, as the last line written on
//! either stream, `N verified, M mismatched` (plus `, K skipped` when
//! updates arrived for a book out of sync). Exit status 1 if anything
//! mismatched, 2 on an error that stops the run.
//!
//! The hot path is two threads: one reads the file in large blocks
//! (`line_blocks`) and parses each line's book or level3 frame where it
//! lies (`block_frames`), the other applies the frames to the books in
//! order, a block behind. Parsing is about half the work, the books (levels,
//! checksum digits, CRC32) a little less, so each thread has about half.
//! Anything the parser does not take goes the general way on the second
//! thread (`RecordLine::parse`, `decode`), in its place in the order.

use crate::block_frames::{BlockFrames, BlockLine};
use crate::line_blocks::{self, Lines};
use crate::lines;
use kraki_proto::book::{
    BookView, FastFrame, FrameParser, L2Book, L3Book, Level3View, Precision, Verification,
};
use kraki_proto::recording::RecordLine;
use kraki_proto::{Channel, Inbound, MessageType, Response, Symbol, decode};
use std::collections::{BTreeSet, HashMap};
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

#[derive(Default)]
struct Tally {
    verified: u64,
    mismatched: u64,
    skipped: u64,
}

impl Tally {
    fn summary(&self) -> String {
        let mut line = format!("{} verified, {} mismatched", self.verified, self.mismatched);
        if self.skipped > 0 {
            line.push_str(&format!(", {} skipped", self.skipped));
        }
        line
    }
}

/// The books of one channel, by symbol. Recordings hold few symbols, and
/// consecutive messages are mostly for the same one: the last book found
/// is checked before the map.
struct Books<B> {
    books: Vec<B>,
    index: HashMap<String, usize>,
    last: usize,
}

impl<B> Default for Books<B> {
    fn default() -> Self {
        Books {
            books: Vec::new(),
            index: HashMap::new(),
            last: 0,
        }
    }
}

/// What a book is keyed and rebuilt by.
trait Book {
    fn symbol(&self) -> &Symbol;
    fn precision(&self) -> Precision;
    fn depth(&self) -> usize;
}

impl Book for L2Book {
    fn symbol(&self) -> &Symbol {
        L2Book::symbol(self)
    }
    fn precision(&self) -> Precision {
        L2Book::precision(self)
    }
    fn depth(&self) -> usize {
        L2Book::depth(self)
    }
}

impl Book for L3Book {
    fn symbol(&self) -> &Symbol {
        L3Book::symbol(self)
    }
    fn precision(&self) -> Precision {
        L3Book::precision(self)
    }
    fn depth(&self) -> usize {
        L3Book::depth(self)
    }
}

impl<B: Book> Books<B> {
    fn get(&mut self, symbol: &str) -> Option<&mut B> {
        if self
            .books
            .get(self.last)
            .is_some_and(|b| b.symbol() == symbol)
        {
            return self.books.get_mut(self.last);
        }
        let i = *self.index.get(symbol)?;
        self.last = i;
        self.books.get_mut(i)
    }

    /// The book for a snapshot: kept if its precision and depth still
    /// hold, else made anew with `make`.
    fn for_snapshot(
        &mut self,
        symbol: &str,
        precision: Precision,
        depth: usize,
        make: impl FnOnce() -> B,
    ) -> Option<&mut B> {
        match self.index.get(symbol) {
            Some(&i) => {
                let book = self.books.get_mut(i)?;
                if book.precision() != precision || book.depth() != depth.max(1) {
                    *book = make();
                }
                self.last = i;
            }
            None => {
                self.index.insert(symbol.to_owned(), self.books.len());
                self.last = self.books.len();
                self.books.push(make());
            }
        }
        self.books.get_mut(self.last)
    }
}

/// What the recording has told so far, and the books.
struct Verifier<W: Write> {
    flag_precision: Option<Precision>,
    flag_depth: Option<usize>,
    json: bool,
    precisions: HashMap<String, Precision>,
    /// (channel, symbol) → depth from subscribe acks.
    depths: HashMap<(Channel, String), usize>,
    l2: Books<L2Book>,
    l3: Books<L3Book>,
    tally: Tally,
    out: W,
    line: usize,
}

/// Verifies every checksum; the last line written is the tally.
pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let input = lines::open(Some(&args.file))?;
    let stdout = io::stdout().lock();
    let mut v = Verifier {
        flag_precision: args
            .price_precision
            .zip(args.qty_precision)
            .map(|(p, q)| Precision::new(p, q)),
        flag_depth: args.depth,
        json: args.json,
        precisions: HashMap::new(),
        depths: HashMap::new(),
        l2: Books::default(),
        l3: Books::default(),
        tally: Tally::default(),
        out: BufWriter::with_capacity(1 << 16, stdout),
        line: 0,
    };
    let mut parser = FrameParser::new();
    let mut fatal: Option<anyhow::Error> = None;
    let parse = |text: &str, frames: &mut BlockFrames| frames.parse(text);
    let read = line_blocks::for_each_block(Box::new(input), parse, |lines| {
        let result = match lines {
            Lines::Block(text, frames) => v.on_block(&mut parser, frames.lines(text)),
            Lines::Line(line) => {
                v.line += 1;
                let line = line.strip_suffix('\n').unwrap_or(line);
                v.on_line(&mut parser, line.strip_suffix('\r').unwrap_or(line))
            }
            Lines::NotUtf8(e) => {
                v.line += 1;
                v.line_error(&e)
            }
        };
        result.map_err(|e| fatal = Some(e)).is_ok()
    });
    let flushed = read.and_then(|()| v.out.flush());
    match flushed {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
        Err(e) => fatal = fatal.or(Some(e.into())),
        Ok(()) => {}
    }
    let code = match &fatal {
        Some(e) => {
            eprintln!("kraki: {e:#}");
            ExitCode::from(2)
        }
        None if v.tally.mismatched > 0 => ExitCode::FAILURE,
        None => ExitCode::SUCCESS,
    };
    println!("{}", v.tally.summary());
    Ok(code)
}

impl<W: Write> Verifier<W> {
    /// A block's lines, as parsed on the reading thread: frames applied,
    /// anything else read by `on_line`.
    fn on_block<'a>(
        &mut self,
        parser: &mut FrameParser,
        lines: impl Iterator<Item = BlockLine<'a>>,
    ) -> anyhow::Result<()> {
        for line in lines {
            self.line += 1;
            match line {
                BlockLine::Frame(frame) => self.on_fast(frame)?,
                BlockLine::Other(line) => {
                    self.on_line(parser, line.strip_suffix('\r').unwrap_or(line))?;
                }
            }
        }
        Ok(())
    }

    /// One line the fast path did not take: the general path.
    fn on_line(&mut self, parser: &mut FrameParser, line: &str) -> anyhow::Result<()> {
        if line.trim().is_empty() {
            return Ok(());
        }
        let text = match RecordLine::parse(line) {
            Ok(RecordLine::Frame { text, .. }) => text,
            Ok(RecordLine::Header { .. }) => return Ok(()),
            Err(e) => return self.line_error(&e.to_string()),
        };
        // A book frame the line-wise reader did not take (e.g. spaces
        // around it) still avoids serde.
        if let Some(fast) = parser.parse(&text) {
            return self.on_fast(fast);
        }
        match decode(&text) {
            Ok(msg) => self.on_message(msg),
            // Frames that are not Kraken messages (e.g. a proxy's notice)
            // hold no book data; they are reported and passed over.
            Err(e) => self.line_error(&e.to_string()),
        }
    }

    fn line_error(&mut self, error: &str) -> anyhow::Result<()> {
        // Flushed first, so that the two streams read in order.
        self.out.flush()?;
        eprintln!("line {}: {error}", self.line);
        Ok(())
    }

    fn on_fast(&mut self, frame: FastFrame<'_>) -> anyhow::Result<()> {
        match frame {
            FastFrame::Book(msg) => {
                for update in msg.updates() {
                    self.on_book(msg.kind(), &update)?;
                }
            }
            FastFrame::Level3(msg) => {
                for update in msg.updates() {
                    self.on_level3(msg.kind(), &update)?;
                }
            }
        }
        Ok(())
    }

    fn on_message(&mut self, msg: Inbound) -> anyhow::Result<()> {
        match msg {
            Inbound::Instrument(m) => {
                for pair in &m.data.pairs {
                    self.precisions
                        .insert(pair.symbol.to_string(), Precision::from(pair));
                }
            }
            Inbound::Response(r) => {
                if let Response::Subscribe(ack) = *r {
                    if let Some(result) = ack.result.filter(|_| ack.success) {
                        if let (Some(symbol), Some(depth)) = (result.symbol, result.depth) {
                            self.depths
                                .insert((result.channel, symbol.to_string()), depth as usize);
                        }
                    }
                }
            }
            Inbound::Book(m) => {
                for data in &m.data {
                    self.on_book(m.kind, &BookView::from(data))?;
                }
            }
            Inbound::Level3(m) => {
                for data in &m.data {
                    self.on_level3(m.kind, &Level3View::from(data))?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn precision(&self, symbol: &str) -> anyhow::Result<Precision> {
        self.flag_precision
            .or_else(|| self.precisions.get(symbol).copied())
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "line {}: no precision for {symbol}: the recording has no instrument data \
                     for it; pass --price-precision and --qty-precision",
                    self.line
                )
            })
    }

    fn depth(&self, channel: Channel, symbol: &str, in_snapshot: impl FnOnce() -> usize) -> usize {
        self.flag_depth
            .or_else(|| self.depths.get(&(channel, symbol.to_owned())).copied())
            .unwrap_or_else(in_snapshot)
    }

    // Inlined into `on_fast`: a call per message saved.
    #[inline]
    fn on_book(&mut self, kind: MessageType, update: &BookView<'_>) -> anyhow::Result<()> {
        let symbol = update.symbol;
        let book = match kind {
            MessageType::Snapshot => {
                let precision = self.precision(symbol)?;
                let depth = self.depth(Channel::Book, symbol, || {
                    update.bids.len().max(update.asks.len())
                });
                self.l2.for_snapshot(symbol, precision, depth, || {
                    L2Book::new(symbol, precision, depth)
                })
            }
            MessageType::Update => match self.l2.get(symbol) {
                Some(book) => Some(book),
                None => {
                    self.precision(symbol)?;
                    None
                }
            },
        };
        let verdict = match book {
            Some(book) => book.apply_update(kind, update),
            // An update before any snapshot: its book is not in sync.
            None => Ok(Verification::Skipped),
        };
        self.report(symbol, kind, update.checksum, verdict)
    }

    fn on_level3(&mut self, kind: MessageType, update: &Level3View<'_>) -> anyhow::Result<()> {
        let symbol = update.symbol;
        let book = match kind {
            MessageType::Snapshot => {
                let precision = self.precision(symbol)?;
                let depth = self.depth(Channel::Level3, symbol, || {
                    let levels = |orders: kraki_proto::book::Level3Orders<'_>| {
                        orders
                            .iter()
                            .map(|o| o.limit_price)
                            .collect::<BTreeSet<_>>()
                            .len()
                    };
                    levels(update.bids).max(levels(update.asks))
                });
                self.l3.for_snapshot(symbol, precision, depth, || {
                    L3Book::new(symbol, precision, depth)
                })
            }
            MessageType::Update => match self.l3.get(symbol) {
                Some(book) => Some(book),
                None => {
                    self.precision(symbol)?;
                    None
                }
            },
        };
        let verdict = match book {
            Some(book) => book.apply_update(kind, update),
            None => Ok(Verification::Skipped),
        };
        self.report(symbol, kind, update.checksum, verdict)
    }

    /// Counts a verdict, and writes it where asked to.
    #[inline]
    fn report(
        &mut self,
        symbol: &str,
        kind: MessageType,
        checksum: u32,
        verdict: Result<Verification, kraki_proto::book::BookError>,
    ) -> anyhow::Result<()> {
        // Nearly every message: nothing to write but the count, inlined
        // into the caller; the rest is out of line.
        if !self.json && matches!(verdict, Ok(Verification::Verified)) {
            self.tally.verified += 1;
            return Ok(());
        }
        self.report_in_full(symbol, kind, checksum, verdict)
    }

    #[inline(never)]
    fn report_in_full(
        &mut self,
        symbol: &str,
        kind: MessageType,
        checksum: u32,
        verdict: Result<Verification, kraki_proto::book::BookError>,
    ) -> anyhow::Result<()> {
        let (ok, computed, note) = match &verdict {
            Ok(Verification::Verified) => {
                self.tally.verified += 1;
                (true, Some(checksum), None)
            }
            Ok(Verification::Mismatch { computed, .. }) => {
                self.tally.mismatched += 1;
                (false, Some(*computed), None)
            }
            // Not applied: nothing was computed for it.
            Ok(Verification::Skipped) => {
                self.tally.skipped += 1;
                (false, None, Some(("skipped", "true".to_owned())))
            }
            // A value the book cannot hold (e.g. finer than the precision):
            // the message cannot be verified, which counts as a failure.
            Err(e) => {
                self.tally.mismatched += 1;
                let message = format!("{symbol}: {e}");
                self.line_error(&message)?;
                (
                    false,
                    None,
                    Some(("error", serde_json::to_string(&message)?)),
                )
            }
        };
        if self.json {
            let out = &mut self.out;
            out.write_all(b"{\"symbol\":")?;
            serde_json::to_writer(&mut *out, symbol)?;
            let computed = computed.map_or_else(|| "null".to_owned(), |c| c.to_string());
            write!(
                out,
                ",\"type\":\"{kind}\",\"checksum\":{checksum},\"computed\":{computed},\"ok\":{ok}"
            )?;
            if let Some((key, value)) = note {
                write!(out, ",\"{key}\":{value}")?;
            }
            out.write_all(b"}\n")?;
        }
        Ok(())
    }
}
