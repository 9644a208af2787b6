// `d2a db build` and `d2a db merge` as real processes on real data (Debian's 8x8 digits):
// sharding, merging, resuming after a kill, and the refusals.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <tuple>

#include "cli_support.h"
#include "data/data_test_support.h"
#include "d2a/data/digits.h"
#include "d2a/db/meta_database.h"
#include "d2a/error.h"

namespace d2a {
namespace {

using test::run_d2a;

bool have_digits() { return std::filesystem::exists(kSklearnDigitsPath); }
#define REQUIRE_DIGITS() \
  if (!have_digits()) GTEST_SKIP() << "not installed: " << kSklearnDigitsPath << " (python3-sklearn)"

// A small build: 3 tasks x 2 drawn cells + 1 fixed cell, 1 epoch, one thread (determinism).
std::vector<std::string> build_args(const std::filesystem::path& out, const std::string& shard,
                                    int tasks = 3) {
  return {"db", "build", "--data", "digits", "--out", out.string(), "--tasks",
          std::to_string(tasks), "--archs-per-task", "2", "--arch",
          "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|none~0|none~1|nor_conv_1x1~2|",
          "--min-classes", "3", "--max-classes", "5", "--budget", "cpu-fast", "--epochs", "1",
          "--no-flip", "--shard", shard, "--seed", "11", "--threads", "1", "--json"};
}

// Records as comparable values, independent of the order tasks and archs were stored in.
using RecordKey = std::tuple<std::string, std::string, std::string, std::int32_t, float>;
std::set<RecordKey> record_set(const MetaDatabase& db) {
  std::set<RecordKey> out;
  for (const DbRecord& r : db.records()) {
    out.emplace(db.tasks()[r.task].id, db.archs()[r.arch].cell.str(),
                db.find_budget_by_id(r.budget)->name, r.seed, r.accuracy);
  }
  return out;
}
std::map<std::string, DbTask> task_map(const MetaDatabase& db) {
  std::map<std::string, DbTask> out;
  for (const DbTask& t : db.tasks()) out.emplace(t.id, t);
  return out;
}

std::string command_line(const std::vector<std::string>& args) {
  std::string line = shell_word(D2A_EXECUTABLE);
  for (const auto& a : args) line += " " + shell_word(a);
  return line;
}

TEST(DbBuild, TwoShardProcessesMergeToTheUnshardedBuild) {
  REQUIRE_DIGITS();
  const auto dir = test::scratch_dir("db_build_shards");
  const auto whole = run_d2a(build_args(dir / "whole.h5", "0/1"), "db_build_whole");
  ASSERT_EQ(whole.status, 0) << whole.err;
  EXPECT_EQ(nlohmann::json::parse(whole.out)["records_added"], 9);

  // Both shards at once, as two processes.
  const std::string both = command_line(build_args(dir / "s0.h5", "0/2")) + " >/dev/null & " +
                           command_line(build_args(dir / "s1.h5", "1/2")) + " >/dev/null & wait";
  ASSERT_EQ(std::system(both.c_str()), 0);
  const auto merged = run_d2a({"db", "merge", "--out", (dir / "merged.h5").string(),
                               (dir / "s0.h5").string(), (dir / "s1.h5").string()},
                              "db_build_merge");
  ASSERT_EQ(merged.status, 0) << merged.err;

  const MetaDatabase a = MetaDatabase::load((dir / "whole.h5").string());
  const MetaDatabase b = MetaDatabase::load((dir / "merged.h5").string());
  EXPECT_EQ(MetaDatabase::load((dir / "s0.h5").string()).tasks().size(), 2u);  // tasks 0, 2
  EXPECT_EQ(MetaDatabase::load((dir / "s1.h5").string()).tasks().size(), 1u);  // task 1
  EXPECT_EQ(record_set(a).size(), 9u);
  EXPECT_EQ(record_set(a), record_set(b));  // same cells, seeds and accuracies
  EXPECT_EQ(task_map(a), task_map(b));      // same classes and images
}

TEST(DbBuild, MergeRefusesOverlappingAndInconsistentInputs) {
  REQUIRE_DIGITS();
  const auto dir = test::scratch_dir("db_build_refuse");
  ASSERT_EQ(run_d2a(build_args(dir / "a.h5", "0/2", 2), "refuse_a").status, 0);
  std::filesystem::copy_file(dir / "a.h5", dir / "a_copy.h5");
  auto overlap = run_d2a({"db", "merge", "--out", (dir / "m1.h5").string(),
                          (dir / "a.h5").string(), (dir / "a_copy.h5").string()},
                         "refuse_overlap");
  EXPECT_EQ(overlap.status, 2);
  EXPECT_NE(overlap.err.find("overlapping"), std::string::npos) << overlap.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "m1.h5"));

