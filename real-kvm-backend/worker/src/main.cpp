// ptv-vmwp: the worker process, one per VM (Hyper-V's vmwp.exe). Started by
// `ptv kvm run` with a control channel on an inherited socket (--control-fd),
// or by the management service with a listening socket (--listen-fd) that a
// restarted service can reconnect to; also usable on its own, when it prints
// its outcome and exit table itself. With --requests-fd, another process is
// the clients of a guest that serves on the host request ring
// (request_port.hpp has the protocol).
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include <fmt/format.h>

#include "ptv/common/cli.hpp"
#include "ptv/common/error.hpp"
#include "ptv/migration/protocol.hpp"
#include "ptv/worker/control.hpp"
#include "ptv/worker/report.hpp"
#include "ptv/worker/request_port.hpp"
#include "ptv/worker/seccomp.hpp"
#include "ptv/worker/snapshot_file.hpp"
#include "ptv/worker/worker.hpp"

namespace {

ptv::worker::WorkerProcess* g_worker = nullptr;

void on_signal(int) {
    if (g_worker) g_worker->stop();
}

}  // namespace

#ifdef PTV_SANITIZER_RUNTIME
// LeakSanitizer checks at exit by stopping the process under ptrace from a
// forked helper: impossible inside the seccomp jail (no ptrace, no fork),
// where it kills the worker at its very end. ASan's other checks stay on.
extern "C" const char* __asan_default_options() {
    return "detect_leaks=0";
}
#endif

