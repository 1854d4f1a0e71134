// Chrome Trace Event JSON, the one trace format of ptvlab (docs/DESIGN.md, "The
// trace"). It opens in Perfetto UI and chrome://tracing as well as in our
// visualizer.
//
//   file:  {"traceEvents":[ev, ev, ...], "metadata":{...}}
//   live:  ev\n ev\n ...   (the same objects, one per line, for a socket)
//
// pid = VM, server or simulation instance; tid = vCPU, thread, LWP,
// connection or device track. Timestamps are microseconds (doubles, so
// nanosecond detail survives).
#pragma once

#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace ptv::trace {

using Args = nlohmann::json;

class TraceWriter {
  public:
    // Lines flushes after every event (a live socket sees each at once);
    // LinesBatched leaves flushing to the caller's flush(), for a thread
    // that streams a batch of events at a time.
    enum class Mode { File, Lines, LinesBatched };

    // Writes to an open stdio stream (not closed by the writer).
    explicit TraceWriter(std::FILE* out, Mode mode = Mode::File);
    // Opens PATH for writing; throws ptv::UsageError if it cannot.
    static TraceWriter open(const std::string& path);
    TraceWriter(TraceWriter&&) noexcept;
    TraceWriter& operator=(TraceWriter&&) = delete;
    ~TraceWriter();

    // Track names ("M" metadata events): what the visualizer shows per track.
    void process_name(int pid, std::string_view name);
    void thread_name(int pid, int tid, std::string_view name);
    void thread_sort_index(int pid, int tid, int index);

    // A span ("X"): something that took time on a track.
    void complete(std::string_view cat, std::string_view name, int pid, int tid, double ts_us,
                  double dur_us, const Args& args = nullptr);
    // A point in time ("i", thread scope).
    void instant(std::string_view cat, std::string_view name, int pid, int tid, double ts_us,
                 const Args& args = nullptr);
    // A counter track ("C").
    void counter(std::string_view name, int pid, double ts_us, const Args& values);
    // Flow arrows ("s" then "f"): from the event enclosing the start to the
    // event enclosing the finish, matched by (cat, name, id).
    void flow_start(std::string_view cat, std::string_view name, uint64_t id, int pid, int tid,
                    double ts_us);
    void flow_finish(std::string_view cat, std::string_view name, uint64_t id, int pid, int tid,
                     double ts_us);

    // Any other event object, written as is.
    void event(const nlohmann::json& ev);

    // File mode: sets a key of the trailing "metadata" object.
    void metadata(std::string_view key, const nlohmann::json& value);

    // Pushes what is buffered to the stream; false if a write failed.
    bool flush();

    // File mode: closes the array and writes the metadata. Called by the
    // destructor if not called before. Returns false if a write failed.
    bool finish();

    uint64_t events_written() const { return events_; }

  private:
    void write_event(const nlohmann::json& ev);

    std::FILE* out_;
    bool owns_;
    Mode mode_;
    bool finished_ = false;
    uint64_t events_ = 0;
    nlohmann::json metadata_ = nlohmann::json::object();
};

// A loaded trace: its events in file order and its metadata. Used by tests,
// graders and the visualizer.
struct Trace {
    nlohmann::json events = nlohmann::json::array();
    nlohmann::json metadata = nlohmann::json::object();
    uint64_t skipped = 0;  // malformed events left out of a partial load
    std::string error;     // why the load was partial ("" when it was whole)
};

// Loads a trace file in either form (object with traceEvents, a bare array,
// or one event per line). A malformed or truncated file gives a partial load
// with `skipped` and `error` set; a missing file throws ptv::UsageError.
Trace load(const std::string& path);
Trace parse(std::string_view text);

}  // namespace ptv::trace
