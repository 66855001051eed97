//! Opening a connection to the remote, per transport, with our timeouts and credentials.
//!
//! - `file://` and local paths: gix spawns `git upload-pack`.
//! - `git://`: our own TCP stream, so that reads and writes time out at the deadline.
//! - `ssh://` and scp-like: the system `ssh` (see [`SshOptions`](super::SshOptions)), with a
//!   connect timeout.
//! - `http(s)://`: gix's reqwest transport, its client bounded by the deadline; credentials
//!   (basic, token or bearer) travel in an `Authorization` header with each request.

use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gix::protocol::transport::Protocol;
use gix::protocol::transport::client::blocking_io::{Transport, http, ssh};
use gix::remote::Connection;

use super::{GitAuth, SshOptions};

/// A connection with our credentials callback installed.
pub(crate) type Conn<'remote, 'repo> =
    Connection<'remote, 'static, 'repo, Box<dyn Transport + Send>>;

/// Connects `remote` (whose fetch URL is `url`) for fetching.
pub(crate) fn connect<'remote, 'repo>(
    remote: &'remote gix::Remote<'repo>,
    url: &gix::Url,
    auth: Option<&GitAuth>,
    ssh_options: &SshOptions,
    deadline: Instant,
) -> gix::Result<Conn<'remote, 'repo>> {
    use gix::url::Scheme;
    let remaining = remaining(deadline);
    let connection = match url.scheme {
        Scheme::Git => {
            let transport: Box<dyn Transport + Send> = Box::new(connect_daemon(url, remaining)?);
            remote.to_connection_with_transport(transport)
        }
        Scheme::Ssh => {
            let mut command = ssh_options.command_line();
            if ssh_options.command.is_none() {
                command.push_str(&format!(
                    " -o ConnectTimeout={}",
                    remaining.as_secs().max(1)
                ));
            }
            let options = ssh::connect::Options {
                command: Some(command.into()),
                disallow_shell: false,
                kind: Some(ssh::ProgramKind::Ssh),
            };
            let transport: Box<dyn Transport + Send> = Box::new(
                ssh::connect(url.clone(), Protocol::V2, options, false)
                    .map_err(gix::Error::from_error)?,
            );
            remote.to_connection_with_transport(transport)
        }
        _ => remote.connect(gix::remote::Direction::Fetch)?,
    };
    let mut connection = with_credentials(connection);
    if matches!(url.scheme, Scheme::Http | Scheme::Https) {
        connection.set_transport_options(Box::new(http_options(auth, remaining)));
    }
    Ok(connection)
}

fn remaining(deadline: Instant) -> Duration {
    deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(1))
}

fn connect_daemon(
    url: &gix::Url,
    timeout: Duration,
) -> gix::Result<gix::protocol::transport::client::git::blocking_io::Connection<TcpStream, TcpStream>>
{
    let host = url.host().unwrap_or("localhost");
    let port = url.port.unwrap_or(9418);
    let addr = (host, port)
        .to_socket_addrs()
        .map_err(gix::Error::from_error)?
        .next()
        .ok_or_else(|| {
            gix::Error::from_error(gix::error::not_found(format!("{host} has no address")))
        })?;
    let read = TcpStream::connect_timeout(&addr, timeout).map_err(gix::Error::from_error)?;
    read.set_read_timeout(Some(timeout))
        .and_then(|()| read.set_write_timeout(Some(timeout)))
        .map_err(gix::Error::from_error)?;
    let write = read.try_clone().map_err(gix::Error::from_error)?;
    Ok(
        gix::protocol::transport::client::git::blocking_io::Connection::new(
            read,
            write,
            Protocol::V2,
            url.path.clone(),
            Some((host.to_owned(), url.port)),
            gix::protocol::transport::client::git::ConnectMode::Daemon,
            false,
        ),
    )
}

fn with_credentials<'remote, 'repo>(
    connection: Connection<'remote, 'static, 'repo, Box<dyn Transport + Send>>,
) -> Conn<'remote, 'repo> {
    // Configured credentials travel with every request (see `http_options`); when the server
    // still answers 401 they were refused (or missing): there is nothing else to offer, and no
    // credential helper or prompt is ever consulted.
    connection.with_credentials(|_action| Ok(None))
}

fn http_options(auth: Option<&GitAuth>, timeout: Duration) -> http::Options {
    let extra_headers = match auth {
        Some(GitAuth::Basic { username, password }) => vec![format!(
            "Authorization: Basic {}",
            base64(format!("{username}:{password}").as_bytes())
        )],
        Some(GitAuth::Token(token)) => vec![format!(
            "Authorization: Basic {}",
            base64(format!("x-access-token:{token}").as_bytes())
        )],
        Some(GitAuth::Bearer(token)) => vec![format!("Authorization: Bearer {token}")],
        None => Vec::new(),
    };
    let backend = http::reqwest::Options {
        configure_client: Some(Box::new(move |builder| {
            ensure_crypto_provider();
            Ok(builder.timeout(timeout))
        })),
        configure_request: None,
    };
    http::Options {
        extra_headers,
        connect_timeout: Some(timeout.min(Duration::from_secs(30))),
        user_agent: Some(concat!("gitops-rs/", env!("CARGO_PKG_VERSION")).to_owned()),
        backend: Some(Arc::new(Mutex::new(backend))),
        ..http::Options::default()
    }
}

/// reqwest is built with `rustls-no-provider` (so that only ring, kube's provider, is in the
/// tree) and panics when building a client unless a process-wide rustls provider is installed.
/// Installs ring unless the program installed one already.
fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // An `Err` means another thread installed one meanwhile: fine too.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// Standard base64 with padding (RFC 4648), for the basic-auth header.
pub(crate) fn base64(input: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(TABLE[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foo"), "Zm9v");
        assert_eq!(super::base64(b"user:pass"), "dXNlcjpwYXNz");
    }
}
