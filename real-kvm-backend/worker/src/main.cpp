// ptv-vmwp: the worker process, one per VM (Hyper-V's vmwp.exe). Started by
// `ptv kvm run` (or the management service) with a control channel on an
// inherited socket; also usable on its own, when it prints its outcome and
// exit table itself.
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "ptv/common/cli.hpp"
#include "ptv/common/error.hpp"
#include "ptv/worker/control.hpp"
#include "ptv/worker/report.hpp"
#include "ptv/worker/worker.hpp"

namespace {

ptv::worker::WorkerProcess* g_worker = nullptr;

void on_signal(int) {
    if (g_worker) g_worker->stop();
}

}  // namespace

int main(int argc, char** argv) {
    using namespace ptv::worker;
    WorkerConfig cfg;
    int control_fd = -1;
    bool json = false;
    CLI::App app{"ptv-vmwp: the worker process that runs one VM"};
    app.add_option("image", cfg.image_path, "multiboot v1 image to boot")->required();
    app.add_option("--name", cfg.name, "VM name for messages and the trace");
    app.add_option("-m,--memory", cfg.memory_mib, "guest memory in MiB")->capture_default_str();
    app.add_option("--timeout", cfg.timeout_s, "stop the guest after SECONDS (watchdog)");
    app.add_option("--cmdline", cfg.cmdline, "multiboot command line for the guest");
    app.add_option("--trace", cfg.trace_path, "write a Chrome trace to FILE");
    app.add_option("--trace-capacity", cfg.trace_capacity, "exits the trace buffer holds")
        ->capture_default_str();
    app.add_option("--trace-stream-fd", cfg.trace_stream_fd,
                   "stream the trace live, one JSON event per line, to this descriptor");
    app.add_option("--trace-socket", cfg.trace_socket,
                   "stream the trace live to clients of a Unix socket at PATH (ptv viz --connect)");
    app.add_flag("--allow-unclaimed-mmio", cfg.allow_unclaimed_mmio,
                 "drop writes to unclaimed MMIO instead of stopping with a bus error");
    app.add_option("--control-fd", control_fd, "control channel socket (from ptv)");
    bool no_input = false;
    app.add_flag("--no-input", no_input, "do not feed standard input to the guest's UART");
    app.add_flag("--json", json, "print the result as JSON (standalone use)");
    ptv::cli::parse_or_exit(app, argc, argv, "ptv-vmwp");
    if (no_input) cfg.input_fd = -1;
    if (json && control_fd < 0) cfg.console_fd = 2;  // stdout carries only the JSON
    if (cfg.name.empty()) cfg.name = std::filesystem::path(cfg.image_path).stem().string();

    // Nobody left to watch us: end with the parent (ptv or the service).
    if (control_fd >= 0) ::prctl(PR_SET_PDEATHSIG, SIGKILL);

    auto report_error = [&](int status, const std::string& msg) {
        if (control_fd >= 0)
            send_message(control_fd, {{"type", "error"}, {"status", status}, {"message", msg}});
        else
            std::fprintf(stderr, "ptv-vmwp: %s\n", msg.c_str());
        return status;
    };

    std::unique_ptr<WorkerProcess> worker;
    try {
        worker = std::make_unique<WorkerProcess>(cfg);
    } catch (const ptv::UsageError& e) {
        return report_error(ptv::kUsageExit, e.what());
    } catch (const std::exception& e) {
        return report_error(exit_status(Outcome::KvmFailure), e.what());
    }

    g_worker = worker.get();
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);

    std::unique_ptr<ControlChannel> control;
    if (control_fd >= 0) {
        control = std::make_unique<ControlChannel>(
            control_fd,
            [&](const nlohmann::json& req, ControlChannel& ch) {
                const std::string type = req.value("type", "");
                if (type == "stop") {
                    worker->stop();
                } else if (type == "status") {
                    ch.send({{"type", "status"},
                             {"state", "running"},
                             {"pid", ::getpid()},
                             {"exits", worker->exits_so_far()}});
                }
            },
            [&] { worker->stop(); });
        control->send({{"type", "started"}, {"pid", ::getpid()}, {"guest", cfg.name}});
    }

    nlohmann::json result;
    try {
        result = worker->run();
    } catch (const ptv::UsageError& e) {
        return report_error(ptv::kUsageExit, e.what());
    }
    const int status = result["status"].get<int>();
    if (control) {
        control->send(result);
        control.reset();
    } else if (json) {
        // Guest output may hold any bytes: replace what is not UTF-8.
        std::printf("%s\n",
                    result.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else {
        std::fprintf(stderr, "%s\n", outcome_line(result).c_str());
        std::printf("\n%s", exit_table(result).c_str());
        if (auto state = final_state_text(result); !state.empty())
            std::printf("\n%s", state.c_str());
    }
    g_worker = nullptr;
    return status;
}
