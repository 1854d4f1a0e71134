// The request and response parsers over libhttp-parser (see request.hpp).
#include <http_parser.h>

#include <cstring>

#include "ptv/servers/http/request.hpp"

namespace ptv::servers::http {

namespace {

// RFC 9110 tchar: the characters a method token may contain.
bool is_tchar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

// Longer than any method we know of, short enough to decide quickly.
constexpr size_t kMaxMethodToken = 32;

}  // namespace

// ---------------------------------------------------------------- requests

struct RequestParser::Impl {
    http_parser parser;
    http_parser_settings settings;
    RequestParser* owner = nullptr;
    bool headers_done = false, complete = false;
    size_t head_bytes = 0, body_bytes = 0;
    int early_error = 0;  // a status decided inside a callback
    std::string field, value;
    bool in_value = false;
    bool host_seen = false, duplicate_host = false;
    bool in_headers = false;      // the request line is over
    std::string transfer_coding;  // Transfer-Encoding's codings, comma-joined
    // The first bytes of the request, to tell an unknown method (501) from
    // garbage (400): libhttp-parser stops at the first byte that starts no
    // method it knows.
    std::string prefix;
    bool probing_method = false;

    void init() {
        http_parser_init(&parser, HTTP_REQUEST);
        parser.data = this;
        headers_done = complete = false;
        head_bytes = body_bytes = 0;
        early_error = 0;
        field.clear();
        value.clear();
        in_value = false;
        host_seen = duplicate_host = false;
        in_headers = false;
        transfer_coding.clear();
        prefix.clear();
        probing_method = false;
    }

    void commit_header() {
        Request& r = owner->request_;
        if (iequals(field, "host")) {
            if (host_seen) duplicate_host = true;
            host_seen = true;
            r.host = value;
        } else if (iequals(field, "cookie")) {
            if (!r.cookie.empty()) r.cookie += "; ";
            r.cookie += value;
        } else if (iequals(field, "transfer-encoding")) {
            if (!transfer_coding.empty()) transfer_coding += ',';
            transfer_coding += value;
        } else if (iequals(field, "if-none-match")) {
            if (!r.if_none_match.empty()) r.if_none_match += ", ";
            r.if_none_match += value;
        } else if (iequals(field, "if-modified-since")) {
            r.if_modified_since = value;
        } else if (iequals(field, "range")) {
            r.range = value;
        } else if (iequals(field, "if-range")) {
            r.if_range = value;
        }
        field.clear();
        value.clear();
        in_value = false;
    }

    static Impl& of(http_parser* p) { return *static_cast<Impl*>(p->data); }

    static int on_url(http_parser* p, const char* at, size_t n) {
        of(p).owner->request_.target.append(at, n);
        return 0;
    }
    static int on_header_field(http_parser* p, const char* at, size_t n) {
        Impl& s = of(p);
        s.in_headers = true;
        if (s.in_value) s.commit_header();
        s.field.append(at, n);
        return 0;
    }
    static int on_header_value(http_parser* p, const char* at, size_t n) {
        Impl& s = of(p);
        s.in_value = true;
        s.value.append(at, n);
        return 0;
    }
    // RFC 9112 §6.1: a transfer coding the server does not understand is
    // 501; chunked is the only one we do (libhttp-parser would say 400).
    bool unknown_transfer_coding() const {
        std::string_view rest = transfer_coding;
        while (!rest.empty()) {
            size_t comma = rest.find(',');
            std::string_view coding = rest.substr(0, comma);
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
            while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t'))
                coding.remove_prefix(1);
            while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t'))
                coding.remove_suffix(1);
            if (!coding.empty() && !iequals(coding, "chunked")) return true;
        }
        return false;
    }
    static int on_headers_complete(http_parser* p) {
        Impl& s = of(p);
        if (s.in_value || !s.field.empty()) s.commit_header();
        s.headers_done = s.in_headers = true;
        Request& r = s.owner->request_;
        r.version_major = p->http_major;
        r.version_minor = p->http_minor;
        r.keep_alive = http_should_keep_alive(p) != 0;
        r.method = p->method == HTTP_GET    ? Method::Get
                   : p->method == HTTP_HEAD ? Method::Head
                                            : Method::Other;
        // Stop here (-1 is libhttp-parser's "callback failed") rather than
        // read a body we will not use.
        if (r.version_major != 1) return s.early_error = 505, -1;
        if (r.method == Method::Other) return s.early_error = 501, -1;
        if (s.unknown_transfer_coding()) return s.early_error = 501, -1;
        // RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request
        // without exactly one Host header.
        if (s.duplicate_host || (r.version_minor >= 1 && !s.host_seen))
            return s.early_error = 400, -1;
        return 0;
    }
    static int on_body(http_parser* p, const char*, size_t n) {
        Impl& s = of(p);
        s.body_bytes += n;
        if (s.body_bytes > kMaxBodyBytes) return s.early_error = 413, -1;
        return 0;
    }
    static int on_message_complete(http_parser* p) {
        of(p).complete = true;
        http_parser_pause(p, 1);  // one request per feed(): the rest is the next one's
        return 0;
    }

