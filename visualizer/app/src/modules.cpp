// The module views: threads (Gantt of user threads over LWPs over CPUs),
// servers (request spans split into queueing, service and disk), migration
// (pages per pre-copy round, the downtime, post-copy's degraded window
// and remote faults), binary translation (the
// translation cache's blocks and chains) and cluster (hosts as rows, VMs as
// bars on them, live migrations as arrows between rows). Each says plainly
// when its trace category is absent.
#include <fmt/format.h>
#include <imgui.h>

#include <algorithm>
#include <cmath>

#include "ptv/viz/app.hpp"

namespace ptv::viz {

namespace {

constexpr uint32_t kRunning = IM_COL32(89, 161, 79, 255), kReady = IM_COL32(237, 201, 72, 255),
                   kBlocked = IM_COL32(225, 87, 89, 255), kOther = IM_COL32(140, 140, 150, 255);

void legend(std::initializer_list<std::pair<const char*, uint32_t>> items) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    for (auto [name, col] : items) {
        const ImVec2 p = ImGui::GetCursorScreenPos();
        dl->AddRectFilled(ImVec2(p.x, p.y + 2), ImVec2(p.x + 14, p.y + 14), col);
        ImGui::Dummy(ImVec2(18, 14));
        ImGui::SameLine();
        ImGui::Text("%s", name);
        ImGui::SameLine(0, 18);
    }
    ImGui::NewLine();
}

// A time axis under a plot from t0 to t1 over [x, x + w].
void axis(ImDrawList* dl, float x, float y, float w, double t0, double t1) {
    for (int k = 0; k <= 5; ++k) {
        const float xx = x + w * float(k) / 5;
        const std::string label = format_us(t0 + (t1 - t0) * k / 5);
        const float tw = k == 5 ? ImGui::CalcTextSize(label.c_str()).x + 4 : -2;
        dl->AddLine(ImVec2(xx, y), ImVec2(xx, y + 4), IM_COL32(160, 160, 160, 255));
        dl->AddText(ImVec2(xx - tw, y + 3), IM_COL32(170, 170, 170, 255), label.c_str());
    }
}

}  // namespace

void draw_threads(App& app, const TraceModel& m) {
    const Gantt& g = app.gantt;
    if (g.lanes.empty()) {
        absent(app, "This trace has no `thread` events.",
               "They come from the threading models: ptv threads sim -s 1 --trace F (user threads "
               "over LWPs over CPUs), ptv threads demo blocking --trace F.");
        return;
    }
    legend({{"running", kRunning}, {"ready", kReady}, {"blocked", kBlocked}, {"other", kOther}});
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float label_w = 190, x0 = p.x + label_w, w = avail.x - label_w - 10;
    const float row_h = std::clamp((avail.y - 80) / float(g.lanes.size() + 4), 10.0f, 30.0f);
    const double span = std::max(g.t1 - g.t0, 1e-6);
    float y = p.y;
    TrackKind group = TrackKind::Other;
    bool first = true;
    int last_pid = INT32_MIN;
    bool several_pids = false;
    for (const auto& lane : g.lanes)
        several_pids |= m.tracks()[lane.track].pid != m.tracks()[g.lanes[0].track].pid;
    app.layout.rect("gantt_area", x0, p.y, w, 0);
    for (const auto& lane : g.lanes) {
        const TrackKind k = lane.kind == TrackKind::Lwp || lane.kind == TrackKind::Cpu
                                ? lane.kind
                                : TrackKind::UserThread;
        if (first || k != group) {
            const char* title = k == TrackKind::Lwp   ? "LWPs / kernel threads"
                                : k == TrackKind::Cpu ? "CPUs"
                                                      : "user threads";
            dl->AddText(ImVec2(p.x, y + 2), IM_COL32(150, 190, 255, 255), title);
            y += 20;
            group = k;
            last_pid = INT32_MIN;
            first = false;
        }
        const Track& t = m.tracks()[lane.track];
        if (several_pids && t.pid != last_pid) {
            // One trace, several runs (e.g. a demo's modes): name each.
            dl->AddText(ImVec2(p.x + 6, y + 1), IM_COL32(150, 150, 150, 255),
                        m.process_name(t.pid).c_str());
            y += 16;
        }
        last_pid = t.pid;
        dl->AddText(ImVec2(p.x + 12, y + (row_h - 14) / 2), IM_COL32(230, 230, 230, 255),
                    t.name.c_str());
        dl->AddRectFilled(ImVec2(x0, y), ImVec2(x0 + w, y + row_h - 2),
                          IM_COL32(255, 255, 255, 10));
        for (uint32_t i : t.spans) {
            const Event& e = m.events()[i];
            const float a = x0 + float((e.ts - g.t0) / span * w);
            const float b = std::max(a + 1, x0 + float((e.end() - g.t0) / span * w));
            const ThreadState s = thread_state(m, e);
            const uint32_t col = s == ThreadState::Running   ? kRunning
                                 : s == ThreadState::Ready   ? kReady
                                 : s == ThreadState::Blocked ? kBlocked
                                                             : kOther;
            dl->AddRectFilled(ImVec2(a, y), ImVec2(b - 1, y + row_h - 2), col);
            // Which thread runs there (LWP and CPU lanes): "RUNNING U1" -> "U1".
            std::string_view n = m.str(e.name);
            const size_t sp = n.rfind(' ');
            const std::string who(sp == std::string_view::npos ? n : n.substr(sp + 1));
            if (t.kind != TrackKind::UserThread && b - a > 22 && who.size() <= 6 &&
                who != "switch") {
                dl->AddText(ImVec2(a + 3, y + (row_h - 14) / 2), IM_COL32(20, 20, 20, 255),
                            who.c_str());
            }
        }
        y += row_h;
    }
    app.layout.j["gantt_area"][3] = y - p.y;
    app.layout.j["lanes"] = g.lanes.size();
    axis(dl, x0, y + 2, w, g.t0, g.t1);
    ImGui::Dummy(ImVec2(avail.x, y - p.y + 24));
}

