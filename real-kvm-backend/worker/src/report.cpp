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
    const auto& exits = r["exits"];
    // Doorbells taken without an exit (ioeventfd) get a column of their own
    // when there are any: they are the exits the device did not cost.
    bool bells = false;
    for (const auto& x : exits["by_device"]) bells = bells || x.contains("doorbells");
    auto add_rows = [bells](Table& t, const nlohmann::json& rows, const char* key, bool kind) {
        for (const auto& x : rows) {
            std::vector<std::string> cells{x.value(key, "")};
            if (kind) cells.push_back(x.value("kind", ""));
            cells.push_back(thousands(x.value("count", 0ull)));
            cells.push_back(human_ns(double(x.value("total_ns", 0ull))));
            cells.push_back(human_ns(x.value("mean_ns", 0.0)));
            if (kind && bells) cells.push_back(thousands(x.value("doorbells", 0ull)));
            t.row(std::move(cells));
        }
    };
    Table by_reason({"exit reason", "count", "total", "mean"});
    by_reason.right_align({1, 2, 3});
    add_rows(by_reason, exits["by_reason"], "reason", false);
    std::vector<std::string> head{"device", "kind", "count", "total", "mean"};
    if (bells) head.push_back("doorbells (no exit)");
    Table by_device(head);
    by_device.right_align(bells ? std::vector<size_t>{2, 3, 4, 5} : std::vector<size_t>{2, 3, 4});
    add_rows(by_device, exits["by_device"], "device", true);
    std::string text = by_reason.render() + "\n" + by_device.render();
    // With several vCPUs, each one's share: which of them left the guest,
    // and why.
    const auto& vcpus = exits.value("by_vcpu", nlohmann::json::array());
    if (vcpus.size() > 1) {
        Table by_vcpu({"vCPU", "exits", "by reason"});
        by_vcpu.right_align({1});
        for (const auto& v : vcpus) {
            std::string reasons;
            for (const auto& [reason, count] : v["by_reason"].items())
                reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", reason,
                                       thousands(count.get<uint64_t>()));
            by_vcpu.row({fmt::format("{}", v.value("vcpu", 0)), thousands(v.value("total", 0ull)),
                         reasons});
        }
        text += "\n" + by_vcpu.render();
    }
    return text;
}

std::string back_end_text(const nlohmann::json& r) {
    if (!r.contains("io") || !r["io"].is_object()) return "";
    const auto& io = r["io"];
    const auto& disk = io.value("pv_disk", nlohmann::json::object());
    const auto& events = io.value("event_channel", nlohmann::json::object());
    const std::string dispatch = io.value("dispatch", "inline");
    if (dispatch == "inline" && disk.value("requests", 0ull) == 0 &&
        events.value("posts", 0ull) == 0)
        return "";
    std::string text =
        fmt::format("back end: {}{}; {} jobs, at most {} waiting at once\n", dispatch,
                    io.value("ioeventfd", false) ? ", doorbells as ioeventfds (no exit)" : "",
                    thousands(io.value("jobs", 0ull)), thousands(io.value("max_waiting", 0ull)));
    text += fmt::format(
        "pv-disk: {} requests, {} completions, {} errors ({}, {} ms); event channel: {} posts, "
        "{} blocks\n",
        thousands(disk.value("requests", 0ull)), thousands(disk.value("completions", 0ull)),
        thousands(disk.value("errors", 0ull)), io.value("disk", ""), io.value("latency_ms", 0.0),
        thousands(events.value("posts", 0ull)), thousands(io.value("blocks", 0ull)));
    const auto& ring = io.value("host_ring", nlohmann::json::object());
    if (ring.value("requests", 0ull) > 0)
        text += fmt::format(
            "host-ring: {} requests, {} answered, {} not OK; at most {} on the ring, {} held back "
            "on the host\n",
            thousands(ring.value("requests", 0ull)), thousands(ring.value("responses", 0ull)),
            thousands(ring.value("errors", 0ull)), thousands(ring.value("max_outstanding", 0ull)),
            thousands(ring.value("held_back", 0ull)));
    return text;
}

std::string final_state_text(const nlohmann::json& r) {
    if (!r.contains("final_state") || !r["final_state"].is_object()) return "";
    const auto& f = r["final_state"];
    auto reg = [&](const char* name, int digits) {
        return fmt::format("{}={:0{}x}", name, f.value(name, 0u), digits);
    };
    std::string text = r.value("cpus", 1) > 1 ? "final state (vCPU 0):" : "final state:";
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
