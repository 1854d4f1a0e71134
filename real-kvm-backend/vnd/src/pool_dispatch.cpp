#include "ptv/vnd/pool_dispatch.hpp"

#include <sys/epoll.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <system_error>

#include "doorbell_watch.hpp"
#include "owned_fd.hpp"

namespace ptv::vnd {

namespace {
constexpr uint64_t kStopTag = detail::DoorbellWatch::kOwnTags;
}

PoolDispatch::PoolDispatch(unsigned workers)
    : workers_(workers), name_("pool:" + std::to_string(workers)) {
    if (workers < 1 || workers > kMaxWorkers)
        throw std::invalid_argument("a pool has 1 to 64 worker threads");
    epoll_ = std::make_unique<detail::OwnedFd>(detail::make_epoll());
    stop_fd_ = std::make_unique<detail::OwnedFd>(detail::make_eventfd());
    detail::epoll_watch(epoll_->get(), stop_fd_->get(), kStopTag);
    doorbells_ = std::make_unique<detail::DoorbellWatch>(epoll_->get());
}

PoolDispatch::~PoolDispatch() {
    stop();
}

vmb::Response PoolDispatch::deliver(vmb::Device& device, const Access& access) {
    return deliver_here(device, access);
}

void PoolDispatch::submit(vmb::IoJob job) {
    {
        std::lock_guard lk(m_);
        if (state_ == State::Stopped)
            throw std::logic_error("a job submitted to a stopped dispatch strategy");
        queue_.push_back(std::move(job));
        ++unfinished_;
    }
    work_.notify_one();
}

void PoolDispatch::watch(int eventfd, Ring ring) {
    std::lock_guard lk(m_);
    if (state_ != State::Created)
        throw std::logic_error("a doorbell watched after the dispatch strategy started");
    doorbells_->add(eventfd, std::move(ring));
}

void PoolDispatch::start() {
    {
        std::lock_guard lk(m_);
        if (state_ == State::Running) return;
        if (state_ == State::Stopped)
            throw std::logic_error("a stopped dispatch strategy cannot start again");
        state_ = State::Running;
    }
    pool_.reserve(workers_);
    for (unsigned i = 0; i < workers_; ++i) pool_.emplace_back([this] { worker_loop(); });
    dispatcher_ = std::thread([this] { dispatcher_loop(); });
}

bool PoolDispatch::on_own_thread() const {
    const auto me = std::this_thread::get_id();
    if (dispatcher_.get_id() == me) return true;
    for (const std::thread& t : pool_)
        if (t.get_id() == me) return true;
    return false;
}

void PoolDispatch::stop() {
    {
        std::unique_lock lk(m_);
        if (state_ == State::Stopped) return;
        if (state_ == State::Created && queue_.empty()) {
            state_ = State::Stopped;
            return;
        }
    }
    start();  // a no-op when running; else the queued jobs need workers
    if (on_own_thread())
        throw std::logic_error("a dispatch strategy stopped from one of its own threads");
    // The dispatcher first: no doorbell is read after this, so the only
    // new jobs are those the running ones submit.
    detail::signal_eventfd(stop_fd_->get());
    dispatcher_.join();
    std::unique_lock lk(m_);
    idle_.wait(lk, [this] { return unfinished_ == 0; });
    quit_ = true;
    state_ = State::Stopped;
    lk.unlock();
    work_.notify_all();
    for (std::thread& t : pool_) t.join();
    pool_.clear();
}

DispatchStats PoolDispatch::stats() const {
    return {.jobs = jobs_run(),
            .doorbell_wakeups = doorbells_->wakeups(),
            .rings = doorbells_->rings(),
            .max_waiting = waiting_.max()};
}

// Fig. 3-3's dispatcher thread: it only reads doorbells and hands work on.
void PoolDispatch::dispatcher_loop() {
    epoll_event events[16];
    for (;;) {
        const int n = ::epoll_wait(epoll_->get(), events, 16, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "epoll_wait");
        }
        bool stop = false;
        for (int i = 0; i < n; ++i)
            if (!doorbells_->serve(events[i].data.u64)) stop = true;  // the stop eventfd
        if (stop) {
            doorbells_->serve_all();
            return;
        }
    }
}

// A worker of Fig. 3-3: it blocks on the queue, then blocks for the job's
// latency, then runs it.
void PoolDispatch::worker_loop() {
    for (;;) {
        vmb::IoJob job;
        {
            std::unique_lock lk(m_);
            work_.wait(lk, [this] { return !queue_.empty() || quit_; });
            if (queue_.empty()) return;
            job = std::move(queue_.front());
            queue_.pop_front();
        }
        waiting_.enter();
        wait_latency(job.latency_ns);
        waiting_.leave();
        job.run();
        jobs_run_.fetch_add(1, std::memory_order_relaxed);
        std::lock_guard lk(m_);
        if (--unfinished_ == 0) idle_.notify_all();
    }
}

}  // namespace ptv::vnd
