#include <fmt/format.h>
#include <cerrno>
#include <cstring>

#include "ptv/common/error.hpp"
#include "ptv/common/trace.hpp"

namespace ptv::trace {

TraceWriter::TraceWriter(std::FILE* out, Mode mode) : out_(out), owns_(false), mode_(mode) {
    if (mode_ == Mode::File) std::fputs("{\"traceEvents\":[\n", out_);
}

TraceWriter TraceWriter::open(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (!f)
        throw UsageError(fmt::format("cannot write trace file '{}': {}; choose a writable path",
                                     path, std::strerror(errno)));
    TraceWriter w(f, Mode::File);
    w.owns_ = true;
    return w;
}

TraceWriter::TraceWriter(TraceWriter&& o) noexcept
    : out_(o.out_),
      owns_(o.owns_),
      mode_(o.mode_),
      finished_(o.finished_),
      events_(o.events_),
      metadata_(std::move(o.metadata_)) {
    o.out_ = nullptr;
    o.owns_ = false;
}

TraceWriter::~TraceWriter() {
    if (out_) finish();
}

void TraceWriter::write_event(const nlohmann::json& ev) {
    // One event per line in both modes: a truncated file stays loadable line
    // by line, and the live stream is the same text without the wrapper.
    std::string text = ev.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (mode_ == Mode::File && events_ > 0) std::fputs(",\n", out_);
    std::fputs(text.c_str(), out_);
    if (mode_ != Mode::File) std::fputc('\n', out_);
    if (mode_ == Mode::Lines) std::fflush(out_);
    ++events_;
}

void TraceWriter::event(const nlohmann::json& ev) {
    write_event(ev);
}

void TraceWriter::process_name(int pid, std::string_view name) {
    write_event({{"ph", "M"}, {"name", "process_name"}, {"pid", pid}, {"args", {{"name", name}}}});
}

void TraceWriter::thread_name(int pid, int tid, std::string_view name) {
    write_event({{"ph", "M"},
                 {"name", "thread_name"},
                 {"pid", pid},
                 {"tid", tid},
                 {"args", {{"name", name}}}});
}

void TraceWriter::thread_sort_index(int pid, int tid, int index) {
    write_event({{"ph", "M"},
                 {"name", "thread_sort_index"},
                 {"pid", pid},
                 {"tid", tid},
                 {"args", {{"sort_index", index}}}});
}

void TraceWriter::complete(std::string_view cat, std::string_view name, int pid, int tid,
                           double ts_us, double dur_us, const Args& args) {
    nlohmann::json ev = {{"ph", "X"},  {"cat", cat},  {"name", name}, {"pid", pid},
                         {"tid", tid}, {"ts", ts_us}, {"dur", dur_us}};
    if (!args.is_null()) ev["args"] = args;
    write_event(ev);
}

void TraceWriter::instant(std::string_view cat, std::string_view name, int pid, int tid,
                          double ts_us, const Args& args) {
    nlohmann::json ev = {{"ph", "i"},  {"s", "t"},   {"cat", cat}, {"name", name},
                         {"pid", pid}, {"tid", tid}, {"ts", ts_us}};
    if (!args.is_null()) ev["args"] = args;
    write_event(ev);
}

void TraceWriter::counter(std::string_view name, int pid, double ts_us, const Args& values) {
    write_event({{"ph", "C"}, {"name", name}, {"pid", pid}, {"ts", ts_us}, {"args", values}});
}

void TraceWriter::flow_start(std::string_view cat, std::string_view name, uint64_t id, int pid,
                             int tid, double ts_us) {
    write_event({{"ph", "s"},
                 {"cat", cat},
                 {"name", name},
                 {"id", id},
                 {"pid", pid},
                 {"tid", tid},
                 {"ts", ts_us}});
}

void TraceWriter::flow_finish(std::string_view cat, std::string_view name, uint64_t id, int pid,
                              int tid, double ts_us) {
    // "bp":"e" binds the arrow to the enclosing slice on the finishing track
    // (the notification), not to the next slice that starts after it.
    write_event({{"ph", "f"},
                 {"bp", "e"},
                 {"cat", cat},
                 {"name", name},
                 {"id", id},
                 {"pid", pid},
                 {"tid", tid},
                 {"ts", ts_us}});
}

void TraceWriter::metadata(std::string_view key, const nlohmann::json& value) {
    metadata_[std::string(key)] = value;
}

bool TraceWriter::flush() {
    return out_ && std::fflush(out_) == 0 && !std::ferror(out_);
}

bool TraceWriter::finish() {
    if (finished_ || !out_) return true;
    finished_ = true;
    if (mode_ == Mode::File) {
        std::fputs("\n],\n\"metadata\":", out_);
        std::fputs(metadata_.dump().c_str(), out_);
        std::fputs("}\n", out_);
    }
    bool ok = std::fflush(out_) == 0 && !std::ferror(out_);
    if (owns_) ok = (std::fclose(out_) == 0) && ok;
    out_ = nullptr;
    return ok;
}

}  // namespace ptv::trace