void draw_servers(App& app, const TraceModel& m) {
    const Requests& r = app.reqs;
    if (r.spans.empty()) {
        absent(app, "This trace has no `request` events.",
               "They come from the servers: ptv servers run ARCH --trace F under load, or ptv "
               "servers sim -s 1 --trace F.");
        return;
    }
    ImGui::Text("%zu requests on %zu connections/clients; mean queueing %s, service %s, disk %s",
                r.spans.size(), r.connections, format_us(r.mean_queueing_us).c_str(),
                format_us(r.mean_service_us).c_str(), format_us(r.mean_disk_us).c_str());
    const uint32_t kQ = IM_COL32(237, 201, 72, 255), kS = IM_COL32(78, 121, 167, 255),
                   kD = IM_COL32(176, 122, 161, 255);
    legend({{"queueing", kQ}, {"service (CPU)", kS}, {"disk", kD}});
    // One row per request, in arrival order, its parts at their offsets from
    // the arrival (so rows line up by what each request waited for).
    double longest = 1e-6;
    for (const auto& s : r.spans) longest = std::max(longest, s.total_us);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float label_w = 330, w = avail.x - label_w - 20;
    ImGui::BeginChild("requests", ImVec2(0, avail.y - 24), false);
    dl = ImGui::GetWindowDrawList();
    const float row_h = 16;
    ImGuiListClipper clip;
    clip.Begin(int(r.spans.size()), row_h);
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    app.layout.rect("requests_area", origin.x + label_w, origin.y, w, 0);
    while (clip.Step())
        for (int i = clip.DisplayStart; i < clip.DisplayEnd; ++i) {
            const auto& s = r.spans[size_t(i)];
            const ImVec2 p = ImGui::GetCursorScreenPos();
            // "servers sim: fsm" + "client C2" -> "fsm client C2".
            const Track& t = m.tracks()[s.track];
            std::string server = m.process_name(t.pid);
            server =
                server.substr(server.rfind(": ") == std::string::npos ? 0 : server.rfind(": ") + 2);
            const std::string label =
                fmt::format("{:>9}  {} {}", format_us(s.arrive), server, t.name);
            dl->AddText(ImVec2(p.x, p.y), IM_COL32(210, 210, 210, 255), label.c_str());
            const float x0 = p.x + label_w;
            dl->AddRectFilled(ImVec2(x0, p.y + 2),
                              ImVec2(x0 + float(s.total_us / longest * w), p.y + row_h - 2),
                              IM_COL32(255, 255, 255, 25));
            for (const auto& seg : s.segments) {
                const float a = x0 + float(seg.offset_us / longest * w);
                const float b =
                    std::max(a + 1, x0 + float((seg.offset_us + seg.dur_us) / longest * w));
                const uint32_t col = seg.part == RequestSpan::Part::Queueing ? kQ
                                     : seg.part == RequestSpan::Part::Disk   ? kD
                                                                             : kS;
                dl->AddRectFilled(ImVec2(a, p.y + 2), ImVec2(b, p.y + row_h - 2), col);
            }
            ImGui::Dummy(ImVec2(label_w + w, row_h));
        }
    ImGui::EndChild();
    axis(ImGui::GetWindowDrawList(), ImGui::GetCursorScreenPos().x + label_w,
         ImGui::GetCursorScreenPos().y, w, 0, longest);
    app.layout.j["requests"] = r.spans.size();
}

