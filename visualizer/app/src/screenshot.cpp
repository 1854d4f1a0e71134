// The window: GLFW + OpenGL 3 + Dear ImGui, and the PNG screenshot
// (glReadPixels of the back buffer, written with stb_image_write).
#define GL_GLEXT_PROTOTYPES
#include <GLFW/glfw3.h>
#include <fmt/format.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>
#include <stb_image_write.h>

#include <vector>

#include "ptv/common/error.hpp"
#include "ptv/viz/app.hpp"

namespace ptv::viz {

Window::Window(int w, int h, bool visible, const std::string& title) : width(w), height(h) {
    glfwSetErrorCallback([](int, const char*) {});
    if (!glfwInit())
        throw UsageError(
            "cannot open a window: no display (set DISPLAY, or run under xvfb-run for "
            "--screenshot)");
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_VISIBLE, visible ? GLFW_TRUE : GLFW_FALSE);
    glfwWindowHint(GLFW_RESIZABLE, visible ? GLFW_TRUE : GLFW_FALSE);
    handle = glfwCreateWindow(w, h, title.c_str(), nullptr, nullptr);
    if (!handle) {
        glfwTerminate();
        throw UsageError("cannot create an OpenGL 3.3 window (is Mesa installed? libgl1-mesa-dri)");
    }
    glfwMakeContextCurrent(handle);
    glfwSwapInterval(visible ? 1 : 0);
    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;  // nothing left behind in the working directory
    ImGui::StyleColorsDark();
    ImGui::GetStyle().WindowRounding = 0;
    ImGui_ImplGlfw_InitForOpenGL(handle, true);
    ImGui_ImplOpenGL3_Init("#version 330");
}

Window::~Window() {
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
    glfwDestroyWindow(handle);
    glfwTerminate();
}

bool Window::should_close() const {
    return glfwWindowShouldClose(handle);
}

void Window::frame(App& app, bool present) {
    glfwPollEvents();
    app.poll_live();
    glfwGetFramebufferSize(handle, &width, &height);
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
    app.draw(float(width), float(height));
    ImGui::Render();
    glViewport(0, 0, width, height);
    glClearColor(15 / 255.0f, 15 / 255.0f, 15 / 255.0f, 1.0f);  // ImGui's dark window colour
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    if (present) glfwSwapBuffers(handle);
}

void Window::screenshot(const std::string& path) {
    std::vector<unsigned char> pixels(size_t(width) * size_t(height) * 3);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadBuffer(GL_BACK);
    glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE, pixels.data());
    // OpenGL's rows run bottom-up; PNG's top-down.
    stbi_flip_vertically_on_write(1);
    if (!stbi_write_png(path.c_str(), width, height, 3, pixels.data(), width * 3))
        throw UsageError(fmt::format("cannot write screenshot '{}'; check the path", path));
}

}  // namespace ptv::viz