  // Same seed and task ids, other settings: task 0 draws other classes.
  auto other = build_args(dir / "b.h5", "0/2", 2);
  other[std::find(other.begin(), other.end(), "--min-classes") - other.begin() + 1] = "5";
  ASSERT_EQ(run_d2a(other, "refuse_b").status, 0);
  auto inconsistent = run_d2a({"db", "merge", "--out", (dir / "m2.h5").string(),
                               (dir / "a.h5").string(), (dir / "b.h5").string()},
                              "refuse_inconsistent");
  EXPECT_EQ(inconsistent.status, 2);
  EXPECT_NE(inconsistent.err.find("differs"), std::string::npos) << inconsistent.err;
  EXPECT_EQ(test::count_lines(inconsistent.err), 1) << inconsistent.err;
}

// Kill a real build once it has written a record, resume it, and compare with a build that
// was never interrupted.
TEST(DbBuild, ResumesAfterBeingKilledAndLosesNothing) {
  REQUIRE_DIGITS();
  const auto dir = test::scratch_dir("db_build_kill");
  const auto out = dir / "killed.h5";
  auto args = build_args(out, "0/1", 4);
  const pid_t pid = test::spawn_d2a(args);
  ASSERT_GE(pid, 0);
  // Wait for at least one record, then kill without warning.
  std::size_t seen = 0;
  for (int i = 0; i < 600 && seen == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    try {
      seen = MetaDatabase::load(out.string()).records().size();
    } catch (const Error&) {
      // not written yet: a reader never sees a half-written file, only none or a whole one
    }
  }
  ASSERT_GT(seen, 0u) << "the build wrote no record in 30 s";
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  const std::size_t at_kill = MetaDatabase::load(out.string()).records().size();  // loads cleanly
  ASSERT_LT(at_kill, 12u) << "the build finished before it could be killed";

  auto resume = args;
  resume.push_back("--resume");
  const auto resumed = run_d2a(resume, "db_build_resume");
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  const auto summary = nlohmann::json::parse(resumed.out);
  EXPECT_EQ(summary["records_skipped"], at_kill);
  EXPECT_EQ(summary["records_total"], 12);

  ASSERT_EQ(run_d2a(build_args(dir / "straight.h5", "0/1", 4), "db_build_straight").status, 0);
  const MetaDatabase killed = MetaDatabase::load(out.string());
  const MetaDatabase straight = MetaDatabase::load((dir / "straight.h5").string());
  EXPECT_EQ(record_set(killed), record_set(straight));
  EXPECT_EQ(task_map(killed), task_map(straight));
}

TEST(DbBuild, TestSplitTakesTheSourcesOwnTestImages) {
  REQUIRE_DIGITS();
  const auto dir = test::scratch_dir("db_build_test_split");
  auto args = build_args(dir / "split.h5", "0/1", 1);
  for (const char* extra : {"--test-split", "test", "--test-per-class", "0"}) args.push_back(extra);
  const auto r = run_d2a(args, "test_split");
  ASSERT_EQ(r.status, 0) << r.err;
  const MetaDatabase db = MetaDatabase::load(dir / "split.h5");
  ASSERT_EQ(db.tasks().size(), 1u);
  const TaskSplit& test = db.tasks()[0].splits.at("test");
  const TaskSplit& train = db.tasks()[0].splits.at("train");
  EXPECT_EQ(test.source_split, "test");
  EXPECT_EQ(train.source_split, "train");
  // The digits' test split holds every 5th image: at least 35 per class, all taken.
  EXPECT_GE(test.per_class, 35);
  EXPECT_EQ(db.budgets().at(0).name, "cpu-fast[epochs=1,test/class=0,noflip]");
  // The same build drawing its test images from the train split keeps the classes.
  const auto plain = dir / "plain.h5";
  ASSERT_EQ(run_d2a(build_args(plain, "0/1", 1), "test_split_plain").status, 0);
  const MetaDatabase other = MetaDatabase::load(plain);
  EXPECT_EQ(other.tasks()[0].classes, db.tasks()[0].classes);
  EXPECT_EQ(other.tasks()[0].splits.at("test").source_split, "train");
  EXPECT_EQ(other.tasks()[0].splits.at("test").per_class, 20);
}

TEST(DbBuild, RepeatsTrainEachCellWithSeedsOfTheirOwn) {
  REQUIRE_DIGITS();
  const auto dir = test::scratch_dir("db_build_repeats");
  const auto once = dir / "once.h5";
  const auto twice = dir / "twice.h5";
  ASSERT_EQ(run_d2a(build_args(once, "0/1", 1), "repeats_once").status, 0);
  auto args = build_args(twice, "0/1", 1);
  args.push_back("--repeats");
  args.push_back("2");
  ASSERT_EQ(run_d2a(args, "repeats_twice").status, 0);
  const auto single = record_set(MetaDatabase::load(once));
  const auto doubled = record_set(MetaDatabase::load(twice));
  ASSERT_EQ(single.size(), 3u);
  ASSERT_EQ(doubled.size(), 6u);
  // Repeat 0 is the build without repeats, record for record; repeat 1 adds a seed per cell.
  for (const auto& r : single) EXPECT_EQ(doubled.count(r), 1u);
  std::map<std::string, std::set<std::int32_t>> seeds;
  for (const auto& r : doubled) seeds[std::get<1>(r)].insert(std::get<3>(r));
  ASSERT_EQ(seeds.size(), 3u);
  for (const auto& [cell, s] : seeds) EXPECT_EQ(s.size(), 2u) << cell;
}

