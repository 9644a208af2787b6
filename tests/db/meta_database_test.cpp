#include "d2a/db/meta_database.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <hdf5.h>  // only to forge foreign and future files below
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <random>
#include <set>

#include "d2a/error.h"
#include "d2a/space/nb201_graph.h"
#include "d2a/version.h"
#include "test_support.h"

namespace d2a {
namespace {

namespace fs = std::filesystem;

std::vector<std::uint8_t> random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> bytes(n);
  for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
  return bytes;
}

TaskSplit image_split(const std::string& source_split, int classes, int per_class, int h, int w,
                      int c, unsigned seed) {
  TaskSplit s;
  s.source_split = source_split;
  s.per_class = per_class;
  s.height = h;
  s.width = w;
  s.channels = c;
  s.images = random_bytes(static_cast<std::size_t>(classes) * per_class * h * w * c, seed);
  return s;
}

// Two tasks (one with train+test images, one with images and features), three archs, two
// budgets, records, a benchmark: every field set to something that is not its default.
MetaDatabase sample_database() {
  MetaDatabase db;
  db.add_arch(Nb201Cell::parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+"
                               "|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"),
              6111);
  db.add_arch(Nb201Cell::from_dense_index(7));
  db.add_arch(Nb201Cell::from_dense_index(15624), 42);

  db.add_budget({0, "tiny", R"({"epochs": 2, "optimizer": "sgd"})", 2, 8, 1, 0.05, 64, 16, 50});
  db.add_budget({3, "nb201-200ep", "{}", 200, 16, 5, 0.1, 256, 32, 5000});

  DbTask t0;
  t0.id = "fashion-mnist-0";
  t0.source = "/usr/share/datasets/fashion-mnist";
  t0.classes = {"T-shirt", "Trouser"};
  t0.seed = 0xFFFFFFFF12345678ull;
  t0.splits["train"] = image_split("train", 2, 3, 4, 5, 1, 1);
  t0.splits["test"] = image_split("test", 2, 2, 4, 5, 1, 2);
  db.add_task(t0);

  DbTask t1;
  t1.id = "cifar100-7";
  t1.source = "cifar100 ünïcode";
  t1.classes = {"apple", "bee", "cloud"};
  t1.seed = 7;
  t1.feature_extractor = "d2a-resnet8-v1";
  TaskSplit s = image_split("train", 3, 2, 2, 2, 3, 3);
  s.feature_dim = 4;
  for (int i = 0; i < 3 * 2 * 4; ++i) s.features.push_back(0.25f * i - 1.0f);
  t1.splits["support"] = s;
  db.add_task(t1);

  db.add_record({0, 0, 94.37f, 12.5f, 3, 1});
  db.add_record({0, 1, 10.0f, 0.25f, 0, 2});
  db.add_record({1, 2, 55.5f, 3.0f, 0, -5});
  db.add_record({1, 0, 71.25f, 8.0f, 3, 0});

  db.set_benchmark({"nb201-200ep.cifar100-test",
                    {1.5f, 2.5f, 73.5133f},
                    "table.csv",
                    "test_acc_200ep",
                    "cifar100-test",
                    kUseTrainingAllowed});
  return db;
}

void expect_same(const MetaDatabase& a, const MetaDatabase& b) {
  EXPECT_EQ(a.meta().schema_version, b.meta().schema_version);
  EXPECT_EQ(a.meta().created_by, b.meta().created_by);
  EXPECT_EQ(a.meta().op_names, b.meta().op_names);
  EXPECT_TRUE(a.archs() == b.archs());
  EXPECT_TRUE(a.tasks() == b.tasks());
  EXPECT_TRUE(a.records() == b.records());
  EXPECT_TRUE(a.budgets() == b.budgets());
  EXPECT_TRUE(a.benchmarks() == b.benchmarks());
}

Error load_error(const fs::path& path) {
  try {
    MetaDatabase::load(path.string());
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "loading " << path << " did not fail";
  return Error("");
}

std::vector<std::string> leftover_temp_files(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    if (name.find(".tmp-") != std::string::npos) names.push_back(name);
  }
  return names;
}

TEST(MetaDatabase, NewDatabaseHasCurrentSchemaVersionAndOps) {
  const MetaDatabase db;
  EXPECT_EQ(db.meta().schema_version, kMetaDatabaseSchema);
  EXPECT_EQ(db.meta().created_by, std::string("d2a ") + kVersion);
  EXPECT_EQ(db.meta().op_names, nb201_op_names());
}

