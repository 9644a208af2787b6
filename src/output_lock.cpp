#include "d2a/output_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "d2a/error.h"

namespace d2a {
namespace fs = std::filesystem;
namespace {

std::string read_all(int fd) {
  std::string text;
  char buffer[512];
  ssize_t n;
  lseek(fd, 0, SEEK_SET);
  while ((n = read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) text.pop_back();
  return text;
}

std::string host_name() {
  char name[256] = {0};
  return gethostname(name, sizeof name - 1) == 0 ? std::string(name) : std::string("unknown host");
}

}  // namespace

OutputLock::OutputLock(const std::string& output, bool is_folder, const std::string& command) {
  // Beside the output, so that nothing is created in its place before the command has checked
  // its inputs. A file's missing folder is the command's to report (it is not created here).
  std::string base = output;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  path_ = base + ".lock";
  const fs::path parent = fs::path(base).parent_path();
  std::error_code error;
  if (is_folder && !parent.empty()) fs::create_directories(parent, error);
  if (!parent.empty() && !fs::is_directory(parent, error)) {
    path_.clear();  // nothing to lock: the command fails on the missing folder itself
    return;
  }
  // Open, lock, then check that the path still names the file we locked: a holder that was
  // finishing may have unlinked it between our open and our flock.
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      throw runtime_failure(path_ + ": cannot create the lock file (" + std::strerror(errno) + ")");
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int why = errno;
      // The holder writes its note just after locking: give it a moment when we came between.
      std::string holder = read_all(fd);
      for (int wait = 0; holder.empty() && why == EWOULDBLOCK && wait < 20; ++wait) {
        usleep(10000);
        holder = read_all(fd);
      }
      close(fd);
      if (why != EWOULDBLOCK) {
        throw runtime_failure(path_ + ": cannot lock (" + std::strerror(why) + ")");
      }
      throw bad_input(output + " is being written by another d2a (" +
                      (holder.empty() ? std::string("starting up") : holder) +
                      "); wait for it to finish, stop it, or choose another output");
    }
    struct stat opened {}, named {};
    if (fstat(fd, &opened) == 0 && stat(path_.c_str(), &named) == 0 &&
        opened.st_ino == named.st_ino && opened.st_dev == named.st_dev) {
      fd_ = fd;
      break;
    }
    close(fd);  // unlinked under us: lock the new file
  }
  if (fd_ < 0) throw runtime_failure(path_ + ": cannot lock (the file keeps being replaced)");
  const std::string owner =
      "pid " + std::to_string(getpid()) + " on " + host_name() + ": " + command + "\n";
  if (ftruncate(fd_, 0) != 0 || write(fd_, owner.data(), owner.size()) < 0) {
    // The lock holds without the note; the refusal just cannot name us.
  }
}

OutputLock::~OutputLock() {
  if (fd_ < 0) return;
  unlink(path_.c_str());  // while still locked, so nobody locks a file about to vanish
  close(fd_);
}

}  // namespace d2a
