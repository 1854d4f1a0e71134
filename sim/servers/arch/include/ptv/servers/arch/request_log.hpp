// What the servers count and record, in memory shared with the children a
// server forks (an anonymous MAP_SHARED mapping made before the fork), so
// that one log and one set of counters cover threads and processes alike.
//
// The log is the trace of `--trace`: one fixed-size record per request,
// claimed with one atomic add (docs/DESIGN.md, "The trace": record into a preallocated buffer,
// serialise off the hot path -- here, after the server has stopped).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "ptv/common/trace.hpp"

namespace ptv::servers::arch {

struct SharedCounters {
    std::atomic<uint64_t> next_connection{1};
    std::atomic<uint64_t> connections{0};      // accepted and served
    std::atomic<uint64_t> requests{0};         // replies sent in full
    std::atomic<uint64_t> dropped_accepts{0};  // accepted and closed: out of descriptors
    std::atomic<uint64_t> timeouts{0};         // connections closed for being too slow
};

// One request, timestamps in ns (ptv::now_ns, CLOCK_MONOTONIC).
struct RequestRecord {
    uint64_t connection;
    uint32_t worker;  // the kernel thread (or process) that served it
    uint16_t status;
    uint8_t flags;
    uint8_t reserved;
    uint64_t arrive_ns;      // the connection was accepted / the request's first byte came
    uint64_t start_ns;       // a worker took it up (after the dispatcher's queue)
    uint64_t disk_begin_ns;  // 0 if no disk read was needed
    uint64_t disk_end_ns;
    uint64_t end_ns;  // the last byte of the reply was handed to the kernel
    uint64_t bytes;   // bytes of the reply
    enum Flags : uint8_t { kCacheHit = 1, kCacheMiss = 2, kKeptAlive = 4, kHead = 8 };
};
static_assert(sizeof(RequestRecord) == 64);

// Memory shared across fork(): `T` constructed in an anonymous shared mapping.
template <class T>
class Shared {
  public:
    Shared();
    ~Shared();
    Shared(const Shared&) = delete;
    Shared& operator=(const Shared&) = delete;
    T& operator*() const { return *ptr_; }
    T* operator->() const { return ptr_; }

  private:
    T* ptr_;
};

class RequestLog {
  public:
    // Room for `capacity` records (address space; pages are touched as used).
    explicit RequestLog(size_t capacity);
    ~RequestLog();
    RequestLog(const RequestLog&) = delete;
    RequestLog& operator=(const RequestLog&) = delete;

    // A record to fill, or nullptr when the log is full (counted as dropped).
    RequestRecord* claim();
    // The records, once every worker has stopped.
    std::span<const RequestRecord> records() const;
    uint64_t dropped() const;
    size_t capacity() const { return capacity_; }

  private:
    struct Header {
        std::atomic<uint64_t> next{0};
        std::atomic<uint64_t> dropped{0};
    };
    size_t capacity_;
    size_t bytes_;
    void* map_;
    Header* header_;
    RequestRecord* records_;
};

// The trace of a server run: pid `pid` named `process_name`; one track per
// connection (tid = connection number); per request an "X" span `request`
// of category `request` from arrival to the last byte, with nested spans
// `queueing` (arrival to a worker), `service` (the worker's time) and, in
// it, `disk` (a read that missed the cache, with its latency). Args: status,
// bytes, worker, cache (hit/miss).
void write_request_trace(trace::TraceWriter& tw, int pid, const std::string& process_name,
                         std::span<const RequestRecord> records, uint64_t origin_ns);

}  // namespace ptv::servers::arch
