// How a notification reaches its device. The worker process is a server
// whose clients are its guest's device requests, so the question is the
// server-design one of Tanenbaum & van Steen ch. 3: serve each request on
// the thread that received it (inline, like an iterative server), hand it
// to a pool of workers (Fig. 3-3's dispatcher/worker model), or drive it
// from an event loop (a finite-state machine). InlineDispatch is the
// reference: the device runs on the vCPU thread before the vCPU resumes.
//
// A strategy carries three kinds of work:
//   - an exit's device access (deliver): the vCPU waits for the answer, so
//     every strategy serves it at once on the vCPU's thread;
//   - a doorbell the host took without an exit (watch: KVM's ioeventfd, an
//     eventfd the guest's write signals): a strategy that takes doorbells
//     waits on them on its own threads; inline takes none, so the guest's
//     doorbell write is an ordinary exit;
//   - a device's asynchronous job (submit, vmb::IoJob): wait out its latency
//     and run it, where the strategy's design says.
// make_strategy() builds one from its name: "inline", "pool:N", "event".
//
// A job's `run` and a doorbell's `ring` must not throw on a strategy's own
// thread: there is no caller to catch it, so it ends the process (as any
// exception leaving a thread does). A device reports its errors to the
// guest, in its used ring or its completion.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "ptv/vmb/device.hpp"
#include "ptv/vmb/machine.hpp"
#include "ptv/vnd/waiting_gauge.hpp"

namespace ptv::vnd {

// What a strategy did, for the result and the bench.
struct DispatchStats {
    uint64_t jobs = 0;              // jobs run
    uint64_t doorbell_wakeups = 0;  // signalled doorbells read (one ring() each)
    uint64_t rings = 0;             // doorbell writes counted in them (the sum of n)
    // The most jobs waiting out their latency at one moment (from submit,
    // or from a worker taking it up, to its run): how much of the devices'
    // waiting the design overlaps. 1 inline (per vCPU thread), at most N
    // for pool:N (a job queued for a busy worker does not wait yet), all of
    // them for event.
    uint64_t max_waiting = 0;
};

// One device access, as the device will see it.
struct Access {
    vmb::Space space;
    uint64_t offset;  // from the base of the device's claimed range
    std::span<uint8_t> data;
    bool is_write;
};

class DispatchStrategy {
  public:
    virtual ~DispatchStrategy() = default;
    virtual std::string_view name() const = 0;
    // Carries one access to `device` and returns its answer. A read's data
    // must be filled in before the call returns: the vCPU resumes with it.
    virtual vmb::Response deliver(vmb::Device& device, const Access& access) = 0;

    // Asynchronous jobs; any thread may submit. A strategy that has
    // threads runs no job before start() and none after stop().
    virtual void submit(vmb::IoJob job) = 0;

    // Doorbells: true if this strategy waits on eventfds itself. Then, for
    // each watch(fd, ring), it reads fd's counter whenever it is signalled
    // and calls ring(n) with the number of writes it counted (the guest
    // rang n times since the last read), on the strategy's own thread.
    // Register every doorbell before start().
    virtual bool takes_doorbells() const { return false; }
    using Ring = std::function<void(uint64_t rings)>;
    virtual void watch(int eventfd, Ring ring);

    // Threads up and down. stop() waits for the jobs already submitted,
    // and for the threads to end; calling it twice is harmless. A job
    // submitted after it is refused (std::logic_error).
    virtual void start() {}
    virtual void stop() {}

    // Gauges for the result and the bench: jobs run, and (stats()) the
    // doorbells read and the most jobs that waited at once.
    virtual uint64_t jobs_run() const = 0;
    // Any thread may ask, at any time; a strategy that has no doorbells or
    // no gauge of its waiting leaves those zero.
    virtual DispatchStats stats() const { return {.jobs = jobs_run()}; }

    // The run is ending: from now on no job waits out the rest of its
    // latency; each runs as soon as a thread takes it. Nothing is lost, the
    // answers only come early, and Ctrl-C does not wait for a slow disk.
    // Async-signal-safe (an atomic store, an eventfd write): the watchdog
    // and a signal handler may call it.
    virtual void hurry() { hurried_.store(true, std::memory_order_relaxed); }
    bool hurried() const { return hurried_.load(std::memory_order_relaxed); }

  protected:
    // Waits out a job's latency on the calling thread, in slices, and
    // returns early once hurried.
    void wait_latency(uint64_t latency_ns) const;

  private:
    std::atomic<bool> hurried_{false};
};

// An access carried to its device on the calling thread: what every
// strategy's deliver() does, since the vCPU waits for the answer.
inline vmb::Response deliver_here(vmb::Device& device, const Access& a) {
    if (a.is_write) return device.write(a.space, a.offset, a.data);
    device.read(a.space, a.offset, a.data);
    return {};
}

// Builds a strategy from its name: "inline", "pool:N" (N worker threads, 1
// to 64) or "event". Throws ptv::UsageError with one line naming the valid
// forms.
std::unique_ptr<DispatchStrategy> make_strategy(std::string_view spec);

class InlineDispatch final : public DispatchStrategy {
  public:
    std::string_view name() const override { return "inline"; }
    vmb::Response deliver(vmb::Device& device, const Access& a) override {
        return deliver_here(device, a);
    }
    // The iterative server: the vCPU that started the job waits it out.
    // After stop(), like every strategy: std::logic_error.
    void submit(vmb::IoJob job) override;
    void stop() override { stopped_.store(true, std::memory_order_relaxed); }
    uint64_t jobs_run() const override { return jobs_run_.load(std::memory_order_relaxed); }
    DispatchStats stats() const override {
        return {.jobs = jobs_run(), .max_waiting = waiting_.max()};
    }

  private:
    std::atomic<uint64_t> jobs_run_{0};
    std::atomic<bool> stopped_{false};
    WaitingGauge waiting_;
};

}  // namespace ptv::vnd
