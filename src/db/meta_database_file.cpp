// MetaDatabase <-> HDF5 file (the layout is documented in include/d2a/db/meta_database.h).
#include <algorithm>
#include <filesystem>
#include <type_traits>

#include "atomic_file.h"
#include "d2a/db/meta_database.h"
#include "d2a/error.h"
#include "d2a/read_probe.h"
#include "hdf5_support.h"

namespace d2a {
namespace {

namespace fs = std::filesystem;
using h5::Handle;

// Tables (records, budgets) are stored as one 1-D dataset per struct field.
template <class Row, class T>
void write_field(hid_t group, const std::string& name, const std::vector<Row>& rows,
                 T Row::*field) {
  std::vector<T> column;
  column.reserve(rows.size());
  for (const auto& row : rows) column.push_back(row.*field);
  if constexpr (std::is_same_v<T, std::string>) {
    h5::write_strings(group, name, column);
  } else {
    h5::write_column(group, name, column);
  }
}

// Fills field `field` of every row (rows already sized) from its column.
template <class Row, class T>
void read_field(hid_t group, const std::string& name, std::vector<Row>& rows, T Row::*field) {
  std::vector<T> column;
  if constexpr (std::is_same_v<T, std::string>) {
    column = h5::read_strings(group, name, rows.size());
  } else {
    column = h5::read_column<T>(group, name, rows.size());
  }
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i].*field = std::move(column[i]);
}

// ---- writing ----------------------------------------------------------------------------

void write_meta(hid_t file, const DbMeta& meta) {
  const Handle group = h5::create_group(file, "meta");
  h5::write_attr<std::int32_t>(group, "schema_version", meta.schema_version);
  h5::write_attr_string(group, "created_by", meta.created_by);
  h5::write_attr_strings(group, "op_names", meta.op_names);
}

void write_archs(hid_t file, const std::vector<DbArch>& archs) {
  const Handle group = h5::create_group(file, "archs");
  std::vector<std::string> cells;
  std::vector<std::uint8_t> ops;
  std::vector<std::int32_t> bench_index, equivalence_class;
  for (const auto& arch : archs) {
    cells.push_back(arch.cell.str());
    const auto codes = arch.cell.codes();
    ops.insert(ops.end(), codes.begin(), codes.end());
    bench_index.push_back(arch.bench_index);
    equivalence_class.push_back(arch.equivalence_class);
  }
  h5::write_strings(group, "cell", cells);
  h5::write_dataset(group, "ops", ops, {archs.size(), static_cast<hsize_t>(kNb201NumEdges)});
  h5::write_column(group, "bench_index", bench_index);
  h5::write_column(group, "equivalence_class", equivalence_class);
}

void write_task(hid_t tasks_group, int index, const DbTask& task) {
  const Handle group = h5::create_group(tasks_group, task.id);
  h5::write_attr<std::int32_t>(group, "index", index);
  h5::write_attr_string(group, "source", task.source);
  h5::write_attr_strings(group, "classes", task.classes);
  h5::write_attr<std::uint64_t>(group, "seed", task.seed);
  h5::write_attr_string(group, "feature_extractor", task.feature_extractor);
  const hsize_t k = task.classes.size();
  for (const auto& [name, split] : task.splits) {
    const Handle sg = h5::create_group(group, name);
    h5::write_attr_string(sg, "source_split", split.source_split);
    h5::write_attr<std::int32_t>(sg, "per_class", split.per_class);
    const hsize_t n = static_cast<hsize_t>(split.per_class);
    if (!split.images.empty()) {
      h5::write_dataset(sg, "images", split.images,
                        {k, n, static_cast<hsize_t>(split.height),
                         static_cast<hsize_t>(split.width), static_cast<hsize_t>(split.channels)},
                        /*compress=*/true);
    }
    if (!split.features.empty()) {
      h5::write_dataset(sg, "features", split.features,
                        {k, n, static_cast<hsize_t>(split.feature_dim)}, /*compress=*/true);
    }
  }
}

void write_records(hid_t file, const std::vector<DbRecord>& records) {
  const Handle group = h5::create_group(file, "records");
  write_field(group, "task", records, &DbRecord::task);
  write_field(group, "arch", records, &DbRecord::arch);
  write_field(group, "accuracy", records, &DbRecord::accuracy);
  write_field(group, "train_seconds", records, &DbRecord::train_seconds);
  write_field(group, "budget", records, &DbRecord::budget);
  write_field(group, "seed", records, &DbRecord::seed);
}

void write_budgets(hid_t file, const std::vector<DbBudget>& budgets) {
  const Handle group = h5::create_group(file, "budgets");
  write_field(group, "id", budgets, &DbBudget::id);
  write_field(group, "name", budgets, &DbBudget::name);
  write_field(group, "recipe", budgets, &DbBudget::recipe_json);
  write_field(group, "epochs", budgets, &DbBudget::epochs);
  write_field(group, "channels", budgets, &DbBudget::channels);
  write_field(group, "cells", budgets, &DbBudget::cells);
  write_field(group, "lr", budgets, &DbBudget::lr);
  write_field(group, "batch_size", budgets, &DbBudget::batch_size);
  write_field(group, "image_size", budgets, &DbBudget::image_size);
  write_field(group, "images_per_class", budgets, &DbBudget::images_per_class);
}

void write_benchmarks(hid_t file, const std::vector<DbBenchmark>& benchmarks) {
  const Handle group = h5::create_group(file, "benchmarks");
  for (const auto& b : benchmarks) {
    h5::write_column(group, b.name, b.values);
    Handle dataset(H5Dopen2(group, b.name.c_str(), H5P_DEFAULT), H5Dclose,
                   "/benchmarks/" + b.name + ": cannot open");
    h5::write_attr_string(dataset, "source", b.source);
    h5::write_attr_string(dataset, "table_kind", b.table_kind);
    h5::write_attr_string(dataset, "metric", b.metric);
    h5::write_attr_string(dataset, "use", b.use);
  }
}

// How much the in-memory file grows by at a time: a fraction of the raw data, so a large
// database is built with a few reallocations rather than thousands.
std::size_t growth_increment(const std::vector<DbTask>& tasks, std::size_t archs,
                             std::size_t records) {
  std::size_t bytes = archs * 128 + records * 32;
  for (const auto& task : tasks) {
    for (const auto& [name, split] : task.splits) {
      bytes += split.images.size() + split.features.size() * sizeof(float);
    }
  }
  return std::max<std::size_t>(std::size_t{1} << 20, bytes / 4);
}

// ---- reading ----------------------------------------------------------------------------

std::size_t column_length(hid_t group, const std::string& name) {
  const auto dims = h5::dataset_dims(group, name);
  if (dims.size() != 1) throw h5::Hdf5Error(h5::path_of(group) + "/" + name + ": not 1-D", 0);
  return dims[0];
}

std::vector<DbArch> read_archs(hid_t file) {
  const Handle group = h5::open_group(file, "archs");
  const std::size_t n = column_length(group, "bench_index");
  const auto cells = h5::read_strings(group, "cell", n);
  std::vector<hsize_t> dims;
  const auto ops = h5::read_dataset<std::uint8_t>(group, "ops", dims);
  if (dims != std::vector<hsize_t>{n, static_cast<hsize_t>(kNb201NumEdges)}) {
    throw h5::Hdf5Error("/archs/ops: expected shape [" + std::to_string(n) + ", 6]", 0);
  }
  const auto bench_index = h5::read_column<std::int32_t>(group, "bench_index", n);
  const auto classes = h5::read_column<std::int32_t>(group, "equivalence_class", n);
  std::vector<DbArch> archs(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::array<std::uint8_t, kNb201NumEdges> codes;
    std::copy_n(ops.begin() + static_cast<std::ptrdiff_t>(i * kNb201NumEdges), kNb201NumEdges,
                codes.begin());
    archs[i] = {Nb201Cell::from_codes(codes), bench_index[i], classes[i]};
    if (archs[i].cell.str() != cells[i]) {
      throw bad_input("/archs row " + std::to_string(i) + ": cell '" + cells[i] +
                      "' does not match its op codes (" + archs[i].cell.str() + ")");
    }
  }
  return archs;
}

TaskSplit read_split(hid_t group, std::size_t classes) {
  TaskSplit split;
  split.source_split = h5::read_attr_string(group, "source_split");
  split.per_class = h5::read_attr<std::int32_t>(group, "per_class");
  const auto check_leading = [&](const std::vector<hsize_t>& dims, std::size_t rank,
                                 const std::string& name) {
    if (dims.size() != rank || dims[0] != classes ||
        dims[1] != static_cast<hsize_t>(split.per_class)) {
      throw h5::Hdf5Error(h5::path_of(group) + "/" + name + ": shape does not match " +
                              std::to_string(classes) + " classes x " +
                              std::to_string(split.per_class) + " per class",
                          0);
    }
  };
  std::vector<hsize_t> dims;
  if (h5::has_link(group, "images")) {
    split.images = h5::read_dataset<std::uint8_t>(group, "images", dims);
    check_leading(dims, 5, "images");
    split.height = static_cast<std::int32_t>(dims[2]);
    split.width = static_cast<std::int32_t>(dims[3]);
    split.channels = static_cast<std::int32_t>(dims[4]);
  }
  if (h5::has_link(group, "features")) {
    split.features = h5::read_dataset<float>(group, "features", dims);
    check_leading(dims, 3, "features");
    split.feature_dim = static_cast<std::int32_t>(dims[2]);
  }
  return split;
}

std::vector<DbTask> read_tasks(hid_t file) {
  const Handle group = h5::open_group(file, "tasks");
  const auto ids = h5::child_names(group);
  std::vector<DbTask> tasks(ids.size());
  std::vector<bool> seen(ids.size(), false);
  for (const auto& id : ids) {
    const Handle tg = h5::open_group(group, id);
    const auto index = h5::read_attr<std::int32_t>(tg, "index");
    if (index < 0 || index >= static_cast<int>(ids.size()) || seen[index]) {
      throw bad_input("/tasks/" + id + ": index " + std::to_string(index) +
                      " is out of range or repeated");
    }
    seen[index] = true;
    DbTask& task = tasks[index];
    task.id = id;
    task.source = h5::read_attr_string(tg, "source");
    task.classes = h5::read_attr_strings(tg, "classes");
    task.seed = h5::read_attr<std::uint64_t>(tg, "seed");
    task.feature_extractor = h5::read_attr_string(tg, "feature_extractor");
    for (const auto& name : h5::child_names(tg)) {
      task.splits[name] = read_split(h5::open_group(tg, name), task.classes.size());
    }
  }
  return tasks;
}

std::vector<DbBudget> read_budgets(hid_t file) {
  const Handle group = h5::open_group(file, "budgets");
  std::vector<DbBudget> budgets(column_length(group, "id"));
  read_field(group, "id", budgets, &DbBudget::id);
  read_field(group, "name", budgets, &DbBudget::name);
  read_field(group, "recipe", budgets, &DbBudget::recipe_json);
  read_field(group, "epochs", budgets, &DbBudget::epochs);
  read_field(group, "channels", budgets, &DbBudget::channels);
  read_field(group, "cells", budgets, &DbBudget::cells);
  read_field(group, "lr", budgets, &DbBudget::lr);
  read_field(group, "batch_size", budgets, &DbBudget::batch_size);
  read_field(group, "image_size", budgets, &DbBudget::image_size);
  read_field(group, "images_per_class", budgets, &DbBudget::images_per_class);
  return budgets;
}

std::vector<DbRecord> read_records(hid_t file) {
  const Handle group = h5::open_group(file, "records");
  std::vector<DbRecord> records(column_length(group, "task"));
  read_field(group, "task", records, &DbRecord::task);
  read_field(group, "arch", records, &DbRecord::arch);
  read_field(group, "accuracy", records, &DbRecord::accuracy);
  read_field(group, "train_seconds", records, &DbRecord::train_seconds);
  read_field(group, "budget", records, &DbRecord::budget);
  read_field(group, "seed", records, &DbRecord::seed);
  return records;
}

std::vector<DbBenchmark> read_benchmarks(hid_t file) {
  const Handle group = h5::open_group(file, "benchmarks");
  std::vector<DbBenchmark> benchmarks;
  for (const auto& name : h5::child_names(group)) {
    DbBenchmark b;
    b.name = name;
    b.values = h5::read_column<float>(group, name, column_length(group, name));
    Handle dataset(H5Dopen2(group, name.c_str(), H5P_DEFAULT), H5Dclose,
                   "/benchmarks/" + name + ": cannot open");
    b.source = h5::read_attr_string(dataset, "source");
    b.table_kind = h5::read_attr_string(dataset, "table_kind");
    b.metric = h5::read_attr_string(dataset, "metric");
    b.use = h5::read_attr_string(dataset, "use");
    benchmarks.push_back(std::move(b));
  }
  return benchmarks;
}

}  // namespace

