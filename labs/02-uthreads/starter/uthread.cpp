// Your user-level thread package: the threads, the scheduler, the mutex and
// the condition variable of uthread.hpp. Read uthread.hpp first: it says
// exactly which thread runs next after every call, and the tests check
// exactly that. uthread_context.hpp gives you the stack and the switch.
//
// Suggested order (each step makes more tests pass):
//   1. Thread, run, create, self, yield, the end of a thread    TODO(L2.1)
//   2. join and exit                                            TODO(L2.2)
//   3. Mutex, then CondVar                                      TODO(L2.3)
//   4. Deadlock: nothing ready, nobody sleeping or waiting      TODO(L2.4)
//   5. sleep_for and wait_fd, with one epoll set                TODO(L2.5)
//   6. the jacket routines (jacket.cpp)                         TODO(L2.6)
#include "uthread.hpp"
#include "ptv/lab/harness.hpp"

namespace uthread {

// TODO(L2.1): the thread control block: what your package keeps about a
// thread while it does not run. A Context (uthread_context.hpp) holds its
// stack and registers; the rest is up to you: its id, its state, a link
// for the ready queue, who joins it, ...
struct Thread {
    Id id = 0;
    // Context context;
};

void run(std::function<void()> main) {
    // TODO(L2.1): a Context for the calling kernel thread, thread 0 for
    // `main`, switch to it; back here when no thread can run any more.
    // TODO(L2.4): if threads are left, they are deadlocked: destroy them
    // (their Contexts unwind them) and throw Deadlock.
    (void)main;
    throw ptv::lab::NotImplemented("uthread::run");
}

Id create(std::function<void()> function) {
    // TODO(L2.1): a new Thread whose Context's body calls `function`,
    // then ends the thread and returns the context to run next.
    (void)function;
    throw ptv::lab::NotImplemented("uthread::create");
}

Id self() {
    throw ptv::lab::NotImplemented("uthread::self");
}

void yield() {
    // TODO(L2.1): the caller to the ready tail, the head runs.
    throw ptv::lab::NotImplemented("uthread::yield");
}

void exit() {
    // TODO(L2.2): end the calling thread as if its function returned (one
    // way: throw something that only your thread body catches).
    throw ptv::lab::NotImplemented("uthread::exit");
}

void join(Id id) {
    // TODO(L2.2)
    (void)id;
    throw ptv::lab::NotImplemented("uthread::join");
}

void sleep_for(int64_t ms) {
    // TODO(L2.5)
    (void)ms;
    throw ptv::lab::NotImplemented("uthread::sleep_for");
}

void wait_fd(int fd, uint32_t events) {
    // TODO(L2.5): register fd with the scheduler's epoll set, block the
    // caller; the scheduler makes it ready when epoll_wait reports fd.
    (void)fd;
    (void)events;
    throw ptv::lab::NotImplemented("uthread::wait_fd");
}

void Mutex::lock() {
    // TODO(L2.3)
    throw ptv::lab::NotImplemented("uthread::Mutex::lock");
}

void Mutex::unlock() {
    // TODO(L2.3): hand the mutex to the first waiter, if any.
    throw ptv::lab::NotImplemented("uthread::Mutex::unlock");
}

bool Mutex::try_lock() {
    // TODO(L2.3)
    throw ptv::lab::NotImplemented("uthread::Mutex::try_lock");
}

void CondVar::wait(Mutex& m) {
    // TODO(L2.3)
    (void)m;
    throw ptv::lab::NotImplemented("uthread::CondVar::wait");
}

void CondVar::signal() {
    // TODO(L2.3)
    throw ptv::lab::NotImplemented("uthread::CondVar::signal");
}

void CondVar::broadcast() {
    // TODO(L2.3)
    throw ptv::lab::NotImplemented("uthread::CondVar::broadcast");
}

}  // namespace uthread
