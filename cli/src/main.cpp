// ptv: the one command-line front end of ptvlab (`ptv <module> <verb>`).
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "demo.hpp"
#include "kvm_run.hpp"
#include "lab.hpp"
#include "paths.hpp"
#include "ptv/common/cli.hpp"
#include "ptv/common/error.hpp"

// `ptv vmm ...` runs in ptv-vmm, `ptv exercises ...` in ptv-exercises and
// `ptv viz ...` in ptv-viz, beside ptv: dynamically linked programs (Zydis;
// Dear ImGui, GLFW, OpenGL), while ptv is static (see
// cli/src/vmm/vmm_commands.hpp).
[[noreturn]] void exec_beside(const std::string& path, int argc, char** argv) {
    std::vector<char*> args = {const_cast<char*>(path.c_str())};
    for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
    args.push_back(nullptr);
    ::execv(path.c_str(), args.data());
    std::fprintf(stderr, "ptv: cannot run %s: %s; rebuild with 'make build'\n", path.c_str(),
                 std::strerror(errno));
    std::exit(ptv::kUsageExit);
}

int main(int argc, char** argv) {
    if (argc >= 2 && std::string_view(argv[1]) == "vmm")
        exec_beside(ptv::cli::executable_dir() + "/ptv-vmm", argc, argv);
    if (argc >= 2 && std::string_view(argv[1]) == "exercises")
        exec_beside(ptv::cli::executable_dir() + "/ptv-exercises", argc, argv);
    if (argc >= 2 && std::string_view(argv[1]) == "viz") {
        try {
            exec_beside(ptv::cli::viz_path(), argc, argv);
        } catch (const ptv::UsageError& e) {
            std::fprintf(stderr, "ptv viz: %s\n", e.what());
            return ptv::kUsageExit;
        }
    }
    CLI::App app{"ptv: processes, threads and virtualization, for real and simulated"};
    app.require_subcommand(1);

    auto* kvm = app.add_subcommand("kvm", "the real KVM hypervisor (one worker process per VM)");
    kvm->require_subcommand(1);

    ptv::cli::KvmRunOptions run;
    auto* run_cmd = kvm->add_subcommand("run", "boot a guest in a ptv-vmwp worker process");
    run_cmd->add_option("guest", run.guest, "guest name (see 'ptv kvm guests') or image path")
        ->required();
    run_cmd->add_option("-m,--memory", run.memory_mib, "guest memory in MiB")
        ->capture_default_str();
    run_cmd->add_option("--timeout", run.timeout_s, "stop the guest after SECONDS (watchdog)")
        ->check(CLI::PositiveNumber);
    run_cmd->add_option("--cmdline", run.cmdline,
                        "multiboot command line (e.g. an iteration count)");
    run_cmd
        ->add_option("--cpus", run.cpus,
                     "vCPUs, each a thread of the worker (1 to 8; every one starts at the entry "
                     "with its CPU number, see guests/include/ptv/portmap.h)")
        ->capture_default_str();
    run_cmd->add_option("--trace", run.trace_path, "write a Chrome trace (Perfetto) to FILE");
    run_cmd->add_option("--trace-capacity", run.trace_capacity, "exits the trace buffer holds")
        ->capture_default_str();
    run_cmd->add_flag("--allow-unclaimed-mmio", run.allow_unclaimed_mmio,
                      "drop writes to unclaimed MMIO instead of stopping with a bus error");
    run_cmd->add_flag("--viz", run.viz, "watch the trace live in the visualizer (ptv viz)");
    run_cmd->add_option("--viz-screenshot", run.viz_screenshot,
                        "with --viz, headless: write the timeline as PNG when the guest stops");
    run_cmd->add_option(
        "--trace-socket", run.trace_socket,
        "stream the trace live on a Unix socket at PATH ('ptv viz --connect PATH')");
    run_cmd->add_flag("--json", run.json,
                      "print the result as JSON on stdout (serial output goes to stderr)");
    run_cmd
        ->add_option("--console", run.console,
                     "the console: serial (the UART; typed lines go to it) or vga (the text "
                     "screen drawn here, keys as pressed to the i8042 keyboard; Ctrl-C stops)")
        ->check(CLI::IsMember({"serial", "vga"}))
        ->capture_default_str();
    run_cmd
        ->add_option("--dispatch", run.dispatch,
                     "how the worker serves device requests: inline (on the vCPU's thread, the "
                     "iterative server), pool:N (a dispatcher thread and N worker threads, "
                     "Fig. 3-3) or event (one event loop, a finite-state machine)")
        ->capture_default_str();
    run_cmd->add_option("--disk", run.disk,
                        "the PV disk's image file (a multiple of 512 bytes); default: a built-in "
                        "disk");
    run_cmd
        ->add_option("--disk-latency", run.disk_latency_ms,
                     "milliseconds each PV disk request waits before its transfer")
        ->capture_default_str();

    auto* guests_cmd = kvm->add_subcommand("guests", "list the built-in guests");

    // Listed for --help; `ptv vmm|viz|exercises ...` never reach the parser (exec_beside).
    app.add_subcommand("vmm",
                       "an x86 CPU model: trap-and-emulate, a VMX model, paravirtualization, "
                       "binary translation ('ptv vmm --help')");
    app.add_subcommand("viz", "the visualizer: ptv viz FILE | --connect SOCKET ('ptv viz --help')");
    app.add_subcommand("exercises",
                       "question banks with exact answers for an LMS: export (json, Moodle XML, "
                       "GIFT), check ('ptv exercises --help')");

    auto* threads = app.add_subcommand(
        "threads", "threading models: simulated with exact answers, and measured for real");
    threads->require_subcommand(1);
    ptv::cli::Commands commands;
    for (auto add : {ptv::cli::threads_sim_commands, ptv::cli::threads_measure_commands,
                     ptv::cli::threads_demo_commands, ptv::cli::threads_kvm_commands}) {
        auto more = add(*threads);
        commands.insert(commands.end(), more.begin(), more.end());
    }

    auto* servers = app.add_subcommand(
        "servers", "server architectures: real HTTP servers, a load generator, a model");
    servers->require_subcommand(1);
    for (auto add : {ptv::cli::servers_run_commands, ptv::cli::servers_load_commands,
                     ptv::cli::servers_sim_commands, ptv::cli::servers_kvm_commands,
                     ptv::cli::servers_switch_commands}) {
        auto more = add(*servers);
        commands.insert(commands.end(), more.begin(), more.end());
    }

    auto* migrate = app.add_subcommand("migrate", "code and VM migration (chapter 3.5)");
    migrate->require_subcommand(1);
    for (auto add : {ptv::cli::migrate_sim_commands, ptv::cli::migrate_live_commands}) {
        auto more = add(*migrate);
        commands.insert(commands.end(), more.begin(), more.end());
    }

    auto* cluster = app.add_subcommand(
        "cluster", "VM placement and consolidation across hosts, a server cluster (chapter 3)");
    cluster->require_subcommand(1);
    for (auto add : {ptv::cli::cluster_sim_commands, ptv::cli::cluster_commands,
                     ptv::cli::cluster_serve_commands}) {
        auto more = add(*cluster);
        commands.insert(commands.end(), more.begin(), more.end());
    }

    auto* vmms = app.add_subcommand(
        "vmms", "the management service: one worker per VM, supervised, with snapshots");
    vmms->require_subcommand(1);
    auto more = ptv::cli::vmms_service_commands(*vmms);
    commands.insert(commands.end(), more.begin(), more.end());
    auto* vm = app.add_subcommand("vm", "VMs of the management service ('ptv vmms start')");
    vm->require_subcommand(1);
    more = ptv::cli::vmms_client_commands(*vm);
    commands.insert(commands.end(), more.begin(), more.end());

    auto* container = app.add_subcommand(
        "container", "containers beside VMs: namespaces, a union file system, control groups");
    container->require_subcommand(1);
    more = ptv::cli::container_commands(*container);
    commands.insert(commands.end(), more.begin(), more.end());

    auto* compare = app.add_subcommand(
        "compare", "containers and VMs side by side, measured where they can be");
    compare->require_subcommand(1);
    more = ptv::cli::compare_commands(*compare);
    commands.insert(commands.end(), more.begin(), more.end());

    auto* lab = app.add_subcommand("lab", "lab assignments: list, start, handout, package");
    lab->require_subcommand(1);
    more = ptv::cli::lab_commands(*lab);
    commands.insert(commands.end(), more.begin(), more.end());
    more = ptv::cli::grade_commands(app);
    commands.insert(commands.end(), more.begin(), more.end());
    more = ptv::cli::demo_commands(app);
    commands.insert(commands.end(), more.begin(), more.end());

    ptv::cli::parse_or_exit(app, argc, argv, "ptv");
    try {
        if (run_cmd->parsed()) return ptv::cli::kvm_run(run);
        for (auto& [cmd, runner] : commands)
            if (cmd->parsed()) return runner();
        if (guests_cmd->parsed()) {
            for (const auto& g : ptv::cli::guest_names()) std::printf("%s\n", g.c_str());
            return 0;
        }
    } catch (const ptv::UsageError& e) {
        std::fprintf(stderr, "ptv: %s\n", e.what());
        return ptv::kUsageExit;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ptv: internal error: %s\n", e.what());
        return 70;
    }
    return 0;
}
