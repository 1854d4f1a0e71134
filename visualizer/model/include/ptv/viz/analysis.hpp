// What each view shows, computed from the trace model once (views cache it
// on TraceModel::generation()). Pure functions: the tests call them directly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ptv/viz/model.hpp"

namespace ptv::viz {

// ---- exits: counts and rate over time, by reason and by device ----
struct ExitStats {
    struct Row {
        std::string name;
        uint64_t count = 0;
        double total_ns = 0;  // handling time (args.handling_ns or the span)
    };
    std::vector<Row> by_reason;  // most frequent first
    std::vector<Row> by_device;  // the device that handled the exit
    // rate[r][b]: exits of by_reason[r] in time bin b.
    std::vector<std::vector<uint32_t>> rate;
    std::vector<std::vector<uint32_t>> device_rate;  // the same, by_device[d]
    double t0 = 0, bin_us = 1;
    uint64_t total = 0;
    std::string category;  // "vmexit", or "trap" when the trace has only traps
};
// Exits are `vmexit` events (or `trap` events from trap-and-emulate runs).
ExitStats exit_stats(const TraceModel& m, size_t bins = 100);

// ---- notifications: exit -> dispatcher -> device handler -> back to guest ----
struct NotificationChain {
    uint32_t exit_event = kNone, notification_event = kNone;
    uint32_t device_track = kNone;
    double t_exit = 0;    // the guest left (exit span start)
    double t_notify = 0;  // the dispatcher called the handler (flow)
    double t_done = 0;    // the handler returned (notification span end)
    double t_resume = 0;  // back to the guest (exit span end)
};
struct DeviceLatency {
    std::string device;
    uint64_t count = 0;
    double dispatch_us = 0, handler_us = 0, return_us = 0;  // means
};
struct Notifications {
    std::vector<NotificationChain> chains;  // by exit time
    std::vector<DeviceLatency> devices;
};
Notifications notifications(const TraceModel& m);

// ---- threads: Gantt of user threads over LWPs over CPUs ----
struct Gantt {
    struct Lane {
        uint32_t track = kNone;
        TrackKind kind = TrackKind::Other;
    };
    std::vector<Lane> lanes;  // user threads, then LWPs / kernel threads, then CPUs
    double t0 = 0, t1 = 0;
};
Gantt thread_gantt(const TraceModel& m);

// State of a thread span, from args.state or its name ("RUNNING U1").
enum class ThreadState : uint8_t { Running, Ready, Blocked, Other };
ThreadState thread_state(const TraceModel& m, const Event& e);

// ---- servers: request spans split into queueing, service and disk ----
struct RequestSpan {
    enum class Part : uint8_t { Queueing, Service, Disk };
    struct Segment {
        Part part;
        double offset_us, dur_us;  // from the request's arrival
    };
    uint32_t track = kNone, event = kNone;
    double arrive = 0, total_us = 0;
    double queueing_us = 0, service_us = 0, disk_us = 0;
    std::vector<Segment> segments;
};
struct Requests {
    std::vector<RequestSpan> spans;  // by arrival
    double mean_queueing_us = 0, mean_service_us = 0, mean_disk_us = 0;
    size_t connections = 0;
};
Requests requests(const TraceModel& m);

// ---- migration: pages sent and dirtied per round, the downtime ----
// Expected shape (category `migration`): X "round" spans with args round,
// pages_sent, pages_dirtied; an X span named "downtime" (or
// "stop-and-copy") for the pause; post-copy (ptv migrate sim): an X span
// "degraded" (resume until the last page arrives) and "remote-fault" events.
struct Migration {
    struct Round {
        int round = 0;
        double ts = 0, dur = 0;
        double pages_sent = 0, pages_dirtied = 0;
    };
    std::vector<Round> rounds;
    double downtime_ts = 0, downtime_us = -1;  // -1: no downtime event
    double degraded_ts = 0, degraded_us = -1;  // -1: no post-copy
    std::vector<double> remote_faults;         // when each happened (ts)
};
Migration migration(const TraceModel& m);

// ---- cluster: VMs on hosts, migrations between hosts ----
// Expected shape (category `cluster`, ptv cluster sim --trace): one pid per
// host (its process name the host's; an instant "host" at its start makes a
// host without VMs a row too); X spans named by the VM on the VM's
// track of the host it runs on (args vm); X "migrate" spans on the source
// host with args vm, from, to; "power-off" instants on a host; "fits-nowhere"
// instants (args vm) on a pid that has no host spans.
struct ClusterView {
    struct Host {
        int pid = 0;
        std::string name;  // the process name
        bool powered_off = false;
        double off_ts = 0;
    };
    struct Bar {
        uint32_t host = 0;  // index into hosts
        std::string vm;
        double ts = 0, dur = 0;
    };
    struct Move {
        std::string vm;
        uint32_t from = 0, to = 0;  // indexes into hosts
        double ts = 0, dur = 0;
    };
    std::vector<Host> hosts;  // by pid
    std::vector<Bar> bars;    // by host, then start
    std::vector<Move> moves;  // by start
    std::vector<std::string> fits_nowhere;
    double t0 = 0, t1 = 0;
};
ClusterView cluster(const TraceModel& m);

// ---- binary translation: blocks and chains of the translation cache ----
// What a `bt` trace shows of a run's translation cache (the cache itself is
// sim/vmm's TranslationCache). Expected shape (category `bt`): "translate"
// (X or i) with args block (guest address, "0x..") and size; "chain" (i)
// with args from and to (block addresses); "cache-hit" with args block;
// "callout" with args block.
struct TranslationCacheView {
    struct Block {
        uint64_t address = 0;
        uint32_t size = 0;
        uint32_t translations = 0, hits = 0, callouts = 0;
    };
    struct Chain {
        uint32_t from = 0, to = 0;  // indexes into blocks
        uint32_t count = 0;
    };
    std::vector<Block> blocks;  // by address
    std::vector<Chain> chains;
};
TranslationCacheView translation_cache(const TraceModel& m);

}  // namespace ptv::viz
