#include "ptv/threads/guest/timeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace ptv::threads::guest {

namespace ts = ptv::threads::sim;

const char* to_string(EventKind k) {
    switch (k) {
        case EventKind::Start:
            return "start";
        case EventKind::Block:
            return "block";
        case EventKind::Wake:
            return "wake";
        case EventKind::Done:
            return "done";
    }
    return "?";
}

namespace {

[[noreturn]] void unreadable(const std::string& line) {
    throw std::runtime_error(
        fmt::format("the threads guest printed a line ptv cannot read: '{}'", line));
}

EventKind kind_named(const std::string& word, const std::string& line) {
    for (auto k : {EventKind::Start, EventKind::Block, EventKind::Wake, EventKind::Done})
        if (word == to_string(k)) return k;
    unreadable(line);
}

}  // namespace

GuestTimeline parse_guest_output(const std::string& serial) {
    GuestTimeline g;
    bool header = false, summary = false;
    std::istringstream in(serial);
    for (std::string line; std::getline(in, line);) {
        char model[16] = {};
        long long a = 0, b = 0, c = 0;
        int thread = 0, cpu = 0, n = 0;
        char kind[16] = {};
        if (std::sscanf(line.c_str(), "threads: %15[a-z], tick %lld us, %lld threads, cpus %lld%n",
                        model, &a, &b, &c, &n) == 4 &&
            size_t(n) == line.size()) {
            g.model = model;
            g.tick_us = a;
            g.threads = int(b);
            g.cpus = int(c);
            header = true;
        } else if (std::sscanf(line.c_str(),
                               "threads: %15[a-z], %lld threads, total %lld us, reads %lld%n",
                               model, &a, &b, &c, &n) == 4 &&
                   size_t(n) == line.size()) {
            g.total_us = b;
            g.reads = c;
            summary = true;
        } else if (std::sscanf(line.c_str(), "t=%lld thread %d %15[a-z] cpu %d%n", &a, &thread,
                               kind, &cpu, &n) == 4 &&
                   size_t(n) == line.size()) {
            g.events.push_back({a, thread, kind_named(kind, line), cpu});
        } else {
            unreadable(line);
        }
    }
    if (!header || !summary)
        throw std::runtime_error("the threads guest did not print its timeline to the end");
    return g;
}

std::vector<Event> predicted_events(const ts::Workload& w, const ts::Result& r) {
    std::vector<Event> events;
    for (size_t i = 0; i < w.size() && i < r.threads.size(); ++i) {
        const int thread = int(i);
        bool started = false;
        const bool ends_blocked = !w[i].empty() && w[i].back().kind == ts::Burst::Block;
        for (const auto& span : r.threads[i].spans()) {
            if (span.cell.state == ts::State::Running && !started) {
                events.push_back({span.begin, thread, EventKind::Start, -1});
                started = true;
            }
            if (span.cell.state == ts::State::Blocked) {
                events.push_back({span.begin, thread, EventKind::Block, -1});
                if (!(ends_blocked && span.end == r.finish[i]))
                    events.push_back({span.end, thread, EventKind::Wake, -1});
            }
        }
        events.push_back({r.finish[i], thread, EventKind::Done, -1});
    }
    std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
        return a.time != b.time ? a.time < b.time : a.thread < b.thread;
    });
    return events;
}

}  // namespace ptv::threads::guest
