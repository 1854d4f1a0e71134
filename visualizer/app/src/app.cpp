// The app shell: one full-window ImGui window with a header (source, event
// count, damage, live status) and a tab per view.
#include <fmt/format.h>
#include <imgui.h>

#include <algorithm>
#include <utility>

#include "ptv/viz/app.hpp"

namespace ptv::viz {

namespace {

constexpr const char* kViewNames[] = {"timeline",  "exits",   "notifications",
                                      "screen",    "threads", "servers",
                                      "migration", "bt",      "cluster"};
constexpr const char* kViewTitles[] = {"Timeline", "Exits",   "Notifications", "Screen",
                                       "Threads",  "Servers", "Migration",     "Binary translation",
                                       "Cluster"};

}  // namespace

const char* view_name(View v) {
    return kViewNames[size_t(v)];
}

std::optional<View> parse_view(std::string_view name) {
    for (size_t i = 0; i < size_t(View::kCount); ++i)
        if (name == kViewNames[i]) return View(i);
    return std::nullopt;
}

void Layout::rect(const std::string& key, float x, float y, float w, float h) {
    j[key] = {x, y, w, h};
}

void Layout::add(const std::string& key, float x, float y, float w, float h) {
    j[key].push_back({x, y, w, h});
}

uint32_t color_for(std::string_view name) {
    // The exit reasons get fixed, distinct colours; any other name one of a
    // palette picked by a hash of the name: the same name always gets the
    // same colour, in every view and every run.
    static constexpr std::pair<std::string_view, uint32_t> kReasons[] = {
        {"io", IM_COL32(78, 121, 167, 255)},
        {"mmio", IM_COL32(242, 142, 43, 255)},
        {"hlt", IM_COL32(89, 161, 79, 255)},
        {"shutdown", IM_COL32(225, 87, 89, 255)},
        {"internal-error", IM_COL32(176, 122, 161, 255)},
        {"fail-entry", IM_COL32(156, 117, 95, 255)},
        {"interrupted", IM_COL32(118, 183, 178, 255)},
        {"unknown", IM_COL32(186, 176, 172, 255)},
    };
    for (auto [reason, colour] : kReasons)
        if (name == reason) return colour;
    static constexpr uint32_t kPalette[] = {
        IM_COL32(78, 121, 167, 255),  IM_COL32(242, 142, 43, 255),  IM_COL32(89, 161, 79, 255),
        IM_COL32(225, 87, 89, 255),   IM_COL32(118, 183, 178, 255), IM_COL32(237, 201, 72, 255),
        IM_COL32(176, 122, 161, 255), IM_COL32(255, 157, 167, 255), IM_COL32(156, 117, 95, 255),
        IM_COL32(186, 176, 172, 255),
    };
    uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (char c : name) h = (h ^ uint8_t(c)) * 1099511628211ull;
    return kPalette[h % std::size(kPalette)];
}

std::string format_us(double us) {
    const double a = std::abs(us);
    if (a < 5e-4) return "0 ns";
    if (a >= 1e6) return fmt::format("{:.3g} s", us / 1e6);
    if (a >= 1e3) return fmt::format("{:.3g} ms", us / 1e3);
    if (a >= 1) return fmt::format("{:.3g} us", us);
    return fmt::format("{:.3g} ns", us * 1e3);
}

void absent(App& app, const char* what, const char* how) {
    ImGui::Spacing();
    ImGui::TextColored(ImVec4(1.0f, 0.8f, 0.3f, 1.0f), "%s", what);
    ImGui::TextWrapped("%s", how);
    app.layout.j["absent"] = true;
}

App::App(TraceModel model, std::string source)
    : model_(std::move(model)), source_(std::move(source)) {
    refresh();
}

App::~App() = default;

void App::attach(std::unique_ptr<LiveStream> stream) {
    stream_ = std::move(stream);
}

bool App::live_ended() const {
    return !stream_ || stream_->ended();
}

bool App::poll_live(bool derive) {
    if (!stream_) return false;
    dirty_ |= stream_->drain(model_);
    // Re-derive tracks and flows (a pass over every event) at most ten times
    // a second, and never more than a fifth of the time, so a fast stream of
    // a million events does not starve the window; once more at the end.
    const auto now = std::chrono::steady_clock::now();
    const auto gap = std::max<std::chrono::steady_clock::duration>(std::chrono::milliseconds(100),
                                                                   4 * finish_cost_);
    if (dirty_ && (stream_->ended() || (derive && now - last_finish_ > gap))) {
        model_.finish();
        finish_cost_ = std::chrono::steady_clock::now() - now;
        last_finish_ = now;
        dirty_ = false;
        refresh();
        return true;
    }
    return false;
}

void App::refresh() {
    if (cached_generation_ == model_.generation()) return;
    cached_generation_ = model_.generation();
    // About ten exits per bin, between 10 and 100 bins.
    exits = exit_stats(model_, std::clamp<size_t>(model_.event_count() / 40, 10, 100));
    notes = notifications(model_);
    gantt = thread_gantt(model_);
    reqs = requests(model_);
    mig = migration(model_);
    bt = translation_cache(model_);
    clus = cluster(model_);
    add_screen_frames(screens, model_);
    flows_by_time.resize(model_.flows().size());
    for (uint32_t i = 0; i < flows_by_time.size(); ++i) flows_by_time[i] = i;
    const auto& flows = model_.flows();
    std::sort(flows_by_time.begin(), flows_by_time.end(),
              [&](uint32_t a, uint32_t b) { return flows[a].from_ts < flows[b].from_ts; });
    // A live timeline follows the stream until the user moves it.
    if (!timeline.fitted || (stream_ && !stream_->ended())) {
        timeline.t0 = model_.t_min();
        timeline.t1 = std::max(model_.t_max(), model_.t_min() + 1.0);
        const double pad = (timeline.t1 - timeline.t0) * 0.02;
        timeline.t0 -= pad;
        timeline.t1 += pad;
        timeline.fitted = model_.event_count() > 0;
    }
}

void App::select_exit(size_t n) {
    auto exits = model_.events_of("vmexit");
    if (exits.empty()) exits = model_.events_of("trap");
    if (n >= exits.size()) return;
    const uint32_t i = exits[n];
    timeline.selected = i;
    for (size_t c = 0; c < notes.chains.size(); ++c)
        if (notes.chains[c].exit_event == i) selected_chain = int(c);
    // Show a few exits either side of it.
    const auto& ev = model_.events();
    const double a = ev[exits[n >= 3 ? n - 3 : 0]].ts;
    const double b = ev[exits[std::min(exits.size() - 1, n + 4)]].end();
    timeline.t0 = a - (b - a) * 0.05;
    timeline.t1 = b + (b - a) * 0.05;
    timeline.fitted = true;
}

void App::draw(float width, float height) {
    layout.j = nlohmann::json::object();
    layout.j["view"] = view_name(view);
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(ImVec2(width, height));
    ImGui::Begin("ptv viz", nullptr,
                 ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                     ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus |
                     // glClear paints the background: with software rendering
                     // (llvmpipe) a full-window blended quad costs ~4 ms a frame.
                     ImGuiWindowFlags_NoBackground);
    // Header: what is open and in what state.
    ImGui::Text("%s", source_.c_str());
    ImGui::SameLine();
    ImGui::TextDisabled("| %zu events, %zu tracks, %zu flows, %s", model_.event_count(),
                        model_.tracks().size(), model_.flows().size(),
                        format_us(model_.t_max() - model_.t_min()).c_str());
    if (stream_) {
        ImGui::SameLine();
        const bool ended = stream_->ended();
        ImGui::TextColored(ended ? ImVec4(0.7f, 0.7f, 0.7f, 1) : ImVec4(0.3f, 1.0f, 0.4f, 1),
                           "| %s", stream_->status().c_str());
    }
    if (!model_.error.empty() || model_.skipped > 0)
        ImGui::TextColored(
            ImVec4(1.0f, 0.45f, 0.35f, 1), "partial load: %s",
            model_.error.empty()
                ? fmt::format("skipped {} malformed event(s)", model_.skipped).c_str()
                : model_.error.c_str());
    if (model_.event_count() == 0)
        ImGui::TextColored(ImVec4(1.0f, 0.8f, 0.3f, 1), "%s",
                           stream_ && !stream_->ended()
                               ? "waiting for events from the stream..."
                               : "this trace has no events: nothing to show");

    if (ImGui::BeginTabBar("views")) {
        const View wanted = view;
        for (size_t i = 0; i < size_t(View::kCount); ++i) {
            const ImGuiTabItemFlags flags =
                select_view_once && View(i) == wanted ? ImGuiTabItemFlags_SetSelected : 0;
            if (ImGui::BeginTabItem(kViewTitles[i], nullptr, flags)) {
                view = View(i);
                switch (view) {
                    case View::Timeline:
                        draw_timeline(*this, model_);
                        break;
                    case View::Exits:
                        draw_exits(*this, model_);
                        break;
                    case View::Notifications:
                        draw_notifications(*this, model_);
                        break;
                    case View::Screen:
                        draw_screen(*this, model_);
                        break;
                    case View::Threads:
                        draw_threads(*this, model_);
                        break;
                    case View::Servers:
                        draw_servers(*this, model_);
                        break;
                    case View::Migration:
                        draw_migration(*this, model_);
                        break;
                    case View::Bt:
                        draw_bt(*this, model_);
                        break;
                    case View::Cluster:
                        draw_cluster(*this, model_);
                        break;
                    case View::kCount:
                        break;
                }
                ImGui::EndTabItem();
            }
        }
        ImGui::EndTabBar();
        // ImGui selects a tab one frame after asked: keep asking until it has.
        if (view == wanted) select_view_once = false;
        view = select_view_once ? wanted : view;
    }
    ImGui::End();
}

}  // namespace ptv::viz
