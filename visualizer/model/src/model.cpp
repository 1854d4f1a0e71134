#include "ptv/viz/model.hpp"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <fstream>
#include <unordered_map>

#include "ptv/common/error.hpp"

namespace ptv::viz {

namespace od = simdjson::ondemand;

// The simdjson parser and the padded texts the events' args point into.
struct Parser {
    od::parser parser;
    std::deque<simdjson::padded_string> texts;
};

const char* to_string(TrackKind kind) {
    switch (kind) {
        case TrackKind::Vcpu:
            return "vCPU";
        case TrackKind::Device:
            return "device";
        case TrackKind::UserThread:
            return "thread";
        case TrackKind::Lwp:
            return "LWP";
        case TrackKind::Cpu:
            return "CPU";
        case TrackKind::Connection:
            return "connection";
        case TrackKind::Other:
            break;
    }
    return "other";
}

namespace {

// The document was read to its end (ondemand parses lazily: only then was
// all of it checked).
bool at_end(od::document& doc) {
    const char* where = nullptr;
    return doc.current_location().get(where) == simdjson::OUT_OF_BOUNDS;
}

uint64_t track_key(int32_t pid, int32_t tid) {
    return (uint64_t(uint32_t(pid)) << 32) | uint32_t(tid);
}

bool starts_with_digit_after(std::string_view s, std::string_view prefix) {
    return s.size() > prefix.size() && s.substr(0, prefix.size()) == prefix &&
           s[prefix.size()] >= '0' && s[prefix.size()] <= '9';
}

// Numbers or strings ("0x1f", "42") as an integer id.
uint64_t parse_id(std::string_view s) {
    uint64_t v = 0;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        if (std::from_chars(s.data() + 2, s.data() + s.size(), v, 16).ec == std::errc()) return v;
    } else if (std::from_chars(s.data(), s.data() + s.size(), v).ec == std::errc()) {
        return v;
    }
    return std::hash<std::string_view>{}(s);
}

}  // namespace

TraceModel::TraceModel() : parser_(std::make_unique<Parser>()) {
    intern("");
}
TraceModel::TraceModel(TraceModel&&) noexcept = default;
TraceModel& TraceModel::operator=(TraceModel&&) noexcept = default;
TraceModel::~TraceModel() = default;

uint32_t TraceModel::intern(std::string_view s) {
    if (auto it = string_ids_.find(s); it != string_ids_.end()) return it->second;
    strings_.emplace_back(s);
    const auto id = uint32_t(strings_.size() - 1);
    string_ids_.emplace(strings_.back(), id);
    return id;
}

std::optional<uint32_t> TraceModel::find(std::string_view s) const {
    if (auto it = string_ids_.find(s); it != string_ids_.end()) return it->second;
    return std::nullopt;
}

std::string_view TraceModel::keep(std::string text) {
    texts_.push_back(std::move(text));
    return texts_.back();
}

bool TraceModel::add_object(const char* json, size_t len, size_t capacity) {
    const size_t before = events_.size();
    od::document doc;
    od::object obj;
    // ondemand parses lazily: the object is whole only if we reach its end.
    const bool ok = parser_->parser.iterate(json, len, capacity).get(doc) == simdjson::SUCCESS &&
                    doc.get_object().get(obj) == simdjson::SUCCESS && add_parsed(&obj) &&
                    at_end(doc);
    if (!ok) events_.resize(before);
    return ok;
}

