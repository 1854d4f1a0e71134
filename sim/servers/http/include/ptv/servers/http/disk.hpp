// The simulated disk: the files under --root, behind a small LRU cache of
// whole files (--cache FILES), where every read that misses the cache first
// waits --disk-latency. That makes disk-bound and cached workloads both
// easy to show on a machine whose real disk is a page cache.
//
// The latency is a delay, not a device: reads that miss at the same time
// wait in parallel (like an SSD with a deep queue), so K blocked workers
// overlap K waits -- exactly what Fig. 3-3's table says threads buy.
// The cache is per process: after fork() each process warms its own (the
// Flash paper's point about multi-process servers).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace ptv::servers::http {

inline constexpr size_t kMaxFileBytes = 64 << 20;   // larger files are refused (403)
inline constexpr size_t kMaxCachedBytes = 1 << 20;  // larger files are never cached

struct DiskRead {
    enum class Outcome : uint8_t {
        Ok,
        NotFound,     // no such file (404)
        Forbidden,    // outside the root, not a regular file, no permission (403)
        TooLarge,     // over kMaxFileBytes (403)
        Unavailable,  // out of file descriptors or memory, or stopping (503)
    };
    Outcome outcome = Outcome::NotFound;
    std::shared_ptr<const std::string> bytes;
    std::string name;  // the file served: "docs/index.html" for "docs"
    bool hit = false;  // from the cache, without latency
};

struct DiskStats {
    uint64_t hits = 0, misses = 0;
};

class SimulatedDisk {
  public:
    // Opens ROOT; throws ptv::UsageError if it is not a directory. A read
    // waiting out its latency gives up (Unavailable) when stop_fd becomes
    // readable (-1: never).
    SimulatedDisk(const std::string& root, std::chrono::microseconds latency, size_t cache_files,
                  int stop_fd = -1);
    ~SimulatedDisk();
    SimulatedDisk(const SimulatedDisk&) = delete;
    SimulatedDisk& operator=(const SimulatedDisk&) = delete;

    // The cache alone; never waits (a lock is held for the lookup).
    std::optional<DiskRead> lookup(const std::string& path);
    // lookup(); on a miss, the latency, the real read, then into the cache.
    // Blocks the calling thread.
    DiskRead read(const std::string& path);

    DiskStats stats() const { return {hits_.load(), misses_.load()}; }
    std::chrono::microseconds latency() const { return latency_; }
    size_t cache_files() const { return capacity_; }

  private:
    DiskRead read_file(const std::string& path) const;
    void insert(const std::string& path, const DiskRead& r);

    int root_fd_ = -1;
    std::chrono::microseconds latency_;
    size_t capacity_;
    int stop_fd_;
    std::mutex mtx_;
    std::list<std::pair<std::string, DiskRead>> lru_;  // most recent first
    std::unordered_map<std::string, decltype(lru_)::iterator> index_;
    std::atomic<uint64_t> hits_{0}, misses_{0};
};

}  // namespace ptv::servers::http
