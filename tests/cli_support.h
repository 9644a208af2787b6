#pragma once
// Running the real `d2a` binary from a test: arguments in, exit status and both streams out.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "d2a/words.h"
#include "test_support.h"

namespace d2a::test {

struct CommandResult {
  int status = -1;   // the exit status, or -1 when the process did not exit normally
  std::string out;   // everything written to stdout
  std::string err;   // everything written to stderr
};

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Runs D2A_EXECUTABLE with `args`; the streams go through files in scratch_dir(name), which is
// emptied first (so give each concurrent call its own name).
inline CommandResult run_d2a(const std::vector<std::string>& args,
                             const std::string& name = "run_d2a") {
  const auto dir = scratch_dir(name);
  std::string command = shell_word(D2A_EXECUTABLE);
  for (const auto& arg : args) command += " " + shell_word(arg);
  command += " >" + shell_word((dir / "stdout").string()) + " 2>" +
             shell_word((dir / "stderr").string()) + " </dev/null";
  const int raw = std::system(command.c_str());
  CommandResult result;
  result.status = raw != -1 && WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  result.out = read_text(dir / "stdout");
  result.err = read_text(dir / "stderr");
  return result;
}

// Starts D2A_EXECUTABLE with `args` in the background (stdout to /dev/null, stderr to
// `stderr_path`, or inherited when empty) and returns its pid, for tests that signal it.
inline pid_t spawn_d2a(const std::vector<std::string>& args, const std::string& stderr_path = "") {
  std::vector<std::string> argv_s = {D2A_EXECUTABLE};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    if (!std::freopen("/dev/null", "w", stdout)) _exit(126);
    if (!stderr_path.empty() && !std::freopen(stderr_path.c_str(), "w", stderr)) _exit(126);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

// Data-parallel runs: one d2a per rank, as torchrun would start them.

// A port of its own per test process, away from torchrun's default 29500.
inline int free_port(int offset) { return 20000 + (static_cast<int>(getpid()) * 7 + offset) % 9000; }

struct RankResult {
  int status = -1;
  std::string out, err;
  double seconds = 0;
};

// Starts one d2a per entry of `prefixes` (a shell prefix per rank: env variables, `timeout`)
// with the same `args`, concurrently, and waits for all of them.
inline std::vector<RankResult> run_ranks(const std::vector<std::string>& prefixes,
                                  const std::vector<std::string>& args, const std::string& name) {
  const auto dir = scratch_dir(name);
  std::string command;
  for (std::size_t r = 0; r < prefixes.size(); ++r) {
    const std::string base = (dir / ("rank" + std::to_string(r))).string();
    std::string d2a = prefixes[r] + " " + shell_word(D2A_EXECUTABLE);
    for (const auto& a : args) d2a += " " + shell_word(a);
    command += "( s=$(date +%s%N); " + d2a + " >" + shell_word(base + ".out") + " 2>" +
               shell_word(base + ".err") + " </dev/null; st=$?; e=$(date +%s%N); " +
               "echo \"$st $(( (e - s) / 1000000 ))\" >" + shell_word(base + ".status") + " ) & ";
  }
  command += "wait";
  std::system(("sh -c " + shell_word(command)).c_str());
  std::vector<RankResult> results(prefixes.size());
  for (std::size_t r = 0; r < prefixes.size(); ++r) {
    const std::string base = (dir / ("rank" + std::to_string(r))).string();
    std::istringstream status(read_text(base + ".status"));
    double milliseconds = 0;
    status >> results[r].status >> milliseconds;
    results[r].seconds = milliseconds / 1000;
    results[r].out = read_text(base + ".out");
    results[r].err = read_text(base + ".err");
  }
  return results;
}

inline std::string torchrun_env(int rank, int world, int port) {
  return "env RANK=" + std::to_string(rank) + " LOCAL_RANK=" + std::to_string(rank) +
         " WORLD_SIZE=" + std::to_string(world) + " MASTER_ADDR=127.0.0.1 MASTER_PORT=" +
         std::to_string(port);
}

// Number of lines in `text` (a last line without '\n' counts).
inline int count_lines(const std::string& text) {
  int lines = 0;
  for (char ch : text) lines += ch == '\n';
  return lines + (!text.empty() && text.back() != '\n');
}

}  // namespace d2a::test