// One event object. Metadata events name tracks and are not kept as events;
// B/E pairs become one X span.
bool TraceModel::add_parsed(void* p) {
    auto& obj = *static_cast<od::object*>(p);
    Event e;
    std::string_view ph, name, cat, id_text;
    bool has_ts = false;
    for (auto field : obj) {
        std::string_view key;
        if (field.unescaped_key().get(key)) return false;
        auto value = field.value();
        if (key == "ph") {
            if (value.get_string().get(ph)) return false;
        } else if (key == "name") {
            if (value.get_string().get(name)) return false;
        } else if (key == "cat") {
            if (value.get_string().get(cat)) return false;
        } else if (key == "ts") {
            if (value.get_double().get(e.ts)) return false;
            has_ts = true;
        } else if (key == "dur") {
            if (value.get_double().get(e.dur)) return false;
        } else if (key == "pid" || key == "tid") {
            int64_t v = 0;
            if (value.get_int64().get(v)) {
                std::string_view s;  // some tools write ids as strings
                if (value.get_string().get(s)) return false;
                v = int64_t(parse_id(s) & 0x7fffffff);
            }
            (key == "pid" ? e.pid : e.tid) = int32_t(v);
        } else if (key == "id") {
            uint64_t v = 0;
            if (value.get_uint64().get(v) == simdjson::SUCCESS) {
                e.id = v;
            } else {
                if (value.get_string().get(id_text)) return false;
                e.id = parse_id(id_text);
            }
        } else if (key == "bp") {
            std::string_view bp;
            if (value.get_string().get(bp)) return false;
            e.bind_enclosing = bp == "e";
        } else if (key == "args") {
            od::object a;
            if (value.get_object().get(a)) return false;
            std::string_view raw;
            if (a.raw_json().get(raw)) return false;
            e.args = raw;
        }
    }
    if (ph.size() != 1) return false;
    const char c = ph[0];
    if (c == 'M') {
        const uint64_t k = track_key(e.pid, e.tid);
        if (name == "thread_name") {
            thread_names_[k] = arg(e.args, "name");
        } else if (name == "process_name") {
            process_names_[e.pid] = arg(e.args, "name");
        } else if (name == "thread_sort_index") {
            sort_indexes_[k] = int(arg_number(e.args, "sort_index"));
        }
        return true;
    }
    if (!has_ts) return false;
    static constexpr std::string_view kKnown = "XBEiICstf";
    e.ph = kKnown.find(c) == std::string_view::npos ? Phase::Other
           : c == 'I'                               ? Phase::Instant
                                                    : Phase(c);
    e.name = intern(name);
    e.cat = intern(cat);
    events_.push_back(e);
    return true;
}

bool TraceModel::add_line(std::string_view json) {
    auto& text = parser_->texts.emplace_back(json.data(), json.size());
    if (!add_object(text.data(), text.size(), text.size() + simdjson::SIMDJSON_PADDING)) {
        ++skipped;
        parser_->texts.pop_back();
        return false;
    }
    return true;
}

uint32_t TraceModel::span_at(uint32_t track, double ts) const {
    if (track >= tracks_.size()) return kNone;
    const Track& t = tracks_[track];
    // Spans start at or before ts and may reach ts: at most max_dur back.
    auto first = std::lower_bound(t.spans.begin(), t.spans.end(), ts - t.max_dur,
                                  [&](uint32_t i, double v) { return events_[i].ts < v; });
    uint32_t best = kNone;
    uint8_t best_depth = 0;
    for (auto it = first; it != t.spans.end() && events_[*it].ts <= ts; ++it) {
        const Event& e = events_[*it];
        if (e.ph == Phase::Complete && ts <= e.end()) {
            const uint8_t d = t.depth[size_t(it - t.spans.begin())];
            if (best == kNone || d >= best_depth) best = *it, best_depth = d;
        }
    }
    return best;
}