void MetaDatabase::save(const std::string& path) const {
  h5::silence_errors();
  // Built in memory, then written with plain POSIX calls: HDF5 never sees a failing disk
  // (HDF5 1.10 cannot cleanly close a file whose flush failed), and the replacement is atomic.
  std::vector<char> image;
  try {
    const Handle file =
        h5::create_memory_file(path, growth_increment(tasks_, archs_.size(), records_.size()));
    write_meta(file, meta_);
    write_archs(file, archs_);
    {
      const Handle tasks = h5::create_group(file, "tasks");
      for (std::size_t i = 0; i < tasks_.size(); ++i) {
        write_task(tasks, static_cast<int>(i), tasks_[i]);
      }
    }
    write_records(file, records_);
    write_budgets(file, budgets_);
    write_benchmarks(file, benchmarks_);
    image = h5::file_image(file);
  } catch (const h5::Hdf5Error& e) {
    throw runtime_failure(path + ": cannot build the meta-database (" + e.what() +
                          "); the previous file is unchanged");
  }
  replace_file_atomically(path, image);
}

// libhdf5 (1.10, Debian 12) can crash outright on a damaged file: fuzzing found an overlapping
// memcpy in its global heap read (H5HG_read, reached through a variable-length string) that
// ends in SIGSEGV, and files that send it into an endless loop. A meta-database may come from
// anyone, so the first read happens in a forked child (read_probe.h).
MetaDatabase MetaDatabase::load(const std::string& path) {
  h5::silence_errors();
  std::error_code ec;
  if (!fs::exists(path, ec)) throw bad_input(path + ": no such file");
  if (fs::is_directory(path, ec)) throw bad_input(path + ": is a folder, not a meta-database");
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    throw bad_input(path + ": not an HDF5 file (expected a d2a meta-database)");
  }
  read_first_in_child(path, "meta-database", "HDF5 library", [&] { (void)load_in_process(path); });
  return load_in_process(path);
}

