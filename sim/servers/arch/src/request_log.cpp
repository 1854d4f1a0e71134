// Shared counters, the request log and its trace (see request_log.hpp).
#include "ptv/servers/arch/request_log.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <new>
#include <set>
#include <system_error>

namespace ptv::servers::arch {

namespace {

void* map_shared(size_t bytes) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap");
    return p;
}

}  // namespace

template <class T>
Shared<T>::Shared() : ptr_(new (map_shared(sizeof(T))) T()) {}

template <class T>
Shared<T>::~Shared() {
    ptr_->~T();
    munmap(ptr_, sizeof(T));
}

template class Shared<SharedCounters>;

RequestLog::RequestLog(size_t capacity)
    : capacity_(capacity), bytes_(4096 + capacity * sizeof(RequestRecord)) {
    map_ = map_shared(bytes_);
    header_ = new (map_) Header();
    records_ = reinterpret_cast<RequestRecord*>(static_cast<char*>(map_) + 4096);
}

RequestLog::~RequestLog() {
    munmap(map_, bytes_);
}

RequestRecord* RequestLog::claim() {
    uint64_t i = header_->next.fetch_add(1, std::memory_order_relaxed);
    if (i >= capacity_) {
        header_->dropped.fetch_add(1, std::memory_order_relaxed);
        return nullptr;
    }
    return &records_[i];
}

std::span<const RequestRecord> RequestLog::records() const {
    uint64_t n = std::min<uint64_t>(header_->next.load(), capacity_);
    return {records_, size_t(n)};
}

uint64_t RequestLog::dropped() const {
    return header_->dropped.load();
}

void write_request_trace(trace::TraceWriter& tw, int pid, const std::string& process_name,
                         std::span<const RequestRecord> records, uint64_t origin_ns) {
    tw.process_name(pid, process_name);
    auto us = [origin_ns](uint64_t ns) { return ns >= origin_ns ? (ns - origin_ns) / 1e3 : 0.0; };
    std::set<uint64_t> named;
    for (const auto& r : records) {
        if (r.end_ns == 0) continue;  // claimed but never filled (a worker was killed)
        int tid = int(r.connection);
        if (named.insert(r.connection).second)
            tw.thread_name(pid, tid, "connection " + std::to_string(r.connection));
        const char* cache = (r.flags & RequestRecord::kCacheHit)    ? "hit"
                            : (r.flags & RequestRecord::kCacheMiss) ? "miss"
                                                                    : "none";
        trace::Args args = {{"status", r.status},
                            {"bytes", r.bytes},
                            {"worker", r.worker},
                            {"cache", cache},
                            {"queueing_us", (r.start_ns - r.arrive_ns) / 1e3},
                            {"service_us", (r.end_ns - r.start_ns) / 1e3},
                            {"disk_us", (r.disk_end_ns - r.disk_begin_ns) / 1e3}};
        tw.complete("request", "request", pid, tid, us(r.arrive_ns), (r.end_ns - r.arrive_ns) / 1e3,
                    args);
        tw.complete("request", "queueing", pid, tid, us(r.arrive_ns),
                    (r.start_ns - r.arrive_ns) / 1e3);
        tw.complete("request", "service", pid, tid, us(r.start_ns), (r.end_ns - r.start_ns) / 1e3);
        if (r.disk_begin_ns != 0)
            tw.complete("request", "disk", pid, tid, us(r.disk_begin_ns),
                        (r.disk_end_ns - r.disk_begin_ns) / 1e3, {{"cache", cache}});
    }
}

}  // namespace ptv::servers::arch
