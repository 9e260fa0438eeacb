//! `generate` and `import`: synthetic catalogs, and loading catalogs from
//! files or stdin with progress and a summary.

use anyhow::{bail, Context};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::progress::open;
use crate::db::bulk::{self, LoadCounts, LoadError, LoadMode, MasterDataColumns};
use crate::domain::{MasterData, Record, RecordError};
use crate::synthetic::{self, Catalog};
use crate::wire::records::{self, Format};

/// Writes `items` and `masterdata` files of `count` items from `seed`.
pub fn generate(count: u64, seed: u64, out: &Path, format: Format) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let extension = format.extension();
    let items_path = out.join(format!("items.{extension}"));
    let master_path = out.join(format!("masterdata.{extension}"));
    let create = |path: &PathBuf| -> anyhow::Result<BufWriter<File>> {
        Ok(BufWriter::with_capacity(
            1 << 20,
            File::create(path).with_context(|| format!("creating {}", path.display()))?,
        ))
    };
    let mut items = create(&items_path)?;
    let mut master = create(&master_path)?;
    if format == Format::Csv {
        writeln!(items, "{}", records::ITEM_CSV_HEADER.join(","))?;
        writeln!(master, "{}", records::MASTER_DATA_CSV_HEADER.join(","))?;
    }
    let started = Instant::now();
    let mut priced = 0_u64;
    for item in Catalog::new(count, seed) {
        match format {
            Format::Ndjson => synthetic::write_item_ndjson(&mut items, &item)?,
            Format::Csv => synthetic::write_item_csv(&mut items, &item)?,
        }
        if let Some((status, cents)) = item.master_data {
            priced += 1;
            match format {
                Format::Ndjson => synthetic::write_master_data_ndjson(
                    &mut master,
                    &item.identifier,
                    status,
                    cents,
                )?,
                Format::Csv => {
                    synthetic::write_master_data_csv(&mut master, &item.identifier, status, cents)?
                }
            }
        }
    }
    items.flush()?;
    master.flush()?;
    println!(
        "generated {count} items and {priced} master data records (seed {seed}) in {:.1} s: {} and {}",
        started.elapsed().as_secs_f64(),
        items_path.display(),
        master_path.display()
    );
    Ok(())
}

/// Which file to load, and how.
pub struct ImportFile {
    pub path: String,
    pub format: Format,
}

impl ImportFile {
    pub fn new(path: String, format: Option<Format>) -> ImportFile {
        let format = format.unwrap_or_else(|| Format::from_path(&path));
        ImportFile { path, format }
    }
}

fn describe_failure(label: &str, path: &str, error: LoadError) -> anyhow::Error {
    match error {
        LoadError::Invalid(errors) => {
            let mut err = io::stderr().lock();
            for e in &errors {
                let field = if e.field.is_empty() {
                    String::new()
                } else {
                    format!("{}: ", e.field)
                };
                let _ = writeln!(err, "{path}:{}: {field}{}", e.position, e.message);
            }
            let more = if errors.len() >= bulk::MAX_REPORTED_ERRORS {
                " (reading stopped there)"
            } else {
                ""
            };
            anyhow::anyhow!(
                "{label}: {} invalid record(s){more}; nothing was imported from {path}",
                errors.len()
            )
        }
        LoadError::Database(e) => anyhow::Error::new(e).context(format!(
            "{label}: the database refused the load; nothing was imported from {path}"
        )),
    }
}

fn summary(label: &str, counts: LoadCounts, started: Instant) {
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{label}: {} rows ({} created, {} updated) in {seconds:.1} s, {:.0} rows/s",
        counts.total(),
        counts.created,
        counts.updated,
        counts.total() as f64 / seconds.max(0.001)
    );
}

/// Loads one file in its own transaction: all of it or nothing.
async fn load_file<T>(
    pool: &sqlx::PgPool,
    label: &str,
    file: &ImportFile,
    records: impl FnOnce(Format, Box<dyn BufRead>) -> Box<dyn Iterator<Item = Record<T>>>,
    load: impl AsyncFnOnce(
        &mut sqlx::PgConnection,
        Box<dyn Iterator<Item = Record<T>> + '_>,
    ) -> Result<LoadCounts, LoadError>,
) -> anyhow::Result<()> {
    let (reader, mut progress) = open(&file.path, label)?;
    let started = Instant::now();
    let mut tx = pool
        .begin()
        .await
        .context("starting the import transaction")?;
    let rows = records(file.format, reader).inspect(|_| progress.tick());
    let result = load(&mut tx, Box::new(rows)).await;
    let counts = result.map_err(|e| describe_failure(label, &file.path, e))?;
    tx.commit().await.context("committing the import")?;
    progress.finish();
    analyze(pool).await?;
    summary(label, counts, started);
    Ok(())
}