TEST(MetaDatabase, ArchsAreUniqueByCellAndCarryTheirEquivalenceClass) {
  MetaDatabase db;
  const auto cell = Nb201Cell::from_dense_index(1234);
  EXPECT_EQ(db.add_arch(cell), 0);
  EXPECT_EQ(db.add_arch(Nb201Cell::from_dense_index(5)), 1);
  EXPECT_EQ(db.add_arch(cell, 99), 0);  // known cell: fills in the benchmark index
  ASSERT_EQ(db.archs().size(), 2u);
  EXPECT_EQ(db.archs()[0].bench_index, 99);
  EXPECT_EQ(db.archs()[1].bench_index, -1);
  EXPECT_EQ(db.archs()[0].equivalence_class, Nb201Equivalence::instance().class_of(cell));
  EXPECT_EQ(db.find_arch(Nb201Cell::from_dense_index(5)), 1);
  EXPECT_EQ(db.find_arch(Nb201Cell::from_dense_index(6)), -1);
  EXPECT_THROW(db.add_arch(cell, 100), Error);  // contradicts index 99
}

TEST(MetaDatabase, TasksAreUniqueByIdAndShapesAreChecked) {
  MetaDatabase db = sample_database();
  EXPECT_EQ(db.find_task("cifar100-7"), 1);
  EXPECT_EQ(db.find_task("nope"), -1);
  DbTask copy = db.tasks()[0];
  EXPECT_THROW(db.add_task(copy), Error);  // duplicate id
  copy.id = "a/b";
  EXPECT_THROW(db.add_task(copy), Error);  // not one path component
  copy.id = "other";
  copy.splits["train"].images.pop_back();
  EXPECT_THROW(db.add_task(copy), Error);  // image bytes do not fill [K, n, H, W, C]
  copy.splits["train"].images.push_back(0);
  copy.classes.push_back("Pullover");  // now K=3 but the arrays hold 2 classes
  EXPECT_THROW(db.add_task(copy), Error);
  copy.classes.pop_back();
  EXPECT_EQ(db.add_task(copy), 2);
}

TEST(MetaDatabase, RecordsMustReferToExistingTaskArchAndBudget) {
  MetaDatabase db = sample_database();
  EXPECT_THROW(db.add_record({2, 0, 50, 1, 0, 0}), Error);   // task 2 of 2
  EXPECT_THROW(db.add_record({0, 3, 50, 1, 0, 0}), Error);   // arch 3 of 3
  EXPECT_THROW(db.add_record({0, 0, 50, 1, 1, 0}), Error);   // budget id 1 unknown
  EXPECT_THROW(db.add_record({0, 0, NAN, 1, 0, 0}), Error);  // NaN accuracy
  EXPECT_EQ(db.records().size(), 4u);
  const auto counts = db.record_counts_by_budget();
  EXPECT_EQ(counts.at(0), 2);
  EXPECT_EQ(counts.at(3), 2);
}

TEST(MetaDatabase, BudgetsAreUniqueByIdAndName) {
  MetaDatabase db = sample_database();
  EXPECT_EQ(db.find_budget("nb201-200ep")->id, 3);
  EXPECT_EQ(db.find_budget_by_id(0)->name, "tiny");
  EXPECT_EQ(db.find_budget("huge"), nullptr);
  EXPECT_EQ(db.next_budget_id(), 1);
  EXPECT_THROW(db.add_budget({5, "tiny", "{}"}), Error);   // name taken
  EXPECT_THROW(db.add_budget({3, "other", "{}"}), Error);  // id taken
  EXPECT_THROW(db.add_budget({5, "other", "{not json"}), Error);
}

TEST(MetaDatabase, SetBenchmarkReplacesByName) {
  MetaDatabase db = sample_database();
  db.set_benchmark({"nb201-200ep.cifar100-test",
                    {9.0f},
                    "new.csv",
                    "test_acc_200ep",
                    "cifar100-test",
                    kUseTrainingAllowed});
  ASSERT_EQ(db.benchmarks().size(), 1u);
  EXPECT_EQ(db.find_benchmark("nb201-200ep.cifar100-test")->values, std::vector<float>{9.0f});
  EXPECT_THROW(db.set_benchmark({"x", {}, "", "", "", "sometimes"}), Error);
}

TEST(MetaDatabase, EquivalenceClassesWithRecordsAreDistinct) {
  const MetaDatabase db = sample_database();
  std::set<int> expected;
  for (int a : {0, 1, 2}) expected.insert(db.archs()[a].equivalence_class);
  const auto classes = db.equivalence_classes_with_records();
  EXPECT_EQ(std::set<int>(classes.begin(), classes.end()), expected);
}

