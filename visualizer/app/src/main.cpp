// ptv-viz: the visualizer (`ptv viz` executes it). Opens a trace file or a
// live stream; --screenshot renders one view headless (under Xvfb) to PNG.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "ptv/common/cli.hpp"
#include "ptv/common/error.hpp"
#include "ptv/viz/app.hpp"

int main(int argc, char** argv) {
    using namespace ptv::viz;
    std::string file, connect, screenshot, view_arg = "timeline", size = "1280x720", layout;
    int fd = -1;
    double wait_s = 60;
    long select = -1;
    CLI::App cli{"ptv viz: VM exits, notifications, threads, requests... from a trace"};
    cli.add_option("file", file, "trace file (Chrome trace JSON from any ptvlab command)");
    cli.add_option("--connect", connect, "attach to a command streaming its trace on SOCKET");
    cli.add_option("--fd", fd, "read a live stream from an inherited descriptor (ptv kvm --viz)");
    cli.add_option("--screenshot", screenshot, "render one frame to OUT.png and exit (headless)");
    cli.add_option("--view", view_arg,
                   "view for --screenshot: timeline, exits, notifications, screen, threads, "
                   "servers, migration, bt, cluster")
        ->capture_default_str();
    cli.add_option("--size", size, "window size WxH")->capture_default_str();
    cli.add_option("--layout", layout, "with --screenshot: write where things were drawn (JSON)");
    cli.add_option("--wait", wait_s, "with --screenshot of a stream: wait at most SECONDS for it")
        ->capture_default_str();
    cli.add_option("--select", select, "select the N-th exit (from 0) and zoom the timeline on it");
    ptv::cli::parse_or_exit(cli, argc, argv, "ptv viz");

    try {
        const int sources = !file.empty() + !connect.empty() + (fd >= 0);
        if (sources != 1)
            throw ptv::UsageError("give one trace: FILE, --connect SOCKET (or --fd N)");
        auto view = parse_view(view_arg);
        if (!view)
            throw ptv::UsageError(fmt::format(
                "unknown view '{}'; views: timeline, exits, notifications, screen, threads, "
                "servers, migration, bt, cluster",
                view_arg));
        int w = 0, h = 0;
        if (std::sscanf(size.c_str(), "%dx%d", &w, &h) != 2 || w < 200 || h < 150 || w > 8192 ||
            h > 8192)
            throw ptv::UsageError(
                fmt::format("bad --size '{}'; give WxH, e.g. 1280x720 (at least 200x150)", size));

        std::unique_ptr<App> app;
        if (!file.empty()) {
            auto model = load_file(file);
            if (!model.error.empty())
                std::fprintf(stderr, "ptv viz: %s: %s\n", file.c_str(), model.error.c_str());
            app = std::make_unique<App>(std::move(model), file);
        } else {
            const int in = fd >= 0 ? fd : connect_stream(connect);
            app = std::make_unique<App>(TraceModel(),
                                        fd >= 0 ? std::string("live: ptv kvm run") : connect);
            app->attach(std::make_unique<LiveStream>(in));
        }
        app->view = *view;
        if (select >= 0) app->select_exit(size_t(select));

        const bool headless = !screenshot.empty();
        Window window(w, h, !headless, "ptv viz");
        if (headless) {
            // A stream: wait for it to end (the guest stops), then draw.
            const auto deadline =
                std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_s);
            while (!app->live_ended() && std::chrono::steady_clock::now() < deadline) {
                app->poll_live(false);
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
            app->poll_live();
            // A few frames: ImGui settles its layout (tabs, scroll) first.
            for (int i = 0; i < 4; ++i) window.frame(*app, false);
            window.screenshot(screenshot);
            if (!layout.empty()) {
                std::ofstream out(layout);
                out << app->layout.j.dump(1) << "\n";
            }
            return 0;
        }
        while (!window.should_close()) window.frame(*app);
    } catch (const ptv::UsageError& e) {
        std::fprintf(stderr, "ptv viz: %s\n", e.what());
        return ptv::kUsageExit;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ptv viz: internal error: %s\n", e.what());
        return 70;
    }
    return 0;
}
