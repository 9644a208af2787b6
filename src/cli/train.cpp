// d2a train: train one NAS-Bench-201 cell network or one DARTS genotype's evaluation network from
// scratch and evaluate it on held-out data.
#include <torch/torch.h>

#include <cctype>
#include <cmath>
#include <optional>

#include "d2a/cli/budget_options.h"
#include "d2a/cli/common.h"
#include "d2a/cli/distributed_options.h"
#include "d2a/data/open_image_set.h"
#include "d2a/dist/process_group.h"
#include "d2a/error.h"
#include "d2a/nn/network_export.h"
#include "d2a/progress.h"
#include "d2a/space/darts_published.h"
#include "d2a/train/budget.h"
#include "d2a/train/darts_trainer.h"
#include "d2a/train/trainer.h"
#include "d2a/words.h"

namespace d2a::cli {
namespace {

constexpr const char* kNb201DefaultBudget = "nb201-12ep";
constexpr const char* kDartsDefaultBudget = "darts-600ep";

// What --arch names: a NAS-Bench-201 cell or a DARTS genotype (exactly one is set).
struct TrainArch {
  std::optional<Nb201Cell> cell;
  std::optional<DartsGenotype> genotype;
  std::string str() const { return cell ? cell->str() : genotype->str(); }
};

// A cell string starts with '|'; a DARTS genotype is a published name or the notation
// Genotype(...). Anything else gets one line that names the three forms.
TrainArch parse_arch(const std::string& text) {
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '|') return {Nb201Cell::parse(text), {}};
  if (auto published = find_published_darts_genotype(text)) return {{}, *published};
  if (first != std::string::npos && text.compare(first, 8, "Genotype") == 0) {
    return {{}, DartsGenotype::parse(text)};
  }
  std::string shown = text.substr(0, 40);
  for (char& ch : shown) ch = std::isprint(static_cast<unsigned char>(ch)) ? ch : ' ';
  std::string names;
  for (const auto& name : published_darts_genotype_names()) names += (names.empty() ? "" : ", ") + name;
  throw bad_input("--arch '" + shown + (text.size() > 40 ? "...'" : "'") +
                  ": not a NAS-Bench-201 cell (|op~0|+|op~0|op~1|+|op~0|op~1|op~2|), a DARTS "
                  "genotype (Genotype(normal=[...], normal_concat=[...], reduce=[...], "
                  "reduce_concat=[...])) or a published genotype name (" + names + ")");
}

struct TrainCommandOptions {
  std::string data;
  std::string arch;
  std::string budget;  // empty: the default of the arch's space
  BudgetOverrides overrides;
  std::string export_path;
  DistributedOptions distributed;
};

Budget effective_budget(const TrainCommandOptions& o, const TrainArch& arch) {
  const bool darts = arch.genotype.has_value();
  Budget b = apply_overrides(find_budget(!o.budget.empty() ? o.budget
                                         : darts ? kDartsDefaultBudget
                                                 : kNb201DefaultBudget),
                             o.overrides, darts);
  if (arch.cell) check_nb201_budget(b);
  return b;
}

// Every `kHoldOutEvery`-th image of each class is the test split of a folder without one.
constexpr std::size_t kHoldOutEvery = 5;

// The images a run trains and tests on, and which images it tests on, in words.
struct TrainImages {
  ImageSet train;
  ImageSet test;
  std::string test_description;
};

// The train split of `data` and its test split, or `test_data` when given; a folder without a
// test split keeps every kHoldOutEvery-th image of each class for testing, so that a run never
// reports its accuracy on the images it trained on.
TrainImages open_train_images(const std::string& data, const std::string& test_data,
                              const Budget& budget, int threads) {
  DataOptions train_opts;
  train_opts.split = "train";
  train_opts.max_per_class = budget.train_per_class;
  train_opts.max_side = budget.image_size;  // the network's input side
  train_opts.threads = threads;
  TrainImages images;
  if (test_data.empty() && !has_test_split(data)) {
    DataOptions all = train_opts;
    all.max_per_class =
        hold_out_read_cap(kHoldOutEvery, budget.train_per_class, budget.test_per_class);
    const ImageSet set = open_image_set(data, all);
    const HoldOut parts =
        hold_out_every(set, kHoldOutEvery, budget.train_per_class, budget.test_per_class);
    if (parts.test.empty()) {
      throw bad_input(data + ": too few images to hold any out for testing (every " +
                      std::to_string(kHoldOutEvery) +
                      "th image of each class is; give --test-data)");
    }
    images.train = subset(set, parts.train);
    images.test = subset(set, parts.test);
    images.test_description = "every " + std::to_string(kHoldOutEvery) +
                              "th image of each class of " + data +
                              ", held out from training (the folder has no test split)";
    return images;
  }
  DataOptions test_opts = train_opts;
  test_opts.split = "test";
  test_opts.max_per_class = budget.test_per_class;
  images.train = open_image_set(data, train_opts);
  images.test = open_image_set(test_data.empty() ? data : test_data, test_opts);
  if (images.test.class_names != images.train.class_names) {
    throw bad_input((test_data.empty() ? data : test_data) +
                    ": the test images' classes differ from the training images'");
  }
  images.test_description =
      test_data.empty() ? "the test split of " + data : test_data + " (--test-data)";
  return images;
}

// Trains the network of `arch`; `save` then exports the trained network when asked.
struct TrainRun {
  TrainStats stats;
  std::int64_t parameters_with_auxiliary = 0;
  std::function<void(const std::string& path, const nlohmann::json& metadata)> save;
};

TrainRun run_training(const TrainArch& arch, const TrainTestData& data, const Budget& budget,
                      std::uint64_t seed, torch::Device device, const TrainCallback& progress) {
  TrainRun run;
  if (arch.cell) {
    TrainResult r = train_and_evaluate(*arch.cell, data.train, data.test, budget, seed, device,
                                       progress);
    run.stats = r;
    run.parameters_with_auxiliary = r.num_parameters;
    run.save = [net = r.network](const std::string& path, const nlohmann::json& metadata) {
      export_network(net, path, metadata);
    };
  } else {
    DartsTrainResult r = train_and_evaluate(*arch.genotype, data.train, data.test, budget, seed,
                                            device, progress);
    run.stats = r;
    run.parameters_with_auxiliary = r.network->num_parameters_with_auxiliary();
    run.save = [net = r.network](const std::string& path, const nlohmann::json& metadata) {
      export_network(net, path, metadata);
    };
  }
  return run;
}

}  // namespace

