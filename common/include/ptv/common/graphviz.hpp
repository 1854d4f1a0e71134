// The kit's drawings: every command that can draw writes Graphviz's DOT
// language with --dot FILE, and renders it with --svg FILE and --png FILE
// (any combination, each written). Rendering is Graphviz's `dot` program,
// run directly (no shell) with the DOT text on its standard input and the
// image read from its standard output, so no temporary file is involved.
//
// A command makes a Drawing from its options before it does any work (a
// path it cannot write, or a missing `dot`, is one usage line and exit 2
// with nothing else printed), then hands it the DOT text at the end.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ptv/common/format.hpp"

namespace CLI {
class App;
}

namespace ptv::graphviz {

enum class Format { Svg, Png };

// The option that asks for a format: "--svg", "--png".
std::string_view flag(Format f);

// What turns DOT text into an image. DotProgram is the kit's; a test (or
// a build linking libgvc) plugs in another.
class Renderer {
  public:
    virtual ~Renderer() = default;
    // Called before any work: throws ptv::UsageError when this renderer
    // cannot produce `f` at all (`path` is the file asked for, for the message).
    virtual void check(Format f, const std::string& path) const = 0;
    // The image's bytes; throws ptv::UsageError when rendering fails.
    virtual std::string render(const std::string& dot, Format f, const std::string& path) const = 0;
};

// Graphviz's `dot`, found on PATH. Missing: "--svg FILE needs Graphviz's
// dot; install it with scripts/setup.sh". Failing: the first line dot
// wrote on its standard error.
class DotProgram : public Renderer {
  public:
    void check(Format f, const std::string& path) const override;
    std::string render(const std::string& dot, Format f, const std::string& path) const override;
    // The executable `dot` on PATH, or "" when there is none.
    static std::string locate();
};

// The files a command was asked to draw into ("" = not asked).
struct Paths {
    std::string dot, svg, png;
    bool any() const { return !dot.empty() || !svg.empty() || !png.empty(); }
};

// Adds --dot FILE, --svg FILE and --png FILE to `cmd`; `what` says what
// the drawing shows ("the thread -> LWP -> CPU mapping").
void add_options(CLI::App& cmd, Paths& paths, const std::string& what);

class Drawing {
  public:
    // Opens every file asked for and checks the renderer can run: throws
    // ptv::UsageError naming the option and the file.
    explicit Drawing(const Paths& paths,
                     std::shared_ptr<const Renderer> renderer = std::make_shared<DotProgram>());
    Drawing(Drawing&&) noexcept = default;
    ~Drawing();

    bool wanted() const { return !files_.empty(); }
    // Writes the DOT text to --dot and its renderings to --svg and --png.
    // A file whose rendering or write fails is removed, and the failure is
    // thrown as ptv::UsageError.
    void write(const std::string& dot);

  private:
    void discard();
    struct File {
        std::string option, path;
        std::FILE* stream = nullptr;
        bool render = false;
        Format format = Format::Svg;
    };
    std::vector<File> files_;
    std::shared_ptr<const Renderer> renderer_;
};

// Escapes text for a double-quoted DOT string ("..."): quotes and
// backslashes; a newline becomes DOT's centred line break.
std::string escape_string(std::string_view text);
// Text for a Graphviz HTML-like label (<...>): & < > and quotes escaped.
using ptv::escape_html;

}  // namespace ptv::graphviz
