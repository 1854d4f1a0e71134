// Exits: how many exits of each reason, handled by which device, and their
// rate over time (a line per reason).
#include <fmt/format.h>
#include <imgui.h>

#include <algorithm>

#include "ptv/viz/app.hpp"

namespace ptv::viz {

namespace {

// Horizontal bars, one per row, scaled to the largest; records each bar's
// rect under `key` for the screenshot tests.
void bars(App& app, const char* title, const std::vector<ExitStats::Row>& rows, float w,
          const char* key) {
    ImGui::Text("%s", title);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float label_w = 130, row_h = 22, bar_max = std::max(40.0f, w - label_w - 190);
    uint64_t top = 1;
    for (const auto& r : rows) top = std::max(top, r.count);
    app.layout.j[key] = nlohmann::json::array();
    for (size_t i = 0; i < rows.size(); ++i) {
        const auto& r = rows[i];
        const float y = p.y + float(i) * row_h;
        dl->AddText(ImVec2(p.x, y + 3), IM_COL32(230, 230, 230, 255), r.name.c_str());
        const float bw = std::max(2.0f, bar_max * float(double(r.count) / double(top)));
        dl->AddRectFilled(ImVec2(p.x + label_w, y + 2), ImVec2(p.x + label_w + bw, y + row_h - 2),
                          color_for(r.name));
        app.layout.add(key, p.x + label_w, y + 2, bw, row_h - 4);
        const std::string text =
            fmt::format("{}  ({} mean)", r.count, format_us(r.total_ns / 1000.0 / double(r.count)));
        dl->AddText(ImVec2(p.x + label_w + bw + 6, y + 3), IM_COL32(200, 200, 200, 255),
                    text.c_str());
    }
    ImGui::Dummy(ImVec2(w, row_h * float(rows.size()) + 8));
}

// Exits per second in each time bin, a line per row, with its legend;
// records the plot's rect under `key`.
void rate_chart(App& app, const ExitStats& s, const char* title,
                const std::vector<ExitStats::Row>& rows,
                const std::vector<std::vector<uint32_t>>& rate, float height, const char* key) {
    ImGui::Text("rate over time, %s (exits/s, %s bins)", title, format_us(s.bin_us).c_str());
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float w = ImGui::GetContentRegionAvail().x;
    const float legend_h = 20.0f * float((rows.size() + 2) / 3);
    const float pw = w - 60, ph = std::max(40.0f, height - 44 - legend_h);
    const ImVec2 a(p.x + 56, p.y + 4), b(a.x + pw, a.y + ph);
    dl->AddRect(a, b, IM_COL32(120, 120, 120, 255));
    app.layout.rect(key, a.x, a.y, pw, ph);
    uint32_t top = 1;
    for (const auto& row : rate)
        for (uint32_t v : row) top = std::max(top, v);
    const double per_s = 1e6 / s.bin_us;
    for (int k = 0; k <= 2; ++k) {
        const float y = b.y - ph * float(k) / 2;
        dl->AddLine(ImVec2(a.x, y), ImVec2(b.x, y), IM_COL32(255, 255, 255, 25));
        const double v = double(top) * per_s * k / 2;
        const std::string label = v >= 1e6   ? fmt::format("{:.3g}M", v / 1e6)
                                  : v >= 1e3 ? fmt::format("{:.3g}k", v / 1e3)
                                             : fmt::format("{:.3g}", v);
        dl->AddText(ImVec2(p.x, y - 7), IM_COL32(180, 180, 180, 255), label.c_str());
    }
    for (size_t r = 0; r < rate.size(); ++r) {
        const auto& row = rate[r];
        const uint32_t col = color_for(rows[r].name);
        for (size_t i = 0; i + 1 < row.size(); ++i) {
            const float xa = a.x + pw * float(i + 0.5) / float(row.size());
            const float xb = a.x + pw * float(i + 1.5) / float(row.size());
            dl->AddLine(ImVec2(xa, b.y - ph * float(row[i]) / float(top)),
                        ImVec2(xb, b.y - ph * float(row[i + 1]) / float(top)), col, 2.0f);
        }
    }
    const std::string end = format_us(s.t0 + s.bin_us * double(rate.empty() ? 0 : rate[0].size()));
    dl->AddText(ImVec2(a.x, b.y + 3), IM_COL32(180, 180, 180, 255), format_us(s.t0).c_str());
    dl->AddText(ImVec2(b.x - ImGui::CalcTextSize(end.c_str()).x, b.y + 3),
                IM_COL32(180, 180, 180, 255), end.c_str());
    for (size_t r = 0; r < rows.size(); ++r) {
        const float lx = a.x + float(r % 3) * (pw / 3), ly = b.y + 22 + float(r / 3) * 20;
        dl->AddRectFilled(ImVec2(lx, ly + 3), ImVec2(lx + 14, ly + 15), color_for(rows[r].name));
        dl->AddText(ImVec2(lx + 20, ly + 1), IM_COL32(220, 220, 220, 255), rows[r].name.c_str());
    }
    ImGui::Dummy(ImVec2(w, height - 18));
}

}  // namespace

void draw_exits(App& app, const TraceModel& m) {
    const ExitStats& s = app.exits;
    if (s.total == 0) {
        absent(app, "This trace has no exits (no `vmexit` or `trap` events).",
               "Exits come from real runs (ptv kvm run GUEST --trace F) and from the CPU model "
               "(ptv vmm run GUEST -t vmx --trace F; -t trap-emulate gives `trap` events).");
        return;
    }
    ImGui::Text("%llu %s events; %zu reasons, %zu devices", (unsigned long long)s.total,
                s.category.c_str(), s.by_reason.size(), s.by_device.size());
    if (m.metadata.contains("dropped_exits") && m.metadata["dropped_exits"].is_number() &&
        m.metadata["dropped_exits"].get<double>() > 0)
        ImGui::TextColored(ImVec4(1, 0.6f, 0.3f, 1), "%s exits were dropped from the trace buffer",
                           m.metadata["dropped_exits"].dump().c_str());
    const float w = ImGui::GetContentRegionAvail().x;
    ImGui::BeginChild("counts", ImVec2(w * 0.45f, 0));
    bars(app, "by exit reason", s.by_reason, w * 0.45f, "reason_bars");
    ImGui::Spacing();
    bars(app, s.category == "trap" ? "by track" : "by device", s.by_device, w * 0.45f,
         "device_bars");
    ImGui::EndChild();
    ImGui::SameLine();

    // Rate over time: exits per second in each bin, a line per reason,
    // then a line per device.
    ImGui::BeginChild("rate", ImVec2(0, 0));
    const float h = ImGui::GetContentRegionAvail().y / 2 - 4;
    rate_chart(app, s, "by exit reason", s.by_reason, s.rate, h, "rate_area");
    rate_chart(app, s, s.category == "trap" ? "by track" : "by device", s.by_device, s.device_rate,
               h, "device_rate_area");
    ImGui::EndChild();
}

}  // namespace ptv::viz
