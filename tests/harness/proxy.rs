//! A TCP proxy on 127.0.0.1 in front of a database, for the tests of what
//! a replica goes through: an endpoint moved to another server (existing
//! connections closed, or kept where they are), and a black hole (nothing
//! forwarded, nothing closed: every byte is held until forwarding resumes,
//! as on a network path that silently drops packets).

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

#[derive(Debug, Clone, Copy)]
struct Route {
    /// Where new connections go.
    port: u16,
    /// Bumped to close every connection the proxy carries.
    generation: u64,
    /// False: a black hole.
    forwarding: bool,
}

pub struct Proxy {
    pub port: u16,
    route: watch::Sender<Route>,
}

impl Proxy {
    pub async fn start(target: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (route, watching) = watch::channel(Route {
            port: target,
            generation: 0,
            forwarding: true,
        });
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                tokio::spawn(carry(inbound, watching.clone()));
            }
        });
        Proxy { port, route }
    }

    /// Sends new connections to `port` and closes every open one, as a
    /// moved endpoint does.
    pub fn switch(&self, port: u16) {
        self.route.send_modify(|r| {
            r.port = port;
            r.generation += 1;
        });
    }

    /// Sends new connections to `port`; open ones stay where they are.
    pub fn redirect(&self, port: u16) {
        self.route.send_modify(|r| r.port = port);
    }

    /// Stops forwarding, in both directions and for new connections,
    /// without closing anything.
    pub fn black_hole(&self) {
        self.route.send_modify(|r| r.forwarding = false);
    }

    /// Forwards again whatever was held.
    pub fn resume(&self) {
        self.route.send_modify(|r| r.forwarding = true);
    }
}

async fn carry(inbound: TcpStream, mut route: watch::Receiver<Route>) {
    let Ok(opened) = route.wait_for(|r| r.forwarding).await.map(|r| *r) else {
        return;
    };
    let Ok(outbound) = TcpStream::connect(("127.0.0.1", opened.port)).await else {
        return;
    };
    let (from_client, to_client) = inbound.into_split();
    let (from_server, to_server) = outbound.into_split();
    let mut closing = route.clone();
    tokio::select! {
        () = pump(from_client, to_server, route.clone()) => {}
        () = pump(from_server, to_client, route) => {}
        _ = closing.wait_for(|r| r.generation != opened.generation) => {}
    }
}

/// Copies `from` to `to`, holding each read while the route is a black
/// hole.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, mut route: watch::Receiver<Route>) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        if route.wait_for(|r| r.forwarding).await.is_err() {
            return;
        }
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if route.wait_for(|r| r.forwarding).await.is_err() {
            return;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}
