#include "ptv/containers/container_trial.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ptv::containers {

namespace {

// /dev/null for the runs' output, closed when the trial ends.
struct DevNull {
    int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    DevNull() {
        if (fd < 0) throw StartError(std::string("open /dev/null: ") + std::strerror(errno));
    }
    ~DevNull() { ::close(fd); }
};

// A run that SIGINT, SIGTERM or SIGHUP stopped ends the trial: run() took
// the signal (and removed the container), so it is passed on as an error.
RunStats checked(RunStats s) {
    if (s.interrupted_by)
        throw StartError("stopped by signal " + std::to_string(s.interrupted_by) +
                         "; the container is removed");
    return s;
}

}  // namespace

std::vector<std::string> workload_command() {
    return {"echo", "Hello from a ptvlab container!"};
}

std::vector<std::string> fault_command() {
    // PID 1 of a PID namespace ignores signals it has no handler for, so the
    // process that faults is the shell's child; `exit $?` keeps the shell
    // from exec'ing it in its own place.
    return {"sh", "-c", "sh -c 'kill -SEGV $$'; exit $?"};
}

uint64_t median(std::vector<uint64_t> values) {
    if (values.empty()) return 0;
    const auto mid = values.begin() + (values.size() - 1) / 2;
    std::nth_element(values.begin(), mid, values.end());
    return *mid;
}

ContainerTrial measure_container(int runs, const RunOptions& base) {
    ContainerTrial t;
    const DevNull null;
    RunOptions o = base;
    o.stdout_fd = null.fd;
    o.stderr_fd = null.fd;
    o.command = workload_command();
    for (int i = 0; i < runs; ++i) {
        const RunStats s = checked(run(o));
        if (s.exit_status != 0)
            throw StartError("the container's workload failed: status " +
                             std::to_string(s.exit_status));
        t.startup_ns.push_back(s.startup_ns);
        t.peak_memory_bytes.push_back(s.peak_memory_bytes);
        t.cgroup_kind = s.cgroup_kind;
    }
    RunOptions look = base;
    look.stderr_fd = null.fd;
    t.inside = look_inside(look);
    t.host = look_from_host();
    o.command = fault_command();
    t.fault = checked(run(o));
    return t;
}

}  // namespace ptv::containers
