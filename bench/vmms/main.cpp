// bench-vmms: what the management service costs a VM, next to its limits,
// in one run:
//   - `ptv vm create` + `ptv vm start` to the guest's first serial byte,
//     beside `ptv kvm run` of the same guest (no service in between);
//   - a worker's death (kill -9) to the service noticing it (target: within
//     10 ms) and to the restarted guest's first serial byte;
//   - snapshot and restore of a running guest against its memory size, beside
//     memcpy of the same size into fresh memory, the copy a restore cannot
//     avoid (target: restore of 256 MiB within 2x of copying 256 MiB).
// A measurement, not a test: it exits 0 whatever the numbers are.
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "../kvm-exits/child.hpp"
#include "ptv/common/cli.hpp"
#include "ptv/common/clock.hpp"
#include "ptv/common/table.hpp"
#include "ptv/vmms/client.hpp"

namespace fs = std::filesystem;
using ptv::now_ns;
using ptv::bench::Child;

namespace {

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

double ms(uint64_t ns) {
    return double(ns) / 1e6;
}

struct Bench {
    std::string bin, dir, socket, state;
    std::unique_ptr<Child> service;

    nlohmann::json vm(std::vector<std::string> args) {
        std::vector<std::string> argv = {bin + "/ptv", "vm"};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.insert(argv.end(), {"--socket", socket, "--json"});
        Child c(argv, Child::Stream::Pipe, Child::Stream::Null);
        c.read_to_end(120);
        c.wait(120);
        auto j = nlohmann::json::parse(c.output(), nullptr, false);
        if (j.is_discarded() || !j.value("ok", false))
            throw std::runtime_error(fmt::format("ptv vm {}: {}", args[0], c.output()));
        return j;
    }

    // Waits on a console connection for the first serial bytes (after an
    // optional event); returns now_ns() when they came.
    static uint64_t first_console_byte(ptv::vmms::Client& c, const char* after_event = nullptr) {
        bool seen = after_event == nullptr;
        nlohmann::json m;
        while (c.next(m)) {
            if (after_event && m.value("event", "") == after_event) seen = true;
            if (seen && m.contains("console")) return now_ns();
        }
        throw std::runtime_error("console closed");
    }

