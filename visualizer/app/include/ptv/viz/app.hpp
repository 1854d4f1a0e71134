// ptv-viz: the views over a TraceModel and the window around them. Each view
// is one function drawing from the model (Dear ImGui is immediate-mode: a view
// holds no widgets, only what the model says); analyses are computed once per
// model generation and cached here.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ptv/viz/analysis.hpp"
#include "ptv/viz/model.hpp"
#include "ptv/viz/screen.hpp"

struct GLFWwindow;

namespace ptv::viz {

enum class View {
    Timeline,
    Exits,
    Notifications,
    Screen,
    Threads,
    Servers,
    Migration,
    Bt,
    Cluster,
    kCount
};
const char* view_name(View v);  // the --view NAME
std::optional<View> parse_view(std::string_view name);

// Reads one JSON event per line from a socket or pipe on a thread; the UI
// drains what arrived each frame. The view keeps what it received when the
// stream ends.
class LiveStream {
  public:
    explicit LiveStream(int fd);  // takes ownership of fd
    ~LiveStream();
    // Moves the complete lines received so far into the model; true if any.
    bool drain(TraceModel& model);
    bool ended() const;
    std::string status() const;

  private:
    struct Shared;
    std::shared_ptr<Shared> shared_;
};
// Connects to a Unix socket that streams trace lines; throws UsageError.
int connect_stream(const std::string& path);

// Where things were drawn, for the screenshot tests (--layout FILE): rects
// as [x, y, w, h] in window pixels.
struct Layout {
    nlohmann::json j = nlohmann::json::object();
    void rect(const std::string& key, float x, float y, float w, float h);
    void add(const std::string& key, float x, float y, float w, float h);  // to a list
};

struct TimelineState {
    double t0 = 0, t1 = 1;  // visible window, microseconds
    bool fitted = false;
    float scroll_y = 0;
    uint32_t selected = kNone;  // event index
};

class App {
  public:
    App(TraceModel model, std::string source);
    ~App();

    void attach(std::unique_ptr<LiveStream> stream);
    // Draws one frame's UI (between ImGui::NewFrame and ImGui::Render).
    void draw(float width, float height);
    // Pulls live lines; returns true when the model changed. derive = false:
    // only collect them (until the stream ends), as a headless wait does.
    bool poll_live(bool derive = true);
    bool live_ended() const;
    // Selects the n-th exit (vmexit, else trap) in the timeline, zoomed on it,
    // and in the notifications view.
    void select_exit(size_t n);

    View view = View::Timeline;
    bool select_view_once = true;  // make the tab bar show `view`
    TimelineState timeline;
    Layout layout;
    TraceModel& model() { return model_; }

  private:
    void refresh();

    TraceModel model_;
    std::string source_;
    std::unique_ptr<LiveStream> stream_;
    uint64_t cached_generation_ = ~0ull;
    std::chrono::steady_clock::time_point last_finish_{};
    std::chrono::steady_clock::duration finish_cost_{};
    bool dirty_ = false;

  public:
    // Analyses of the current generation.
    ExitStats exits;
    Notifications notes;
    Gantt gantt;
    Requests reqs;
    Migration mig;
    TranslationCacheView bt;
    ClusterView clus;
    ScreenFrames screens;
    std::vector<uint32_t> flows_by_time;  // flow indexes by start time
    int selected_chain = -1;
};

// The views (one file each, or modules.cpp for the module views).
void draw_timeline(App& app, const TraceModel& m);
void draw_exits(App& app, const TraceModel& m);
void draw_notifications(App& app, const TraceModel& m);
void draw_screen(App& app, const TraceModel& m);
void draw_threads(App& app, const TraceModel& m);
void draw_servers(App& app, const TraceModel& m);
void draw_migration(App& app, const TraceModel& m);
void draw_bt(App& app, const TraceModel& m);
void draw_cluster(App& app, const TraceModel& m);

// Shared drawing helpers.
uint32_t color_for(std::string_view name);  // a stable colour per name
std::string format_us(double us);           // "12.3 us", "4.56 ms", "1.20 s"
// A view's plain statement that its trace category is absent.
void absent(App& app, const char* what, const char* how);

// The window: opens GLFW + OpenGL 3 + ImGui. Throws UsageError (no display).
struct Window {
    GLFWwindow* handle = nullptr;
    Window(int width, int height, bool visible, const std::string& title);
    ~Window();
    bool should_close() const;
    // One frame: poll events, draw the app, render; swap when `present`.
    void frame(App& app, bool present = true);
    // Reads the back buffer of the last frame and writes a PNG.
    void screenshot(const std::string& path);
    int width = 0, height = 0;
};

}  // namespace ptv::viz
