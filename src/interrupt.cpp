#include "d2a/interrupt.h"

#include <unistd.h>

#include <atomic>
#include <csignal>

namespace d2a {
namespace {

std::atomic<int> g_signal{0};
struct sigaction g_previous_int {}, g_previous_term {};

extern "C" void on_signal(int signal) {
  if (g_signal.exchange(signal) != 0) _exit(kInterruptedExitStatus);  // the second one: now
}

}  // namespace

InterruptScope::InterruptScope() {
  g_signal = 0;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, &g_previous_int);
  sigaction(SIGTERM, &action, &g_previous_term);
}

InterruptScope::~InterruptScope() {
  sigaction(SIGINT, &g_previous_int, nullptr);
  sigaction(SIGTERM, &g_previous_term, nullptr);
}

bool interrupt_requested() { return g_signal.load() != 0; }

const char* interrupt_signal_name() {
  switch (g_signal.load()) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    default: return "";
  }
}

}  // namespace d2a