MetaDatabase MetaDatabase::load_in_process(const std::string& path) {
  MetaDatabase db;
  try {
    Handle file;
    try {
      file = h5::open_file_read_only(path);
    } catch (const h5::Hdf5Error&) {
      throw bad_input(path + ": cannot open: truncated or corrupt HDF5 file");
    }
    if (!h5::has_link(file, "meta") ||
        !h5::has_attr(h5::open_group(file, "meta"), "schema_version")) {
      throw bad_input(path + ": an HDF5 file but not a d2a meta-database (no /meta " +
                      (h5::has_link(file, "meta") ? "schema_version)" : "group)"));
    }
    // The schema first: a newer file may have changed anything else.
    const Handle meta = h5::open_group(file, "meta");
    db.meta_.schema_version = h5::read_attr<std::int32_t>(meta, "schema_version");
    if (db.meta_.schema_version > kMetaDatabaseSchema) {
      throw bad_input(path + " has schema " + std::to_string(db.meta_.schema_version) +
                      "; this d2a reads schema " + std::to_string(kMetaDatabaseSchema) +
                      ": upgrade d2a");
    }
    if (db.meta_.schema_version < 1) {
      throw bad_input(path + ": invalid schema_version " + std::to_string(db.meta_.schema_version));
    }
    db.meta_.created_by = h5::read_attr_string(meta, "created_by");
    db.meta_.op_names = h5::read_attr_strings(meta, "op_names");
    if (db.meta_.op_names != nb201_op_names()) {
      throw bad_input(path + ": /meta op_names differ from this d2a's NAS-Bench-201 ops");
    }
    try {
      for (const auto& arch : read_archs(file)) db.insert_arch(arch);
      for (auto& budget : read_budgets(file)) db.add_budget(std::move(budget));
      for (auto& task : read_tasks(file)) db.add_task(std::move(task));
      for (const auto& record : read_records(file)) db.add_record(record);
      for (auto& benchmark : read_benchmarks(file)) db.set_benchmark(std::move(benchmark));
    } catch (const Error& e) {
      throw bad_input(path + ": corrupt meta-database: " + e.what());
    }
  } catch (const h5::Hdf5Error& e) {
    throw bad_input(path + ": corrupt meta-database: " + e.what());
  }
  return db;
}

}  // namespace d2a