    // 501 if the prefix starts with a method token, 400 if it cannot, 0 if
    // more bytes are needed to tell.
    int judge_method() const {
        size_t i = 0;
        while (i < prefix.size() && (prefix[i] == '\r' || prefix[i] == '\n')) ++i;
        size_t start = i;
        while (i < prefix.size() && is_tchar(prefix[i])) ++i;
        size_t len = i - start;
        if (len > kMaxMethodToken) return 400;
        if (i == prefix.size()) return 0;  // the token may go on
        return (prefix[i] == ' ' && len > 0) ? 501 : 400;
    }
};

RequestParser::RequestParser() : impl_(std::make_unique<Impl>()) {
    http_parser_settings_init(&impl_->settings);
    impl_->settings.on_url = &Impl::on_url;
    impl_->settings.on_header_field = &Impl::on_header_field;
    impl_->settings.on_header_value = &Impl::on_header_value;
    impl_->settings.on_headers_complete = &Impl::on_headers_complete;
    impl_->settings.on_body = &Impl::on_body;
    impl_->settings.on_message_complete = &Impl::on_message_complete;
    impl_->owner = this;
    impl_->init();
}

RequestParser::~RequestParser() = default;

RequestParser::RequestParser(RequestParser&& o) noexcept
    : impl_(std::move(o.impl_)), request_(std::move(o.request_)), started_(o.started_) {
    impl_->owner = this;
}

RequestParser& RequestParser::operator=(RequestParser&& o) noexcept {
    impl_ = std::move(o.impl_);
    request_ = std::move(o.request_);
    started_ = o.started_;
    impl_->owner = this;
    return *this;
}

void RequestParser::reset() {
    impl_->init();
    request_ = Request{};
    started_ = false;
}

RequestParser::Outcome RequestParser::feed(std::string_view bytes) {
    Impl& s = *impl_;
    if (bytes.empty()) return {Status::NeedMore, 0};
    started_ = true;
    if (s.complete) return {Status::Error, 0, 400};  // reset() was not called
    if (s.prefix.size() <= kMaxMethodToken + 2)
        s.prefix.append(bytes.substr(0, kMaxMethodToken + 3 - s.prefix.size()));
    if (s.probing_method) {
        int status = s.judge_method();
        if (status == 0) return {Status::NeedMore, bytes.size()};
        return {Status::Error, 0, status};
    }
    // Feed the head in slices that never pass the limit, so that 431 does
    // not depend on how the bytes were split. A request line that alone
    // reaches the limit is a URI too long (414), not a header block.
    size_t done = 0;
    while (done < bytes.size()) {
        std::string_view slice = bytes.substr(done);
        if (!s.headers_done) {
            size_t budget = kMaxHeadBytes - s.head_bytes;
            if (budget == 0) return {Status::Error, done, s.in_headers ? 431 : 414};
            if (slice.size() > budget) slice = slice.substr(0, budget);
        }
        const bool head_before = s.headers_done;
        size_t n = http_parser_execute(&s.parser, &s.settings, slice.data(), slice.size());
        if (!head_before) s.head_bytes += n;  // body bytes in the same slice count too: harmless
        done += n;
        auto err = HTTP_PARSER_ERRNO(&s.parser);
        if (s.complete) return {Status::Complete, done};
        if (err == HPE_PAUSED) return {Status::Complete, done};
        if (err != HPE_OK) {
            if (s.early_error) return {Status::Error, done, s.early_error};
            if (err == HPE_INVALID_METHOD) {
                s.probing_method = true;
                int status = s.judge_method();
                if (status == 0) return {Status::NeedMore, bytes.size()};
                return {Status::Error, done, status};
            }
            if (err == HPE_HEADER_OVERFLOW) return {Status::Error, done, s.in_headers ? 431 : 414};
            return {Status::Error, done, 400};
        }
        if (n < slice.size()) return {Status::Error, done, 400};  // should not happen
        if (!s.headers_done && s.head_bytes >= kMaxHeadBytes && done < bytes.size())
            return {Status::Error, done, s.in_headers ? 431 : 414};
    }
    return {Status::NeedMore, done};
}

// --------------------------------------------------------------- responses

struct ResponseParser::Impl {
    http_parser parser;
    http_parser_settings settings;
    ResponseParser* owner = nullptr;
    bool head_request = false, complete = false;
    std::string field, value;
    bool in_value = false;

