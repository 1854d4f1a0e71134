// Process-tree usage from /proc (see process_tree.hpp).
#include "ptv/servers/load/process_tree.hpp"

#include <dirent.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

namespace ptv::servers::load {

namespace {

std::vector<pid_t> children_of(pid_t pid) {
    std::vector<pid_t> kids;
    const std::string dir = "/proc/" + std::to_string(pid) + "/task";
    DIR* d = opendir(dir.c_str());
    if (!d) return kids;
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        std::ifstream f(dir + "/" + e->d_name + "/children");
        for (pid_t k; f >> k;) kids.push_back(k);
    }
    closedir(d);
    return kids;
}

}  // namespace

std::vector<pid_t> process_tree(pid_t pid) {
    std::vector<pid_t> all{pid};
    for (size_t i = 0; i < all.size(); ++i)
        for (pid_t k : children_of(all[i]))
            if (std::find(all.begin(), all.end(), k) == all.end()) all.push_back(k);
    return all;
}

TreeUsage tree_usage(pid_t pid) {
    TreeUsage u;
    for (pid_t p : process_tree(pid)) {
        std::ifstream f("/proc/" + std::to_string(p) + "/status");
        if (!f) continue;
        ++u.processes;
        std::string line;
        while (std::getline(f, line)) {
            if (line.rfind("VmRSS:", 0) == 0)
                u.rss_bytes += std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
            else if (line.rfind("Threads:", 0) == 0)
                u.threads += std::atoi(line.c_str() + 8);
        }
    }
    return u;
}

struct TreeSampler::Impl {
    pid_t pid;
    int period_ms;
    std::mutex mtx;
    std::condition_variable cv;
    bool stopping = false;
    TreeUsage peak;
    std::thread thread;

    void sample() {
        TreeUsage u = tree_usage(pid);
        std::lock_guard lk(mtx);
        peak.processes = std::max(peak.processes, u.processes);
        peak.threads = std::max(peak.threads, u.threads);
        peak.rss_bytes = std::max(peak.rss_bytes, u.rss_bytes);
    }
};

TreeSampler::TreeSampler(pid_t pid, int period_ms) : impl_(new Impl) {
    impl_->pid = pid;
    impl_->period_ms = period_ms;
    impl_->thread = std::thread([this] {
        std::unique_lock lk(impl_->mtx);
        while (!impl_->stopping) {
            lk.unlock();
            impl_->sample();
            lk.lock();
            impl_->cv.wait_for(lk, std::chrono::milliseconds(impl_->period_ms),
                               [this] { return impl_->stopping; });
        }
    });
}

TreeUsage TreeSampler::stop() {
    if (impl_->thread.joinable()) {
        {
            std::lock_guard lk(impl_->mtx);
            impl_->stopping = true;
        }
        impl_->cv.notify_all();
        impl_->thread.join();
        impl_->sample();  // one last look
    }
    std::lock_guard lk(impl_->mtx);
    return impl_->peak;
}

TreeSampler::~TreeSampler() {
    stop();
    delete impl_;
}

}  // namespace ptv::servers::load
