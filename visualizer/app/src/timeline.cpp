// Timeline: a track per vCPU, device, thread, LWP, CPU or connection, spans
// at their times, flow arrows between tracks; wheel zooms around the mouse,
// drag pans, a click shows the event's arguments (the guest instruction of
// an exit first).
#include <fmt/format.h>
#include <imgui.h>

#include <algorithm>
#include <cmath>

#include "ptv/viz/app.hpp"

namespace ptv::viz {

namespace {

constexpr float kLabelW = 190, kRowH = 18, kRulerH = 22, kPanelW = 360;

uint32_t state_color(ThreadState s, uint32_t fallback) {
    switch (s) {
        case ThreadState::Running:
            return IM_COL32(89, 161, 79, 255);
        case ThreadState::Ready:
            return IM_COL32(237, 201, 72, 255);
        case ThreadState::Blocked:
            return IM_COL32(225, 87, 89, 255);
        case ThreadState::Other:
            break;
    }
    return fallback;
}

// A "nice" tick step (1, 2, 5 x 10^k) for about `count` ticks over span.
double tick_step(double span, int count) {
    const double raw = span / std::max(count, 1);
    const double p = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (raw <= m * p) return m * p;
    return 10 * p;
}

void args_panel(App& app, const TraceModel& m) {
    const Event& e = m.events()[app.timeline.selected];
    ImGui::TextColored(ImVec4(1, 1, 0.6f, 1), "%s", std::string(m.str(e.name)).c_str());
    ImGui::Text("category  %s", std::string(m.str(e.cat)).c_str());
    if (e.track != kNone) ImGui::Text("track     %s", m.tracks()[e.track].name.c_str());
    ImGui::Text("start     %s", format_us(e.ts).c_str());
    if (e.ph == Phase::Complete) ImGui::Text("duration  %s", format_us(e.dur).c_str());
    if (const std::string insn = arg(e.args, "instruction"); !insn.empty()) {
        ImGui::Separator();
        ImGui::TextColored(ImVec4(0.5f, 0.9f, 1, 1), "guest instruction");
        ImGui::Text("%s  %s", arg(e.args, "rip").c_str(), insn.c_str());
    }
    ImGui::Separator();
    if (e.args.empty()) {
        ImGui::TextDisabled("(no arguments)");
    } else {
        auto j = nlohmann::json::parse(e.args, nullptr, false);
        if (j.is_object())
            for (auto& [k, v] : j.items())
                ImGui::Text("%-14s %s", k.c_str(),
                            v.is_string() ? v.get<std::string>().c_str() : v.dump().c_str());
        else
            ImGui::TextWrapped("%s", std::string(e.args).c_str());
    }
    // Where this event's flows lead.
    for (const auto& f : m.flows()) {
        if (f.from_event == app.timeline.selected && f.to_event != kNone) {
            ImGui::Separator();
            ImGui::Text("flow -> %s", m.tracks()[f.to_track].name.c_str());
            if (ImGui::SmallButton("go to handler")) app.timeline.selected = f.to_event;
            break;
        }
        if (f.to_event == app.timeline.selected && f.from_event != kNone) {
            ImGui::Separator();
            ImGui::Text("flow <- %s", m.tracks()[f.from_track].name.c_str());
            if (ImGui::SmallButton("go to exit")) app.timeline.selected = f.from_event;
            break;
        }
    }
}

}  // namespace

void draw_timeline(App& app, const TraceModel& m) {
    if (m.tracks().empty()) {
        absent(app, "No spans to draw.",
               "The timeline shows X and i events: any ptvlab trace has them (ptv kvm run GUEST "
               "--trace F, ptv threads sim ... --trace F, ptv servers ... --trace F).");
        return;
    }
    TimelineState& st = app.timeline;
    const bool panel = st.selected != kNone && st.selected < m.events().size();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float area_w = std::max(100.0f, avail.x - (panel ? kPanelW + 8 : 0));
    ImGui::TextDisabled("wheel: zoom   drag: pan   click: arguments   double-click: fit");
    ImGui::BeginChild("timeline", ImVec2(area_w, 0), true,
                      ImGuiWindowFlags_NoScrollWithMouse | ImGuiWindowFlags_NoScrollbar);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const ImVec2 size = ImGui::GetContentRegionAvail();
    const float x0 = origin.x + kLabelW, x1 = origin.x + size.x;
    const float plot_w = std::max(1.0f, x1 - x0);
    app.layout.rect("timeline_area", x0, origin.y + kRulerH, plot_w, size.y - kRulerH);

    // Input: zoom around the mouse, drag to pan, vertical wheel scroll with shift.
    ImGui::InvisibleButton("canvas", size, ImGuiButtonFlags_MouseButtonLeft);
    const bool hovered = ImGui::IsItemHovered();
    ImGuiIO& io = ImGui::GetIO();
    double span = std::max(st.t1 - st.t0, 1e-6);
    auto time_at = [&](float x) { return st.t0 + double(x - x0) / plot_w * span; };
    auto x_at = [&](double t) { return x0 + float((t - st.t0) / span * plot_w); };
    if (hovered && io.MouseWheel != 0 && !io.KeyShift) {
        const double at = time_at(io.MousePos.x);
        const double k = std::pow(0.8, io.MouseWheel);
        st.t0 = at - (at - st.t0) * k;
        st.t1 = at + (st.t1 - at) * k;
        st.fitted = true;
    } else if (hovered && io.MouseWheel != 0) {
        st.scroll_y = std::max(0.0f, st.scroll_y - io.MouseWheel * 3 * kRowH);
    }
    if (ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 2)) {
        const double dt = double(io.MouseDelta.x) / plot_w * span;
        st.t0 -= dt;
        st.t1 -= dt;
        st.scroll_y = std::max(0.0f, st.scroll_y - io.MouseDelta.y);
    }
    if (hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) {
        st.t0 = m.t_min();
        st.t1 = std::max(m.t_max(), m.t_min() + 1);
    }
    span = std::max(st.t1 - st.t0, 1e-6);
    const bool clicked = hovered && ImGui::IsMouseReleased(ImGuiMouseButton_Left) &&
                         std::abs(ImGui::GetMouseDragDelta(ImGuiMouseButton_Left, 0).x) < 3;

