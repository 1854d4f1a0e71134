// `ptv demo LECTURE [--no-pause] [--step N] [--timeout S] [--list]`: runs
// the demos a deck ends with, in order, as the instructor types them: each
// command is printed, then run by /bin/sh with build/bin first on PATH (so
// `ptv` is this build's). Between steps it waits for Enter. It stops at the
// first command that fails and exits with that command's status. A demo that
// needs /dev/kvm is skipped, with one line, on a machine without it.
#include "demo.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "demo_deck.hpp"
#include "paths.hpp"
#include "ptv/common/error.hpp"

extern char** environ;

namespace ptv::cli {

namespace {

struct DemoArgs {
    std::string lecture;
    bool no_pause = false;
    bool list = false;
    int step = 0;  // 0: every step
    double timeout_s = 0;
};

// The process group of the running step: Ctrl-C in class stops the step's
// whole group (a pipeline, a server and its children), and then the demo.
volatile sig_atomic_t g_step_group = 0;

void forward_signal(int sig) {
    if (g_step_group > 0) {
        ::kill(-pid_t(g_step_group), sig);
        return;
    }
    ::signal(sig, SIG_DFL);
    ::raise(sig);
}

// /dev/kvm as the worker opens it, and a device, not a file of that name
// ($PTV_KVM_DEVICE lets a test say "none").
bool kvm_available() {
    const char* env = std::getenv("PTV_KVM_DEVICE");
    const char* path = env && *env ? env : "/dev/kvm";
    int fd = ::open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat st {};
    bool device = ::fstat(fd, &st) == 0 && S_ISCHR(st.st_mode);
    ::close(fd);
    return device;
}

struct StepResult {
    int status = 0;  // exit status, or 128 + signal
    bool timed_out = false;
    double seconds = 0;
};

StepResult run_step(const std::string& command, double timeout_s) {
    // Everything the child needs is built before fork().
    const char* path = std::getenv("PATH");
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e)
        if (std::string(*e).rfind("PATH=", 0) != 0) env.emplace_back(*e);
    env.push_back("PATH=" + executable_dir() + ":" + (path && *path ? path : "/usr/bin:/bin"));
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    const char* argv[] = {"sh", "-c", command.c_str(), nullptr};

    auto start = std::chrono::steady_clock::now();
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
    if (pid == 0) {
        ::setpgid(0, 0);
        ::signal(SIGINT, SIG_DFL);
        ::signal(SIGTERM, SIG_DFL);
        // A demo ends by itself: it reads nothing from the keyboard, whose
        // Enter belongs to the pauses between steps.
        int null_in = ::open("/dev/null", O_RDONLY);
        if (null_in >= 0) ::dup2(null_in, 0);
        ::execve("/bin/sh", const_cast<char* const*>(argv), envp.data());
        _exit(127);
    }
    ::setpgid(pid, pid);
    g_step_group = pid;

