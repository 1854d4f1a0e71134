#include "ptv/common/table.hpp"

#include <algorithm>

namespace ptv {

namespace {
// Display width of UTF-8 text: count code points, not bytes (µs, →).
size_t width(const std::string& s) {
    return size_t(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}
}  // namespace

Table::Table(std::vector<std::string> headers)
    : headers_(std::move(headers)), right_(headers_.size(), false) {}

Table& Table::right_align(std::vector<size_t> columns) {
    for (size_t c : columns)
        if (c < right_.size()) right_[c] = true;
    return *this;
}

Table& Table::row(std::vector<std::string> cells) {
    cells.resize(headers_.size());
    rows_.push_back(std::move(cells));
    return *this;
}

Table& Table::rule() {
    rows_.emplace_back();
    return *this;
}

std::string Table::render() const {
    std::vector<size_t> w(headers_.size());
    for (size_t c = 0; c < headers_.size(); ++c) w[c] = width(headers_[c]);
    for (const auto& r : rows_)
        for (size_t c = 0; c < r.size(); ++c) w[c] = std::max(w[c], width(r[c]));

    std::string out;
    auto line = [&](const std::vector<std::string>& cells) {
        for (size_t c = 0; c < cells.size(); ++c) {
            size_t pad = w[c] - width(cells[c]);
            if (c) out += "  ";
            if (right_[c]) out.append(pad, ' ');
            out += cells[c];
            if (!right_[c] && c + 1 < cells.size()) out.append(pad, ' ');
        }
        while (!out.empty() && out.back() == ' ') out.pop_back();
        out += '\n';
    };
    auto hrule = [&] {
        size_t total = 0;
        for (size_t c = 0; c < w.size(); ++c) total += w[c] + (c ? 2 : 0);
        out.append(total, '-');
        out += '\n';
    };
    line(headers_);
    hrule();
    for (const auto& r : rows_) {
        if (r.empty())
            hrule();
        else
            line(r);
    }
    return out;
}

}  // namespace ptv
