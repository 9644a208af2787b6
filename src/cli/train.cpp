// d2a train: train one NAS-Bench-201 cell network from scratch and evaluate it on held-out data.
#include <torch/torch.h>

#include "d2a/cli/common.h"
#include "d2a/data/open_image_set.h"
#include "d2a/error.h"
#include "d2a/nn/network_export.h"
#include "d2a/progress.h"
#include "d2a/train/budget.h"
#include "d2a/train/trainer.h"

namespace d2a::cli {
namespace {

struct TrainCommandOptions {
  std::string data;
  std::string arch;
  std::string budget = "nb201-12ep";
  int epochs = 0;
  int channels = 0;
  int cells = 0;
  int image_size = 0;
  int train_per_class = -1;
  int test_per_class = -1;
  bool no_flip = false;
  std::string export_path;
};

// The budget with the user's overrides; any override renames it so that no result is reported
// under a recipe it did not follow.
Budget effective_budget(const TrainCommandOptions& o) {
  Budget b = find_budget(o.budget);
  std::vector<std::string> changes;
  auto override = [&](int value, int& field, const char* label) {
    field = value;
    changes.push_back(std::string(label) + "=" + std::to_string(value));
  };
  if (o.epochs > 0) override(o.epochs, b.recipe.epochs, "epochs");
  if (o.channels > 0) override(o.channels, b.channels, "C");
  if (o.cells > 0) override(o.cells, b.cells_per_stage, "N");
  if (o.image_size > 0) override(o.image_size, b.image_size, "size");
  if (o.train_per_class >= 0) override(o.train_per_class, b.train_per_class, "train/class");
  if (o.test_per_class >= 0) override(o.test_per_class, b.test_per_class, "test/class");
  if (o.no_flip) {
    b.recipe.horizontal_flip = false;
    changes.push_back("noflip");
  }
  if (!changes.empty()) {
    std::string joined;
    for (const auto& c : changes) joined += (joined.empty() ? "" : ",") + c;
    b.name += "[" + joined + "]";
  }
  b.validate();
  return b;
}

}  // namespace

void add_train_command(CLI::App& app, Action& action) {
  auto* command = app.add_subcommand(
      "train", "Train one NAS-Bench-201 cell from scratch and evaluate it on held-out images");
  command->footer(
      "Trains on the train split of --data and reports accuracy on its test split (for a source "
      "without splits, e.g. a plain image folder, give separate --data and --test-data). The "
      "budget fixes recipe, network size and images per class; overrides rename it, e.g. "
      "nb201-12ep[epochs=3,C=8]. Deterministic for a --seed and --threads on CPU.");
  auto o = std::make_shared<TrainCommandOptions>();
  auto test_data = std::make_shared<std::string>();
  command->add_option("--data", o->data, "Images: folder or name (fashion-mnist, digits)")
      ->required();
  command->add_option("--test-data", *test_data, "Held-out images (default: --data's test split)");
  command->add_option("--arch", o->arch, "Cell string |op~0|+|op~0|op~1|+|op~0|op~1|op~2|")
      ->required();
  command->add_option("--budget", o->budget, "Training budget")
      ->check(CLI::IsMember(budget_names()))
      ->capture_default_str();
  command->add_option("--epochs", o->epochs, "Override the budget's epochs")
      ->check(CLI::PositiveNumber);
  command->add_option("--channels", o->channels, "Override C")->check(CLI::PositiveNumber);
  command->add_option("--cells", o->cells, "Override N (cells per stage)")
      ->check(CLI::PositiveNumber);
  command->add_option("--image-size", o->image_size, "Override the image side")
      ->check(CLI::Range(8, 512));
  command
      ->add_option("--train-per-class", o->train_per_class,
                   "Override training images per class (0 = all)")
      ->check(CLI::NonNegativeNumber);
  command
      ->add_option("--test-per-class", o->test_per_class,
                   "Override test images per class (0 = all)")
      ->check(CLI::NonNegativeNumber);
  command->add_flag("--no-flip", o->no_flip, "No horizontal flips (digits, glyphs)");
  command->add_option("--export", o->export_path,
                      "Save the trained weights (torch.load-able dict: state_dict, cell, config)");

  set_action(
      command, action,
      [o, test_data](const CommonOptions& options, const std::string& device_name) {
        const Nb201Cell cell = Nb201Cell::parse(o->arch);
        const Budget budget = effective_budget(*o);
        DataOptions train_opts;
        train_opts.split = "train";
        train_opts.max_per_class = budget.train_per_class;
        DataOptions test_opts;
        test_opts.split = "test";
        test_opts.max_per_class = budget.test_per_class;
        const ImageSet train_set = open_image_set(o->data, train_opts);
        const ImageSet test_set =
            open_image_set(test_data->empty() ? o->data : *test_data, test_opts);
        if (test_set.class_names != train_set.class_names) {
          throw bad_input((test_data->empty() ? o->data : *test_data) +
                          ": the test images' classes differ from the training images'");
        }
        const TrainTestData data = make_train_test_data(train_set, test_set, budget.image_size);

        const torch::Device device(device_name == "cuda" ? torch::kCUDA : torch::kCPU);
        Progress progress("train", 0, "steps", options.json);
        const TrainResult r = train_and_evaluate(
            cell, data.train, data.test, budget, options.seed, device, [&](const TrainProgress& p) {
              char note[80];
              std::snprintf(note, sizeof note, "epoch %d/%d  loss %.3f  lr %.4f", p.epoch + 1,
                            p.epochs, p.loss, p.learning_rate);
              progress.set(p.step, note);
            });
        progress.finish();

        nlohmann::json result = {
            {"arch", cell.str()},
            {"data", o->data},
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
        };
        if (!o->export_path.empty()) {
          export_network(r.network, o->export_path, result);
          result["exported"] = o->export_path;
        }
        print_result(options, result, [&](std::ostream& out) {
          out << "cell:            " << cell.str() << "\n"
              << "data:            " << o->data << " (" << train_set.size() << " train, "
              << test_set.size() << " test images, " << train_set.num_classes() << " classes)\n"
              << "budget:          " << budget.name << " (" << budget.recipe.epochs
              << " epochs, C=" << budget.channels << " N=" << budget.cells_per_stage << ", "
              << budget.image_size << "x" << budget.image_size << ")\n"
              << "test accuracy:   " << r.test_accuracy << " %\n"
              << "train accuracy:  " << r.train_accuracy << " % (last epoch)\n"
              << "train time:      " << r.train_seconds << " s (" << r.images_per_second
              << " images/s on " << device_name << ")\n";
          if (!o->export_path.empty()) out << "exported:        " << o->export_path << "\n";
        });
        return 0;
      });
}

}  // namespace d2a::cli
