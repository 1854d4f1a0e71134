// `ptv servers compare` (see compare.hpp).
#include "ptv/servers/load/compare.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "ptv/common/clock.hpp"
#include "ptv/common/read_until.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/format.hpp"
#include "ptv/common/progress.hpp"
#include "ptv/common/table.hpp"
#include "ptv/common/trace.hpp"

namespace ptv::servers::load {

namespace fs = std::filesystem;

void validate(const CompareOptions& o) {
    if (o.archs.empty()) throw UsageError("--archs: give at least one architecture");
    if (o.clients < 1 || o.clients > 10000)
        throw UsageError(fmt::format("--clients {}: give 1 to 10000", o.clients));
    if (!(o.duration_s >= 0.1 && o.duration_s <= 600))
        throw UsageError(fmt::format("--duration {}: give 0.1 to 600 seconds", o.duration_s));
    if (o.disk_latency_ms < 0 || o.disk_latency_ms > 10000)
        throw UsageError(
            fmt::format("--disk-latency {}: give 0 to 10000 milliseconds", o.disk_latency_ms));
    if (o.cache_files < 0 || o.cache_files > 100000)
        throw UsageError(fmt::format("--cache {}: give 0 to 100000 files", o.cache_files));
    if (o.files < 1 || o.files > 10000)
        throw UsageError(fmt::format("--files {}: give 1 to 10000 files", o.files));
    if (o.file_bytes < 0 || o.file_bytes > (16 << 20))
        throw UsageError(fmt::format("--file-bytes {}: give 0 to 16 MiB", o.file_bytes));
    if (o.workers < 0 || o.workers > 4096)
        throw UsageError(fmt::format("--workers {}: give 1 to 4096", o.workers));
    if (o.trace_requests < 1 || o.trace_requests > 1'000'000)
        throw UsageError(fmt::format("--trace-requests {}: give 1 to 1000000", o.trace_requests));
}

std::string workload_file_name(int i) {
    return fmt::format("f{:04}.txt", i);
}

std::string workload_file_body(int i, int bytes) {
    return std::string(size_t(bytes), char('a' + i % 26));
}

namespace {

// The served files, in a temporary directory removed afterwards.
struct Workload {
    std::string dir;
    std::vector<std::string> paths;

    Workload(int files, int bytes) {
        char tmpl[] = "/tmp/ptv-compare-XXXXXX";
        if (!mkdtemp(tmpl)) throw UsageError("cannot make a temporary directory in /tmp");
        dir = tmpl;
        fs::create_directory(dir + "/files");
        for (int i = 0; i < files; ++i) {
            const std::string name = workload_file_name(i);
            std::ofstream f(dir + "/files/" + name, std::ios::binary);
            const std::string text = workload_file_body(i, bytes);
            f.write(text.data(), std::streamsize(text.size()));
            paths.push_back("/" + name);
        }
    }
    ~Workload() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

// One `ptv servers run`, in a process group of its own (so that nothing it
// forked survives a kill), its stdout read for the port.
class ServerChild {
  public:
    explicit ServerChild(const std::vector<std::string>& argv) {
        int out[2];
        if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
        pid_ = fork();
        if (pid_ == 0) {
            setpgid(0, 0);
            dup2(out[1], 1);
            std::vector<char*> a;
            for (auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
            a.push_back(nullptr);
            execv(a[0], a.data());
            _exit(127);
        }
        close(out[1]);
        out_ = out[0];
        if (pid_ < 0) throw std::runtime_error("fork");
        setpgid(pid_, pid_);
        std::string line;
        read_until(out_, line, 10, has_line);
        size_t at = line.find("127.0.0.1:");
        if (at != std::string::npos) port_ = std::atoi(line.c_str() + at + 10);
        if (port_ <= 0) {
            kill_group();
            throw std::runtime_error("the server did not start: " + line);
        }
    }
    ~ServerChild() { kill_group(); }

    int port() const { return port_; }
    pid_t pid() const { return pid_; }

    // SIGTERM, and a clean exit within 10 s; else SIGKILL for the group.
    bool stop() {
        if (pid_ <= 0) return true;
        kill(pid_, SIGTERM);
        const uint64_t deadline = now_ns() + 10'000'000'000ull;
        int status = 0;
        while (now_ns() < deadline) {
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                close(out_);
                return WIFEXITED(status) && WEXITSTATUS(status) == 0;
            }
            usleep(5000);
        }
        kill_group();
        return false;
    }