TEST(MetaDatabaseFile, RoundTripKeepsEveryField) {
  const auto dir = test::scratch_dir("db_round_trip");
  const MetaDatabase db = sample_database();
  db.save((dir / "db.h5").string());
  const MetaDatabase back = MetaDatabase::load((dir / "db.h5").string());
  expect_same(db, back);
  EXPECT_EQ(back.find_task("fashion-mnist-0"), 0);
  EXPECT_EQ(back.tasks()[0].seed, 0xFFFFFFFF12345678ull);
  EXPECT_EQ(back.tasks()[1].source, "cifar100 ünïcode");
  EXPECT_TRUE(leftover_temp_files(dir).empty());
}

TEST(MetaDatabaseFile, EmptyDatabaseRoundTrips) {
  const auto dir = test::scratch_dir("db_empty");
  const MetaDatabase db;
  db.save((dir / "empty.h5").string());
  const MetaDatabase back = MetaDatabase::load((dir / "empty.h5").string());
  expect_same(db, back);
  EXPECT_TRUE(back.archs().empty());
  EXPECT_TRUE(back.records().empty());
  EXPECT_TRUE(back.budgets().empty());
}

TEST(MetaDatabaseFile, SaveReplacesAnExistingFile) {
  const auto dir = test::scratch_dir("db_replace");
  const auto path = (dir / "db.h5").string();
  MetaDatabase().save(path);
  sample_database().save(path);
  expect_same(MetaDatabase::load(path), sample_database());
  EXPECT_TRUE(leftover_temp_files(dir).empty());
}

// A write that the file system refuses half-way (here: the file-size limit, which binds root
// too, standing in for a full disk) must leave the previous file as it was and no temp file.
TEST(MetaDatabaseFile, FailedSaveKeepsThePreviousFileAndNoTempFile) {
  const auto dir = test::scratch_dir("db_failed_save");
  const auto path = (dir / "db.h5").string();
  const MetaDatabase old = sample_database();
  old.save(path);

  MetaDatabase big = sample_database();
  DbTask task;
  task.id = "big";
  task.classes = {"a", "b"};
  task.splits["train"] = image_split("train", 2, 500, 32, 32, 3, 9);  // 6 MB of noise
  big.add_task(task);

  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  rlimit small = saved;
  small.rlim_cur = std::min<rlim_t>(256 * 1024, saved.rlim_max);
  const auto previous_handler = signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  std::string message;
  ErrorKind kind = ErrorKind::kBadInput;
  bool threw = false;
  try {
    big.save(path);
  } catch (const Error& e) {
    threw = true;
    message = e.what();
    kind = e.kind();
  }
  setrlimit(RLIMIT_FSIZE, &saved);
  signal(SIGXFSZ, previous_handler);

  ASSERT_TRUE(threw) << "a save past the file-size limit did not fail";
  EXPECT_EQ(kind, ErrorKind::kRuntime);
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  expect_same(MetaDatabase::load(path), old);
  EXPECT_TRUE(leftover_temp_files(dir).empty());
}

TEST(MetaDatabaseFile, SaveIntoAMissingFolderIsBadInput) {
  const auto dir = test::scratch_dir("db_missing_folder");
  const auto path = (dir / "no" / "db.h5").string();
  try {
    MetaDatabase().save(path);
    FAIL() << "saved into a missing folder";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(MetaDatabaseFile, SaveIntoAReadOnlyFolderIsBadInputAndKeepsTheFile) {
  if (geteuid() == 0) GTEST_SKIP() << "running as root: permissions do not stop writes";
  const auto dir = test::scratch_dir("db_read_only");
  const auto path = (dir / "db.h5").string();
  MetaDatabase().save(path);
  fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec);
  bool threw = false;
  try {
    sample_database().save(path);
  } catch (const Error& e) {
    threw = true;
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput) << e.what();
  }
  fs::permissions(dir, fs::perms::owner_all);
  EXPECT_TRUE(threw);
  EXPECT_TRUE(MetaDatabase::load(path).tasks().empty());
}

TEST(MetaDatabaseFile, MissingFileIsBadInput) {
  const auto dir = test::scratch_dir("db_missing");
  const Error e = load_error(dir / "absent.h5");
  EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
  EXPECT_NE(std::string(e.what()).find("absent.h5: no such file"), std::string::npos);
}

TEST(MetaDatabaseFile, TextFileIsNotHdf5) {
  const auto dir = test::scratch_dir("db_text");
  std::ofstream(dir / "db.h5") << "arch,accuracy\n1,2\n";
  const Error e = load_error(dir / "db.h5");
  EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
  EXPECT_NE(std::string(e.what()).find("not an HDF5 file"), std::string::npos) << e.what();
}

TEST(MetaDatabaseFile, TruncatedFileIsACleanError) {
  const auto dir = test::scratch_dir("db_truncated");
  const auto good = dir / "good.h5";
  sample_database().save(good.string());
  const auto cut = dir / "cut.h5";
  fs::copy_file(good, cut);
  fs::resize_file(cut, fs::file_size(good) / 2);
  const Error e = load_error(cut);
  EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
  EXPECT_NE(std::string(e.what()).find(cut.string()), std::string::npos) << e.what();
  EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
}

