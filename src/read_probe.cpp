#include "d2a/read_probe.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>
#include <thread>

#include "d2a/error.h"

namespace d2a {

namespace {

constexpr int kOutOfMemoryExit = 3;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kUnderSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kUnderSanitizer = true;
#else
constexpr bool kUnderSanitizer = false;
#endif
#else
constexpr bool kUnderSanitizer = false;
#endif

int threads_in_process() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "Threads:") {
      int n = 0;
      status >> n;
      return n;
    }
  }
  return 1;
}

}  // namespace

void read_first_in_child(const std::string& path, const std::string& what, const std::string& library,
                         const std::function<void()>& read, std::size_t memory_limit_bytes) {
  if (std::getenv("D2A_NO_PROBE") != nullptr) return;
  // Under AddressSanitizer, a forked child of a process running other threads (c10d's Gloo and
  // store threads in a data-parallel job) was seen to hang in the sanitizer's runtime: there
  // the file is read in-process only.
  if (kUnderSanitizer && threads_in_process() > 1) return;
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return;  // no child to spare: the caller reads in-process as before
  if (pid == 0) {
    if (memory_limit_bytes > 0 && !kUnderSanitizer) {
      rlimit limit{};
      getrlimit(RLIMIT_DATA, &limit);
      if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > memory_limit_bytes) {
        limit.rlim_cur = memory_limit_bytes;
        setrlimit(RLIMIT_DATA, &limit);
      }
    }
    try {
      read();
    } catch (const std::bad_alloc&) {
      _exit(kOutOfMemoryExit);
    } catch (...) {
      // A clean refusal: the caller's own read repeats it with its message.
    }
    _exit(0);
  }
  std::error_code error;
  const auto bytes = std::filesystem::file_size(path, error);
  long allowed_s = 30 + (error ? 0L : static_cast<long>(bytes / 10'000'000));
  if (const char* override_s = std::getenv("D2A_PROBE_SECONDS")) allowed_s = std::max(1L, std::atol(override_s));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(allowed_s);
  int status = 0;
  while (true) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid || (done < 0 && errno != EINTR)) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      throw bad_input(path + ": corrupt " + what + " (the " + library + " did not finish reading it in " +
                      std::to_string(allowed_s) + " s)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == kOutOfMemoryExit && memory_limit_bytes > 0) {
    throw bad_input(path + ": corrupt " + what + " (the " + library + " asked for more than " +
                    std::to_string(memory_limit_bytes >> 20) + " MB to read it)");
  }
  // The child exits 0 unless the read killed it (a signal, or a sanitizer's report and exit).
  if (WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0)) {
    throw bad_input(path + ": corrupt " + what + " (the " + library + " crashed reading it: " +
                    (WIFSIGNALED(status) ? std::string(strsignal(WTERMSIG(status)))
                                         : "exit " + std::to_string(WEXITSTATUS(status))) +
                    ")");
  }
}

}  // namespace d2a
