// The discrete-event model of the server architectures (see model.hpp and
// README.md, whose rule numbers the comments cite).
#include "ptv/servers/sim/model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <deque>
#include <set>

#include "ptv/common/error.hpp"
#include "ptv/common/rng.hpp"

namespace ptv::servers::sim {

namespace {

void check(const char* option, int v, int lo, int hi, const char* unit) {
    if (v < lo || v > hi)
        throw UsageError(fmt::format("{} {}: give {} to {} {}", option, v, lo, hi, unit));
}

}  // namespace

void validate(const Config& c) {
    check("--clients", c.clients, 1, kMaxClients, "clients");
    check("--requests", c.requests, 1, kMaxRequests, "requests per client");
    check("--cpu", c.cpu, 1, 1000, "ms");
    check("--disk", c.disk, 0, 10000, "ms");
    check("--think", c.think, 0, 10000, "ms");
    check("--workers", c.workers, 1, kMaxClients, "workers");
    check("--cpus", c.cpus, 1, 16, "CPUs");
    check("--fork", c.fork, 0, 1000, "ms");
}

Config generate(uint64_t seed) {
    SplitMix64 rng(seed);
    Config c;
    c.clients = rng.between(2, 5);
    c.requests = rng.between(2, 4);
    c.cpu = rng.between(1, 4);
    c.disk = rng.between(0, 20);
    c.workers = rng.between(1, c.clients);
    c.cpus = rng.between(1, 2);
    c.fork = rng.between(0, 2);
    c.think = 0;
    return c;
}

Shape shape(Architecture a, const Config& c) {
    switch (a) {
        case Architecture::Iterative:
            return {1, 1, false};
        case Architecture::ThreadPerConnection:
            return {c.clients, c.cpus, false, true};
        case Architecture::DispatcherWorker:
            return {c.workers, c.cpus, false};
        case Architecture::ProcessPerConnection:
            return {c.clients, c.cpus, true, true};
        case Architecture::Prefork:
            return {c.workers, c.cpus, false};
        case Architecture::FiniteStateMachine:
        case Architecture::Fibers:
            return {c.clients, 1, false, true};
    }
    return {1, 1, false};
}

double Result::throughput() const {
    return makespan > 0 ? double(requests.size()) * 1000.0 / makespan : 0;
}

double Result::mean_response() const {
    if (requests.empty()) return 0;
    double sum = 0;
    for (const auto& r : requests) sum += r.response();
    return sum / double(requests.size());
}

double Result::utilisation() const {
    return makespan > 0 ? double(cpu_busy) / (double(machine_cpus) * makespan) : 0;
}

int Result::last_done(int client) const {
    int last = 0;
    for (const auto& r : requests)
        if (r.client == client) last = std::max(last, r.done);
    return last;
}

Result simulate(Architecture a, const Config& c) {
    validate(c);
    Result res;
    res.arch = a;
    res.shape = shape(a, c);
    res.machine_cpus = c.cpus;
    const int n = c.clients;
    res.requests.resize(size_t(n) * size_t(c.requests));
    auto req = [&](int client, int index) -> RequestTimes& {
        return res.requests[size_t(client) * size_t(c.requests) + size_t(index)];
    };

    std::vector<int> next_arrival(size_t(n), 0);  // R1: every client sends at tick 0
    std::vector<int> issued(size_t(n), 0);
    std::deque<RequestTimes*> slot_queue, cpu_queue;
    std::vector<RequestTimes*> on_cpu(size_t(res.shape.cpus), nullptr);
    std::vector<RequestTimes*> on_disk;
    // Idle workers of a pool by number (R2); a per-connection slot is its
    // client's own, always idle when the client sends (one request at a time).
    std::set<int> idle;
    for (int w = 0; w < res.shape.slots; ++w) idle.insert(w);
    size_t finished = 0;
    const size_t total = res.requests.size();

    auto finish = [&](RequestTimes* r, int t) {  // R5
        r->done = t;
        if (!res.shape.per_connection) idle.insert(r->worker);
        ++finished;
        if (issued[size_t(r->client)] < c.requests) next_arrival[size_t(r->client)] = t + c.think;
    };

    int t = 0;
    for (;;) {
        // 1. CPU bursts that end at t, in CPU order (R4): the disk read
        //    starts, or, with no disk, the reply is sent.
        std::vector<RequestTimes*> done_now;
        for (auto& r : on_cpu) {
            if (!r || r->cpu_end != t) continue;
            if (c.disk > 0)
                on_disk.push_back(r);
            else
                done_now.push_back(r);
            r = nullptr;
        }
        // 2. Disk reads that end at t, in client order (R4).
        std::vector<RequestTimes*> disk_done;
        for (auto it = on_disk.begin(); it != on_disk.end();) {
            if ((*it)->cpu_end + c.disk == t) {
                disk_done.push_back(*it);
                it = on_disk.erase(it);
            } else {
                ++it;
            }
        }
        std::sort(disk_done.begin(), disk_done.end(),
                  [](auto* x, auto* y) { return x->client < y->client; });
        done_now.insert(done_now.end(), disk_done.begin(), disk_done.end());
        // 3. Replies: slots are freed, clients schedule their next request.
        for (auto* r : done_now) finish(r, t);
        if (finished == total) break;
        // 4. Arrivals at t, in client order, join the back of the slot queue.
        for (int cl = 0; cl < n; ++cl) {
            if (issued[size_t(cl)] >= c.requests || next_arrival[size_t(cl)] != t) continue;
            RequestTimes& r = req(cl, issued[size_t(cl)]);
            r.client = cl;
            r.index = issued[size_t(cl)]++;
            r.arrive = t;
            r.cpu_ticks = c.cpu + (res.shape.fork_each && r.index == 0 ? c.fork : 0);
            next_arrival[size_t(cl)] = -1;
            slot_queue.push_back(&r);
        }
        // 5. Free slots go to the head of the slot queue (R2).
        while (!idle.empty() && !slot_queue.empty()) {
            RequestTimes* r = slot_queue.front();
            slot_queue.pop_front();
            if (res.shape.per_connection) {
                r->worker = r->client;
            } else {
                r->worker = *idle.begin();
                idle.erase(idle.begin());
            }
            r->slot = t;
            cpu_queue.push_back(r);
        }
        // 6. Idle CPUs, lowest number first, take the head of the CPU queue (R3).
        for (size_t p = 0; p < on_cpu.size(); ++p) {
            if (on_cpu[p] || cpu_queue.empty()) continue;
            RequestTimes* r = cpu_queue.front();
            cpu_queue.pop_front();
            r->cpu = int(p);
            r->cpu_start = t;
            r->cpu_end = t + r->cpu_ticks;
            res.cpu_busy += r->cpu_ticks;
            on_cpu[p] = r;
        }
        // The next tick at which anything happens.
        int next = INT_MAX;
        for (auto* r : on_cpu)
            if (r) next = std::min(next, r->cpu_end);
        for (auto* r : on_disk) next = std::min(next, r->cpu_end + c.disk);
        for (int cl = 0; cl < n; ++cl)
            if (issued[size_t(cl)] < c.requests && next_arrival[size_t(cl)] > t)
                next = std::min(next, next_arrival[size_t(cl)]);
        t = next;  // never INT_MAX: something is always under way here
    }
    res.makespan = t;
    return res;
}

}  // namespace ptv::servers::sim