void draw_migration(App& app, const TraceModel&) {
    const Migration& g = app.mig;
    if (g.rounds.empty() && g.degraded_us < 0) {
        absent(app, "This trace has no `migration` events.",
               "Migration traces (ptv migrate sim|live --trace) carry, in category `migration`, an "
               "X span \"round\" per pre-copy round with args round, pages_sent, pages_dirtied, "
               "and an X span \"downtime\" (or \"stop-and-copy\") for the pause.");
        return;
    }
    if (g.downtime_us >= 0)
        ImGui::Text("%zu rounds; downtime %s at %s", g.rounds.size(),
                    format_us(g.downtime_us).c_str(), format_us(g.downtime_ts).c_str());
    else
        ImGui::Text("%zu rounds; no downtime event", g.rounds.size());
    const bool post = g.degraded_us >= 0;
    if (post)
        ImGui::Text("post-copy: degraded window %s from %s; %zu remote faults",
                    format_us(g.degraded_us).c_str(), format_us(g.degraded_ts).c_str(),
                    g.remote_faults.size());
    const uint32_t kSent = IM_COL32(78, 121, 167, 255), kDirty = IM_COL32(242, 142, 43, 255);
    if (post)
        legend({{"pages sent", kSent},
                {"pages dirtied", kDirty},
                {"downtime", kBlocked},
                {"degraded (post-copy)", kReady},
                {"remote fault", IM_COL32(255, 255, 255, 255)}});
    else
        legend({{"pages sent", kSent}, {"pages dirtied", kDirty}, {"downtime", kBlocked}});
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    // Post-copy gets a time strip at the bottom: rounds, downtime, the
    // degraded window and a tick per remote fault.
    const float strip_h = post ? 70 : 0;
    const float x0 = p.x + 60, w = avail.x - 80, h = avail.y - 50 - strip_h, base = p.y + h;
    if (!g.rounds.empty()) {
        double top = 1;
        for (const auto& r : g.rounds) top = std::max({top, r.pages_sent, r.pages_dirtied});
        const float slot = w / float(g.rounds.size());
        for (int k = 0; k <= 4; ++k) {
            const float y = base - h * float(k) / 4;
            dl->AddLine(ImVec2(x0, y), ImVec2(x0 + w, y), IM_COL32(255, 255, 255, 25));
            dl->AddText(ImVec2(p.x, y - 7), IM_COL32(180, 180, 180, 255),
                        fmt::format("{:.0f}", top * k / 4).c_str());
        }
        for (size_t i = 0; i < g.rounds.size(); ++i) {
            const auto& r = g.rounds[i];
            const float a = x0 + slot * float(i) + slot * 0.1f, bw = slot * 0.38f;
            const bool down = g.downtime_us >= 0 && r.ts >= g.downtime_ts;
            dl->AddRectFilled(ImVec2(a, base - h * float(r.pages_sent / top)), ImVec2(a + bw, base),
                              kSent);
            dl->AddRectFilled(ImVec2(a + bw, base - h * float(r.pages_dirtied / top)),
                              ImVec2(a + 2 * bw, base), kDirty);
            app.layout.add("round_bars", a, base - h * float(r.pages_sent / top), bw,
                           h * float(r.pages_sent / top));
            if (down)
                dl->AddRect(ImVec2(a - 3, p.y), ImVec2(a + 2 * bw + 3, base), kBlocked, 0, 0, 2);
            dl->AddText(ImVec2(a, base + 4), IM_COL32(200, 200, 200, 255),
                        fmt::format("round {}", r.round).c_str());
        }
    }
    if (post) {
        double t0 = g.degraded_ts, t1 = g.degraded_ts + g.degraded_us;
        for (const auto& r : g.rounds) t0 = std::min(t0, r.ts);
        if (g.downtime_us >= 0) t0 = std::min(t0, g.downtime_ts);
        if (t1 <= t0) t1 = t0 + 1;
        // Without rounds (pure post-copy) the strip is the whole view.
        const bool alone = g.rounds.empty();
        const float y = alone ? p.y + 20 : base + 30, bh = alone ? 80 : 22;
        auto x = [&](double t) { return x0 + w * float((t - t0) / (t1 - t0)); };
        for (const auto& r : g.rounds)
            if (r.ts < g.degraded_ts)
                dl->AddRectFilled(ImVec2(x(r.ts), y),
                                  ImVec2(std::max(x(r.ts + r.dur), x(r.ts) + 1), y + bh), kSent);
        if (g.downtime_us >= 0)
            dl->AddRectFilled(
                ImVec2(x(g.downtime_ts), y),
                ImVec2(std::max(x(g.downtime_ts + g.downtime_us), x(g.downtime_ts) + 2), y + bh),
                kBlocked);
        dl->AddRectFilled(ImVec2(x(g.degraded_ts), y),
                          ImVec2(x(g.degraded_ts + g.degraded_us), y + bh), kReady);
        app.layout.rect("degraded", x(g.degraded_ts), y,
                        x(g.degraded_ts + g.degraded_us) - x(g.degraded_ts), bh);
        for (double f : g.remote_faults)
            dl->AddLine(ImVec2(x(f), y - 4), ImVec2(x(f), y + bh + 4),
                        IM_COL32(255, 255, 255, 200));
        app.layout.j["remote_faults"] = g.remote_faults.size();
        dl->AddText(ImVec2(p.x, y + 4), IM_COL32(200, 200, 200, 255), "time");
        axis(dl, x0, y + bh + 2, w, t0, t1);
    }
    ImGui::Dummy(ImVec2(avail.x, h + 30 + strip_h));
}

