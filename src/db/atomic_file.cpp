#include "atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "d2a/error.h"

namespace d2a {
namespace {

bool is_user_fixable(int err) {
  return err == EACCES || err == EPERM || err == EROFS || err == ENOENT || err == ENOTDIR ||
         err == EISDIR;
}

// What failed and the errno it failed with.
struct WriteFailure {
  const char* step;
  int err;
};

void write_all(int fd, const std::vector<char>& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw WriteFailure{"write", n == 0 ? EIO : errno};
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

void replace_file_atomically(const std::string& path, const std::vector<char>& bytes) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    throw bad_input(path + ": cannot write: folder " + folder.string() + " does not exist");
  }
  if (fs::is_directory(target, ec)) throw bad_input(path + ": cannot write: it is a folder");

  const std::string temp = path + ".tmp-" + std::to_string(::getpid());
  int fd = -1;
  try {
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw WriteFailure{"create", errno};
    write_all(fd, bytes);
    if (::fsync(fd) != 0) throw WriteFailure{"fsync", errno};
    const int closed = ::close(fd);
    fd = -1;
    if (closed != 0) throw WriteFailure{"close", errno};
    if (::rename(temp.c_str(), path.c_str()) != 0) throw WriteFailure{"rename", errno};
  } catch (const WriteFailure& failure) {
    if (fd >= 0) ::close(fd);
    ::unlink(temp.c_str());
    const std::string message = path + ": cannot write (" + failure.step + " of " + temp + ": " +
                                std::strerror(failure.err) + "); the previous file is unchanged";
    throw is_user_fixable(failure.err) ? bad_input(message) : runtime_failure(message);
  }
  // Make the rename itself durable; a failure here cannot be undone and loses nothing.
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace d2a
