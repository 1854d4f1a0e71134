#include "report.hpp"

#include <fmt/format.h>
#include <cmath>
#include <set>
#include <vector>

#include "ptv/common/table.hpp"

namespace ptv::bench {

namespace {

std::string ms_text(double ms) {
    return ms < 10 ? fmt::format("{:.2f} ms", ms) : fmt::format("{:.1f} ms", ms);
}

std::string bytes_text(double b) {
    return b < (1 << 20) ? fmt::format("{:.0f} KiB", b / 1024)
                         : fmt::format("{:.1f} MiB", b / double(1 << 20));
}

std::string ratio_text(double x) {
    return x < 10 ? fmt::format("{:.2f}x", x) : fmt::format("{:.1f}x", x);
}

// The short cell of a side that has no numbers: its status up to the
// first ':' ("not built yet", "n/a", "error", "failed").
std::string status_cell(const Side& s) {
    const std::string short_status = s.status.substr(0, s.status.find(':'));
    return short_status.empty() ? "-" : short_status;
}

std::string met_text(bool met) {
    return met ? "met" : "MISSED";
}

// One target line: ptvlab's figure against the limit (met/missed), QEMU's
// beside it for reference.
std::string target_line(const Row& row, double ptv, double qemu, double limit,
                        const std::string& unit_of) {
    std::string out = fmt::format("  {} MiB, {} KiB, {}: ", row.c.memory_mib, row.c.wss_kib,
                                  mode_name(row.c.mode));
    out += row.ptv.ok()
               ? fmt::format("ptvlab {} {}", unit_of.empty() ? ms_text(ptv) : ratio_text(ptv),
                             met_text(ptv <= limit))
               : fmt::format("ptvlab not measured ({})", status_cell(row.ptv));
    if (row.qemu.ok())
        out += fmt::format("; QEMU {}", unit_of.empty() ? ms_text(qemu) : ratio_text(qemu));
    return out + "\n";
}

std::string targets_text(const Results& r) {
    std::string out = "\nTargets, for ptvlab; QEMU's figures for reference:\n";
    out +=
        fmt::format("pre-copy downtime <= {:.0f} ms, {} MiB guest rewriting a {} KiB working set\n",
                    kPreCopyDowntimeTargetMs, kPreCopyTargetMemoryMib, kPreCopyTargetWssKib);
    bool any = false;
    for (const Row& row : r.rows)
        if (row.c.mode == Mode::PreCopy && row.c.memory_mib == kPreCopyTargetMemoryMib &&
            row.c.wss_kib == kPreCopyTargetWssKib) {
            out += target_line(row, row.ptv.downtime_ms, row.qemu.downtime_ms,
                               kPreCopyDowntimeTargetMs, "");
            any = true;
        }
    if (!any)
        out += fmt::format("  no such row in this run (--memory {} --wss {} --modes precopy)\n",
                           kPreCopyTargetMemoryMib, kPreCopyTargetWssKib);

    out += fmt::format("pre-copy total time <= {:.1f} x memory / loopback bandwidth\n",
                       kTotalTimeTargetRatio);
    any = false;
    for (const Row& row : r.rows)
        if (row.c.mode == Mode::PreCopy) {
            const double wire = r.wire_ms(row.c.memory_mib);
            out += target_line(row, row.ptv.total_ms / wire, row.qemu.total_ms / wire,
                               kTotalTimeTargetRatio, "x");
            any = true;
        }
    if (!any) out += "  no pre-copy row in this run\n";

    out += fmt::format("post-copy downtime <= {:.0f} ms\n", kPostCopyDowntimeTargetMs);
    any = false;
    for (const Row& row : r.rows)
        if (row.c.mode == Mode::PostCopy) {
            out += target_line(row, row.ptv.downtime_ms, row.qemu.downtime_ms,
                               kPostCopyDowntimeTargetMs, "");
            any = true;
        }
    if (!any) out += "  no post-copy row in this run\n";
    return out;
}

nlohmann::json side_json(const Side& s) {
    nlohmann::json j{
        {"ok", s.ok()},
        {"status", s.status.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.status)},
        {"trials_ok", s.trials_ok}};
    if (!s.ok()) return j;
    j.update({{"downtime_ms", s.downtime_ms},
              {"total_ms", s.total_ms},
              {"bytes", s.bytes},
              {"rounds", s.rounds},
              {"downtimes_ms", s.downtimes_ms},
              {"totals_ms", s.totals_ms}});
    if (s.continued) j["continued"] = *s.continued;
    return j;
}

nlohmann::json qemu_trial_json(const QemuMigration& m) {
    auto opt = [](const std::optional<uint64_t>& v) {
        return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
    };
    return {{"status", m.status},
            {"total_ms", m.total_ms},
            {"downtime_ms", m.downtime_ms},
            {"setup_ms", m.setup_ms},
            {"transferred_bytes", m.transferred_bytes},
            {"ram_total_bytes", m.ram_total_bytes},
            {"precopy_bytes", m.precopy_bytes},
            {"postcopy_bytes", m.postcopy_bytes},
            {"downtime_bytes", m.downtime_bytes},
            {"dirty_sync_count", m.dirty_sync_count},
            {"precopy_rounds", m.precopy_rounds},
            {"mbps", m.mbps},
            {"continued", m.continued},
            {"source_last", opt(m.source_last)},
            {"destination_first", opt(m.destination_first)}};
}

nlohmann::json ptv_trial_json(const PtvResult& p) {
    nlohmann::json rounds = nlohmann::json::array();
    for (const PtvRound& r : p.rounds)
        rounds.push_back({{"round", r.round},
                          {"pages", r.pages},
                          {"bytes", r.bytes},
                          {"duration_ms", r.duration_ms}});
    return {{"mode", p.mode},
            {"rounds", rounds},
            {"total_ms", p.total_ms},
            {"downtime_ms", p.downtime_ms},
            {"bytes_sent", p.bytes_sent},
            {"memory_bytes", p.memory_bytes}};
}

}  // namespace

