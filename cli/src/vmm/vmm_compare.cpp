// `ptv vmm compare GUEST`: the guest under every technique and on real KVM,
// one table, and whether each ends in the native run's state.
#include <fmt/format.h>

#include <iostream>

#include "kvm_reference.hpp"
#include "ptv/common/format.hpp"
#include "ptv/common/table.hpp"
#include "vmm_commands.hpp"

namespace ptv::cli {

namespace {

uint64_t sum(const std::map<std::string, uint64_t>& m) {
    uint64_t n = 0;
    for (const auto& [k, v] : m) n += v;
    return n;
}

}  // namespace

Commands vmm_compare_commands(CLI::App& vmm) {
    struct Options {
        VmmGuestOptions guest;
        bool no_kvm = false;
        double kvm_timeout = 5;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = vmm.add_subcommand(
        "compare", "the guest under every technique and on real KVM, and equivalence with native");
    add_guest_options(*cmd, o->guest);
    cmd->add_flag("--no-kvm", o->no_kvm, "leave out the real KVM run");
    cmd->add_option("--kvm-timeout", o->kvm_timeout, "stop the KVM run of a guest that never ends")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    return {
        {cmd, [o] {
             std::vector<vmm::RunResult> runs;
             for (const auto& t : vmm::technique_names())
                 runs.push_back(vmm::run_guest(run_options(o->guest, t)));
             const vmm::RunResult& native = runs[0];
             std::vector<vmm::Equivalence> eq;
             for (const auto& r : runs)
                 eq.push_back(vmm::compare_states(native, r.final_state, r.output));
             KvmReference kvm;
             std::optional<vmm::Equivalence> kvm_eq;
             if (!o->no_kvm) {
                 kvm = run_on_kvm(run_options(o->guest, "native"), o->kvm_timeout);
                 // After a shutdown or a timeout the two stopped at
                 // different points: only clean ends are compared.
                 const std::string out =
                     kvm.result.is_object() ? kvm.result.value("outcome", "") : "";
                 const bool clean =
                     out == "halted" || out == "guest-exit" || out == "guest-failure";
                 if (kvm.final_state && clean)
                     kvm_eq = vmm::compare_states(native, *kvm.final_state,
                                                  kvm.result.value("serial", ""));
             }

             if (o->guest.json) {
                 nlohmann::json j = {{"guest", native.guest},
                                     {"techniques", nlohmann::json::array()}};
                 for (size_t i = 0; i < runs.size(); ++i) {
                     auto r = runs[i].to_json();
                     r.erase("vmcs");
                     r["equivalent"] = eq[i].equivalent;
                     r["first_difference"] = eq[i].first_difference;
                     r["differences"] = eq[i].differences;
                     j["techniques"].push_back(r);
                 }
                 if (o->no_kvm) {
                     j["kvm"] = nullptr;
                 } else if (!kvm.available) {
                     j["kvm"] = {{"available", false}, {"why", kvm.why_not}};
                 } else {
                     j["kvm"] = kvm.result;
                     j["kvm"]["available"] = true;
                     j["kvm"]["equivalent"] = kvm_eq ? nlohmann::json(kvm_eq->equivalent) : nullptr;
                     j["kvm"]["first_difference"] =
                         kvm_eq ? kvm_eq->first_difference : "no final state";
                 }
                 std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                           << "\n";
                 return 0;
             }

             std::vector<std::string> headers = {""};
             for (const auto& r : runs) headers.push_back(r.technique);
             if (!o->no_kvm) headers.push_back("kvm");
             Table t(headers);
             std::vector<size_t> right;
             for (size_t i = 1; i < headers.size(); ++i) right.push_back(i);
             t.right_align(right);
             auto row = [&](std::string name, auto cell, std::string kvm_cell) {
                 std::vector<std::string> cells = {std::move(name)};
                 for (const auto& r : runs) cells.push_back(cell(r));
                 if (!o->no_kvm) cells.push_back(std::move(kvm_cell));
                 t.row(cells);
             };
             const bool k = kvm.available;
             row(
                 "outcome", [](const vmm::RunResult& r) { return r.outcome; },
                 k ? kvm.result.value("outcome", "?") : "n/a");
             row(
                 "instructions", [](const vmm::RunResult& r) { return thousands(r.instructions); },
                 "");
             row(
                 "traps", [](const vmm::RunResult& r) { return thousands(sum(r.counters.traps)); },
                 "");
             row(
                 "VM exits",
                 [](const vmm::RunResult& r) { return thousands(sum(r.counters.exits)); },
                 k ? thousands(kvm.result["exits"].value("total", uint64_t(0))) : "");
             row(
                 "hypercalls",
                 [](const vmm::RunResult& r) { return thousands(r.counters.hypercalls); }, "");
             row(
                 "device accesses",
                 [](const vmm::RunResult& r) { return thousands(r.counters.device_accesses); }, "");
             auto bt = [](const char* key) {
                 return [key](const vmm::RunResult& r) -> std::string {
                     if (!r.details.is_object() || !r.details.contains("binary_translation"))
                         return "";
                     const auto& b = r.details["binary_translation"];
                     if (std::string(key) != "callouts")
                         return thousands(b.value(key, uint64_t(0)));
                     uint64_t n = 0;
                     for (const auto& [k, v] : b["callouts"].items()) n += v.get<uint64_t>();
                     return thousands(n);
                 };
             };
             row("translations", bt("translations"), "");
             row("callouts", bt("callouts"), "");
             row(
                 "modelled cycles", [](const vmm::RunResult& r) { return thousands(r.cycles); },
                 "");
             row(
                 "wall time", [](const vmm::RunResult& r) { return human_ns(double(r.wall_ns)); },
                 k ? human_ns(double(kvm.result.value("run_ns", uint64_t(0)))) : "");
             row(
                 "divergences",
                 [](const vmm::RunResult& r) { return std::to_string(r.divergences.size()); }, "");
             t.rule();
             size_t i = 0;
             row(
                 "equivalent",
                 [&](const vmm::RunResult&) { return eq[i++].equivalent ? "yes" : "NO"; },
                 kvm_eq ? (kvm_eq->equivalent ? "yes" : "NO") : "n/a");
             std::printf("%s under every technique (kvm: the real hypervisor, ptv-vmwp)\n%s",
                         native.guest.c_str(), t.render().c_str());
             for (size_t j = 0; j < runs.size(); ++j)
                 if (!eq[j].equivalent)
                     std::printf("%s: first difference: %s\n", runs[j].technique.c_str(),
                                 eq[j].first_difference.c_str());
             if (kvm_eq && !kvm_eq->equivalent)
                 std::printf("kvm: first difference: %s\n", kvm_eq->first_difference.c_str());
             if (!o->no_kvm && !k) std::printf("kvm: %s\n", kvm.why_not.c_str());
             return 0;
         }}};
}

}  // namespace ptv::cli
