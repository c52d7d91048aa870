//! `standin probe`: TCP connects to many targets in parallel, with a short timeout each.

use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::json::Json;

const WORKERS: usize = 16;

pub fn run(args: &[String]) -> ExitCode {
    let mut timeout = Duration::from_millis(1000);
    let mut words = args;
    if let [flag, ms, rest @ ..] = words
        && flag == "--timeout-ms"
    {
        let Ok(ms) = ms.parse() else {
            eprintln!("standin probe: bad --timeout-ms `{ms}`");
            return ExitCode::from(2);
        };
        timeout = Duration::from_millis(ms);
        words = rest;
    }
    if words.is_empty() || words.len() % 2 != 0 {
        eprintln!("usage: standin probe [--timeout-ms N] HOST PORT [HOST PORT]...");
        return ExitCode::from(2);
    }
    let targets: Vec<(String, String)> = words
        .chunks(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect();
    let results: Vec<Mutex<Option<Json>>> = targets.iter().map(|_| Mutex::new(None)).collect();
    let next = Mutex::new(0usize);
    std::thread::scope(|s| {
        for _ in 0..WORKERS.min(targets.len()) {
            s.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap_or_else(|e| e.into_inner());
                        let i = *n;
                        *n += 1;
                        i
                    };
                    let Some((host, port)) = targets.get(i) else {
                        break;
                    };
                    let r = one(host, port, timeout);
                    *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
                }
            });
        }
    });
    let mut all = true;
    let items: Vec<Json> = results
        .into_iter()
        .map(|m| {
            let r = m.into_inner().unwrap_or_else(|e| e.into_inner());
            let r = r.unwrap_or(Json::Null);
            if let Json::Obj(fields) = &r
                && !fields
                    .iter()
                    .any(|(k, v)| k == "connected" && matches!(v, Json::Bool(true)))
            {
                all = false;
            }
            r
        })
        .collect();
    println!("{}", Json::Arr(items).render());
    if all {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn one(host: &str, port: &str, timeout: Duration) -> Json {
    let started = Instant::now();
    let result = connect(host, port, timeout);
    let ms = started.elapsed().as_millis() as i128;
    let mut fields = vec![
        ("host".to_string(), Json::str(host)),
        ("port".to_string(), Json::str(port)),
        ("connected".to_string(), Json::Bool(result.is_ok())),
        ("ms".to_string(), Json::Int(ms)),
    ];
    if let Err(e) = result {
        fields.push(("error".to_string(), Json::Str(e)));
    }
    Json::Obj(fields)
}

fn connect(host: &str, port: &str, timeout: Duration) -> Result<(), String> {
    let port: u16 = port.parse().map_err(|_| format!("bad port `{port}`"))?;
    let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => (host, port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .collect(),
    };
    let mut last = format!("{host} resolves to no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(_) => return Ok(()),
            Err(e) => last = format!("{addr}: {e}"),
        }
    }
    Err(last)
}
