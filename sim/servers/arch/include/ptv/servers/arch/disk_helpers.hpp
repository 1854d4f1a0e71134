// Flash's helper processes (Pai et al. 1999, AMPED), as threads: an
// event-driven server never calls the disk itself; it hands each read that
// misses the cache to a helper and goes on serving other connections. The
// helper blocks on the (simulated) disk and reports back.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ptv/servers/http/disk.hpp"

namespace ptv::servers::arch {

class DiskHelpers {
  public:
    using Done = std::function<void(http::DiskRead&&)>;

    DiskHelpers(http::SimulatedDisk& disk, int threads);
    // Finishes the reads already handed over, then joins the helpers.
    ~DiskHelpers();
    DiskHelpers(const DiskHelpers&) = delete;
    DiskHelpers& operator=(const DiskHelpers&) = delete;

    // Queues a read; `done` runs on a helper thread with its result.
    void submit(std::string path, Done done);

  private:
    void run();

    http::SimulatedDisk& disk_;
    std::mutex mtx_;
    std::condition_variable cv_;
    std::deque<std::pair<std::string, Done>> queue_;
    bool closing_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace ptv::servers::arch
