// Turns the dispatcher's notification log into the Chrome trace of
// docs/DESIGN.md, after the guest has stopped (off the exit path). Tracks: one
// per vCPU and one per device; each exit is a span on its vCPU's track with
// the port or address, size, data, the guest instruction (Zydis) and the
// handling time; each notification is a span on its device's track, linked
// to its exit by a flow arrow.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "ptv/common/disasm.hpp"
#include "ptv/common/trace.hpp"
#include "ptv/common/vga_screen.hpp"
#include "ptv/vnd/dispatcher.hpp"

namespace ptv::vnd {

// Writes the trace and finishes the writer; returns {"path", "events",
// "exits", "dropped"}. t0_ns is the trace's time zero on the dispatcher's
// clock; `source` names what ran the guest (the metadata's "source").
// Throws ptv::UsageError if the file cannot be written.
nlohmann::json export_trace(trace::TraceWriter& writer, const std::string& path,
                            const NotificationDispatcher& dispatcher, uint64_t t0_ns,
                            const std::string& vm_name, int worker_pid, const std::string& source);

// The back end's part of every request's path (request_path.hpp): a track
// per back-end thread with the doorbells it read and the jobs it served,
// the vCPU's sleeps in HLT on its own track, and arrows from doorbell to
// job, job to completion, and completion to the wake of the vCPU it told.
void write_request_paths(trace::TraceWriter& writer, const NotificationDispatcher& dispatcher,
                         uint64_t t0);

// The pieces of the trace, for a live stream of the log while the guest
// runs (the worker's TraceStream): the process and track names, then each
// record (exit, notification, flow; id = its 1-based place in the log).
void write_tracks(trace::TraceWriter& writer, const NotificationDispatcher& dispatcher,
                  const std::string& vm_name, int worker_pid);
void write_record(trace::TraceWriter& writer, const NotificationDispatcher& dispatcher,
                  const NotificationRecord& record, uint64_t id, uint64_t t0_ns);
// A device's completion of an earlier notification.
void write_completion(trace::TraceWriter& writer, const NotificationDispatcher& dispatcher,
                      const CompletionRecord& completion, uint64_t t0_ns);
// A frame of the VGA text console taken at t_ns (VgaText::capture()): an
// instant "vga"/"screen" on the vga device's track with the screen's record
// (screen_to_json) as its args. False, and nothing written, on a board
// without a "vga" device.
bool write_screen(trace::TraceWriter& writer, const NotificationDispatcher& dispatcher,
                  const VgaScreen& screen, uint64_t t_ns, uint64_t t0_ns);

// The guest instruction that caused the exit of one record.
std::optional<Instruction> record_instruction(const NotificationRecord& rec);

}  // namespace ptv::vnd
