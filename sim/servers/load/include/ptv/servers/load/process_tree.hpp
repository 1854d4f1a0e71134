// What a server and the processes it forked use right now, from /proc:
// how many processes and threads, and their resident memory.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

namespace ptv::servers::load {

struct TreeUsage {
    int processes = 0;
    int threads = 0;
    uint64_t rss_bytes = 0;  // the sum of VmRSS (pages shared between processes count in each)
};

// pid and every descendant (through /proc/PID/task/*/children).
std::vector<pid_t> process_tree(pid_t pid);
TreeUsage tree_usage(pid_t pid);

// The peaks of tree_usage(), sampled by a thread every `period_ms` until
// stop() (or destruction).
class TreeSampler {
  public:
    TreeSampler(pid_t pid, int period_ms = 20);
    ~TreeSampler();
    TreeSampler(const TreeSampler&) = delete;
    TreeSampler& operator=(const TreeSampler&) = delete;
    TreeUsage stop();  // the peaks: each field's own maximum

  private:
    struct Impl;
    Impl* impl_;
};

}  // namespace ptv::servers::load
