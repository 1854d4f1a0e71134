// bench-container: what starting a container costs, `ptv container run`
// beside Debian's crun (an OCI runtime in C), in one run:
//   - the same commands (/bin/true and `echo hi`), on the same busybox image,
//     in the same five namespaces, under the same memory and pids limits;
//   - each run timed from spawning the runtime to its exit (start-up,
//     the command, and the teardown of namespaces and control groups);
//   - median and p90 over the runs, and ptv over crun (median).
// The runs of the two runtimes interleave, so a busy spell of the host hits
// both. A measurement, not a test: it exits 0 whatever the numbers are.
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bundle.hpp"
#include "ptv/common/cli.hpp"
#include "ptv/common/clock.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/percentile.hpp"
#include "ptv/common/table.hpp"
#include "ptv/containers/rootfs_image.hpp"

extern char** environ;
namespace fs = std::filesystem;

namespace {

struct Outcome {
    int status = -1;
    uint64_t ns = 0;
    std::string out;
};

// Spawns argv, waits for it; stdout into `out` when capture is set, else
// to /dev/null (stderr too).
Outcome timed(const std::vector<std::string>& argv, bool capture) {
    int pipefd[2] = {-1, -1};
    if (capture && ::pipe2(pipefd, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (capture) {
        posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    } else {
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    Outcome o;
    pid_t pid = -1;
    const uint64_t t0 = ptv::now_ns();
    const int err = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (capture) ::close(pipefd[1]);
    if (err != 0) throw std::runtime_error(argv[0] + ": " + std::strerror(err));
    if (capture) {
        char buf[4096];
        ssize_t n;
        while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) o.out.append(buf, size_t(n));
        ::close(pipefd[0]);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    o.ns = ptv::now_ns() - t0;
    o.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return o;
}

struct Series {
    std::vector<double> ms;
    unsigned failed = 0;
    void add(const Outcome& o) {
        if (o.status == 0)
            ms.push_back(double(o.ns) / 1e6);
        else
            ++failed;
    }
    double median() const {
        auto v = ms;
        std::sort(v.begin(), v.end());
        return ptv::percentile(v, 50);
    }
    double p90() const {
        auto v = ms;
        std::sort(v.begin(), v.end());
        return ptv::percentile(v, 90);
    }
};

struct TempTree {
    std::string path;
    TempTree() {
        char tmpl[] = "/tmp/bench-container-XXXXXX";
        if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
        path = tmpl;
    }
    ~TempTree() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::string find_crun() {
    for (const char* p : {"/usr/bin/crun", "/usr/local/bin/crun", "/bin/crun"})
        if (::access(p, X_OK) == 0) return p;
    return "";
}

// crun refuses a hybrid cgroup layout (v1 controllers, and a v2 hierarchy
// at /sys/fs/cgroup/unified) whose v2 side has controllers of its own. Then
// the bench hides that hierarchy in a mount namespace of its own, which both
// runtimes inherit: both use the v1 controllers, and the host is untouched.
// Returns what it did, for the header ("" when nothing was needed).
std::string hide_v2_hierarchy_for_crun() {
    const std::string unified = "/sys/fs/cgroup/unified";
    std::ifstream in(unified + "/cgroup.controllers");
    std::string controllers;
    std::getline(in, controllers);
    if (controllers.empty() || ::access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0) return "";
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::umount2(unified.c_str(), MNT_DETACH) != 0)
        throw std::runtime_error("cannot hide " + unified + " from crun: " + std::strerror(errno));
    return "hybrid cgroups with v2 controllers (" + controllers +
           ") that crun refuses: both runtimes run in a mount namespace without " + unified +
           ", on the v1 controllers";
}

int run(int argc, char** argv) {
    unsigned runs = 20;
    uint64_t memory_mib = 64, pids = 32;
    bool json = false;
    CLI::App app{"bench-container: start-up of `ptv container run` beside crun"};
    app.add_option("-n,--runs", runs, "runs per command and runtime")
        ->capture_default_str()
        ->check(CLI::Range(1u, 10000u));
    app.add_option("--memory", memory_mib, "MIB: the memory limit both runtimes set")
        ->capture_default_str();
    app.add_option("--pids", pids, "N: the pids limit both runtimes set")->capture_default_str();
    app.add_flag("--json", json, "print the results as JSON");
    ptv::cli::parse_or_exit(app, argc, argv, "bench-container");

    if (::geteuid() != 0) {
        std::fprintf(stderr, "bench-container: containers need root; run it as root\n");
        return 2;
    }
    const std::string crun = find_crun();
    if (crun.empty()) {
        std::fprintf(stderr, "bench-container: crun is missing; run scripts/setup.sh --bench\n");
        return 2;
    }
    const std::string note = hide_v2_hierarchy_for_crun();
    const std::string ptv = fs::canonical("/proc/self/exe").parent_path().string() + "/ptv";
    const std::string image = ptv::containers::ensure_image(ptv::containers::default_image_dir(),
                                                            ptv::containers::Explain());
    TempTree tmp;
    const std::string state = tmp.path + "/crun-state";
    fs::create_directories(state);

    struct Command {
        std::string name;
        std::vector<std::string> args;
        std::string expect;
        std::string bundle;
        Series ptv, crun;
    };
    std::vector<Command> commands = {{"/bin/true", {"/bin/true"}, "", "", {}, {}},
                                     {"echo hi", {"/bin/echo", "hi"}, "hi\n", "", {}, {}}};
    for (size_t i = 0; i < commands.size(); ++i) {
        auto& c = commands[i];
        c.bundle = tmp.path + "/bundle-" + std::to_string(i);
        fs::create_directories(c.bundle);
        ptv::bench::BundleSpec spec{image, c.args, "ptv-container", memory_mib << 20, pids};
        std::ofstream(c.bundle + "/config.json") << ptv::bench::oci_config(spec);
    }
    unsigned id = 0;
    auto ptv_argv = [&](const Command& c) {
        std::vector<std::string> a = {
            ptv,      "container",          "run", "--memory", std::to_string(memory_mib),
            "--pids", std::to_string(pids), "--"};
        a.insert(a.end(), c.args.begin(), c.args.end());
        return a;
    };
    auto crun_argv = [&](const Command& c) {
        return std::vector<std::string>{crun,
                                        "--root",
                                        state,
                                        "run",
                                        "--bundle",
                                        c.bundle,
                                        fmt::format("ptv-bench-{}-{}", ::getpid(), id++)};
    };
    // Each side once with its output read: both must run the command.
    for (auto& c : commands) {
        for (const auto& [who, argv] : {std::pair{"ptv", ptv_argv(c)}, {"crun", crun_argv(c)}}) {
            const Outcome o = timed(argv, true);
            if (o.status != 0 || o.out != c.expect) {
                std::fprintf(stderr, "bench-container: %s did not run '%s' (status %d, out '%s')\n",
                             who, c.name.c_str(), o.status, o.out.c_str());
                return 1;
            }
        }
    }
    for (unsigned r = 0; r < runs; ++r) {
        for (auto& c : commands) {
            c.ptv.add(timed(ptv_argv(c), false));
            c.crun.add(timed(crun_argv(c), false));
        }
    }

    if (json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& c : commands)
            out.push_back({{"command", c.name},
                           {"ptv",
                            {{"median_ms", c.ptv.median()},
                             {"p90_ms", c.ptv.p90()},
                             {"failed", c.ptv.failed}}},
                           {"crun",
                            {{"median_ms", c.crun.median()},
                             {"p90_ms", c.crun.p90()},
                             {"failed", c.crun.failed}}},
                           {"ratio_median", c.ptv.median() / c.crun.median()},
                           {"note", note}});
        std::printf("%s\n", out.dump(2).c_str());
        return 0;
    }
    std::printf(
        "bench-container: spawn to exit of the runtime, %u runs each (interleaved); "
        "--memory %llu MiB, --pids %llu; image %s\n\n",
        runs, static_cast<unsigned long long>(memory_mib), static_cast<unsigned long long>(pids),
        image.c_str());
    if (!note.empty()) std::printf("note: %s\n\n", note.c_str());
    ptv::Table t({"command", "runtime", "median ms", "p90 ms", "failed", "ptv/crun"});
    t.right_align({2, 3, 4, 5});
    for (const auto& c : commands) {
        t.row({c.name, "ptv container run", fmt::format("{:.2f}", c.ptv.median()),
               fmt::format("{:.2f}", c.ptv.p90()), std::to_string(c.ptv.failed),
               fmt::format("{:.2f}x", c.ptv.median() / c.crun.median())});
        t.row({"", "crun run", fmt::format("{:.2f}", c.crun.median()),
               fmt::format("{:.2f}", c.crun.p90()), std::to_string(c.crun.failed), ""});
    }
    std::printf("%s", t.render().c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const ptv::UsageError& e) {
        std::fprintf(stderr, "bench-container: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench-container: %s\n", e.what());
        return 1;
    }
}
