//! The catalog out, exactly as `import` and the bulk routes read it back:
//! one snapshot of the database (`db::export`), written as NDJSON or CSV
//! (`wire::export`) in chunks that pass through a small bounded channel,
//! so that memory stays flat however large the catalog and a slow reader
//! (a client on a slow link) holds the export back rather than filling
//! memory.

use bytes::Bytes;
use futures_util::TryStreamExt;
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};

use crate::db::export::Snapshot;
use crate::wire::export as write;
use crate::wire::records::Format;

/// What an export streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Items,
    MasterData,
}

/// Bytes per chunk handed on, and chunks in flight at most.
const CHUNK_BYTES: usize = 256 * 1024;
const CHUNKS_IN_FLIGHT: usize = 4;

/// A chunk of output: the bytes, and how many records they hold.
pub struct Chunk {
    pub bytes: Bytes,
    pub records: u64,
    pub part: Part,
}

/// An export under way: the snapshot's version and counts, then its chunks.
pub struct Export {
    pub version: u64,
    pub items: u64,
    pub master_data: u64,
    pub chunks: mpsc::Receiver<anyhow::Result<Chunk>>,
}

/// Starts exporting `parts`, in that order, from one snapshot.
pub async fn start(pool: PgPool, format: Format, parts: Vec<Part>) -> anyhow::Result<Export> {
    let (opened, snapshot_ready) = oneshot::channel();
    let (send, chunks) = mpsc::channel(CHUNKS_IN_FLIGHT);
    tokio::spawn(async move {
        let mut snapshot = match Snapshot::open(&pool).await {
            Ok(snapshot) => {
                let _ = opened.send(Ok((snapshot.version, snapshot.items, snapshot.master_data)));
                snapshot
            }
            Err(error) => {
                let _ = opened.send(Err(error));
                return;
            }
        };
        for part in parts {
            if let Err(error) = stream_part(&mut snapshot, format, part, &send).await {
                let _ = send.send(Err(error)).await;
                return;
            }
        }
        let _ = snapshot.finish().await;
    });
    let (version, items, master_data) = snapshot_ready
        .await
        .map_err(|_| anyhow::anyhow!("the export ended before its snapshot opened"))??;
    Ok(Export {
        version,
        items,
        master_data,
        chunks,
    })
}

/// Writes one part into chunks; an error when the reader went away.
async fn stream_part(
    snapshot: &mut Snapshot,
    format: Format,
    part: Part,
    send: &mpsc::Sender<anyhow::Result<Chunk>>,
) -> anyhow::Result<()> {
    let mut out = Vec::with_capacity(CHUNK_BYTES + 4096);
    let mut records = 0u64;
    write::header(format, part == Part::Items, &mut out);
    let flush = |out: &mut Vec<u8>, records: &mut u64| {
        let chunk = Chunk {
            bytes: Bytes::from(std::mem::replace(
                out,
                Vec::with_capacity(CHUNK_BYTES + 4096),
            )),
            records: std::mem::take(records),
            part,
        };
        send.send(Ok(chunk))
    };
    match part {
        Part::Items => {
            let mut rows = snapshot.items();
            while let Some((identifier, designs, counts, colours)) = rows.try_next().await? {
                write::item(format, &mut out, &identifier, &designs, &counts, &colours);
                records += 1;
                if out.len() >= CHUNK_BYTES {
                    flush(&mut out, &mut records).await.map_err(|_| gone())?;
                }
            }
        }
        Part::MasterData => {
            let mut rows = snapshot.master_data();
            while let Some((identifier, status, price)) = rows.try_next().await? {
                write::master_data(format, &mut out, &identifier, &status, &price);
                records += 1;
                if out.len() >= CHUNK_BYTES {
                    flush(&mut out, &mut records).await.map_err(|_| gone())?;
                }
            }
        }
    }
    if !out.is_empty() || records > 0 {
        flush(&mut out, &mut records).await.map_err(|_| gone())?;
    }
    Ok(())
}

fn gone() -> anyhow::Error {
    anyhow::anyhow!("the export's reader went away")
}
