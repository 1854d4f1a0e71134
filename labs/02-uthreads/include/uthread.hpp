// uthread: a user-level thread package (ch. 3.1, "Thread implementation"),
// the API of lab 02. The kit provides this header and grades every
// submission with its own copy; the student writes uthread.cpp (the threads,
// the scheduler, the mutex and the condition variable) and jacket.cpp (the
// jacket routines over non-blocking I/O and epoll).
//
// All threads of one run() live on the one kernel thread that called run():
// the many-to-one model. They switch only when one of them calls a function
// of this package, never behind its back (no preemption), and the schedule
// is exactly the one below, so tests can check it step by step.
//
// THE SCHEDULE
//   - There is one FIFO ready queue. The running thread is not in it.
//   - "The next thread runs" means: first, if threads are sleeping, every
//     sleeper whose time has come is appended to the ready tail (earliest
//     deadline first; equal deadlines in the order sleep_for was called);
//     if threads wait for I/O, a non-blocking epoll_wait appends those whose
//     file descriptor is ready. Then the head of the ready queue is removed
//     and runs. If the queue is still empty and threads sleep or wait for
//     I/O, the kernel thread blocks in epoll_wait, with a timeout that ends
//     at the earliest deadline, until one of them can run. If the queue is
//     empty and no thread sleeps or waits for I/O, then either no thread is
//     left, and run() returns, or the threads left are all blocked (in
//     join, lock or wait) and nothing can ever wake them: a deadlock, and
//     run() throws Deadlock.
//   - Nothing else switches threads: create, unlock, try_lock, signal and
//     broadcast never do.
//   - A thread ends when its function returns or it calls exit(). Its
//     joiners are appended to the ready tail in the order they called join,
//     its stack is freed, and the next thread runs.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "uthread_context.hpp"

namespace uthread {

// A thread's id: the function given to run() is thread 0; create() numbers
// the others 1, 2, 3, ... in the order they are created. Ids are not reused
// within one run(); each run() starts again at 0.
using Id = int;

// Thrown by run() when every thread left is blocked in join, lock or wait,
// with none sleeping or waiting for I/O. `blocked` lists their ids in
// increasing order. Before throwing, run() destroys those threads (their
// stacks are unwound and freed), so run() may be called again.
struct Deadlock : std::runtime_error {
    explicit Deadlock(std::vector<Id> ids)
        : std::runtime_error(describe(ids)), blocked(std::move(ids)) {}
    std::vector<Id> blocked;

  private:
    static std::string describe(const std::vector<Id>& ids) {
        std::string s = "deadlock: every thread left is blocked (";
        for (size_t i = 0; i < ids.size(); ++i) s += (i ? ", " : "") + std::to_string(ids[i]);
        return s + ")";
    }
};

// Runs `main` as thread 0 on the calling kernel thread, and returns when
// every thread has ended (not only thread 0). Must not be called from
// inside a thread; may be called again once it has returned.
void run(std::function<void()> main);

// Creates a thread that will run `function`, appends it to the ready tail
// and returns its id. The caller keeps running.
Id create(std::function<void()> function);

// The calling thread's id.
Id self();

// Appends the calling thread to the ready tail; the next thread runs (which
// is the caller itself if the queue was empty).
void yield();

// Ends the calling thread, as if its function had returned. (An exception
// that escapes a thread's function ends the program: std::terminate.)
[[noreturn]] void exit();

// Blocks the caller until thread `id` has ended; returns at once if it has.
// Any number of threads may join the same thread. Throws
// std::invalid_argument for an id that run() never gave out and
// std::logic_error for joining oneself.
void join(Id id);

// Blocks the caller for at least `ms` milliseconds of real time
// (steady_clock); the next thread runs meanwhile. Its deadline is the time
// of the call plus `ms`; at the deadline it is appended to the ready tail as
// described above. ms <= 0 is a yield().
void sleep_for(int64_t ms);

// Blocks the caller until epoll reports one of `events` (EPOLLIN,
// EPOLLOUT) on `fd`, or an error or hang-up; the next thread runs
// meanwhile. At most one thread may wait on one fd at a time
// (std::logic_error otherwise).
void wait_fd(int fd, uint32_t events);

struct Thread;  // the package's own record of a thread (uthread.cpp)

// A mutex with FIFO handoff.
class Mutex {
  public:
    Mutex() = default;
    Mutex(const Mutex&) = delete;
    Mutex& operator=(const Mutex&) = delete;

    // If the mutex is free, the caller owns it and keeps running. If not,
    // the caller is appended to the mutex's waiters and blocks (the next
    // thread runs). Locking a mutex one owns throws std::logic_error.
    void lock();
    // If there are waiters, the first becomes the owner at once and is
    // appended to the ready tail (the mutex is never free in between);
    // else the mutex is free. The caller keeps running. Unlocking a mutex
    // one does not own throws std::logic_error.
    void unlock();
    // Locks and returns true if the mutex is free; else returns false.
    bool try_lock();

  private:
    friend class CondVar;
    Thread* owner_ = nullptr;
    std::deque<Thread*> waiters_;
};

// A condition variable (Mesa semantics: a woken thread re-acquires the
// mutex itself, and must re-check its condition).
class CondVar {
  public:
    CondVar() = default;
    CondVar(const CondVar&) = delete;
    CondVar& operator=(const CondVar&) = delete;

    // The caller must own `m` (std::logic_error otherwise). Unlocks `m`
    // (with unlock()'s handoff), appends the caller to this variable's
    // waiters and blocks. When signalled it is appended to the ready tail;
    // when it next runs it calls m.lock() (and may block there) and then
    // returns.
    void wait(Mutex& m);
    // Moves the first waiter, if any, to the ready tail. The caller keeps
    // running. A signal with no waiter is lost.
    void signal();
    // Moves every waiter to the ready tail, first waiter first.
    void broadcast();

  private:
    std::deque<Thread*> waiters_;
};

// Jacket routines (jacket.cpp): the system calls a thread may make without
// stopping every other thread. Each one puts `fd` into non-blocking mode,
// tries the call, and on EAGAIN waits with wait_fd() and tries again, so
// that only the calling thread waits. They return what the system call
// returned (-1 with errno set on an error other than EAGAIN).
ssize_t read(int fd, void* buffer, size_t size);
ssize_t write(int fd, const void* buffer, size_t size);
int accept(int fd, sockaddr* address, socklen_t* length);

}  // namespace uthread
