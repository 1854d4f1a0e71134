// What a GET or HEAD of a file answers, given the request's conditional and
// range headers (RFC 9110 §13 and §14): the whole file (200), not modified
// (304), a part of it (206), or a range it does not have (416). This is what
// lets a browser revalidate its cache and `curl -C -` or `wget -c` resume a
// download.
#pragma once

#include <cstdint>

#include "ptv/servers/http/disk.hpp"
#include "ptv/servers/http/reply.hpp"
#include "ptv/servers/http/request.hpp"

namespace ptv::servers::http {

// RFC 9110 §13.2.2's order: If-None-Match (weak comparison, "*" matches
// any) decides when present; otherwise If-Modified-Since, whose date must be
// valid. True: answer 304.
bool not_modified(const Request& request, const Validators& v);

struct ByteRange {
    enum class Kind : uint8_t {
        Whole,          // no Range, not bytes, malformed, several ranges, or If-Range failed
        Part,           // `first` and `length`
        Unsatisfiable,  // 416
    };
    Kind kind = Kind::Whole;
    uint64_t first = 0, length = 0;
};
// The one byte range of a GET (RFC 9110 §14.1.2: first-last, first-, or
// -suffix), checked against a file of `size` bytes. A Range whose If-Range
// does not name this version (strong entity-tag comparison, or the exact
// Last-Modified date) asks for the whole file. Several ranges are answered
// with the whole file, as §14.2 allows.
ByteRange choose_range(const Request& request, const Validators& v, uint64_t size);

// The reply to a GET or HEAD of a file read whole: 200 with its validators,
// or 304, 206 (with Content-Range) or 416 as the request's headers ask. With
// `validators` false the file is sent as it is, no validators, every
// conditional and range ignored (a server with them turned off).
Reply file_reply(const Request& request, const DiskRead& read, bool validators);

}  // namespace ptv::servers::http