  private:
    void kill_group() {
        if (pid_ > 0) {
            kill(-pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
            pid_ = -1;
        }
        if (out_ >= 0) close(out_);
        out_ = -1;
    }
    pid_t pid_ = -1;
    int out_ = -1;
    int port_ = -1;
};

}  // namespace

std::vector<CompareRow> run_compare(const CompareOptions& o) {
    validate(o);
    std::optional<trace::TraceWriter> merged;
    if (!o.trace.empty()) merged.emplace(trace::TraceWriter::open(o.trace));
    Workload work(o.files, o.file_bytes);
    std::vector<CompareRow> rows;
    for (size_t i = 0; i < o.archs.size(); ++i) {
        if (o.cancelled && o.cancelled()) break;
        const arch::Architecture a = o.archs[i];
        const std::string name(arch::to_string(a));
        const int workers = o.workers > 0 ? o.workers : arch::default_workers(a);
        const std::string server_trace = fmt::format("{}/{}.json", work.dir, name);
        std::vector<std::string> argv = {o.ptv,
                                         "servers",
                                         "run",
                                         "--arch",
                                         name,
                                         "--port",
                                         "0",
                                         "--root",
                                         work.dir + "/files",
                                         "--disk-latency",
                                         std::to_string(o.disk_latency_ms),
                                         "--cache",
                                         std::to_string(o.cache_files),
                                         "--timeout",
                                         "30"};
        if (workers > 0) argv.insert(argv.end(), {"--workers", std::to_string(workers)});
        if (merged)
            argv.insert(argv.end(), {"--trace", server_trace, "--trace-capacity",
                                     std::to_string(o.trace_requests)});
        ServerChild server(argv);

        LoadOptions lo;
        lo.url = parse_url(fmt::format("http://127.0.0.1:{}/", server.port()));
        lo.paths = work.paths;
        lo.clients = o.clients;
        lo.duration_s = o.duration_s;
        lo.timeout_s = 10;
        lo.seed = o.seed;
        lo.cancelled = o.cancelled;
        CompareRow row;
        row.arch = a;
        row.workers = workers;
        {
            ProgressBar bar(stderr, o.progress);
            TreeSampler sampler(server.pid());
            row.load = run_load(lo, [&](double f, uint64_t done) {
                bar.update(f, fmt::format("{} ({}/{}): {} requests", name, i + 1, o.archs.size(),
                                          thousands(done)));
            });
            row.peak = sampler.stop();
        }
        server.stop();
        if (merged && fs::exists(server_trace)) {
            trace::Trace t = trace::load(server_trace);
            for (auto& ev : t.events) {
                ev["pid"] = int(i) + 1;  // one process track per architecture
                merged->event(ev);
            }
        }
        rows.push_back(std::move(row));
    }
    if (merged) {
        merged->metadata("compare", to_json(o, rows));
        if (!merged->finish())
            throw UsageError(fmt::format("--trace {}: the write failed; check the disk", o.trace));
    }
    return rows;
}

std::string render(const CompareOptions& o, const std::vector<CompareRow>& rows) {
    std::string s = fmt::format(
        "{} clients (closed loop), {:.1f} s each; {} files of {} bytes requested at random; "
        "disk latency {} ms per miss of a {}-file cache\n",
        o.clients, o.duration_s, o.files, o.file_bytes, o.disk_latency_ms, o.cache_files);
    Table t({"architecture", "workers", "req/s", "p50", "p90", "p99", "p99.9", "errors", "threads",
             "processes", "peak RSS"});
    t.right_align({1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
    for (const auto& r : rows) {
        auto ms = [&](double p) { return human_ns(r.load.latency_ms(p) * 1e6); };
        t.row({std::string(arch::to_string(r.arch)), r.workers ? std::to_string(r.workers) : "-",
               fmt::format("{:.0f}", r.load.throughput()), ms(50), ms(90), ms(99), ms(99.9),
               thousands(r.load.errors + r.load.non_2xx()), std::to_string(r.peak.threads),
               std::to_string(r.peak.processes),
               fmt::format("{:.1f} MiB", double(r.peak.rss_bytes) / (1 << 20))});
    }
    s += t.render();
    s += "threads, processes and peak RSS: the server and every process it forked, sampled "
         "every 20 ms (RSS summed, shared pages counted in each process)\n";
    if (!o.trace.empty())
        s += fmt::format(
            "trace: {} (one process per architecture; request = queueing + service, with disk "
            "inside service)\n",
            o.trace);
    return s;
}

nlohmann::json to_json(const CompareOptions& o, const std::vector<CompareRow>& rows) {
    nlohmann::json j = {{"clients", o.clients},
                        {"duration_s", o.duration_s},
                        {"disk_latency_ms", o.disk_latency_ms},
                        {"cache_files", o.cache_files},
                        {"files", o.files},
                        {"file_bytes", o.file_bytes}};
    j["architectures"] = nlohmann::json::array();
    for (const auto& r : rows) {
        nlohmann::json a = to_json(r.load);
        a["architecture"] = std::string(arch::to_string(r.arch));
        a["workers"] = r.workers;
        a["peak_threads"] = r.peak.threads;
        a["peak_processes"] = r.peak.processes;
        a["peak_rss_bytes"] = r.peak.rss_bytes;
        j["architectures"].push_back(a);
    }
    return j;
}

}  // namespace ptv::servers::load
