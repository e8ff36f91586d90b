//! Listener plumbing shared by the test server and the proxies: bind 127.0.0.1 on a free port,
//! a thread per connection, and a teardown on drop that stops accepting and shuts down every
//! socket still open, so no thread stays blocked on a socket of a dropped server.

use std::collections::HashMap;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// Locks a mutex, ignoring poisoning: a panicked test thread must not wedge the servers.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The open sockets of one listener, shut down all at once when it stops.
#[derive(Default)]
pub(crate) struct Tracker {
    state: Mutex<TrackerState>,
}

#[derive(Default)]
struct TrackerState {
    stopped: bool,
    next_id: u64,
    live: HashMap<u64, TcpStream>,
}

/// Keeps a socket registered with its [`Tracker`] until dropped.
pub(crate) struct Tracked {
    tracker: Arc<Tracker>,
    id: u64,
}

impl Tracker {
    /// Registers `stream` (a clone of it) so that [`Tracker::stop`] can shut it down; a stream
    /// registered after the stop is shut down at once.
    pub(crate) fn track(self: &Arc<Self>, stream: &TcpStream) -> Tracked {
        let mut st = lock(&self.state);
        st.next_id += 1;
        let id = st.next_id;
        match stream.try_clone() {
            Ok(clone) if st.stopped => {
                let _ = clone.shutdown(Shutdown::Both);
            }
            Ok(clone) => {
                st.live.insert(id, clone);
            }
            Err(e) => eprintln!("test server: cannot track socket: {e}"),
        }
        Tracked {
            tracker: Arc::clone(self),
            id,
        }
    }

    pub(crate) fn is_stopped(&self) -> bool {
        lock(&self.state).stopped
    }

    /// Marks the listener stopped and shuts down every registered socket.
    pub(crate) fn stop(&self) {
        let mut st = lock(&self.state);
        st.stopped = true;
        for (_, s) in st.live.drain() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        lock(&self.tracker.state).live.remove(&self.id);
    }
}

/// A listener on 127.0.0.1:0 that runs a callback on its own thread for each connection.
pub(crate) struct Acceptor {
    addr: SocketAddr,
    tracker: Arc<Tracker>,
    thread: Option<JoinHandle<()>>,
}

impl Acceptor {
    /// Binds and starts accepting; `on_conn(stream, n)` gets the n-th connection (from 1).
    pub(crate) fn spawn(
        name: &str,
        tracker: Arc<Tracker>,
        on_conn: impl Fn(TcpStream, usize) + Send + Sync + 'static,
    ) -> Acceptor {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let on_conn = Arc::new(on_conn);
        let accept_tracker = Arc::clone(&tracker);
        let thread_name = format!("{name}-{}", addr.port());
        let count = AtomicUsize::new(0);
        let thread = std::thread::Builder::new()
            .name(format!("{thread_name}-accept"))
            .spawn(move || {
                for stream in listener.incoming() {
                    if accept_tracker.is_stopped() {
                        break;
                    }
                    let stream = match stream {
                        Ok(s) => s,
                        Err(e) => {
                            eprintln!("{thread_name}: accept failed: {e}");
                            continue;
                        }
                    };
                    let n = count.fetch_add(1, Ordering::Relaxed) + 1;
                    let guard = accept_tracker.track(&stream);
                    let on_conn = Arc::clone(&on_conn);
                    let spawned = std::thread::Builder::new()
                        .name(format!("{thread_name}-conn{n}"))
                        .spawn(move || {
                            let _guard = guard;
                            on_conn(stream, n);
                        });
                    if let Err(e) = spawned {
                        eprintln!("{thread_name}: cannot spawn connection thread: {e}");
                    }
                }
            })
            .expect("spawn accept thread");
        Acceptor {
            addr,
            tracker,
            thread: Some(thread),
        }
    }

    pub(crate) fn port(&self) -> u16 {
        self.addr.port()
    }
}

impl Drop for Acceptor {
    fn drop(&mut self) {
        self.tracker.stop();
        // Wake the accept loop so it sees the stop flag, then wait for it to return: after
        // this, the port accepts nothing more (the listener is closed).
        let woke = TcpStream::connect_timeout(&self.addr, Duration::from_secs(5)).is_ok();
        match self.thread.take() {
            Some(thread) if woke => {
                let _ = thread.join();
            }
            _ => {}
        }
    }
}