void TraceModel::finish() {
    ++generation_;
    // B/E pairs into X spans (new events only), per track.
    std::unordered_map<uint64_t, std::vector<uint32_t>> open;
    for (size_t i = finished_events_; i < events_.size(); ++i) {
        Event& e = events_[i];
        const uint64_t k = track_key(e.pid, e.tid);
        if (e.ph == Phase::Begin) {
            open[k].push_back(uint32_t(i));
        } else if (e.ph == Phase::End) {
            auto& stack = open[k];
            if (!stack.empty()) {
                Event& b = events_[stack.back()];
                stack.pop_back();
                b.ph = Phase::Complete;
                b.dur = e.ts - b.ts;
            }
            e.ph = Phase::Other;
        }
    }
    finished_events_ = events_.size();

    // Tracks: one per (pid, tid) with spans, instants or flow ends.
    tracks_.clear();
    track_ids_.clear();
    bool first = true;
    for (uint32_t i = 0; i < events_.size(); ++i) {
        Event& e = events_[i];
        if (e.ph == Phase::Other || e.ph == Phase::Begin || e.ph == Phase::Counter) {
            e.track = kNone;
            continue;
        }
        const uint64_t k = track_key(e.pid, e.tid);
        auto [it, added] = track_ids_.try_emplace(k, uint32_t(tracks_.size()));
        if (added) {
            Track t;
            t.pid = e.pid;
            t.tid = e.tid;
            tracks_.push_back(std::move(t));
        }
        e.track = it->second;
        if (e.ph == Phase::Complete || e.ph == Phase::Instant) {
            Track& t = tracks_[it->second];
            t.spans.push_back(i);
            t.max_dur = std::max(t.max_dur, e.dur);
            const double end = e.end();
            if (first) t_min_ = e.ts, t_max_ = end, first = false;
            t_min_ = std::min(t_min_, e.ts);
            t_max_ = std::max(t_max_, end);
        }
    }
    if (first) t_min_ = t_max_ = 0;

    const auto vmexit = find("vmexit"), notification = find("notification");
    for (auto& t : tracks_) {
        const uint64_t k = track_key(t.pid, t.tid);
        if (auto n = thread_names_.find(k); n != thread_names_.end() && !n->second.empty())
            t.name = n->second;
        else
            t.name = "tid " + std::to_string(t.tid);
        if (auto s = sort_indexes_.find(k); s != sort_indexes_.end())
            t.sort_index = s->second;
        else
            t.sort_index = t.tid;
        // Outer spans first at equal start, so nesting depth is right. Traces
        // are mostly written in time order: then there is nothing to sort.
        auto before = [&](uint32_t a, uint32_t b) {
            const Event &x = events_[a], &y = events_[b];
            return x.ts < y.ts || (x.ts == y.ts && x.dur > y.dur);
        };
        if (!std::is_sorted(t.spans.begin(), t.spans.end(), before))
            std::stable_sort(t.spans.begin(), t.spans.end(), before);
        t.depth.assign(t.spans.size(), 0);
        t.max_depth = 0;
        std::vector<double> ends;  // open spans' ends
        for (size_t j = 0; j < t.spans.size(); ++j) {
            const Event& e = events_[t.spans[j]];
            while (!ends.empty() && ends.back() <= e.ts) ends.pop_back();
            t.depth[j] = uint8_t(std::min<size_t>(ends.size(), 255));
            t.max_depth = std::max(t.max_depth, t.depth[j]);
            if (e.ph == Phase::Complete && e.dur > 0) ends.push_back(e.end());
        }
        // What the track is: from its name, then from what runs on it.
        const std::string& n = t.name;
        size_t exits = 0, notes = 0;
        for (size_t j = 0; j < std::min<size_t>(t.spans.size(), 64); ++j) {
            const uint32_t cat = events_[t.spans[j]].cat;
            exits += vmexit && cat == *vmexit;
            notes += notification && cat == *notification;
        }
        if (n.rfind("vCPU", 0) == 0 || exits > 0)
            t.kind = TrackKind::Vcpu;
        else if (notes > 0)
            t.kind = TrackKind::Device;
        else if (n.rfind("CPU", 0) == 0)
            t.kind = TrackKind::Cpu;
        else if (starts_with_digit_after(n, "L") || n.find("LWP") != std::string::npos ||
                 n.find("kernel thread") != std::string::npos)
            t.kind = TrackKind::Lwp;
        else if (n.rfind("connection", 0) == 0)
            t.kind = TrackKind::Connection;
        else if (starts_with_digit_after(n, "U") || n.find("thread") != std::string::npos ||
                 n.find("fiber") != std::string::npos)
            t.kind = TrackKind::UserThread;
        else
            t.kind = TrackKind::Other;
    }
    order_.resize(tracks_.size());
    for (uint32_t i = 0; i < order_.size(); ++i) order_[i] = i;
    std::sort(order_.begin(), order_.end(), [&](uint32_t a, uint32_t b) {
        const Track &x = tracks_[a], &y = tracks_[b];
        if (x.pid != y.pid) return x.pid < y.pid;
        if (x.sort_index != y.sort_index) return x.sort_index < y.sort_index;
        return x.tid < y.tid;
    });

    // Flows: each "s" waits for the "f" (or "t") with its (cat, name, id).
    flows_.clear();
    struct Key {
        uint64_t id;
        uint32_t cat, name;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        size_t operator()(const Key& k) const {
            return std::hash<uint64_t>{}(k.id * 0x9e3779b97f4a7c15ull ^ k.cat ^
                                         (uint64_t(k.name) << 32));
        }
    };
    std::unordered_map<Key, uint32_t, KeyHash> starts;
    for (uint32_t i = 0; i < events_.size(); ++i) {
        const Event& e = events_[i];
        if (e.ph != Phase::FlowStart && e.ph != Phase::FlowStep && e.ph != Phase::FlowEnd) continue;
        const Key key{e.id, e.cat, e.name};
        if (e.ph == Phase::FlowStart) {
            starts[key] = i;
            continue;
        }
        auto it = starts.find(key);
        if (it == starts.end()) continue;
        const Event& s = events_[it->second];
        Flow f;
        f.id = e.id;
        f.cat = e.cat;
        f.name = e.name;
        f.from_ts = s.ts;
        f.to_ts = e.ts;
        f.from_track = s.track;
        f.to_track = e.track;
        f.from_event = span_at(s.track, s.ts);
        f.to_event = span_at(e.track, e.ts);
        if (f.to_event == kNone && !e.bind_enclosing && e.track != kNone) {
            // Chrome's default binding: the next slice that starts after.
            const Track& t = tracks_[e.track];
            auto next = std::lower_bound(t.spans.begin(), t.spans.end(), e.ts,
                                         [&](uint32_t j, double v) { return events_[j].ts < v; });
            if (next != t.spans.end()) f.to_event = *next;
        }
        flows_.push_back(f);
        if (e.ph == Phase::FlowEnd)
            starts.erase(it);
        else
            it->second = i;  // a step continues the flow
    }
}

