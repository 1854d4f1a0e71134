#include "ptv/vnd/event_dispatch.hpp"

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "doorbell_watch.hpp"
#include "owned_fd.hpp"
#include "ptv/common/clock.hpp"

namespace ptv::vnd {

namespace {

constexpr uint64_t kWakeTag = detail::DoorbellWatch::kOwnTags;
constexpr uint64_t kTimerTag = detail::DoorbellWatch::kOwnTags + 1;

// std::push_heap keeps the greatest first: "greater" puts the earliest
// deadline there, and of equal deadlines the first submitted.
constexpr auto later = [](const auto& a, const auto& b) {
    return a.due_ns != b.due_ns ? a.due_ns > b.due_ns : a.seq > b.seq;
};

[[noreturn]] void fail(const char* call) {
    throw std::system_error(errno, std::generic_category(), call);
}

}  // namespace

EventDispatch::EventDispatch() {
    epoll_ = std::make_unique<detail::OwnedFd>(detail::make_epoll());
    wake_fd_ = std::make_unique<detail::OwnedFd>(detail::make_eventfd());
    const int tfd = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (tfd < 0) fail("timerfd_create");
    timer_fd_ = std::make_unique<detail::OwnedFd>(tfd);
    detail::epoll_watch(epoll_->get(), wake_fd_->get(), kWakeTag);
    detail::epoll_watch(epoll_->get(), timer_fd_->get(), kTimerTag);
    doorbells_ = std::make_unique<detail::DoorbellWatch>(epoll_->get());
}

EventDispatch::~EventDispatch() {
    stop();
}

vmb::Response EventDispatch::deliver(vmb::Device& device, const Access& access) {
    return deliver_here(device, access);
}

void EventDispatch::submit(vmb::IoJob job) {
    const uint64_t now = now_ns();
    const uint64_t due = job.latency_ns > ~now ? ~uint64_t(0) : now + job.latency_ns;
    {
        std::lock_guard lk(m_);
        if (state_ == State::Stopped)
            throw std::logic_error("a job submitted to a stopped dispatch strategy");
        submitted_.push_back({due, next_seq_++, std::move(job)});
        waiting_.enter();  // before the loop can see it, and leave()
    }
    // The loop looks at what was submitted on every turn; only another
    // thread has to wake it.
    if (std::this_thread::get_id() != loop_id_.load(std::memory_order_relaxed))
        detail::signal_eventfd(wake_fd_->get());
}

void EventDispatch::watch(int eventfd, Ring ring) {
    std::lock_guard lk(m_);
    if (state_ != State::Created)
        throw std::logic_error("a doorbell watched after the dispatch strategy started");
    doorbells_->add(eventfd, std::move(ring));
}

void EventDispatch::start() {
    {
        std::lock_guard lk(m_);
        if (state_ == State::Running) return;
        if (state_ == State::Stopped)
            throw std::logic_error("a stopped dispatch strategy cannot start again");
        state_ = State::Running;
    }
    thread_ = std::thread([this] { loop(); });
}

void EventDispatch::stop() {
    {
        std::lock_guard lk(m_);
        if (state_ == State::Stopped) return;
        if (state_ == State::Created && submitted_.empty()) {
            state_ = State::Stopped;
            return;
        }
    }
    start();  // a no-op when running; else the queued jobs need the loop
    if (std::this_thread::get_id() == thread_.get_id())
        throw std::logic_error("a dispatch strategy stopped from its own thread");
    {
        std::lock_guard lk(m_);
        stopping_ = true;
    }
    detail::signal_eventfd(wake_fd_->get());
    thread_.join();
}

DispatchStats EventDispatch::stats() const {
    return {.jobs = jobs_run(),
            .doorbell_wakeups = doorbells_->wakeups(),
            .rings = doorbells_->rings(),
            .max_waiting = waiting_.max()};
}

// The state machine's loop: each turn takes the jobs submitted since the
// last, runs those due, arms the timer for the next deadline, and waits
// for a doorbell, the timer or a wake.
void EventDispatch::loop() {
    loop_id_.store(std::this_thread::get_id(), std::memory_order_relaxed);
    bool doorbells_open = true;
    epoll_event events[16];
    for (;;) {
        take_submitted();
        run_due();
        bool stopping, more;
        {
            std::lock_guard lk(m_);
            stopping = stopping_;
            more = !submitted_.empty();
            if (stopping && !more && heap_.empty() && !doorbells_open) {
                // Under the lock that submit() takes: a job is either in
                // the heap by now, or its submit() sees Stopped and throws.
                state_ = State::Stopped;
                break;
            }
        }
        if (stopping && doorbells_open) {
            doorbells_->serve_all();  // the rings that came before stop()
            doorbells_->forget_all();
            doorbells_open = false;
            continue;
        }
        arm_timer();
        const int n = ::epoll_wait(epoll_->get(), events, 16, more ? 0 : -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("epoll_wait");
        }
        for (int i = 0; i < n; ++i) {
            const uint64_t tag = events[i].data.u64;
            if (tag == kWakeTag) {
                detail::drain_eventfd(wake_fd_->get());
            } else if (tag == kTimerTag) {
                uint64_t expirations;
                if (::read(timer_fd_->get(), &expirations, sizeof expirations) > 0) armed_ns_ = 0;
            } else {
                doorbells_->serve(tag);
            }
        }
    }
    loop_id_.store(std::thread::id{}, std::memory_order_relaxed);
    itimerspec off{};
    ::timerfd_settime(timer_fd_->get(), 0, &off, nullptr);
}

void EventDispatch::take_submitted() {
    std::vector<Pending> taken;
    {
        std::lock_guard lk(m_);
        taken.swap(submitted_);
    }
    for (Pending& p : taken) {
        heap_.push_back(std::move(p));
        std::push_heap(heap_.begin(), heap_.end(), later);
    }
}

void EventDispatch::hurry() {
    DispatchStrategy::hurry();
    detail::signal_eventfd(wake_fd_->get());
}

void EventDispatch::run_due() {
    const uint64_t now = hurried() ? ~uint64_t(0) : now_ns();
    while (!heap_.empty() && heap_.front().due_ns <= now) {
        std::pop_heap(heap_.begin(), heap_.end(), later);
        vmb::IoJob job = std::move(heap_.back().job);
        heap_.pop_back();
        waiting_.leave();
        job.run();
        jobs_run_.fetch_add(1, std::memory_order_relaxed);
    }
}

// One timerfd for all the deadlines: armed for the earliest, re-armed only
// when that changes.
void EventDispatch::arm_timer() {
    const uint64_t want = heap_.empty() ? 0 : heap_.front().due_ns;
    if (want == armed_ns_) return;
    itimerspec t{};
    if (want) {
        t.it_value.tv_sec = time_t(want / 1'000'000'000u);
        t.it_value.tv_nsec = long(want % 1'000'000'000u);
    }
    if (::timerfd_settime(timer_fd_->get(), want ? TFD_TIMER_ABSTIME : 0, &t, nullptr) != 0)
        fail("timerfd_settime");
    armed_ns_ = want;
}

}  // namespace ptv::vnd