void draw_bt(App& app, const TraceModel&) {
    const TranslationCacheView& c = app.bt;
    if (c.blocks.empty()) {
        absent(app, "This trace has no `bt` (binary translation) events.",
               "Binary-translation traces (ptv vmm run -t binary-translation --trace) carry, in "
               "category `bt`: \"translate\" "
               "with args block (\"0x...\") and size; \"chain\" with args from and to; "
               "\"cache-hit\" and \"callout\" with args block.");
        return;
    }
    uint64_t translations = 0, hits = 0, callouts = 0;
    for (const auto& b : c.blocks) {
        translations += b.translations;
        hits += b.hits;
        callouts += b.callouts;
    }
    ImGui::Text("%zu blocks, %zu chains; %llu translations, %llu cache hits, %llu callouts",
                c.blocks.size(), c.chains.size(), (unsigned long long)translations,
                (unsigned long long)hits, (unsigned long long)callouts);
    legend({{"translated block (size: cache hits)", IM_COL32(89, 161, 79, 255)},
            {"block with callouts", IM_COL32(225, 87, 89, 255)},
            {"chain (direct jump between translations)", IM_COL32(200, 200, 255, 220)}});
    // Blocks on a circle by address, chains as arrows between them; a block's
    // size on screen grows with its cache hits.
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const ImVec2 centre(p.x + avail.x / 2, p.y + avail.y / 2);
    const float radius = std::min(avail.x, avail.y) / 2 - 60;
    std::vector<ImVec2> at(c.blocks.size());
    for (size_t i = 0; i < c.blocks.size(); ++i) {
        const float a = 6.2831853f * float(i) / float(c.blocks.size()) - 1.5707963f;
        at[i] = ImVec2(centre.x + radius * std::cos(a), centre.y + radius * std::sin(a));
    }
    for (const auto& ch : c.chains) {
        const ImVec2 a = at[ch.from], b = at[ch.to];
        const ImVec2 mid((a.x + b.x) / 2 * 0.8f + centre.x * 0.2f,
                         (a.y + b.y) / 2 * 0.8f + centre.y * 0.2f);
        dl->AddBezierQuadratic(a, mid, b, IM_COL32(200, 200, 255, 140), 1.5f);
        // An arrowhead where the chain jumps in, pointing along the curve.
        const float dx = b.x - mid.x, dy = b.y - mid.y, len = std::sqrt(dx * dx + dy * dy);
        if (len > 1) {
            const float ux = dx / len, uy = dy / len;
            const ImVec2 tip(b.x - ux * 20, b.y - uy * 20);
            dl->AddTriangleFilled(tip, ImVec2(tip.x - ux * 10 - uy * 5, tip.y - uy * 10 + ux * 5),
                                  ImVec2(tip.x - ux * 10 + uy * 5, tip.y - uy * 10 - ux * 5),
                                  IM_COL32(200, 200, 255, 220));
        }
    }
    uint32_t top = 1;
    for (const auto& b : c.blocks) top = std::max(top, b.hits);
    for (size_t i = 0; i < c.blocks.size(); ++i) {
        const auto& b = c.blocks[i];
        const float r = 6 + 14 * std::sqrt(float(b.hits) / float(top));
        dl->AddCircleFilled(at[i], r,
                            b.callouts ? IM_COL32(225, 87, 89, 255) : IM_COL32(89, 161, 79, 255));
        app.layout.add("blocks", at[i].x - r, at[i].y - r, 2 * r, 2 * r);
        dl->AddText(ImVec2(at[i].x + r + 2, at[i].y - 7), IM_COL32(220, 220, 220, 255),
                    fmt::format("{:#x}", b.address).c_str());
    }
    ImGui::Dummy(avail);
}