std::string TraceModel::process_name(int pid) const {
    if (auto it = process_names_.find(pid); it != process_names_.end()) return it->second;
    return "pid " + std::to_string(pid);
}

bool TraceModel::has_category(std::string_view cat) const {
    auto id = find(cat);
    if (!id) return false;
    for (const auto& e : events_)
        if (e.cat == *id && (e.ph == Phase::Complete || e.ph == Phase::Instant)) return true;
    return false;
}

std::vector<uint32_t> TraceModel::events_of(std::string_view cat) const {
    std::vector<uint32_t> out;
    auto id = find(cat);
    if (!id) return out;
    for (uint32_t i = 0; i < events_.size(); ++i)
        if (events_[i].cat == *id &&
            (events_[i].ph == Phase::Complete || events_[i].ph == Phase::Instant))
            out.push_back(i);
    return out;
}

// ---- loading ----

struct Loader {
    // The fast path: simdjson over the whole text. False on any damage (the
    // model is then thrown away and the careful path runs).
    static bool whole(TraceModel& m, const simdjson::padded_string& text) {
        od::parser& parser = m.parser_->parser;
        const std::string_view s(text.data(), text.size());
        m.events_.reserve(text.size() / 160);  // a KVM exit's events average ~140 bytes
        const size_t start = s.find_first_not_of(" \t\r\n");
        if (start == std::string_view::npos) return true;  // empty: an empty trace
        auto add_array = [&](od::array arr) {
            for (auto item : arr) {
                od::object obj;
                if (item.get_object().get(obj)) return false;
                if (!m.add_parsed(&obj)) return false;
            }
            return true;
        };
        if (s[start] == '[') {
            od::document doc;
            od::array arr;
            if (parser.iterate(text).get(doc) || doc.get_array().get(arr)) return false;
            return add_array(arr) && at_end(doc);
        }
        if (s[start] == '{' && s.find("\"traceEvents\"") != std::string_view::npos) {
            od::document doc;
            od::object root;
            if (parser.iterate(text).get(doc) || doc.get_object().get(root)) return false;
            for (auto field : root) {
                std::string_view key;
                if (field.unescaped_key().get(key)) return false;
                if (key == "traceEvents") {
                    od::array arr;
                    if (field.value().get_array().get(arr) || !add_array(arr)) return false;
                } else if (key == "metadata") {
                    od::object meta;
                    std::string_view raw;
                    if (field.value().get_object().get(meta) || meta.raw_json().get(raw))
                        return false;
                    m.metadata = nlohmann::json::parse(raw, nullptr, false);
                    if (m.metadata.is_discarded()) return false;
                }
            }
            return at_end(doc);
        }
        // One event per line (the live form, saved).
        od::document_stream stream;
        if (parser.iterate_many(text, 1 << 20).get(stream)) return false;
        for (auto doc : stream) {
            od::object obj;
            if (doc.get_object().get(obj) || !m.add_parsed(&obj)) return false;
        }
        return stream.truncated_bytes() == 0;
    }