int main(int argc, char** argv) {
    using namespace ptv::worker;
    using ptv::exit_status;
    using ptv::Outcome;
    WorkerConfig cfg;
    int control_fd = -1, listen_fd = -1;
    bool json = false, no_seccomp = false;
    std::string result_file, test_fault;
    CLI::App app{"ptv-vmwp: the worker process that runs one VM"};
    app.add_option("image", cfg.image_path, "multiboot v1 image to boot");
    app.add_option("--name", cfg.name, "VM name for messages and the trace");
    app.add_option("-m,--memory", cfg.memory_mib, "guest memory in MiB")->capture_default_str();
    app.add_option("--timeout", cfg.timeout_s, "stop the guest after SECONDS (watchdog)");
    app.add_option("--cmdline", cfg.cmdline, "multiboot command line for the guest");
    app.add_option("--cpus", cfg.cpus,
                   "vCPUs, each a thread of this worker (1 to 8; every one starts at the entry)")
        ->capture_default_str();
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
    app.add_option("--listen-fd", listen_fd,
                   "listening control socket (from the management service); serial output "
                   "goes to the connected peer");
    int incoming_fd = -1;
    app.add_option("--incoming-fd", incoming_fd,
                   "a connection from a migration source or a guest shipper (ptv migrate "
                   "listen): receive the guest from it");
    int requests_fd = -1;
    auto* requests_opt = app.add_option(
        "--requests-fd", requests_fd,
        "a connected stream socket whose peer sends the guest requests on the host request "
        "ring, one \"ID GET NAME\" line each, and reads \"ID STATUS LENGTH\" and the bytes back");
    app.add_option("--restore", cfg.restore_dir, "start from the snapshot in DIR instead of IMAGE");
    app.add_option("--result-file", result_file, "also write the result JSON to FILE");
    bool start_paused = false;
    app.add_flag("--paused", start_paused, "start paused (control channel: resume)");
    bool no_input = false;
    app.add_flag("--no-input", no_input, "do not feed standard input to the guest's console");
    std::string console = "serial";
    app.add_option("--console", console,
                   "the user's console: serial (the UART: its output here, typed lines to it) or "
                   "vga (the text screen drawn here, keys to the i8042 keyboard)")
        ->check(CLI::IsMember({"serial", "vga"}))
        ->capture_default_str();
    app.add_option("--dispatch", cfg.io.dispatch,
                   "how device requests are served: inline (on the vCPU's thread, the iterative "
                   "server), pool:N (a dispatcher thread and N worker threads, Fig. 3-3) or event "
                   "(one event loop, a finite-state machine)")
        ->capture_default_str();
    app.add_option("--disk", cfg.io.disk_path,
                   "the PV disk's image file (a multiple of 512 bytes); default: a built-in disk");
    app.add_option("--disk-latency", cfg.io.disk_latency_ms,
                   "milliseconds each PV disk request waits before its transfer (a simulated "
                   "seek)")
        ->capture_default_str();
    app.add_flag("--no-seccomp", no_seccomp, "do not install the system-call allow-list");
    app.add_flag("--json", json, "print the result as JSON (standalone use)");
    // Test-only faults: "crash" aborts at start, "syscall" makes a call the
    // seccomp allow-list forbids once the filter is in place.
    app.add_option("--test-fault", test_fault)
        ->group("")
        ->check(CLI::IsMember({"crash", "syscall"}));
    ptv::cli::parse_or_exit(app, argc, argv, "ptv-vmwp");
    if (cfg.image_path.empty() && cfg.restore_dir.empty() && incoming_fd < 0) {
        std::fprintf(stderr, "ptv-vmwp: give an image to boot or --restore DIR; see --help\n");
        return ptv::kUsageExit;
    }
    if (test_fault == "crash") std::abort();

    if (no_input || listen_fd >= 0) cfg.input_fd = -1;
    if (console == "vga") cfg.console = Console::Vga;
    if (json && control_fd < 0) cfg.console_fd = 2;  // stdout carries only the JSON

    // Nobody left to watch us: end with the parent (ptv). A service's
    // worker outlives its service, which re-adopts it when it comes back.
    if (control_fd >= 0) ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // The service's first connection is queued already: take it, so that
    // even a start-up error reaches the service.
    int first_conn = -1;
    if (listen_fd >= 0) first_conn = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    const int report_fd = control_fd >= 0 ? control_fd : first_conn;

    auto report_error = [&](int status, const std::string& msg) {
        if (report_fd >= 0)
            send_message(report_fd, {{"type", "error"}, {"status", status}, {"message", msg}});
        else
            std::fprintf(stderr, "ptv-vmwp: %s\n", msg.c_str());
        return status;
    };

    try {
        // Before KVM: bad input is the user's to fix.
        check_config(cfg, incoming_fd >= 0);
        BackEnd::check(cfg.io);
        if (requests_opt->count()) RequestPort::check(requests_fd);
    } catch (const ptv::UsageError& e) {
        return report_error(ptv::kUsageExit, e.what());
    }

    std::unique_ptr<WorkerProcess> worker;
    std::unique_ptr<ControlChannel> control;
    // An incoming guest: the session's hello says what machine to build.
    // Live migration: an empty machine that the source fills. Weak
    // mobility (ship): the image comes over the wire and boots fresh.
    namespace mig = ptv::migration;
    std::unique_ptr<mig::Connection> incoming;
    mig::Session session{};
    if (incoming_fd >= 0) {
        try {
            incoming = std::make_unique<mig::Connection>(incoming_fd, mig::peer_name(incoming_fd));
            session = mig::accept_session(*incoming);
            // The source's patience for a silent path is ours too, so a
            // source that dies or hangs is noticed here, not waited on.
            const double timeout_s = session.meta.value("timeout_s", 5.0);
            mig::set_path_timeout(incoming_fd, std::isfinite(timeout_s) && timeout_s > 0.1
                                                   ? std::min(timeout_s, 3600.0)
                                                   : 5.0);
            cfg.memory_mib = uint32_t(session.hello.memory_bytes >> 20);
            cfg.name = session.meta.value("name", "guest");
            cfg.cmdline = session.meta.value("cmdline", "");
            cfg.image_path = session.meta.value("image", "");
            if (mig::Kind(session.hello.kind) == mig::Kind::Ship) {
                incoming->send_json(mig::Frame::Accept, {{"pid", ::getpid()}});
                const auto h = incoming->read_header();
                if (mig::Frame(h.type) != mig::Frame::Image)
                    throw mig::ProtocolError(fmt::format("{} sent {} instead of the image",
                                                         incoming->peer(),
                                                         mig::frame_name(mig::Frame(h.type))));
                cfg.image_bytes = incoming->read_payload(h, mig::kMaxImageBytes);
                if (cfg.image_path.empty()) cfg.image_path = "(shipped)";
            } else {
                cfg.incoming = true;
            }
        } catch (const mig::ProtocolError& e) {
            return report_error(exit_status(Outcome::MigrationFailed), e.what());
        }
    }
    try {
        if (!cfg.restore_dir.empty()) {
            // The snapshot says what machine it was taken on.
            const auto st = read_snapshot_state(cfg.restore_dir);
            cfg.memory_mib = uint32_t(st["memory"]["bytes"].get<uint64_t>() >> 20);
            if (cfg.image_path.empty()) cfg.image_path = st.value("image", "");
            if (cfg.cmdline.empty()) cfg.cmdline = st.value("cmdline", "");
            if (cfg.name.empty()) cfg.name = st.value("vm", "");
        }
        if (cfg.name.empty()) cfg.name = std::filesystem::path(cfg.image_path).stem().string();
        if (listen_fd >= 0)
            cfg.console_sink = [&control](std::string_view bytes) {
                if (control)
                    control->send({{"type", "console"}, {"data", bytes_to_text(bytes)}}, true);
            };
        worker = std::make_unique<WorkerProcess>(cfg);
    } catch (const ptv::UsageError& e) {
        if (incoming) {
            const std::string why = e.what();
            incoming->send_frame(mig::Frame::Error, why.data(), why.size());
        }
        return report_error(ptv::kUsageExit, e.what());
    } catch (const SnapshotError& e) {
        return report_error(ptv::kUsageExit, e.what());
    } catch (const std::exception& e) {
        return report_error(exit_status(Outcome::KvmFailure), e.what());
    }

    g_worker = worker.get();
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);

    auto state_of = [&] { return worker->paused() ? "paused" : "running"; };
    auto on_request = [&](const nlohmann::json& req, ControlChannel& ch) {
        const std::string type = req.value("type", "");
        // Replies go to whoever is connected when they are ready.
        auto reply = [&ch, id = req.value("id", nlohmann::json())](const nlohmann::json& m) {
            nlohmann::json r = m;
            if (!id.is_null()) r["id"] = id;
            ch.send(r);
        };
        if (type == "stop") {
            worker->stop();
        } else if (type == "status") {
            reply({{"type", "status"},
                   {"state", state_of()},
                   {"pid", ::getpid()},
                   {"exits", worker->exits_so_far()}});
        } else if (type == "pause") {
            worker->pause(reply);
        } else if (type == "resume") {
            worker->resume(reply);
        } else if (type == "snapshot") {
            worker->snapshot(req.value("dir", ""), reply);
        } else if (type == "migrate") {
            worker->migrate(req, reply);
        } else if (type == "input") {
            worker->console_input(text_to_bytes(req.value("data", "")));
        }
    };
    auto hello = [&](ControlChannel& ch) {
        ch.send({{"type", "started"},
                 {"pid", ::getpid()},
                 {"guest", cfg.name},
                 {"state", state_of()},
                 {"exits", worker->exits_so_far()}});
    };
    if (control_fd >= 0) {
        control = std::make_unique<ControlChannel>(control_fd, on_request, [&] { worker->stop(); });
        control->send({{"type", "started"}, {"pid", ::getpid()}, {"guest", cfg.name}});
    } else if (listen_fd >= 0) {
        control = std::make_unique<ControlChannel>(
            first_conn, listen_fd, on_request, [] {}, hello,
            [&](ControlChannel& ch) {
                ch.send(
                    {{"type", "status"}, {"state", state_of()}, {"exits", worker->exits_so_far()}});
            });
        hello(*control);
    }

    if (!no_seccomp) {
        try {
            enter_seccomp_jail();
        } catch (const std::exception& e) {
            return report_error(exit_status(Outcome::KvmFailure), e.what());
        }
    }
    if (test_fault == "syscall") (void)!::socket(AF_NETLINK, SOCK_RAW, 0);  // SIGSYS

    if (incoming) {
        try {
            if (cfg.incoming) {
                incoming->send_json(mig::Frame::Accept, {{"pid", ::getpid()}});
                worker->receive_migration(std::move(incoming), mig::Mode(session.hello.mode));
            } else {
                incoming->send_json(mig::Frame::Started, {{"pid", ::getpid()}});
                incoming.reset();
            }
        } catch (const std::exception& e) {
            return report_error(exit_status(Outcome::MigrationFailed),
                                fmt::format("incoming migration failed before the switch-over: "
                                            "{}; the guest was not started here",
                                            e.what()));
        }
        if (control)
            control->send({{"type", "incoming"},
                           {"mode", mig::mode_name(mig::Mode(session.hello.mode))},
                           {"kind", session.hello.kind}});
    }

    // The clients' requests wait in the host ring until the guest binds its
    // queue; the port goes before the worker, which holds the ring.
    std::unique_ptr<RequestPort> requests;
    if (requests_opt->count())
        requests = std::make_unique<RequestPort>(requests_fd, worker->host_ring());

    if (start_paused)
        worker->pause([&](const nlohmann::json& m) {
            if (control) control->send(m);
        });

    nlohmann::json result;
    try {
        result = worker->run();
    } catch (const ptv::UsageError& e) {
        return report_error(ptv::kUsageExit, e.what());
    }
    requests.reset();  // no more clients: the guest has stopped
    const int status = result["status"].get<int>();
    if (!result_file.empty()) {
        // Beside the control channel: the service may be away right now.
        const std::string tmp = result_file + ".tmp";
        std::ofstream(tmp) << result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                           << "\n";
        std::rename(tmp.c_str(), result_file.c_str());
    }
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
        if (auto io = back_end_text(result); !io.empty()) std::printf("\n%s", io.c_str());
        if (auto state = final_state_text(result); !state.empty())
            std::printf("\n%s", state.c_str());
    }
    g_worker = nullptr;
    return status;
}