void draw_cluster(App& app, const TraceModel&) {
    const ClusterView& c = app.clus;
    if (c.hosts.empty()) {
        absent(app, "This trace has no `cluster` events.",
               "Cluster traces (ptv cluster sim -s 1 --place worst-fit --trace F) carry, in "
               "category `cluster`, one process per host, an X span per VM on its host (named by "
               "the VM), an X \"migrate\" span with args vm, from, to per live migration, and "
               "\"power-off\" instants.");
        return;
    }
    std::string off;
    for (const auto& h : c.hosts)
        if (h.powered_off) off += (off.empty() ? "" : ", ") + h.name.substr(0, h.name.find(' '));
    std::string nowhere;
    for (const auto& v : c.fits_nowhere) nowhere += (nowhere.empty() ? "" : ", ") + v;
    ImGui::Text("%zu hosts, %zu migrations; powered off: %s; fits nowhere: %s", c.hosts.size(),
                c.moves.size(), off.empty() ? "none" : off.c_str(),
                nowhere.empty() ? "none" : nowhere.c_str());
    const uint32_t kArrow = IM_COL32(255, 255, 255, 230), kOff = IM_COL32(70, 70, 78, 255);
    legend({{"VM running (one colour per VM)", IM_COL32(78, 121, 167, 255)},
            {"live migration", kArrow},
            {"powered off", kOff}});
    // Each host's row holds its VMs in lanes: a VM goes in the first lane
    // that is free when it starts (VMs share a host in time).
    std::vector<std::vector<double>> lane_ends(c.hosts.size());
    std::vector<int> lane(c.bars.size());
    for (size_t i = 0; i < c.bars.size(); ++i) {
        auto& ends = lane_ends[c.bars[i].host];
        size_t k = 0;
        while (k < ends.size() && ends[k] > c.bars[i].ts + 1e-6) ++k;
        if (k == ends.size()) ends.push_back(0);
        ends[k] = c.bars[i].ts + c.bars[i].dur;
        lane[i] = int(k);
    }
    size_t lanes = 0;
    for (const auto& e : lane_ends) lanes += std::max<size_t>(e.size(), 1);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float label_w = 190, x0 = p.x + label_w, w = avail.x - label_w - 20;
    const float gap = 10;
    const float lane_h =
        std::clamp((avail.y - 40 - gap * float(c.hosts.size())) / float(std::max<size_t>(lanes, 1)),
                   6.0f, 24.0f);
    const double t0 = c.t0, span = std::max(c.t1 - c.t0, 1e-6);
    app.layout.j["powered_off"] =
        std::count_if(c.hosts.begin(), c.hosts.end(), [](const auto& h) { return h.powered_off; });
    auto x = [&](double t) { return x0 + float((t - t0) / span * w); };
    std::vector<float> row_y(c.hosts.size()), row_h(c.hosts.size());
    float y = p.y;
    for (size_t h = 0; h < c.hosts.size(); ++h) {
        row_y[h] = y;
        row_h[h] = lane_h * float(std::max<size_t>(lane_ends[h].size(), 1));
        dl->AddRectFilled(ImVec2(x0, y), ImVec2(x0 + w, y + row_h[h]), IM_COL32(255, 255, 255, 12));
        if (c.hosts[h].powered_off)
            dl->AddRectFilled(ImVec2(x(c.hosts[h].off_ts), y), ImVec2(x0 + w, y + row_h[h]), kOff);
        dl->AddText(ImVec2(p.x, y + (std::min(row_h[h], 20.0f) - 14) / 2),
                    IM_COL32(230, 230, 230, 255), c.hosts[h].name.c_str());
        app.layout.add("host_rows", x0, y, w, row_h[h]);
        y += row_h[h] + gap;
    }
    app.layout.rect("cluster_area", x0, p.y, w, y - p.y);
    for (size_t i = 0; i < c.bars.size(); ++i) {
        const auto& b = c.bars[i];
        const float top = row_y[b.host] + lane_h * float(lane[i]);
        const float a = x(b.ts), e = std::max(a + 2, x(b.ts + b.dur));
        dl->AddRectFilled(ImVec2(a, top + 1), ImVec2(e - 1, top + lane_h - 1), color_for(b.vm));
        if (e - a > 30 && lane_h >= 12)
            dl->AddText(ImVec2(a + 3, top + (lane_h - 14) / 2), IM_COL32(20, 20, 20, 255),
                        b.vm.c_str());
        app.layout.add("vm_bars", a, top, e - a, lane_h);
    }
    // A migration: its pre-copy as a line in the VM's lane on the source
    // (the VM's bar there ends where it starts), then an arrow to its lane
    // on the destination, where the VM resumes.
    auto lane_y = [&](uint32_t host, const std::string& vm, double at) {
        for (size_t i = 0; i < c.bars.size(); ++i) {
            const auto& b = c.bars[i];
            if (b.host == host && b.vm == vm &&
                (std::abs(b.ts + b.dur - at) < 1 || std::abs(b.ts - at) < 1))
                return row_y[host] + lane_h * (float(lane[i]) + 0.5f);
        }
        return row_y[host] + row_h[host] / 2;
    };
    for (const auto& mv : c.moves) {
        const float fy = lane_y(mv.from, mv.vm, mv.ts), ty = lane_y(mv.to, mv.vm, mv.ts + mv.dur);
        const float a = x(mv.ts), b = std::max(a + 4, x(mv.ts + mv.dur));
        dl->AddLine(ImVec2(a, fy), ImVec2(b, fy), kArrow, 2);
        dl->AddLine(ImVec2(b, fy), ImVec2(b, ty), kArrow, 2);
        const float dir = ty > fy ? 1.0f : -1.0f;
        dl->AddTriangleFilled(ImVec2(b, ty), ImVec2(b - 5, ty - 9 * dir),
                              ImVec2(b + 5, ty - 9 * dir), kArrow);
        dl->AddText(ImVec2(b + 4, (fy + ty) / 2 - 7), kArrow, mv.vm.c_str());
        app.layout.add("migration_arrows", std::min(a, b), std::min(fy, ty), std::abs(b - a) + 1,
                       std::abs(ty - fy) + 1);
    }
    app.layout.j["hosts"] = c.hosts.size();
    app.layout.j["migrations"] = c.moves.size();
    axis(dl, x0, y, w, t0, c.t1);
    ImGui::Dummy(ImVec2(avail.x, y - p.y + 24));
}

}  // namespace ptv::viz