    // The careful path: find each top-level event object by its braces,
    // parse it alone, keep it or count it as skipped.
    static void careful(TraceModel& m, const simdjson::padded_string& text) {
        const std::string_view s(text.data(), text.size());
        size_t pos = s.find_first_not_of(" \t\r\n");
        if (pos == std::string_view::npos) return;
        int base = 0;  // depth of the event objects
        if (s[pos] == '[') {
            base = 1;
        } else if (s[pos] == '{') {
            const size_t k = s.find("\"traceEvents\"");
            if (k != std::string_view::npos) {
                const size_t b = s.find('[', k);
                pos = b == std::string_view::npos ? s.size() : b + 1;
                base = 0;
            }
        }
        if (base == 1) ++pos;
        uint64_t first_bad = UINT64_MAX;
        bool truncated = false;
        size_t end_of_array = s.size();
        int depth = 0;
        bool in_string = false, escape = false, garbage = false;
        size_t obj_start = 0;
        auto bad = [&](size_t at) {
            ++m.skipped;
            first_bad = std::min<uint64_t>(first_bad, at);
        };
        for (size_t i = pos; i < s.size(); ++i) {
            const char c = s[i];
            if (c == '\n' && depth > 0) {
                // JSON strings hold no raw newline, and an event's own line
                // never starts another object: either means this event was
                // cut short. Count it and start again on the next line.
                const size_t next = s.find_first_not_of(" \t\r", i + 1);
                if (in_string || (depth == 1 && next != std::string_view::npos && s[next] == '{')) {
                    bad(obj_start);
                    in_string = escape = false;
                    depth = 0;
                    continue;
                }
            }
            if (in_string) {
                if (escape)
                    escape = false;
                else if (c == '\\')
                    escape = true;
                else if (c == '"')
                    in_string = false;
                continue;
            }
            if (depth == 0) {
                if (c == '{') {
                    obj_start = i;
                    depth = 1;
                    garbage = false;
                } else if (c == ']') {
                    end_of_array = i;
                    break;
                } else if (c != ',' && c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                    if (!garbage) bad(i);
                    garbage = true;
                    if (c == '"') in_string = true;
                }
                continue;
            }
            if (c == '"') {
                in_string = true;
            } else if (c == '{' || c == '[') {
                ++depth;
            } else if (c == '}' || c == ']') {
                if (--depth == 0) {
                    if (!m.add_object(s.data() + obj_start, i + 1 - obj_start,
                                      s.size() - obj_start + simdjson::SIMDJSON_PADDING))
                        bad(obj_start);
                }
            }
        }
        if (depth > 0 || in_string) {
            truncated = true;
            bad(obj_start);
        }
        // The metadata object after the array, if it survived.
        if (end_of_array < s.size()) {
            const size_t k = s.find("\"metadata\"", end_of_array);
            const size_t b = k == std::string_view::npos ? k : s.find('{', k);
            if (b != std::string_view::npos) {
                auto meta = nlohmann::json::parse(s.substr(b, s.rfind('}') - b), nullptr, false);
                if (meta.is_object()) m.metadata = std::move(meta);
            }
        } else if (base == 1 || s[s.find_first_not_of(" \t\r\n")] == '{') {
            // An array that never closed: the file was cut short.
            if (s.find("\"traceEvents\"") != std::string_view::npos || base == 1) truncated = true;
        }
        if (m.skipped > 0 || truncated) {
            const size_t line =
                size_t(std::count(s.begin(), s.begin() + std::min<size_t>(first_bad, s.size()),
                                  '\n')) +
                1;
            m.error = m.skipped > 0
                          ? "skipped " + std::to_string(m.skipped) +
                                " malformed event(s), the first at line " + std::to_string(line)
                          : std::string();
            if (truncated)
                m.error += std::string(m.error.empty() ? "" : "; ") +
                           "the trace ends early (truncated): showing what was complete";
        }
    }

