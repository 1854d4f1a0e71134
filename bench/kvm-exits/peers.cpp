#include "peers.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "child.hpp"
#include "ptv/common/error.hpp"
#include "temp_file.hpp"

namespace fs = std::filesystem;

namespace ptv::bench {

namespace {

// Generous limits: they only keep a broken build from hanging the run.
constexpr double kStartupTimeoutS = 60;
double run_timeout_s(uint32_t n) {
    return 60 + n * 1e-3;
}

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

std::vector<std::string> qemu_args(const std::string& qemu, const std::string& image) {
    return {qemu,       "-accel", "kvm",      "-kernel", image,
            "-display", "none",   "-monitor", "none",    "-no-reboot"};
}

}  // namespace

BuildTree find_build_tree() {
    const fs::path bin = fs::read_symlink("/proc/self/exe").parent_path();
    BuildTree t{(bin / "ptv").string(), env_or("PTV_VMWP", (bin / "ptv-vmwp").string()),
                env_or("PTV_GUEST_DIR", (bin.parent_path() / "guests").string())};
    for (const std::string& exe : {t.ptv, t.vmwp})
        if (::access(exe.c_str(), X_OK) != 0)
            throw UsageError(
                fmt::format("'{}' is missing; build everything first: make build", exe));
    for (const char* guest : {"pio-loop", "hello"})
        if (!fs::exists(t.guest(guest)))
            throw UsageError(fmt::format(
                "guest image '{}' is missing; build everything first: make build", t.guest(guest)));
    return t;
}

ExitRun run_vmwp(const BuildTree& tree, uint32_t n, bool tracing) {
    std::vector<std::string> argv = {tree.vmwp, tree.guest("pio-loop"), "--cmdline",
                                     std::to_string(n), "--json"};
    std::optional<TempFile> trace;
    if (tracing) {
        trace.emplace("ptv-bench-trace", ".json");
        argv.insert(argv.end(), {"--trace", trace->path(), "--trace-capacity",
                                 std::to_string(uint64_t(n) + 16)});
    }
    Child worker(argv, Child::Stream::Pipe, Child::Stream::Inherit);
    worker.read_to_end(run_timeout_s(n));
    const int status = worker.wait(10);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error(fmt::format("ptv-vmwp on pio-loop {} (expected 0: guest exit)",
                                             Child::describe(status)));
    const auto result = nlohmann::json::parse(worker.output(), nullptr, false);
    if (result.is_discarded() || !result.contains("run_ns") || !result.contains("exits"))
        throw std::runtime_error("ptv-vmwp --json printed no result the benchmark understands");
    ExitRun run{result["exits"].value("total", uint64_t(0)), result["run_ns"].get<uint64_t>()};
    if (run.exits != uint64_t(n) + 1)
        throw std::runtime_error(
            fmt::format("ptv-vmwp saw {} exits on pio-loop {}, expected {}", run.exits, n, n + 1));
    return run;
}

uint64_t run_qemu_pio_loop(const std::string& qemu, const BuildTree& tree, uint32_t n) {
    auto argv = qemu_args(qemu, tree.guest("pio-loop"));
    argv.insert(argv.end(), {"-append", std::to_string(n), "-serial", "none", "-device",
                             "isa-debug-exit,iobase=0x501,iosize=2"});
    Child vm(argv, Child::Stream::Null, Child::Stream::Null);
    const int status = vm.wait(run_timeout_s(n) + kStartupTimeoutS);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
        throw std::runtime_error(
            fmt::format("QEMU on pio-loop {} (expected 1: the guest's debug exit with status 0)",
                        Child::describe(status)));
    return vm.ended_ns() - vm.started_ns();
}

uint64_t ptv_first_serial_byte(const BuildTree& tree) {
    Child ptv({tree.ptv, "kvm", "run", tree.guest("hello")}, Child::Stream::Pipe,
              Child::Stream::Null);
    const uint64_t t_first = ptv.read_until(std::nullopt, kStartupTimeoutS);
    ptv.read_to_end(kStartupTimeoutS);
    const int status = ptv.wait(10);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        !ptv.output().starts_with("Hello from a ptvlab guest!\n"))
        throw std::runtime_error(
            fmt::format("'ptv kvm run hello' {} and printed '{}'; run it by hand to see why",
                        Child::describe(status), ptv.output().substr(0, 40)));
    return t_first - ptv.started_ns();
}

uint64_t qemu_first_serial_byte(const std::string& qemu, const BuildTree& tree) {
    auto argv = qemu_args(qemu, tree.guest("hello"));
    argv.insert(argv.end(), {"-serial", "stdio"});
    Child vm(argv, Child::Stream::Pipe, Child::Stream::Null);
    const uint64_t t_first = vm.read_until('H', kStartupTimeoutS);
    vm.kill();  // hello stays halted under QEMU: nothing else will happen
    return t_first - vm.started_ns();
}

std::string qemu_version(const std::string& qemu) {
    Child q({qemu, "--version"}, Child::Stream::Pipe, Child::Stream::Null);
    q.read_to_end(30);
    q.wait(10);
    const std::string& out = q.output();
    return out.substr(0, out.find('\n'));
}

}  // namespace ptv::bench