    void init(bool head) {
        http_parser_init(&parser, HTTP_RESPONSE);
        parser.data = this;
        head_request = head;
        complete = false;
        field.clear();
        value.clear();
        in_value = false;
    }
    static Impl& of(http_parser* p) { return *static_cast<Impl*>(p->data); }

    void commit_header() {
        Response& r = owner->response_;
        if (iequals(field, "content-type"))
            r.content_type = value;
        else if (iequals(field, "set-cookie"))
            r.set_cookie = value;
        else if (iequals(field, "connection"))
            r.connection = value;
        else if (iequals(field, "content-length"))
            r.content_length = std::strtoll(value.c_str(), nullptr, 10);
        else if (iequals(field, "etag"))
            r.etag = value;
        else if (iequals(field, "last-modified"))
            r.last_modified = value;
        else if (iequals(field, "accept-ranges"))
            r.accept_ranges = value;
        else if (iequals(field, "content-range"))
            r.content_range = value;
        else if (iequals(field, "location"))
            r.location = value;
        field.clear();
        value.clear();
        in_value = false;
    }
    static int on_header_field(http_parser* p, const char* at, size_t n) {
        Impl& s = of(p);
        if (s.in_value) s.commit_header();
        s.field.append(at, n);
        return 0;
    }
    static int on_header_value(http_parser* p, const char* at, size_t n) {
        Impl& s = of(p);
        s.in_value = true;
        s.value.append(at, n);
        return 0;
    }
    static int on_headers_complete(http_parser* p) {
        Impl& s = of(p);
        if (s.in_value || !s.field.empty()) s.commit_header();
        s.owner->response_.status = int(p->status_code);
        s.owner->response_.keep_alive = http_should_keep_alive(p) != 0;
        return s.head_request ? 1 : 0;  // 1: no body follows
    }
    static int on_body(http_parser* p, const char* at, size_t n) {
        ResponseParser& o = *of(p).owner;
        o.body_bytes_ += n;
        if (!o.discard_body_) o.response_.body.append(at, n);
        return 0;
    }
    static int on_message_complete(http_parser* p) {
        Impl& s = of(p);
        s.complete = true;
        s.owner->response_.keep_alive = http_should_keep_alive(p) != 0;
        http_parser_pause(p, 1);
        return 0;
    }
};

ResponseParser::ResponseParser(bool head_request) : impl_(std::make_unique<Impl>()) {
    http_parser_settings_init(&impl_->settings);
    impl_->settings.on_header_field = &Impl::on_header_field;
    impl_->settings.on_header_value = &Impl::on_header_value;
    impl_->settings.on_headers_complete = &Impl::on_headers_complete;
    impl_->settings.on_body = &Impl::on_body;
    impl_->settings.on_message_complete = &Impl::on_message_complete;
    impl_->owner = this;
    impl_->init(head_request);
}

ResponseParser::~ResponseParser() = default;

ResponseParser::ResponseParser(ResponseParser&& o) noexcept
    : impl_(std::move(o.impl_)),
      response_(std::move(o.response_)),
      discard_body_(o.discard_body_),
      body_bytes_(o.body_bytes_) {
    impl_->owner = this;
}

ResponseParser& ResponseParser::operator=(ResponseParser&& o) noexcept {
    impl_ = std::move(o.impl_);
    response_ = std::move(o.response_);
    discard_body_ = o.discard_body_;
    body_bytes_ = o.body_bytes_;
    impl_->owner = this;
    return *this;
}

void ResponseParser::reset(bool head_request) {
    impl_->init(head_request);
    response_ = Response{};
    body_bytes_ = 0;
}

ResponseParser::Outcome ResponseParser::feed(std::string_view bytes) {
    Impl& s = *impl_;
    if (s.complete) return {Status::Error, 0};
    size_t n = http_parser_execute(&s.parser, &s.settings, bytes.data(), bytes.size());
    auto err = HTTP_PARSER_ERRNO(&s.parser);
    if (s.complete) return {Status::Complete, n};
    if (err != HPE_OK) return {Status::Error, n};
    return {Status::NeedMore, n};
}

ResponseParser::Status ResponseParser::finish() {
    Impl& s = *impl_;
    if (s.complete) return Status::Complete;
    http_parser_execute(&s.parser, &s.settings, nullptr, 0);  // end of file
    return s.complete ? Status::Complete : Status::Error;
}

}  // namespace ptv::servers::http
