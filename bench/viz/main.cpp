// bench/viz: the visualizer's load time and frame time for 10,000, 100,000
// and 1,000,000 events, beside the targets (1 M events load in under
// 1 s; a frame in under 16 ms at 1280x720 while panning, with software
// rendering: Xvfb + llvmpipe) and beside the common trace reader
// (ptv::trace::load, nlohmann-json) loading the same file.
//
// Without a display it runs itself again under xvfb-run.
#include <GL/gl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <vector>

#include "ptv/common/table.hpp"
#include "ptv/common/trace.hpp"
#include "ptv/viz/app.hpp"
#include "ptv/viz/synthetic.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

double p95(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, size_t(double(v.size()) * 0.95))];
}

struct Row {
    size_t events;
    double mb, load_s, peer_s, frame_ms, frame_p95_ms, zoomed_ms;
};

}  // namespace

int main(int argc, char** argv) {
    if (!std::getenv("DISPLAY")) {
        std::vector<char*> args = {const_cast<char*>("xvfb-run"), const_cast<char*>("-a"),
                                   const_cast<char*>("-s"),
                                   const_cast<char*>("-screen 0 1280x720x24")};
        const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
        args.push_back(const_cast<char*>(self.c_str()));
        for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
        args.push_back(nullptr);
        ::execvp("xvfb-run", args.data());
        std::fprintf(stderr, "bench-viz: no DISPLAY and no xvfb-run; run scripts/setup.sh\n");
        return 2;
    }
    const std::string dir = fmt::format("/tmp/ptv-bench-viz.{}", ::getpid());
    std::filesystem::create_directories(dir);
    std::vector<Row> rows;
    ptv::viz::Window window(1280, 720, false, "bench-viz");
    std::vector<size_t> sizes = {10000, 100000, 1000000};
    if (argc > 1) sizes = {size_t(std::atol(argv[1]))};  // bench-viz N: one size only
    for (size_t events : sizes) {
        const std::string path = fmt::format("{}/trace-{}.json", dir, events);
        {
            std::ofstream out(path);
            out << ptv::viz::synthetic_kvm_trace(events / 4);  // 4 events per exit
        }
        Row r{};
        r.events = events;
        r.mb = double(std::filesystem::file_size(path)) / 1e6;
        // Load: best of 3 (the file is in the page cache after writing it).
        std::vector<double> loads;
        std::optional<ptv::viz::TraceModel> model;
        for (int i = 0; i < 3; ++i) {
            model.reset();
            const auto t = Clock::now();
            model.emplace(ptv::viz::load_file(path));
            loads.push_back(seconds_since(t));
        }
        r.load_s = *std::min_element(loads.begin(), loads.end());
        {
            const auto t = Clock::now();
            auto peer = ptv::trace::load(path);
            r.peer_s = seconds_since(t);
            if (peer.events.size() != model->event_count() + 8)  // + the track-name events
                std::fprintf(stderr, "bench-viz: the readers disagree (%zu vs %zu events)\n",
                             peer.events.size(), model->event_count());
        }
        // Frames: the whole trace in view, panning 1% of the window per frame;
        // then zoomed in to 1/100 of the trace, panning.
        ptv::viz::App app(std::move(*model), path);
        auto frames = [&](double zoom) {
            const double t0 = app.model().t_min(), t1 = app.model().t_max();
            const double span = (t1 - t0) / zoom;
            app.timeline.t0 = t0;
            app.timeline.t1 = t0 + span;
            for (int i = 0; i < 5; ++i) window.frame(app, false);  // warm up
            std::vector<double> ms;
            for (int i = 0; i < 60; ++i) {
                app.timeline.t0 += span * 0.01;
                app.timeline.t1 += span * 0.01;
                const auto t = Clock::now();
                window.frame(app, false);
                glFinish();  // count the rendering, not only its submission
                ms.push_back(seconds_since(t) * 1e3);
            }
            return ms;
        };
        auto whole = frames(1.0);
        r.frame_ms = median(whole);
        r.frame_p95_ms = p95(whole);
        r.zoomed_ms = p95(frames(100.0));
        rows.push_back(r);
        std::filesystem::remove(path);
    }
    std::filesystem::remove_all(dir);

    std::printf(
        "bench-viz: ptv-viz load and frame time (KVM-shaped trace, 4 events per exit;\n"
        "frames at 1280x720, %s, panning 1%% per frame)\n\n",
        reinterpret_cast<const char*>(glGetString(GL_RENDERER)));
    ptv::Table t({"events", "file", "load", "trace::load", "faster", "load/1 s", "frame med",
                  "frame p95", "zoomed p95", "p95/16 ms"});
    t.right_align({0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    for (const auto& r : rows)
        t.row({fmt::format("{}", r.events), fmt::format("{:.1f} MB", r.mb),
               fmt::format("{:.3f} s", r.load_s), fmt::format("{:.3f} s", r.peer_s),
               fmt::format("{:.1f}x", r.peer_s / r.load_s), fmt::format("{:.2f}", r.load_s / 1.0),
               fmt::format("{:.2f} ms", r.frame_ms), fmt::format("{:.2f} ms", r.frame_p95_ms),
               fmt::format("{:.2f} ms", r.zoomed_ms),
               fmt::format("{:.2f}", std::max(r.frame_p95_ms, r.zoomed_ms) / 16.0)});
    std::printf("%s", t.render().c_str());
    std::printf(
        "\ntargets: 1,000,000 events load in under 1 s (load/1 s < 1); a frame in under\n"
        "16 ms while panning (p95/16 ms < 1). trace::load is common/'s nlohmann reader.\n");
    return 0;
}
