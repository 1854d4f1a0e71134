// `ptv vmm vmcs GUEST`: the VMX model's VMCS after the run (controls, guest-
// and host-state areas) and every VM exit with its reason and qualification,
// in the Intel SDM's names.
#include <fmt/format.h>

#include <iostream>

#include "ptv/common/table.hpp"
#include "ptv/vmm/vmx.hpp"
#include "vmm_commands.hpp"

namespace ptv::cli {

namespace {

// The exit qualification, decoded (SDM vol. 3, tables 27-3 and 27-5).
std::string decode_qualification(uint16_t reason, const std::string& hex) {
    const uint64_t q = std::stoull(hex, nullptr, 16);
    if (reason == vmm::exit_reason::IoInstruction)
        return fmt::format("size {} {}{}{} port {:#x} ({})", (q & 7) + 1, (q & 8) ? "IN" : "OUT",
                           (q & 16) ? " string" : "", (q & 32) ? " REP" : "", q >> 16,
                           (q & 64) ? "immediate" : "DX");
    if (reason == vmm::exit_reason::CrAccess)
        return fmt::format("CR{} {} register {}", q & 15,
                           ((q >> 4) & 3) == 0 ? "MOV to" : "MOV from", (q >> 8) & 15);
    if (reason == vmm::exit_reason::EptViolation) return (q & 2) ? "data write" : "data read";
    return "";
}

}  // namespace

Commands vmm_vmcs_commands(CLI::App& vmm) {
    struct Options {
        VmmGuestOptions guest;
        size_t limit = 40;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = vmm.add_subcommand("vmcs", "the VMX model's VMCS fields and every VM exit");
    add_guest_options(*cmd, o->guest);
    cmd->add_option("--limit", o->limit, "exits listed (the counts cover all)")
        ->capture_default_str();
    return {
        {cmd, [o] {
             const vmm::RunResult r = vmm::run_guest(run_options(o->guest, "vmx"));
             const nlohmann::json& v = r.details;
             if (o->guest.json) {
                 std::cout << v.dump(2) << "\n";
                 return r.status;
             }
             std::printf("%s\n\nVMCS of %s after the run\n", outcome_line(r).c_str(),
                         r.guest.c_str());
             auto section = [](const char* title, const nlohmann::json& fields) {
                 Table t({title, "value"});
                 for (auto it = fields.begin(); it != fields.end(); ++it) {
                     if (it.value().is_array()) continue;
                     std::string name = it.key();
                     for (char& c : name)
                         if (c == '_') c = ' ';
                     t.row({name, it.value().is_string() ? it.value().get<std::string>()
                                                         : it.value().dump()});
                 }
                 std::printf("%s", t.render().c_str());
             };
             section("VM-execution control fields", v["vm_execution_controls"]);
             section("Guest-state area", v["guest_state_area"]);
             Table seg({"guest segment", "selector", "base", "limit", "access rights"});
             for (const auto& s : v["guest_state_area"]["segments"])
                 seg.row({s["field"], s["selector"], s["base"], s["limit"], s["access_rights"]});
             std::printf("%s", seg.render().c_str());
             section("Host-state area", v["host_state_area"]);
             section("VM-exit information fields (last exit)", v["vm_exit_information"]);
             Table exits(
                 {"#", "exit reason", "exit qualification", "decoded", "guest RIP", "instruction"});
             size_t n = 0;
             for (const auto& e : v["exits"]) {
                 if (n++ >= o->limit) break;
                 exits.row({std::to_string(n),
                            fmt::format("{} {}", e["exit_reason"].get<int>(),
                                        e["name"].get<std::string>()),
                            e["exit_qualification"],
                            decode_qualification(e["exit_reason"], e["exit_qualification"]),
                            e["guest_rip"], e["instruction"]});
             }
             std::printf("\nVM exits (%zu in all, VM entries %llu: VMLAUNCH + VMRESUMEs)\n%s",
                         size_t(v["exits_logged"]),
                         (unsigned long long)v["vm_entries"].get<uint64_t>(),
                         exits.render().c_str());
             if (n > o->limit) std::printf("(%zu more; --limit N shows more)\n", n - o->limit);
             return r.status;
         }}};
}

}  // namespace ptv::cli