    // Ruler.
    dl->PushClipRect(ImVec2(origin.x, origin.y), ImVec2(x1, origin.y + size.y), true);
    dl->AddRectFilled(ImVec2(origin.x, origin.y), ImVec2(x1, origin.y + kRulerH),
                      IM_COL32(40, 40, 48, 255));
    const double step = tick_step(span, int(plot_w / 110));
    for (double t = std::ceil(st.t0 / step) * step; t <= st.t1; t += step) {
        const float x = x_at(t);
        dl->AddLine(ImVec2(x, origin.y + kRulerH - 6), ImVec2(x, origin.y + size.y),
                    IM_COL32(255, 255, 255, 22));
        dl->AddText(ImVec2(x + 3, origin.y + 3), IM_COL32(200, 200, 200, 255),
                    format_us(t).c_str());
    }

    // Tracks.
    const auto& ev = m.events();
    std::vector<float> track_y(m.tracks().size(), -1);
    float y = origin.y + kRulerH + 4 - st.scroll_y;
    int last_pid = INT32_MIN;
    uint32_t hit = kNone;
    const float bottom = origin.y + size.y;
    size_t drawn = 0;
    for (uint32_t ti : m.track_order()) {
        const Track& t = m.tracks()[ti];
        if (t.pid != last_pid) {
            last_pid = t.pid;
            if (y > origin.y + kRulerH - kRowH && y < bottom)
                dl->AddText(ImVec2(origin.x + 2, y), IM_COL32(150, 190, 255, 255),
                            m.process_name(t.pid).c_str());
            y += kRowH;
        }
        const float h = kRowH * float(t.max_depth + 1);
        track_y[ti] = y;
        if (y + h < origin.y + kRulerH || y > bottom) {
            y += h + 4;
            continue;
        }
        dl->AddRectFilled(ImVec2(origin.x, y), ImVec2(x1, y + h), IM_COL32(255, 255, 255, 8));
        dl->AddText(ImVec2(origin.x + 6, y + 2), IM_COL32(230, 230, 230, 255), t.name.c_str());
        dl->PushClipRect(ImVec2(x0, std::max(y, origin.y + kRulerH)), ImVec2(x1, y + h), true);
        // Visible spans: from the first that can reach t0. Spans narrower
        // than a pixel are drawn once per pixel (level of detail): after one
        // is drawn the search jumps to the next pixel's time.
        auto it = std::lower_bound(t.spans.begin(), t.spans.end(), st.t0 - t.max_dur,
                                   [&](uint32_t i, double v) { return ev[i].ts < v; });
        const double px_us = span / plot_w;
        while (it != t.spans.end()) {
            const Event& e = ev[*it];
            if (e.ts > st.t1) break;
            const size_t j = size_t(it - t.spans.begin());
            if (e.end() < st.t0) {
                ++it;
                continue;
            }
            const float ex0 = std::max(x0, x_at(e.ts));
            const float ex1 = std::min(x1, std::max(x_at(e.end()), ex0 + 1));
            const float ey = y + kRowH * t.depth[j];
            uint32_t col = color_for(m.str(e.name));
            if (t.kind == TrackKind::UserThread || t.kind == TrackKind::Lwp ||
                t.kind == TrackKind::Cpu)
                col = state_color(thread_state(m, e), col);
            if (*it == st.selected) col = IM_COL32(255, 255, 255, 255);
            if (e.ph == Phase::Instant) {
                dl->AddTriangleFilled(ImVec2(ex0, ey + 2), ImVec2(ex0 - 4, ey + kRowH - 3),
                                      ImVec2(ex0 + 4, ey + kRowH - 3), col);
            } else {
                dl->AddRectFilled(ImVec2(ex0, ey + 1), ImVec2(ex1, ey + kRowH - 1), col);
                if (ex1 - ex0 > 40) {
                    // Clipped on the CPU: a clip rect per label would cost a
                    // draw call each, the dearest thing for software rendering.
                    const std::string_view n = m.str(e.name);
                    const ImVec4 clip(ex0, ey, ex1 - 2, ey + kRowH);
                    dl->AddText(ImGui::GetFont(), ImGui::GetFontSize(), ImVec2(ex0 + 3, ey + 2),
                                IM_COL32(15, 15, 15, 255), n.data(), n.data() + n.size(), 0, &clip);
                }
            }
            ++drawn;
            const ImVec2 mp = io.MousePos;
            if (hovered && mp.y >= ey && mp.y < ey + kRowH && mp.x >= ex0 - 2 && mp.x <= ex1 + 2)
                hit = *it;
            if (e.dur < px_us) {
                // Jump to the first span starting in the next pixel column.
                const double next = e.ts + px_us;
                it = std::lower_bound(it + 1, t.spans.end(), next,
                                      [&](uint32_t i, double v) { return ev[i].ts < v; });
            } else {
                ++it;
            }
        }
        dl->PopClipRect();
        y += h + 4;
    }

