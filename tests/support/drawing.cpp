#include "drawing.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>

#include "process.hpp"

namespace ptv::test {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

std::string xml_problem(const std::string& path) {
    const char* xmllint = "/usr/bin/xmllint";
    if (std::ifstream(xmllint).fail())
        return "xmllint is missing: scripts/setup.sh installs libxml2-utils";
    const Completed c = run({xmllint, "--noout", path});
    if (c.status == 0 && c.err.empty()) return "";
    const std::string e = c.err.substr(0, c.err.find('\n'));
    return e.empty() ? "xmllint exited with status " + std::to_string(c.status) : e;
}

namespace {

// Decodes the five named entities and numeric character references
// (ASCII only: the kit's labels are ASCII).
std::string decode(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size();) {
        if (s[i] != '&') {
            out += s[i++];
            continue;
        }
        const size_t semi = s.find(';', i);
        if (semi == std::string::npos) {
            out += s.substr(i);
            break;
        }
        const std::string name = s.substr(i + 1, semi - i - 1);
        if (name == "amp")
            out += '&';
        else if (name == "lt")
            out += '<';
        else if (name == "gt")
            out += '>';
        else if (name == "quot")
            out += '"';
        else if (name == "apos")
            out += '\'';
        else if (!name.empty() && name[0] == '#') {
            const bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
            out += char(std::stoul(name.substr(hex ? 2 : 1), nullptr, hex ? 16 : 10));
        } else {
            out += "&" + name + ";";
        }
        i = semi + 1;
    }
    return out;
}

}  // namespace

std::vector<std::string> svg_texts(const std::string& svg) {
    std::vector<std::string> texts;
    size_t at = 0;
    for (;;) {
        const size_t open = svg.find("<text", at);
        if (open == std::string::npos) break;
        const size_t start = svg.find('>', open);
        const size_t close = svg.find("</text>", start);
        if (start == std::string::npos || close == std::string::npos) break;
        texts.push_back(decode(svg.substr(start + 1, close - start - 1)));
        at = close + 7;
    }
    return texts;
}

bool svg_has_text(const std::vector<std::string>& texts, const std::string& text) {
    return std::find(texts.begin(), texts.end(), text) != texts.end();
}

std::vector<std::string> dot_label_lines(const std::string& dot) {
    std::vector<std::string> lines;
    const std::string key = "label=\"";
    for (size_t at = dot.find(key); at != std::string::npos; at = dot.find(key, at)) {
        std::string line;
        size_t i = at + key.size();
        for (; i < dot.size() && dot[i] != '"'; ++i) {
            if (dot[i] != '\\' || i + 1 == dot.size()) {
                line += dot[i];
                continue;
            }
            const char next = dot[++i];
            if (next == 'n') {
                lines.push_back(line);
                line.clear();
            } else {
                line += next;
            }
        }
        lines.push_back(line);
        at = i;
    }
    return lines;
}

std::optional<PngSize> png_size(const std::string& bytes) {
    static const std::string signature = "\x89PNG\r\n\x1a\n";
    // signature, then the IHDR chunk: length (4), "IHDR", width, height.
    if (bytes.size() < 24 || bytes.compare(0, 8, signature) != 0 ||
        bytes.compare(12, 4, "IHDR") != 0)
        return std::nullopt;
    auto be32 = [&](size_t at) {
        uint32_t v = 0;
        for (size_t i = 0; i < 4; ++i) v = (v << 8) | uint8_t(bytes[at + i]);
        return v;
    };
    return PngSize{be32(16), be32(20)};
}

}  // namespace ptv::test
