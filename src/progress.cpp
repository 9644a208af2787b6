#include "d2a/progress.h"

#include <unistd.h>

#include <cstdio>
#include <string>

namespace d2a {

Progress::Progress(std::string label, std::int64_t total, std::string unit, bool quiet)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      enabled_(!quiet && isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() { finish(); }

void Progress::advance(std::int64_t units, const std::string& note) { set(done_ + units, note); }

void Progress::set(std::int64_t done, const std::string& note) {
  done_ = done;
  if (!note.empty()) note_ = note;
  draw(false);
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (!enabled_) return;
  draw(true);
  std::fputc('\n', stderr);
}

namespace {
constexpr std::chrono::milliseconds kDrawInterval(100);
}

bool Progress::due() const {
  return enabled_ && !finished_ && std::chrono::steady_clock::now() - last_draw_ >= kDrawInterval;
}

void Progress::draw(bool force) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < kDrawInterval) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? done_ / elapsed : 0.0;
  char eta[32] = "--:--";
  if (total_ > 0 && rate > 0 && done_ <= total_) {
    const long secs = static_cast<long>((total_ - done_) / rate);
    std::snprintf(eta, sizeof eta, "%02ld:%02ld:%02ld", secs / 3600, secs / 60 % 60, secs % 60);
  }
  constexpr int kWidth = 30;
  std::string bar;
  if (total_ > 0) {
    const int filled = static_cast<int>(kWidth * std::min<double>(1.0, double(done_) / total_));
    bar = "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] ";
  }
  const std::string of_total = total_ > 0 ? "/" + std::to_string(total_) : "";
  std::fprintf(stderr, "\r\033[K%s %s%lld%s %s  %.1f %s/s  ETA %s  %s", label_.c_str(), bar.c_str(),
               static_cast<long long>(done_), of_total.c_str(), unit_.c_str(), rate, unit_.c_str(),
               eta, note_.c_str());
  std::fflush(stderr);
}

}  // namespace d2a
