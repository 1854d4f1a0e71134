// Runs `ptv kvm run ... --json` and hands back the parsed result.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../support/process.hpp"

namespace ptv::test {

struct GuestRun {
    Completed process;
    nlohmann::json result;  // null when ptv printed no JSON (usage errors)

    uint64_t by_reason(const std::string& reason) const {
        for (const auto& r : result["exits"]["by_reason"])
            if (r["reason"] == reason) return r["count"];
        return 0;
    }
    uint64_t by_device(const std::string& device) const {
        for (const auto& r : result["exits"]["by_device"])
            if (r["device"] == device) return r["count"];
        return 0;
    }
    // The one line ptv printed on stderr after the guest's output.
    std::string last_error_line() const {
        std::string e = process.err;
        while (!e.empty() && e.back() == '\n') e.pop_back();
        return e.substr(e.rfind('\n') == std::string::npos ? 0 : e.rfind('\n') + 1);
    }
};

// AMD's SVM: at a shutdown (a triple fault) KVM resets the vCPU, so where
// the guest was is lost (vnd/exit.hpp, Exit::vcpu_reset). Read from the
// host, not from the run under test: kvm_amd is the KVM here.
inline bool host_resets_vcpu_at_shutdown() {
    return std::filesystem::exists("/sys/module/kvm_amd");
}

// The message of a triple fault whose RIP such a host lost.
inline constexpr const char* kStateLost = "the instruction that faulted and the guest RIP are lost";

inline GuestRun ptv_run(std::vector<std::string> args,
                        const std::map<std::string, std::string>& env = {},
                        const std::string& input = "") {
    std::vector<std::string> argv = {bin("ptv"), "kvm", "run"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--json");
    GuestRun r;
    r.process = run(argv, env, 120, input);
    auto j = nlohmann::json::parse(r.process.out, nullptr, false);
    if (!j.is_discarded()) r.result = j;
    return r;
}

}  // namespace ptv::test
