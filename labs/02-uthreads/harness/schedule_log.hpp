// What the cases check a schedule with: each thread appends a word when it
// reaches a point of its code, and the words, in order, are the schedule.
// A package that switches at the wrong moment, or picks the wrong thread,
// shows up as a different sentence.
#pragma once

#include <string>

namespace uthread::lab {

class ScheduleLog {
  public:
    void add(const std::string& word) {
        if (!text_.empty()) text_ += ' ';
        text_ += word;
    }
    const std::string& text() const { return text_; }

  private:
    std::string text_;
};

}  // namespace uthread::lab
