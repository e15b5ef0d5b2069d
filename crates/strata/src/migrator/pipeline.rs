//! The [`Pipeline`]: requests written to the connection without waiting
//! for replies, so a whole migration (BEGIN, its statements, the history
//! row, COMMIT) costs one round trip, with the first error kept and mapped
//! to the request that caused it. A `COPY … FROM STDIN` waits for the
//! replies queued before it, then streams its data.

use std::future::Future;
use std::io::{self, BufRead};
use std::pin::Pin;
use std::time::Instant;

use futures_util::StreamExt;
use futures_util::stream::FuturesOrdered;
use tokio_postgres::Client;

use super::copy::execute;
use super::script::Script;
use crate::error::Error;
use crate::history::{self, NewRow, TableName};
use crate::notice::Notices;
use crate::sql::{Chunk, Chunker};

/// How many statements may be in flight before strata waits for replies.
pub(super) const MAX_IN_FLIGHT: usize = 512;

/// What a queued request was, to map its error.
pub(super) enum Tag {
    Control,
    Statement(Box<Chunk>),
    Insert,
    CreateHistory,
}

type Step<'a> = Pin<Box<dyn Future<Output = (Tag, Result<(), tokio_postgres::Error>)> + Send + 'a>>;

/// Requests written to the connection without waiting for replies.
///
/// tokio-postgres sends a request when its future is first polled and keeps
/// replies in order, so polling every queued future before awaiting the first
/// reply puts them all on the wire in one flush.
#[derive(Default)]
pub(super) struct Pipeline<'a> {
    queue: FuturesOrdered<Step<'a>>,
    pub(super) first_error: Option<(Tag, tokio_postgres::Error)>,
    /// Requests queued so far; a request's number is its position in this count.
    pub(super) pushed: usize,
    /// Replies received so far.
    pub(super) completed: usize,
    /// The number of the request that failed first.
    pub(super) first_error_at: usize,
    /// When each reply arrived, by request number (single-transaction mode).
    pub(super) reply_times: Option<Vec<Instant>>,
    /// A notice sink, and how many notices it had received at each reply,
    /// by request number: the notices a request raised arrive before its
    /// reply (single-transaction mode).
    pub(super) notice_marks: Option<(Notices, Vec<u64>)>,
}

impl<'a> Pipeline<'a> {
    /// A pipeline that notes when each reply arrives (in `reply_times`).
    pub(super) fn timed() -> Self {
        Pipeline {
            reply_times: Some(Vec::new()),
            ..Pipeline::default()
        }
    }

    pub(super) fn simple(&mut self, client: &'a Client, tag: Tag, sql: String) {
        self.pushed += 1;
        self.queue.push_back(Box::pin(async move {
            let text = match &tag {
                Tag::Statement(c) => c.text.as_str(),
                _ => sql.as_str(),
            };
            let r = client.batch_execute(text).await;
            (tag, r)
        }));
    }

    pub(super) fn insert(
        &mut self,
        client: &'a Client,
        table: &'a TableName,
        row: NewRow,
        async_commit: bool,
    ) {
        self.pushed += 1;
        self.queue.push_back(Box::pin(async move {
            let r = history::insert_with(client, table, &row, async_commit).await;
            (Tag::Insert, r)
        }));
    }

    pub(super) fn failed(&self) -> bool {
        self.first_error.is_some()
    }

    /// Awaits replies until at most `max_in_flight` remain; keeps the first error.
    pub(super) async fn drain(&mut self, max_in_flight: usize) {
        while self.queue.len() > max_in_flight {
            let Some((tag, r)) = self.queue.next().await else {
                break;
            };
            self.record(tag, r);
        }
    }

    /// Notes the reply to the next request.
    fn record(&mut self, tag: Tag, r: Result<(), tokio_postgres::Error>) {
        if let Some(times) = &mut self.reply_times {
            times.push(Instant::now());
        }
        if let Some((sink, marks)) = &mut self.notice_marks {
            marks.push(sink.received());
        }
        if let Err(e) = r
            && self.first_error.is_none()
        {
            self.first_error = Some((tag, e));
            self.first_error_at = self.completed;
        }
        self.completed += 1;
    }

    /// Runs a `COPY … FROM STDIN` with its data from `chunker`, once every
    /// queued request has its reply (the COPY protocol cannot be pipelined
    /// behind them); counts as one request. Nothing runs after a failure.
    ///
    /// # Errors
    /// When the script cannot be read.
    pub(super) async fn copy<R: BufRead>(
        &mut self,
        client: &Client,
        chunk: Chunk,
        chunker: &mut Chunker<R>,
    ) -> io::Result<()> {
        self.drain(0).await;
        if self.failed() {
            return Ok(());
        }
        self.pushed += 1;
        let r = execute(client, &chunk, chunker).await?;
        self.record(Tag::Statement(Box::new(chunk)), r);
        Ok(())
    }
}

/// Reads `script`'s statements and queues them; returns how many were
/// queued. Stops early (without error) when the pipeline reports a failure.
pub(super) async fn push_statements<'a>(
    client: &'a Client,
    script: &Script<'_>,
    pipe: &mut Pipeline<'a>,
) -> Result<usize, Error> {
    let mut reader = script.reader(false)?;
    let mut chunker = script.chunker(&mut reader);
    let mut sent = 0;
    while let Some(chunk) = chunker.next_chunk(0).map_err(|e| script.io(e))? {
        if crate::sql::is_transaction_control(&chunk.text) {
            return Err(Error::TransactionControl {
                script: script.name.to_owned(),
                line: chunk.line,
                column: chunk.column,
                statement: first_words(&chunk.text),
            });
        }
        if chunk.copy_from_stdin {
            pipe.copy(client, chunk, &mut chunker)
                .await
                .map_err(|e| script.io(e))?;
        } else {
            pipe.simple(client, Tag::Statement(Box::new(chunk)), String::new());
        }
        sent += 1;
        pipe.drain(MAX_IN_FLIGHT).await;
        if pipe.failed() {
            // The transaction rolls back anyway.
            return Ok(sent);
        }
    }
    drop(chunker);
    // What commits must be what was hashed: the caller rolls back on an error.
    reader.verify()?;
    Ok(sent)
}

fn first_words(s: &str) -> String {
    s.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
}
