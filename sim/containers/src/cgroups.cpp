#include "ptv/containers/cgroups.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "ptv/common/error.hpp"

namespace ptv::containers {

namespace {

bool has_token(const std::string& list, const std::string& token, char sep) {
    std::stringstream in(list);
    std::string t;
    while (std::getline(in, t, sep))
        if (t == token) return true;
    return false;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// A number on a line "KEY N" of a flat-keyed file (memory.events,
// memory.oom_control); 0 when absent.
uint64_t keyed_value(const std::string& path, const std::string& key) {
    std::istringstream in(read_file(path));
    std::string k;
    uint64_t v = 0;
    while (in >> k >> v)
        if (k == key) return v;
    return 0;
}

uint64_t number_in(const std::string& path) {
    std::istringstream in(read_file(path));
    uint64_t v = 0;
    in >> v;
    return v;
}

bool exists(const std::string& path) {
    return ::access(path.c_str(), F_OK) == 0;
}

// One write of the whole value, as the kernel wants it; a refusal is the
// user's limit (the kernel's range), named with the file and the value.
void write_value(const std::string& kind, const std::string& file, const std::string& value) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
    int err = 0;
    if (fd < 0) {
        err = errno;
    } else {
        if (::write(fd, value.data(), value.size()) != ssize_t(value.size())) err = errno;
        ::close(fd);
    }
    if (err != 0)
        throw UsageError(kind + ": the kernel refused " + value + " for " + file + " (" +
                         std::strerror(err) + "); choose another limit");
}

// Makes one group directory, or says why not.
void make_dir(const std::string& kind, const std::string& dir) {
    if (::mkdir(dir.c_str(), 0755) != 0)
        throw std::runtime_error(kind + ": cannot make " + dir + ": " + std::strerror(errno));
}

// Removes a group directory. Its processes are gone by now (the container's
// PID namespace ends with its PID 1); any straggler is killed first, and the
// kernel may take a moment to let go of the last one.
void remove_dir(const std::string& dir) {
    for (int attempt = 0; attempt < 200; ++attempt) {
        if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
        if (errno != EBUSY) return;
        std::istringstream procs(read_file(dir + "/cgroup.procs"));
        pid_t pid;
        while (procs >> pid) ::kill(pid, SIGKILL);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

// cgroup v1: one directory per controller hierarchy.
class CgroupV1 final : public ControlGroup {
  public:
    CgroupV1(const CgroupLayout& layout, const std::string& name, const Explain& explain) {
        try {
            if (!layout.memory_root.empty()) {
                memory_ = layout.memory_root + "/" + name;
                make_dir(kind(), memory_);
                made_.push_back(memory_);
                explain.step("cgroup v1: created " + memory_ + " (memory controller)");
            }
            if (!layout.pids_root.empty()) {
                pids_ = layout.pids_root + "/" + name;
                make_dir(kind(), pids_);
                made_.push_back(pids_);
                explain.step("cgroup v1: created " + pids_ + " (pids controller)");
            }
        } catch (...) {
            remove_all();
            throw;
        }
    }
    ~CgroupV1() override { remove_all(); }

    void limit(const Limits& limits, const Explain& explain) {
        if (limits.memory_bytes) {
            if (memory_.empty())
                throw UsageError("cgroup v1: no memory controller is mounted; leave out --memory");
            const std::string v = std::to_string(*limits.memory_bytes);
            write_value(kind(), memory_ + "/memory.limit_in_bytes", v);
            explain.step("cgroup v1: memory.limit_in_bytes = " + v);
            // With swap, memory+swap must be capped too, or the group pages
            // out instead of meeting its limit.
            if (exists(memory_ + "/memory.memsw.limit_in_bytes")) {
                write_value(kind(), memory_ + "/memory.memsw.limit_in_bytes", v);
                explain.step("cgroup v1: memory.memsw.limit_in_bytes = " + v + " (no swap)");
            }
        }
        if (limits.pids) {
            if (pids_.empty())
                throw UsageError("cgroup v1: no pids controller is mounted; leave out --pids");
            const std::string v = std::to_string(*limits.pids);
            write_value(kind(), pids_ + "/pids.max", v);
            explain.step("cgroup v1: pids.max = " + v);
        }
    }

    std::string kind() const override { return "cgroup v1"; }
    void attach(pid_t pid) override {
        for (const auto& dir : made_)
            write_value(kind(), dir + "/cgroup.procs", std::to_string(pid));
    }
    uint64_t peak_memory_bytes() const override {
        return memory_.empty() ? 0 : number_in(memory_ + "/memory.max_usage_in_bytes");
    }
    uint64_t oom_kills() const override {
        return memory_.empty() ? 0 : keyed_value(memory_ + "/memory.oom_control", "oom_kill");
    }

  private:
    void remove_all() {
        for (auto it = made_.rbegin(); it != made_.rend(); ++it) remove_dir(*it);
        made_.clear();
    }

    std::string memory_, pids_;
    std::vector<std::string> made_;
};

// cgroup v2: one directory in the unified hierarchy.
class CgroupV2 final : public ControlGroup {
  public:
    CgroupV2(const CgroupLayout& layout, const std::string& name, const Explain& explain)
        : dir_(layout.memory_root + "/" + name) {
        // A child group has the controllers its parent hands down.
        const std::string control = layout.memory_root + "/cgroup.subtree_control";
        const std::string handed = read_file(control);
        for (const char* c : {"memory", "pids"}) {
            if (!has_token(handed.substr(0, handed.find('\n')), c, ' ')) {
                write_value(kind(), control, std::string("+") + c);
                explain.step("cgroup v2: cgroup.subtree_control += " + std::string(c));
            }
        }
        make_dir(kind(), dir_);
        explain.step("cgroup v2: created " + dir_);
    }
    ~CgroupV2() override { remove_dir(dir_); }

    void limit(const Limits& limits, const Explain& explain) {
        if (limits.memory_bytes) {
            const std::string v = std::to_string(*limits.memory_bytes);
            write_value(kind(), dir_ + "/memory.max", v);
            explain.step("cgroup v2: memory.max = " + v);
            if (exists(dir_ + "/memory.swap.max")) {
                write_value(kind(), dir_ + "/memory.swap.max", "0");
                explain.step("cgroup v2: memory.swap.max = 0 (no swap)");
            }
        }
        if (limits.pids) {
            const std::string v = std::to_string(*limits.pids);
            write_value(kind(), dir_ + "/pids.max", v);
            explain.step("cgroup v2: pids.max = " + v);
        }
    }

    std::string kind() const override { return "cgroup v2"; }
    void attach(pid_t pid) override {
        write_value(kind(), dir_ + "/cgroup.procs", std::to_string(pid));
    }
    uint64_t peak_memory_bytes() const override { return number_in(dir_ + "/memory.peak"); }
    uint64_t oom_kills() const override { return keyed_value(dir_ + "/memory.events", "oom_kill"); }

  private:
    std::string dir_;
};

}  // namespace

CgroupLayout detect_cgroups() {
    CgroupLayout layout;
    std::ifstream in("/proc/self/mountinfo");
    std::string line, v2_root;
    while (std::getline(in, line)) {
        // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS
        std::istringstream f(line);
        std::string id, parent, dev, root, point, opts, word;
        f >> id >> parent >> dev >> root >> point >> opts;
        while (f >> word && word != "-") {
        }
        std::string fstype, source, super;
        f >> fstype >> source >> super;
        if (fstype == "cgroup2" && v2_root.empty()) {
            v2_root = point;
        } else if (fstype == "cgroup") {
            if (has_token(super, "memory", ',') && layout.memory_root.empty())
                layout.memory_root = point;
            if (has_token(super, "pids", ',') && layout.pids_root.empty()) layout.pids_root = point;
        }
    }
    if (!v2_root.empty()) {
        const std::string controllers = read_file(v2_root + "/cgroup.controllers");
        const std::string first = controllers.substr(0, controllers.find('\n'));
        if (has_token(first, "memory", ' ') && has_token(first, "pids", ' ')) {
            layout = {true, v2_root, v2_root};
            return layout;
        }
    }
    if (layout.memory_root.empty() && layout.pids_root.empty())
        throw UsageError(
            "no memory or pids control group controller is mounted (cgroup v1 or v2); mount "
            "them under /sys/fs/cgroup");
    return layout;
}

std::unique_ptr<ControlGroup> make_kernel_cgroup(const std::string& name, const Limits& limits,
                                                 const Explain& explain) {
    const CgroupLayout layout = detect_cgroups();
    if (layout.v2) {
        auto group = std::make_unique<CgroupV2>(layout, name, explain);
        group->limit(limits, explain);
        return group;
    }
    auto group = std::make_unique<CgroupV1>(layout, name, explain);
    group->limit(limits, explain);
    return group;
}

}  // namespace ptv::containers
