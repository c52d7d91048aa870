//! Plain HTTP/1.1 GET over a TCP stream: the client the healthcheck tools use.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// An `http://` URL split into its parts.
#[derive(Debug, PartialEq)]
pub struct Url {
    pub host: String,
    pub port: u16,
    pub path: String,
}

/// Splits `http://host[:port][/path]`; `None` for any other scheme or a malformed URL.
pub fn parse_url(url: &str) -> Option<Url> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let end = v6.find(']')?;
        let port = match &v6[end + 1..] {
            "" => 80,
            p => p.strip_prefix(':')?.parse().ok()?,
        };
        (v6[..end].to_string(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p.parse().ok()?),
            None => (authority.to_string(), 80),
        }
    };
    if host.is_empty() {
        return None;
    }
    Some(Url { host, port, path })
}

/// The port to connect to for `port` on `host`: a loopback port the engine tests moved (a
/// service on the host's network shares the host's ports with other tests' projects) is read
/// from `STANDIN_PORT_MAP` (`9100=41234,...`); any other is itself.
pub fn mapped_port(host: &str, port: u16) -> u16 {
    if !matches!(host, "127.0.0.1" | "localhost" | "::1") {
        return port;
    }
    std::env::var("STANDIN_PORT_MAP")
        .ok()
        .and_then(|map| {
            map.split(',').find_map(|pair| {
                let (from, to) = pair.split_once('=')?;
                (from.trim().parse::<u16>().ok()? == port).then(|| to.trim().parse().ok())?
            })
        })
        .unwrap_or(port)
}

/// GETs the URL; the response status, or why there is none.
pub fn get(url: &Url, timeout: Duration) -> Result<u16, String> {
    let addrs = (url.host.as_str(), mapped_port(&url.host, url.port))
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {}: {e}", url.host))?;
    let mut last = format!("{} resolves to no address", url.host);
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => return exchange(stream, url, timeout),
            Err(e) => last = format!("connect {addr}: {e}"),
        }
    }
    Err(last)
}

fn exchange(mut stream: TcpStream, url: &Url, timeout: Duration) -> Result<u16, String> {
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| e.to_string())?;
    let host = if url.host.contains(':') {
        format!("[{}]", url.host)
    } else {
        url.host.clone()
    };
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {host}:{}\r\nUser-Agent: pmovesc-standin\r\nConnection: close\r\n\r\n",
        url.path, url.port
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("send: {e}"))?;
    let mut head = Vec::new();
    let mut buf = [0u8; 512];
    while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 8192 {
        let n = stream.read(&mut buf).map_err(|e| format!("receive: {e}"))?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    let status = line
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP response: {:?}", line.lines().next()))?;
    Ok(status)
}