    ~Bench() {
        if (service) {
            try {
                ptv::vmms::Client(socket).request({{"op", "shutdown"}, {"stop_vms", true}});
            } catch (...) {
            }
            service->wait(30);
        }
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

// Writing `bytes` to a new file in the state directory: what a snapshot's
// memory file cannot be written faster than.
double file_write_ms(const std::string& dir, size_t bytes) {
    std::vector<uint8_t> chunk(4u << 20, 0x5a);
    const std::string path = dir + "/write-test";
    const uint64_t t0 = now_ns();
    std::FILE* f = std::fopen(path.c_str(), "wb");
    for (size_t done = 0; done < bytes; done += chunk.size())
        std::fwrite(chunk.data(), 1, std::min(chunk.size(), bytes - done), f);
    std::fclose(f);
    const uint64_t t = now_ns() - t0;
    std::remove(path.c_str());
    return ms(t);
}

// memcpy of `bytes` from populated memory into fresh memory (page faults
// included: a restore fills fresh memory too).
double memcpy_ms(size_t bytes) {
    auto* src = static_cast<uint8_t*>(
        mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    std::memset(src, 0x5a, bytes);
    auto* dst = static_cast<uint8_t*>(
        mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    const uint64_t t0 = now_ns();
    std::memcpy(dst, src, bytes);
    const uint64_t t = now_ns() - t0;
    munmap(src, bytes);
    munmap(dst, bytes);
    return ms(t);
}

}  // namespace

int run(int argc, char** argv);

// Whatever goes wrong, the service and its workers are shut down on the way
// out (Bench's destructor): workers outlive a service by design.
int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench-vmms: %s\n", e.what());
        return 1;
    }
}

int run(int argc, char** argv) {
    unsigned trials = 3;
    std::vector<unsigned> sizes = {64, 128, 256, 512, 1024};
    bool json = false;
    CLI::App app{"bench-vmms: start-up, restart, snapshot and restore through the vmms service"};
    app.add_option("-t,--trials", trials, "trials per measurement (median shown)")
        ->capture_default_str();
    app.add_option("--sizes", sizes, "guest memory sizes in MiB");
    app.add_flag("--json", json, "print the results as JSON");
    ptv::cli::parse_or_exit(app, argc, argv, "bench-vmms");

    Bench b;
    b.bin = fs::canonical("/proc/self/exe").parent_path().string();
    char tmpl[] = "/tmp/bench-vmms-XXXXXX";
    b.dir = mkdtemp(tmpl);
    b.socket = b.dir + "/vmms.sock";
    b.state = b.dir + "/state";
    b.service = std::make_unique<Child>(
        std::vector<std::string>{b.bin + "/ptv", "vmms", "start", "--socket", b.socket,
                                 "--state-dir", b.state},
        Child::Stream::Null, Child::Stream::Null);
    for (int i = 0; i < 500 && !fs::exists(b.socket); ++i) usleep(10000);
    usleep(20000);

    nlohmann::json out;
    // 1. Start-up to the first serial byte.
    std::vector<double> svc, direct;
    for (unsigned t = 0; t < trials; ++t) {
        const std::string name = fmt::format("s{}", t);
        const uint64_t t0 = now_ns();
        b.vm({"create", name, "--guest", "hello"});
        ptv::vmms::Client console(b.socket);
        console.request({{"op", "console"}, {"name", name}});
        b.vm({"start", name});
        svc.push_back(ms(Bench::first_console_byte(console) - t0));
        Child run({b.bin + "/ptv", "kvm", "run", "hello"}, Child::Stream::Pipe,
                  Child::Stream::Null);
        direct.push_back(ms(run.read_until(std::nullopt, 30) - run.started_ns()));
        run.read_to_end(30);
        run.wait(30);
    }
    out["startup_ms"] = {{"vmms", median(svc)}, {"ptv_kvm_run", median(direct)}};

    // 2. Death to detection and to the restarted guest's first byte. A VM
    // per trial: a second death in a row would wait for its back-off.
    std::vector<double> detect, back;
    for (unsigned t = 0; t < trials; ++t) {
        const std::string name = fmt::format("r{}", t);
        b.vm({"create", name, "--guest", "counter", "--memory", "16", "--restart", "always"});
        b.vm({"start", name});
        ptv::vmms::Client console(b.socket);
        console.request({{"op", "console"}, {"name", name}});
        const int pid = b.vm({"info", name})["vm"]["pid"];
        const uint64_t t_kill = now_ns();
        kill(pid, SIGKILL);
        back.push_back(ms(Bench::first_console_byte(console, "worker-died") - t_kill));
        // The service's own timestamp of the death, from its trace.
        std::ifstream trace(b.state + "/trace.json");
        double died_us = 0;
        for (std::string line; std::getline(trace, line);) {
            auto e = nlohmann::json::parse(line, nullptr, false);
            if (!e.is_discarded() && e.value("name", "") == "worker-died")
                died_us = e.value("ts", 0.0);
        }
        detect.push_back(died_us / 1000.0 - double(t_kill) / 1e6);
        b.vm({"stop", name});
    }
    out["restart_ms"] = {{"detect", median(detect)}, {"guest_again", median(back)}};

    // 3. Snapshot and restore against memory size.
    ptv::Table table({"memory", "snapshot", "file write", "snapshot/write", "restore", "memcpy",
                      "restore/memcpy"});
    table.right_align({0, 1, 2, 3, 4, 5, 6});
    nlohmann::json rows = nlohmann::json::array();
    for (unsigned mib : sizes) {
        const std::string name = fmt::format("m{}", mib);
        // The working set covers all RAM above 4 MiB: every page is real.
        b.vm({"create", name, "--guest", "counter", "--memory", std::to_string(mib), "--cmdline",
              std::to_string((mib - 4) * 1024)});
        b.vm({"start", name});
        {
            ptv::vmms::Client console(b.socket);
            console.request({{"op", "console"}, {"name", name}});
            Bench::first_console_byte(console);
        }
        std::vector<double> snap, rest, copy, write;
        for (unsigned t = 0; t < trials; ++t) {
            uint64_t t0 = now_ns();
            b.vm({"snapshot", name, "s"});
            snap.push_back(ms(now_ns() - t0));
            t0 = now_ns();
            b.vm({"restore", name, "s"});
            rest.push_back(ms(now_ns() - t0));
            copy.push_back(memcpy_ms(size_t(mib) << 20));
            write.push_back(file_write_ms(b.state, size_t(mib) << 20));
        }
        b.vm({"stop", name});
        b.vm({"delete", name});
        const double s = median(snap), r = median(rest), c = median(copy), w = median(write);
        table.row({fmt::format("{} MiB", mib), fmt::format("{:.1f} ms", s),
                   fmt::format("{:.1f} ms", w), fmt::format("{:.2f}x", s / w),
                   fmt::format("{:.1f} ms", r), fmt::format("{:.1f} ms", c),
                   fmt::format("{:.2f}x", r / c)});
        rows.push_back({{"memory_mib", mib},
                        {"snapshot_ms", s},
                        {"file_write_ms", w},
                        {"restore_ms", r},
                        {"memcpy_ms", c}});
    }
    out["snapshot_restore"] = rows;

    if (json) {
        std::printf("%s\n", out.dump(2).c_str());
        return 0;
    }
    std::printf("bench-vmms: %u trials each, medians\n\n", trials);
    std::printf("start-up to the guest's first serial byte (hello)\n");
    std::printf("  ptv vm create + start:  %7.2f ms\n", median(svc));
    std::printf("  ptv kvm run (no vmms):  %7.2f ms   ratio %.2fx\n\n", median(direct),
                median(svc) / median(direct));
    std::printf("worker killed (kill -9), restart policy always\n");
    std::printf("  death noticed after:    %7.2f ms   target < 10 ms: %s\n", median(detect),
                median(detect) < 10 ? "met" : "MISSED");
    std::printf("  guest printing again:   %7.2f ms\n\n", median(back));
    std::printf("snapshot / restore of a running counter guest (all RAM in its working set);\n");
    std::printf("a snapshot beside writing as many bytes to a file in the state directory,\n");
    std::printf("a restore beside memcpy of the same size into fresh memory\n%s",
                table.render().c_str());
    for (const auto& r : rows)
        if (r["memory_mib"] == 256)
            std::printf("target: restore of 256 MiB within 2x of memcpy: %.2fx, %s\n",
                        r["restore_ms"].get<double>() / r["memcpy_ms"].get<double>(),
                        r["restore_ms"].get<double>() <= 2 * r["memcpy_ms"].get<double>()
                            ? "met"
                            : "MISSED");
    return 0;
}
