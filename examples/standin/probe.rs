//! `standin probe`: TCP connects to many targets at once from one thread (non-blocking sockets
//! and `poll`), so the outcome is the kernel's: a container starved of CPU by its limit or a
//! loaded host still reports a handshake that completed, and a target that never answers costs
//! one timeout for all of them together.
//!
//! The sockets are the kernel's own (libc through FFI; the stand-in has no dependencies). The
//! constants are Linux's (x86_64 and aarch64 agree on all of them).

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::json::Json;

const AF_INET: i32 = 2;
const AF_INET6: i32 = 10;
const SOCK_STREAM: i32 = 1;
const SOCK_NONBLOCK: i32 = 0o4000;
const SOCK_CLOEXEC: i32 = 0o2_000_000;
const SOL_SOCKET: i32 = 1;
const SO_ERROR: i32 = 4;
const POLLOUT: i16 = 4;
const POLLERR: i16 = 8;
const POLLHUP: i16 = 16;
const EINPROGRESS: i32 = 115;
const EINTR: i32 = 4;

#[repr(C)]
struct PollFd {
    fd: i32,
    events: i16,
    revents: i16,
}

unsafe extern "C" {
    fn socket(domain: i32, kind: i32, protocol: i32) -> i32;
    fn connect(fd: i32, addr: *const u8, len: u32) -> i32;
    fn poll(fds: *mut PollFd, n: u64, timeout_ms: i32) -> i32;
    fn getsockopt(fd: i32, level: i32, name: i32, value: *mut i32, len: *mut u32) -> i32;
    fn close(fd: i32) -> i32;
}

pub fn run(args: &[String]) -> ExitCode {
    let mut timeout = Duration::from_millis(1000);
    let mut words = args;
    while let [flag, value, rest @ ..] = words
        && flag.starts_with("--")
    {
        let Ok(n) = value.parse::<u64>() else {
            eprintln!("standin probe: bad {flag} `{value}`");
            return ExitCode::from(2);
        };
        match flag.as_str() {
            "--timeout-ms" => timeout = Duration::from_millis(n),
            // Accepted for callers of the threaded probe; every target is tried at once now.
            "--workers" => {}
            _ => {
                eprintln!("standin probe: unknown option `{flag}`");
                return ExitCode::from(2);
            }
        }
        words = rest;
    }
    if words.is_empty() || !words.len().is_multiple_of(2) {
        eprintln!("usage: standin probe [--timeout-ms N] HOST PORT [HOST PORT]...");
        return ExitCode::from(2);
    }
    let targets: Vec<(&str, &str)> = words
        .chunks(2)
        .map(|p| (p[0].as_str(), p[1].as_str()))
        .collect();
    let outcomes = probe_all(&targets, timeout);
    let all = outcomes.iter().all(|o| o.result.is_ok());
    let items: Vec<Json> = targets
        .iter()
        .zip(outcomes)
        .map(|((host, port), o)| {
            let mut fields = vec![
                ("host".to_string(), Json::str(*host)),
                ("port".to_string(), Json::str(*port)),
                ("connected".to_string(), Json::Bool(o.result.is_ok())),
                ("ms".to_string(), Json::Int(o.ms)),
            ];
            if let Err(e) = o.result {
                fields.push(("error".to_string(), Json::Str(e)));
            }
            Json::Obj(fields)
        })
        .collect();
    println!("{}", Json::Arr(items).render());
    if all {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

struct Outcome {
    result: Result<(), String>,
    ms: i128,
}

/// One pending connection: its socket, and what the target stands for in messages.
struct Pending {
    index: usize,
    fd: i32,
    addr: SocketAddr,
}

fn probe_all(targets: &[(&str, &str)], timeout: Duration) -> Vec<Outcome> {
    let started = Instant::now();
    let mut outcomes: Vec<Option<Outcome>> = targets.iter().map(|_| None).collect();
    let mut pending = Vec::new();
    for (index, (host, port)) in targets.iter().enumerate() {
        match resolve(host, port) {
            Ok(addr) => match start(addr) {
                Ok(fd) => pending.push(Pending { index, fd, addr }),
                Err(e) => outcomes[index] = Some(failed(format!("{addr}: {e}"), started)),
            },
            Err(e) => outcomes[index] = Some(failed(e, started)),
        }
    }
    let deadline = started + timeout;
    loop {
        let now = Instant::now();
        // After the deadline, one more look without waiting: a handshake the kernel completed
        // while this process was not scheduled still counts.
        let wait = deadline.saturating_duration_since(now);
        let mut fds: Vec<PollFd> = pending
            .iter()
            .map(|p| PollFd {
                fd: p.fd,
                events: POLLOUT,
                revents: 0,
            })
            .collect();
        if fds.is_empty() {
            break;
        }
        // SAFETY: `fds` is a valid array of `fds.len()` pollfd structs.
        let n = unsafe { poll(fds.as_mut_ptr(), fds.len() as u64, wait.as_millis() as i32) };
        if n < 0 && std::io::Error::last_os_error().raw_os_error() != Some(EINTR) {
            let e = std::io::Error::last_os_error();
            for p in pending.drain(..) {
                outcomes[p.index] = Some(failed(format!("{}: poll: {e}", p.addr), started));
                // SAFETY: closing a socket this function opened.
                unsafe { close(p.fd) };
            }
            break;
        }
        let mut still = Vec::new();
        for (p, f) in pending.into_iter().zip(&fds) {
            if f.revents & (POLLOUT | POLLERR | POLLHUP) != 0 {
                let err = socket_error(p.fd);
                outcomes[p.index] = Some(match err {
                    0 => Outcome {
                        result: Ok(()),
                        ms: started.elapsed().as_millis() as i128,
                    },
                    e => failed(
                        format!("{}: {}", p.addr, std::io::Error::from_raw_os_error(e)),
                        started,
                    ),
                });
                // SAFETY: closing a socket this function opened.
                unsafe { close(p.fd) };
            } else {
                still.push(p);
            }
        }
        pending = still;
        if Instant::now() >= deadline && n >= 0 {
            for p in pending.drain(..) {
                outcomes[p.index] =
                    Some(failed(format!("{}: connection timed out", p.addr), started));
                // SAFETY: closing a socket this function opened.
                unsafe { close(p.fd) };
            }
            break;
        }
    }
    outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| failed("not probed".into(), started)))
        .collect()
}

