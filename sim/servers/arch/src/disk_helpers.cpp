// The disk helper threads (see disk_helpers.hpp).
#include "ptv/servers/arch/disk_helpers.hpp"

namespace ptv::servers::arch {

DiskHelpers::DiskHelpers(http::SimulatedDisk& disk, int threads) : disk_(disk) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

DiskHelpers::~DiskHelpers() {
    {
        std::lock_guard lk(mtx_);
        closing_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
}

void DiskHelpers::submit(std::string path, Done done) {
    {
        std::lock_guard lk(mtx_);
        queue_.emplace_back(std::move(path), std::move(done));
    }
    cv_.notify_one();
}

void DiskHelpers::run() {
    for (;;) {
        std::pair<std::string, Done> job;
        {
            std::unique_lock lk(mtx_);
            cv_.wait(lk, [this] { return closing_ || !queue_.empty(); });
            if (queue_.empty()) return;  // closing, and nothing left to do
            job = std::move(queue_.front());
            queue_.pop_front();
        }
        job.second(disk_.read(job.first));
    }
}

}  // namespace ptv::servers::arch
