//! `standin serve`: the service itself. Listens on the service's ports and answers its health
//! paths, healthy after a delay and until told otherwise.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

static SICK: AtomicBool = AtomicBool::new(false);

struct Config {
    bind: String,
    ports: Vec<u16>,
    health: Vec<String>,
    healthy_at: Instant,
}

pub fn run(args: &[String]) -> ExitCode {
    let config = match parse(args) {
        Ok(c) => Arc::new(c),
        Err(e) => {
            eprintln!("standin serve: {e}");
            return ExitCode::from(2);
        }
    };
    exit_on_signals();
    let mut listeners = Vec::new();
    for port in &config.ports {
        match TcpListener::bind((config.bind.as_str(), *port)) {
            Ok(l) => listeners.push(l),
            Err(e) => {
                eprintln!("standin serve: cannot listen on port {port}: {e}");
                return ExitCode::from(1);
            }
        }
    }
    println!(
        "standin serve: listening on {:?}, health paths {:?}",
        config.ports, config.health
    );
    let handles: Vec<_> = listeners
        .into_iter()
        .map(|l| {
            let config = Arc::clone(&config);
            std::thread::spawn(move || accept(l, &config))
        })
        .collect();
    if handles.is_empty() {
        // A service without ports: stay up until stopped.
        loop {
            std::thread::park();
        }
    }
    for h in handles {
        let _ = h.join();
    }
    ExitCode::SUCCESS
}

fn parse(args: &[String]) -> Result<Config, String> {
    let mut bind = "0.0.0.0".to_string();
    let mut ports = Vec::new();
    let mut health = Vec::new();
    let mut after = Duration::ZERO;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--" => break,
            "--port" => {
                let v = it.next().ok_or("--port needs a value")?;
                ports.push(v.parse().map_err(|_| format!("bad port `{v}`"))?);
            }
            "--bind" => bind = it.next().ok_or("--bind needs an address")?.clone(),
            "--health" => health.push(it.next().ok_or("--health needs a path")?.clone()),
            "--healthy-after" => {
                let v = it.next().ok_or("--healthy-after needs seconds")?;
                after = Duration::from_secs(v.parse().map_err(|_| format!("bad seconds `{v}`"))?);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    ports.sort_unstable();
    ports.dedup();
    Ok(Config {
        bind,
        ports,
        health,
        healthy_at: Instant::now() + after,
    })
}

/// Handlers per port: connections wait in a channel, never in the kernel's accept queue.
const HANDLERS: usize = 4;

fn accept(listener: TcpListener, config: &Arc<Config>) {
    // Every container probes every other at once in the reachability test: a deep accept
    // queue (std's is 128) and an accept loop that only hands connections on, so none is
    // refused under load.
    // SAFETY: listen(2) on a socket this listener owns; it only raises the backlog.
    unsafe {
        listen(listener.as_raw_fd(), 4096);
    }
    let (tx, rx) = std::sync::mpsc::channel::<TcpStream>();
    let rx = Arc::new(std::sync::Mutex::new(rx));
    for _ in 0..HANDLERS {
        let rx = Arc::clone(&rx);
        let config = Arc::clone(config);
        std::thread::spawn(move || {
            loop {
                let next = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                match next {
                    Ok(stream) => answer(stream, &config),
                    Err(_) => break,
                }
            }
        });
    }
    for stream in listener.incoming().flatten() {
        let _ = tx.send(stream);
    }
}

fn answer(mut stream: TcpStream, config: &Config) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16384 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let Some(path) = text
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
    else {
        // A bare TCP connect (a port probe): nothing to answer.
        return;
    };
    let path = path.split('?').next().unwrap_or(path);
    let (status, body) = match path {
        "/__standin/sick" => {
            SICK.store(true, Ordering::SeqCst);
            (200, "unhealthy from now on\n")
        }
        "/__standin/well" => {
            SICK.store(false, Ordering::SeqCst);
            (200, "healthy again\n")
        }
        p if !config.health.is_empty() && !config.health.iter().any(|h| h == p) => {
            (404, "not a health path\n")
        }
        _ if SICK.load(Ordering::SeqCst) => (503, "told to be unhealthy\n"),
        _ if Instant::now() < config.healthy_at => (503, "not healthy yet\n"),
        _ => (200, "ok\n"),
    };
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Service Unavailable",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes());
}

unsafe extern "C" {
    fn listen(fd: i32, backlog: i32) -> i32;
    fn signal(signum: i32, handler: usize) -> usize;
    fn _exit(status: i32) -> !;
}

extern "C" fn on_signal(_: i32) {
    // SAFETY: _exit is async-signal-safe; nothing is left to flush.
    unsafe { _exit(0) }
}

/// As PID 1 the default action of SIGTERM is ignored; stop at once instead, so `down` does not
/// wait out every grace period.
fn exit_on_signals() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let handler: extern "C" fn(i32) = on_signal;
        for sig in [1, 2, 3, 15] {
            // SAFETY: installs a handler that only calls _exit.
            unsafe {
                signal(sig, handler as usize);
            }
        }
    });
}
