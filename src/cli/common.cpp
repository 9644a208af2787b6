#include "d2a/cli/common.h"

#include <algorithm>
#include <iostream>

#include "d2a/words.h"

namespace d2a::cli {

void add_common_options(CLI::App* command, CommonOptions& options) {
  command->add_flag("--json", options.json, "Print the result as JSON on stdout (logs go to stderr)");
  command->add_option("--seed", options.seed, "Random seed, recorded in every output")
      ->capture_default_str();
  command->add_option("--device", options.device, "Where tensors live: cpu, cuda or auto")
      ->check(CLI::IsMember({"cpu", "cuda", "auto"}))
      ->capture_default_str();
  command
      ->add_option("--threads", options.threads,
                   "CPU threads for LibTorch and for decoding image folders (0 = all cores)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
}

std::string data_help(bool several) {
  return std::string(several ? "Image sources, each" : "Images") +
         ": a folder of class sub-folders of PNG, JPEG, WebP, BMP, TGA or PPM/PGM images (any "
         "size, any depth below the class folder; train/ and test/ splits optional), a folder "
         "of IDX or CIFAR binary files, or a name (fashion-mnist, digits)";
}

const CLI::Validator& positive_real() {
  static const CLI::Validator check(
      [](const std::string& text) -> std::string {
        double value = 0;
        const bool number = CLI::detail::lexical_cast(text, value);
        return number && value > 0 ? "" : "must be a number above 0 (got " + text + ")";
      },
      "POSITIVE");
  return check;
}

std::shared_ptr<CommonOptions> set_action(CLI::App* command, Action& action, Body body) {
  auto options = std::make_shared<CommonOptions>();
  add_common_options(command, *options);
  command->callback([&action, options, body = std::move(body)] {
    action = [options, body] { return body(*options, apply_common_options(*options)); };
  });
  return options;
}

std::string parse_error_line(const CLI::App& app, int argc, char** argv, const std::string& what) {
  const auto commands_of = [](const CLI::App& at) {
    return at.get_subcommands(std::function<bool(const CLI::App*)>{});
  };
  const auto names = [](const std::vector<const CLI::App*>& commands) {
    std::string text;
    for (const CLI::App* c : commands) text += (text.empty() ? "" : ", ") + c->get_name();
    return text;
  };
  const CLI::App* at = &app;
  std::string path = "d2a";
  for (int i = 1; i < argc; ++i) {  // walk the command words, up to the first option
    const std::string word = argv[i];
    const auto commands = commands_of(*at);
    if (word.empty() || word[0] == '-' || commands.empty()) break;
    const auto next = std::find_if(commands.begin(), commands.end(),
                                   [&](const CLI::App* c) { return c->get_name() == word; });
    if (next == commands.end()) {
      return path + ": unknown command '" + word + "' (commands: " + names(commands) +
             "; see --help)";
    }
    at = *next;
    path += " " + word;
  }
  const auto commands = commands_of(*at);
  if (!commands.empty() && what.find("subcommand is required") != std::string::npos) {
    return path + ": a command is required: " + names(commands) + " (see --help)";
  }
  return "d2a: " + what + " (see --help)";
}

namespace {
std::string& invocation_text() {
  static std::string text = "d2a";
  return text;
}
std::string& program_name_text() {
  static std::string name = "d2a";
  return name;
}
}  // namespace

void set_invocation(int argc, char** argv) {
  if (argc > 0 && argv[0][0] != '\0') program_name_text() = argv[0];
  std::string text;
  for (int i = 0; i < argc; ++i) text += (i == 0 ? "" : " ") + std::string(argv[i]);
  invocation_text() = text.size() > 400 ? text.substr(0, 400) + "..." : text;
}

const std::string& invocation() { return invocation_text(); }

const std::string& program_name() { return program_name_text(); }

std::string train_command(const std::string& data, const std::string& arch,
                          const std::string& device) {
  return shell_word(program_name()) + " train --data " + shell_word(data) + " --arch " +
         shell_word(arch) + (device == "cuda" ? " --device cuda" : " --budget cpu-user");
}

void print_result(const CommonOptions& options, const nlohmann::json& result,
                  const std::function<void(std::ostream&)>& human) {
  if (options.json) {
    std::cout << result.dump(2) << std::endl;
  } else {
    human(std::cout);
    std::cout.flush();
  }
}

}  // namespace d2a::cli
