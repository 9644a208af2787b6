#pragma once
// One writer per output: a command that writes a long-lived result (a meta-database, a search
// or meta-training folder, a feature extractor) holds an advisory lock (flock) on a file beside
// it for as long as it runs. A second run pointed at the same output is refused at once with
// one line naming the process that holds it, instead of interleaving writes. The kernel drops
// the lock when the holder exits, however it exits (kill -9 included), so no lock goes stale.
#include <string>

namespace d2a {

class OutputLock {
 public:
  // Locks `output` through the file `<output>.lock` beside it (a folder output's parent folders
  // are created; a file output whose folder is missing is not locked: the command reports the
  // missing folder itself). `command` is recorded in the lock file for the message another run
  // gets. Throws d2a::Error (bad input) naming the holder's pid, host and command when another
  // process holds it, (runtime) when the lock file cannot be created.
  OutputLock(const std::string& output, bool is_folder, const std::string& command);
  ~OutputLock();  // unlocks and removes the lock file
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace d2a
