#include "ptv/servers/kvm/guest_load.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "ptv/common/clock.hpp"
#include "ptv/common/error.hpp"

namespace ptv::servers::kvm {

double GuestLoadResult::latency_ms(double p) const {
    if (latencies_ns.empty()) return 0;
    const size_t rank = size_t(std::ceil(p / 100.0 * double(latencies_ns.size())));
    return double(latencies_ns[std::min(latencies_ns.size() - 1, rank ? rank - 1 : 0)]) / 1e6;
}

namespace {

struct Answer {
    int status = -1;
    std::string bytes;
};

// The request port, seen from the clients: one socket, many requests in
// flight, answers matched to requests by ID.
class RequestPort {
  public:
    explicit RequestPort(int fd) : fd_(fd) {
        reader_ = std::thread([this] { read_answers(); });
    }
    ~RequestPort() {
        ::shutdown(fd_, SHUT_RDWR);
        reader_.join();
        ::close(fd_);
    }

    // Sends "ID LINE" and waits for its answer; nullopt if none came in time
    // (or the worker went away).
    std::optional<Answer> ask(const std::string& line, double timeout_s) {
        std::unique_lock lock(lock_);
        const uint64_t id = ++next_id_;
        waiting_[id];
        const std::string text = fmt::format("{} {}\n", id, line);
        // Sent without the answers' lock: the reader delivers meanwhile.
        lock.unlock();
        bool sent;
        {
            std::lock_guard send(send_lock_);
            sent = send_all(text);
        }
        lock.lock();
        if (!sent) closed_ = true;
        const bool got = answered_.wait_for(lock, std::chrono::duration<double>(timeout_s),
                                            [&] { return closed_ || waiting_[id].status >= 0; });
        Answer a = std::move(waiting_[id]);
        waiting_.erase(id);
        if (!got || a.status < 0) return std::nullopt;
        return a;
    }

  private:
    bool send_all(const std::string& text) {
        for (size_t at = 0; at < text.size();) {
            const ssize_t n = ::send(fd_, text.data() + at, text.size() - at, MSG_NOSIGNAL);
            if (n <= 0) return false;
            at += size_t(n);
        }
        return true;
    }

    // "ID STATUS LENGTH\n" then LENGTH bytes, until the socket ends.
    void read_answers() {
        std::string buf;
        char chunk[65536];
        for (;;) {
            const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n <= 0) break;
            buf.append(chunk, size_t(n));
            for (;;) {
                const size_t nl = buf.find('\n');
                if (nl == std::string::npos) break;
                unsigned long long id = 0;
                int status = 0;
                unsigned long length = 0;
                if (std::sscanf(buf.c_str(), "%llu %d %lu", &id, &status, &length) != 3) {
                    buf.clear();  // not the protocol: nothing more can be matched
                    break;
                }
                if (buf.size() < nl + 1 + length) break;
                std::lock_guard lock(lock_);
                if (auto it = waiting_.find(id); it != waiting_.end())
                    it->second = {status, buf.substr(nl + 1, length)};
                buf.erase(0, nl + 1 + length);
                answered_.notify_all();
            }
        }
        std::lock_guard lock(lock_);
        closed_ = true;
        answered_.notify_all();
    }

    int fd_;
    std::mutex send_lock_;
    std::mutex lock_;  // the fields below
    std::condition_variable answered_;
    std::map<uint64_t, Answer> waiting_;
    uint64_t next_id_ = 0;
    bool closed_ = false;
    std::thread reader_;
};

// The worker, its request port on descriptor 3, its JSON result on one
// pipe and its messages (and the guest's serial output) on another; it
// dies with us (PR_SET_PDEATHSIG).
struct Worker {
    pid_t pid = -1;
    int port = -1, out = -1, err = -1;