    // Flow arrows (exit -> notification), for the flows in view.
    const auto& flows = m.flows();
    auto fit = std::lower_bound(app.flows_by_time.begin(), app.flows_by_time.end(), st.t0,
                                [&](uint32_t i, double v) { return flows[i].from_ts < v; });
    // Arrows closer than a few pixels apart are noise: then none are drawn
    // (zoom in to see them).
    const auto fend = std::upper_bound(fit, app.flows_by_time.end(), st.t1,
                                       [&](double v, uint32_t i) { return v < flows[i].from_ts; });
    if (fend - fit < std::ptrdiff_t(plot_w / 6)) {
        for (; fit != fend; ++fit) {
            const Flow& f = flows[*fit];
            if (f.from_track == kNone || f.to_track == kNone) continue;
            const float fy = track_y[f.from_track], ty = track_y[f.to_track];
            if (fy < 0 || ty < 0) continue;
            const ImVec2 a(x_at(f.from_ts), fy + kRowH - 2), b(x_at(f.to_ts), ty + 2);
            dl->AddLine(a, b, IM_COL32(255, 255, 255, 110));
            dl->AddTriangleFilled(b, ImVec2(b.x - 3, b.y - 5), ImVec2(b.x + 3, b.y - 5),
                                  IM_COL32(255, 255, 255, 160));
        }
    }
    dl->PopClipRect();
    app.layout.j["spans_drawn"] = drawn;
    app.layout.j["tracks"] = m.tracks().size();

    if (hit != kNone) {
        const Event& e = ev[hit];
        ImGui::BeginTooltip();
        ImGui::Text("%s  (%s)", std::string(m.str(e.name)).c_str(), format_us(e.dur).c_str());
        if (auto insn = arg(e.args, "instruction"); !insn.empty()) ImGui::Text("%s", insn.c_str());
        ImGui::EndTooltip();
        if (clicked) st.selected = hit;
    }
    ImGui::EndChild();

    if (panel) {
        ImGui::SameLine();
        ImGui::BeginChild("args", ImVec2(kPanelW, 0), true);
        args_panel(app, m);
        if (ImGui::SmallButton("close")) st.selected = kNone;
        ImGui::EndChild();
    }
}

}  // namespace ptv::viz
