// `ptv vmm microbench`: the nanobenchmarks of Adams & Agesen's comparison
// of a software (binary-translating) and a hardware (VT-x) VMM (ASPLOS
// 2006, section 6.2), as guests (guests/mb-*.asm): the modelled cycles of
// one operation under each technique, beside the time the same guest takes
// per operation on the real KVM of this machine.
#include <fmt/format.h>

#include <iostream>

#include "kvm_reference.hpp"
#include "ptv/common/format.hpp"
#include "ptv/common/table.hpp"
#include "vmm_commands.hpp"

namespace ptv::cli {

namespace {

struct Microbenchmark {
    const char* name;   // the paper's name
    const char* guest;  // guests/NAME.asm
    const char* what;
    // What the paper found, in words (its figure plots cycles on a
    // Pentium 4; the figures themselves are not reproduced here).
    const char* paper;
};

const Microbenchmark kBenchmarks[] = {
    {"syscall", "mb-syscall", "int 0x80 from ring 3, iret back",
     "hardware VMM ~ native (no exit); software VMM much slower"},
    {"in", "mb-in", "read a device register",
     "both leave the guest; the software VMM's callout is cheaper than an exit"},
    {"cr write", "mb-cr", "write a control register (the paper: CR8)",
     "software VMM ~ native (translated inline); hardware VMM exits"},
    {"call/ret", "mb-callret", "call an empty function",
     "hardware VMM ~ native; software VMM slower (returns need a lookup)"},
    {"divzero", "mb-divzero", "divide by zero, #DE handler skips it", "(not quoted here)"},
    {"ptemod", "", "update a page-table entry",
     "software VMM far cheaper (hardware VMM exits); not modelled: no paging in the model"},
};

}  // namespace

Commands vmm_microbench_commands(CLI::App& vmm) {
    struct Options {
        uint32_t iterations = 1000;
        bool no_kvm = false;
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = vmm.add_subcommand(
        "microbench",
        "Adams & Agesen's microbenchmarks: modelled cycles per operation under each technique, "
        "beside real KVM");
    cmd->add_option("-n,--iterations", o->iterations,
                    "operations per measurement (the cost is the difference between a run of "
                    "N + 100 and one of 100, divided by N)")
        ->capture_default_str()
        ->check(CLI::Range(1u, 10'000'000u));
    cmd->add_flag("--no-kvm", o->no_kvm, "leave out the real KVM runs");
    cmd->add_flag("--json", o->json, "print the results as JSON");
    return {{cmd, [o] {
                 constexpr uint32_t kBase = 100;
                 const auto& techniques = vmm::technique_names();
                 nlohmann::json rows = nlohmann::json::array();
                 for (const auto& b : kBenchmarks) {
                     nlohmann::json row = {{"microbenchmark", b.name},
                                           {"guest", b.guest},
                                           {"operation", b.what},
                                           {"paper", b.paper}};
                     if (!*b.guest) {
                         rows.push_back(row);
                         continue;
                     }
                     auto options = [&](const std::string& technique, uint32_t n) {
                         VmmGuestOptions g;
                         g.guest = b.guest;
                         g.cmdline = std::to_string(n);
                         return run_options(g, technique);
                     };
                     for (const auto& t : techniques) {
                         const auto small = vmm::run_guest(options(t, kBase));
                         const auto large = vmm::run_guest(options(t, kBase + o->iterations));
                         if (small.status != 0 || large.status != 0) {
                             row["cycles"][t] = nullptr;
                             row["failure"][t] = large.outcome + ": " + large.message;
                             continue;
                         }
                         row["cycles"][t] = double(large.cycles - small.cycles) / o->iterations;
                     }
                     if (!o->no_kvm) {
                         const auto small = run_on_kvm(options("native", kBase));
                         const auto large = run_on_kvm(options("native", kBase + o->iterations));
                         const bool ok = small.available && large.available &&
                                         small.result.value("status", -1) == 0 &&
                                         large.result.value("status", -1) == 0;
                         if (ok) {
                             const double ns = double(large.result.value("run_ns", uint64_t(0))) -
                                               double(small.result.value("run_ns", uint64_t(0)));
                             row["kvm_ns"] = std::max(0.0, ns) / o->iterations;
                         } else {
                             row["kvm_ns"] = nullptr;
                             row["kvm_failure"] = !large.available
                                                      ? large.why_not
                                                      : large.result.value("outcome", "?") + ": " +
                                                            large.result.value("message", "");
                         }
                     }
                     rows.push_back(row);
                 }
                 if (o->json) {
                     std::cout << nlohmann::json{{"iterations", o->iterations},
                                                 {"microbenchmarks", rows}}
                                      .dump(2)
                               << "\n";
                     return 0;
                 }
                 std::vector<std::string> headers = {"microbenchmark"};
                 for (const auto& t : techniques) headers.push_back(t);
                 if (!o->no_kvm) headers.push_back("kvm (real)");
                 Table t(headers);
                 std::vector<size_t> right;
                 for (size_t i = 1; i < headers.size(); ++i) right.push_back(i);
                 t.right_align(right);
                 for (const auto& r : rows) {
                     std::vector<std::string> cells = {r["microbenchmark"]};
                     for (const auto& tech : techniques) {
                         const auto c = r.contains("cycles")
                                            ? r["cycles"].value(tech, nlohmann::json())
                                            : nlohmann::json();
                         cells.push_back(c.is_number() ? thousands(uint64_t(c.get<double>() + 0.5))
                                         : r.contains("cycles") ? "failed"
                                                                : "n/a");
                     }
                     if (!o->no_kvm)
                         cells.push_back(r.contains("kvm_ns") && r["kvm_ns"].is_number()
                                             ? human_ns(r["kvm_ns"].get<double>())
                                             : "n/a");
                     t.row(cells);
                 }
                 std::printf(
                     "Modelled cycles per operation (sim/vmm cost model), %u operations each; "
                     "kvm: real time per\noperation on this machine's KVM, the same guest in a "
                     "ptv-vmwp worker.\n\n%s\n",
                     o->iterations, t.render().c_str());
                 Table p({"microbenchmark", "operation", "Adams & Agesen 2006 found"});
                 for (const auto& r : rows)
                     p.row({r["microbenchmark"], r["operation"], r["paper"]});
                 std::printf("%s", p.render().c_str());
                 for (const auto& r : rows)
                     if (r.contains("kvm_failure"))
                         std::printf("kvm, %s: %s\n",
                                     r["microbenchmark"].get<std::string>().c_str(),
                                     r["kvm_failure"].get<std::string>().c_str());
                 return 0;
             }}};
}

}  // namespace ptv::cli
