// Notifications: the path of one exit, drawn as a sequence diagram from the
// flow events -- the guest exits, the dispatcher (VND) notifies the device's
// handler, the handler returns, the vCPU resumes -- and each device's mean
// latencies, and the list of exits to pick from.
#include <fmt/format.h>
#include <imgui.h>

#include <algorithm>

#include "ptv/viz/app.hpp"

namespace ptv::viz {

namespace {

void arrow(ImDrawList* dl, ImVec2 a, ImVec2 b, uint32_t col, const std::string& label) {
    dl->AddLine(a, b, col, 2.0f);
    const float dir = b.x >= a.x ? 1.0f : -1.0f;
    dl->AddTriangleFilled(b, ImVec2(b.x - 9 * dir, b.y - 5), ImVec2(b.x - 9 * dir, b.y + 5), col);
    const float x = std::min(a.x, b.x) + 8;
    dl->AddText(ImVec2(x, a.y - 17), IM_COL32(235, 235, 235, 255), label.c_str());
}

}  // namespace

void draw_notifications(App& app, const TraceModel& m) {
    const Notifications& n = app.notes;
    if (n.chains.empty()) {
        absent(app, "This trace has no notification flows (vmexit -> notification).",
               "They come from the notification dispatcher: ptv kvm run GUEST --trace F, or ptv "
               "vmm run GUEST -t vmx --trace F (flow events s/f join each exit to its device's "
               "notification).");
        return;
    }
    if (app.selected_chain < 0 || size_t(app.selected_chain) >= n.chains.size()) {
        // Start on an exit a device handled (not the worker's own policy).
        app.selected_chain = 0;
        for (size_t i = 0; i < n.chains.size(); ++i)
            if (m.tracks()[n.chains[i].device_track].kind == TrackKind::Device &&
                m.tracks()[n.chains[i].device_track].name.rfind("vcpu", 0) != 0) {
                app.selected_chain = int(i);
                break;
            }
    }
    const NotificationChain& c = n.chains[size_t(app.selected_chain)];
    const Event& x = m.events()[c.exit_event];
    const std::string device = m.tracks()[c.device_track].name;

    const float w = ImGui::GetContentRegionAvail().x;
    ImGui::Text("exit %d of %zu: %s", app.selected_chain + 1, n.chains.size(),
                std::string(m.str(x.name)).c_str());
    ImGui::SameLine();
    if (ImGui::SmallButton("< previous") && app.selected_chain > 0) --app.selected_chain;
    ImGui::SameLine();
    if (ImGui::SmallButton("next >") && size_t(app.selected_chain) + 1 < n.chains.size())
        ++app.selected_chain;

    // The sequence diagram: three lifelines, time downwards.
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float h = 250, top = p.y + 30;
    const float lx[3] = {p.x + w * 0.12f, p.x + w * 0.45f, p.x + w * 0.78f};
    const char* names[3] = {"guest (vCPU 0)", "dispatcher (VND)", nullptr};
    const std::string dev_label = "handler: " + device;
    names[2] = dev_label.c_str();
    for (int i = 0; i < 3; ++i) {
        const ImVec2 ts = ImGui::CalcTextSize(names[i]);
        dl->AddRectFilled(ImVec2(lx[i] - ts.x / 2 - 8, p.y), ImVec2(lx[i] + ts.x / 2 + 8, p.y + 24),
                          IM_COL32(60, 70, 95, 255), 4);
        dl->AddText(ImVec2(lx[i] - ts.x / 2, p.y + 5), IM_COL32(255, 255, 255, 255), names[i]);
        dl->AddLine(ImVec2(lx[i], top), ImVec2(lx[i], top + h), IM_COL32(150, 150, 150, 160), 1);
    }
    app.layout.rect("sequence_area", p.x, p.y, w, h + 30);
    const std::string insn = arg(x.args, "instruction");
    const std::string what =
        fmt::format("exit: {} {}{}", std::string(m.str(x.name)),
                    arg(x.args, "port").empty() ? arg(x.args, "address") : arg(x.args, "port"),
                    insn.empty() ? "" : "  [" + insn + "]");
    const float y1 = top + 30, y2 = top + 90, y3 = top + 150, y4 = top + 210;
    const uint32_t exit_col = color_for(m.str(x.name));
    dl->AddRectFilled(ImVec2(lx[2] - 6, y2), ImVec2(lx[2] + 6, y3), IM_COL32(242, 142, 43, 255));
    dl->AddRectFilled(ImVec2(lx[1] - 4, y1), ImVec2(lx[1] + 4, y4), IM_COL32(78, 121, 167, 255));
    arrow(dl, ImVec2(lx[0], y1), ImVec2(lx[1], y1), exit_col, what);
    arrow(dl, ImVec2(lx[1], y2), ImVec2(lx[2], y2), IM_COL32(200, 200, 255, 255),
          fmt::format("notify  (+{})", format_us(c.t_notify - c.t_exit)));
    arrow(dl, ImVec2(lx[2], y3), ImVec2(lx[1], y3), IM_COL32(200, 200, 255, 255),
          fmt::format("handled (+{})", format_us(c.t_done - c.t_notify)));
    arrow(
        dl, ImVec2(lx[1], y4), ImVec2(lx[0], y4), IM_COL32(89, 161, 79, 255),
        fmt::format("resume guest (+{}; total {})", format_us(std::max(0.0, c.t_resume - c.t_done)),
                    format_us(c.t_resume - c.t_exit)));
    ImGui::Dummy(ImVec2(w, h + 40));

    // Per device: mean time to dispatch, in the handler, back to the guest.
    ImGui::Text("mean latencies by device");
    if (ImGui::BeginTable("devices", 5, ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg,
                          ImVec2(w * 0.6f, 0))) {
        for (const char* h2 : {"device", "exits", "to dispatch", "in handler", "back to guest"})
            ImGui::TableSetupColumn(h2);
        ImGui::TableHeadersRow();
        for (const auto& d : n.devices) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::Text("%s", d.device.c_str());
            ImGui::TableNextColumn();
            ImGui::Text("%llu", (unsigned long long)d.count);
            ImGui::TableNextColumn();
            ImGui::Text("%s", format_us(d.dispatch_us).c_str());
            ImGui::TableNextColumn();
            ImGui::Text("%s", format_us(d.handler_us).c_str());
            ImGui::TableNextColumn();
            ImGui::Text("%s", format_us(d.return_us).c_str());
        }
        ImGui::EndTable();
    }
    app.layout.j["devices"] = n.devices.size();

    // The exits, to pick one (clipped: a million rows cost nothing).
    ImGui::Text("exits (click one)");
    ImGui::BeginChild("chains", ImVec2(0, 0), true);
    ImGuiListClipper clip;
    clip.Begin(int(n.chains.size()));
    while (clip.Step())
        for (int i = clip.DisplayStart; i < clip.DisplayEnd; ++i) {
            const auto& ch = n.chains[size_t(i)];
            const Event& e = m.events()[ch.exit_event];
            const std::string row =
                fmt::format("{:>10}  {:<8} -> {:<28} handler {}", format_us(ch.t_exit),
                            std::string(m.str(e.name)), m.tracks()[ch.device_track].name,
                            format_us(ch.t_done - ch.t_notify));
            if (ImGui::Selectable(row.c_str(), i == app.selected_chain)) app.selected_chain = i;
        }
    ImGui::EndChild();
}

}  // namespace ptv::viz