fn failed(e: String, started: Instant) -> Outcome {
    Outcome {
        result: Err(e),
        ms: started.elapsed().as_millis() as i128,
    }
}

fn resolve(host: &str, port: &str) -> Result<SocketAddr, String> {
    let port: u16 = port.parse().map_err(|_| format!("bad port `{port}`"))?;
    match host.parse::<IpAddr>() {
        Ok(ip) => Ok(SocketAddr::new(ip, port)),
        Err(_) => (host, port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .next()
            .ok_or_else(|| format!("{host} resolves to no address")),
    }
}

/// Opens a non-blocking socket and starts connecting it to `addr`.
fn start(addr: SocketAddr) -> Result<i32, std::io::Error> {
    let (domain, raw) = sockaddr(addr);
    // SAFETY: plain socket(2); the result is checked.
    let fd = unsafe { socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `raw` holds a sockaddr of `raw.len()` bytes for `domain`.
    let r = unsafe { connect(fd, raw.as_ptr(), raw.len() as u32) };
    if r == 0 {
        return Ok(fd);
    }
    let e = std::io::Error::last_os_error();
    if e.raw_os_error() == Some(EINPROGRESS) {
        Ok(fd)
    } else {
        // SAFETY: closing the socket opened above.
        unsafe { close(fd) };
        Err(e)
    }
}

/// The socket's pending error (0 once connected).
fn socket_error(fd: i32) -> i32 {
    let mut value = 0i32;
    let mut len = std::mem::size_of::<i32>() as u32;
    // SAFETY: SO_ERROR writes one int into `value`.
    let r = unsafe { getsockopt(fd, SOL_SOCKET, SO_ERROR, &mut value, &mut len) };
    if r < 0 {
        std::io::Error::last_os_error().raw_os_error().unwrap_or(-1)
    } else {
        value
    }
}

/// `struct sockaddr_in` / `sockaddr_in6` bytes for `addr`.
fn sockaddr(addr: SocketAddr) -> (i32, Vec<u8>) {
    match addr {
        SocketAddr::V4(a) => {
            let mut b = Vec::with_capacity(16);
            b.extend_from_slice(&(AF_INET as u16).to_ne_bytes());
            b.extend_from_slice(&a.port().to_be_bytes());
            b.extend_from_slice(&a.ip().octets());
            b.extend_from_slice(&[0; 8]);
            (AF_INET, b)
        }
        SocketAddr::V6(a) => {
            let mut b = Vec::with_capacity(28);
            b.extend_from_slice(&(AF_INET6 as u16).to_ne_bytes());
            b.extend_from_slice(&a.port().to_be_bytes());
            b.extend_from_slice(&a.flowinfo().to_be_bytes());
            b.extend_from_slice(&a.ip().octets());
            b.extend_from_slice(&a.scope_id().to_ne_bytes());
            (AF_INET6, b)
        }
    }
}