TEST(MetaDatabaseFile, ForeignHdf5FileIsNotAD2aDatabase) {
  const auto dir = test::scratch_dir("db_foreign");
  const auto no_meta = (dir / "no_meta.h5").string();
  const auto no_schema = (dir / "no_schema.h5").string();
  for (const auto& path : {no_meta, no_schema}) {
    const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    const hid_t group =
        H5Gcreate2(file, path == no_meta ? "data" : "meta", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Gclose(group);
    H5Fclose(file);
  }
  const Error e1 = load_error(no_meta);
  EXPECT_NE(std::string(e1.what()).find("not a d2a meta-database (no /meta group)"),
            std::string::npos)
      << e1.what();
  const Error e2 = load_error(no_schema);
  EXPECT_NE(std::string(e2.what()).find("not a d2a meta-database (no /meta schema_version)"),
            std::string::npos)
      << e2.what();
  EXPECT_EQ(e2.kind(), ErrorKind::kBadInput);
}

TEST(MetaDatabaseFile, NewerSchemaAsksForAnUpgrade) {
  const auto dir = test::scratch_dir("db_newer");
  const auto path = (dir / "DB.h5").string();
  sample_database().save(path);
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  // Open the group first: HDF5 1.10 cannot write an attribute opened with H5Aopen_by_name.
  const hid_t meta = H5Gopen2(file, "meta", H5P_DEFAULT);
  const hid_t attr = H5Aopen(meta, "schema_version", H5P_DEFAULT);
  ASSERT_GE(attr, 0);
  const int next = kMetaDatabaseSchema + 1;
  ASSERT_GE(H5Awrite(attr, H5T_NATIVE_INT, &next), 0);
  H5Aclose(attr);
  H5Gclose(meta);
  H5Fclose(file);
  const Error e = load_error(path);
  EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
  EXPECT_EQ(std::string(e.what()), path + " has schema 2; this d2a reads schema 1: upgrade d2a");
}

TEST(MetaDatabaseFile, InconsistentContentsAreReportedAsCorrupt) {
  const auto dir = test::scratch_dir("db_inconsistent");
  const auto path = (dir / "db.h5").string();
  sample_database().save(path);
  // Point a record at an arch that does not exist.
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const hid_t arch = H5Dopen2(file, "records/arch", H5P_DEFAULT);
  ASSERT_GE(arch, 0);
  const std::int32_t values[4] = {0, 1, 2, 99};
  ASSERT_GE(H5Dwrite(arch, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, values), 0);
  H5Dclose(arch);
  H5Fclose(file);
  const Error e = load_error(path);
  EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
  EXPECT_EQ(std::string(e.what()), path + ": corrupt meta-database: record refers to arch 99 of 3");
}

}  // namespace
}  // namespace d2a

namespace d2a {
namespace {

// Damaged files found by fuzzing (tools/fuzz/run.sh, fuzz_meta_database): each is one line,
// exit status 2, whatever libhdf5 does with it.
void expect_refused(const std::string& file, const std::string& fragment) {
  const std::string path = std::string(D2A_SOURCE_DIR) + "/tests/fuzz/regressions/" + file;
  try {
    MetaDatabase::load(path);
    FAIL() << file << ": a damaged file loaded";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_EQ(e.exit_status(), 2);
    EXPECT_NE(message.find(fragment), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

// libhdf5 asks malloc for ~950 GB; the allocation fails and HDF5 reports it.
TEST(MetaDatabaseFile, FuzzFoundDamagedFileIsRefusedWithOneLine) {
  expect_refused("meta_database_huge_allocation.h5", "corrupt meta-database");
}

// libhdf5 1.10 does an overlapping memcpy in its global heap read and dies with SIGSEGV inside
// H5Aread; the first read runs in a forked child, so d2a answers instead of crashing.
TEST(MetaDatabaseFile, FuzzFoundFileThatCrashesHdf5IsRefusedWithOneLine) {
  expect_refused("meta_database_heap_overlap.h5", "the HDF5 library crashed reading it");
}

// libhdf5 never returns; the probe's child gets a deadline (30 s and more for big files; 2 s
// here through D2A_PROBE_SECONDS).
TEST(MetaDatabaseFile, FuzzFoundFileThatHangsHdf5IsRefusedWithOneLine) {
  ::setenv("D2A_PROBE_SECONDS", "2", 1);
  const auto start = std::chrono::steady_clock::now();
  expect_refused("meta_database_endless_loop.h5", "did not finish reading it in 2 s");
  ::unsetenv("D2A_PROBE_SECONDS");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

}  // namespace
}  // namespace d2a
