//! Reading a load's file with progress: a bar on a terminal, a plain line
//! every five seconds otherwise (logs of a job). Kept by hand rather than
//! through a progress-bar crate: it is one line of output, and its plain
//! mode is what batch jobs need.

use anyhow::Context;
use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Write};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Counts the bytes read, for progress.
struct CountingReader<R> {
    inner: R,
    read: Rc<Cell<u64>>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

/// Progress of one file: a bar on a terminal, plain lines otherwise.
pub struct Progress {
    label: String,
    total_bytes: Option<u64>,
    read: Rc<Cell<u64>>,
    rows: u64,
    /// When the total is known in rows rather than bytes (an export).
    total_rows: Option<u64>,
    started: Instant,
    last_report: Instant,
    terminal: bool,
}

impl Progress {
    /// Progress over `total_rows` rows, for output whose size is not known.
    pub fn over_rows(label: &str, total_rows: u64) -> Progress {
        let now = Instant::now();
        Progress {
            label: label.to_owned(),
            total_bytes: None,
            read: Rc::new(Cell::new(0)),
            rows: 0,
            total_rows: Some(total_rows),
            started: now,
            last_report: now,
            terminal: io::stderr().is_terminal(),
        }
    }

    /// Counts `rows` rows at once.
    pub fn advance(&mut self, rows: u64) {
        for _ in 0..rows {
            self.tick();
        }
    }

    pub fn tick(&mut self) {
        self.rows += 1;
        if self.rows % 1024 != 0 {
            return;
        }
        let every = if self.terminal {
            Duration::from_millis(200)
        } else {
            Duration::from_secs(5)
        };
        if self.last_report.elapsed() >= every {
            self.last_report = Instant::now();
            self.report();
        }
    }

    fn report(&self) {
        let rate = self.rows as f64 / self.started.elapsed().as_secs_f64().max(0.001);
        let share = match self.total_rows {
            Some(total) => Some(self.rows as f64 / total.max(1) as f64),
            None => self
                .total_bytes
                .filter(|&t| t > 0)
                .map(|t| self.read.get() as f64 / t as f64),
        }
        .map(|share| share.min(1.0));
        let mut err = io::stderr().lock();
        if self.terminal {
            let bar = share.map_or_else(String::new, |s| {
                let filled = (s * 30.0) as usize;
                format!(
                    "[{}{}] {:>3.0}% ",
                    "#".repeat(filled),
                    ".".repeat(30 - filled),
                    s * 100.0
                )
            });
            let _ = write!(
                err,
                "\r{}: {bar}{} rows, {rate:.0} rows/s   ",
                self.label, self.rows
            );
        } else {
            let share = share.map_or_else(String::new, |s| format!(" ({:.0}%)", s * 100.0));
            let _ = writeln!(
                err,
                "{}: {} rows{share}, {rate:.0} rows/s",
                self.label, self.rows
            );
        }
    }

    pub fn finish(&self) {
        if self.terminal {
            self.report();
            let _ = writeln!(io::stderr());
        }
    }
}

/// Opens `path` (`-` is stdin) with progress tracking.
pub fn open(path: &str, label: &str) -> anyhow::Result<(Box<dyn BufRead>, Progress)> {
    let read = Rc::new(Cell::new(0));
    let (reader, total_bytes): (Box<dyn Read>, Option<u64>) = if path == "-" {
        (Box::new(io::stdin()), None)
    } else {
        let file = File::open(path).with_context(|| format!("opening {path}"))?;
        let size = file.metadata().ok().map(|m| m.len());
        (Box::new(file), size)
    };
    let reader = BufReader::with_capacity(
        1 << 20,
        CountingReader {
            inner: reader,
            read: read.clone(),
        },
    );
    let now = Instant::now();
    let progress = Progress {
        label: label.to_owned(),
        total_bytes,
        read,
        rows: 0,
        total_rows: None,
        started: now,
        last_report: now,
        terminal: io::stderr().is_terminal(),
    };
    Ok((Box::new(reader), progress))
}
