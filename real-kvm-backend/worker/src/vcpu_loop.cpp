#include "ptv/worker/vcpu_loop.hpp"

#include <fmt/format.h>

#include <chrono>

namespace ptv::worker {

VcpuLoop::VcpuLoop(VirtualMachine& vm, double timeout_s, uint32_t cpu)
    : vm_(vm),
      timeout_s_(timeout_s),
      cpu_(cpu),
      events_(vm.devices().get<devices::EventChannel>()) {}

// The exit path: enter the guest, hand the exit to the dispatcher (which
// routes it to its device), ask the exit policy what it means, go round.
vnd::Verdict VcpuLoop::run() {
    vid::Vcpu& vcpu = vm_.vcpu(cpu_);
    vnd::NotificationDispatcher& dispatcher = vm_.dispatcher();
    const vnd::ExitPolicy& policy = vm_.policy();
    const bool tracing = dispatcher.logging();
    const vnd::CodeReader read_code = [this](vnd::Exit& e) { vm_.capture_code(e); };
    vcpu.bind_to_current_thread();
    if (vnd::RequestPath* path = dispatcher.path())
        path->set_vcpu_thread(uint32_t(vcpu.id()), vnd::RequestPath::this_thread());
    for (;;) {
        if (jobs_waiting_.load()) [[unlikely]]
            run_jobs();
        if (auto why = ended()) [[unlikely]] {
            state_.store(State::Finished);
            return *why;
        }
        vnd::Exit exit = vcpu.run();
        if (exit.reason == vnd::ExitReason::Interrupted) continue;  // a request, or the end
        if (tracing) vm_.capture_code(exit);
        const vnd::Notification n = dispatcher.dispatch(exit);
        exits_.fetch_add(1, std::memory_order_relaxed);
        if (auto verdict = policy.judge(exit, n, read_code)) [[unlikely]] {
            state_.store(State::Finished);
            return *verdict;
        }
        if (exit.reason == vnd::ExitReason::Hlt) [[unlikely]]
            wait_for_event();
    }
}

// The guest waits for an event with "sti; hlt". The check comes after the
// exit, so an event posted between the guest's own look at its pending bits
// and its HLT is not lost: it is pending here, and the vCPU goes on at once.
void VcpuLoop::wait_for_event() {
    if (!events_.bound()) return;  // nothing could ever wake it: go on
    const uint32_t cpu = cpu_;
    if (events_.pending(cpu)) return;
    blocks_.fetch_add(1, std::memory_order_relaxed);
    vnd::NotificationDispatcher& dispatcher = vm_.dispatcher();
    const uint64_t t_begin = dispatcher.now();
    // end() from a signal handler cannot wake the channel: look at it now
    // and then.
    while (!events_.pending(cpu) && !jobs_waiting_.load() && end_.load() == End::None)
        events_.wait(cpu, std::chrono::milliseconds(50));
    if (vnd::RequestPath* path = dispatcher.path()) path->block(cpu, t_begin, dispatcher.now());
}

std::optional<vnd::Verdict> VcpuLoop::ended() {
    switch (end_.load()) {
        case End::None:
            return std::nullopt;
        case End::Timeout:
            return vnd::Verdict{
                Outcome::Timeout,
                fmt::format("guest timed out: still running after {} s (--timeout)", timeout_s_),
                {}};
        case End::Stop:
            return vnd::Verdict{Outcome::Stopped, "guest stopped on request", {}};
        case End::Migrated:
        case End::Lost:
        case End::DeviceFault: {
            std::lock_guard lock(lock_);
            const End why = end_.load();
            return vnd::Verdict{why == End::Migrated ? Outcome::Migrated
                                : why == End::Lost   ? Outcome::GuestLost
                                                     : Outcome::DeviceError,
                                end_message_,
                                {}};
        }
    }
    return std::nullopt;
}

void VcpuLoop::post(std::function<void()> job) {
    {
        std::lock_guard lock(lock_);
        jobs_.push_back(std::move(job));
        jobs_waiting_.store(true);
    }
    cv_.notify_all();
    events_.interrupt();  // a vCPU blocked in HLT takes its jobs too
    kick();
}

// Out of KVM_RUN, unless the loop is over (its thread may be gone).
void VcpuLoop::kick() {
    if (state_.load() != State::Finished && cpu_ < vm_.vcpu_count()) vm_.vcpu(cpu_).kick();
}

void VcpuLoop::set_paused(bool paused) {
    State expected = paused ? State::Running : State::Paused;
    state_.compare_exchange_strong(expected, paused ? State::Paused : State::Running);
}

void VcpuLoop::end(End why) {
    end_.store(why);
    vm_.dispatcher().strategy().hurry();  // a vCPU inside a slow inline request too
    kick();
}

void VcpuLoop::end(End why, std::string message) {
    {
        std::lock_guard lock(lock_);
        end_message_ = std::move(message);
    }
    end_.store(why);
    vm_.dispatcher().strategy().hurry();
    cv_.notify_all();
    events_.interrupt();
    kick();
}

// On the vCPU thread, at the top of the loop. First the exit the guest is in
// the middle of is finished (an IN gets its value, RIP moves past the
// instruction), so what the jobs see is a state between two instructions;
// then the jobs run; while paused, the thread waits here for more.
void VcpuLoop::run_jobs() {
    vm_.vcpu(cpu_).complete_pending_io();
    std::unique_lock lock(lock_);
    for (;;) {
        while (!jobs_.empty()) {
            auto job = std::move(jobs_.front());
            jobs_.pop_front();
            lock.unlock();
            job();
            lock.lock();
        }
        jobs_waiting_.store(false);
        if (state_.load() != State::Paused || end_.load() != End::None) return;
        // end() may come from a signal handler, which cannot notify: wake
        // up now and then to look at it.
        cv_.wait_for(lock, std::chrono::milliseconds(50),
                     [this] { return !jobs_.empty() || end_.load() != End::None; });
    }
}

}  // namespace ptv::worker
