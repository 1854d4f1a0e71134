// Test helpers for sim/servers: a `ptv servers run` process started the way
// a user starts it; the served directory with known files and the raw HTTP
// client come from the conformance library.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "process.hpp"
#include "ptv/servers/conformance/client.hpp"
#include "ptv/servers/conformance/served_tree.hpp"
#include "ptv/servers/http/request.hpp"

namespace ptv::test {

// The architectures, as `--arch` spells them.
const std::vector<std::string>& server_architectures();

// The served directory and the raw client are the conformance library's
// (sim/servers/conformance), shared with lab 05.
using servers::conformance::closed_by_peer;
using servers::conformance::connect_to;
using servers::conformance::exchange;
using servers::conformance::get_request;
using servers::conformance::many_concurrent_requests;
using servers::conformance::read_response;
using servers::conformance::send_all;
using servers::conformance::ServedTree;

// `ptv servers run --port 0 ARGS...` in its own process group; the
// constructor waits for its "listening" line and fails the test without it.
class ServerProcess {
  public:
    explicit ServerProcess(std::vector<std::string> args, double start_timeout_s = 10);
    // `ptv ARGV...` for another verb that prints the same line
    // (`ptv servers switch`): ServerProcess(Ptv{{"servers", "switch", ...}}).
    struct Ptv {
        std::vector<std::string> argv;
    };
    explicit ServerProcess(Ptv command, double start_timeout_s = 10);
    ~ServerProcess();  // SIGKILLs the whole group if still running
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    int port() const { return port_; }
    pid_t pid() const { return pid_; }
    const std::string& first_line() const { return first_line_; }
    // Sends `sig` and waits up to timeout_s for the exit; returns the exit
    // status (128 + signal if killed by one), or -1 if it did not exit.
    int stop(int sig, double timeout_s = 10);
    bool running() const { return pid_ > 0; }
    // Everything it printed (stdout and stderr), once stopped.
    const std::string& output() const { return output_; }
    // The test runs it out of descriptors: stop() then does not count
    // sanitizer reports. The sanitizer runtimes need descriptors of their
    // own (UBSan probes memory through a pipe() before it checks a vptr),
    // and without them report valid objects as invalid, and leak while
    // reporting. Every other test covers the same code with descriptors to
    // spare.
    void out_of_descriptors() { out_of_descriptors_ = true; }

  private:
    void start(std::vector<std::string> argv, double start_timeout_s);
    void drain(double timeout_s);
    pid_t pid_ = -1;
    int out_fd_ = -1;
    int port_ = -1;
    std::string first_line_, output_;
    bool out_of_descriptors_ = false;
};

// CPU seconds (user + system) a process has used so far.
double cpu_seconds(pid_t pid);
// Raises this process's descriptor limit as far as it goes; returns it.
int raise_fd_limit();
// Built with sanitizers: the heavy tests scale down.
bool sanitized_build();

}  // namespace ptv::test
