// `ptv servers run`: a real HTTP/1.1 file server in the architecture of
// your choice (sim/servers/arch).
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "ptv/servers/arch/architecture.hpp"
#include "ptv/servers/arch/superserver.hpp"

namespace ptv::cli {

namespace {

namespace sa = ptv::servers::arch;

struct SuperArgs {
    sa::SuperserverOptions options;
    std::string arch = "dispatcher-worker";
    std::string ports;
};

std::string self_path() {
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, size_t(n)) : "ptv";
}

struct RunArgs {
    sa::ServerOptions options;
    std::string arch = "dispatcher-worker";
    std::string service = "files";
};

}  // namespace

// Options shared by `run` and `superserver`.
static void add_server_options(CLI::App& cmd, sa::ServerOptions& o, std::string& arch) {
    cmd.add_option("--arch", arch, sa::architecture_names())->capture_default_str();
    cmd.add_option("--root", o.root, "directory to serve")->capture_default_str();
    cmd.add_option("--disk-latency", o.disk_latency_ms,
                   "MS added to every read that misses the cache (the simulated disk)")
        ->capture_default_str();
    cmd.add_option("--cache", o.cache_files, "FILES the LRU cache of the simulated disk holds")
        ->capture_default_str();
    cmd.add_option("--workers", o.workers,
                   "K: worker threads (dispatcher-worker, 16), processes (prefork, 4) or disk "
                   "helper threads (fsm, fibers, 4)")
        ->check(CLI::Range(1, 4096));
    cmd.add_option("--timeout", o.timeout_s,
                   "S: a connection idle, or sending its request, for longer is closed")
        ->capture_default_str();
    cmd.add_flag("--list-directories", o.list_directories,
                 "list a directory that has no index.html (names sorted and escaped) instead of "
                 "answering 403");
    cmd.add_flag("!--no-validators", o.validators,
                 "send no Last-Modified, ETag or Accept-Ranges and ignore conditional and range "
                 "requests");
    cmd.add_option("--max-fds", o.max_fds,
                   "N: lower the descriptor limit to N (to show running out); default: raise "
                   "it to the hard limit");
}

Commands servers_run_commands(CLI::App& servers) {
    auto a = std::make_shared<RunArgs>();
    auto* run = servers.add_subcommand(
        "run", "a real HTTP/1.1 file server (GET, HEAD, keep-alive) in one architecture");
    add_server_options(*run, a->options, a->arch);
    run->add_option("--port", a->options.port, "PORT to listen on (0: any free port)")
        ->capture_default_str();
    run->add_option("--host", a->options.host, "address to listen on (* for all)")
        ->capture_default_str();
    run->add_option("--service", a->service,
                    "files | stateful-counter | stateless-counter (the session counters)")
        ->capture_default_str();
    run->add_option("--trace", a->options.trace,
                    "write a Chrome trace of every request (queueing, service, disk) to FILE");
    run->add_option("--trace-capacity", a->options.trace_capacity, "requests the trace holds")
        ->capture_default_str();
    run->add_option("--listen-fd", a->options.listen_fd,
                    "serve this inherited listening socket (the superserver starts services "
                    "so)");

    auto s = std::make_shared<SuperArgs>();
    auto* super = servers.add_subcommand(
        "superserver",
        "inetd style: listen on several ports, start each port's service on its first "
        "connection");
    super
        ->add_option("--ports", s->ports,
                     "PORT[=SERVICE],...: SERVICE is files (default), stateful-counter or "
                     "stateless-counter; PORT 0 is any free port")
        ->required();
    super->add_option("--host", s->options.server.host, "address to listen on (* for all)")
        ->capture_default_str();
    add_server_options(*super, s->options.server, s->arch);

    return {{run,
             [a] {
                 a->options.arch = sa::parse_architecture(a->arch);
                 a->options.service = ptv::servers::http::parse_service(a->service);
                 return sa::run(a->options, stdout);
             }},
            {super, [s] {
                 s->options.server.arch = sa::parse_architecture(s->arch);
                 s->options.ports = sa::parse_ports(s->ports);
                 s->options.ptv = self_path();
                 return sa::run_superserver(s->options, stdout);
             }}};
}

}  // namespace ptv::cli
