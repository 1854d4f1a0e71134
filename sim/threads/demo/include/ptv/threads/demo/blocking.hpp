// `ptv threads demo blocking`: what a blocking system call does to user-level
// threads (ch. 3.1, "Thread implementation"), for real, with Boost.Fiber.
//
// N worker fibers count work units (~50 µs of busy work, then yield); one
// more fiber blocks in read() on a pipe for D ms (a plain thread writes to
// the pipe after D ms). Three runs:
//   1. many-to-one: all fibers on ONE kernel thread (round_robin). The kernel
//      sees one thread; when it blocks in read() every fiber stops.
//   2. many-to-many: the same fibers over K kernel threads sharing one ready
//      queue (shared_work): the LWP model of Fig. 3-2. One kernel thread is
//      stuck in read(), the others keep running the ready fibers.
//   3. one kernel thread again, but the read goes through a fiber-aware
//      wait (a "jacket": non-blocking read, and sleep_for on EAGAIN), so
//      only the fiber waits, not the kernel thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ptv::trace {
class TraceWriter;
}

namespace ptv::threads::demo {

struct BlockingOptions {
    int fibers = 4;          // worker fibers (besides the one that reads)
    int block_ms = 200;      // how long read() blocks
    int kernel_threads = 2;  // kernel threads of run 2 (the LWPs)
    int window_ms = 100;     // unblocked running before and after the block
    int unit_us = 50;        // busy work per unit between two yields
};

// Throws ptv::UsageError naming the bad value.
void validate(const BlockingOptions& options);

enum class BlockingKind { OneKernelThread, SharedWork, FiberAwareWait };

// One work unit of one worker fiber: when it ran and on which kernel thread.
struct WorkUnit {
    uint64_t start_ns = 0, end_ns = 0;
    int fiber = 0;          // 0 .. fibers-1
    int kernel_thread = 0;  // 0 .. kernel_threads-1
};

struct BlockingRun {
    BlockingKind kind{};
    std::string name;
    int kernel_threads = 1;
    // Measured outcome.
    uint64_t units_during_block = 0;  // by the other fibers, inside the read
    double block_ms = 0;              // how long the reading fiber waited
    double rate_during_block = 0;     // units/ms of the others while it waited
    double rate_unblocked = 0;        // units/ms of the others the rest of the run
    double progress = 0;              // rate_during_block / rate_unblocked
    double longest_stall_ms = 0;      // longest gap in the others' progress
    double total_ms = 0;
    // The timeline, for the trace.
    uint64_t start_ns = 0, end_ns = 0;
    uint64_t block_start_ns = 0, block_end_ns = 0;
    int blocker_kernel_thread = 0;  // where the reading fiber waited
    uint64_t write_ns = 0;          // when the writer thread wrote the byte
    std::vector<WorkUnit> units;
};

struct BlockingResult {
    BlockingOptions options;
    std::vector<BlockingRun> runs;  // in the order of BlockingKind
};

// Runs one of the three runs (fresh kernel threads each time).
BlockingRun run_blocking(const BlockingOptions& options, BlockingKind kind);
// Runs all three.
BlockingResult run_blocking_demo(const BlockingOptions& options);

std::string render_table(const BlockingResult& result);
nlohmann::json to_json(const BlockingResult& result);
// `thread` category: pid = run, tid = fiber or kernel thread; spans for
// running units, the blocking read, and the kernel thread stuck in it.
void write_trace(const BlockingResult& result, ptv::trace::TraceWriter& trace);

}  // namespace ptv::threads::demo