void add_train_command(CLI::App& app, Action& action) {
  auto* command = app.add_subcommand(
      "train",
      "Train one NAS-Bench-201 cell or DARTS genotype from scratch and evaluate it on held-out "
      "images");
  command->footer(
      "Trains on the train split of --data and reports accuracy on its test split, or on "
      "--test-data. An image folder without train/ and test/ sub-folders has no test split: "
      "then every 5th image of each class (in file order) is held out for testing and never "
      "trained on, the same images for every seed. The "
      "budget fixes recipe, network size and images per class; overrides rename it, e.g. "
      "nb201-12ep[epochs=3,C=8]. A DARTS genotype trains the DARTS evaluation network (C, and "
      "--cells cells in total) with the darts-600ep recipe unless --budget says otherwise. "
      "Deterministic for a --seed and --threads on CPU.\n\n"
      "Data parallel: started by torchrun (torchrun --nproc-per-node 2 --no-python d2a train "
      "...) or by srun, each process trains on its share of every batch (the budget's batch is "
      "the whole step's) and the gradients are averaged over the processes with LibTorch's c10d "
      "(Gloo on CPU): the result is that of one process, up to BatchNorm statistics, which are "
      "per process unless --sync-bn. Only rank 0 prints and exports. --balance speed sizes each "
      "process's share by its measured speed when the CPUs differ.");
  auto o = std::make_shared<TrainCommandOptions>();
  auto test_data = std::make_shared<std::string>();
  command->add_option("--data", o->data, data_help(false))->required();
  command->add_option(
      "--test-data", *test_data,
      "Held-out images (default: --data's test split; for an image folder without one, every "
      "5th image of each class of --data)");
  command
      ->add_option("--arch", o->arch,
                   "Cell string |op~0|+|op~0|op~1|+|op~0|op~1|op~2|, a DARTS genotype "
                   "Genotype(normal=[...], ...), or DARTS_V2 / PC_DARTS")
      ->required();
  add_budget_options(command, o->budget,
                     std::string("Training budget (default ") + kNb201DefaultBudget +
                         " for a cell, " + kDartsDefaultBudget + " for a DARTS genotype)",
                     o->overrides);
  command->add_option("--export", o->export_path,
                      "Save the trained weights (torch.load-able dict: state_dict, cell, config)");
  add_distributed_options(command, o->distributed);
  add_balance_option(command, o->distributed);

  set_action(
      command, action,
      [o, test_data](const CommonOptions& options, const std::string& device_name) {
        const TrainArch arch = parse_arch(o->arch);
        const Budget budget = effective_budget(*o, arch);
        dist::launch_env();  // bad variables: exit 2 before any work
        balance_for_job(o->distributed, device_name);
        const TrainImages images = open_train_images(o->data, *test_data, budget, options.threads);
        const ImageSet& train_set = images.train;
        const ImageSet& test_set = images.test;
        const TrainTestData data = make_train_test_data(train_set, test_set, budget.image_size);

        const torch::Device device(device_name == "cuda" ? torch::kCUDA : torch::kCPU);
        const dist::LaunchEnv launch =
            join_distributed_job(o->distributed, device_name, options.threads);
        const dist::ProcessGroup& group = dist::world();
        Progress progress("train", 0, "steps", !group.is_root());
        const TrainRun run =
            run_training(arch, data, budget, options.seed, device, [&](const TrainProgress& p) {
              // The loss is read back (a GPU sync) only for a line that is drawn.
              if (p.step == 1) progress.set_total(p.total_steps);
              char note[80] = "";
              if (progress.due()) {
                std::snprintf(note, sizeof note, "epoch %d/%d  loss %.3f  lr %.4f", p.epoch + 1,
                              p.epochs, p.loss(), p.learning_rate);
              }
              progress.set(p.step, note);
            });
        progress.finish();
        const TrainStats& r = run.stats;

        nlohmann::json result = {
            {"arch", arch.str()},
            {"space", arch.cell ? "nb201" : "darts"},
            {"data", o->data},
            {"test_data", images.test_description},
            {"budget", budget.name},
            {"recipe", budget.to_json()},
            {"device", device_name},
            {"seed", options.seed},
            {"train_images", train_set.size()},
            {"test_images", test_set.size()},
            {"classes", train_set.num_classes()},
            {"test_accuracy", r.test_accuracy},
            {"test_loss", r.test_loss},
            {"train_accuracy", r.train_accuracy},
            {"train_loss", r.train_loss},
            {"train_seconds", r.train_seconds},
            {"images_per_second", r.images_per_second},
            {"parameters", r.num_parameters},
            {"processes", r.world_size},
            {"communication_seconds", r.communication_seconds},
        };
        if (group.active()) {
          result["distributed"] = describe_distributed_job(launch, o->distributed);
          result["distributed"]["shares"] = r.share_fractions;
          result["distributed"]["share_updates"] = r.share_updates;
        }
        if (!group.is_root()) return 0;  // rank 0 reports and exports for the job
        if (arch.genotype) result["parameters_with_auxiliary"] = run.parameters_with_auxiliary;
        if (!o->export_path.empty()) {
          run.save(o->export_path, result);
          result["exported"] = o->export_path;
        }
        print_result(options, result, [&](std::ostream& out) {
          out << (arch.cell ? "cell:            " : "genotype:        ") << arch.str() << "\n"
              << "data:            " << o->data << " (" << train_set.size() << " train images, "
              << train_set.num_classes() << " classes)\n"
              << "tested on:       " << test_set.size() << " images, " << images.test_description
              << "\n"
              << "budget:          " << budget.name << " ("
              << count_of(budget.recipe.epochs, "epoch") << ", C=" << budget.channels
              << (arch.cell ? " N=" : " layers=") << budget.cells_per_stage << ", "
              << budget.image_size << "x" << budget.image_size << ")\n"
              << "test accuracy:   " << r.test_accuracy << " %\n"
              << "train accuracy:  " << r.train_accuracy << " % (last epoch)\n"
              << "train time:      " << r.train_seconds << " s (" << r.images_per_second
              << " images/s on " << device_name;
          if (group.active()) {
            out << ", " << group.world_size()
                << (group.world_size() == 1 ? " process, " : " processes, ")
                << r.communication_seconds << " s in " << group.backend() << " collectives";
          }
          out << ")\n";
          if (group.world_size() > 1) {
            out << "batch shares:    ";
            for (std::size_t i = 0; i < r.share_fractions.size(); ++i) {
              out << (i ? " / " : "") << std::round(1000 * r.share_fractions[i]) / 10 << " %";
            }
            out << " (--balance " << o->distributed.balance << ")\n";
          }
          if (!o->export_path.empty()) out << "exported:        " << o->export_path << "\n";
        });
        return 0;
      });
}

}  // namespace d2a::cli
