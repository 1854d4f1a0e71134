#include "kvm_reference.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "../paths.hpp"

extern char** environ;

namespace ptv::cli {

KvmReference run_on_kvm(const vmm::RunOptions& o, double timeout_s) {
    KvmReference ref;
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) {
        ref.why_not = "pipe failed";
        return ref;
    }
    std::vector<std::string> args = {worker_path(),
                                     "--json",
                                     "--no-input",
                                     "--memory",
                                     std::to_string(o.guest.memory_mib),
                                     "--timeout",
                                     std::to_string(timeout_s)};
    if (!o.guest.cmdline.empty()) args.insert(args.end(), {"--cmdline", o.guest.cmdline});
    args.push_back(o.guest.image_path);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(out[1]);
    if (rc != 0) {
        ::close(out[0]);
        ref.why_not = "cannot start ptv-vmwp";
        return ref;
    }
    std::string text;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(out[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buf, size_t(n));
    }
    ::close(out[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        ref.why_not = WIFEXITED(status) && WEXITSTATUS(status) == 2
                          ? "no KVM here (ptv kvm run says why)"
                          : "ptv-vmwp gave no result";
        return ref;
    }
    ref.available = true;
    ref.result = j;
    if (j.contains("final_state") && j["final_state"].is_object()) {
        const auto& f = j["final_state"];
        vmm::FinalState fs;
        auto& c = fs.cpu;
        const char* names[] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
        for (int i = 0; i < 8; ++i) c.gpr[i] = f.value(names[i], 0u);
        c.eip = f.value("eip", 0u);
        c.eflags = f.value("eflags", 0u);
        const std::string hash = f.value("memory_hash", "0x0");
        fs.memory_hash = std::stoull(hash, nullptr, 16);
        fs.memory_bytes = f.value("memory_bytes", uint64_t(0));
        ref.final_state = fs;
    }
    return ref;
}

}  // namespace ptv::cli
