// The server architectures of chapter 3.3 (Fig. 3-3 and its table; Pai et
// al., "Flash", USENIX 1999), their names on the command line, and
// `ptv servers run`: one real HTTP/1.1 file server per architecture.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "ptv/servers/http/service.hpp"

namespace ptv::servers::arch {

// The seven designs as a closed set, which the discrete-event model
// (servers/sim), `ptv servers compare` and the options switch over; the
// servers themselves are found by name in builtin_servers()
// (server_registry.hpp).
enum class Architecture {
    Iterative,             // one request at a time, blocking calls (no parallelism)
    ThreadPerConnection,   // a new kernel thread per connection
    DispatcherWorker,      // Fig. 3-3: a dispatcher accepts and queues, K workers serve
    ProcessPerConnection,  // fork() per connection (Flash's MP, per connection)
    Prefork,               // K processes made in advance, each accepting (Apache prefork)
    FiniteStateMachine,    // one thread, epoll, non-blocking calls (Flash's AMPED)
    Fibers                 // blocking-style code on Boost.Fiber over an event loop
};

std::string_view to_string(Architecture a);
// "iterative", "thread-per-connection", ...; throws ptv::UsageError.
Architecture parse_architecture(std::string_view name);
const std::vector<Architecture>& all_architectures();
// "iterative | thread-per-connection | ..." for --help and messages.
std::string architecture_names();
// One line: how it works, in the lecture's terms.
std::string_view describe(Architecture a);
// The architecture runs each connection in a child process.
bool forks(Architecture a);
// --workers when not given: worker threads (dispatcher-worker), processes
// (prefork) or disk helper threads (fsm, fibers); 0 where it means nothing.
int default_workers(Architecture a);

struct ServerOptions {
    Architecture arch = Architecture::DispatcherWorker;
    http::ServiceKind service = http::ServiceKind::Files;
    std::string host = "127.0.0.1";
    int port = 8080;  // 0: any free port (printed)
    std::string root = ".";
    int disk_latency_ms = 0;
    int cache_files = 64;
    int workers = 0;  // 0: default_workers(arch)
    double timeout_s = 10;
    bool list_directories = false;  // a directory without index.html is listed, not 403
    bool validators = true;         // Last-Modified, ETag, conditional and range requests
    std::string trace;
    size_t trace_capacity = 1 << 20;  // requests the trace holds
    int listen_fd = -1;               // serve this inherited listening socket (superserver)
    int max_fds = 0;                  // lower RLIMIT_NOFILE to this (tests, demos); 0: raise it
};

// Throws ptv::UsageError (one line) for options that cannot work together.
void validate(const ServerOptions& o);

// `ptv servers run`: listens (or takes --listen-fd), prints one line with
// the address to `out`, serves until SIGINT, SIGTERM or SIGHUP, waits for
// every thread and child process, writes the trace and prints a summary.
// Returns the exit status; usage errors throw ptv::UsageError.
int run(const ServerOptions& o, std::FILE* out);

}  // namespace ptv::servers::arch
