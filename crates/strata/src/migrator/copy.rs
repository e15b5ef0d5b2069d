//! Running one statement of a script: an ordinary one as a simple query, a
//! `COPY … FROM STDIN` through the COPY protocol (tokio-postgres's
//! `copy_in`), its rows streamed from the [`Chunker`] in pieces, never
//! lexed and never held whole in memory.

use std::io::{self, BufRead};

use bytes::Bytes;
use futures_util::SinkExt;
use tokio_postgres::Client;

use crate::sql::{Chunk, Chunker};

/// How much COPY data goes into one CopyData message.
const COPY_PIECE: usize = 256 * 1024;

/// Runs `chunk` on `client`, awaited: its COPY data, when it has some,
/// read from `chunker`. The outer error is the script's (it could not be
/// read); the inner one the server's. A COPY that fails mid-way is
/// aborted (`CopyFail`), so the session leaves COPY mode either way.
pub(super) async fn execute<R: BufRead>(
    client: &Client,
    chunk: &Chunk,
    chunker: &mut Chunker<R>,
) -> io::Result<Result<(), tokio_postgres::Error>> {
    if !chunk.copy_from_stdin {
        return Ok(client.batch_execute(&chunk.text).await);
    }
    copy_in(client, chunk, chunker).await
}

async fn copy_in<R: BufRead>(
    client: &Client,
    chunk: &Chunk,
    chunker: &mut Chunker<R>,
) -> io::Result<Result<(), tokio_postgres::Error>> {
    let sink = match client.copy_in::<_, Bytes>(chunk.text.as_str()).await {
        Ok(sink) => sink,
        Err(e) => return Ok(Err(e)),
    };
    let mut sink = std::pin::pin!(sink);
    while let Some(data) = chunker.next_copy_data(COPY_PIECE)? {
        if let Err(e) = sink.send(Bytes::from(data.text)).await {
            // The server refused a row: its error is the one to report.
            return Ok(Err(e));
        }
    }
    Ok(sink.as_mut().finish().await.map(|_| ()))
}
