#include "ptv/vnd/trace_export.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "ptv/common/disasm.hpp"
#include "ptv/common/error.hpp"
#include "ptv/common/trace.hpp"
#include "ptv/vnd/exit_instruction.hpp"

namespace ptv::vnd {

namespace {

constexpr int kVmPid = 1;
constexpr int kVcpuTid = 1;          // vCPU n is tid 1 + n
constexpr int kDeviceTidBase = 100;  // device track = 100 + target
constexpr int kBackEndTidBase = 50;  // back-end thread n is tid 50 + n

double us(uint64_t ns, uint64_t t0) {
    return double(int64_t(ns - t0)) / 1000.0;
}

std::string hex(uint64_t v) {
    return fmt::format("{:#x}", v);
}

// A target's track: devices in board order, then unclaimed-pio,
// unclaimed-mmio and the vCPU's own handler.
int track_of(const NotificationDispatcher& d, uint16_t target) {
    const auto targets = d.targets();
    const auto it = std::find(targets.begin(), targets.end(), target);
    return kDeviceTidBase + int(it - targets.begin());
}

}  // namespace

std::optional<Instruction> record_instruction(const NotificationRecord& rec) {
    if (!rec.has_code) return std::nullopt;
    return causing_instruction(rec.reason, rec.is_write, {rec.code.data(), rec.code_len},
                               rec.code_rip_offset, rec.rip, CpuMode(rec.cpu_mode));
}

void write_tracks(trace::TraceWriter& w, const NotificationDispatcher& d,
                  const std::string& vm_name, int worker_pid) {
    // worker_pid 0: not a worker process (the CPU model's VMX technique).
    w.process_name(kVmPid, worker_pid ? fmt::format("VM {} (ptv-vmwp pid {})", vm_name, worker_pid)
                                      : fmt::format("VM {}", vm_name));
    // A track per vCPU first, then one per device.
    const int vcpus = d.vcpus();
    for (int v = 0; v < vcpus; ++v) {
        w.thread_name(kVmPid, kVcpuTid + v, fmt::format("vCPU {}", v));
        w.thread_sort_index(kVmPid, kVcpuTid + v, v);
    }
    const auto targets = d.targets();
    for (size_t i = 0; i < targets.size(); ++i) {
        const int tid = track_of(d, targets[i]);
        w.thread_name(kVmPid, tid,
                      fmt::format("{} ({})", d.target_name(targets[i]), d.target_kind(targets[i])));
        w.thread_sort_index(kVmPid, tid, vcpus + int(i));
    }
}

void write_record(trace::TraceWriter& w, const NotificationDispatcher& d,
                  const NotificationRecord& rec, uint64_t id, uint64_t t0) {
    const std::string device = d.target_name(rec.target);
    const double handling_ns = double(rec.t_done - rec.t_exit);
    nlohmann::json args = {{"device", device}, {"handling_ns", handling_ns}};
    const bool io = rec.reason == ExitReason::PortIo || rec.reason == ExitReason::Mmio;
    if (io) {
        args[rec.reason == ExitReason::PortIo ? "port" : "address"] = hex(rec.address);
        args["size"] = rec.size;
        args["direction"] = rec.is_write ? "write" : "read";
        args["data"] = hex(rec.data);
        if (rec.count != 1) args["count"] = rec.count;
        if (rec.unclaimed) args["unclaimed"] = true;
    }
    if (auto insn = record_instruction(rec)) {
        args["rip"] = hex(insn->address);
        args["instruction"] = insn->text;
        if (insn->address != rec.rip) args["rip_after_exit"] = hex(rec.rip);
    } else if (rec.has_code) {
        args["rip"] = hex(rec.rip);
        args["instruction"] = "(unknown)";
    }
    const int vcpu_tid = kVcpuTid + rec.vcpu;
    if (d.vcpus() > 1) args["vcpu"] = rec.vcpu;
    w.complete("vmexit", vnd::reason_name(rec.reason), kVmPid, vcpu_tid, us(rec.t_exit, t0),
               handling_ns / 1000.0, args);

    // The notification: the dispatcher handing the exit to its target.
    const int dev_tid = track_of(d, rec.target);
    const std::string what =
        io ? fmt::format("{} {} {:#x}", device, rec.is_write ? "write" : "read", rec.address)
           : fmt::format("{} {}", device, vnd::reason_name(rec.reason));
    nlohmann::json nargs = {{"exit", id}};
    if (io) nargs["data"] = hex(rec.data);
    w.complete("notification", what, kVmPid, dev_tid, us(rec.t_notify, t0),
               double(rec.t_done - rec.t_notify) / 1000.0, nargs);
    w.flow_start("notification", "dispatch", id, kVmPid, vcpu_tid, us(rec.t_notify, t0));
    w.flow_finish("notification", "dispatch", id, kVmPid, dev_tid, us(rec.t_notify, t0));
}

void write_completion(trace::TraceWriter& w, const NotificationDispatcher& d,
                      const CompletionRecord& c, uint64_t t0) {
    // The completion half: on the device's track, tied to the notification
    // it completes (the guest learns of the work the exit asked for).
    const int dev_tid = track_of(d, c.target);
    w.instant("notification", fmt::format("{} completion", d.target_name(c.target)), kVmPid,
              dev_tid, us(c.t_ns, t0), {{"completes", c.notification}, {"event", c.event}});
    const auto* log = d.log();
    if (c.notification == 0 || !log || c.notification > log->size()) return;
    // An arrow from the end of the notification to its completion; its id
    // apart from the dispatch arrows' (record ids).
    const uint64_t flow = (uint64_t(1) << 40) | c.notification;
    const NotificationRecord& rec = log->records()[c.notification - 1];
    w.flow_start("notification", "completion", flow, kVmPid, track_of(d, rec.target),
                 us(rec.t_done, t0));
    w.flow_finish("notification", "completion", flow, kVmPid, dev_tid, us(c.t_ns, t0));
}

void write_request_paths(trace::TraceWriter& w, const NotificationDispatcher& d, uint64_t t0) {
    const RequestPath* path = d.path();
    if (!path) return;
    const auto doorbells = path->doorbells();
    const auto jobs = path->jobs();
    const auto blocks = path->blocks();
    // A track per back-end thread, after the devices'; a job served on a
    // vCPU's own thread (inline) is on that vCPU's track.
    std::map<uint32_t, int> tracks;
    const int first_sort = int(d.targets().size()) + d.vcpus();
    auto track = [&](uint32_t thread) {
        if (const int vcpu = path->vcpu_of(thread); vcpu >= 0) return kVcpuTid + vcpu;
        auto [it, added] = tracks.try_emplace(thread, kBackEndTidBase + int(tracks.size()));
        if (added) {
            const int n = it->second - kBackEndTidBase;
            w.thread_name(kVmPid, it->second,
                          fmt::format("back-end thread {} (tid {})", n, thread));
            w.thread_sort_index(kVmPid, it->second, first_sort + n);
        }
        return it->second;
    };
    std::map<uint64_t, std::pair<int, uint64_t>> doorbell_at;  // id -> (track, t)
    for (const DoorbellRecord& b : doorbells) {
        const int tid = track(b.thread);
        doorbell_at[b.id] = {tid, b.t_ns};
        w.instant("request", fmt::format("{} doorbell", d.target_name(b.target)), kVmPid, tid,
                  us(b.t_ns, t0), {{"rings", b.rings}, {"doorbell", b.id}});
    }
    std::map<uint64_t, int> job_track;
    for (const JobRecord& j : jobs) {
        const int tid = track(j.thread);
        job_track[j.id] = tid;
        w.complete("request", "serve", kVmPid, tid, us(j.t_start, t0),
                   double(j.t_end - j.t_start) / 1000.0,
                   {{"job", j.id}, {"waited_us", double(j.t_start - j.t_submit) / 1000.0}});
        if (auto at = doorbell_at.find(j.doorbell); at != doorbell_at.end()) {
            const uint64_t flow = (uint64_t(2) << 40) | j.id;
            w.flow_start("request", "doorbell to job", flow, kVmPid, at->second.first,
                         us(at->second.second, t0));
            w.flow_finish("request", "doorbell to job", flow, kVmPid, tid, us(j.t_start, t0));
        }
    }
    for (const BlockRecord& b : blocks)
        w.complete("request", "blocked in hlt", kVmPid, kVcpuTid + int(b.vcpu), us(b.t_begin, t0),
                   double(b.t_end - b.t_begin) / 1000.0, {{"vcpu", b.vcpu}});
    uint64_t n = 0;
    for (const CompletionRecord& c : d.completion_log()) {
        ++n;
        const int dev_tid = track_of(d, c.target);
        if (auto jt = job_track.find(c.job); jt != job_track.end()) {
            const uint64_t flow = (uint64_t(3) << 40) | n;
            w.flow_start("request", "job to completion", flow, kVmPid, jt->second, us(c.t_ns, t0));
            w.flow_finish("request", "job to completion", flow, kVmPid, dev_tid, us(c.t_ns, t0));
        }
        // The wake: the sleep of the vCPU told that this completion ended.
        for (const BlockRecord& b : blocks)
            if (b.vcpu == c.vcpu && b.t_begin <= c.t_ns && c.t_ns <= b.t_end) {
                const uint64_t flow = (uint64_t(4) << 40) | n;
                w.flow_start("request", "wake", flow, kVmPid, dev_tid, us(c.t_ns, t0));
                // Inside the sleep's slice, so the arrow binds to it.
                w.flow_finish("request", "wake", flow, kVmPid, kVcpuTid + int(b.vcpu),
                              us(b.t_end, t0) - 0.001);
                break;
            }
    }
}

bool write_screen(trace::TraceWriter& w, const NotificationDispatcher& d, const VgaScreen& screen,
                  uint64_t t_ns, uint64_t t0) {
    for (uint16_t target : d.targets()) {
        if (d.target_name(target) != "vga") continue;
        w.instant("vga", "screen", kVmPid, track_of(d, target), us(t_ns, t0),
                  screen_to_json(screen));
        return true;
    }
    return false;
}

nlohmann::json export_trace(trace::TraceWriter& w, const std::string& path,
                            const NotificationDispatcher& d, uint64_t t0,
                            const std::string& vm_name, int worker_pid, const std::string& source) {
    write_tracks(w, d, vm_name, worker_pid);
    const auto* log = d.log();
    uint64_t id = 0;
    for (const auto& rec : log->records()) write_record(w, d, rec, ++id, t0);
    for (const auto& c : d.completion_log()) write_completion(w, d, c, t0);
    write_request_paths(w, d, t0);
    w.metadata("vm", vm_name);
    w.metadata("exits", d.total_exits());
    w.metadata("recorded_exits", log->size());
    w.metadata("dropped_exits", log->dropped());
    w.metadata("source", source);
    const uint64_t events = w.events_written();
    if (!w.finish())
        throw UsageError(fmt::format("writing trace file '{}' failed; check free space", path));
    return {
        {"path", path}, {"events", events}, {"exits", log->size()}, {"dropped", log->dropped()}};
}

}  // namespace ptv::vnd
