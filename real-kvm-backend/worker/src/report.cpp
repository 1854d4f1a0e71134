#include "ptv/worker/report.hpp"

#include <fmt/format.h>

#include "ptv/common/format.hpp"
#include "ptv/common/table.hpp"

namespace ptv::worker {

std::string outcome_line(const nlohmann::json& r) {
    std::string line = fmt::format("{}: {}", r.value("guest", "guest"), r.value("message", ""));
    if (r.contains("rip") && r["rip"].is_string())
        line += fmt::format(" at RIP {}", r["rip"].get<std::string>());
    if (r.contains("exits"))
        line += fmt::format("; {} exits in {}", thousands(r["exits"].value("total", 0ull)),
                            human_ns(double(r.value("run_ns", 0ull))));
    return line;
}

std::string exit_table(const nlohmann::json& r) {
    auto add_rows = [](Table& t, const nlohmann::json& rows, const char* key, bool kind) {
        for (const auto& x : rows) {
            std::vector<std::string> cells{x.value(key, "")};
            if (kind) cells.push_back(x.value("kind", ""));
            cells.push_back(thousands(x.value("count", 0ull)));
            cells.push_back(human_ns(double(x.value("total_ns", 0ull))));
            cells.push_back(human_ns(x.value("mean_ns", 0.0)));
            t.row(std::move(cells));
        }
    };
    const auto& exits = r["exits"];
    Table by_reason({"exit reason", "count", "total", "mean"});
    by_reason.right_align({1, 2, 3});
    add_rows(by_reason, exits["by_reason"], "reason", false);
    Table by_device({"device", "kind", "count", "total", "mean"});
    by_device.right_align({2, 3, 4});
    add_rows(by_device, exits["by_device"], "device", true);
    return by_reason.render() + "\n" + by_device.render();
}

std::string final_state_text(const nlohmann::json& r) {
    if (!r.contains("final_state") || !r["final_state"].is_object()) return "";
    const auto& f = r["final_state"];
    auto reg = [&](const char* name, int digits) {
        return fmt::format("{}={:0{}x}", name, f.value(name, 0u), digits);
    };
    std::string text = "final state:";
    for (const char* name : {"eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp"})
        text += " " + reg(name, 8);
    text += "\n            ";
    for (const char* name : {"eip", "eflags"}) text += " " + reg(name, 8);
    for (const char* name : {"cs", "ss", "ds", "es", "fs", "gs"}) text += " " + reg(name, 4);
    text += " " + reg("cr0", 8);
    text += fmt::format("\n             memory hash {} over {} bytes\n", f.value("memory_hash", ""),
                        thousands(f.value("memory_bytes", 0ull)));
    return text;
}

}  // namespace ptv::worker
