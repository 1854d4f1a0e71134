// `ptv vm ...`: the management service's client verbs. Each sends one
// request over the service's socket (real-kvm-backend/vmms/README.md) and
// prints the answer, as text or (--json) as the service's JSON.
#include <poll.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "commands.hpp"
#include "paths.hpp"
#include "ptv/common/clock.hpp"
#include "ptv/common/table.hpp"
#include "ptv/vmms/client.hpp"

namespace ptv::cli {

namespace {

struct VmOptions {
    std::string socket, name, guest, restart = "never", cmdline, snapshot, test_fault;
    uint32_t memory_mib = 64;
    bool json = false, paused = false, dump = false;
    double for_s = 0;
};

std::string uptime(double s) {
    if (s <= 0) return "-";
    if (s < 60) return fmt::format("{:.1f}s", s);
    if (s < 3600) return fmt::format("{}m{:02}s", int(s) / 60, int(s) % 60);
    return fmt::format("{}h{:02}m", int(s) / 3600, int(s) / 60 % 60);
}

// The text form of a successful reply.
std::string describe(const std::string& verb, const VmOptions& o, const nlohmann::json& r) {
    const auto& vm = r.contains("vm") ? r["vm"] : nlohmann::json::object();
    if (verb == "create")
        return fmt::format("created VM {} ({}, {} MiB, restart {})", o.name,
                           std::filesystem::path(vm.value("guest", "")).stem().string(),
                           vm.value("memory_mib", 0), vm.value("restart", ""));
    if (verb == "start")
        return fmt::format("started VM {} (worker pid {})", o.name, vm.value("pid", 0));
    if (verb == "stop") return fmt::format("stopped VM {}", o.name);
    if (verb == "pause")
        return fmt::format("paused VM {} (memory hash {})", o.name, r.value("memory_hash", ""));
    if (verb == "resume") return fmt::format("resumed VM {}", o.name);
    if (verb == "delete") return fmt::format("deleted VM {}", o.name);
    if (verb == "snapshot")
        return r.value("offline", false)
                   ? fmt::format("snapshot {} of stopped VM {} made from its last one", o.snapshot,
                                 o.name)
                   : fmt::format("snapshot {} of VM {} written in {:.1f} ms", o.snapshot, o.name,
                                 r.value("total_ns", 0.0) / 1e6);
    if (verb == "restore")
        return fmt::format("VM {} restored from {} (worker pid {}, {})", o.name, o.snapshot,
                           vm.value("pid", 0), vm.value("state", ""));
    return "ok";
}

std::string list_table(const nlohmann::json& r) {
    Table t({"NAME", "STATE", "PID", "UPTIME", "RESTARTS", "EXITS/S", "POLICY", "LAST EXIT"});
    t.right_align({2, 3, 4, 5});
    for (const auto& v : r["vms"]) {
        std::string state = v.value("state", "");
        if (v.contains("restart_in_ms"))
            state += fmt::format(" (in {} ms)", v.value("restart_in_ms", 0));
        t.row({v.value("name", ""), state,
               v.value("pid", 0) ? std::to_string(v.value("pid", 0)) : "-",
               uptime(v.value("uptime_s", 0.0)), std::to_string(v.value("restarts", 0)),
               fmt::format("{:.0f}", v.value("exits_per_s", 0.0)), v.value("restart", ""),
               v.value("last_exit", "")});
    }
    return t.render();
}

std::string snapshots_table(const nlohmann::json& r) {
    Table t({"SNAPSHOT", "MEMORY", "HASH", "STATUS"});
    t.right_align({1});
    for (const auto& s : r["snapshots"])
        t.row({s.value("snapshot", "") + (s.value("last", false) ? " *" : ""),
               s.value("ok", false) ? fmt::format("{} MiB", s.value("memory_bytes", 0ull) >> 20)
                                    : "-",
               s.value("memory_hash", "-"), s.value("ok", false) ? "ok" : s.value("error", "")});
    return t.render();
}

// `ptv vm console NAME`: the backlog, then serial output as it comes; what
// is typed goes to the guest's UART. Ends when the VM stops, after --for
// seconds, or with Ctrl-C.
int console(vmms::Client& c, const VmOptions& o) {
    auto r = c.request({{"op", "console"}, {"name", o.name}, {"follow", !o.dump}});
    if (!r.value("ok", false)) {
        std::fprintf(stderr, "ptv: %s\n", r.value("error", "").c_str());
        return r.value("status", 1);
    }
    auto out = [](const std::string& text) {
        const std::string bytes = worker::text_to_bytes(text);
        (void)!::write(1, bytes.data(), bytes.size());
    };
    out(r.value("backlog", ""));
    if (o.dump) return 0;
    const uint64_t deadline = o.for_s > 0 ? now_ns() + uint64_t(o.for_s * 1e9) : 0;
    bool input_open = true;
    for (;;) {
        int wait_ms = -1;
        if (deadline) {
            const uint64_t now = now_ns();
            if (now >= deadline) return 0;
            wait_ms = int((deadline - now) / 1000000) + 1;
        }
        pollfd fds[2] = {{c.fd(), POLLIN, 0}, {input_open ? 0 : -1, POLLIN, 0}};
        if (::poll(fds, 2, wait_ms) < 0) continue;
        if (fds[1].revents) {
            char buf[4096];
            const ssize_t n = ::read(0, buf, sizeof buf);
            if (n <= 0)
                input_open = false;  // end of input: keep watching the output
            else
                c.send({{"op", "input"}, {"data", worker::bytes_to_text({buf, size_t(n)})}});
        }
        if (fds[0].revents) {
            if (!c.reader().read_once()) return 0;
            nlohmann::json m;
            while (c.reader().pop(m)) {
                if (m.contains("console")) out(m["console"].get<std::string>());
                if (m.value("event", "") == "deleted") return 0;
            }
        }
    }
}

int run_verb(const std::string& verb, const VmOptions& o) {
    vmms::Client c(o.socket.empty() ? vmms::default_socket_path() : o.socket);
    if (verb == "console") return console(c, o);
    nlohmann::json req = {{"op", verb}, {"name", o.name}};
    if (verb == "create") {
        req["guest"] = std::filesystem::absolute(resolve_guest(o.guest)).string();
        req["memory_mib"] = o.memory_mib;
        req["restart"] = o.restart;
        req["cmdline"] = o.cmdline;
        if (!o.test_fault.empty()) req["test_fault"] = o.test_fault;
    }
    if (verb == "snapshot" || verb == "restore") req["snapshot"] = o.snapshot;
    if (verb == "restore") req["paused"] = o.paused;
    const auto r = c.request(req);
    if (!r.value("ok", false)) {
        std::fprintf(stderr, "ptv: %s\n", r.value("error", "").c_str());
        if (o.json) std::printf("%s\n", r.dump(2).c_str());
        return r.value("status", 1);
    }
    if (o.json)
        std::printf("%s\n", r.dump(2).c_str());
    else if (verb == "list")
        std::printf("%s", list_table(r).c_str());
    else if (verb == "snapshots")
        std::printf("%s", snapshots_table(r).c_str());
    else if (verb == "info")
        for (const auto& [key, value] : r["vm"].items())
            std::printf(
                "%-14s %s\n", key.c_str(),
                value.is_string() ? value.get<std::string>().c_str() : value.dump().c_str());
    else
        std::printf("%s\n", describe(verb, o, r).c_str());
    return 0;
}

}  // namespace

Commands vmms_client_commands(CLI::App& vm) {
    Commands commands;
    auto add = [&](const std::string& verb, const std::string& help, bool named) {
        auto o = std::make_shared<VmOptions>();
        auto* cmd = vm.add_subcommand(verb, help);
        if (named) cmd->add_option("name", o->name, "the VM")->required();
        cmd->add_option("--socket", o->socket, "the service's socket (default $PTV_VMMS_SOCKET)");
        cmd->add_flag("--json", o->json, "print the service's answer as JSON");
        commands.emplace_back(cmd, [verb, o] { return run_verb(verb, *o); });
        return std::make_pair(cmd, o);
    };
    {
        auto [cmd, o] = add("create", "define a VM (it starts with 'ptv vm start')", true);
        cmd->add_option("--guest", o->guest, "guest name ('ptv kvm guests') or image path")
            ->required();
        cmd->add_option("-m,--memory", o->memory_mib, "guest memory in MiB")->capture_default_str();
        cmd->add_option("--restart", o->restart, "restart policy when the worker ends")
            ->check(CLI::IsMember({"never", "on-failure", "always"}))
            ->capture_default_str();
        cmd->add_option("--cmdline", o->cmdline, "multiboot command line for the guest");
        cmd->add_option("--test-fault", o->test_fault)->group("");  // tests: crash, syscall
    }
    add("start", "start the VM's worker (from its last snapshot, if it has one)", true);
    add("stop", "stop the VM (no restart)", true);
    add("pause", "pause the VM's vCPU", true);
    add("resume", "resume a paused VM", true);
    add("delete", "delete a stopped VM and its snapshots", true);
    add("list", "list the VMs: state, worker pid, uptime, restarts, exits per second", false);
    {
        auto [cmd, o] = add("console", "attach to the VM's serial console (Ctrl-C detaches)", true);
        cmd->add_option("--for", o->for_s, "detach after SECONDS");
        cmd->add_flag("--dump", o->dump, "print what the console said so far and exit");
    }
    {
        auto [cmd, o] =
            add("snapshot", "save the VM's state as SNAPSHOT (running or stopped)", true);
        cmd->add_option("snapshot", o->snapshot, "snapshot name")->required();
    }
    {
        auto [cmd, o] = add("restore", "run the VM from SNAPSHOT in a fresh worker", true);
        cmd->add_option("snapshot", o->snapshot, "snapshot name")->required();
        cmd->add_flag("--paused", o->paused, "leave it paused (for inspection)");
    }
    add("snapshots", "list the VM's snapshots", true);
    add("info", "the VM's record: configuration and state", true);
    return commands;
}

}  // namespace ptv::cli