    static TraceModel parse(simdjson::padded_string text) {
        TraceModel m;
        if (!whole(m, text)) {
            m = TraceModel();
            careful(m, text);
        }
        m.parser_->texts.push_back(std::move(text));
        m.finish();
        return m;
    }
};

TraceModel parse_text(std::string text) {
    return Loader::parse(simdjson::padded_string(text));
}

TraceModel load_file(const std::string& path) {
    simdjson::padded_string text;
    if (auto err = simdjson::padded_string::load(path).get(text))
        throw UsageError("cannot read trace file '" + path + "': " +
                         (err == simdjson::IO_ERROR ? std::string(std::strerror(errno))
                                                    : simdjson::error_message(err)) +
                         "; check the path");
    return Loader::parse(std::move(text));
}

// ---- args ----

namespace {

std::string_view raw_arg(std::string_view args, std::string_view key) {
    size_t pos = 0;
    while (true) {
        pos = args.find(key, pos);
        if (pos == std::string_view::npos) return {};
        const size_t after = pos + key.size();
        if (pos > 0 && args[pos - 1] == '"' && after + 1 < args.size() && args[after] == '"') {
            size_t v = args.find_first_not_of(" \t\r\n", after + 1);
            if (v != std::string_view::npos && args[v] == ':') {
                v = args.find_first_not_of(" \t\r\n", v + 1);
                if (v == std::string_view::npos) return {};
                if (args[v] == '"') {
                    size_t e = v + 1;
                    while (e < args.size() && args[e] != '"') e += args[e] == '\\' ? 2 : 1;
                    return args.substr(v + 1, std::min(e, args.size()) - v - 1);
                }
                const size_t e = args.find_first_of(",}]", v);
                std::string_view r = args.substr(v, e == std::string_view::npos ? e : e - v);
                while (!r.empty() && (r.back() == ' ' || r.back() == '\n')) r.remove_suffix(1);
                return r;
            }
        }
        pos = after;
    }
}

}  // namespace

std::string arg(std::string_view args, std::string_view key) {
    std::string_view r = raw_arg(args, key);
    if (r.find('\\') == std::string_view::npos) return std::string(r);
    auto j = nlohmann::json::parse("\"" + std::string(r) + "\"", nullptr, false);
    return j.is_string() ? j.get<std::string>() : std::string(r);
}

double arg_number(std::string_view args, std::string_view key, double fallback) {
    std::string_view r = raw_arg(args, key);
    if (r.empty()) return fallback;
    double v = fallback;
    if (r.size() > 2 && r[0] == '0' && (r[1] == 'x' || r[1] == 'X')) {
        uint64_t u = 0;
        if (std::from_chars(r.data() + 2, r.data() + r.size(), u, 16).ec == std::errc())
            return double(u);
        return fallback;
    }
    if (std::from_chars(r.data(), r.data() + r.size(), v).ec != std::errc()) return fallback;
    return v;
}

}  // namespace ptv::viz
