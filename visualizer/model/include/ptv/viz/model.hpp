// The visualizer's trace model: a Chrome trace (docs/DESIGN.md, "The trace") loaded
// into compact events, a track per (pid, tid), and flows matched to the
// spans they join. It knows nothing about drawing: each view is one function
// drawing from the model, so the model can be tested without a window.
//
// Loading is built for size: simdjson parses the whole file in one pass and
// each event keeps its arguments as the raw JSON text (a view into the
// model's own copy of the file), decoded only when someone asks. A damaged
// file falls back to an event-by-event scan that keeps every well-formed
// event and counts the rest.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ptv::viz {

// Chrome trace phases the views use; the rest are kept as Other.
enum class Phase : char {
    Complete = 'X',
    Begin = 'B',
    End = 'E',
    Instant = 'i',
    Counter = 'C',
    FlowStart = 's',
    FlowStep = 't',
    FlowEnd = 'f',
    Meta = 'M',
    Other = '?',
};

constexpr uint32_t kNone = 0xffffffffu;

struct Event {
    double ts = 0;   // microseconds
    double dur = 0;  // microseconds (X; B/E pairs are folded into X)
    uint64_t id = 0;
    int32_t pid = 0, tid = 0;
    uint32_t name = 0, cat = 0;  // interned strings
    uint32_t track = kNone;      // index into tracks()
    Phase ph = Phase::Other;
    bool bind_enclosing = false;  // flow end with "bp":"e"
    std::string_view args;        // raw JSON of "args" ("" when absent)

    double end() const { return ts + dur; }
};

// What a track stands for, guessed from its name and its events: the
// timeline groups and orders tracks by it.
enum class TrackKind : uint8_t { Vcpu, Device, UserThread, Lwp, Cpu, Connection, Other };
const char* to_string(TrackKind kind);

struct Track {
    int32_t pid = 0, tid = 0;
    std::string name;  // thread_name metadata, or "pid P tid T"
    int sort_index = 0;
    TrackKind kind = TrackKind::Other;
    std::vector<uint32_t> spans;  // X and i events, by start time
    std::vector<uint8_t> depth;   // nesting depth of each span (0 = outermost)
    uint8_t max_depth = 0;
    double max_dur = 0;  // longest span: how far back a visible span can start
};

// A flow arrow ("s" ... "f" with the same cat, name and id), bound to the
// spans that enclose its ends (kNone when nothing encloses one).
struct Flow {
    uint64_t id = 0;
    uint32_t name = 0, cat = 0;
    double from_ts = 0, to_ts = 0;
    uint32_t from_track = kNone, to_track = kNone;
    uint32_t from_event = kNone, to_event = kNone;
};

class TraceModel {
  public:
    TraceModel();
    TraceModel(TraceModel&&) noexcept;
    TraceModel& operator=(TraceModel&&) noexcept;
    ~TraceModel();

    // Appends one event object's JSON text (a live line). Returns false and
    // counts it as skipped when it is not a well-formed event.
    bool add_line(std::string_view json);
    // Assigns tracks and matches flows over everything added so far. Call
    // after loading or a batch of live lines; cheap to call again.
    void finish();

    const std::vector<Event>& events() const { return events_; }
    const std::vector<Track>& tracks() const { return tracks_; }
    // Tracks in display order: by pid, then sort index, then tid.
    const std::vector<uint32_t>& track_order() const { return order_; }
    const std::vector<Flow>& flows() const { return flows_; }
    std::string_view str(uint32_t id) const { return strings_[id]; }
    // The interned id of s, if any event uses it.
    std::optional<uint32_t> find(std::string_view s) const;
    // Name of a process (process_name metadata, or "pid P").
    std::string process_name(int pid) const;

    bool has_category(std::string_view cat) const;
    // Events (X, i) of one category, in file order.
    std::vector<uint32_t> events_of(std::string_view cat) const;
    // The span on `track` enclosing ts (innermost), or kNone.
    uint32_t span_at(uint32_t track, double ts) const;

    double t_min() const { return t_min_; }
    double t_max() const { return t_max_; }
    size_t event_count() const { return events_.size(); }
    // Bumped by every finish(): views cache their analyses on it.
    uint64_t generation() const { return generation_; }

    nlohmann::json metadata = nlohmann::json::object();
    uint64_t skipped = 0;  // malformed events left out
    std::string error;     // why the load was partial ("" when whole)

    // Keeps a text alive as long as the model (events view into it).
    std::string_view keep(std::string text);
    uint32_t intern(std::string_view s);

  private:
    friend struct Loader;
    bool add_parsed(void* object);  // a simdjson::ondemand::object*
    // Parses one event object at json (capacity: readable bytes from json).
    bool add_object(const char* json, size_t len, size_t capacity);

    std::vector<Event> events_;
    std::vector<Track> tracks_;
    std::vector<uint32_t> order_;
    std::vector<Flow> flows_;
    std::deque<std::string> strings_;
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string_view, uint32_t, Hash, std::equal_to<>> string_ids_;
    std::unordered_map<uint64_t, uint32_t> track_ids_;  // (pid, tid) -> track
    std::unordered_map<uint64_t, std::string> thread_names_;
    std::unordered_map<uint64_t, int> sort_indexes_;
    std::unordered_map<int, std::string> process_names_;
    std::deque<std::string> texts_;  // owned JSON text the events point into
    std::unique_ptr<struct Parser> parser_;
    double t_min_ = 0, t_max_ = 0;
    uint64_t generation_ = 0;
    size_t finished_events_ = 0;
};

// Loads a trace file: an object with traceEvents, a bare array, or one
// event per line. A damaged file gives a partial model with `skipped` and
// `error` set; a missing file throws ptv::UsageError-like std::runtime_error
// with one clear line.
TraceModel load_file(const std::string& path);
TraceModel parse_text(std::string text);

// The value of a top-level string or number argument in an event's raw
// args ("" when absent). Cheap: no full JSON decode.
std::string arg(std::string_view args, std::string_view key);
double arg_number(std::string_view args, std::string_view key, double fallback = 0);

}  // namespace ptv::viz
