#include "ptv_migration.hpp"

#include <sys/wait.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "../kvm-exits/child.hpp"
#include "stderr_to.hpp"
#include "temp_dir.hpp"

namespace ptv::bench {

namespace {

constexpr double kTimeoutS = 300;  // only keeps a broken build from hanging
// The guest runs on after the migration until stopped: long enough to see
// it go on, no longer.
constexpr const char* kStopAfterS = "0.5";

// `ptv` exits 2 for a usage mistake: an unknown verb is one, so that is
// what a build without `ptv migrate live` answers.
constexpr int kUsageExit = 2;

template <class T>
T need(const nlohmann::json& j, const char* key) {
    if (!j.contains(key))
        throw std::runtime_error(fmt::format("ptv migrate live --json: no \"{}\"", key));
    return j[key].get<T>();
}

}  // namespace

PtvResult parse_ptv_result(const std::string& text) {
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        throw std::runtime_error("ptv migrate live --json printed no JSON object");
    PtvResult r;
    r.mode = need<std::string>(j, "mode");
    r.total_ms = need<double>(j, "total_ms");
    r.downtime_ms = need<double>(j, "downtime_ms");
    r.bytes_sent = need<uint64_t>(j, "bytes_sent");
    r.memory_bytes = need<uint64_t>(j, "memory_bytes");
    for (const auto& round : need<nlohmann::json>(j, "rounds"))
        r.rounds.push_back({need<uint64_t>(round, "round"), need<uint64_t>(round, "pages"),
                            need<uint64_t>(round, "bytes"), need<double>(round, "duration_ms")});
    return r;
}

std::optional<PtvResult> run_ptv_migration(const BenchConfig& config, const Case& c,
                                           std::string& why_not) {
    try {
        TempDir dir("ptv-bench-migration");
        const std::string err = dir.file("ptv.err");
        Child ptv(stderr_to(err, {config.bin_dir + "/ptv", "migrate", "live", "counter", "--mode",
                                  mode_name(c.mode), "--memory", std::to_string(c.memory_mib),
                                  "--cmdline", std::to_string(c.wss_kib), "--downtime-limit",
                                  std::to_string(config.downtime_limit_ms), "--stop-after",
                                  kStopAfterS, "--json", "--trace", dir.file("trace.json")}),
                  Child::Stream::Pipe, Child::Stream::Inherit);
        ptv.read_to_end(kTimeoutS);
        const int status = ptv.wait(10);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            const std::string line = last_error_line(err);
            // CLI11's words for a verb it does not know.
            const bool usage = WIFEXITED(status) && WEXITSTATUS(status) == kUsageExit &&
                               (line.find("subcommand") != std::string::npos ||
                                line.find("not expected") != std::string::npos);
            why_not = fmt::format("{}: ptv {}{}", usage ? "not built yet" : "failed",
                                  Child::describe(status), line.empty() ? "" : ": " + line);
            return std::nullopt;
        }
        return parse_ptv_result(ptv.output());
    } catch (const std::exception& e) {
        why_not = fmt::format("failed: {}", e.what());
        return std::nullopt;
    }
}

}  // namespace ptv::bench
