//! The threads of the walk and the hand-off of work between them, knowing nothing of
//! directories: each thread works depth first on a stack of its own and shares work
//! only while another thread waits, so the threads rarely touch a lock.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};

/// Runs `first` and every job it leads to on `threads` threads. Each thread calls
/// `worker` once for a handler of its own; a handler does one job and pushes the jobs
/// it finds onto the stack it is given. Returns when every job is done.
pub fn run<J, H, W>(threads: usize, first: J, worker: W)
where
    J: Send,
    H: FnMut(J, &mut Vec<J>),
    W: Fn() -> H + Sync,
{
    let threads = threads.max(1);
    let pool = Pool {
        queue: Mutex::new(Queue {
            jobs: vec![first],
            idle: 0,
            done: false,
        }),
        ready: Condvar::new(),
        threads,
        idle: AtomicUsize::new(0),
    };
    let (pool, worker) = (&pool, &worker);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(move || pool.work(&mut worker()));
        }
    });
}

struct Queue<J> {
    /// Jobs shared out by busy threads.
    jobs: Vec<J>,
    /// Threads waiting for a job.
    idle: usize,
    /// Every thread was waiting: nothing is left to find.
    done: bool,
}

struct Pool<J> {
    queue: Mutex<Queue<J>>,
    ready: Condvar,
    threads: usize,
    /// `Queue::idle`, readable without the lock: busy threads check it to share work.
    idle: AtomicUsize,
}

impl<J> Pool<J> {
    /// One thread's loop. Jobs a thread finds go on a stack of its own (depth first, no
    /// lock); only while another thread waits for work does it move the older half of
    /// that stack (the shallower, larger subtrees) to the shared queue. The walk ends
    /// when every thread waits on an empty queue.
    fn work(&self, handle: &mut impl FnMut(J, &mut Vec<J>)) {
        let mut local = Vec::new();
        loop {
            let Some(job) = local.pop().or_else(|| self.take()) else {
                return;
            };
            handle(job, &mut local);
            if local.len() > 1 && self.idle.load(Ordering::Relaxed) > 0 {
                let half = local.len() / 2;
                let mut q = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
                q.jobs.extend(local.drain(..half));
                drop(q);
                self.ready.notify_all();
            }
        }
    }

    /// A job from the shared queue, waiting for one; `None` once every thread waits.
    fn take(&self) -> Option<J> {
        let mut q = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(job) = q.jobs.pop() {
                return Some(job);
            }
            if q.done {
                return None;
            }
            q.idle += 1;
            if q.idle == self.threads {
                q.done = true;
                drop(q);
                self.ready.notify_all();
                return None;
            }
            self.idle.store(q.idle, Ordering::Relaxed);
            q = self.ready.wait(q).unwrap_or_else(PoisonError::into_inner);
            q.idle -= 1;
            self.idle.store(q.idle, Ordering::Relaxed);
        }
    }
}
