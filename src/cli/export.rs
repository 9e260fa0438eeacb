//! `export`: the catalog to files (or standard output), with progress.

use anyhow::Context;
use sqlx::PgPool;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use super::progress::Progress;
use crate::export::{self, Part};
use crate::wire::records::Format;

/// Writes `parts` of the catalog to `out` (a directory, or `-`).
pub async fn export(
    pool: PgPool,
    out: &str,
    format: Format,
    parts: Vec<Part>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut export = export::start(pool, format, parts.clone()).await?;
    let extension = format.extension();
    let mut sinks: Vec<(Part, Box<dyn Write>, String)> = Vec::new();
    for part in &parts {
        let name = match part {
            Part::Items => format!("items.{extension}"),
            Part::MasterData => format!("masterdata.{extension}"),
        };
        let sink: Box<dyn Write> = if out == "-" {
            Box::new(io::stdout().lock())
        } else {
            std::fs::create_dir_all(out).with_context(|| format!("creating {out}"))?;
            let path = Path::new(out).join(&name);
            Box::new(File::create(&path).with_context(|| format!("creating {}", path.display()))?)
        };
        let shown = if out == "-" {
            format!("{name} (standard output)")
        } else {
            Path::new(out).join(&name).display().to_string()
        };
        sinks.push((
            *part,
            Box::new(BufWriter::with_capacity(1 << 20, sink)),
            shown,
        ));
    }
    let total = |part: Part| match part {
        Part::Items => export.items,
        Part::MasterData => export.master_data,
    };
    let mut progress: Option<(Part, Progress)> = None;
    while let Some(chunk) = export.chunks.recv().await {
        let chunk = chunk?;
        if progress
            .as_ref()
            .is_none_or(|(part, _)| *part != chunk.part)
        {
            if let Some((done_part, done)) = progress.take() {
                done.finish();
                // Standard output takes the parts one after the other.
                if let Some((_, sink, _)) = sinks.iter_mut().find(|(p, _, _)| *p == done_part) {
                    sink.flush()?;
                }
            }
            let label = if chunk.part == Part::Items {
                "items"
            } else {
                "master data"
            };
            progress = Some((chunk.part, Progress::over_rows(label, total(chunk.part))));
        }
        let (_, sink, _) = sinks
            .iter_mut()
            .find(|(part, _, _)| *part == chunk.part)
            .expect("a sink per part");
        sink.write_all(&chunk.bytes)?;
        if let Some((_, progress)) = progress.as_mut() {
            progress.advance(chunk.records);
        }
    }
    if let Some((_, done)) = progress.take() {
        done.finish();
    }
    for (_, sink, _) in &mut sinks {
        sink.flush()?;
    }
    let written: Vec<String> = sinks.iter().map(|(_, _, shown)| shown.clone()).collect();
    eprintln!(
        "exported {} items and {} master data records (catalog version {}) in {:.1} s: {}",
        if parts.contains(&Part::Items) {
            export.items
        } else {
            0
        },
        if parts.contains(&Part::MasterData) {
            export.master_data
        } else {
            0
        },
        export.version,
        started.elapsed().as_secs_f64(),
        written.join(" and ")
    );
    Ok(())
}