    explicit Worker(const GuestLoadOptions& o) {
        int sv[2], pipe_fds[2], err_fds[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 ||
            ::pipe2(pipe_fds, O_CLOEXEC) != 0 || ::pipe2(err_fds, O_CLOEXEC) != 0)
            throw std::runtime_error("socketpair/pipe failed");
        std::vector<std::string> argv = {
            o.worker,        o.image,      "--json",         "--no-input",
            "--requests-fd", "3",          "--dispatch",     o.dispatch,
            "--disk",        o.disk,       "--disk-latency", std::to_string(o.disk_latency_ms),
            "--name",        "file-server"};
        if (!o.cmdline.empty()) argv.insert(argv.end(), {"--cmdline", o.cmdline});
        // A watchdog, should the guest never end.
        argv.insert(argv.end(),
                    {"--timeout", fmt::format("{}", o.duration_s + 4 * o.timeout_s + 30)});
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        const pid_t parent = ::getpid();
        pid = ::fork();
        if (pid < 0) throw std::runtime_error("fork failed");
        if (pid == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent) ::_exit(127);
            ::dup2(sv[1], 3);  // dup2 clears close-on-exec on the copy
            ::dup2(pipe_fds[1], 1);
            ::dup2(err_fds[1], 2);
            ::execv(args[0], args.data());
            ::_exit(127);
        }
        ::close(sv[1]);
        ::close(pipe_fds[1]);
        ::close(err_fds[1]);
        port = sv[0];
        out = pipe_fds[0];
        err = err_fds[0];
    }

    static std::string read_all(int fd) {
        std::string text;
        char buf[65536];
        for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) text.append(buf, size_t(n));
        ::close(fd);
        return text;
    }

    // Reads the result to its end and reaps the worker. A worker that
    // refused to start (no KVM, a bad option: status 2) is the user's to
    // fix: its one line, as a ptv::UsageError.
    nlohmann::json finish() {
        const std::string text = read_all(out);
        const std::string messages = read_all(err);
        out = err = -1;
        int status = 0;
        ::waitpid(pid, &status, 0);
        pid = -1;
        auto j = nlohmann::json::parse(text, nullptr, false);
        if (j.is_discarded() && WIFEXITED(status) && WEXITSTATUS(status) == 2) {
            std::string line = messages.substr(0, messages.find('\n'));
            if (line.starts_with("ptv-vmwp: ")) line.erase(0, 10);
            throw UsageError(line);
        }
        return j.is_discarded() ? nlohmann::json(nullptr) : j;
    }

    ~Worker() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
        if (out >= 0) ::close(out);
        if (err >= 0) ::close(err);
    }
};

}  // namespace

GuestLoadResult run_guest_load(const GuestLoadOptions& o) {
    if (o.files.empty()) throw UsageError("no files to ask for");
    Worker worker(o);
    GuestLoadResult result;
    std::mutex result_lock;
    {
        RequestPort port(worker.port);
        std::atomic<bool> stop{false};
        const uint64_t t_start = now_ns();
        const uint64_t t_end = t_start + uint64_t(o.duration_s * 1e9);
        std::vector<std::thread> clients;
        for (int c = 0; c < o.clients; ++c)
            clients.emplace_back([&, c] {
                std::mt19937_64 rng(o.seed * 1000003u + uint64_t(c));
                std::vector<uint64_t> mine;
                uint64_t errors = 0;
                std::string first_error;
                while (!stop.load() && now_ns() < t_end) {
                    const DiskFile& f = o.files[rng() % o.files.size()];
                    const uint64_t t0 = now_ns();
                    const auto a = port.ask("GET " + f.name, o.timeout_s);
                    std::string wrong;
                    if (!a)
                        wrong = fmt::format("no answer to GET {} within {} s", f.name, o.timeout_s);
                    else if (a->status != 0)
                        wrong = fmt::format("GET {}: status {}", f.name, a->status);
                    else if (a->bytes != f.body)
                        wrong = fmt::format("GET {}: {} bytes that are not the file's {}", f.name,
                                            a->bytes.size(), f.body.size());
                    if (wrong.empty()) {
                        mine.push_back(now_ns() - t0);
                        continue;
                    }
                    if (errors++ == 0) first_error = wrong;
                    if (!a) stop = true;  // the worker is gone or stuck: the run is over
                }
                std::lock_guard lock(result_lock);
                result.latencies_ns.insert(result.latencies_ns.end(), mine.begin(), mine.end());
                result.errors += errors;
                if (result.first_error.empty()) result.first_error = first_error;
            });
        for (auto& t : clients) t.join();
        result.duration_s = double(now_ns() - t_start) / 1e9;
        // No more clients: the guest ends its run. One that does not answer
        // is stopped (the worker then reports where it was).
        if (!port.ask("QUIT", o.timeout_s)) ::kill(worker.pid, SIGTERM);
    }
    result.worker = worker.finish();
    std::sort(result.latencies_ns.begin(), result.latencies_ns.end());
    result.completed = result.latencies_ns.size();
    return result;
}

}  // namespace ptv::servers::kvm
