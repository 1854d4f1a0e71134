// A machine for the asynchronous devices (the event channel, the PV disk):
// RAM in a vector, and every call a device may make from any thread
// (complete, submit, mark_dirty) safe on any thread. submit() runs a job at
// once, or, while `hold` is set, keeps it for the test to run later
// (run_jobs): requests in flight, as a slow disk leaves them.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "ptv/vmb/machine.hpp"

namespace ptv::test {

struct AsyncMachine : vmb::Machine {
    explicit AsyncMachine(size_t ram_bytes = 1 << 20) : memory(ram_bytes) {}

    std::span<uint8_t> ram() override { return memory; }
    void console_write(std::string_view) override {}
    void complete(const vmb::Completion& c) override {
        std::lock_guard l(lock);
        completions.push_back(c);
    }
    void mark_dirty(uint64_t gpa, uint64_t bytes) override {
        std::lock_guard l(lock);
        dirty.emplace_back(gpa, bytes);
    }
    void submit(vmb::IoJob job) override {
        {
            std::lock_guard l(lock);
            latencies.push_back(job.latency_ns);
            if (hold) {
                held.push_back(std::move(job));
                return;
            }
        }
        job.run();
    }
    // Runs the jobs held so far, in the order submitted; returns how many.
    size_t run_jobs() {
        std::deque<vmb::IoJob> jobs;
        {
            std::lock_guard l(lock);
            jobs.swap(held);
        }
        for (auto& j : jobs) j.run();
        return jobs.size();
    }
    size_t held_jobs() {
        std::lock_guard l(lock);
        return held.size();
    }
    std::vector<vmb::Completion> completed() {
        std::lock_guard l(lock);
        return completions;
    }

    std::vector<uint8_t> memory;
    std::mutex lock;
    bool hold = false;  // set it before the device submits
    std::deque<vmb::IoJob> held;
    std::vector<vmb::Completion> completions;
    std::vector<std::pair<uint64_t, uint64_t>> dirty;
    std::vector<uint64_t> latencies;
};

}  // namespace ptv::test
