// Test helpers for sim/servers: a `ptv servers run` process started the way
// a user starts it, a served directory with known files, and a small raw
// HTTP client (responses framed by the same libhttp-parser as the servers
// use, so a framing mistake of ours still shows as a wrong status or body).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "process.hpp"
#include "ptv/servers/http/request.hpp"

namespace ptv::test {

// The architectures, as `--arch` spells them.
const std::vector<std::string>& server_architectures();

// A directory to serve, next to a file outside it:
//   root/index.html        "<h1>ptvlab</h1>\n"
//   root/small.txt         kSmallText
//   root/with space.txt    "spaced\n"
//   root/big.bin           4 MiB of a repeating pattern
//   root/sub/a.txt         "a\n" (sub/ has no index.html)
//   root/fifo              a named pipe (opening it must not hang the server)
//   root/up                symbolic link to ../outside.txt
//   root/passwd            symbolic link to /etc/passwd
//   outside.txt            "outside\n" (must never be served)
struct ServedTree {
    ServedTree();
    TempDir dir;
    std::string root;
    static constexpr std::string_view kSmallText = "small file, served\n";
    static constexpr size_t kBigBytes = 4 << 20;
};

// `ptv servers run --port 0 ARGS...` in its own process group; the
// constructor waits for its "listening" line and fails the test without it.
class ServerProcess {
  public:
    explicit ServerProcess(std::vector<std::string> args, double start_timeout_s = 10);
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
    void drain(double timeout_s);
    pid_t pid_ = -1;
    int out_fd_ = -1;
    int port_ = -1;
    std::string first_line_, output_;
    bool out_of_descriptors_ = false;
};

// A blocking TCP connection to 127.0.0.1:port (receive timeout 5 s).
int connect_to(int port);
void send_all(int fd, std::string_view bytes);
// Reads one response (HEAD: no body) from fd, keeping extra bytes in
// `buffer` for the next one; nullopt on timeout, reset or a malformed
// response.
std::optional<servers::http::Response> read_response(int fd, std::string& buffer, bool head = false,
                                                     double timeout_s = 5);
// True if the peer closes (EOF or reset) within timeout_s, having sent
// nothing more.
bool closed_by_peer(int fd, double timeout_s);
// connect, send `request`, read one response, close.
std::optional<servers::http::Response> exchange(int port, std::string_view request,
                                                bool head = false);
// "GET PATH HTTP/1.1" with a Host header (and `extra` header lines).
std::string get_request(std::string_view path, std::string_view extra = {},
                        std::string_view method = "GET");

// Opens `n` connections (in waves of 2,000, each answered before the next,
// so that the kernel's accept backlog does not overflow), sends one
// keep-alive GET of /small.txt on each and reads the responses, keeping
// every connection open until the end (unless the server closes it after
// its response). Returns how many were answered 200 with the right body.
int many_concurrent_requests(int port, int n, double timeout_s);

// CPU seconds (user + system) a process has used so far.
double cpu_seconds(pid_t pid);
// Raises this process's descriptor limit as far as it goes; returns it.
int raise_fd_limit();
// Built with sanitizers: the heavy tests scale down.
bool sanitized_build();

}  // namespace ptv::test