    StepResult result;
    int status = 0;
    auto deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                std::chrono::duration<double>(timeout_s));
    while (true) {
        pid_t got = ::waitpid(pid, &status, timeout_s > 0 ? WNOHANG : 0);
        if (got == pid) break;
        if (got < 0 && errno != EINTR) break;
        if (timeout_s > 0 && std::chrono::steady_clock::now() >= deadline) {
            ::kill(-pid, SIGKILL);
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            result.timed_out = true;
            break;
        }
        if (timeout_s > 0) ::usleep(10'000);
    }
    // Whatever the step left running in its group ends with it; a daemon it
    // started on purpose (its own session) is not in the group.
    ::kill(-pid, SIGKILL);
    g_step_group = 0;
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (WIFEXITED(status)) result.status = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.status = 128 + WTERMSIG(status);
    return result;
}

// Waits for Enter; false when the instructor typed q or closed the input.
bool wait_for_enter() {
    std::printf("      Enter runs it; q and Enter stop here: ");
    std::fflush(stdout);
    std::string answer;
    if (!std::getline(std::cin, answer)) {
        std::printf("\n");
        return false;
    }
    return answer != "q" && answer != "Q";
}

int run_demo(const DemoArgs& args) {
    auto dir = slides_dir();
    auto name = resolve_lecture(dir, args.lecture);
    auto file = dir + "/" + name + ".md";
    std::ifstream in(file);
    if (!in) throw UsageError(fmt::format("cannot read {}; check the slides directory", file));
    auto steps = parse_demos(in, file);
    int n = int(steps.size());
    if (n == 0)
        throw UsageError(fmt::format("{} has no demos: add a ```sh demo block to it", file));
    if (args.step < 0 || args.step > n)
        throw UsageError(fmt::format("{} has {} demos; --step takes 1 to {}", name, n, n));

    if (args.list) {
        for (int i = 0; i < n; ++i)
            std::printf("%2d  %s%s\n", i + 1, steps[size_t(i)].command.c_str(),
                        steps[size_t(i)].needs_kvm ? "   (needs /dev/kvm)" : "");
        return 0;
    }

    struct sigaction sa {};
    sa.sa_handler = forward_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);

    const bool kvm = kvm_available();
    int first = args.step ? args.step - 1 : 0, last = args.step ? args.step : n;
    std::printf("ptv demo %s: %s from %s\n", name.c_str(),
                args.step ? fmt::format("demo {} of {}", args.step, n).c_str()
                          : fmt::format("{} demos", n).c_str(),
                file.c_str());
    int passed = 0, skipped = 0;
    for (int i = first; i < last; ++i) {
        const auto& step = steps[size_t(i)];
        std::printf("\n[%d/%d] $ %s\n", i + 1, n, step.command.c_str());
        if (step.needs_kvm && !kvm) {
            std::printf(
                "[%d/%d] skipped: needs /dev/kvm (real guests), which this machine does not have\n",
                i + 1, n);
            ++skipped;
            continue;
        }
        if (!args.no_pause && i > first && !wait_for_enter()) {
            std::printf("ptv demo %s: stopped before demo %d; %d passed, %d skipped\n",
                        name.c_str(), i + 1, passed, skipped);
            return 0;
        }
        std::fflush(stdout);
        auto result = run_step(step.command, args.timeout_s);
        if (result.timed_out) {
            std::fprintf(stderr,
                         "ptv demo: demo %d of %s ran longer than --timeout %g s and was "
                         "stopped: %s\n",
                         i + 1, name.c_str(), args.timeout_s, step.command.c_str());
            return 124;
        }
        if (result.status != 0) {
            std::fprintf(stderr, "ptv demo: demo %d of %s failed with exit status %d: %s\n", i + 1,
                         name.c_str(), result.status, step.command.c_str());
            return result.status;
        }
        std::printf("[%d/%d] ok (%.1f s)\n", i + 1, n, result.seconds);
        ++passed;
    }
    std::printf("\nptv demo %s: %d passed, %d skipped (need /dev/kvm)\n", name.c_str(), passed,
                skipped);
    return 0;
}

}  // namespace

Commands demo_commands(CLI::App& app) {
    auto args = std::make_shared<DemoArgs>();
    auto* demo =
        app.add_subcommand("demo", "run a lecture's demos in order, as typed in class (slides/)");
    demo->add_option("lecture", args->lecture,
                     "the deck: its number (1) or name (processes-and-threads)")
        ->required();
    demo->add_flag("--no-pause", args->no_pause, "run every step without waiting for Enter");
    demo->add_option("--step", args->step, "run only this step (1-based)")
        ->check(CLI::PositiveNumber);
    demo->add_option("--timeout", args->timeout_s,
                     "stop a step that runs longer than SECONDS, and fail")
        ->check(CLI::PositiveNumber);
    demo->add_flag("--list", args->list, "print the steps without running them");
    return {{demo, [args] { return run_demo(*args); }}};
}

}  // namespace ptv::cli