/// Replaces the catalog with both files in `tx`, one transaction. The
/// master data is read first, so that item rows are written once, already
/// carrying their status and price.
async fn replace_both(
    pool: &sqlx::PgPool,
    mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
    items: &ImportFile,
    master_data: &ImportFile,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let (reader, mut progress) = open(&master_data.path, "masterdata")?;
    let records: Vec<Record<MasterData>> = records::master_data_records(master_data.format, reader)
        .inspect(|_| progress.tick())
        .collect();
    progress.finish();
    let invalid: Vec<RecordError> = records
        .iter()
        .flat_map(Record::errors)
        .take(bulk::MAX_REPORTED_ERRORS)
        .collect();
    if !invalid.is_empty() {
        return Err(describe_failure(
            "masterdata",
            &master_data.path,
            LoadError::Invalid(invalid),
        ));
    }
    let copies: HashMap<String, MasterDataColumns> = records
        .iter()
        .filter_map(|r| r.value.as_ref().ok())
        .map(|md| (md.identifier.to_string(), (md.status, md.price)))
        .collect();

    let (reader, mut progress) = open(&items.path, "items")?;
    let rows = records::item_records(items.format, reader).inspect(|_| progress.tick());
    let item_counts = bulk::load_items(&mut tx, LoadMode::Replace, rows, Some(&copies))
        .await
        .map_err(|e| describe_failure("items", &items.path, e))?;
    progress.finish();
    let master_counts = bulk::load_master_data(&mut tx, LoadMode::Replace, records, true)
        .await
        .map_err(|e| describe_failure("masterdata", &master_data.path, e))?;
    tx.commit().await.context("committing the import")?;
    analyze(pool).await?;
    summary("items", item_counts, started);
    summary("masterdata", master_counts, started);
    Ok(())
}

/// `Replace` for an upsert into an empty catalog, which it then locks
/// against other writers until the load commits.
async fn effective_mode(
    conn: &mut sqlx::PgConnection,
    mode: LoadMode,
) -> Result<LoadMode, sqlx::Error> {
    if mode == LoadMode::Upsert && bulk::lock_if_empty(conn).await? {
        eprintln!("the catalog is empty: loading as a replace, which writes every row once");
        return Ok(LoadMode::Replace);
    }
    Ok(mode)
}

/// Fresh statistics right away (`bulk::analyze`).
async fn analyze(pool: &sqlx::PgPool) -> anyhow::Result<()> {
    bulk::analyze(pool)
        .await
        .context("vacuuming and analysing the loaded tables")
}

/// Imports items, then master data; each file is one transaction, except
/// that replacing both, or loading both into an empty catalog, loads them
/// together (both or neither).
pub async fn import(
    pool: &sqlx::PgPool,
    items: Option<ImportFile>,
    master_data: Option<ImportFile>,
    mode: LoadMode,
) -> anyhow::Result<()> {
    if items.is_none() && master_data.is_none() {
        bail!("nothing to import: give --items FILE, --masterdata FILE or both");
    }
    if let (Some(items), Some(master_data)) = (&items, &master_data) {
        let mut tx = pool
            .begin()
            .await
            .context("starting the import transaction")?;
        let effective = effective_mode(&mut tx, mode)
            .await
            .context("checking whether the catalog is empty")?;
        if effective == LoadMode::Replace {
            return replace_both(pool, tx, items, master_data).await;
        }
        // A catalog that holds data: each file is upserted in its own
        // transaction, streamed, below.
        tx.rollback().await.context("ending the check")?;
    }
    if let Some(file) = &items {
        load_file(
            pool,
            "items",
            file,
            |format, reader| records::item_records(format, reader),
            async |conn, rows| {
                let mode = effective_mode(conn, mode).await?;
                bulk::load_items(conn, mode, rows, None).await
            },
        )
        .await?;
    }
    if let Some(file) = &master_data {
        load_file(
            pool,
            "masterdata",
            file,
            |format, reader| records::master_data_records(format, reader),
            async |conn, rows| bulk::load_master_data(conn, mode, rows, false).await,
        )
        .await?;
    }
    Ok(())
}
