#pragma once
// The meta-database: (task, cell, accuracy) records that the meta-model learns from, with the
// tasks' images, the training budgets and imported benchmark tables. This header is the
// in-memory model (plain structs, no HDF5); MetaDatabase::save/load map it to one HDF5 file.
//
// File layout (schema 1; every string is variable-length UTF-8, so h5py reads str — datasets
// of strings with .asstr()):
//   /meta                       attrs: schema_version i32, created_by str (d2a version),
//                               op_names str[5] (the meaning of the op codes)
//   /archs/cell                 str[A]      canonical cell string
//   /archs/ops                  u8[A,6]     op codes per edge (Nb201Cell::codes order)
//   /archs/bench_index          i32[A]      NAS-Bench-201 index, -1 when unknown
//   /archs/equivalence_class    i32[A]      Nb201Equivalence class id
//   /tasks/<id>                 group; attrs: index i32 (the task number records use),
//                               source str, classes str[K], seed u64, feature_extractor str
//   /tasks/<id>/<split>         group per split ("train", "test", ...); attrs:
//                               source_split str (the split of the source it was drawn from),
//                               per_class i32
//   /tasks/<id>/<split>/images    u8[K, per_class, H, W, C]  (only when images are kept)
//   /tasks/<id>/<split>/features  f32[K, per_class, D]       (only when features are kept)
//   /records/{task i32, arch i32, accuracy f32, train_seconds f32, budget u8, seed i32}  [R]
//   /budgets/{id u8, name str, recipe str (JSON), epochs i32, channels i32, cells i32,
//             lr f64, batch_size i32, image_size i32, images_per_class i32}  [B]
//   /benchmarks/<name>          f32[N] by benchmark index; attrs: source str (file),
//                               table_kind str, metric str, use str
// A record's task and arch are positions in tasks() and archs(); its budget is a DbBudget id.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "d2a/space/nb201.h"

namespace d2a {

// The newest file layout this build reads and the one it writes.
inline constexpr int kMetaDatabaseSchema = 1;

// Values of DbBenchmark::use. CIFAR-10 accuracies are the held-out target
// (shared/data/README.md): nothing that trains a shipped model may read them.
inline constexpr const char* kUseEvaluationOnly = "evaluation-only";
inline constexpr const char* kUseTrainingAllowed = "training-allowed";

struct DbMeta {
  int schema_version = kMetaDatabaseSchema;
  std::string created_by;             // d2a version that created the file
  std::vector<std::string> op_names;  // op code -> name (nb201_op_names())
};

struct DbArch {
  Nb201Cell cell;
  std::int32_t bench_index = -1;        // NAS-Bench-201 index, -1 when unknown
  std::int32_t equivalence_class = -1;  // Nb201Equivalence::class_of(cell)
};

// One split of a task. Item i of class k is images[k][i] and features[k][i]; either array may
// be empty (not kept), and when both are kept they describe the same items.
struct TaskSplit {
  std::string source_split;  // split of the source dataset it was drawn from ("train", "test")
  std::int32_t per_class = 0;
  std::int32_t height = 0;  // image shape; 0 when no images are kept
  std::int32_t width = 0;
  std::int32_t channels = 0;
  std::vector<std::uint8_t> images;  // [classes, per_class, height, width, channels]
  std::int32_t feature_dim = 0;      // 0 when no features are kept
  std::vector<float> features;       // [classes, per_class, feature_dim]
};

struct DbTask {
  std::string id;                           // unique key (merge joins tasks by it); no '/'
  std::string source;                       // source dataset: path or name
  std::vector<std::string> classes;         // class names, the first axis of every split
  std::uint64_t seed = 0;                   // the seed that drew the classes and images
  std::string feature_extractor;            // id of the extractor that made the features ("" none)
  std::map<std::string, TaskSplit> splits;  // by split name, e.g. "train", "test"
};

struct DbRecord {
  std::int32_t task = 0;    // position in MetaDatabase::tasks()
  std::int32_t arch = 0;    // position in MetaDatabase::archs()
  float accuracy = 0;       // test accuracy in percent
  float train_seconds = 0;  // wall time of the training run
  std::uint8_t budget = 0;  // DbBudget::id
  std::int32_t seed = 0;    // training seed
};

// A named training recipe. The JSON text is the whole recipe; the numbers are its main fields,
// repeated as columns so a reader need not parse JSON.
struct DbBudget {
  std::uint8_t id = 0;
  std::string name;
  std::string recipe_json = "{}";
  std::int32_t epochs = 0;
  std::int32_t channels = 0;
  std::int32_t cells = 0;
  double lr = 0;
  std::int32_t batch_size = 0;
  std::int32_t image_size = 0;
  std::int32_t images_per_class = 0;
};

struct DbBenchmark {
  std::string name;           // e.g. "nb201-200ep.cifar10-test"; no '/'
  std::vector<float> values;  // by benchmark index
  std::string source;         // the file it was imported from
  std::string table_kind;     // e.g. "test_acc_200ep"
  std::string metric;         // e.g. "cifar10-test"
  std::string use;            // kUseEvaluationOnly or kUseTrainingAllowed
};

bool operator==(const DbArch& a, const DbArch& b);
bool operator==(const TaskSplit& a, const TaskSplit& b);
bool operator==(const DbTask& a, const DbTask& b);
bool operator==(const DbRecord& a, const DbRecord& b);
bool operator==(const DbBudget& a, const DbBudget& b);
bool operator==(const DbBenchmark& a, const DbBenchmark& b);

class MetaDatabase {
 public:
  // An empty database created by this d2a version.
  MetaDatabase();

