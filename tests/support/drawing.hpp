// Checks of the kit's rendered drawings (--svg, --png), used by every
// module's tests that draw: the files are rendered by the real Graphviz and
// then read back as a viewer would.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ptv::test {

// The whole file, or "" when it cannot be read.
std::string read_file(const std::string& path);

// "" when `path` is well-formed XML (xmllint --noout), else xmllint's
// first complaint.
std::string xml_problem(const std::string& path);

// The content of every <text> element of an SVG document, in document
// order, with character references decoded (Graphviz writes '-' as
// "&#45;"): what a viewer shows as the drawing's words.
std::vector<std::string> svg_texts(const std::string& svg);
// `text` is one of them, exactly.
bool svg_has_text(const std::vector<std::string>& texts, const std::string& text);

// Every line of every quoted label (label="...") of a DOT text, unescaped:
// the words its rendering must show.
std::vector<std::string> dot_label_lines(const std::string& dot);

// A PNG's size from its IHDR chunk, when `bytes` start with the PNG
// signature and an IHDR chunk.
struct PngSize {
    uint32_t width = 0, height = 0;
};
std::optional<PngSize> png_size(const std::string& bytes);

}  // namespace ptv::test
