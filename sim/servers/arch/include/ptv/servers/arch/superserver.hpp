// An inetd-style superserver (ch. 3.3, "Concurrent versus iterative
// servers"; inetd's "wait" services, systemd's socket activation): it
// listens on several ports at once, runs no service until a connection
// arrives, then starts the service for that port as a `ptv servers run`
// process and hands it the listening socket (fd 3, `--listen-fd 3`), which
// then accepts that connection and all later ones itself. A service that
// exits is started again by the next connection.
#pragma once

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "ptv/servers/arch/architecture.hpp"

namespace ptv::servers::arch {

struct SuperserverOptions {
    // PORT=SERVICE pairs (PORT 0: any free port).
    std::vector<std::pair<int, http::ServiceKind>> ports;
    ServerOptions server;  // what each service runs with (arch, root, disk, ...)
    std::string ptv;       // the ptv binary to start services with
};

// "8080,8081=stateless-counter": PORT[=SERVICE] items, SERVICE files by
// default; throws ptv::UsageError.
std::vector<std::pair<int, http::ServiceKind>> parse_ports(const std::string& text);

// Listens, prints one line per port to `out`, starts services on demand,
// and on SIGINT/SIGTERM/SIGHUP stops them all and returns 0.
int run_superserver(const SuperserverOptions& o, std::FILE* out);

}  // namespace ptv::servers::arch
