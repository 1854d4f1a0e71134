#include "report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "ptv/common/format.hpp"
#include "ptv/common/table.hpp"

namespace ptv::bench {

namespace {

// One row of either table, in numbers; both renderings read these.
struct Row {
    std::string key;    // for JSON
    std::string label;  // for the table
    double median_ns = 0;
    std::optional<double> min_ns;  // absent where it is derived from medians
    std::vector<double> trials_ns;
    std::optional<double> ratio;  // against the table's reference row
    std::string target;           // "" : none
    std::optional<bool> met;
    nlohmann::json target_json = nullptr;
};

std::string ratio_text(double x) {
    if (x < 10) return fmt::format("{:.2f}x", x);
    if (x < 100) return fmt::format("{:.1f}x", x);
    return thousands(uint64_t(std::llround(x))) + "x";
}

std::string ns_text(double ns) {
    if (std::isnan(ns)) return "-";
    return thousands(uint64_t(std::llround(std::max(ns, 0.0))));
}

// A row measured directly: its trials, their median and minimum.
Row measured(std::string key, std::string label, const Series& s, double reference) {
    Row row;
    row.key = std::move(key);
    row.label = std::move(label);
    row.median_ns = s.median();
    row.min_ns = s.min();
    row.trials_ns = s.ns;
    row.ratio = row.median_ns / reference;
    return row;
}

std::vector<Row> exit_rows(const Results& r) {
    const double bare = r.bare_loop.median();
    std::vector<Row> rows;
    rows.push_back(measured("bare_loop", "bare KVM_RUN loop (the limit)", r.bare_loop, bare));
    rows.back().target = "limit";
    auto with_target = [&](Row row, double max_ratio) {
        row.target = fmt::format("≤ {:.2f}x", max_ratio);
        row.target_json = {{"max_ratio", max_ratio}};
        row.met = *row.ratio <= max_ratio;
        rows.push_back(std::move(row));
    };
    with_target(measured("vmwp_tracing_off", "ptv-vmwp, tracing off", r.vmwp_off, bare),
                kTracingOffTarget);
    with_target(measured("vmwp_tracing_on", "ptv-vmwp, tracing on", r.vmwp_on, bare),
                kTracingOnTarget);
    if (r.have_qemu()) {
        // Derived from two medians: no trials and no minimum of its own.
        Row row;
        row.key = "qemu";
        row.label = "QEMU -accel kvm: (t(N) - t(0)) / N";
        if (r.qemu_exits_resolved()) {
            row.median_ns = r.qemu_ns_per_exit();
            row.ratio = row.median_ns / bare;
        } else {
            row.median_ns = std::nan("");  // not measured: shown as "-", null in JSON
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

std::vector<Row> startup_rows(const Results& r) {
    const double ptv = r.ptv_startup.median();
    std::vector<Row> rows;
    rows.push_back(measured("ptv_kvm_run", "ptv kvm run hello", r.ptv_startup, ptv));
    rows.back().target = fmt::format("< {}", human_ns(kStartupTargetNs));
    rows.back().target_json = {{"max_ns", kStartupTargetNs}};
    rows.back().met = ptv < kStartupTargetNs;
    if (r.have_qemu()) {
        rows.push_back(
            measured("qemu_kernel", "QEMU -accel kvm -kernel hello.bin", r.qemu_startup, ptv));
        rows.push_back(
            measured("qemu_boot_t0", "QEMU pio-loop N = 0, start → exit: t(0)", r.qemu_0, ptv));
    }
    return rows;
}

std::string yes_no(const std::optional<bool>& met) {
    return met ? (*met ? "yes" : "no") : "-";
}

}  // namespace

std::string render_text(const Results& r) {
    const MachineContext& m = r.machine;
    std::string out;
    out += fmt::format("host   Linux {} {}, {} CPU(s), {}\n", m.kernel, m.arch, m.cpus,
                       m.cpu_model.empty() ? "unknown CPU" : m.cpu_model);
    out +=
        fmt::format("kvm    {}: {}; CPU flags: {}\n", m.kvm_module, m.kvm_kind,
                    m.cpu_virt_flags.empty() ? "no vmx/svm"
                                             : fmt::format("{}", fmt::join(m.cpu_virt_flags, " ")));
    out += r.have_qemu() ? fmt::format("qemu   {} ({})\n", r.qemu.version, r.qemu.path)
                         : fmt::format("qemu   skipped: {}\n", r.qemu.skipped);

    out += fmt::format(
        "\nPIO exit round trip: pio-loop, N = {} OUTs to port 0x80 + 1 debug exit; median of {} "
        "trial(s)\n\n",
        thousands(r.exits_n), r.trials);
    Table exits({"configuration", "ns/exit", "min", "vs bare loop", "target", "met?"});
    exits.right_align({1, 2, 3});
    for (const Row& row : exit_rows(r))
        exits.row({row.label, ns_text(row.median_ns), row.min_ns ? ns_text(*row.min_ns) : "-",
                   row.ratio ? ratio_text(*row.ratio) : "-", row.target.empty() ? "-" : row.target,
                   yes_no(row.met)});
    out += exits.render();
    if (r.have_qemu() && !r.qemu_exits_resolved())
        out += fmt::format(
            "QEMU: {} exits took less time than QEMU's boot time varies by itself; give more "
            "--exits for its row\n",
            thousands(r.exits_n));

    out += fmt::format(
        "\nStart-up: from starting the program to the guest's first serial byte (hello); "
        "median of {} trial(s)\n\n",
        r.trials);
    Table startup({"configuration", "median", "min", "vs ptv", "target", "met?"});
    startup.right_align({1, 2, 3});
    for (const Row& row : startup_rows(r))
        startup.row({row.label, human_ns(row.median_ns), row.min_ns ? human_ns(*row.min_ns) : "-",
                     row.ratio ? ratio_text(*row.ratio) : "-",
                     row.target.empty() ? "-" : row.target, yes_no(row.met)});
    out += startup.render();
    if (!r.have_qemu()) out += fmt::format("\nQEMU rows skipped: {}\n", r.qemu.skipped);
    return out;
}

nlohmann::json render_json(const Results& r) {
    auto rows_json = [](const std::vector<Row>& rows, const char* ratio_key) {
        nlohmann::json a = nlohmann::json::array();
        for (const Row& row : rows) {
            nlohmann::json j{
                {"config", row.key},
                {"label", row.label},
                {"median_ns", std::isnan(row.median_ns) ? nlohmann::json(nullptr)
                                                        : nlohmann::json(row.median_ns)},
                {"min_ns", row.min_ns ? nlohmann::json(*row.min_ns) : nullptr},
                {"trials_ns", row.trials_ns},
                {ratio_key, row.ratio ? nlohmann::json(*row.ratio) : nullptr},
                {"target", row.target_json},
                {"met", row.met ? nlohmann::json(*row.met) : nullptr}};
            a.push_back(std::move(j));
        }
        return a;
    };
    const MachineContext& m = r.machine;
    nlohmann::json j;
    j["benchmark"] = "kvm-exits";
    j["host"] = {{"kernel", m.kernel},
                 {"arch", m.arch},
                 {"cpus", m.cpus},
                 {"cpu_model", m.cpu_model},
                 {"kvm_module", m.kvm_module},
                 {"kvm_kind", m.kvm_kind},
                 {"cpu_virt_flags", m.cpu_virt_flags}};
    auto or_null = [](const std::string& s) {
        return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
    };
    j["qemu"] = {{"path", or_null(r.qemu.path)},
                 {"version", or_null(r.qemu.version)},
                 {"skipped", or_null(r.qemu.skipped)}};
    j["exits"] = r.exits_n;
    j["exits_per_run"] = uint64_t(r.exits_n) + 1;
    j["trials"] = r.trials;
    j["exit_round_trip"] = rows_json(exit_rows(r), "ratio_vs_bare_loop");
    j["startup"] = rows_json(startup_rows(r), "ratio_vs_ptv");
    if (r.have_qemu()) {
        j["qemu_pio_loop_wall_ns"] = {
            {"n", {{"median_ns", r.qemu_n.median()}, {"trials_ns", r.qemu_n.ns}}},
            {"zero", {{"median_ns", r.qemu_0.median()}, {"trials_ns", r.qemu_0.ns}}}};
    }
    return j;
}

}  // namespace ptv::bench