  // Reads a file. Throws d2a::Error (bad input) with one line naming the path for: a missing
  // file, a file that is not HDF5, a truncated or corrupt file, an HDF5 file that is not a d2a
  // meta-database, a newer schema than kMetaDatabaseSchema, or inconsistent contents.
  static MetaDatabase load(const std::string& path);

  // Writes the whole database atomically: the HDF5 file is built in memory, written to
  // `path.tmp-<pid>` in the same folder, fsynced and renamed over `path`. On any failure the
  // temporary file is removed, `path` keeps its previous contents, and d2a::Error is thrown with
  // one line naming `path`: bad input when the folder is missing or not writable, a runtime
  // failure when the disk refuses the write (full, file too large, I/O error).
  void save(const std::string& path) const;

  const DbMeta& meta() const { return meta_; }
  const std::vector<DbArch>& archs() const { return archs_; }
  const std::vector<DbTask>& tasks() const { return tasks_; }
  const std::vector<DbRecord>& records() const { return records_; }
  const std::vector<DbBudget>& budgets() const { return budgets_; }
  const std::vector<DbBenchmark>& benchmarks() const { return benchmarks_; }

  // Archs are unique by cell. Returns the position of `cell`, adding it (with its equivalence
  // class) when new. A bench_index >= 0 is recorded; it must not contradict a known one.
  int add_arch(const Nb201Cell& cell, int bench_index = -1);
  int find_arch(const Nb201Cell& cell) const;  // -1 when absent

  // Tasks are unique by id. Validates the id, the split names and every array size against
  // the class count and shapes; throws d2a::Error (bad input) naming the task. Returns the
  // new task's position.
  int add_task(DbTask task);
  int find_task(std::string_view id) const;  // -1 when absent

  // Budgets are unique by id and by name; recipe_json must be valid JSON.
  void add_budget(DbBudget budget);
  const DbBudget* find_budget(std::string_view name) const;  // nullptr when absent
  const DbBudget* find_budget_by_id(std::uint8_t id) const;
  std::uint8_t next_budget_id() const;  // smallest unused id; throws when all 256 are used

  // Checks that task, arch and budget exist and the accuracy is finite.
  void add_record(const DbRecord& record);

  // Adds a benchmark, or replaces the one with the same name.
  void set_benchmark(DbBenchmark benchmark);
  const DbBenchmark* find_benchmark(std::string_view name) const;  // nullptr when absent

  // Summaries for `db info`.
  std::map<std::uint8_t, std::int64_t> record_counts_by_budget() const;
  // Distinct equivalence classes of the archs that have at least one record, sorted.
  std::vector<std::int32_t> equivalence_classes_with_records() const;

 private:
  // load() without the crash probe: what the probe's child and then the caller run.
  static MetaDatabase load_in_process(const std::string& path);

  // Adds an arch exactly as stored in a file (load keeps the stored equivalence class).
  int insert_arch(const DbArch& arch);

  DbMeta meta_;
  std::vector<DbArch> archs_;
  std::vector<int> arch_of_dense_;  // Nb201Cell::dense_index() -> position in archs_, or -1
  std::vector<DbTask> tasks_;
  std::map<std::string, int, std::less<>> task_of_id_;
  std::vector<DbRecord> records_;
  std::vector<DbBudget> budgets_;
  std::vector<DbBenchmark> benchmarks_;
};

}  // namespace d2a
