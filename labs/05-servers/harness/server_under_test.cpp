// The student's servers in the kit's registry, run in-process (see
// server_under_test.hpp).
#include "harness/server_under_test.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <vector>

#include "ptv/common/clock.hpp"
#include "ptv/lab/harness.hpp"
#include "ptv/servers/arch/request_log.hpp"
#include "ptv/servers/arch/socket.hpp"
#include "ptv/servers/arch/stop.hpp"
#include "ptv/servers/conformance/client.hpp"
#include "ptv/servers/http/disk.hpp"
#include "ptv/servers/http/service.hpp"
#include "servers_lab.hpp"

namespace servers_lab::harness {

using namespace ptv::servers;
using ptv::lab::Failure;

const arch::ServerRegistry& registry() {
    static const arch::ServerRegistry r = [] {
        arch::ServerRegistry copy = arch::builtin_servers();
        copy.add<DispatcherWorker>(
            "lab-dispatcher-worker",
            "lab 05, Fig. 3-3: a dispatcher queues connections for K worker threads");
        copy.add<FiniteStateMachine>(
            "lab-fsm", "lab 05: one thread, epoll, non-blocking sockets, disk helper threads");
        return copy;
    }();
    return r;
}

std::string server_name(const std::string& prefix) {
    return prefix == "dw" ? "lab-dispatcher-worker" : "lab-fsm";
}

namespace {

size_t count_entries(const char* dir, std::set<int>* numbers) {
    size_t n = 0;
    if (DIR* d = opendir(dir)) {
        const int own = dirfd(d);
        while (dirent* e = readdir(d)) {
            if (e->d_name[0] == '.') continue;
            const int v = std::atoi(e->d_name);
            if (numbers && v == own) continue;  // the directory being listed
            ++n;
            if (numbers) numbers->insert(v);
        }
        closedir(d);
    }
    return n;
}

}  // namespace

Snapshot Snapshot::take() {
    Snapshot s;
    s.threads = count_entries("/proc/self/task", nullptr);
    count_entries("/proc/self/fd", &s.fds);
    return s;
}

// Everything the server uses lives here, and lives until the process ends.
struct ServerUnderTest::State {
    State(const std::string& root, const ServerOptions& o)
        : disk(root, o.disk_latency, o.cache_files, stop.fd()),
          service(http::make_service(http::ServiceKind::Files)),
          listen_fd(arch::listen_on("127.0.0.1", 0)),
          env{listen_fd, stop, *service, disk, *counters, nullptr, o.timeout, o.workers} {}
    ~State() { close(listen_fd); }

    arch::StopSignal stop;
    http::SimulatedDisk disk;
    std::unique_ptr<http::Service> service;
    arch::Shared<arch::SharedCounters> counters;
    int listen_fd;
    arch::ServerEnv env;

    std::mutex mtx;
    std::condition_variable cv;
    bool returned = false;
    std::exception_ptr error;
    uint64_t returned_ns = 0;
};

ServerUnderTest::ServerUnderTest(const std::string& name, const conformance::ServedTree& tree,
                                 const ServerOptions& options, Snapshot* before)
    : name_(name), state_(std::make_shared<State>(tree.root, options)) {
    // Kept until the process ends: a thread a server leaves running after
    // serve() returned (which the clean-stop case reports) must not touch
    // freed memory in the cases that do not look for it.
    static auto* kept = new std::vector<std::shared_ptr<State>>;  // never destroyed
    kept->push_back(state_);
    port_ = arch::bound_port(state_->listen_fd);
    std::unique_ptr<arch::Server> server = registry().make(name, state_->env);
    if (before) *before = Snapshot::take();
    thread_ = std::thread([s = state_, srv = std::move(server)]() mutable {
        std::exception_ptr error;
        try {
            srv->serve();
        } catch (...) {
            error = std::current_exception();
        }
        srv.reset();
        std::lock_guard lk(s->mtx);
        s->returned = true;
        s->error = error;
        s->returned_ns = ptv::now_ns();
        s->cv.notify_all();
    });
    // A first GET, answered: the server is up. What serve() threw at once
    // (a stub's NotImplemented) is the case's outcome.
    const std::string probe = conformance::get_request("/small.txt");
    int fd = conformance::connect_to(port_);
    if (fd >= 0) conformance::send_all(fd, probe);
    std::string buf;
    std::optional<http::Response> reply;
    const uint64_t deadline = ptv::now_ns() + 5'000'000'000ull;
    while (fd >= 0 && !reply && ptv::now_ns() < deadline) {
        {
            std::lock_guard lk(state_->mtx);
            if (state_->returned) break;
        }
        reply = conformance::read_response(fd, buf, false, 0.02);
        if (!reply && !buf.empty()) break;  // malformed
    }
    if (fd >= 0) close(fd);
    std::unique_lock lk(state_->mtx);
    if (state_->returned) {
        lk.unlock();
        thread_.join();
        stopped_ = true;
        if (state_->error) std::rethrow_exception(state_->error);
        throw Failure(name + ": serve() returned at once, before any stop was requested");
    }
    lk.unlock();
    if (!reply || reply->status != 200 || reply->body != conformance::ServedTree::kSmallText) {
        stop();
        throw Failure(name + ": no 200 reply with the file to a first GET /small.txt within 5 s");
    }
}

double ServerUnderTest::stop(std::chrono::milliseconds grace) {
    if (stopped_) return 0;
    stopped_ = true;
    const uint64_t asked = ptv::now_ns();
    state_->stop.request();
    std::unique_lock lk(state_->mtx);
    if (!state_->cv.wait_for(lk, grace, [this] { return state_->returned; })) {
        lk.unlock();
        thread_.detach();  // still serving: leave it, and its State, alone
        throw Failure(name_ + ": serve() did not return within " + std::to_string(grace.count()) +
                      " ms of the stop request (every wait must also watch env_.stop.fd(); "
                      "every thread must be told to end and joined)");
    }
    lk.unlock();
    thread_.join();
    if (state_->error) {
        try {
            std::rethrow_exception(state_->error);
        } catch (const ptv::lab::NotImplemented&) {
            throw;
        } catch (const std::exception& e) {
            throw Failure(name_ + ": serve() threw: " + e.what());
        }
    }
    return double(state_->returned_ns - asked) / 1e9;
}

ServerUnderTest::~ServerUnderTest() {
    if (!stopped_) {
        try {
            stop();
        } catch (...) {
        }
    }
}

void require_descriptors(size_t needed) {
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < needed) {
        rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, rlim_t(needed) * 2);
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < needed)
        throw Failure("this test needs " + std::to_string(needed) +
                      " open descriptors and RLIMIT_NOFILE allows only " +
                      std::to_string(rl.rlim_cur) + " (hard limit " + std::to_string(rl.rlim_max) +
                      "): raise the hard limit (ulimit -Hn, or the container's nofile) and run "
                      "again");
}

void require(const conformance::Report& report) {
    if (report.ok()) return;
    throw Failure(report.text(5));
}

}  // namespace servers_lab::harness
