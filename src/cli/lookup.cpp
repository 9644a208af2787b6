// d2a lookup: one NAS-Bench-201 cell in one benchmark table — its benchmark index, canonical
// string, equivalence class, network cost and the table's values (accuracies with their rank, or
// zero-cost proxy scores, or device latencies).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <optional>

#include "d2a/bench/csv.h"
#include "d2a/bench/nb201_score_table.h"
#include "d2a/bench/nb201_table.h"
#include "d2a/cli/common.h"
#include "d2a/error.h"
#include "d2a/space/nb201.h"
#include "d2a/space/nb201_cost.h"
#include "d2a/space/nb201_graph.h"

namespace d2a::cli {
namespace {

struct LookupArgs {
  std::string bench;
  std::string arch;
  std::string dataset;      // empty: every dataset the table has
  std::string index_table;  // empty: look beside --bench when the table has no index order
};

// Any of the four NB201 files, recognised by its header.
struct BenchFile {
  std::optional<Nb201Table> accuracy;
  std::optional<Nb201ScoreTable> scores;

  static BenchFile load(const std::string& path) {
    // Recognise the file by its header line first, so that any other file is called what it is
    // ("not a known table") rather than failing somewhere in its body.
    std::ifstream in(path, std::ios::binary);
    if (!in) throw bad_input(path + ": cannot open file");
    std::string first_line;
    std::getline(in, first_line);
    const CsvTable header = CsvTable::parse(first_line, path);
    const bool accuracy = Nb201Table::recognises(header);
    if (!accuracy && !Nb201ScoreTable::recognises(header)) {
      throw bad_input(path +
                      ": not a known NAS-Bench-201 table (expected the header of "
                      "nb201_test_acc_200ep.csv, nb201_acc_12ep.csv, "
                      "nb201_zero_cost_proxies_cifar10.csv or nb201_hw_latency_cifar10.csv)");
    }
    const CsvTable csv = CsvTable::read(path);
    BenchFile file;
    if (accuracy) {
      file.accuracy = Nb201Table::from_csv(csv);
    } else {
      file.scores = Nb201ScoreTable::from_csv(csv);
    }
    return file;
  }
  const std::string& source() const { return accuracy ? accuracy->source() : scores->source(); }
  const std::string& kind() const { return accuracy ? accuracy->kind() : scores->kind(); }
  // Whether row i of the file is benchmark index i.
  bool has_index_order() const { return accuracy || scores->in_benchmark_order(); }
  int index_of(const Nb201Cell& cell) const {
    return accuracy ? accuracy->index_of(cell) : scores->row_of(cell);
  }
  const Nb201Cell& cell_at(int index) const {
    return accuracy ? accuracy->cell(index) : scores->cell(index);
  }
};

// The arch as the user gave it: a benchmark index (a plain integer) or a cell string.
struct ArchQuery {
  std::optional<long long> index;
  Nb201Cell cell;
};

ArchQuery parse_arch(const std::string& text) {
  ArchQuery query;
  const std::size_t digits = !text.empty() && text[0] == '-' ? 1 : 0;
  if (text.size() > digits &&
      text.find_first_not_of("0123456789", digits) == std::string::npos) {
    if (text.size() - digits > 9 || std::stoll(text) < 0 || std::stoll(text) >= kNb201NumCells) {
      throw bad_input("--arch " + text + ": benchmark index outside [0, " +
                      std::to_string(kNb201NumCells) + ")");
    }
    query.index = std::stoll(text);
    return query;
  }
  try {
    query.cell = Nb201Cell::parse(text);
  } catch (const Error& e) {
    const std::string why = e.what();
    // Quote the text unless the parser already did.
    throw bad_input((why.find(text) == std::string::npos ? "--arch '" + text + "': " : "--arch: ") +
                    why);
  }
  return query;
}

// The file that gives benchmark indices when --bench has none (the proxies table): --index-table
// or the first benchmark-ordered NB201 file found beside --bench. Empty when there is none.
std::optional<BenchFile> load_index_order(const LookupArgs& args) {
  std::string path = args.index_table;
  if (path.empty()) {
    const auto folder = std::filesystem::path(args.bench).parent_path();
    for (const char* name : {"nb201_test_acc_200ep.csv", "nb201_hw_latency_cifar10.csv",
                             "nb201_acc_12ep.csv"}) {
      if (std::filesystem::exists(folder / name)) {
        path = (folder / name).string();
        break;
      }
    }
    if (path.empty()) return std::nullopt;
  }
  BenchFile order = BenchFile::load(path);
  if (!order.has_index_order()) {
    throw bad_input("--index-table " + path + ": rows are not in benchmark index order (use " +
                    "nb201_test_acc_200ep.csv, nb201_acc_12ep.csv or nb201_hw_latency_cifar10.csv)");
  }
  return order;
}

// The benchmark network for a dataset: CIFAR at 32x32 with 10 or 100 classes, ImageNet16-120 at
// 16x16 with 120.
Nb201MacroConfig network_for(const std::string& dataset) {
  Nb201MacroConfig config;
  if (dataset == "cifar100") config.num_classes = 100;
  if (dataset == "imagenet16-120") {
    config.num_classes = 120;
    config.image_size = 16;
  }
  return config;
}

nlohmann::json number_or_null(double value) {
  return std::isnan(value) ? nlohmann::json(nullptr) : nlohmann::json(value);
}

int run_lookup(const LookupArgs& args, const CommonOptions& options) {
  // Validate what costs nothing before reading any file.
  if (!args.dataset.empty()) {
    try {
      nb201_metric_name(args.dataset);
    } catch (const Error& e) {
      throw bad_input(std::string("--dataset: ") + e.what());
    }
  }
  ArchQuery query = parse_arch(args.arch);
  const BenchFile bench = BenchFile::load(args.bench);
  if (bench.scores && !args.dataset.empty() && args.dataset != "cifar10") {
    throw bad_input("--dataset " + args.dataset + ": " + args.bench +
                    " holds CIFAR-10 values only");
  }

  std::optional<BenchFile> sibling;
  const BenchFile* order = &bench;
  if (!bench.has_index_order()) {
    sibling = load_index_order(args);
    order = sibling ? &*sibling : nullptr;
  }
  std::optional<int> index;
  if (query.index) {
    if (order == nullptr) {
      throw bad_input("--arch " + args.arch + ": " + args.bench +
                      " does not list benchmark indices and no table in index order was found "
                      "beside it; pass --index-table nb201_test_acc_200ep.csv or give a cell string");
    }
    index = static_cast<int>(*query.index);
    query.cell = order->cell_at(*index);
  } else if (order != nullptr) {
    index = order->index_of(query.cell);
  }
  const Nb201Cell& cell = query.cell;
  const std::string index_text = index ? " (benchmark index " + std::to_string(*index) + ")" : "";
  if (bench.scores && !bench.scores->contains(cell)) {
    throw bad_input(args.bench + ": cell " + cell.str() + index_text +
                    " is not in this table: it covers " + std::to_string(bench.scores->size()) +
                    " of the " + std::to_string(kNb201NumCells) + " cells");
  }

  const auto& eq = Nb201Equivalence::instance();
  const int class_id = eq.class_of(cell);
  const std::vector<Nb201Cell> members = eq.members(class_id);
  const std::string dataset = args.dataset.empty() ? "cifar10" : args.dataset;
  const NetworkCost cost = nb201_network_cost(cell, network_for(dataset));

  nlohmann::json values = nlohmann::json::object();
  nlohmann::json ranks = nlohmann::json::object();
  std::vector<std::string> shown;  // value names in table order, for the human text
  if (bench.accuracy) {
    for (const auto& metric : bench.accuracy->metrics()) {
      if (!args.dataset.empty() && metric.rfind(args.dataset + "-", 0) != 0) continue;
      const int i = bench.accuracy->index_of(cell);
      values[metric] = bench.accuracy->accuracy(i, metric);
      ranks[metric] = bench.accuracy->rank(i, metric);
      shown.push_back(metric);
    }
  } else {
    for (const auto& column : bench.scores->columns()) {
      values[column] = number_or_null(bench.scores->value(cell, column));
      shown.push_back(column);
    }
  }
  nlohmann::json class_indices = nullptr;
  if (order != nullptr) {
    class_indices = nlohmann::json::array();
    std::vector<int> indices;
    for (const Nb201Cell& member : members) indices.push_back(order->index_of(member));
    std::sort(indices.begin(), indices.end());
    for (int i : indices) class_indices.push_back(i);
  }

  const nlohmann::json result = {
      {"bench", bench.source()},
      {"table", bench.kind()},
      {"index_table", order != nullptr ? nlohmann::json(order->source()) : nlohmann::json(nullptr)},
      {"arch", cell.str()},
      {"benchmark_index", index ? nlohmann::json(*index) : nlohmann::json(nullptr)},
      {"equivalence_key", eq.key(class_id)},
      {"equivalence_class", class_id},
      {"class_size", members.size()},
      {"class_benchmark_indices", class_indices},
      {"network", {{"dataset", dataset}, {"mflops", cost.flops / 1e6}, {"mparams", cost.params / 1e6}}},
      {"dataset", args.dataset.empty() ? nlohmann::json(nullptr) : nlohmann::json(args.dataset)},
      {"values", values},
      {"ranks", bench.accuracy ? ranks : nlohmann::json(nullptr)},
      {"rank_of", bench.accuracy ? nlohmann::json(bench.accuracy->size()) : nlohmann::json(nullptr)},
      {"seed", options.seed},
  };
  print_result(options, result, [&](std::ostream& out) {
    out << "cell:              " << cell.str() << "\n"
        << "benchmark index:   " << (index ? std::to_string(*index) : "unknown (no index table)")
        << "\n"
        << "equivalence class: " << class_id << " of " << eq.num_classes() << ", "
        << members.size() << (members.size() == 1 ? " cell" : " cells") << ", key "
        << eq.key(class_id) << "\n"
        << "network (" << dataset << "): " << cost.flops / 1e6 << " MFLOPs, "
        << cost.params / 1e6 << " M params\n"
        << "table:             " << bench.source() << " (" << bench.kind() << ")\n";
    std::size_t width = 0;
    for (const auto& name : shown) width = std::max(width, name.size());
    for (const auto& name : shown) {
      out << "  " << std::left << std::setw(static_cast<int>(width) + 2) << (name + ":");
      if (bench.accuracy) {
        out << std::fixed << std::setprecision(2) << values[name].get<double>()
            << std::defaultfloat << "  (rank " << ranks[name].get<int>() << " of "
            << bench.accuracy->size() << ")\n";
      } else if (values[name].is_null()) {
        out << "missing\n";
      } else {
        out << std::setprecision(6) << values[name].get<double>() << "\n";
      }
    }
  });
  return 0;
}

}  // namespace

void add_lookup_command(CLI::App& app, Action& action) {
  auto args = std::make_shared<LookupArgs>();
  auto* lookup = app.add_subcommand(
      "lookup", "One NAS-Bench-201 cell in a benchmark table: index, class, cost and its values");
  lookup->add_option("--bench", args->bench,
                     "An NB201 table: nb201_test_acc_200ep.csv, nb201_acc_12ep.csv, "
                     "nb201_zero_cost_proxies_cifar10.csv or nb201_hw_latency_cifar10.csv")
      ->required();
  lookup->add_option("--arch", args->arch,
                     "A cell string |op~0|+|op~0|op~1|+|op~0|op~1|op~2| or a benchmark index")
      ->required();
  lookup->add_option("--dataset", args->dataset,
                     "cifar10, cifar100 or imagenet16-120 (default: every dataset of the table)");
  lookup->add_option("--index-table", args->index_table,
                     "A table in benchmark index order, for --bench files without one (the "
                     "proxies table); default: one found beside --bench");
  set_action(lookup, action, [args](const CommonOptions& options, const std::string&) {
    return run_lookup(*args, options);
  });
}

}  // namespace d2a::cli