TEST(DbBuild, BadInputFailsWithOneLineAndKeepsWhatWasWritten) {
  REQUIRE_DIGITS();
  const auto dir = test::scratch_dir("db_build_bad");
  const auto good = dir / "good.h5";
  ASSERT_EQ(run_d2a(build_args(good, "0/1", 1), "bad_good").status, 0);
  const auto before = test::read_text(good);

  auto with = [&](std::vector<std::string> args, const std::string& flag, const std::string& v) {
    auto it = std::find(args.begin(), args.end(), flag);
    if (it == args.end()) {
      args.push_back(flag);
      args.push_back(v);
    } else {
      *(it + 1) = v;
    }
    return args;
  };
  const auto base = build_args(dir / "new.h5", "0/1", 1);
  const auto flat = dir / "flat";  // an image folder without train/ and test/
  for (const char* c : {"a", "b", "c"}) test::write_png(flat / c / "0.png", 8, 8, 1);
  struct Case {
    std::vector<std::string> args;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {with(base, "--shard", "3/2"), "--shard '3/2'"},
      {with(base, "--budget", "cpu-slow"), "cpu-slow"},
      {with(with(base, "--min-classes", "11"), "--max-classes", "12"),
       "fewer than --min-classes 11"},
      {with(base, "--arch", "|bogus~0|+|none~0|none~1|+|none~0|none~1|none~2|"), "bogus"},
      {with(base, "--data", (dir / "missing").string()), "missing"},
      {with(base, "--out", (dir / "no_such_folder" / "x.h5").string()), "no_such_folder"},
      {with(base, "--test-split", "validation"), "--test-split"},
      {with(base, "--test-per-class", "0"), "only --test-split test"},
      {with(with(base, "--test-split", "test"), "--data", flat.string()), "no test split"},
      // Too few images per class for the budget: refused before new.h5 exists (checked below).
      {with(base, "--train-per-class", "200"),
       "a task takes per class (200 train + 20 test); --train-per-class and --test-per-class"},
      {build_args(good, "0/1", 1), "exists; pass --resume"},
  };
  for (const Case& c : cases) {
    const auto r = run_d2a(c.args, "bad_case");
    EXPECT_EQ(r.status, 2) << c.expect << ": " << r.err;
    EXPECT_EQ(test::count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
  }
  EXPECT_EQ(test::read_text(good), before);  // the existing database is untouched
  EXPECT_FALSE(std::filesystem::exists(dir / "new.h5"));
}

// A full disk: the save fails with one line and leaves the previous database as it was. Needs a
// small tmpfs of its own, so root (mount); skipped elsewhere.
TEST(DbBuildCommand, AFullDiskLeavesThePreviousFileIntact) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting a small tmpfs needs root";
  const auto dir = test::scratch_dir("db_build_full_disk");
  if (std::system(("mount -t tmpfs -o size=400k tmpfs " + dir.string() + " 2>/dev/null").c_str()) != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here";
  }
  const std::string db = (dir / "db.h5").string();
  auto args = [&](int tasks) {
    return std::vector<std::string>{"db", "build", "--data", "fashion-mnist", "--out", db,
                                    "--tasks", std::to_string(tasks), "--archs-per-task", "1",
                                    "--budget", "cpu-fast", "--epochs", "1", "--threads", "1",
                                    "--json"};
  };
  const auto first = run_d2a(args(1), "db_build_full_disk_first");  // ~200 kB: fits
  auto more = args(6);                                               // ~1.2 MB: does not
  more.push_back("--resume");
  const auto full = run_d2a(more, "db_build_full_disk_more");
  const std::size_t records = first.status == 0 ? MetaDatabase::load(db).records().size() : 0;
  std::vector<std::string> left;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) left.push_back(entry.path().filename());
  std::system(("umount " + dir.string()).c_str());
  ASSERT_EQ(first.status, 0) << first.err;
  EXPECT_EQ(full.status, 1) << full.err;
  EXPECT_EQ(test::count_lines(full.err), 1) << full.err;
  EXPECT_NE(full.err.find("No space left on device"), std::string::npos) << full.err;
  EXPECT_NE(full.err.find("previous file is unchanged"), std::string::npos) << full.err;
  EXPECT_EQ(records, 1u);                                     // the old database, whole
  EXPECT_EQ(left, std::vector<std::string>{"db.h5"});         // no temporary, no lock file
}

}  // namespace
}  // namespace d2a
