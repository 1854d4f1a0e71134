// The simulated disk: the files under --root, behind a small LRU cache of
// whole files (--cache FILES), where every read that misses the cache first
// waits --disk-latency. That makes disk-bound and cached workloads both
// easy to show on a machine whose real disk is a page cache.
//
// The latency is a delay, not a device: reads that miss at the same time
// wait in parallel (like an SSD with a deep queue), so K blocked workers
// overlap K waits -- exactly what Fig. 3-3's table says threads buy.
// The cache is per process: after fork() each process warms its own (the
// Flash paper's point about multi-process servers). A cached file is
// checked against the disk (inode, size, modification time) when it was
// last checked more than kRevalidateNs ago, so a file changed on disk is
// served changed within that time (nginx's open_file_cache_valid, in small).
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

#include "ptv/servers/http/validators.hpp"

namespace ptv::servers::http {

inline constexpr size_t kMaxFileBytes = 64 << 20;   // larger files are refused (403)
inline constexpr size_t kMaxCachedBytes = 1 << 20;  // larger files are never cached
inline constexpr uint64_t kRevalidateNs = 100'000'000;

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
    // The path names a directory (served by its index.html or its listing;
    // Forbidden if it has neither): its URL must end with a slash.
    bool directory = false;
    bool listing = false;  // the bytes are the directory's generated HTML listing
    // Last-Modified and ETag of the bytes read; null for a listing, and for
    // a file that kept changing while it was read.
    std::shared_ptr<const Validators> validators;
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
    // A directory without index.html is listed (sorted, names escaped,
    // names starting with '.' left out) instead of refused (403).
    void list_directories(bool on) { list_directories_ = on; }
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
    // What a cached read was made from: if the file on disk no longer
    // matches, the entry is stale.
    struct FileId {
        dev_t dev = 0;
        ino_t ino = 0;
        off_t size = 0;
        timespec mtime{};
        bool operator==(const FileId& o) const {
            return dev == o.dev && ino == o.ino && size == o.size &&
                   mtime.tv_sec == o.mtime.tv_sec && mtime.tv_nsec == o.mtime.tv_nsec;
        }
    };
    struct Entry {
        std::string path;
        DiskRead read;
        FileId id;
        uint64_t checked_ns;
    };
    static FileId id_of(const struct stat& st);

    DiskRead read_file(const std::string& path, FileId& id) const;
    DiskRead read_listing(int dir_fd, const std::string& path) const;
    bool still_current(Entry& e);
    void insert(const std::string& path, const DiskRead& r, const FileId& id);

    int root_fd_ = -1;
    std::chrono::microseconds latency_;
    size_t capacity_;
    int stop_fd_;
    bool list_directories_ = false;
    std::mutex mtx_;
    std::list<Entry> lru_;  // most recent first
    std::unordered_map<std::string, decltype(lru_)::iterator> index_;
    std::atomic<uint64_t> hits_{0}, misses_{0};
};

}  // namespace ptv::servers::http
