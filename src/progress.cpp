#include "d2a/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

namespace d2a {

namespace {
constexpr std::chrono::milliseconds kTerminalInterval(100);

std::string clock_time(double seconds) {
  const long secs = static_cast<long>(seconds);
  char text[32];
  std::snprintf(text, sizeof text, "%02ld:%02ld:%02ld", secs / 3600, secs / 60 % 60, secs % 60);
  return text;
}
}  // namespace

ProgressSink ProgressSink::standard_error() {
  ProgressSink sink;
  sink.stream = stderr;
  sink.terminal = isatty(STDERR_FILENO) == 1;
  return sink;
}

Progress::Progress(std::string label, std::int64_t total, std::string unit, bool quiet,
                   ProgressSink sink)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      sink_(sink),
      enabled_(!quiet && sink.stream != nullptr),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() { finish(); }

void Progress::advance(std::int64_t units, const std::string& note) { set(done_ + units, note); }

void Progress::set(std::int64_t done, const std::string& note) {
  done_ = done;
  if (!note.empty()) {
    note_ = note;
    note_fresh_ = true;
  }
  draw(false);
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (!enabled_) return;
  if (sink_.terminal) {
    draw(true);
    std::fputc('\n', sink_.stream);
    std::fflush(sink_.stream);
  } else if (logged_) {
    draw(true);
  }
}

std::chrono::milliseconds Progress::interval() const {
  return sink_.terminal ? kTerminalInterval : sink_.log_every;
}

bool Progress::due() const {
  return enabled_ && !finished_ && std::chrono::steady_clock::now() - last_draw_ >= interval();
}

void Progress::draw(bool force) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < interval()) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? done_ / elapsed : 0.0;
  std::string eta = "--:--";
  if (total_ > 0 && rate > 0 && done_ <= total_) eta = clock_time((total_ - done_) / rate);
  const std::string of_total = total_ > 0 ? "/" + std::to_string(total_) : "";
  if (sink_.terminal) {
    constexpr int kWidth = 30;
    std::string bar;
    if (total_ > 0) {
      const int filled = static_cast<int>(kWidth * std::min<double>(1.0, double(done_) / total_));
      bar = "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] ";
    }
    std::fprintf(sink_.stream, "\r\033[K%s %s%lld%s %s  %.1f %s/s  ETA %s  %s", label_.c_str(),
                 bar.c_str(), static_cast<long long>(done_), of_total.c_str(), unit_.c_str(), rate,
                 unit_.c_str(), eta.c_str(), note_.c_str());
  } else {
    // A log line stands alone: no bar or escape codes, the share done and the time so far, and
    // a note only if one came since the last line (one from minutes ago, "epoch 87/120" beside
    // 960/960 steps, would misstate where the work is).
    const std::string note = note_fresh_ ? note_ : std::string();
    std::string share;
    if (total_ > 0) {
      const int percent = static_cast<int>(100.0 * std::min<double>(1.0, double(done_) / total_));
      share = " (" + std::to_string(percent) + " %)";
    }
    std::fprintf(sink_.stream, "%s %lld%s %s%s  %.3g %s/s  elapsed %s  ETA %s%s%s\n",
                 label_.c_str(), static_cast<long long>(done_), of_total.c_str(), unit_.c_str(),
                 share.c_str(), rate, unit_.c_str(), clock_time(elapsed).c_str(), eta.c_str(),
                 note.empty() ? "" : "  ", note.c_str());
    logged_ = true;
    note_fresh_ = false;
  }
  std::fflush(sink_.stream);
}

}  // namespace d2a