std::string render_text(const Results& r) {
    std::string out;
    out +=
        fmt::format("ptvlab    ptv migrate live --downtime-limit {} (pre-copy stop rule: qemu)\n",
                    r.downtime_limit_ms);
    if (r.qemu_skipped.empty()) {
        out += fmt::format("qemu      {} ({}), firmware {}\n", r.qemu_version, r.qemu_path,
                           r.qemu_firmware);
        out += fmt::format(
            "          migrate-set-parameters: downtime-limit {} ms, max-bandwidth {} MiB/s "
            "(QEMU 7.2's default: 128 MiB/s); post-copy: migrate-start-postcopy right after "
            "migrate\n",
            r.downtime_limit_ms, r.qemu_max_bandwidth >> 20);
    } else {
        out += fmt::format("qemu      skipped: {}\n", r.qemu_skipped);
    }
    out += fmt::format("loopback  TCP on 127.0.0.1: {:.0f} MiB/s ({} MiB in 4 MiB writes)\n",
                       r.loopback_bytes_per_s / double(1 << 20), r.loopback_bytes >> 20);
    out += fmt::format(
        "\nLive migration of the counter guest (guests/counter.asm), median of {} trial(s); "
        "wire = memory / loopback bandwidth\n\n",
        r.trials);

    Table t({"memory", "wss", "mode", "ptv down", "ptv total", "ptv bytes", "total/wire",
             "QEMU down", "QEMU total", "QEMU bytes", "total/wire", "down ptv/QEMU",
             "total ptv/QEMU"});
    t.right_align({0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
    for (const Row& row : r.rows) {
        const double wire = r.wire_ms(row.c.memory_mib);
        std::vector<std::string> cells = {fmt::format("{} MiB", row.c.memory_mib),
                                          fmt::format("{} KiB", row.c.wss_kib),
                                          mode_name(row.c.mode)};
        auto side = [&](const Side& s, bool run) {
            if (!run) {
                cells.insert(cells.end(), {"skipped", "-", "-", "-"});
            } else if (!s.ok()) {
                cells.insert(cells.end(), {status_cell(s), "-", "-", "-"});
            } else {
                cells.insert(cells.end(), {ms_text(s.downtime_ms), ms_text(s.total_ms),
                                           bytes_text(s.bytes), ratio_text(s.total_ms / wire)});
            }
        };
        side(row.ptv, true);
        side(row.qemu, row.qemu_run);
        const bool both = row.ptv.ok() && row.qemu.ok();
        cells.push_back(both && row.qemu.downtime_ms > 0
                            ? ratio_text(row.ptv.downtime_ms / row.qemu.downtime_ms)
                            : "-");
        cells.push_back(both ? ratio_text(row.ptv.total_ms / row.qemu.total_ms) : "-");
        t.row(cells);
    }
    out += t.render();

    // Why a side has no numbers, each distinct reason once.
    std::set<std::string> said;
    for (const Row& row : r.rows) {
        if (!row.ptv.status.empty() && said.insert("ptv" + row.ptv.status).second)
            out += fmt::format("ptvlab: {}\n", row.ptv.status);
        if (!row.qemu.status.empty() && said.insert("qemu" + row.qemu.status).second)
            out += fmt::format("QEMU: {}\n", row.qemu.status);
    }
    // QEMU's rows in detail: what it did, and whether the guest went on.
    if (r.qemu_skipped.empty()) {
        out += "\nQEMU rows: pre-copy rounds (dirty-sync-count - 1); the destination guest ";
        out += "went on counting from the source's last line\n";
        for (const Row& row : r.rows) {
            if (!row.qemu.ok()) continue;
            const QemuMigration* last = nullptr;
            for (const auto& m : row.qemu_trials)
                if (m.ok()) last = &m;
            out += fmt::format(
                "  {} MiB {} KiB {}: {:.0f} round(s), {}; last trial: counter {} -> {}, "
                "pre-copy {}, post-copy {}, in downtime {}\n",
                row.c.memory_mib, row.c.wss_kib, mode_name(row.c.mode), row.qemu.rounds,
                row.qemu.continued.value_or(false) ? "continued" : "DID NOT CONTINUE",
                last && last->source_last ? std::to_string(*last->source_last) : "?",
                last && last->destination_first ? std::to_string(*last->destination_first) : "?",
                bytes_text(double(last ? last->precopy_bytes : 0)),
                bytes_text(double(last ? last->postcopy_bytes : 0)),
                bytes_text(double(last ? last->downtime_bytes : 0)));
        }
    }
    out += targets_text(r);
    return out;
}

nlohmann::json render_json(const Results& r) {
    nlohmann::json rows = nlohmann::json::array();
    for (const Row& row : r.rows) {
        nlohmann::json q = nlohmann::json::array(), p = nlohmann::json::array();
        for (const auto& m : row.qemu_trials) q.push_back(qemu_trial_json(m));
        for (const auto& t : row.ptv_trials) p.push_back(ptv_trial_json(t));
        nlohmann::json ptv = side_json(row.ptv), qemu = side_json(row.qemu);
        ptv["trials"] = p;
        qemu["trials"] = q;
        qemu["run"] = row.qemu_run;
        rows.push_back({{"memory_mib", row.c.memory_mib},
                        {"wss_kib", row.c.wss_kib},
                        {"mode", mode_name(row.c.mode)},
                        {"wire_ms", r.wire_ms(row.c.memory_mib)},
                        {"ptv", ptv},
                        {"qemu", qemu}});
    }
    auto or_null = [](const std::string& s) {
        return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
    };
    return {{"benchmark", "migration"},
            {"trials", r.trials},
            {"loopback", {{"bytes", r.loopback_bytes}, {"bytes_per_s", r.loopback_bytes_per_s}}},
            {"qemu",
             {{"path", or_null(r.qemu_path)},
              {"version", or_null(r.qemu_version)},
              {"firmware", or_null(r.qemu_firmware)},
              {"skipped", or_null(r.qemu_skipped)},
              {"downtime_limit_ms", r.downtime_limit_ms},
              {"max_bandwidth", r.qemu_max_bandwidth}}},
            {"targets",
             {{"precopy_downtime_ms", kPreCopyDowntimeTargetMs},
              {"precopy_memory_mib", kPreCopyTargetMemoryMib},
              {"precopy_wss_kib", kPreCopyTargetWssKib},
              {"total_time_ratio", kTotalTimeTargetRatio},
              {"postcopy_downtime_ms", kPostCopyDowntimeTargetMs}}},
            {"rows", rows}};
}

}  // namespace ptv::bench
