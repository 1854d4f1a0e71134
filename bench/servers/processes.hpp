// The processes bench-servers runs and measures: our servers, nginx and
// wrk, each started by the benchmark, in a process group of its own, and
// stopped (and reaped) by it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace bench_servers {

// A child process in its own process group; killed with its group by the
// destructor. It dies with the benchmark (PR_SET_PDEATHSIG).
class Child {
  public:
    // stdout to a pipe when `capture`; else to /dev/null. stderr stays ours.
    Child(const std::vector<std::string>& argv, bool capture);
    ~Child();
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    pid_t pid() const { return pid_; }
    // The first line of its stdout (waits up to timeout_s); "" if none.
    std::string first_line(double timeout_s);
    // Everything on its stdout until it exits (waits up to timeout_s).
    std::string read_all(double timeout_s);
    // Sends `sig`, waits up to timeout_s; then SIGKILLs the group. Returns
    // true on a clean exit (status 0).
    bool stop(int sig, double timeout_s);

  private:
    pid_t pid_ = -1;
    int out_ = -1;
    std::string buffered_;
};

// A temporary directory, removed with everything in it.
struct TempDir {
    TempDir();
    ~TempDir();
    std::string path;
};

// An unused TCP port on 127.0.0.1 (bound, read, released).
int free_port();
// Waits until 127.0.0.1:port accepts connections.
bool wait_listening(int port, double timeout_s);
// The full path of a program on $PATH, or "".
std::string which(const std::string& name);

// What both server benchmarks print and parse.
// The ptv beside this benchmark's own binary.
std::string ptv_beside();
// A progress line on a terminal's stderr, overwritten by the next.
void progress(const std::string& what);
// The port in a "... on http://127.0.0.1:PORT/ ..." line; -1 if none.
int port_in(const std::string& line);
// "1.23x", or "-" when b is 0.
std::string ratio(double a, double b);
// Milliseconds, as ptv::human_ns prints a time.
std::string ms(double v);
// "a,b" -> {"a", "b"}, in the order given; a name not in `allowed` is a
// ptv::UsageError naming the option and the kind of thing it lists.
std::vector<std::string> split_names(const std::string& list,
                                     const std::vector<std::string>& allowed,
                                     const std::string& option, const std::string& kind);

struct WrkResult {
    double requests_per_s = 0;
    double p50_ms = 0, p90_ms = 0, p99_ms = 0;
    uint64_t requests = 0, errors = 0, non_2xx = 0;
    bool ok = false;
    std::string raw;
};
// wrk -t1 -cC -dS --latency [EXTRA...] URL (one load thread: the other CPU is the
// server's).
WrkResult run_wrk(const std::string& wrk, const std::string& url, int connections,
                  double duration_s, const std::vector<std::string>& extra = {});

// nginx serving `root` on 127.0.0.1:port with `workers` worker processes,
// from a temporary configuration (no logs, temp paths inside `dir`).
class Nginx {
  public:
    Nginx(const std::string& nginx, const std::string& dir, const std::string& root, int port,
          int workers);
    ~Nginx();
    pid_t pid() const;
    bool ok() const { return ok_; }

  private:
    Child* child_ = nullptr;
    bool ok_ = false;
};

// VmRSS of a process and of all its descendants, in bytes.
uint64_t tree_rss(pid_t pid);

// Opens n connections to 127.0.0.1:port, sends one keep-alive GET of `path`
// on each and reads the replies; the connections stay open (idle) until
// close_all(). Returns how many got a 200.
class IdleConnections {
  public:
    int open(int port, const std::string& path, int n, double timeout_s);
    void close_all();
    ~IdleConnections() { close_all(); }

  private:
    std::vector<int> fds_;
};

}  // namespace bench_servers
