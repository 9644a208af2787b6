#pragma once
// Progress of long work on stderr, unless the caller asks for quiet (a rank other than 0).
// Shows done/total, rate and ETA: on a terminal as a bar redrawn in place; in a log file, a pipe
// or a scheduler's output (Slurm, Kubernetes) as a plain line a minute, so a job that runs for
// hours says how far it is without filling its log.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace d2a {

// Where and how often a Progress writes. A terminal gets the bar at most every 100 ms; anything
// else a line every `log_every`, and a last line at the end only if it wrote one before (a run
// shorter than `log_every` leaves its log as it was).
struct ProgressSink {
  std::FILE* stream = stderr;
  bool terminal = false;
  std::chrono::milliseconds log_every{std::chrono::minutes(1)};
  static ProgressSink standard_error();  // stderr, a terminal when isatty() says so
};

class Progress {
 public:
  // total: units of work expected (0 if unknown); unit: what one unit is ("records", "images").
  Progress(std::string label, std::int64_t total, std::string unit, bool quiet,
           ProgressSink sink = ProgressSink::standard_error());
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void advance(std::int64_t units = 1, const std::string& note = "");
  void set(std::int64_t done, const std::string& note = "");
  void finish();  // draws the final state (see ProgressSink) and ends the line (idempotent)
  void set_total(std::int64_t total) { total_ = total; }  // once it is known (0: unknown)
  bool enabled() const { return enabled_; }
  // Whether the next set() or advance() will draw (enabled, and its interval has passed since
  // the last draw): a note that costs something to compute (a GPU loss read back) is worth it
  // only then.
  bool due() const;
  std::int64_t done() const { return done_; }

 private:
  void draw(bool force);
  std::chrono::milliseconds interval() const;

  std::string label_;
  std::int64_t total_;
  std::string unit_;
  ProgressSink sink_;
  bool enabled_;
  bool finished_ = false;
  bool logged_ = false;  // a plain line was written (not on a terminal)
  std::int64_t done_ = 0;
  std::string note_;
  bool note_fresh_ = false;  // set() gave a note since the last log line
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace d2a
