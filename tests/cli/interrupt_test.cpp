// Ctrl-C / SIGTERM on the commands that write long results: the record or step in flight is
// finished and saved, one line says how to resume, the exit status is 130, and the resumed run
// ends exactly where an uninterrupted one does.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <tuple>

#include "cli_support.h"
#include "d2a/data/digits.h"
#include "d2a/db/meta_database.h"
#include "d2a/error.h"

namespace d2a {
namespace {

using test::run_d2a;

struct Stopped {
  int status = -1;  // exit status
  std::string err;
};

// Runs d2a with `args` (stderr to a file), waits until `ready()` or 60 s, sends SIGTERM and
// waits for the exit.
Stopped run_and_terminate(const std::vector<std::string>& args, const std::function<bool()>& ready,
                          const std::string& name) {
  const auto dir = test::scratch_dir(name);
  const std::string err_path = (dir / "stderr").string();
  const pid_t pid = test::spawn_d2a(args, err_path);
  for (int i = 0; i < 1200 && !ready(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  kill(pid, SIGTERM);
  int raw = 0;
  waitpid(pid, &raw, 0);
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, test::read_text(err_path)};
}

using Record = std::tuple<std::string, std::string, float, std::int32_t>;
std::set<Record> records(const std::string& path) {
  const MetaDatabase db = MetaDatabase::load(path);
  std::set<Record> out;
  for (const DbRecord& r : db.records()) {
    out.insert({db.tasks()[r.task].id, db.archs()[r.arch].cell.str(), r.accuracy, r.seed});
  }
  return out;
}

TEST(Interrupt, DbBuildSavesTheRecordInFlightAndResumes) {
  if (!std::filesystem::exists(kSklearnDigitsPath)) GTEST_SKIP() << "python3-sklearn missing";
  const auto dir = test::scratch_dir("interrupt_db");
  auto args = [&](const std::string& file) {
    return std::vector<std::string>{"db", "build", "--data", "digits", "--out", (dir / file).string(),
                                    "--tasks", "4", "--archs-per-task", "3", "--budget", "cpu-fast",
                                    "--epochs", "3", "--threads", "1", "--seed", "2", "--json"};
  };
  const std::string out = (dir / "stopped.h5").string();
  const Stopped stopped = run_and_terminate(args("stopped.h5"), [&] {
    try {
      return !MetaDatabase::load(out).records().empty();
    } catch (const Error&) {
      return false;  // not written yet
    }
  }, "interrupt_db_run");
  EXPECT_EQ(stopped.status, 130) << stopped.err;
  EXPECT_NE(stopped.err.find("stopped by SIGTERM"), std::string::npos) << stopped.err;
  EXPECT_NE(stopped.err.find("--resume"), std::string::npos) << stopped.err;
  EXPECT_EQ(test::count_lines(stopped.err), 1) << stopped.err;
  const std::size_t at_stop = MetaDatabase::load(out).records().size();
  EXPECT_GT(at_stop, 0u);
  EXPECT_LT(at_stop, 12u) << "the build finished before the signal";

  auto resume = args("stopped.h5");
  resume.push_back("--resume");
  ASSERT_EQ(run_d2a(resume, "interrupt_db_resume").status, 0);
  ASSERT_EQ(run_d2a(args("straight.h5"), "interrupt_db_straight").status, 0);
  EXPECT_EQ(records(out), records((dir / "straight.h5").string()));
}

TEST(Interrupt, SearchSavesTheStepInFlightAndResumesToTheSameResult) {
  if (!std::filesystem::exists(kSklearnDigitsPath)) GTEST_SKIP() << "python3-sklearn missing";
  const auto dir = test::scratch_dir("interrupt_search");
  // 12 steps an epoch, 8 epochs: the signal lands inside the run, usually inside an epoch.
  auto args = [&](const std::string& out) {
    return std::vector<std::string>{"search", "--method", "darts", "--data", "digits",
                                    "--per-class", "40", "--channels", "8", "--cells", "1",
                                    "--image-size", "16", "--batch", "16", "--epochs", "8",
                                    "--out", (dir / out).string(), "--threads", "1", "--seed", "3",
                                    "--no-plot", "--json"};
  };
  const auto csv = dir / "stopped" / "alphas.csv";
  const Stopped stopped = run_and_terminate(args("stopped"), [&] {
    return std::filesystem::exists(csv) && test::count_lines(test::read_text(csv)) > 1;
  }, "interrupt_search_run");
  EXPECT_EQ(stopped.status, 130) << stopped.err;
  EXPECT_NE(stopped.err.find("search stopped by SIGTERM after step"), std::string::npos) << stopped.err;
  EXPECT_NE(stopped.err.find("--resume"), std::string::npos) << stopped.err;
  EXPECT_EQ(test::count_lines(stopped.err), 1) << stopped.err;
  std::cout << "[ info ] " << stopped.err;

  auto resume = args("stopped");
  resume.push_back("--resume");
  const auto resumed = run_d2a(resume, "interrupt_search_resume");
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  const auto straight = run_d2a(args("straight"), "interrupt_search_straight");
  ASSERT_EQ(straight.status, 0) << straight.err;
  EXPECT_EQ(nlohmann::json::parse(resumed.out)["genotype"],
            nlohmann::json::parse(straight.out)["genotype"]);
  // Every epoch's op weights, to the printed digit.
  EXPECT_EQ(test::read_text(csv), test::read_text(dir / "straight" / "alphas.csv"));
}

}  // namespace
}  // namespace d2a
