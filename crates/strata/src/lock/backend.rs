//! The backend pid the server announced at startup (BackendKeyData), read
//! without any network traffic, to tell a pooler from a direct connection.
//!
//! A connection straight to PostgreSQL gets the pid of its backend in
//! BackendKeyData, so it equals `pg_backend_pid()`. A pooler (PgBouncer,
//! in any pool mode) answers the startup itself with its own random cancel
//! key, so the two differ. tokio-postgres keeps that pid private, but its
//! cancel token writes a CancelRequest (length 16, code 80877102, pid,
//! secret) into any stream it is given: here one end of an in-memory pipe,
//! with a pass-through "TLS" connector (an `SSLRequest` first, for an
//! sslmode that asks for TLS, is answered `S`). Nothing reaches the server.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};
use tokio_postgres::Client;
use tokio_postgres::tls::{ChannelBinding, TlsConnect, TlsStream};

const SSL_REQUEST: i32 = 80_877_103;
const CANCEL_REQUEST: i32 = 80_877_102;

/// The pid in the client's BackendKeyData; `None` if it cannot be read
/// (then strata assumes a direct connection, as before it looked).
pub(crate) async fn startup_pid(client: &Client) -> Option<i32> {
    let token = client.cancel_token();
    let (ours, theirs) = tokio::io::duplex(64);
    let write = token.cancel_query_raw(theirs, PassThrough);
    let read = read_cancel_request(ours);
    let both = async { tokio::join!(write, read).1 };
    tokio::time::timeout(Duration::from_secs(10), both)
        .await
        .ok()
        .flatten()
}

/// Reads what the cancel token writes: an optional SSLRequest (answered
/// `S`), then the CancelRequest; returns its pid.
async fn read_cancel_request(mut end: DuplexStream) -> Option<i32> {
    let mut len = end.read_i32().await.ok()?;
    if len == 8 {
        if end.read_i32().await.ok()? != SSL_REQUEST {
            return None;
        }
        end.write_all(b"S").await.ok()?;
        len = end.read_i32().await.ok()?;
    }
    if len != 16 || end.read_i32().await.ok()? != CANCEL_REQUEST {
        return None;
    }
    end.read_i32().await.ok()
}

/// A "TLS" connector that hands the stream back unchanged.
struct PassThrough;

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> TlsConnect<S> for PassThrough {
    type Stream = Plain<S>;
    type Error = std::io::Error;
    type Future = std::future::Ready<Result<Plain<S>, std::io::Error>>;

    fn connect(self, stream: S) -> Self::Future {
        std::future::ready(Ok(Plain(stream)))
    }
}

/// The stream [`PassThrough`] returns.
struct Plain<S>(S);

impl<S: AsyncRead + Unpin> AsyncRead for Plain<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Plain<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream for Plain<S> {
    fn channel_binding(&self) -> ChannelBinding {
        ChannelBinding::none()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// What the cancel token writes for sslmode=prefer/require: an
    /// SSLRequest, answered `S`, then the CancelRequest.
    #[tokio::test]
    async fn reads_the_pid_after_an_ssl_request_and_without_one() {
        for ssl in [true, false] {
            let (ours, mut theirs) = tokio::io::duplex(64);
            let client_side = async move {
                if ssl {
                    theirs.write_i32(8).await.unwrap();
                    theirs.write_i32(SSL_REQUEST).await.unwrap();
                    let mut answer = [0u8];
                    theirs.read_exact(&mut answer).await.unwrap();
                    assert_eq!(&answer, b"S");
                }
                for v in [16, CANCEL_REQUEST, 4242, 77] {
                    theirs.write_i32(v).await.unwrap();
                }
            };
            let (_, pid) = tokio::join!(client_side, read_cancel_request(ours));
            assert_eq!(pid, Some(4242), "ssl request: {ssl}");
        }
    }

    #[tokio::test]
    async fn anything_else_is_no_pid() {
        let (ours, mut theirs) = tokio::io::duplex(64);
        let client_side = async move {
            for v in [16, 1234, 4242, 77] {
                theirs.write_i32(v).await.unwrap();
            }
        };
        let (_, pid) = tokio::join!(client_side, read_cancel_request(ours));
        assert_eq!(pid, None);
    }
}
