// `ptv container run`: a command in a container built from the lecture's
// three ingredients, step by step with --explain (sim/containers).
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "ptv/common/error.hpp"
#include "ptv/containers/run.hpp"

namespace ptv::cli {

namespace {

namespace pc = ptv::containers;

struct RunArgs {
    pc::RunOptions options;
    uint64_t memory = 0, pids = 0;
    bool explain = false;
};

int container_run(RunArgs& a, const CLI::App& cmd) {
    if (cmd.count("--memory")) a.options.memory_mib = a.memory;
    if (cmd.count("--pids")) a.options.pids = a.pids;
    if (a.explain) a.options.explain_fd = STDERR_FILENO;
    try {
        const pc::RunStats s = pc::run(a.options);
        if (!s.start_error.empty())
            std::fprintf(stderr, "ptv container: %s\n", s.start_error.c_str());
        if (s.oom_killed)
            std::fprintf(
                stderr,
                "ptv container: the memory cgroup's OOM killer killed a process of the "
                "container (limit %s, peak %.1f MiB)\n",
                a.options.memory_mib ? (std::to_string(a.memory) + " MiB").c_str() : "none set",
                double(s.peak_memory_bytes) / (1 << 20));
        if (s.interrupted_by)
            std::fprintf(stderr, "ptv container: stopped by signal %d; the container is removed\n",
                         s.interrupted_by);
        return s.exit_status;
    } catch (const ptv::UsageError& e) {
        std::fprintf(stderr, "ptv container: %s\n", e.what());
        return ptv::kUsageExit;
    } catch (const pc::StartError& e) {
        std::fprintf(stderr, "ptv container: %s\n", e.what());
        return 1;
    }
}

}  // namespace

Commands container_commands(CLI::App& container) {
    auto a = std::make_shared<RunArgs>();
    auto* run = container.add_subcommand(
        "run",
        "run CMD in new PID, mount, UTS, IPC and network namespaces, on an overlay over a "
        "read-only image, under memory and pids control groups (needs root)");
    run->add_option("--memory", a->memory, "MIB: the memory cgroup's limit");
    run->add_option("--pids", a->pids, "N: the pids cgroup's limit (processes and threads)");
    run->add_option("--hostname", a->options.hostname, "the container's host name (UTS namespace)")
        ->capture_default_str();
    run->add_option("--rootfs", a->options.rootfs,
                    "DIR: the read-only lower layer (default: a busybox image made once under "
                    "the cache directory)");
    run->add_flag("--explain", a->explain, "print each step as it is taken, to stderr");
    run->add_option("command", a->options.command, "-- CMD ARGS...: the command and its arguments");
    return {{run, [a, run] { return container_run(*a, *run); }}};
}

}  // namespace ptv::cli
