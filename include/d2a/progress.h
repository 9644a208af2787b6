#pragma once
// A progress bar for long work: drawn on stderr only when stderr is a terminal and the caller
// has not asked for quiet (--json). Shows done/total, rate and ETA.
#include <chrono>
#include <cstdint>
#include <string>

namespace d2a {

class Progress {
 public:
  // total: units of work expected (0 if unknown); unit: what one unit is ("records", "images").
  Progress(std::string label, std::int64_t total, std::string unit, bool quiet);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void advance(std::int64_t units = 1, const std::string& note = "");
  void set(std::int64_t done, const std::string& note = "");
  void finish();  // draws the final state and a newline (idempotent)
  void set_total(std::int64_t total) { total_ = total; }  // once it is known (0: unknown)
  bool enabled() const { return enabled_; }
  // Whether the next set() or advance() will draw (enabled, and the last draw 100 ms or more
  // ago): a note that costs something to compute (a GPU loss read back) is worth it only then.
  bool due() const;
  std::int64_t done() const { return done_; }

 private:
  void draw(bool force);

  std::string label_;
  std::int64_t total_;
  std::string unit_;
  bool enabled_;
  bool finished_ = false;
  std::int64_t done_ = 0;
  std::string note_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace d2a
